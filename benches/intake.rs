//! Load benchmark: starts the real service in-process on SQLite (or PostgreSQL with
//! BENCH_POSTGRES_URL), files complaints through the JSON API from concurrent clients, and prints
//! submissions per second and latency percentiles. Run: `cargo bench --bench intake`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use rongrian::app::App;
use rongrian::clock::Clock;
use rongrian::config::Settings;
use rongrian::setup::{self, DataPaths};
use rongrian::storage::Store;
use secrecy::SecretString;
use std::time::{Duration, Instant};

const TOTAL: usize = 2_000;
const CONCURRENCY: usize = 16;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("tmp");
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&data_dir).expect("dir");
    let mut settings = Settings::defaults().expect("defaults");
    settings.server.listen = "127.0.0.1:0".parse().expect("addr");
    settings.server.data_dir = data_dir.clone();
    // The benchmark measures throughput, not the limiter.
    settings.limits.submit.burst = u32::MAX / 2;
    settings.limits.submit.global_burst = u32::MAX / 2;
    let backend = match std::env::var("BENCH_POSTGRES_URL") {
        Ok(url) => {
            settings.server.database_url = SecretString::from(url);
            "PostgreSQL"
        }
        Err(_) => "SQLite (synchronous=FULL)",
    };
    let clock = Clock::system();
    let store =
        Store::connect(&setup::database_url(&settings.server.database_url, &data_dir)).await.expect("db");
    setup::initialise(&settings, &DataPaths::new(&data_dir), &store, &dir.path().join("escrow.txt"), &clock)
        .await
        .expect("init");
    let app = App::build(settings, store, clock).await.expect("build");
    let url = format!("http://{}/api/v1/complaints", app.local_addr().expect("addr"));
    tokio::spawn(app.run_until(std::future::pending()));

    let body = serde_json::json!({
        "track": "corruption", "category": "bribery", "subject": "เรียกรับเงินค่าอนุญาต",
        "description": "ก".repeat(600), "relationship": "witness",
        "reporter": {"name": "ทดสอบ ภาระงาน", "phone": "0812345678"}
    });
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for _ in (worker..TOTAL).step_by(CONCURRENCY) {
                let t = Instant::now();
                let r = client.post(&url).json(&body).send().await.expect("post");
                assert_eq!(r.status(), 201);
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("task"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!("backend: {backend}; {TOTAL} submissions, {CONCURRENCY} concurrent clients");
    println!("throughput: {:.0} submissions/s", TOTAL as f64 / elapsed.as_secs_f64());
    println!("latency p50 {:?}  p95 {:?}  p99 {:?}", pct(0.50), pct(0.95), pct(0.99));
}
