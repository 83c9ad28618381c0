//! The anonymous submission token: the only key a whistleblower holds to follow up a complaint.
use rand::RngCore;
use rand::rngs::OsRng;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Crockford base32: no I, L, O, U, so symbols survive being read aloud or written by hand.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const N: u32 = 32;
/// 25 symbols × 5 bits = 125 bits of entropy.
const SYMBOLS: usize = 25;
/// Raw input above this is refused before any work, so parsing cost is bounded.
const MAX_INPUT_BYTES: usize = 200;

#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SubmissionToken {
    values: [u8; SYMBOLS],
    canonical: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    Empty,
    TooLong,
    InvalidCharacter,
    WrongLength,
    Typo,
}

impl SubmissionToken {
    /// A fresh token from the OS CSPRNG; 5 bits per symbol, so no modulo bias.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 16]);
        OsRng.fill_bytes(bytes.as_mut());
        let mut bits = Zeroizing::new(u128::from_le_bytes(*bytes));
        let mut values = Zeroizing::new([0u8; SYMBOLS]);
        for v in values.iter_mut() {
            *v = (*bits & 0x1f) as u8;
            *bits >>= 5;
        }
        Self::from_values(&values)
    }

    /// Accepts what a person might type or paste; a bad check symbol is a `Typo`, so a
    /// mistyped token is reported as such and never reaches a lookup.
    pub fn parse(input: &str) -> Result<Self, TokenError> {
        if input.len() > MAX_INPUT_BYTES {
            return Err(TokenError::TooLong);
        }
        let mut buf = Zeroizing::new([0u8; SYMBOLS + 1]);
        let mut count = 0usize;
        for c in input.chars().filter(|&c| !is_ignorable(c)) {
            let v = symbol_value(c).ok_or(TokenError::InvalidCharacter)?;
            if let Some(slot) = buf.get_mut(count) {
                *slot = v;
            }
            count += 1;
        }
        match count {
            0 => return Err(TokenError::Empty),
            n if n != SYMBOLS + 1 => return Err(TokenError::WrongLength),
            _ => {}
        }
        let mut values = Zeroizing::new([0u8; SYMBOLS]);
        values.copy_from_slice(&buf[..SYMBOLS]);
        if check_value(&values) != buf[SYMBOLS] {
            return Err(TokenError::Typo);
        }
        Ok(Self::from_values(&values))
    }

    /// `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XX`: the 25 symbols plus the check symbol.
    pub fn display(&self) -> String {
        let check = symbol(check_value(&self.values));
        let mut out = String::with_capacity(32);
        for (i, c) in self.canonical.chars().chain([check]).enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }

    /// The 25 symbols, uppercase, without the check symbol: the stable input for hashing.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    fn from_values(values: &[u8; SYMBOLS]) -> Self {
        let mut canonical = String::with_capacity(SYMBOLS);
        canonical.extend(values.iter().map(|&v| symbol(v)));
        Self { values: *values, canonical }
    }
}

// Constant time, in case a caller ever compares a stored token with a submitted one.
impl ConstantTimeEq for SubmissionToken {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.values.ct_eq(&other.values)
    }
}

impl PartialEq for SubmissionToken {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for SubmissionToken {}

// The token is a bearer secret: it must never reach a log through `{:?}`.
impl std::fmt::Debug for SubmissionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SubmissionToken(<redacted>)")
    }
}

fn symbol(v: u8) -> char {
    char::from(ALPHABET[usize::from(v & 0x1f)])
}

/// Case-folds and applies Crockford's aliases (I, L → 1; O → 0). Compares whole `char`s, so a
/// non-ASCII letter can never be truncated into an ASCII one.
fn symbol_value(c: char) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        'I' | 'L' => '1',
        'O' => '0',
        c => c,
    };
    ALPHABET.iter().zip(0u8..).find_map(|(&a, v)| (char::from(a) == c).then_some(v))
}

/// Separators people type or that copy-paste brings along: whitespace of any kind, hyphens and
/// the dashes word processors substitute for them, and invisible zero-width characters.
fn is_ignorable(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
        )
}

/// Luhn mod N check value (N = 32). The rightmost data symbol is doubled, so once the check
/// symbol is appended the whole string satisfies the usual Luhn mod N validation.
fn check_value(values: &[u8; SYMBOLS]) -> u8 {
    let sum: u32 = values
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &v)| {
            let addend = u32::from(v) * if i % 2 == 0 { 2 } else { 1 };
            addend / N + addend % N
        })
        .sum();
    ((N - sum % N) % N) as u8
}

