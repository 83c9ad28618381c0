//! The officers' workspace: login with password and TOTP, sessions, unit isolation, triage,
//! two-way anonymous messages, and what a database thief can open (nothing).
use crate::helpers::{Db, minimal_complaint, spawn};
use crate::on_both_databases;
use rongrian::domain::staff::Role;
use sqlx::Row;
use std::time::Duration;

async fn login_needs_password_and_a_fresh_totp_code(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let officer = app.create_officer("somchai", &[Role::IntakeOfficer], &["palad"]).await;
    let c = &app.client;
    let code = app.totp_code(&officer);

    let wrong_password = app.try_login(c, "somchai", "not-the-password-at-all", &code).await;
    assert_eq!(wrong_password.status(), 401);
    let page = wrong_password.text().await.expect("html");
    assert!(page.contains("ชื่อผู้ใช้ รหัสผ่าน หรือรหัสยืนยันตัวตน (OTP) ไม่ถูกต้อง"));
    let unknown = app.try_login(c, "nobody", &officer.password, &code).await;
    assert_eq!(unknown.status(), 401, "an unknown user gets the same answer");
    let no_code = app.try_login(c, "somchai", &officer.password, "").await;
    assert_eq!(no_code.status(), 401, "TOTP is mandatory");
    let wrong_code = app
        .try_login(c, "somchai", &officer.password, if code == "000000" { "111111" } else { "000000" })
        .await;
    assert_eq!(wrong_code.status(), 401);

    let ok = app.try_login(c, "somchai", &officer.password, &code).await;
    assert_eq!(ok.status(), 303);
    let set_cookie = ok.headers()["set-cookie"].to_str().expect("ascii").to_owned();
    assert!(set_cookie.starts_with("__Host-rongrian_session="), "{set_cookie}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{attribute} in {set_cookie}");
    }
    let value = set_cookie.split(';').next().and_then(|c| c.split_once('=')).map(|(_, v)| v.len());
    assert_eq!(value, Some(128), "256-bit id and 256-bit key");

    let replay = app.try_login(c, "somchai", &officer.password, &code).await;
    assert_eq!(replay.status(), 401, "a used code cannot be replayed");
    app.clock.advance(Duration::from_secs(30));
    assert_eq!(app.try_login(c, "somchai", &officer.password, &app.totp_code(&officer)).await.status(), 303);

    let mut conn = app.state.store.pool().acquire().await.expect("conn");
    let actions: Vec<String> = sqlx::query("SELECT action FROM audit_log ORDER BY position")
        .fetch_all(&mut *conn)
        .await
        .expect("audit")
        .iter()
        .map(|r| r.try_get(0).expect("text"))
        .collect();
    assert!(actions.iter().any(|a| a == "login.totp_replayed"), "{actions:?}");
    assert!(actions.iter().filter(|a| *a == "login.failed").count() >= 3);
}

async fn guessing_one_password_is_throttled_without_locking_the_officer_out(db: Db) {
    let Some(app) = spawn(db, |s| {
        s.limits.login_account.burst = 3;
        s.limits.login_account.period_ms = 60_000;
    })
    .await
    else {
        return;
    };
    let officer = app.create_officer("target", &[Role::IntakeOfficer], &["palad"]).await;
    let attacker = crate::helpers::client_from("127.0.0.51");
    let code = app.totp_code(&officer);
    for _ in 0..3 {
        assert_eq!(app.try_login(&attacker, "target", "guess-guess-guess", &code).await.status(), 401);
    }
    let r = app.try_login(&attacker, "TARGET", "guess-guess-guess", &code).await;
    assert_eq!(r.status(), 429, "the fourth guess from that address waits");
    assert!(r.headers().contains_key("retry-after"));
    let officer_client = crate::helpers::client_from("127.0.0.52");
    let session = app.form_session(&officer_client, "/staff/login").await;
    let r = app
        .post_form(
            &officer_client,
            "/staff/login",
            &session,
            &[("username", "target"), ("password", &officer.password), ("code", &code)],
        )
        .await;
    assert_eq!(r.status(), 303, "the officer, elsewhere, signs in");
}

