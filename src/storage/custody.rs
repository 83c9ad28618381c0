//! The identity-custody key, its holders, and the requests to see a reporter's identity.
use super::StorageError;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

pub struct CustodyKeyRow {
    pub recipient: String,
    pub escrow_wrapped_secret: Vec<u8>,
}

pub async fn key(conn: &mut AnyConnection) -> Result<Option<CustodyKeyRow>, StorageError> {
    let row = sqlx::query("SELECT recipient, escrow_wrapped_secret FROM custody_key WHERE id = 1")
        .fetch_optional(conn)
        .await?;
    let key = |r: AnyRow| -> Result<CustodyKeyRow, sqlx::Error> {
        Ok(CustodyKeyRow { recipient: r.try_get(0)?, escrow_wrapped_secret: r.try_get(1)? })
    };
    Ok(row.map(key).transpose()?)
}

/// Records the custody key; `false` if one exists already (another instance made it first).
pub async fn insert_key(
    conn: &mut AnyConnection,
    recipient: &str,
    escrow_wrapped_secret: &[u8],
    today: &str,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO custody_key (id, recipient, escrow_wrapped_secret, created_on) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(recipient.to_owned())
    .bind(escrow_wrapped_secret.to_vec())
    .bind(today.to_owned())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a holder of the custody key, only while the account is enabled, set up, holds the
/// identity-custodian role and still has the personal key the secret was wrapped to.
pub async fn grant(
    conn: &mut AnyConnection,
    account_id: i64,
    wrapped_to: &str,
    wrapped: &[u8],
    today: &str,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO custody_members (account_id, wrapped_custody_key, granted_on) \
         SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $1 AND personal_recipient = $4 \
         AND pending_setup = 0 AND disabled = FALSE AND ',' || roles || ',' LIKE '%,identity_custodian,%') \
         ON CONFLICT (account_id) DO UPDATE SET wrapped_custody_key = $2, granted_on = $3",
    )
    .bind(account_id)
    .bind(wrapped.to_vec())
    .bind(today.to_owned())
    .bind(wrapped_to.to_owned())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn membership(conn: &mut AnyConnection, account_id: i64) -> Result<Option<Vec<u8>>, StorageError> {
    let row = sqlx::query("SELECT wrapped_custody_key FROM custody_members WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// Removes an account's copy of the custody key; `true` if it had one.
pub async fn revoke(conn: &mut AnyConnection, account_id: i64) -> Result<bool, StorageError> {
    let done = sqlx::query("DELETE FROM custody_members WHERE account_id = $1")
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub struct Custodian {
    pub account_id: i64,
    pub username: String,
    pub display_name: String,
    pub personal_recipient: String,
    pub email: Option<String>,
    pub holds_key: bool,
}

/// Enabled, set-up accounts with the identity-custodian role, and whether each holds the key.
pub async fn custodians(conn: &mut AnyConnection) -> Result<Vec<Custodian>, StorageError> {
    let rows = sqlx::query(
        "SELECT a.id, a.username, a.display_name, a.personal_recipient, a.email, \
         CASE WHEN m.account_id IS NULL THEN 0 ELSE 1 END FROM accounts a \
         LEFT JOIN custody_members m ON m.account_id = a.id \
         WHERE a.disabled = FALSE AND a.pending_setup = 0 AND ',' || a.roles || ',' LIKE '%,identity_custodian,%' \
         ORDER BY a.username",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Custodian {
                account_id: r.try_get(0)?,
                username: r.try_get(1)?,
                display_name: r.try_get(2)?,
                personal_recipient: r.try_get(3)?,
                email: r.try_get(4)?,
                holds_key: r.try_get::<i64, _>(5)? != 0,
            })
        })
        .collect()
}

/// What a request is: an officer asking, or a custodian opening an identity themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    Request,
    Custodian,
}

impl RequestKind {
    pub fn code(self) -> &'static str {
        match self {
            RequestKind::Request => "request",
            RequestKind::Custodian => "custodian",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestStatus {
    Pending,
    Approved,
    Denied,
    /// A custodian's own opening.
    Opened,
}

impl RequestStatus {
    pub fn code(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Denied => "denied",
            RequestStatus::Opened => "opened",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Denied, Self::Opened].into_iter().find(|s| s.code() == code)
    }
}

pub struct NewRequest<'a> {
    pub case_id: i64,
    pub kind: RequestKind,
    pub requested_by: i64,
    pub on: &'a str,
    pub reason: &'a [u8],
    pub status: RequestStatus,
}

