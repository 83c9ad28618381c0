//! Integration tests: each starts the real service on a random port with its own database.
// Tests fail loudly: unwrap, expect and panic are how a test says what went wrong.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod helpers;

mod api_contract;
mod audit;
mod cli;
mod connections;
mod crash;
mod custody;
mod evidence;
mod evidence_memory;
mod evidence_more;
mod exact_time;
mod group_commit;
mod headers;
mod limits;
mod mail;
mod metrics;
mod office;
mod ops;
mod outage;
mod privacy;
mod public_reports;
mod report;
mod retention;
mod schemathesis;
mod secrets;
mod security_matrix;
mod staff;
mod staff_accounts;
mod submit;
mod tokens;
mod validation;
