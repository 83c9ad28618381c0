//! Integrity measures of a fiscal year, as the annual report publishes them. The period defaults to
//! the fiscal year and must lie inside it, so a report cannot mix years.
use super::fiscal_year::FiscalYear;
use serde::{Deserialize, Serialize};
use time::Date;

vocabulary! {
    /// What a measure is about; flags decide which measures the protection section shows and which
    /// cases are linked to a measure by rule.
    MeasureFlag {
        OnlineChannel = "online_channel", "ช่องทางร้องเรียนออนไลน์", "Online complaint channel";
        ReporterProtection = "reporter_protection", "คุ้มครองผู้แจ้งเบาะแส", "Reporter protection";
        BudgetTransparency = "budget_transparency", "ความโปร่งใสของงบประมาณ", "Budget transparency";
        Procurement = "procurement", "การจัดซื้อจัดจ้าง", "Procurement";
        AntiCorruptionSanctions = "anti_corruption_sanctions", "มาตรการลงโทษการทุจริต", "Sanctions against corruption";
    }
}

/// A measure as written in a measures file (`config/measures/<year>.toml`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureInput {
    pub number: u32,
    pub title: String,
    #[serde(default)]
    pub steps: Vec<String>,
    #[serde(default)]
    pub responsible_units: Vec<String>,
    #[serde(default)]
    pub responsible_text: String,
    /// Defaults to the fiscal year's first day.
    #[serde(default)]
    pub period_start: Option<String>,
    /// Defaults to the fiscal year's last day.
    #[serde(default)]
    pub period_end: Option<String>,
    #[serde(default)]
    pub output: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub flags: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasuresFile {
    pub fiscal_year: i64,
    pub measure: Vec<MeasureInput>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Measure {
    pub fiscal_year: FiscalYear,
    pub number: u32,
    pub title: String,
    pub steps: Vec<String>,
    pub responsible_units: Vec<String>,
    pub responsible_text: String,
    pub period_start: Date,
    pub period_end: Date,
    pub output: String,
    pub outcome: String,
    pub flags: Vec<MeasureFlag>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MeasureError {
    #[error("fiscal year {0} is out of range")]
    FiscalYear(i64),
    #[error("measure {0}: the number must be 1-99 and unique")]
    Number(u32),
    #[error("measure {0}: the title is empty or longer than 1000 characters")]
    Title(u32),
    #[error("measure {number}: unknown unit `{unit}`")]
    Unit { number: u32, unit: String },
    #[error("measure {number}: unknown flag `{flag}`")]
    Flag { number: u32, flag: String },
    #[error("measure {number}: `{date}` is not a date (YYYY-MM-DD)")]
    Date { number: u32, date: String },
    #[error("measure {number}: the period {start}..{end} is not inside fiscal year {year} ({first}..{last})")]
    Period { number: u32, start: Date, end: Date, year: u16, first: Date, last: Date },
    #[error("measure {0}: a text is longer than 5000 characters")]
    TooLong(u32),
    #[error("measure {number}: unknown placeholder `{{{name}}}`")]
    Placeholder { number: u32, name: String },
}

/// The figures a measure's output and outcome may name as `{name}`: the report fills them in.
/// Each says what it counts in the report's footnotes.
pub const PLACEHOLDERS: &[&str] = &[
    "fiscal_year",
    "received",
    "received_corruption",
    "received_general",
    "anonymous",
    "identified",
    "received_online",
    "online_corruption",
    "online_general",
    "online_anonymous",
    "acknowledged_on_time",
    "not_accepted_on_time",
    "answered_on_time",
    "answered_late",
    "unanswered_overdue",
    "answer_due",
    "answered_on_time_percent",
    "median_days_to_acknowledge",
    "median_days_to_conclude",
    "brought_forward",
    "concluded",
    "not_accepted",
    "in_progress",
    "as_of",
    "when",
    "linked_cases",
    "identity_requests",
    "identity_openings",
];

/// The first `{name}` in `text` that is not a known placeholder. A brace not followed by a name
/// and a closing brace is plain text.
pub fn unknown_placeholder(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                let looks_like_name = !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if looks_like_name && !PLACEHOLDERS.contains(&name) {
                    return Some(name.to_owned());
                }
                // After a name, go on past it; after a stray brace, from the next character, so
                // the brace cannot hide a `{name}` that follows it (`{ {recieved}`).
                rest = if looks_like_name { &after[close + 1..] } else { after };
            }
            None => return None,
        }
    }
    None
}

