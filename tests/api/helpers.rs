//! Starting the real service on a random port with its own database (SQLite in a temp dir, or a
//! fresh PostgreSQL database when TEST_POSTGRES_URL is set), and talking HTTP to it.
#![allow(dead_code)]
use age::x25519;
use rongrian::app::App;
use rongrian::clock::Clock;
use rongrian::config::Settings;
use rongrian::setup::{self, DataPaths};
use rongrian::state::AppState;
use rongrian::storage::Store;
use secrecy::SecretString;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use tempfile::TempDir;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Every log line any test's service writes, so tests can prove what never reaches a log.
pub fn captured_logs() -> String {
    log_buffer().lock().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let make_writer = move || LogWriter(writer.clone());
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_writer(make_writer)
            .with_ansi(false)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buffer
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = std::io::stderr().write_all(buf);
        }
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    /// Where `/metrics` is served, when `[metrics] listen` is set.
    pub metrics_addr: Option<SocketAddr>,
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub clock: Clock,
    pub data_dir: PathBuf,
    pub escrow_file: PathBuf,
    pub db: Db,
    _dir: TempDir,
    pg_database: Option<(String, String)>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub fn client_from(ip: &str) -> reqwest::Client {
    let ip: IpAddr = ip.parse().expect("ip");
    reqwest::Client::builder()
        .local_address(ip)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A loopback source address of the test's own, so that a log line with it would be found.
pub const CLIENT_IP: &str = "127.0.0.1";

fn postgres_url() -> Option<String> {
    std::env::var("TEST_POSTGRES_URL").ok().filter(|u| !u.trim().is_empty())
}

/// Starts the service, or returns None (after saying so) when PostgreSQL is not configured.
pub async fn spawn(db: Db, tweak: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    log_buffer();
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let escrow_file = dir.path().join("escrow-identity.txt");
    let mut settings = Settings::defaults().expect("defaults");
    settings.server.listen = "127.0.0.1:0".parse().expect("addr");
    settings.server.data_dir = data_dir.clone();
    // Cheap argon2 keeps logins fast in tests; production cost is in config/default.toml.
    settings.staff.argon2_memory_kib = 1024;
    settings.staff.argon2_iterations = 1;
    // Tests sign the same officer in many times from one address; the throttle has its own test.
    settings.limits.login_account.burst = 50;
    let mut pg_database = None;
    match db {
        Db::Sqlite => {}
        Db::Postgres => {
            let Some(admin_url) = postgres_url() else {
                eprintln!("SKIPPED: set TEST_POSTGRES_URL to run the PostgreSQL variant of this test");
                return None;
            };
            let name = format!("rongrian_test_{}", uuid::Uuid::new_v4().simple());
            create_pg_database(&admin_url, &name).await;
            let (base, _) = admin_url.rsplit_once('/').expect("database url has a path");
            settings.server.database_url = SecretString::from(format!("{base}/{name}"));
            pg_database = Some((admin_url, name));
        }
    }
    tweak(&mut settings);
    std::fs::create_dir_all(&data_dir).expect("data dir");
    let clock = Clock::manual(time::macros::datetime!(2026-03-16 10:00 +7));
    let url = setup::database_url(&settings.server.database_url, &data_dir);
    let timeout = std::time::Duration::from_secs(settings.server.database_timeout_secs);
    let store = Store::connect_with(&url, timeout).await.expect("connect");
    setup::initialise(&settings, &DataPaths::new(&data_dir), &store, &escrow_file, &clock)
        .await
        .expect("init");
    let app = App::build(settings, store, clock.clone()).await.expect("build");
    let addr = app.local_addr().expect("addr");
    let metrics_addr = app.metrics_addr();
    let state = app.state().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    Some(TestApp {
        addr,
        metrics_addr,
        base: format!("http://{addr}"),
        client: client_from(CLIENT_IP),
        state,
        clock,
        data_dir,
        escrow_file,
        db,
        _dir: dir,
        pg_database,
        shutdown: Some(tx),
        server: Some(server),
    })
}

async fn create_pg_database(admin_url: &str, name: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin_url).await.expect("connect to TEST_POSTGRES_URL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create db");
}

