//! Removing identifying metadata from evidence before it is sealed: EXIF, XMP and IPTC from images,
//! the document information dictionary and XMP from PDF, author, company and revision properties
//! from Office files. Each cleaner is a pure function of the bytes (and fuzzed as such).
pub mod jpeg;
pub mod office;
pub mod pdf;
pub mod png;
pub mod webp;

use crate::domain::evidence::FileKind;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CleanError {
    /// The file does not parse as its kind, so its metadata cannot be found and removed.
    #[error("the {0} file could not be read to remove its metadata")]
    Unreadable(&'static str),
    /// A PDF protected by a password: its metadata is encrypted with it.
    #[error("the PDF is encrypted")]
    Encrypted,
}

/// The file with its identifying metadata removed. Kinds with nothing to remove come back unchanged.
pub fn clean(kind: FileKind, bytes: Vec<u8>) -> Result<Vec<u8>, CleanError> {
    match kind {
        FileKind::Jpeg => jpeg::clean(bytes),
        FileKind::Png => png::clean(bytes),
        FileKind::Webp => webp::clean(bytes),
        FileKind::Pdf => pdf::clean(&bytes),
        FileKind::Docx | FileKind::Xlsx => office::clean(&bytes),
        _ => Ok(bytes),
    }
}
