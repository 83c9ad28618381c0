//! Evidence files: one file received as a stream, its type read from its content and checked
//! against its name, identifying metadata removed (unless the reporter asks to keep it), sealed
//! with age and kept in the vault. Nothing is written anywhere in the clear.
pub mod clean;
pub mod record;
pub mod vault;

use crate::domain::evidence::{FileKind, FileName, SNIFF_BYTES, Sniffed, sniff};
use age::x25519;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::sync::Arc;
pub use vault::Vault;

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("the file is larger than {max_bytes} bytes")]
    TooLarge { max_bytes: u64 },
    #[error("files of this type are not accepted")]
    NotAllowed,
    #[error("the file's content does not match its name")]
    Mismatch,
    #[error(transparent)]
    CannotClean(#[from] clean::CleanError),
    #[error("the upload could not be read")]
    Unreadable,
    #[error("evidence store: {0}")]
    Store(String),
    #[error("age sealing failed")]
    Crypto,
}

/// What `[evidence]` allows.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub max_files_per_case: u32,
    pub allowed: Vec<FileKind>,
}

/// What is sealed about a file, next to it: its name and what it is. Sealed to the case's unit and
/// escrow, and for a reporter's own file to the reporter's key too, so they can list what they sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileMeta {
    pub name: FileName,
    pub kind: FileKind,
    /// Bytes of the file as stored (after cleaning).
    pub size: u64,
    pub metadata_removed: bool,
    /// SHA-256 of the file as stored, so a court can check an exported copy.
    pub sha256: String,
}

/// A file sealed into the vault; its row is written by the caller's transaction.
pub struct Received {
    pub object_key: String,
    pub meta: FileMeta,
}

/// Files read whole (to clean them, or to read a zip's directory) share this much memory, in MiB:
/// further uploads wait, reading nothing, until it is free. A file counts twice (it and its
/// cleaned copy).
const WHOLE_FILE_BUDGET_MIB: u32 = 96;
static WHOLE_FILES: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(WHOLE_FILE_BUDGET_MIB as usize);

/// The share of the budget one file of at most `max_bytes` takes.
fn whole_file_permits(max_bytes: u64) -> u32 {
    let mib = u32::try_from(max_bytes.div_ceil(1 << 20)).unwrap_or(u32::MAX);
    mib.saturating_mul(2).clamp(1, WHOLE_FILE_BUDGET_MIB)
}

/// Control and other non-text bytes that say a file is not plain text (tab, line breaks and form
/// feed are text).
fn is_text(chunk: &str) -> bool {
    !chunk.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{0C}'))
}

/// Incremental UTF-8 text check over chunks that may split a character.
#[derive(Default)]
struct TextCheck {
    carry: Vec<u8>,
    ok: bool,
}

impl TextCheck {
    fn new() -> Self {
        Self { carry: Vec::new(), ok: true }
    }

    fn feed(&mut self, bytes: &[u8]) {
        if !self.ok {
            return;
        }
        self.carry.extend_from_slice(bytes);
        match std::str::from_utf8(&self.carry) {
            Ok(s) => {
                self.ok = is_text(s);
                self.carry.clear();
            }
            Err(e) if e.error_len().is_none() && self.carry.len() - e.valid_up_to() < 4 => {
                let valid = e.valid_up_to();
                self.ok = std::str::from_utf8(&self.carry[..valid]).is_ok_and(is_text);
                self.carry.drain(..valid);
            }
            Err(_) => self.ok = false,
        }
    }

    fn finish(self) -> bool {
        self.ok && self.carry.is_empty()
    }
}

