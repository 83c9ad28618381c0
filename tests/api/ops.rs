//! Health and readiness, and what a reporter sees when the database is gone: a plain error, no
//! stack trace, and nothing half-written.
use crate::helpers::{Db, minimal_complaint, spawn};
use crate::on_both_databases;

async fn readiness_follows_the_database_and_outages_fail_cleanly(db: Db) {
    let Some(mut app) = spawn(db, |_| {}).await else { return };
    assert_eq!(app.client.get(app.url("/healthz")).send().await.expect("get").status(), 200);
    assert_eq!(app.client.get(app.url("/readyz")).send().await.expect("get").status(), 200);
    let receipt = app.submit_json(&minimal_complaint()).await;

    app.state.store.close().await;
    let r = app.client.get(app.url("/readyz")).send().await.expect("get");
    assert_eq!(r.status(), 503);
    assert_eq!(app.client.get(app.url("/healthz")).send().await.expect("get").status(), 200);

    let r =
        app.client.post(app.url("/api/v1/complaints")).json(&minimal_complaint()).send().await.expect("post");
    assert_eq!(r.status(), 503, "a closed pool is the database being unavailable");
    let body = r.text().await.expect("text");
    assert!(
        body.contains("\"unavailable\"") && !body.to_lowercase().contains("pool"),
        "fixed text only: {body}"
    );

    let session_page = app.client.get(app.url("/report/corruption")).send().await.expect("get");
    assert_eq!(session_page.status(), 200, "the form itself needs no database");
    let r = app.status(receipt["token"].as_str().expect("token")).await;
    assert_eq!(r.status(), 503);
    app.stop().await;

    // Nothing half-written: a fresh connection finds exactly the one case acknowledged before.
    let url = rongrian::setup::database_url(&app.state.settings.server.database_url, &app.data_dir);
    let store = rongrian::storage::Store::connect(&url).await.expect("reconnect");
    let mut conn = store.pool().acquire().await.expect("conn");
    assert_eq!(rongrian::storage::cases::count(&mut conn).await.expect("count"), 1);
}

on_both_databases!(readiness_follows_the_database_and_outages_fail_cleanly);
