//! Measures per fiscal year, officers' links from cases to measures, and the per-case facts the
//! annual figures are computed from (metadata only).
use super::StorageError;
use crate::domain::fiscal_year::FiscalYear;
use crate::domain::measure::{Measure, MeasureFlag};
use sqlx::{AnyConnection, Row};
use time::Date;

fn day(s: &str) -> Result<Date, StorageError> {
    Date::parse(s, &time::format_description::well_known::Iso8601::DATE)
        .map_err(|_| StorageError::Corrupt("date"))
}

pub async fn for_year(conn: &mut AnyConnection, fy: FiscalYear) -> Result<Vec<(i64, Measure)>, StorageError> {
    let rows = sqlx::query(
        "SELECT id, number, title, steps, responsible_units, responsible_text, period_start, period_end, \
         output_text, outcome_text, flags FROM measures WHERE fiscal_year = $1 ORDER BY number",
    )
    .bind(i64::from(fy.be_year()))
    .fetch_all(conn)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let steps: String = r.try_get(3)?;
        let split = |s: String| s.split(',').filter(|x| !x.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        out.push((
            r.try_get(0)?,
            Measure {
                fiscal_year: fy,
                number: u32::try_from(r.try_get::<i64, _>(1)?)
                    .map_err(|_| StorageError::Corrupt("number"))?,
                title: r.try_get(2)?,
                steps: serde_json::from_str(&steps).map_err(|_| StorageError::Corrupt("steps"))?,
                responsible_units: split(r.try_get(4)?),
                responsible_text: r.try_get(5)?,
                period_start: day(&r.try_get::<String, _>(6)?)?,
                period_end: day(&r.try_get::<String, _>(7)?)?,
                output: r.try_get(8)?,
                outcome: r.try_get(9)?,
                flags: split(r.try_get(10)?).iter().filter_map(|f| MeasureFlag::from_code(f)).collect(),
            },
        ));
    }
    Ok(out)
}

/// Writes a year's measures: new numbers are added, existing numbers updated (links stay).
pub async fn upsert_year(conn: &mut AnyConnection, measures: &[Measure]) -> Result<(), StorageError> {
    for m in measures {
        let steps = serde_json::to_string(&m.steps).map_err(|_| StorageError::Corrupt("steps"))?;
        let flags: Vec<&str> = m.flags.iter().map(|f| f.code()).collect();
        sqlx::query(
            "INSERT INTO measures (fiscal_year, number, title, steps, responsible_units, responsible_text, \
             period_start, period_end, output_text, outcome_text, flags) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (fiscal_year, number) DO UPDATE SET title = $3, steps = $4, responsible_units = $5, \
             responsible_text = $6, period_start = $7, period_end = $8, output_text = $9, outcome_text = $10, flags = $11",
        )
        .bind(i64::from(m.fiscal_year.be_year()))
        .bind(i64::from(m.number))
        .bind(m.title.clone())
        .bind(steps)
        .bind(m.responsible_units.join(","))
        .bind(m.responsible_text.clone())
        .bind(m.period_start.to_string())
        .bind(m.period_end.to_string())
        .bind(m.output.clone())
        .bind(m.outcome.clone())
        .bind(flags.join(","))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn years(conn: &mut AnyConnection) -> Result<Vec<i64>, StorageError> {
    let rows =
        sqlx::query("SELECT DISTINCT fiscal_year FROM measures ORDER BY fiscal_year").fetch_all(conn).await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

pub async fn link(
    conn: &mut AnyConnection,
    case_id: i64,
    measure_id: i64,
    on: &str,
    by: &str,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO case_measures (case_id, measure_id, linked_on, linked_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(case_id)
    .bind(measure_id)
    .bind(on.to_owned())
    .bind(by.to_owned())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn unlink(conn: &mut AnyConnection, case_id: i64, measure_id: i64) -> Result<bool, StorageError> {
    let done = sqlx::query("DELETE FROM case_measures WHERE case_id = $1 AND measure_id = $2")
        .bind(case_id)
        .bind(measure_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Measure ids an officer linked a case to.
pub async fn links_of(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<i64>, StorageError> {
    let rows = sqlx::query("SELECT measure_id FROM case_measures WHERE case_id = $1")
        .bind(case_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// How often an audited action happened in the year (identity openings, cleaned evidence, …).
pub async fn audit_count(
    conn: &mut AnyConnection,
    action: &str,
    fy: FiscalYear,
) -> Result<i64, StorageError> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM audit_log WHERE action = $1 AND recorded_on >= $2 AND recorded_on <= $3",
    )
    .bind(action.to_owned())
    .bind(fy.first_day().to_string())
    .bind(fy.last_day().to_string())
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Whether a report of the year that prints its measures (full or protection section) has been
/// exported: from then on its measures are part of a published document.
pub async fn used_by_exported_report(conn: &mut AnyConnection, fy: FiscalYear) -> Result<bool, StorageError> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'report.exported' AND (detail LIKE $1 OR detail LIKE $2)",
    )
    .bind(format!("fy={fy} section=full %"))
    .bind(format!("fy={fy} section=protection %"))
    .fetch_one(conn)
    .await?;
    Ok(row.try_get::<i64, _>(0)? > 0)
}

/// Deletes a measure of a year and officers' links to it; false when there was none.
pub async fn delete(conn: &mut AnyConnection, fy: FiscalYear, number: u32) -> Result<bool, StorageError> {
    let year = i64::from(fy.be_year());
    sqlx::query(
        "DELETE FROM case_measures WHERE measure_id IN (SELECT id FROM measures WHERE fiscal_year = $1 AND number = $2)",
    )
    .bind(year)
    .bind(i64::from(number))
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query("DELETE FROM measures WHERE fiscal_year = $1 AND number = $2")
        .bind(year)
        .bind(i64::from(number))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
