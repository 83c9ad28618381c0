//! Login and sessions. A session cookie carries a 256-bit id and a 256-bit key; the database keeps
//! the id's hash and the personal key sealed to a key derived from the cookie's key, so neither the
//! database alone nor the cookie alone recovers the personal key. Logout and expiry delete it.
use super::StaffError;
use super::accounts::{identity_text, open_personal_key, totp};
use crate::crypto::password::{self, Pepper};
use crate::crypto::{keys, seal};
use crate::domain::staff::{Role, Roles, Username};
use crate::state::AppState;
use crate::storage::accounts::{self, AccountRow};
use crate::storage::audit::{self, AuditEntry};
use age::x25519;
use zeroize::Zeroizing;

pub const COOKIE: &str = "rongrian_session";

/// The session cookie's two halves.
pub struct SessionCookie {
    id: [u8; 32],
    key: Zeroizing<[u8; 32]>,
}

impl SessionCookie {
    fn generate() -> Self {
        let mut id = [0u8; 32];
        let mut key = Zeroizing::new([0u8; 32]);
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut id);
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, key.as_mut());
        Self { id, key }
    }

    pub fn parse(value: &str) -> Option<Self> {
        let bytes = value.as_bytes();
        if bytes.len() != 128 {
            return None;
        }
        let mut id = [0u8; 32];
        let mut key = Zeroizing::new([0u8; 32]);
        for i in 0..64 {
            let byte = u8::from_str_radix(std::str::from_utf8(&bytes[i * 2..i * 2 + 2]).ok()?, 16).ok()?;
            if i < 32 {
                id[i] = byte;
            } else {
                key[i - 32] = byte;
            }
        }
        Some(Self { id, key })
    }

    pub fn value(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(128));
        for b in self.id.iter().chain(self.key.iter()) {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    fn id_hash(&self) -> [u8; 32] {
        blake3::derive_key("rongrian session id v1", &self.id)
    }

    fn envelope_identity(&self) -> Result<x25519::Identity, StaffError> {
        Ok(keys::derived_identity("rongrian session envelope v1", &self.key)?)
    }
}

/// A signed-in officer, with their personal key open for this request only.
pub struct StaffUser {
    pub account_id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Roles,
    pub personal: x25519::Identity,
    /// Made or reset by someone else: must set its own password and TOTP before anything else.
    pub pending_setup: bool,
    session_hash: [u8; 32],
}

impl StaffUser {
    pub fn has(&self, role: Role) -> bool {
        self.roles.has(role)
    }

    pub fn session_hash(&self) -> &[u8] {
        &self.session_hash
    }
}

#[derive(Debug)]
pub enum LoginFailure {
    /// Wrong username, password or code, or a disabled account: one answer for all.
    Invalid,
    /// A code that was already used: the same answer to the user, a different audit entry.
    Replayed,
    Failed(StaffError),
}

impl From<StaffError> for LoginFailure {
    fn from(e: StaffError) -> Self {
        LoginFailure::Failed(e)
    }
}

impl From<crate::storage::StorageError> for LoginFailure {
    fn from(e: crate::storage::StorageError) -> Self {
        LoginFailure::Failed(e.into())
    }
}

impl From<sqlx::Error> for LoginFailure {
    fn from(e: sqlx::Error) -> Self {
        LoginFailure::Failed(e.into())
    }
}

async fn audit_login(state: &AppState, actor: &str, action: &str) -> Result<(), StaffError> {
    let today = state.clock.today().to_string();
    let entry = AuditEntry { recorded_on: &today, actor, action, case_id: None, detail: "" };
    Ok(audit::record(&state.store, &state.audit_key, &entry).await?)
}

