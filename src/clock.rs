//! The only place that reads "now": wall time for dates and deadlines, and a monotonic reading for
//! rate limiters. Tests use a manual clock so deadlines, fiscal years and limiter resets are exact.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use time::{Date, Duration, OffsetDateTime, UtcOffset};

/// Thailand keeps UTC+7 all year (no daylight saving), so a fixed offset is exact.
pub const THAILAND: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

#[derive(Clone)]
pub struct Clock(Arc<Source>);

enum Source {
    System { started: std::time::Instant },
    Manual { base: OffsetDateTime, elapsed_nanos: AtomicU64 },
}

impl Clock {
    pub fn system() -> Self {
        Self(Arc::new(Source::System { started: std::time::Instant::now() }))
    }

    pub fn manual(at: OffsetDateTime) -> Self {
        Self(Arc::new(Source::Manual { base: at, elapsed_nanos: AtomicU64::new(0) }))
    }

    /// Moves a manual clock forward; a system clock cannot be moved and ignores the call.
    pub fn advance(&self, by: std::time::Duration) {
        if let Source::Manual { elapsed_nanos, .. } = &*self.0 {
            let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
            elapsed_nanos.fetch_add(nanos, Ordering::SeqCst);
        }
    }

    pub fn now_utc(&self) -> OffsetDateTime {
        match &*self.0 {
            Source::System { .. } => OffsetDateTime::now_utc(),
            Source::Manual { base, elapsed_nanos } => {
                let nanos = elapsed_nanos.load(Ordering::SeqCst);
                *base + Duration::nanoseconds(i64::try_from(nanos).unwrap_or(i64::MAX))
            }
        }
    }

    /// Today's date in Thailand: received dates, deadlines and fiscal years are counted in local days.
    pub fn today(&self) -> Date {
        self.now_utc().to_offset(THAILAND).date()
    }

    fn monotonic_nanos(&self) -> u64 {
        match &*self.0 {
            Source::System { started } => u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX),
            Source::Manual { elapsed_nanos, .. } => elapsed_nanos.load(Ordering::SeqCst),
        }
    }
}

impl governor::clock::Clock for Clock {
    type Instant = governor::nanos::Nanos;

    fn now(&self) -> Self::Instant {
        governor::nanos::Nanos::from(self.monotonic_nanos())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn manual_clock_moves_only_when_told_and_dates_are_thai() {
        let clock = Clock::manual(datetime!(2025-09-30 17:30 UTC));
        assert_eq!(clock.today(), time::macros::date!(2025 - 10 - 01));
        clock.advance(std::time::Duration::from_secs(60));
        assert_eq!(clock.now_utc(), datetime!(2025-09-30 17:31 UTC));
        assert_eq!(governor::clock::Clock::now(&clock), governor::nanos::Nanos::from(60_000_000_000u64));
    }
}
