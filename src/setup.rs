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
    pub cookie_key: PathBuf,
    pub audit_key: PathBuf,
}

impl DataPaths {
    pub fn new(data_dir: &Path) -> Self {
        let secrets_dir = data_dir.join("secrets");
        Self {
            data_dir: data_dir.to_owned(),
            token_hash_key: secrets_dir.join("token-hash.key"),
            cookie_key: secrets_dir.join("cookie.key"),
            audit_key: secrets_dir.join("audit-chain.key"),
            secrets_dir,
        }
    }

    pub fn has_secrets(&self) -> bool {
        self.token_hash_key.exists() || self.cookie_key.exists() || self.audit_key.exists()
    }
}

pub struct Secrets {
    pub token_hash_key: Zeroizing<[u8; 32]>,
    pub cookie_key: Zeroizing<[u8; 32]>,
    pub audit_key: Zeroizing<[u8; 32]>,
}

pub fn load_secrets(paths: &DataPaths) -> Result<Secrets, SetupError> {
    Ok(Secrets {
        token_hash_key: keys::read_secret_key(&paths.token_hash_key)?,
        cookie_key: keys::read_secret_key(&paths.cookie_key)?,
        audit_key: keys::read_secret_key(&paths.audit_key)?,
    })
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

    let escrow_recipient = escrow.to_public();
    let result = record(settings, store, &escrow_recipient, clock).await;
    if let Err(e) = result {
        let _ = std::fs::remove_file(&paths.token_hash_key);
        let _ = std::fs::remove_file(&paths.cookie_key);
        let _ = std::fs::remove_file(&paths.audit_key);
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
    let text = serde_json::to_string(&now).map_err(|_| SetupError::Io {
        path: PathBuf::from("configuration"),
        reason: "cannot serialise the fingerprints".into(),
    })?;
    let mut tx = store.begin().await.map_err(StorageError::from)?;
    let before = installation::get(&mut tx, installation::CONFIG_FINGERPRINTS).await?;
    let before: std::collections::BTreeMap<String, String> =
        before.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default();
    let changed: Vec<String> =
        now.iter().filter(|(k, v)| before.get(**k) != Some(*v)).map(|(k, _)| (*k).to_owned()).collect();
    if changed.is_empty() {
        return Ok(changed);
    }
    installation::set(&mut tx, installation::CONFIG_FINGERPRINTS, &text).await?;
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
