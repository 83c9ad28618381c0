//! The annual figures' aggregates from one `GROUP BY` scan of a covering index over the fiscal year
//! (and the earlier years' cases still open) instead of reading every case. Dates are ISO text,
//! which compares in date order on both backends.
use super::StorageError;
use crate::domain::fiscal_year::FiscalYear;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;
use time::Date;

const CONCLUDED: &str = "concluded";
const NOT_ACCEPTED: &str = "not_accepted";

fn day(s: &str) -> Result<Date, StorageError> {
    Date::parse(s, &time::format_description::well_known::Iso8601::DATE)
        .map_err(|_| StorageError::Corrupt("date"))
}

fn count(r: &sqlx::any::AnyRow, i: usize) -> Result<u64, StorageError> {
    u64::try_from(r.try_get::<i64, _>(i)?).map_err(|_| StorageError::Corrupt("count"))
}

/// This year's cases received by the day the figures stand on, by kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassRow {
    pub track: String,
    pub channel: String,
    pub category: String,
    pub anonymous: bool,
    pub cases: u64,
}

/// What the figures of a year need, every count bounded by the day they stand on (`last`).
#[derive(Clone, Debug, Default)]
pub struct Aggregates {
    pub classes: Vec<ClassRow>,
    /// (track, first day of the month, cases received that month), this year's cases.
    pub received_by_month: Vec<(String, Date, u64)>,
    /// (track, status, first day of the month, cases closed that month): this year's cases and
    /// earlier ones open at its start.
    pub closed_by_month: Vec<(String, String, Date, u64)>,
    /// (track, earlier years' cases open on the year's first day).
    pub open_at_start: Vec<(String, u64)>,
    /// Of those, closed by `last`.
    pub earlier_closed: u64,
    /// acknowledged on time, declined on time, answered late, unanswered and overdue.
    pub answers: [u64; 4],
    /// (days from receipt to acknowledgement, cases), this year's cases.
    pub days_to_acknowledge: Vec<(i64, u64)>,
    /// (days from receipt to conclusion, cases), cases concluded in the year.
    pub days_to_conclude: Vec<(i64, u64)>,
    /// (status, outcome, agency, reason, cases) of the closings in the year.
    pub closings: Vec<(String, String, String, String, u64)>,
    /// (measure number, channel, track) of this year's cases that officers linked by hand.
    pub manual_links: Vec<(u32, String, String)>,
    /// How many groups the scan returned (the benchmark prints it: many groups would cost time).
    pub groups: usize,
}

/// Adds `n` under `key`.
fn add<K: Ord>(map: &mut BTreeMap<K, u64>, key: K, n: u64) {
    *map.entry(key).or_insert(0) += n;
}

/// The cases every figure of the year draws on, counted by everything a figure looks at: this
/// year's cases received by `last`, and earlier years' cases still open on its first day. The
/// grouping columns are those of the covering index `cases_report`, in its order, so the database
/// reads the index alone and counts each run of equal rows as it passes, without sorting; the
/// figures are then folded from the groups here.
const ONE_SCAN: &str = "SELECT fiscal_year, received_on, track, channel, category, CAST(anonymous AS INTEGER), \
     status, acknowledged_on, acknowledge_due, closed_on, outcome, referred_to, rejection_reason, COUNT(*) \
     FROM cases WHERE fiscal_year <= $1 AND received_on <= $2 \
     AND (fiscal_year = $1 OR closed_on IS NULL OR closed_on >= $3) \
     GROUP BY fiscal_year, received_on, track, channel, category, anonymous, status, acknowledged_on, \
     acknowledge_due, closed_on, outcome, referred_to, rejection_reason";

/// The first day of `d`'s month: every period of the report is whole months cut at `last`.
fn month_of(d: Date) -> Date {
    d.replace_day(1).unwrap_or(d)
}

