//! Guarantees 1 and 3: the data directory, the database and the logs hold no identity, content,
//! token or address; sealed values open with the escrow identity, and with the reference `age` tool.
use crate::helpers::{Db, TestApp, captured_logs, client_from, spawn};
use crate::on_both_databases;
use rongrian::crypto::seal;
use sqlx::Row;

const NAME: &str = "ประภาพรรณ วิเศษสุวรรณภูมิ";
const NATIONAL_ID: &str = "3100600776542";
const PHONE: &str = "0819994321";
const SUBJECT: &str = "ปลัดรับซองขาวโครงการขุดลอกคลองหนองบัวแดง";
const DETAIL: &str = "นายสุรเชษฐ์กำชับให้โอนเงินสามหมื่นเจ็ดพันบาทเข้าบัญชีภรรยา";
const MESSAGE: &str = "หลักฐานสลิปโอนเงินวันที่สิบเจ็ด";
const CLIENT: &str = "127.88.77.66";

async fn all_stored_bytes(app: &TestApp) -> Vec<u8> {
    match app.db {
        Db::Sqlite => {
            let mut bytes = Vec::new();
            let mut dirs = vec![app.data_dir.clone()];
            while let Some(dir) = dirs.pop() {
                for entry in std::fs::read_dir(&dir).expect("read dir") {
                    let path = entry.expect("entry").path();
                    if path.is_dir() {
                        dirs.push(path);
                    } else {
                        bytes.extend(std::fs::read(&path).expect("read file"));
                    }
                }
            }
            bytes
        }
        Db::Postgres => {
            let mut text = String::new();
            for table in [
                "installation",
                "units",
                "case_counters",
                "cases",
                "case_messages",
                "audit_head",
                "audit_log",
            ] {
                let sql = format!("SELECT row_to_json(t)::text FROM {table} t");
                for row in sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_all(app.state.store.pool())
                    .await
                    .expect("dump")
                {
                    text.push_str(&row.try_get::<String, _>(0).expect("text"));
                }
            }
            let mut bytes = text.into_bytes();
            // row_to_json shows BYTEA as hex, which could hide plaintext: add the raw bytes too.
            for sql in [
                "SELECT content FROM cases",
                "SELECT COALESCE(identity, ''::bytea) FROM cases",
                "SELECT token_hash FROM cases",
                "SELECT body FROM case_messages",
                "SELECT escrow_wrapped_secret FROM units",
                "SELECT nonce_hash FROM used_form_nonces",
            ] {
                for row in sqlx::query(sql).fetch_all(app.state.store.pool()).await.expect("bytes") {
                    bytes.extend(row.try_get::<Vec<u8>, _>(0).expect("bytea"));
                }
            }
            bytes
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

async fn nothing_identifying_is_stored_or_logged_and_escrow_opens_everything(db: Db) {
    let Some(app) = spawn(db, |s| s.server.trusted_proxies = vec![]).await else { return };
    let client = client_from(CLIENT);
    let body = serde_json::json!({
        "track": "corruption", "category": "bribery", "subject": SUBJECT, "description": DETAIL,
        "relationship": "insider",
        "persons": [{"name": "นายสุรเชษฐ์", "position": "ปลัด"}],
        "reporter": {"name": NAME, "national_id": NATIONAL_ID, "phone": PHONE, "email": "prapa@example.org"}
    });
    let response = client.post(app.url("/api/v1/complaints")).json(&body).send().await.expect("post");
    assert_eq!(response.status(), 201);
    let receipt: serde_json::Value = response.json().await.expect("json");
    let token = receipt["token"].as_str().expect("token").to_owned();

    let session = app.form_session(&client, "/report/general").await;
    let r = app
        .post_form(
            &client,
            "/report/general",
            &session,
            &[
                ("category", "staff_conduct"),
                ("subject", SUBJECT),
                ("description", DETAIL),
                ("relationship", "victim"),
                ("reporter_name", NAME),
                ("reporter_national_id", NATIONAL_ID),
                ("reporter_phone", PHONE),
            ],
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = client
        .post(app.url("/api/v1/complaints/messages"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"text": MESSAGE}))
        .send()
        .await
        .expect("message");
    assert_eq!(r.status(), 201);

    let stored = all_stored_bytes(&app).await;
    let canonical = token.replace('-', "");
    for secret in [
        NAME,
        NATIONAL_ID,
        PHONE,
        SUBJECT,
        DETAIL,
        MESSAGE,
        "prapa@example.org",
        &token,
        &canonical[..25],
        CLIENT,
    ] {
        assert!(!contains(&stored, secret), "`{secret}` is stored in plaintext");
    }
    let logs = captured_logs();
    for secret in [NAME, NATIONAL_ID, PHONE, SUBJECT, DETAIL, MESSAGE, &token, &canonical[..25], CLIENT] {
        assert!(!logs.contains(secret), "`{secret}` reached the logs");
    }
    assert!(logs.contains("route=/api/v1/complaints"), "spans name the route template");

    // No exact time in plaintext: dates only.
    let row = sqlx::query("SELECT received_on, content, identity FROM cases WHERE reference = $1")
        .bind(receipt["reference"].as_str().expect("ref").to_owned())
        .fetch_one(app.state.store.pool())
        .await
        .expect("row");
    assert_eq!(row.try_get::<String, _>(0).expect("date").len(), 10);
    let content: Vec<u8> = row.try_get(1).expect("content");
    let identity: Vec<u8> = row.try_get(2).expect("identity");

    let escrow = app.escrow_identity();
    let opened: serde_json::Value = seal::open_json(&content, &escrow).expect("escrow opens content");
    assert_eq!(opened["subject"], SUBJECT);
    assert!(opened["submitted_at"].as_str().is_some_and(|t| t.contains('T')), "exact time is sealed");
    let opened: serde_json::Value = seal::open_json(&identity, &escrow).expect("escrow opens identity");
    assert_eq!(opened["national_id"], NATIONAL_ID);
    assert_eq!(opened["name"], NAME);

    // The identity is sealed to custodians and escrow only: the unit's key does not open it.
    let mut conn = app.state.store.pool().acquire().await.expect("conn");
    let wrapped =
        rongrian::storage::units::escrow_wrapped_secret(&mut conn, "palad").await.expect("q").expect("unit");
    let unit = rongrian::crypto::keys::unwrap_identity(&wrapped, &escrow).expect("unwrap unit key");
    assert!(seal::open(&identity, &unit).is_err(), "the unit cannot open the identity");
    assert!(seal::open(&content, &unit).is_ok(), "the unit opens the content");

    // The reference implementation agrees.
    let file = app.data_dir.parent().expect("parent").join("content.age");
    std::fs::write(&file, &content).expect("write");
    let output = std::process::Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&app.escrow_file)
        .arg(&file)
        .output()
        .expect("the `age` command is installed (.ci/run installs Debian's package)");
    assert!(output.status.success(), "age -d failed: {}", String::from_utf8_lossy(&output.stderr));
    let by_age: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json from age");
    assert_eq!(by_age["description"], DETAIL);
}

on_both_databases!(nothing_identifying_is_stored_or_logged_and_escrow_opens_everything);
