//! Memory stays bounded whatever the file's size: the real binary, in a process of its own, takes a
//! file larger than the memory cap this test sets, and gives it back to an officer, and its peak
//! resident memory (VmHWM) stays under the cap.
use crate::evidence::mp4;
use crate::helpers::{csrf_cookie, hidden_value, session_cookie};
use futures::StreamExt;
use sha2::Digest;
use std::process::{Child, Command};

const FILE_BYTES: usize = 128 * 1024 * 1024;
/// The cap: well under the file, so a service that held the file whole (or its ciphertext) fails.
const CAP_KIB: u64 = 88 * 1024;

struct Service {
    child: Child,
    base: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rongrian(config: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rongrian"));
    c.env_remove("RONGRIAN_DATABASE_URL").env("RUST_LOG", "warn").arg("--config").arg(config);
    c
}

fn field(text: &str, name: &str) -> String {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim().to_owned()))
        .unwrap_or_else(|| panic!("`{name}` in {text}"))
}

fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("kB")
}

fn code(secret: &str) -> String {
    let t = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).expect("base32"))
        .with_account_name("x")
        .build()
        .expect("totp");
    t.generate_current().to_string()
}

async fn post_form(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(format!("{base}{path}"))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).expect("encode"))
        .send()
        .await
        .expect("post")
}

/// The login page's CSRF cookie and token.
async fn login_form(client: &reqwest::Client, base: &str) -> (String, String) {
    let page = client.get(format!("{base}/staff/login")).send().await.expect("login page");
    let cookie = csrf_cookie(&page).expect("csrf cookie");
    let token = hidden_value(&page.text().await.expect("html"), "authenticity_token").expect("token");
    (cookie, token)
}

async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    user: &str,
    password: &str,
    secret: &str,
) -> (String, String) {
    let (csrf_cookie_pair, token) = login_form(client, base).await;
    let r = post_form(
        client,
        base,
        "/staff/login",
        &csrf_cookie_pair,
        &[
            ("authenticity_token", &token),
            ("username", user),
            ("password", password),
            ("code", &code(secret)),
        ],
    )
    .await;
    assert_eq!(r.status(), 303, "sign-in of {user}");
    (format!("{}; {csrf_cookie_pair}", session_cookie(&r).expect("session")), token)
}

#[tokio::test]
async fn a_file_larger_than_the_memory_cap_goes_in_and_out_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("tmp");
    let (data, escrow) = (dir.path().join("data"), dir.path().join("escrow.txt"));
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let config = dir.path().join("test.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\nsecure_cookies = false\n[staff]\nargon2_memory_kib = 1024\nargon2_iterations = 1\n\
             [evidence]\nstore = \"\"\nmax_file_bytes = {}\nmax_files_per_case = 20\n\
             allowed = [\"jpeg\", \"png\", \"webp\", \"heic\", \"pdf\", \"docx\", \"xlsx\", \"text\", \"mp3\", \"m4a\", \"wav\", \"mp4\"]\n",
            FILE_BYTES * 2
        ),
    )
    .expect("config");
    let run = |c: &mut Command| {
        let out = c.output().expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(rongrian(&config).args(["init", "--data-dir"]).arg(&data).arg("--escrow-identity-out").arg(&escrow));
    let added = run(rongrian(&config).args(["users", "add", "--data-dir"]).arg(&data).args([
        "--username",
        "somsri",
        "--name",
        "สมศรี",
        "--role",
        "intake_officer",
    ]));
    let (first_password, first_secret) = (field(&added, "password:"), field(&added, "TOTP secret:"));
    let child = rongrian(&config).args(["serve", "--data-dir"]).arg(&data).spawn().expect("serve");
    let service = Service { child, base: format!("http://127.0.0.1:{port}") };
    let base = service.base.clone();
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let mut up = false;
    for _ in 0..1200 {
        if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "the service did not come up within about a minute");
    let receipt: serde_json::Value = client
        .post(format!("{base}/api/v1/complaints"))
        .json(&crate::helpers::minimal_complaint())
        .send()
        .await
        .expect("submit")
        .json()
        .await
        .expect("receipt");
    let token = receipt["token"].as_str().expect("token").to_owned();
    let reference = receipt["reference"].as_str().expect("reference").to_owned();
    let baseline = peak_kib(service.child.id());

    // In: the file is generated as it is sent, so the test holds no copy either.
    // mp4() is a header and then one filler byte: the first MiB, then MiBs of filler.
    let chunk = |i: usize| if i == 0 { mp4(1 << 20) } else { vec![0x5a; 1 << 20] };
    let expected = {
        let mut h = sha2::Sha256::new();
        for i in 0..FILE_BYTES >> 20 {
            h.update(chunk(i));
        }
        h.finalize()
    };
    let chunks = futures::stream::iter(0..FILE_BYTES >> 20).map(move |i| Ok::<_, std::io::Error>(chunk(i)));
    let part =
        reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(chunks), FILE_BYTES as u64)
            .file_name("clip.mp4");
    let r = client
        .post(format!("{base}/api/v1/complaints/attachments"))
        .bearer_auth(&token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
    let id = r.json::<serde_json::Value>().await.expect("json")["attachments"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let after_upload = peak_kib(service.child.id());

    // Out: the officer sets up the account, is granted the unit, and downloads it.
    let (cookie, csrf) = sign_in(&client, &base, "somsri", &first_password, &first_secret).await;
    let password = "somsri-ลำธารใสภูเขาสูง-2569";
    let r = post_form(
        &client,
        &base,
        "/staff/setup",
        &cookie,
        &[("authenticity_token", &csrf), ("new", password), ("repeat", password)],
    )
    .await;
    let page = r.text().await.expect("setup page");
    let secret = page
        .split("class=\"token secret-groups\" translate=\"no\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("new secret")
        .replace(' ', "");
    run(rongrian(&config)
        .args(["users", "grant", "--data-dir"])
        .arg(&data)
        .args(["--username", "somsri", "--unit", "palad", "--escrow-identity"])
        .arg(&escrow));
    let (cookie, _) = sign_in(&client, &base, "somsri", password, &secret).await;
    let r = client
        .get(format!("{base}/staff/cases/{reference}/files/{id}"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("download");
    assert_eq!(r.status(), 200);
    let mut body = r.bytes_stream();
    let (mut got, mut h) = (0usize, sha2::Sha256::new());
    while let Some(chunk) = body.next().await {
        let chunk = chunk.expect("chunk");
        got += chunk.len();
        h.update(&chunk);
    }
    assert_eq!(got, FILE_BYTES);
    assert_eq!(h.finalize(), expected, "the same file came back");
    let peak = peak_kib(service.child.id());
    eprintln!(
        "evidence memory: {} MiB file; peak RSS {} MiB at start, {} MiB after upload, {} MiB after download (cap {} MiB)",
        FILE_BYTES >> 20,
        baseline >> 10,
        after_upload >> 10,
        peak >> 10,
        CAP_KIB >> 10
    );
    assert!(peak < CAP_KIB, "peak RSS {peak} KiB is over the {CAP_KIB} KiB cap");
}
