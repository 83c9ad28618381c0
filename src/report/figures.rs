//! The figures of a fiscal year, aggregated from per-case metadata. Pure: the same facts always
//! give the same figures, on SQLite and PostgreSQL alike.
use crate::domain::fiscal_year::FiscalYear;
use crate::domain::measure::{Measure, MeasureFlag};
use crate::storage::measures::CaseFacts;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::{Date, Month};

/// A rule that links cases to the year's measures carrying a flag.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRule {
    /// `online`, `walk_in`, … or empty for any channel.
    #[serde(default)]
    pub channel: String,
    /// `corruption`, `general` or empty for any track.
    #[serde(default)]
    pub track: String,
    pub flags: Vec<String>,
}

impl LinkRule {
    fn matches(&self, c: &CaseFacts) -> bool {
        (self.channel.is_empty() || self.channel == c.channel)
            && (self.track.is_empty() || self.track == c.track)
    }
}

/// Counts taken from the audit trail.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Audited {
    pub identity_requests: i64,
    pub identity_approvals: i64,
    pub identity_denials: i64,
    pub identity_openings: i64,
    pub evidence_cleaned: i64,
}

/// One period's ITA statistics for one track.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub received: u64,
    pub concluded: u64,
    /// Received by the end of the period and not yet closed then.
    pub in_progress: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Period {
    /// `2025-10` for a month, `Q1`…`Q4`, `H1`/`H2`.
    pub key: String,
    pub first: Date,
    pub last: Date,
    pub corruption: Counts,
    pub general: Counts,
}

