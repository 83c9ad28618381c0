//! Guarantee 5: per-client limits trip at the configured numbers, answer 429 with Retry-After, reset
//! with time, and leave other clients alone; the global cap holds for everyone.
use crate::helpers::{Db, client_from, minimal_complaint, spawn};
use crate::on_both_databases;
use std::time::Duration;

async fn submission_limit_trips_resets_and_spares_other_clients(db: Db) {
    let Some(app) = spawn(db, |s| {
        s.limits.submit.burst = 2;
        s.limits.submit.period_ms = 60_000;
    })
    .await
    else {
        return;
    };
    let submit = |client: reqwest::Client| {
        let app = &app;
        async move {
            client.post(app.url("/api/v1/complaints")).json(&minimal_complaint()).send().await.expect("post")
        }
    };
    let first = client_from("127.0.0.11");
    assert_eq!(submit(first.clone()).await.status(), 201);
    assert_eq!(submit(first.clone()).await.status(), 201);
    let refused = submit(first.clone()).await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let body: serde_json::Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["code"], "rate_limited");

    // A page request from the limited client gets a Thai page.
    let session = app.form_session(&first, "/report/corruption").await;
    let page = app.post_form(&first, "/report/corruption", &session, &[("category", "bribery")]).await;
    assert_eq!(page.status(), 429);
    assert!(page.text().await.expect("html").contains("มีการใช้งานถี่เกินไป"));

    assert_eq!(submit(client_from("127.0.0.12")).await.status(), 201, "another address is unaffected");

    app.clock.advance(Duration::from_secs(60));
    assert_eq!(submit(first.clone()).await.status(), 201, "one more after one period");
    assert_eq!(submit(first.clone()).await.status(), 429);
    assert_eq!(app.case_count().await, 4);
}

async fn lookup_limit_and_global_cap(db: Db) {
    let Some(app) = spawn(db, |s| {
        s.limits.lookup.burst = 3;
        s.limits.lookup.period_ms = 10_000;
        s.limits.browse.burst = 5;
        s.limits.browse.period_ms = 3_600_000;
        s.limits.global.burst = 12;
        s.limits.global.period_ms = 3_600_000;
    })
    .await
    else {
        return;
    };
    let lookup = |client: reqwest::Client| {
        let app = &app;
        async move {
            let r =
                client.get(app.url("/api/v1/complaints/status")).bearer_auth("x").send().await.expect("get");
            r.status().as_u16()
        }
    };
    let guesser = client_from("127.0.0.21");
    for _ in 0..3 {
        assert_eq!(lookup(guesser.clone()).await, 400);
    }
    assert_eq!(lookup(guesser.clone()).await, 429, "token guessing is throttled");
    assert_eq!(lookup(client_from("127.0.0.22")).await, 400, "another client may look up");

    // A flood from one client is refused by its own limit and does not use up the global cap.
    let flooder = client_from("127.0.0.24");
    let mut passed = 0;
    for _ in 0..20 {
        if flooder.get(app.url("/privacy")).send().await.expect("get").status() == 200 {
            passed += 1;
        }
    }
    assert_eq!(passed, 5);
    // 3 + 1 + 5 requests passed so far; the cap of 12 leaves room for three more, from anyone.
    let fresh = client_from("127.0.0.25");
    for _ in 0..3 {
        assert_eq!(fresh.get(app.url("/")).send().await.expect("get").status(), 200);
    }
    let r = client_from("127.0.0.26").get(app.url("/")).send().await.expect("get");
    assert_eq!(r.status(), 429, "the global cap applies to everyone");
    assert!(r.headers().contains_key("retry-after"));
    let r = client_from("127.0.0.26").get(app.url("/healthz")).send().await.expect("get");
    assert_eq!(r.status(), 200, "health checks are never limited");
}

async fn forwarded_addresses_count_only_behind_trusted_proxies(db: Db) {
    let Some(app) = spawn(db, |s| {
        s.limits.lookup.burst = 1;
        s.limits.lookup.period_ms = 600_000;
        s.server.trusted_proxies = vec!["127.0.0.31".parse().expect("ip")];
    })
    .await
    else {
        return;
    };
    let status = |client: reqwest::Client, xff: &'static str| {
        let app = &app;
        async move {
            client
                .get(app.url("/api/v1/complaints/status"))
                .bearer_auth("x")
                .header("x-forwarded-for", xff)
                .send()
                .await
                .expect("get")
                .status()
                .as_u16()
        }
    };
    let proxy = client_from("127.0.0.31");
    assert_eq!(status(proxy.clone(), "203.0.113.1").await, 400);
    assert_eq!(status(proxy.clone(), "203.0.113.2").await, 400, "a second client behind the proxy");
    assert_eq!(
        status(proxy.clone(), "198.51.100.7, 203.0.113.1").await,
        429,
        "rightmost untrusted entry counts"
    );
    let direct = client_from("127.0.0.32");
    assert_eq!(status(direct.clone(), "203.0.113.50").await, 400);
    assert_eq!(
        status(direct.clone(), "203.0.113.51").await,
        429,
        "a forged header from an untrusted peer is ignored"
    );
}

on_both_databases!(
    submission_limit_trips_resets_and_spares_other_clients,
    lookup_limit_and_global_cap,
    forwarded_addresses_count_only_behind_trusted_proxies,
);
