//! What every request handler shares.
use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::token_hash::TokenHasher;
use crate::domain::routing::RoutingRules;
use crate::http::middleware::rate_limit::Limiters;
use crate::keyring::Keyring;
use crate::storage::Store;
use crate::storage::audit::AuditKey;
use axum::extract::FromRef;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub keyring: Arc<Keyring>,
    pub token_hasher: TokenHasher,
    pub audit_key: AuditKey,
    /// Opens the sealed TOTP secrets (derived from a secret file, never stored).
    pub totp_key: Arc<age::x25519::Identity>,
    /// The password pepper's secret (argon2's secret input; never rotated).
    pub pepper_key: Arc<zeroize::Zeroizing<[u8; 32]>>,
    /// The secret that TOTP secrets are sealed with (new ones made from the admin page).
    pub totp_secret_key: Arc<zeroize::Zeroizing<[u8; 32]>>,
    /// Seals a session's start and last use (keyed from the cookie key).
    pub session_times: Arc<crate::crypto::sealed_time::TimeSealer>,
    pub metrics: Arc<crate::http::metrics::Metrics>,
    /// Seals an officer's last TOTP step (keyed from the TOTP key).
    pub totp_steps: Arc<crate::crypto::sealed_time::TimeSealer>,
    pub routing: Arc<RoutingRules>,
    pub calendar: Arc<crate::domain::deadline::Calendar>,
    pub limiters: Arc<Limiters>,
    pub csrf: axum_csrf::CsrfConfig,
    pub clock: Clock,
    pub mailer: crate::notify::mailer::Mailer,
    pub evidence: crate::evidence::Evidence,
}

impl FromRef<AppState> for axum_csrf::CsrfConfig {
    fn from_ref(state: &AppState) -> Self {
        state.csrf.clone()
    }
}
