//! PNG: drops the text chunks (tEXt, zTXt, iTXt: author, software, comments, XMP), EXIF (eXIf)
//! and the modification time (tIME). Image data and colour information stay.
use super::CleanError;
use img_parts::png::Png;

const DROPPED: [[u8; 4]; 5] = [*b"tEXt", *b"zTXt", *b"iTXt", *b"eXIf", *b"tIME"];

pub fn clean(bytes: Vec<u8>) -> Result<Vec<u8>, CleanError> {
    let mut png = Png::from_bytes(bytes.into()).map_err(|_| CleanError::Unreadable("PNG"))?;
    png.chunks_mut().retain(|c| !DROPPED.contains(&c.kind()));
    Ok(png.encoder().bytes().to_vec())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use img_parts::png::PngChunk;

    #[test]
    fn text_exif_and_time_chunks_go() {
        let mut png = Png::from_bytes(
            [
                b"\x89PNG\r\n\x1a\n".as_slice(),
                &[0, 0, 0, 13],
                b"IHDR",
                &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0],
                &[0x3a, 0x7e, 0x9b, 0x55],
                &[0, 0, 0, 0],
                b"IEND",
                &[0xae, 0x42, 0x60, 0x82],
            ]
            .concat()
            .into(),
        )
        .unwrap();
        png.chunks_mut().insert(1, PngChunk::new(*b"tEXt", b"Author\0Somchai".to_vec().into()));
        png.chunks_mut().insert(1, PngChunk::new(*b"tIME", vec![7, 234, 3, 16, 10, 0, 0].into()));
        let cleaned = clean(png.encoder().bytes().to_vec()).unwrap();
        assert!(!String::from_utf8_lossy(&cleaned).contains("Somchai"));
        let back = Png::from_bytes(cleaned.into()).unwrap();
        let kinds: Vec<[u8; 4]> = back.chunks().iter().map(|c| c.kind()).collect();
        assert_eq!(kinds, vec![*b"IHDR", *b"IEND"]);
    }
}
