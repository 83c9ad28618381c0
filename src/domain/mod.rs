//! The complaint domain: types that parse input once, with no I/O, HTTP, SQL or crypto.
#[macro_use]
mod vocabulary;

pub mod complaint;
pub mod deadline;
pub mod evidence;
pub mod fiscal_year;
pub mod measure;
pub mod national_id;
pub mod reference;
pub mod routing;
pub mod staff;
pub mod submission;
pub mod text;
pub mod thai;
pub mod token;
pub mod triage;
