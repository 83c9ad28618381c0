//! Case work for officers: the cases of their units, opened with the unit key their personal key
//! unwraps; replies to the reporter; triage. Every read and write is in the audit trail.
use super::StaffError;
use super::auth::StaffUser;
use crate::crypto::{keys, seal};
use crate::domain::complaint::{Category, Channel, Status, Track};
use crate::domain::staff::Role;
use crate::domain::text::BoundedText;
use crate::domain::triage::Action;
use crate::intake::SealedMessage;
use crate::state::AppState;
use crate::storage::accounts;
use crate::storage::audit::{self, AuditEntry};
use crate::storage::cases::{self, CaseFilter, StaffCaseRow};
use age::x25519;
use time::format_description::well_known::Rfc3339;

/// The unit identities this officer can open, by unit code.
pub async fn open_units(
    state: &AppState,
    user: &StaffUser,
) -> Result<Vec<(String, x25519::Identity)>, StaffError> {
    if !(user.has(Role::IntakeOfficer) || user.has(Role::UnitOfficer)) {
        return Ok(Vec::new());
    }
    let mut conn = state.store.pool().acquire().await?;
    let mut out = Vec::new();
    for (unit, wrapped) in accounts::memberships(&mut conn, user.account_id).await? {
        // A grant made before a password reset no longer opens; it simply does not count.
        if let Ok(identity) = keys::unwrap_identity(&wrapped, &user.personal) {
            out.push((unit, identity));
        }
    }
    Ok(out)
}

pub async fn list(
    state: &AppState,
    user: &StaffUser,
    filter: &CaseFilter,
) -> Result<Vec<StaffCaseRow>, StaffError> {
    let units: Vec<String> = open_units(state, user).await?.into_iter().map(|(u, _)| u).collect();
    let mut conn = state.store.pool().acquire().await?;
    Ok(cases::list_for_units(&mut conn, &units, filter, 500).await?)
}

/// What the officer reads: the sealed content as the reporter wrote it.
#[derive(serde::Deserialize)]
pub struct OpenedContent {
    pub subject: BoundedText,
    pub description: BoundedText,
    pub event_time: Option<BoundedText>,
    pub event_place: Option<BoundedText>,
    #[serde(default)]
    pub persons: Vec<crate::domain::submission::PersonConcerned>,
    pub relationship: crate::domain::complaint::Relationship,
    pub concerns_unit: Option<String>,
}

pub struct OpenedMessage {
    pub from_reporter: bool,
    pub sent_on: String,
    pub text: BoundedText,
}

pub struct OpenedEvent {
    pub recorded_on: String,
    pub actor: String,
    pub from_status: String,
    pub to_status: String,
    pub detail_code: Option<String>,
    pub note: Option<BoundedText>,
}

pub struct OpenedCase {
    pub row: StaffCaseRow,
    pub track: Track,
    pub category: Category,
    pub status: Status,
    pub channel: Channel,
    pub content: OpenedContent,
    pub messages: Vec<OpenedMessage>,
    pub events: Vec<OpenedEvent>,
}

/// Loads a case the officer may open, or None (also for another unit's case: no hint it exists).
pub(super) async fn load(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
) -> Result<Option<(StaffCaseRow, x25519::Identity)>, StaffError> {
    let units = open_units(state, user).await?;
    let mut conn = state.store.pool().acquire().await?;
    let Some(row) = cases::by_reference(&mut conn, reference).await? else { return Ok(None) };
    Ok(units.into_iter().find(|(u, _)| *u == row.unit_code).map(|(_, identity)| (row, identity)))
}

/// A case whose retention has ended, as its tombstone (metadata only); None for any other.
pub async fn tombstone(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
) -> Result<Option<StaffCaseRow>, StaffError> {
    let Some((row, _)) = load(state, user, reference).await? else { return Ok(None) };
    if row.purged_on.is_none() {
        return Ok(None);
    }
    super::trail::record_read(state, user, "case.read", Some(row.id), "tombstone").await?;
    Ok(Some(row))
}

