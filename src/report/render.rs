//! Rendering a year's report: HTML laid out for A4 (Thai numerals and Buddhist Era dates by
//! default), CSV and JSON. Output and outcome cells of the flagged measures combine the measure's
//! own text with the computed figures.
use super::ReportData;
use super::figures::{Counts, Figures, Period, PeriodState};
use crate::config::Settings;
use crate::domain::measure::{Measure, MeasureFlag};
use crate::domain::thai::{self, MONTHS_TH, thai_digits};
use askama::Template;
use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Protection,
    Full,
    Statistics,
}

impl Section {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "protection" => Some(Self::Protection),
            "full" => Some(Self::Full),
            "statistics" => Some(Self::Statistics),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Html,
    Csv,
    Json,
    Docx,
    Xlsx,
}

impl Format {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "html" => Some(Self::Html),
            "csv" => Some(Self::Csv),
            "json" => Some(Self::Json),
            "docx" => Some(Self::Docx),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Html => "text/html; charset=utf-8",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Json => "application/json",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Html => "html",
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Docx => "docx",
            Self::Xlsx => "xlsx",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Numerals {
    Thai,
    Arabic,
}

impl Numerals {
    pub fn n(self, value: impl std::fmt::Display) -> String {
        let s = value.to_string();
        match self {
            Numerals::Thai => thai_digits(&s),
            Numerals::Arabic => s,
        }
    }

    pub fn percent(self, value: Option<f64>) -> String {
        match value {
            Some(v) => self.n(format!("{v:.2}")),
            None => "-".into(),
        }
    }

    /// A count of days with its unit: "๓ วัน", "๕๒.๕ วัน", "-" when there is none.
    pub fn days(self, value: Option<f64>) -> String {
        match value {
            Some(v) if v.fract() == 0.0 => format!("{} วัน", self.n(format!("{v:.0}"))),
            Some(v) => format!("{} วัน", self.n(format!("{v:.1}"))),
            None => "-".into(),
        }
    }

    pub fn date(self, d: time::Date) -> String {
        match self {
            Numerals::Thai => thai::format_date_th_official(d),
            Numerals::Arabic => thai::format_date_th(d),
        }
    }

