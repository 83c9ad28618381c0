//! JPEG: drops every application segment except JFIF (APP0), the colour profile (APP2
//! `ICC_PROFILE`) and Adobe's colour transform (APP14), and every comment. EXIF (APP1, with GPS,
//! device, serial and time), XMP (APP1) and IPTC/Photoshop (APP13) go with them.
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
    Ok(jpeg.encoder().bytes().to_vec())
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
    fn exif_and_comments_go_jfif_stays() {
        let cleaned = clean(sample_with_exif()).unwrap();
        let text = String::from_utf8_lossy(&cleaned);
        assert!(!text.contains("GPSLatitude") && !text.contains("secret") && !text.contains("Exif"));
        assert!(text.contains("JFIF"));
        assert!(cleaned.ends_with(&[0x12, 0x34, 0xFF, 0xD9]), "the image data is untouched");
        assert_eq!(clean(b"not a jpeg".to_vec()), Err(CleanError::Unreadable("JPEG")));
    }
}