impl TokenError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "token_empty",
            Self::TooLong => "token_too_long",
            Self::InvalidCharacter => "token_invalid_character",
            Self::WrongLength => "token_wrong_length",
            Self::Typo => "token_typo",
        }
    }

    pub fn message_th(&self) -> &'static str {
        match self {
            Self::Empty => "กรุณากรอกรหัสติดตามเรื่อง",
            Self::TooLong => "ข้อความที่กรอกยาวเกินไป กรุณากรอกเฉพาะรหัสติดตามเรื่อง",
            Self::InvalidCharacter => {
                "รหัสติดตามเรื่องมีอักขระที่ใช้ไม่ได้ ใช้ได้เฉพาะตัวเลขและอักษรภาษาอังกฤษ (ยกเว้น U) กรุณาตรวจสอบว่าไม่ได้พิมพ์ด้วยแป้นภาษาไทย"
            }
            Self::WrongLength => "รหัสติดตามเรื่องต้องมี 26 ตัวอักษร (ไม่นับขีด)",
            Self::Typo => "รหัสติดตามเรื่องไม่ถูกต้อง อาจพิมพ์ผิด กรุณาตรวจสอบอีกครั้ง",
        }
    }
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Empty => "token is empty",
            Self::TooLong => "token input is too long",
            Self::InvalidCharacter => "token contains an invalid character",
            Self::WrongLength => "token must have 26 symbols",
            Self::Typo => "token check symbol does not match (likely a typo)",
        })
    }
}

