//! The hash-chained audit trail: each entry's MAC covers the previous one, so an edit or a deletion
//! inside the chain breaks it. The MAC key lives in a file outside the database, so whoever can
//! write to the database cannot recompute the chain. The head row serialises writers on both
//! backends. After each commit the head is also written, MAC'd, to an anchor file in the data
//! directory, so removing the last entries and rewinding the head is detected too.
use super::StorageError;
use sqlx::{AnyConnection, Row};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

/// The chain's MAC key (from `secrets/audit-chain.key`), and where the anchor is kept.
#[derive(Clone)]
pub struct AuditKey {
    key: Zeroizing<[u8; 32]>,
    anchor: Option<Arc<AnchorFile>>,
}

impl AuditKey {
    /// A key without an anchor file (tools that only read the chain).
    pub fn new(key: Zeroizing<[u8; 32]>) -> Self {
        Self { key, anchor: None }
    }

    /// A key that writes the anchor file `audit-anchor` in `data_dir` after each commit.
    pub fn anchored(key: Zeroizing<[u8; 32]>, data_dir: &Path) -> Self {
        let anchor = AnchorFile::new(data_dir.join(ANCHOR_FILE), &key);
        Self { key, anchor: Some(Arc::new(anchor)) }
    }

    pub fn anchor_path(&self) -> Option<&Path> {
        self.anchor.as_deref().map(|a| a.path.as_path())
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(<key>)")
    }
}

pub struct AuditEntry<'a> {
    pub recorded_on: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub case_id: Option<i64>,
    /// Metadata only: never content, identity, tokens or addresses.
    pub detail: &'a str,
}

fn entry_hash(key: &AuditKey, prev: &[u8], position: i64, e: &AuditEntry<'_>) -> [u8; 32] {
    let mut h = blake3::Hasher::new_keyed(&key.key);
    h.update(prev);
    for field in [
        position.to_string().as_str(),
        e.recorded_on,
        e.actor,
        e.action,
        e.case_id.map(|c| c.to_string()).unwrap_or_default().as_str(),
        e.detail,
    ] {
        h.update(&(field.len() as u64).to_le_bytes());
        h.update(field.as_bytes());
    }
    *h.finalize().as_bytes()
}

/// Appends an entry inside the caller's transaction; commit it with [`commit`].
pub async fn append(
    conn: &mut AnyConnection,
    key: &AuditKey,
    entry: &AuditEntry<'_>,
) -> Result<(), StorageError> {
    // Taking the head row first locks it (a row lock on PostgreSQL, the write lock on SQLite).
    let head =
        sqlx::query("UPDATE audit_head SET entries = entries + 1 WHERE id = 1 RETURNING entries, last_hash")
            .fetch_one(&mut *conn)
            .await?;
    let position: i64 = head.try_get(0)?;
    let prev: Vec<u8> = head.try_get(1)?;
    let hash = entry_hash(key, &prev, position, entry);
    // The trigger `audit_log_moves_head` sets the head's hash to this entry's.
    sqlx::query(
        "INSERT INTO audit_log (position, recorded_on, actor, action, case_id, detail, prev_hash, entry_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(position)
    .bind(entry.recorded_on.to_owned())
    .bind(entry.actor.to_owned())
    .bind(entry.action.to_owned())
    .bind(entry.case_id)
    .bind(entry.detail.to_owned())
    .bind(prev)
    .bind(hash.to_vec())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Commits a transaction that appended to the trail, then writes the head it committed to the
/// anchor file. The anchor is best effort: the change is already durable when it is written, and
/// a missed write leaves an older anchor, which is still true.
pub async fn commit(mut tx: super::WriteTx, key: &AuditKey) -> Result<(), StorageError> {
    let head = match &key.anchor {
        Some(_) => Some(head(&mut tx).await?),
        None => None,
    };
    tx.commit().await?;
    if let (Some(anchor), Some(head)) = (&key.anchor, head) {
        anchor.write(&head);
    }
    Ok(())
}

/// Writes the database's current head to the anchor file, for entries that another instance or a
/// command-line tool committed. The anchor never moves backwards, so a rewound head is not copied.
pub async fn refresh_anchor(pool: &sqlx::AnyPool, key: &AuditKey) -> Result<(), StorageError> {
    let Some(anchor) = &key.anchor else { return Ok(()) };
    let mut conn = pool.acquire().await?;
    let head = head(&mut conn).await?;
    // Only a head whose last entry exists and carries our MAC: a head row raised by whoever can
    // write to the database would otherwise pin the anchor where no chain reaches.
    let row = sqlx::query(
        "SELECT recorded_on, actor, action, case_id, detail, prev_hash, entry_hash FROM audit_log WHERE position = $1",
    )
    .bind(head.entries)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(()) };
    let (on, actor, action): (String, String, String) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
    let (case_id, detail): (Option<i64>, String) = (r.try_get(3)?, r.try_get(4)?);
    let (prev, stored): (Vec<u8>, Vec<u8>) = (r.try_get(5)?, r.try_get(6)?);
    let e = AuditEntry { recorded_on: &on, actor: &actor, action: &action, case_id, detail: &detail };
    if stored == entry_hash(key, &prev, head.entries, &e) && stored == head.last_hash {
        anchor.write(&head);
    } else {
        tracing::warn!("the audit head does not match its last entry; the anchor was not moved");
    }
    Ok(())
}

/// Appends an entry in a transaction of its own (for events that write nothing else).
pub async fn record(
    store: &super::Store,
    key: &AuditKey,
    entry: &AuditEntry<'_>,
) -> Result<(), StorageError> {
    let mut tx = store.begin().await?;
    append(&mut tx, key, entry).await?;
    commit(tx, key).await
}

/// The number of entries and the last entry's hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub entries: i64,
    pub last_hash: Vec<u8>,
}

