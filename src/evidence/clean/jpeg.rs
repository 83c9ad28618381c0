//! JPEG: drops every application segment except JFIF (APP0), the colour profile (APP2
//! `ICC_PROFILE`) and Adobe's colour transform (APP14), and every comment. EXIF (APP1, with GPS,
//! device, serial and time), XMP (APP1), IPTC/Photoshop (APP13) and the multi-picture index (APP2
//! `MPF`) go with them. After the image's own data it keeps nothing: application segments between
//! progressive scans go, and whatever follows the end-of-image marker (the secondary pictures of a
//! multi-picture file, the video of a "motion photo", each with its own metadata) is cut off.
use super::CleanError;
use img_parts::jpeg::{Jpeg, markers};

pub fn clean(bytes: Vec<u8>) -> Result<Vec<u8>, CleanError> {
    let mut jpeg = Jpeg::from_bytes(bytes.into()).map_err(|_| CleanError::Unreadable("JPEG"))?;
    jpeg.segments_mut().retain(|s| {
        let m = s.marker();
        let app = (markers::APP0..=markers::APP15).contains(&m);
        let keep_app = m == markers::APP0
            || m == markers::APP14
            || (m == markers::APP2 && s.contents().starts_with(b"ICC_PROFILE\0"));
        !(m == markers::COM || (app && !keep_app))
    });
    let bytes = jpeg.encoder().bytes().to_vec();
    trim_after_headers(&bytes)
}

