//! Provisioning staff accounts: a personal age key wrapped under the password, a TOTP secret sealed
//! to a server key, and unit memberships that wrap each unit's secret to the member's personal key.
//! An account made or reset by someone else starts "pending": at its first sign-in its holder sets a
//! password, gets a new personal key and a new TOTP secret that nobody else has seen, and only then
//! can it receive unit grants or reporters' identities.
use super::StaffError;
use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::keys::{self, unwrap_identity, wrap_identity};
use crate::crypto::password::{self, Pepper};
use crate::domain::staff::{Roles, Username};
use crate::storage::audit::{self, AuditEntry, AuditKey};
use crate::storage::{StorageError, Store, accounts, units};
use age::x25519;
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

/// What a new or reset account is told once: never stored in the clear, never logged.
pub struct Credentials {
    pub username: String,
    pub password: Zeroizing<String>,
    pub totp_secret_base32: Zeroizing<String>,
    pub totp_url: Zeroizing<String>,
}

/// The server-side key that seals TOTP secrets, derived from a secret file outside the database.
pub fn totp_identity(totp_key: &[u8; 32]) -> Result<x25519::Identity, StaffError> {
    Ok(keys::derived_identity("rongrian totp secret v1", totp_key)?)
}

pub fn totp(secret: &[u8], username: &str, issuer: &str) -> Result<totp_rs::Totp, StaffError> {
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::new(secret.to_vec().into_boxed_slice()))
        .with_account_name(username)
        .with_issuer(Some(issuer))
        .build()
        .map_err(|e| StaffError::Invalid(format!("TOTP: {e}")))
}

/// A generated password: 25 random Crockford symbols (125 bits), grouped for typing.
fn generated_password() -> Zeroizing<String> {
    const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut bytes = Zeroizing::new([0u8; 25]);
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, bytes.as_mut());
    let mut out = Zeroizing::new(String::with_capacity(30));
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 5 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[usize::from(b & 31)]));
    }
    out
}

struct KeyMaterial {
    password_hash: String,
    key_salt: [u8; 16],
    wrapped_personal_key: Vec<u8>,
    personal_recipient: String,
}

/// Hashes the password and wraps the personal identity under it (argon2id: call off async threads).
fn key_material(
    password_text: &str,
    personal: &x25519::Identity,
    cost: password::PasswordCost,
    pepper: &Pepper,
) -> Result<KeyMaterial, StaffError> {
    let key_salt = password::new_salt();
    let wrapping = password::wrapping_identity(password_text, &key_salt, cost, pepper)?;
    Ok(KeyMaterial {
        password_hash: password::hash(password_text, cost, pepper)?,
        key_salt,
        wrapped_personal_key: wrap_identity(personal, &[&wrapping.to_public()])?,
        personal_recipient: personal.to_public().to_string(),
    })
}

/// A new TOTP secret: sealed for storage, and as its holder sees it once (base32 and otpauth URI).
pub struct NewTotp {
    sealed: Vec<u8>,
    pub base32: Zeroizing<String>,
    pub url: Zeroizing<String>,
}

fn new_totp_secret(username: &str, settings: &Settings, totp_key: &[u8; 32]) -> Result<NewTotp, StaffError> {
    let mut secret = Zeroizing::new([0u8; 20]);
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, secret.as_mut());
    let t = totp(secret.as_ref(), username, &settings.staff.totp_issuer)?;
    let url = Zeroizing::new(t.to_url().map_err(|e| StaffError::Invalid(format!("TOTP: {e}")))?);
    let base32 = Zeroizing::new(totp_rs::Secret::new(secret.to_vec().into_boxed_slice()).to_base32());
    let sealed = crate::crypto::seal::seal(secret.as_ref(), &[&totp_identity(totp_key)?.to_public()])?;
    Ok(NewTotp { sealed, base32, url })
}

async fn audit_admin(
    conn: &mut sqlx::AnyConnection,
    key: &AuditKey,
    clock: &Clock,
    actor: &str,
    action: &str,
    detail: &str,
) -> Result<(), StorageError> {
    let today = clock.today().to_string();
    audit::append(conn, key, &AuditEntry { recorded_on: &today, actor, action, case_id: None, detail }).await
}

pub struct NewStaff<'a> {
    pub username: &'a Username,
    pub display_name: &'a str,
    pub roles: &'a Roles,
    /// Where notifications go; none means the officer gets no e-mail.
    pub email: Option<&'a str>,
}

pub struct AdminContext<'a> {
    pub store: &'a Store,
    pub settings: &'a Settings,
    pub clock: &'a Clock,
    /// The password pepper's secret file (never rotated).
    pub pepper_key: &'a [u8; 32],
    /// The key that seals TOTP secrets.
    pub totp_key: &'a [u8; 32],
    pub audit_key: &'a AuditKey,
    /// Who does this, for the audit trail (`cli` on the command line).
    pub actor: &'a str,
}

