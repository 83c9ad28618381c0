//! Free text (`domain::text`): an accepted field holds no invisible formatting and no control
//! character but a line break or a tab, has no carriage return, is trimmed, non-empty and within
//! its bound, and parses again to itself. `strip_invisible` leaves nothing invisible, is
//! idempotent and borrows exactly when there was nothing to strip.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rongrian::domain::text::{BoundedText, TextError, has_control, is_invisible_format, strip_invisible};
use rongrian_fuzz::{control, invisible};
use std::borrow::Cow;

fuzz_target!(|data: &[u8]| {
    let Some((&bound, rest)) = data.split_first() else { return };
    let Ok(input) = std::str::from_utf8(rest) else { return };
    let max_chars = usize::from(bound) * 4;

    let stripped = strip_invisible(input);
    assert!(!stripped.chars().any(is_invisible_format));
    assert!(!stripped.chars().any(invisible), "invisible character kept in {stripped:?}");
    assert_eq!(matches!(stripped, Cow::Borrowed(_)), !input.chars().any(is_invisible_format));
    assert_eq!(strip_invisible(&stripped), stripped, "strip_invisible is idempotent");
    assert_eq!(has_control(input), input.chars().any(control));

    let optional = BoundedText::parse_optional(input, max_chars);
    let required = BoundedText::parse(input, max_chars);
    match &optional {
        Ok(None) => assert_eq!(required, Err(TextError::Empty)),
        Ok(Some(t)) => assert_eq!(required.as_ref(), Ok(t)),
        Err(e) => assert_eq!(required.as_ref().err(), Some(e)),
    }
    if let Err(TextError::TooLong { max_chars: m }) = optional {
        assert_eq!(m, max_chars);
    }
    let Ok(Some(text)) = optional else { return };
    let s = text.as_str();
    assert!(!s.is_empty());
    assert_eq!(s, s.trim());
    assert!(s.chars().count() <= max_chars);
    assert!(!s.contains('\r'));
    assert!(!s.chars().any(|c| invisible(c) || control(c)), "accepted {s:?}");
    assert_eq!(BoundedText::parse(s, max_chars), Ok(text.clone()), "parsing is idempotent");
    // Every character kept was in the input (a line break may have been a carriage return).
    assert!(s.chars().all(|c| input.contains(c) || (c == '\n' && input.contains('\r'))));
});
