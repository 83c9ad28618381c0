//! Facts about the installation that are public by nature (the escrow recipient, when it was made).
use super::StorageError;
use sqlx::{AnyConnection, Row};

pub const ESCROW_RECIPIENT: &str = "escrow_recipient";
pub const INITIALISED_ON: &str = "initialised_on";
/// Per-section fingerprints of the configuration the service last started with.
pub const CONFIG_FINGERPRINTS: &str = "config_fingerprints";
/// Fingerprints of the data directory's secrets, so another installation's cannot be used by mistake.
pub const SECRET_FINGERPRINTS: &str = "secret_fingerprints";
/// The last day the worker removed evidence files no case refers to.
pub const EVIDENCE_SWEPT_ON: &str = "evidence_swept_on";
/// The last day the automatic retention purge ran.
pub const RETENTION_RAN_ON: &str = "retention_ran_on";
/// The last day the audit head was mailed to the auditors.
pub const AUDIT_HEAD_MAILED_ON: &str = "audit_head_mailed_on";
/// The last day (Thai date) the reporters' actions were mailed to their units.
pub const REPORTER_DIGEST_ON: &str = "reporter_digest_on";

pub async fn get(conn: &mut AnyConnection, name: &str) -> Result<Option<String>, StorageError> {
    let row = sqlx::query("SELECT value FROM installation WHERE name = $1")
        .bind(name.to_owned())
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.try_get::<String, _>(0)).transpose()?)
}

pub async fn insert(conn: &mut AnyConnection, name: &str, value: &str) -> Result<(), StorageError> {
    sqlx::query("INSERT INTO installation (name, value) VALUES ($1, $2)")
        .bind(name.to_owned())
        .bind(value.to_owned())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set(conn: &mut AnyConnection, name: &str, value: &str) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO installation (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = $2",
    )
    .bind(name.to_owned())
    .bind(value.to_owned())
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets a value only if it is greater than the stored one (or absent); `true` if it was set. Dates
/// as YYYY-MM-DD compare as text, so several instances agree on who does a daily task.
pub async fn advance(conn: &mut AnyConnection, name: &str, value: &str) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO installation (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = $2 \
         WHERE installation.value < $2",
    )
    .bind(name.to_owned())
    .bind(value.to_owned())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
