//! Styles and fonts compiled into the binary, so the service needs no other origin and no files.
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const ASSETS: &[(&str, &str, &[u8])] = &[
    ("site.css", "text/css; charset=utf-8", include_bytes!("../../templates/assets/site.css")),
    ("report.css", "text/css; charset=utf-8", include_bytes!("../../templates/assets/report.css")),
    ("Laksaman.woff", "font/woff", include_bytes!("../../templates/assets/Laksaman.woff")),
    ("Laksaman-Bold.woff", "font/woff", include_bytes!("../../templates/assets/Laksaman-Bold.woff")),
];

pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, mime, bytes)) => {
            let mut response = (*bytes).into_response();
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
            response
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