impl AdminContext<'_> {
    fn pepper(&self) -> Pepper {
        Pepper::from_server_key(self.pepper_key)
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StaffError> + Send + 'static,
) -> Result<T, StaffError> {
    tokio::task::spawn_blocking(f).await.map_err(|_| StaffError::Corrupt("key task"))?
}

pub async fn create(ctx: &AdminContext<'_>, new: &NewStaff<'_>) -> Result<Credentials, StaffError> {
    if new.roles.is_empty() {
        return Err(StaffError::Invalid("an account needs at least one role".into()));
    }
    let display_name = crate::domain::text::strip_invisible(new.display_name);
    let display_name = display_name.trim();
    if crate::domain::text::has_control(display_name) {
        return Err(StaffError::Invalid("the display name has a control character".into()));
    }
    if display_name.is_empty() || display_name.chars().count() > 200 {
        return Err(StaffError::Invalid("the display name must be 1-200 characters".into()));
    }
    if let Some(email) = new.email
        && email.parse::<lettre::message::Mailbox>().is_err()
    {
        return Err(StaffError::Invalid(format!("`{email}` is not an e-mail address")));
    }
    let username = new.username.as_str();
    let password_text = generated_password();
    let personal = x25519::Identity::generate();
    let (cost, pepper, pw) = (ctx.settings.staff.password_cost(), ctx.pepper(), password_text.clone());
    let material = blocking(move || key_material(&pw, &personal, cost, &pepper)).await?;
    let totp = new_totp_secret(username, ctx.settings, ctx.totp_key)?;
    let mut tx = ctx.store.begin().await?;
    // The insert comes first: it takes SQLite's write lock, and a taken name is a conflict, not an error.
    let inserted = accounts::insert(
        &mut tx,
        &accounts::NewAccount {
            username,
            display_name,
            roles: &new.roles.stored(),
            password_hash: &material.password_hash,
            key_salt: &material.key_salt,
            wrapped_personal_key: &material.wrapped_personal_key,
            personal_recipient: &material.personal_recipient,
            totp_secret: &totp.sealed,
            email: new.email,
            created_on: &ctx.clock.today().to_string(),
        },
    )
    .await?;
    if inserted.is_none() {
        return Err(StaffError::AccountExists(username.to_owned()));
    }
    let detail = format!("username={username} roles={}", new.roles.stored());
    audit_admin(&mut tx, ctx.audit_key, ctx.clock, ctx.actor, "account.created", &detail).await?;
    audit::commit(tx, ctx.audit_key).await?;
    Ok(Credentials {
        username: username.to_owned(),
        password: password_text,
        totp_secret_base32: totp.base32,
        totp_url: totp.url,
    })
}

/// Grants a unit with the offline escrow identity (the command line's way in).
pub async fn grant_with_escrow(
    ctx: &AdminContext<'_>,
    username: &Username,
    unit: &str,
    escrow: &x25519::Identity,
) -> Result<(), StaffError> {
    let mut conn = ctx.store.pool().acquire().await?;
    let wrapped = units::escrow_wrapped_secret(&mut conn, unit)
        .await?
        .ok_or_else(|| StaffError::UnknownUnit(unit.into()))?;
    drop(conn);
    let unit_identity = unwrap_identity(&wrapped, escrow)?;
    grant(ctx, username, unit, &unit_identity).await
}

/// Wraps an open unit identity to the account's personal key and records the membership. Refused
/// for a pending account: its key is still one that someone else set up.
pub async fn grant(
    ctx: &AdminContext<'_>,
    username: &Username,
    unit: &str,
    unit_identity: &x25519::Identity,
) -> Result<(), StaffError> {
    let mut conn = ctx.store.pool().acquire().await?;
    let account = accounts::by_username(&mut conn, username.as_str())
        .await?
        .ok_or_else(|| StaffError::UnknownAccount(username.as_str().into()))?;
    drop(conn);
    if account.pending_setup {
        return Err(StaffError::PendingSetup(username.as_str().into()));
    }
    let recipient = keys::parse_recipient(&account.personal_recipient)?;
    let wrapped = wrap_identity(unit_identity, &[&recipient])?;
    let mut tx = ctx.store.begin().await?;
    if !accounts::grant_unit(
        &mut tx,
        unit,
        account.id,
        &account.personal_recipient,
        &wrapped,
        &ctx.clock.today().to_string(),
    )
    .await?
    {
        return Err(StaffError::PendingSetup(username.as_str().into()));
    }
    let detail = format!("username={} unit={unit}", username.as_str());
    audit_admin(&mut tx, ctx.audit_key, ctx.clock, ctx.actor, "unit.granted", &detail).await?;
    audit::commit(tx, ctx.audit_key).await?;
    Ok(())
}

