//! Bad input of every kind gets a clear error and changes nothing.
use crate::helpers::{Db, minimal_complaint, spawn};
use crate::on_both_databases;

// Refused attempts count against the submission limit too, so these tests raise it.
fn generous(s: &mut rongrian::config::Settings) {
    s.limits.submit.burst = 100;
}

async fn form_rejects_bad_csrf_bad_id_and_bad_encoding_without_storing(db: Db) {
    let Some(app) = spawn(db, generous).await else { return };
    let path = "/report/corruption";
    let good = [("category", "bribery"), ("subject", "ส"), ("description", "ร"), ("relationship", "witness")];

    let mut session = app.form_session(&app.client, path).await;
    session.token = "forged".into();
    let r = app.post_form(&app.client, path, &session, &good).await;
    assert_eq!(r.status(), 403);
    let html = r.text().await.expect("html");
    assert!(html.contains("แบบฟอร์มหมดอายุ"));
    // The same form comes back with what was typed, not a bare error page.
    assert!(html.contains("name=\"subject\" type=\"text\" value=\"ส\""), "the typed subject is kept");
    let witness = html.split("value=\"witness\"").nth(1).and_then(|t| t.split('>').next()).unwrap_or("");
    assert!(witness.contains("checked"), "the choice is kept");

    let session = app.form_session(&app.client, path).await;
    let no_cookie = app
        .client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string([("authenticity_token", session.token.as_str())]).expect("enc"))
        .send()
        .await
        .expect("post");
    assert_eq!(no_cookie.status(), 403);

    let mut with_bad_id = good.to_vec();
    with_bad_id.push(("reporter_national_id", "1101700230719"));
    with_bad_id.push(("reporter_name", "คงค่าเดิมไว้"));
    let r = app.post_form(&app.client, path, &session, &with_bad_id).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(html.contains("เลขประจำตัวประชาชนไม่ถูกต้อง") || html.contains("ตรวจสอบ"), "Thai message for the ID");
    assert!(html.contains("คงค่าเดิมไว้"), "the form keeps what the reporter typed");

    let r = app
        .client
        .post(app.url(path))
        .header(reqwest::header::COOKIE, &session.cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("authenticity_token={}&subject=%E0%B8&category=bribery", urlencode(&session.token)))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400);
    assert!(r.text().await.expect("html").contains("UTF-8"));

    let r = app
        .client
        .post(app.url(path))
        .header(reqwest::header::COOKIE, &session.cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"subject=\xff\xfe".to_vec())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400);

    let mut empty = good.to_vec();
    empty[1] = ("subject", "   ");
    let r = app.post_form(&app.client, path, &session, &empty).await;
    assert_eq!(r.status(), 422);

    let long = "ก".repeat(10_001);
    let mut too_long = good.to_vec();
    too_long[2] = ("description", &long);
    let r = app.post_form(&app.client, path, &session, &too_long).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("html").contains("ยาวเกิน"));

    let r = app.post_form(&app.client, "/report/nonsense", &session, &good).await;
    assert_eq!(r.status(), 404);

    assert_eq!(app.case_count().await, 0, "nothing was stored");
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).expect("enc").trim_start_matches("x=").to_owned()
}

