//! The e-mail outbox and deadline-reminder bookkeeping.
use super::StorageError;
use sqlx::{AnyConnection, Row};

pub struct Mail<'a> {
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

pub async fn enqueue(
    conn: &mut AnyConnection,
    mail: &Mail<'_>,
    today: &str,
    not_before: i64,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO outbox (created_on, recipient, subject, body, attempts, next_attempt_at) \
         VALUES ($1, $2, $3, $4, 0, $5)",
    )
    .bind(today.to_owned())
    .bind(mail.recipient.to_owned())
    .bind(mail.subject.to_owned())
    .bind(mail.body.to_owned())
    .bind(not_before)
    .execute(conn)
    .await?;
    Ok(())
}

pub struct QueuedMail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_on: String,
}

const COLUMNS: &str = "id, recipient, subject, body, attempts, next_attempt_at, last_error, created_on";

fn queued(r: &sqlx::any::AnyRow) -> Result<QueuedMail, sqlx::Error> {
    Ok(QueuedMail {
        id: r.try_get(0)?,
        recipient: r.try_get(1)?,
        subject: r.try_get(2)?,
        body: r.try_get(3)?,
        attempts: r.try_get(4)?,
        next_attempt_at: r.try_get(5)?,
        last_error: r.try_get(6)?,
        created_on: r.try_get(7)?,
    })
}

pub async fn due(
    conn: &mut AnyConnection,
    now: i64,
    max_attempts: i64,
    limit: i64,
) -> Result<Vec<QueuedMail>, StorageError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM outbox WHERE next_attempt_at <= $1 AND attempts < $2 ORDER BY id LIMIT $3"
    ));
    let rows = sqlx::query(sql).bind(now).bind(max_attempts).bind(limit).fetch_all(conn).await?;
    rows.iter().map(|r| Ok(queued(r)?)).collect()
}

/// Takes a mail for sending by pushing its next attempt out by a lease; `false` if another worker
/// (another instance) took it first.
pub async fn claim(
    conn: &mut AnyConnection,
    id: i64,
    seen_next: i64,
    lease_until: i64,
) -> Result<bool, StorageError> {
    let done = sqlx::query("UPDATE outbox SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3")
        .bind(lease_until)
        .bind(id)
        .bind(seen_next)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<(), StorageError> {
    sqlx::query("DELETE FROM outbox WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

pub async fn failed(
    conn: &mut AnyConnection,
    id: i64,
    next_attempt_at: i64,
    error: &str,
) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3",
    )
    .bind(next_attempt_at)
    .bind(error.to_owned())
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Mails that failed at least once, for administrators.
pub async fn troubled(conn: &mut AnyConnection) -> Result<Vec<QueuedMail>, StorageError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM outbox WHERE attempts > 0 ORDER BY id"));
    let rows = sqlx::query(sql).fetch_all(conn).await?;
    rows.iter().map(|r| Ok(queued(r)?)).collect()
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64, StorageError> {
    Ok(sqlx::query("SELECT COUNT(*) FROM outbox").fetch_one(conn).await?.try_get(0)?)
}

/// E-mail addresses of enabled officers who are members of a unit.
pub async fn unit_addresses(conn: &mut AnyConnection, unit: &str) -> Result<Vec<String>, StorageError> {
    let rows = sqlx::query(
        "SELECT a.email, a.roles FROM accounts a JOIN unit_members m ON m.account_id = a.id \
         WHERE m.unit_code = $1 AND a.disabled = FALSE AND a.email IS NOT NULL ORDER BY a.id",
    )
    .bind(unit.to_owned())
    .fetch_all(conn)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let roles: String = r.try_get(1)?;
        if roles.split(',').any(|x| x == "intake_officer" || x == "unit_officer") {
            out.push(r.try_get(0)?);
        }
    }
    Ok(out)
}

/// E-mail addresses of enabled, set-up auditors.
pub async fn auditor_addresses(conn: &mut AnyConnection) -> Result<Vec<String>, StorageError> {
    let rows = sqlx::query(
        "SELECT email FROM accounts WHERE disabled = FALSE AND pending_setup = 0 AND email IS NOT NULL \
         AND ',' || roles || ',' LIKE '%,auditor,%' ORDER BY id",
    )
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

pub struct ReminderCandidate {
    pub case_id: i64,
    pub reference: String,
    pub unit_code: String,
    pub kind: &'static str,
    pub due: String,
}

/// Open cases whose current deadline is on or before `horizon` and that were not reminded of it.
pub async fn reminders_due(
    conn: &mut AnyConnection,
    horizon: &str,
) -> Result<Vec<ReminderCandidate>, StorageError> {
    let rows = sqlx::query(
        "SELECT c.id, c.reference, c.unit_code, 'acknowledge', c.acknowledge_due FROM cases c \
         WHERE c.status = 'new' AND c.acknowledge_due <= $1 AND NOT EXISTS (SELECT 1 FROM deadline_reminders r \
         WHERE r.case_id = c.id AND r.kind = 'acknowledge' AND r.due = c.acknowledge_due) \
         UNION ALL \
         SELECT c.id, c.reference, c.unit_code, 'result', c.result_due FROM cases c \
         WHERE c.status IN ('acknowledged', 'in_progress') AND c.result_due <= $1 AND NOT EXISTS \
         (SELECT 1 FROM deadline_reminders r WHERE r.case_id = c.id AND r.kind = 'result' AND r.due = c.result_due)",
    )
    .bind(horizon.to_owned())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get(3)?;
            Ok(ReminderCandidate {
                case_id: r.try_get(0)?,
                reference: r.try_get(1)?,
                unit_code: r.try_get(2)?,
                kind: if kind == "acknowledge" { "acknowledge" } else { "result" },
                due: r.try_get(4)?,
            })
        })
        .collect()
}

