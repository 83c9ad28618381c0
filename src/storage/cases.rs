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

/// What the reporter's view needs; never the identity.
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
    /// Sealed to the unit, escrow and (since December 2026) the reporter's own key.
    pub content: Vec<u8>,
    pub anonymous: bool,
    /// Whether the case has messages, files and decided identity disclosures: a status check
    /// reads each only when there is one (every query is a round trip to the database's worker).
    pub has_messages: bool,
    pub has_attachments: bool,
    pub has_disclosures: bool,
}

pub struct MessageRow {
    pub id: i64,
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
        content: r.try_get(12)?,
        anonymous: r.try_get::<i64, _>(13)? != 0,
        has_messages: r.try_get::<i64, _>(14)? != 0,
        has_attachments: r.try_get::<i64, _>(15)? != 0,
        has_disclosures: r.try_get::<i64, _>(16)? != 0,
    })
}

pub async fn find_by_token_hash(
    conn: &mut AnyConnection,
    token_hash: &[u8],
) -> Result<Option<ReporterCaseRow>, StorageError> {
    let row = sqlx::query(
        "SELECT id, reference, received_on, track, category, status, status_changed_on, unit_code, \
         acknowledge_due, result_due, token_hash, reporter_recipient, content, CAST(anonymous AS INTEGER), \
         CAST(EXISTS (SELECT 1 FROM case_messages m WHERE m.case_id = cases.id) AS INTEGER), \
         CAST(EXISTS (SELECT 1 FROM attachments a WHERE a.case_id = cases.id) AS INTEGER), \
         CAST(EXISTS (SELECT 1 FROM identity_requests r WHERE r.case_id = cases.id \
           AND r.status IN ('approved', 'opened') AND r.decided_on IS NOT NULL) AS INTEGER) \
         FROM cases WHERE token_hash = $1",
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
    let rows =
        sqlx::query("SELECT id, author, sent_on, body FROM case_messages WHERE case_id = $1 ORDER BY id")
            .bind(case_id)
            .fetch_all(conn)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(MessageRow {
                id: r.try_get(0)?,
                author: r.try_get(1)?,
                sent_on: r.try_get(2)?,
                body: r.try_get(3)?,
            })
        })
        .collect()
}

/// Adds a message, only while the case is still with the unit it was sealed to; `false` if the case
/// moved meanwhile (the caller seals again for the new unit or refuses).
pub async fn insert_message(
    conn: &mut AnyConnection,
    case_id: i64,
    sealed_for_unit: &str,
    author: &str,
    sent_on: &str,
    body: &[u8],
) -> Result<bool, StorageError> {
    // The row lock first: a plain EXISTS would not wait for a hand-over in progress.
    if !lock_with_unit(&mut *conn, case_id, sealed_for_unit).await? {
        return Ok(false);
    }
    let done = sqlx::query(
        "INSERT INTO case_messages (case_id, author, sent_on, body) SELECT $1, $2, $3, $4 \
         WHERE EXISTS (SELECT 1 FROM cases WHERE id = $1 AND unit_code = $5)",
    )
    .bind(case_id)
    .bind(author.to_owned())
    .bind(sent_on.to_owned())
    .bind(body.to_vec())
    .bind(sealed_for_unit.to_owned())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
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

/// A case as officers see it: metadata and the sealed content (opened with the unit key).
pub struct StaffCaseRow {
    pub id: i64,
    pub reference: String,
    pub fiscal_year: i64,
    pub received_on: String,
    pub channel: String,
    pub track: String,
    pub category: String,
    pub anonymous: bool,
    pub status: String,
    pub status_changed_on: String,
    pub unit_code: String,
    pub routing_rule: String,
    pub acknowledge_due: String,
    pub result_due: String,
    pub reporter_recipient: String,
    pub content: Vec<u8>,
    pub outcome: Option<String>,
    pub referred_to: Option<String>,
    pub rejection_reason: Option<String>,
    pub closed_on: Option<String>,
    /// The day retention destroyed its sealed material (a tombstone since).
    pub purged_on: Option<String>,
}

// Booleans are read through CAST: sqlx's Any driver cannot decode SQLite's BOOLEAN declared type.
const STAFF_COLUMNS: &str = "id, reference, fiscal_year, received_on, channel, track, category, CAST(anonymous AS INTEGER), status, \
     status_changed_on, unit_code, routing_rule, acknowledge_due, result_due, reporter_recipient, content, outcome, \
     referred_to, rejection_reason, closed_on, purged_on";

fn staff_case(r: &AnyRow) -> Result<StaffCaseRow, sqlx::Error> {
    Ok(StaffCaseRow {
        id: r.try_get(0)?,
        reference: r.try_get(1)?,
        fiscal_year: r.try_get(2)?,
        received_on: r.try_get(3)?,
        channel: r.try_get(4)?,
        track: r.try_get(5)?,
        category: r.try_get(6)?,
        anonymous: r.try_get::<i64, _>(7)? != 0,
        status: r.try_get(8)?,
        status_changed_on: r.try_get(9)?,
        unit_code: r.try_get(10)?,
        routing_rule: r.try_get(11)?,
        acknowledge_due: r.try_get(12)?,
        result_due: r.try_get(13)?,
        reporter_recipient: r.try_get(14)?,
        content: r.try_get(15)?,
        outcome: r.try_get(16)?,
        referred_to: r.try_get(17)?,
        rejection_reason: r.try_get(18)?,
        closed_on: r.try_get(19)?,
        purged_on: r.try_get(20)?,
    })
}

pub async fn by_reference(
    conn: &mut AnyConnection,
    reference: &str,
) -> Result<Option<StaffCaseRow>, StorageError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {STAFF_COLUMNS} FROM cases WHERE reference = $1"));
    let row = sqlx::query(sql).bind(reference.to_owned()).fetch_optional(conn).await?;
    Ok(row.as_ref().map(staff_case).transpose()?)
}

