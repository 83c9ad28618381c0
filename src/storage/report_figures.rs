//! The annual figures' aggregates, computed by the database: a handful of `GROUP BY` queries over
//! one fiscal year instead of reading every case. Dates are ISO text, which compares in date order
//! on both backends; day differences need one expression per backend.
use super::{Backend, StorageError};
use crate::domain::fiscal_year::FiscalYear;
use sqlx::{AnyConnection, Row};
use time::Date;

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
    /// (track, day, cases received that day), this year's cases.
    pub received_by_day: Vec<(String, Date, u64)>,
    /// (track, status, day, cases closed that day): this year's cases and earlier ones open at its start.
    pub closed_by_day: Vec<(String, String, Date, u64)>,
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
}

fn diff(backend: Backend, later: &str) -> String {
    match backend {
        Backend::Sqlite => format!("CAST(julianday({later}) - julianday(received_on) AS INTEGER)"),
        Backend::Postgres => format!("CAST(CAST({later} AS DATE) - CAST(received_on AS DATE) AS BIGINT)"),
    }
}

pub async fn aggregates(
    conn: &mut AnyConnection,
    backend: Backend,
    fy: FiscalYear,
    last: Date,
) -> Result<Aggregates, StorageError> {
    let year = i64::from(fy.be_year());
    let (start, last) = (fy.first_day().to_string(), last.to_string());
    let mut a = Aggregates::default();

    let rows = sqlx::query(
        "SELECT track, channel, category, CAST(anonymous AS INTEGER), COUNT(*) FROM cases \
         WHERE fiscal_year = $1 AND received_on <= $2 GROUP BY track, channel, category, anonymous",
    )
    .bind(year)
    .bind(last.clone())
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        a.classes.push(ClassRow {
            track: r.try_get(0)?,
            channel: r.try_get(1)?,
            category: r.try_get(2)?,
            anonymous: r.try_get::<i64, _>(3)? != 0,
            cases: count(r, 4)?,
        });
    }

    let rows = sqlx::query(
        "SELECT track, received_on, COUNT(*) FROM cases WHERE fiscal_year = $1 AND received_on <= $2 \
         GROUP BY track, received_on",
    )
    .bind(year)
    .bind(last.clone())
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        a.received_by_day.push((r.try_get(0)?, day(&r.try_get::<String, _>(1)?)?, count(r, 2)?));
    }

    // Closings of this year's cases and of earlier cases open at its start: closed_on >= start.
    let rows = sqlx::query(
        "SELECT track, status, closed_on, COUNT(*) FROM cases WHERE fiscal_year <= $1 AND received_on <= $2 \
         AND closed_on IS NOT NULL AND closed_on >= $3 AND closed_on <= $2 GROUP BY track, status, closed_on",
    )
    .bind(year)
    .bind(last.clone())
    .bind(start.clone())
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        a.closed_by_day.push((r.try_get(0)?, r.try_get(1)?, day(&r.try_get::<String, _>(2)?)?, count(r, 3)?));
    }

    let rows = sqlx::query(
        "SELECT track, COUNT(*), SUM(CASE WHEN closed_on IS NOT NULL AND closed_on <= $3 THEN 1 ELSE 0 END) \
         FROM cases WHERE fiscal_year < $1 AND (closed_on IS NULL OR closed_on >= $2) GROUP BY track",
    )
    .bind(year)
    .bind(start.clone())
    .bind(last.clone())
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        a.open_at_start.push((r.try_get(0)?, count(r, 1)?));
        a.earlier_closed += count(r, 2)?;
    }

    // The first answer of each of this year's cases: an acknowledgement, else a decision not to accept.
    let row = sqlx::query(
        "SELECT \
         COALESCE(SUM(CASE WHEN ack <= $2 AND ack <= acknowledge_due THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN ack > $2 AND dec <= $2 AND dec <= acknowledge_due THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN (ack <= $2 AND ack > acknowledge_due) \
                   OR (ack > $2 AND dec <= $2 AND dec > acknowledge_due) THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN ack > $2 AND dec > $2 AND acknowledge_due < $2 THEN 1 ELSE 0 END), 0) \
         FROM (SELECT acknowledge_due, COALESCE(acknowledged_on, '9999-12-31') AS ack, \
               CASE WHEN status = 'not_accepted' THEN COALESCE(closed_on, '9999-12-31') ELSE '9999-12-31' END AS dec \
               FROM cases WHERE fiscal_year = $1 AND received_on <= $2) AS answers",
    )
    .bind(year)
    .bind(last.clone())
    .fetch_one(&mut *conn)
    .await?;
    a.answers = [count(&row, 0)?, count(&row, 1)?, count(&row, 2)?, count(&row, 3)?];

    let ack = diff(backend, "acknowledged_on");
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ack}, COUNT(*) FROM cases WHERE fiscal_year = $1 AND received_on <= $2 \
         AND acknowledged_on IS NOT NULL AND acknowledged_on <= $2 GROUP BY {ack}"
    )))
    .bind(year)
    .bind(last.clone())
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        a.days_to_acknowledge.push((r.try_get(0)?, count(r, 1)?));
    }
    let closed = diff(backend, "closed_on");
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {closed}, COUNT(*) FROM cases WHERE fiscal_year <= $1 AND status = 'concluded' \
         AND closed_on >= $3 AND closed_on <= $2 GROUP BY {closed}"
    )))
    .bind(year)
    .bind(last.clone())
    .bind(start.clone())
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        a.days_to_conclude.push((r.try_get(0)?, count(r, 1)?));
    }

    let rows = sqlx::query(
        "SELECT status, COALESCE(outcome, ''), COALESCE(referred_to, ''), COALESCE(rejection_reason, ''), COUNT(*) \
         FROM cases WHERE fiscal_year <= $1 AND status IN ('concluded', 'not_accepted') \
         AND closed_on >= $3 AND closed_on <= $2 GROUP BY status, outcome, referred_to, rejection_reason",
    )
    .bind(year)
    .bind(last.clone())
    .bind(start)
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        a.closings.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, count(r, 4)?));
    }

    let rows = sqlx::query(
        "SELECT DISTINCT m.number, c.id, c.channel, c.track FROM case_measures l \
         JOIN measures m ON m.id = l.measure_id JOIN cases c ON c.id = l.case_id \
         WHERE m.fiscal_year = $1 AND c.fiscal_year = $1 AND c.received_on <= $2",
    )
    .bind(year)
    .bind(last)
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
