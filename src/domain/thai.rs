//! Thai presentation helpers: Thai digits, month names and Buddhist Era dates for letters and pages.
use time::Date;

pub const MONTHS_TH: [&str; 12] = [
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
];

pub const MONTHS_TH_ABBR: [&str; 12] =
    ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."];

pub const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const THAI_DIGITS: [char; 10] = ['๐', '๑', '๒', '๓', '๔', '๕', '๖', '๗', '๘', '๙'];

/// Official documents traditionally use Thai digits; only ASCII 0-9 are changed.
pub fn thai_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => THAI_DIGITS[usize::from(c as u8 - b'0')],
            c => c,
        })
        .collect()
}

/// Thai digits back to Arabic ones, for output asked for in Arabic numerals.
pub fn arabic_digits(s: &str) -> String {
    s.chars()
        .map(|c| match THAI_DIGITS.iter().position(|d| *d == c) {
            Some(i) => char::from(b'0' + u8::try_from(i).unwrap_or(0)),
            None => c,
        })
        .collect()
}

/// "1/10/2568": a date as officers type it, day/month/Buddhist Era year.
pub fn format_be_numeric(date: Date) -> String {
    format!("{}/{}/{}", date.day(), u8::from(date.month()), be_year(date))
}

/// Reads "1/10/2568" (day/month/Buddhist Era year, Thai or Arabic digits); None if it is not one.
pub fn parse_be_numeric(s: &str) -> Option<Date> {
    let s = arabic_digits(s.trim());
    let mut parts = s.split('/').map(|p| p.trim().parse::<i32>().ok());
    let (d, m, y) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || y < 2400 {
        return None;
    }
    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
    Date::from_calendar_date(y - 543, month, u8::try_from(d).ok()?).ok()
}

/// Buddhist Era year = CE + 543.
pub fn be_year(date: Date) -> i32 {
    date.year() + 543
}

/// "1 ตุลาคม 2568".
pub fn format_date_th(date: Date) -> String {
    format!("{} {} {}", date.day(), MONTHS_TH[month_index(date)], be_year(date))
}

/// "๑ ตุลาคม ๒๕๖๘": the same with Thai digits, as in government correspondence.
pub fn format_date_th_official(date: Date) -> String {
    thai_digits(&format_date_th(date))
}

/// "1 October 2025" (CE year).
pub fn format_date_en(date: Date) -> String {
    format!("{} {} {}", date.day(), MONTHS_EN[month_index(date)], date.year())
}

fn month_index(date: Date) -> usize {
    // `Month` is 1-based.
    usize::from(u8::from(date.month())) - 1
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn buddhist_era_dates_as_officers_type_them() {
        assert_eq!(parse_be_numeric("1/10/2568"), Some(date!(2025 - 10 - 01)));
        assert_eq!(parse_be_numeric("๓๐/๙/๒๕๖๙"), Some(date!(2026 - 09 - 30)));
        assert_eq!(parse_be_numeric("2025-10-01"), None);
        assert_eq!(parse_be_numeric("1/10/2025"), None, "a Christian Era year is not taken for BE");
        assert_eq!(parse_be_numeric("31/2/2569"), None);
        assert_eq!(format_be_numeric(date!(2025 - 10 - 01)), "1/10/2568");
    }

    #[test]
    fn digits() {
        assert_eq!(thai_digits("0123456789"), "๐๑๒๓๔๕๖๗๘๙");
        assert_eq!(thai_digits("เรื่องที่ 2569-0007 ก"), "เรื่องที่ ๒๕๖๙-๐๐๐๗ ก");
        assert_eq!(thai_digits("๕ abc"), "๕ abc");
        assert_eq!(thai_digits(""), "");
    }

    #[test]
    fn dates() {
        let d = date!(2025 - 10 - 01);
        assert_eq!(be_year(d), 2568);
        assert_eq!(format_date_th(d), "1 ตุลาคม 2568");
        assert_eq!(format_date_th_official(d), "๑ ตุลาคม ๒๕๖๘");
        assert_eq!(format_date_en(d), "1 October 2025");
        let d = date!(2024 - 02 - 29);
        assert_eq!(format_date_th(d), "29 กุมภาพันธ์ 2567");
        assert_eq!(format_date_en(d), "29 February 2024");
        assert_eq!(format_date_th(date!(2026 - 01 - 31)), "31 มกราคม 2569");
        assert_eq!(format_date_th(date!(2026 - 12 - 05)), "5 ธันวาคม 2569");
        assert_eq!(format_date_th_official(date!(2026 - 12 - 05)), "๕ ธันวาคม ๒๕๖๙");
    }

    #[test]
    fn month_tables_line_up() {
        let mut d = date!(2026 - 01 - 15);
        for (i, en) in MONTHS_EN.iter().enumerate() {
            assert_eq!(month_index(d), i);
            assert_eq!(*en, d.month().to_string());
            d = d.replace_month(d.month().next()).unwrap();
        }
        assert_eq!(MONTHS_TH[9], "ตุลาคม");
        assert_eq!(MONTHS_TH_ABBR[9], "ต.ค.");
        assert!(MONTHS_TH_ABBR.iter().all(|m| m.ends_with('.')));
    }
}
