//! HTTP: routes, layers and the mapping of errors to responses.
pub mod api;
pub mod assets;
pub mod client_addr;
pub mod error;
pub mod form;
pub mod lang;
pub mod metrics;
pub mod middleware;
pub mod ops;
pub mod pages;
pub mod serve;
pub mod staff_session;
pub mod upload;

use crate::state::AppState;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use error::{ApiError, AppError, PageError};
use middleware::{headers, rate_limit, staff_forms, telemetry};
use std::time::Duration;
use tower_http::timeout::TimeoutLayer;

async fn not_found(request: Request) -> Response {
    if request.uri().path().starts_with("/api/") {
        ApiError(AppError::NotFound).into_response()
    } else {
        PageError(AppError::NotFound, lang::Lang::from_headers(request.headers())).into_response()
    }
}

pub fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    let upload_limit = upload::body_limit(&state.evidence, settings.server.max_body_bytes);
    // Pages and API calls get the ordinary time limit; uploads, downloads, exports and hand-overs
    // (which re-seal files) move whole files and get the evidence one.
    let quick = || {
        TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(settings.server.request_timeout_secs),
        )
    };
    let long = || {
        TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(settings.evidence.transfer_timeout_secs),
        )
    };
    let big = || DefaultBodyLimit::max(upload_limit);
    let submit = Router::new()
        .route("/api/v1/complaints", post(api::v1::submit))
        .route_layer(quick())
        .merge(
            Router::new()
                .route("/report/{track}", post(pages::public::submit_complaint).layer(big()))
                .route_layer(long()),
        )
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::submit));
    let lookup = Router::new()
        .route("/follow-up", post(pages::public::follow_up))
        .route("/api/v1/complaints/status", get(api::v1::status))
        .route_layer(quick())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::lookup));
    let login = Router::new()
        .route("/staff/login", post(pages::staff::login))
        .route_layer(quick())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), staff_forms::guard))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::login));
    let follow_up = Router::new()
        .route("/follow-up/message", post(pages::public::add_message))
        .route("/api/v1/complaints/messages", post(api::v1::add_message))
        .route_layer(quick())
        .merge(
            Router::new()
                .route("/follow-up/files", post(pages::public::add_files).layer(big()))
                .route("/api/v1/complaints/attachments", post(api::v1::add_attachments).layer(big()))
                .route_layer(long()),
        )
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::follow_up));
    let transfers = Router::new()
        .route("/staff/cases/{reference}/unit", post(pages::staff_case::reassign))
        .route("/staff/cases/{reference}/files", post(pages::staff_case::attach_files).layer(big()))
        .route("/staff/cases/{reference}/files/{id}", get(pages::staff_case::download_file))
        .route("/staff/audit.csv", get(pages::audit::export))
        .route_layer(long());
    let browse = Router::new()
        .route("/", get(pages::public::home))
        .route("/report/{track}", get(pages::public::complaint_form))
        .route("/follow-up", get(pages::public::follow_up_form))
        .route("/privacy", get(pages::public::privacy))
        .route("/statistics", get(pages::public_reports::statistics))
        .route("/manual", get(pages::public_reports::manual_page))
        .route("/manual.docx", get(pages::public_reports::manual_docx))
        .route("/protection", get(pages::public_reports::protection))
        .route("/staff/admin/reports", get(pages::reports::reports))
        .route("/staff/admin/reports/download", get(pages::reports::download))
        .route("/staff/admin/reports/memo", get(pages::reports::memo))
        .route(
            "/staff/admin/measures",
            get(pages::reports::measures_list).post(pages::reports::measures_save),
        )
        .route("/lang/{code}", get(pages::public::set_lang))
        .route("/assets/{name}", get(assets::asset))
        .route("/api/v1/openapi.json", get(api::openapi::document))
        .route("/staff", get(pages::staff::case_list))
        .route("/staff/login", get(pages::staff::login_form))
        .route("/staff/admin/outbox", get(pages::staff::outbox))
        .route("/staff/admin/users", get(pages::staff_admin::users).post(pages::staff_admin::user_action))
        .route("/staff/setup", get(pages::staff_admin::setup_form).post(pages::staff_admin::setup))
        .route(
            "/staff/password",
            get(pages::staff_admin::password_form).post(pages::staff_admin::change_password),
        )
        .route("/staff/units", get(pages::staff_admin::units).post(pages::staff_admin::grant))
        .route("/staff/cases/{reference}/measures", post(pages::staff_case::link_measures))
        .route("/staff/logout", post(pages::staff::logout))
        .route("/staff/cases/new", get(pages::staff::new_case_form).post(pages::staff::new_case))
        .route("/staff/cases/{reference}", get(pages::staff_case::case_page))
        .route("/staff/cases/{reference}/messages", post(pages::staff_case::send_message))
        .route("/staff/cases/{reference}/status", post(pages::staff_case::change_status))
        .route("/staff/cases/{reference}/identity-request", post(pages::identity::request_identity))
        .route("/staff/cases/{reference}/identity", get(pages::identity::disclosed))
        .route("/staff/identity", get(pages::identity::custody))
        .route("/staff/audit", get(pages::audit::audit_page))
        .route("/staff/identity/decide", post(pages::identity::decide))
        .route("/staff/identity/open", post(pages::identity::open_identity))
        .route("/staff/identity/grant", post(pages::identity::grant_custody))
        .route_layer(quick())
        .merge(transfers)
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), staff_forms::guard))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::browse));

    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route_layer(quick())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::ops))
        .merge(submit)
        .merge(lookup)
        .merge(follow_up)
        .merge(login)
        .merge(browse)
        .fallback_service(
            axum::routing::any(not_found)
                .layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::unknown))
                .with_state(state.clone()),
        )
        .layer(DefaultBodyLimit::max(settings.server.max_body_bytes))
        .layer(axum::middleware::from_fn(headers::security_headers))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::record))
        .layer(axum::middleware::from_fn(telemetry::trace_request))
        .with_state(state)
}
