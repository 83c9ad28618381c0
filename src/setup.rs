//! Initialising an installation: the data directory, the server's secrets (0600 files, never in the
//! database), the escrow key (its secret written once, for offline keeping), the unit keys and the
//! identity-custody key.
use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::CryptoError;
use crate::crypto::keys::{self, identity_file_text, new_secret_key_hex, write_private_file};
use crate::storage::audit::{self, AuditEntry, AuditKey};
use crate::storage::{StorageError, Store, custody, installation, units};
use age::x25519;
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{0} is already initialised; refusing to overwrite it")]
    AlreadyInitialised(String),
    #[error("the escrow identity file {0} already exists; refusing to overwrite it")]
    EscrowFileExists(PathBuf),
    #[error("the database is initialised but the secrets in {0} are missing: restore them from backup")]
    SecretsMissing(PathBuf),
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error(
        "{file} is missing from {dir}: {consequence}. Restore it from the backup of this installation; \
         do not create a new one"
    )]
    SecretFileMissing { dir: PathBuf, file: &'static str, consequence: &'static str },
    #[error(
        "the secrets in {dir} do not belong to this database ({files} differ from the fingerprints the \
         database holds). Was the data directory or the database restored from another installation? \
         Put back the matching secrets; refusing to start"
    )]
    SecretsMismatch { dir: PathBuf, files: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// Where an installation keeps its files.
pub struct DataPaths {
    pub data_dir: PathBuf,
    pub secrets_dir: PathBuf,
    pub token_hash_key: PathBuf,
    /// CSRF cookies; rotatable: delete it and restart (open forms must be reloaded).
    pub cookie_key: PathBuf,
    pub audit_key: PathBuf,
    /// argon2's secret input for every password and personal key: never rotated, kept in the backup.
    pub password_pepper: PathBuf,
    /// Seals the officers' TOTP secrets; rotatable with `rongrian keys rotate-totp`.
    pub totp_key: PathBuf,
}

impl DataPaths {
    pub fn new(data_dir: &Path) -> Self {
        let secrets_dir = data_dir.join("secrets");
        Self {
            data_dir: data_dir.to_owned(),
            token_hash_key: secrets_dir.join("token-hash.key"),
            cookie_key: secrets_dir.join("cookie.key"),
            audit_key: secrets_dir.join("audit-chain.key"),
            password_pepper: secrets_dir.join("password-pepper.key"),
            totp_key: secrets_dir.join("totp.key"),
            secrets_dir,
        }
    }

    pub fn has_secrets(&self) -> bool {
        [&self.token_hash_key, &self.cookie_key, &self.audit_key, &self.password_pepper, &self.totp_key]
            .iter()
            .any(|p| p.exists())
    }
}

/// The server's secrets, one job each.
pub struct Secrets {
    pub token_hash_key: Zeroizing<[u8; 32]>,
    pub cookie_key: Zeroizing<[u8; 32]>,
    pub audit_key: Zeroizing<[u8; 32]>,
    pub password_pepper: Zeroizing<[u8; 32]>,
    pub totp_key: Zeroizing<[u8; 32]>,
}

/// Reads the secrets. An installation from before the split had one `cookie.key` doing three jobs:
/// its bytes are copied once into `password-pepper.key` and `totp.key`, so passwords and TOTP
/// secrets keep working, and from then on `cookie.key` can be rotated alone. A missing
/// `cookie.key` is made anew (that is its rotation); any other missing secret is an error.
pub fn load_secrets(paths: &DataPaths) -> Result<Secrets, SetupError> {
    let missing = |file: &'static str, consequence: &'static str| SetupError::SecretFileMissing {
        dir: paths.secrets_dir.clone(),
        file,
        consequence,
    };
    if !paths.token_hash_key.exists() {
        return Err(missing("token-hash.key", "no submission token can be matched to its case"));
    }
    if !paths.audit_key.exists() {
        return Err(missing("audit-chain.key", "the audit trail cannot be verified or extended"));
    }
    match (paths.password_pepper.exists(), paths.totp_key.exists()) {
        (true, true) => {}
        (false, false) if paths.cookie_key.exists() => {
            let legacy = Zeroizing::new(
                std::fs::read(&paths.cookie_key)
                    .map_err(|e| SetupError::Io { path: paths.cookie_key.clone(), reason: e.to_string() })?,
            );
            keys::read_secret_key(&paths.cookie_key)?;
            write_private_file(&paths.password_pepper, &legacy)?;
            write_private_file(&paths.totp_key, &legacy)?;
            tracing::info!("split cookie.key into password-pepper.key and totp.key (back them up)");
        }
        (false, _) => {
            return Err(missing("password-pepper.key", "no officer can sign in or open their personal key"));
        }
        (true, false) => return Err(missing("totp.key", "no officer's TOTP secret can be read")),
    }
    if !paths.cookie_key.exists() {
        write_private_file(&paths.cookie_key, new_secret_key_hex().as_bytes())?;
        tracing::info!("made a new cookie.key (open forms and sign-ins from before must be redone)");
    }
    Ok(Secrets {
        token_hash_key: keys::read_secret_key(&paths.token_hash_key)?,
        cookie_key: keys::read_secret_key(&paths.cookie_key)?,
        audit_key: keys::read_secret_key(&paths.audit_key)?,
        password_pepper: keys::read_secret_key(&paths.password_pepper)?,
        totp_key: keys::read_secret_key(&paths.totp_key)?,
    })
}

/// A stored map of fingerprints (configuration sections, secrets); empty when none is stored yet.
async fn stored_fingerprints(
    conn: &mut sqlx::AnyConnection,
    key: &str,
) -> Result<std::collections::BTreeMap<String, String>, SetupError> {
    let text = installation::get(conn, key).await?;
    Ok(text.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default())
}

async fn store_fingerprints<K: serde::Serialize + Ord>(
    conn: &mut sqlx::AnyConnection,
    key: &str,
    prints: &std::collections::BTreeMap<K, String>,
) -> Result<(), SetupError> {
    let text = serde_json::to_string(prints).map_err(|_| SetupError::Io {
        path: PathBuf::from(key),
        reason: "cannot serialise the fingerprints".into(),
    })?;
    Ok(installation::set(conn, key, &text).await?)
}

/// A fingerprint of a secret that reveals nothing of it (a keyed hash with a fixed context).
fn fingerprint(key: &[u8; 32]) -> String {
    let hash = blake3::derive_key("rongrian secret fingerprint v1", key);
    hash[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks that the data directory's secrets belong to the database: the fingerprints of the
/// secrets that cannot change (the cookie key may be rotated) are kept in the database at the
/// first start and compared at every start after.
pub async fn check_secret_fingerprints(
    store: &Store,
    paths: &DataPaths,
    secrets: &Secrets,
) -> Result<(), SetupError> {
    let now: std::collections::BTreeMap<&str, String> = [
        ("token-hash.key", fingerprint(&secrets.token_hash_key)),
        ("audit-chain.key", fingerprint(&secrets.audit_key)),
        ("password-pepper.key", fingerprint(&secrets.password_pepper)),
        ("totp.key", fingerprint(&secrets.totp_key)),
    ]
    .into_iter()
    .collect();
    let mut tx = store.begin().await.map_err(StorageError::from)?;
    let stored = stored_fingerprints(&mut tx, installation::SECRET_FINGERPRINTS).await?;
    let differ: Vec<&str> =
        now.iter().filter(|(k, v)| stored.get(**k).is_some_and(|s| s != *v)).map(|(k, _)| *k).collect();
    if !differ.is_empty() {
        return Err(SetupError::SecretsMismatch { dir: paths.secrets_dir.clone(), files: differ.join(", ") });
    }
    if now.iter().any(|(k, _)| !stored.contains_key(*k)) {
        store_fingerprints(&mut tx, installation::SECRET_FINGERPRINTS, &now).await?;
        tx.commit().await.map_err(StorageError::from)?;
    }
    Ok(())
}

fn private_dir(path: &Path) -> Result<(), SetupError> {
    let io = |e: std::io::Error| SetupError::Io { path: path.to_owned(), reason: e.to_string() };
    std::fs::create_dir_all(path).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
    }
    Ok(())
}

pub struct InitReport {
    pub escrow_recipient: String,
    pub escrow_identity_file: PathBuf,
    pub units: Vec<String>,
    pub secrets_dir: PathBuf,
}

/// Creates a new installation. Refuses if the data directory or the database is already initialised,
/// or if the escrow file exists; on a database failure the secrets just written are removed again.
pub async fn initialise(
    settings: &Settings,
    paths: &DataPaths,
    store: &Store,
    escrow_out: &Path,
    clock: &Clock,
) -> Result<InitReport, SetupError> {
    if paths.has_secrets() {
        return Err(SetupError::AlreadyInitialised(paths.data_dir.display().to_string()));
    }
    if escrow_out.exists() {
        return Err(SetupError::EscrowFileExists(escrow_out.to_owned()));
    }
    store.migrate().await?;
    {
        let mut conn = store.pool().acquire().await.map_err(StorageError::from)?;
        if installation::get(&mut conn, installation::ESCROW_RECIPIENT).await?.is_some() {
            return Err(SetupError::AlreadyInitialised("the database".into()));
        }
    }
    let escrow = x25519::Identity::generate();
    let created = clock.now_utc().to_string();
    write_private_file(escrow_out, identity_file_text(&escrow, &created).as_bytes())?;

    private_dir(&paths.data_dir)?;
    private_dir(&paths.secrets_dir)?;
    write_private_file(&paths.token_hash_key, new_secret_key_hex().as_bytes())?;
    write_private_file(&paths.cookie_key, new_secret_key_hex().as_bytes())?;
    write_private_file(&paths.audit_key, new_secret_key_hex().as_bytes())?;
    write_private_file(&paths.password_pepper, new_secret_key_hex().as_bytes())?;
    write_private_file(&paths.totp_key, new_secret_key_hex().as_bytes())?;

    let escrow_recipient = escrow.to_public();
    let result = record(settings, store, &escrow_recipient, clock).await;
    if let Err(e) = result {
        let _ = std::fs::remove_file(&paths.token_hash_key);
        let _ = std::fs::remove_file(&paths.cookie_key);
        let _ = std::fs::remove_file(&paths.audit_key);
        let _ = std::fs::remove_file(&paths.password_pepper);
        let _ = std::fs::remove_file(&paths.totp_key);
        let _ = std::fs::remove_file(escrow_out);
        return Err(e);
    }
    Ok(InitReport {
        escrow_recipient: escrow_recipient.to_string(),
        escrow_identity_file: escrow_out.to_owned(),
        units: settings.unit_codes().iter().map(|u| (*u).to_owned()).collect(),
        secrets_dir: paths.secrets_dir.clone(),
    })
}

async fn record(
    settings: &Settings,
    store: &Store,
    escrow: &x25519::Recipient,
    clock: &Clock,
) -> Result<(), SetupError> {
    let today = clock.today().to_string();
    let mut tx = store.begin().await.map_err(StorageError::from)?;
    installation::insert(&mut tx, installation::ESCROW_RECIPIENT, &escrow.to_string()).await?;
    installation::insert(&mut tx, installation::INITIALISED_ON, &today).await?;
    for code in settings.unit_codes() {
        create_unit_key(&mut tx, code, escrow, &today).await?;
    }
    create_custody_key(&mut tx, escrow, &today).await?;
    tx.commit().await.map_err(StorageError::from)?;
    Ok(())
}

/// Makes the identity-custody key, its secret wrapped to escrow only; `None` if one exists already.
async fn create_custody_key(
    conn: &mut sqlx::AnyConnection,
    escrow: &x25519::Recipient,
    today: &str,
) -> Result<Option<x25519::Identity>, SetupError> {
    let key = x25519::Identity::generate();
    let wrapped = keys::wrap_identity(&key, &[escrow])?;
    let made = custody::insert_key(conn, &key.to_public().to_string(), &wrapped, today).await?;
    Ok(made.then_some(key))
}

/// Gives an installation made before identities had a custody key its key. The custodians who
/// until now received each identity sealed to their own personal key receive the new key too, so
/// nothing changes for them; accounts that are pending or disabled receive nothing. Identities sealed
/// to individual custodians before this stay readable by those custodians.
pub async fn ensure_custody_key(
    store: &Store,
    clock: &Clock,
    audit_key: &AuditKey,
) -> Result<Vec<String>, SetupError> {
    let mut tx = store.begin().await.map_err(StorageError::from)?;
    let Some(escrow) = installation::get(&mut tx, installation::ESCROW_RECIPIENT).await? else {
        return Ok(Vec::new());
    };
    if custody::key(&mut tx).await?.is_some() {
        return Ok(Vec::new());
    }
    let escrow = keys::parse_recipient(&escrow)?;
    let today = clock.today().to_string();
    let Some(key) = create_custody_key(&mut tx, &escrow, &today).await? else { return Ok(Vec::new()) };
    let mut granted = Vec::new();
    for c in custody::custodians(&mut tx).await? {
        let recipient = keys::parse_recipient(&c.personal_recipient)?;
        let wrapped = keys::wrap_identity(&key, &[&recipient])?;
        if custody::grant(&mut tx, c.account_id, &c.personal_recipient, &wrapped, &today).await? {
            let detail = format!("username={}", c.username);
            let entry = AuditEntry {
                recorded_on: &today,
                actor: "upgrade",
                action: "custody.granted",
                case_id: None,
                detail: &detail,
            };
            audit::append(&mut tx, audit_key, &entry).await?;
            granted.push(c.username);
        }
    }
    audit::commit(tx, audit_key).await?;
    Ok(granted)
}

async fn create_unit_key(
    conn: &mut sqlx::AnyConnection,
    code: &str,
    escrow: &x25519::Recipient,
    today: &str,
) -> Result<(), SetupError> {
    let unit = x25519::Identity::generate();
    // The unit's secret exists only wrapped; staff membership will add a wrapping per member.
    let wrapped = keys::wrap_identity(&unit, &[escrow])?;
    units::insert(conn, code, &unit.to_public().to_string(), &wrapped, today).await?;
    Ok(())
}

/// Makes keys for units added to the configuration since initialisation.
pub async fn ensure_unit_keys(
    settings: &Settings,
    store: &Store,
    clock: &Clock,
) -> Result<Vec<String>, SetupError> {
    let mut tx = store.begin().await.map_err(StorageError::from)?;
    let Some(escrow) = installation::get(&mut tx, installation::ESCROW_RECIPIENT).await? else {
        return Ok(Vec::new());
    };
    let escrow = keys::parse_recipient(&escrow)?;
    let existing: Vec<String> = units::all(&mut tx).await?.into_iter().map(|u| u.code).collect();
    let today = clock.today().to_string();
    let mut made = Vec::new();
    for code in settings.unit_codes() {
        if !existing.iter().any(|e| e == code) {
            create_unit_key(&mut tx, code, &escrow, &today).await?;
            made.push(code.to_owned());
        }
    }
    tx.commit().await.map_err(StorageError::from)?;
    Ok(made)
}

/// Compares the configuration with the one the installation last ran with and audits a change,
/// naming the sections that differ. Returns those sections.
pub async fn record_configuration(
    settings: &Settings,
    store: &Store,
    clock: &Clock,
    audit_key: &AuditKey,
) -> Result<Vec<String>, SetupError> {
    let now = settings.fingerprints();
    let mut tx = store.begin().await.map_err(StorageError::from)?;
    let before = stored_fingerprints(&mut tx, installation::CONFIG_FINGERPRINTS).await?;
    let changed: Vec<String> =
        now.iter().filter(|(k, v)| before.get(**k) != Some(*v)).map(|(k, _)| (*k).to_owned()).collect();
    if changed.is_empty() {
        return Ok(changed);
    }
    store_fingerprints(&mut tx, installation::CONFIG_FINGERPRINTS, &now).await?;
    let detail =
        if before.is_empty() { "first start".to_owned() } else { format!("sections={}", changed.join(",")) };
    let today = clock.today().to_string();
    let entry = AuditEntry {
        recorded_on: &today,
        actor: "setup",
        action: "config.changed",
        case_id: None,
        detail: &detail,
    };
    audit::append(&mut tx, audit_key, &entry).await?;
    audit::commit(tx, audit_key).await?;
    Ok(changed)
}

/// The database URL: the configured one, else the embedded SQLite file in the data directory.
pub fn database_url(configured: &SecretString, data_dir: &Path) -> SecretString {
    use secrecy::ExposeSecret;
    if configured.expose_secret().trim().is_empty() {
        Store::sqlite_url(data_dir)
    } else {
        configured.clone()
    }
}

/// Rotates the key that seals the officers' TOTP secrets (after a suspected leak of `totp.key`):
/// every secret is opened with the old key and sealed to a new one in one transaction, the
/// fingerprint follows, and the new file replaces the old only after the commit. An interrupted
/// rotation leaves `totp.key.new` behind and says so at the next attempt. Returns how many
/// secrets were re-sealed.
pub async fn rotate_totp_key(
    store: &Store,
    paths: &DataPaths,
    secrets: &Secrets,
    clock: &Clock,
    audit_key: &AuditKey,
) -> Result<usize, SetupError> {
    use sqlx::Row;
    let staged = paths.totp_key.with_extension("key.new");
    if staged.exists() {
        return Err(SetupError::Io {
            path: staged,
            reason: "an earlier rotation was interrupted: if the database was changed (the start says \
                     totp.key does not belong), move this file over totp.key; otherwise delete it"
                .into(),
        });
    }
    let fresh = Zeroizing::new(new_secret_key_hex());
    write_private_file(&staged, fresh.as_bytes())?;
    let new_key = keys::read_secret_key(&staged)?;
    let crypto =
        |e: crate::staff::StaffError| SetupError::Io { path: paths.totp_key.clone(), reason: e.to_string() };
    let old = crate::staff::accounts::totp_identity(&secrets.totp_key).map_err(crypto)?;
    let new = crate::staff::accounts::totp_identity(&new_key).map_err(crypto)?.to_public();
    let result: Result<usize, SetupError> = async {
        let mut tx = store.begin().await.map_err(StorageError::from)?;
        use crate::crypto::sealed_time::{TOTP_STEP, TimeSealer};
        let (old_steps, new_steps) =
            (TimeSealer::new(TOTP_STEP, &secrets.totp_key), TimeSealer::new(TOTP_STEP, &new_key));
        let rows = sqlx::query("SELECT id, totp_secret, sealed_totp_step FROM accounts")
            .fetch_all(&mut *tx)
            .await
            .map_err(StorageError::from)?;
        let mut count = 0;
        for row in rows {
            let id: i64 = row.try_get(0).map_err(StorageError::from)?;
            let sealed: Vec<u8> = row.try_get(1).map_err(StorageError::from)?;
            let step: Option<Vec<u8>> = row.try_get(2).map_err(StorageError::from)?;
            if sealed.is_empty() {
                continue;
            }
            let secret = crate::crypto::seal::open(&sealed, &old)?;
            let resealed = crate::crypto::seal::seal(&secret, &[&new])?;
            // The last step used moves to the new key too, so a code just used stays used.
            let step = step.and_then(|s| old_steps.open(&s, 1)).map(|v| new_steps.seal(&v));
            sqlx::query("UPDATE accounts SET totp_secret = $1, sealed_totp_step = $2 WHERE id = $3")
                .bind(resealed)
                .bind(step)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(StorageError::from)?;
            count += 1;
        }
        let mut prints = stored_fingerprints(&mut tx, installation::SECRET_FINGERPRINTS).await?;
        prints.insert("totp.key".into(), fingerprint(&new_key));
        store_fingerprints(&mut tx, installation::SECRET_FINGERPRINTS, &prints).await?;
        let today = clock.today().to_string();
        let detail = format!("resealed={count}");
        let entry = AuditEntry {
            recorded_on: &today,
            actor: "cli",
            action: "keys.totp_rotated",
            case_id: None,
            detail: &detail,
        };
        audit::append(&mut tx, audit_key, &entry).await?;
        audit::commit(tx, audit_key).await?;
        Ok(count)
    }
    .await;
    match result {
        Ok(count) => {
            std::fs::rename(&staged, &paths.totp_key)
                .map_err(|e| SetupError::Io { path: staged.clone(), reason: e.to_string() })?;
            Ok(count)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&staged);
            Err(e)
        }
    }
}

/// The file the first start writes the first administrator's credentials to when it has no
/// terminal to print them on.
pub const FIRST_ADMINISTRATOR_FILE: &str = "first-administrator.txt";

/// Writes the first administrator's credentials to a 0600 file in the data directory and returns
/// its path (a service manager keeps standard output in its journal, so they are not printed).
pub fn write_first_administrator_file(
    data_dir: &Path,
    c: &crate::staff::accounts::Credentials,
) -> Result<PathBuf, SetupError> {
    let path = data_dir.join(FIRST_ADMINISTRATOR_FILE);
    let text = Zeroizing::new(format!(
        "First administrator of this Rongrian installation. Sign in at /staff/login and set your own\n\
         password and TOTP at the first sign-in; this file is then deleted by the service.\n\n\
         username:     {}\npassword:     {}\nTOTP secret:  {}\nTOTP URI:     {}\n",
        c.username,
        c.password.as_str(),
        c.totp_secret_base32.as_str(),
        c.totp_url.as_str()
    ));
    write_private_file(&path, text.as_bytes())
        .map_err(|e| SetupError::Io { path: path.clone(), reason: e.to_string() })?;
    Ok(path)
}

/// Removes the first administrator's credentials file once `username` has set their own password
/// and TOTP (the file's secrets open nothing any more, and a file of credentials left on a server is
/// a habit worth breaking). Its bytes are overwritten before it goes. Returns whether it was there.
pub fn forget_first_administrator(data_dir: &Path, username: &str) -> std::io::Result<bool> {
    let path = data_dir.join(FIRST_ADMINISTRATOR_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => Zeroizing::new(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let names_this_account =
        text.lines().any(|line| line.strip_prefix("username:").is_some_and(|u| u.trim() == username));
    if !names_this_account {
        return Ok(false);
    }
    std::fs::write(&path, vec![0u8; text.len()])?;
    std::fs::remove_file(&path)?;
    Ok(true)
}
