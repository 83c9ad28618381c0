//! Evidence files' rows: which case, when (a day), by whom (reporter or staff), where the sealed
//! file is, and its sealed description.
use super::StorageError;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

pub struct NewAttachment<'a> {
    pub public_id: &'a str,
    pub case_id: i64,
    pub added_on: &'a str,
    pub added_by: &'a str,
    pub object_key: &'a str,
    pub meta: &'a [u8],
}

/// Adds a file, only while the case is still with the unit it was sealed to and open, and the case
/// holds fewer than `max` files; `false` otherwise (nothing is written).
pub async fn insert(
    conn: &mut AnyConnection,
    a: &NewAttachment<'_>,
    sealed_for_unit: &str,
    max: i64,
) -> Result<bool, StorageError> {
    // The row lock first: it waits for a hand-over in progress and serialises the count below.
    if !super::cases::lock_open_with_unit(&mut *conn, a.case_id, sealed_for_unit).await? {
        return Ok(false);
    }
    let done = sqlx::query(
        "INSERT INTO attachments (public_id, case_id, added_on, added_by, object_key, meta) \
         SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM cases WHERE id = $2 AND unit_code = $7 \
         AND status NOT IN ('concluded', 'not_accepted')) \
         AND (SELECT COUNT(*) FROM attachments WHERE case_id = $2) < $8",
    )
    .bind(a.public_id.to_owned())
    .bind(a.case_id)
    .bind(a.added_on.to_owned())
    .bind(a.added_by.to_owned())
    .bind(a.object_key.to_owned())
    .bind(a.meta.to_vec())
    .bind(sealed_for_unit.to_owned())
    .bind(max)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub struct AttachmentRow {
    pub id: i64,
    pub public_id: String,
    pub case_id: i64,
    pub added_on: String,
    pub added_by: String,
    pub object_key: String,
    pub meta: Vec<u8>,
}

fn row(r: &AnyRow) -> Result<AttachmentRow, sqlx::Error> {
    Ok(AttachmentRow {
        id: r.try_get(0)?,
        public_id: r.try_get(1)?,
        case_id: r.try_get(2)?,
        added_on: r.try_get(3)?,
        added_by: r.try_get(4)?,
        object_key: r.try_get(5)?,
        meta: r.try_get(6)?,
    })
}

const COLUMNS: &str = "id, public_id, case_id, added_on, added_by, object_key, meta";

pub async fn of_case(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<AttachmentRow>, StorageError> {
    let sql =
        sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM attachments WHERE case_id = $1 ORDER BY id"));
    let rows = sqlx::query(sql).bind(case_id).fetch_all(conn).await?;
    rows.iter().map(|r| Ok(row(r)?)).collect()
}

pub async fn count_of_case(conn: &mut AnyConnection, case_id: i64) -> Result<i64, StorageError> {
    let row = sqlx::query("SELECT COUNT(*) FROM attachments WHERE case_id = $1")
        .bind(case_id)
        .fetch_one(conn)
        .await?;
    Ok(row.try_get(0)?)
}

pub async fn by_public_id(
    conn: &mut AnyConnection,
    case_id: i64,
    public_id: &str,
) -> Result<Option<AttachmentRow>, StorageError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM attachments WHERE case_id = $1 AND public_id = $2"
    ));
    let r = sqlx::query(sql).bind(case_id).bind(public_id.to_owned()).fetch_optional(conn).await?;
    Ok(r.as_ref().map(row).transpose()?)
}

/// Points a file at its re-sealed copy (a reassignment).
pub async fn reseal(
    conn: &mut AnyConnection,
    id: i64,
    object_key: &str,
    meta: &[u8],
) -> Result<(), StorageError> {
    sqlx::query("UPDATE attachments SET object_key = $1, meta = $2 WHERE id = $3")
        .bind(object_key.to_owned())
        .bind(meta.to_vec())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every object key a row refers to (to find files in the store that no row refers to).
pub async fn all_keys(conn: &mut AnyConnection) -> Result<Vec<String>, StorageError> {
    let rows = sqlx::query("SELECT object_key FROM attachments").fetch_all(conn).await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}
