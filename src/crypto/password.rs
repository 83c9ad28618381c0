//! Staff passwords: argon2id hashes for login, and an argon2id-derived key that wraps the account's
//! personal age identity, so the database alone never yields a personal key.
use super::CryptoError;
use age::x25519;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;
use zeroize::Zeroizing;

#[derive(Clone, Copy, Debug)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

fn argon2(cost: PasswordCost) -> Result<Argon2<'static>, CryptoError> {
    let params = Params::new(cost.memory_kib, cost.iterations, 1, Some(32))
        .map_err(|_| CryptoError::InvalidKey("argon2 parameters"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A PHC string (`$argon2id$v=19$m=…`) with a fresh random salt.
pub fn hash(password: &str, cost: PasswordCost) -> Result<String, CryptoError> {
    argon2(cost)?.hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|_| CryptoError::Encrypt)
}

/// Checks a password against a stored PHC string (its own parameters apply).
pub fn verify(password: &str, stored: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), stored).is_ok()
}

/// Spends the same time as a real check, for unknown usernames, so timing does not say which exist.
pub fn verify_dummy(password: &str, cost: PasswordCost) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    if let Some(stored) = DUMMY.get_or_init(|| hash("not a real password at all", cost).ok()) {
        let _ = verify(password, stored);
    }
}

/// The identity that wraps an account's personal key: argon2id(password, key_salt) as an X25519 secret.
pub fn wrapping_identity(
    password: &str,
    salt: &[u8],
    cost: PasswordCost,
) -> Result<x25519::Identity, CryptoError> {
    let mut secret = Zeroizing::new([0u8; 32]);
    argon2(cost)?
        .hash_password_into(password.as_bytes(), salt, secret.as_mut())
        .map_err(|_| CryptoError::InvalidKey("argon2"))?;
    super::keys::identity_from_secret(&secret)
}

pub fn new_salt() -> [u8; 16] {
    let mut salt = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut salt);
    salt
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const CHEAP: PasswordCost = PasswordCost { memory_kib: 1024, iterations: 1 };

    #[test]
    fn hashes_verify_and_wrong_passwords_do_not() {
        let h = hash("correct horse battery", CHEAP).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterz", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn the_wrapping_key_depends_on_password_and_salt() {
        let salt = new_salt();
        let a = wrapping_identity("pw one two three", &salt, CHEAP).unwrap().to_public().to_string();
        assert_eq!(a, wrapping_identity("pw one two three", &salt, CHEAP).unwrap().to_public().to_string());
        assert_ne!(a, wrapping_identity("pw one two threx", &salt, CHEAP).unwrap().to_public().to_string());
        assert_ne!(
            a,
            wrapping_identity("pw one two three", &new_salt(), CHEAP).unwrap().to_public().to_string()
        );
    }
}
