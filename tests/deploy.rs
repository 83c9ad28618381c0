//! The deploy/ folder, each file proven: runs `deploy/test.sh` (systemd-analyze, nginx -t and real
//! requests through nginx, tor --verify-config, backup and restore) against this build. Without
//! nginx, tor or systemd-analyze it says it was skipped, unless REQUIRE_DEPLOY_TESTS=1 (.ci/run).
#![allow(clippy::expect_used)]
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool} || test -x /usr/sbin/{tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_deploy_folder_is_proven_on_this_machine() {
    let missing: Vec<&str> =
        ["nginx", "tor", "systemd-analyze", "sqlite3"].into_iter().filter(|t| !have(t)).collect();
    if !missing.is_empty() {
        assert!(
            std::env::var("REQUIRE_DEPLOY_TESTS").is_err(),
            "REQUIRE_DEPLOY_TESTS is set but {missing:?} are missing (.ci/run installs them)"
        );
        eprintln!("SKIPPED: deploy/test.sh needs {missing:?}; install them (see .ci/run) to run it");
        return;
    }
    let status = Command::new("bash")
        .arg("deploy/test.sh")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("BIN_UNDER_TEST", env!("CARGO_BIN_EXE_rongrian"))
        .status()
        .expect("run deploy/test.sh");
    assert!(status.success(), "deploy/test.sh failed: {status:?}");
}
