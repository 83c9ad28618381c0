//! Notifications through a real SMTP server on loopback: events commit while SMTP is down, mails go
//! out once it is back, each once, and a mail never carries content or identity.
use crate::helpers::{Db, spawn};
use crate::on_both_databases;
use base64::Engine;
use rongrian::domain::staff::Role;
use rongrian::notify::worker::run_once;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
struct Inbox {
    mails: Arc<Mutex<Vec<String>>>,
    current: Arc<Mutex<Vec<u8>>>,
}

impl mailin_embedded::Handler for Inbox {
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Ok(mut c) = self.current.lock() {
            c.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        if let (Ok(mut c), Ok(mut all)) = (self.current.lock(), self.mails.lock()) {
            all.push(decode(&c));
            c.clear();
        }
        mailin_embedded::response::OK
    }
}

/// Headers as they are, and the base64 body decoded.
fn decode(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let (headers, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let decoded = base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()).unwrap_or_default();
    format!("{headers}\n\n{}", String::from_utf8_lossy(&decoded))
}

/// The test's SMTP port, bound but not listening: a connection to it is refused, as to a relay that
/// is down, and no other test's socket can take the port before [`start_smtp`] listens on it.
fn reserve_smtp_port() -> (socket2::Socket, u16) {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    let any: std::net::SocketAddr = "127.0.0.1:0".parse().expect("addr");
    socket.bind(&any.into()).expect("bind smtp port");
    let port = socket.local_addr().expect("addr").as_socket().expect("inet").port();
    (socket, port)
}

fn start_smtp(socket: socket2::Socket) -> Inbox {
    let inbox = Inbox::default();
    socket.listen(16).expect("listen");
    let listener: std::net::TcpListener = socket.into();
    let mut server = mailin_embedded::Server::new(inbox.clone());
    server.with_name("smtp.test").with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    inbox
}

/// Mail through the test's SMTP server on `port`; the worker's own passes are an hour apart, so the
/// test runs them.
fn smtp_on(s: &mut rongrian::config::Settings, port: u16) {
    s.smtp.host = "127.0.0.1".into();
    s.smtp.port = port;
    s.smtp.tls = rongrian::config::SmtpTls::None;
    s.smtp.from = "Rongrian <noreply@example.go.th>".into();
    s.smtp.timeout_secs = 5;
    s.notify.poll_secs = 3600;
}

/// Moves the test's clock to the next 08:00 Thai time, the default `notify.digest_hour`.
fn to_the_next_digest_hour(app: &crate::helpers::TestApp) {
    let thai = rongrian::clock::THAILAND;
    let local = app.clock.now_utc().to_offset(thai);
    let day = if local.hour() < 8 { local.date() } else { local.date().next_day().expect("a next day") };
    let at = day.with_hms(8, 0, 0).expect("08:00").assume_offset(thai);
    app.clock.advance((at - app.clock.now_utc()).try_into().expect("forward"));
}

/// The reporters' actions held for the daily mail: kind and case reference.
async fn held(app: &crate::helpers::TestApp) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT d.event, c.reference FROM reporter_digest d JOIN cases c ON c.id = d.case_id ORDER BY 2, 1",
    )
    .fetch_all(app.state.store.pool())
    .await
    .expect("held")
}

async fn outbox_rows(app: &crate::helpers::TestApp) -> i64 {
    let mut conn = app.state.store.pool().acquire().await.expect("conn");
    rongrian::storage::outbox::count(&mut conn).await.expect("n")
}

