//! Building and running the service: `App::build` binds the listener and returns, so tests run the
//! real service on a random port; `run_until` serves until shutdown, letting requests finish.
use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::token_hash::TokenHasher;
use crate::http::middleware::rate_limit::Limiters;
use crate::keyring::{Keyring, KeyringError};
use crate::setup::{DataPaths, SetupError, load_secrets};
use crate::state::AppState;
use crate::storage::audit::AuditKey;
use crate::storage::{StorageError, Store};
use axum_csrf::{CsrfConfig, Key, SameSite};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error("configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Staff(#[from] crate::staff::StaffError),
    #[error(transparent)]
    Mail(#[from] crate::notify::mailer::MailError),
    #[error(transparent)]
    Evidence(#[from] crate::evidence::EvidenceError),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: SocketAddr, reason: String },
}

pub struct App {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    router: axum::Router,
    state: AppState,
    grace: Duration,
}

fn csrf_config(cookie_key: &[u8; 32], secure: bool) -> CsrfConfig {
    // The cookie crate wants 64 bytes of key material; expand the 32-byte secret with BLAKE3's XOF.
    let mut material = zeroize::Zeroizing::new([0u8; 64]);
    blake3::Hasher::new_derive_key("rongrian csrf cookie key v1")
        .update(cookie_key)
        .finalize_xof()
        .fill(material.as_mut());
    let salt = blake3::derive_key("rongrian csrf salt v1", cookie_key);
    let salt_hex: String = salt.iter().map(|b| format!("{b:02x}")).collect();
    CsrfConfig::default()
        .with_key(Some(Key::from(material.as_ref())))
        .with_salt(salt_hex)
        .with_cookie_name("csrf")
        .with_prefix_with_host(secure)
        .with_secure(secure)
        .with_http_only(true)
        .with_cookie_same_site(SameSite::Strict)
        // A session cookie: no expiry date written to a shared device's disk.
        .with_lifetime(time::Duration::ZERO)
}

use crate::crypto::sealed_time::{self, TimeSealer};

impl App {
    pub async fn build(settings: Settings, store: Store, clock: Clock) -> Result<Self, StartError> {
        let paths = DataPaths::new(&settings.server.data_dir);
        let secrets = load_secrets(&paths)?;
        crate::setup::check_secret_fingerprints(&store, &paths, &secrets).await?;
        let keyring = Keyring::load(&store, &settings.unit_codes()).await?;
        let routing = settings.routing_rules()?;
        let state = AppState {
            token_hasher: TokenHasher::new(secrets.token_hash_key),
            audit_key: AuditKey::anchored(secrets.audit_key, &settings.server.data_dir),
            totp_key: Arc::new(crate::staff::accounts::totp_identity(&secrets.totp_key)?),
            pepper_key: Arc::new(secrets.password_pepper.clone()),
            totp_secret_key: Arc::new(secrets.totp_key.clone()),
            metrics: Arc::new(crate::http::metrics::Metrics::new()),
            session_times: Arc::new(TimeSealer::new(sealed_time::SESSION_TIMES, &secrets.cookie_key)),
            totp_steps: Arc::new(TimeSealer::new(sealed_time::TOTP_STEP, &secrets.totp_key)),
            csrf: csrf_config(&secrets.cookie_key, settings.server.secure_cookies),
            limiters: Arc::new(Limiters::new(&settings.limits, clock.clone())),
            keyring: Arc::new(keyring),
            routing: Arc::new(routing),
            calendar: Arc::new(settings.deadlines.calendar()?),
            mailer: crate::notify::mailer::Mailer::from_settings(&settings.smtp)?,
            evidence: crate::evidence::Evidence {
                vault: Arc::new(crate::evidence::Vault::open(
                    &settings.evidence.store,
                    &settings.server.data_dir,
                )?),
                limits: Arc::new(settings.evidence.limits()?),
            },
            store,
            clock,
            settings: Arc::new(settings),
        };
        let addr = state.settings.server.listen;
        let listener =
            TcpListener::bind(addr).await.map_err(|e| StartError::Listen { addr, reason: e.to_string() })?;
        let router = crate::http::router(state.clone());
        let metrics_listener = match state.settings.metrics.listen.trim() {
            "" => None,
            text => {
                let addr: SocketAddr = text.parse().map_err(|_| StartError::Listen {
                    addr,
                    reason: format!("[metrics] listen = {text:?} is not an address:port"),
                })?;
                Some(
                    TcpListener::bind(addr)
                        .await
                        .map_err(|e| StartError::Listen { addr, reason: e.to_string() })?,
                )
            }
        };
        let grace = Duration::from_secs(state.settings.server.shutdown_grace_secs);
        Ok(Self { listener, metrics_listener, router, state, grace })
    }

    /// Where `/metrics` is served, when it is on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish for up to the grace
    /// period. Every write is a single transaction, so a request cut off at the deadline leaves
    /// nothing half-written.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let limiters = self.state.limiters.clone();
        let (pool, audit_key) = (self.state.store.pool().clone(), self.state.audit_key.clone());
        let sweeper = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                limiters.retain_recent();
                if let Err(e) = crate::storage::audit::refresh_anchor(&pool, &audit_key).await {
                    tracing::warn!(error = %e, "could not refresh the audit anchor");
                }
            }
        });
        let outbox = tokio::spawn(crate::notify::worker::run(self.state.clone(), self.state.mailer.clone()));
        // The metrics listener is for the monitoring host only; it ends with the process.
        let metrics = self.metrics_listener.map(|listener| {
            let router = crate::http::metrics::router(self.state.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::warn!(error = %e, "the metrics listener stopped");
                }
            })
        });
        let server = &self.state.settings.server;
        let limits = crate::http::serve::ListenLimits {
            header_timeout: Duration::from_secs(server.header_timeout_secs),
            max_connections: server.max_connections,
        };
        let result =
            crate::http::serve::serve(self.listener, self.router, limits, shutdown, self.grace).await;
        sweeper.abort();
        outbox.abort();
        if let Some(m) = metrics {
            m.abort();
        }
        self.state.store.close().await;
        result
    }
}

/// Registers for SIGTERM and Ctrl-C at once (before the listener accepts anything, so an early
/// SIGTERM is a graceful stop, not a kill) and resolves when either arrives.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        #[cfg(unix)]
        let term = async move {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! { () = ctrl_c => {}, () = term => {} }
        tracing::info!("shutdown requested; finishing in-flight requests");
    }
}
