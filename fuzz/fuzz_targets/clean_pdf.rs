//! The PDF cleaner: no panic or hang on any bytes; what it accepts loads again, has no document
//! information dictionary, no XMP or PieceInfo in any object and no author or dates on any
//! annotation, still sniffs as PDF if it did, and can be cleaned again. (lopdf writes a document
//! anew, so byte-for-byte idempotence is not asked for.)
#![no_main]
use libfuzzer_sys::fuzz_target;
use lopdf::{Document, Object};
use rongrian::domain::evidence::FileKind;
use rongrian_fuzz::check_cleaner;

fn no_metadata_left(out: &[u8]) {
    let doc = match Document::load_mem(out) {
        Ok(d) => d,
        Err(e) => panic!("the cleaned PDF does not load: {e}"),
    };
    assert!(!doc.trailer.has(b"Info"), "/Info survived");
    for object in doc.objects.values() {
        let dict = match object {
            Object::Dictionary(d) => d,
            Object::Stream(s) => &s.dict,
            _ => continue,
        };
        assert!(!dict.has(b"Metadata") && !dict.has(b"PieceInfo"), "XMP or PieceInfo survived");
        let annotation =
            dict.get(b"Subtype").ok().and_then(|s| s.as_name().ok()).is_some_and(|s| s != b"Widget")
                && dict.has(b"Rect");
        if annotation {
            assert!(
                !dict.has(b"T") && !dict.has(b"M") && !dict.has(b"CreationDate"),
                "an annotation kept its author"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check_cleaner(FileKind::Pdf, data, false, no_metadata_left);
});