    /// "ตุลาคม ๒๕๖๘"
    pub fn month(self, d: time::Date) -> String {
        format!("{} {}", MONTHS_TH[usize::from(u8::from(d.month())) - 1], self.n(thai::be_year(d)))
    }
}

/// The seed report's column headers, in full, for every format.
pub const MEASURE_HEADERS: [&str; 6] = [
    "มาตรการ/โครงการ/กิจกรรม ที่ดำเนินการเพื่อส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน",
    "ขั้นตอน/วิธีการปฏิบัติ",
    "หน่วยงานรับผิดชอบ",
    "ช่วงระยะเวลาดำเนินการ",
    "ผลการดำเนินการ (output)",
    "ผลลัพธ์หรือผลสัมฤทธิ์ในการดำเนินการ (outcome/result)",
];

pub const TRACK_HEADERS: [&str; 2] = ["เรื่องร้องเรียนการทุจริตและประพฤติมิชอบ", "เรื่องร้องเรียน/ร้องทุกข์ทั่วไป"];
/// The words of the statistics, each defined once in [`footnotes`].
pub const COUNT_HEADERS: [&str; 4] = ["ได้รับ", "ดำเนินการแล้วเสร็จ", "ไม่รับไว้พิจารณา", "อยู่ระหว่างดำเนินการ"];

/// "ณ สิ้นปีงบประมาณ" once the year has ended, else "ณ วันที่ …".
fn when(f: &Figures, nums: Numerals) -> String {
    if f.year_complete {
        "ณ สิ้นปีงบประมาณ".to_owned()
    } else {
        format!("ณ วันที่ {}", nums.date(f.as_of))
    }
}

fn track(map: &std::collections::BTreeMap<String, u64>, t: &str) -> u64 {
    map.get(t).copied().unwrap_or(0)
}

/// The value of each placeholder of [`crate::domain::measure::PLACEHOLDERS`].
fn placeholders(f: &Figures, linked: u64, nums: Numerals) -> Vec<(&'static str, String)> {
    vec![
        ("fiscal_year", nums.n(f.fiscal_year)),
        ("received", nums.n(f.received)),
        ("received_corruption", nums.n(track(&f.by_track, "corruption"))),
        ("received_general", nums.n(track(&f.by_track, "general"))),
        ("anonymous", nums.n(f.anonymous)),
        ("identified", nums.n(f.identified)),
        ("received_online", nums.n(f.received_online)),
        ("online_corruption", nums.n(track(&f.online_by_track, "corruption"))),
        ("online_general", nums.n(track(&f.online_by_track, "general"))),
        ("online_anonymous", nums.n(f.online_anonymous)),
        ("acknowledged_on_time", nums.n(f.acknowledged_on_time)),
        ("not_accepted_on_time", nums.n(f.not_accepted_on_time)),
        ("answered_on_time", nums.n(f.acknowledged_on_time + f.not_accepted_on_time)),
        ("answered_late", nums.n(f.answered_late)),
        ("unanswered_overdue", nums.n(f.unanswered_overdue)),
        ("answer_due", nums.n(f.answer_due)),
        ("answered_on_time_percent", nums.percent(f.answered_on_time_percent)),
        ("median_days_to_acknowledge", nums.days(f.median_days_to_acknowledge)),
        ("median_days_to_conclude", nums.days(f.median_days_to_conclude)),
        ("brought_forward", nums.n(f.brought_forward)),
        ("concluded", nums.n(f.concluded)),
        ("not_accepted", nums.n(f.not_accepted)),
        ("in_progress", nums.n(f.in_progress_at_year_end)),
        ("as_of", nums.date(f.as_of)),
        ("when", when(f, nums)),
        ("linked_cases", nums.n(linked)),
        ("identity_requests", nums.n(f.audited.identity_requests)),
        ("identity_openings", nums.n(f.audited.identity_openings)),
    ]
}

fn expand(text: &str, values: &[(&'static str, String)]) -> (String, bool) {
    let mut out = text.to_owned();
    let mut used = false;
    for (name, value) in values {
        let key = format!("{{{name}}}");
        if out.contains(&key) {
            out = out.replace(&key, value);
            used = true;
        }
    }
    (out, used)
}

/// The output sentence of a flagged measure: the year's cases, and of them the online ones split
/// by track and anonymity.
fn output_figures(f: &Figures, nums: Numerals) -> String {
    format!(
        "ในปีงบประมาณ พ.ศ. {} รับเรื่องร้องเรียนทุกช่องทางทั้งสิ้น {} เรื่อง เป็นเรื่องที่รับทางช่องทางออนไลน์ {} เรื่อง \
         (แจ้งเบาะแสการทุจริตและประพฤติมิชอบ {} เรื่อง ร้องเรียน/ร้องทุกข์ทั่วไป {} เรื่อง) \
         ในจำนวนนี้ผู้แจ้งไม่ประสงค์ออกนาม {} เรื่อง",
        nums.n(f.fiscal_year),
        nums.n(f.received),
        nums.n(f.received_online),
        nums.n(track(&f.online_by_track, "corruption")),
        nums.n(track(&f.online_by_track, "general")),
        nums.n(f.online_anonymous),
    )
}

/// The outcome sentence: answers within the time limit (acknowledgements and decisions not to
/// accept apart), then the year's closings and the open workload.
fn outcome_figures(f: &Figures, nums: Numerals) -> String {
    let answers = if f.answer_due == 0 {
        "ยังไม่มีเรื่องที่ถึงกำหนดตอบรับ".to_owned()
    } else {
        format!(
            "ตอบรับเรื่องภายในระยะเวลาที่กำหนด {} เรื่อง และแจ้งไม่รับไว้พิจารณาภายในระยะเวลาที่กำหนด {} เรื่อง \
             รวมตอบผู้ร้องภายในระยะเวลาที่กำหนด {} เรื่อง จากเรื่องที่ถึงกำหนดตอบ {} เรื่อง (ร้อยละ {})",
            nums.n(f.acknowledged_on_time),
            nums.n(f.not_accepted_on_time),
            nums.n(f.acknowledged_on_time + f.not_accepted_on_time),
            nums.n(f.answer_due),
            nums.percent(f.answered_on_time_percent),
        )
    };
    format!(
        "{answers} ดำเนินการแล้วเสร็จ {} เรื่อง ไม่รับไว้พิจารณา {} เรื่อง และ {} อยู่ระหว่างดำเนินการ {} เรื่อง \
         (รวมเรื่องที่ยกมาจากปีงบประมาณก่อน)",
        nums.n(f.concluded),
        nums.n(f.not_accepted),
        when(f, nums),
        nums.n(f.in_progress_at_year_end),
    )
}

/// What each word of the report counts: printed under the statistics in HTML, DOCX and XLSX.
pub fn footnotes(settings: &Settings, nums: Numerals) -> Vec<String> {
    let d = &settings.deadlines;
    let days = match d.count {
        crate::domain::deadline::DayCount::CalendarDays => "วัน",
        crate::domain::deadline::DayCount::WorkingDays => "วันทำการ",
    };
    vec![
        "“ได้รับ” คือ เรื่องที่รับในช่วงเวลานั้นจากทุกช่องทาง นับตามวันที่รับเรื่อง".to_owned(),
        "“ดำเนินการแล้วเสร็จ” คือ เรื่องที่รับไว้พิจารณาและยุติด้วยผลการพิจารณา (มีมูล ไม่มีมูล หรือส่งต่อหน่วยงานที่มีอำนาจ) \
         ในช่วงเวลานั้น รวมเรื่องที่รับไว้ในปีงบประมาณก่อน ไม่รวมเรื่องที่ไม่รับไว้พิจารณา"
            .to_owned(),
        "“ไม่รับไว้พิจารณา” คือ เรื่องที่แจ้งผู้ร้องว่าไม่รับไว้พิจารณาในช่วงเวลานั้น พร้อมเหตุผล".to_owned(),
        "“อยู่ระหว่างดำเนินการ” คือ เรื่องที่รับไว้จนถึงวันสิ้นช่วงเวลา รวมเรื่องที่ยกมาจากปีงบประมาณก่อน \
         และยังไม่ยุติ ณ วันนั้น"
            .to_owned(),
        (format!(
            "“ตอบรับเรื่องภายในระยะเวลาที่กำหนด” คือ เรื่องที่รับในปีงบประมาณนี้และมีหนังสือตอบรับเรื่องภายใน {} {days} \
             นับแต่วันที่รับเรื่อง เรื่องที่คำตอบแรกเป็นการแจ้งไม่รับไว้พิจารณาภายในกำหนดนับแยกไว้ ร้อยละคิดจากทั้งสองอย่าง \
             ต่อเรื่องที่ถึงกำหนดตอบแล้ว",
            nums.n(d.acknowledge_days)
        )),
        "มัธยฐานจำนวนวันนับจากวันที่รับเรื่องถึงวันที่ตอบรับเรื่อง (เรื่องที่รับในปีนี้) และถึงวันที่ดำเนินการแล้วเสร็จ \
         (เรื่องที่ดำเนินการแล้วเสร็จในปีนี้)"
            .to_owned(),
        "เครื่องหมาย “-” คือ ช่วงเวลาที่ยังไม่เริ่มหรือยังไม่เผยแพร่ตัวเลข ช่วงเวลาที่ยังไม่สิ้นสุดนับถึงวันที่ของข้อมูล \
         ตัวเลขทั้งหมดคำนวณจากข้อมูลในระบบรับเรื่องร้องเรียน ไม่มีการกรอกด้วยมือ"
            .to_owned(),
    ]
}

/// A measure as a table row: output and outcome combine its text with the figures.
pub struct MeasureRow {
    pub number: String,
    pub title: String,
    pub steps: Vec<String>,
    pub responsible: String,
    pub period: String,
    pub output: String,
    pub outcome: String,
}

pub fn measure_row(m: &Measure, f: &Figures, nums: Numerals, with_figures: bool) -> MeasureRow {
    let linked = f.measures.iter().find(|x| x.number == m.number).map(|x| x.linked_cases).unwrap_or(0);
    let values = placeholders(f, linked, nums);
    let (mut output, used_out) = expand(&m.output, &values);
    let (mut outcome, used_in) = expand(&m.outcome, &values);
    if with_figures && !used_out {
        output = format!("{output} {}", output_figures(f, nums)).trim().to_owned();
    }
    if with_figures && !used_in {
        outcome = format!("{outcome} {}", outcome_figures(f, nums)).trim().to_owned();
    }
    // Cases linked to the measure, by rule or by an officer's hand, are part of what it did.
    if linked > 0 && !m.output.contains("{linked_cases}") && !m.outcome.contains("{linked_cases}") {
        output =
            format!("{output} (เรื่องร้องเรียนที่เชื่อมโยงกับมาตรการนี้ {} เรื่อง)", nums.n(linked)).trim().to_owned();
    }
    MeasureRow {
        number: nums.n(m.number),
        title: m.title.clone(),
        steps: m.steps.iter().enumerate().map(|(i, s)| format!("{}. {s}", nums.n(i + 1))).collect(),
        responsible: m.responsible_text.clone(),
        period: format!("{} – {}", nums.date(m.period_start), nums.date(m.period_end)),
        output,
        outcome,
    }
}

pub fn is_protection(m: &Measure) -> bool {
    m.has(MeasureFlag::ReporterProtection) || m.has(MeasureFlag::OnlineChannel)
}

/// One row of the statistics table, for every format: None where a period has not begun.
pub struct StatRow {
    pub label: String,
    /// A quarter, a half or the year: printed bold.
    pub total: bool,
    pub key: String,
    pub first: time::Date,
    pub last: time::Date,
    pub corruption: Option<[u64; 4]>,
    pub general: Option<[u64; 4]>,
}

impl StatRow {
    /// The eight cells as printed: "-" for a period not begun.
    pub fn cells(&self, nums: Numerals) -> Vec<String> {
        [self.corruption, self.general]
            .iter()
            .flat_map(|c| match c {
                Some(v) => v.iter().map(|n| nums.n(n)).collect::<Vec<_>>(),
                None => vec!["-".to_owned(); 4],
            })
            .collect()
    }
}

fn four(c: Option<Counts>) -> Option<[u64; 4]> {
    c.map(|c| [c.received, c.concluded, c.not_accepted, c.in_progress])
}

/// Months, quarters, halves and the whole year, labelled in Thai.
pub fn stat_rows(data: &ReportData, nums: Numerals) -> Vec<StatRow> {
    let f = &data.figures;
    let quarter_names =
        ["ไตรมาสที่ ๑ (ต.ค.–ธ.ค.)", "ไตรมาสที่ ๒ (ม.ค.–มี.ค.)", "ไตรมาสที่ ๓ (เม.ย.–มิ.ย.)", "ไตรมาสที่ ๔ (ก.ค.–ก.ย.)"];
    let half_names = ["รอบ ๖ เดือนแรก (ต.ค.–มี.ค.)", "รอบ ๖ เดือนหลัง (เม.ย.–ก.ย.)"];
    let fix = |s: &str| if nums == Numerals::Arabic { thai::arabic_digits(s) } else { s.to_owned() };
    let row = |label: String, p: &Period, total: bool| {
        let label = match p.state {
            PeriodState::Running => format!("{label} (ถึงวันที่ {})", nums.date(f.as_of)),
            PeriodState::Future if p.first <= data.report_day => format!("{label} (ยังไม่สิ้นเดือน)"),
            _ => label,
        };
        StatRow {
            label,
            total,
            key: p.key.clone(),
            first: p.first,
            last: p.last,
            corruption: four(p.corruption),
            general: four(p.general),
        }
    };
    f.months
        .iter()
        .map(|p| row(nums.month(p.first), p, false))
        .chain(f.quarters.iter().zip(quarter_names).map(|(p, n)| row(fix(n), p, true)))
        .chain(f.halves.iter().zip(half_names).map(|(p, n)| row(fix(n), p, true)))
        .chain(std::iter::once(row(format!("รวมทั้งปีงบประมาณ พ.ศ. {}", nums.n(f.fiscal_year)), &f.year, true)))
        .collect()
}

/// A breakdown of the year's cases: label and count, most first.
pub struct Breakdown {
    pub title: &'static str,
    pub rows: Vec<(String, String)>,
}

pub fn breakdowns(f: &Figures, nums: Numerals) -> Vec<Breakdown> {
    use crate::domain::complaint::{Category, Channel};
    use crate::domain::triage::{Agency, Outcome, RejectionReason};
    let table = |title, map: &std::collections::BTreeMap<String, u64>, label: &dyn Fn(&str) -> String| {
        let mut rows: Vec<(&String, &u64)> = map.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut rows: Vec<(String, String)> = rows.into_iter().map(|(k, v)| (label(k), nums.n(v))).collect();
        if rows.is_empty() {
            rows.push(("ไม่มีเรื่องร้องเรียน".to_owned(), nums.n(0)));
        } else {
            rows.push(("รวม".to_owned(), nums.n(map.values().sum::<u64>())));
        }
        Breakdown { title, rows }
    };
    let or_code =
        |label: Option<&'static str>, code: &str| label.map_or_else(|| code.to_owned(), str::to_owned);
    vec![
        table(
            "จำแนกตามประเภทเรื่อง (เรื่องที่รับในปีนี้)",
            &f.by_category,
            &|c| or_code(Category::from_code(c).map(|x| x.label_th()), c),
        ),
        table(
            "จำแนกตามช่องทางที่รับเรื่อง (เรื่องที่รับในปีนี้)",
            &f.by_channel,
            &|c| or_code(Channel::from_code(c).map(|x| x.label_th()), c),
        ),
        table(
            "จำแนกตามผลการพิจารณา (เรื่องที่ดำเนินการแล้วเสร็จในปีนี้)",
            &f.concluded_by_outcome,
            &|c| or_code(Outcome::from_code(c).map(|x| x.label_th()), c),
        ),
        table(
            "จำแนกตามหน่วยงานที่ส่งต่อ",
            &f.referred_by_agency,
            &|c| or_code(Agency::from_code(c).map(|x| x.label_th()), c),
        ),
        table(
            "จำแนกตามเหตุที่ไม่รับไว้พิจารณา",
            &f.not_accepted_by_reason,
            &|c| or_code(RejectionReason::from_code(c).map(|x| x.label_th()), c),
        ),
    ]
}

/// The summary table of the protection section: label and value, each value with its unit.
pub fn summary(data: &ReportData, nums: Numerals) -> Vec<(String, String)> {
    let f = &data.figures;
    let n = |v: u64| format!("{} เรื่อง", nums.n(v));
    vec![
        ("เรื่องที่รับในปีงบประมาณ (ทุกช่องทาง)".to_owned(), n(f.received)),
        (
            "แยกเป็น แจ้งเบาะแสการทุจริตและประพฤติมิชอบ / ร้องเรียน/ร้องทุกข์ทั่วไป".to_owned(),
            format!("{} / {}", n(track(&f.by_track, "corruption")), n(track(&f.by_track, "general"))),
        ),
        ("ผู้แจ้งไม่ประสงค์ออกนาม / ระบุตัวตน".to_owned(), format!("{} / {}", n(f.anonymous), n(f.identified))),
        ("ในจำนวนนี้ รับทางช่องทางออนไลน์".to_owned(), n(f.received_online)),
        (
            "ช่องทางออนไลน์: แจ้งเบาะแสการทุจริตฯ / ร้องเรียนทั่วไป / ผู้แจ้งไม่ประสงค์ออกนาม".to_owned(),
            format!(
                "{} / {} / {}",
                n(track(&f.online_by_track, "corruption")),
                n(track(&f.online_by_track, "general")),
                n(f.online_anonymous)
            ),
        ),
        (
            "ตอบรับเรื่องภายในกำหนด / แจ้งไม่รับไว้พิจารณาภายในกำหนด / ตอบล่าช้า / เกินกำหนดยังไม่ได้ตอบ".to_owned(),
            format!(
                "{} / {} / {} / {}",
                n(f.acknowledged_on_time),
                n(f.not_accepted_on_time),
                n(f.answered_late),
                n(f.unanswered_overdue)
            ),
        ),
        (
            format!("ร้อยละของเรื่องที่ตอบผู้ร้องภายในกำหนด (จากเรื่องที่ถึงกำหนดตอบ {})", n(f.answer_due)),
            match f.answered_on_time_percent {
                Some(_) => format!("ร้อยละ {}", nums.percent(f.answered_on_time_percent)),
                None => "ยังไม่มีเรื่องที่ถึงกำหนดตอบ".to_owned(),
            },
        ),
        ("มัธยฐานจำนวนวันจากวันที่รับเรื่องถึงวันที่ตอบรับเรื่อง".to_owned(), nums.days(f.median_days_to_acknowledge)),
        ("มัธยฐานจำนวนวันจากวันที่รับเรื่องถึงวันที่ดำเนินการแล้วเสร็จ".to_owned(), nums.days(f.median_days_to_conclude)),
        (
            "เรื่องที่ยกมาจากปีงบประมาณก่อน (ยุติในปีนี้ / ยังไม่ยุติ)".to_owned(),
            format!("{} ({} / {})", n(f.brought_forward), n(f.carried_over_closed), n(f.carried_over_open)),
        ),
        ("ดำเนินการแล้วเสร็จในปีงบประมาณ".to_owned(), n(f.concluded)),
        ("ไม่รับไว้พิจารณาในปีงบประมาณ".to_owned(), n(f.not_accepted)),
        ("ในจำนวนที่ดำเนินการแล้วเสร็จ ส่งต่อหน่วยงานที่มีอำนาจ".to_owned(), n(f.referred_by_agency.values().sum())),
        (format!("อยู่ระหว่างดำเนินการ {} (รวมเรื่องที่ยกมา)", when(f, nums)), n(f.in_progress_at_year_end)),
        (
            "คำขอ / การอนุมัติ / การปฏิเสธ / การเปิดเผยข้อมูลผู้แจ้ง (ที่ดำเนินการผ่านระบบ)".to_owned(),
            format!(
                "{} / {} / {} / {} ครั้ง",
                nums.n(f.audited.identity_requests),
                nums.n(f.audited.identity_approvals),
                nums.n(f.audited.identity_denials),
                nums.n(f.audited.identity_openings)
            ),
        ),
        ("บันทึกการตรวจสอบ (audit trail) ณ วันที่จัดทำรายงาน".to_owned(), audit_head_text(&data.audit_head, nums)),
    ]
}

/// The monthly chart: received and concluded per month, both tracks together, as inline SVG with
/// presentation attributes only (the pages' CSP allows no inline style).
pub fn monthly_chart(f: &Figures, nums: Numerals) -> String {
    let (w, h, left, bottom, top) = (640.0_f64, 260.0_f64, 40.0_f64, 40.0_f64, 20.0_f64);
    let max = f.months.iter().filter_map(|m| m.totals().map(|(r, c)| r.max(c))).max().unwrap_or(0).max(1);
    #[allow(clippy::cast_precision_loss)]
    let scale = (h - bottom - top) / max as f64;
    let slot = (w - left - 10.0) / 12.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" \
         aria-label=\"จำนวนเรื่องที่รับและดำเนินการแล้วเสร็จรายเดือน\" font-family=\"Laksaman, sans-serif\" font-size=\"11\">"
    );
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>",
        h - bottom,
        w - 10.0,
        h - bottom
    );
    for (i, m) in f.months.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let x = left + slot * i as f64 + slot * 0.15;
        let bar = slot * 0.32;
        let (received, concluded) = m.totals().unwrap_or((0, 0));
        #[allow(clippy::cast_precision_loss)]
        let (received, concluded) = (received as f64, concluded as f64);
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"#0b4f8a\"><title>{}</title></rect>",
            h - bottom - received * scale,
            received * scale,
            nums.n(received)
        );
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"#7fb069\"><title>{}</title></rect>",
            x + bar,
            h - bottom - concluded * scale,
            concluded * scale,
            nums.n(concluded)
        );
        // Values above the bars, so the chart reads without the table.
        for (v, bx) in [(received, x), (concluded, x + bar)] {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"9\">{}</text>",
                bx + bar / 2.0,
                h - bottom - v * scale - 2.0,
                if m.totals().is_some() { nums.n(v) } else { "-".to_owned() }
            );
        }
        let month = thai::MONTHS_TH_ABBR[usize::from(u8::from(m.first.month())) - 1];
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{month}</text>",
            x + bar,
            h - bottom + 16.0
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{left}\" y=\"{:.1}\">■ ได้รับ</text><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#4a7a3a\">■ ดำเนินการแล้วเสร็จ</text>\
         <text x=\"4\" y=\"{:.1}\">{}</text><text x=\"4\" y=\"10\" font-size=\"10\">จำนวน (เรื่อง)</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"10\">เดือน</text></svg>",
        h - 6.0,
        left + 80.0,
        h - 6.0,
        top + 4.0,
        nums.n(max),
        w - 10.0,
        h - 6.0
    );
    svg
}