impl TestApp {
    /// The service's worker makes one pass at start-up, on the test's runtime; the test waits for it so
    /// that the passes it runs itself are the only ones (otherwise the start-up pass, slow on a loaded
    /// machine, can claim a mail the test expects to send and still be talking to SMTP when the test
    /// looks at the inbox).
    pub async fn wait_for_the_start_up_pass(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while self.state.metrics.outbox_passes() == 0 {
            assert!(std::time::Instant::now() < deadline, "the outbox worker made no pass in 60 s");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn escrow_identity(&self) -> x25519::Identity {
        rongrian::crypto::keys::read_identity_file(&self.escrow_file).expect("escrow identity")
    }

    /// Stops the server and starts it again on the same data directory and database (on a new
    /// port), as a restart of the service would; the start's error is returned.
    pub async fn restart(&mut self) -> Result<(), rongrian::app::StartError> {
        self.stop().await;
        let settings = (*self.state.settings).clone();
        // The stopped service closed its pool, as a stopped process would.
        let url = setup::database_url(&settings.server.database_url, &self.data_dir);
        let timeout = std::time::Duration::from_secs(settings.server.database_timeout_secs);
        let store = Store::connect_with(&url, timeout).await.expect("reconnect");
        let app = App::build(settings, store, self.clock.clone()).await?;
        self.addr = app.local_addr().expect("addr");
        self.metrics_addr = app.metrics_addr();
        self.base = format!("http://{}", self.addr);
        self.state = app.state().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        self.server = Some(tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        })));
        self.shutdown = Some(tx);
        Ok(())
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg_database.take() {
            // Dropping the database needs a runtime of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                    return;
                };
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await;
                    }
                });
            })
            .join();
        }
    }
}

/// Finds `name="field" value="…"` in a page and undoes HTML escaping.
pub fn hidden_value(html: &str, field: &str) -> Option<String> {
    let marker = format!("name=\"{field}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(unescape(&html[start..end]))
}

pub fn unescape(s: &str) -> String {
    s.replace("&#x2b;", "+")
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&#43;", "+")
        .replace("&#47;", "/")
        .replace("&#61;", "=")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The CSRF cookie pair from a response, ready for a Cookie header.
pub fn csrf_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("csrf="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// A form page's CSRF cookie and authenticity token.
pub struct FormSession {
    pub cookie: String,
    pub token: String,
    /// The complaint form's one-time value; sent only with complaint forms.
    pub nonce: Option<String>,
}

impl TestApp {
    pub async fn form_session(&self, client: &reqwest::Client, path: &str) -> FormSession {
        let response = client.get(self.url(path)).send().await.expect("get form");
        assert_eq!(response.status(), 200, "GET {path}");
        let cookie = csrf_cookie(&response).expect("csrf cookie");
        let html = response.text().await.expect("html");
        let token = hidden_value(&html, "authenticity_token").expect("authenticity_token");
        let nonce = hidden_value(&html, "submission_nonce");
        FormSession { cookie, token, nonce }
    }

    pub async fn post_form(
        &self,
        client: &reqwest::Client,
        path: &str,
        session: &FormSession,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut all: Vec<(&str, &str)> = vec![("authenticity_token", session.token.as_str())];
        if let (Some(nonce), true) = (&session.nonce, path.starts_with("/report/")) {
            all.push(("submission_nonce", nonce));
        }
        all.extend_from_slice(fields);
        client
            .post(self.url(path))
            .header(reqwest::header::COOKIE, &session.cookie)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(&all).expect("encode"))
            .send()
            .await
            .expect("post form")
    }

    /// Files a complaint through the JSON API and returns the receipt.
    pub async fn submit_json(&self, body: &serde_json::Value) -> serde_json::Value {
        let response =
            self.client.post(self.url("/api/v1/complaints")).json(body).send().await.expect("post");
        assert_eq!(response.status(), 201, "submit: {:?}", response.text().await);
        response.json().await.expect("json")
    }

    pub async fn status(&self, token: &str) -> reqwest::Response {
        self.client
            .get(self.url("/api/v1/complaints/status"))
            .bearer_auth(token)
            .send()
            .await
            .expect("status")
    }

    pub async fn case_count(&self) -> i64 {
        let mut conn = self.state.store.pool().acquire().await.expect("conn");
        rongrian::storage::cases::count(&mut conn).await.expect("count")
    }

    pub async fn message_count(&self) -> i64 {
        use sqlx::Row;
        let row = sqlx::query("SELECT COUNT(*) FROM case_messages")
            .fetch_one(self.state.store.pool())
            .await
            .expect("count");
        row.try_get(0).expect("int")
    }
}

pub fn minimal_complaint() -> serde_json::Value {
    serde_json::json!({
        "track": "corruption",
        "category": "bribery",
        "subject": "เรียกรับเงินค่าอนุญาตก่อสร้าง",
        "description": "เจ้าหน้าที่เรียกรับเงิน 5,000 บาทเพื่อเร่งออกใบอนุญาตก่อสร้าง",
        "relationship": "victim"
    })
}

/// Runs a scenario on SQLite and, when configured, on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::Db::Sqlite).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::Db::Postgres).await;
                }
            )+
        }
    };
}

