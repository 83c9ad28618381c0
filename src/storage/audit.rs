//! The hash-chained audit trail: each entry's MAC covers the previous one, so an edit or a deletion
//! inside the chain breaks it. The MAC key lives in a file outside the database, so whoever can
//! write to the database cannot recompute the chain. The head row serialises writers on both backends.
use super::StorageError;
use sqlx::{AnyConnection, Row};
use zeroize::Zeroizing;

/// The chain's MAC key (from `secrets/audit-chain.key`).
#[derive(Clone)]
pub struct AuditKey(Zeroizing<[u8; 32]>);

impl AuditKey {
    pub fn new(key: Zeroizing<[u8; 32]>) -> Self {
        Self(key)
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(<key>)")
    }
}

pub struct AuditEntry<'a> {
    pub recorded_on: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub case_id: Option<i64>,
    /// Metadata only: never content, identity, tokens or addresses.
    pub detail: &'a str,
}

fn entry_hash(key: &AuditKey, prev: &[u8], position: i64, e: &AuditEntry<'_>) -> [u8; 32] {
    let mut h = blake3::Hasher::new_keyed(&key.0);
    h.update(prev);
    for field in [
        position.to_string().as_str(),
        e.recorded_on,
        e.actor,
        e.action,
        e.case_id.map(|c| c.to_string()).unwrap_or_default().as_str(),
        e.detail,
    ] {
        h.update(&(field.len() as u64).to_le_bytes());
        h.update(field.as_bytes());
    }
    *h.finalize().as_bytes()
}

/// Appends an entry inside the caller's transaction.
pub async fn append(
    conn: &mut AnyConnection,
    key: &AuditKey,
    entry: &AuditEntry<'_>,
) -> Result<(), StorageError> {
    // Taking the head row first locks it (a row lock on PostgreSQL, the write lock on SQLite).
    let head =
        sqlx::query("UPDATE audit_head SET entries = entries + 1 WHERE id = 1 RETURNING entries, last_hash")
            .fetch_one(&mut *conn)
            .await?;
    let position: i64 = head.try_get(0)?;
    let prev: Vec<u8> = head.try_get(1)?;
    let hash = entry_hash(key, &prev, position, entry);
    sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1")
        .bind(hash.to_vec())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO audit_log (position, recorded_on, actor, action, case_id, detail, prev_hash, entry_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(position)
    .bind(entry.recorded_on.to_owned())
    .bind(entry.actor.to_owned())
    .bind(entry.action.to_owned())
    .bind(entry.case_id)
    .bind(entry.detail.to_owned())
    .bind(prev)
    .bind(hash.to_vec())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Appends an entry in a transaction of its own (for events that write nothing else).
pub async fn record(
    pool: &sqlx::AnyPool,
    key: &AuditKey,
    entry: &AuditEntry<'_>,
) -> Result<(), StorageError> {
    let mut tx = pool.begin().await?;
    append(&mut tx, key, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Recomputes the chain; returns the number of entries, or the position of the first broken one.
pub async fn verify(conn: &mut AnyConnection, key: &AuditKey) -> Result<Result<i64, i64>, StorageError> {
    let rows = sqlx::query(
        "SELECT position, recorded_on, actor, action, case_id, detail, prev_hash, entry_hash \
         FROM audit_log ORDER BY position",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut prev = vec![0u8; 32];
    let mut expected_position = 1;
    for r in &rows {
        let position: i64 = r.try_get(0)?;
        let (on, actor, action): (String, String, String) = (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
        let case_id: Option<i64> = r.try_get(4)?;
        let detail: String = r.try_get(5)?;
        let stored_prev: Vec<u8> = r.try_get(6)?;
        let stored: Vec<u8> = r.try_get(7)?;
        let e = AuditEntry { recorded_on: &on, actor: &actor, action: &action, case_id, detail: &detail };
        if position != expected_position
            || stored_prev != prev
            || stored != entry_hash(key, &prev, position, &e)
        {
            return Ok(Err(position));
        }
        prev = stored;
        expected_position += 1;
    }
    let head = sqlx::query("SELECT entries, last_hash FROM audit_head WHERE id = 1").fetch_one(conn).await?;
    let (entries, last): (i64, Vec<u8>) = (head.try_get(0)?, head.try_get(1)?);
    if entries != expected_position - 1 || last != prev {
        return Ok(Err(expected_position));
    }
    Ok(Ok(entries))
}
