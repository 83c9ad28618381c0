//! Report placeholders: `unknown_placeholder` never panics and names exactly the first `{name}` of
//! the text (by where it starts) that is not a known placeholder, as an independent scan finds it;
//! every known placeholder is accepted. A measure whose output and outcome it accepts renders
//! (`report::render::measure_row`, Thai and Arabic numerals, with and without the computed
//! sentences) without any known `{placeholder}` left unexpanded, and text without braces stays as
//! it was.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rongrian::domain::fiscal_year::FiscalYear;
use rongrian::domain::measure::{Measure, MeasureError, MeasureInput, PLACEHOLDERS, unknown_placeholder};
use rongrian::report::figures::{Audited, compute};
use rongrian::report::render::{Numerals, measure_row};
use rongrian::storage::report_figures::Aggregates;

fn looks_like_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Every `{…}` whose inside is a name, in order of its opening brace.
fn names(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for (open, _) in text.match_indices('{') {
        let after = &text[open + 1..];
        if let Some(close) = after.find(['{', '}'])
            && after[close..].starts_with('}')
            && looks_like_name(&after[..close])
        {
            out.push(&after[..close]);
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let expected = names(text).into_iter().find(|n| !PLACEHOLDERS.contains(n)).map(str::to_owned);
    let found = unknown_placeholder(text);
    assert_eq!(found, expected, "unknown placeholder in {text:?}");
    for p in PLACEHOLDERS {
        assert_eq!(unknown_placeholder(&format!("{{{p}}}")), None);
    }

    let Ok(fy) = FiscalYear::from_be(2569) else { return };
    let input = MeasureInput {
        number: 1,
        title: "มาตรการ".into(),
        steps: Vec::new(),
        responsible_units: Vec::new(),
        responsible_text: String::new(),
        period_start: None,
        period_end: None,
        output: text.to_owned(),
        outcome: text.to_owned(),
        flags: vec!["online_channel".into()],
    };
    let measure = match Measure::parse(fy, &input, &[]) {
        Ok(m) => m,
        Err(MeasureError::Placeholder { name, .. }) => {
            assert_eq!(Some(name), found);
            return;
        }
        Err(MeasureError::TooLong(_)) => return,
        Err(e) => panic!("unexpected refusal {e}"),
    };
    assert!(found.is_none());
    let figures =
        compute(fy, fy.last_day(), &Aggregates::default(), &[measure.clone()], &[], Audited::default());
    for nums in [Numerals::Thai, Numerals::Arabic] {
        for with_figures in [false, true] {
            let row = measure_row(&measure, &figures, nums, with_figures);
            for p in PLACEHOLDERS {
                let key = format!("{{{p}}}");
                assert!(!row.output.contains(&key) && !row.outcome.contains(&key), "{key} left in {text:?}");
            }
            if !with_figures && !text.contains('{') {
                assert_eq!(row.output, text.trim());
                assert_eq!(row.outcome, text.trim());
            }
        }
    }
});
