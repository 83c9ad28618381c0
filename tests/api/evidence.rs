//! Evidence files: the type is read from the content and must match the name, identifying metadata
//! is gone after decryption unless the reporter keeps it, files are sealed to the unit and escrow in
//! the vault (a directory, or S3), and refusals come with the right status and nothing left behind.
use crate::helpers::{Db, TestApp, minimal_complaint, spawn};
use crate::on_both_databases;
pub use reqwest::multipart::{Form, Part};
use rongrian::crypto::seal;
use sqlx::Row;

pub fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/evidence").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

pub async fn upload(app: &TestApp, token: &str, files: &[(&str, Vec<u8>)], keep: bool) -> reqwest::Response {
    let mut form = Form::new();
    if keep {
        form = form.text("keep_metadata", "true");
    }
    for (name, bytes) in files {
        form = form.part("file", Part::bytes(bytes.clone()).file_name((*name).to_owned()));
    }
    app.client
        .post(app.url("/api/v1/complaints/attachments"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

/// The plaintext of a stored file, opened with the escrow identity.
pub async fn stored_plaintext(app: &TestApp, public_id: &str) -> Vec<u8> {
    let key: String = sqlx::query("SELECT object_key FROM attachments WHERE public_id = $1")
        .bind(public_id.to_owned())
        .fetch_one(app.state.store.pool())
        .await
        .expect("row")
        .try_get(0)
        .expect("key");
    let sealed = app.state.evidence.vault.sealed_bytes(&key).await.expect("sealed file");
    seal::open(&sealed, &app.escrow_identity()).expect("escrow opens the file").to_vec()
}

fn office_part(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut part = archive.by_name(name).expect(name);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut part, &mut text).expect("utf-8");
    text
}

async fn files_come_out_clean_unless_the_reporter_keeps_their_metadata(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let token = app.submit_json(&minimal_complaint()).await["token"].as_str().expect("token").to_owned();
    let cases: [(&str, &[&str]); 6] = [
        (
            "gps.jpg",
            &["RongrianTestCam", "SN-424242", "Somchai Photographer", "Somchai Byline", "comment-secret"],
        ),
        ("text.png", &["Somchai PngAuthor", "png-comment-secret", "Somchai XmpPng"]),
        ("photo.webp", &["RongrianTestCam", "Somchai WebpXmp"]),
        ("author.pdf", &["Somchai PdfAuthor", "Somchai PdfXmp", "Secret Creator App"]),
        ("author.docx", &[]),
        ("author.xlsx", &[]),
    ];
    for (name, secrets) in cases {
        let original = fixture(name);
        for secret in secrets {
            assert!(contains(&original, secret), "the fixture {name} carries `{secret}`");
        }
        let r = upload(&app, &token, &[(name, original.clone())], false).await;
        assert_eq!(r.status(), 201, "{name}: {:?}", r.text().await);
        let body: serde_json::Value = r.json().await.expect("json");
        let file = &body["attachments"][0];
        assert_eq!(file["name"], name);
        assert_eq!(file["metadata_removed"], true, "{name}");
        let plain = stored_plaintext(&app, file["id"].as_str().expect("id")).await;
        assert_eq!(file["size"], plain.len(), "{name}: the size of the stored file");
        for secret in secrets {
            assert!(!contains(&plain, secret), "{name}: `{secret}` survived cleaning");
        }
        match name {
            "gps.jpg" => assert!(plain.starts_with(&[0xFF, 0xD8, 0xFF]), "still a JPEG"),
            "text.png" => assert!(plain.starts_with(b"\x89PNG"), "still a PNG"),
            "photo.webp" => assert!(plain.starts_with(b"RIFF") && &plain[8..12] == b"WEBP"),
            "author.pdf" => {
                assert!(plain.starts_with(b"%PDF"));
                assert!(
                    contains(&plain, "/Type") && !contains(&plain, "/Author"),
                    "no information dictionary"
                );
            }
            _ => {
                let before =
                    office_part(&original, "docProps/core.xml") + &office_part(&original, "docProps/app.xml");
                assert!(before.contains("สมชาย ผู้เขียนเอกสาร") && before.contains("Secret Company Ltd"));
                let after =
                    office_part(&plain, "docProps/core.xml") + &office_part(&plain, "docProps/app.xml");
                for gone in [
                    "สมชาย ผู้เขียนเอกสาร",
                    "Somchai LastModifier",
                    "Secret Company Ltd",
                    "Somchai Manager",
                    "revision",
                ] {
                    assert!(!after.contains(gone), "{name}: `{gone}` survived");
                }
                if name.ends_with("docx") {
                    let comments =
                        office_part(&plain, "word/comments.xml") + &office_part(&plain, "word/people.xml");
                    for gone in ["Somchai Commenter", "Somchai Person", "somchai@example.go.th"] {
                        assert!(
                            !comments.contains(gone),
                            "{name}: `{gone}` survived in the comments or people"
                        );
                    }
                    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&plain)).expect("zip");
                    let mut photo = Vec::new();
                    std::io::Read::read_to_end(
                        &mut archive.by_name("word/media/image1.jpeg").expect("photo"),
                        &mut photo,
                    )
                    .expect("read");
                    assert!(
                        !contains(&photo, "RongrianTestCam") && photo.starts_with(&[0xFF, 0xD8]),
                        "the embedded photo is cleaned"
                    );
                }
                let main =
                    if name.ends_with("docx") { "word/document.xml" } else { "xl/worksheets/sheet1.xml" };
                assert_eq!(
                    office_part(&plain, main),
                    office_part(&original, main),
                    "the content is untouched"
                );
            }
        }
        // exiftool (installed by .ci/run) agrees that no position, device or time is left.
        if let Ok(before) = std::process::Command::new("exiftool").arg("-a").arg("-").stdin_bytes(&original) {
            let after = std::process::Command::new("exiftool")
                .arg("-a")
                .arg("-")
                .stdin_bytes(&plain)
                .expect("exiftool");
            for tag in
                ["GPS", "Serial Number", "Camera Model", "Date/Time Original", "Author", "Creator", "By-line"]
            {
                if before.contains(tag) {
                    assert!(!after.contains(tag), "{name}: exiftool still finds {tag}:\n{after}");
                }
            }
            if name == "gps.jpg" {
                assert!(before.contains("GPS Latitude"), "the fixture has a position");
            }
        }
    }
    // Kept on request: byte for byte what was sent.
    for name in ["gps.jpg", "text.png", "author.pdf", "author.docx"] {
        let original = fixture(name);
        let r = upload(&app, &token, &[(name, original.clone())], true).await;
        assert_eq!(r.status(), 201);
        let body: serde_json::Value = r.json().await.expect("json");
        assert_eq!(body["attachments"][0]["metadata_removed"], false);
        assert_eq!(
            stored_plaintext(&app, body["attachments"][0]["id"].as_str().expect("id")).await,
            original,
            "{name}"
        );
    }

    // The reporter's view lists them; audit entries record additions and cleanings.
    let view: serde_json::Value = app.status(&token).await.json().await.expect("json");
    let listed = view["attachments"].as_array().expect("attachments");
    assert_eq!(listed.len(), 10);
    assert_eq!(listed[0]["name"], "gps.jpg");
    let app = &app;
    let count = |action: &'static str| async move {
        sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action = $1")
            .bind(action)
            .fetch_one(app.state.store.pool())
            .await
            .expect("count")
            .try_get::<i64, _>(0)
            .expect("n")
    };
    assert_eq!(count("evidence.added").await, 10);
    assert_eq!(count("evidence.cleaned").await, 6);
}