/// Records a request or an opening; `None` if the officer already has an open request on the case.
pub async fn insert_request(
    conn: &mut AnyConnection,
    r: &NewRequest<'_>,
) -> Result<Option<i64>, StorageError> {
    let decided = r.status == RequestStatus::Opened;
    let row = sqlx::query(
        "INSERT INTO identity_requests (case_id, kind, requested_by, requested_on, reason, status, decided_by, decided_on) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(r.case_id)
    .bind(r.kind.code().to_owned())
    .bind(r.requested_by)
    .bind(r.on.to_owned())
    .bind(r.reason.to_vec())
    .bind(r.status.code().to_owned())
    .bind(decided.then_some(r.requested_by))
    .bind(decided.then(|| r.on.to_owned()))
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

pub struct RequestRow {
    pub id: i64,
    pub case_id: i64,
    pub reference: String,
    pub unit_code: String,
    pub kind: RequestKind,
    pub requested_by: i64,
    pub requester: String,
    pub requester_name: String,
    pub requested_on: String,
    pub reason: Vec<u8>,
    pub status: RequestStatus,
    pub decided_by: Option<String>,
    pub decided_on: Option<String>,
    pub decision_note: Option<Vec<u8>>,
    pub disclosed_identity: Option<Vec<u8>>,
}

const REQUEST_COLUMNS: &str = "r.id, r.case_id, c.reference, c.unit_code, r.kind, r.requested_by, a.username, \
     a.display_name, r.requested_on, r.reason, r.status, d.username, r.decided_on, r.decision_note, r.disclosed_identity";
const REQUEST_FROM: &str = "FROM identity_requests r JOIN cases c ON c.id = r.case_id \
     JOIN accounts a ON a.id = r.requested_by LEFT JOIN accounts d ON d.id = r.decided_by";

fn request(r: &AnyRow) -> Result<RequestRow, StorageError> {
    let kind: String = r.try_get(4)?;
    let status: String = r.try_get(10)?;
    Ok(RequestRow {
        id: r.try_get(0)?,
        case_id: r.try_get(1)?,
        reference: r.try_get(2)?,
        unit_code: r.try_get(3)?,
        kind: if kind == "custodian" { RequestKind::Custodian } else { RequestKind::Request },
        requested_by: r.try_get(5)?,
        requester: r.try_get(6)?,
        requester_name: r.try_get(7)?,
        requested_on: r.try_get(8)?,
        reason: r.try_get(9)?,
        status: RequestStatus::from_code(&status).ok_or(StorageError::Corrupt("identity request status"))?,
        decided_by: r.try_get(11)?,
        decided_on: r.try_get(12)?,
        decision_note: r.try_get(13)?,
        disclosed_identity: r.try_get(14)?,
    })
}

pub async fn request_by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<RequestRow>, StorageError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {REQUEST_COLUMNS} {REQUEST_FROM} WHERE r.id = $1"));
    let row = sqlx::query(sql).bind(id).fetch_optional(conn).await?;
    row.as_ref().map(request).transpose()
}

/// Pending requests first, then the latest decisions and openings.
pub async fn recent_requests(conn: &mut AnyConnection, limit: i64) -> Result<Vec<RequestRow>, StorageError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {REQUEST_COLUMNS} {REQUEST_FROM} ORDER BY CASE WHEN r.status = 'pending' THEN 0 ELSE 1 END, r.id DESC LIMIT $1"
    ));
    let rows = sqlx::query(sql).bind(limit).fetch_all(conn).await?;
    rows.iter().map(request).collect()
}

pub async fn requests_of_case(
    conn: &mut AnyConnection,
    case_id: i64,
) -> Result<Vec<RequestRow>, StorageError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {REQUEST_COLUMNS} {REQUEST_FROM} WHERE r.case_id = $1 ORDER BY r.id"
    ));
    let rows = sqlx::query(sql).bind(case_id).fetch_all(conn).await?;
    rows.iter().map(request).collect()
}

pub struct Decision<'a> {
    pub id: i64,
    pub status: RequestStatus,
    pub decided_by: i64,
    pub on: &'a str,
    pub note: &'a [u8],
    /// With the personal key it was sealed to: written only if the requester still has that key,
    /// is enabled and set up, and is a member of the unit that has the case now.
    pub disclosed_identity: Option<(&'a [u8], &'a str)>,
}

