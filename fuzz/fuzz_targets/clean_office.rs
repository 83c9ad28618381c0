//! The DOCX/XLSX cleaner: no panic, hang or zip bomb on any bytes; what it accepts is a zip whose
//! entries all carry the one fixed time and no timestamp extra field, whose document properties
//! are emptied, that is still the same kind of Office file (or still not one), still sniffs as a
//! zip if it did, and cleans again to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rongrian::domain::evidence::FileKind;
use rongrian::evidence::clean::office::is_docx;
use rongrian_fuzz::check_cleaner;
use std::io::{Cursor, Read};

fn no_metadata_left(out: &[u8]) {
    let mut zip = match zip::ZipArchive::new(Cursor::new(out)) {
        Ok(z) => z,
        Err(e) => panic!("the cleaned file is not a zip: {e}"),
    };
    let fixed = zip::DateTime::default();
    for i in 0..zip.len() {
        let Ok(mut entry) = zip.by_index(i) else { continue };
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        assert_eq!(entry.last_modified(), Some(fixed), "{name} kept its time");
        let times = entry
            .extra_data_fields()
            .any(|f| matches!(f, zip::ExtraField::ExtendedTimestamp(_) | zip::ExtraField::Ntfs(_)));
        assert!(!times, "{name} kept a timestamp extra field");
        if matches!(name.as_str(), "docProps/core.xml" | "docProps/app.xml" | "docProps/custom.xml") {
            let mut xml = String::new();
            entry.read_to_string(&mut xml).ok();
            assert!(
                xml.trim_end().ends_with("/>") && xml.matches('<').count() == 2,
                "{name} not emptied: {xml}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check_cleaner(FileKind::Docx, data, true, no_metadata_left);
    if let Ok(out) = rongrian::evidence::clean::clean(FileKind::Docx, data.to_vec()) {
        assert_eq!(is_docx(&out), is_docx(data), "cleaning changed what kind of Office file it is");
    }
});
