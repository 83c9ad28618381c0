//! The upload type check: `sniff` reads the kind from content and never panics, is deterministic,
//! names programs `Other` however short their header, and never names by itself a kind that needs
//! more than the first bytes (Office files are a `Zip` until their directory is read, MP4 audio and
//! video a family, text only a maybe). A file name, once made safe, has no directory, control or
//! invisible character, no leading dot or space, at most 200 characters, is stable when parsed
//! again, and says the one kind whose endings hold its ending. Kind codes round-trip.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rongrian::domain::evidence::{FileKind, FileName, MAX_NAME_CHARS, Sniffed, sniff};
use rongrian_fuzz::invisible;

const PROGRAMS: [&[u8]; 6] =
    [b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"];

fn check_kinds() {
    for &k in FileKind::ALL {
        assert_eq!(FileKind::from_code(k.code()), Some(k));
        assert_eq!(k.needs_whole_file(), k.cleanable());
        for ext in k.extensions() {
            assert_eq!(*ext, ext.to_lowercase());
            let owners = FileKind::ALL.iter().filter(|o| o.extensions().contains(ext)).count();
            assert_eq!(owners, 1, "the ending {ext} says more than one kind");
        }
    }
}

fn check_name(raw: &str) {
    if let Some(k) = FileKind::from_code(raw) {
        assert_eq!(k.code(), raw);
    }
    let Some(name) = FileName::parse(raw) else { return };
    let s = name.as_str();
    assert!(!s.is_empty());
    assert!(!s.contains(['/', '\\']), "{s:?}");
    assert!(!s.chars().any(|c| c.is_control() || invisible(c)), "{s:?}");
    assert!(!s.starts_with('.') && !s.starts_with(char::is_whitespace), "{s:?}");
    assert!(s.chars().count() <= MAX_NAME_CHARS, "{s:?}");
    assert_eq!(FileName::parse(s).as_ref(), Some(&name), "a safe name changes when parsed again");
    let ext = name.extension();
    assert_eq!(ext, ext.to_lowercase());
    match name.says(FileKind::ALL) {
        Some(k) => assert!(k.extensions().contains(&ext.as_str())),
        None => assert!(FileKind::ALL.iter().all(|k| !k.extensions().contains(&ext.as_str()))),
    }
    // Asking among fewer kinds never names a kind outside them.
    for &only in FileKind::ALL {
        let said = name.says(&[only]);
        assert!(said.is_none() || said == Some(only));
        assert_eq!(said.is_some(), name.says(FileKind::ALL) == Some(only));
    }
}

fuzz_target!(|data: &[u8]| {
    check_kinds();
    // A file name, a NUL, then the file's first bytes; without a NUL, both are the input.
    let (raw_name, head) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, data),
    };
    check_name(&String::from_utf8_lossy(raw_name));

    let sniffed = sniff(head);
    assert_eq!(sniff(head), sniffed, "sniff is deterministic");
    if PROGRAMS.iter().any(|m| head.starts_with(m)) {
        assert_eq!(sniffed, Sniffed::Other);
    }
    if let Sniffed::Kind(k) = sniffed {
        assert!(
            !matches!(k, FileKind::Docx | FileKind::Xlsx | FileKind::Text | FileKind::Mp4 | FileKind::M4a),
            "sniff named {k:?} from the first bytes alone"
        );
    }
    if head.is_empty() {
        assert_eq!(sniffed, Sniffed::MaybeText);
    }
});
