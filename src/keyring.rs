//! The public recipients the request path seals to: escrow, the identity-custody key and each unit.
use crate::crypto::CryptoError;
use crate::crypto::keys::parse_recipient;
use crate::storage::{StorageError, Store, custody, installation, units};
use age::x25519::Recipient;
use std::collections::HashMap;

pub struct Keyring {
    pub escrow: Recipient,
    /// Reporters' identities are sealed to this and escrow only, never to a unit or a person.
    pub custody: Recipient,
    pub units: HashMap<String, Recipient>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("the database has no escrow recipient: run `rongrian init` first")]
    NotInitialised,
    #[error("the identity-custody key is missing: start `rongrian serve` once so that it is made")]
    NoCustodyKey,
    #[error("unit `{0}` is configured but has no key: restart once so that it is made")]
    MissingUnit(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

impl Keyring {
    pub async fn load(store: &Store, configured_units: &[&str]) -> Result<Self, KeyringError> {
        let mut conn = store.pool().acquire().await.map_err(StorageError::from)?;
        let escrow = installation::get(&mut conn, installation::ESCROW_RECIPIENT)
            .await?
            .ok_or(KeyringError::NotInitialised)?;
        let escrow = parse_recipient(&escrow)?;
        let custody = custody::key(&mut conn).await?.ok_or(KeyringError::NoCustodyKey)?;
        let custody = parse_recipient(&custody.recipient)?;
        let mut map = HashMap::new();
        for row in units::all(&mut conn).await? {
            map.insert(row.code, parse_recipient(&row.recipient)?);
        }
        if let Some(missing) = configured_units.iter().find(|u| !map.contains_key(**u)) {
            return Err(KeyringError::MissingUnit((*missing).to_owned()));
        }
        Ok(Self { escrow, custody, units: map })
    }

    pub fn unit(&self, code: &str) -> Option<&Recipient> {
        self.units.get(code)
    }
}