/// Checks password (argon2id, off the async threads) and TOTP code, then opens a session. Every
/// failure takes the same steps (a password check and an audit entry), known user or not.
pub async fn login(
    state: &AppState,
    username: &str,
    password_text: Zeroizing<String>,
    code: &str,
) -> Result<(SessionCookie, StaffUser), LoginFailure> {
    let cost = state.settings.staff.password_cost();
    let pepper = Pepper::from_server_key(&state.pepper_key);
    let account = match Username::parse(username) {
        Some(u) => {
            let mut conn = state.store.pool().acquire().await?;
            accounts::by_username(&mut conn, u.as_str()).await?
        }
        None => None,
    };
    let Some(account) = account else {
        let (pw, p) = (password_text.clone(), pepper.clone());
        let _ = tokio::task::spawn_blocking(move || password::verify_dummy(&pw, cost, &p)).await;
        audit_login(state, "unknown", "login.failed").await?;
        return Err(LoginFailure::Invalid);
    };
    let (stored, pw, p) = (account.password_hash.clone(), password_text.clone(), pepper.clone());
    let ok = tokio::task::spawn_blocking(move || password::verify(&pw, &stored, &p)).await.unwrap_or(false);
    if !ok || account.disabled {
        audit_login(state, &account.username, "login.failed").await?;
        return Err(LoginFailure::Invalid);
    }
    let Some(step) = check_totp(state, &account, code)? else {
        audit_login(state, &account.username, "login.failed").await?;
        return Err(LoginFailure::Invalid);
    };
    // The key is opened before the transaction: argon2 must not hold SQLite's write lock.
    let (salt, wrapped, pw) =
        (account.key_salt.clone(), account.wrapped_personal_key.clone(), password_text.clone());
    let personal =
        tokio::task::spawn_blocking(move || open_personal_key(&salt, &wrapped, &pw, cost, &pepper))
            .await
            .map_err(|_| StaffError::Corrupt("key task"))??;
    let cookie = SessionCookie::generate();
    let envelope =
        seal::seal(identity_text(&personal).as_bytes(), &[&cookie.envelope_identity()?.to_public()])
            .map_err(StaffError::from)?;
    let mut tx = state.store.begin().await?;
    if !use_totp_step(state, &mut tx, account.id, step).await? {
        drop(tx);
        audit_login(state, &account.username, "login.totp_replayed").await?;
        return Err(LoginFailure::Replayed);
    }
    let now = state.clock.now_utc().unix_timestamp();
    let (times, expires_on) = session_times(state, now, now);
    accounts::insert_session(&mut tx, &cookie.id_hash(), account.id, &times, &expires_on, &envelope).await?;
    let today = state.clock.today().to_string();
    audit::append(
        &mut tx,
        &state.audit_key,
        &AuditEntry {
            recorded_on: &today,
            actor: &account.username,
            action: "login",
            case_id: None,
            detail: "",
        },
    )
    .await?;
    audit::commit(tx, &state.audit_key).await?;
    let user = StaffUser {
        account_id: account.id,
        roles: Roles::parse(&account.roles).ok_or(StaffError::Corrupt("roles"))?,
        username: account.username,
        display_name: account.display_name,
        personal,
        pending_setup: account.pending_setup,
        session_hash: cookie.id_hash(),
    };
    Ok((cookie, user))
}

/// The time step of a valid code, or None.
fn check_totp(state: &AppState, account: &AccountRow, code: &str) -> Result<Option<i64>, StaffError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let secret = seal::open(&account.totp_secret, &state.totp_key)?;
    let t = totp(&secret, &account.username, &state.settings.staff.totp_issuer)?;
    let now = u64::try_from(state.clock.now_utc().unix_timestamp()).unwrap_or(0);
    Ok(t.check(&code, now).and_then(|step| i64::try_from(step).ok()))
}

