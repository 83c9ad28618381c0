//! Server-rendered pages (askama), Thai first.
pub mod audit;
pub mod common;
pub mod identity;
pub mod public;
pub mod public_reports;
pub mod render;
pub mod reports;
pub mod staff;
pub mod staff_admin;
pub mod staff_case;