async fn disabled_accounts_and_expired_sessions_are_out(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let officer = app.create_officer("malee", &[Role::IntakeOfficer], &["palad"]).await;
    let c = &app.client;
    let s = app.login(c, &officer).await;
    assert_eq!(app.staff_get(c, &s, "/staff").await.status(), 200);

    // Idle expiry: 30 minutes without a request.
    app.clock.advance(Duration::from_secs(31 * 60));
    let r = app.staff_get(c, &s, "/staff").await;
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().ok()), (303, Some("/staff/login")));

    // Absolute expiry: 10 hours even when active.
    let s = app.login(c, &officer).await;
    // 20 × 29 minutes = 9 h 40 min: still inside the absolute lifetime.
    for _ in 0..20 {
        app.clock.advance(Duration::from_secs(29 * 60));
        assert_eq!(app.staff_get(c, &s, "/staff").await.status(), 200);
    }
    app.clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(app.staff_get(c, &s, "/staff").await.status(), 303, "past the absolute lifetime");

    // Logout forgets the session and tells the browser to clear everything.
    app.clock.advance(Duration::from_secs(30));
    let s = app.login(c, &officer).await;
    let r = app.staff_post(c, &s, "/staff/logout", &[]).await;
    assert_eq!(r.status(), 303);
    assert!(r.headers()["clear-site-data"].to_str().expect("ascii").contains("cookies"));
    assert_eq!(app.staff_get(c, &s, "/staff").await.status(), 303, "the old cookie is dead");

    // A disabled account cannot sign in and loses its sessions.
    app.clock.advance(Duration::from_secs(30));
    let s = app.login(c, &officer).await;
    let secrets =
        rongrian::setup::load_secrets(&rongrian::setup::DataPaths::new(&app.data_dir)).expect("secrets");
    let ctx = rongrian::staff::accounts::AdminContext {
        store: &app.state.store,
        settings: &app.state.settings,
        clock: &app.clock,
        pepper_key: &secrets.password_pepper,
        totp_key: &secrets.totp_key,
        audit_key: &app.state.audit_key,
        actor: "test",
    };
    let username = rongrian::domain::staff::Username::parse("malee").expect("name");
    rongrian::staff::accounts::disable(&ctx, &username).await.expect("disable");
    assert_eq!(app.staff_get(c, &s, "/staff").await.status(), 303);
    app.clock.advance(Duration::from_secs(30));
    let code = app.totp_code(&officer);
    assert_eq!(app.try_login(c, "malee", &officer.password, &code).await.status(), 401);
}

/// Files one case for สำนักปลัด and one for กองช่าง; returns (palad reference, works reference, palad token).
async fn two_cases(app: &crate::helpers::TestApp) -> (String, String, String) {
    let palad = app.submit_json(&minimal_complaint()).await;
    let works = app
        .submit_json(&serde_json::json!({
            "track": "general", "category": "infrastructure", "subject": "ท่อประปาแตก",
            "description": "ท่อแตกหน้าโรงเรียน", "relationship": "victim"
        }))
        .await;
    let s = |v: &serde_json::Value, k: &str| v[k].as_str().expect("str").to_owned();
    (s(&palad, "reference"), s(&works, "reference"), s(&palad, "token"))
}

