//! Cases and their messages: plaintext metadata next to age ciphertext, nothing else.
use super::StorageError;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

pub struct NewCase<'a> {
    pub reference: &'a str,
    pub fiscal_year: i64,
    pub sequence: i64,
    pub received_on: &'a str,
    pub channel: &'a str,
    pub track: &'a str,
    pub category: &'a str,
    pub anonymous: bool,
    pub status: &'a str,
    pub unit_code: &'a str,
    pub routing_rule: &'a str,
    pub acknowledge_due: &'a str,
    pub result_due: &'a str,
    pub token_hash: &'a [u8],
    pub reporter_recipient: &'a str,
    pub content: &'a [u8],
    pub identity: Option<&'a [u8]>,
}

/// What the reporter's view needs; no ciphertext of content or identity.
#[derive(Debug)]
pub struct ReporterCaseRow {
    pub id: i64,
    pub reference: String,
    pub received_on: String,
    pub track: String,
    pub category: String,
    pub status: String,
    pub status_changed_on: String,
    pub unit_code: String,
    pub acknowledge_due: String,
    pub result_due: String,
    pub token_hash: Vec<u8>,
    pub reporter_recipient: String,
}

pub struct MessageRow {
    pub author: String,
    pub sent_on: String,
    pub body: Vec<u8>,
}

/// Takes the next reference number of a fiscal year. As the first write of the submit transaction it
/// also takes SQLite's write lock before anything is read, so concurrent submissions queue instead of
/// failing on a stale snapshot.
pub async fn next_sequence(conn: &mut AnyConnection, fiscal_year: i64) -> Result<i64, StorageError> {
    let row = sqlx::query(
        "INSERT INTO case_counters (fiscal_year, last_sequence) VALUES ($1, 1) \
         ON CONFLICT (fiscal_year) DO UPDATE SET last_sequence = case_counters.last_sequence + 1 \
         RETURNING last_sequence",
    )
    .bind(fiscal_year)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

pub async fn insert(conn: &mut AnyConnection, c: &NewCase<'_>) -> Result<i64, StorageError> {
    let row = sqlx::query(
        "INSERT INTO cases (reference, fiscal_year, sequence, received_on, channel, track, category, \
         anonymous, status, status_changed_on, unit_code, routing_rule, acknowledge_due, result_due, \
         token_hash, reporter_recipient, content, identity) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
         RETURNING id",
    )
    .bind(c.reference.to_owned())
    .bind(c.fiscal_year)
    .bind(c.sequence)
    .bind(c.received_on.to_owned())
    .bind(c.channel.to_owned())
    .bind(c.track.to_owned())
    .bind(c.category.to_owned())
    .bind(c.anonymous)
    .bind(c.status.to_owned())
    .bind(c.received_on.to_owned())
    .bind(c.unit_code.to_owned())
    .bind(c.routing_rule.to_owned())
    .bind(c.acknowledge_due.to_owned())
    .bind(c.result_due.to_owned())
    .bind(c.token_hash.to_vec())
    .bind(c.reporter_recipient.to_owned())
    .bind(c.content.to_vec())
    .bind(c.identity.map(<[u8]>::to_vec))
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

fn reporter_case(r: &AnyRow) -> Result<ReporterCaseRow, sqlx::Error> {
    Ok(ReporterCaseRow {
        id: r.try_get(0)?,
        reference: r.try_get(1)?,
        received_on: r.try_get(2)?,
        track: r.try_get(3)?,
        category: r.try_get(4)?,
        status: r.try_get(5)?,
        status_changed_on: r.try_get(6)?,
        unit_code: r.try_get(7)?,
        acknowledge_due: r.try_get(8)?,
        result_due: r.try_get(9)?,
        token_hash: r.try_get(10)?,
        reporter_recipient: r.try_get(11)?,
    })
}

pub async fn find_by_token_hash(
    conn: &mut AnyConnection,
    token_hash: &[u8],
) -> Result<Option<ReporterCaseRow>, StorageError> {
    let row = sqlx::query(
        "SELECT id, reference, received_on, track, category, status, status_changed_on, unit_code, \
         acknowledge_due, result_due, token_hash, reporter_recipient FROM cases WHERE token_hash = $1",
    )
    .bind(token_hash.to_vec())
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(reporter_case).transpose()?)
}

pub async fn unit_of(conn: &mut AnyConnection, case_id: i64) -> Result<String, StorageError> {
    let row = sqlx::query("SELECT unit_code FROM cases WHERE id = $1").bind(case_id).fetch_one(conn).await?;
    Ok(row.try_get(0)?)
}

pub async fn messages(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<MessageRow>, StorageError> {
    let rows = sqlx::query("SELECT author, sent_on, body FROM case_messages WHERE case_id = $1 ORDER BY id")
        .bind(case_id)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| Ok(MessageRow { author: r.try_get(0)?, sent_on: r.try_get(1)?, body: r.try_get(2)? }))
        .collect()
}

pub async fn insert_message(
    conn: &mut AnyConnection,
    case_id: i64,
    author: &str,
    sent_on: &str,
    body: &[u8],
) -> Result<(), StorageError> {
    sqlx::query("INSERT INTO case_messages (case_id, author, sent_on, body) VALUES ($1, $2, $3, $4)")
        .bind(case_id)
        .bind(author.to_owned())
        .bind(sent_on.to_owned())
        .bind(body.to_vec())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64, StorageError> {
    let row = sqlx::query("SELECT COUNT(*) FROM cases").fetch_one(conn).await?;
    Ok(row.try_get(0)?)
}

/// Records a form's one-time nonce; `false` if it was used before (the form was already submitted).
pub async fn use_form_nonce(
    conn: &mut AnyConnection,
    nonce_hash: &[u8],
    today: &str,
) -> Result<bool, StorageError> {
    let row = sqlx::query(
        "INSERT INTO used_form_nonces (nonce_hash, used_on) VALUES ($1, $2) \
         ON CONFLICT (nonce_hash) DO NOTHING RETURNING used_on",
    )
    .bind(nonce_hash.to_vec())
    .bind(today.to_owned())
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}
