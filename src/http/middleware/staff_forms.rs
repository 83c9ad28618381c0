//! A staff form whose CSRF token no longer matches (the page sat open past a new sign-in, or the
//! service restarted with a new cookie key) comes back as a staff page that says nothing was done,
//! shows what the officer wrote in the form's free-text fields, so it is not lost, and leads back
//! to the page the form was on. Nothing is re-submitted from it: a forged request cannot become a
//! one-click action. The handlers still check the token themselves; this only answers first.
use crate::http::error::{AppError, PageError};
use crate::http::lang::Lang;
use crate::http::pages::common::{Nav, token_of};
use crate::http::pages::render::{Chrome, render_with_status};
use crate::http::staff_session::Staff;
use crate::state::AppState;
use askama::Template;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_csrf::CsrfToken;

/// The free-text fields of the staff forms worth keeping, with what the officer calls them.
/// Passwords, codes and identifiers are never shown back.
const KEPT: &[(&str, &str, &str)] = &[
    ("message", "ข้อความถึงผู้แจ้ง", "Message to the reporter"),
    ("note", "บันทึก", "Note"),
    ("reason", "เหตุผล", "Reason"),
    ("outcome", "ผลการพิจารณา", "Outcome"),
    ("title", "ชื่อมาตรการ", "Measure"),
    ("steps", "ขั้นตอนการดำเนินการ", "Steps"),
    ("output", "ผลการดำเนินการ", "Output"),
    ("responsible_text", "ผู้รับผิดชอบ", "Responsible"),
    ("subject", "เรื่อง", "Subject"),
    ("description", "รายละเอียด", "Details"),
];

pub struct KeptText {
    pub label: &'static str,
    pub text: String,
}

#[derive(Template)]
#[template(path = "staff/expired.html")]
pub struct ExpiredPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub nav: Option<Nav>,
    pub kept: Vec<KeptText>,
    pub back: String,
}

/// Where the officer goes back to: the page the form was on.
fn back_to(path: &str) -> String {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    match segments.as_slice() {
        // /staff/cases/{reference}/{action}: the case's page.
        ["", "staff", "cases", reference, _action] => format!("/staff/cases/{reference}"),
        ["", "staff", "identity", _action] => "/staff/identity".into(),
        ["", "staff", "logout"] => "/staff".into(),
        _ => path.to_owned(),
    }
}

fn is_form(request: &Request) -> bool {
    request.method() == Method::POST
        && request.uri().path().starts_with("/staff/")
        && request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !is_form(&request) {
        return next.run(request).await;
    }
    let l = Lang::from_headers(request.headers());
    let (mut parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, state.settings.server.max_body_bytes).await else {
        return PageError(AppError::PayloadTooLarge, l).into_response();
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let token = pairs.iter().find(|(k, _)| k == "authenticity_token").map_or("", |(_, v)| v.as_str());
    let csrf = CsrfToken::from_request_parts(&mut parts, &state).await.ok();
    if csrf.as_ref().is_some_and(|c| c.verify(token).is_ok()) {
        return next.run(Request::from_parts(parts, Body::from(bytes))).await;
    }
    // Without a signed-in officer the handler answers as it would (the sign-in page, or the login
    // form's own expired message): the session is checked before the form, as everywhere.
    let staff = match csrf {
        Some(_) => Staff::from_request_parts(&mut parts, &state).await.ok(),
        None => None,
    };
    let (Some(csrf), Some(Staff(user))) = (csrf, staff) else {
        return next.run(Request::from_parts(parts, Body::from(bytes))).await;
    };
    let nav = Some(Nav::of(&user));
    let kept = KEPT
        .iter()
        .filter_map(|(name, th, en)| {
            let text = pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim())?;
            (!text.is_empty())
                .then(|| KeptText { label: l.t(th, en), text: text.chars().take(20_000).collect() })
        })
        .collect();
    let page = ExpiredPage {
        chrome: Chrome::new(l, &state.settings.organisation, "/staff"),
        csrf: match token_of(&csrf, l) {
            Ok(t) => t,
            Err(e) => return e.into_response(),
        },
        nav,
        kept,
        back: back_to(parts.uri.path()),
    };
    (csrf, render_with_status(&page, StatusCode::FORBIDDEN)).into_response()
}

#[cfg(test)]
mod tests {
    use super::back_to;

    #[test]
    fn back_leads_to_the_page_the_form_was_on() {
        assert_eq!(back_to("/staff/cases/2569-0001/status"), "/staff/cases/2569-0001");
        assert_eq!(back_to("/staff/identity/decide"), "/staff/identity");
        assert_eq!(back_to("/staff/admin/users"), "/staff/admin/users");
        assert_eq!(back_to("/staff/logout"), "/staff");
        assert_eq!(back_to("/staff/cases/new"), "/staff/cases/new");
    }
}
