//! Per-client and global rate limits (governor). Keys are client addresses held only in this
//! process's memory, never stored or logged; limits are per instance.
use crate::clock::Clock;
use crate::config::{LimitSettings, QuotaSettings};
use crate::http::client_addr::client_addr;
use crate::http::error::{ApiError, AppError, PageError};
use crate::http::lang::Lang;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

type Keyed =
    RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, Clock, NoOpMiddleware<governor::nanos::Nanos>>;
type Global = RateLimiter<NotKeyed, InMemoryState, Clock, NoOpMiddleware<governor::nanos::Nanos>>;

#[derive(Clone, Copy, Debug)]
pub enum Group {
    Submit,
    Lookup,
    FollowUp,
}

pub struct Limiters {
    submit: Keyed,
    lookup: Keyed,
    follow_up: Keyed,
    global: Global,
    clock: Clock,
}

fn quota(q: QuotaSettings) -> Quota {
    let burst = NonZeroU32::new(q.burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(Duration::from_millis(q.period_ms.max(1)))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl Limiters {
    pub fn new(settings: &LimitSettings, clock: Clock) -> Self {
        let keyed = |q| RateLimiter::new(quota(q), DefaultKeyedStateStore::default(), clock.clone());
        Self {
            submit: keyed(settings.submit),
            lookup: keyed(settings.lookup),
            follow_up: keyed(settings.follow_up),
            global: RateLimiter::direct_with_clock(quota(settings.global), clock.clone()),
            clock,
        }
    }

    fn check(&self, group: Option<Group>, ip: IpAddr) -> Result<(), u64> {
        let now = self.clock.now();
        let wait = |d: Duration| d.as_secs() + u64::from(d.subsec_nanos() > 0);
        let limiter = match group {
            Some(Group::Submit) => &self.submit,
            Some(Group::Lookup) => &self.lookup,
            Some(Group::FollowUp) => &self.follow_up,
            None => return self.global.check().map_err(|n| wait(n.wait_time_from(now)).max(1)),
        };
        limiter.check_key(&ip).map_err(|n| wait(n.wait_time_from(now)).max(1))
    }

    /// Forgets keys whose limits have fully recovered, so memory stays bounded under a flood.
    pub fn retain_recent(&self) {
        self.submit.retain_recent();
        self.lookup.retain_recent();
        self.follow_up.retain_recent();
    }
}

fn refuse(request: &Request, retry_after_secs: u64) -> Response {
    let error = AppError::RateLimited { retry_after_secs: retry_after_secs.max(1) };
    if request.uri().path().starts_with("/api/") {
        ApiError(error).into_response()
    } else {
        PageError(error, Lang::from_headers(request.headers())).into_response()
    }
}

async fn limit(state: &AppState, group: Option<Group>, request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let ip = client_addr(peer, request.headers(), &state.settings.server.trusted_proxies);
    match state.limiters.check(group, ip) {
        Ok(()) => next.run(request).await,
        Err(retry) => refuse(&request, retry),
    }
}

pub async fn global(State(state): State<AppState>, request: Request, next: Next) -> Response {
    limit(&state, None, request, next).await
}

pub async fn submit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    limit(&state, Some(Group::Submit), request, next).await
}

pub async fn lookup(State(state): State<AppState>, request: Request, next: Next) -> Response {
    limit(&state, Some(Group::Lookup), request, next).await
}

pub async fn follow_up(State(state): State<AppState>, request: Request, next: Next) -> Response {
    limit(&state, Some(Group::FollowUp), request, next).await
}
