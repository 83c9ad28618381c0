//! Free-text fields: trimmed, line endings normalised, invisible formatting removed, control
//! characters refused, length bounded.
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Bidirectional controls (the Arabic letter mark too), zero-width characters (the word joiner
/// too) and the byte-order mark: they can make one text look like another (a name, a file ending,
/// a reference), and nothing a reporter means needs them.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

/// The text without invisible formatting characters (borrowed when there were none).
pub fn strip_invisible(input: &str) -> Cow<'_, str> {
    if input.chars().any(is_invisible_format) {
        Cow::Owned(input.chars().filter(|c| !is_invisible_format(*c)).collect())
    } else {
        Cow::Borrowed(input)
    }
}

/// Whether the text holds a control character other than a line break or a tab.
pub fn has_control(input: &str) -> bool {
    input.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BoundedText(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextError {
    Empty,
    TooLong { max_chars: usize },
    ControlCharacter,
}

impl BoundedText {
    /// Parses a required field of at most `max_chars` characters (counted as Unicode scalar values,
    /// so Thai combining vowels count too, which keeps the bound conservative).
    pub fn parse(input: &str, max_chars: usize) -> Result<Self, TextError> {
        Self::parse_optional(input, max_chars)?.ok_or(TextError::Empty)
    }

    /// Parses an optional field: blank input is `None`, not an error.
    pub fn parse_optional(input: &str, max_chars: usize) -> Result<Option<Self>, TextError> {
        let normalised = strip_invisible(input).replace("\r\n", "\n").replace('\r', "\n");
        let trimmed = normalised.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        if has_control(trimmed) {
            return Err(TextError::ControlCharacter);
        }
        if trimmed.chars().count() > max_chars {
            return Err(TextError::TooLong { max_chars });
        }
        Ok(Some(Self(trimmed.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// Free text may be complaint content or identity: it never prints in logs by accident.
impl std::fmt::Debug for BoundedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BoundedText(<{} chars>)", self.0.chars().count())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_normalises_line_endings() {
        let t = BoundedText::parse("  ก\r\nข\r ", 10).unwrap();
        assert_eq!(t.as_str(), "ก\nข");
    }

    #[test]
    fn refuses_blank_long_and_control_input() {
        assert_eq!(BoundedText::parse("   ", 10), Err(TextError::Empty));
        assert_eq!(BoundedText::parse_optional(" \n ", 10), Ok(None));
        assert_eq!(BoundedText::parse("abcdef", 5), Err(TextError::TooLong { max_chars: 5 }));
        assert_eq!(BoundedText::parse("a\u{0}b", 5), Err(TextError::ControlCharacter));
    }

    #[test]
    fn invisible_formatting_is_removed() {
        // A right-to-left override would show "exe.gpj" as "jpg.exe"; zero-width joins hide a word.
        let t = BoundedText::parse("\u{FEFF}ab\u{202E}cd\u{200B}e\u{2066}f\u{200F}", 20).unwrap();
        assert_eq!(t.as_str(), "abcdef");
        assert_eq!(BoundedText::parse_optional("\u{200B}\u{200C} ", 5), Ok(None));
        assert!(matches!(strip_invisible("ไม่มี"), Cow::Borrowed(_)));
        assert_eq!(BoundedText::parse("a\u{1B}[31mb", 20), Err(TextError::ControlCharacter));
        // Found by the `text` fuzz target: the word joiner was kept; the Arabic letter mark too.
        assert_eq!(BoundedText::parse("ab\u{2060}d\u{061C}e", 20).unwrap().as_str(), "abde");
    }

    #[test]
    fn debug_does_not_print_the_text() {
        let t = BoundedText::parse("secret", 10).unwrap();
        assert!(!format!("{t:?}").contains("secret"));
    }
}
