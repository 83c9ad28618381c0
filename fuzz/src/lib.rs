//! Oracles the fuzz targets share: what "invisible" means, independently of the service's own
//! definition, and the check that an accepted complaint is accepted again as it was stored.
use rongrian::domain::submission::{PersonInput, ReporterInput, Submission, SubmissionInput};
use rongrian::domain::text::BoundedText;

/// Unit codes a complaint may say it concerns, for `Submission::parse`.
pub const UNITS: &[&str] = &["palad", "klang", "chang"];

/// Characters that change how text looks without being seen: every Unicode `Bidi_Control`
/// (U+061C, U+200E/F, U+202A–E, U+2066–9), the zero-width space and joiners, the word joiner and
/// the byte-order mark. Written out here, not taken from the service, so the service's list is
/// checked rather than trusted.
pub fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

/// Controls other than a line break and a tab.
pub fn control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// Panics if any string of the input holds an invisible formatting character.
pub fn assert_no_invisible(input: &SubmissionInput) {
    let mut all = vec![
        &input.track,
        &input.category,
        &input.subject,
        &input.description,
        &input.event_time,
        &input.event_place,
        &input.relationship,
        &input.concerns_unit,
    ];
    for p in &input.persons {
        all.extend([&p.name, &p.position, &p.unit]);
    }
    if let Some(r) = &input.reporter {
        all.extend([&r.name, &r.national_id, &r.phone, &r.email, &r.address]);
    }
    for s in all {
        assert!(!s.chars().any(invisible), "invisible character left in {s:?}");
    }
}

fn text(t: &Option<BoundedText>) -> String {
    t.as_ref().map(|t| t.as_str().to_owned()).unwrap_or_default()
}

/// The input that says exactly what a parsed submission holds.
pub fn input_of(s: &Submission) -> SubmissionInput {
    let c = &s.content;
    SubmissionInput {
        track: s.track.code().to_owned(),
        category: s.category.code().to_owned(),
        subject: c.subject.as_str().to_owned(),
        description: c.description.as_str().to_owned(),
        event_time: text(&c.event_time),
        event_place: text(&c.event_place),
        persons: c
            .persons
            .iter()
            .map(|p| PersonInput { name: text(&p.name), position: text(&p.position), unit: text(&p.unit) })
            .collect(),
        relationship: c.relationship.code().to_owned(),
        concerns_unit: s.concerns_unit.clone().unwrap_or_default(),
        reporter: s.identity.as_ref().map(|r| ReporterInput {
            name: text(&r.name),
            national_id: text(&r.national_id),
            phone: text(&r.phone),
            email: text(&r.email),
            address: text(&r.address),
        }),
    }
}

/// What is stored of a submission, comparable.
fn stored(s: &Submission) -> serde_json::Value {
    serde_json::json!({
        "track": s.track.code(),
        "category": s.category.code(),
        "content": s.content,
        "concerns_unit": s.concerns_unit,
        "identity": s.identity,
    })
}

/// Parses the input; an accepted submission, written back as input, must be accepted again and
/// come out the same (parsing is idempotent: nothing stored would be refused on a second look).
pub fn parse_and_revalidate(input: &SubmissionInput) {
    let Ok(first) = Submission::parse(input, UNITS) else { return };
    let again = input_of(&first);
    let second = match Submission::parse(&again, UNITS) {
        Ok(s) => s,
        Err(errors) => panic!("an accepted submission is refused on a second parse: {errors:?}"),
    };
    assert_eq!(stored(&first), stored(&second), "a second parse changed the submission");
    walk_strings(&stored(&first), &mut |t| {
        assert!(!t.chars().any(|c| invisible(c) || control(c)), "stored text {t:?}");
        assert_eq!(t, t.trim(), "stored text is trimmed");
    });
}

/// Calls `f` on every string in a JSON value.
pub fn walk_strings(value: &serde_json::Value, f: &mut dyn FnMut(&str)) {
    match value {
        serde_json::Value::String(s) => f(s),
        serde_json::Value::Array(items) => items.iter().for_each(|v| walk_strings(v, f)),
        serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| {
            f(k);
            walk_strings(v, f);
        }),
        _ => {}
    }
}

/// What every metadata cleaner must do with bytes it accepts: clean its own output again without
/// complaint (to the same bytes where `idempotent`), keep a file that sniffed as its kind sniffing
/// as that kind, and pass `no_metadata_left`. Bytes it refuses are refused with an error, not a
/// panic or a hang.
pub fn check_cleaner(
    kind: rongrian::domain::evidence::FileKind,
    data: &[u8],
    idempotent: bool,
    no_metadata_left: impl Fn(&[u8]),
) {
    use rongrian::domain::evidence::{Sniffed, sniff};
    use rongrian::evidence::clean;
    let Ok(once) = clean::clean(kind, data.to_vec()) else { return };
    // To look at a failure: run the target on the input with FUZZ_DUMP_CLEANED=<file>.
    if let Some(path) = std::env::var_os("FUZZ_DUMP_CLEANED") {
        std::fs::write(path, &once).ok();
    }
    no_metadata_left(&once);
    let twice = match clean::clean(kind, once.clone()) {
        Ok(t) => t,
        Err(e) => panic!("a cleaned {kind:?} cannot be cleaned again: {e}"),
    };
    no_metadata_left(&twice);
    if idempotent {
        assert!(twice == once, "cleaning a cleaned {kind:?} changed it");
    }
    let before = sniff(data);
    if before == Sniffed::Kind(kind) || before == Sniffed::Zip {
        assert_eq!(sniff(&once), before, "the cleaned {kind:?} no longer sniffs as it did");
    }
}
