//! The Thai 13-digit national ID (เลขประจำตัวประชาชน): validated once, never logged.
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const DIGITS: usize = 13;

#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct NationalId(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NationalIdError {
    WrongLength,
    InvalidCharacter,
    LeadingZero,
    CheckDigit,
}

impl NationalId {
    /// Accepts ASCII or Thai digits, with the spaces or hyphens people group the number with
    /// (`1-1017-00230-71-6`).
    pub fn parse(input: &str) -> Result<Self, NationalIdError> {
        // Capacity fixed up front so the digits are never copied by a reallocation.
        let mut digits = Zeroizing::new(String::with_capacity(DIGITS));
        for c in input.chars().filter(|&c| !is_separator(c)) {
            let d = match c {
                '0'..='9' => c,
                '๐'..='๙' => char::from(b'0' + (u32::from(c) - u32::from('๐')) as u8),
                _ => return Err(NationalIdError::InvalidCharacter),
            };
            // Stop early: no point scanning a huge input once it is already too long.
            if digits.len() == DIGITS {
                return Err(NationalIdError::WrongLength);
            }
            digits.push(d);
        }
        if digits.len() != DIGITS {
            return Err(NationalIdError::WrongLength);
        }
        let bytes = digits.as_bytes();
        if bytes[0] == b'0' {
            return Err(NationalIdError::LeadingZero);
        }
        if check_digit(&bytes[..DIGITS - 1]) != bytes[DIGITS - 1] {
            return Err(NationalIdError::CheckDigit);
        }
        Ok(Self(std::mem::take(&mut *digits)))
    }

    /// The 13 ASCII digits, without separators.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Weights 13 down to 2 over the first 12 ASCII digits; check = (11 − sum mod 11) mod 10,
/// returned as an ASCII digit.
fn check_digit(first12: &[u8]) -> u8 {
    let sum: u32 = first12.iter().zip((2..=13).rev()).map(|(&d, w)| u32::from(d - b'0') * w).sum();
    b'0' + ((11 - sum % 11) % 10) as u8
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}')
}

impl ConstantTimeEq for NationalId {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0.as_bytes().ct_eq(other.0.as_bytes())
    }
}

impl PartialEq for NationalId {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for NationalId {}

// Personal data under the PDPA: never printed through `{:?}`.
impl std::fmt::Debug for NationalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NationalId(<redacted>)")
    }
}

impl NationalIdError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongLength => "national_id_wrong_length",
            Self::InvalidCharacter => "national_id_invalid_character",
            Self::LeadingZero => "national_id_leading_zero",
            Self::CheckDigit => "national_id_check_digit",
        }
    }

    pub fn message_th(&self) -> &'static str {
        match self {
            Self::WrongLength => "เลขประจำตัวประชาชนต้องมี 13 หลัก",
            Self::InvalidCharacter => "เลขประจำตัวประชาชนต้องเป็นตัวเลขเท่านั้น",
            Self::LeadingZero => "เลขประจำตัวประชาชนต้องไม่ขึ้นต้นด้วย 0",
            Self::CheckDigit => "เลขประจำตัวประชาชนไม่ถูกต้อง อาจพิมพ์ผิด กรุณาตรวจสอบอีกครั้ง",
        }
    }
}

impl std::fmt::Display for NationalIdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::WrongLength => "national ID must have 13 digits",
            Self::InvalidCharacter => "national ID may contain only digits",
            Self::LeadingZero => "national ID cannot start with 0",
            Self::CheckDigit => "national ID check digit does not match",
        })
    }
}

impl std::error::Error for NationalIdError {}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Appends the check digit to 12 ASCII digits.
    fn with_check(first12: &str) -> String {
        format!("{first12}{}", char::from(check_digit(first12.as_bytes())))
    }

    #[test]
    fn check_digit_by_hand() {
        // 1·13 + 1·12 + 0·11 + 1·10 + 7·9 + 0·8 + 0·7 + 2·6 + 3·5 + 0·4 + 7·3 + 1·2 = 148;
        // 148 mod 11 = 5; (11 − 5) mod 10 = 6.
        assert_eq!(with_check("110170023071"), "1101700230716");
        // 13 ≡ 2 → 9.  3·13 + 3·3 = 48 ≡ 4 → 7.
        assert_eq!(with_check("100000000000"), "1000000000009");
        assert_eq!(with_check("300000000030"), "3000000000307");
        // The two wrap-arounds: 13 + 10 = 23 ≡ 1 → 10 mod 10 = 0; 13 + 9 = 22 ≡ 0 → 11 mod 10 = 1.
        assert_eq!(with_check("100100000000"), "1001000000000");
        assert_eq!(with_check("100010000000"), "1000100000001");
    }

    #[test]
    fn accepts_valid_ids_in_common_forms() {
        for input in [
            "1101700230716",
            "1-1017-00230-71-6",
            " 1 1017 00230 71 6 ",
            "๑๑๐๑๗๐๐๒๓๐๗๑๖",
            "๑-๑๐๑๗-๐๐๒๓๐-๗๑-๖",
        ] {
            assert_eq!(NationalId::parse(input).unwrap().as_str(), "1101700230716", "{input}");
        }
        for first12 in ["310060000000", "812345678901", "100000000000"] {
            let id = with_check(first12);
            assert_eq!(NationalId::parse(&id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn rejects_invalid_ids() {
        use NationalIdError::*;
        let cases = [
            ("", WrongLength),
            ("   ", WrongLength),
            ("110170023071", WrongLength),
            ("11017002307160", WrongLength),
            ("1101700230719", CheckDigit),
            ("1101700230716x", InvalidCharacter),
            ("11017OO230716", InvalidCharacter),
            ("1101700230716.", InvalidCharacter),
            ("１１０１７００２３０７１６", InvalidCharacter),
            ("1/1017/00230/71/6", InvalidCharacter),
        ];
        for (input, err) in cases {
            assert_eq!(NationalId::parse(input), Err(err), "{input:?}");
        }
        let zero = with_check("010170023071");
        assert_eq!(NationalId::parse(&zero), Err(LeadingZero));
        assert_eq!(NationalId::parse(&"1".repeat(10_000)), Err(WrongLength));
    }

    #[test]
    fn exactly_one_check_digit_is_accepted() {
        for first12 in ["110170023071", "310060000000", "999999999999"] {
            let valid: Vec<u32> =
                (0..10).filter(|d| NationalId::parse(&format!("{first12}{d}")).is_ok()).collect();
            assert_eq!(valid.len(), 1, "{first12}");
        }
    }

    #[test]
    fn codes_messages_and_redaction() {
        use NationalIdError::*;
        let all = [WrongLength, InvalidCharacter, LeadingZero, CheckDigit];
        for (i, a) in all.iter().enumerate() {
            assert!(a.code().starts_with("national_id_"));
            assert!(!a.to_string().is_empty() && !a.message_th().is_empty());
            for b in &all[i + 1..] {
                assert_ne!(a.code(), b.code());
                assert_ne!(a.message_th(), b.message_th());
            }
        }
        let id = NationalId::parse("1101700230716").unwrap();
        assert_eq!(format!("{id:?}"), "NationalId(<redacted>)");
    }
}