/// Filters of the officers' case list; `None` means any.
#[derive(Default)]
pub struct CaseFilter {
    pub status: Option<String>,
    pub track: Option<String>,
    pub category: Option<String>,
    pub fiscal_year: Option<i64>,
    /// Only cases past a deadline they have not met, as of this date (YYYY-MM-DD).
    pub overdue_on: Option<String>,
}

/// The cases of the given units, newest first. Only placeholders are formatted into the SQL.
pub async fn list_for_units(
    conn: &mut AnyConnection,
    units: &[String],
    filter: &CaseFilter,
    limit: i64,
) -> Result<Vec<StaffCaseRow>, StorageError> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    let unit_params: Vec<String> = units.iter().map(|_| next()).collect();
    let mut sql =
        format!("SELECT {STAFF_COLUMNS} FROM cases WHERE unit_code IN ({})", unit_params.join(", "));
    if filter.status.is_some() {
        sql.push_str(&format!(" AND status = {}", next()));
    }
    if filter.track.is_some() {
        sql.push_str(&format!(" AND track = {}", next()));
    }
    if filter.category.is_some() {
        sql.push_str(&format!(" AND category = {}", next()));
    }
    if filter.fiscal_year.is_some() {
        sql.push_str(&format!(" AND fiscal_year = {}", next()));
    }
    if filter.overdue_on.is_some() {
        let (a, b) = (next(), next());
        sql.push_str(&format!(
            " AND ((status = 'new' AND acknowledge_due < {a}) \
             OR (status IN ('acknowledged', 'in_progress') AND result_due < {b}))"
        ));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", next()));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for u in units {
        query = query.bind(u.clone());
    }
    for v in [&filter.status, &filter.track, &filter.category].into_iter().flatten() {
        query = query.bind(v.clone());
    }
    if let Some(fy) = filter.fiscal_year {
        query = query.bind(fy);
    }
    if let Some(day) = &filter.overdue_on {
        query = query.bind(day.clone()).bind(day.clone());
    }
    let rows = query.bind(limit).fetch_all(conn).await?;
    rows.iter().map(|r| Ok(staff_case(r)?)).collect()
}

pub struct Transition<'a> {
    pub case_id: i64,
    /// The unit the note was sealed to: the change applies only while the case is still there.
    pub unit: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub on: &'a str,
    pub actor: &'a str,
    pub outcome: Option<&'a str>,
    pub referred_to: Option<&'a str>,
    pub rejection_reason: Option<&'a str>,
    pub detail_code: Option<&'a str>,
    pub note: Option<&'a [u8]>,
}

