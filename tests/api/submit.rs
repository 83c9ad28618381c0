//! Filing complaints on both tracks through the form and the API, then following them up.
use crate::helpers::{Db, hidden_value, minimal_complaint, spawn};
use crate::on_both_databases;
use sqlx::Row;

fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let s = html.find(start)? + start.len();
    let e = html[s..].find(end)? + s;
    Some(&html[s..e])
}

async fn form_submission_on_both_tracks_then_follow_up(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    for (n, (track, category)) in
        [("corruption", "procurement"), ("general", "nuisance")].into_iter().enumerate()
    {
        let path = format!("/report/{track}");
        let session = app.form_session(&app.client, &path).await;
        let response = app
            .post_form(
                &app.client,
                &path,
                &session,
                &[
                    ("category", category),
                    ("subject", "ฮั้วประมูลถนนคอนกรีต"),
                    ("description", "ผู้รับเหมารายเดียวชนะทุกโครงการ"),
                    ("event_time", "มีนาคม 2569"),
                    ("event_place", "หมู่ 3"),
                    ("person1_name", "นาย ก"),
                    ("person1_position", "นายช่าง"),
                    ("person1_unit", "กองช่าง"),
                    ("relationship", "witness"),
                ],
            )
            .await;
        assert_eq!(response.status(), 201);
        let html = response.text().await.expect("html");
        let reference = between(&html, "<dd class=\"ref\">", "</dd>").expect("reference");
        assert_eq!(reference, format!("2569-{:04}", n + 1));
        assert!(html.contains("ระบบจะไม่แสดงรหัสนี้อีก"), "the receipt says the token is shown once");
        let token = between(&html, "<p class=\"token\" translate=\"no\">", "</p>").expect("token").to_owned();

        let session = app.form_session(&app.client, "/follow-up").await;
        let lowercase = token.to_lowercase().replace('-', " ");
        let response = app.post_form(&app.client, "/follow-up", &session, &[("token", &lowercase)]).await;
        assert_eq!(response.status(), 200);
        let html = response.text().await.expect("html");
        assert!(html.contains(reference) && html.contains("รับเรื่องแล้ว รอตรวจสอบ"));
        let nonce =
            hidden_value(&html, "submission_nonce").expect("the message form carries a one-time nonce");

        let session = app.form_session(&app.client, "/follow-up").await;
        let fields =
            [("token", token.as_str()), ("message", "มีภาพถ่ายใบเสร็จเพิ่มเติม"), ("submission_nonce", &nonce)];
        let before = app.message_count().await;
        let response = app.post_form(&app.client, "/follow-up/message", &session, &fields).await;
        assert_eq!(response.status(), 200);
        let html = response.text().await.expect("html");
        assert!(html.contains("บันทึกข้อมูลเพิ่มเติมของท่านแล้ว"));
        assert!(html.contains("มีภาพถ่ายใบเสร็จเพิ่มเติม"), "the reporter reads their own message back");
        assert_ne!(hidden_value(&html, "submission_nonce").as_deref(), Some(nonce.as_str()), "a fresh nonce");

        // A reload sends the same form again: it is not stored twice.
        let response = app.post_form(&app.client, "/follow-up/message", &session, &fields).await;
        assert_eq!(response.status(), 200);
        assert!(response.text().await.expect("html").contains("ข้อความนี้ส่งไปแล้ว ระบบจึงไม่บันทึกซ้ำ"));
        assert_eq!(app.message_count().await, before + 1, "the resent message is not stored again");

        // A form without its nonce is sent back with the text kept.
        let response = app
            .post_form(
                &app.client,
                "/follow-up/message",
                &session,
                &[("token", &token), ("message", "ไม่มีค่า")],
            )
            .await;
        assert_eq!(response.status(), 422);
        let html = response.text().await.expect("html");
        assert!(html.contains("ไม่มีค่า</textarea>") && html.contains("กรุณากดส่งอีกครั้ง"));
        assert_eq!(app.message_count().await, before + 1);
    }
    assert_eq!(app.case_count().await, 2);
}

