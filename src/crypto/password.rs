//! Staff passwords: argon2id hashes for login, and an argon2id-derived key that wraps the account's
//! personal age identity. Both mix in a pepper derived from a secret file outside the database, so a
//! copy of the database alone cannot even be used to test guessed passwords.
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

/// argon2's secret input, derived from the server's cookie key file.
#[derive(Clone)]
pub struct Pepper(Zeroizing<[u8; 32]>);

impl Pepper {
    pub fn from_server_key(key: &[u8; 32]) -> Self {
        Self(Zeroizing::new(blake3::derive_key("rongrian password pepper v1", key)))
    }
}

fn argon2(cost: PasswordCost, pepper: &Pepper) -> Result<Argon2<'_>, CryptoError> {
    let params = Params::new(cost.memory_kib, cost.iterations, 1, Some(32))
        .map_err(|_| CryptoError::InvalidKey("argon2 parameters"))?;
    Argon2::new_with_secret(pepper.0.as_ref(), Algorithm::Argon2id, Version::V0x13, params)
        .map_err(|_| CryptoError::InvalidKey("argon2 secret"))
}

/// A PHC string (`$argon2id$v=19$m=…`) with a fresh random salt.
pub fn hash(password: &str, cost: PasswordCost, pepper: &Pepper) -> Result<String, CryptoError> {
    argon2(cost, pepper)?
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| CryptoError::Encrypt)
}

/// Checks a password against a stored PHC string (the string's own cost parameters apply).
pub fn verify(password: &str, stored: &str, pepper: &Pepper) -> bool {
    let cost = PasswordCost { memory_kib: Params::DEFAULT_M_COST, iterations: Params::DEFAULT_T_COST };
    argon2(cost, pepper).is_ok_and(|a| a.verify_password(password.as_bytes(), stored).is_ok())
}

/// Spends the same time as a real check, for unknown usernames, so timing does not say which exist.
pub fn verify_dummy(password: &str, cost: PasswordCost, pepper: &Pepper) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    if let Some(stored) = DUMMY.get_or_init(|| hash("not a real password at all", cost, pepper).ok()) {
        let _ = verify(password, stored, pepper);
    }
}

/// The identity that wraps an account's personal key: argon2id(password, key_salt) as an X25519 secret.
pub fn wrapping_identity(
    password: &str,
    salt: &[u8],
    cost: PasswordCost,
    pepper: &Pepper,
) -> Result<x25519::Identity, CryptoError> {
    let mut secret = Zeroizing::new([0u8; 32]);
    argon2(cost, pepper)?
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
    fn hashes_verify_and_wrong_passwords_or_peppers_do_not() {
        let pepper = Pepper::from_server_key(&[1; 32]);
        let h = hash("correct horse battery", CHEAP, &pepper).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h, &pepper));
        assert!(!verify("correct horse batterz", &h, &pepper));
        assert!(
            !verify("correct horse battery", &h, &Pepper::from_server_key(&[2; 32])),
            "the database alone is not enough"
        );
        assert!(!verify("x", "not a hash", &pepper));
    }

    #[test]
    fn the_wrapping_key_depends_on_password_salt_and_pepper() {
        let (p, q) = (Pepper::from_server_key(&[1; 32]), Pepper::from_server_key(&[2; 32]));
        let salt = new_salt();
        let key = |pw: &str, salt: &[u8], pepper: &Pepper| {
            wrapping_identity(pw, salt, CHEAP, pepper).unwrap().to_public().to_string()
        };
        let a = key("pw one two three", &salt, &p);
        assert_eq!(a, key("pw one two three", &salt, &p));
        assert_ne!(a, key("pw one two threx", &salt, &p));
        assert_ne!(a, key("pw one two three", &new_salt(), &p));
        assert_ne!(a, key("pw one two three", &salt, &q));
    }
}
