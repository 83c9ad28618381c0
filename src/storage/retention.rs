//! Retention's SQL: the closed cases whose time may be up, destroying a case's sealed material
//! (leaving a tombstone with the metadata the figures need), destroying an identity alone, and
//! pruning the short-lived tables.
use super::{Backend, StorageError};
use sqlx::{AnyConnection, Row};

pub struct ClosedCase {
    pub id: i64,
    pub reference: String,
    pub track: String,
    pub closed_on: String,
    pub has_identity: bool,
}

/// Closed cases not yet purged, oldest closure first.
pub async fn closed_cases(conn: &mut AnyConnection) -> Result<Vec<ClosedCase>, StorageError> {
    let rows = sqlx::query(
        "SELECT id, reference, track, closed_on, CASE WHEN identity IS NULL THEN 0 ELSE 1 END FROM cases \
         WHERE closed_on IS NOT NULL AND purged_on IS NULL AND status IN ('concluded', 'not_accepted') \
         ORDER BY closed_on, id",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ClosedCase {
                id: r.try_get(0)?,
                reference: r.try_get(1)?,
                track: r.try_get(2)?,
                closed_on: r.try_get(3)?,
                has_identity: r.try_get::<i64, _>(4)? != 0,
            })
        })
        .collect()
}

/// Destroys everything sealed of a case and leaves its metadata. The token hash is replaced with
/// random bytes (the reporter's token no longer finds anything) and the reporter's key is dropped.
/// Returns the object keys of its files, to delete from the vault after the commit.
pub async fn tombstone(
    conn: &mut AnyConnection,
    case_id: i64,
    today: &str,
    random_token_hash: &[u8],
) -> Result<Vec<String>, StorageError> {
    let keys = sqlx::query("DELETE FROM attachments WHERE case_id = $1 RETURNING object_key")
        .bind(case_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<Vec<String>, _>>()?;
    sqlx::query("DELETE FROM case_messages WHERE case_id = $1").bind(case_id).execute(&mut *conn).await?;
    sqlx::query("UPDATE case_events SET note = NULL WHERE case_id = $1")
        .bind(case_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE identity_requests SET reason = $1, decision_note = NULL, disclosed_identity = NULL WHERE case_id = $2",
    )
    .bind(Vec::<u8>::new())
    .bind(case_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE cases SET content = $1, identity = NULL, token_hash = $2, reporter_recipient = '', purged_on = $3, \
         identity_purged_on = COALESCE(identity_purged_on, $3) WHERE id = $4",
    )
    .bind(Vec::<u8>::new())
    .bind(random_token_hash.to_vec())
    .bind(today.to_owned())
    .bind(case_id)
    .execute(&mut *conn)
    .await?;
    Ok(keys)
}

/// Destroys a case's identity (and every copy disclosed to an officer) before the case itself goes.
pub async fn purge_identity(conn: &mut AnyConnection, case_id: i64, today: &str) -> Result<(), StorageError> {
    sqlx::query("UPDATE identity_requests SET disclosed_identity = NULL WHERE case_id = $1")
        .bind(case_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE cases SET identity = NULL, identity_purged_on = $1 WHERE id = $2")
        .bind(today.to_owned())
        .bind(case_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets form nonces used before `before` (a date); how many.
pub async fn prune_nonces(conn: &mut AnyConnection, before: &str) -> Result<u64, StorageError> {
    let done = sqlx::query("DELETE FROM used_form_nonces WHERE used_on < $1")
        .bind(before.to_owned())
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Forgets mail that gave up (at least `max_attempts` failures) queued before `before`; how many.
pub async fn prune_failed_mail(
    conn: &mut AnyConnection,
    before: &str,
    max_attempts: i64,
) -> Result<u64, StorageError> {
    let done = sqlx::query("DELETE FROM outbox WHERE created_on < $1 AND attempts >= $2")
        .bind(before.to_owned())
        .bind(max_attempts)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// After a purge: SQLite copies the write-ahead log back into the database and empties it (with
/// secure_delete on, the freed pages are zeroed); PostgreSQL rewrites the tables that held sealed
/// material, so the old tuples leave the table files.
pub async fn compact(pool: &sqlx::AnyPool, backend: Backend) -> Result<(), StorageError> {
    match backend {
        Backend::Sqlite => {
            // A checkpoint cannot finish while a reader holds an old snapshot; try a few times.
            for _ in 0..20 {
                let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(pool).await?;
                if row.try_get::<i64, _>(0)? == 0 {
                    return Ok(());
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(StorageError::Corrupt("the write-ahead log stayed busy; run the purge again"))
        }
        Backend::Postgres => {
            // VACUUM FULL copies a deleted tuple when a transaction older than the deletion is
            // still running anywhere in the cluster (its own snapshot's horizon then reaches back
            // before the deletion). Wait, a little, until every transaction older than one begun
            // now has ended; this needs no privilege, unlike reading pg_stat_activity.
            let marker: i64 =
                sqlx::query("SELECT pg_current_xact_id()::text::bigint").fetch_one(pool).await?.try_get(0)?;
            let mut settled = false;
            for _ in 0..100 {
                let oldest: i64 = sqlx::query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
                    .fetch_one(pool)
                    .await?
                    .try_get(0)?;
                if oldest > marker {
                    settled = true;
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            if !settled {
                tracing::warn!(
                    "a long transaction is running; purged rows may stay in the table files until the next purge"
                );
            }
            for table in ["cases", "case_messages", "case_events", "identity_requests", "attachments"] {
                let sql = format!("VACUUM FULL {table}");
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
            }
            Ok(())
        }
    }
}
