//! Key material: age identities for escrow and units, and the server's own secrets in 0600 files.
use super::CryptoError;
use age::x25519;
use secrecy::ExposeSecret;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;
use zeroize::Zeroizing;

pub fn parse_recipient(s: &str) -> Result<x25519::Recipient, CryptoError> {
    x25519::Recipient::from_str(s.trim()).map_err(CryptoError::InvalidKey)
}

/// An age X25519 identity from 32 secret bytes (the bytes are a derived key, never stored).
pub fn identity_from_secret(secret: &[u8; 32]) -> Result<x25519::Identity, CryptoError> {
    use bech32::{Bech32, Hrp};
    let hrp = Hrp::parse("age-secret-key-").map_err(|_| CryptoError::InvalidKey("hrp"))?;
    let encoded = Zeroizing::new(
        bech32::encode::<Bech32>(hrp, secret.as_ref())
            .map_err(|_| CryptoError::InvalidKey("bech32"))?
            .to_uppercase(),
    );
    parse_identity(&encoded)
}

/// An identity derived from a server secret for one purpose (e.g. sealing TOTP secrets).
pub fn derived_identity(context: &str, secret: &[u8; 32]) -> Result<x25519::Identity, CryptoError> {
    identity_from_secret(&Zeroizing::new(blake3::derive_key(context, secret)))
}

pub fn parse_identity(s: &str) -> Result<x25519::Identity, CryptoError> {
    x25519::Identity::from_str(s.trim()).map_err(CryptoError::InvalidKey)
}

/// Reads the first `AGE-SECRET-KEY-1…` line of a standard age identity file.
pub fn read_identity_file(path: &Path) -> Result<x25519::Identity, CryptoError> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| CryptoError::SecretFile { path: path.to_owned(), reason: e.kind().to_string() })?,
    );
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .ok_or(CryptoError::InvalidKey("no AGE-SECRET-KEY-1 line in the identity file"))?;
    parse_identity(line)
}

/// The text of a standard age identity file, as `age-keygen` writes it.
pub fn identity_file_text(identity: &x25519::Identity, created: &str) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "# created: {created}\n# public key: {}\n{}\n",
        identity.to_public(),
        identity.to_string().expose_secret()
    ))
}

/// Wraps a secret key (its age string) to the given recipients.
pub fn wrap_identity(
    identity: &x25519::Identity,
    recipients: &[&x25519::Recipient],
) -> Result<Vec<u8>, CryptoError> {
    super::seal::seal(identity.to_string().expose_secret().as_bytes(), recipients)
}

pub fn unwrap_identity(wrapped: &[u8], with: &x25519::Identity) -> Result<x25519::Identity, CryptoError> {
    let plain = super::seal::open(wrapped, with)?;
    let text = std::str::from_utf8(&plain).map_err(|_| CryptoError::Decrypt)?;
    parse_identity(text)
}

/// Writes a new file readable by its owner only; refuses to replace an existing one.
pub fn write_private_file(path: &Path, contents: &[u8]) -> Result<(), CryptoError> {
    let fail = |e: std::io::Error| CryptoError::SecretFile { path: path.to_owned(), reason: e.to_string() };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(fail)?;
    file.write_all(contents).map_err(fail)?;
    file.sync_all().map_err(fail)
}

/// Reads a 32-byte secret stored as hex in a file that only its owner may read.
pub fn read_secret_key(path: &Path) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let fail = |reason: String| CryptoError::SecretFile { path: path.to_owned(), reason };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(fail(format!("mode {:o} lets others read it; chmod 600", mode & 0o777)));
        }
    }
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?);
    let mut key = Zeroizing::new([0u8; 32]);
    let hex = text.trim().as_bytes();
    if hex.len() != 64 {
        return Err(fail("expected 64 hex characters".into()));
    }
    for (i, pair) in hex.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).map_err(|_| fail("not hex".into()))?;
        key[i] = u8::from_str_radix(s, 16).map_err(|_| fail("not hex".into()))?;
    }
    Ok(key)
}

/// A new random 32-byte secret, hex-encoded for its file.
pub fn new_secret_key_hex() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, bytes.as_mut());
    let mut hex = Zeroizing::new(String::with_capacity(65));
    for b in bytes.iter() {
        hex.push_str(&format!("{b:02x}"));
    }
    hex.push('\n');
    hex
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn secret_files_are_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        write_private_file(&path, new_secret_key_hex().as_bytes()).unwrap();
        assert_eq!(read_secret_key(&path).unwrap().len(), 32);
        assert!(write_private_file(&path, b"x").is_err());
    }

    #[test]
    fn a_world_readable_secret_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, new_secret_key_hex().as_bytes()).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(read_secret_key(&path).is_err());
    }

    #[test]
    fn wrapped_identity_unwraps_with_the_wrapping_key_only() {
        let escrow = x25519::Identity::generate();
        let unit = x25519::Identity::generate();
        let wrapped = wrap_identity(&unit, &[&escrow.to_public()]).unwrap();
        let back = unwrap_identity(&wrapped, &escrow).unwrap();
        assert_eq!(back.to_public().to_string(), unit.to_public().to_string());
        assert!(unwrap_identity(&wrapped, &unit).is_err());
    }
}