pub async fn open(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
) -> Result<Option<OpenedCase>, StaffError> {
    let Some((row, unit)) = load(state, user, reference).await? else { return Ok(None) };
    if row.purged_on.is_some() {
        return Ok(None);
    }
    let content: OpenedContent = seal::open_json(&row.content, &unit)?;
    let mut conn = state.store.pool().acquire().await?;
    let mut messages = Vec::new();
    for m in cases::messages(&mut conn, row.id).await? {
        let sealed: SealedMessage = seal::open_json(&m.body, &unit)?;
        messages.push(OpenedMessage {
            from_reporter: m.author == "reporter",
            sent_on: m.sent_on,
            text: sealed.text,
        });
    }
    let mut events = Vec::new();
    for e in cases::events(&mut conn, row.id).await? {
        let note = match &e.note {
            Some(sealed) => Some(seal::open_json::<BoundedText>(sealed, &unit)?),
            None => None,
        };
        events.push(OpenedEvent {
            recorded_on: e.recorded_on,
            actor: e.actor,
            from_status: e.from_status,
            to_status: e.to_status,
            detail_code: e.detail_code,
            note,
        });
    }
    drop(conn);
    super::trail::record_read(state, user, "case.read", Some(row.id), "").await?;
    Ok(Some(OpenedCase {
        track: Track::from_code(&row.track).ok_or(StaffError::Corrupt("track"))?,
        category: Category::from_code(&row.category).ok_or(StaffError::Corrupt("category"))?,
        status: Status::from_code(&row.status).ok_or(StaffError::Corrupt("status"))?,
        channel: Channel::from_code(&row.channel).ok_or(StaffError::Corrupt("channel"))?,
        row,
        content,
        messages,
        events,
    }))
}

/// Result of a staff action on a case.
pub enum Done {
    Ok,
    /// No such case for this officer.
    NotFound,
    /// The workflow does not allow it (or someone moved the case first).
    Refused(crate::domain::triage::TriageError),
}

/// Writes to the reporter: sealed to the unit, escrow and the reporter's token-derived key, so the
/// reporter reads it with their token and nothing about the reporter reaches the officer.
pub async fn send_message(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
    text: BoundedText,
) -> Result<Done, StaffError> {
    let Some((row, unit)) = load(state, user, reference).await? else { return Ok(Done::NotFound) };
    if matches!(Status::from_code(&row.status), Some(Status::Concluded | Status::NotAccepted)) {
        return Ok(Done::Refused(crate::domain::triage::TriageError::NotAllowed {
            from: "closed",
            action: "messaged",
        }));
    }
    let reporter = keys::parse_recipient(&row.reporter_recipient)?;
    let now = state.clock.now_utc().format(&Rfc3339).map_err(|_| StaffError::Corrupt("time"))?;
    let body = seal::seal_json(
        &SealedMessage { text, sent_at: now },
        &[&reporter, &unit.to_public(), &state.keyring.escrow],
    )?;
    let today = state.clock.today().to_string();
    let mut tx = state.store.begin().await?;
    if !cases::insert_message(&mut tx, row.id, &row.unit_code, "staff", &today, &body).await? {
        return Ok(Done::NotFound);
    }
    audit::append(
        &mut tx,
        &state.audit_key,
        &AuditEntry {
            recorded_on: &today,
            actor: &user.username,
            action: "case.staff_message",
            case_id: Some(row.id),
            detail: "",
        },
    )
    .await?;
    audit::commit(tx, &state.audit_key).await?;
    Ok(Done::Ok)
}

pub async fn transition(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
    action: Action,
    note: Option<BoundedText>,
) -> Result<Done, StaffError> {
    let Some((row, unit)) = load(state, user, reference).await? else { return Ok(Done::NotFound) };
    let from = Status::from_code(&row.status).ok_or(StaffError::Corrupt("status"))?;
    let to = match action.apply(from) {
        Ok(to) => to,
        Err(e) => return Ok(Done::Refused(e)),
    };
    let note = match note {
        Some(n) => Some(seal::seal_json(&n, &[&unit.to_public(), &state.keyring.escrow])?),
        None => None,
    };
    let (outcome, referred_to, rejection_reason) = match action {
        Action::Conclude { outcome, agency } => (Some(outcome.code()), agency.map(|a| a.code()), None),
        Action::NotAccept { reason } => (None, None, Some(reason.code())),
        _ => (None, None, None),
    };
    let today = state.clock.today().to_string();
    let mut tx = state.store.begin().await?;
    let moved = cases::transition(
        &mut tx,
        &cases::Transition {
            case_id: row.id,
            unit: &row.unit_code,
            from: from.code(),
            to: to.code(),
            on: &today,
            actor: &user.username,
            outcome,
            referred_to,
            rejection_reason,
            detail_code: action.detail_code(),
            note: note.as_deref(),
        },
    )
    .await?;
    if !moved {
        return Ok(Done::Refused(crate::domain::triage::TriageError::NotAllowed {
            from: from.code(),
            action: action.code(),
        }));
    }
    let detail = format!(
        "{} -> {}{}",
        from.code(),
        to.code(),
        action.detail_code().map(|c| format!(" ({c})")).unwrap_or_default()
    );
    audit::append(
        &mut tx,
        &state.audit_key,
        &AuditEntry {
            recorded_on: &today,
            actor: &user.username,
            action: "case.status",
            case_id: Some(row.id),
            detail: &detail,
        },
    )
    .await?;
    audit::commit(tx, &state.audit_key).await?;
    Ok(Done::Ok)
}

