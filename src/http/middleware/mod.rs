//! Hardening in one place: security headers, rate limits, request telemetry.
pub mod headers;
pub mod rate_limit;
pub mod telemetry;
