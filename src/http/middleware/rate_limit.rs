//! Per-client and per-group global rate limits (governor). Every route belongs to a group with a
//! per-client limit, checked first, and a global cap of its own: only requests that pass their
//! client's limit count against the cap, so one client cannot use it up, and each group has its own,
//! so a flood of cheap page views cannot starve submissions. Keys are client addresses (IPv6 by /64)
//! held only in this process's memory, never stored or logged; limits are per instance.
use crate::clock::Clock;
use crate::config::{GroupLimit, LimitSettings, QuotaSettings};
use crate::http::error::{ApiError, AppError, PageError};
use crate::http::lang::Lang;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

type Keyed =
    RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, Clock, NoOpMiddleware<governor::nanos::Nanos>>;
type Global = RateLimiter<NotKeyed, InMemoryState, Clock, NoOpMiddleware<governor::nanos::Nanos>>;
type PerAccount = RateLimiter<
    (IpAddr, String),
    DefaultKeyedStateStore<(IpAddr, String)>,
    Clock,
    NoOpMiddleware<governor::nanos::Nanos>,
>;

#[derive(Clone, Copy, Debug)]
pub enum Group {
    Submit,
    Lookup,
    FollowUp,
    Browse,
    Login,
    Ops,
    Unknown,
}

impl Group {
    /// The group's name in metrics.
    pub fn label(self) -> &'static str {
        match self {
            Group::Submit => "submit",
            Group::Lookup => "lookup",
            Group::FollowUp => "follow_up",
            Group::Browse => "browse",
            Group::Login => "login",
            Group::Ops => "ops",
            Group::Unknown => "unknown",
        }
    }
}

/// One group's limiters: per client, and all its clients together.
struct GroupLimiter {
    client: Keyed,
    global: Global,
}

pub struct Limiters {
    submit: GroupLimiter,
    lookup: GroupLimiter,
    follow_up: GroupLimiter,
    browse: GroupLimiter,
    login: GroupLimiter,
    ops: GroupLimiter,
    unknown: GroupLimiter,
    /// Attempts on one account from one address: guessing one officer's password slows down, while
    /// the officer, signing in from elsewhere, is never locked out.
    login_account: PerAccount,
    clock: Clock,
}

/// The limiter key: an IPv4 address, or the /64 an IPv6 client controls (one host can rotate through
/// its whole /64). IPv4-mapped IPv6 addresses count as the IPv4 address.
pub fn rate_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::V6(segments.into())
        }
        v4 => v4,
    }
}

fn quota(q: QuotaSettings) -> Quota {
    let burst = NonZeroU32::new(q.burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(Duration::from_millis(q.period_ms.max(1)))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl Limiters {
    pub fn new(settings: &LimitSettings, clock: Clock) -> Self {
        let group = |g: GroupLimit| GroupLimiter {
            client: RateLimiter::new(quota(g.client()), DefaultKeyedStateStore::default(), clock.clone()),
            global: RateLimiter::direct_with_clock(quota(g.global()), clock.clone()),
        };
        Self {
            submit: group(settings.submit),
            lookup: group(settings.lookup),
            follow_up: group(settings.follow_up),
            browse: group(settings.browse),
            login: group(settings.login),
            ops: group(settings.ops),
            unknown: group(settings.unknown),
            login_account: RateLimiter::new(
                quota(settings.login_account),
                DefaultKeyedStateStore::default(),
                clock.clone(),
            ),
            clock,
        }
    }

    fn group(&self, group: Group) -> &GroupLimiter {
        match group {
            Group::Submit => &self.submit,
            Group::Lookup => &self.lookup,
            Group::FollowUp => &self.follow_up,
            Group::Browse => &self.browse,
            Group::Login => &self.login,
            Group::Ops => &self.ops,
            Group::Unknown => &self.unknown,
        }
    }

    fn check(&self, group: Group, ip: IpAddr) -> Result<(), u64> {
        let now = self.clock.now();
        let wait = |d: Duration| (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1);
        let limiter = self.group(group);
        limiter.client.check_key(&rate_key(ip)).map_err(|n| wait(n.wait_time_from(now)))?;
        limiter.global.check().map_err(|n| wait(n.wait_time_from(now)))
    }

    /// Checks an attempt on `username` from `ip`; the seconds to wait when refused.
    pub fn check_login_account(&self, ip: IpAddr, username: &str) -> Result<(), u64> {
        let now = self.clock.now();
        let key = (rate_key(ip), username.trim().to_lowercase().chars().take(64).collect::<String>());
        self.login_account.check_key(&key).map_err(|n| {
            let d = n.wait_time_from(now);
            (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
        })
    }

    /// Forgets keys whose limits have fully recovered, so memory stays bounded under a flood.
    pub fn retain_recent(&self) {
        for g in
            [&self.submit, &self.lookup, &self.follow_up, &self.browse, &self.login, &self.ops, &self.unknown]
        {
            g.client.retain_recent();
        }
        self.login_account.retain_recent();
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

async fn limit(state: &AppState, group: Group, request: Request, next: Next) -> Response {
    let ip = crate::http::client_addr::of_request(request.extensions(), request.headers(), state);
    match state.limiters.check(group, ip) {
        Ok(()) => next.run(request).await,
        Err(retry) => {
            state.metrics.rate_limited(group.label());
            refuse(&request, retry)
        }
    }
}

/// Login attempts per address: guessing from one address slows down, while an officer signing in
/// from another address is not affected (there is no account lockout an attacker could trigger).
pub async fn login(State(state): State<AppState>, request: Request, next: Next) -> Response {
    limit(&state, Group::Login, request, next).await
}

pub async fn browse(State(state): State<AppState>, request: Request, next: Next) -> Response {
    limit(&state, Group::Browse, request, next).await
}

pub async fn submit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    limit(&state, Group::Submit, request, next).await
}

pub async fn lookup(State(state): State<AppState>, request: Request, next: Next) -> Response {
    limit(&state, Group::Lookup, request, next).await
}

pub async fn follow_up(State(state): State<AppState>, request: Request, next: Next) -> Response {
    limit(&state, Group::FollowUp, request, next).await
}

pub async fn ops(State(state): State<AppState>, request: Request, next: Next) -> Response {
    limit(&state, Group::Ops, request, next).await
}

pub async fn unknown(State(state): State<AppState>, request: Request, next: Next) -> Response {
    limit(&state, Group::Unknown, request, next).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_and_mapped_ipv4_by_the_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(rate_key(a), rate_key(b));
        assert_ne!(rate_key(a), rate_key(c));
        let mapped: IpAddr = "::ffff:203.0.113.5".parse().unwrap();
        assert_eq!(rate_key(mapped), "203.0.113.5".parse::<IpAddr>().unwrap());
    }
}
