//! Writing received files to a case inside the caller's transaction: each file's description is
//! sealed, its row written (only while the case is still with the unit the file was sealed to,
//! still open, and below the per-case limit) and the addition audited.
use super::{EvidenceError, Received};
use crate::crypto::seal;
use crate::storage::audit::{self, AuditEntry, AuditKey};
use crate::storage::{StorageError, attachments};
use age::x25519;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    /// The case moved to another unit, closed, or is full: nothing was written.
    #[error("the case no longer takes these files")]
    Refused,
}

pub struct Adding<'a> {
    pub case_id: i64,
    /// The unit the files were sealed to.
    pub unit: &'a str,
    /// `reporter` or `staff`.
    pub added_by: &'a str,
    /// Who, for the audit trail (`reporter` or an officer's username).
    pub actor: &'a str,
    pub today: &'a str,
    pub max_files: u32,
    /// Who can read the files' descriptions: the unit and escrow, and the reporter for their own.
    pub meta_recipients: &'a [&'a x25519::Recipient],
}

/// Records the files; returns their public ids in order.
pub async fn record(
    conn: &mut sqlx::AnyConnection,
    audit_key: &AuditKey,
    adding: &Adding<'_>,
    files: &[Received],
) -> Result<Vec<String>, RecordError> {
    let mut ids = Vec::with_capacity(files.len());
    for file in files {
        let public_id = uuid::Uuid::new_v4().simple().to_string();
        let meta = seal::seal_json(&file.meta, adding.meta_recipients).map_err(|_| EvidenceError::Crypto)?;
        let row = attachments::NewAttachment {
            public_id: &public_id,
            case_id: adding.case_id,
            added_on: adding.today,
            added_by: adding.added_by,
            object_key: &file.object_key,
            meta: &meta,
        };
        if !attachments::insert(conn, &row, adding.unit, i64::from(adding.max_files)).await? {
            return Err(RecordError::Refused);
        }
        let detail = format!(
            "file={public_id} kind={} metadata_removed={}",
            file.meta.kind.code(),
            file.meta.metadata_removed
        );
        let entry = AuditEntry {
            recorded_on: adding.today,
            actor: adding.actor,
            action: "evidence.added",
            case_id: Some(adding.case_id),
            detail: &detail,
        };
        audit::append(conn, audit_key, &entry).await?;
        if file.meta.metadata_removed {
            let entry =
                AuditEntry { action: "evidence.cleaned", detail: &format!("file={public_id}"), ..entry };
            audit::append(conn, audit_key, &entry).await?;
        }
        ids.push(public_id);
    }
    Ok(ids)
}

/// Removes files from the vault after their transaction failed (best effort: a leftover file is
/// ciphertext no row refers to, and the orphan sweep removes it).
pub async fn discard(vault: &super::Vault, files: &[Received]) {
    for f in files {
        if let Err(e) = vault.delete(&f.object_key).await {
            tracing::warn!(error = %e, "could not remove an evidence file after a failed write");
        }
    }
}