/// Receives one file: reads enough to tell its type, refuses a type that is not allowed or does
/// not match the name, cleans what can be cleaned (unless `keep_metadata`), and seals it to the
/// recipients into the vault. On any failure nothing stays in the vault.
pub async fn receive<S>(
    vault: &Vault,
    limits: &Limits,
    name: FileName,
    keep_metadata: bool,
    chunks: S,
    recipients: &[x25519::Recipient],
) -> Result<Received, EvidenceError>
where
    S: Stream<Item = Result<Bytes, EvidenceError>> + Unpin,
{
    let mut chunks = Capped(chunks, 0, limits.max_file_bytes);
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    while head.len() < SNIFF_BYTES {
        match chunks.next().await {
            Some(chunk) => head.extend_from_slice(&chunk?),
            None => break,
        }
    }
    let named = name.says(FileKind::ALL);
    let mut permit = None;
    let (kind, mut whole) = match sniff(&head) {
        Sniffed::Kind(k) => (k, None),
        Sniffed::Mp4Family => match named {
            Some(k @ (FileKind::Mp4 | FileKind::M4a)) => (k, None),
            _ => return Err(mismatch_or_refused(named, limits)),
        },
        Sniffed::Zip => {
            // Refused by its name before anything more is read.
            if !matches!(named, Some(k @ (FileKind::Docx | FileKind::Xlsx)) if limits.allowed.contains(&k)) {
                return Err(mismatch_or_refused(named, limits));
            }
            permit = Some(budget(limits).await?);
            let all = read_all(std::mem::take(&mut head), &mut chunks).await?;
            match clean::office::is_docx(&all) {
                Some(true) => (FileKind::Docx, Some(all)),
                Some(false) => (FileKind::Xlsx, Some(all)),
                None => return Err(mismatch_or_refused(named, limits)),
            }
        }
        Sniffed::MaybeText => (FileKind::Text, None),
        Sniffed::Other => return Err(mismatch_or_refused(named, limits)),
    };
    if named != Some(kind) {
        return Err(mismatch_or_refused(named, limits));
    }
    if !limits.allowed.contains(&kind) {
        return Err(EvidenceError::NotAllowed);
    }
    // Kept as they are, files of cleanable kinds stream too (a zip was read whole to tell its kind).
    if whole.is_some() || (kind.needs_whole_file() && !keep_metadata) {
        if permit.is_none() {
            permit = Some(budget(limits).await?);
        }
        let all = match whole.take() {
            Some(all) => all,
            None => read_all(head, &mut chunks).await?,
        };
        let (bytes, metadata_removed) = if keep_metadata {
            (all, false)
        } else {
            let cleaned = tokio::task::spawn_blocking(move || clean::clean(kind, all))
                .await
                .map_err(|_| EvidenceError::Crypto)??;
            (cleaned, true)
        };
        let sha256 = hex(&sha2::Sha256::digest(&bytes));
        let mut upload = vault.begin(recipients).await?;
        for piece in bytes.chunks(64 * 1024) {
            upload.write(piece).await?;
        }
        let size = bytes.len() as u64;
        let object_key = upload.finish().await?;
        drop(permit);
        return Ok(Received { object_key, meta: FileMeta { name, kind, size, metadata_removed, sha256 } });
    }
    // Streamed: never whole in memory.
    let mut upload = vault.begin(recipients).await?;
    let mut hasher = sha2::Sha256::new();
    let mut text = (kind == FileKind::Text).then(TextCheck::new);
    let mut size = 0u64;
    let mut pending = Some(Ok(Bytes::from(head)));
    loop {
        let next = match pending.take() {
            Some(first) => Some(first),
            None => chunks.next().await,
        };
        let Some(chunk) = next else { break };
        let piece = match chunk {
            Ok(piece) => piece,
            Err(e) => {
                upload.abort().await;
                return Err(e);
            }
        };
        if let Some(t) = text.as_mut() {
            t.feed(&piece);
        }
        hasher.update(&piece);
        size += piece.len() as u64;
        upload.write(&piece).await?;
    }
    if text.is_some_and(|t| !t.finish()) || size == 0 {
        upload.abort().await;
        return Err(if size == 0 { EvidenceError::Unreadable } else { EvidenceError::Mismatch });
    }
    let object_key = upload.finish().await?;
    let sha256 = hex(&hasher.finalize());
    Ok(Received { object_key, meta: FileMeta { name, kind, size, metadata_removed: false, sha256 } })
}

/// Waits for room to hold a file whole.
async fn budget(limits: &Limits) -> Result<tokio::sync::SemaphorePermit<'static>, EvidenceError> {
    WHOLE_FILES
        .acquire_many(whole_file_permits(limits.max_file_bytes))
        .await
        .map_err(|_| EvidenceError::Crypto)
}

/// The name says an allowed kind but the content is another: a mismatch; otherwise not allowed.
fn mismatch_or_refused(named: Option<FileKind>, limits: &Limits) -> EvidenceError {
    match named {
        Some(k) if limits.allowed.contains(&k) => EvidenceError::Mismatch,
        _ => EvidenceError::NotAllowed,
    }
}

async fn read_all<S>(mut head: Vec<u8>, chunks: &mut Capped<S>) -> Result<Vec<u8>, EvidenceError>
where
    S: Stream<Item = Result<Bytes, EvidenceError>> + Unpin,
{
    while let Some(chunk) = chunks.next().await {
        head.extend_from_slice(&chunk?);
    }
    Ok(head)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A chunk stream that fails with `TooLarge` as soon as more than the limit has come.
struct Capped<S>(S, u64, u64);

impl<S: Stream<Item = Result<Bytes, EvidenceError>> + Unpin> Stream for Capped<S> {
    type Item = Result<Bytes, EvidenceError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let polled = std::pin::Pin::new(&mut self.0).poll_next(cx);
        if let std::task::Poll::Ready(Some(Ok(chunk))) = &polled {
            self.1 += chunk.len() as u64;
            if self.1 > self.2 {
                let max_bytes = self.2;
                return std::task::Poll::Ready(Some(Err(EvidenceError::TooLarge { max_bytes })));
            }
        }
        polled
    }
}

/// The service's evidence context: the vault and the limits.
#[derive(Clone)]
pub struct Evidence {
    pub vault: Arc<Vault>,
    pub limits: Arc<Limits>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn text_checks_survive_characters_split_across_chunks() {
        let thai = "บันทึกเหตุการณ์วันที่ ๓\n".as_bytes();
        let mut t = TextCheck::new();
        for piece in thai.chunks(1) {
            t.feed(piece);
        }
        assert!(t.finish());
        let mut t = TextCheck::new();
        t.feed(b"abc\x00def");
        assert!(!t.finish(), "NUL is not text");
        let mut t = TextCheck::new();
        t.feed(&thai[..thai.len() - 2]);
        assert!(!t.finish(), "a cut-off character at the end");
        let mut t = TextCheck::new();
        t.feed(b"\xff\xfe");
        assert!(!t.finish());
    }
}
