//! The outbox worker: sends due mails (claimed first, so several instances can run), backs off on
//! failure, deletes what was sent, and queues deadline reminders once per deadline.
use super::mailer::{Mailer, mask};
use super::{Event, Notice, ReporterAction, notify_unit};
use crate::state::AppState;
use crate::storage::StorageError;
use crate::storage::{installation, outbox};

const LEASE_SECS: i64 = 15 * 60;

/// Deletes sessions past their idle or absolute lifetime, with the personal keys sealed in them.
async fn purge_sessions(state: &AppState) -> Result<(), StorageError> {
    let today = state.clock.now_utc().date().to_string();
    let mut conn = state.store.pool().acquire().await?;
    crate::storage::accounts::purge_sessions(&mut conn, &today).await
}

/// Seconds to wait after the n-th failure: 30 s, 1 min, 2 min, … up to an hour.
pub fn backoff_secs(attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.clamp(0, 7)).unwrap_or(7);
    (30 * 2i64.pow(exp)).min(3600)
}

/// One pass: reminders first (they enqueue), then sending. Returns how many mails went out.
pub async fn run_once(state: &AppState, mailer: &Mailer) -> Result<usize, StorageError> {
    purge_sessions(state).await?;
    retention_daily(state).await?;
    if !mailer.configured() {
        return Ok(0);
    }
    queue_reminders(state).await?;
    queue_reporter_digest(state).await?;
    mail_audit_head(state).await?;
    let max_attempts = i64::from(state.settings.notify.max_attempts);
    let mut conn = state.store.pool().acquire().await?;
    let due = outbox::due(&mut conn, state.clock.now_utc().unix_timestamp(), max_attempts, 50).await?;
    let mut sent = 0;
    for mail in due {
        // Claimed at the time of sending, with a lease well beyond a slow SMTP conversation, so
        // another instance does not send it too; a crashed worker's mail is retried after the lease.
        let now = state.clock.now_utc().unix_timestamp();
        if !outbox::claim(&mut conn, mail.id, mail.next_attempt_at, now + LEASE_SECS).await? {
            continue;
        }
        match mailer.send(&mail.recipient, &mail.subject, &mail.body).await {
            Ok(()) => {
                outbox::delete(&mut conn, mail.id).await?;
                sent += 1;
                tracing::info!(mail_id = mail.id, to = %mask(&mail.recipient), "mail sent");
            }
            Err(e) => {
                let next = state.clock.now_utc().unix_timestamp() + backoff_secs(mail.attempts);
                outbox::failed(&mut conn, mail.id, next, &e.to_string()).await?;
                tracing::warn!(mail_id = mail.id, to = %mask(&mail.recipient), attempts = mail.attempts + 1, error = %e, "mail failed");
            }
        }
    }
    Ok(sent)
}

