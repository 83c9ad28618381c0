//! Guarantee 7: the audit trail is a keyed hash chain with an anchor outside the database; an
//! edited, deleted, reordered or truncated trail is detected and named, and the chain cannot be
//! recomputed without the key that lives outside the database. Every staff read and write is in it,
//! and auditors read it on a page and as CSV.
use crate::helpers::{Db, TestApp, minimal_complaint, spawn};
use crate::on_both_databases;
use rongrian::domain::staff::Role;
use rongrian::storage::audit::{AuditKey, ExpectedHead, Finding, verify};
use sqlx::Row;
use std::time::Duration;

async fn findings(app: &TestApp, expected: Option<&ExpectedHead>) -> Vec<Finding> {
    let mut conn = app.state.store.pool().acquire().await.expect("conn");
    verify(&mut conn, &app.state.audit_key, expected).await.expect("verify").findings
}

async fn run(app: &TestApp, sql: &'static str) {
    sqlx::query(sql).execute(app.state.store.pool()).await.expect(sql);
}

async fn five_entries(db: Db) -> Option<TestApp> {
    let app = spawn(db, |_| {}).await?;
    for _ in 0..5 {
        app.submit_json(&minimal_complaint()).await;
    }
    Some(app)
}

async fn an_intact_trail_verifies_and_another_key_cannot_vouch_for_it(db: Db) {
    let Some(app) = five_entries(db).await else { return };
    let mut conn = app.state.store.pool().acquire().await.expect("conn");
    let result = verify(&mut conn, &app.state.audit_key, None).await.expect("verify");
    assert!(result.intact(), "{:?}", result.findings);
    assert_eq!(result.entries, 5);
    assert_eq!(result.anchor.as_ref().map(|a| a.entries), Some(5), "the anchor follows each commit");
    let wrong_key = AuditKey::new(zeroize::Zeroizing::new([9u8; 32]));
    let wrong = verify(&mut conn, &wrong_key, None).await.expect("verify");
    assert!(wrong.findings.contains(&Finding::Edited { position: 1 }), "{:?}", wrong.findings);
}

async fn an_edited_entry_is_named(db: Db) {
    let Some(app) = five_entries(db).await else { return };
    run(&app, "UPDATE audit_log SET detail = 'track=general' WHERE position = 2").await;
    let found = findings(&app, None).await;
    assert_eq!(found, vec![Finding::Edited { position: 2 }]);
    assert_eq!(found[0].to_string(), "entry 2 was edited");
}

async fn a_deleted_entry_is_named(db: Db) {
    let Some(app) = five_entries(db).await else { return };
    run(&app, "DELETE FROM audit_log WHERE position = 3").await;
    assert_eq!(findings(&app, None).await, vec![Finding::Missing { first: 3, last: 3 }]);
}

async fn reordered_entries_are_named(db: Db) {
    let Some(app) = five_entries(db).await else { return };
    run(&app, "UPDATE audit_log SET position = -2 WHERE position = 2").await;
    run(&app, "UPDATE audit_log SET position = 2 WHERE position = 3").await;
    run(&app, "UPDATE audit_log SET position = 3 WHERE position = -2").await;
    let found = findings(&app, None).await;
    assert_eq!(
        found,
        vec![Finding::Moved { position: 2, belongs_at: 3 }, Finding::Moved { position: 3, belongs_at: 2 }]
    );
    assert!(found[0].to_string().contains("reordered"));
}

async fn removing_the_last_entries_and_rewinding_the_head_is_detected(db: Db) {
    let Some(app) = five_entries(db).await else { return };
    let head: Vec<u8> = sqlx::query("SELECT entry_hash FROM audit_log WHERE position = 3")
        .fetch_one(app.state.store.pool())
        .await
        .expect("entry 3")
        .try_get(0)
        .expect("hash");
    // What someone with the database alone can do: drop the last two and make the head agree.
    run(&app, "DELETE FROM audit_log WHERE position > 3").await;
    sqlx::query("UPDATE audit_head SET entries = 3, last_hash = $1 WHERE id = 1")
        .bind(head)
        .execute(app.state.store.pool())
        .await
        .expect("rewind");
    let found = findings(&app, None).await;
    assert_eq!(found, vec![Finding::Truncated { recorded: 5, found: 3, by: "anchor file" }]);
    assert!(found[0].to_string().contains("the last entries were removed"), "{}", found[0]);

    // Without the anchor file, only a head recorded elsewhere (the daily mail) finds it.
    let anchor = app.state.audit_key.anchor_path().expect("anchor").to_owned();
    std::fs::remove_file(&anchor).expect("remove anchor");
    let mut conn = app.state.store.pool().acquire().await.expect("conn");
    let result = verify(&mut conn, &app.state.audit_key, None).await.expect("verify");
    assert!(result.intact() && result.anchor_missing, "says it cannot tell");
    let mailed = ExpectedHead::parse("5:0000000000000000").expect("head");
    let result = verify(&mut conn, &app.state.audit_key, Some(&mailed)).await.expect("verify");
    assert_eq!(result.findings, vec![Finding::Truncated { recorded: 5, found: 3, by: "head you gave" }]);

    // A forged anchor (no key) is named too.
    std::fs::write(&anchor, "rongrian-audit-anchor v1 entries=3 hash=00 mac=00\n").expect("forge");
    assert_eq!(findings(&app, None).await, vec![Finding::AnchorForged]);
}

