//! `/metrics` in the Prometheus text format, served on a listen address of its own (off by
//! default), never on the public one. Labels are route templates, methods, statuses and limiter
//! groups only: nothing that could name a case, a client or a reporter.
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// The route's template (`/staff/cases/{reference}`), or `unmatched`.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GroupLabels {
    pub group: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChannelLabels {
    pub channel: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

#[derive(Clone)]
pub struct LatencyBuckets;

impl MetricConstructor<Histogram> for LatencyBuckets {
    fn new_metric(&self) -> Histogram {
        // 1 ms to about 16 s.
        Histogram::new(exponential_buckets(0.001, 2.0, 15))
    }
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, LatencyBuckets>,
    submissions: Family<ChannelLabels, Counter>,
    lookups: Counter,
    rejections: Family<GroupLabels, Counter>,
    outbox_depth: Gauge,
    /// Passes of the outbox worker, by outcome: a count that stops growing means mail stopped.
    outbox_passes: Family<OutcomeLabels, Counter>,
    /// Read from the store at each scrape: writes committed and the commits that carried them
    /// (their ratio is how well group commit batches).
    db_writes: Gauge,
    db_commits: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("rongrian");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::new_with_constructor(LatencyBuckets);
        let submissions = Family::<ChannelLabels, Counter>::default();
        let lookups = Counter::default();
        let rejections = Family::<GroupLabels, Counter>::default();
        let outbox_depth = Gauge::default();
        let outbox_passes = Family::<OutcomeLabels, Counter>::default();
        let (db_writes, db_commits) = (Gauge::default(), Gauge::default());
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route template",
            latency.clone(),
        );
        registry.register("submissions", "Complaints filed, by channel (api, form)", submissions.clone());
        registry.register(
            "lookups",
            "Look-ups of a case by its submission token that found it",
            lookups.clone(),
        );
        registry.register("rate_limited", "Requests refused by a rate limiter, by group", rejections.clone());
        registry.register("outbox_depth", "Mails waiting in the outbox (not given up)", outbox_depth.clone());
        registry.register(
            "outbox_passes",
            "Passes of the outbox worker, by outcome (ok, failed)",
            outbox_passes.clone(),
        );
        registry.register(
            "db_writes_committed",
            "Write transactions committed since start",
            db_writes.clone(),
        );
        registry.register(
            "db_commits",
            "Database commits since start (writes waiting together share one)",
            db_commits.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            submissions,
            lookups,
            rejections,
            outbox_depth,
            outbox_passes,
            db_writes,
            db_commits,
        }
    }

    pub fn submitted(&self, channel: &'static str) {
        self.submissions.get_or_create(&ChannelLabels { channel }).inc();
    }

    pub fn looked_up(&self) {
        self.lookups.inc();
    }

    pub fn rate_limited(&self, group: &'static str) {
        self.rejections.get_or_create(&GroupLabels { group }).inc();
    }

    pub fn outbox_pass(&self, ok: bool) {
        let outcome = if ok { "ok" } else { "failed" };
        self.outbox_passes.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// Outbox passes finished since start, whatever their outcome.
    pub fn outbox_passes(&self) -> u64 {
        ["ok", "failed"]
            .iter()
            .map(|&outcome| self.outbox_passes.get_or_create(&OutcomeLabels { outcome }).get())
            .sum()
    }

    fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Counts every request and its time, by route template (not by path: a path can hold a reference).
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics
        .latency
        .get_or_create(&RouteLabels { method: method.clone(), route: route.clone() })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels { method, route, status: response.status().as_u16() })
        .inc();
    response
}

/// `GET /metrics` on the metrics listener.
pub async fn scrape(State(state): State<AppState>) -> Response {
    if let Ok(mut conn) = state.store.pool().acquire().await
        && let Ok(depth) =
            crate::storage::outbox::depth(&mut conn, i64::from(state.settings.notify.max_attempts)).await
    {
        state.metrics.outbox_depth.set(depth);
    }
    let writes = state.store.write_stats();
    state.metrics.db_writes.set(i64::try_from(writes.writes).unwrap_or(i64::MAX));
    state.metrics.db_commits.set(i64::try_from(writes.batches).unwrap_or(i64::MAX));
    match state.metrics.encode() {
        Ok(text) => {
            ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
                .into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The metrics listener's router: `/metrics` and nothing else.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new().route("/metrics", axum::routing::get(scrape)).with_state(state)
}
