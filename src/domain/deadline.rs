//! Response deadlines for complaints, so every screen and report counts days the same lawful way.
use std::collections::BTreeSet;

use time::{Date, Duration, Weekday};

/// How a body's rules count the response period; which one applies is set per body in config.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    CalendarDays,
    WorkingDays,
}

/// The counting rule plus the official holidays it must skip.
#[derive(Clone, Debug)]
pub struct Calendar {
    count: DayCount,
    // Ordered and deduplicated so lookups stay cheap however the list was written.
    holidays: BTreeSet<Date>,
}

impl Calendar {
    pub fn new(count: DayCount, holidays: impl IntoIterator<Item = Date>) -> Self {
        Self { count, holidays: holidays.into_iter().collect() }
    }

    /// Government offices close on Saturdays, Sundays and official holidays.
    pub fn is_working_day(&self, date: Date) -> bool {
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) && !self.holidays.contains(&date)
    }

    /// The last day on which a response is still on time.
    ///
    /// Saturates at `Date::MAX` rather than failing: a deadline past the end of `time`'s range
    /// is unreachable anyway, and a panic here would take down the intake request.
    pub fn due_date(&self, received: Date, days: u16) -> Date {
        match self.count {
            DayCount::CalendarDays => {
                // Civil and Commercial Code s.193/8: a period that ends on a day the office
                // is closed runs on to the next working day.
                self.working_day_on_or_after(received.saturating_add(Duration::days(i64::from(days))))
            }
            DayCount::WorkingDays => self.nth_working_day_after(received, days),
        }
    }

    /// Signed calendar days from `today` to `due`; negative once overdue.
    pub fn days_left(&self, today: Date, due: Date) -> i64 {
        (due - today).whole_days()
    }

    fn working_day_on_or_after(&self, mut date: Date) -> Date {
        // Ends: at most two weekend days, then only finitely many holidays can follow.
        while !self.is_working_day(date) {
            match date.next_day() {
                Some(next) => date = next,
                None => return Date::MAX,
            }
        }
        date
    }

    fn nth_working_day_after(&self, received: Date, days: u16) -> Date {
        // The day of receipt never counts, so a complaint filed on a holiday gets no head start.
        let mut date = received;
        let mut remaining = days;
        while remaining > 0 {
            match date.next_day() {
                Some(next) => date = next,
                None => return Date::MAX,
            }
            if self.is_working_day(date) {
                remaining -= 1;
            }
        }
        date
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StrDeserializer};
    use time::macros::date;

    /// Official holidays that the concrete cases below run into.
    fn thai_2026() -> Vec<Date> {
        vec![
            date!(2026 - 04 - 06),
            date!(2026 - 04 - 13),
            date!(2026 - 04 - 14),
            date!(2026 - 04 - 15),
            date!(2026 - 10 - 13),
            date!(2026 - 10 - 23),
        ]
    }

    fn calendar_days() -> Calendar {
        Calendar::new(DayCount::CalendarDays, thai_2026())
    }

    fn working_days() -> Calendar {
        Calendar::new(DayCount::WorkingDays, thai_2026())
    }

    #[test]
    fn weekends_and_holidays_are_not_working_days() {
        let cal = calendar_days();
        assert!(cal.is_working_day(date!(2026 - 10 - 02))); // Friday
        assert!(!cal.is_working_day(date!(2026 - 10 - 03))); // Saturday
        assert!(!cal.is_working_day(date!(2026 - 10 - 04))); // Sunday
        assert!(!cal.is_working_day(date!(2026 - 10 - 13))); // Tuesday, holiday
        assert!(cal.is_working_day(date!(2026 - 10 - 14)));
    }

    #[test]
    fn calendar_days_across_month_ends() {
        let cal = Calendar::new(DayCount::CalendarDays, []);
        assert_eq!(cal.due_date(date!(2028 - 01 - 31), 1), date!(2028 - 02 - 01));
        // 2028 is a leap year: 29 Feb is a Tuesday and counts like any other day.
        assert_eq!(cal.due_date(date!(2028 - 01 - 31), 29), date!(2028 - 02 - 29));
        assert_eq!(cal.due_date(date!(2028 - 01 - 31), 30), date!(2028 - 03 - 01));
        assert_eq!(cal.due_date(date!(2028 - 02 - 28), 1), date!(2028 - 02 - 29));
        // 2027 is not: 28 Feb is a Sunday, so the deadline runs on to Monday 1 March.
        assert_eq!(cal.due_date(date!(2027 - 01 - 31), 28), date!(2027 - 03 - 01));
    }

    #[test]
    fn calendar_days_across_the_fiscal_year_boundary() {
        let cal = calendar_days();
        assert_eq!(date!(2026 - 10 - 01).weekday(), Weekday::Thursday);
        assert_eq!(cal.due_date(date!(2026 - 09 - 16), 15), date!(2026 - 10 - 01));
        assert_eq!(cal.due_date(date!(2026 - 09 - 30), 1), date!(2026 - 10 - 01));
        assert_eq!(cal.due_date(date!(2026 - 09 - 30), 15), date!(2026 - 10 - 15));
    }

    #[test]
    fn working_days_across_the_fiscal_year_boundary() {
        // 1, 2, 5–9, 12 Oct are eight working days; 13 Oct is a holiday; 14, 15 make ten.
        assert_eq!(working_days().due_date(date!(2026 - 09 - 30), 10), date!(2026 - 10 - 15));
    }

    #[test]
    fn saturday_deadline_moves_to_monday() {
        assert_eq!(calendar_days().due_date(date!(2026 - 09 - 30), 3), date!(2026 - 10 - 05));
        // Sunday too.
        assert_eq!(calendar_days().due_date(date!(2026 - 09 - 30), 4), date!(2026 - 10 - 05));
    }

    #[test]
    fn holiday_deadline_before_a_weekend_moves_past_both() {
        // Friday 23 Oct 2026 is Chulalongkorn Day.
        assert_eq!(calendar_days().due_date(date!(2026 - 10 - 08), 15), date!(2026 - 10 - 26));
        // Sunday 5 April 2026 runs into Chakri Day on Monday 6 April.
        assert_eq!(calendar_days().due_date(date!(2026 - 03 - 31), 5), date!(2026 - 04 - 07));
    }

    #[test]
    fn working_days_skip_songkran_and_the_weekend_before_it() {
        let cal = working_days();
        // Friday 10 April 2026: Sat 11, Sun 12, Songkran 13–15, then Thursday 16.
        assert_eq!(cal.due_date(date!(2026 - 04 - 10), 1), date!(2026 - 04 - 16));
        assert_eq!(cal.due_date(date!(2026 - 04 - 10), 3), date!(2026 - 04 - 20));
        assert_eq!(cal.due_date(date!(2026 - 04 - 09), 2), date!(2026 - 04 - 16));
        // Received during Songkran: the day of receipt never counts.
        assert_eq!(cal.due_date(date!(2026 - 04 - 13), 1), date!(2026 - 04 - 16));
        // Calendar days landing inside Songkran run on to Thursday.
        assert_eq!(calendar_days().due_date(date!(2026 - 04 - 08), 5), date!(2026 - 04 - 16));
    }

    #[test]
    fn zero_days() {
        let saturday = date!(2026 - 10 - 03);
        assert_eq!(calendar_days().due_date(saturday, 0), date!(2026 - 10 - 05));
        assert_eq!(calendar_days().due_date(date!(2026 - 10 - 01), 0), date!(2026 - 10 - 01));
        assert_eq!(working_days().due_date(saturday, 0), saturday);
    }

    #[test]
    fn saturates_at_the_end_of_time() {
        let near_end = Date::MAX.previous_day().unwrap();
        for count in [DayCount::CalendarDays, DayCount::WorkingDays] {
            let cal = Calendar::new(count, [Date::MAX]);
            assert_eq!(cal.due_date(near_end, u16::MAX), Date::MAX);
            assert_eq!(cal.due_date(Date::MAX, 1), Date::MAX);
            assert_eq!(cal.due_date(Date::MAX, u16::MAX), Date::MAX);
        }
        assert_eq!(Calendar::new(DayCount::CalendarDays, [Date::MAX]).due_date(Date::MAX, 0), Date::MAX);
    }

    #[test]
    fn days_left_is_signed() {
        let cal = calendar_days();
        assert_eq!(cal.days_left(date!(2026 - 10 - 01), date!(2026 - 10 - 15)), 14);
        assert_eq!(cal.days_left(date!(2026 - 10 - 15), date!(2026 - 10 - 15)), 0);
        assert_eq!(cal.days_left(date!(2026 - 10 - 18), date!(2026 - 10 - 15)), -3);
        assert_eq!(cal.days_left(date!(2026 - 12 - 31), date!(2027 - 01 - 01)), 1);
        assert_eq!(cal.days_left(Date::MIN, Date::MAX), (Date::MAX - Date::MIN).whole_days());
    }

    #[test]
    fn day_count_reads_snake_case() {
        let read = |s: &str| {
            let de: StrDeserializer<'_, DeError> = s.into_deserializer();
            DayCount::deserialize(de)
        };
        assert_eq!(read("calendar_days").unwrap(), DayCount::CalendarDays);
        assert_eq!(read("working_days").unwrap(), DayCount::WorkingDays);
        assert!(read("CalendarDays").is_err());
    }

    fn from_jd(jd: i32) -> Date {
        Date::from_julian_day(jd).unwrap()
    }

    /// Plausible dates, plus the last years before `Date::MAX` where saturation kicks in.
    fn any_date() -> impl Strategy<Value = Date> {
        let plausible = date!(1900 - 01 - 01).to_julian_day()..=date!(2200 - 12 - 31).to_julian_day();
        let end = (Date::MAX.to_julian_day() - 400)..=Date::MAX.to_julian_day();
        prop_oneof![4 => plausible, 1 => end].prop_map(from_jd)
    }

    /// Mostly realistic periods, sometimes anything a u16 can hold.
    fn any_days() -> impl Strategy<Value = u16> {
        prop_oneof![4 => 0u16..=60, 1 => any::<u16>()]
    }

    fn any_count() -> impl Strategy<Value = DayCount> {
        prop_oneof![Just(DayCount::CalendarDays), Just(DayCount::WorkingDays)]
    }

    /// Runs of consecutive holidays, as (offset from an anchor, length), so that long runs
    /// like Songkran next to a weekend are common.
    fn any_runs() -> impl Strategy<Value = Vec<(i64, i64)>> {
        prop::collection::vec((-10i64..120, 1i64..7), 0..8)
    }

    fn calendar(count: DayCount, anchor: Date, runs: &[(i64, i64)]) -> Calendar {
        let holidays = runs.iter().flat_map(|&(start, len)| {
            (start..start + len).filter_map(move |i| anchor.checked_add(Duration::days(i)))
        });
        Calendar::new(count, holidays)
    }

    /// The same holidays, counted the other way.
    fn calendar_of(count: DayCount, other: &Calendar) -> Calendar {
        Calendar::new(count, other.holidays.iter().copied())
    }

    /// Independent oracle: working days in (from, to].
    fn working_days_between(cal: &Calendar, from: Date, to: Date) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d.next_day().unwrap();
            n += u32::from(cal.is_working_day(d));
        }
        n
    }

    proptest! {
        #[test]
        fn never_before_received(count in any_count(), received in any_date(), days in any_days(), runs in any_runs()) {
            let cal = calendar(count, received, &runs);
            prop_assert!(cal.due_date(received, days) >= received);
        }

        #[test]
        fn calendar_days_is_first_working_day_on_or_after_the_period(
            received in any_date(), days in any_days(), runs in any_runs()
        ) {
            let cal = calendar(DayCount::CalendarDays, received, &runs);
            let due = cal.due_date(received, days);
            // Holds for every `days`, 0 included: the period's end always rolls to a working day.
            match received.checked_add(Duration::days(i64::from(days))) {
                Some(end) => {
                    prop_assert!(due >= end);
                    prop_assert!(cal.is_working_day(due) || due == Date::MAX);
                    let mut d = end;
                    while d < due {
                        prop_assert!(!cal.is_working_day(d), "skipped working day {}", d);
                        d = d.next_day().unwrap();
                    }
                }
                None => prop_assert_eq!(due, Date::MAX),
            }
        }

        #[test]
        fn working_days_counts_exactly(received in any_date(), days in any_days(), runs in any_runs()) {
            let cal = calendar(DayCount::WorkingDays, received, &runs);
            let due = cal.due_date(received, days);
            let counted = working_days_between(&cal, received, due);
            if days == 0 {
                prop_assert_eq!(due, received);
            } else if due == Date::MAX && counted < u32::from(days) {
                // Ran out of dates: saturated rather than failing.
            } else {
                prop_assert!(cal.is_working_day(due));
                prop_assert_eq!(counted, u32::from(days));
            }
        }

        #[test]
        fn monotonic_in_days(
            count in any_count(), received in any_date(), a in any_days(), b in any_days(), runs in any_runs()
        ) {
            let cal = calendar(count, received, &runs);
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(cal.due_date(received, lo) <= cal.due_date(received, hi));
        }

        #[test]
        fn monotonic_in_received(
            count in any_count(), r1 in any_date(), shift in 0i64..400, days in any_days(), runs in any_runs()
        ) {
            let r2 = r1.saturating_add(Duration::days(shift));
            let cal = calendar(count, r1, &runs);
            prop_assert!(cal.due_date(r1, days) <= cal.due_date(r2, days));
        }

        #[test]
        fn working_days_never_end_before_as_many_calendar_days(
            received in any_date(), days in any_days(), runs in any_runs()
        ) {
            // A working-days deadline is a working day at least `days` days on, and the
            // calendar-days one is the first such day.
            prop_assume!(days > 0);
            let calendar = calendar(DayCount::CalendarDays, received, &runs);
            let working = calendar_of(DayCount::WorkingDays, &calendar);
            prop_assert!(calendar.due_date(received, days) <= working.due_date(received, days));
        }

        #[test]
        fn weekends_add_at_most_two_days(received in any_date(), days in any_days()) {
            let cal = Calendar::new(DayCount::CalendarDays, []);
            let due = cal.due_date(received, days);
            if received.checked_add(Duration::days(i64::from(days))).is_some() {
                let slack = (due - received).whole_days() - i64::from(days);
                prop_assert!((0..=2).contains(&slack), "slack {}", slack);
            } else {
                prop_assert_eq!(due, Date::MAX);
            }
        }

        #[test]
        fn days_left_round_trips(today in any_date(), due in any_date()) {
            let cal = Calendar::new(DayCount::CalendarDays, []);
            let left = cal.days_left(today, due);
            prop_assert_eq!(today.checked_add(Duration::days(left)), Some(due));
        }
    }
}