/// The command line names the problem and fails.
async fn verify_audit_on_the_command_line_names_what_it_found(db: Db) {
    let Some(app) = five_entries(db).await else { return };
    use secrecy::ExposeSecret;
    let url = app.state.settings.server.database_url.expose_secret().to_owned();
    let cli = |extra: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_rongrian"));
        command.env_remove("RONGRIAN_DATABASE_URL").args(["verify-audit", "--data-dir"]).arg(&app.data_dir);
        if !url.is_empty() {
            command.args(["--database-url", &url]);
        }
        command.args(extra).output().expect("run")
    };
    let ok = cli(&[]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact: 5 entries"));
    let hash: Vec<u8> = sqlx::query("SELECT last_hash FROM audit_head")
        .fetch_one(app.state.store.pool())
        .await
        .expect("head")
        .try_get(0)
        .expect("hash");
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    assert!(cli(&["--expect-head", &format!("5:{hex}")]).status.success(), "the mailed head matches");
    let wrong = cli(&["--expect-head", "5:ffffffffffffffff"]);
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("entry 5 is not the entry the head you gave records")
    );
    run(&app, "UPDATE audit_log SET actor = 'someone' WHERE position = 4").await;
    let broken = cli(&[]);
    assert!(!broken.status.success());
    assert!(String::from_utf8_lossy(&broken.stderr).contains("entry 4 was edited"));
}

async fn actions_of(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query("SELECT actor, action, detail FROM audit_log ORDER BY position")
        .fetch_all(app.state.store.pool())
        .await
        .expect("audit")
        .iter()
        .map(|r| (r.try_get(0).expect("actor"), r.try_get(1).expect("action"), r.try_get(2).expect("detail")))
        .collect()
}

