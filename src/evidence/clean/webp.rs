//! WebP: drops the EXIF and XMP chunks and clears their flags in the VP8X header.
use super::CleanError;
use img_parts::ImageEXIF;
use img_parts::webp::{CHUNK_XMP, WebP};

pub fn clean(bytes: Vec<u8>) -> Result<Vec<u8>, CleanError> {
    let mut webp = WebP::from_bytes(bytes.into()).map_err(|_| CleanError::Unreadable("WebP"))?;
    webp.remove_chunks_by_id(CHUNK_XMP);
    // Also recomputes the VP8X flags from the chunks left.
    webp.set_exif(None);
    Ok(webp.encoder().bytes().to_vec())
}
