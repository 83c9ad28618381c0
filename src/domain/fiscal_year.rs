//! The Thai government fiscal year (1 October – 30 September), named by its ending BE year.
use time::{Date, Month};

/// Buddhist Era = Common Era + 543.
const BE_OFFSET: i32 = 543;
const MIN_BE: i64 = 2500;
const MAX_BE: i64 = 2700;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FiscalYear(u16);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FiscalYearError {
    OutOfRange,
}

impl FiscalYear {
    /// October to December belong to the fiscal year that ends in the next calendar year.
    pub fn containing(date: Date) -> Self {
        let ce_end = date.year() + i32::from(date.month() >= Month::October);
        // A negative BE year cannot fit in u16; it would need a date before 545 BCE, so
        // saturating to 0 there is harmless and keeps this total.
        Self(u16::try_from(ce_end + BE_OFFSET).unwrap_or(0))
    }

    /// For BE years that come from outside (URLs, forms, config); the range rejects CE years
    /// and typos while covering any plausible case.
    pub fn from_be(year: i64) -> Result<Self, FiscalYearError> {
        if !(MIN_BE..=MAX_BE).contains(&year) {
            return Err(FiscalYearError::OutOfRange);
        }
        u16::try_from(year).map(Self).map_err(|_| FiscalYearError::OutOfRange)
    }

    pub fn be_year(self) -> u16 {
        self.0
    }

    /// 1 October of the previous CE year.
    pub fn first_day(self) -> Date {
        // Only unrepresentable for years outside `time`'s ±9999; saturate instead of panicking.
        Date::from_calendar_date(self.ce_end() - 1, Month::October, 1).unwrap_or(Date::MIN)
    }

    /// 30 September of the CE year in which the fiscal year ends.
    pub fn last_day(self) -> Date {
        Date::from_calendar_date(self.ce_end(), Month::September, 30).unwrap_or(Date::MAX)
    }

    pub fn contains(self, date: Date) -> bool {
        Self::containing(date) == self
    }

    fn ce_end(self) -> i32 {
        i32::from(self.0) - BE_OFFSET
    }
}

impl std::fmt::Display for FiscalYear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl FiscalYearError {
    pub fn code(&self) -> &'static str {
        "fiscal_year_out_of_range"
    }

    pub fn message_th(&self) -> &'static str {
        "ปีงบประมาณต้องเป็นปี พ.ศ. ระหว่าง 2500 ถึง 2700"
    }
}

impl std::fmt::Display for FiscalYearError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fiscal year must be a Buddhist Era year from 2500 to 2700")
    }
}

