//! The OpenAPI document describes what the service actually accepts.
use crate::helpers::{Db, spawn};
use crate::on_both_databases;
use rongrian::domain::complaint::{Category, Track};

async fn openapi_lists_the_routes_and_the_real_enums(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let doc: serde_json::Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    for path in ["/api/v1/complaints", "/api/v1/complaints/status", "/api/v1/complaints/messages"] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    let schema = &doc["components"]["schemas"]["ComplaintInput"]["properties"];
    let categories: Vec<&str> =
        schema["category"]["enum"].as_array().expect("enum").iter().filter_map(|v| v.as_str()).collect();
    let expected: Vec<&str> = Category::ALL.iter().map(|c| c.code()).collect();
    assert_eq!(categories, expected);
    assert_eq!(schema["track"]["enum"].as_array().map(Vec::len), Some(Track::ALL.len()));
}

on_both_databases!(openapi_lists_the_routes_and_the_real_enums);
