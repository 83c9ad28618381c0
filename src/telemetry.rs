//! Log output: human-readable or JSON. Fields are chosen at each call site; none carries an address,
//! a user agent, a token, an identity or complaint text.
use tracing_subscriber::EnvFilter;

pub fn init(filter: &str, json: bool) {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(true);
    let result = if json { builder.json().try_init() } else { builder.try_init() };
    if result.is_err() {
        eprintln!("logging was already set up");
    }
}
