//! Guarantee 5: per-client limits trip at the configured numbers, answer 429 with Retry-After, reset
//! with time, and leave other clients alone; each group's global cap holds for everyone, and a
//! flood of one group does not touch the others.
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
        s.limits.browse.global_burst = 8;
        s.limits.browse.global_period_ms = 3_600_000;
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

    // A flood from one client is refused by its own limit and does not use up the group's cap.
    let flooder = client_from("127.0.0.24");
    let mut passed = 0;
    for _ in 0..20 {
        if flooder.get(app.url("/privacy")).send().await.expect("get").status() == 200 {
            passed += 1;
        }
    }
    assert_eq!(passed, 5);
    // 5 page views passed; the cap of 8 leaves room for three more, from anyone.
    let fresh = client_from("127.0.0.25");
    for _ in 0..3 {
        assert_eq!(fresh.get(app.url("/")).send().await.expect("get").status(), 200);
    }
    let r = client_from("127.0.0.26").get(app.url("/")).send().await.expect("get");
    assert_eq!(r.status(), 429, "the page views' cap applies to everyone");
    assert!(r.headers().contains_key("retry-after"));
    let r = client_from("127.0.0.26").get(app.url("/healthz")).send().await.expect("get");
    assert_eq!(r.status(), 200, "health checks have a limit of their own");
    assert_eq!(lookup(client_from("127.0.0.27")).await, 400, "and so do look-ups");
}

/// Guarantee 5 under a flood: many addresses use up the page views' cap, unknown paths and the
/// health checks, and a reporter from a new address still files, follows up and answers.
async fn a_flood_of_page_views_does_not_stop_a_reporter(db: Db) {
    let Some(app) = spawn(db, |s| {
        s.limits.browse.global_burst = 40;
        s.limits.browse.global_period_ms = 3_600_000;
        s.limits.unknown.global_burst = 20;
        s.limits.unknown.global_period_ms = 3_600_000;
        s.limits.ops.global_burst = 20;
        s.limits.ops.global_period_ms = 3_600_000;
    })
    .await
    else {
        return;
    };
    let mut flood = Vec::new();
    for i in 0..60u8 {
        let client = client_from(&format!("127.0.1.{}", i + 1));
        let base = app.base.clone();
        flood.push(tokio::spawn(async move {
            let mut refused = 0;
            for path in ["/", "/privacy", "/no-such-page", "/healthz", "/readyz", "/assets/site.css"] {
                if client.get(format!("{base}{path}")).send().await.expect("get").status() == 429 {
                    refused += 1;
                }
            }
            refused
        }));
    }
    let mut refused = 0;
    for f in flood {
        refused += f.await.expect("flood");
    }
    assert!(refused > 100, "the flood met the caps ({refused} refused)");
    let r = client_from("127.0.0.1").get(app.url("/no-such-page")).send().await.expect("get");
    assert_eq!(r.status(), 429, "unknown paths are limited too");

    let reporter = client_from("127.0.2.1");
    let r =
        reporter.post(app.url("/api/v1/complaints")).json(&minimal_complaint()).send().await.expect("post");
    assert_eq!(r.status(), 201, "a new address still files");
    let token =
        r.json::<serde_json::Value>().await.expect("json")["token"].as_str().expect("token").to_owned();
    let r = reporter.get(app.url("/api/v1/complaints/status")).bearer_auth(&token).send().await.expect("get");
    assert_eq!(r.status(), 200, "and follows up");
    let r = reporter
        .post(app.url("/api/v1/complaints/messages"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"text": "ข้อมูลเพิ่มเติม"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201, "and adds information");
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
    a_flood_of_page_views_does_not_stop_a_reporter,
    forwarded_addresses_count_only_behind_trusted_proxies,
);