impl Head {
    pub fn hash_hex(&self) -> String {
        hex(&self.last_hash)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn head(conn: &mut AnyConnection) -> Result<Head, StorageError> {
    let row = sqlx::query("SELECT entries, last_hash FROM audit_head WHERE id = 1").fetch_one(conn).await?;
    Ok(Head { entries: row.try_get(0)?, last_hash: row.try_get(1)? })
}

pub const ANCHOR_FILE: &str = "audit-anchor";

/// The anchor file: the committed head, MAC'd with a key derived from the chain's key, so it cannot
/// be forged by whoever can only write to the database.
struct AnchorFile {
    path: PathBuf,
    mac_key: Zeroizing<[u8; 32]>,
    /// The highest head written by this process (an older one is never written over it).
    written: Mutex<i64>,
}

impl AnchorFile {
    fn new(path: PathBuf, key: &[u8; 32]) -> Self {
        let mac_key = Zeroizing::new(blake3::derive_key("rongrian audit anchor v1", key));
        let written = read_anchor(&path, &mac_key).ok().flatten().map(|a| a.entries).unwrap_or(0);
        Self { path, mac_key, written: Mutex::new(written) }
    }

    fn write(&self, head: &Head) {
        let Ok(mut written) = self.written.lock() else { return };
        if head.entries <= *written {
            return;
        }
        // Another process (a command-line tool beside the service) may have written a later head.
        if let Ok(Some(on_disk)) = read_anchor(&self.path, &self.mac_key)
            && on_disk.entries >= head.entries
        {
            *written = on_disk.entries;
            return;
        }
        let line = anchor_line(head, &self.mac_key);
        let tmp = self.path.with_extension(format!("tmp-{}", std::process::id()));
        // Written beside and renamed over, so a reader never sees half a line.
        match std::fs::write(&tmp, line.as_bytes()).and_then(|()| std::fs::rename(&tmp, &self.path)) {
            Ok(()) => *written = head.entries,
            Err(e) => tracing::warn!(error = %e, "could not write the audit anchor"),
        }
    }
}

fn anchor_mac(mac_key: &[u8; 32], entries: i64, hash_hex: &str) -> String {
    hex(blake3::keyed_hash(mac_key, format!("{entries}:{hash_hex}").as_bytes()).as_bytes())
}

fn anchor_line(head: &Head, mac_key: &[u8; 32]) -> String {
    let hash = head.hash_hex();
    format!(
        "rongrian-audit-anchor v1 entries={} hash={hash} mac={}\n",
        head.entries,
        anchor_mac(mac_key, head.entries, &hash)
    )
}

/// What an anchor file records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    pub entries: i64,
    pub hash_hex: String,
}

/// Reads an anchor file: `Ok(None)` if there is none, `Err` if it is not one this key wrote.
fn read_anchor(path: &Path, mac_key: &[u8; 32]) -> Result<Option<Anchor>, ()> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(_) => return Err(()),
    };
    let mut fields = std::collections::HashMap::new();
    let mut words = text.split_whitespace();
    if (words.next(), words.next()) != (Some("rongrian-audit-anchor"), Some("v1")) {
        return Err(());
    }
    for w in words {
        let (k, v) = w.split_once('=').ok_or(())?;
        fields.insert(k, v);
    }
    let entries: i64 = fields.get("entries").ok_or(())?.parse().map_err(|_| ())?;
    let hash_hex = (*fields.get("hash").ok_or(())?).to_owned();
    let mac = fields.get("mac").ok_or(())?;
    let expected = anchor_mac(mac_key, entries, &hash_hex);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), mac.as_bytes())) {
        return Err(());
    }
    Ok(Some(Anchor { entries, hash_hex }))
}

