//! The submission token parser: whatever is typed or pasted, `parse` answers without panicking; an
//! accepted token is 25 symbols plus a check symbol, shows as `XXXX-…-XX`, and its display (in any
//! ASCII case) parses back to the same token, while its canonical form alone (no check symbol) is
//! the wrong length. Parsing ignores ASCII case.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rongrian::domain::token::{SubmissionToken, TokenError};

const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn outcome(r: &Result<SubmissionToken, TokenError>) -> Result<String, TokenError> {
    r.as_ref().map(|t| t.canonical().to_owned()).map_err(|e| *e)
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let parsed = SubmissionToken::parse(input);
    if input.len() > 200 {
        assert_eq!(parsed.as_ref().err(), Some(&TokenError::TooLong));
    }
    // Case does not matter (ASCII case only: it keeps the byte length, so the size limit is the same).
    assert_eq!(outcome(&SubmissionToken::parse(&input.to_ascii_lowercase())), outcome(&parsed));
    assert_eq!(outcome(&SubmissionToken::parse(&input.to_ascii_uppercase())), outcome(&parsed));
    let Ok(token) = parsed else { return };
    let canonical = token.canonical();
    assert_eq!(canonical.len(), 25);
    assert!(canonical.chars().all(|c| ALPHABET.contains(c)), "{canonical}");
    let display = token.display();
    assert_eq!(display.len(), 32);
    for (i, c) in display.chars().enumerate() {
        assert_eq!(c == '-', i % 5 == 4, "{display}");
    }
    assert!(display.replace('-', "").starts_with(canonical));
    for shown in
        [display.clone(), display.to_ascii_lowercase(), display.replace('-', ""), display.replace('-', " ")]
    {
        let back = SubmissionToken::parse(&shown);
        assert!(back.as_ref().is_ok_and(|b| *b == token), "{shown} did not parse back");
    }
    assert_eq!(SubmissionToken::parse(canonical).err(), Some(TokenError::WrongLength));
    let with_check: String = display.chars().filter(|&c| c != '-').collect();
    assert!(SubmissionToken::parse(&with_check).is_ok_and(|b| b == token));
});