async fn mail_survives_an_smtp_outage_and_carries_no_content(db: Db) {
    let (smtp, port) = reserve_smtp_port();
    let Some(app) = spawn(db, |s| smtp_on(s, port)).await else {
        return;
    };
    app.wait_for_the_start_up_pass().await;
    let _officer = app.create_officer("intake", &[Role::IntakeOfficer], &["palad"]).await;
    let admin = app.create_officer("boss", &[Role::Administrator], &[]).await;
    let state = &app.state;

    // SMTP is down: the case still commits; its unit hears of it in the next daily mail.
    let mut body = crate::helpers::minimal_complaint();
    body["subject"] = "สินบนโครงการขุดลอกหนองน้ำสาธารณะ".into();
    body["reporter"] = serde_json::json!({"name": "กัลยา ใจกล้าหาญ", "phone": "0891112222"});
    let receipt = app.submit_json(&body).await;
    let reference = receipt["reference"].as_str().expect("ref").to_owned();
    // Until then nothing is queued: no send time or attempt dates the submission.
    app.clock.advance(Duration::from_secs(1000));
    assert_eq!(run_once(state, &state.mailer).await.expect("pass"), 0);
    assert_eq!(outbox_rows(&app).await, 0, "held, not queued");
    assert_eq!(held(&app).await, vec![("filed".to_owned(), reference.clone())]);
    // The next morning's pass queues it for the quarter hour after; then it is tried and fails.
    to_the_next_digest_hour(&app);
    assert_eq!(run_once(state, &state.mailer).await.expect("pass"), 0);
    assert!(held(&app).await.is_empty(), "queued once");
    app.clock.advance(Duration::from_secs(1000));
    assert_eq!(run_once(state, &state.mailer).await.expect("pass"), 0);
    let mut conn = state.store.pool().acquire().await.expect("conn");
    let troubled = rongrian::storage::outbox::troubled(&mut conn).await.expect("rows");
    assert_eq!(troubled.len(), 1);
    assert_eq!(troubled[0].attempts, 1);
    assert!(troubled[0].last_error.is_some());
    drop(conn);

    // Administrators see it.
    let s = app.login(&app.client, &admin).await;
    let page = app.staff_get(&app.client, &s, "/staff/admin/outbox").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("i***@example.go.th"));

    // SMTP comes back; after the backoff the mail goes out, once.
    let inbox = start_smtp(smtp);
    assert_eq!(run_once(state, &state.mailer).await.expect("pass"), 0, "still backing off");
    app.clock.advance(Duration::from_secs(31));
    assert_eq!(run_once(state, &state.mailer).await.expect("pass"), 1, "sent after the backoff");
    assert_eq!(run_once(state, &state.mailer).await.expect("pass"), 0, "sent once");
    let mails = inbox.mails.lock().expect("inbox").clone();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.contains("intake@example.go.th"), "to the unit's officer");
    assert!(mail.contains(&format!("/staff/cases/{reference}")), "a link: {mail}");
    for secret in ["สินบนโครงการขุดลอกหนองน้ำสาธารณะ", "เจ้าหน้าที่เรียกรับเงิน", "กัลยา", "0891112222"]
    {
        assert!(!mail.contains(secret), "the mail carries `{secret}`");
    }
    let mut conn = state.store.pool().acquire().await.expect("conn");
    assert_eq!(rongrian::storage::outbox::count(&mut conn).await.expect("n"), 0, "sent mail leaves no row");
    drop(conn);

    // A reporter's messages (two in a day: one mail) and an approaching deadline notify the unit
    // too, each once.
    for text in ["มีคลิปเสียงเพิ่มเติม", "และภาพถ่ายอีกชุด"]
    {
        let r = app
            .client
            .post(app.url("/api/v1/complaints/messages"))
            .bearer_auth(receipt["token"].as_str().expect("token"))
            .json(&serde_json::json!({ "text": text }))
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 201);
    }
    app.clock.advance(Duration::from_secs(1000));
    assert_eq!(run_once(state, &state.mailer).await.expect("pass"), 0, "held for the daily mail");
    assert_eq!(held(&app).await, vec![("wrote".to_owned(), reference.clone())]);
    to_the_next_digest_hour(&app);
    assert_eq!(run_once(state, &state.mailer).await.expect("pass"), 0);
    app.clock.advance(Duration::from_secs(1000));
    assert_eq!(run_once(state, &state.mailer).await.expect("pass"), 1);
    assert_eq!(run_once(state, &state.mailer).await.expect("pass"), 0);
    // Filed on 16 March, to be acknowledged by 31 March: reminded on the 29th.
    app.clock.advance(Duration::from_secs(11 * 24 * 3600));
    assert_eq!(app.clock.today().to_string(), "2026-03-29");
    let queued_now = run_once(state, &state.mailer).await.expect("pass");
    app.clock.advance(Duration::from_secs(1000));
    let after_delay = run_once(state, &state.mailer).await.expect("pass");
    assert_eq!(queued_now + after_delay, 1, "one acknowledgement reminder, two days before the deadline");
    app.clock.advance(Duration::from_secs(3600));
    assert_eq!(run_once(state, &state.mailer).await.expect("pass"), 0, "reminded once");
    let mails = inbox.mails.lock().expect("inbox").clone();
    assert_eq!(mails.len(), 3);
    assert!(mails[1].contains("ผู้ร้องเรียนส่งข้อความ") && !mails[1].contains("มีคลิปเสียงเพิ่มเติม"));
    assert!(mails[2].contains("ใกล้ครบกำหนดตอบรับ"));
}

/// A worker that claims a mail and dies before it is marked sent (the power goes mid-send) does not
/// lose it: after the claim's lease (15 minutes) another pass sends it. If the first worker had sent
/// it before dying, this is a second copy: SMTP delivery is at least once, never lost.
async fn a_mail_whose_worker_died_goes_out_after_its_lease(db: Db) {
    let (smtp, port) = reserve_smtp_port();
    let Some(app) = spawn(db, |s| smtp_on(s, port)).await else {
        return;
    };
    app.wait_for_the_start_up_pass().await;
    app.create_officer("intake", &[Role::IntakeOfficer], &["palad"]).await;
    let inbox = start_smtp(smtp);
    let state = &app.state;
    let reference = app.submit_json(&crate::helpers::minimal_complaint()).await["reference"]
        .as_str()
        .expect("ref")
        .to_owned();
    // The next morning the held notice is queued, and a quarter hour later it is due.
    to_the_next_digest_hour(&app);
    assert_eq!(run_once(state, &state.mailer).await.expect("pass"), 0);
    app.clock.advance(Duration::from_secs(1000));
    // The dying worker's claim: the mail's next attempt pushed out by the lease, nothing sent.
    let now = app.clock.now_utc().unix_timestamp();
    let mut conn = state.store.pool().acquire().await.expect("conn");
    let due = rongrian::storage::outbox::due(&mut conn, now, 12, 50).await.expect("due");
    assert_eq!(due.len(), 1);
    assert!(
        rongrian::storage::outbox::claim(&mut conn, due[0].id, due[0].next_attempt_at, now + 15 * 60)
            .await
            .expect("claim")
    );
    drop(conn);
    assert_eq!(run_once(state, &state.mailer).await.expect("pass"), 0, "no one sends a leased mail");
    app.clock.advance(Duration::from_secs(15 * 60 + 1));
    assert_eq!(run_once(state, &state.mailer).await.expect("pass"), 1, "after the lease it goes out");
    let mails = inbox.mails.lock().expect("inbox").clone();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains(&format!("/staff/cases/{reference}")));
    assert_eq!(run_once(state, &state.mailer).await.expect("pass"), 0, "and then once only");
}

on_both_databases!(
    mail_survives_an_smtp_outage_and_carries_no_content,
    a_mail_whose_worker_died_goes_out_after_its_lease
);