fn date(number: u32, s: &str) -> Result<Date, MeasureError> {
    Date::parse(s.trim(), &time::format_description::well_known::Iso8601::DATE)
        .map_err(|_| MeasureError::Date { number, date: s.to_owned() })
}

impl Measure {
    /// Checks a measure against its fiscal year and the configured units.
    pub fn parse(
        fiscal_year: FiscalYear,
        input: &MeasureInput,
        units: &[&str],
    ) -> Result<Self, MeasureError> {
        let n = input.number;
        if !(1..=99).contains(&n) {
            return Err(MeasureError::Number(n));
        }
        let title = input.title.trim().to_owned();
        if title.is_empty() || title.chars().count() > 1000 {
            return Err(MeasureError::Title(n));
        }
        let long = |s: &str| s.chars().count() > 5000;
        if long(&input.output) || long(&input.outcome) || input.steps.iter().any(|s| long(s)) {
            return Err(MeasureError::TooLong(n));
        }
        for text in [&input.output, &input.outcome] {
            if let Some(name) = unknown_placeholder(text) {
                return Err(MeasureError::Placeholder { number: n, name });
            }
        }
        for unit in &input.responsible_units {
            if !units.contains(&unit.as_str()) {
                return Err(MeasureError::Unit { number: n, unit: unit.clone() });
            }
        }
        let flags = input
            .flags
            .iter()
            .map(|f| {
                MeasureFlag::from_code(f).ok_or_else(|| MeasureError::Flag { number: n, flag: f.clone() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let start = match &input.period_start {
            Some(s) => date(n, s)?,
            None => fiscal_year.first_day(),
        };
        let end = match &input.period_end {
            Some(s) => date(n, s)?,
            None => fiscal_year.last_day(),
        };
        if start > end || !fiscal_year.contains(start) || !fiscal_year.contains(end) {
            return Err(MeasureError::Period {
                number: n,
                start,
                end,
                year: fiscal_year.be_year(),
                first: fiscal_year.first_day(),
                last: fiscal_year.last_day(),
            });
        }
        Ok(Self {
            fiscal_year,
            number: n,
            title,
            steps: input.steps.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
            responsible_units: input.responsible_units.clone(),
            responsible_text: input.responsible_text.trim().to_owned(),
            period_start: start,
            period_end: end,
            output: input.output.trim().to_owned(),
            outcome: input.outcome.trim().to_owned(),
            flags,
        })
    }

    pub fn has(&self, flag: MeasureFlag) -> bool {
        self.flags.contains(&flag)
    }
}

/// Parses a whole measures file; numbers must be unique.
pub fn parse_file(file: &MeasuresFile, units: &[&str]) -> Result<Vec<Measure>, MeasureError> {
    let fy = FiscalYear::from_be(file.fiscal_year).map_err(|_| MeasureError::FiscalYear(file.fiscal_year))?;
    let mut out: Vec<Measure> = Vec::new();
    for input in &file.measure {
        let m = Measure::parse(fy, input, units)?;
        if out.iter().any(|o| o.number == m.number) {
            return Err(MeasureError::Number(m.number));
        }
        out.push(m);
    }
    out.sort_by_key(|m| m.number);
    Ok(out)
}

/// The same measures for the next fiscal year: periods move to the new year (the default span when
/// the old one was the whole year), texts stay for the administrator to update.
pub fn copy_forward(measures: &[Measure], to: FiscalYear) -> Vec<Measure> {
    measures
        .iter()
        .map(|m| {
            let whole_year =
                m.period_start == m.fiscal_year.first_day() && m.period_end == m.fiscal_year.last_day();
            let shift = |d: Date| {
                let years = i32::from(to.be_year()) - i32::from(m.fiscal_year.be_year());
                d.replace_year(d.year() + years).unwrap_or_else(|_| to.last_day())
            };
            let (start, end) = if whole_year {
                (to.first_day(), to.last_day())
            } else {
                (shift(m.period_start), shift(m.period_end))
            };
            Measure { fiscal_year: to, period_start: start, period_end: end, ..m.clone() }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn an_unknown_placeholder_is_named_and_braces_of_text_pass() {
        assert_eq!(unknown_placeholder("รับ {received} เรื่อง"), None);
        assert_eq!(unknown_placeholder("รับ {recieved} เรื่อง"), Some("recieved".into()));
        assert_eq!(unknown_placeholder("{ ข้อความ } และ {"), None);
        // Found by the `placeholders` fuzz target: a stray brace hid the typo after it.
        assert_eq!(unknown_placeholder("รับ { {recieved} เรื่อง"), Some("recieved".into()));
        assert_eq!(unknown_placeholder("{a{received}b} {x{in_progres}"), Some("in_progres".into()));
        let fy = FiscalYear::from_be(2569).unwrap();
        let bad = MeasureInput { outcome: "{in_progres} เรื่อง".into(), ..input() };
        assert_eq!(
            Measure::parse(fy, &bad, &["palad"]),
            Err(MeasureError::Placeholder { number: 5, name: "in_progres".into() })
        );
    }

    fn input() -> MeasureInput {
        MeasureInput {
            number: 5,
            title: "ช่องทางร้องเรียนออนไลน์".into(),
            steps: vec!["จัดทำช่องทาง".into()],
            responsible_units: vec!["palad".into()],
            responsible_text: "สำนักปลัด".into(),
            period_start: None,
            period_end: None,
            output: "".into(),
            outcome: "".into(),
            flags: vec!["online_channel".into(), "reporter_protection".into()],
        }
    }

    #[test]
    fn the_period_defaults_to_the_fiscal_year() {
        let fy = FiscalYear::from_be(2568).unwrap();
        let m = Measure::parse(fy, &input(), &["palad"]).unwrap();
        assert_eq!((m.period_start, m.period_end), (date!(2024 - 10 - 01), date!(2025 - 09 - 30)));
        assert!(m.has(MeasureFlag::ReporterProtection));
    }

    #[test]
    fn a_period_from_another_year_is_refused() {
        // The seed report for FY 2568 states "ตุลาคม ๒๕๖๘ - กันยายน ๒๕๖๙", which is FY 2569.
        let fy = FiscalYear::from_be(2568).unwrap();
        let mut i = input();
        i.period_start = Some("2025-10-01".into());
        i.period_end = Some("2026-09-30".into());
        assert!(matches!(Measure::parse(fy, &i, &["palad"]), Err(MeasureError::Period { .. })));
        i.flags = vec!["nonsense".into()];
        assert!(matches!(Measure::parse(fy, &i, &["palad"]), Err(MeasureError::Flag { .. })));
    }

    #[test]
    fn copying_forward_moves_whole_year_periods() {
        let fy = FiscalYear::from_be(2568).unwrap();
        let m = Measure::parse(fy, &input(), &["palad"]).unwrap();
        let next = copy_forward(&[m], FiscalYear::from_be(2569).unwrap());
        assert_eq!(
            (next[0].period_start, next[0].period_end),
            (date!(2025 - 10 - 01), date!(2026 - 09 - 30))
        );
    }
}
