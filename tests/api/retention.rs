//! Retention: when a closed case's time is up its sealed material is destroyed (and an identity may
//! go sooner), the annual figures stay exactly as they were, and nothing of what was destroyed is
//! left in the database (free pages and write-ahead log included) or the evidence store.
use crate::evidence::{fixture, upload};
use crate::helpers::{Db, TestApp, minimal_complaint, spawn};
use crate::on_both_databases;
use rongrian::domain::fiscal_year::FiscalYear;
use rongrian::domain::staff::Role;
use sqlx::Row;
use std::time::Duration;

fn identified(track: &str, category: &str) -> serde_json::Value {
    let mut body = minimal_complaint();
    body["track"] = track.into();
    body["category"] = category.into();
    body["reporter"] = serde_json::json!({"name": "ผู้แจ้ง ทดสอบการทำลาย", "phone": "0812345678"});
    body
}

/// The last 48 bytes of every sealed value of a case: the final chunk's tag, unique to the value.
async fn sealed_tails(app: &TestApp, reference: &str) -> Vec<Vec<u8>> {
    let pool = app.state.store.pool();
    let id: i64 = sqlx::query("SELECT id FROM cases WHERE reference = $1")
        .bind(reference.to_owned())
        .fetch_one(pool)
        .await
        .expect("case")
        .try_get(0)
        .expect("id");
    let mut blobs: Vec<Vec<u8>> = Vec::new();
    for sql in [
        "SELECT content FROM cases WHERE id = $1",
        "SELECT identity FROM cases WHERE id = $1 AND identity IS NOT NULL",
        "SELECT body FROM case_messages WHERE case_id = $1",
        "SELECT note FROM case_events WHERE case_id = $1 AND note IS NOT NULL",
        "SELECT meta FROM attachments WHERE case_id = $1",
        "SELECT reason FROM identity_requests WHERE case_id = $1",
        "SELECT disclosed_identity FROM identity_requests WHERE case_id = $1 AND disclosed_identity IS NOT NULL",
    ] {
        for row in sqlx::query(sql).bind(id).fetch_all(pool).await.expect(sql) {
            blobs.push(row.try_get(0).expect("blob"));
        }
    }
    let keys: Vec<String> = sqlx::query("SELECT object_key FROM attachments WHERE case_id = $1")
        .bind(id)
        .fetch_all(pool)
        .await
        .expect("keys")
        .iter()
        .map(|r| r.try_get(0).expect("key"))
        .collect();
    for key in keys {
        blobs.push(app.state.evidence.vault.sealed_bytes(&key).await.expect("object").to_vec());
    }
    blobs.into_iter().filter(|b| b.len() >= 48).map(|b| b[b.len() - 48..].to_vec()).collect()
}

fn files_under(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for path in crate::evidence::walk(dir) {
        if let Ok(b) = std::fs::read(&path) {
            bytes.extend(b);
        }
    }
    bytes
}

/// Every stored byte: SQLite's files (database, WAL, evidence); PostgreSQL's tables (rows and raw
/// values) and, when readable, the database's relation files.
async fn everything_stored(app: &TestApp) -> Vec<u8> {
    match app.db {
        Db::Sqlite => files_under(&app.data_dir),
        Db::Postgres => {
            let pool = app.state.store.pool();
            let mut bytes = files_under(&app.data_dir);
            for sql in [
                "SELECT content FROM cases",
                "SELECT COALESCE(identity, ''::bytea) FROM cases",
                "SELECT body FROM case_messages",
                "SELECT COALESCE(note, ''::bytea) FROM case_events",
                "SELECT meta FROM attachments",
                "SELECT reason FROM identity_requests",
                "SELECT COALESCE(disclosed_identity, ''::bytea) FROM identity_requests",
            ] {
                for row in sqlx::query(sql).fetch_all(pool).await.expect(sql) {
                    bytes.extend(row.try_get::<Vec<u8>, _>(0).expect("bytea"));
                }
            }
            let dir: Option<String> = sqlx::query(
                "SELECT current_setting('data_directory') || '/base/' || \
                 (SELECT oid FROM pg_database WHERE datname = current_database())::text",
            )
            .fetch_one(pool)
            .await
            .ok()
            .and_then(|r| r.try_get(0).ok());
            // Written out first: until a checkpoint, changed pages may live in shared buffers only.
            let _ = sqlx::query("CHECKPOINT").execute(pool).await;
            match dir.map(std::path::PathBuf::from).filter(|d| std::fs::read_dir(d).is_ok()) {
                Some(d) => bytes.extend(files_under(&d)),
                None => eprintln!(
                    "NOTE: PostgreSQL's relation files are not readable here; checked the rows only"
                ),
            }
            bytes
        }
    }
}