/// Hands a case to another unit: content, messages and notes are re-sealed to the new unit (and
/// escrow, and the reporter for messages), inside one transaction that first locks the case, so the
/// old unit can open nothing of it afterwards. Only someone who can open the case can do this, and
/// never to the unit the complaint concerns.
pub async fn reassign(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
    to_unit: &str,
) -> Result<Done, StaffError> {
    let Some((row, unit)) = load(state, user, reference).await? else { return Ok(Done::NotFound) };
    let refused = || {
        Done::Refused(crate::domain::triage::TriageError::NotAllowed { from: "here", action: "reassigned" })
    };
    let Some(new_unit) = state.keyring.unit(to_unit) else { return Ok(refused()) };
    if to_unit == row.unit_code
        || matches!(Status::from_code(&row.status), Some(Status::Concluded | Status::NotAccepted))
    {
        return Ok(refused());
    }
    let content: OpenedContent = seal::open_json(&row.content, &unit)?;
    if content.concerns_unit.as_deref() == Some(to_unit) {
        return Ok(refused());
    }
    let reporter = keys::parse_recipient(&row.reporter_recipient)?;
    // Evidence files are re-sealed before the transaction (they may be large, and the lock is
    // held for the writes only); a file added meanwhile makes the hand-over fail and be retried.
    let resealed = reseal_files(state, row.id, &unit, new_unit, &reporter).await?;
    let outcome = move_case(state, user, &row, &unit, to_unit, new_unit, &reporter, &resealed).await;
    // After the hand-over the old copies go; if it failed, the new ones do.
    let moved = matches!(outcome, Ok(Done::Ok));
    for f in &resealed {
        let key = if moved { &f.old_key } else { &f.new_key };
        if let Err(e) = state.evidence.vault.delete(key).await {
            tracing::warn!(error = %e, "could not remove an evidence file after a hand-over");
        }
    }
    outcome
}

/// A file re-sealed for the unit a case goes to.
struct Resealed {
    id: i64,
    old_key: String,
    new_key: String,
    meta: Vec<u8>,
}

