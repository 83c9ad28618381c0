//! The one place where errors become responses: a Thai (or English) page for browsers, a JSON
//! `{"error": {"code", "message"}}` for the API. Server errors show fixed text; their cause is
//! logged without secrets.
use super::lang::Lang;
use super::pages::render::{ErrorPage, render_with_status};
use crate::domain::submission::FieldError;
use crate::domain::token::TokenError;
use crate::intake::IntakeError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub enum AppError {
    /// Malformed request: bad encoding, unknown field, wrong type.
    BadRequest {
        code: &'static str,
        en: &'static str,
        th: &'static str,
    },
    Validation(Vec<FieldError>),
    /// Malformed input with a specific explanation.
    Invalid {
        code: &'static str,
        en: String,
        th: String,
    },
    Token(TokenError),
    /// No credential (the API's bearer token) at all.
    Unauthorized,
    /// The same answer for every token that matches no case.
    UnknownToken,
    Csrf,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited {
        retry_after_secs: u64,
    },
    NotFound,
    /// The same form was posted twice (a reload of the receipt page).
    AlreadySubmitted,
    CaseClosed,
    /// The action conflicts with the current state (a status changed meanwhile, say).
    Conflict {
        en: &'static str,
        th: &'static str,
    },
    /// An evidence file refused, or the evidence store failing, with its own status.
    Upload {
        status: StatusCode,
        code: &'static str,
        en: String,
        th: String,
    },
    /// The database cannot be reached now; nothing was saved and the request may be sent again.
    Unavailable(String),
    Internal(String),
}

/// Whether an error, or any error it came from, is the database being out of reach.
fn database_unavailable(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(sql) = e.downcast_ref::<sqlx::Error>() {
            return crate::storage::is_unavailable(sql);
        }
        current = e.source();
    }
    false
}

impl From<IntakeError> for AppError {
    fn from(e: IntakeError) -> Self {
        match e {
            IntakeError::AlreadySubmitted => AppError::AlreadySubmitted,
            IntakeError::CaseClosed => AppError::CaseClosed,
            IntakeError::TooManyFiles => AppError::Upload {
                status: StatusCode::CONFLICT,
                code: "too_many_files",
                en: "The case already holds the most files it may.".into(),
                th: "เรื่องนี้แนบไฟล์ครบจำนวนสูงสุดแล้ว".into(),
            },
            IntakeError::Moved => AppError::Conflict {
                en: "The case was just handed to another office. Nothing was saved; please send it again.",
                th: "เรื่องนี้เพิ่งถูกส่งต่อไปยังหน่วยงานอื่น ข้อความยังไม่ถูกบันทึก กรุณาส่งอีกครั้ง",
            },
            other => AppError::internal(&other),
        }
    }
}

