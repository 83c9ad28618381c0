//! Importing a year's measures from a TOML file, and the built-in example (the seed report's seven
//! measures, for its fiscal year 2568).
use crate::config::Settings;
use crate::domain::fiscal_year::FiscalYear;
use crate::domain::measure::{self, Measure, MeasuresFile};
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
}

pub fn parse(text: &str, settings: &Settings) -> Result<Vec<Measure>, ImportError> {
    let file: MeasuresFile = toml::from_str(text).map_err(|e| ImportError::Parse(e.to_string()))?;
    Ok(measure::parse_file(&file, &settings.unit_codes())?)
}

/// Writes the measures (adding new numbers, updating existing ones).
pub async fn import(store: &Store, measures_list: &[Measure]) -> Result<(), ImportError> {
    let mut tx = store.pool().begin().await.map_err(StorageError::from)?;
    measures::upsert_year(&mut tx, measures_list).await?;
    tx.commit().await.map_err(StorageError::from)?;
    Ok(())
}

/// On start: the example year is imported once, if that year has no measures yet.
pub async fn import_example_if_missing(store: &Store, settings: &Settings) -> Result<bool, ImportError> {
    let example = parse(EXAMPLE, settings)?;
    let Some(first) = example.first() else { return Ok(false) };
    let mut conn = store.pool().acquire().await.map_err(StorageError::from)?;
    if !measures::for_year(&mut conn, first.fiscal_year).await?.is_empty() {
        return Ok(false);
    }
    drop(conn);
    import(store, &example).await?;
    Ok(true)
}

/// Copies a year's measures to the next year, unless that year already has measures.
pub async fn copy_forward(store: &Store, from: FiscalYear, to: FiscalYear) -> Result<usize, ImportError> {
    let mut conn = store.pool().acquire().await.map_err(StorageError::from)?;
    if !measures::for_year(&mut conn, to).await?.is_empty() {
        return Err(ImportError::Parse(format!("fiscal year {to} already has measures")));
    }
    let source: Vec<Measure> =
        measures::for_year(&mut conn, from).await?.into_iter().map(|(_, m)| m).collect();
    drop(conn);
    let copied = measure::copy_forward(&source, to);
    import(store, &copied).await?;
    Ok(copied.len())
}