/// Records a custodian's decision on a pending request; `false` if it was decided meanwhile or,
/// for an approval, the requester may no longer receive the identity.
pub async fn decide(conn: &mut AnyConnection, d: &Decision<'_>) -> Result<bool, StorageError> {
    let (disclosed, sealed_to) = match d.disclosed_identity {
        Some((blob, to)) => (Some(blob.to_vec()), to.to_owned()),
        None => (None, String::new()),
    };
    let done = sqlx::query(
        "UPDATE identity_requests SET status = $1, decided_by = $2, decided_on = $3, decision_note = $4, \
         disclosed_identity = $5 WHERE id = $6 AND status = 'pending' AND ($7 = 0 OR (\
         EXISTS (SELECT 1 FROM accounts a WHERE a.id = identity_requests.requested_by AND a.disabled = FALSE \
         AND a.pending_setup = 0 AND a.personal_recipient = $8) \
         AND EXISTS (SELECT 1 FROM unit_members m JOIN cases c ON c.unit_code = m.unit_code \
         WHERE c.id = identity_requests.case_id AND m.account_id = identity_requests.requested_by)))",
    )
    .bind(d.status.code().to_owned())
    .bind(d.decided_by)
    .bind(d.on.to_owned())
    .bind(d.note.to_vec())
    .bind(disclosed)
    .bind(d.id)
    .bind(i64::from(d.disclosed_identity.is_some()))
    .bind(sealed_to)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets every identity disclosed on a case (it moves to another unit: its officers ask anew).
pub async fn clear_disclosures_of_case(conn: &mut AnyConnection, case_id: i64) -> Result<(), StorageError> {
    sqlx::query("UPDATE identity_requests SET disclosed_identity = NULL WHERE case_id = $1")
        .bind(case_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets every identity disclosed to an account (disabled or reset: its old key must open nothing).
pub async fn clear_disclosures_to(conn: &mut AnyConnection, account_id: i64) -> Result<(), StorageError> {
    sqlx::query("UPDATE identity_requests SET disclosed_identity = NULL WHERE requested_by = $1")
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether an account is a member of the unit that holds a case now.
pub async fn handles_case(
    conn: &mut AnyConnection,
    account_id: i64,
    case_id: i64,
) -> Result<bool, StorageError> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM unit_members m JOIN cases c ON c.unit_code = m.unit_code WHERE c.id = $1 AND m.account_id = $2",
    )
    .bind(case_id)
    .bind(account_id)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get::<i64, _>(0)? > 0)
}

/// Days on which the case's reporter identity was made known, and to whom by kind (never by name).
pub async fn disclosure_dates(
    conn: &mut AnyConnection,
    case_id: i64,
) -> Result<Vec<(RequestKind, String)>, StorageError> {
    let rows = sqlx::query(
        "SELECT kind, decided_on FROM identity_requests WHERE case_id = $1 AND status IN ('approved', 'opened') \
         AND decided_on IS NOT NULL ORDER BY decided_on, id",
    )
    .bind(case_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get(0)?;
            let kind = if kind == "custodian" { RequestKind::Custodian } else { RequestKind::Request };
            Ok((kind, r.try_get(1)?))
        })
        .collect()
}

/// The sealed identity of a case (None for an anonymous report).
pub async fn case_identity(conn: &mut AnyConnection, case_id: i64) -> Result<Option<Vec<u8>>, StorageError> {
    let row = sqlx::query("SELECT identity FROM cases WHERE id = $1").bind(case_id).fetch_one(conn).await?;
    Ok(row.try_get(0)?)
}

/// A case's id, unit and whether it has an identity, by reference (for custodians, who open no unit).
pub async fn case_by_reference(
    conn: &mut AnyConnection,
    reference: &str,
) -> Result<Option<(i64, String, bool)>, StorageError> {
    let row = sqlx::query(
        "SELECT id, unit_code, CASE WHEN identity IS NULL THEN 0 ELSE 1 END FROM cases WHERE reference = $1",
    )
    .bind(reference.to_owned())
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get::<i64, _>(2)? != 0))).transpose()
}

/// Every case's sealed identity (for re-sealing them all).
pub async fn all_identities(conn: &mut AnyConnection) -> Result<Vec<(i64, Vec<u8>)>, StorageError> {
    let rows = sqlx::query("SELECT id, identity FROM cases WHERE identity IS NOT NULL ORDER BY id")
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

pub async fn set_identity(conn: &mut AnyConnection, case_id: i64, sealed: &[u8]) -> Result<(), StorageError> {
    sqlx::query("UPDATE cases SET identity = $1 WHERE id = $2")
        .bind(sealed.to_vec())
        .bind(case_id)
        .execute(conn)
        .await?;
    Ok(())
}