async fn post(app: &TestApp, session: &crate::helpers::StaffSession, path: &str, fields: &[(&str, &str)]) {
    let r = app.staff_post(&app.client, session, path, fields).await;
    assert_eq!(r.status(), 303, "{path}");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn figures_json(app: &TestApp, fy: FiscalYear) -> serde_json::Value {
    let data = rongrian::report::load(&app.state, fy).await.expect("report");
    serde_json::to_value(&data.figures).expect("json")
}

async fn a_purge_destroys_what_is_due_and_keeps_the_figures(db: Db) {
    let Some(app) = spawn(db, |s| {
        s.retention.corruption_years = 2;
        s.retention.general_years = 3;
        s.retention.identity_years_after_close = 1;
        s.limits.browse.burst = 1000;
    })
    .await
    else {
        return;
    };
    let a = app.submit_json(&identified("corruption", "bribery")).await;
    let b = app.submit_json(&identified("general", "staff_conduct")).await;
    let c = app.submit_json(&minimal_complaint()).await;
    let s = |v: &serde_json::Value, k: &str| v[k].as_str().expect(k).to_owned();
    let (a_ref, a_token, b_ref, c_ref) =
        (s(&a, "reference"), s(&a, "token"), s(&b, "reference"), s(&c, "reference"));
    assert_eq!(upload(&app, &a_token, &[("gps.jpg", fixture("gps.jpg"))], false).await.status(), 201);
    let officer = app.create_officer("intake", &[Role::IntakeOfficer], &["palad"]).await;
    let custodian = app.create_officer("palad.head", &[Role::IdentityCustodian], &[]).await;
    let cl = &app.client;
    let o = app.login(cl, &officer).await;
    let k = app.login(cl, &custodian).await;
    post(
        &app,
        &o,
        &format!("/staff/cases/{a_ref}/status"),
        &[("action", "acknowledge"), ("note", "รับไว้พิจารณา")],
    )
    .await;
    post(&app, &o, &format!("/staff/cases/{a_ref}/messages"), &[("message", "ขอทราบรายละเอียดเพิ่มเติม")]).await;
    post(&app, &o, &format!("/staff/cases/{a_ref}/identity-request"), &[("reason", "ต้องสอบถามผู้แจ้ง")]).await;
    let request: i64 = sqlx::query("SELECT id FROM identity_requests")
        .fetch_one(app.state.store.pool())
        .await
        .expect("request")
        .try_get(0)
        .expect("id");
    let r = app
        .staff_post(
            cl,
            &k,
            "/staff/identity/decide",
            &[("request", &request.to_string()), ("decision", "approve"), ("note", "อนุมัติ")],
        )
        .await;
    assert_eq!(r.status(), 200);
    post(&app, &o, &format!("/staff/cases/{a_ref}/status"), &[("action", "start")]).await;
    post(
        &app,
        &o,
        &format!("/staff/cases/{a_ref}/status"),
        &[("action", "conclude"), ("outcome", "substantiated")],
    )
    .await;
    post(
        &app,
        &o,
        &format!("/staff/cases/{b_ref}/status"),
        &[("action", "not_accept"), ("reason", "outside_authority")],
    )
    .await;

    let a_tails = sealed_tails(&app, &a_ref).await;
    let b_identity: Vec<u8> = sqlx::query("SELECT identity FROM cases WHERE reference = $1")
        .bind(b_ref.clone())
        .fetch_one(app.state.store.pool())
        .await
        .expect("b")
        .try_get(0)
        .expect("identity");
    assert!(
        a_tails.len() >= 7,
        "content, identity, message, note, file, its description, reason: {}",
        a_tails.len()
    );

    // Two years on: the corruption case's time is up, the general case's identity too.
    let fy = FiscalYear::containing(app.clock.today());
    app.clock.advance(Duration::from_secs(2 * 366 * 86_400));
    let before = figures_json(&app, fy).await;
    let due = rongrian::retention::due(&app.state.store, &app.state.settings, app.clock.today())
        .await
        .expect("due");
    let listed: Vec<(String, rongrian::retention::Scope)> =
        due.iter().map(|d| (d.reference.clone(), d.scope)).collect();
    assert_eq!(
        listed,
        vec![
            (a_ref.clone(), rongrian::retention::Scope::Case),
            (b_ref.clone(), rongrian::retention::Scope::Identity)
        ],
        "the open case is never due"
    );
    let secrets = app.secrets();
    let key = rongrian::storage::audit::AuditKey::anchored(secrets.audit_key.clone(), &app.data_dir);
    let purger = rongrian::retention::Purger {
        store: &app.state.store,
        settings: &app.state.settings,
        vault: &app.state.evidence.vault,
        audit_key: &key,
        as_of: app.clock.today(),
        actor: "test",
    };
    let done = rongrian::retention::purge(&purger).await.expect("purge");
    assert_eq!((done.cases.clone(), done.identities.clone()), (vec![a_ref.clone()], vec![b_ref.clone()]));
    assert_eq!(done.files, 1);
    assert!(done.nonces == 0, "no form was used in this test");
    assert_eq!(figures_json(&app, fy).await, before, "the figures of the year are unchanged");

    let stored = everything_stored(&app).await;
    for (i, tail) in a_tails.iter().enumerate() {
        assert!(!contains(&stored, tail), "sealed value {i} of the purged case is still stored");
    }
    assert!(
        !contains(&stored, &b_identity[b_identity.len() - 48..]),
        "the destroyed identity is still stored"
    );
    assert!(
        crate::evidence::walk(&app.data_dir.join("evidence")).is_empty(),
        "the file is gone from the store"
    );

    // The tombstone: the token finds nothing; officers see what remains; the rest works on.
    assert_eq!(app.status(&a_token).await.status(), 404);
    app.clock.advance(Duration::from_secs(30));
    let o = app.login(cl, &officer).await;
    let html = app.staff_get(cl, &o, &format!("/staff/cases/{a_ref}")).await.text().await.expect("html");
    assert!(html.contains("พ้นระยะเวลาการเก็บรักษาแล้ว") && !html.contains("เรียกรับเงิน"));
    let html = app.staff_get(cl, &o, &format!("/staff/cases/{b_ref}")).await.text().await.expect("html");
    assert!(html.contains("เรียกรับเงิน"), "the general case itself stays");
    assert!(!html.contains("ขอเปิดเผยข้อมูลผู้แจ้ง"), "but there is no identity left to ask for");
    assert_eq!(app.staff_get(cl, &o, &format!("/staff/cases/{c_ref}")).await.status(), 200);
    let again = rongrian::retention::purge(&purger).await.expect("again");
    assert!(again.cases.is_empty() && again.identities.is_empty(), "nothing is destroyed twice");

    let actions: Vec<String> = sqlx::query("SELECT action FROM audit_log WHERE action LIKE 'retention.%'")
        .fetch_all(app.state.store.pool())
        .await
        .expect("audit")
        .iter()
        .map(|r| r.try_get(0).expect("action"))
        .collect();
    assert_eq!(actions, vec!["retention.case_destroyed", "retention.identity_destroyed"]);
    let mut conn = app.state.store.pool().acquire().await.expect("conn");
    assert!(rongrian::storage::audit::verify(&mut conn, &key, None).await.expect("verify").intact());
}

async fn old_form_nonces_and_given_up_mail_are_pruned(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let c = &app.client;
    let session = app.form_session(c, "/report/general").await;
    let r = app
        .post_form(
            c,
            "/report/general",
            &session,
            &[
                ("category", "staff_conduct"),
                ("subject", "ทดสอบ"),
                ("description", "ทดสอบการลบค่าใช้ครั้งเดียว"),
                ("relationship", "victim"),
            ],
        )
        .await;
    assert_eq!(r.status(), 201);
    sqlx::query("INSERT INTO outbox (created_on, recipient, subject, body, attempts, next_attempt_at, last_error) VALUES ('2026-03-16', 'x@example.go.th', 's', 'b', 99, 0, 'refused')")
        .execute(app.state.store.pool())
        .await
        .expect("mail");
    let app = &app;
    let count = |sql: &'static str| async move {
        sqlx::query(sql).fetch_one(app.state.store.pool()).await.expect(sql).try_get::<i64, _>(0).expect("n")
    };
    let purger = |as_of| rongrian::retention::Purger {
        store: &app.state.store,
        settings: &app.state.settings,
        vault: &app.state.evidence.vault,
        audit_key: &app.state.audit_key,
        as_of,
        actor: "test",
    };
    rongrian::retention::purge(&purger(app.clock.today())).await.expect("purge");
    assert_eq!(count("SELECT COUNT(*) FROM used_form_nonces").await, 1, "a fresh nonce stays");
    let later = app.clock.today() + time::Duration::days(100);
    let done = rongrian::retention::purge(&purger(later)).await.expect("purge");
    assert_eq!((done.nonces, done.failed_mails), (1, 1));
    assert_eq!(count("SELECT COUNT(*) FROM used_form_nonces").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM outbox").await, 0);
}

async fn the_command_line_lists_what_would_go_and_refuses_to_purge_early(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let reference = app.submit_json(&minimal_complaint()).await["reference"].as_str().expect("r").to_owned();
    let officer = app.create_officer("intake", &[Role::IntakeOfficer], &["palad"]).await;
    let s = app.login(&app.client, &officer).await;
    let r = app
        .staff_post(
            &app.client,
            &s,
            &format!("/staff/cases/{reference}/status"),
            &[("action", "not_accept"), ("reason", "outside_authority")],
        )
        .await;
    assert_eq!(r.status(), 303);
    use secrecy::ExposeSecret;
    let url = app.state.settings.server.database_url.expose_secret().to_owned();
    let cli = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_rongrian"));
        command.env_remove("RONGRIAN_DATABASE_URL").arg("purge").arg("--data-dir").arg(&app.data_dir);
        if !url.is_empty() {
            command.args(["--database-url", &url]);
        }
        command.args(args).output().expect("run")
    };
    let listed = cli(&["--dry-run", "--as-of", "2040-01-01"]);
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let out = String::from_utf8_lossy(&listed.stdout);
    assert!(out.contains(&reference) && out.contains("dry run"), "{out}");
    assert!(!cli(&["--as-of", "2040-01-01"]).status.success(), "--as-of only with --dry-run");
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM cases WHERE purged_on IS NULL")
        .fetch_one(app.state.store.pool())
        .await
        .expect("count")
        .try_get(0)
        .expect("n");
    assert_eq!(count, 1, "the dry run changed nothing");
}

on_both_databases!(
    a_purge_destroys_what_is_due_and_keeps_the_figures,
    old_form_nonces_and_given_up_mail_are_pruned,
    the_command_line_lists_what_would_go_and_refuses_to_purge_early,
);
