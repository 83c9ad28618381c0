//! DOCX and XLSX: replaces the document properties (`docProps/core.xml`: author, last modified by,
//! revision, dates; `docProps/app.xml`: company, manager, application, totals; `docProps/custom.xml`)
//! with empty ones, and copies every other part of the archive as it is, compressed bytes and all
//! (nothing is inflated, so a zip bomb costs nothing).
use super::CleanError;
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;
use zip::{ZipArchive, ZipWriter};

const CORE: &str = "docProps/core.xml";
const APP: &str = "docProps/app.xml";
const CUSTOM: &str = "docProps/custom.xml";

const EMPTY_CORE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cp:coreProperties \
    xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
    xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
    xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"/>";
const EMPTY_APP: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Properties \
    xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\"/>";
const EMPTY_CUSTOM: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Properties \
    xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties\"/>";

/// Which Office document an archive is, by its parts: `Some(true)` DOCX, `Some(false)` XLSX.
pub fn is_docx(bytes: &[u8]) -> Option<bool> {
    let archive = ZipArchive::new(Cursor::new(bytes)).ok()?;
    let has = |name: &str| archive.index_for_name(name).is_some();
    match (has("word/document.xml"), has("xl/workbook.xml")) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

pub fn clean(bytes: &[u8]) -> Result<Vec<u8>, CleanError> {
    let unreadable = |_| CleanError::Unreadable("Office");
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    let mut out = ZipWriter::new(Cursor::new(Vec::with_capacity(bytes.len())));
    // A fixed time: the entries' own times would say when the properties were replaced.
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(unreadable)?;
        let name = entry.name().map_err(unreadable)?.into_owned();
        let replacement = match name.as_str() {
            CORE => Some(EMPTY_CORE),
            APP => Some(EMPTY_APP),
            CUSTOM => Some(EMPTY_CUSTOM),
            _ => None,
        };
        match replacement {
            Some(text) => {
                drop(entry);
                out.start_file(name, options).map_err(unreadable)?;
                out.write_all(text.as_bytes()).map_err(|_| CleanError::Unreadable("Office"))?;
            }
            None => out.raw_copy_file(entry).map_err(unreadable)?,
        }
    }
    Ok(out.finish().map_err(unreadable)?.into_inner())
}