impl std::error::Error for TokenError {}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// The 26 symbols (data + check) of a token, as typed without separators.
    fn full(t: &SubmissionToken) -> Vec<char> {
        t.display().chars().filter(|&c| c != '-').collect()
    }

    fn token_from(values: [u8; SYMBOLS]) -> SubmissionToken {
        SubmissionToken::from_values(&values)
    }

    fn sample_tokens() -> Vec<SubmissionToken> {
        let mut ts: Vec<_> = (0..4).map(|_| SubmissionToken::generate()).collect();
        ts.push(token_from([0; SYMBOLS]));
        ts.push(token_from([31; SYMBOLS]));
        ts.push(token_from(std::array::from_fn(|i| i as u8)));
        ts
    }

    #[test]
    fn known_check_symbols() {
        // Hand-computed: all zeros sums to 0; a trailing 1 is doubled to 2, check = 32 - 2 = 30 = 'Y'.
        assert_eq!(token_from([0; SYMBOLS]).display(), "0000-0000-0000-0000-0000-0000-00");
        let mut v = [0; SYMBOLS];
        v[SYMBOLS - 1] = 1;
        assert_eq!(token_from(v).display(), "0000-0000-0000-0000-0000-0000-1Y");
    }

    #[test]
    fn round_trips_and_formats() {
        for _ in 0..200 {
            let t = SubmissionToken::generate();
            let d = t.display();
            assert_eq!(d.len(), 32);
            for (i, c) in d.chars().enumerate() {
                assert_eq!(c == '-', i % 5 == 4, "{d}");
            }
            assert_eq!(t.canonical().len(), 25);
            assert!(t.canonical().bytes().all(|b| ALPHABET.contains(&b)));
            assert!(d.replace('-', "").starts_with(t.canonical()));
            let p = SubmissionToken::parse(&d).unwrap();
            assert_eq!(p.canonical(), t.canonical());
            assert_eq!(p, t);
        }
    }

    #[test]
    fn accepts_lowercase_spacing_and_aliases() {
        let t = token_from(std::array::from_fn(|i| (i % 2) as u8));
        let d = t.display();
        let variants = [
            d.to_lowercase(),
            d.replace('-', ""),
            d.replace('-', " "),
            format!("  \t{}\u{a0}\n", d.replace('-', "\u{2013}")),
            d.replace('1', "I").replace('0', "O"),
            d.replace('1', "l").replace('0', "o"),
            d.replace('1', "i").replace('0', "O"),
            d.replace('1', "L"),
            d.chars().flat_map(|c| [c, '\u{200B}']).collect(),
        ];
        for v in variants {
            assert_eq!(SubmissionToken::parse(&v).unwrap(), t, "{v:?}");
        }
    }

    #[test]
    fn every_single_substitution_is_a_typo() {
        for t in sample_tokens() {
            let s = full(&t);
            for pos in 0..s.len() {
                for &a in ALPHABET {
                    let c = char::from(a);
                    if c == s[pos] {
                        continue;
                    }
                    let mut m = s.clone();
                    m[pos] = c;
                    let m: String = m.into_iter().collect();
                    assert_eq!(SubmissionToken::parse(&m), Err(TokenError::Typo), "{m}");
                }
            }
        }
    }

    #[test]
    fn only_zero_z_transpositions_escape_detection() {
        // Exhaustive over symbol pairs at both position parities (and onto the check symbol).
        let mut escaped = 0;
        for pos in [0, 1, 23, 24] {
            for a in 0..32u8 {
                for b in 0..32u8 {
                    if a == b {
                        continue;
                    }
                    let mut v = [7u8; SYMBOLS];
                    v[pos] = a;
                    if pos + 1 < SYMBOLS {
                        v[pos + 1] = b;
                    } else {
                        // Pick the first symbol so that the check symbol comes out as `b`.
                        let first = (0..32).find(|&x| {
                            let mut w = v;
                            w[0] = x;
                            check_value(&w) == b
                        });
                        v[0] = first.unwrap();
                    }
                    let mut s = full(&token_from(v));
                    assert_eq!((s[pos], s[pos + 1]), (symbol(a), symbol(b)));
                    s.swap(pos, pos + 1);
                    let m: String = s.iter().collect();
                    let pair = [s[pos], s[pos + 1]];
                    let undetectable = pair == ['0', 'Z'] || pair == ['Z', '0'];
                    match SubmissionToken::parse(&m) {
                        Ok(_) => {
                            assert!(undetectable, "{m}");
                            escaped += 1;
                        }
                        Err(e) => {
                            assert_eq!(e, TokenError::Typo);
                            assert!(!undetectable, "{m}");
                        }
                    }
                }
            }
        }
        // 0↔Z at each of the 4 positions, both orders: Luhn mod 32's one blind spot.
        assert_eq!(escaped, 8);
    }

    #[test]
    fn adjacent_transpositions_mostly_detected() {
        let (mut total, mut detected) = (0u32, 0u32);
        for _ in 0..2000 {
            let s = full(&SubmissionToken::generate());
            for pos in 0..s.len() - 1 {
                if s[pos] == s[pos + 1] {
                    continue;
                }
                let mut m = s.clone();
                m.swap(pos, pos + 1);
                let m: String = m.into_iter().collect();
                total += 1;
                match SubmissionToken::parse(&m) {
                    Ok(_) => assert!(matches!([s[pos], s[pos + 1]], ['0', 'Z'] | ['Z', '0'])),
                    e => {
                        assert_eq!(e, Err(TokenError::Typo));
                        detected += 1;
                    }
                }
            }
        }
        assert!(f64::from(detected) / f64::from(total) > 0.9);
    }

    #[test]
    fn generation_uses_every_symbol_at_every_position() {
        let mut seen = [[false; 32]; SYMBOLS];
        for _ in 0..2000 {
            let t = SubmissionToken::generate();
            for (pos, &v) in t.values.iter().enumerate() {
                seen[pos][usize::from(v)] = true;
            }
        }
        assert!(seen.iter().all(|p| p.iter().all(|&s| s)));
    }

    #[test]
    fn rejects_bad_input() {
        let d = SubmissionToken::generate().display();
        let padded = format!("{d:<200}");
        assert!(SubmissionToken::parse(&padded).is_ok());
        assert_eq!(SubmissionToken::parse(&format!("{padded} ")), Err(TokenError::TooLong));
        assert_eq!(SubmissionToken::parse(&"U".repeat(201)), Err(TokenError::TooLong));
        for e in ["", "   ", "- -\t", "\u{200B}"] {
            assert_eq!(SubmissionToken::parse(e), Err(TokenError::Empty), "{e:?}");
        }
        for bad in ["U", "u", "*", "ก", "Ł", "Ａ", "1.2", "٣"] {
            let s = format!("{}{bad}", &d[..31]);
            assert_eq!(SubmissionToken::parse(&s), Err(TokenError::InvalidCharacter), "{s}");
        }
        assert_eq!(SubmissionToken::parse(&d[..31]), Err(TokenError::WrongLength));
        assert_eq!(SubmissionToken::parse(&format!("{d}0")), Err(TokenError::WrongLength));
        assert_eq!(SubmissionToken::parse("A"), Err(TokenError::WrongLength));
    }

    #[test]
    fn errors_have_distinct_codes_and_messages_and_debug_is_redacted() {
        let all = [
            TokenError::Empty,
            TokenError::TooLong,
            TokenError::InvalidCharacter,
            TokenError::WrongLength,
            TokenError::Typo,
        ];
        for (i, a) in all.iter().enumerate() {
            assert!(a.code().starts_with("token_"));
            assert!(!a.to_string().is_empty() && !a.message_th().is_empty());
            for b in &all[i + 1..] {
                assert_ne!(a.code(), b.code());
                assert_ne!(a.message_th(), b.message_th());
            }
        }
        let t = SubmissionToken::generate();
        let dbg = format!("{t:?}");
        assert_eq!(dbg, "SubmissionToken(<redacted>)");
        assert!(!dbg.contains(t.canonical()));
    }
}
