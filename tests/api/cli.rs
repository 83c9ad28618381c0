//! The `rongrian` binary: `init` writes a standard age identity and refuses to overwrite anything;
//! `serve` with no configuration initialises itself and shuts down cleanly on SIGTERM.
use std::process::Command;

fn rongrian() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rongrian"));
    c.env_remove("RONGRIAN_DATABASE_URL").env("RUST_LOG", "warn");
    c
}

#[test]
fn init_writes_an_age_identity_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let escrow = dir.path().join("escrow.txt");
    let out = rongrian()
        .args(["init", "--data-dir"])
        .arg(&data)
        .arg("--escrow-identity-out")
        .arg(&escrow)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let identity = std::fs::read_to_string(&escrow).expect("escrow file");
    assert!(identity.lines().any(|l| l.starts_with("AGE-SECRET-KEY-1")));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("age1") && !stdout.contains("AGE-SECRET-KEY"),
        "prints the recipient, never the secret"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&escrow).expect("meta").permissions().mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::metadata(data.join("secrets/token-hash.key")).expect("meta").permissions().mode() & 0o777,
        0o600
    );

    let again = rongrian()
        .args(["init", "--data-dir"])
        .arg(&data)
        .arg("--escrow-identity-out")
        .arg(dir.path().join("other.txt"))
        .output()
        .expect("run");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("refusing"));
    assert_eq!(
        std::fs::read_to_string(&escrow).expect("escrow"),
        identity,
        "the first escrow file is untouched"
    );

    let verify = rongrian().args(["verify-audit", "--data-dir"]).arg(&data).output().expect("run");
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
}

#[test]
fn serve_with_no_configuration_initialises_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tmp");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let child = rongrian()
        .current_dir(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut ready = false;
    // Up to about a minute: a loaded CI machine can be slow to start a process.
    for _ in 0..1200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            ready = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(ready, "serve came up");
    assert!(dir.path().join("data/rongrian.db").exists());
    assert!(dir.path().join("data/secrets/cookie.key").exists());
    assert!(
        dir.path().join("data-escrow-identity.txt").exists(),
        "escrow identity next to, not in, the data dir"
    );
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "clean exit on SIGTERM: {:?}", output.status);

    // Standard output goes to a service manager's journal: the first administrator's credentials
    // are in a 0600 file, and only its path is printed.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let file = dir.path().join("data/first-administrator.txt");
    assert!(stdout.contains("first-administrator.txt"), "{stdout}");
    assert!(!stdout.contains("password:") && !stdout.contains("TOTP secret:"), "{stdout}");
    let text = std::fs::read_to_string(&file).expect("credentials file");
    assert!(text.contains("username:     admin") && text.contains("TOTP secret:"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777, 0o600);
    for key in ["cookie.key", "password-pepper.key", "totp.key", "token-hash.key", "audit-chain.key"] {
        assert!(dir.path().join("data/secrets").join(key).exists(), "{key}");
    }
}
