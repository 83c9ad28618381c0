//! The power goes mid-load: the service is killed with SIGKILL while clients submit, then started
//! again on the same data directory. Every receipt a client received opens its case, and nothing
//! half-written is visible (the database is intact, every case is whole).
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

fn serve(config: &std::path::Path, data: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rongrian"))
        .env_remove("RONGRIAN_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .arg("--config")
        .arg(config)
        .args(["serve", "--data-dir"])
        .arg(data)
        .stdout(Stdio::null())
        .spawn()
        .expect("serve")
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..400 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the service did not come up");
}

#[tokio::test]
async fn receipts_survive_sigkill_mid_load() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let config = dir.path().join("crash.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[limits.submit]\nburst = 100000\nperiod_ms = 1\n\
             global_burst = 100000\nglobal_period_ms = 1\n[limits.lookup]\nburst = 100000\nperiod_ms = 1\n\
             global_burst = 100000\nglobal_period_ms = 1\n"
        ),
    )
    .expect("config");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
    let mut child = serve(&config, &data);
    wait_ready(&client, &base).await;

    let receipts: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (client, base, receipts) = (client.clone(), base.clone(), receipts.clone());
        workers.push(tokio::spawn(async move {
            let body = serde_json::json!({
                "track": "corruption", "category": "bribery", "subject": "เรียกรับเงิน",
                "description": "ก".repeat(400), "relationship": "witness",
                "reporter": {"name": "ผู้แจ้ง ทดสอบ"}
            });
            // Until the service dies: a refused connection or a cut response ends the loop.
            while let Ok(r) = client.post(format!("{base}/api/v1/complaints")).json(&body).send().await {
                if r.status() != 201 {
                    continue;
                }
                let Ok(v) = r.json::<serde_json::Value>().await else { break };
                let pair = (
                    v["reference"].as_str().unwrap_or("").to_owned(),
                    v["token"].as_str().unwrap_or("").to_owned(),
                );
                receipts.lock().await.push(pair);
            }
        }));
    }
    // Let the load run, then pull the plug while requests are in flight.
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if receipts.lock().await.len() >= 40 {
            break;
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");
    for w in workers {
        let _ = w.await;
    }
    let receipts = receipts.lock().await.clone();
    assert!(receipts.len() >= 10, "the load ran before the kill: {} receipts", receipts.len());

    let mut child = serve(&config, &data);
    wait_ready(&client, &base).await;
    for (reference, token) in &receipts {
        let r = client
            .get(format!("{base}/api/v1/complaints/status"))
            .bearer_auth(token)
            .send()
            .await
            .expect("status");
        assert_eq!(r.status(), 200, "the receipt for {reference} opens its case after the crash");
        let view: serde_json::Value = r.json().await.expect("json");
        assert_eq!(view["reference"], reference.as_str());
    }

    // Nothing half-written: the file is intact and every case has what a filed case has.
    child.kill().expect("kill");
    child.wait().expect("wait");
    let url = rongrian::setup::database_url(&secrecy::SecretString::from(String::new()), &data);
    let store = rongrian::storage::Store::connect(&url).await.expect("open");
    use sqlx::Row;
    let pool = store.pool();
    let check: String =
        sqlx::query("PRAGMA integrity_check").fetch_one(pool).await.expect("check").try_get(0).expect("text");
    assert_eq!(check, "ok");
    let cases: i64 = sqlx::query("SELECT COUNT(*) FROM cases")
        .fetch_one(pool)
        .await
        .expect("count")
        .try_get(0)
        .expect("n");
    assert!(cases >= receipts.len() as i64, "{cases} cases for {} receipts", receipts.len());
    let partial: i64 = sqlx::query(
        "SELECT COUNT(*) FROM cases c WHERE c.content IS NULL OR length(c.content) = 0 \
         OR c.identity IS NULL OR length(c.token_hash) = 0",
    )
    .fetch_one(pool)
    .await
    .expect("partial")
    .try_get(0)
    .expect("n");
    assert_eq!(partial, 0, "no case is missing its content, identity or token");
    // References are handed out inside the transaction: none is skipped or doubled.
    let distinct: i64 = sqlx::query("SELECT COUNT(DISTINCT reference) FROM cases")
        .fetch_one(pool)
        .await
        .expect("distinct")
        .try_get(0)
        .expect("n");
    assert_eq!(distinct, cases);
}
