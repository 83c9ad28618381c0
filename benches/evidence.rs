//! Evidence benchmark: the real service in-process on SQLite with the directory store, uploading
//! through the API a streamed file (MP4: sealed as it comes) and a cleaned one (a JPEG made larger
//! with an EXIF-like segment: read whole, cleaned, sealed). Prints MiB/s. Run: `cargo bench --bench evidence`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use rongrian::app::App;
use rongrian::clock::Clock;
use rongrian::config::Settings;
use rongrian::setup::{self, DataPaths};
use rongrian::storage::Store;
use std::time::Instant;

const STREAMED_MIB: usize = 256;
const CLEANED_MIB: usize = 16;

fn mp4(size: usize) -> Vec<u8> {
    let mut v = vec![0, 0, 0, 0x18];
    v.extend(b"ftypisom\x00\x00\x02\x00isomiso2");
    v.resize(size, 0x5a);
    v
}

/// A JPEG carrying `size` bytes in APP13 segments (each under 64 KiB), which cleaning removes.
fn fat_jpeg(size: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    v.extend(b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00");
    while v.len() < size {
        v.extend([0xFF, 0xED, 0xFF, 0xFF]);
        v.extend(std::iter::repeat_n(0x42, 0xFFFF - 2));
    }
    v.extend([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x12, 0x34, 0xFF, 0xD9]);
    v
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("tmp");
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&data_dir).expect("dir");
    let mut settings = Settings::defaults().expect("defaults");
    settings.server.listen = "127.0.0.1:0".parse().expect("addr");
    settings.server.data_dir = data_dir.clone();
    settings.evidence.max_file_bytes = 1 << 30;
    settings.limits.follow_up.burst = 10_000;
    let clock = Clock::system();
    let store =
        Store::connect(&setup::database_url(&settings.server.database_url, &data_dir)).await.expect("db");
    setup::initialise(&settings, &DataPaths::new(&data_dir), &store, &dir.path().join("escrow.txt"), &clock)
        .await
        .expect("init");
    let app = App::build(settings, store, clock).await.expect("build");
    let base = format!("http://{}", app.local_addr().expect("addr"));
    tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::new();
    let receipt: serde_json::Value = client
        .post(format!("{base}/api/v1/complaints"))
        .json(&serde_json::json!({"track": "general", "category": "staff_conduct", "subject": "ทดสอบ",
            "description": "ทดสอบการอัปโหลด", "relationship": "victim"}))
        .send()
        .await
        .expect("submit")
        .json()
        .await
        .expect("json");
    let token = receipt["token"].as_str().expect("token").to_owned();
    let upload = |name: &'static str, bytes: Vec<u8>| {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        async move {
            let size = bytes.len();
            let form = reqwest::multipart::Form::new()
                .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name));
            let started = Instant::now();
            let r = client
                .post(format!("{base}/api/v1/complaints/attachments"))
                .bearer_auth(&token)
                .multipart(form)
                .send()
                .await
                .expect("upload");
            assert_eq!(r.status(), 201, "{:?}", r.text().await);
            let secs = started.elapsed().as_secs_f64();
            (size as f64 / (1 << 20) as f64) / secs
        }
    };
    let streamed = upload("clip.mp4", mp4(STREAMED_MIB << 20)).await;
    let cleaned = upload("photo.jpg", fat_jpeg(CLEANED_MIB << 20)).await;
    println!("evidence upload through the API (release, loopback, SQLite, directory store):");
    println!("  streamed {STREAMED_MIB} MiB MP4 (sealed as it arrives): {streamed:.0} MiB/s");
    println!("  cleaned {CLEANED_MIB} MiB JPEG (read whole, cleaned, sealed): {cleaned:.0} MiB/s");
}
