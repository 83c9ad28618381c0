//! Account work from the pages: password change re-wraps the personal key, members grant units,
//! administrators manage accounts, and a reassigned case moves to the new unit's key.
use crate::helpers::{Db, Officer, minimal_complaint, spawn};
use crate::on_both_databases;
use rongrian::domain::staff::Role;
use std::time::Duration;

async fn a_password_change_keeps_unit_access_and_refuses_weak_passwords(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let receipt = app.submit_json(&minimal_complaint()).await;
    let reference = receipt["reference"].as_str().expect("ref").to_owned();
    let mut officer = app.create_officer("somsri", &[Role::IntakeOfficer], &["palad"]).await;
    let c = &app.client;
    let s = app.login(c, &officer).await;

    let weak = app
        .staff_post(
            c,
            &s,
            "/staff/password",
            &[("current", &officer.password), ("new", "password1234"), ("repeat", "password1234")],
        )
        .await;
    assert_eq!(weak.status(), 422);
    assert!(weak.text().await.expect("html").contains("เดาง่าย"));
    let wrong = app
        .staff_post(
            c,
            &s,
            "/staff/password",
            &[
                ("current", "nope-nope-nope"),
                ("new", "แม่น้ำโขง-ไหลผ่าน-เลย-2569"),
                ("repeat", "แม่น้ำโขง-ไหลผ่าน-เลย-2569"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    let new_password = "แม่น้ำโขง-ไหลผ่าน-เลย-2569";
    let ok = app
        .staff_post(
            c,
            &s,
            "/staff/password",
            &[("current", &officer.password), ("new", new_password), ("repeat", new_password)],
        )
        .await;
    assert_eq!(ok.status(), 200);

    app.clock.advance(Duration::from_secs(30));
    let code = app.totp_code(&officer);
    assert_eq!(
        app.try_login(c, "somsri", &officer.password, &code).await.status(),
        401,
        "the old password is gone"
    );
    officer.password = new_password.to_owned();
    app.clock.advance(Duration::from_secs(30));
    let s = app.login(c, &officer).await;
    let r = app.staff_get(c, &s, &format!("/staff/cases/{reference}")).await;
    assert_eq!(r.status(), 200, "the re-wrapped personal key still opens the unit");
}

async fn members_grant_units_and_administrators_manage_accounts(db: Db) {
    let Some(app) = spawn(db, |s| s.limits.browse.burst = 1000).await else { return };
    let receipt = app.submit_json(&minimal_complaint()).await;
    let reference = receipt["reference"].as_str().expect("ref").to_owned();
    let member = app.create_officer("member", &[Role::IntakeOfficer], &["palad"]).await;
    let newcomer = app.create_officer("newcomer", &[Role::IntakeOfficer], &[]).await;
    let admin = app.create_officer("boss", &[Role::Administrator], &[]).await;
    let c = &app.client;

    // A non-member cannot grant; a member can.
    let s = app.login(c, &newcomer).await;
    assert_eq!(app.staff_get(c, &s, &format!("/staff/cases/{reference}")).await.status(), 404);
    let r = app.staff_post(c, &s, "/staff/units", &[("unit", "palad"), ("username", "newcomer")]).await;
    assert_eq!(r.status(), 404, "granting needs the unit key");
    let m = app.login(c, &member).await;
    let r = app.staff_post(c, &m, "/staff/units", &[("unit", "palad"), ("username", "newcomer")]).await;
    assert_eq!(r.status(), 200);
    let r = app.staff_post(c, &m, "/staff/units", &[("unit", "palad"), ("username", "ghost")]).await;
    assert_eq!(r.status(), 422, "an unknown account comes back on the units page");
    let html = r.text().await.expect("html");
    assert!(
        html.contains("id=\"grant-palad-error\"") && html.contains("value=\"ghost\""),
        "next to the field, kept"
    );
    assert!(html.contains("staff-nav"));
    assert_eq!(
        app.staff_get(c, &s, &format!("/staff/cases/{reference}")).await.status(),
        200,
        "now a member"
    );

    // Only administrators reach the account pages.
    assert_eq!(app.staff_get(c, &m, "/staff/admin/users").await.status(), 404);
    let a = app.login(c, &admin).await;
    assert_eq!(app.staff_get(c, &a, "/staff/admin/users").await.status(), 200);
    let r = app
        .staff_post(
            c,
            &a,
            "/staff/admin/users",
            &[
                ("action", "add"),
                ("username", "auditor1"),
                ("display_name", "ผู้ตรวจสอบ"),
                ("role", "auditor"),
                ("role", "unit_officer"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("html");
    assert!(html.contains("แสดงครั้งเดียว") && html.contains("otpauth://totp/"), "credentials are shown once");
    let r = app
        .staff_post(
            c,
            &a,
            "/staff/admin/users",
            &[("action", "add"), ("username", "auditor1"), ("display_name", "x"), ("role", "auditor")],
        )
        .await;
    assert_eq!(r.status(), 422, "a taken username");
    assert!(r.text().await.expect("html").contains("ชื่อผู้ใช้นี้มีอยู่แล้ว"));
    let r = app
        .staff_post(
            c,
            &a,
            "/staff/admin/users",
            &[("action", "add"), ("username", "x1x"), ("display_name", "x"), ("role", "wizard")],
        )
        .await;
    assert_eq!(r.status(), 422, "an unknown role");
    // A user name in Thai and no role: the same page comes back, each message next to its field,
    // listed in a summary, with what was typed kept.
    let r = app
        .staff_post(
            c,
            &a,
            "/staff/admin/users",
            &[
                ("action", "add"),
                ("username", "สมศรี"),
                ("display_name", "สมศรี ขยันงาน"),
                ("email", "somsri@example.go.th"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(html.contains("staff-nav"), "the staff page with its menu, not a bare error page");
    assert!(html.contains("id=\"username-error\"") && html.contains("aria-invalid=\"true\""));
    assert!(html.contains("id=\"role-error\"") && html.contains("กรุณาเลือกบทบาท"));
    assert!(
        html.contains("href=\"#username\"") && html.contains("href=\"#role\""),
        "the summary links the fields"
    );
    assert!(
        html.contains("value=\"สมศรี ขยันงาน\"") && html.contains("value=\"somsri@example.go.th\""),
        "input kept"
    );

    // A reset makes a new key: the old grant is revoked and listed for renewal.
    let r =
        app.staff_post(c, &a, "/staff/admin/users", &[("action", "reset"), ("username", "newcomer")]).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("html").contains("สำนักปลัด"), "the revoked unit is named");
    assert_eq!(app.staff_get(c, &s, "/staff").await.status(), 303, "the reset ended the session");
    let r =
        app.staff_post(c, &a, "/staff/admin/users", &[("action", "disable"), ("username", "member")]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.staff_get(c, &m, "/staff").await.status(), 303, "disabled");
    let r = app.staff_post(c, &a, "/staff/admin/users", &[("action", "disable"), ("username", "boss")]).await;
    assert_eq!(r.status(), 422, "not oneself");
    assert!(r.text().await.expect("html").contains("ไม่สามารถระงับบัญชีของตนเองได้"));
}

async fn a_reassigned_case_moves_to_the_new_units_key(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let receipt = app.submit_json(&minimal_complaint()).await;
    let reference = receipt["reference"].as_str().expect("ref").to_owned();
    let token = receipt["token"].as_str().expect("token").to_owned();
    let palad: Officer = app.create_officer("palad.officer", &[Role::IntakeOfficer], &["palad"]).await;
    let works: Officer = app.create_officer("works.officer", &[Role::UnitOfficer], &["works"]).await;
    let c = &app.client;
    let p = app.login(c, &palad).await;
    let path = format!("/staff/cases/{reference}");
    assert_eq!(
        app.staff_post(c, &p, &format!("{path}/status"), &[("action", "acknowledge"), ("note", "บันทึกลับ")])
            .await
            .status(),
        303
    );
    assert_eq!(
        app.staff_post(c, &p, &format!("{path}/messages"), &[("message", "ขอข้อมูลเพิ่ม")]).await.status(),
        303
    );
    let r = app.staff_post(c, &p, &format!("{path}/unit"), &[("unit", "palad"), ("confirm", "1")]).await;
    assert_eq!(r.status(), 422, "not to itself");
    assert!(r.text().await.expect("html").contains("id=\"unit-error\""), "said next to the unit list");
    // The first post only asks: the page names the unit and what hand-over means.
    let r = app.staff_post(c, &p, &format!("{path}/unit"), &[("unit", "works")]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("html");
    assert!(html.contains("ยืนยันการส่งเรื่องนี้ให้") && html.contains("name=\"confirm\" value=\"1\""));
    assert_eq!(app.staff_get(c, &p, &path).await.status(), 200, "not handed over before confirming");
    let r = app.staff_post(c, &p, &format!("{path}/unit"), &[("unit", "works"), ("confirm", "1")]).await;
    assert_eq!(r.status(), 303);

    assert_eq!(app.staff_get(c, &p, &path).await.status(), 404, "the old unit can no longer open it");
    let w = app.login(c, &works).await;
    let html = app.staff_get(c, &w, &path).await.text().await.expect("html");
    assert!(
        html.contains("เรียกรับเงินค่าอนุญาตก่อสร้าง")
            && html.contains("ขอข้อมูลเพิ่ม")
            && html.contains("บันทึกลับ")
    );

    // The stored content opens with the new unit's key, not the old one's.
    let pool = app.state.store.pool();
    let mut conn = pool.acquire().await.expect("conn");
    let escrow = app.escrow_identity();
    let key = |unit: &'static str| {
        let pool = pool.clone();
        let escrow = escrow.clone();
        async move {
            let mut conn = pool.acquire().await.expect("conn");
            let wrapped = rongrian::storage::units::escrow_wrapped_secret(&mut conn, unit)
                .await
                .expect("q")
                .expect("unit");
            rongrian::crypto::keys::unwrap_identity(&wrapped, &escrow).expect("unit key")
        }
    };
    let row = rongrian::storage::cases::by_reference(&mut conn, &reference).await.expect("q").expect("case");
    assert_eq!(row.unit_code, "works");
    let (works_key, palad_key) = (key("works").await, key("palad").await);
    assert!(rongrian::crypto::seal::open(&row.content, &works_key).is_ok());
    assert!(rongrian::crypto::seal::open(&row.content, &palad_key).is_err());
    for m in rongrian::storage::cases::messages(&mut conn, row.id).await.expect("messages") {
        assert!(rongrian::crypto::seal::open(&m.body, &works_key).is_ok());
        assert!(
            rongrian::crypto::seal::open(&m.body, &palad_key).is_err(),
            "a message still opens for the old unit"
        );
    }
    for e in rongrian::storage::cases::events(&mut conn, row.id).await.expect("events") {
        if let Some(note) = e.note {
            assert!(
                rongrian::crypto::seal::open(&note, &palad_key).is_err(),
                "a note still opens for the old unit"
            );
        }
    }
    // The reporter still reads the officer's message with the token.
    let view: serde_json::Value = app.status(&token).await.json().await.expect("json");
    assert_eq!(view["messages"][0]["text"], "ขอข้อมูลเพิ่ม");
}

async fn officers_register_cases_that_arrived_another_way(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let intake = app.create_officer("intake", &[Role::IntakeOfficer], &["palad"]).await;
    let unit = app.create_officer("works.officer", &[Role::UnitOfficer], &["works"]).await;
    let c = &app.client;
    let u = app.login(c, &unit).await;
    assert_eq!(app.staff_get(c, &u, "/staff/cases/new").await.status(), 404, "intake officers only");
    let s = app.login(c, &intake).await;
    assert_eq!(app.staff_get(c, &s, "/staff/cases/new").await.status(), 200);
    let letter = [
        ("track", "corruption"),
        ("channel", "letter"),
        ("received_on", "2026-03-13"),
        ("category", "procurement"),
        ("subject", "หนังสือร้องเรียนการจัดซื้อ"),
        ("description", "ได้รับหนังสือร้องเรียนทางไปรษณีย์"),
        ("relationship", "told_by_others"),
        ("reporter_name", "นายสมปอง"),
    ];
    let mut future = letter;
    future[2] = ("received_on", "2026-03-17");
    let r = app.staff_post(c, &s, "/staff/cases/new", &future).await;
    assert_eq!(r.status(), 422, "not received in the future");
    let mut online = letter;
    online[1] = ("channel", "online");
    assert_eq!(
        app.staff_post(c, &s, "/staff/cases/new", &online).await.status(),
        422,
        "online is the reporters' own"
    );
    let r = app.staff_post(c, &s, "/staff/cases/new", &letter).await;
    assert_eq!(r.status(), 201);
    let html = r.text().await.expect("html");
    assert!(html.contains("2569-0001"));
    let token_start = html.find("translate=\"no\">").expect("token") + "translate=\"no\">".len();
    let token = html[token_start..token_start + 32].to_owned();
    let view: serde_json::Value = app.status(&token).await.json().await.expect("json");
    assert_eq!(view["received_on"], "2026-03-13");
    assert_eq!(
        view["acknowledge_due"], "2026-03-30",
        "15 days from the day it arrived, moved off the weekend"
    );
    let row =
        sqlx::query("SELECT channel, CAST(anonymous AS INTEGER) FROM cases WHERE reference = '2569-0001'")
            .fetch_one(app.state.store.pool())
            .await
            .expect("row");
    use sqlx::Row;
    assert_eq!(row.try_get::<String, _>(0).expect("channel"), "letter");
    assert_eq!(row.try_get::<i64, _>(1).expect("anonymous"), 0);
    let actor = sqlx::query("SELECT actor FROM audit_log WHERE action = 'case.submitted'")
        .fetch_one(app.state.store.pool())
        .await
        .expect("audit");
    assert_eq!(actor.try_get::<String, _>(0).expect("actor"), "intake");
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let s = html.find(start).expect("start") + start.len();
    let e = html[s..].find(end).expect("end") + s;
    &html[s..e]
}

async fn an_account_made_by_an_administrator_starts_with_its_holders_own_secrets(db: Db) {
    let Some(app) = spawn(db, |s| s.limits.browse.burst = 1000).await else { return };
    let admin = app.create_officer("boss", &[Role::Administrator], &[]).await;
    let member = app.create_officer("member", &[Role::IntakeOfficer], &["palad"]).await;
    let c = &app.client;
    let a = app.login(c, &admin).await;
    let r = app
        .staff_post(
            c,
            &a,
            "/staff/admin/users",
            &[("action", "add"), ("username", "fresh"), ("display_name", "ใหม่"), ("role", "intake_officer")],
        )
        .await;
    let html = r.text().await.expect("html");
    let shown = Officer {
        username: "fresh".into(),
        password: between(&html, "<dd class=\"token\" translate=\"no\">", "</dd>").to_owned(),
        totp_secret: between(&html, "<dd class=\"secret-groups\" translate=\"no\">", "</dd>")
            .replace(' ', ""),
    };
    assert!(html.contains("<div class=\"qr\" role=\"img\"") && html.contains("<svg"), "a QR code, as SVG");

    // A member cannot grant the unit to an account whose key the administrator made.
    let m = app.login(c, &member).await;
    let r = app.staff_post(c, &m, "/staff/units", &[("unit", "palad"), ("username", "fresh")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("html").contains("ยังไม่ได้เข้าสู่ระบบครั้งแรก"));

    // The holder signs in with what the administrator saw, and can only set up the account.
    let s = app.login(c, &shown).await;
    let r = app.staff_get(c, &s, "/staff").await;
    assert_eq!(r.headers()["location"], "/staff/setup");
    assert_eq!(app.staff_get(c, &s, "/staff/setup").await.status(), 200);
    let own = "ภูกระดึง-ทะเลหมอก-2569-เช้า";
    let r = app.staff_post(c, &s, "/staff/setup", &[("new", own), ("repeat", own)]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("html");
    let grouped = between(&html, "<dd class=\"token secret-groups\" translate=\"no\">", "</dd>");
    assert!(grouped.split(' ').all(|g| g.len() <= 4), "the secret in groups of four: {grouped}");
    let new_secret = grouped.replace(' ', "");
    let svg = between(&html, "<div class=\"qr\" role=\"img\"", "</svg>");
    assert!(svg.contains("<svg") && !svg.contains("<script"), "a QR code drawn as SVG, no script");
    assert_ne!(new_secret, shown.totp_secret, "a TOTP secret the administrator never saw");
    assert_eq!(app.staff_get(c, &s, "/staff").await.status(), 303, "the setup session ended");

    app.clock.advance(Duration::from_secs(30));
    let code = app.totp_code(&shown);
    assert_eq!(
        app.try_login(c, "fresh", &shown.password, &code).await.status(),
        401,
        "the shown credentials are dead"
    );
    let holder = Officer { username: "fresh".into(), password: own.into(), totp_secret: new_secret };
    assert_eq!(app.try_login(c, "fresh", own, &code).await.status(), 401, "the old TOTP secret is dead too");
    let s = app.login(c, &holder).await;
    assert_eq!(app.staff_get(c, &s, "/staff").await.status(), 200);
    let r = app.staff_post(c, &m, "/staff/units", &[("unit", "palad"), ("username", "fresh")]).await;
    assert_eq!(r.status(), 200, "now the unit can be granted");
}

async fn staff_forms_need_the_csrf_token(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let receipt = app.submit_json(&minimal_complaint()).await;
    let reference = receipt["reference"].as_str().expect("ref").to_owned();
    let officer = app.create_officer("intake", &[Role::IntakeOfficer], &["palad"]).await;
    let c = &app.client;
    let mut s = app.login(c, &officer).await;
    s.csrf = "forged".into();
    for (path, fields) in [
        (format!("/staff/cases/{reference}/status"), vec![("action", "acknowledge")]),
        (format!("/staff/cases/{reference}/messages"), vec![("message", "x")]),
        (format!("/staff/cases/{reference}/unit"), vec![("unit", "works")]),
        ("/staff/units".to_owned(), vec![("unit", "palad"), ("username", "intake")]),
        ("/staff/password".to_owned(), vec![("current", "a"), ("new", "b"), ("repeat", "b")]),
        ("/staff/logout".to_owned(), vec![]),
    ] {
        let r = app.staff_post(c, &s, &path, &fields).await;
        assert_eq!(r.status(), 403, "{path} without a valid CSRF token");
        let html = r.text().await.expect("html");
        // A staff page (the officer's menu), saying nothing was done and leading back to the form's
        // page; never the public error page with its button to the public home page.
        assert!(html.contains("แบบฟอร์มหมดอายุ ระบบยังไม่ได้ดำเนินการใด ๆ"), "{path}: {html}");
        assert!(html.contains("เมนูเจ้าหน้าที่") && !html.contains("กลับหน้าแรก"), "{path}: the staff menu");
        let back = if path.starts_with("/staff/cases/") {
            format!("/staff/cases/{reference}")
        } else {
            path.clone()
        };
        let back = if path == "/staff/logout" { "/staff".to_owned() } else { back };
        assert!(html.contains(&format!("href=\"{back}\"")), "{path}: leads back to {back}");
        assert!(
            !html.contains("<form method=\"post\" action=\"{path}\""),
            "{path}: nothing to re-send in one click"
        );
        if path.ends_with("/messages") {
            assert!(
                html.contains("<textarea") && html.contains(">x</textarea>"),
                "the message typed is kept"
            );
        }
        if path == "/staff/password" {
            assert!(!html.contains("<textarea"), "a password is never shown back");
        }
    }
    let view: serde_json::Value =
        app.status(receipt["token"].as_str().expect("token")).await.json().await.expect("json");
    assert_eq!(view["status"], "new", "nothing changed");
    assert_eq!(app.message_count().await, 0, "no message was sent");

    // The sign-in form that sat open too long comes back as itself, the user name kept.
    let form = app.form_session(c, "/staff/login").await;
    let stale = crate::helpers::FormSession { cookie: form.cookie, token: "stale".into(), nonce: None };
    let code = app.totp_code(&officer);
    let r = app
        .post_form(
            c,
            "/staff/login",
            &stale,
            &[("username", "intake"), ("password", &officer.password), ("code", &code)],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert!(crate::helpers::session_cookie(&r).is_none(), "not signed in");
    let html = r.text().await.expect("html");
    assert!(html.contains("แบบฟอร์มหมดอายุ ยังไม่ได้เข้าสู่ระบบ") && html.contains("value=\"intake\""), "{html}");
    assert!(!html.contains(&officer.password), "the password is not shown back");
}

async fn password_change_errors_stand_by_their_fields(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let officer = app.create_officer("somsri", &[Role::IntakeOfficer], &["palad"]).await;
    let c = &app.client;
    let s = app.login(c, &officer).await;
    let strong = "นกเขาขันเช้า-ริมน้ำโขง-2569";
    for (fields, field, says) in [
        (vec![("current", ""), ("new", strong), ("repeat", strong)], "current", "กรุณากรอกรหัสผ่านปัจจุบัน"),
        (
            vec![("current", "wrong-password-here"), ("new", strong), ("repeat", strong)],
            "current",
            "รหัสผ่านปัจจุบันไม่ถูกต้อง",
        ),
        (
            vec![("current", officer.password.as_str()), ("new", strong), ("repeat", "other")],
            "repeat",
            "ไม่ตรงกัน",
        ),
        (
            vec![("current", officer.password.as_str()), ("new", "password1234"), ("repeat", "password1234")],
            "new",
            "",
        ),
    ] {
        let r = app.staff_post(c, &s, "/staff/password", &fields).await;
        assert_eq!(r.status(), 422, "{field}");
        let html = r.text().await.expect("html");
        let input = html
            .split(&format!("<input id=\"{field}\""))
            .nth(1)
            .and_then(|t| t.split('>').next())
            .unwrap_or("");
        assert!(
            input.contains("aria-invalid=\"true\"")
                && input.contains(&format!("aria-describedby=\"{field}-error\"")),
            "{field}: {input}"
        );
        let message = html
            .split(&format!("id=\"{field}-error\">"))
            .nth(1)
            .and_then(|t| t.split('<').next())
            .unwrap_or("");
        assert!(!message.is_empty() && message.contains(says), "{field}: {message}");
        assert!(html.contains(&format!("<a href=\"#{field}\">")), "the summary links to {field}");
        assert_eq!(html.matches("aria-invalid").count(), 1, "one field marked");
    }
    // Nothing changed: the old password still signs in (at the next TOTP step: a code is used once).
    app.clock.advance(Duration::from_secs(30));
    let _signed_in = app.login(c, &officer).await;
}

async fn staff_names_lose_invisible_formatting_and_refuse_controls(db: Db) {
    use rongrian::domain::staff::{Roles, Username};
    use rongrian::staff::accounts::{self, NewStaff};
    use sqlx::Row;
    let Some(app) = spawn(db, |_| {}).await else { return };
    let secrets = app.secrets();
    let ctx = app.admin_context(&secrets, "boss");
    let roles = Roles::new([Role::IntakeOfficer]);
    let name = Username::parse("somchai").expect("username");
    let new =
        NewStaff {
            username: &name, display_name: "\u{202E}สมชาย\u{200B} ใจดี", roles: &roles, email: None
        };
    accounts::create(&ctx, &new).await.expect("create");
    let row = sqlx::query("SELECT display_name FROM accounts WHERE username = $1")
        .bind("somchai")
        .fetch_one(app.state.store.pool())
        .await
        .expect("row");
    assert_eq!(row.try_get::<String, _>(0).expect("name"), "สมชาย ใจดี");
    let other = Username::parse("somsak").expect("username");
    let bell = NewStaff {
        username: &other, display_name: "สมศักดิ์\u{7}", roles: &roles, email: None
    };
    assert!(accounts::create(&ctx, &bell).await.is_err(), "a control character is refused");
}

async fn the_first_administrators_file_goes_at_their_first_sign_in(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let c = &app.client;
    // An officer who is not the one the file names leaves it alone.
    let first = app.create_pending("firstadmin", &[Role::Administrator]).await;
    let path = rongrian::setup::write_first_administrator_file(&app.data_dir, &first).expect("write");
    let other = app.create_pending("other", &[Role::Auditor]).await;
    let app = &app;
    let set_up = |who: &rongrian::staff::accounts::Credentials, own: &'static str| {
        let officer = Officer {
            username: who.username.clone(),
            password: who.password.to_string(),
            totp_secret: who.totp_secret_base32.to_string(),
        };
        async move {
            let s = app.login(c, &officer).await;
            let r = app.staff_post(c, &s, "/staff/setup", &[("new", own), ("repeat", own)]).await;
            assert_eq!(r.status(), 200, "setup of {}", officer.username);
        }
    };
    set_up(&other, "ดอยอินทนนท์-หมอกเช้า-2569-อื่น").await;
    assert!(path.exists(), "another account's setup keeps the file");
    set_up(&first, "ภูกระดึง-ทะเลหมอก-2569-แรก").await;
    assert!(!path.exists(), "the file with dead credentials is gone after its holder's setup");
    let logs = crate::helpers::captured_logs();
    assert!(!logs.contains(first.password.as_str()), "its secrets never reached a log");
}

on_both_databases!(
    the_first_administrators_file_goes_at_their_first_sign_in,
    staff_names_lose_invisible_formatting_and_refuse_controls,
    an_account_made_by_an_administrator_starts_with_its_holders_own_secrets,
    staff_forms_need_the_csrf_token,
    password_change_errors_stand_by_their_fields,
    officers_register_cases_that_arrived_another_way,
    a_password_change_keeps_unit_access_and_refuses_weak_passwords,
    members_grant_units_and_administrators_manage_accounts,
    a_reassigned_case_moves_to_the_new_units_key,
);
