//! The security matrix: every route of the router × every kind of caller (no session, each role,
//! a case of the caller's unit and of another unit). The table below must list exactly the routes
//! that `src/http/mod.rs` declares, so a new route without an entry fails here. Every staff state
//! change must refuse a missing or wrong CSRF token and change nothing; every answer carries the
//! security headers; nothing the test typed reaches the logs.
use crate::helpers::{Db, StaffSession, TestApp, captured_logs, client_from, minimal_complaint, spawn};
use rongrian::domain::staff::Role;

/// Who may use a route.
#[derive(Clone, Copy, Debug)]
enum Access {
    /// Anyone, without a session.
    Public,
    /// Signed-in staff with one of these roles (any role: `ALL`); others get 404, no session a
    /// redirect to the login page.
    Staff(&'static [Role]),
    /// As `Staff`, about one case: only members of the case's unit (404 for everyone else).
    Case(&'static [Role]),
    /// Staff whose account is still pending its first sign-in (none here: everyone else is sent
    /// to the login page).
    PendingOnly,
}

const ALL: &[Role] =
    &[Role::IntakeOfficer, Role::UnitOfficer, Role::IdentityCustodian, Role::Administrator, Role::Auditor];
const OFFICERS: &[Role] = &[Role::IntakeOfficer, Role::UnitOfficer];
const ADMIN: &[Role] = &[Role::Administrator];
const CUSTODIAN: &[Role] = &[Role::IdentityCustodian];
const AUDITOR: &[Role] = &[Role::Auditor];
const INTAKE: &[Role] = &[Role::IntakeOfficer];

use Access::{Case, PendingOnly, Public, Staff};

const ROUTES: &[(&str, &str, Access)] = &[
    ("GET", "/healthz", Public),
    ("GET", "/readyz", Public),
    ("POST", "/api/v1/complaints", Public),
    ("POST", "/report/{track}", Public),
    ("POST", "/follow-up", Public),
    ("GET", "/api/v1/complaints/status", Public),
    ("POST", "/staff/login", Public),
    ("POST", "/follow-up/message", Public),
    ("POST", "/api/v1/complaints/messages", Public),
    ("POST", "/follow-up/files", Public),
    ("POST", "/api/v1/complaints/attachments", Public),
    ("POST", "/staff/cases/{reference}/unit", Case(OFFICERS)),
    ("POST", "/staff/cases/{reference}/files", Case(OFFICERS)),
    ("GET", "/staff/cases/{reference}/files/{id}", Case(OFFICERS)),
    ("GET", "/staff/audit.csv", Staff(AUDITOR)),
    ("GET", "/", Public),
    ("GET", "/report/{track}", Public),
    ("GET", "/follow-up", Public),
    ("GET", "/privacy", Public),
    ("GET", "/statistics", Public),
    ("GET", "/manual", Public),
    ("GET", "/manual.docx", Public),
    ("GET", "/protection", Public),
    ("GET", "/staff/admin/reports", Staff(ADMIN)),
    ("GET", "/staff/admin/reports/download", Staff(ADMIN)),
    ("GET", "/staff/admin/reports/memo", Staff(ADMIN)),
    ("GET", "/staff/admin/measures", Staff(ADMIN)),
    ("POST", "/staff/admin/measures", Staff(ADMIN)),
    ("GET", "/lang/{code}", Public),
    ("GET", "/assets/{name}", Public),
    ("GET", "/api/v1/openapi.json", Public),
    ("GET", "/staff", Staff(ALL)),
    ("GET", "/staff/login", Public),
    ("GET", "/staff/admin/outbox", Staff(ADMIN)),
    ("GET", "/staff/admin/users", Staff(ADMIN)),
    ("POST", "/staff/admin/users", Staff(ADMIN)),
    ("GET", "/staff/setup", Staff(ALL)),
    // Only a pending account sets itself up; a set-up account is sent to sign in again.
    ("POST", "/staff/setup", PendingOnly),
    ("GET", "/staff/password", Staff(ALL)),
    ("POST", "/staff/password", Staff(ALL)),
    ("GET", "/staff/units", Staff(ALL)),
    // Grants a unit the caller holds; one it does not hold (here: none named) is not found.
    ("POST", "/staff/units", Staff(&[])),
    ("POST", "/staff/cases/{reference}/measures", Case(OFFICERS)),
    ("POST", "/staff/logout", Staff(ALL)),
    ("GET", "/staff/cases/new", Staff(INTAKE)),
    ("POST", "/staff/cases/new", Staff(INTAKE)),
    ("GET", "/staff/cases/{reference}", Case(OFFICERS)),
    ("POST", "/staff/cases/{reference}/messages", Case(OFFICERS)),
    ("POST", "/staff/cases/{reference}/status", Case(OFFICERS)),
    ("POST", "/staff/cases/{reference}/identity-request", Case(OFFICERS)),
    // Opens only after a custodian approved a request (tests/api/custody.rs); nobody here has one.
    ("GET", "/staff/cases/{reference}/identity", Case(&[])),
    ("GET", "/staff/identity", Staff(CUSTODIAN)),
    ("GET", "/staff/audit", Staff(AUDITOR)),
    ("POST", "/staff/identity/decide", Staff(CUSTODIAN)),
    ("POST", "/staff/identity/open", Staff(CUSTODIAN)),
    ("POST", "/staff/identity/grant", Staff(CUSTODIAN)),
];

/// The (method, path) pairs that the router's source declares, read from its `.route(...)` calls.
fn declared_routes() -> Vec<(String, String)> {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/mod.rs")).unwrap();
    let mut found = Vec::new();
    for (at, _) in source.match_indices(".route(") {
        // The call's text up to its closing parenthesis.
        let mut depth = 0usize;
        let mut end = at;
        for (i, c) in source[at..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = at + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let call = &source[at + ".route(".len()..end];
        let path = call.split('"').nth(1).unwrap().to_owned();
        // Method routers at the call's top level: `get(...)`, `.post(...)`.
        let mut depth = 0usize;
        let mut word = String::new();
        for c in call.chars() {
            match c {
                '(' => {
                    if depth == 0 && ["get", "post", "put", "patch", "delete", "any"].contains(&word.as_str())
                    {
                        found.push((word.to_uppercase(), path.clone()));
                    }
                    depth += 1;
                    word.clear();
                }
                ')' => {
                    depth -= 1;
                    word.clear();
                }
                c if c.is_ascii_alphanumeric() || c == '_' => word.push(c),
                _ => word.clear(),
            }
        }
    }
    found
}

#[test]
fn the_matrix_lists_every_route_the_router_declares() {
    let mut declared = declared_routes();
    declared.sort();
    let mut listed: Vec<(String, String)> =
        ROUTES.iter().map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned())).collect();
    listed.sort();
    let missing: Vec<_> = declared.iter().filter(|r| !listed.contains(r)).collect();
    let stale: Vec<_> = listed.iter().filter(|r| !declared.contains(r)).collect();
    assert!(declared.len() > 40, "the route reader found too few routes: {declared:?}");
    assert!(missing.is_empty(), "routes without an entry in the security matrix: {missing:?}");
    assert!(stale.is_empty(), "matrix entries the router no longer has: {stale:?}");
}

/// One caller: a role (or none), the unit it belongs to and its session.
struct Caller {
    name: &'static str,
    role: Option<Role>,
    unit: Option<&'static str>,
    session: Option<StaffSession>,
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Served,
    Hidden,
    ToLogin,
}

fn outcome(status: u16, location: Option<&str>) -> Outcome {
    match (status, location) {
        (404, _) => Outcome::Hidden,
        (300..=399, Some(l)) if l.starts_with("/staff/login") => Outcome::ToLogin,
        _ => Outcome::Served,
    }
}

struct Fixture {
    palad_case: String,
    works_case: String,
    palad_file: String,
    works_file: String,
}

async fn file_case(app: &TestApp, body: &serde_json::Value) -> (String, String) {
    let receipt = app.submit_json(body).await;
    let token = receipt["token"].as_str().unwrap().to_owned();
    let png = crate::evidence::fixture("text.png");
    let r = crate::evidence::upload(app, &token, &[("photo.png", png)], false).await;
    assert_eq!(r.status(), 201, "upload: {:?}", r.text().await);
    let status: serde_json::Value = app.status(&token).await.json().await.unwrap();
    let file = status["attachments"][0]["id"].as_str().unwrap().to_owned();
    (receipt["reference"].as_str().unwrap().to_owned(), file)
}

fn concrete(path: &str, case: &str, file: &str) -> String {
    path.replace("{reference}", case)
        .replace("{id}", file)
        .replace("{track}", "general")
        .replace("{code}", "th")
        .replace("{name}", "site.css")
}

async fn request(
    app: &TestApp,
    method: &str,
    path: &str,
    session: Option<&StaffSession>,
    csrf: bool,
) -> reqwest::Response {
    let client = client_from("127.0.80.80");
    let mut r = if method == "GET" { client.get(app.url(path)) } else { client.post(app.url(path)) };
    if let Some(s) = session {
        r = r.header(reqwest::header::COOKIE, &s.cookie);
    }
    if method == "POST" {
        let token = match (session, csrf) {
            (Some(s), true) => s.csrf.clone(),
            _ => "not-the-token".to_owned(),
        };
        r = if path.ends_with("/files") {
            // File forms are multipart; their token is checked before any file is read.
            r.multipart(reqwest::multipart::Form::new().text("authenticity_token", token))
        } else {
            r.header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string([("authenticity_token", token)]).unwrap())
        };
    }
    r.send().await.unwrap()
}

