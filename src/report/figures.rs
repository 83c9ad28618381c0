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

/// Serialises a date as ISO 8601 (`2026-09-30`), not as time's `[year, ordinal]` pair.
pub(crate) fn iso<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

/// One period's ITA statistics for one track. Every case is counted on the day of its event,
/// whatever year it was received in, so that brought forward + received − concluded − not accepted
/// = in progress holds for every period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Received in the period.
    pub received: u64,
    /// Concluded after consideration in the period (not the cases not accepted).
    pub concluded: u64,
    /// Answered in the period that they were not accepted for consideration.
    pub not_accepted: u64,
    /// Received by the end of the period, in any year, and not closed then.
    pub in_progress: u64,
}

/// Where a period stands on the day the figures stand on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodState {
    Complete,
    /// Begun, not ended: the counts run to the day the figures stand on.
    Running,
    /// Not begun: no figures, which is not the same as zero.
    Future,
}

#[derive(Clone, Debug, Serialize)]
pub struct Period {
    /// `2025-10` for a month, `Q1`…`Q4`, `H1`/`H2`, `FY` for the whole year.
    pub key: String,
    #[serde(serialize_with = "iso")]
    pub first: Date,
    #[serde(serialize_with = "iso")]
    pub last: Date,
    pub state: PeriodState,
    /// None for a period that has not begun.
    pub corruption: Option<Counts>,
    pub general: Option<Counts>,
}