async fn every_route_with_every_role(db: Db) {
    let Some(app) = spawn(db, |s| s.limits.browse.burst = 1000).await else { return };
    let (palad, works, _) = two_cases(&app).await;
    let intake = app.create_officer("intake", &[Role::IntakeOfficer], &["palad"]).await;
    let unit = app.create_officer("works.officer", &[Role::UnitOfficer], &["works"]).await;
    let admin = app.create_officer("boss", &[Role::Administrator], &[]).await;
    let auditor = app.create_officer("auditor", &[Role::Auditor], &[]).await;
    let custodian = app.create_officer("palad.head", &[Role::IdentityCustodian], &[]).await;
    let c = &app.client;

    // (who, GET palad case, GET works case, list shows palad, list shows works)
    let table = [
        ("intake officer of สำนักปลัด", &intake, 200, 404, true, false),
        ("unit officer of กองช่าง", &unit, 404, 200, false, true),
        ("administrator without membership", &admin, 404, 404, false, false),
        ("auditor", &auditor, 404, 404, false, false),
        ("identity custodian", &custodian, 404, 404, false, false),
    ];
    for (who, officer, palad_status, works_status, sees_palad, sees_works) in table {
        let s = app.login(c, officer).await;
        let list = app.staff_get(c, &s, "/staff").await;
        assert_eq!(list.status(), 200, "{who}: list");
        let html = list.text().await.expect("html");
        assert_eq!(html.contains(&palad), sees_palad, "{who}: palad case in list");
        assert_eq!(html.contains(&works), sees_works, "{who}: works case in list");
        // The menu leads only to pages the role may open.
        let menu =
            html.split("<ul class=\"links\">").nth(1).and_then(|m| m.split("</ul>").next()).expect("menu");
        let links: Vec<&str> = menu.split("href=\"").skip(1).filter_map(|h| h.split('"').next()).collect();
        assert!(links.contains(&"/staff/password"), "{who}: the menu has the password page");
        for link in &links {
            assert_eq!(app.staff_get(c, &s, link).await.status(), 200, "{who}: menu link {link}");
        }
        let r = app.staff_get(c, &s, &format!("/staff/cases/{palad}")).await;
        assert_eq!(r.status(), palad_status, "{who}: open palad case");
        let r = app.staff_get(c, &s, &format!("/staff/cases/{works}")).await;
        assert_eq!(r.status(), works_status, "{who}: open works case");
        let r = app.staff_get(c, &s, "/staff/admin/users").await;
        assert_eq!(r.status(), if officer.username == "boss" { 200 } else { 404 }, "{who}: accounts page");
        let r = app.staff_post(c, &s, "/staff/units", &[("unit", "palad"), ("username", "auditor")]).await;
        assert_eq!(r.status(), if officer.username == "intake" { 200 } else { 404 }, "{who}: grant palad");
        for (case, allowed) in [(&palad, palad_status == 200), (&works, works_status == 200)] {
            let r = app
                .staff_post(c, &s, &format!("/staff/cases/{case}/messages"), &[("message", "สวัสดีครับ")])
                .await;
            assert_eq!(r.status(), if allowed { 303 } else { 404 }, "{who}: message on {case}");
            let r = app
                .staff_post(c, &s, &format!("/staff/cases/{case}/status"), &[("action", "acknowledge")])
                .await;
            assert_eq!(r.status(), if allowed { 303 } else { 404 }, "{who}: acknowledge {case}");
            if !allowed {
                let r =
                    app.staff_post(c, &s, &format!("/staff/cases/{case}/unit"), &[("unit", "audit")]).await;
                assert_eq!(r.status(), 404, "{who}: reassign {case}");
            }
        }
        app.clock.advance(Duration::from_secs(30));
    }
    // Nobody signed in: every staff route goes to the login page.
    for path in ["/staff", &format!("/staff/cases/{palad}")] {
        let r = c.get(app.url(path)).send().await.expect("get");
        assert_eq!(r.status(), 303, "anonymous {path}");
    }
    let r = c
        .get(app.url("/staff/cases/2569-9999"))
        .header("cookie", "__Host-rongrian_session=00")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 303, "a forged cookie");
}

