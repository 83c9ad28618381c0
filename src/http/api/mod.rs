//! The JSON API for integrations, and its OpenAPI description.
pub mod openapi;
pub mod v1;
