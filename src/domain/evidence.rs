//! Evidence files as the service accepts them: the kinds allowed, a file name made safe to keep and
//! show, and the kind read from the content (never from the name), which must agree with the name.
use serde::{Deserialize, Serialize};

/// A kind of evidence file. The code is what `[evidence] allowed` lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Jpeg,
    Png,
    Webp,
    Heic,
    Pdf,
    Docx,
    Xlsx,
    Text,
    Mp3,
    M4a,
    Wav,
    Mp4,
}

impl FileKind {
    pub const ALL: &'static [FileKind] = &[
        FileKind::Jpeg,
        FileKind::Png,
        FileKind::Webp,
        FileKind::Heic,
        FileKind::Pdf,
        FileKind::Docx,
        FileKind::Xlsx,
        FileKind::Text,
        FileKind::Mp3,
        FileKind::M4a,
        FileKind::Wav,
        FileKind::Mp4,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FileKind::Jpeg => "jpeg",
            FileKind::Png => "png",
            FileKind::Webp => "webp",
            FileKind::Heic => "heic",
            FileKind::Pdf => "pdf",
            FileKind::Docx => "docx",
            FileKind::Xlsx => "xlsx",
            FileKind::Text => "text",
            FileKind::Mp3 => "mp3",
            FileKind::M4a => "m4a",
            FileKind::Wav => "wav",
            FileKind::Mp4 => "mp4",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.code() == code)
    }

    pub fn media_type(self) -> &'static str {
        match self {
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Webp => "image/webp",
            FileKind::Heic => "image/heic",
            FileKind::Pdf => "application/pdf",
            FileKind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            FileKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileKind::Text => "text/plain; charset=utf-8",
            FileKind::Mp3 => "audio/mpeg",
            FileKind::M4a => "audio/mp4",
            FileKind::Wav => "audio/wav",
            FileKind::Mp4 => "video/mp4",
        }
    }

    /// The file-name endings a file of this kind may have.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileKind::Jpeg => &["jpg", "jpeg", "jfif"],
            FileKind::Png => &["png"],
            FileKind::Webp => &["webp"],
            FileKind::Heic => &["heic", "heif"],
            FileKind::Pdf => &["pdf"],
            FileKind::Docx => &["docx"],
            FileKind::Xlsx => &["xlsx"],
            FileKind::Text => &["txt"],
            FileKind::Mp3 => &["mp3"],
            FileKind::M4a => &["m4a"],
            FileKind::Wav => &["wav"],
            FileKind::Mp4 => &["mp4", "m4v"],
        }
    }

    /// Whether identifying metadata can be removed from this kind before it is sealed.
    pub fn cleanable(self) -> bool {
        matches!(
            self,
            FileKind::Jpeg | FileKind::Png | FileKind::Webp | FileKind::Pdf | FileKind::Docx | FileKind::Xlsx
        )
    }

    /// Cleaning needs the whole file (segments, the PDF object graph, the zip directory); other
    /// kinds are streamed through the sealer and never held whole in memory.
    pub fn needs_whole_file(self) -> bool {
        self.cleanable()
    }

    pub fn label_th(self) -> &'static str {
        match self {
            FileKind::Jpeg | FileKind::Png | FileKind::Webp | FileKind::Heic => "ภาพ",
            FileKind::Pdf | FileKind::Docx | FileKind::Xlsx | FileKind::Text => "เอกสาร",
            FileKind::Mp3 | FileKind::M4a | FileKind::Wav => "เสียง",
            FileKind::Mp4 => "วิดีโอ",
        }
    }
}

/// What the first bytes of a file say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniffed {
    Kind(FileKind),
    /// A zip archive: DOCX or XLSX once its directory is read (the whole file is needed).
    Zip,
    /// An MP4 container, audio or video by its brand; both endings are accepted for it.
    Mp4Family,
    /// No known signature: plain text if every byte is UTF-8 text.
    MaybeText,
    /// A known type that is not evidence we take (an executable, an archive of another kind…).
    Other,
}

/// How many leading bytes [`sniff`] needs.
pub const SNIFF_BYTES: usize = 8192;