async fn every_route_by_every_caller(db: Db) {
    let Some(app) = spawn(db, |s| {
        s.limits.browse.burst = 10_000;
        s.limits.follow_up.burst = 10_000;
        s.limits.lookup.burst = 10_000;
        s.limits.submit.burst = 10_000;
    })
    .await
    else {
        return;
    };
    let (palad_case, palad_file) = file_case(&app, &minimal_complaint()).await;
    let mut works = minimal_complaint();
    works["track"] = "general".into();
    works["category"] = "infrastructure".into();
    let (works_case, works_file) = file_case(&app, &works).await;
    let fx = Fixture { palad_case, works_case, palad_file, works_file };

    let people: [(&'static str, Role, Option<&'static str>); 5] = [
        ("intake", Role::IntakeOfficer, Some("palad")),
        ("works", Role::UnitOfficer, Some("works")),
        ("custodian", Role::IdentityCustodian, None),
        ("admin", Role::Administrator, None),
        ("auditor", Role::Auditor, None),
    ];
    let mut callers = vec![Caller { name: "no session", role: None, unit: None, session: None }];
    for (name, role, unit) in people {
        let units: Vec<&str> = unit.into_iter().collect();
        let officer = app.create_officer(&format!("m_{name}"), &[role], &units).await;
        let session = app.login(&app.client, &officer).await;
        callers.push(Caller { name, role: Some(role), unit, session: Some(session) });
    }

    let state_before = state_digest(&app).await;
    let mut wrong = Vec::new();
    for (method, template, access) in ROUTES {
        if *template == "/staff/logout" {
            continue; // ends the session: checked on its own below
        }
        for caller in &callers {
            // A case of the caller's own unit, and (for members) one of the other unit.
            let own = match caller.unit {
                Some("works") => (&fx.works_case, &fx.works_file, true),
                Some(_) => (&fx.palad_case, &fx.palad_file, true),
                None => (&fx.palad_case, &fx.palad_file, false),
            };
            let other = match caller.unit {
                Some("works") => Some((&fx.palad_case, &fx.palad_file)),
                Some(_) => Some((&fx.works_case, &fx.works_file)),
                None => None,
            };
            let mut cells = vec![(concrete(template, own.0, own.1), own.2)];
            if let (Case(_), Some(o)) = (access, other) {
                cells.push((concrete(template, o.0, o.1), false));
            }
            for (path, member) in cells {
                let expected = match (access, caller.role) {
                    (Public, _) => Outcome::Served,
                    (Staff(_) | Case(_) | PendingOnly, None) => Outcome::ToLogin,
                    (PendingOnly, Some(_)) => Outcome::ToLogin,
                    (Staff(roles), Some(role)) => {
                        if roles.contains(&role) {
                            Outcome::Served
                        } else {
                            Outcome::Hidden
                        }
                    }
                    (Case(roles), Some(role)) => {
                        if roles.contains(&role) && member {
                            Outcome::Served
                        } else {
                            Outcome::Hidden
                        }
                    }
                };
                let r = request(&app, method, &path, caller.session.as_ref(), true).await;
                let status = r.status().as_u16();
                let location = r.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
                crate::headers::assert_headers(&format!("{method} {path} as {}", caller.name), &r, "");
                assert!(status < 500, "{method} {path} as {}: {status}", caller.name);
                let got = outcome(status, location.as_deref());
                if got != expected {
                    let body = r.text().await.unwrap_or_default();
                    let said = body.split("<h1").nth(1).unwrap_or("").chars().take(700).collect::<String>();
                    wrong.push(format!(
                        "{method} {path} as {} (member: {member}): expected {expected:?}, got {status} {location:?}: {said}",
                        caller.name
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "the security matrix does not hold:\n{}", wrong.join("\n"));
    // Nothing above may have written to a case: every POST carried an empty form.
    assert_eq!(state_digest(&app).await, state_before, "a refused or empty request changed something");

    // Every staff state change refuses a missing or wrong CSRF token with 403, for a caller who
    // would otherwise be allowed, and changes nothing.
    for (method, template, access) in ROUTES.iter().filter(|(m, _, _)| *m == "POST") {
        let roles = match access {
            Staff(r) | Case(r) => *r,
            Public | PendingOnly => continue,
        };
        // A caller who may use the route; for routes nobody here may use, any officer (the token
        // is checked before anything else).
        let caller = callers
            .iter()
            .find(|c| c.role.is_some_and(|r| roles.contains(&r)))
            .or_else(|| callers.iter().find(|c| c.name == "intake"))
            .unwrap();
        let path = match caller.unit {
            Some("works") => concrete(template, &fx.works_case, &fx.works_file),
            _ => concrete(template, &fx.palad_case, &fx.palad_file),
        };
        let r = request(&app, method, &path, caller.session.as_ref(), false).await;
        assert_eq!(r.status(), 403, "{method} {path} as {} without its CSRF token", caller.name);
        crate::headers::assert_headers(&format!("{path} CSRF refusal"), &r, "no-store");
        let page = r.text().await.unwrap();
        assert!(page.contains("แบบฟอร์มหมดอายุ"), "{path}: the CSRF refusal says what to do in Thai");
    }
    assert_eq!(state_digest(&app).await, state_before, "a request without a CSRF token changed something");

    // Logging out needs the token too; with it, the session ends.
    let intake = callers.iter().find(|c| c.name == "intake").unwrap();
    let s = intake.session.as_ref().unwrap();
    assert_eq!(request(&app, "POST", "/staff/logout", Some(s), false).await.status(), 403);
    assert_eq!(
        outcome(request(&app, "GET", "/staff", Some(s), false).await.status().as_u16(), None),
        Outcome::Served
    );
    request(&app, "POST", "/staff/logout", Some(s), true).await;
    let after = request(&app, "GET", "/staff", Some(s), false).await;
    let location = after.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(outcome(after.status().as_u16(), location.as_deref()), Outcome::ToLogin);

    // Nothing of this traffic's secrets reached a log line.
    let logs = captured_logs();
    for secret in [fx.palad_file.as_str(), fx.works_file.as_str(), s.csrf.as_str(), "127.0.80.80"] {
        assert!(!logs.contains(secret), "a log line carries `{secret}`");
    }
    for c in &callers {
        if let Some(s) = &c.session {
            let cookie = s.cookie.split(';').next().unwrap().split('=').nth(1).unwrap();
            assert!(!logs.contains(cookie), "a log line carries {}'s session cookie", c.name);
        }
    }
}

/// What a state change would alter: each case's status and unit, and how many messages, files,
/// measure links, identity requests and accounts there are. (Reads are audited, so the audit
/// trail grows on every staff page; it is not part of this.)
async fn state_digest(app: &TestApp) -> String {
    let pool = app.state.store.pool();
    let cases: Vec<(String, String, String)> =
        sqlx::query_as("SELECT reference, status, unit_code FROM cases ORDER BY reference")
            .fetch_all(pool)
            .await
            .unwrap();
    let mut digest = format!("{cases:?}");
    for table in [
        "case_messages",
        "attachments",
        "case_measures",
        "identity_requests",
        "accounts",
        "outbox",
        "unit_members",
        "custody_members",
        "measures",
        "case_events",
    ] {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(pool)
            .await
            .unwrap();
        digest.push_str(&format!(" {table}={n}"));
    }
    digest
}

crate::on_both_databases!(every_route_by_every_caller);
