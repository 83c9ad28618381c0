//! Wrong, malformed, over-long and mistyped tokens: each gets a clear answer and changes nothing;
//! every well-formed token that matches no case gets exactly the same answer.
use crate::helpers::{Db, minimal_complaint, spawn};
use crate::on_both_databases;
use rongrian::domain::token::SubmissionToken;

const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Changes one symbol, which the check character always catches.
fn with_typo(token: &str) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let i = chars.iter().position(|c| c.is_ascii_alphanumeric()).expect("symbol");
    let replacement = ALPHABET.chars().find(|c| *c != chars[i].to_ascii_uppercase()).expect("other");
    chars[i] = replacement;
    chars.into_iter().collect()
}

async fn api_tokens_are_checked_before_lookup_and_misses_are_uniform(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let token = app.submit_json(&minimal_complaint()).await["token"].as_str().expect("token").to_owned();

    let cases = [
        (with_typo(&token), 400, "token_typo"),
        ("ABCD-!!!!-EFGH".to_owned(), 400, "token_invalid_character"),
        ("A".repeat(500), 400, "token_too_long"),
        ("ABCD-EFGH".to_owned(), 400, "token_wrong_length"),
    ];
    for (bad, status, code) in cases {
        let response = app.status(&bad).await;
        assert_eq!(response.status(), status, "{code}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"]["code"], code);
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    let first = app.status(&SubmissionToken::generate().display()).await;
    assert_eq!(first.status(), 404);
    let first = first.text().await.expect("text");
    let second = app.status(&SubmissionToken::generate().display()).await.text().await.expect("text");
    assert_eq!(first, second, "two unknown tokens get byte-identical answers");
    assert!(first.contains("unknown_token"));

    let missing = app.client.get(app.url("/api/v1/complaints/status")).send().await.expect("get");
    assert_eq!(missing.status(), 401, "no credential at all");
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    let other_scheme = app
        .client
        .get(app.url("/api/v1/complaints/status"))
        .header("authorization", "Basic dXNlcjpwdw==")
        .send()
        .await
        .expect("get");
    assert_eq!(other_scheme.status(), 401);
    assert_eq!(other_scheme.headers()["www-authenticate"], "Bearer");
    for malformed in ["Bearer", "Bearer ", "Token", "Bearer\tABCD"] {
        let response = app
            .client
            .get(app.url("/api/v1/complaints/status"))
            .header("authorization", malformed)
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), 401, "{malformed:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer", "{malformed:?}");
    }
    let typo = app.status("ABCD-!!!!-EFGH").await;
    assert_eq!(typo.headers()["www-authenticate"], "Bearer error=\"invalid_request\"");
    let lower = app
        .client
        .get(app.url("/api/v1/complaints/status"))
        .header("authorization", format!("bEaReR {}", SubmissionToken::generate().display()))
        .send()
        .await
        .expect("get");
    assert_eq!(lower.status(), 404, "the scheme is matched in any case");

    let before = app.message_count().await;
    let response = app
        .client
        .post(app.url("/api/v1/complaints/messages"))
        .bearer_auth(SubmissionToken::generate().display())
        .json(&serde_json::json!({"text": "ไม่ควรถูกบันทึก"}))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 404);
    assert_eq!(app.message_count().await, before, "a wrong token adds nothing");
}

async fn page_tokens_get_thai_answers(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let token = app.submit_json(&minimal_complaint()).await["token"].as_str().expect("token").to_owned();
    let session = app.form_session(&app.client, "/follow-up").await;

    let response = app.post_form(&app.client, "/follow-up", &session, &[("token", &with_typo(&token))]).await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.expect("html").contains("อาจพิมพ์ผิด"));

    let unknown = |t: String| {
        let app = &app;
        let session = &session;
        async move {
            let r = app.post_form(&app.client, "/follow-up", session, &[("token", &t)]).await;
            (r.status(), r.text().await.expect("html"))
        }
    };
    let (a, b) = (SubmissionToken::generate().display(), SubmissionToken::generate().display());
    let (status_a, page_a) = unknown(a.clone()).await;
    let (status_b, page_b) = unknown(b.clone()).await;
    assert_eq!((status_a.as_u16(), status_b.as_u16()), (404, 404));
    assert!(page_a.contains("ไม่พบเรื่องที่ตรงกับรหัสติดตามนี้"));
    // The code typed comes back in its field, to correct; apart from it the pages are the same.
    assert!(page_a.contains(&format!("value=\"{a}\"")));
    assert_eq!(
        strip_csrf(&page_a).replace(&a, "CODE"),
        strip_csrf(&page_b).replace(&b, "CODE"),
        "unknown tokens get the same page"
    );

    let before = app.message_count().await;
    let r = app
        .post_form(
            &app.client,
            "/follow-up/message",
            &session,
            &[("token", &SubmissionToken::generate().display()), ("message", "x")],
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .post_form(&app.client, "/follow-up/message", &session, &[("token", &token), ("message", "   ")])
        .await;
    assert_eq!(r.status(), 422, "an empty message is refused");
    assert!(r.text().await.expect("html").contains("กรุณากรอกข้อมูลช่องนี้"));
    assert_eq!(app.message_count().await, before);
}

/// Pages differ only in their fresh CSRF token.
fn strip_csrf(html: &str) -> String {
    html.lines().filter(|l| !l.contains("authenticity_token")).collect::<Vec<_>>().join("\n")
}

on_both_databases!(api_tokens_are_checked_before_lookup_and_misses_are_uniform, page_tokens_get_thai_answers);
