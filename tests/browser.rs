//! The browser suite: `tests/browser/walk.mjs` drives Debian's Chromium with playwright-core through
//! every page and state, with axe-core (WCAG 2.1 A and AA), a 390 px width check and keyboard walks;
//! screenshots go to target/browser/. WALK_FULL=1 runs the long version. Without Chromium or Node.js
//! it says it was skipped, unless REQUIRE_BROWSER_TESTS=1 (.ci/run).
#![allow(clippy::expect_used)]
use std::path::Path;
use std::process::Command;

#[test]
fn every_page_passes_the_browser_walk() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    let chromium = Path::new("/usr/bin/chromium").exists();
    if !(node && chromium) {
        assert!(
            std::env::var("REQUIRE_BROWSER_TESTS").is_err(),
            "REQUIRE_BROWSER_TESTS is set but Node.js or /usr/bin/chromium is missing (.ci/run installs them)"
        );
        eprintln!("SKIPPED: the browser walk needs Node.js and Debian's chromium (see .ci/run)");
        return;
    }
    let browser = root.join("tests/browser");
    if !browser.join("node_modules/playwright-core").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(&browser)
            .status()
            .expect("npm ci");
        assert!(status.success(), "npm ci in tests/browser failed");
    }
    let status = Command::new("node")
        .arg("tests/browser/walk.mjs")
        .current_dir(root)
        .env("BIN_UNDER_TEST", env!("CARGO_BIN_EXE_rongrian"))
        .status()
        .expect("run the walk");
    assert!(status.success(), "the browser walk failed: {status:?}");
}
