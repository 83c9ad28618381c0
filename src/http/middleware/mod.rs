//! Hardening in one place: security headers, rate limits, request telemetry, expired staff forms.
pub mod headers;
pub mod rate_limit;
pub mod staff_forms;
pub mod telemetry;
