//! Rendering a year's report: HTML laid out for A4 (Thai numerals and Buddhist Era dates by
//! default), CSV and JSON. Output and outcome cells of the flagged measures combine the measure's
//! own text with the computed figures.
use super::ReportData;
use super::figures::{Counts, Figures, Period};
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

/// The figures a measure's text may name as `{placeholder}`.
fn placeholders(f: &Figures, linked: u64, nums: Numerals) -> Vec<(&'static str, String)> {
    let track = |t: &str| f.by_track.get(t).copied().unwrap_or(0);
    vec![
        ("fiscal_year", nums.n(f.fiscal_year)),
        ("received", nums.n(f.received)),
        ("received_online", nums.n(f.received_online)),
        ("received_corruption", nums.n(track("corruption"))),
        ("received_general", nums.n(track("general"))),
        ("anonymous", nums.n(f.anonymous)),
        ("identified", nums.n(f.identified)),
        ("acknowledged_on_time", nums.n(f.acknowledged_on_time)),
        ("answered", nums.n(f.acknowledged_on_time + f.acknowledged_late)),
        ("due", nums.n(f.acknowledged_on_time + f.acknowledged_late + f.unacknowledged_overdue)),
        ("unacknowledged_overdue", nums.n(f.unacknowledged_overdue)),
        ("as_of", nums.date(f.as_of)),
        (
            "when",
            if f.year_complete {
                "ณ สิ้นปีงบประมาณ".to_owned()
            } else {
                format!("ณ วันที่ {}", nums.date(f.as_of))
            },
        ),
        ("acknowledged_on_time_percent", nums.percent(f.acknowledged_on_time_percent)),
        ("concluded", nums.n(f.concluded)),
        ("not_accepted", nums.n(f.not_accepted)),
        ("in_progress", nums.n(f.in_progress_at_year_end)),
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

const OUTPUT_FIGURES: &str = "ในปีงบประมาณ พ.ศ. {fiscal_year} มีเรื่องร้องเรียนที่รับไว้ทั้งสิ้น {received} เรื่อง \
     เป็นเรื่องที่รับทางช่องทางออนไลน์ {received_online} เรื่อง (แจ้งเบาะแสการทุจริตและประพฤติมิชอบ \
     {received_corruption} เรื่อง ร้องเรียน/ร้องทุกข์ทั่วไป {received_general} เรื่อง) \
     เป็นเรื่องที่ผู้แจ้งไม่ประสงค์ออกนาม {anonymous} เรื่อง";
const OUTCOME_FIGURES: &str = "ตอบรับเรื่องภายในระยะเวลาที่กำหนด {acknowledged_on_time} เรื่อง จากเรื่องที่ถึงกำหนดตอบรับ \
     {due} เรื่อง (ร้อยละ {acknowledged_on_time_percent}) ดำเนินการแล้วเสร็จ {concluded} เรื่อง \
     ไม่รับไว้พิจารณา {not_accepted} เรื่อง อยู่ระหว่างดำเนินการ{when} {in_progress} เรื่อง";

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
        output = format!("{output} {}", expand(OUTPUT_FIGURES, &values).0).trim().to_owned();
    }
    if with_figures && !used_in {
        outcome = format!("{outcome} {}", expand(OUTCOME_FIGURES, &values).0).trim().to_owned();
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

pub struct StatRow {
    pub label: String,
    pub corruption: [String; 3],
    pub general: [String; 3],
}

fn stat_row(label: String, p: &Period, nums: Numerals, as_of: time::Date) -> StatRow {
    // A period that has not begun has no figures yet, which is not the same as zero.
    let future = p.first > as_of;
    let cells = |c: &Counts| {
        if future {
            ["-".into(), "-".into(), "-".into()]
        } else {
            [nums.n(c.received), nums.n(c.concluded), nums.n(c.in_progress)]
        }
    };
    StatRow { label, corruption: cells(&p.corruption), general: cells(&p.general) }
}

/// The monthly chart: received and concluded per month, both tracks together, as inline SVG with
/// presentation attributes only (the pages' CSP allows no inline style).
pub fn monthly_chart(f: &Figures, nums: Numerals) -> String {
    let (w, h, left, bottom, top) = (640.0_f64, 260.0_f64, 40.0_f64, 40.0_f64, 20.0_f64);
    let max = f
        .months
        .iter()
        .map(|m| {
            (m.corruption.received + m.general.received).max(m.corruption.concluded + m.general.concluded)
        })
        .max()
        .unwrap_or(0)
        .max(1);
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
        #[allow(clippy::cast_precision_loss)]
        let received = (m.corruption.received + m.general.received) as f64;
        #[allow(clippy::cast_precision_loss)]
        let concluded = (m.corruption.concluded + m.general.concluded) as f64;
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
         <text x=\"4\" y=\"{:.1}\">{}</text></svg>",
        h - 6.0,
        left + 80.0,
        h - 6.0,
        top + 4.0,
        nums.n(max)
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
    pub all_measures: Vec<MeasureRow>,
    pub protection: Vec<MeasureRow>,
    pub months: Vec<StatRow>,
    pub quarters: Vec<StatRow>,
    pub halves: Vec<StatRow>,
    pub no_corruption: bool,
    pub no_general: bool,
    pub chart: String,
    pub summary: Vec<(String, String)>,
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
    let quarter_names =
        ["ไตรมาสที่ ๑ (ต.ค.–ธ.ค.)", "ไตรมาสที่ ๒ (ม.ค.–มี.ค.)", "ไตรมาสที่ ๓ (เม.ย.–มิ.ย.)", "ไตรมาสที่ ๔ (ก.ค.–ก.ย.)"];
    let half_names = ["ครึ่งปีแรก (ต.ค.–มี.ค.)", "ครึ่งปีหลัง (เม.ย.–ก.ย.)"];
    let fix = |s: &str| {
        if nums == Numerals::Arabic {
            s.replace('๑', "1").replace('๒', "2").replace('๓', "3").replace('๔', "4")
        } else {
            s.to_owned()
        }
    };
    let track = |t: &str| f.by_track.get(t).copied().unwrap_or(0);
    let when = if f.year_complete {
        "ณ สิ้นปีงบประมาณ".to_owned()
    } else {
        format!("ณ วันที่ {}", nums.date(f.as_of))
    };
    let summary = vec![
        ("เรื่องที่รับทั้งหมด".to_owned(), nums.n(f.received)),
        ("รับทางช่องทางออนไลน์".to_owned(), nums.n(f.received_online)),
        (
            "ผู้แจ้งไม่ประสงค์ออกนาม / ระบุตัวตน".to_owned(),
            format!("{} / {}", nums.n(f.anonymous), nums.n(f.identified)),
        ),
        (
            "ตอบรับภายในกำหนด / ล่าช้า / เกินกำหนดยังไม่ตอบรับ".to_owned(),
            format!(
                "{} / {} / {}",
                nums.n(f.acknowledged_on_time),
                nums.n(f.acknowledged_late),
                nums.n(f.unacknowledged_overdue)
            ),
        ),
        ("ร้อยละของเรื่องที่ตอบรับภายในกำหนด".to_owned(), nums.percent(f.acknowledged_on_time_percent)),
        (
            "มัธยฐานจำนวนวันถึงการตอบรับ / ถึงการยุติเรื่อง".to_owned(),
            format!(
                "{} / {}",
                nums.percent(f.median_days_to_acknowledge),
                nums.percent(f.median_days_to_conclude)
            ),
        ),
        (
            "ยุติเรื่องแล้ว: ดำเนินการแล้วเสร็จ / ไม่รับไว้พิจารณา".to_owned(),
            format!("{} / {}", nums.n(f.concluded), nums.n(f.not_accepted)),
        ),
        ("ส่งต่อหน่วยงานอื่น".to_owned(), nums.n(f.referred_by_agency.values().sum::<u64>())),
        (format!("อยู่ระหว่างดำเนินการ {when}"), nums.n(f.in_progress_at_year_end)),
        (
            "เรื่องจากปีก่อน: ยุติในปีนี้ / ยังไม่ยุติ".to_owned(),
            format!("{} / {}", nums.n(f.carried_over_closed), nums.n(f.carried_over_open)),
        ),
        (
            "คำขอ / การอนุมัติ / การปฏิเสธ / การเปิดเผยข้อมูลผู้แจ้ง (ที่ดำเนินการผ่านระบบ)".to_owned(),
            format!(
                "{} / {} / {} / {}",
                nums.n(f.audited.identity_requests),
                nums.n(f.audited.identity_approvals),
                nums.n(f.audited.identity_denials),
                nums.n(f.audited.identity_openings)
            ),
        ),
        ("บันทึกการตรวจสอบ (audit trail) ณ วันที่จัดทำรายงาน".to_owned(), audit_head_text(&data.audit_head, nums)),
    ];
    let page = ReportPage {
        title: match section {
            Section::Protection => "มาตรการคุ้มครองและปกปิดข้อมูลผู้แจ้งเบาะแส".into(),
            Section::Statistics => "สถิติเรื่องร้องเรียน".into(),
            Section::Full => "รายงานผลการดำเนินการเพื่อส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน".into(),
        },
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
        all_measures: data.measures.iter().map(|m| measure_row(m, f, nums, is_protection(m))).collect(),
        protection: data
            .measures
            .iter()
            .filter(|m| is_protection(m))
            .map(|m| measure_row(m, f, nums, true))
            .collect(),
        months: f.months.iter().map(|p| stat_row(nums.month(p.first), p, nums, f.as_of)).collect(),
        quarters: f
            .quarters
            .iter()
            .zip(quarter_names)
            .map(|(p, n)| stat_row(fix(n), p, nums, f.as_of))
            .collect(),
        halves: f.halves.iter().zip(half_names).map(|(p, n)| stat_row(fix(n), p, nums, f.as_of)).collect(),
        as_of: if f.year_complete {
            format!("ข้อมูลทั้งปีงบประมาณ ณ วันที่ {}", nums.date(f.as_of))
        } else {
            format!("ข้อมูล ณ วันที่ {} (ปีงบประมาณยังไม่สิ้นสุด)", nums.date(f.as_of))
        },
        no_corruption: track("corruption") == 0,
        no_general: track("general") == 0,
        chart: monthly_chart(f, nums),
        summary,
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
    out.push_str("period,first_day,last_day,corruption_received,corruption_concluded,corruption_in_progress,general_received,general_concluded,general_in_progress\r\n");
    for p in f.months.iter().chain(&f.quarters).chain(&f.halves) {
        let c = |x: &Counts| format!("{},{},{}", x.received, x.concluded, x.in_progress);
        let _ = write!(out, "{},{},{},{},{}\r\n", p.key, p.first, p.last, c(&p.corruption), c(&p.general));
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
        Format::Xlsx => super::office::xlsx(data, section)?,
    })
}