/// Records a TOTP step as used; `false` if this or a later step was already used (a replay). The
/// last step is sealed, so the database does not say when an officer signed in.
async fn use_totp_step(
    state: &AppState,
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    step: i64,
) -> Result<bool, StaffError> {
    let old = accounts::sealed_totp_step(conn, account_id).await?;
    // A step sealed under a TOTP key since rotated does not open: it counts as none used.
    let last = old.as_deref().and_then(|s| state.totp_steps.open(s, 1)).map_or(0, |v| v[0]);
    if step <= last {
        return Ok(false);
    }
    Ok(accounts::swap_totp_step(conn, account_id, old.as_deref(), &state.totp_steps.seal(&[step])).await?)
}

/// A session's sealed times and the day (UTC) after which its row may be deleted.
fn session_times(state: &AppState, created: i64, last_seen: i64) -> (Vec<u8>, String) {
    let staff = &state.settings.staff;
    let ends = (last_seen + i64::from(staff.session_idle_minutes) * 60)
        .min(created + i64::from(staff.session_absolute_hours) * 3600);
    let day =
        time::OffsetDateTime::from_unix_timestamp(ends).map(|t| t.date().to_string()).unwrap_or_default();
    (state.session_times.seal(&[created, last_seen]), day)
}

/// Finds the session of a cookie, enforcing idle and absolute expiry, and opens the personal key.
pub async fn resume(state: &AppState, cookie_value: &str) -> Result<Option<StaffUser>, StaffError> {
    let Some(cookie) = SessionCookie::parse(cookie_value) else { return Ok(None) };
    let id_hash = cookie.id_hash();
    let mut conn = state.store.pool().acquire().await?;
    let Some(session) = accounts::session(&mut conn, &id_hash).await? else { return Ok(None) };
    let now = state.clock.now_utc().unix_timestamp();
    let staff = &state.settings.staff;
    let idle = i64::from(staff.session_idle_minutes) * 60;
    let absolute = i64::from(staff.session_absolute_hours) * 3600;
    // Times sealed under a cookie key since rotated do not open: the session is over.
    let Some((created_at, last_seen_at)) =
        session.sealed_times.as_deref().and_then(|s| state.session_times.open(s, 2)).map(|v| (v[0], v[1]))
    else {
        accounts::delete_session(&mut conn, &id_hash).await?;
        return Ok(None);
    };
    if now - last_seen_at > idle || now - created_at > absolute {
        accounts::delete_session(&mut conn, &id_hash).await?;
        return Ok(None);
    }
    let Some(account) = accounts::by_id(&mut conn, session.account_id).await? else { return Ok(None) };
    if account.disabled {
        accounts::delete_session(&mut conn, &id_hash).await?;
        return Ok(None);
    }
    let Ok(text) = seal::open(&session.sealed_personal_key, &cookie.envelope_identity()?) else {
        return Ok(None);
    };
    let text = std::str::from_utf8(&text).map_err(|_| StaffError::Corrupt("personal key"))?;
    let personal = keys::parse_identity(text)?;
    // Writing on every request would serialise readers on SQLite; a minute's precision is enough.
    if now - last_seen_at >= 60 {
        let (times, expires_on) = session_times(state, created_at, now);
        accounts::touch_session(&mut conn, &id_hash, &times, &expires_on).await?;
    }
    Ok(Some(StaffUser {
        account_id: account.id,
        roles: Roles::parse(&account.roles).ok_or(StaffError::Corrupt("roles"))?,
        username: account.username,
        display_name: account.display_name,
        personal,
        pending_setup: account.pending_setup,
        session_hash: id_hash,
    }))
}

/// Ends the session: the sealed personal key is deleted with it.
pub async fn logout(state: &AppState, user: &StaffUser) -> Result<(), StaffError> {
    let mut tx = state.store.begin().await?;
    accounts::delete_session(&mut tx, &user.session_hash).await?;
    let today = state.clock.today().to_string();
    audit::append(
        &mut tx,
        &state.audit_key,
        &AuditEntry {
            recorded_on: &today,
            actor: &user.username,
            action: "logout",
            case_id: None,
            detail: "",
        },
    )
    .await?;
    audit::commit(tx, &state.audit_key).await?;
    Ok(())
}
