//! Facts about the installation that are public by nature (the escrow recipient, when it was made).
use super::StorageError;
use sqlx::{AnyConnection, Row};

pub const ESCROW_RECIPIENT: &str = "escrow_recipient";
pub const INITIALISED_ON: &str = "initialised_on";

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