/// A head recorded outside the system (the daily mail to auditors, the annual report):
/// `ENTRIES:HASH`, the hash in full or its first 16 or more hex digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedHead {
    pub entries: i64,
    pub hash_prefix: String,
}

impl ExpectedHead {
    pub fn parse(s: &str) -> Option<Self> {
        let (n, h) = s.trim().split_once(':')?;
        let hash_prefix = h.trim().to_ascii_lowercase();
        let valid =
            (16..=64).contains(&hash_prefix.len()) && hash_prefix.bytes().all(|b| b.is_ascii_hexdigit());
        Some(Self { entries: n.trim().parse().ok().filter(|n| *n > 0)?, hash_prefix }).filter(|_| valid)
    }
}

/// Something wrong with the trail, as `verify-audit` names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// The entry's fields no longer match its MAC.
    Edited { position: i64 },
    /// Positions are missing from the chain.
    Missing { first: i64, last: i64 },
    /// An intact entry stands at the wrong position.
    Moved { position: i64, belongs_at: i64 },
    /// The entry is intact but does not follow the one before it.
    Unlinked { position: i64 },
    /// The head row disagrees with the chain.
    HeadMismatch { head_entries: i64, chain_entries: i64 },
    /// The chain is shorter than a head recorded outside the database.
    Truncated { recorded: i64, found: i64, by: &'static str },
    /// The entry at a recorded head's position is not the one recorded.
    Diverged { position: i64, by: &'static str },
    /// The anchor file is not one this installation's key wrote.
    AnchorForged,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::Edited { position } => write!(f, "entry {position} was edited"),
            Finding::Missing { first, last } if first == last => write!(f, "entry {first} was deleted"),
            Finding::Missing { first, last } => write!(f, "entries {first}-{last} were deleted"),
            Finding::Moved { position, belongs_at } => {
                write!(
                    f,
                    "entry {position} was moved: it was written as entry {belongs_at} (entries reordered)"
                )
            }
            Finding::Unlinked { position } => {
                write!(
                    f,
                    "entry {position} does not follow the entry before it (entries removed or reordered)"
                )
            }
            Finding::HeadMismatch { head_entries, chain_entries } => write!(
                f,
                "the head records {head_entries} entries but the chain ends at entry {chain_entries}"
            ),
            Finding::Truncated { recorded, found, by } => write!(
                f,
                "the last entries were removed: the {by} records {recorded} entries, the chain has {found}"
            ),
            Finding::Diverged { position, by } => {
                write!(f, "entry {position} is not the entry the {by} records (the trail was rewritten)")
            }
            Finding::AnchorForged => {
                write!(f, "the anchor file was not written with this installation's audit key")
            }
        }
    }
}

pub struct Verification {
    pub entries: i64,
    pub findings: Vec<Finding>,
    /// The anchor file's record, when there is a valid one.
    pub anchor: Option<Anchor>,
    /// No anchor file at all: truncation at the end cannot be detected from this data directory.
    pub anchor_missing: bool,
}

