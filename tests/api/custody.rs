//! Guarantee 2: a reporter's identity opens only with the identity-custody key (or escrow), through
//! a recorded decision or a custodian's recorded opening; pending accounts receive nothing; every
//! step is audited and counted; the reporter sees on which day their identity was made known.
use crate::helpers::{Db, TestApp, minimal_complaint, spawn};
use crate::on_both_databases;
use rongrian::domain::fiscal_year::FiscalYear;
use rongrian::domain::staff::Role;
use sqlx::Row;
use std::time::Duration;

const NAME: &str = "วิไลวรรณ ทองประเสริฐ";

fn identified_complaint() -> serde_json::Value {
    let mut body = minimal_complaint();
    body["reporter"] =
        serde_json::json!({"name": NAME, "national_id": "3100600776542", "phone": "0812345678"});
    body
}

async fn identity_blob(app: &TestApp, reference: &str) -> Vec<u8> {
    sqlx::query("SELECT identity FROM cases WHERE reference = $1")
        .bind(reference.to_owned())
        .fetch_one(app.state.store.pool())
        .await
        .expect("case")
        .try_get(0)
        .expect("identity")
}

async fn actions(app: &TestApp) -> Vec<String> {
    sqlx::query("SELECT action FROM audit_log ORDER BY position")
        .fetch_all(app.state.store.pool())
        .await
        .expect("audit")
        .iter()
        .map(|r| r.try_get(0).expect("text"))
        .collect()
}

fn count(actions: &[String], action: &str) -> usize {
    actions.iter().filter(|a| *a == action).count()
}

async fn a_pending_custodian_receives_nothing_until_set_up_and_granted(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    // An administrator makes a custodian account and sees its first password.
    let shown = app.create_pending("palad.head", &[Role::IdentityCustodian]).await;
    let receipt = app.submit_json(&identified_complaint()).await;
    let reference = receipt["reference"].as_str().expect("reference").to_owned();
    let sealed = identity_blob(&app, &reference).await;

    // With the first password, the administrator can open the pending account's personal key…
    let row =
        sqlx::query("SELECT key_salt, wrapped_personal_key FROM accounts WHERE username = 'palad.head'")
            .fetch_one(app.state.store.pool())
            .await
            .expect("account");
    let (salt, wrapped): (Vec<u8>, Vec<u8>) = (row.try_get(0).expect("salt"), row.try_get(1).expect("key"));
    let pepper = rongrian::crypto::password::Pepper::from_server_key(&app.secrets().password_pepper);
    let pending_key = rongrian::staff::accounts::open_personal_key(
        &salt,
        &wrapped,
        &shown.password,
        app.state.settings.staff.password_cost(),
        &pepper,
    )
    .expect("the creator knows the first password");
    // …which opens nothing: the identity went to the custody key and escrow only.
    assert!(rongrian::crypto::seal::open(&sealed, &pending_key).is_err(), "sealed to a pending account");
    let members: i64 = sqlx::query("SELECT COUNT(*) FROM custody_members")
        .fetch_one(app.state.store.pool())
        .await
        .expect("count")
        .try_get(0)
        .expect("int");
    assert_eq!(members, 0, "no custody key wrapped to a pending account");
    let secrets = app.secrets();
    let ctx = app.admin_context(&secrets, "cli");
    let name = rongrian::domain::staff::Username::parse("palad.head").expect("name");
    let refused = rongrian::staff::custody::grant_with_escrow(&ctx, &name, &app.escrow_identity()).await;
    assert!(
        matches!(refused, Err(rongrian::staff::StaffError::PendingSetup(_))),
        "no grant before setup: {refused:?}"
    );

    // The holder sets up the account; without a grant they still open nothing.
    let custodian = app.complete_setup("palad.head").await;
    let c = &app.client;
    let s = app.login(c, &custodian).await;
    let page = app.staff_get(c, &s, "/staff/identity").await.text().await.expect("html");
    assert!(page.contains("ท่านยังไม่เห็นคำขอและยังเปิดดูข้อมูลผู้แจ้งไม่ได้"), "the page says what is missing");
    assert!(!page.contains("action=\"/staff/identity/open\""), "no form that cannot work yet");
    let r = app
        .staff_post(c, &s, "/staff/identity/open", &[("reference", &reference), ("reason", "ตรวจสอบ")])
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(html.contains("กุญแจของท่านเปิดข้อมูลนี้ไม่ได้") && !html.contains(NAME));

    // After the grant (the command line, with the escrow identity) the earlier report opens.
    rongrian::staff::custody::grant_with_escrow(&ctx, &name, &app.escrow_identity()).await.expect("grant");
    let r = app
        .staff_post(c, &s, "/staff/identity/open", &[("reference", &reference), ("reason", "ตรวจสอบ")])
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("html").contains(NAME), "the custodian reads the identity");

    // A second custodian, set up, is granted on the web by the first; a pending one is refused.
    app.create_pending("deputy", &[Role::IdentityCustodian]).await;
    let r = app.staff_post(c, &s, "/staff/identity/grant", &[("username", "deputy")]).await;
    assert_eq!(r.status(), 422, "a pending account gets no key");
    assert!(r.text().await.expect("html").contains("ยังไม่ได้เข้าสู่ระบบครั้งแรก"));
    let deputy = app.complete_setup("deputy").await;
    app.create_officer("clerk", &[Role::IntakeOfficer], &["palad"]).await;
    let r = app.staff_post(c, &s, "/staff/identity/grant", &[("username", "clerk")]).await;
    assert_eq!(r.status(), 422, "only identity custodians receive the key");
    let r = app.staff_post(c, &s, "/staff/identity/grant", &[("username", "deputy")]).await;
    assert_eq!(r.status(), 200);
    app.clock.advance(Duration::from_secs(30));
    let d = app.login(c, &deputy).await;
    let r = app
        .staff_post(c, &d, "/staff/identity/open", &[("reference", &reference), ("reason", "ทดสอบกุญแจ")])
        .await;
    assert!(r.text().await.expect("html").contains(NAME), "the second custodian opens it too");

    let all = actions(&app).await;
    assert_eq!(count(&all, "custody.granted"), 2, "{all:?}");
    assert_eq!(count(&all, "identity.opened"), 2, "{all:?}");
}