/// Moves a case from one status to the next; `false` if someone else moved it first.
pub async fn transition(conn: &mut AnyConnection, t: &Transition<'_>) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE cases SET status = $1, status_changed_on = $2, \
         outcome = COALESCE($3, outcome), referred_to = COALESCE($4, referred_to), \
         rejection_reason = COALESCE($5, rejection_reason), \
         acknowledged_on = CASE WHEN $1 = 'acknowledged' THEN $2 ELSE acknowledged_on END, \
         closed_on = CASE WHEN $1 IN ('concluded', 'not_accepted') THEN $2 ELSE closed_on END \
         WHERE id = $6 AND status = $7 AND unit_code = $8",
    )
    .bind(t.to.to_owned())
    .bind(t.on.to_owned())
    .bind(t.outcome.map(str::to_owned))
    .bind(t.referred_to.map(str::to_owned))
    .bind(t.rejection_reason.map(str::to_owned))
    .bind(t.case_id)
    .bind(t.from.to_owned())
    .bind(t.unit.to_owned())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO case_events (case_id, recorded_on, actor, from_status, to_status, detail_code, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(t.case_id)
    .bind(t.on.to_owned())
    .bind(t.actor.to_owned())
    .bind(t.from.to_owned())
    .bind(t.to.to_owned())
    .bind(t.detail_code.map(str::to_owned))
    .bind(t.note.map(<[u8]>::to_vec))
    .execute(conn)
    .await?;
    Ok(true)
}

pub struct EventRow {
    pub id: i64,
    pub recorded_on: String,
    pub actor: String,
    pub from_status: String,
    pub to_status: String,
    pub detail_code: Option<String>,
    pub note: Option<Vec<u8>>,
}

pub async fn events(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<EventRow>, StorageError> {
    let rows = sqlx::query(
        "SELECT recorded_on, actor, from_status, to_status, detail_code, note, id FROM case_events \
         WHERE case_id = $1 ORDER BY id",
    )
    .bind(case_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(EventRow {
                recorded_on: r.try_get(0)?,
                actor: r.try_get(1)?,
                from_status: r.try_get(2)?,
                to_status: r.try_get(3)?,
                detail_code: r.try_get(4)?,
                note: r.try_get(5)?,
                id: r.try_get(6)?,
            })
        })
        .collect()
}

/// Takes the case row while it is still with `unit` (open or not).
async fn lock_with_unit(conn: &mut AnyConnection, case_id: i64, unit: &str) -> Result<bool, StorageError> {
    let done = sqlx::query("UPDATE cases SET unit_code = unit_code WHERE id = $1 AND unit_code = $2")
        .bind(case_id)
        .bind(unit.to_owned())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the case row while it is still with `unit` and open: the first write of a transaction that
/// adds something sealed to that unit (SQLite's write lock, PostgreSQL's row lock). A hand-over
/// holding the row makes this wait, and PostgreSQL then checks the row again as it is after the
/// hand-over, so nothing sealed to the old unit is added behind it. `false`: moved or closed.
pub async fn lock_open_with_unit(
    conn: &mut AnyConnection,
    case_id: i64,
    unit: &str,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE cases SET unit_code = unit_code WHERE id = $1 AND unit_code = $2 \
         AND status NOT IN ('concluded', 'not_accepted')",
    )
    .bind(case_id)
    .bind(unit.to_owned())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the case row for a reassignment (the first write of the transaction: SQLite's write lock,
/// PostgreSQL's row lock), so nothing sealed to the old unit can be added while it is re-sealed.
pub async fn lock_for_reassignment(
    conn: &mut AnyConnection,
    case_id: i64,
    unit: &str,
) -> Result<bool, StorageError> {
    lock_with_unit(conn, case_id, unit).await
}

pub async fn content_of(conn: &mut AnyConnection, case_id: i64) -> Result<Vec<u8>, StorageError> {
    let row = sqlx::query("SELECT content FROM cases WHERE id = $1").bind(case_id).fetch_one(conn).await?;
    Ok(row.try_get(0)?)
}

/// Moves a case to another unit with its content re-sealed; `false` if it moved meanwhile.
pub async fn reassign(
    conn: &mut AnyConnection,
    case_id: i64,
    from_unit: &str,
    to_unit: &str,
    content: &[u8],
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE cases SET unit_code = $1, routing_rule = 'reassigned', content = $2 WHERE id = $3 AND unit_code = $4",
    )
    .bind(to_unit.to_owned())
    .bind(content.to_vec())
    .bind(case_id)
    .bind(from_unit.to_owned())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn reseal_message(
    conn: &mut AnyConnection,
    message_id: i64,
    body: &[u8],
) -> Result<(), StorageError> {
    sqlx::query("UPDATE case_messages SET body = $1 WHERE id = $2")
        .bind(body.to_vec())
        .bind(message_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn reseal_event_note(
    conn: &mut AnyConnection,
    event_id: i64,
    note: &[u8],
) -> Result<(), StorageError> {
    sqlx::query("UPDATE case_events SET note = $1 WHERE id = $2")
        .bind(note.to_vec())
        .bind(event_id)
        .execute(conn)
        .await?;
    Ok(())
}
