//! One span per request, named by the route template (never the path, which could carry a
//! reference), with a random request id. No address, user agent, query or body is recorded.
//! Reporter actions (submit, look up, follow up) are not logged unless they fail on our side: a
//! timestamped "201 on /report" line would date each anonymous submission to the second.
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

const REPORTER_ROUTES: &[&str] = &[
    "/report/{track}",
    "/follow-up",
    "/follow-up/message",
    "/api/v1/complaints",
    "/api/v1/complaints/status",
    "/api/v1/complaints/messages",
];

pub async fn trace_request(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().clone();
    let request_id = uuid::Uuid::new_v4();
    let reporter_action = REPORTER_ROUTES.contains(&route.as_str());
    let span = tracing::info_span!("request", %method, route = %route, %request_id);
    async move {
        let started = std::time::Instant::now();
        let response = next.run(request).await;
        let status = response.status();
        if status.is_server_error() || !reporter_action {
            tracing::info!(
                status = status.as_u16(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "done"
            );
        }
        response
    }
    .instrument(span)
    .await
}
