//! Strict parsing of request bodies: an oversized body, invalid UTF-8 (raw or percent-encoded),
//! an unknown field or malformed JSON is refused with a clear error instead of being repaired.
use super::error::{AppError, PageError};
use super::lang::Lang;
use crate::domain::text::{is_invisible_format, strip_invisible};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum_csrf::CsrfToken;
use serde::de::DeserializeOwned;

/// A form posted from one of our pages: it carries the CSRF token in `authenticity_token`.
pub trait CsrfForm {
    fn authenticity_token(&self) -> &str;
}

/// Implements [`CsrfForm`] for form structs with an `authenticity_token` field.
macro_rules! csrf_forms {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::http::form::CsrfForm for $form {
            fn authenticity_token(&self) -> &str {
                &self.authenticity_token
            }
        })+
    };
}
pub(crate) use csrf_forms;

/// Reads a posted form strictly and checks its CSRF token: the one way every page handler takes input.
pub fn csrf_form<T: DeserializeOwned + CsrfForm>(
    body: Result<Bytes, BytesRejection>,
    csrf: &CsrfToken,
    l: Lang,
) -> Result<T, PageError> {
    let bytes = body_bytes(body).map_err(|e| PageError(e, l))?;
    let form: T = parse_form(&bytes).map_err(|e| PageError(e, l))?;
    csrf.verify(form.authenticity_token()).map_err(|_| PageError(AppError::Csrf, l))?;
    Ok(form)
}

/// The same for forms with repeated fields, read as name/value pairs; the token pair is removed.
pub fn csrf_pairs(
    body: Result<Bytes, BytesRejection>,
    csrf: &CsrfToken,
    l: Lang,
) -> Result<Vec<(String, String)>, PageError> {
    let bytes = body_bytes(body).map_err(|e| PageError(e, l))?;
    let mut pairs: Vec<(String, String)> = parse_form(&bytes).map_err(|e| PageError(e, l))?;
    let token =
        pairs.iter().find(|(k, _)| k == "authenticity_token").map(|(_, v)| v.clone()).unwrap_or_default();
    csrf.verify(&token).map_err(|_| PageError(AppError::Csrf, l))?;
    pairs.retain(|(k, _)| k != "authenticity_token");
    Ok(pairs)
}

pub fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, AppError> {
    body.map_err(|rejection| match rejection.status() {
        axum::http::StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        _ => AppError::BadRequest {
            code: "unreadable_body",
            en: "The request body could not be read.",
            th: "อ่านข้อมูลที่ส่งมาไม่ได้",
        },
    })
}

const NOT_UTF8: AppError = AppError::BadRequest {
    code: "invalid_encoding",
    en: "The form must be sent as UTF-8 text.",
    th: "ข้อมูลที่ส่งมาไม่ใช่ข้อความ UTF-8 กรุณาส่งจากแบบฟอร์มของเว็บไซต์นี้",
};

pub fn parse_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let text = std::str::from_utf8(bytes).map_err(|_| NOT_UTF8)?;
    for pair in text.split('&') {
        let decoded: Vec<u8> = percent_encoding::percent_decode_str(pair).collect();
        if std::str::from_utf8(&decoded).is_err() {
            return Err(NOT_UTF8);
        }
    }
    let malformed = |_| AppError::BadRequest {
        code: "malformed_form",
        en: "The form has unexpected or malformed fields.",
        th: "แบบฟอร์มมีช่องข้อมูลที่ไม่ถูกต้อง กรุณาส่งจากแบบฟอร์มของเว็บไซต์นี้",
    };
    // Invisible formatting is removed from every field before any handler sees it.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(text).map_err(malformed)?;
    if pairs.iter().any(|(k, v)| k.chars().chain(v.chars()).any(is_invisible_format)) {
        let cleaned: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(k, v)| (strip_invisible(&k).into_owned(), strip_invisible(&v).into_owned()))
            .collect();
        let text = serde_urlencoded::to_string(&cleaned).map_err(|_| NOT_UTF8)?;
        return serde_urlencoded::from_str(&text).map_err(malformed);
    }
    serde_urlencoded::from_str(text).map_err(|_| AppError::BadRequest {
        code: "malformed_form",
        en: "The form has unexpected or malformed fields.",
        th: "แบบฟอร์มมีช่องข้อมูลที่ไม่ถูกต้อง กรุณาส่งจากแบบฟอร์มของเว็บไซต์นี้",
    })
}

pub fn parse_json<T: DeserializeOwned>(headers: &axum::http::HeaderMap, bytes: &[u8]) -> Result<T, AppError> {
    let is_json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(AppError::UnsupportedMediaType);
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| AppError::BadRequest {
        code: "malformed_json",
        en: "The body is not valid UTF-8 JSON.",
        th: "ข้อมูลไม่ใช่ JSON ที่ถูกต้อง",
    })?;
    // A struct would also accept its fields as an array in order; only an object is an answer.
    if !value.is_object() {
        return Err(AppError::BadRequest {
            code: "json_not_object",
            en: "The body must be a JSON object.",
            th: "ข้อมูลต้องเป็นออบเจกต์ JSON",
        });
    }
    strip_invisible_json(&mut value);
    serde_json::from_value(value).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => AppError::BadRequest {
            code: "invalid_fields",
            en: "The JSON has unknown fields or fields of the wrong type.",
            th: "ข้อมูล JSON มีช่องที่ไม่รู้จักหรือชนิดข้อมูลไม่ถูกต้อง",
        },
        _ => AppError::BadRequest {
            code: "malformed_json",
            en: "The body is not valid UTF-8 JSON.",
            th: "ข้อมูลไม่ใช่ JSON ที่ถูกต้อง",
        },
    })
}

/// Removes invisible formatting from every string (and key) of a JSON value.
fn strip_invisible_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => {
            if let std::borrow::Cow::Owned(clean) = strip_invisible(s) {
                *s = clean;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_invisible_json),
        serde_json::Value::Object(map) => {
            if map.keys().any(|k| k.chars().any(is_invisible_format)) {
                let old = std::mem::take(map);
                map.extend(old.into_iter().map(|(k, v)| (strip_invisible(&k).into_owned(), v)));
            }
            map.values_mut().for_each(strip_invisible_json);
        }
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct F {
        a: String,
    }

    #[test]
    fn percent_encoded_non_utf8_is_refused() {
        assert!(parse_form::<F>(b"a=%E0%B8").is_err());
        assert!(parse_form::<F>(b"a=\xff").is_err());
        assert_eq!(parse_form::<F>(b"a=%E0%B8%81+x").unwrap().a, "ก x");
        assert!(parse_form::<F>(b"a=1&b=2").is_err());
    }

    #[test]
    fn invisible_formatting_is_removed_from_forms_and_json() {
        assert_eq!(parse_form::<F>(b"a=x%E2%80%AEy%E2%80%8B").unwrap().a, "xy");
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(axum::http::header::CONTENT_TYPE, "application/json".parse().unwrap());
        let f: F = parse_json(&headers, "{\"a\": \"\u{2067}x\u{FEFF}\"}".as_bytes()).unwrap();
        assert_eq!(f.a, "x");
        let array = parse_json::<F>(&headers, br#"["x"]"#).map(|f| f.a);
        assert!(matches!(array, Err(AppError::BadRequest { code: "json_not_object", .. })), "{array:?}");
    }
}
