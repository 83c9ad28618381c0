//! Times that the service needs to the second but that must not date anything in a stolen
//! database: a session's start and last use, an officer's last TOTP step. Each is sealed with a key
//! derived from a server secret (XChaCha20-Poly1305, a random nonce per value), so a copy of the
//! database without the secrets directory cannot place a staff sign-in, and therefore cannot
//! bracket an anonymous submission between two of them.
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

const NONCE: usize = 24;

pub struct TimeSealer {
    cipher: XChaCha20Poly1305,
}

impl TimeSealer {
    /// A sealer for one purpose (`context`), keyed from a 32-byte server secret.
    pub fn new(context: &str, secret: &[u8; 32]) -> Self {
        let key = Zeroizing::new(blake3::derive_key(context, secret));
        Self { cipher: XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(key.as_ref())) }
    }

    /// Seals a list of numbers (unix seconds, time steps).
    pub fn seal(&self, values: &[i64]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
        let plain: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        // Encryption of a few bytes with a valid key cannot fail; an empty result would not open.
        let sealed = self.cipher.encrypt(XNonce::from_slice(&nonce), plain.as_slice()).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(sealed);
        out
    }

    /// Opens what [`seal`](Self::seal) made with the same key: `n` numbers, or `None` (another
    /// key, a rotated secret, damage).
    pub fn open(&self, sealed: &[u8], n: usize) -> Option<Vec<i64>> {
        if sealed.len() <= NONCE {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE);
        let plain = Zeroizing::new(self.cipher.decrypt(XNonce::from_slice(nonce), body).ok()?);
        if plain.len() != n * 8 {
            return None;
        }
        Some(plain.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect())
    }
}

/// Contexts: a session's times are keyed from the cookie key (its rotation ends every session
/// anyway), the last TOTP step from the TOTP key.
pub const SESSION_TIMES: &str = "rongrian session times v1";
pub const TOTP_STEP: &str = "rongrian totp step v1";

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn seals_open_only_with_the_same_key_and_never_repeat() {
        let a = TimeSealer::new(SESSION_TIMES, &[7; 32]);
        let sealed = a.seal(&[1_764_000_000, 1_764_000_060]);
        assert_eq!(a.open(&sealed, 2), Some(vec![1_764_000_000, 1_764_000_060]));
        assert_ne!(a.seal(&[5]), a.seal(&[5]), "a fresh nonce each time");
        assert_eq!(TimeSealer::new(SESSION_TIMES, &[8; 32]).open(&sealed, 2), None);
        assert_eq!(TimeSealer::new(TOTP_STEP, &[7; 32]).open(&sealed, 2), None, "contexts differ");
        assert_eq!(a.open(&sealed, 1), None);
        assert_eq!(a.open(&sealed[..10], 2), None);
        let le = 1_764_000_000i64.to_le_bytes();
        assert!(!sealed.windows(8).any(|w| w == le), "the time is not in the clear");
    }
}
