//! The officers' side: accounts and their keys, login and sessions, and the case work they do.
pub mod accounts;
pub mod auth;
pub mod cases;
pub mod custody;
pub mod evidence;
pub mod trail;

use crate::crypto::CryptoError;
use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("no account named `{0}`")]
    UnknownAccount(String),
    #[error("an account named `{0}` already exists")]
    AccountExists(String),
    #[error("`{0}` has not completed its first sign-in; grant units after that")]
    PendingSetup(String),
    #[error("`{0}` is not an enabled identity custodian")]
    NotCustodian(String),
    #[error("no unit `{0}`")]
    UnknownUnit(String),
    #[error("{0}")]
    Invalid(String),
    #[error("evidence: {0}")]
    Evidence(String),
    #[error("stored value is invalid: {0}")]
    Corrupt(&'static str),
}

impl From<sqlx::Error> for StaffError {
    fn from(e: sqlx::Error) -> Self {
        StaffError::Storage(StorageError::Database(e))
    }
}