pub async fn mark_reminded(
    conn: &mut AnyConnection,
    case_id: i64,
    kind: &str,
    due: &str,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO deadline_reminders (case_id, kind, due) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(case_id)
    .bind(kind.to_owned())
    .bind(due.to_owned())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many mails wait to be sent (not given up after `max_attempts`).
pub async fn depth(conn: &mut AnyConnection, max_attempts: i64) -> Result<i64, StorageError> {
    let row = sqlx::query("SELECT COUNT(*) FROM outbox WHERE attempts < $1")
        .bind(max_attempts)
        .fetch_one(conn)
        .await?;
    Ok(row.try_get(0)?)
}

/// A reporter's online action waiting for its unit's daily mail; nothing more if the case already
/// has one of this kind waiting (several messages in a day make one mail).
pub async fn hold_for_digest(
    conn: &mut AnyConnection,
    case_id: i64,
    event: &str,
) -> Result<(), StorageError> {
    sqlx::query("INSERT INTO reporter_digest (case_id, event) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(case_id)
        .bind(event.to_owned())
        .execute(conn)
        .await?;
    Ok(())
}

pub struct DigestItem {
    pub case_id: i64,
    pub event: String,
    pub reference: String,
    /// The case's unit now (it may have been handed on since the action).
    pub unit_code: String,
}

/// Everything waiting for the daily mail, with each case's current unit.
pub async fn digest_waiting(conn: &mut AnyConnection) -> Result<Vec<DigestItem>, StorageError> {
    let rows = sqlx::query(
        "SELECT d.case_id, d.event, c.reference, c.unit_code FROM reporter_digest d \
         JOIN cases c ON c.id = d.case_id ORDER BY d.case_id, d.event",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DigestItem {
                case_id: r.try_get(0)?,
                event: r.try_get(1)?,
                reference: r.try_get(2)?,
                unit_code: r.try_get(3)?,
            })
        })
        .collect()
}

pub async fn digest_done(conn: &mut AnyConnection, case_id: i64, event: &str) -> Result<(), StorageError> {
    sqlx::query("DELETE FROM reporter_digest WHERE case_id = $1 AND event = $2")
        .bind(case_id)
        .bind(event.to_owned())
        .execute(conn)
        .await?;
    Ok(())
}
