//! Retention: personal data is kept only as long as it is needed. When a closed case's time is up
//! (`[retention]`, counted from the day it closed) its sealed content, identity, messages, notes and
//! files are destroyed and a tombstone keeps the metadata the annual figures are computed from, so a
//! past year's figures never change. An identity may go sooner. Every destruction is audited.
use crate::config::Settings;
use crate::domain::complaint::Track;
use crate::evidence::Vault;
use crate::storage::audit::{self, AuditEntry, AuditKey};
use crate::storage::{StorageError, Store, attachments, retention};
use time::Date;

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("stored date `{0}` is not a date")]
    Date(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Everything sealed of the case; a tombstone stays.
    Case,
    /// The reporter's identity only.
    Identity,
}

#[derive(Clone, Debug)]
pub struct Due {
    pub case_id: i64,
    pub reference: String,
    pub track: String,
    pub closed_on: Date,
    pub expires_on: Date,
    pub scope: Scope,
}

/// `years` after `day` (29 February becomes 28 February in a common year).
pub fn years_after(day: Date, years: u16) -> Date {
    let year = day.year() + i32::from(years);
    day.replace_year(year)
        .or_else(|_| Date::from_calendar_date(year, day.month(), day.day() - 1))
        .unwrap_or(Date::MAX)
}

/// What a purge on `as_of` would destroy.
pub async fn due(store: &Store, settings: &Settings, as_of: Date) -> Result<Vec<Due>, RetentionError> {
    let r = &settings.retention;
    let mut conn = store.pool().acquire().await.map_err(StorageError::from)?;
    let mut out = Vec::new();
    for c in retention::closed_cases(&mut conn).await? {
        let closed_on = Date::parse(&c.closed_on, &time::format_description::well_known::Iso8601::DATE)
            .map_err(|_| RetentionError::Date(c.closed_on.clone()))?;
        let years = if c.track == Track::Corruption.code() { r.corruption_years } else { r.general_years };
        let case_expires = years_after(closed_on, years);
        let identity_expires = years_after(closed_on, r.identity_years_after_close);
        let (scope, expires_on) = if case_expires <= as_of {
            (Scope::Case, case_expires)
        } else if c.has_identity && r.identity_years_after_close > 0 && identity_expires <= as_of {
            (Scope::Identity, identity_expires)
        } else {
            continue;
        };
        out.push(Due { case_id: c.id, reference: c.reference, track: c.track, closed_on, expires_on, scope });
    }
    Ok(out)
}

/// Who purges, and with what.
pub struct Purger<'a> {
    pub store: &'a Store,
    pub settings: &'a Settings,
    pub vault: &'a Vault,
    pub audit_key: &'a AuditKey,
    /// The day of the purge (today; earlier or later only in tests).
    pub as_of: Date,
    /// `cli`, `retention` (the daily worker) or a test.
    pub actor: &'a str,
}

#[derive(Debug, Default)]
pub struct Purged {
    pub cases: Vec<String>,
    pub identities: Vec<String>,
    pub files: usize,
    pub orphan_files: usize,
    pub nonces: u64,
    pub failed_mails: u64,
}

/// Destroys what is due, each case in a transaction of its own with its audit entry; then the
/// case's files, files no row refers to any more, old form nonces and mail that gave up; then
/// compacts the database so the destroyed bytes leave its files.
pub async fn purge(p: &Purger<'_>) -> Result<Purged, RetentionError> {
    let mut done = Purged::default();
    let today = p.as_of.to_string();
    for d in due(p.store, p.settings, p.as_of).await? {
        let mut tx = p.store.begin().await.map_err(StorageError::from)?;
        let detail = format!("closed_on={} track={} expired_on={}", d.closed_on, d.track, d.expires_on);
        let (action, keys) = match d.scope {
            Scope::Case => {
                let mut random = [0u8; 32];
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut random);
                ("retention.case_destroyed", retention::tombstone(&mut tx, d.case_id, &today, &random).await?)
            }
            Scope::Identity => {
                retention::purge_identity(&mut tx, d.case_id, &today).await?;
                ("retention.identity_destroyed", Vec::new())
            }
        };
        let entry = AuditEntry {
            recorded_on: &today,
            actor: p.actor,
            action,
            case_id: Some(d.case_id),
            detail: &detail,
        };
        audit::append(&mut tx, p.audit_key, &entry).await?;
        audit::commit(tx, p.audit_key).await?;
        for key in &keys {
            // A file that fails to go now is an orphan the sweep below (or the next purge) removes.
            if p.vault.delete(key).await.is_ok() {
                done.files += 1;
            }
        }
        match d.scope {
            Scope::Case => done.cases.push(d.reference),
            Scope::Identity => done.identities.push(d.reference),
        }
    }
    done.orphan_files = sweep_orphans(p.store, p.vault, p.as_of).await?;
    let r = &p.settings.retention;
    let mut conn = p.store.pool().acquire().await.map_err(StorageError::from)?;
    let nonce_cut = p.as_of - time::Duration::days(i64::from(r.form_nonce_days));
    done.nonces = retention::prune_nonces(&mut conn, &nonce_cut.to_string()).await?;
    let mail_cut = p.as_of - time::Duration::days(i64::from(r.failed_mail_days));
    let max_attempts = i64::from(p.settings.notify.max_attempts);
    done.failed_mails = retention::prune_failed_mail(&mut conn, &mail_cut.to_string(), max_attempts).await?;
    drop(conn);
    if !done.cases.is_empty() || !done.identities.is_empty() {
        retention::compact(p.store.pool(), p.store.backend()).await?;
    }
    Ok(done)
}

/// Files in the vault that no row refers to, written more than a day ago (younger ones may belong
/// to an upload whose row is being written): the leftovers of a crash, a request cut off, or a
/// failed delete. Run by every purge and, whatever `[retention]` says, once a day by the worker.
pub async fn sweep_orphans(store: &Store, vault: &Vault, as_of: Date) -> Result<usize, RetentionError> {
    let Ok(stored) = vault.keys().await else {
        tracing::warn!("could not list the evidence store; orphaned files stay until the next purge");
        return Ok(0);
    };
    let mut conn = store.pool().acquire().await.map_err(StorageError::from)?;
    let known: std::collections::HashSet<String> =
        attachments::all_keys(&mut conn).await?.into_iter().collect();
    drop(conn);
    let yesterday = as_of - time::Duration::days(1);
    let mut removed = 0;
    for (key, written_on) in stored {
        if !known.contains(&key) && written_on < yesterday && vault.delete(&key).await.is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn years_are_counted_on_the_calendar() {
        assert_eq!(years_after(date!(2026 - 03 - 16), 10), date!(2036 - 03 - 16));
        assert_eq!(years_after(date!(2028 - 02 - 29), 1), date!(2029 - 02 - 28));
        assert_eq!(years_after(date!(2028 - 02 - 29), 4), date!(2032 - 02 - 29));
    }
}
