//! The JSON decoder (`http::form::parse_json`) on the API's request types: never a panic; a body
//! sent without a JSON content type is `UnsupportedMediaType` whatever it holds; otherwise a
//! refusal is one of its three `AppError::BadRequest` values and matches what the body is (not
//! JSON, not an object, or fields that do not fit); an accepted complaint keeps no invisible
//! formatting and, once parsed as a submission, is accepted again as it would be stored.
#![no_main]
use http::{HeaderMap, HeaderValue, header};
use libfuzzer_sys::fuzz_target;
use rongrian::domain::submission::SubmissionInput;
use rongrian::http::api::v1::MessageInput;
use rongrian::http::error::AppError;
use rongrian::http::form::parse_json;
use rongrian_fuzz::{assert_no_invisible, parse_and_revalidate};

/// Content types, and whether each says JSON.
const TYPES: &[(Option<&str>, bool)] = &[
    (Some("application/json"), true),
    (Some("application/json; charset=utf-8"), true),
    (Some("Application/JSON ;charset=UTF-8"), true),
    (Some("text/plain"), false),
    (Some("application/jsonx"), false),
    (None, false),
];

fn code(e: &AppError) -> &'static str {
    match e {
        AppError::BadRequest { code, .. } => code,
        AppError::UnsupportedMediaType => "unsupported_media_type",
        other => panic!("unexpected error {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let (content_type, is_json) = TYPES[usize::from(pick) % TYPES.len()];
    let mut headers = HeaderMap::new();
    if let Some(t) = content_type {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(t));
    }

    let submission = parse_json::<SubmissionInput>(&headers, body);
    let message = parse_json::<MessageInput>(&headers, body);
    for outcome in [submission.as_ref().err(), message.as_ref().err()].into_iter().flatten() {
        let code = code(outcome);
        if !is_json {
            assert_eq!(code, "unsupported_media_type");
            continue;
        }
        let value = serde_json::from_slice::<serde_json::Value>(body);
        let expected: &[&str] = match &value {
            Err(_) => &["malformed_json"],
            Ok(v) if !v.is_object() => &["json_not_object"],
            Ok(_) => &["invalid_fields", "malformed_json"],
        };
        assert!(expected.contains(&code), "{code} for a body that should give {expected:?}");
    }
    if !is_json {
        assert!(submission.is_err() && message.is_err());
        return;
    }
    if let Ok(input) = submission {
        assert!(serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| v.is_object()));
        assert_no_invisible(&input);
        parse_and_revalidate(&input);
    }
});
