//! DOCX and XLSX: replaces the document properties (`docProps/core.xml`: author, last modified by,
//! revision, dates; `docProps/app.xml`: company, manager, application, totals; `docProps/custom.xml`)
//! with empty ones; blanks the names of comment and tracked-change authors and of the people a
//! document knows (`word/people.xml`, `xl/persons/`, comment authors); cleans the photos embedded in
//! it with the image cleaners; and gives every entry the same fixed time. Other parts keep their
//! content, decompressed and written again; every part is read with a size cap, so a zip bomb is
//! refused rather than inflated.
use super::CleanError;
use std::io::{Cursor, Read, Write};
use zip::write::SimpleFileOptions;
use zip::{ZipArchive, ZipWriter};

const CORE: &str = "docProps/core.xml";
const APP: &str = "docProps/app.xml";
const CUSTOM: &str = "docProps/custom.xml";
/// The most a part that is read may inflate to.
const MAX_PART_BYTES: u64 = 32 * 1024 * 1024;

const EMPTY_CORE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cp:coreProperties \
    xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
    xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
    xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"/>";
const EMPTY_APP: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Properties \
    xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\"/>";
const EMPTY_CUSTOM: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Properties \
    xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties\"/>";

/// Attributes that name a person in Word and Excel parts (comments, tracked changes, people, persons).
const PERSON_ATTRIBUTES: &[&str] = &[
    "w:author",
    "w:initials",
    "w15:author",
    "w15:userId",
    "w15:providerId",
    "displayName",
    "userId",
    "providerId",
];

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

/// Empties the values of the given attributes (`name="…"` becomes `name=""`).
fn blank_attributes(xml: &str, names: &[&str]) -> String {
    let mut out = xml.to_owned();
    for name in names {
        let needle = format!(" {name}=\"");
        let mut result = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(at) = rest.find(&needle) {
            let value_start = at + needle.len();
            result.push_str(&rest[..value_start]);
            match rest[value_start..].find('"') {
                Some(end) => rest = &rest[value_start + end..],
                None => {
                    rest = &rest[value_start..];
                    break;
                }
            }
        }
        result.push_str(rest);
        out = result;
    }
    out
}

/// Empties `<author>…</author>` elements (the author list of spreadsheet comments).
fn blank_author_elements(xml: &str) -> String {
    let mut result = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(at) = rest.find("<author>") {
        let value_start = at + "<author>".len();
        result.push_str(&rest[..value_start]);
        match rest[value_start..].find("</author>") {
            Some(end) => rest = &rest[value_start + end..],
            None => {
                rest = &rest[value_start..];
                break;
            }
        }
    }
    result.push_str(rest);
    result
}

