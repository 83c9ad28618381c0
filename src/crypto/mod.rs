//! age sealing and the server-side secrets. The request path can only seal; opening needs an identity
//! that the request path holds only for the reporter's own messages (derived from their token).
pub mod keys;
pub mod password;
pub mod reporter_key;
pub mod seal;
pub mod sealed_time;
pub mod token_hash;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("age encryption failed")]
    Encrypt,
    #[error("age decryption failed")]
    Decrypt,
    #[error("invalid age key: {0}")]
    InvalidKey(&'static str),
    #[error("secret file {path}: {reason}")]
    SecretFile { path: std::path::PathBuf, reason: String },
}
