//! Tokens are stored only as a keyed BLAKE3 hash; the key lives in a file outside the database, so a
//! stolen database cannot even test guessed tokens. 125 random bits make a slow hash unnecessary.
use crate::domain::token::SubmissionToken;
use zeroize::Zeroizing;

#[derive(Clone)]
pub struct TokenHasher {
    key: Zeroizing<[u8; 32]>,
}

impl TokenHasher {
    pub fn new(key: Zeroizing<[u8; 32]>) -> Self {
        Self { key }
    }

    /// The reporter's message key for this token (see `reporter_key`).
    pub fn reporter_identity(
        &self,
        token: &SubmissionToken,
    ) -> Result<age::x25519::Identity, super::CryptoError> {
        super::reporter_key::derive(token, &self.key)
    }

    pub fn hash(&self, token: &SubmissionToken) -> [u8; 32] {
        *blake3::keyed_hash(&self.key, token.canonical().as_bytes()).as_bytes()
    }
}

impl std::fmt::Debug for TokenHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHasher(<key>)")
    }
}
