//! Sealing to age recipients, padded to size buckets so a ciphertext's length says little about which
//! complaint it holds. Every sealed value is a standard binary age file.
use super::CryptoError;
use age::x25519;
use std::io::{Read, Write};
use zeroize::Zeroizing;

const SMALLEST_BUCKET: usize = 1024;
const LARGEST_DOUBLING_BUCKET: usize = 64 * 1024;

/// Pads JSON with trailing spaces, which JSON parsers ignore, so the padded value is still plain JSON
/// and the reference `age` tool shows exactly what was sealed.
pub fn padded_len(len: usize) -> usize {
    let mut bucket = SMALLEST_BUCKET;
    while bucket < len && bucket < LARGEST_DOUBLING_BUCKET {
        bucket *= 2;
    }
    if len <= bucket { bucket } else { len.div_ceil(LARGEST_DOUBLING_BUCKET) * LARGEST_DOUBLING_BUCKET }
}

/// Serialises `value` to JSON, pads it, and seals it to every recipient.
pub fn seal_json<T: serde::Serialize>(
    value: &T,
    recipients: &[&x25519::Recipient],
) -> Result<Vec<u8>, CryptoError> {
    let mut plain = Zeroizing::new(serde_json::to_vec(value).map_err(|_| CryptoError::Encrypt)?);
    let target = padded_len(plain.len());
    plain.resize(target, b' ');
    seal(&plain, recipients)
}

pub fn seal(plaintext: &[u8], recipients: &[&x25519::Recipient]) -> Result<Vec<u8>, CryptoError> {
    let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| *r as &dyn age::Recipient))
        .map_err(|_| CryptoError::Encrypt)?;
    let mut out = Vec::with_capacity(plaintext.len() + 512);
    let mut writer = encryptor.wrap_output(&mut out).map_err(|_| CryptoError::Encrypt)?;
    writer.write_all(plaintext).map_err(|_| CryptoError::Encrypt)?;
    writer.finish().map_err(|_| CryptoError::Encrypt)?;
    Ok(out)
}

/// Opens an age file (binary or armored) with any of the given identities.
pub fn open(ciphertext: &[u8], identity: &x25519::Identity) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(ciphertext))
        .map_err(|_| CryptoError::Decrypt)?;
    let mut reader = decryptor
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(|_| CryptoError::Decrypt)?;
    let mut plain = Zeroizing::new(Vec::new());
    reader.read_to_end(&mut plain).map_err(|_| CryptoError::Decrypt)?;
    Ok(plain)
}

pub fn open_json<T: serde::de::DeserializeOwned>(
    ciphertext: &[u8],
    identity: &x25519::Identity,
) -> Result<T, CryptoError> {
    let plain = open(ciphertext, identity)?;
    serde_json::from_slice(&plain).map_err(|_| CryptoError::Decrypt)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn padding_covers_the_value_and_lands_on_a_bucket(len in 0usize..2_000_000) {
            let padded = padded_len(len);
            proptest::prop_assert!(padded >= len && padded >= SMALLEST_BUCKET);
            // A bucket: a power of two up to 64 KiB, then a multiple of 64 KiB.
            proptest::prop_assert!(
                (padded <= LARGEST_DOUBLING_BUCKET && padded.is_power_of_two())
                    || padded.is_multiple_of(LARGEST_DOUBLING_BUCKET)
            );
            proptest::prop_assert_eq!(padded_len(padded), padded, "a bucket pads to itself");
            proptest::prop_assert!(padded_len(len + 1) >= padded, "monotonic");
            // The cost is bounded: at most double below 64 KiB, at most 64 KiB more above.
            proptest::prop_assert!(padded <= (2 * len).max(SMALLEST_BUCKET) || padded < len + LARGEST_DOUBLING_BUCKET);
        }

        #[test]
        fn sealed_json_is_padded_to_its_bucket_with_spaces(text in ".{0,3000}") {
            let id = x25519::Identity::generate();
            let value = serde_json::json!({ "text": text });
            let json_len = serde_json::to_vec(&value).unwrap().len();
            let plain = open(&seal_json(&value, &[&id.to_public()]).unwrap(), &id).unwrap();
            proptest::prop_assert_eq!(plain.len(), padded_len(json_len));
            proptest::prop_assert!(plain[json_len..].iter().all(|&b| b == b' '));
        }

        #[test]
        fn sealed_json_opens_to_what_was_sealed(text in ".{0,3000}") {
            let id = x25519::Identity::generate();
            let sealed = seal_json(&serde_json::json!({ "text": text }), &[&id.to_public()]).unwrap();
            let opened: serde_json::Value = open_json(&sealed, &id).unwrap();
            proptest::prop_assert_eq!(opened["text"].as_str(), Some(text.as_str()));
        }
    }

    #[test]
    fn buckets_double_then_grow_by_64k() {
        assert_eq!(padded_len(0), 1024);
        assert_eq!(padded_len(1024), 1024);
        assert_eq!(padded_len(1025), 2048);
        assert_eq!(padded_len(65_536), 65_536);
        assert_eq!(padded_len(65_537), 131_072);
    }

    #[test]
    fn sealed_json_opens_for_each_recipient_only() {
        let a = x25519::Identity::generate();
        let b = x25519::Identity::generate();
        let stranger = x25519::Identity::generate();
        let sealed = seal_json(&"ลับ", &[&a.to_public(), &b.to_public()]).unwrap();
        assert_eq!(open_json::<String>(&sealed, &a).unwrap(), "ลับ");
        assert_eq!(open_json::<String>(&sealed, &b).unwrap(), "ลับ");
        assert!(open(&sealed, &stranger).is_err());
    }

    #[test]
    fn short_and_long_texts_in_one_bucket_seal_to_about_the_same_length() {
        let r = x25519::Identity::generate().to_public();
        let short = seal_json(&"a", &[&r]).unwrap();
        let long = seal_json(&"a".repeat(900), &[&r]).unwrap();
        let next_bucket = seal_json(&"a".repeat(1100), &[&r]).unwrap();
        // age adds a random-length "grease" stanza to each header, so lengths differ by a little
        // noise; what matters is that content length is hidden inside its bucket.
        assert!(short.len().abs_diff(long.len()) < 400, "{} vs {}", short.len(), long.len());
        assert!(short.len() > 1024 && next_bucket.len() > 2048);
    }
}