async fn api_submission_follow_up_and_added_information(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let mut body = minimal_complaint();
    body["reporter"] = serde_json::json!({"name": "สมชาย ใจดี", "national_id": "1101700230716"});
    let receipt = app.submit_json(&body).await;
    assert_eq!(receipt["reference"], "2569-0001");
    assert_eq!(receipt["fiscal_year"], 2569);
    assert_eq!(receipt["anonymous"], false);
    assert_eq!(receipt["received_on"], "2026-03-16");
    assert_eq!(receipt["acknowledge_due"], "2026-03-31");
    let token = receipt["token"].as_str().expect("token").to_owned();

    let view: serde_json::Value = app.status(&token).await.json().await.expect("json");
    assert_eq!(view["status"], "new");
    assert_eq!(view["messages"].as_array().map(Vec::len), Some(0));

    let response = app
        .client
        .post(app.url("/api/v1/complaints/messages"))
        .bearer_auth(token.replace('-', ""))
        .json(&serde_json::json!({"text": "ข้อมูลเพิ่มเติม: เกิดซ้ำวันที่ 20"}))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 201);
    let view: serde_json::Value = response.json().await.expect("json");
    assert_eq!(view["messages"][0]["from"], "reporter");
    assert_eq!(view["messages"][0]["text"], "ข้อมูลเพิ่มเติม: เกิดซ้ำวันที่ 20");
    assert_eq!(app.message_count().await, 1);

    let general = serde_json::json!({
        "track": "general", "category": "infrastructure", "subject": "ไฟถนนดับ",
        "description": "ไฟถนนหมู่ 5 ดับมาสองสัปดาห์", "relationship": "victim"
    });
    assert_eq!(app.submit_json(&general).await["reference"], "2569-0002");
}

async fn routing_records_the_rule_that_decided(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let cases = [
        (serde_json::json!({"track": "corruption", "category": "bribery"}), "palad", "default"),
        (
            serde_json::json!({"track": "general", "category": "infrastructure"}),
            "works",
            "category:infrastructure",
        ),
        (
            serde_json::json!({"track": "corruption", "category": "bribery", "concerns_unit": "palad"}),
            "audit",
            "conflict",
        ),
        (
            serde_json::json!({"track": "general", "category": "infrastructure", "concerns_unit": "works"}),
            "palad",
            "conflict",
        ),
    ];
    for (extra, unit, rule) in cases {
        let mut body = minimal_complaint();
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        let receipt = app.submit_json(&body).await;
        let row = sqlx::query("SELECT unit_code, routing_rule FROM cases WHERE reference = $1")
            .bind(receipt["reference"].as_str().expect("reference").to_owned())
            .fetch_one(app.state.store.pool())
            .await
            .expect("row");
        assert_eq!(row.try_get::<String, _>(0).expect("unit"), unit);
        assert_eq!(row.try_get::<String, _>(1).expect("rule"), rule);
    }
}

async fn references_restart_at_one_in_a_new_fiscal_year(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    // The test clock starts on 16 March 2026 (FY 2569); 30 September 23:30 is still FY 2569.
    let to_last_evening =
        time::macros::datetime!(2026-09-30 23:30 +7) - time::macros::datetime!(2026-03-16 10:00 +7);
    app.clock.advance(to_last_evening.unsigned_abs());
    assert_eq!(app.submit_json(&minimal_complaint()).await["reference"], "2569-0001");
    assert_eq!(app.submit_json(&minimal_complaint()).await["reference"], "2569-0002");
    app.clock.advance(std::time::Duration::from_secs(3600));
    let receipt = app.submit_json(&minimal_complaint()).await;
    assert_eq!(receipt["reference"], "2570-0001");
    assert_eq!(receipt["received_on"], "2026-10-01");
}

async fn a_reloaded_receipt_does_not_file_twice(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let session = app.form_session(&app.client, "/report/general").await;
    let fields = [
        ("category", "nuisance"),
        ("subject", "เสียงดัง"),
        ("description", "โรงงานเปิดเครื่องจักรกลางคืน"),
        ("relationship", "victim"),
    ];
    assert_eq!(app.post_form(&app.client, "/report/general", &session, &fields).await.status(), 201);
    let again = app.post_form(&app.client, "/report/general", &session, &fields).await;
    assert_eq!(again.status(), 409);
    assert!(again.text().await.expect("html").contains("ระบบจึงไม่บันทึกซ้ำ"));
    assert_eq!(app.case_count().await, 1);
}

async fn a_closed_case_takes_no_more_messages(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let receipt = app.submit_json(&minimal_complaint()).await;
    sqlx::query("UPDATE cases SET status = 'concluded' WHERE reference = $1")
        .bind(receipt["reference"].as_str().expect("ref").to_owned())
        .execute(app.state.store.pool())
        .await
        .expect("close");
    let r = app
        .client
        .post(app.url("/api/v1/complaints/messages"))
        .bearer_auth(receipt["token"].as_str().expect("token"))
        .json(&serde_json::json!({"text": "ยังมีอีก"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 409);
    assert_eq!(app.message_count().await, 0);
}

on_both_databases!(
    a_reloaded_receipt_does_not_file_twice,
    a_closed_case_takes_no_more_messages,
    form_submission_on_both_tracks_then_follow_up,
    api_submission_follow_up_and_added_information,
    routing_records_the_rule_that_decided,
    references_restart_at_one_in_a_new_fiscal_year,
);
