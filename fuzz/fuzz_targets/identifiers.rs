//! National ID, case reference and fiscal year parsing: no panic; an accepted national ID is 13
//! ASCII digits without a leading zero whose check digit holds, and parses again to itself; an
//! accepted reference formats to text that parses back to it, in a fiscal year `from_be` accepts;
//! a fiscal year from a number is accepted exactly in its range and contains its own days.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rongrian::domain::fiscal_year::FiscalYear;
use rongrian::domain::national_id::NationalId;
use rongrian::domain::reference::CaseReference;

fn check_digit_holds(id: &str) -> bool {
    let d: Vec<u32> = id.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = d[..12].iter().zip((2..=13).rev()).map(|(d, w)| d * w).sum();
    (11 - sum % 11) % 10 == d[12]
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };

    if let Ok(id) = NationalId::parse(input) {
        let s = id.as_str();
        assert_eq!(s.len(), 13);
        assert!(s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0'), "{s}");
        assert!(check_digit_holds(s), "{s}");
        assert!(NationalId::parse(s).is_ok_and(|again| again == id));
    }

    if let Some(r) = CaseReference::parse(input) {
        let shown = r.to_string();
        assert_eq!(CaseReference::parse(&shown), Some(r), "{shown}");
        assert!(r.sequence() > 0);
        let be = i64::from(r.fiscal_year().be_year());
        assert_eq!(FiscalYear::from_be(be), Ok(r.fiscal_year()));
        assert!(shown.starts_with(&format!("{be}-")));
    }

    if let Ok(year) = input.trim().parse::<i64>() {
        let fy = FiscalYear::from_be(year);
        assert_eq!(fy.is_ok(), (2500..=2700).contains(&year));
        if let Ok(fy) = fy {
            assert_eq!(i64::from(fy.be_year()), year);
            let (first, last) = (fy.first_day(), fy.last_day());
            assert!(fy.contains(first) && fy.contains(last));
            assert_eq!(FiscalYear::containing(first), fy);
            let days = (last - first).whole_days() + 1;
            assert!(days == 365 || days == 366, "{days}");
            assert!(first.previous_day().is_none_or(|d| !fy.contains(d)));
            assert!(last.next_day().is_none_or(|d| !fy.contains(d)));
        }
    }
});