/// Removes every key wrapped to an account: its unit grants and its copy of the custody key. Returns
/// what was revoked (unit codes, and `custody`).
async fn revoke_keys(conn: &mut sqlx::AnyConnection, account_id: i64) -> Result<Vec<String>, StorageError> {
    let mut revoked = accounts::revoke_all_units(conn, account_id).await?;
    if crate::storage::custody::revoke(conn, account_id).await? {
        revoked.push("custody".to_owned());
    }
    // Identities disclosed to the old key go too: a copy of the database and the old password
    // must open nothing.
    crate::storage::custody::clear_disclosures_to(conn, account_id).await?;
    Ok(revoked)
}

/// Disables an account: its sessions end and its unit grants are revoked (a former officer's
/// password must open nothing, even with a copy of the database).
pub async fn disable(ctx: &AdminContext<'_>, username: &Username) -> Result<Vec<String>, StaffError> {
    let mut tx = ctx.store.begin().await?;
    let id = accounts::disable(&mut tx, username.as_str())
        .await?
        .ok_or_else(|| StaffError::UnknownAccount(username.as_str().into()))?;
    accounts::delete_sessions_of(&mut tx, id).await?;
    let revoked = revoke_keys(&mut tx, id).await?;
    let detail = format!("username={} revoked={}", username.as_str(), revoked.join(","));
    audit_admin(&mut tx, ctx.audit_key, ctx.clock, ctx.actor, "account.disabled", &detail).await?;
    audit::commit(tx, ctx.audit_key).await?;
    Ok(revoked)
}

/// An administrator's reset: new password, new personal key, new TOTP secret, and the account is
/// pending again (its holder replaces them at the next sign-in). Unit grants wrapped to the old key
/// are revoked and must be renewed; the list is returned.
pub async fn reset(
    ctx: &AdminContext<'_>,
    username: &Username,
) -> Result<(Credentials, Vec<String>), StaffError> {
    let password_text = generated_password();
    let personal = x25519::Identity::generate();
    let (cost, pepper, pw) = (ctx.settings.staff.password_cost(), ctx.pepper(), password_text.clone());
    let material = blocking(move || key_material(&pw, &personal, cost, &pepper)).await?;
    let totp = new_totp_secret(username.as_str(), ctx.settings, ctx.totp_key)?;
    let mut tx = ctx.store.begin().await?;
    let id = accounts::replace_credentials(
        &mut tx,
        username.as_str(),
        &accounts::Credentials {
            password_hash: &material.password_hash,
            key_salt: &material.key_salt,
            wrapped_personal_key: &material.wrapped_personal_key,
            personal_recipient: &material.personal_recipient,
            totp_secret: &totp.sealed,
            pending_setup: true,
        },
        None,
    )
    .await?
    .ok_or_else(|| StaffError::UnknownAccount(username.as_str().into()))?;
    accounts::delete_sessions_of(&mut tx, id).await?;
    let revoked = revoke_keys(&mut tx, id).await?;
    let detail = format!("username={} revoked={}", username.as_str(), revoked.join(","));
    audit_admin(&mut tx, ctx.audit_key, ctx.clock, ctx.actor, "account.reset", &detail).await?;
    audit::commit(tx, ctx.audit_key).await?;
    let credentials = Credentials {
        username: username.as_str().to_owned(),
        password: password_text,
        totp_secret_base32: totp.base32,
        totp_url: totp.url,
    };
    Ok((credentials, revoked))
}

/// Opens an account's personal identity with its password (at login; argon2id, so call it off the
/// async threads).
pub fn open_personal_key(
    key_salt: &[u8],
    wrapped_personal_key: &[u8],
    password_text: &str,
    cost: password::PasswordCost,
    pepper: &Pepper,
) -> Result<x25519::Identity, StaffError> {
    let wrapping = password::wrapping_identity(password_text, key_salt, cost, pepper)?;
    Ok(unwrap_identity(wrapped_personal_key, &wrapping)?)
}

/// The personal identity as the age string, for sealing it into a session envelope.
pub fn identity_text(identity: &x25519::Identity) -> Zeroizing<String> {
    Zeroizing::new(identity.to_string().expose_secret().to_owned())
}

#[derive(Debug)]
pub enum PasswordChange {
    Changed,
    WrongCurrent,
    Rejected(crate::domain::staff::PasswordProblem),
    /// An administrator reset the account meanwhile; nothing was changed.
    Conflict,
}

