//! Guarantee 7: the audit trail is a keyed hash chain; an edited or removed entry is detected, and
//! the chain cannot be recomputed without the key that lives outside the database.
use crate::helpers::{Db, minimal_complaint, spawn};
use crate::on_both_databases;
use rongrian::storage::audit::{AuditKey, verify};

async fn tampering_with_the_audit_trail_is_detected(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let token = app.submit_json(&minimal_complaint()).await["token"].as_str().expect("token").to_owned();
    app.submit_json(&minimal_complaint()).await;
    let r = app
        .client
        .post(app.url("/api/v1/complaints/messages"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"text": "เพิ่มเติม"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);

    let pool = app.state.store.pool();
    let mut conn = pool.acquire().await.expect("conn");
    assert_eq!(verify(&mut conn, &app.state.audit_key).await.expect("verify"), Ok(3));
    let wrong_key = AuditKey::new(zeroize::Zeroizing::new([9u8; 32]));
    assert_eq!(
        verify(&mut conn, &wrong_key).await.expect("verify"),
        Err(1),
        "another key cannot vouch for it"
    );

    sqlx::query("UPDATE audit_log SET detail = 'track=general' WHERE position = 2")
        .execute(pool)
        .await
        .expect("edit");
    assert_eq!(verify(&mut conn, &app.state.audit_key).await.expect("verify"), Err(2), "an edited entry");
}

async fn deleting_an_audit_entry_is_detected(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    for _ in 0..3 {
        app.submit_json(&minimal_complaint()).await;
    }
    let pool = app.state.store.pool();
    sqlx::query("DELETE FROM audit_log WHERE position = 2").execute(pool).await.expect("delete");
    let mut conn = pool.acquire().await.expect("conn");
    assert_eq!(verify(&mut conn, &app.state.audit_key).await.expect("verify"), Err(3), "a gap in the chain");
}

on_both_databases!(tampering_with_the_audit_trail_is_detected, deleting_an_audit_entry_is_detected);
