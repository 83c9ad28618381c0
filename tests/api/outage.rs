//! The database goes away and comes back: requests get a clear 503 (a Thai page, an English API
//! error, Retry-After), nothing half-written is kept, and the service recovers without a restart.
//! PostgreSQL is reached through a proxy the test can cut.
use crate::helpers::{Db, minimal_complaint, spawn};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

/// A TCP forwarder to PostgreSQL: `cut` closes every connection and refuses new ones.
struct Proxy {
    addr: std::net::SocketAddr,
    up: Arc<AtomicBool>,
    pipes: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let up = Arc::new(AtomicBool::new(true));
        let pipes: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (up2, pipes2) = (up.clone(), pipes.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                pipes2.lock().await.push(tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        });
        Self { addr, up, pipes, accept }
    }

    async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for pipe in self.pipes.lock().await.drain(..) {
            pipe.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

#[tokio::test]
async fn the_database_going_away_gives_503_and_the_service_recovers_by_itself() {
    let Some(admin) = std::env::var("TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("SKIPPED: set TEST_POSTGRES_URL to run the database outage test");
        return;
    };
    let parsed = reqwest::Url::parse(&admin).expect("url");
    let target = format!("{}:{}", parsed.host_str().expect("host"), parsed.port().unwrap_or(5432));
    let proxy = Proxy::start(target.clone()).await;
    let via = proxy.addr.to_string();
    let Some(mut app) = spawn(Db::Postgres, |s| {
        use secrecy::ExposeSecret;
        let url = s.server.database_url.expose_secret().replace(&target, &via);
        s.server.database_url = secrecy::SecretString::from(url);
        s.server.database_timeout_secs = 2;
        s.limits.submit.burst = 100;
    })
    .await
    else {
        return;
    };
    let first = app.submit_json(&minimal_complaint()).await;
    let first_token = first["token"].as_str().expect("token").to_owned();
    // A page form fetched while the database is up, posted while it is down.
    let session = app.form_session(&app.client, "/report/corruption").await;

    proxy.cut().await;
    let response =
        app.client.post(app.url("/api/v1/complaints")).json(&minimal_complaint()).send().await.expect("post");
    assert_eq!(response.status(), 503, "an API submission while the database is away");
    assert_eq!(response.headers()["retry-after"], "30");
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unavailable");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("Nothing was saved")));

    let status = app.status(&first_token).await;
    assert_eq!(status.status(), 503, "a status check while the database is away");

    let fields = [
        ("category", "bribery"),
        ("subject", "เรียกรับเงิน"),
        ("description", "รายละเอียด"),
        ("relationship", "witness"),
    ];
    let page = app.post_form(&app.client, "/report/corruption", &session, &fields).await;
    assert_eq!(page.status(), 503, "a page submission while the database is away");
    let html = page.text().await.expect("html");
    assert!(html.contains("ฐานข้อมูลไม่พร้อมให้บริการชั่วคราว"), "a Thai page says to send it again");
    assert!(!html.contains("2569-"), "no reference was handed out");

    let ready = app.client.get(app.url("/readyz")).send().await.expect("readyz");
    assert_eq!(ready.status(), 503);

    proxy.restore();
    // The pool reconnects on its own: no restart.
    let mut recovered = None;
    for _ in 0..20 {
        let response = app
            .client
            .post(app.url("/api/v1/complaints"))
            .json(&minimal_complaint())
            .send()
            .await
            .expect("post");
        if response.status() == 201 {
            recovered = Some(response.json::<serde_json::Value>().await.expect("json"));
            break;
        }
        assert_eq!(response.status(), 503, "only 503 while reconnecting");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let second = recovered.expect("the service recovered without a restart");
    assert_eq!(app.status(&first_token).await.status(), 200, "the case from before the outage opens");
    assert_eq!(app.status(second["token"].as_str().expect("token")).await.status(), 200);
    assert_eq!(app.case_count().await, 2, "nothing was kept of the refused submissions");
    assert_eq!(
        second["reference"].as_str().map(|r| r.ends_with("-0002")),
        Some(true),
        "no reference number was used up by a refused submission: {second}"
    );
    app.stop().await;
}