impl Period {
    /// Both tracks together: (received, concluded), None for a period not begun.
    pub fn totals(&self) -> Option<(u64, u64)> {
        match (self.corruption, self.general) {
            (Some(a), Some(b)) => Some((a.received + b.received, a.concluded + b.concluded)),
            _ => None,
        }
    }
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
    #[serde(serialize_with = "iso")]
    pub as_of: Date,
    pub year_complete: bool,
    /// Cases of this fiscal year (received in it), every channel.
    pub received: u64,
    pub by_track: BTreeMap<String, u64>,
    pub by_channel: BTreeMap<String, u64>,
    pub by_category: BTreeMap<String, u64>,
    pub anonymous: u64,
    pub identified: u64,
    /// Of the cases received this year, those received online, split the same way.
    pub received_online: u64,
    pub online_by_track: BTreeMap<String, u64>,
    pub online_anonymous: u64,
    /// First answers (of this year's cases) on or before the deadline: acknowledgements only.
    pub acknowledged_on_time: u64,
    /// First answers on or before the deadline that told the reporter the case was not accepted.
    pub not_accepted_on_time: u64,
    /// First answers (either kind) after the deadline.
    pub answered_late: u64,
    /// Never answered and the deadline has passed by the day the figures stand on.
    pub unanswered_overdue: u64,
    /// Cases whose first answer was due: all four above.
    pub answer_due: u64,
    /// Share answered on time (acknowledged or not accepted) of the cases whose answer was due, in
    /// per cent; None when none was due.
    pub answered_on_time_percent: Option<f64>,
    /// Days from receipt to the acknowledgement, acknowledged cases of this year.
    pub median_days_to_acknowledge: Option<f64>,
    /// Days from receipt to the conclusion, cases concluded during this year.
    pub median_days_to_conclude: Option<f64>,
    /// Open on the year's first day, received in earlier years.
    pub brought_forward: u64,
    /// Concluded after consideration during the year, whatever year they were received in.
    pub concluded: u64,
    pub concluded_by_outcome: BTreeMap<String, u64>,
    pub not_accepted: u64,
    pub not_accepted_by_reason: BTreeMap<String, u64>,
    pub referred_by_agency: BTreeMap<String, u64>,
    /// Open on the day the figures stand on, earlier years' cases included: brought forward +
    /// received − concluded − not accepted.
    pub in_progress_at_year_end: u64,
    /// Of the cases brought forward, those closed during the year and those still open.
    pub carried_over_closed: u64,
    pub carried_over_open: u64,
    pub audited: Audited,
    pub months: Vec<Period>,
    pub quarters: Vec<Period>,
    pub halves: Vec<Period>,
    pub year: Period,
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

const CONCLUDED: &str = "concluded";
const NOT_ACCEPTED: &str = "not_accepted";

fn closed_between(c: &CaseFacts, status: &str, first: Date, last: Date) -> bool {
    c.status == status && c.closed_on.is_some_and(|d| d >= first && d <= last)
}

/// Counts of one period, as they stood on `as_of` (one under way counts up to that day).
fn counts(cases: &[CaseFacts], track: &str, first: Date, last: Date) -> Counts {
    let mut c = Counts::default();
    for f in cases.iter().filter(|f| f.track == track) {
        if f.received_on >= first && f.received_on <= last {
            c.received += 1;
        }
        if closed_between(f, CONCLUDED, first, last) {
            c.concluded += 1;
        }
        if closed_between(f, NOT_ACCEPTED, first, last) {
            c.not_accepted += 1;
        }
        if f.received_on <= last && f.closed_on.is_none_or(|d| d > last) {
            c.in_progress += 1;
        }
    }
    c
}

fn period(cases: &[CaseFacts], key: String, first: Date, last: Date, as_of: Date) -> Period {
    let state = if first > as_of {
        PeriodState::Future
    } else if last > as_of {
        PeriodState::Running
    } else {
        PeriodState::Complete
    };
    let end = last.min(as_of);
    let of = |t| (state != PeriodState::Future).then(|| counts(cases, t, first, end));
    Period { key, first, last, state, corruption: of("corruption"), general: of("general") }
}

/// The figures of `fy` as they stand on `as_of` (the year's last day once it has ended). `facts`
/// holds the year's cases and the earlier years' cases still open when it began.
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
    let (start, last) = (fy.first_day(), fy.last_day().min(as_of));
    // Facts known on the day the figures stand on: later events do not count, so a finished year
    // stays finished.
    let facts: Vec<CaseFacts> = facts
        .iter()
        .filter(|c| c.received_on <= last)
        .map(|c| {
            let mut c = c.clone();
            c.acknowledged_on = c.acknowledged_on.filter(|d| *d <= last);
            c.closed_on = c.closed_on.filter(|d| *d <= last);
            c
        })
        .collect();
    let this_year: Vec<&CaseFacts> = facts.iter().filter(|f| f.fiscal_year == year).collect();
    let earlier = || facts.iter().filter(|c| c.fiscal_year < year && c.closed_on.is_none_or(|d| d >= start));
    let mut f = Figures {
        fiscal_year: fy.be_year(),
        as_of: last,
        year_complete: as_of >= fy.last_day(),
        received: this_year.len() as u64,
        by_track: BTreeMap::new(),
        by_channel: BTreeMap::new(),
        by_category: BTreeMap::new(),
        anonymous: 0,
        identified: 0,
        received_online: 0,
        online_by_track: BTreeMap::new(),
        online_anonymous: 0,
        acknowledged_on_time: 0,
        not_accepted_on_time: 0,
        answered_late: 0,
        unanswered_overdue: 0,
        answer_due: 0,
        answered_on_time_percent: None,
        median_days_to_acknowledge: None,
        median_days_to_conclude: None,
        brought_forward: earlier().count() as u64,
        concluded: 0,
        concluded_by_outcome: BTreeMap::new(),
        not_accepted: 0,
        not_accepted_by_reason: BTreeMap::new(),
        referred_by_agency: BTreeMap::new(),
        in_progress_at_year_end: facts.iter().filter(|c| c.closed_on.is_none()).count() as u64,
        carried_over_closed: earlier().filter(|c| c.closed_on.is_some()).count() as u64,
        carried_over_open: earlier().filter(|c| c.closed_on.is_none()).count() as u64,
        audited,
        months: Vec::new(),
        quarters: Vec::new(),
        halves: Vec::new(),
        year: period(&facts, "FY".into(), start, fy.last_day(), last),
        measures: Vec::new(),
    };
    let mut to_ack = Vec::new();
    for c in &this_year {
        bump(&mut f.by_track, &c.track);
        bump(&mut f.by_channel, &c.channel);
        bump(&mut f.by_category, &c.category);
        if c.anonymous {
            f.anonymous += 1;
        } else {
            f.identified += 1;
        }
        if c.channel == "online" {
            f.received_online += 1;
            bump(&mut f.online_by_track, &c.track);
            if c.anonymous {
                f.online_anonymous += 1;
            }
        }
        // The first answer: an acknowledgement, or a decision not to accept the case.
        let not_accepted_on = c.closed_on.filter(|_| c.status == NOT_ACCEPTED);
        match (c.acknowledged_on, not_accepted_on) {
            (Some(d), _) if d <= c.acknowledge_due => f.acknowledged_on_time += 1,
            (None, Some(d)) if d <= c.acknowledge_due => f.not_accepted_on_time += 1,
            (Some(_), _) | (None, Some(_)) => f.answered_late += 1,
            (None, None) if c.acknowledge_due < last => f.unanswered_overdue += 1,
            (None, None) => {}
        }
        if let Some(d) = c.acknowledged_on {
            to_ack.push((d - c.received_on).whole_days());
        }
    }
    let mut to_conclude = Vec::new();
    for c in &facts {
        if closed_between(c, CONCLUDED, start, last) {
            f.concluded += 1;
            if let Some(d) = c.closed_on {
                to_conclude.push((d - c.received_on).whole_days());
            }
            if let Some(o) = &c.outcome {
                bump(&mut f.concluded_by_outcome, o);
            }
            if let Some(a) = &c.referred_to {
                bump(&mut f.referred_by_agency, a);
            }
        }
        if closed_between(c, NOT_ACCEPTED, start, last) {
            f.not_accepted += 1;
            if let Some(r) = &c.rejection_reason {
                bump(&mut f.not_accepted_by_reason, r);
            }
        }
    }
    f.answer_due = f.acknowledged_on_time + f.not_accepted_on_time + f.answered_late + f.unanswered_overdue;
    #[allow(clippy::cast_precision_loss)]
    if f.answer_due > 0 {
        f.answered_on_time_percent =
            Some((f.acknowledged_on_time + f.not_accepted_on_time) as f64 * 100.0 / f.answer_due as f64);
    }
    f.median_days_to_acknowledge = median(to_ack);
    f.median_days_to_conclude = median(to_conclude);

    let month_spans = months(fy);
    f.months = month_spans
        .iter()
        .map(|(a, b)| period(&facts, format!("{:04}-{:02}", a.year(), u8::from(a.month())), *a, *b, last))
        .collect();
    f.quarters = (0..4)
        .map(|q| period(&facts, format!("Q{}", q + 1), month_spans[q * 3].0, month_spans[q * 3 + 2].1, last))
        .collect();
    f.halves = (0..2)
        .map(|h| period(&facts, format!("H{}", h + 1), month_spans[h * 6].0, month_spans[h * 6 + 5].1, last))
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
