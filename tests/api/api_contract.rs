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
    for field in ["subject", "description"] {
        assert_eq!(schema[field]["minLength"], 1, "{field} states that it cannot be empty");
    }

    // Every operation documents the answers any request can get, whatever it carries.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("item") {
            let responses = operation["responses"].as_object().expect("responses");
            let mut expected = vec!["400", "408", "429", "503"];
            if method == "post" {
                expected.extend(["413", "415"]);
            }
            if operation.get("security").is_some() {
                expected.extend(["401", "404"]);
            }
            for status in expected {
                assert!(responses.contains_key(status), "{method} {path} documents {status}");
            }
        }
    }
}

on_both_databases!(openapi_lists_the_routes_and_the_real_enums);
