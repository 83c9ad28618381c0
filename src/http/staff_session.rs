//! The signed-in officer of a request, from the session cookie. Pages that need one redirect to the
//! login page without it; the personal key it opens lives only as long as the request.
use super::error::{AppError, PageError};
use super::lang::Lang;
use crate::staff::auth::{self, StaffUser};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

/// The cookie's name: `__Host-` (Secure, Path=/, no Domain) unless secure cookies are off.
pub fn cookie_name(secure: bool) -> String {
    if secure { format!("__Host-{}", auth::COOKIE) } else { auth::COOKIE.to_owned() }
}

pub fn session_cookie_value(parts_headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    parts_headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub struct Staff(pub StaffUser);

/// The only pages a pending account may use.
const SETUP_PATHS: &[&str] = &["/staff/setup", "/staff/logout"];

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let name = cookie_name(state.settings.server.secure_cookies);
        let lang = Lang::from_headers(&parts.headers);
        let Some(value) = session_cookie_value(&parts.headers, &name) else {
            return Err(Redirect::to("/staff/login").into_response());
        };
        match auth::resume(state, &value).await {
            // An account someone else set up does nothing before its holder replaces the credentials.
            Ok(Some(user)) if user.pending_setup && !SETUP_PATHS.contains(&parts.uri.path()) => {
                Err(Redirect::to("/staff/setup").into_response())
            }
            Ok(Some(user)) => Ok(Staff(user)),
            Ok(None) => Err(Redirect::to("/staff/login").into_response()),
            Err(e) => Err(PageError(AppError::internal(&e), lang).into_response()),
        }
    }
}