#[derive(Template)]
#[template(path = "report/report.html")]
pub struct ReportPage {
    pub title: String,
    pub org: String,
    pub locality: String,
    pub office: String,
    pub fy: String,
    pub section: &'static str,
    pub css: String,
    pub standalone: bool,
    pub preface: Vec<String>,
    pub all_measures: Vec<MeasureRow>,
    pub protection: Vec<MeasureRow>,
    pub measure_headers: [&'static str; 6],
    pub track_headers: [&'static str; 2],
    pub count_headers: [&'static str; 4],
    pub stats: Vec<(String, bool, Vec<String>)>,
    pub no_corruption: bool,
    pub no_general: bool,
    pub chart: String,
    pub summary: Vec<(String, String)>,
    pub breakdowns: Vec<Breakdown>,
    pub footnotes: Vec<String>,
    pub signatures: Vec<crate::config::Signature>,
    pub as_of: String,
}

pub const REPORT_CSS: &str = include_str!("../../templates/assets/report.css");

/// The stylesheet with the fonts inside it, for a report file opened away from the service.
fn standalone_css() -> String {
    use base64::Engine;
    let embed = |bytes: &[u8]| {
        format!("url(\"data:font/woff;base64,{}\")", base64::engine::general_purpose::STANDARD.encode(bytes))
    };
    REPORT_CSS
        .replace(
            "url(\"/assets/Laksaman.woff\")",
            &embed(include_bytes!("../../templates/assets/Laksaman.woff")),
        )
        .replace(
            "url(\"/assets/Laksaman-Bold.woff\")",
            &embed(include_bytes!("../../templates/assets/Laksaman-Bold.woff")),
        )
}

/// The preface (คำนำ): the configured text, else a text made from the organisation and the year.
pub fn preface(settings: &Settings, fy: &str) -> Vec<String> {
    let text = settings.report.preface_th.trim();
    if !text.is_empty() {
        return text.split("\n\n").map(|p| p.trim().replace("{fiscal_year}", fy)).collect();
    }
    let org = &settings.organisation.name_th;
    vec![format!(
        "{org} ได้จัดทำรายงานผลการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน \
         ประจำปีงบประมาณ พ.ศ. {fy} เพื่อแสดงผลการดำเนินการตามมาตรการที่กำหนดไว้ รวมถึงสถิติเรื่องร้องเรียน \
         และการดำเนินการตามมาตรการคุ้มครองและปกปิดข้อมูลผู้แจ้งเบาะแส ซึ่งคำนวณจากข้อมูลในระบบรับเรื่องร้องเรียนโดยตรง \
         เพื่อใช้ประกอบการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ \
         (Integrity and Transparency Assessment: ITA)"
    )]
}

pub fn section_title(section: Section) -> &'static str {
    match section {
        Section::Protection => "มาตรการคุ้มครองและปกปิดข้อมูลผู้แจ้งเบาะแส",
        Section::Statistics => "สถิติเรื่องร้องเรียน",
        Section::Full => "รายงานผลการดำเนินการเพื่อส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน",
    }
}

pub fn as_of_text(f: &Figures, nums: Numerals) -> String {
    if f.year_complete {
        format!("ข้อมูลทั้งปีงบประมาณ ณ วันที่ {}", nums.date(f.as_of))
    } else {
        format!("ข้อมูล ณ วันที่ {} (ปีงบประมาณยังไม่สิ้นสุด)", nums.date(f.as_of))
    }
}

pub fn html(
    data: &ReportData,
    section: Section,
    nums: Numerals,
    settings: &Settings,
    standalone: bool,
) -> Result<String, askama::Error> {
    let f = &data.figures;
    let org = &settings.organisation;
    let fy = nums.n(f.fiscal_year);
    let page = ReportPage {
        title: section_title(section).into(),
        org: org.name_th.clone(),
        locality: org.locality_th.clone(),
        office: org.office_th.clone(),
        section: match section {
            Section::Protection => "protection",
            Section::Statistics => "statistics",
            Section::Full => "full",
        },
        css: if standalone { standalone_css() } else { String::new() },
        standalone,
        preface: preface(settings, &fy),
        all_measures: data.measures.iter().map(|m| measure_row(m, f, nums, is_protection(m))).collect(),
        protection: data
            .measures
            .iter()
            .filter(|m| is_protection(m))
            .map(|m| measure_row(m, f, nums, true))
            .collect(),
        measure_headers: MEASURE_HEADERS,
        track_headers: TRACK_HEADERS,
        count_headers: COUNT_HEADERS,
        stats: stat_rows(data, nums).into_iter().map(|r| (r.label.clone(), r.total, r.cells(nums))).collect(),
        as_of: as_of_text(f, nums),
        no_corruption: track(&f.by_track, "corruption") == 0,
        no_general: track(&f.by_track, "general") == 0,
        chart: monthly_chart(f, nums),
        summary: summary(data, nums),
        breakdowns: breakdowns(f, nums),
        footnotes: footnotes(settings, nums),
        signatures: settings.report.signatures.clone(),
        fy,
    };
    page.render()
}

use crate::csv::field as csv_field;

/// CSV with Arabic numerals (for spreadsheets): the statistics by period, then (for the protection
/// and full sections) one row per measure.
pub fn csv(data: &ReportData, section: Section) -> String {
    let f = &data.figures;
    let mut out = String::from("\u{feff}");
    out.push_str(
        "period,first_day,last_day,state,corruption_received,corruption_concluded,corruption_not_accepted,\
         corruption_in_progress,general_received,general_concluded,general_not_accepted,general_in_progress\r\n",
    );
    let year = std::iter::once(&f.year);
    for p in f.months.iter().chain(&f.quarters).chain(&f.halves).chain(year) {
        // A period not begun has no figures: "-", as in every other format.
        let c = |x: &Option<Counts>| match x {
            Some(x) => format!("{},{},{},{}", x.received, x.concluded, x.not_accepted, x.in_progress),
            None => "-,-,-,-".to_owned(),
        };
        let state = match p.state {
            PeriodState::Complete => "complete",
            PeriodState::Running => "running",
            PeriodState::Future => "future",
        };
        let _ = write!(
            out,
            "{},{},{},{state},{},{}\r\n",
            p.key,
            p.first,
            p.last,
            c(&p.corruption),
            c(&p.general)
        );
    }
    if section != Section::Statistics {
        out.push_str("\r\nmeasure,title,responsible,period_start,period_end,linked_cases,output,outcome\r\n");
        for m in &data.measures {
            if section == Section::Protection && !is_protection(m) {
                continue;
            }
            let row = measure_row(m, f, Numerals::Arabic, is_protection(m));
            let linked =
                f.measures.iter().find(|x| x.number == m.number).map(|x| x.linked_cases).unwrap_or(0);
            let _ = write!(
                out,
                "{},{},{},{},{},{},{},{}\r\n",
                m.number,
                csv_field(&m.title),
                csv_field(&m.responsible_text),
                m.period_start,
                m.period_end,
                linked,
                csv_field(&row.output),
                csv_field(&row.outcome)
            );
        }
    }
    out
}

/// The audit head as the report prints it: the count and the first 16 hex digits of the head hash,
/// enough to check with `rongrian verify-audit --expect-head N:HASH`.
pub fn audit_head_text(head: &crate::storage::audit::Head, nums: Numerals) -> String {
    let hash = head.hash_hex();
    format!("{} รายการ รหัสตรวจสอบ {}:{}", nums.n(head.entries), head.entries, &hash[..16.min(hash.len())])
}

pub fn json(data: &ReportData) -> serde_json::Value {
    serde_json::json!({
        "fiscal_year": data.fiscal_year.be_year(),
        "figures": data.figures,
        "audit_head": {"entries": data.audit_head.entries, "hash": data.audit_head.hash_hex()},
        "measures": data.measures.iter().map(|m| serde_json::json!({
            "number": m.number,
            "title": m.title,
            "steps": m.steps,
            "responsible_units": m.responsible_units,
            "responsible_text": m.responsible_text,
            "period_start": m.period_start.to_string(),
            "period_end": m.period_end.to_string(),
            "output": m.output,
            "outcome": m.outcome,
            "flags": m.flags.iter().map(|f| f.code()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template: {0}")]
    Template(#[from] askama::Error),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Office(#[from] super::office::OfficeError),
}

/// The report as the bytes of a file in the chosen format.
pub fn bytes(
    data: &ReportData,
    section: Section,
    format: Format,
    numerals: Numerals,
    settings: &Settings,
    standalone: bool,
) -> Result<Vec<u8>, RenderError> {
    Ok(match format {
        Format::Html => html(data, section, numerals, settings, standalone)?.into_bytes(),
        Format::Csv => csv(data, section).into_bytes(),
        Format::Json => serde_json::to_vec_pretty(&json(data))?,
        Format::Docx => super::office::docx(data, section, numerals, settings)?,
        Format::Xlsx => super::office::xlsx(data, section, settings)?,
    })
}