/// A staff account made for a test, with what its holder knows.
pub struct Officer {
    pub username: String,
    pub password: String,
    pub totp_secret: String,
}

impl TestApp {
    /// Creates an account with the library (as `rongrian users add` does) and grants units with the
    /// escrow identity.
    pub async fn create_officer(
        &self,
        username: &str,
        roles: &[rongrian::domain::staff::Role],
        units: &[&str],
    ) -> Officer {
        use rongrian::domain::staff::{Role, Username};
        self.create_pending(username, roles).await;
        let officer = self.complete_setup(username).await;
        let secrets = self.secrets();
        let ctx = self.admin_context(&secrets, "test");
        let name = Username::parse(username).expect("username");
        let escrow = self.escrow_identity();
        for unit in units {
            rongrian::staff::accounts::grant_with_escrow(&ctx, &name, unit, &escrow).await.expect("grant");
        }
        if roles.contains(&Role::IdentityCustodian) {
            rongrian::staff::custody::grant_with_escrow(&ctx, &name, &escrow).await.expect("grant custody");
        }
        officer
    }

    /// The command line's administrative context (as `rongrian users …` builds it).
    pub fn admin_context<'a>(
        &'a self,
        secrets: &'a rongrian::setup::Secrets,
        actor: &'a str,
    ) -> rongrian::staff::accounts::AdminContext<'a> {
        rongrian::staff::accounts::AdminContext {
            store: &self.state.store,
            settings: &self.state.settings,
            clock: &self.clock,
            pepper_key: &secrets.password_pepper,
            totp_key: &secrets.totp_key,
            audit_key: &self.state.audit_key,
            actor,
        }
    }

    /// Creates an account as an administrator would and leaves it pending (its holder has not
    /// signed in yet); returns what the administrator was shown.
    pub async fn create_pending(
        &self,
        username: &str,
        roles: &[rongrian::domain::staff::Role],
    ) -> rongrian::staff::accounts::Credentials {
        use rongrian::domain::staff::{Roles, Username};
        use rongrian::staff::accounts::{self, NewStaff};
        let secrets = self.secrets();
        let ctx = self.admin_context(&secrets, "boss");
        let username = Username::parse(username).expect("username");
        let email = format!("{}@example.go.th", username.as_str());
        let new = NewStaff {
            username: &username,
            display_name: "เจ้าหน้าที่ทดสอบ",
            roles: &Roles::new(roles.iter().copied()),
            email: Some(&email),
        };
        accounts::create(&ctx, &new).await.expect("create account")
    }

    /// The holder of a pending account signs in for the first time and sets their own password.
    pub async fn complete_setup(&self, username: &str) -> Officer {
        use rongrian::staff::accounts;
        use sqlx::Row;
        let id: i64 = sqlx::query("SELECT id FROM accounts WHERE username = $1")
            .bind(username.to_owned())
            .fetch_one(self.state.store.pool())
            .await
            .expect("account")
            .try_get(0)
            .expect("id");
        // Long, with the name in it, so zxcvbn accepts it and each account's differs.
        let password = format!("{username}-ลำธารใสภูเขาสูงชัน-2569");
        let totp = match accounts::complete_setup(&self.state, id, zeroize::Zeroizing::new(password.clone()))
            .await
        {
            Ok(accounts::Setup::Done(t)) => t,
            _ => panic!("first sign-in setup failed"),
        };
        Officer { username: username.to_owned(), password, totp_secret: totp.base32.to_string() }
    }

    /// Who changes measures in a test, for the audit trail.
    pub fn changer(&self) -> rongrian::report::measures_file::Changer<'_> {
        rongrian::report::measures_file::Changer {
            audit_key: &self.state.audit_key,
            actor: "test",
            today: self.clock.today(),
        }
    }

    /// The installation's secret files.
    pub fn secrets(&self) -> rongrian::setup::Secrets {
        setup::load_secrets(&DataPaths::new(&self.data_dir)).expect("secrets")
    }

    /// The officer's current TOTP code by the app's clock.
    pub fn totp_code(&self, officer: &Officer) -> String {
        let secret = totp_rs::Secret::try_from_base32(&officer.totp_secret).expect("base32");
        let t = totp_rs::Builder::new()
            .with_secret(secret)
            .with_account_name(officer.username.as_str())
            .with_issuer(Some("Rongrian"))
            .build()
            .expect("totp");
        let now = u64::try_from(self.clock.now_utc().unix_timestamp()).expect("time");
        t.generate(now).to_string()
    }

    /// Posts the login form; returns the response (303 with a session cookie on success).
    pub async fn try_login(
        &self,
        client: &reqwest::Client,
        username: &str,
        password: &str,
        code: &str,
    ) -> reqwest::Response {
        let session = self.form_session(client, "/staff/login").await;
        self.post_form(
            client,
            "/staff/login",
            &session,
            &[("username", username), ("password", password), ("code", code)],
        )
        .await
    }

    /// Signs in and returns a Cookie header value carrying the session and a CSRF cookie, plus the
    /// CSRF token for forms.
    pub async fn login(&self, client: &reqwest::Client, officer: &Officer) -> StaffSession {
        let session = self.form_session(client, "/staff/login").await;
        let code = self.totp_code(officer);
        let r = self
            .post_form(
                client,
                "/staff/login",
                &session,
                &[("username", &officer.username), ("password", &officer.password), ("code", &code)],
            )
            .await;
        assert_eq!(r.status(), 303, "login of {}", officer.username);
        let cookie = session_cookie(&r).expect("session cookie");
        StaffSession { cookie: format!("{cookie}; {}", session.cookie), csrf: session.token }
    }
}

pub struct StaffSession {
    pub cookie: String,
    pub csrf: String,
}

pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("rongrian_session=") && !v.contains("Max-Age=0"))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

impl TestApp {
    pub async fn staff_get(
        &self,
        client: &reqwest::Client,
        s: &StaffSession,
        path: &str,
    ) -> reqwest::Response {
        client.get(self.url(path)).header(reqwest::header::COOKIE, &s.cookie).send().await.expect("get")
    }

    pub async fn staff_post(
        &self,
        client: &reqwest::Client,
        s: &StaffSession,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut all: Vec<(&str, &str)> = vec![("authenticity_token", s.csrf.as_str())];
        all.extend_from_slice(fields);
        client
            .post(self.url(path))
            .header(reqwest::header::COOKIE, &s.cookie)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(&all).expect("encode"))
            .send()
            .await
            .expect("post")
    }
}