/// Changes an officer's own password: the personal key (open in their session) is wrapped again
/// under the new password, so unit grants keep working. Other sessions of the account end. The
/// change applies only if the credentials are still the ones the session was opened with.
pub async fn change_password(
    state: &crate::state::AppState,
    user: &crate::staff::auth::StaffUser,
    current: Zeroizing<String>,
    new: Zeroizing<String>,
) -> Result<PasswordChange, StaffError> {
    let mut conn = state.store.pool().acquire().await?;
    let account = accounts::by_id(&mut conn, user.account_id).await?.ok_or(StaffError::Corrupt("account"))?;
    drop(conn);
    let pepper = Pepper::from_server_key(&state.pepper_key);
    let (stored, check, p) = (account.password_hash.clone(), current.clone(), pepper.clone());
    let ok =
        tokio::task::spawn_blocking(move || password::verify(&check, &stored, &p)).await.unwrap_or(false);
    if !ok {
        return Ok(PasswordChange::WrongCurrent);
    }
    if let Err(problem) = crate::domain::staff::check_new_password(
        &new,
        &[account.username.as_str(), account.display_name.as_str()],
    ) {
        return Ok(PasswordChange::Rejected(problem));
    }
    let (cost, personal) = (state.settings.staff.password_cost(), user.personal.clone());
    let material = blocking(move || key_material(&new, &personal, cost, &pepper)).await?;
    let mut tx = state.store.begin().await?;
    let changed = accounts::replace_credentials(
        &mut tx,
        &account.username,
        &accounts::Credentials {
            password_hash: &material.password_hash,
            key_salt: &material.key_salt,
            wrapped_personal_key: &material.wrapped_personal_key,
            personal_recipient: &material.personal_recipient,
            totp_secret: &account.totp_secret,
            pending_setup: false,
        },
        Some(&account.password_hash),
    )
    .await?;
    if changed.is_none() {
        return Ok(PasswordChange::Conflict);
    }
    accounts::delete_other_sessions(&mut tx, account.id, user.session_hash()).await?;
    let today = state.clock.today().to_string();
    audit::append(
        &mut tx,
        &state.audit_key,
        &AuditEntry {
            recorded_on: &today,
            actor: &account.username,
            action: "account.password_changed",
            case_id: None,
            detail: "",
        },
    )
    .await?;
    audit::commit(tx, &state.audit_key).await?;
    Ok(PasswordChange::Changed)
}

pub enum Setup {
    /// Done: the new TOTP secret, shown once; every session of the account has ended.
    Done(NewTotp),
    Rejected(crate::domain::staff::PasswordProblem),
    Conflict,
}

/// The first sign-in of a pending account: its holder's own password, a new personal key and a new
/// TOTP secret. Nothing was sealed to the old key (pending accounts get no grants and no identities),
/// so it is simply replaced.
pub async fn complete_setup(
    state: &crate::state::AppState,
    account_id: i64,
    new: Zeroizing<String>,
) -> Result<Setup, StaffError> {
    let mut conn = state.store.pool().acquire().await?;
    let account = accounts::by_id(&mut conn, account_id).await?.ok_or(StaffError::Corrupt("account"))?;
    drop(conn);
    if !account.pending_setup {
        return Ok(Setup::Conflict);
    }
    if let Err(problem) = crate::domain::staff::check_new_password(
        &new,
        &[account.username.as_str(), account.display_name.as_str()],
    ) {
        return Ok(Setup::Rejected(problem));
    }
    let personal = x25519::Identity::generate();
    let (cost, pepper) = (state.settings.staff.password_cost(), Pepper::from_server_key(&state.pepper_key));
    let material = blocking(move || key_material(&new, &personal, cost, &pepper)).await?;
    let totp = new_totp_secret(&account.username, &state.settings, &state.totp_secret_key)?;
    let mut tx = state.store.begin().await?;
    let done = accounts::replace_credentials(
        &mut tx,
        &account.username,
        &accounts::Credentials {
            password_hash: &material.password_hash,
            key_salt: &material.key_salt,
            wrapped_personal_key: &material.wrapped_personal_key,
            personal_recipient: &material.personal_recipient,
            totp_secret: &totp.sealed,
            pending_setup: false,
        },
        Some(&account.password_hash),
    )
    .await?;
    if done.is_none() {
        return Ok(Setup::Conflict);
    }
    accounts::delete_sessions_of(&mut tx, account.id).await?;
    let today = state.clock.today().to_string();
    audit::append(
        &mut tx,
        &state.audit_key,
        &AuditEntry {
            recorded_on: &today,
            actor: &account.username,
            action: "account.setup_completed",
            case_id: None,
            detail: "",
        },
    )
    .await?;
    audit::commit(tx, &state.audit_key).await?;
    Ok(Setup::Done(totp))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_grouped_and_strong() {
        let p = generated_password();
        assert_eq!(p.len(), 29);
        assert!(crate::domain::staff::check_new_password(&p, &[]).is_ok());
        assert_ne!(*p, *generated_password());
    }
}