/// A tiny helper: run a command with bytes on stdin and return its stdout as text.
trait StdinBytes {
    fn stdin_bytes(&mut self, bytes: &[u8]) -> std::io::Result<String>;
}

impl StdinBytes for std::process::Command {
    fn stdin_bytes(&mut self, bytes: &[u8]) -> std::io::Result<String> {
        use std::io::Write;
        let mut child = self
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        child.stdin.take().ok_or_else(|| std::io::Error::other("stdin"))?.write_all(bytes)?;
        let out = child.wait_with_output()?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

async fn refused_files_get_their_status_and_leave_nothing_behind(db: Db) {
    let Some(app) = spawn(db, |s| s.evidence.max_file_bytes = 64 * 1024).await else { return };
    let token = app.submit_json(&minimal_complaint()).await["token"].as_str().expect("token").to_owned();
    let elf = fixture("program.pdf");
    let r = upload(&app, &token, &[("program.pdf", elf.clone())], false).await;
    assert_eq!(r.status(), 415, "an executable named .pdf");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "file_content_mismatch");
    let r = upload(&app, &token, &[("program.exe", elf)], false).await;
    assert_eq!(r.status(), 415);
    assert_eq!(r.json::<serde_json::Value>().await.expect("json")["error"]["code"], "file_type_not_allowed");
    let r = upload(&app, &token, &[("photo.png", fixture("gps.jpg"))], false).await;
    assert_eq!(r.status(), 415, "a JPEG named .png");
    let r = upload(&app, &token, &[("notes.txt", b"text\x00with a NUL".to_vec())], false).await;
    assert_eq!(r.status(), 415, "binary named .txt");

    // All or nothing: a good file and a bad one in one request add neither.
    let r =
        upload(&app, &token, &[("gps.jpg", fixture("gps.jpg")), ("big.mp4", mp4(100 * 1024))], false).await;
    assert_eq!(r.status(), 413);
    assert_eq!(r.json::<serde_json::Value>().await.expect("json")["error"]["code"], "file_too_large");
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM attachments")
        .fetch_one(app.state.store.pool())
        .await
        .expect("count")
        .try_get(0)
        .expect("n");
    assert_eq!(n, 0);
    let dir = app.data_dir.join("evidence");
    let left: Vec<_> = walk(&dir);
    assert!(left.is_empty(), "files left in the store: {left:?}");

    // Tokens: none is 401 with a challenge, a malformed one 400, an unknown one 404.
    let form = || Form::new().part("file", Part::bytes(b"hello".to_vec()).file_name("a.txt"));
    let url = app.url("/api/v1/complaints/attachments");
    let r = app.client.post(&url).multipart(form()).send().await.expect("post");
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = app
        .client
        .post(&url)
        .header("authorization", "BEARER not-a-token")
        .multipart(form())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400, "the scheme in any case; the token itself malformed");
    let other = rongrian::domain::token::SubmissionToken::generate().display();
    let r = app.client.post(&url).bearer_auth(&other).multipart(form()).send().await.expect("post");
    assert_eq!(r.status(), 404);
    let r = app.client.post(&url).bearer_auth(&token).body("x").send().await.expect("post");
    assert_eq!(r.status(), 415, "not multipart");

