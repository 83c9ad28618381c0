//! Rongrian (ร้องเรียน): a hardened complaint and whistleblower intake service for Thai public bodies.
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod csv;
pub mod domain;
pub mod http;
pub mod intake;
pub mod keyring;
pub mod notify;
pub mod report;
pub mod setup;
pub mod staff;
pub mod state;
pub mod storage;
pub mod telemetry;