impl AppError {
    /// A server-side failure: 503 when the database is out of reach, 500 otherwise.
    pub fn internal<E: std::error::Error + 'static>(error: &E) -> Self {
        if database_unavailable(error) {
            AppError::Unavailable(error.to_string())
        } else {
            AppError::Internal(error.to_string())
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } | AppError::Invalid { .. } | AppError::Token(_) => {
                StatusCode::BAD_REQUEST
            }
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::UnknownToken | AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::AlreadySubmitted | AppError::CaseClosed | AppError::Conflict { .. } => {
                StatusCode::CONFLICT
            }
            AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Upload { status, .. } => *status,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { code, .. }
            | AppError::Invalid { code, .. }
            | AppError::Upload { code, .. } => code,
            AppError::Validation(_) => "validation_failed",
            AppError::Token(e) => e.code(),
            AppError::UnknownToken => "unknown_token",
            AppError::Unauthorized => "missing_token",
            AppError::Csrf => "csrf_failed",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::NotFound => "not_found",
            AppError::AlreadySubmitted => "already_submitted",
            AppError::CaseClosed => "case_closed",
            AppError::Conflict { .. } => "conflict",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            AppError::BadRequest { en, .. } => (*en).to_owned(),
            AppError::Invalid { en, .. } | AppError::Upload { en, .. } => en.clone(),
            AppError::Validation(errors) => {
                let fields: Vec<String> =
                    errors.iter().map(|e| format!("{}: {}", e.field, e.problem.message_en())).collect();
                format!("The complaint has problems: {}", fields.join("; "))
            }
            AppError::Token(e) => e.to_string(),
            AppError::UnknownToken => "No case matches this token. Check it and try again.".into(),
            AppError::Unauthorized => "Send the submission token as `Authorization: Bearer <token>`.".into(),
            AppError::Csrf => {
                "The form has expired or did not come from this site. Reload the page and submit again."
                    .into()
            }
            AppError::PayloadTooLarge => "The request is too large.".into(),
            AppError::UnsupportedMediaType => "Send the request as application/json.".into(),
            AppError::RateLimited { retry_after_secs } => {
                format!("Too many requests. Try again in {retry_after_secs} seconds.")
            }
            AppError::NotFound => "There is no such page.".into(),
            AppError::AlreadySubmitted => "This form was already submitted, so it was not filed again. The follow-up code is shown only once, on the first submission; if you did not keep it, please file again or contact the office.".into(),
            AppError::CaseClosed => "This case is closed and no longer takes new information.".into(),
            AppError::Conflict { en, .. } => (*en).to_owned(),
            AppError::Unavailable(_) => {
                "The service cannot reach its database just now. Nothing was saved; please send it again in a minute.".into()
            }
            AppError::Internal(_) => {
                "Something went wrong on our side. Please try again later.".into()
            }
        }
    }

    pub fn message_th(&self) -> String {
        match self {
            AppError::BadRequest { th, .. } => (*th).to_owned(),
            AppError::Invalid { th, .. } | AppError::Upload { th, .. } => th.clone(),
            AppError::Validation(_) => "ข้อมูลที่กรอกยังไม่ถูกต้อง กรุณาตรวจสอบช่องที่มีข้อความแจ้งเตือน".into(),
            AppError::Token(e) => e.message_th().to_owned(),
            AppError::UnknownToken => "ไม่พบเรื่องที่ตรงกับรหัสติดตามนี้ กรุณาตรวจสอบรหัสแล้วลองอีกครั้ง".into(),
            AppError::Unauthorized => "กรุณาส่งรหัสติดตามเรื่องในส่วนหัว Authorization".into(),
            AppError::Csrf => "แบบฟอร์มหมดอายุหรือไม่ได้ส่งจากเว็บไซต์นี้ กรุณาโหลดหน้าใหม่แล้วส่งอีกครั้ง".into(),
            AppError::PayloadTooLarge => "ข้อมูลที่ส่งมีขนาดใหญ่เกินกำหนด".into(),
            AppError::UnsupportedMediaType => "รูปแบบข้อมูลไม่ถูกต้อง".into(),
            AppError::RateLimited { retry_after_secs } => {
                format!("มีการใช้งานถี่เกินไป กรุณารอประมาณ {retry_after_secs} วินาทีแล้วลองใหม่")
            }
            AppError::NotFound => "ไม่พบหน้าที่ท่านต้องการ".into(),
            AppError::AlreadySubmitted => "แบบฟอร์มนี้ส่งเรื่องไปแล้ว ระบบจึงไม่บันทึกซ้ำ รหัสติดตามเรื่องแสดงเพียงครั้งเดียวเมื่อส่งครั้งแรก หากท่านไม่ได้บันทึกรหัสไว้ โปรดยื่นเรื่องใหม่หรือติดต่อหน่วยงาน".into(),
            AppError::CaseClosed => "เรื่องนี้ดำเนินการเสร็จสิ้นแล้ว จึงไม่รับข้อมูลเพิ่มเติม".into(),
            AppError::Conflict { th, .. } => (*th).to_owned(),
            AppError::Unavailable(_) => {
                "ระบบฐานข้อมูลไม่พร้อมให้บริการชั่วคราว ข้อมูลที่ส่งยังไม่ถูกบันทึก กรุณาส่งอีกครั้งในอีกสักครู่".into()
            }
            AppError::Internal(_) => "ระบบขัดข้องชั่วคราว กรุณาลองใหม่ภายหลัง".into(),
        }
    }

    fn log(&self) {
        match self {
            // Causes come from our own error types, which never carry content, tokens or addresses.
            AppError::Internal(cause) => tracing::error!(cause = %cause, "request failed"),
            AppError::Unavailable(cause) => tracing::warn!(cause = %cause, "database unavailable"),
            _ => {}
        }
    }

    /// Headers that belong to the error: Retry-After, WWW-Authenticate.
    fn extra_headers(&self, response: &mut Response) {
        if let AppError::RateLimited { retry_after_secs } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        // Every 503 (the database, or the evidence store full or down) says when to come back.
        if self.status() == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
        }
        // RFC 6750: a missing credential names the scheme; a malformed one says so too.
        match self {
            AppError::Unauthorized => {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            AppError::Token(_) => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_request\""),
                );
            }
            _ => {}
        }
    }
}

/// An error answered with a page in the reader's language.
pub struct PageError(pub AppError, pub Lang);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let PageError(error, lang) = self;
        error.log();
        let page = ErrorPage::new(lang, error.status().as_u16(), error.message_th(), error.message_en());
        let mut response = render_with_status(&page, error.status());
        error.extra_headers(&mut response);
        response
    }
}

/// An error answered as JSON.
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = self.0;
        error.log();
        let mut body = serde_json::json!({
            "error": { "code": error.code(), "message": error.message_en() }
        });
        if let AppError::Validation(fields) = &error {
            body["error"]["fields"] = fields
                .iter()
                .map(|f| serde_json::json!({"field": f.field, "code": f.problem.code(), "message": f.problem.message_en()}))
                .collect();
        }
        let mut response = (error.status(), Json(body)).into_response();
        error.extra_headers(&mut response);
        response
    }
}