    // A closed case takes no files.
    let officer =
        app.create_officer("intake", &[rongrian::domain::staff::Role::IntakeOfficer], &["palad"]).await;
    let s = app.login(&app.client, &officer).await;
    let reference: String = sqlx::query("SELECT reference FROM cases")
        .fetch_one(app.state.store.pool())
        .await
        .expect("case")
        .try_get(0)
        .expect("ref");
    let path = format!("/staff/cases/{reference}/status");
    let r = app
        .staff_post(&app.client, &s, &path, &[("action", "not_accept"), ("reason", "outside_authority")])
        .await;
    assert_eq!(r.status(), 303);
    let r = upload(&app, &token, &[("a.txt", b"hello".to_vec())], false).await;
    assert_eq!(r.status(), 409);
}

/// An MP4-looking file of `size` bytes (ftyp box, then filler).
pub fn mp4(size: usize) -> Vec<u8> {
    let mut v = vec![0, 0, 0, 0x18];
    v.extend(b"ftypisom\x00\x00\x02\x00isomiso2");
    v.resize(size, 0x5a);
    v
}

pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

async fn an_oversized_upload_is_refused_before_it_is_read_whole(db: Db) {
    let Some(app) = spawn(db, |s| s.evidence.max_file_bytes = 256 * 1024).await else { return };
    let token = app.submit_json(&minimal_complaint()).await["token"].as_str().expect("token").to_owned();
    // A body that sends 1 MiB of a file and then never ends: answered only if the service stops
    // reading at the limit.
    let boundary = "rongrianboundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.mp4\"\r\nContent-Type: video/mp4\r\n\r\n"
    );
    let mut first = head.into_bytes();
    first.extend(mp4(1024 * 1024));
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(first) })
        .chain(futures::stream::pending());
    use futures::StreamExt;
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        app.client
            .post(app.url("/api/v1/complaints/attachments"))
            .bearer_auth(&token)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(reqwest::Body::wrap_stream(stream))
            .send(),
    )
    .await
    .expect("answered without waiting for the rest of the body")
    .expect("response");
    assert_eq!(r.status(), 413);
}