async fn triage_and_anonymous_two_way_messages(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let (palad, _, token) = two_cases(&app).await;
    let officer = app.create_officer("intake", &[Role::IntakeOfficer], &["palad"]).await;
    let c = &app.client;
    let s = app.login(c, &officer).await;
    let case_path = format!("/staff/cases/{palad}");

    let html = app.staff_get(c, &s, &case_path).await.text().await.expect("html");
    assert!(html.contains("เรียกรับเงินค่าอนุญาตก่อสร้าง"), "the officer reads the sealed subject");

    let r = app.staff_post(c, &s, &format!("{case_path}/status"), &[("action", "start")]).await;
    assert_eq!(r.status(), 422, "a new case is acknowledged before work starts");
    let html = r.text().await.expect("html");
    assert!(html.contains("id=\"error-summary\"") && html.contains("href=\"#action\""), "listed and linked");
    assert!(html.contains("id=\"action-error\""), "the message is next to the actions");
    assert!(html.contains("staff-nav"), "the staff page, not a bare error page");
    let r = app
        .staff_post(
            c,
            &s,
            &format!("{case_path}/status"),
            &[("action", "not_accept"), ("note", "บันทึกที่พิมพ์ไว้")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(html.contains("value=\"not_accept\" checked"), "the choice is kept");
    assert!(html.contains("กรุณาเลือกเหตุผลที่ไม่รับไว้พิจารณา") && html.contains("id=\"reason-error\""));
    assert!(html.contains("aria-describedby=\"reason-error\""), "the list is linked to its message");
    assert!(html.contains("บันทึกที่พิมพ์ไว้</textarea>"), "the typed note is kept");
    let r = app.staff_post(c, &s, &format!("{case_path}/messages"), &[("message", "   ")]).await;
    assert_eq!(r.status(), 422, "an empty message comes back");
    assert!(r.text().await.expect("html").contains("id=\"message-error\""));
    let r = app
        .staff_post(
            c,
            &s,
            &format!("{case_path}/status"),
            &[("action", "acknowledge"), ("note", "รับเรื่องไว้แล้ว")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = app
        .staff_post(c, &s, &format!("{case_path}/messages"), &[("message", "ขอทราบวันที่เกิดเหตุโดยประมาณ")])
        .await;
    assert_eq!(r.status(), 303);

    // The reporter reads the officer's message with the token alone, and answers.
    let view: serde_json::Value = app.status(&token).await.json().await.expect("json");
    assert_eq!(view["status"], "acknowledged");
    assert_eq!(view["messages"][0]["from"], "officer");
    assert_eq!(view["messages"][0]["text"], "ขอทราบวันที่เกิดเหตุโดยประมาณ");
    let r = c
        .post(app.url("/api/v1/complaints/messages"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"text": "ประมาณวันที่ 3 มีนาคม"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    let html = app.staff_get(c, &s, &case_path).await.text().await.expect("html");
    assert!(html.contains("ประมาณวันที่ 3 มีนาคม"), "the officer reads the answer");
    assert!(html.contains("รับเรื่องไว้แล้ว"), "the sealed note shows in the history");

    let r = app.staff_post(c, &s, &format!("{case_path}/status"), &[("action", "start")]).await;
    assert_eq!(r.status(), 303);
    let r = app
        .staff_post(c, &s, &format!("{case_path}/status"), &[("action", "conclude"), ("outcome", "referred")])
        .await;
    assert_eq!(r.status(), 422, "a referral names the agency");
    let html = r.text().await.expect("html");
    assert!(html.contains("id=\"agency-error\"") && html.contains("value=\"referred\" selected"));
    let r = app.staff_post(c, &s, &format!("{case_path}/status"), &[("action", "conclude")]).await;
    assert_eq!(r.status(), 422, "concluding needs an outcome");
    assert!(r.text().await.expect("html").contains("กรุณาเลือกผลการดำเนินการ"));
    let r = app
        .staff_post(
            c,
            &s,
            &format!("{case_path}/status"),
            &[("action", "conclude"), ("outcome", "referred"), ("agency", "nacc")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = app.staff_post(c, &s, &format!("{case_path}/status"), &[("action", "bogus")]).await;
    assert_eq!(r.status(), 422);

    let row = sqlx::query(
        "SELECT status, outcome, referred_to, acknowledged_on, closed_on FROM cases WHERE reference = $1",
    )
    .bind(palad.clone())
    .fetch_one(app.state.store.pool())
    .await
    .expect("row");
    let get = |i: usize| row.try_get::<Option<String>, _>(i).expect("col");
    assert_eq!(get(0).as_deref(), Some("concluded"));
    assert_eq!(get(1).as_deref(), Some("referred"));
    assert_eq!(get(2).as_deref(), Some("nacc"));
    assert_eq!(get(3).as_deref(), Some("2026-03-16"));
    assert!(get(4).is_some());
    let events =
        sqlx::query("SELECT COUNT(*) FROM case_events").fetch_one(app.state.store.pool()).await.expect("n");
    assert_eq!(events.try_get::<i64, _>(0).expect("int"), 3);
    let view: serde_json::Value = app.status(&token).await.json().await.expect("json");
    assert_eq!(view["status"], "concluded");
    let r = app.staff_post(c, &s, &format!("{case_path}/messages"), &[("message", "เพิ่มเติม")]).await;
    assert_eq!(r.status(), 422, "a closed case takes no more messages");

    let mut conn = app.state.store.pool().acquire().await.expect("conn");
    let chain =
        rongrian::storage::audit::verify(&mut conn, &app.state.audit_key, None).await.expect("verify");
    assert!(chain.intact(), "the audit chain holds: {:?}", chain.findings);
    let reads = sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action = 'case.read'")
        .fetch_one(&mut *conn)
        .await
        .expect("n");
    assert!(reads.try_get::<i64, _>(0).expect("int") >= 2, "every read is audited");
}

async fn a_database_thief_opens_nothing(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let (palad, _, _) = two_cases(&app).await;
    let officer = app.create_officer("intake", &[Role::IntakeOfficer], &["palad"]).await;
    let s = app.login(&app.client, &officer).await;
    assert_eq!(app.staff_get(&app.client, &s, &format!("/staff/cases/{palad}")).await.status(), 200);

    // Everything an attacker holding the database and the data directory (but no session cookie and
    // no password) can find: no age identity is stored anywhere in the clear...
    let pool = app.state.store.pool();
    let mut blobs: Vec<Vec<u8>> = Vec::new();
    for sql in [
        "SELECT wrapped_personal_key FROM accounts",
        "SELECT totp_secret FROM accounts",
        "SELECT sealed_personal_key FROM sessions",
        "SELECT wrapped_unit_key FROM unit_members",
        "SELECT escrow_wrapped_secret FROM units",
    ] {
        for row in sqlx::query(sql).fetch_all(pool).await.expect("blobs") {
            blobs.push(row.try_get(0).expect("blob"));
        }
    }
    for blob in &blobs {
        assert!(!String::from_utf8_lossy(blob).contains("AGE-SECRET-KEY-1"));
    }
    // ...and every key that can be made from what is stored fails to open the content: identities
    // derived from each secret file, and from each stored 32-byte value, under every context we use.
    let mut candidates = Vec::new();
    for file in ["token-hash.key", "cookie.key", "audit-chain.key", "password-pepper.key", "totp.key"] {
        let key =
            rongrian::crypto::keys::read_secret_key(&app.data_dir.join("secrets").join(file)).expect("key");
        candidates.push(*key);
    }
    for blob in &blobs {
        for chunk in blob.chunks_exact(32) {
            candidates.push(chunk.try_into().expect("32"));
        }
    }
    let contexts = [
        "rongrian totp secret v1",
        "rongrian session envelope v1",
        "rongrian 2026-11 reporter message key v1",
    ];
    let content: Vec<u8> = sqlx::query("SELECT content FROM cases WHERE reference = $1")
        .bind(palad)
        .fetch_one(pool)
        .await
        .expect("row")
        .try_get(0)
        .expect("content");
    let mut tried = 0;
    for secret in &candidates {
        let mut identities = vec![rongrian::crypto::keys::identity_from_secret(secret).expect("identity")];
        for ctx in contexts {
            identities.push(rongrian::crypto::keys::derived_identity(ctx, secret).expect("identity"));
        }
        for identity in identities {
            tried += 1;
            assert!(
                rongrian::crypto::seal::open(&content, &identity).is_err(),
                "a stored key opened the case"
            );
        }
    }
    assert!(tried > 20, "tried {tried} keys");
    // The escrow identity (offline) does open it: the test is not vacuous.
    assert!(rongrian::crypto::seal::open(&content, &app.escrow_identity()).is_ok());
}

async fn identities_are_sealed_to_the_custody_key_and_escrow_only(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let custodian = app.create_officer("palad.head", &[Role::IdentityCustodian], &[]).await;
    let mut body = minimal_complaint();
    body["reporter"] = serde_json::json!({"name": "ผู้แจ้ง ทดสอบ", "phone": "0812345678"});
    let receipt = app.submit_json(&body).await;
    let pool = app.state.store.pool();
    let identity: Vec<u8> = sqlx::query("SELECT identity FROM cases WHERE reference = $1")
        .bind(receipt["reference"].as_str().expect("ref").to_owned())
        .fetch_one(pool)
        .await
        .expect("row")
        .try_get(0)
        .expect("identity");
    let account =
        sqlx::query("SELECT key_salt, wrapped_personal_key FROM accounts WHERE username = 'palad.head'")
            .fetch_one(pool)
            .await
            .expect("account");
    let personal = rongrian::staff::accounts::open_personal_key(
        &account.try_get::<Vec<u8>, _>(0).expect("salt"),
        &account.try_get::<Vec<u8>, _>(1).expect("wrapped"),
        &custodian.password,
        app.state.settings.staff.password_cost(),
        &rongrian::crypto::password::Pepper::from_server_key(&app.state.pepper_key),
    )
    .expect("the custodian's password opens their key");
    assert!(rongrian::crypto::seal::open(&identity, &personal).is_err(), "not sealed to a person");
    let wrapped: Vec<u8> = sqlx::query(
        "SELECT wrapped_custody_key FROM custody_members m JOIN accounts a ON a.id = m.account_id \
         WHERE a.username = 'palad.head'",
    )
    .fetch_one(pool)
    .await
    .expect("the custodian holds the custody key")
    .try_get(0)
    .expect("blob");
    let custody = rongrian::crypto::keys::unwrap_identity(&wrapped, &personal).expect("custody key");
    let opened: serde_json::Value =
        rongrian::crypto::seal::open_json(&identity, &custody).expect("custodian opens");
    assert_eq!(opened["name"], "ผู้แจ้ง ทดสอบ");
    assert!(rongrian::crypto::seal::open(&identity, &app.escrow_identity()).is_ok(), "escrow opens it too");
    let mut conn = pool.acquire().await.expect("conn");
    let wrapped =
        rongrian::storage::units::escrow_wrapped_secret(&mut conn, "palad").await.expect("q").expect("unit");
    let unit = rongrian::crypto::keys::unwrap_identity(&wrapped, &app.escrow_identity()).expect("unit key");
    assert!(rongrian::crypto::seal::open(&identity, &unit).is_err(), "the unit does not");
}

on_both_databases!(
    guessing_one_password_is_throttled_without_locking_the_officer_out,
    login_needs_password_and_a_fresh_totp_code,
    disabled_accounts_and_expired_sessions_are_out,
    every_route_with_every_role,
    triage_and_anonymous_two_way_messages,
    a_database_thief_opens_nothing,
    identities_are_sealed_to_the_custody_key_and_escrow_only,
);
