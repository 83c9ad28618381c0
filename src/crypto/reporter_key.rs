//! The reporter's own age key, derived from the submission token and the server's token key: messages
//! between officers and an anonymous reporter are also sealed to it, so the token lets the reporter
//! read them while the server, which keeps only the public half, cannot; and a stolen database alone
//! cannot even test a guessed token against that public half.
use super::CryptoError;
use crate::domain::token::SubmissionToken;
use age::x25519;
use zeroize::Zeroizing;

const CONTEXT: &str = "rongrian 2026-11 reporter message key v1";

pub fn derive(token: &SubmissionToken, server_key: &[u8; 32]) -> Result<x25519::Identity, CryptoError> {
    let derivation_key = Zeroizing::new(blake3::derive_key(CONTEXT, server_key));
    let secret =
        Zeroizing::new(*blake3::keyed_hash(&derivation_key, token.canonical().as_bytes()).as_bytes());
    super::keys::identity_from_secret(&secret)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn same_token_same_key_other_token_or_server_other_key() {
        let (t, u) = (SubmissionToken::generate(), SubmissionToken::generate());
        let (k, other_server) = ([7u8; 32], [8u8; 32]);
        let a = derive(&t, &k).unwrap().to_public().to_string();
        assert_eq!(a, derive(&t, &k).unwrap().to_public().to_string());
        assert_ne!(a, derive(&u, &k).unwrap().to_public().to_string());
        assert_ne!(a, derive(&t, &other_server).unwrap().to_public().to_string());
    }
}