async fn files_added_on_the_follow_up_page_and_shown_to_the_reporter(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let token = app.submit_json(&minimal_complaint()).await["token"].as_str().expect("token").to_owned();
    let c = &app.client;
    let session = app.form_session(c, "/follow-up").await;
    let html =
        app.post_form(c, "/follow-up", &session, &[("token", &token)]).await.text().await.expect("html");
    assert!(html.contains("enctype=\"multipart/form-data\""), "the page offers an upload");
    assert!(html.contains("ไฟล์ HEIC เสียง และวิดีโอ"), "it says plainly which files keep their metadata");
    let csrf = crate::helpers::hidden_value(&html, "authenticity_token").expect("token field");
    let form = Form::new()
        .text("authenticity_token", csrf.clone())
        .text("token", token.clone())
        .part("file", Part::bytes(fixture("gps.jpg")).file_name("หลักฐาน.jpg"));
    let r = c
        .post(app.url("/follow-up/files"))
        .header("cookie", &session.cookie)
        .multipart(form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("html");
    assert!(html.contains("หลักฐาน.jpg") && html.contains("แนบไฟล์แล้ว"), "the file is listed");
    let form = Form::new()
        .text("authenticity_token", csrf)
        .text("token", token.clone())
        .part("file", Part::bytes(fixture("program.pdf")).file_name("slip.pdf"));
    let r = c
        .post(app.url("/follow-up/files"))
        .header("cookie", &session.cookie)
        .multipart(form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 415);
    let html = r.text().await.expect("html");
    assert!(
        html.contains("เนื้อหาของไฟล์ไม่ตรงกับชนิดไฟล์ตามชื่อ") && html.contains("หลักฐาน.jpg"),
        "the same page, with the message"
    );
}

/// A follow-up page that sat open until its CSRF token expired: each of its forms comes back as the
/// same page with a fresh token, what was typed kept, and nothing done.
async fn expired_follow_up_forms_come_back_with_the_input_kept(db: Db) {
    let Some(app) = spawn(db, |_| {}).await else { return };
    let token = app.submit_json(&minimal_complaint()).await["token"].as_str().expect("token").to_owned();
    let c = &app.client;
    let session = app.form_session(c, "/follow-up").await;
    let stale =
        crate::helpers::FormSession { cookie: session.cookie.clone(), token: "stale".into(), nonce: None };

    let r = app.post_form(c, "/follow-up", &stale, &[("token", &token)]).await;
    assert_eq!(r.status(), 403);
    let html = r.text().await.expect("html");
    assert!(html.contains("แบบฟอร์มหมดอายุ ระบบยังไม่ได้ค้นหาเรื่อง"), "{html}");
    assert!(html.contains(&format!("value=\"{token}\"")), "the code typed is kept");
    assert!(crate::helpers::hidden_value(&html, "authenticity_token").is_some_and(|t| t != "stale"));

    let page =
        app.post_form(c, "/follow-up", &session, &[("token", &token)]).await.text().await.expect("html");
    let nonce = crate::helpers::hidden_value(&page, "submission_nonce").expect("nonce");
    let r = app
        .post_form(
            c,
            "/follow-up/message",
            &stale,
            &[("token", &token), ("message", "ข้อความที่พิมพ์ไว้"), ("submission_nonce", &nonce)],
        )
        .await;
    assert_eq!(r.status(), 403);
    let html = r.text().await.expect("html");
    assert!(
        html.contains("แบบฟอร์มหมดอายุ ข้อความยังไม่ถูกส่ง") && html.contains("ข้อความที่พิมพ์ไว้</textarea>"),
        "{html}"
    );
    assert_eq!(
        crate::helpers::hidden_value(&html, "submission_nonce").as_deref(),
        Some(nonce.as_str()),
        "the same one-time value"
    );
    assert_eq!(app.message_count().await, 0, "nothing was sent");

    let form = Form::new()
        .text("authenticity_token", "stale")
        .text("token", token.clone())
        .text("keep_metadata", "1")
        .part("file", Part::bytes(fixture("gps.jpg")).file_name("หลักฐาน.jpg"));
    let r = c
        .post(app.url("/follow-up/files"))
        .header("cookie", &session.cookie)
        .multipart(form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);
    let html = r.text().await.expect("html");
    assert!(
        html.contains("แบบฟอร์มหมดอายุ ไฟล์ยังไม่ถูกแนบ") && html.contains("enctype=\"multipart/form-data\""),
        "{html}"
    );
    assert!(
        html.contains("name=\"keep_metadata\" value=\"1\" aria-describedby=\"file-metadata-hint\" checked"),
        "the choice is kept"
    );
    assert!(!html.contains("หลักฐาน.jpg"), "no file was attached");
    let files: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attachments")
        .fetch_one(app.state.store.pool())
        .await
        .expect("count");
    assert_eq!(files, 0);
}

/// A small tmpfs mounted over a directory for one test (root only), unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(dir: &std::path::Path, size: &str) -> Option<Self> {
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(dir.to_owned()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// The evidence disk fills up mid-file: the reporter gets a clear answer, no file row and no
/// partial file are left, the case is untouched, and once there is room again the same upload works.
async fn a_full_evidence_disk_refuses_the_file_and_leaves_nothing(db: Db) {
    let Some(app) = spawn(db, |s| s.evidence.max_file_bytes = 8 * 1024 * 1024).await else { return };
    let token = app.submit_json(&minimal_complaint()).await["token"].as_str().expect("token").to_owned();
    let dir = app.data_dir.join("evidence");
    std::fs::create_dir_all(&dir).expect("evidence dir");
    let Some(disk) = SmallDisk::mount(&dir, "1m") else {
        assert!(
            std::env::var_os("REQUIRE_MOUNT_TESTS").is_none(),
            "REQUIRE_MOUNT_TESTS is set but a tmpfs cannot be mounted (the test needs root)"
        );
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    };
    let r = upload(&app, &token, &[("clip.mp4", mp4(3 * 1024 * 1024))], false).await;
    assert_eq!(r.status(), 503, "a full disk is the service's trouble, not the reporter's");
    assert!(r.headers().contains_key("retry-after"));
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "evidence_store_unavailable");
    assert!(body["error"]["message"].as_str().expect("message").contains("nothing was saved"));
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attachments")
        .fetch_one(app.state.store.pool())
        .await
        .expect("count");
    assert_eq!(n, 0, "no file row");
    assert!(walk(&dir).is_empty(), "no partial file on the full disk: {:?}", walk(&dir));
    let view: serde_json::Value = app.status(&token).await.json().await.expect("json");
    assert_eq!(view["status"], "new");
    assert_eq!(view["attachments"].as_array().map(Vec::len), Some(0));

    drop(disk);
    let r = upload(&app, &token, &[("clip.mp4", mp4(3 * 1024 * 1024))], false).await;
    assert_eq!(r.status(), 201, "with room again the same file is taken");
}

on_both_databases!(
    a_full_evidence_disk_refuses_the_file_and_leaves_nothing,
    expired_follow_up_forms_come_back_with_the_input_kept,
    files_come_out_clean_unless_the_reporter_keeps_their_metadata,
    refused_files_get_their_status_and_leave_nothing_behind,
    an_oversized_upload_is_refused_before_it_is_read_whole,
    files_added_on_the_follow_up_page_and_shown_to_the_reporter,
);
