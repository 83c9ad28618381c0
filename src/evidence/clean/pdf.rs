//! PDF: removes the document information dictionary (author, creator, producer, dates: the
//! trailer's /Info), every XMP metadata stream (/Metadata in the catalogue and elsewhere) and the
//! author and dates of annotations (comments, highlights: /T, /M, /CreationDate), then writes the
//! document again without the objects nothing refers to any more.
use super::CleanError;
use lopdf::{Document, Object};

pub fn clean(bytes: &[u8]) -> Result<Vec<u8>, CleanError> {
    let mut doc = Document::load_mem(bytes).map_err(|e| match e {
        lopdf::Error::Decryption(_) | lopdf::Error::UnsupportedSecurityHandler(_) => CleanError::Encrypted,
        _ => CleanError::Unreadable("PDF"),
    })?;
    if doc.is_encrypted() {
        return Err(CleanError::Encrypted);
    }
    doc.trailer.remove(b"Info");
    for (_, object) in doc.objects.iter_mut() {
        let dict = match object {
            Object::Dictionary(d) => d,
            Object::Stream(s) => &mut s.dict,
            _ => continue,
        };
        dict.remove(b"Metadata");
        dict.remove(b"PieceInfo");
        // An annotation's /T is its author; a form field's /T is its name and must stay.
        let annotation =
            dict.get(b"Subtype").ok().and_then(|s| s.as_name().ok()).is_some_and(|s| s != b"Widget")
                && dict.has(b"Rect");
        if annotation {
            dict.remove(b"T");
            dict.remove(b"M");
            dict.remove(b"CreationDate");
        }
    }
    doc.prune_objects();
    let mut out = Vec::with_capacity(bytes.len());
    doc.save_to(&mut out).map_err(|_| CleanError::Unreadable("PDF"))?;
    Ok(out)
}
