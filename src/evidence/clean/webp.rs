//! WebP: drops the EXIF and XMP chunks and clears their flags in the VP8X header.
use super::CleanError;
use img_parts::ImageEXIF;
use img_parts::riff::{RiffChunk, RiffContent};
use img_parts::webp::{CHUNK_VP8X, CHUNK_XMP, WebP};

/// The VP8X flag saying an XMP chunk follows.
const XMP_FLAG: u8 = 0x04;

pub fn clean(bytes: Vec<u8>) -> Result<Vec<u8>, CleanError> {
    let mut webp = WebP::from_bytes(bytes.into()).map_err(|_| CleanError::Unreadable("WebP"))?;
    webp.remove_chunks_by_id(CHUNK_XMP);
    // Also recomputes the VP8X flags for ICC and EXIF from the chunks left, not the XMP flag.
    webp.set_exif(None);
    for chunk in webp.chunks_mut().iter_mut().filter(|c| c.id() == CHUNK_VP8X) {
        let Some(mut content) = chunk.content().data().map(|d| d.to_vec()) else { continue };
        if let Some(flags) = content.first_mut() {
            *flags &= !XMP_FLAG;
        }
        *chunk = RiffChunk::new(CHUNK_VP8X, RiffContent::Data(content.into()));
    }
    Ok(webp.encoder().bytes().to_vec())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_xmp_flag_goes_with_the_xmp_chunk() {
        // Found by the `clean_webp` fuzz target: with a VP8X header left (here for a colour
        // profile), its XMP flag stayed set.
        let mut webp =
            WebP::from_bytes(std::fs::read("tests/fixtures/evidence/photo.webp").unwrap().into()).unwrap();
        webp.chunks_mut().push(RiffChunk::new(*b"ICCP", RiffContent::Data(vec![0u8; 4].into())));
        let mut file = webp.encoder().bytes().to_vec();
        let at = file.windows(4).position(|w| w == b"VP8X").unwrap() + 8;
        file[at] |= 0x0C;
        let cleaned = WebP::from_bytes(clean(file).unwrap().into()).unwrap();
        let flags = cleaned.chunk_by_id(CHUNK_VP8X).unwrap().content().data().unwrap()[0];
        assert_eq!(flags & 0x0C, 0, "flags {flags:#04x}");
    }
}