pub async fn aggregates(
    conn: &mut AnyConnection,
    fy: FiscalYear,
    last: Date,
) -> Result<Aggregates, StorageError> {
    let year = i64::from(fy.be_year());
    let start = fy.first_day();
    let rows = sqlx::query(ONE_SCAN)
        .bind(year)
        .bind(last.to_string())
        .bind(start.to_string())
        .fetch_all(&mut *conn)
        .await?;
    let mut classes = BTreeMap::new();
    let mut received_by_month = BTreeMap::new();
    let mut closed_by_month = BTreeMap::new();
    let mut open_at_start = BTreeMap::new();
    let mut days_to_acknowledge = BTreeMap::new();
    let mut days_to_conclude = BTreeMap::new();
    let mut closings = BTreeMap::new();
    let mut a = Aggregates { groups: rows.len(), ..Aggregates::default() };
    let opt_day = |r: &sqlx::any::AnyRow, i: usize| -> Result<Option<Date>, StorageError> {
        r.try_get::<Option<String>, _>(i)?.map(|s| day(&s)).transpose()
    };
    let text =
        |r: &sqlx::any::AnyRow, i: usize| r.try_get::<Option<String>, _>(i).map(Option::unwrap_or_default);
    for r in &rows {
        let this_year = r.try_get::<i64, _>(0)? == year;
        let received = day(&r.try_get::<String, _>(1)?)?;
        let track: String = r.try_get(2)?;
        let status: String = r.try_get(6)?;
        let acknowledged = opt_day(r, 7)?.filter(|d| *d <= last);
        let due = day(&r.try_get::<String, _>(8)?)?;
        let closed = opt_day(r, 9)?;
        let closed_in_year = closed.filter(|d| *d >= start && *d <= last);
        let n = count(r, 13)?;
        if this_year {
            let anonymous = r.try_get::<i64, _>(5)? != 0;
            add(&mut classes, (track.clone(), text(r, 3)?, text(r, 4)?, anonymous), n);
            add(&mut received_by_month, (track.clone(), month_of(received)), n);
            // The first answer: an acknowledgement, else a decision not to accept, by `last`.
            let declined = if status == NOT_ACCEPTED { closed.filter(|d| *d <= last) } else { None };
            let answer = match (acknowledged, declined) {
                (Some(d), _) if d <= due => Some(0),
                (None, Some(d)) if d <= due => Some(1),
                (Some(_), _) | (None, Some(_)) => Some(2),
                (None, None) if due < last => Some(3),
                (None, None) => None,
            };
            if let Some(slot) = answer {
                a.answers[slot] += n;
            }
            if let Some(d) = acknowledged {
                add(&mut days_to_acknowledge, (d - received).whole_days(), n);
            }
        } else {
            add(&mut open_at_start, track.clone(), n);
            if closed_in_year.is_some() {
                a.earlier_closed += n;
            }
        }
        if let Some(d) = closed_in_year {
            add(&mut closed_by_month, (track, status.clone(), month_of(d)), n);
            if status == CONCLUDED {
                add(&mut days_to_conclude, (d - received).whole_days(), n);
            }
            if status == CONCLUDED || status == NOT_ACCEPTED {
                add(&mut closings, (status, text(r, 10)?, text(r, 11)?, text(r, 12)?), n);
            }
        }
    }
    a.classes = classes
        .into_iter()
        .map(|((track, channel, category, anonymous), cases)| ClassRow {
            track,
            channel,
            category,
            anonymous,
            cases,
        })
        .collect();
    a.received_by_month = received_by_month.into_iter().map(|((t, d), n)| (t, d, n)).collect();
    a.closed_by_month = closed_by_month.into_iter().map(|((t, s, d), n)| (t, s, d, n)).collect();
    a.open_at_start = open_at_start.into_iter().collect();
    a.days_to_acknowledge = days_to_acknowledge.into_iter().collect();
    a.days_to_conclude = days_to_conclude.into_iter().collect();
    a.closings = closings.into_iter().map(|((s, o, g, r), n)| (s, o, g, r, n)).collect();

    let rows = sqlx::query(
        "SELECT DISTINCT m.number, c.id, c.channel, c.track FROM case_measures l \
         JOIN measures m ON m.id = l.measure_id JOIN cases c ON c.id = l.case_id \
         WHERE m.fiscal_year = $1 AND c.fiscal_year = $1 AND c.received_on <= $2",
    )
    .bind(year)
    .bind(last.to_string())
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        let number = u32::try_from(r.try_get::<i64, _>(0)?).map_err(|_| StorageError::Corrupt("number"))?;
        a.manual_links.push((number, r.try_get(2)?, r.try_get(3)?));
    }
    Ok(a)
}

/// The benchmark's yardstick: one `GROUP BY` scan over the same year.
pub async fn one_group_by_scan(conn: &mut AnyConnection, fy: FiscalYear) -> Result<u64, StorageError> {
    let rows = sqlx::query(
        "SELECT track, status, COUNT(*) FROM cases WHERE fiscal_year = $1 GROUP BY track, status",
    )
    .bind(i64::from(fy.be_year()))
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| count(r, 2)).sum()
}
