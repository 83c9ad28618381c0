//! Evidence on the officers' side: the case's files listed with the unit key, files officers add
//! (a scanned letter, a photo taken at a visit), and downloads, each of them audited.
use super::StaffError;
use super::auth::StaffUser;
use crate::crypto::seal;
use crate::evidence::{FileMeta, Received, record};
use crate::state::AppState;
use crate::storage::attachments;
use crate::storage::audit;
use age::x25519;

pub struct FileView {
    pub id: String,
    pub meta: FileMeta,
    pub added_on: String,
    pub from_reporter: bool,
}

/// The case's files, described with the unit key (None: the officer cannot open the case).
pub async fn list(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
) -> Result<Option<Vec<FileView>>, StaffError> {
    let Some((row, unit)) = super::cases::load(state, user, reference).await? else { return Ok(None) };
    let mut conn = state.store.pool().acquire().await?;
    let rows = attachments::of_case(&mut conn, row.id).await?;
    let mut out = Vec::new();
    for f in rows {
        let meta: FileMeta = seal::open_json(&f.meta, &unit)?;
        out.push(FileView {
            id: f.public_id,
            meta,
            added_on: f.added_on,
            from_reporter: f.added_by == "reporter",
        });
    }
    Ok(Some(out))
}

/// What an officer needs to seal files for a case before they are read: the unit's and escrow's
/// keys, and how many more the case takes. None when they cannot open the case.
pub struct Slot {
    pub unit: String,
    pub recipients: Vec<x25519::Recipient>,
    pub free: u32,
    pub closed: bool,
}

pub async fn slot(state: &AppState, user: &StaffUser, reference: &str) -> Result<Option<Slot>, StaffError> {
    let Some((row, unit)) = super::cases::load(state, user, reference).await? else { return Ok(None) };
    let closed = matches!(row.status.as_str(), "concluded" | "not_accepted");
    let mut conn = state.store.pool().acquire().await?;
    let held = u32::try_from(attachments::count_of_case(&mut conn, row.id).await?).unwrap_or(u32::MAX);
    Ok(Some(Slot {
        unit: row.unit_code,
        recipients: vec![unit.to_public(), state.keyring.escrow.clone()],
        free: state.evidence.limits.max_files_per_case.saturating_sub(held),
        closed,
    }))
}

pub enum Attached {
    Attached(usize),
    /// The case moved, closed or filled up meanwhile; the files were removed again.
    Refused,
    NotFound,
}

/// An officer adds files to a case (sealed to its unit and escrow beforehand).
pub async fn attach(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
    unit: &str,
    files: Vec<Received>,
) -> Result<Attached, StaffError> {
    let result = attach_rows(state, user, reference, unit, &files).await;
    if !matches!(result, Ok(Attached::Attached(_))) {
        record::discard(&state.evidence.vault, &files).await;
    }
    result
}

async fn attach_rows(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
    unit: &str,
    files: &[Received],
) -> Result<Attached, StaffError> {
    let Some((row, unit_key)) = super::cases::load(state, user, reference).await? else {
        return Ok(Attached::NotFound);
    };
    if row.unit_code != unit {
        return Ok(Attached::Refused);
    }
    let today = state.clock.today().to_string();
    let mut tx = state.store.begin().await?;
    let recipients = [unit_key.to_public(), state.keyring.escrow.clone()];
    let meta_recipients: Vec<&x25519::Recipient> = recipients.iter().collect();
    let adding = record::Adding {
        case_id: row.id,
        unit,
        added_by: "staff",
        actor: &user.username,
        today: &today,
        max_files: state.evidence.limits.max_files_per_case,
        meta_recipients: &meta_recipients,
    };
    match record::record(&mut tx, &state.audit_key, &adding, files).await {
        Ok(ids) => {
            audit::commit(tx, &state.audit_key).await?;
            Ok(Attached::Attached(ids.len()))
        }
        Err(record::RecordError::Refused) => Ok(Attached::Refused),
        Err(record::RecordError::Storage(e)) => Err(e.into()),
        Err(record::RecordError::Evidence(_)) => Err(StaffError::Corrupt("sealing a file description")),
    }
}

/// A file to download: its description and its plaintext as a stream. The download is audited
/// before the first byte goes out.
pub struct Download {
    pub meta: FileMeta,
    pub body: std::pin::Pin<Box<dyn futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send>>,
}

pub async fn download(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
    public_id: &str,
) -> Result<Option<Download>, StaffError> {
    let Some((row, unit)) = super::cases::load(state, user, reference).await? else { return Ok(None) };
    let mut conn = state.store.pool().acquire().await?;
    let Some(file) = attachments::by_public_id(&mut conn, row.id, public_id).await? else { return Ok(None) };
    drop(conn);
    let meta: FileMeta = seal::open_json(&file.meta, &unit)?;
    let body = state
        .evidence
        .vault
        .open_stream(&file.object_key, &unit)
        .await
        .map_err(|e| StaffError::Evidence(e.to_string()))?;
    super::trail::record_read(state, user, "evidence.downloaded", Some(row.id), &format!("file={public_id}"))
        .await?;
    Ok(Some(Download { meta, body: Box::pin(body) }))
}
