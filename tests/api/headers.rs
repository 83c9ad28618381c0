//! Every security header on every kind of response: pages, forms, receipts, case views, errors,
//! rate-limit answers, the API, the OpenAPI document, health checks and static assets.
use crate::helpers::{Db, client_from, minimal_complaint, spawn};
use crate::on_both_databases;

const EXPECTED: &[(&str, &str)] = &[
    ("content-security-policy", "default-src 'none'"),
    ("content-security-policy", "frame-ancestors 'none'"),
    ("strict-transport-security", "max-age="),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("permissions-policy", "camera=()"),
];

pub fn assert_headers(what: &str, response: &reqwest::Response, cache: &str) {
    for (name, fragment) in EXPECTED {
        let value = response.headers().get(*name).and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(value.contains(fragment), "{what}: {name} is `{value}`, expected `{fragment}`");
    }
    let csp = response.headers()["content-security-policy"].to_str().expect("ascii");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("http"), "{what}: CSP allows too much: {csp}");
    let cache_control =
        response.headers().get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(cache_control.contains(cache), "{what}: cache-control `{cache_control}`");
}

async fn every_kind_of_response_carries_the_security_headers(db: Db) {
    let Some(app) = spawn(db, |s| {
        s.limits.lookup.burst = 3;
    })
    .await
    else {
        return;
    };
    for path in [
        "/",
        "/report/corruption",
        "/report/general",
        "/follow-up",
        "/privacy",
        "/api/v1/openapi.json",
        "/healthz",
        "/readyz",
    ] {
        let r = app.client.get(app.url(path)).send().await.expect("get");
        assert_eq!(r.status(), 200, "{path}");
        assert_headers(path, &r, "no-store");
    }
    let r = app.client.get(app.url("/no/such/page")).send().await.expect("get");
    assert_eq!(r.status(), 404);
    assert_headers("404 page", &r, "no-store");
    let r = app.client.get(app.url("/api/v1/nothing")).send().await.expect("get");
    assert_eq!(r.status(), 404);
    assert_headers("404 api", &r, "no-store");
    let r = app.client.get(app.url("/assets/site.css")).send().await.expect("get");
    assert_eq!(r.status(), 200);
    assert_headers("stylesheet", &r, "max-age");
    let r = app.client.get(app.url("/assets/Laksaman.woff")).send().await.expect("get");
    assert_eq!(r.headers()["content-type"], "font/woff");

    let session = app.form_session(&app.client, "/report/corruption").await;
    let receipt = app
        .post_form(
            &app.client,
            "/report/corruption",
            &session,
            &[("category", "bribery"), ("subject", "ส"), ("description", "ร"), ("relationship", "witness")],
        )
        .await;
    assert_eq!(receipt.status(), 201);
    assert_headers("receipt", &receipt, "no-store");
    let html = receipt.text().await.expect("html");
    let token_start = html.find("translate=\"no\">").expect("token") + "translate=\"no\">".len();
    let token = html[token_start..token_start + 32].to_owned();

    let case = app.post_form(&app.client, "/follow-up", &session, &[("token", &token)]).await;
    assert_eq!(case.status(), 200);
    assert_headers("case view", &case, "no-store");

    let api = app.submit_json(&minimal_complaint()).await;
    let r = app.status(api["token"].as_str().expect("token")).await;
    assert_eq!(r.status(), 200);
    assert_headers("api status", &r, "no-store");
    let limited = client_from("127.0.0.41");
    for _ in 0..3 {
        let _ = limited.get(app.url("/api/v1/complaints/status")).bearer_auth("x").send().await.expect("get");
    }
    let r = limited.get(app.url("/api/v1/complaints/status")).bearer_auth("x").send().await.expect("get");
    assert_eq!(r.status(), 429);
    assert_headers("429", &r, "no-store");

    let r = app.client.get(app.url("/lang/en?back=/privacy")).send().await.expect("get");
    assert_eq!(r.status(), 303);
    assert_headers("language switch", &r, "no-store");
    assert_eq!(r.headers()["location"], "/privacy");
    for evil in
        ["//evil.example", "/%09/evil.example", "/\\evil.example", "https://evil.example", "/privacy/../x"]
    {
        let r = app.client.get(app.url(&format!("/lang/en?back={evil}"))).send().await.expect("get");
        assert_eq!(r.headers()["location"], "/", "no open redirect via {evil}");
    }
}

async fn english_is_selectable(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let r =
        app.client.get(app.url("/report/corruption")).header("cookie", "lang=en").send().await.expect("get");
    let html = r.text().await.expect("html");
    assert!(
        html.contains("lang=\"en\"") && html.contains("Report corruption")
            || html.contains("Corruption and misconduct report")
    );
    let html = app.client.get(app.url("/")).send().await.expect("get").text().await.expect("html");
    assert!(html.contains("lang=\"th\"") && html.contains("แจ้งเบาะแสการทุจริต"));
    assert!(!html.contains("<script"), "pages use no script");
}

on_both_databases!(every_kind_of_response_carries_the_security_headers, english_is_selectable);
