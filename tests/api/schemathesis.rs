//! The API against its own OpenAPI document, by schemathesis (from PyPI): generated requests to every
//! operation, with a real token, must never get a 5xx, a status the document does not list, or a
//! body, content type or header that does not match it. `.ci/run` installs schemathesis and sets
//! REQUIRE_SCHEMATHESIS_TESTS; elsewhere the test says it was skipped. SCHEMATHESIS_EXAMPLES sets
//! the examples per operation (100 by default; more for a long run).
use crate::helpers::{Db, minimal_complaint, spawn};

#[tokio::test]
async fn the_api_keeps_to_its_openapi_document() {
    let found = std::process::Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("REQUIRE_SCHEMATHESIS_TESTS").is_none(),
            "REQUIRE_SCHEMATHESIS_TESTS is set but schemathesis is not installed"
        );
        eprintln!("skipped: schemathesis is not installed (pip install schemathesis)");
        return;
    }
    // Generous limits: the run is about the document, not the limiter (which has its own tests).
    let Some(app) = spawn(Db::Sqlite, |s| {
        for group in [&mut s.limits.submit, &mut s.limits.lookup, &mut s.limits.follow_up] {
            group.burst = 1_000_000;
            group.period_ms = 1;
            group.global_burst = 1_000_000;
            group.global_period_ms = 1;
        }
    })
    .await
    else {
        return;
    };
    let token = app.submit_json(&minimal_complaint()).await["token"].as_str().expect("token").to_owned();
    let examples = std::env::var("SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "100".into());
    let work = tempfile::tempdir().expect("tempdir");
    let output = tokio::process::Command::new("schemathesis")
        .current_dir(work.path())
        .args(["run", &app.url("/api/v1/openapi.json")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_schema_conformance,response_headers_conformance",
        ])
        .args(["--max-examples", &examples, "--generation-database", "none"])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("run schemathesis");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("Tested: 4"), "every operation was tested:\n{report}");
    assert!(!crate::helpers::captured_logs().contains(&token), "the token never reached a log");
}