async fn every_staff_read_is_recorded_and_auditors_read_the_trail(db: Db) {
    let Some(app) = spawn(db, |s| s.limits.browse.burst = 1000).await else { return };
    let receipt = app.submit_json(&minimal_complaint()).await;
    let reference = receipt["reference"].as_str().expect("reference").to_owned();
    let token = receipt["token"].as_str().expect("token").to_owned();
    let officer = app.create_officer("intake", &[Role::IntakeOfficer], &["palad"]).await;
    let admin = app.create_officer("boss", &[Role::Administrator], &[]).await;
    let auditor = app.create_officer("auditor", &[Role::Auditor], &[]).await;
    let c = &app.client;

    let o = app.login(c, &officer).await;
    assert_eq!(app.staff_get(c, &o, "/staff?status=new&overdue=1").await.status(), 200);
    assert_eq!(app.staff_get(c, &o, &format!("/staff/cases/{reference}")).await.status(), 200);
    assert_eq!(app.staff_get(c, &o, "/staff/units").await.status(), 200);
    assert_eq!(app.try_login(c, "intake", "wrong password here", "000000").await.status(), 401);
    app.clock.advance(Duration::from_secs(30));
    let a = app.login(c, &admin).await;
    for path in [
        "/staff/admin/users",
        "/staff/admin/outbox",
        "/staff/admin/reports",
        "/staff/admin/measures?fy=2569",
        "/staff/admin/reports/download?fy=2569&section=protection&format=json",
    ] {
        assert_eq!(app.staff_get(c, &a, path).await.status(), 200, "{path}");
    }
    assert_eq!(
        app.staff_get(c, &a, "/staff/audit").await.status(),
        404,
        "administrators do not read the trail"
    );
    assert_eq!(app.staff_get(c, &o, "/staff/audit.csv").await.status(), 404, "nor do officers");

    let all = actions_of(&app).await;
    let has =
        |action: &str, detail_part: &str| all.iter().any(|(_, a, d)| a == action && d.contains(detail_part));
    for (action, detail) in [
        ("case.list", "status=new"),
        ("case.read", ""),
        ("units.read", ""),
        ("login.failed", ""),
        ("login", ""),
        ("accounts.read", ""),
        ("outbox.read", ""),
        ("report.page_read", ""),
        ("measures.read", "fy=2569"),
        ("report.exported", "format=json"),
        ("account.created", "username=boss"),
        ("unit.granted", "unit=palad"),
        ("case.submitted", "track=corruption"),
    ] {
        assert!(has(action, detail), "{action} ({detail}) missing from {all:?}");
    }
    let text = format!("{all:?}");
    for secret in ["เรียกรับเงิน", &token, &token.replace('-', "")[..25], "127.0.0.1"]
    {
        assert!(!text.contains(secret), "`{secret}` is in the audit trail");
    }

    // The auditor filters and exports.
    app.clock.advance(Duration::from_secs(30));
    let s = app.login(c, &auditor).await;
    let page = app.staff_get(c, &s, "/staff/audit?action=case.read").await.text().await.expect("html");
    assert!(page.contains("เปิดอ่านเรื่อง") && page.contains(&reference), "a filtered view");
    let row = |action: &str| format!("<span class=\"small\">{action}</span>");
    assert!(!page.contains(&row("report.exported")), "the filter applies");
    let page =
        app.staff_get(c, &s, &format!("/staff/audit?case={reference}")).await.text().await.expect("html");
    assert!(page.contains(&row("case.submitted")) && !page.contains(&row("accounts.read")));
    let page =
        app.staff_get(c, &s, "/staff/audit?actor=boss&action=report.").await.text().await.expect("html");
    assert!(
        page.contains(&row("report.exported"))
            && page.contains(&row("report.page_read"))
            && !page.contains(&row("case.read"))
    );
    let r = app.staff_get(c, &s, "/staff/audit?from=16/03/2026").await;
    assert_eq!(r.status(), 422, "a bad date comes back as the same form");
    let html = r.text().await.expect("html");
    assert!(html.contains("ปปปป-ดด-วว") && html.contains("value=\"16/03/2026\""));
    let today = app.clock.today().to_string();
    let page = app
        .staff_get(c, &s, &format!("/staff/audit?from={today}&to={today}"))
        .await
        .text()
        .await
        .expect("html");
    assert!(page.contains(&row("case.submitted")));
    let page = app.staff_get(c, &s, "/staff/audit?to=2020-01-01").await.text().await.expect("html");
    assert!(page.contains("ไม่มีรายการที่ตรงกับเงื่อนไข"));
    let page = app.staff_get(c, &s, "/staff/audit?verify=1").await.text().await.expect("html");
    assert!(page.contains("ห่วงโซ่สมบูรณ์"), "the chain check from the page");

    let r = app.staff_get(c, &s, "/staff/audit.csv?action=identity.").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = app.staff_get(c, &s, "/staff/audit.csv").await.text().await.expect("csv");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("\u{feff}position,recorded_on,actor,action,case_reference,detail"));
    let rows: Vec<&str> = lines.collect();
    assert!(rows.iter().any(|l| l.contains(",case.submitted,") && l.contains(&reference)));
    let positions: Vec<i64> =
        rows.iter().map(|l| l.split(',').next().expect("n").parse().expect("int")).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "oldest first");
    let all = actions_of(&app).await;
    assert!(all.iter().any(|(actor, a, _)| actor == "auditor" && a == "audit.read"));
    assert!(all.iter().any(|(actor, a, _)| actor == "auditor" && a == "audit.exported"));
    assert!(all.iter().any(|(actor, a, _)| actor == "auditor" && a == "audit.verified"));
}

