//! `/metrics`: on its own address only, counting by route template, with no label that names a
//! case, a client or a reporter.
use crate::helpers::{Db, minimal_complaint, spawn};
use crate::on_both_databases;

async fn metrics_count_requests_by_template_on_their_own_address(db: Db) {
    let Some(app) = spawn(db, |s| {
        s.metrics.listen = "127.0.0.1:0".into();
        s.limits.lookup.burst = 2;
        // One outbox pass (the start-up one) in this test, however slow the machine.
        s.notify.poll_secs = 3600;
    })
    .await
    else {
        return;
    };
    let metrics = app.metrics_addr.expect("the metrics listener is on");
    let receipt = app.submit_json(&minimal_complaint()).await;
    let (reference, token) =
        (receipt["reference"].as_str().expect("ref"), receipt["token"].as_str().expect("token"));
    assert_eq!(app.status(token).await.status(), 200);
    // The look-up limit is 2: the third is refused and counted.
    let _ = app.status(token).await;
    assert_eq!(app.status(token).await.status(), 429);
    let path_with_reference = format!("/staff/cases/{reference}");
    let _ = app.client.get(app.url(&path_with_reference)).send().await.expect("get");
    let _ = app.client.get(app.url("/no-such-page")).send().await.expect("get");

    app.wait_for_the_start_up_pass().await;

    let public = app.client.get(app.url("/metrics")).send().await.expect("get");
    assert_eq!(public.status(), 404, "never on the public address");
    let text = app
        .client
        .get(format!("http://{metrics}/metrics"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    for expected in [
        "rongrian_submissions_total{channel=\"api\"} 1",
        "rongrian_lookups_total 2",
        "rongrian_rate_limited_total{group=\"lookup\"} 1",
        "rongrian_http_requests_total{method=\"POST\",route=\"/api/v1/complaints\",status=\"201\"} 1",
        "route=\"/staff/cases/{reference}\"",
        "route=\"unmatched\"",
        "rongrian_outbox_depth 0",
        "rongrian_outbox_passes_total{outcome=\"ok\"} 1",
        "rongrian_http_request_duration_seconds_bucket",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
    for secret in [reference, token, "127.0.0.1", "no-such-page"] {
        assert!(!text.contains(secret), "{secret} must not be a label");
    }
}

on_both_databases!(metrics_count_requests_by_template_on_their_own_address);