/// Copies the file from its first scan on, marker by marker: entropy-coded data as it is (a 0xFF
/// there is followed by 0x00 or a restart marker), later tables and scans as they are, application
/// segments and comments not at all, and nothing after the end-of-image marker.
fn trim_after_headers(bytes: &[u8]) -> Result<Vec<u8>, CleanError> {
    let bad = || CleanError::Unreadable("JPEG");
    let segment_len = |at: usize| -> Result<usize, CleanError> {
        let hi = *bytes.get(at + 2).ok_or_else(bad)?;
        let lo = *bytes.get(at + 3).ok_or_else(bad)?;
        Ok(2 + usize::from(u16::from_be_bytes([hi, lo])))
    };
    // The header segments (already cleaned) up to the first SOS.
    let mut i = 2;
    loop {
        if bytes.get(i) != Some(&0xFF) {
            return Err(bad());
        }
        let marker = *bytes.get(i + 1).ok_or_else(bad)?;
        if marker == markers::SOS {
            break;
        }
        i += segment_len(i)?;
    }
    let mut out = bytes[..i].to_vec();
    let mut in_scan = false;
    while i < bytes.len() {
        if !in_scan {
            // At a marker.
            if bytes[i] != 0xFF {
                return Err(bad());
            }
            let marker = *bytes.get(i + 1).ok_or_else(bad)?;
            match marker {
                markers::EOI => {
                    out.extend_from_slice(&[0xFF, markers::EOI]);
                    return Ok(out);
                }
                0xFF => i += 1,
                // A stuffed byte or a restart marker after fill bytes belongs to entropy-coded data
                // (a malformed scan): copy it as such, never read a length that is not there.
                0x00 | 0xD0..=0xD7 => in_scan = true,
                // No segment of a clean file has these (TEM, reserved values, a second SOI).
                m if m < 0xC0 || m == markers::SOI => return Err(bad()),
                m if (markers::APP0..=markers::APP15).contains(&m) || m == markers::COM => {
                    i += segment_len(i)?
                }
                m => {
                    let len = segment_len(i)?;
                    out.extend_from_slice(bytes.get(i..i + len).ok_or_else(bad)?);
                    i += len;
                    in_scan = m == markers::SOS;
                }
            }
            continue;
        }
        // In entropy-coded data: copy up to the next real marker.
        let start = i;
        while i < bytes.len() {
            if bytes[i] == 0xFF {
                match bytes.get(i + 1) {
                    Some(0x00) | Some(0xD0..=0xD7) => i += 2,
                    _ => break,
                }
            } else {
                i += 1;
            }
        }
        out.extend_from_slice(&bytes[start..i.min(bytes.len())]);
        in_scan = false;
    }
    // No end-of-image marker: keep what the image had, and end it properly.
    out.extend_from_slice(&[0xFF, markers::EOI]);
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    pub fn sample_with_exif() -> Vec<u8> {
        // SOI, APP0 JFIF, APP1 Exif with a GPS-looking payload, COM, then a tiny scan and EOI.
        let mut v = vec![0xFF, 0xD8];
        v.extend([0xFF, 0xE0, 0x00, 0x10]);
        v.extend(b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00");
        let exif = b"Exif\0\0MM\0*GPSLatitude 17.4 Canon EOS serial 0123";
        v.extend([0xFF, 0xE1]);
        v.extend(u16::try_from(exif.len() + 2).unwrap().to_be_bytes());
        v.extend(exif);
        v.extend([0xFF, 0xFE, 0x00, 0x08]);
        v.extend(b"secret");
        v.extend([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x12, 0x34, 0xFF, 0xD9]);
        v
    }

    #[test]
    fn nothing_after_the_image_survives() {
        let mut file = sample_with_exif();
        // A secondary picture with its own EXIF, as multi-picture files and motion photos carry.
        file.extend([0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10]);
        file.extend(b"Exif\0\0GPS-tail");
        file.extend([0xFF, 0xD9]);
        file.extend(b"ftypmp42 motion photo video");
        let cleaned = clean(file).unwrap();
        let text = String::from_utf8_lossy(&cleaned);
        assert!(!text.contains("GPS-tail") && !text.contains("motion photo"));
        assert!(cleaned.ends_with(&[0x12, 0x34, 0xFF, 0xD9]));
    }

    #[test]
    fn segments_between_progressive_scans_go() {
        let mut v = sample_with_exif();
        v.truncate(v.len() - 2); // drop EOI
        v.extend([0xFF, 0xE1, 0x00, 0x0A]);
        v.extend(b"between!");
        v.extend([
            0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x56, 0xFF, 0x00, 0x78, 0xFF, 0xD9,
        ]);
        let cleaned = clean(v).unwrap();
        assert!(!String::from_utf8_lossy(&cleaned).contains("between!"));
        assert!(cleaned.ends_with(&[0x56, 0xFF, 0x00, 0x78, 0xFF, 0xD9]), "stuffed bytes stay data");
    }

    #[test]
    fn exif_and_comments_go_jfif_stays() {
        let cleaned = clean(sample_with_exif()).unwrap();
        let text = String::from_utf8_lossy(&cleaned);
        assert!(!text.contains("GPSLatitude") && !text.contains("secret") && !text.contains("Exif"));
        assert!(text.contains("JFIF"));
        assert!(cleaned.ends_with(&[0x12, 0x34, 0xFF, 0xD9]), "the image data is untouched");
        assert_eq!(clean(b"not a jpeg".to_vec()), Err(CleanError::Unreadable("JPEG")));
    }

    /// Found by the fuzzer: fill bytes then a stuffed zero inside a scan were read as a segment
    /// with a length, which carried a comment ("secret") and later bytes into the output, and the
    /// output did not clean again.
    #[test]
    fn a_stuffed_byte_after_fill_bytes_is_scan_data() {
        let crafted = include_bytes!("../../../fuzz/seeds/clean_jpeg/refused-stuffed-byte-after-fill");
        // A scan that holds a stuffed byte where a marker must be is not a picture: refused whole,
        // nothing of it stored uncleaned.
        assert!(matches!(clean(crafted.to_vec()), Err(CleanError::Unreadable("JPEG"))));
        // The same bytes where they may be (a stuffed zero inside entropy-coded data) still pass.
        let fine = super::tests::sample_with_exif();
        let once = clean(fine).expect("clean");
        assert_eq!(clean(once.clone()).expect("clean again"), once);
    }
}