impl Verification {
    pub fn intact(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Recomputes the chain and compares it with the head row, the anchor file (when the key has one)
/// and an externally recorded head; names everything it finds (up to 50 findings).
pub async fn verify(
    conn: &mut AnyConnection,
    key: &AuditKey,
    expected: Option<&ExpectedHead>,
) -> Result<Verification, StorageError> {
    // The anchor first, then the rows and the head from one snapshot: entries written while the
    // check runs (every staff read writes one) are neither half seen nor taken for tampering.
    let anchor_read = key.anchor.as_deref().map(|file| read_anchor(&file.path, &file.mac_key));
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    if tx.backend_name().eq_ignore_ascii_case("postgresql") {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await?;
    }
    let rows = sqlx::query(
        "SELECT position, recorded_on, actor, action, case_id, detail, prev_hash, entry_hash \
         FROM audit_log ORDER BY position",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut findings = Vec::new();
    let mut prev = vec![0u8; 32];
    let mut expected_position = 1;
    let mut last_position = 0;
    let mut hashes = std::collections::HashMap::new();
    // After a broken entry the next one cannot link to it; that is the same finding, not a new one.
    let mut after_broken = false;
    for r in &rows {
        if findings.len() >= 50 {
            break;
        }
        let position: i64 = r.try_get(0)?;
        let (on, actor, action): (String, String, String) = (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
        let case_id: Option<i64> = r.try_get(4)?;
        let detail: String = r.try_get(5)?;
        let stored_prev: Vec<u8> = r.try_get(6)?;
        let stored: Vec<u8> = r.try_get(7)?;
        let e = AuditEntry { recorded_on: &on, actor: &actor, action: &action, case_id, detail: &detail };
        if position > expected_position {
            findings.push(Finding::Missing { first: expected_position, last: position - 1 });
        }
        let broken = stored != entry_hash(key, &stored_prev, position, &e);
        if broken {
            // An intact entry written at another position was moved; otherwise it was edited.
            let limit = i64::try_from(rows.len()).unwrap_or(i64::MAX).saturating_add(64);
            match (1..=limit).find(|p| *p != position && stored == entry_hash(key, &stored_prev, *p, &e)) {
                Some(belongs_at) => findings.push(Finding::Moved { position, belongs_at }),
                None => findings.push(Finding::Edited { position }),
            }
        } else if stored_prev != prev && position == expected_position && !after_broken {
            findings.push(Finding::Unlinked { position });
        }
        after_broken = broken;
        hashes.insert(position, hex(&stored));
        prev = stored;
        expected_position = position + 1;
        last_position = position;
    }
    let head = head(&mut tx).await?;
    tx.rollback().await?;
    if head.entries != last_position || (last_position > 0 && head.last_hash != prev) {
        findings.push(Finding::HeadMismatch { head_entries: head.entries, chain_entries: last_position });
    }
    let check = |recorded: i64, hash_prefix: &str, by: &'static str, findings: &mut Vec<Finding>| {
        if recorded > last_position {
            findings.push(Finding::Truncated { recorded, found: last_position, by });
        } else if !hashes.get(&recorded).is_some_and(|h| h.starts_with(hash_prefix)) {
            findings.push(Finding::Diverged { position: recorded, by });
        }
    };
    let (mut anchor, mut anchor_missing) = (None, false);
    if let Some(read) = anchor_read {
        match read {
            Ok(Some(a)) => {
                check(a.entries, &a.hash_hex, "anchor file", &mut findings);
                anchor = Some(a);
            }
            Ok(None) => anchor_missing = true,
            Err(()) => findings.push(Finding::AnchorForged),
        }
    }
    if let Some(e) = expected {
        check(e.entries, &e.hash_prefix, "head you gave", &mut findings);
    }
    Ok(Verification { entries: last_position, findings, anchor, anchor_missing })
}

/// Filters of the auditors' view; `None` means any.
#[derive(Clone, Default)]
pub struct AuditFilter {
    pub from: Option<String>,
    pub to: Option<String>,
    pub actor: Option<String>,
    /// An action, or a prefix ending in `.` (`identity.`).
    pub action: Option<String>,
    pub case_id: Option<i64>,
}

pub struct AuditRow {
    pub position: i64,
    pub recorded_on: String,
    pub actor: String,
    pub action: String,
    pub reference: Option<String>,
    pub detail: String,
}

/// Entries matching the filter, newest first. Only placeholders are formatted into the SQL.
pub async fn search(
    conn: &mut AnyConnection,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditRow>, StorageError> {
    select(conn, filter, None, limit).await
}

/// Entries matching the filter after `position`, oldest first (an export, page by page).
pub async fn search_after(
    conn: &mut AnyConnection,
    filter: &AuditFilter,
    position: i64,
    limit: i64,
) -> Result<Vec<AuditRow>, StorageError> {
    select(conn, filter, Some(position), limit).await
}

async fn select(
    conn: &mut AnyConnection,
    filter: &AuditFilter,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRow>, StorageError> {
    let mut sql = String::from(
        "SELECT l.position, l.recorded_on, l.actor, l.action, c.reference, l.detail FROM audit_log l \
         LEFT JOIN cases c ON c.id = l.case_id WHERE 1 = 1",
    );
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    let mut texts = Vec::new();
    if let Some(v) = &filter.from {
        sql.push_str(&format!(" AND l.recorded_on >= {}", next()));
        texts.push(v.clone());
    }
    if let Some(v) = &filter.to {
        sql.push_str(&format!(" AND l.recorded_on <= {}", next()));
        texts.push(v.clone());
    }
    if let Some(v) = &filter.actor {
        sql.push_str(&format!(" AND l.actor = {}", next()));
        texts.push(v.clone());
    }
    if let Some(v) = &filter.action {
        if let Some(prefix) = v.strip_suffix('.') {
            // A prefix match without LIKE, so `_` and `%` in the input mean nothing.
            sql.push_str(&format!(" AND substr(l.action, 1, {}) = {}", prefix.len() + 1, next()));
            texts.push(format!("{prefix}."));
        } else {
            sql.push_str(&format!(" AND l.action = {}", next()));
            texts.push(v.clone());
        }
    }
    let case_param = filter.case_id.map(|_| next());
    if let Some(p) = &case_param {
        sql.push_str(&format!(" AND l.case_id = {p}"));
    }
    match after.map(|_| next()) {
        Some(p) => sql.push_str(&format!(" AND l.position > {p} ORDER BY l.position ASC LIMIT {}", next())),
        None => sql.push_str(&format!(" ORDER BY l.position DESC LIMIT {}", next())),
    }
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for t in texts {
        query = query.bind(t);
    }
    if let Some(id) = filter.case_id {
        query = query.bind(id);
    }
    if let Some(position) = after {
        query = query.bind(position);
    }
    let rows = query.bind(limit).fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(AuditRow {
                position: r.try_get(0)?,
                recorded_on: r.try_get(1)?,
                actor: r.try_get(2)?,
                action: r.try_get(3)?,
                reference: r.try_get(4)?,
                detail: r.try_get(5)?,
            })
        })
        .collect()
}

/// The distinct actions in the trail, for the auditors' filter.
pub async fn actions(conn: &mut AnyConnection) -> Result<Vec<String>, StorageError> {
    let rows = sqlx::query("SELECT DISTINCT action FROM audit_log ORDER BY action").fetch_all(conn).await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn an_anchor_reads_back_only_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let key = Zeroizing::new([3u8; 32]);
        let file = AnchorFile::new(dir.path().join(ANCHOR_FILE), &key);
        file.write(&Head { entries: 7, last_hash: vec![0xab; 32] });
        file.write(&Head { entries: 5, last_hash: vec![0xcd; 32] });
        let read = read_anchor(&file.path, &file.mac_key).unwrap().unwrap();
        assert_eq!(read, Anchor { entries: 7, hash_hex: "ab".repeat(32) }, "never moves backwards");
        let other = Zeroizing::new(blake3::derive_key("rongrian audit anchor v1", &[4u8; 32]));
        assert!(read_anchor(&file.path, &other).is_err(), "another key's MAC does not match");
        std::fs::write(&file.path, "rongrian-audit-anchor v1 entries=9 hash=00 mac=00\n").unwrap();
        assert!(read_anchor(&file.path, &file.mac_key).is_err(), "a forged line");
        assert_eq!(read_anchor(&dir.path().join("none"), &file.mac_key), Ok(None));
    }

    #[test]
    fn external_heads_parse_with_a_long_enough_hash() {
        let h = ExpectedHead::parse("12:ABCDEF0123456789").unwrap();
        assert_eq!((h.entries, h.hash_prefix.as_str()), (12, "abcdef0123456789"));
        assert!(ExpectedHead::parse("12:abcd").is_none(), "too short to mean anything");
        assert!(ExpectedHead::parse("0:abcdef0123456789").is_none());
        assert!(ExpectedHead::parse("x:abcdef0123456789").is_none());
    }
}