async fn queue_reminders(state: &AppState) -> Result<(), StorageError> {
    let today = state.clock.today();
    let horizon = today + time::Duration::days(i64::from(state.settings.notify.remind_days_before));
    let mut conn = state.store.pool().acquire().await?;
    let candidates = outbox::reminders_due(&mut conn, &horizon.to_string()).await?;
    drop(conn);
    let now = state.clock.now_utc().unix_timestamp();
    for c in candidates {
        let mut tx = state.store.begin().await?;
        if outbox::mark_reminded(&mut tx, c.case_id, c.kind, &c.due).await? {
            let event = if c.kind == "acknowledge" { Event::AcknowledgeDue } else { Event::ResultDue };
            let notice = Notice { event, unit: &c.unit_code, reference: &c.reference, due: Some(&c.due) };
            notify_unit(&mut tx, &state.settings, &notice, &today.to_string(), now).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Once a day, from `notify.digest_hour` (Thai time), tells each unit of the reporters' online
/// actions held since the last time (see `notify::hold_for_unit`): one mail per case and kind, to the
/// case's unit now. One instance takes the day; the rest see it done.
async fn queue_reporter_digest(state: &AppState) -> Result<(), StorageError> {
    let local = state.clock.now_utc().to_offset(crate::clock::THAILAND);
    if local.hour() < state.settings.notify.digest_hour {
        return Ok(());
    }
    let today = local.date().to_string();
    let now = state.clock.now_utc().unix_timestamp();
    let mut tx = state.store.begin().await?;
    if !installation::advance(&mut tx, installation::REPORTER_DIGEST_ON, &today).await? {
        return Ok(());
    }
    for item in outbox::digest_waiting(&mut tx).await? {
        let Some(action) = ReporterAction::from_code(&item.event) else {
            // Written by a newer version: left for it.
            tracing::warn!(case_id = item.case_id, kind = %item.event, "unknown kind of held notice");
            continue;
        };
        let notice =
            Notice { event: action.event(), unit: &item.unit_code, reference: &item.reference, due: None };
        notify_unit(&mut tx, &state.settings, &notice, &today, now).await?;
        outbox::digest_done(&mut tx, item.case_id, &item.event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// With `[retention] automatic = true`, the purge runs once a day (one instance takes the day).
async fn retention_daily(state: &AppState) -> Result<(), StorageError> {
    let today = state.clock.today();
    let mut conn = state.store.pool().acquire().await?;
    if installation::advance(&mut conn, installation::EVIDENCE_SWEPT_ON, &today.to_string()).await? {
        match crate::retention::sweep_orphans(&state.store, &state.evidence.vault, today).await {
            Ok(n) if n > 0 => tracing::info!(files = n, "removed evidence files no case refers to"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the evidence sweep failed; it runs again tomorrow"),
        }
    }
    if !state.settings.retention.automatic {
        return Ok(());
    }
    if !installation::advance(&mut conn, installation::RETENTION_RAN_ON, &today.to_string()).await? {
        return Ok(());
    }
    drop(conn);
    let purger = crate::retention::Purger {
        store: &state.store,
        settings: &state.settings,
        vault: &state.evidence.vault,
        audit_key: &state.audit_key,
        as_of: today,
        actor: "retention",
    };
    match crate::retention::purge(&purger).await {
        Ok(done) => tracing::info!(
            cases = done.cases.len(),
            identities = done.identities.len(),
            "retention purge done"
        ),
        Err(e) => tracing::warn!(error = %e, "retention purge failed; it runs again tomorrow"),
    }
    Ok(())
}

/// Once a day, tells the auditors the audit trail's head: kept in their mailboxes, outside this
/// system, it lets `verify-audit --expect-head` prove that no entry was removed since.
async fn mail_audit_head(state: &AppState) -> Result<(), StorageError> {
    let today = state.clock.today().to_string();
    let mut tx = state.store.begin().await?;
    // One instance a day takes the task; the others see it done.
    if !installation::advance(&mut tx, installation::AUDIT_HEAD_MAILED_ON, &today).await? {
        return Ok(());
    }
    let head = crate::storage::audit::head(&mut tx).await?;
    let (subject, body) = super::audit_head_mail(&head, &today, &state.settings);
    let now = state.clock.now_utc().unix_timestamp();
    for recipient in outbox::auditor_addresses(&mut tx).await? {
        outbox::enqueue(
            &mut tx,
            &outbox::Mail { recipient: &recipient, subject: &subject, body: &body },
            &today,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Runs `run_once` every `notify.poll_secs` until the task is aborted.
pub async fn run(state: AppState, mailer: Mailer) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(state.settings.notify.poll_secs));
    loop {
        tick.tick().await;
        let outcome = run_once(&state, &mailer).await;
        if let Err(e) = &outcome {
            tracing::warn!(error = %e, "outbox pass failed");
        }
        state.metrics.outbox_pass(outcome.is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_secs(0), 30);
        assert_eq!(backoff_secs(1), 60);
        assert!(backoff_secs(5) > backoff_secs(4));
        assert_eq!(backoff_secs(50), 3600);
    }
}
