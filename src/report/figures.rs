//! The figures of a fiscal year, aggregated from per-case metadata. Pure: the same facts always
//! give the same figures, on SQLite and PostgreSQL alike.
use crate::domain::fiscal_year::FiscalYear;
use crate::domain::measure::{Measure, MeasureFlag};
use crate::storage::report_figures::Aggregates;
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
    fn matches(&self, channel: &str, track: &str) -> bool {
        (self.channel.is_empty() || self.channel == channel) && (self.track.is_empty() || self.track == track)
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

/// The median of a histogram of (value, count).
fn median_of(hist: &[(i64, u64)]) -> Option<f64> {
    let mut h: Vec<(i64, u64)> = hist.iter().copied().filter(|(_, n)| *n > 0).collect();
    h.sort_unstable();
    let n: u64 = h.iter().map(|(_, c)| c).sum();
    if n == 0 {
        return None;
    }
    // The values at positions (n-1)/2 and n/2 (0-based) of the sorted list.
    let at = |pos: u64| {
        let mut seen = 0;
        for (v, c) in &h {
            seen += c;
            if pos < seen {
                return *v;
            }
        }
        h.last().map_or(0, |(v, _)| *v)
    };
    #[allow(clippy::cast_precision_loss)]
    Some((at((n - 1) / 2) + at(n / 2)) as f64 / 2.0)
}

/// Counts of one period (whole months, the last cut at `end`) from the monthly aggregates.
fn counts(a: &Aggregates, track: &str, first: Date, end: Date) -> Counts {
    let mut c = Counts::default();
    let open_at_start: u64 = a.open_at_start.iter().filter(|(t, _)| t == track).map(|(_, n)| n).sum();
    let mut received_by_end = 0;
    for (t, d, n) in &a.received_by_month {
        if t == track && *d <= end {
            received_by_end += n;
            if *d >= first {
                c.received += n;
            }
        }
    }
    let mut closed_by_end = 0;
    for (t, status, d, n) in &a.closed_by_month {
        if t == track && *d <= end {
            closed_by_end += n;
            if *d >= first && status == CONCLUDED {
                c.concluded += n;
            }
            if *d >= first && status == NOT_ACCEPTED {
                c.not_accepted += n;
            }
        }
    }
    c.in_progress = (open_at_start + received_by_end).saturating_sub(closed_by_end);
    c
}

fn period(a: &Aggregates, key: String, first: Date, last: Date, as_of: Date) -> Period {
    let state = if first > as_of {
        PeriodState::Future
    } else if last > as_of {
        PeriodState::Running
    } else {
        PeriodState::Complete
    };
    let end = last.min(as_of);
    let of = |t| (state != PeriodState::Future).then(|| counts(a, t, first, end));
    Period { key, first, last, state, corruption: of("corruption"), general: of("general") }
}

/// The figures of `fy` as they stand on `as_of` (the year's last day once it has ended), from the
/// aggregates the database computed up to that day.
pub fn compute(
    fy: FiscalYear,
    as_of: Date,
    a: &Aggregates,
    measures: &[Measure],
    rules: &[LinkRule],
    audited: Audited,
) -> Figures {
    let (start, last) = (fy.first_day(), fy.last_day().min(as_of));
    let sum = |it: &mut dyn Iterator<Item = u64>| it.sum::<u64>();
    let brought_forward = sum(&mut a.open_at_start.iter().map(|(_, n)| *n));
    let received = sum(&mut a.classes.iter().map(|c| c.cases));
    let closed_in_year = sum(&mut a.closed_by_month.iter().map(|(_, _, _, n)| *n));
    let [acknowledged_on_time, not_accepted_on_time, answered_late, unanswered_overdue] = a.answers;
    let answer_due = acknowledged_on_time + not_accepted_on_time + answered_late + unanswered_overdue;
    let mut f = Figures {
        fiscal_year: fy.be_year(),
        as_of: last,
        year_complete: as_of >= fy.last_day(),
        received,
        by_track: BTreeMap::new(),
        by_channel: BTreeMap::new(),
        by_category: BTreeMap::new(),
        anonymous: 0,
        identified: 0,
        received_online: 0,
        online_by_track: BTreeMap::new(),
        online_anonymous: 0,
        acknowledged_on_time,
        not_accepted_on_time,
        answered_late,
        unanswered_overdue,
        answer_due,
        #[allow(clippy::cast_precision_loss)]
        answered_on_time_percent: (answer_due > 0)
            .then(|| (acknowledged_on_time + not_accepted_on_time) as f64 * 100.0 / answer_due as f64),
        median_days_to_acknowledge: median_of(&a.days_to_acknowledge),
        median_days_to_conclude: median_of(&a.days_to_conclude),
        brought_forward,
        concluded: 0,
        concluded_by_outcome: BTreeMap::new(),
        not_accepted: 0,
        not_accepted_by_reason: BTreeMap::new(),
        referred_by_agency: BTreeMap::new(),
        in_progress_at_year_end: (brought_forward + received).saturating_sub(closed_in_year),
        carried_over_closed: a.earlier_closed,
        carried_over_open: brought_forward.saturating_sub(a.earlier_closed),
        audited,
        months: Vec::new(),
        quarters: Vec::new(),
        halves: Vec::new(),
        year: period(a, "FY".into(), start, fy.last_day(), last),
        measures: Vec::new(),
    };
    let add = |map: &mut BTreeMap<String, u64>, key: &str, n: u64| {
        if n > 0 && !key.is_empty() {
            *map.entry(key.to_owned()).or_insert(0) += n;
        }
    };
    for c in &a.classes {
        add(&mut f.by_track, &c.track, c.cases);
        add(&mut f.by_channel, &c.channel, c.cases);
        add(&mut f.by_category, &c.category, c.cases);
        if c.anonymous {
            f.anonymous += c.cases;
        } else {
            f.identified += c.cases;
        }
        if c.channel == "online" {
            f.received_online += c.cases;
            add(&mut f.online_by_track, &c.track, c.cases);
            if c.anonymous {
                f.online_anonymous += c.cases;
            }
        }
    }
    for (status, outcome, agency, reason, n) in &a.closings {
        if status == CONCLUDED {
            f.concluded += n;
            add(&mut f.concluded_by_outcome, outcome, *n);
            add(&mut f.referred_by_agency, agency, *n);
        } else if status == NOT_ACCEPTED {
            f.not_accepted += n;
            add(&mut f.not_accepted_by_reason, reason, *n);
        }
    }

    let month_spans = months(fy);
    f.months = month_spans
        .iter()
        .map(|(x, y)| period(a, format!("{:04}-{:02}", x.year(), u8::from(x.month())), *x, *y, last))
        .collect();
    f.quarters = (0..4)
        .map(|q| period(a, format!("Q{}", q + 1), month_spans[q * 3].0, month_spans[q * 3 + 2].1, last))
        .collect();
    f.halves = (0..2)
        .map(|h| period(a, format!("H{}", h + 1), month_spans[h * 6].0, month_spans[h * 6 + 5].1, last))
        .collect();

    f.measures = measures
        .iter()
        .map(|m| {
            let by_rule = |channel: &str, track: &str| {
                rules.iter().any(|r| {
                    r.matches(channel, track)
                        && r.flags
                            .iter()
                            .any(|flag| MeasureFlag::from_code(flag).is_some_and(|flag| m.has(flag)))
                })
            };
            let ruled: u64 =
                a.classes.iter().filter(|c| by_rule(&c.channel, &c.track)).map(|c| c.cases).sum();
            let by_hand = a
                .manual_links
                .iter()
                .filter(|(n, channel, track)| *n == m.number && !by_rule(channel, track))
                .count() as u64;
            MeasureFigures { number: m.number, linked_cases: ruled + by_hand }
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
        assert_eq!(median_of(&[]), None);
        assert_eq!(median_of(&[(3, 1), (1, 1), (2, 1)]), Some(2.0));
        assert_eq!(median_of(&[(4, 1), (1, 1), (2, 1), (3, 1)]), Some(2.5));
        assert_eq!(median_of(&[(30, 2), (1, 1), (0, 0)]), Some(30.0), "counts weigh, empty bins do not");
        assert_eq!(median_of(&[(9, 1), (25, 1), (1, 1)]), Some(9.0));
        let m = months(FiscalYear::from_be(2569).unwrap());
        assert_eq!(m.len(), 12);
        assert_eq!(m[0].0, time::macros::date!(2025 - 10 - 01));
        assert_eq!(m[3].1, time::macros::date!(2026 - 01 - 31));
        assert_eq!(m[4].1, time::macros::date!(2026 - 02 - 28));
        assert_eq!(m[11].1, time::macros::date!(2026 - 09 - 30));
    }
}