async fn api_rejects_malformed_oversized_and_invalid_input_without_storing(db: Db) {
    let Some(app) = spawn(db, |s| {
        generous(s);
        s.server.max_body_bytes = 16 * 1024;
    })
    .await
    else {
        return;
    };
    let post = |body: Vec<u8>, content_type: &'static str| {
        let app = &app;
        async move {
            let r = app
                .client
                .post(app.url("/api/v1/complaints"))
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .expect("post");
            let status = r.status().as_u16();
            let json: serde_json::Value = r.json().await.expect("error is json");
            (status, json["error"]["code"].as_str().unwrap_or_default().to_owned(), json)
        }
    };
    let json = |v: serde_json::Value| serde_json::to_vec(&v).expect("json");

    assert_eq!(post(b"{not json".to_vec(), "application/json").await.0, 400);
    assert_eq!(post(b"{\"subject\": \"\xff\"}".to_vec(), "application/json").await.1, "malformed_json");
    assert_eq!(post(json(minimal_complaint()), "text/plain").await.0, 415);
    let mut unknown = minimal_complaint();
    unknown["colour"] = "red".into();
    assert_eq!(post(json(unknown), "application/json").await.1, "invalid_fields");

    let mut big = minimal_complaint();
    big["description"] = "ก".repeat(20_000).into();
    assert_eq!(post(json(big), "application/json").await.0, 413);

    let mut invalid = minimal_complaint();
    invalid["subject"] = "".into();
    invalid["category"] = "infrastructure".into();
    invalid["reporter"] = serde_json::json!({"national_id": "1234567890123", "email": "x@"});
    let (status, code, body) = post(json(invalid), "application/json").await;
    assert_eq!((status, code.as_str()), (422, "validation_failed"));
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    for f in ["subject", "category", "reporter.national_id", "reporter.email"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }

    let mut long_subject = minimal_complaint();
    long_subject["subject"] = "x".repeat(201).into();
    assert_eq!(post(json(long_subject), "application/json").await.0, 422);

    let mut control = minimal_complaint();
    control["subject"] = "a\u{0007}b".into();
    assert_eq!(post(json(control), "application/json").await.0, 422);

    assert_eq!(app.case_count().await, 0, "nothing was stored");
}

async fn invisible_formatting_is_removed_and_arrays_are_refused(db: Db) {
    let Some(app) = spawn(db, generous).await else { return };
    // Through the API: bidirectional overrides, zero-width characters and a byte-order mark.
    let mut body = minimal_complaint();
    body["subject"] = "\u{FEFF}เรียก\u{202E}รับ\u{200B}เงิน\u{2066}".into();
    body["persons"] = serde_json::json!([{"name": "นาย\u{200D}ก"}]);
    let receipt = app.submit_json(&body).await;
    let view: serde_json::Value =
        app.status(receipt["token"].as_str().expect("token")).await.json().await.expect("json");
    assert_eq!(view["complaint"]["subject"], "เรียกรับเงิน");
    assert_eq!(view["complaint"]["persons"][0]["name"], "นายก");

    // Through the page form: the receipt page shows the subject cleaned.
    let path = "/report/general";
    let session = app.form_session(&app.client, path).await;
    let fields = [
        ("category", "nuisance"),
        ("subject", "ถนน\u{202D}ชำรุด"),
        ("description", "หลุม\u{200F}บ่อ"),
        ("relationship", "witness"),
    ];
    let response = app.post_form(&app.client, path, &session, &fields).await;
    assert!(response.status().is_success() || response.status().is_redirection(), "{}", response.status());

    // A body that is an array would fill a struct's fields in order: it is refused.
    let before = app.case_count().await;
    let array = serde_json::json!(["corruption", "bribery", "เรื่อง", "รายละเอียด", "victim"]);
    let response = app.client.post(app.url("/api/v1/complaints")).json(&array).send().await.expect("post");
    assert_eq!(response.status(), 400);
    let error: serde_json::Value = response.json().await.expect("json");
    assert_eq!(error["error"]["code"], "json_not_object");
    assert_eq!(app.case_count().await, before, "nothing was filed");

    // A control character (an escape sequence) is refused, not stored.
    let mut body = minimal_complaint();
    body["subject"] = "ก\u{1B}[2Jข".into();
    let response = app.client.post(app.url("/api/v1/complaints")).json(&body).send().await.expect("post");
    assert_eq!(response.status(), 422);
    assert_eq!(app.case_count().await, before);
}

on_both_databases!(
    form_rejects_bad_csrf_bad_id_and_bad_encoding_without_storing,
    api_rejects_malformed_oversized_and_invalid_input_without_storing,
    invisible_formatting_is_removed_and_arrays_are_refused,
);