async fn auditors_get_the_head_by_mail_once_a_day_and_the_report_prints_it(db: Db) {
    let Some(app) = spawn(db, |s| {
        s.smtp.host = "127.0.0.1".into();
        s.smtp.port = 9;
        s.smtp.tls = rongrian::config::SmtpTls::None;
    })
    .await
    else {
        return;
    };
    app.create_officer("auditor", &[Role::Auditor], &[]).await;
    app.create_pending("new.auditor", &[Role::Auditor]).await;
    app.submit_json(&minimal_complaint()).await;
    let mailer = rongrian::notify::mailer::Mailer::from_settings(&app.state.settings.smtp).expect("mailer");
    let heads = || async {
        sqlx::query("SELECT recipient, body FROM outbox WHERE subject LIKE '%Audit trail head%'")
            .fetch_all(app.state.store.pool())
            .await
            .expect("outbox")
            .iter()
            .map(|r| (r.try_get::<String, _>(0).expect("to"), r.try_get::<String, _>(1).expect("body")))
            .collect::<Vec<_>>()
    };
    // The service's own worker may have taken today's turn at start, before there was an auditor.
    // Counted per day: the service's own worker may also take a day's turn.
    let of_day = |mails: Vec<(String, String)>, day: String| {
        mails.into_iter().filter(|(_, body)| body.contains(&format!("ณ วันที่ {day}:"))).collect::<Vec<_>>()
    };
    app.clock.advance(Duration::from_secs(24 * 3600));
    let day = app.clock.today().to_string();
    rongrian::notify::worker::run_once(&app.state, &mailer).await.expect("pass");
    let mails = of_day(heads().await, day.clone());
    assert_eq!(mails.len(), 1, "set-up auditors only: {mails:?}");
    assert_eq!(mails[0].0, "auditor@example.go.th");
    assert!(mails[0].1.contains("rongrian verify-audit --expect-head"), "{}", mails[0].1);
    rongrian::notify::worker::run_once(&app.state, &mailer).await.expect("pass");
    assert_eq!(of_day(heads().await, day).len(), 1, "once a day");
    app.clock.advance(Duration::from_secs(24 * 3600));
    rongrian::notify::worker::run_once(&app.state, &mailer).await.expect("pass");
    assert_eq!(of_day(heads().await, app.clock.today().to_string()).len(), 1, "and again the next day");
    assert!(heads().await.iter().all(|(to, _)| to == "auditor@example.go.th"), "never the pending auditor");

    let fy = rongrian::domain::fiscal_year::FiscalYear::containing(app.clock.today());
    let data = rongrian::report::load(&app.state, fy).await.expect("report");
    let json = rongrian::report::render::json(&data);
    let mut conn = app.state.store.pool().acquire().await.expect("conn");
    let head = rongrian::storage::audit::head(&mut conn).await.expect("head");
    assert_eq!(json["audit_head"]["entries"], head.entries);
    assert_eq!(json["audit_head"]["hash"], head.hash_hex());
}

async fn a_configuration_change_is_audited_with_its_sections(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let (store, clock, key) = (&app.state.store, &app.clock, &app.state.audit_key);
    let mut settings = (*app.state.settings).clone();
    let first = rongrian::setup::record_configuration(&settings, store, clock, key).await.expect("record");
    assert!(!first.is_empty(), "the first start is recorded");
    assert!(
        rongrian::setup::record_configuration(&settings, store, clock, key).await.expect("again").is_empty()
    );
    settings.deadlines.acknowledge_days = 7;
    settings.limits.submit.burst = 9;
    let changed = rongrian::setup::record_configuration(&settings, store, clock, key).await.expect("changed");
    assert_eq!(changed, vec!["deadlines".to_owned(), "limits".to_owned()]);
    let all = actions_of(&app).await;
    assert!(all.iter().any(|(_, a, d)| a == "config.changed" && d == "sections=deadlines,limits"), "{all:?}");
}

on_both_databases!(
    an_intact_trail_verifies_and_another_key_cannot_vouch_for_it,
    an_edited_entry_is_named,
    a_deleted_entry_is_named,
    reordered_entries_are_named,
    removing_the_last_entries_and_rewinding_the_head_is_detected,
    verify_audit_on_the_command_line_names_what_it_found,
    every_staff_read_is_recorded_and_auditors_read_the_trail,
    auditors_get_the_head_by_mail_once_a_day_and_the_report_prints_it,
    a_configuration_change_is_audited_with_its_sections,
    a_head_raised_in_the_database_does_not_move_the_anchor,
);

async fn a_head_raised_in_the_database_does_not_move_the_anchor(db: Db) {
    let Some(app) = five_entries(db).await else { return };
    run(&app, "UPDATE audit_head SET entries = 1000000000 WHERE id = 1").await;
    rongrian::storage::audit::refresh_anchor(app.state.store.pool(), &app.state.audit_key)
        .await
        .expect("refresh");
    let mut conn = app.state.store.pool().acquire().await.expect("conn");
    let result = verify(&mut conn, &app.state.audit_key, None).await.expect("verify");
    assert_eq!(result.anchor.map(|a| a.entries), Some(5), "the anchor stays where the chain is");
    assert!(
        result.findings.iter().any(|f| matches!(f, Finding::HeadMismatch { .. })),
        "{:?}",
        result.findings
    );
}
