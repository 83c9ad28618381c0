//! Staff accounts, sessions and unit memberships.
use super::StorageError;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

pub struct NewAccount<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub roles: &'a str,
    pub password_hash: &'a str,
    pub key_salt: &'a [u8],
    pub wrapped_personal_key: &'a [u8],
    pub personal_recipient: &'a str,
    pub totp_secret: &'a [u8],
    pub email: Option<&'a str>,
    pub created_on: &'a str,
}

#[derive(Debug)]
pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: String,
    pub password_hash: String,
    pub key_salt: Vec<u8>,
    pub wrapped_personal_key: Vec<u8>,
    pub personal_recipient: String,
    pub totp_secret: Vec<u8>,
    pub disabled: bool,
    pub pending_setup: bool,
    pub email: Option<String>,
}

// Booleans are read through CAST: sqlx's Any driver cannot decode SQLite's BOOLEAN declared type.
const ACCOUNT_COLUMNS: &str = "id, username, display_name, roles, password_hash, key_salt, wrapped_personal_key, \
     personal_recipient, totp_secret, CAST(disabled AS INTEGER), pending_setup, email";

fn account(r: &AnyRow) -> Result<AccountRow, sqlx::Error> {
    Ok(AccountRow {
        id: r.try_get(0)?,
        username: r.try_get(1)?,
        display_name: r.try_get(2)?,
        roles: r.try_get(3)?,
        password_hash: r.try_get(4)?,
        key_salt: r.try_get(5)?,
        wrapped_personal_key: r.try_get(6)?,
        personal_recipient: r.try_get(7)?,
        totp_secret: r.try_get(8)?,
        disabled: r.try_get::<i64, _>(9)? != 0,
        pending_setup: r.try_get::<i64, _>(10)? != 0,
        email: r.try_get(11)?,
    })
}

/// Inserts a new (pending) account; `None` if the username is taken.
pub async fn insert(conn: &mut AnyConnection, a: &NewAccount<'_>) -> Result<Option<i64>, StorageError> {
    let row = sqlx::query(
        "INSERT INTO accounts (username, display_name, roles, password_hash, key_salt, wrapped_personal_key, \
         personal_recipient, totp_secret, totp_last_step, disabled, created_on, email) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, FALSE, $9, $10) \
         ON CONFLICT (username) DO NOTHING RETURNING id",
    )
    .bind(a.username.to_owned())
    .bind(a.display_name.to_owned())
    .bind(a.roles.to_owned())
    .bind(a.password_hash.to_owned())
    .bind(a.key_salt.to_vec())
    .bind(a.wrapped_personal_key.to_vec())
    .bind(a.personal_recipient.to_owned())
    .bind(a.totp_secret.to_vec())
    .bind(a.created_on.to_owned())
    .bind(a.email.map(str::to_owned))
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

pub async fn by_username(
    conn: &mut AnyConnection,
    username: &str,
) -> Result<Option<AccountRow>, StorageError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username = $1"));
    let row = sqlx::query(sql).bind(username.to_owned()).fetch_optional(conn).await?;
    Ok(row.as_ref().map(account).transpose()?)
}

pub async fn by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<AccountRow>, StorageError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"));
    let row = sqlx::query(sql).bind(id).fetch_optional(conn).await?;
    Ok(row.as_ref().map(account).transpose()?)
}