/// Reads the type from the content with `infer`.
pub fn sniff(head: &[u8]) -> Sniffed {
    // Programs, however short their header: infer wants whole headers to name them.
    const PROGRAMS: [&[u8]; 6] =
        [b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"];
    if PROGRAMS.iter().any(|magic| head.starts_with(magic)) {
        return Sniffed::Other;
    }
    let Some(t) = infer::get(head) else {
        return Sniffed::MaybeText;
    };
    match t.mime_type() {
        "image/jpeg" => Sniffed::Kind(FileKind::Jpeg),
        "image/png" => Sniffed::Kind(FileKind::Png),
        "image/webp" => Sniffed::Kind(FileKind::Webp),
        "image/heif" | "image/heic" => Sniffed::Kind(FileKind::Heic),
        "application/pdf" => Sniffed::Kind(FileKind::Pdf),
        "audio/mpeg" => Sniffed::Kind(FileKind::Mp3),
        "audio/x-wav" | "audio/wav" => Sniffed::Kind(FileKind::Wav),
        "audio/m4a" | "video/mp4" | "audio/mp4" => Sniffed::Mp4Family,
        "application/zip"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Sniffed::Zip,
        _ => Sniffed::Other,
    }
}

/// A file name safe to keep and to show: no directories, no control or invisible formatting
/// characters, at most 200 characters, with an ending that says its kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileName(String);

pub const MAX_NAME_CHARS: usize = 200;

impl FileName {
    pub fn parse(raw: &str) -> Option<Self> {
        // Browsers on some systems send a full path; only the last part is the name.
        let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
        let cleaned: String = last
            .chars()
            .filter(|c| !c.is_control() && !super::text::is_invisible_format(*c))
            .collect::<String>()
            .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
            .trim_end()
            .to_owned();
        if cleaned.is_empty() {
            return None;
        }
        let name: String = if cleaned.chars().count() > MAX_NAME_CHARS {
            // Keep the ending: it says the kind.
            let ext: String =
                cleaned.rsplit_once('.').map(|(_, e)| e.chars().take(10).collect()).unwrap_or_default();
            // Cut to ten characters, an ending may end in spaces: they go, as from any name.
            let ext = ext.trim_end();
            let keep = MAX_NAME_CHARS - ext.chars().count() - 1;
            format!("{}.{ext}", cleaned.chars().take(keep).collect::<String>())
        } else {
            cleaned
        };
        Some(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ending, lower-cased (`""` when there is none).
    pub fn extension(&self) -> String {
        self.0.rsplit_once('.').map(|(_, e)| e.to_lowercase()).unwrap_or_default()
    }

    /// The kind the name says, among the kinds given.
    pub fn says(&self, kinds: &[FileKind]) -> Option<FileKind> {
        let ext = self.extension();
        kinds.iter().copied().find(|k| k.extensions().contains(&ext.as_str()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_controls_and_invisible_characters() {
        assert_eq!(FileName::parse("C:\\Users\\somchai\\รูป.JPG").unwrap().as_str(), "รูป.JPG");
        assert_eq!(FileName::parse("../../etc/passwd").unwrap().as_str(), "passwd");
        assert_eq!(FileName::parse("slip\u{202E}gpj.exe").unwrap().as_str(), "slipgpj.exe");
        assert_eq!(FileName::parse("a\nb.pdf").unwrap().as_str(), "ab.pdf");
        assert!(FileName::parse("  ").is_none());
        assert!(FileName::parse("dir/").is_none());
        // Found by the `upload_type` fuzz target: ". x.pdf" kept its space, so the name changed
        // when parsed again.
        assert_eq!(FileName::parse("... ,\n").unwrap().as_str(), ",");
        assert_eq!(FileName::parse(". . x.pdf").unwrap().as_str(), "x.pdf");
        // And a long name whose ending, cut to ten characters, ended in spaces.
        let long = format!("{}.do          x", "A".repeat(300));
        let parsed = FileName::parse(&long).unwrap();
        assert_eq!(FileName::parse(parsed.as_str()).as_ref(), Some(&parsed));
        assert!(parsed.as_str().ends_with(".do"));
        let long = format!("{}.pdf", "ก".repeat(500));
        let parsed = FileName::parse(&long).unwrap();
        assert_eq!(parsed.as_str().chars().count(), MAX_NAME_CHARS);
        assert_eq!(parsed.extension(), "pdf");
    }

    #[test]
    fn the_name_says_a_kind_by_its_ending_only() {
        let name = FileName::parse("หลักฐาน.Jpeg").unwrap();
        assert_eq!(name.says(FileKind::ALL), Some(FileKind::Jpeg));
        assert_eq!(FileName::parse("x.exe").unwrap().says(FileKind::ALL), None);
        assert_eq!(FileName::parse("pdf").unwrap().says(FileKind::ALL), None, "no ending");
    }

    #[test]
    fn content_decides_the_type() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00"), Sniffed::Kind(FileKind::Jpeg));
        assert_eq!(sniff(b"%PDF-1.7\n"), Sniffed::Kind(FileKind::Pdf));
        assert_eq!(
            sniff(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xFF\xFF"),
            Sniffed::Other,
            "an executable"
        );
        assert_eq!(sniff(b"\x7FELF\x02\x01\x01\x00"), Sniffed::Other);
        assert_eq!(sniff("บันทึกเหตุการณ์".as_bytes()), Sniffed::MaybeText);
    }
}