enum Part {
    Replace(&'static str),
    People,
    Image(crate::domain::evidence::FileKind),
    Copy,
}

fn part_of(name: &str) -> Part {
    use crate::domain::evidence::FileKind;
    let lower = name.to_ascii_lowercase();
    match name {
        CORE => return Part::Replace(EMPTY_CORE),
        APP => return Part::Replace(EMPTY_APP),
        CUSTOM => return Part::Replace(EMPTY_CUSTOM),
        _ => {}
    }
    let in_document = lower.starts_with("word/") || lower.starts_with("xl/");
    if in_document && lower.ends_with(".xml") {
        return Part::People;
    }
    if in_document && lower.contains("/media/") {
        if lower.ends_with(".jpg") || lower.ends_with(".jpeg") {
            return Part::Image(FileKind::Jpeg);
        }
        if lower.ends_with(".png") {
            return Part::Image(FileKind::Png);
        }
        if lower.ends_with(".webp") {
            return Part::Image(FileKind::Webp);
        }
    }
    Part::Copy
}

fn read_capped<R: Read>(entry: &mut R) -> Result<Vec<u8>, CleanError> {
    let mut bytes = Vec::new();
    entry.take(MAX_PART_BYTES + 1).read_to_end(&mut bytes).map_err(|_| CleanError::Unreadable("Office"))?;
    if bytes.len() as u64 > MAX_PART_BYTES {
        return Err(CleanError::Unreadable("Office"));
    }
    Ok(bytes)
}

pub fn clean(bytes: &[u8]) -> Result<Vec<u8>, CleanError> {
    let unreadable = |_| CleanError::Unreadable("Office");
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    let mut out = ZipWriter::new(Cursor::new(Vec::with_capacity(bytes.len())));
    // One fixed time for every entry: the entries' own times say when the document was edited.
    let fixed = zip::DateTime::default();
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(fixed);
    for i in 0..archive.len() {
        let name = archive.by_index_raw(i).map_err(unreadable)?.name().map_err(unreadable)?.into_owned();
        let replacement: Option<Vec<u8>> = match part_of(&name) {
            Part::Replace(text) => Some(text.as_bytes().to_vec()),
            Part::Copy => None,
            Part::People => {
                let raw = read_capped(&mut archive.by_index(i).map_err(unreadable)?)?;
                match std::str::from_utf8(&raw) {
                    Ok(xml)
                        if PERSON_ATTRIBUTES.iter().any(|a| xml.contains(&format!(" {a}=\"")))
                            || xml.contains("<author>") =>
                    {
                        Some(blank_author_elements(&blank_attributes(xml, PERSON_ATTRIBUTES)).into_bytes())
                    }
                    _ => None,
                }
            }
            Part::Image(kind) => {
                let raw = read_capped(&mut archive.by_index(i).map_err(unreadable)?)?;
                // An embedded picture in a form the cleaners do not read stays as it is.
                super::clean(kind, raw).ok()
            }
        };
        match replacement {
            Some(content) => {
                out.start_file(name, options).map_err(unreadable)?;
                out.write_all(&content).map_err(|_| CleanError::Unreadable("Office"))?;
            }
            None => {
                // Decompressed and written again (not copied raw): the output then depends only on
                // each entry's name and content, so a crafted header cannot make entries overlap and
                // cleaning a cleaned file gives the same bytes.
                let mut entry = archive.by_index(i).map_err(unreadable)?;
                if entry.is_dir() {
                    out.add_directory(name, options).map_err(unreadable)?;
                    continue;
                }
                out.start_file(name, options).map_err(unreadable)?;
                let copied = std::io::copy(&mut (&mut entry).take(MAX_PART_BYTES + 1), &mut out)
                    .map_err(|_| CleanError::Unreadable("Office"))?;
                if copied > MAX_PART_BYTES {
                    return Err(CleanError::Unreadable("Office"));
                }
            }
        }
    }
    let cleaned = out.finish().map_err(unreadable)?.into_inner();
    verify(&cleaned, archive.len())?;
    Ok(cleaned)
}

/// What is stored must open: every entry of the cleaned zip reads to its end with a matching CRC,
/// and there are as many as there were. A crafted zip (local and central names that differ, say)
/// could once make entries overlap; whatever does not read back is refused, not stored.
fn verify(cleaned: &[u8], entries: usize) -> Result<(), CleanError> {
    let unreadable = |_| CleanError::Unreadable("Office");
    let mut archive = ZipArchive::new(Cursor::new(cleaned)).map_err(unreadable)?;
    if archive.len() != entries {
        return Err(CleanError::Unreadable("Office"));
    }
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(unreadable)?;
        std::io::copy(&mut (&mut entry).take(MAX_PART_BYTES + 1), &mut std::io::sink())
            .map_err(|_| CleanError::Unreadable("Office"))?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn person_attributes_and_author_elements_are_blanked() {
        let xml =
            r#"<w:ins w:id="1" w:author="สมชาย ใจดี" w:date="2026-03-03T10:00:00Z"><w:t>ข้อความ</w:t></w:ins>"#;
        let out = blank_attributes(xml, PERSON_ATTRIBUTES);
        assert_eq!(
            out,
            r#"<w:ins w:id="1" w:author="" w:date="2026-03-03T10:00:00Z"><w:t>ข้อความ</w:t></w:ins>"#
        );
        let comments = "<authors><author>Somchai</author><author>Malee</author></authors>";
        assert_eq!(blank_author_elements(comments), "<authors><author></author><author></author></authors>");
        assert_eq!(blank_attributes("<a b=\"c\"/>", PERSON_ATTRIBUTES), "<a b=\"c\"/>");
    }

    /// Found by the fuzzer: a zip whose local and central names differ was copied into entries that
    /// overlap, so the stored file did not clean (or open) the same way again. It is refused.
    #[test]
    fn a_zip_that_does_not_copy_cleanly_is_refused() {
        let crafted = include_bytes!("../../../fuzz/seeds/clean_office/refused-names-differ");
        assert!(matches!(clean(crafted), Err(CleanError::Unreadable("Office"))));
    }
}
