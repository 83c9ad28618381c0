//! The JPEG cleaner: no panic or hang on any bytes; what it accepts comes out as SOI … EOI with no
//! comment and no application segment but JFIF, Adobe and an ICC profile, still sniffs as JPEG if
//! it did, and cleans again to the same bytes.
#![no_main]
use img_parts::jpeg::{Jpeg, markers};
use libfuzzer_sys::fuzz_target;
use rongrian::domain::evidence::FileKind;
use rongrian_fuzz::check_cleaner;

fn no_metadata_left(out: &[u8]) {
    assert!(out.starts_with(&[0xFF, 0xD8]) && out.ends_with(&[0xFF, 0xD9]), "not SOI … EOI");
    let jpeg = match Jpeg::from_bytes(out.to_vec().into()) {
        Ok(j) => j,
        Err(e) => panic!("the cleaned JPEG does not parse: {e}"),
    };
    for s in jpeg.segments() {
        let m = s.marker();
        let kept_app = m == markers::APP0
            || m == markers::APP14
            || (m == markers::APP2 && s.contents().starts_with(b"ICC_PROFILE\0"));
        assert!(m != markers::COM, "a comment survived");
        assert!(
            !(markers::APP0..=markers::APP15).contains(&m) || kept_app,
            "APP{} survived",
            m - markers::APP0
        );
    }
}

fuzz_target!(|data: &[u8]| {
    check_cleaner(FileKind::Jpeg, data, true, no_metadata_left);
});
