//! The power goes mid-load: the service is killed with SIGKILL while clients submit, then started
//! again on the same data directory. Every receipt a client received opens its case, and nothing
//! half-written is visible (the database is intact, every case is whole); every case's notice to its
//! unit is kept, once (held for the daily mail, or queued in the outbox once that mail is made).
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
    // Up to about a minute: a loaded CI machine can be slow to start a process.
    for _ in 0..1200 {
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

/// A case's notice is held in the transaction of the case it announces, so a kill mid-load loses
/// none: each receipt's case has exactly one notice, held for the unit's daily mail (or, if the
/// service's daily pass ran meanwhile, one "new case" mail per unit member in the outbox).
/// (Sending is at-least-once: a mail claimed by a worker that dies is sent again after its lease,
/// which `mail::a_mail_whose_worker_died_goes_out_after_its_lease` shows.)
#[tokio::test]
async fn notifications_survive_sigkill_mid_load() {
    use rongrian::domain::staff::Role;
    use sqlx::Row;
    // An installation with an intake officer of สำนักปลัด who gets mail, made as the CLI would.
    let Some(mut app) = crate::helpers::spawn(crate::helpers::Db::Sqlite, |_| {}).await else { return };
    app.create_officer("intake", &[Role::IntakeOfficer], &["palad"]).await;
    app.stop().await;
    app.state.store.close().await;
    let data = app.data_dir.clone();

    let dir = tempfile::tempdir().expect("tmp");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    // SMTP is configured but nobody listens: notices are held and queued as in production.
    let smtp = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let config = dir.path().join("crash.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {smtp}\ntls = \"none\"\n\
             [limits.submit]\nburst = 100000\nperiod_ms = 1\nglobal_burst = 100000\nglobal_period_ms = 1\n"
        ),
    )
    .expect("config");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
    let mut child = serve(&config, &data);
    wait_ready(&client, &base).await;
    let receipts: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (client, base, receipts) = (client.clone(), base.clone(), receipts.clone());
        workers.push(tokio::spawn(async move {
            let body = serde_json::json!({
                "track": "corruption", "category": "bribery", "subject": "เรียกรับเงิน",
                "description": "เจ้าหน้าที่เรียกรับเงินค่าอนุญาต", "relationship": "victim"
            });
            while let Ok(r) = client.post(format!("{base}/api/v1/complaints")).json(&body).send().await {
                if r.status() != 201 {
                    continue;
                }
                let Ok(v) = r.json::<serde_json::Value>().await else { break };
                receipts.lock().await.push(v["reference"].as_str().unwrap_or("").to_owned());
            }
        }));
    }
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

    let url = rongrian::setup::database_url(&secrecy::SecretString::from(String::new()), &data);
    let store = rongrian::storage::Store::connect(&url).await.expect("open");
    let pool = store.pool();
    let cases: Vec<String> = sqlx::query("SELECT reference FROM cases")
        .fetch_all(pool)
        .await
        .expect("cases")
        .iter()
        .map(|r| r.try_get::<String, _>(0).expect("reference"))
        .collect();
    let mails: Vec<(String, String)> = sqlx::query("SELECT recipient, subject FROM outbox")
        .fetch_all(pool)
        .await
        .expect("outbox")
        .iter()
        .map(|r| (r.try_get::<String, _>(0).expect("to"), r.try_get::<String, _>(1).expect("subject")))
        .collect();
    let held: Vec<String> = sqlx::query(
        "SELECT c.reference FROM reporter_digest d JOIN cases c ON c.id = d.case_id WHERE d.event = 'filed'",
    )
    .fetch_all(pool)
    .await
    .expect("held")
    .iter()
    .map(|r| r.try_get::<String, _>(0).expect("reference"))
    .collect();
    for reference in &cases {
        let waiting: Vec<_> =
            mails.iter().filter(|(_, subject)| subject.contains(&format!("New case {reference}"))).collect();
        let holding = held.iter().filter(|r| *r == reference).count();
        assert_eq!(
            waiting.len() + holding,
            1,
            "case {reference} has its one notice: {waiting:?}, held {holding}"
        );
        if let Some((to, _)) = waiting.first() {
            assert_eq!(to, "intake@example.go.th");
        }
    }
    for reference in &receipts {
        assert!(cases.contains(reference), "the receipt {reference} has its case");
    }
    assert_eq!(mails.len() + held.len(), cases.len(), "no notice without its case");
    store.close().await;
}
