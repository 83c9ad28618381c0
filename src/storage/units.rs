//! Units and their public recipients; their secrets are stored only age-wrapped.
use super::StorageError;
use sqlx::{AnyConnection, Row};

pub struct UnitKeyRow {
    pub code: String,
    pub recipient: String,
}

pub async fn insert(
    conn: &mut AnyConnection,
    code: &str,
    recipient: &str,
    escrow_wrapped_secret: &[u8],
    created_on: &str,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO units (code, recipient, escrow_wrapped_secret, created_on) VALUES ($1, $2, $3, $4)",
    )
    .bind(code.to_owned())
    .bind(recipient.to_owned())
    .bind(escrow_wrapped_secret.to_vec())
    .bind(created_on.to_owned())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn all(conn: &mut AnyConnection) -> Result<Vec<UnitKeyRow>, StorageError> {
    let rows = sqlx::query("SELECT code, recipient FROM units ORDER BY code").fetch_all(conn).await?;
    rows.iter().map(|r| Ok(UnitKeyRow { code: r.try_get(0)?, recipient: r.try_get(1)? })).collect()
}

pub async fn escrow_wrapped_secret(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<Vec<u8>>, StorageError> {
    let row = sqlx::query("SELECT escrow_wrapped_secret FROM units WHERE code = $1")
        .bind(code.to_owned())
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.try_get::<Vec<u8>, _>(0)).transpose()?)
}
