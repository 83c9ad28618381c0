//! PDF: removes the document information dictionary (author, creator, producer, dates: the
//! trailer's /Info) and every XMP metadata stream (/Metadata in the catalogue and elsewhere), then
//! writes the document again without the objects nothing refers to any more.
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
    }
    doc.prune_objects();
    let mut out = Vec::with_capacity(bytes.len());
    doc.save_to(&mut out).map_err(|_| CleanError::Unreadable("PDF"))?;
    Ok(out)
}