async fn identity_requests_are_decided_audited_and_counted(db: Db) {
    let Some(app) = spawn(db, |s| {
        s.limits.browse.burst = 1000;
        // Mail is queued only when SMTP is configured; nothing listens here, so it stays queued.
        s.smtp.host = "127.0.0.1".into();
        s.smtp.port = 9;
        s.smtp.tls = rongrian::config::SmtpTls::None;
    })
    .await
    else {
        return;
    };
    let receipt = app.submit_json(&identified_complaint()).await;
    let reference = receipt["reference"].as_str().expect("reference").to_owned();
    let token = receipt["token"].as_str().expect("token").to_owned();
    let anonymous = app.submit_json(&minimal_complaint()).await["reference"].as_str().expect("r").to_owned();
    let intake = app.create_officer("intake", &[Role::IntakeOfficer], &["palad"]).await;
    let custodian = app.create_officer("palad.head", &[Role::IdentityCustodian], &[]).await;
    let works = app.create_officer("works.officer", &[Role::UnitOfficer], &["works"]).await;
    let admin = app.create_officer("boss", &[Role::Administrator], &[]).await;
    let auditor = app.create_officer("auditor", &[Role::Auditor], &[]).await;
    let c = &app.client;
    let case = format!("/staff/cases/{reference}");
    let ask = format!("{case}/identity-request");
    let show = format!("{case}/identity");

    let o = app.login(c, &intake).await;
    let html = app.staff_get(c, &o, &case).await.text().await.expect("html");
    assert!(html.contains("ขอเปิดเผยข้อมูลผู้แจ้ง") && !html.contains(NAME), "asks, sees nothing yet");
    assert_eq!(app.staff_get(c, &o, &show).await.status(), 404, "no identity without approval");
    let r = app.staff_post(c, &o, &ask, &[("reason", "  ")]).await;
    assert_eq!(r.status(), 422, "a reason is required");
    let html = r.text().await.expect("html");
    assert!(
        html.contains("กรุณาระบุเหตุผล") && html.contains("aria-invalid=\"true\""),
        "the same page, the message by the field"
    );
    let r = app.staff_post(c, &o, &ask, &[("reason", "ต้องสอบถามพยานเพิ่มเติมเกี่ยวกับวันเกิดเหตุ")]).await;
    assert_eq!(r.status(), 303);
    let r = app.staff_post(c, &o, &ask, &[("reason", "อีกครั้ง")]).await;
    assert_eq!(r.status(), 422, "one open request at a time");
    let r = app
        .staff_post(c, &o, &format!("/staff/cases/{anonymous}/identity-request"), &[("reason", "ขอ")])
        .await;
    assert_eq!(r.status(), 409, "an anonymous report has no identity to disclose");

    // The custodians were told by e-mail, with nothing of the reason.
    let mails = sqlx::query("SELECT recipient, subject, body FROM outbox")
        .fetch_all(app.state.store.pool())
        .await
        .expect("outbox");
    let to_custodian: Vec<_> = mails
        .iter()
        .filter(|m| m.try_get::<String, _>(0).expect("to") == "palad.head@example.go.th")
        .collect();
    assert_eq!(to_custodian.len(), 1, "one mail to the custodian");
    let body: String = to_custodian[0].try_get(2).expect("body");
    assert!(body.contains("/staff/identity") && !body.contains("พยาน"), "{body}");

    // Nobody else may ask or see: another unit, an administrator, an auditor, a custodian by role.
    for (who, officer) in
        [("works", &works), ("admin", &admin), ("auditor", &auditor), ("custodian", &custodian)]
    {
        app.clock.advance(Duration::from_secs(30));
        let s = app.login(c, officer).await;
        assert_eq!(app.staff_post(c, &s, &ask, &[("reason", "ขอดู")]).await.status(), 404, "{who} asks");
        assert_eq!(app.staff_get(c, &s, &show).await.status(), 404, "{who} views");
    }
    app.clock.advance(Duration::from_secs(30));
    let s = app.login(c, &works).await;
    assert_eq!(app.staff_get(c, &s, "/staff/identity").await.status(), 404, "the custodians' page");

    // The custodian reads the reason and denies, with a reason of their own.
    app.clock.advance(Duration::from_secs(30));
    let k = app.login(c, &custodian).await;
    let html = app.staff_get(c, &k, "/staff/identity").await.text().await.expect("html");
    assert!(html.contains("ต้องสอบถามพยานเพิ่มเติม") && html.contains(&reference));
    let id = pending_request_id(&app).await;
    let r = app
        .staff_post(c, &k, "/staff/identity/decide", &[("request", &id), ("decision", "deny"), ("note", "")])
        .await;
    assert_eq!(r.status(), 422, "a decision needs a reason");
    let r = app
        .staff_post(
            c,
            &k,
            "/staff/identity/decide",
            &[("request", &id), ("decision", "deny"), ("note", "ยังไม่จำเป็น ใช้พยานเอกสารก่อน")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .staff_post(
            c,
            &k,
            "/staff/identity/decide",
            &[("request", &id), ("decision", "approve"), ("note", "ซ้ำ")],
        )
        .await;
    assert_eq!(r.status(), 409, "a second decision is a problem, not a success");
    let html = r.text().await.expect("html");
    assert!(html.contains("ได้รับการพิจารณาไปแล้ว") && html.contains("card problem"), "decided once");
    let html = app.staff_get(c, &o, &case).await.text().await.expect("html");
    assert!(html.contains("ไม่อนุมัติ") && html.contains("ใช้พยานเอกสารก่อน"), "the officer sees the decision");
    assert_eq!(app.staff_get(c, &o, &show).await.status(), 404, "denied: nothing to see");

    // Asked again and approved: the identity opens for that officer alone.
    assert_eq!(
        app.staff_post(c, &o, &ask, &[("reason", "พยานเอกสารไม่พอ ต้องสอบถามผู้แจ้งโดยตรง")]).await.status(),
        303
    );
    let id = pending_request_id(&app).await;
    let r = app
        .staff_post(
            c,
            &k,
            "/staff/identity/decide",
            &[("request", &id), ("decision", "approve"), ("note", "จำเป็นต่อการสอบข้อเท็จจริง")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app.staff_get(c, &o, &show).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(r.text().await.expect("html").contains(NAME), "the approved officer sees the identity");
    let sealed: Vec<u8> =
        sqlx::query("SELECT disclosed_identity FROM identity_requests WHERE status = 'approved'")
            .fetch_one(app.state.store.pool())
            .await
            .expect("row")
            .try_get(0)
            .expect("blob");
    assert!(
        rongrian::crypto::seal::open(&sealed, &app.escrow_identity()).is_err(),
        "sealed to the officer only"
    );

    // The custodian also opens it themselves, with a reason.
    let r = app
        .staff_post(
            c,
            &k,
            "/staff/identity/open",
            &[("reference", &reference), ("reason", "ตรวจสอบความถูกต้องของคำขอ")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app.staff_post(c, &k, "/staff/identity/open", &[("reference", &reference), ("reason", "")]).await;
    assert_eq!(r.status(), 422, "never without a reason");
    let r =
        app.staff_post(c, &k, "/staff/identity/open", &[("reference", "not-a-ref"), ("reason", "x")]).await;
    assert_eq!(r.status(), 422);

    // The reporter sees the days, never who.
    let view: serde_json::Value = app.status(&token).await.json().await.expect("json");
    let disclosures = view["identity_disclosures"].as_array().expect("array");
    assert_eq!(disclosures.len(), 2, "{view}");
    assert_eq!(disclosures[0]["to"], "handling_officer");
    assert_eq!(disclosures[0]["on"], app.clock.today().to_string());
    assert_eq!(disclosures[1]["to"], "identity_custodian");
    assert!(!view.to_string().contains("intake") && !view.to_string().contains("palad.head"));
    let session = app.form_session(c, "/follow-up").await;
    let html =
        app.post_form(c, "/follow-up", &session, &[("token", &token)]).await.text().await.expect("html");
    assert!(html.contains("อนุมัติให้เจ้าหน้าที่ผู้รับผิดชอบเรื่องทราบข้อมูลตัวตนของท่าน"), "the follow-up page says so");

    let all = actions(&app).await;
    for (action, n) in
        [("identity.requested", 2), ("identity.denied", 1), ("identity.approved", 1), ("identity.opened", 1)]
    {
        assert_eq!(count(&all, action), n, "{action} in {all:?}");
    }
    assert!(count(&all, "identity.viewed") >= 1);
    let fy = FiscalYear::containing(app.clock.today());
    let report = rongrian::report::load(&app.state, fy).await.expect("report");
    let a = report.figures.audited;
    assert_eq!(
        (a.identity_requests, a.identity_approvals, a.identity_denials, a.identity_openings),
        (2, 1, 1, 1),
        "counted in the annual report"
    );
}

async fn pending_request_id(app: &TestApp) -> String {
    let id: i64 = sqlx::query("SELECT id FROM identity_requests WHERE status = 'pending'")
        .fetch_one(app.state.store.pool())
        .await
        .expect("pending request")
        .try_get(0)
        .expect("id");
    id.to_string()
}

async fn an_existing_installation_keeps_its_custodians_identities(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let custodian = app.create_officer("palad.head", &[Role::IdentityCustodian], &[]).await;
    app.create_pending("newcomer", &[Role::IdentityCustodian]).await;
    let reference =
        app.submit_json(&identified_complaint()).await["reference"].as_str().expect("r").to_owned();
    // As an installation from before the custody key: the identity sealed to the custodian's own
    // key, no custody key at all.
    let pool = app.state.store.pool();
    let recipient: String =
        sqlx::query("SELECT personal_recipient FROM accounts WHERE username = 'palad.head'")
            .fetch_one(pool)
            .await
            .expect("account")
            .try_get(0)
            .expect("recipient");
    let recipient = rongrian::crypto::keys::parse_recipient(&recipient).expect("recipient");
    let identity =
        serde_json::json!({"name": NAME, "national_id": null, "phone": null, "email": null, "address": null});
    let legacy =
        rongrian::crypto::seal::seal_json(&identity, &[&recipient, &app.state.keyring.escrow]).expect("seal");
    sqlx::query("UPDATE cases SET identity = $1 WHERE reference = $2")
        .bind(legacy)
        .bind(reference.clone())
        .execute(pool)
        .await
        .expect("legacy identity");
    sqlx::query("DELETE FROM custody_members").execute(pool).await.expect("no members");
    sqlx::query("DELETE FROM custody_key").execute(pool).await.expect("no key");

    let granted = rongrian::setup::ensure_custody_key(&app.state.store, &app.clock, &app.state.audit_key)
        .await
        .expect("upgrade");
    assert_eq!(granted, vec!["palad.head".to_owned()], "the set-up custodian, not the pending one");
    assert!(
        rongrian::setup::ensure_custody_key(&app.state.store, &app.clock, &app.state.audit_key)
            .await
            .expect("again")
            .is_empty(),
        "made once"
    );
    // The legacy identity still opens for its custodian (the service would restart after the
    // upgrade; the running test app keeps its old keyring, which does not matter here).
    let c = &app.client;
    let s = app.login(c, &custodian).await;
    let r = app
        .staff_post(c, &s, "/staff/identity/open", &[("reference", &reference), ("reason", "ทดสอบ")])
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("html").contains(NAME));
}

async fn the_reporter_reads_back_what_they_filed(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let mut body = identified_complaint();
    body["event_place"] = serde_json::json!("หน้าที่ทำการ อบต.");
    body["persons"] = serde_json::json!([{"name": "นายสมปอง", "position": "นายช่างโยธา"}]);
    let receipt = app.submit_json(&body).await;
    let token = receipt["token"].as_str().expect("token").to_owned();
    let view: serde_json::Value = app.status(&token).await.json().await.expect("json");
    assert_eq!(view["complaint"]["subject"], body["subject"]);
    assert_eq!(view["complaint"]["description"], body["description"]);
    assert_eq!(view["complaint"]["event_place"], "หน้าที่ทำการ อบต.");
    assert_eq!(view["complaint"]["persons"][0]["name"], "นายสมปอง");
    assert!(view.get("reporter").is_none() && !view.to_string().contains(NAME), "never the identity");

    // Handed to another unit, it still reads back (re-sealed with the reporter's key).
    let officer = app.create_officer("intake", &[Role::IntakeOfficer], &["palad"]).await;
    let c = &app.client;
    let s = app.login(c, &officer).await;
    let reference = receipt["reference"].as_str().expect("r");
    let r = app
        .staff_post(c, &s, &format!("/staff/cases/{reference}/unit"), &[("unit", "works"), ("confirm", "1")])
        .await;
    assert_eq!(r.status(), 303);
    let view: serde_json::Value = app.status(&token).await.json().await.expect("json");
    assert_eq!(view["complaint"]["subject"], body["subject"]);
    let session = app.form_session(c, "/follow-up").await;
    let html =
        app.post_form(c, "/follow-up", &session, &[("token", &token)]).await.text().await.expect("html");
    assert!(html.contains("เรื่องที่ท่านแจ้ง") && html.contains("นายช่างโยธา"));
}

on_both_databases!(
    a_pending_custodian_receives_nothing_until_set_up_and_granted,
    identity_requests_are_decided_audited_and_counted,
    an_existing_installation_keeps_its_custodians_identities,
    the_reporter_reads_back_what_they_filed,
    a_hand_over_or_a_disabled_account_ends_what_was_disclosed,
    identities_from_before_the_custody_key_are_resealed_with_escrow,
);

async fn a_hand_over_or_a_disabled_account_ends_what_was_disclosed(db: Db) {
    let Some(app) = spawn(db, |s| s.limits.browse.burst = 1000).await else { return };
    let receipt = app.submit_json(&identified_complaint()).await;
    let reference = receipt["reference"].as_str().expect("reference").to_owned();
    let intake = app.create_officer("intake", &[Role::IntakeOfficer], &["palad"]).await;
    let other = app.create_officer("intake2", &[Role::IntakeOfficer], &["palad"]).await;
    let custodian = app.create_officer("palad.head", &[Role::IdentityCustodian], &[]).await;
    let c = &app.client;
    let o = app.login(c, &intake).await;
    let o2 = app.login(c, &other).await;
    let k = app.login(c, &custodian).await;
    let ask = format!("/staff/cases/{reference}/identity-request");
    assert_eq!(app.staff_post(c, &o, &ask, &[("reason", "สอบถามผู้แจ้ง")]).await.status(), 303);
    let first = pending_request_id(&app).await;
    let r = app
        .staff_post(
            c,
            &k,
            "/staff/identity/decide",
            &[("request", &first), ("decision", "approve"), ("note", "ได้")],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.staff_post(c, &o2, &ask, &[("reason", "ขอด้วย")]).await.status(), 303);
    let second = pending_request_id(&app).await;

    // Handed to another unit: the old unit's disclosure is forgotten, and a pending request from the
    // old unit can no longer be approved (it would seal the identity to an officer who no longer has the case).
    let r = app
        .staff_post(c, &o, &format!("/staff/cases/{reference}/unit"), &[("unit", "works"), ("confirm", "1")])
        .await;
    assert_eq!(r.status(), 303);
    let disclosed: i64 =
        sqlx::query("SELECT COUNT(*) FROM identity_requests WHERE disclosed_identity IS NOT NULL")
            .fetch_one(app.state.store.pool())
            .await
            .expect("count")
            .try_get(0)
            .expect("n");
    assert_eq!(disclosed, 0, "no copy sealed to the old unit's officer is left");
    let r = app
        .staff_post(
            c,
            &k,
            "/staff/identity/decide",
            &[("request", &second), ("decision", "approve"), ("note", "ได้")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("html").contains("ไม่ได้รับผิดชอบเรื่องนี้แล้ว"));
    let status: String = sqlx::query("SELECT status FROM identity_requests WHERE id = $1")
        .bind(second.parse::<i64>().expect("id"))
        .fetch_one(app.state.store.pool())
        .await
        .expect("row")
        .try_get(0)
        .expect("status");
    assert_eq!(status, "pending", "nothing was sealed to it");

    // A disabled officer's disclosures go with the account.
    let works = app.create_officer("works.officer", &[Role::UnitOfficer], &["works"]).await;
    let w = app.login(c, &works).await;
    assert_eq!(app.staff_post(c, &w, &ask, &[("reason", "สอบถามผู้แจ้ง")]).await.status(), 303);
    let third = sqlx::query("SELECT id FROM identity_requests WHERE status = 'pending' ORDER BY id DESC")
        .fetch_one(app.state.store.pool())
        .await
        .expect("row")
        .try_get::<i64, _>(0)
        .expect("id")
        .to_string();
    let r = app
        .staff_post(
            c,
            &k,
            "/staff/identity/decide",
            &[("request", &third), ("decision", "approve"), ("note", "ได้")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let secrets = app.secrets();
    let ctx = app.admin_context(&secrets, "cli");
    let name = rongrian::domain::staff::Username::parse("works.officer").expect("name");
    rongrian::staff::accounts::disable(&ctx, &name).await.expect("disable");
    let disclosed: i64 =
        sqlx::query("SELECT COUNT(*) FROM identity_requests WHERE disclosed_identity IS NOT NULL")
            .fetch_one(app.state.store.pool())
            .await
            .expect("count")
            .try_get(0)
            .expect("n");
    assert_eq!(disclosed, 0, "the disabled account's old key opens nothing");
}

async fn identities_from_before_the_custody_key_are_resealed_with_escrow(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let custodian = app.create_officer("palad.head", &[Role::IdentityCustodian], &[]).await;
    let reference =
        app.submit_json(&identified_complaint()).await["reference"].as_str().expect("r").to_owned();
    let pool = app.state.store.pool();
    let row = sqlx::query("SELECT personal_recipient, key_salt, wrapped_personal_key FROM accounts WHERE username = 'palad.head'")
        .fetch_one(pool)
        .await
        .expect("account");
    let recipient =
        rongrian::crypto::keys::parse_recipient(&row.try_get::<String, _>(0).expect("r")).expect("recipient");
    let legacy = rongrian::crypto::seal::seal_json(
        &serde_json::json!({"name": NAME, "national_id": null, "phone": null, "email": null, "address": null}),
        &[&recipient, &app.state.keyring.escrow],
    )
    .expect("seal");
    sqlx::query("UPDATE cases SET identity = $1 WHERE reference = $2")
        .bind(legacy)
        .bind(reference)
        .execute(pool)
        .await
        .expect("legacy");
    let n = rongrian::staff::custody::reseal_identities(
        &app.state.store,
        &app.clock,
        &app.state.audit_key,
        &app.escrow_identity(),
    )
    .await
    .expect("reseal");
    assert_eq!(n, 1);
    let sealed = identity_blob(
        &app,
        &sqlx::query("SELECT reference FROM cases")
            .fetch_one(pool)
            .await
            .expect("c")
            .try_get::<String, _>(0)
            .expect("r"),
    )
    .await;
    let personal = rongrian::staff::accounts::open_personal_key(
        &row.try_get::<Vec<u8>, _>(1).expect("salt"),
        &row.try_get::<Vec<u8>, _>(2).expect("wrapped"),
        &custodian.password,
        app.state.settings.staff.password_cost(),
        &rongrian::crypto::password::Pepper::from_server_key(&app.state.pepper_key),
    )
    .expect("personal key");
    assert!(rongrian::crypto::seal::open(&sealed, &personal).is_err(), "no longer sealed to a person");
    let key = sqlx::query("SELECT escrow_wrapped_secret FROM custody_key")
        .fetch_one(pool)
        .await
        .expect("key")
        .try_get::<Vec<u8>, _>(0)
        .expect("blob");
    let custody = rongrian::crypto::keys::unwrap_identity(&key, &app.escrow_identity()).expect("custody key");
    assert!(rongrian::crypto::seal::open(&sealed, &custody).is_ok(), "the custody key opens it");
}
