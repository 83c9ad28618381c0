//! Evidence as officers meet it (list, download, add, hand over), the report form's files, and
//! the S3 store.
use crate::evidence::{Form, Part, fixture, mp4, stored_plaintext, upload, walk};
use crate::helpers::{Db, minimal_complaint, spawn};
use crate::on_both_databases;
use sqlx::Row;

async fn officers_list_download_and_add_files_and_hand_them_over(db: Db) {
    let Some(app) = spawn(db, |s| s.limits.browse.burst = 1000).await else { return };
    let receipt = app.submit_json(&minimal_complaint()).await;
    let (token, reference) = (
        receipt["token"].as_str().expect("t").to_owned(),
        receipt["reference"].as_str().expect("r").to_owned(),
    );
    let original = fixture("text.png");
    let r = upload(&app, &token, &[("ภาพหน้าจอ.png", original.clone())], true).await;
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().await.expect("json")["attachments"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let intake =
        app.create_officer("intake", &[rongrian::domain::staff::Role::IntakeOfficer], &["palad"]).await;
    let works =
        app.create_officer("works.officer", &[rongrian::domain::staff::Role::UnitOfficer], &["works"]).await;
    let c = &app.client;
    let s = app.login(c, &intake).await;
    let case = format!("/staff/cases/{reference}");
    let html = app.staff_get(c, &s, &case).await.text().await.expect("html");
    assert!(html.contains("ภาพหน้าจอ.png") && html.contains("ผู้แจ้งส่ง"), "the officer sees the file");
    let r = app.staff_get(c, &s, &format!("{case}/files/{id}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let disposition = r.headers()["content-disposition"].to_str().expect("ascii").to_owned();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''"),
        "{disposition}"
    );
    assert_eq!(r.bytes().await.expect("body").to_vec(), original, "decrypted on the way out");
    assert_eq!(app.staff_get(c, &s, &format!("{case}/files/nosuchfile")).await.status(), 404);

    // An officer adds a scanned letter; the reporter does not see staff files.
    let form = Form::new()
        .text("authenticity_token", s.csrf.clone())
        .part("file", Part::bytes(fixture("author.pdf")).file_name("หนังสือร้องเรียน.pdf"));
    let r = c
        .post(app.url(&format!("{case}/files")))
        .header("cookie", &s.cookie)
        .multipart(form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    let html = app.staff_get(c, &s, &case).await.text().await.expect("html");
    assert!(html.contains("หนังสือร้องเรียน.pdf") && html.contains("เจ้าหน้าที่แนบ"));
    let view: serde_json::Value = app.status(&token).await.json().await.expect("json");
    assert_eq!(view["attachments"].as_array().expect("list").len(), 1, "only the reporter's own file");
    let form = Form::new()
        .text("authenticity_token", "forged")
        .part("file", Part::bytes(b"x".to_vec()).file_name("a.txt"));
    let r = c
        .post(app.url(&format!("{case}/files")))
        .header("cookie", &s.cookie)
        .multipart(form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403, "CSRF is checked before any file is read");
    let html = r.text().await.expect("html");
    assert!(
        html.contains("แบบฟอร์มหมดอายุ ไฟล์ยังไม่ถูกแนบ")
            && html.contains("class=\"staff-nav")
            && html.contains(&reference),
        "the case page again, with the staff menu and what to do: {html}"
    );
    assert!(!html.contains(">a.txt<"), "nothing was attached");

    // Another unit's officer gets nothing.
    app.clock.advance(std::time::Duration::from_secs(30));
    let w = app.login(c, &works).await;
    assert_eq!(app.staff_get(c, &w, &format!("{case}/files/{id}")).await.status(), 404);

    // Handed to กองช่าง: the files are re-sealed, the old copies are gone, the new unit opens them.
    let keys_before: Vec<String> = sqlx::query("SELECT object_key FROM attachments ORDER BY id")
        .fetch_all(app.state.store.pool())
        .await
        .expect("keys")
        .iter()
        .map(|r| r.try_get(0).expect("key"))
        .collect();
    let r = app.staff_post(c, &s, &format!("{case}/unit"), &[("unit", "works"), ("confirm", "1")]).await;
    assert_eq!(r.status(), 303);
    for old in &keys_before {
        assert!(app.state.evidence.vault.sealed_bytes(old).await.is_err(), "the old copy {old} is deleted");
    }
    let r = app.staff_get(c, &w, &format!("{case}/files/{id}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.expect("body").to_vec(), original);
    assert_eq!(
        app.staff_get(c, &s, &format!("{case}/files/{id}")).await.status(),
        404,
        "the old unit cannot"
    );
    let view: serde_json::Value = app.status(&token).await.json().await.expect("json");
    assert_eq!(view["attachments"][0]["name"], "ภาพหน้าจอ.png", "the reporter still reads their list");
    let downloads: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action = 'evidence.downloaded'")
        .fetch_one(app.state.store.pool())
        .await
        .expect("count")
        .try_get(0)
        .expect("n");
    assert_eq!(downloads, 2, "every download is audited");
}

async fn the_report_form_takes_files_and_a_form_with_mistakes_keeps_none(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let c = &app.client;
    let session = app.form_session(c, "/report/corruption").await;
    let form = |subject: &str, national_id: &str| {
        Form::new()
            .text("authenticity_token", session.token.clone())
            .text("submission_nonce", session.nonce.clone().expect("nonce"))
            .text("category", "bribery")
            .text("subject", subject.to_owned())
            .text("description", "เรียกรับเงินเพื่ออนุมัติใบอนุญาต")
            .text("relationship", "witness")
            .text("reporter_national_id", national_id.to_owned())
            .part("file", Part::bytes(fixture("gps.jpg")).file_name("สลิป.jpg"))
            .part("file", Part::bytes(Vec::new()).file_name(""))
    };
    let r = c
        .post(app.url("/report/corruption"))
        .header("cookie", &session.cookie)
        .multipart(form("เรียกรับเงิน", "1234567890123"))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(
        html.contains("กรุณาเลือกไฟล์อีกครั้ง") && html.contains("value=\"เรียกรับเงิน\""),
        "the same form, input kept"
    );
    assert_eq!(app.case_count().await, 0);
    assert!(walk(&app.data_dir.join("evidence")).is_empty(), "no file was kept");

    let r = c
        .post(app.url("/report/corruption"))
        .header("cookie", &session.cookie)
        .multipart(form("เรียกรับเงิน", ""))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    let html = r.text().await.expect("html");
    assert!(html.contains("สลิป.jpg"), "the receipt names the file");
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM attachments")
        .fetch_one(app.state.store.pool())
        .await
        .expect("count")
        .try_get(0)
        .expect("n");
    assert_eq!(count, 1, "the empty file input sent nothing");
    // A reload of the receipt files nothing again and keeps no file.
    let r = c
        .post(app.url("/report/corruption"))
        .header("cookie", &session.cookie)
        .multipart(form("เรียกรับเงิน", ""))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 409);
    assert_eq!(walk(&app.data_dir.join("evidence")).len(), 1, "the second copy was removed");
}

async fn files_go_to_an_s3_bucket_when_configured(db: Db) {
    let Some(endpoint) = std::env::var("TEST_S3_ENDPOINT").ok().filter(|e| !e.is_empty()) else {
        assert!(
            std::env::var_os("REQUIRE_S3_TESTS").is_none(),
            "REQUIRE_S3_TESTS is set but TEST_S3_ENDPOINT is not"
        );
        eprintln!("SKIPPED: set TEST_S3_ENDPOINT (and AWS_* credentials) to test the S3 evidence store");
        return;
    };
    let bucket = format!("rongrian-{}", uuid::Uuid::new_v4().simple());
    let created =
        reqwest::Client::new().put(format!("{endpoint}/{bucket}")).send().await.expect("create bucket");
    assert!(created.status().is_success(), "bucket: {}", created.status());
    let store = format!("s3://{bucket}/evidence");
    let Some(app) = spawn(db, |s| s.evidence.store = store.clone()).await else { return };
    let token = app.submit_json(&minimal_complaint()).await["token"].as_str().expect("token").to_owned();
    let big = mp4(12 * 1024 * 1024);
    let r = upload(&app, &token, &[("gps.jpg", fixture("gps.jpg")), ("clip.mp4", big.clone())], false).await;
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
    let files: serde_json::Value = r.json().await.expect("json");
    let clip = files["attachments"][1]["id"].as_str().expect("id").to_owned();
    assert_eq!(stored_plaintext(&app, &clip).await, big, "a multipart upload of several parts");
    assert!(walk(&app.data_dir.join("evidence")).is_empty(), "nothing in the local directory");
    let listing =
        reqwest::Client::new().get(format!("{endpoint}/{bucket}?list-type=2")).send().await.expect("list");
    let xml = listing.text().await.expect("xml");
    assert_eq!(xml.matches("<Key>evidence/cases/").count(), 2, "{xml}");
}

on_both_databases!(
    officers_list_download_and_add_files_and_hand_them_over,
    the_report_form_takes_files_and_a_form_with_mistakes_keeps_none,
    files_go_to_an_s3_bucket_when_configured,
    nothing_is_added_behind_a_hand_over,
);

/// A file added while a hand-over holds the case is refused, not sealed behind it to the old unit.
async fn nothing_is_added_behind_a_hand_over(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    app.submit_json(&minimal_complaint()).await;
    let pool = app.state.store.pool().clone();
    let mut handover = pool.begin().await.expect("tx");
    assert!(rongrian::storage::cases::lock_for_reassignment(&mut handover, 1, "palad").await.expect("lock"));
    let adder = tokio::spawn(async move {
        let mut tx = pool.begin().await.expect("tx");
        let row = rongrian::storage::attachments::NewAttachment {
            public_id: "p1",
            case_id: 1,
            added_on: "2026-03-16",
            added_by: "reporter",
            object_key: "k1.age",
            meta: b"sealed",
        };
        let added = rongrian::storage::attachments::insert(&mut tx, &row, "palad", 20).await.expect("insert");
        tx.commit().await.expect("commit");
        added
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    sqlx::query("UPDATE cases SET unit_code = 'works' WHERE id = 1")
        .execute(&mut *handover)
        .await
        .expect("move");
    handover.commit().await.expect("commit");
    assert!(!adder.await.expect("task"), "the file waited for the hand-over and was refused after it");
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM attachments")
        .fetch_one(app.state.store.pool())
        .await
        .expect("n")
        .try_get(0)
        .expect("n");
    assert_eq!(n, 0);
}
