//! Importing a year's measures from a TOML file, and the built-in example (the seed report's seven
//! measures, for its fiscal year 2568).
use crate::config::Settings;
use crate::domain::fiscal_year::FiscalYear;
use crate::domain::measure::{self, Measure, MeasuresFile};
use crate::storage::audit::{self, AuditEntry, AuditKey};
use crate::storage::{StorageError, Store, measures};

pub const EXAMPLE: &str = include_str!("../../config/measures/2568.toml");

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("measures file: {0}")]
    Parse(String),
    #[error(transparent)]
    Measure(#[from] measure::MeasureError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("measure {0} is printed in a report that has been exported")]
    Published(u32),
    #[error("there is no measure {0} in that year")]
    Missing(u32),
}

pub fn parse(text: &str, settings: &Settings) -> Result<Vec<Measure>, ImportError> {
    let file: MeasuresFile = toml::from_str(text).map_err(|e| ImportError::Parse(e.to_string()))?;
    Ok(measure::parse_file(&file, &settings.unit_codes())?)
}

/// Who changes the measures, for the audit trail: measures are what the published report says.
pub struct Changer<'a> {
    pub audit_key: &'a AuditKey,
    pub actor: &'a str,
    pub today: time::Date,
}

/// Writes the measures (adding new numbers, updating existing ones), audited in the same transaction.
pub async fn import(store: &Store, measures_list: &[Measure], by: &Changer<'_>) -> Result<(), ImportError> {
    let years: std::collections::BTreeSet<String> =
        measures_list.iter().map(|m| m.fiscal_year.to_string()).collect();
    let numbers: Vec<String> = measures_list.iter().map(|m| m.number.to_string()).collect();
    let detail =
        format!("fy={} saved={}", years.into_iter().collect::<Vec<_>>().join(","), numbers.join(","));
    write(store, measures_list, by, &detail).await
}

async fn write(
    store: &Store,
    measures_list: &[Measure],
    by: &Changer<'_>,
    detail: &str,
) -> Result<(), ImportError> {
    let mut tx = store.begin().await.map_err(StorageError::from)?;
    measures::upsert_year(&mut tx, measures_list).await?;
    let today = by.today.to_string();
    let entry = AuditEntry {
        recorded_on: &today,
        actor: by.actor,
        action: "measures.changed",
        case_id: None,
        detail,
    };
    audit::append(&mut tx, by.audit_key, &entry).await?;
    audit::commit(tx, by.audit_key).await?;
    Ok(())
}

/// On start: the example year is imported once, if that year has no measures yet.
pub async fn import_example_if_missing(
    store: &Store,
    settings: &Settings,
    by: &Changer<'_>,
) -> Result<bool, ImportError> {
    let example = parse(EXAMPLE, settings)?;
    let Some(first) = example.first() else { return Ok(false) };
    let mut conn = store.pool().acquire().await.map_err(StorageError::from)?;
    if !measures::for_year(&mut conn, first.fiscal_year).await?.is_empty() {
        return Ok(false);
    }
    drop(conn);
    import(store, &example, by).await?;
    Ok(true)
}

/// Copies a year's measures to the next year, unless that year already has measures.
pub async fn copy_forward(
    store: &Store,
    from: FiscalYear,
    to: FiscalYear,
    by: &Changer<'_>,
) -> Result<usize, ImportError> {
    let mut conn = store.pool().acquire().await.map_err(StorageError::from)?;
    if !measures::for_year(&mut conn, to).await?.is_empty() {
        return Err(ImportError::Parse(format!("fiscal year {to} already has measures")));
    }
    let source: Vec<Measure> =
        measures::for_year(&mut conn, from).await?.into_iter().map(|(_, m)| m).collect();
    drop(conn);
    let copied = measure::copy_forward(&source, to);
    write(store, &copied, by, &format!("fy={from} copied_to={to} count={}", copied.len())).await?;
    Ok(copied.len())
}

/// Deletes a measure, audited in the same transaction; refused once a report of its year that
/// prints the measures has been exported (the published document must stay true to the data).
pub async fn delete(store: &Store, fy: FiscalYear, number: u32, by: &Changer<'_>) -> Result<(), ImportError> {
    let mut tx = store.begin().await.map_err(StorageError::from)?;
    if measures::used_by_exported_report(&mut tx, fy).await? {
        return Err(ImportError::Published(number));
    }
    if !measures::delete(&mut tx, fy, number).await? {
        return Err(ImportError::Missing(number));
    }
    let today = by.today.to_string();
    let detail = format!("fy={fy} deleted={number}");
    let entry = AuditEntry {
        recorded_on: &today,
        actor: by.actor,
        action: "measures.deleted",
        case_id: None,
        detail: &detail,
    };
    audit::append(&mut tx, by.audit_key, &entry).await?;
    audit::commit(tx, by.audit_key).await?;
    Ok(())
}