/// The last TOTP step used, as sealed (`None`: none used since the secret was made).
pub async fn sealed_totp_step(
    conn: &mut AnyConnection,
    account_id: i64,
) -> Result<Option<Vec<u8>>, StorageError> {
    let row = sqlx::query("SELECT sealed_totp_step FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.try_get::<Option<Vec<u8>>, _>(0)).transpose()?.flatten())
}

/// Replaces the sealed last TOTP step if it is still `old` (compare and swap, so two sign-ins with
/// the same code cannot both pass); `false` if another sign-in changed it meanwhile.
pub async fn swap_totp_step(
    conn: &mut AnyConnection,
    account_id: i64,
    old: Option<&[u8]>,
    new: &[u8],
) -> Result<bool, StorageError> {
    let done = match old {
        Some(old) => {
            sqlx::query("UPDATE accounts SET sealed_totp_step = $1 WHERE id = $2 AND sealed_totp_step = $3")
                .bind(new.to_vec())
                .bind(account_id)
                .bind(old.to_vec())
                .execute(conn)
                .await?
        }
        None => {
            sqlx::query(
                "UPDATE accounts SET sealed_totp_step = $1 WHERE id = $2 AND sealed_totp_step IS NULL",
            )
            .bind(new.to_vec())
            .bind(account_id)
            .execute(conn)
            .await?
        }
    };
    Ok(done.rows_affected() == 1)
}

/// Disables an account by name; its id, or `None` if there is no such account.
pub async fn disable(conn: &mut AnyConnection, username: &str) -> Result<Option<i64>, StorageError> {
    let row = sqlx::query("UPDATE accounts SET disabled = TRUE WHERE username = $1 RETURNING id")
        .bind(username.to_owned())
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

pub struct Credentials<'a> {
    pub password_hash: &'a str,
    pub key_salt: &'a [u8],
    pub wrapped_personal_key: &'a [u8],
    pub personal_recipient: &'a str,
    pub totp_secret: &'a [u8],
    pub pending_setup: bool,
}

/// Replaces an account's credentials and personal key. With `expected_hash`, only if the password
/// hash is still that one (a reset in between wins). The TOTP replay guard restarts only with a new
/// secret. Returns the account id, or `None` if nothing matched.
pub async fn replace_credentials(
    conn: &mut AnyConnection,
    username: &str,
    c: &Credentials<'_>,
    expected_hash: Option<&str>,
) -> Result<Option<i64>, StorageError> {
    let row = sqlx::query(
        "UPDATE accounts SET password_hash = $1, key_salt = $2, wrapped_personal_key = $3, personal_recipient = $4, \
         sealed_totp_step = CASE WHEN totp_secret = $5 THEN sealed_totp_step ELSE NULL END, totp_secret = $5, \
         pending_setup = $6 WHERE username = $7 AND (password_hash = $8 OR $9 = 0) RETURNING id",
    )
    .bind(c.password_hash.to_owned())
    .bind(c.key_salt.to_vec())
    .bind(c.wrapped_personal_key.to_vec())
    .bind(c.personal_recipient.to_owned())
    .bind(c.totp_secret.to_vec())
    .bind(i64::from(c.pending_setup))
    .bind(username.to_owned())
    .bind(expected_hash.unwrap_or_default().to_owned())
    .bind(i64::from(expected_hash.is_some()))
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

pub struct SessionRow {
    pub account_id: i64,
    /// Start and last use, sealed with a server secret (see `crypto::sealed_time`).
    pub sealed_times: Option<Vec<u8>>,
    pub sealed_personal_key: Vec<u8>,
}

/// A new session. The plain time columns stay 0: only the sealed times and the day the session
/// expires (for clean-up) are stored.
pub async fn insert_session(
    conn: &mut AnyConnection,
    id_hash: &[u8],
    account_id: i64,
    sealed_times: &[u8],
    expires_on: &str,
    sealed_personal_key: &[u8],
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, account_id, created_at, last_seen_at, sealed_times, expires_on, \
         sealed_personal_key) VALUES ($1, $2, 0, 0, $3, $4, $5)",
    )
    .bind(id_hash.to_vec())
    .bind(account_id)
    .bind(sealed_times.to_vec())
    .bind(expires_on.to_owned())
    .bind(sealed_personal_key.to_vec())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn session(conn: &mut AnyConnection, id_hash: &[u8]) -> Result<Option<SessionRow>, StorageError> {
    let row =
        sqlx::query("SELECT account_id, sealed_times, sealed_personal_key FROM sessions WHERE id_hash = $1")
            .bind(id_hash.to_vec())
            .fetch_optional(conn)
            .await?;
    let session = |r: AnyRow| -> Result<SessionRow, sqlx::Error> {
        Ok(SessionRow {
            account_id: r.try_get(0)?,
            sealed_times: r.try_get(1)?,
            sealed_personal_key: r.try_get(2)?,
        })
    };
    Ok(row.map(session).transpose()?)
}

pub async fn touch_session(
    conn: &mut AnyConnection,
    id_hash: &[u8],
    sealed_times: &[u8],
    expires_on: &str,
) -> Result<(), StorageError> {
    sqlx::query("UPDATE sessions SET sealed_times = $1, expires_on = $2 WHERE id_hash = $3")
        .bind(sealed_times.to_vec())
        .bind(expires_on.to_owned())
        .bind(id_hash.to_vec())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_session(conn: &mut AnyConnection, id_hash: &[u8]) -> Result<(), StorageError> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash.to_vec()).execute(conn).await?;
    Ok(())
}

