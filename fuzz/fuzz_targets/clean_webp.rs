//! The WebP cleaner: no panic or hang on any bytes; what it accepts has no EXIF or XMP chunk and
//! no VP8X flag saying there is one, still sniffs as WebP if it did, and cleans again to the same
//! bytes.
#![no_main]
use img_parts::webp::{CHUNK_EXIF, CHUNK_VP8X, CHUNK_XMP, WebP};
use libfuzzer_sys::fuzz_target;
use rongrian::domain::evidence::FileKind;
use rongrian_fuzz::check_cleaner;

fn no_metadata_left(out: &[u8]) {
    let webp = match WebP::from_bytes(out.to_vec().into()) {
        Ok(w) => w,
        Err(e) => panic!("the cleaned WebP does not parse: {e}"),
    };
    assert!(webp.chunk_by_id(CHUNK_EXIF).is_none(), "EXIF survived");
    assert!(webp.chunk_by_id(CHUNK_XMP).is_none(), "XMP survived");
    if let Some(flags) = webp.chunk_by_id(CHUNK_VP8X).and_then(|c| c.content().data().and_then(|d| d.first().copied())) {
        // VP8X flags: 0x08 EXIF, 0x04 XMP.
        assert_eq!(flags & 0x0C, 0, "VP8X still flags metadata");
    }
}

fuzz_target!(|data: &[u8]| {
    check_cleaner(FileKind::Webp, data, true, no_metadata_left);
});