#[derive(Clone, Debug, Serialize)]
pub struct MeasureFigures {
    pub number: u32,
    pub linked_cases: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Figures {
    pub fiscal_year: u16,
    /// The day the figures stand on: the year's last day once it has ended, else the day of the report.
    pub as_of: Date,
    pub year_complete: bool,
    pub received: u64,
    pub by_track: BTreeMap<String, u64>,
    pub by_channel: BTreeMap<String, u64>,
    pub by_category: BTreeMap<String, u64>,
    pub received_online: u64,
    pub anonymous: u64,
    pub identified: u64,
    /// First response (acknowledgement, or a decision not to accept) on or before the deadline.
    pub acknowledged_on_time: u64,
    pub acknowledged_late: u64,
    /// Never answered and the deadline has passed by the end of the year.
    pub unacknowledged_overdue: u64,
    /// Share answered on time of all cases whose acknowledgement was due (answered, or unanswered and
    /// overdue), in per cent; None when none was due.
    pub acknowledged_on_time_percent: Option<f64>,
    pub median_days_to_acknowledge: Option<f64>,
    pub median_days_to_conclude: Option<f64>,
    pub concluded: u64,
    pub concluded_by_outcome: BTreeMap<String, u64>,
    pub not_accepted: u64,
    pub not_accepted_by_reason: BTreeMap<String, u64>,
    pub referred_by_agency: BTreeMap<String, u64>,
    pub in_progress_at_year_end: u64,
    /// Cases from earlier years closed during this one.
    pub carried_over_closed: u64,
    /// Cases from earlier years still open at the end of this one (the backlog).
    pub carried_over_open: u64,
    pub audited: Audited,
    pub months: Vec<Period>,
    pub quarters: Vec<Period>,
    pub halves: Vec<Period>,
    pub measures: Vec<MeasureFigures>,
}

fn median(mut v: Vec<i64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    #[allow(clippy::cast_precision_loss)]
    let m = if n % 2 == 1 { v[n / 2] as f64 } else { (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0 };
    Some(m)
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    *map.entry(key.to_owned()).or_insert(0) += 1;
}

/// The twelve months of a fiscal year, October first.
pub fn months(fy: FiscalYear) -> Vec<(Date, Date)> {
    let mut out = Vec::with_capacity(12);
    let mut first = fy.first_day();
    for _ in 0..12 {
        let next = if first.month() == Month::December {
            Date::from_calendar_date(first.year() + 1, Month::January, 1)
        } else {
            Date::from_calendar_date(first.year(), first.month().next(), 1)
        }
        .unwrap_or(fy.last_day());
        let last = next.previous_day().unwrap_or(next);
        out.push((first, last));
        first = next;
    }
    out
}

/// Counts of one period, as they stood on `as_of` (a period not yet begun counts nothing; one under
/// way counts up to today).
fn counts(cases: &[&CaseFacts], track: &str, first: Date, last: Date, as_of: Date) -> Counts {
    let mut c = Counts::default();
    if first > as_of {
        return c;
    }
    let last = last.min(as_of);
    for f in cases.iter().filter(|f| f.track == track) {
        if f.received_on >= first && f.received_on <= last {
            c.received += 1;
        }
        if f.closed_on.is_some_and(|d| d >= first && d <= last) {
            c.concluded += 1;
        }
        if f.received_on <= last && f.closed_on.is_none_or(|d| d > last) {
            c.in_progress += 1;
        }
    }
    c
}

fn period(cases: &[&CaseFacts], key: String, first: Date, last: Date, as_of: Date) -> Period {
    Period {
        key,
        first,
        last,
        corruption: counts(cases, "corruption", first, last, as_of),
        general: counts(cases, "general", first, last, as_of),
    }
}

/// The figures of `fy` as they stand on `as_of` (the year's last day once it has ended).
pub fn compute(
    fy: FiscalYear,
    as_of: Date,
    facts: &[CaseFacts],
    measures: &[Measure],
    manual_links: &[(i64, u32)],
    rules: &[LinkRule],
    audited: Audited,
) -> Figures {
    let year = i64::from(fy.be_year());
    let last = fy.last_day().min(as_of);
    let this_year: Vec<&CaseFacts> = facts.iter().filter(|f| f.fiscal_year == year).collect();
    let mut f = Figures {
        fiscal_year: fy.be_year(),
        as_of: last,
        year_complete: as_of >= fy.last_day(),
        received: this_year.len() as u64,
        by_track: BTreeMap::new(),
        by_channel: BTreeMap::new(),
        by_category: BTreeMap::new(),
        received_online: 0,
        anonymous: 0,
        identified: 0,
        acknowledged_on_time: 0,
        acknowledged_late: 0,
        unacknowledged_overdue: 0,
        acknowledged_on_time_percent: None,
        median_days_to_acknowledge: None,
        median_days_to_conclude: None,
        concluded: 0,
        concluded_by_outcome: BTreeMap::new(),
        not_accepted: 0,
        not_accepted_by_reason: BTreeMap::new(),
        referred_by_agency: BTreeMap::new(),
        in_progress_at_year_end: 0,
        carried_over_closed: facts
            .iter()
            .filter(|c| c.fiscal_year < year && c.closed_on.is_some_and(|d| d >= fy.first_day() && d <= last))
            .count() as u64,
        carried_over_open: facts
            .iter()
            .filter(|c| c.fiscal_year < year && c.closed_on.is_none_or(|d| d > last))
            .count() as u64,
        audited,
        months: Vec::new(),
        quarters: Vec::new(),
        halves: Vec::new(),
        measures: Vec::new(),
    };
    let mut to_ack = Vec::new();
    let mut to_conclude = Vec::new();
    for c in &this_year {
        bump(&mut f.by_track, &c.track);
        bump(&mut f.by_channel, &c.channel);
        bump(&mut f.by_category, &c.category);
        if c.channel == "online" {
            f.received_online += 1;
        }
        if c.anonymous {
            f.anonymous += 1;
        } else {
            f.identified += 1;
        }
        // The first answer: an acknowledgement, or a decision not to accept the case.
        // Answers after the day the figures stand on do not count, so a finished year stays finished.
        let answered =
            c.acknowledged_on.or(c.closed_on.filter(|_| c.status == "not_accepted")).filter(|d| *d <= last);
        match answered {
            Some(d) if d <= c.acknowledge_due => f.acknowledged_on_time += 1,
            Some(_) => f.acknowledged_late += 1,
            None if c.acknowledge_due < last => f.unacknowledged_overdue += 1,
            None => {}
        }
        if let Some(d) = answered {
            to_ack.push((d - c.received_on).whole_days());
        }
        let closed_in_year = c.closed_on.filter(|d| *d <= last);
        match (c.status.as_str(), closed_in_year) {
            ("concluded", Some(d)) => {
                f.concluded += 1;
                to_conclude.push((d - c.received_on).whole_days());
                if let Some(o) = &c.outcome {
                    bump(&mut f.concluded_by_outcome, o);
                }
                if let Some(a) = &c.referred_to {
                    bump(&mut f.referred_by_agency, a);
                }
            }
            ("not_accepted", Some(_)) => {
                f.not_accepted += 1;
                if let Some(r) = &c.rejection_reason {
                    bump(&mut f.not_accepted_by_reason, r);
                }
            }
            _ => f.in_progress_at_year_end += 1,
        }
    }
    let due = f.acknowledged_on_time + f.acknowledged_late + f.unacknowledged_overdue;
    #[allow(clippy::cast_precision_loss)]
    if due > 0 {
        f.acknowledged_on_time_percent = Some(f.acknowledged_on_time as f64 * 100.0 / due as f64);
    }
    f.median_days_to_acknowledge = median(to_ack);
    f.median_days_to_conclude = median(to_conclude);

    let month_spans = months(fy);
    f.months = month_spans
        .iter()
        .map(|(a, b)| period(&this_year, format!("{:04}-{:02}", a.year(), u8::from(a.month())), *a, *b, last))
        .collect();
    f.quarters = (0..4)
        .map(|q| {
            period(&this_year, format!("Q{}", q + 1), month_spans[q * 3].0, month_spans[q * 3 + 2].1, last)
        })
        .collect();
    f.halves = (0..2)
        .map(|h| {
            period(&this_year, format!("H{}", h + 1), month_spans[h * 6].0, month_spans[h * 6 + 5].1, last)
        })
        .collect();

    f.measures = measures
        .iter()
        .map(|m| {
            let by_rule = |c: &CaseFacts| {
                rules.iter().any(|r| {
                    r.matches(c)
                        && r.flags
                            .iter()
                            .any(|flag| MeasureFlag::from_code(flag).is_some_and(|flag| m.has(flag)))
                })
            };
            let linked = this_year
                .iter()
                .filter(|c| by_rule(c) || manual_links.iter().any(|(id, n)| *id == c.id && *n == m.number))
                .count() as u64;
            MeasureFigures { number: m.number, linked_cases: linked }
        })
        .collect();
    f
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_months() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3, 1, 2]), Some(2.0));
        assert_eq!(median(vec![4, 1, 2, 3]), Some(2.5));
        let m = months(FiscalYear::from_be(2569).unwrap());
        assert_eq!(m.len(), 12);
        assert_eq!(m[0].0, time::macros::date!(2025 - 10 - 01));
        assert_eq!(m[3].1, time::macros::date!(2026 - 01 - 31));
        assert_eq!(m[4].1, time::macros::date!(2026 - 02 - 28));
        assert_eq!(m[11].1, time::macros::date!(2026 - 09 - 30));
    }
}
