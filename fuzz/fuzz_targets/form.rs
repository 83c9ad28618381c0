//! The form decoder (`http::form::parse_form`) on the public and staff form structs: never a panic;
//! a refusal is one of its two `AppError::BadRequest` values; no decoded name or value keeps an
//! invisible formatting character; the pairs it reads, encoded again, decode to the same outcome
//! for every form; a form's CSRF token is the posted one; and a complaint form that parses as a
//! submission is accepted again as it would be stored.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rongrian::domain::complaint::Track;
use rongrian::http::error::AppError;
use rongrian::http::form::{CsrfForm, parse_form};
use rongrian::http::pages::{identity, public, staff, staff_admin, staff_case};
use rongrian_fuzz::{assert_no_invisible, invisible, parse_and_revalidate};
use serde::de::DeserializeOwned;

type Pairs = Vec<(String, String)>;

fn assert_refusal(e: &AppError) {
    assert!(
        matches!(e, AppError::BadRequest { code: "invalid_encoding" | "malformed_form", .. }),
        "unexpected error {e:?}"
    );
}

/// A CSRF form from the raw body and from the pairs encoded again: both or neither accepted, with
/// the same token, which is the posted `authenticity_token` (empty when there was none).
fn check<T: DeserializeOwned + CsrfForm>(
    data: &[u8],
    again: Option<&str>,
    pairs: Option<&Pairs>,
) -> Option<T> {
    let form = parse_form::<T>(data);
    if let Err(e) = &form {
        assert_refusal(e);
    }
    if let (Some(again), Some(pairs)) = (again, pairs) {
        let second = parse_form::<T>(again.as_bytes());
        assert_eq!(form.is_ok(), second.is_ok(), "re-encoded pairs decode differently: {again:?}");
        if let (Ok(a), Ok(b)) = (&form, &second) {
            assert_eq!(a.authenticity_token(), b.authenticity_token());
            let posted: Vec<&str> =
                pairs.iter().filter(|(k, _)| k == "authenticity_token").map(|(_, v)| v.as_str()).collect();
            assert!(posted.len() <= 1, "a form accepted a repeated field");
            assert_eq!(a.authenticity_token(), posted.first().copied().unwrap_or(""));
        }
    } else {
        assert!(form.is_err(), "a form decoded from a body whose pairs did not");
    }
    form.ok()
}

fuzz_target!(|data: &[u8]| {
    let pairs = parse_form::<Pairs>(data);
    if let Err(e) = &pairs {
        assert_refusal(e);
    }
    let pairs = pairs.ok();
    if let Some(pairs) = &pairs {
        for (k, v) in pairs {
            assert!(!k.chars().chain(v.chars()).any(invisible), "invisible character in {k:?}={v:?}");
        }
    }
    let again = match &pairs {
        Some(p) => {
            Some(serde_urlencoded::to_string(p).unwrap_or_else(|e| panic!("pairs do not encode: {e}")))
        }
        None => None,
    };
    if let (Some(p), Some(a)) = (&pairs, &again) {
        assert_eq!(parse_form::<Pairs>(a.as_bytes()).ok().as_ref(), Some(p), "pairs round-trip");
    }
    let (again, pairs) = (again.as_deref(), pairs.as_ref());

    if let Some(form) = check::<public::ComplaintForm>(data, again, pairs) {
        for track in [Track::Corruption, Track::General] {
            let input = form.to_input(track);
            assert_no_invisible(&input);
            parse_and_revalidate(&input);
        }
    }
    check::<public::FollowUpForm>(data, again, pairs);
    check::<public::MessageForm>(data, again, pairs);
    check::<staff::LoginForm>(data, again, pairs);
    check::<staff::PlainForm>(data, again, pairs);
    check::<staff_admin::PasswordForm>(data, again, pairs);
    check::<staff_admin::GrantForm>(data, again, pairs);
    check::<staff_admin::SetupForm>(data, again, pairs);
    check::<staff_case::StaffMessageForm>(data, again, pairs);
    check::<staff_case::StatusForm>(data, again, pairs);
    check::<staff_case::ReassignForm>(data, again, pairs);
    check::<identity::ReasonForm>(data, again, pairs);
    check::<identity::DecideForm>(data, again, pairs);
    check::<identity::OpenForm>(data, again, pairs);
    check::<identity::GrantCustodyForm>(data, again, pairs);
});