impl std::error::Error for FiscalYearError {}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use time::macros::date;

    fn fy(be: i64) -> FiscalYear {
        FiscalYear::from_be(be).unwrap()
    }

    #[test]
    fn boundaries() {
        assert_eq!(FiscalYear::containing(date!(2025 - 09 - 30)), fy(2568));
        assert_eq!(FiscalYear::containing(date!(2025 - 10 - 01)), fy(2569));
        assert_eq!(FiscalYear::containing(date!(2025 - 12 - 31)), fy(2569));
        assert_eq!(FiscalYear::containing(date!(2026 - 01 - 01)), fy(2569));
        assert_eq!(FiscalYear::containing(date!(2026 - 09 - 30)), fy(2569));
        assert_eq!(FiscalYear::containing(date!(2026 - 10 - 01)), fy(2570));
        let f = fy(2569);
        assert_eq!(f.first_day(), date!(2025 - 10 - 01));
        assert_eq!(f.last_day(), date!(2026 - 09 - 30));
        assert!(f.contains(date!(2025 - 10 - 01)) && f.contains(date!(2026 - 09 - 30)));
        assert!(!f.contains(date!(2025 - 09 - 30)) && !f.contains(date!(2026 - 10 - 01)));
        assert_eq!(f.last_day().next_day().map(FiscalYear::containing), Some(fy(2570)));
        assert_eq!(f.first_day().previous_day().map(FiscalYear::containing), Some(fy(2568)));
    }

    #[test]
    fn leap_years() {
        // FY 2567 runs 1 Oct 2023 – 30 Sep 2024 and so holds 29 Feb 2024.
        let f = fy(2567);
        assert_eq!(FiscalYear::containing(date!(2024 - 02 - 29)), f);
        assert_eq!((f.last_day() - f.first_day()).whole_days() + 1, 366);
        let g = fy(2568);
        assert_eq!((g.last_day() - g.first_day()).whole_days() + 1, 365);
        // 2000 was a leap year (divisible by 400): FY 2543.
        assert_eq!(FiscalYear::containing(date!(2000 - 02 - 29)), fy(2543));
    }

    #[test]
    fn every_day_of_a_span_is_in_exactly_the_year_that_contains_it() {
        let mut d = date!(2023 - 01 - 01);
        while d < date!(2028 - 12 - 31) {
            let f = FiscalYear::containing(d);
            assert!(f.first_day() <= d && d <= f.last_day() && f.contains(d));
            d = d.next_day().unwrap();
        }
    }

    #[test]
    fn range_display_and_order() {
        assert_eq!(FiscalYear::from_be(2499), Err(FiscalYearError::OutOfRange));
        assert_eq!(FiscalYear::from_be(2701), Err(FiscalYearError::OutOfRange));
        assert_eq!(FiscalYear::from_be(2026), Err(FiscalYearError::OutOfRange));
        assert_eq!(FiscalYear::from_be(-1), Err(FiscalYearError::OutOfRange));
        assert_eq!(FiscalYear::from_be(i64::MAX), Err(FiscalYearError::OutOfRange));
        assert_eq!(fy(2500).be_year(), 2500);
        assert_eq!(fy(2700).be_year(), 2700);
        assert_eq!(fy(2569).to_string(), "2569");
        assert!(fy(2569) < fy(2570));
        // Extremes of `time`'s range stay total.
        assert_eq!(FiscalYear::containing(Date::MAX).last_day(), Date::MAX);
        assert_eq!(FiscalYear::containing(Date::MIN).be_year(), 0);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn any_date() -> impl Strategy<Value = Date> {
        // 1957 to 2156 CE: fiscal years BE 2500 to 2700, the range `from_be` accepts.
        (0i64..73_000).prop_map(|d| {
            Date::from_calendar_date(1957, Month::January, 1).unwrap() + time::Duration::days(d)
        })
    }

    proptest! {
        #[test]
        fn a_date_lies_within_its_fiscal_year(date in any_date()) {
            let fy = FiscalYear::containing(date);
            prop_assert!(fy.contains(date));
            prop_assert!(fy.first_day() <= date && date <= fy.last_day());
            prop_assert_eq!((fy.first_day().month(), fy.first_day().day()), (Month::October, 1));
            prop_assert_eq!((fy.last_day().month(), fy.last_day().day()), (Month::September, 30));
            prop_assert_eq!(i32::from(fy.be_year()), fy.last_day().year() + 543);
        }

        #[test]
        fn consecutive_years_meet_without_a_gap(date in any_date()) {
            let fy = FiscalYear::containing(date);
            let next = FiscalYear::containing(fy.last_day().next_day().unwrap());
            prop_assert_eq!(next.be_year(), fy.be_year() + 1);
            prop_assert_eq!(next.first_day(), fy.last_day().next_day().unwrap());
            prop_assert_eq!(FiscalYear::from_be(i64::from(fy.be_year())), Ok(fy));
        }

        #[test]
        fn later_dates_are_never_in_earlier_years(a in any_date(), b in any_date()) {
            let (early, late) = (a.min(b), a.max(b));
            prop_assert!(FiscalYear::containing(early) <= FiscalYear::containing(late));
        }

        #[test]
        fn a_year_has_366_days_exactly_when_it_ends_in_a_leap_year(date in any_date()) {
            let fy = FiscalYear::containing(date);
            let days = (fy.last_day() - fy.first_day()).whole_days() + 1;
            let leap = time::util::is_leap_year(fy.last_day().year());
            prop_assert_eq!(days, if leap { 366 } else { 365 });
        }

        #[test]
        fn from_be_accepts_exactly_its_range(year in -10_000i64..10_000) {
            prop_assert_eq!(FiscalYear::from_be(year).is_ok(), (2500..=2700).contains(&year));
        }
    }
}
