//! The PNG cleaner: no panic or hang on any bytes; what it accepts has no text, EXIF or time
//! chunk left, still sniffs as PNG if it did, and cleans again to the same bytes.
#![no_main]
use img_parts::png::Png;
use libfuzzer_sys::fuzz_target;
use rongrian::domain::evidence::FileKind;
use rongrian_fuzz::check_cleaner;

const METADATA: [[u8; 4]; 5] = [*b"tEXt", *b"zTXt", *b"iTXt", *b"eXIf", *b"tIME"];

fn no_metadata_left(out: &[u8]) {
    let png = match Png::from_bytes(out.to_vec().into()) {
        Ok(p) => p,
        Err(e) => panic!("the cleaned PNG does not parse: {e}"),
    };
    for c in png.chunks() {
        assert!(!METADATA.contains(&c.kind()), "{:?} survived", String::from_utf8_lossy(&c.kind()));
    }
}

fuzz_target!(|data: &[u8]| {
    check_cleaner(FileKind::Png, data, true, no_metadata_left);
});