async fn reseal_files(
    state: &AppState,
    case_id: i64,
    unit: &x25519::Identity,
    new_unit: &x25519::Recipient,
    reporter: &x25519::Recipient,
) -> Result<Vec<Resealed>, StaffError> {
    let mut conn = state.store.pool().acquire().await?;
    let rows = crate::storage::attachments::of_case(&mut conn, case_id).await?;
    drop(conn);
    let escrow = &state.keyring.escrow;
    let mut out: Vec<Resealed> = Vec::new();
    for f in rows {
        let recipients = [new_unit.clone(), escrow.clone()];
        let new_key = match state.evidence.vault.reseal(&f.object_key, unit, &recipients).await {
            Ok(k) => k,
            Err(e) => {
                for done in &out {
                    let _ = state.evidence.vault.delete(&done.new_key).await;
                }
                return Err(StaffError::Evidence(e.to_string()));
            }
        };
        let plain = seal::open(&f.meta, unit)?;
        let meta = if f.added_by == "reporter" {
            seal::seal(&plain, &[reporter, new_unit, escrow])?
        } else {
            seal::seal(&plain, &[new_unit, escrow])?
        };
        out.push(Resealed { id: f.id, old_key: f.object_key, new_key, meta });
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn move_case(
    state: &AppState,
    user: &StaffUser,
    row: &StaffCaseRow,
    unit: &x25519::Identity,
    to_unit: &str,
    new_unit: &x25519::Recipient,
    reporter: &x25519::Recipient,
    files: &[Resealed],
) -> Result<Done, StaffError> {
    let refused = || {
        Done::Refused(crate::domain::triage::TriageError::NotAllowed { from: "here", action: "reassigned" })
    };
    let escrow = &state.keyring.escrow;
    let today = state.clock.today().to_string();
    let mut tx = state.store.begin().await?;
    if !cases::lock_for_reassignment(&mut tx, row.id, &row.unit_code).await? {
        return Ok(refused());
    }
    let now: Vec<i64> =
        crate::storage::attachments::of_case(&mut tx, row.id).await?.iter().map(|f| f.id).collect();
    if now != files.iter().map(|f| f.id).collect::<Vec<_>>() {
        return Ok(refused());
    }
    for f in files {
        crate::storage::attachments::reseal(&mut tx, f.id, &f.new_key, &f.meta).await?;
    }
    // Identities disclosed to the old unit's officers are forgotten; the new unit asks anew.
    crate::storage::custody::clear_disclosures_of_case(&mut tx, row.id).await?;
    // Read again under the lock: whatever was added until now is re-sealed too.
    let sealed = cases::content_of(&mut tx, row.id).await?;
    // The padded plaintext is re-sealed as it is, so its size bucket stays the same.
    let content = seal::seal(&seal::open(&sealed, unit)?, &[reporter, new_unit, escrow])?;
    for m in cases::messages(&mut tx, row.id).await? {
        let body = seal::seal(&seal::open(&m.body, unit)?, &[reporter, new_unit, escrow])?;
        cases::reseal_message(&mut tx, m.id, &body).await?;
    }
    for e in cases::events(&mut tx, row.id).await? {
        if let Some(note) = e.note {
            let note = seal::seal(&seal::open(&note, unit)?, &[new_unit, escrow])?;
            cases::reseal_event_note(&mut tx, e.id, &note).await?;
        }
    }
    if !cases::reassign(&mut tx, row.id, &row.unit_code, to_unit, &content).await? {
        return Ok(refused());
    }
    let detail = format!("{} -> {to_unit}", row.unit_code);
    audit::append(
        &mut tx,
        &state.audit_key,
        &AuditEntry {
            recorded_on: &today,
            actor: &user.username,
            action: "case.reassigned",
            case_id: Some(row.id),
            detail: &detail,
        },
    )
    .await?;
    let notice = crate::notify::Notice {
        event: crate::notify::Event::NewCase,
        unit: to_unit,
        reference: &row.reference,
        due: None,
    };
    crate::notify::notify_unit(
        &mut tx,
        &state.settings,
        &notice,
        &today,
        state.clock.now_utc().unix_timestamp(),
    )
    .await?;
    audit::commit(tx, &state.audit_key).await?;
    Ok(Done::Ok)
}

/// The measures of the case's fiscal year, with whether an officer linked this case to each.
pub async fn measure_links(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
) -> Result<Option<Vec<(i64, crate::domain::measure::Measure, bool)>>, StaffError> {
    let Some((row, _)) = load(state, user, reference).await? else { return Ok(None) };
    let fy = crate::domain::fiscal_year::FiscalYear::from_be(row.fiscal_year)
        .map_err(|_| StaffError::Corrupt("year"))?;
    let mut conn = state.store.pool().acquire().await?;
    let linked = crate::storage::measures::links_of(&mut conn, row.id).await?;
    let all = crate::storage::measures::for_year(&mut conn, fy).await?;
    Ok(Some(all.into_iter().map(|(id, m)| (id, m, linked.contains(&id))).collect()))
}

/// Sets which of its year's measures a case evidences (besides the links made by rule).
pub async fn set_measure_links(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
    numbers: &[u32],
) -> Result<Done, StaffError> {
    let Some((row, _)) = load(state, user, reference).await? else { return Ok(Done::NotFound) };
    let Some(current) = measure_links(state, user, reference).await? else { return Ok(Done::NotFound) };
    let today = state.clock.today().to_string();
    let mut tx = state.store.begin().await?;
    let mut changes = Vec::new();
    for (id, m, linked) in &current {
        let wanted = numbers.contains(&m.number);
        if wanted
            && !linked
            && crate::storage::measures::link(&mut tx, row.id, *id, &today, &user.username).await?
        {
            changes.push(format!("+{}", m.number));
        }
        if !wanted && *linked && crate::storage::measures::unlink(&mut tx, row.id, *id).await? {
            changes.push(format!("-{}", m.number));
        }
    }
    if !changes.is_empty() {
        audit::append(
            &mut tx,
            &state.audit_key,
            &AuditEntry {
                recorded_on: &today,
                actor: &user.username,
                action: "case.measures",
                case_id: Some(row.id),
                detail: &changes.join(" "),
            },
        )
        .await?;
    }
    audit::commit(tx, &state.audit_key).await?;
    Ok(Done::Ok)
}