pub async fn delete_sessions_of(conn: &mut AnyConnection, account_id: i64) -> Result<(), StorageError> {
    sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(account_id).execute(conn).await?;
    Ok(())
}

/// Records a membership, only while the account is enabled, set up, and still has the personal
/// key the unit secret was wrapped to; `false` otherwise.
pub async fn grant_unit(
    conn: &mut AnyConnection,
    unit_code: &str,
    account_id: i64,
    wrapped_to: &str,
    wrapped_unit_key: &[u8],
    today: &str,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO unit_members (unit_code, account_id, wrapped_unit_key, granted_on) \
         SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $2 AND personal_recipient = $5 \
         AND pending_setup = 0 AND disabled = FALSE) \
         ON CONFLICT (unit_code, account_id) DO UPDATE SET wrapped_unit_key = $3, granted_on = $4",
    )
    .bind(unit_code.to_owned())
    .bind(account_id)
    .bind(wrapped_unit_key.to_vec())
    .bind(today.to_owned())
    .bind(wrapped_to.to_owned())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The units an account belongs to, with the unit secret wrapped to the account's personal key.
pub async fn memberships(
    conn: &mut AnyConnection,
    account_id: i64,
) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
    let rows = sqlx::query(
        "SELECT unit_code, wrapped_unit_key FROM unit_members WHERE account_id = $1 ORDER BY unit_code",
    )
    .bind(account_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

pub async fn revoke_all_units(
    conn: &mut AnyConnection,
    account_id: i64,
) -> Result<Vec<String>, StorageError> {
    let rows = sqlx::query("DELETE FROM unit_members WHERE account_id = $1 RETURNING unit_code")
        .bind(account_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

pub async fn delete_other_sessions(
    conn: &mut AnyConnection,
    account_id: i64,
    keep: &[u8],
) -> Result<(), StorageError> {
    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash <> $2")
        .bind(account_id)
        .bind(keep.to_vec())
        .execute(conn)
        .await?;
    Ok(())
}

pub struct AccountSummary {
    pub username: String,
    pub display_name: String,
    pub roles: String,
    pub email: Option<String>,
    pub disabled: bool,
    pub units: Vec<String>,
}

/// Every account with its units, for the administrators' page (no key material).
pub async fn summaries(conn: &mut AnyConnection) -> Result<Vec<AccountSummary>, StorageError> {
    let rows = sqlx::query(
        "SELECT id, username, display_name, roles, email, CAST(disabled AS INTEGER) FROM accounts ORDER BY username",
    )
    .fetch_all(&mut *conn)
    .await?;
    let members = sqlx::query("SELECT account_id, unit_code FROM unit_members ORDER BY unit_code")
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let id: i64 = r.try_get(0)?;
        let mut units = Vec::new();
        for m in &members {
            if m.try_get::<i64, _>(0)? == id {
                units.push(m.try_get(1)?);
            }
        }
        out.push(AccountSummary {
            username: r.try_get(1)?,
            display_name: r.try_get(2)?,
            roles: r.try_get(3)?,
            email: r.try_get(4)?,
            disabled: r.try_get::<i64, _>(5)? != 0,
            units,
        });
    }
    Ok(out)
}

/// Deletes the sessions that expired before `today` (UTC), with the personal keys sealed in them.
/// Sessions are refused the second they expire; the row goes by the next day.
pub async fn purge_sessions(conn: &mut AnyConnection, today: &str) -> Result<(), StorageError> {
    sqlx::query("DELETE FROM sessions WHERE expires_on IS NULL OR expires_on < $1")
        .bind(today.to_owned())
        .execute(conn)
        .await?;
    Ok(())
}
