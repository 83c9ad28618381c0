//! The citizen's use cases: submit a complaint, look it up with the token, add information.
//! Each write is one transaction: the case, its audit entry and its counters commit together.
use crate::crypto::{CryptoError, seal};
use crate::domain::complaint::{Category, Channel, Status, Track};
use crate::domain::fiscal_year::FiscalYear;
use crate::domain::reference::CaseReference;
use crate::domain::submission::ComplaintContent;
use crate::domain::submission::Submission;
use crate::domain::text::BoundedText;
use crate::domain::token::SubmissionToken;
use crate::notify::{Event, Notice, ReporterAction, hold_for_unit, notify_unit};
use crate::state::AppState;
use crate::storage::{StorageError, audit, cases, custody};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use time::Date;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("unit `{0}` has no key")]
    UnitWithoutKey(String),
    #[error("stored value is invalid: {0}")]
    Corrupt(&'static str),
    #[error("this form was already submitted")]
    AlreadySubmitted,
    #[error("the case is closed")]
    CaseClosed,
    #[error("the case moved to another unit while the message was sealed")]
    Moved,
    #[error("the case already holds the most files it may")]
    TooManyFiles,
    #[error(transparent)]
    Evidence(#[from] crate::evidence::EvidenceError),
}

impl From<crate::evidence::record::RecordError> for IntakeError {
    fn from(e: crate::evidence::record::RecordError) -> Self {
        match e {
            crate::evidence::record::RecordError::Storage(s) => IntakeError::Storage(s),
            crate::evidence::record::RecordError::Evidence(e) => IntakeError::Evidence(e),
            // Closed, moved or full: the caller's checks before the upload make closed and full rare.
            crate::evidence::record::RecordError::Refused => IntakeError::Moved,
        }
    }
}

impl From<sqlx::Error> for IntakeError {
    fn from(e: sqlx::Error) -> Self {
        IntakeError::Storage(StorageError::Database(e))
    }
}

pub struct Receipt {
    pub reference: CaseReference,
    pub token: SubmissionToken,
    pub received_on: Date,
    pub acknowledge_due: Date,
    pub result_due: Date,
    pub unit_code: String,
}

/// What is sealed besides the reporter's words: the exact time, which must not be plaintext.
#[derive(Serialize)]
struct SealedContent<'a> {
    #[serde(flatten)]
    content: &'a crate::domain::submission::ComplaintContent,
    submitted_at: String,
    channel: Channel,
    /// The unit the reporter said the complaint concerns: sealed, because the accused may read metadata.
    concerns_unit: Option<&'a str>,
}

#[derive(Serialize, Deserialize)]
pub struct SealedMessage {
    pub text: BoundedText,
    pub sent_at: String,
}

/// Files a complaint. `form_nonce` is the one-time value of the HTML form it came from, if any: a
/// second submission of the same form is refused instead of filing a duplicate.
pub async fn submit(
    state: &AppState,
    submission: &Submission,
    channel: Channel,
    form_nonce: Option<&str>,
) -> Result<Receipt, IntakeError> {
    let filing =
        Filing { channel, form_nonce, received_on: None, actor: "reporter", files: &[], files_unit: "" };
    let receipt = file(state, submission, &filing).await?;
    state.metrics.submitted(if form_nonce.is_some() { "form" } else { "api" });
    Ok(receipt)
}

/// How a case reaches the register: online by the reporter, or entered by an officer from a letter,
/// a visit, a call, an e-mail or another agency (with the date it was actually received).
pub struct Filing<'a> {
    pub channel: Channel,
    pub form_nonce: Option<&'a str>,
    /// The day it arrived, when earlier than today (a letter opened a day late); None means today.
    pub received_on: Option<Date>,
    /// Who files it, for the audit trail.
    pub actor: &'a str,
    /// Evidence that came with it, already sealed to `files_unit` (the unit the case routes to).
    pub files: &'a [crate::evidence::Received],
    pub files_unit: &'a str,
}

pub async fn file(
    state: &AppState,
    submission: &Submission,
    filing: &Filing<'_>,
) -> Result<Receipt, IntakeError> {
    let (channel, form_nonce) = (filing.channel, filing.form_nonce);
    let now = state.clock.now_utc();
    let today = filing.received_on.unwrap_or_else(|| state.clock.today());
    let fiscal_year = FiscalYear::containing(today);
    let decision = state.routing.route(submission.category, submission.concerns_unit.as_deref());
    if !filing.files.is_empty() && filing.files_unit != decision.unit {
        return Err(IntakeError::Moved);
    }
    let unit_key = state
        .keyring
        .unit(&decision.unit)
        .ok_or_else(|| IntakeError::UnitWithoutKey(decision.unit.clone()))?;
    let token = SubmissionToken::generate();
    let token_hash = state.token_hasher.hash(&token);
    let reporter = state.token_hasher.reporter_identity(&token)?.to_public();

    // Seal before the transaction opens, so the database lock is held for the writes only.
    let content = seal::seal_json(
        &SealedContent {
            content: &submission.content,
            submitted_at: now.format(&Rfc3339).map_err(|_| IntakeError::Corrupt("time"))?,
            channel,
            concerns_unit: submission.concerns_unit.as_deref(),
        },
        // The reporter's own key too, so the token reads back what was filed. The reporter's stanza
        // comes first: age tries stanzas in order, one X25519 exchange each, and status checks
        // (which open with this key) far outnumber staff reads.
        &[&reporter, unit_key, &state.keyring.escrow],
    )?;
    // Identity goes to the identity-custody key and escrow only, never to a unit or a person.
    let identity = match &submission.identity {
        Some(identity) => Some(seal::seal_json(identity, &[&state.keyring.custody, &state.keyring.escrow])?),
        None => None,
    };
    let deadlines = &state.settings.deadlines;
    let acknowledge_due = state.calendar.due_date(today, deadlines.acknowledge_days);
    let result_due = state.calendar.due_date(today, deadlines.result_days);

    let mut tx = state.store.begin().await?;
    let sequence = cases::next_sequence(&mut tx, i64::from(fiscal_year.be_year())).await?;
    if let Some(nonce) = form_nonce {
        let hash = blake3::derive_key("rongrian form nonce v1", nonce.as_bytes());
        if !cases::use_form_nonce(&mut tx, &hash, &today.to_string()).await? {
            return Err(IntakeError::AlreadySubmitted);
        }
    }
    let reference = CaseReference::new(
        fiscal_year,
        u32::try_from(sequence).map_err(|_| IntakeError::Corrupt("sequence"))?,
    );
    let reference_text = reference.to_string();
    let received_on = today.to_string();
    let case_id = cases::insert(
        &mut tx,
        &cases::NewCase {
            reference: &reference_text,
            fiscal_year: i64::from(fiscal_year.be_year()),
            sequence,
            received_on: &received_on,
            channel: channel.code(),
            track: submission.track.code(),
            category: submission.category.code(),
            anonymous: submission.identity.is_none(),
            status: Status::New.code(),
            unit_code: &decision.unit,
            routing_rule: &decision.rule,
            acknowledge_due: &acknowledge_due.to_string(),
            result_due: &result_due.to_string(),
            token_hash: &token_hash,
            reporter_recipient: &reporter.to_string(),
            content: &content,
            identity: identity.as_deref(),
        },
    )
    .await?;
    let detail = format!(
        "track={} category={} channel={} unit={} rule={}",
        submission.track.code(),
        submission.category.code(),
        channel.code(),
        decision.unit,
        decision.rule
    );
    audit::append(
        &mut tx,
        &state.audit_key,
        &audit::AuditEntry {
            recorded_on: &state.clock.today().to_string(),
            actor: filing.actor,
            action: "case.submitted",
            case_id: Some(case_id),
            detail: &detail,
        },
    )
    .await?;
    if !filing.files.is_empty() {
        let adding = crate::evidence::record::Adding {
            case_id,
            unit: &decision.unit,
            added_by: if filing.actor == "reporter" { "reporter" } else { "staff" },
            actor: filing.actor,
            today: &received_on,
            max_files: state.evidence.limits.max_files_per_case,
            meta_recipients: &[&reporter, unit_key, &state.keyring.escrow],
        };
        crate::evidence::record::record(&mut tx, &state.audit_key, &adding, filing.files).await?;
    }
    if filing.actor == "reporter" {
        hold_for_unit(&mut tx, &state.settings, case_id, ReporterAction::Filed).await?;
    } else {
        let notice =
            Notice { event: Event::NewCase, unit: &decision.unit, reference: &reference_text, due: None };
        notify_unit(&mut tx, &state.settings, &notice, &received_on, now.unix_timestamp()).await?;
    }
    audit::commit(tx, &state.audit_key).await?;
    Ok(Receipt {
        reference,
        token,
        received_on: today,
        acknowledge_due,
        result_due,
        unit_code: decision.unit,
    })
}

pub struct ReporterView {
    pub case_id: i64,
    pub reference: String,
    pub track: Track,
    pub category: Category,
    pub status: Status,
    pub received_on: Date,
    pub status_changed_on: Date,
    pub acknowledge_due: Date,
    pub result_due: Date,
    pub messages: Vec<MessageView>,
    /// What the reporter filed, read back with the token; None for reports filed before it was
    /// sealed to the reporter's key too.
    pub complaint: Option<ComplaintContent>,
    pub anonymous: bool,
    /// Days on which the identity was made known, and to whom by role (never by name).
    pub disclosures: Vec<Disclosure>,
    /// The files the reporter sent (staff files are not listed to the reporter).
    pub attachments: Vec<AttachmentView>,
    /// How many files the case holds in all (for the per-case limit).
    pub attachment_count: u32,
    unit_code: String,
}

impl ReporterView {
    pub fn unit_code(&self) -> &str {
        &self.unit_code
    }

    pub fn is_open(&self) -> bool {
        !matches!(self.status, Status::Concluded | Status::NotAccepted)
    }
}

/// A file as its sender sees it listed.
pub struct AttachmentView {
    pub id: String,
    pub name: String,
    pub kind: crate::domain::evidence::FileKind,
    pub size: u64,
    pub added_on: Date,
    pub metadata_removed: bool,
}

pub struct Disclosure {
    pub on: Date,
    /// To the officer handling the case after a custodian approved; or to a custodian.
    pub to_handling_officer: bool,
}

pub struct MessageView {
    pub from_reporter: bool,
    pub sent_on: Date,
    pub text: BoundedText,
}

fn parse_date(s: &str) -> Result<Date, IntakeError> {
    Date::parse(s, &time::format_description::well_known::Iso8601::DATE)
        .map_err(|_| IntakeError::Corrupt("date"))
}

/// Looks a case up by token. Every token takes the same path: hash, indexed lookup, constant-time
/// comparison; a miss is `None`, with nothing that says whether anything similar exists.
pub async fn find(state: &AppState, token: &SubmissionToken) -> Result<Option<ReporterView>, IntakeError> {
    let hash = state.token_hasher.hash(token);
    let identity = state.token_hasher.reporter_identity(token)?;
    let mut conn = state.store.pool().acquire().await?;
    let row = cases::find_by_token_hash(&mut conn, &hash).await?;
    let Some(row) = row.filter(|r| bool::from(r.token_hash.as_slice().ct_eq(&hash))) else {
        return Ok(None);
    };
    state.metrics.looked_up();
    // No comparison of the derived key's public half with the stored recipient here: that costs a
    // scalar multiplication per check, and a key that did not match would fail to open the
    // messages below anyway (an error, not a silent gap).
    let mut messages = Vec::new();
    let stored = if row.has_messages { cases::messages(&mut conn, row.id).await? } else { Vec::new() };
    for m in stored {
        let sealed: SealedMessage = seal::open_json(&m.body, &identity)?;
        messages.push(MessageView {
            from_reporter: m.author == "reporter",
            sent_on: parse_date(&m.sent_on)?,
            text: sealed.text,
        });
    }
    let complaint = seal::open_json::<ComplaintContent>(&row.content, &identity).ok();
    let files = if row.has_attachments {
        crate::storage::attachments::of_case(&mut conn, row.id).await?
    } else {
        Vec::new()
    };
    let attachment_count = u32::try_from(files.len()).unwrap_or(u32::MAX);
    let mut attachments = Vec::new();
    for f in files.into_iter().filter(|f| f.added_by == "reporter") {
        if let Ok(meta) = seal::open_json::<crate::evidence::FileMeta>(&f.meta, &identity) {
            attachments.push(AttachmentView {
                id: f.public_id,
                name: meta.name.as_str().to_owned(),
                kind: meta.kind,
                size: meta.size,
                added_on: parse_date(&f.added_on)?,
                metadata_removed: meta.metadata_removed,
            });
        }
    }
    let mut disclosures = Vec::new();
    let decided =
        if row.has_disclosures { custody::disclosure_dates(&mut conn, row.id).await? } else { Vec::new() };
    for (kind, on) in decided {
        disclosures.push(Disclosure {
            on: parse_date(&on)?,
            to_handling_officer: kind == custody::RequestKind::Request,
        });
    }
    Ok(Some(ReporterView {
        case_id: row.id,
        complaint,
        anonymous: row.anonymous,
        disclosures,
        attachments,
        attachment_count,
        reference: row.reference,
        track: Track::from_code(&row.track).ok_or(IntakeError::Corrupt("track"))?,
        category: Category::from_code(&row.category).ok_or(IntakeError::Corrupt("category"))?,
        status: Status::from_code(&row.status).ok_or(IntakeError::Corrupt("status"))?,
        received_on: parse_date(&row.received_on)?,
        status_changed_on: parse_date(&row.status_changed_on)?,
        acknowledge_due: parse_date(&row.acknowledge_due)?,
        result_due: parse_date(&row.result_due)?,
        messages,
        unit_code: row.unit_code,
    }))
}

/// Adds the reporter's further information to a case found with their token: sealed to the case's
/// unit, escrow and the reporter's own key, so the reporter can read it back.
pub async fn add_message(
    state: &AppState,
    token: &SubmissionToken,
    view: &ReporterView,
    text: BoundedText,
    form_nonce: Option<&str>,
) -> Result<(), IntakeError> {
    if matches!(view.status, Status::Concluded | Status::NotAccepted) {
        return Err(IntakeError::CaseClosed);
    }
    let reporter = state.token_hasher.reporter_identity(token)?.to_public();
    let unit_key = state
        .keyring
        .unit(&view.unit_code)
        .ok_or_else(|| IntakeError::UnitWithoutKey(view.unit_code.clone()))?;
    let now = state.clock.now_utc();
    let sealed = seal::seal_json(
        &SealedMessage { text, sent_at: now.format(&Rfc3339).map_err(|_| IntakeError::Corrupt("time"))? },
        &[&reporter, unit_key, &state.keyring.escrow],
    )?;
    let today = state.clock.today().to_string();
    let mut tx = state.store.begin().await?;
    // The writes come first so SQLite takes its lock before the audit head is read.
    if let Some(nonce) = form_nonce {
        let hash = blake3::derive_key("rongrian form nonce v1", nonce.as_bytes());
        if !cases::use_form_nonce(&mut tx, &hash, &today).await? {
            return Err(IntakeError::AlreadySubmitted);
        }
    }
    if !cases::insert_message(&mut tx, view.case_id, &view.unit_code, "reporter", &today, &sealed).await? {
        // The case was handed to another unit a moment ago: nothing is stored; the reporter resends.
        return Err(IntakeError::Moved);
    }
    audit::append(
        &mut tx,
        &state.audit_key,
        &audit::AuditEntry {
            recorded_on: &today,
            actor: "reporter",
            action: "case.reporter_message",
            case_id: Some(view.case_id),
            detail: "",
        },
    )
    .await?;
    hold_for_unit(&mut tx, &state.settings, view.case_id, ReporterAction::Wrote).await?;
    audit::commit(tx, &state.audit_key).await?;
    Ok(())
}

/// Adds files the reporter sent with their token to the case, in one transaction with their audit
/// entries and the unit's notification. The files were sealed to the case's unit beforehand; if the
/// case moved or closed meanwhile, nothing is written and the files are removed again.
pub async fn attach(
    state: &AppState,
    token: &SubmissionToken,
    view: &ReporterView,
    files: Vec<crate::evidence::Received>,
) -> Result<Vec<String>, IntakeError> {
    let result = attach_rows(state, token, view, &files).await;
    if result.is_err() {
        crate::evidence::record::discard(&state.evidence.vault, &files).await;
    }
    result
}

async fn attach_rows(
    state: &AppState,
    token: &SubmissionToken,
    view: &ReporterView,
    files: &[crate::evidence::Received],
) -> Result<Vec<String>, IntakeError> {
    if !view.is_open() {
        return Err(IntakeError::CaseClosed);
    }
    let reporter = state.token_hasher.reporter_identity(token)?.to_public();
    let unit_key = state
        .keyring
        .unit(&view.unit_code)
        .ok_or_else(|| IntakeError::UnitWithoutKey(view.unit_code.clone()))?;
    let today = state.clock.today().to_string();
    let max_files = state.evidence.limits.max_files_per_case;
    let mut tx = state.store.begin().await?;
    // The first write takes SQLite's lock before anything is counted.
    let adding = crate::evidence::record::Adding {
        case_id: view.case_id,
        unit: &view.unit_code,
        added_by: "reporter",
        actor: "reporter",
        today: &today,
        max_files,
        meta_recipients: &[&reporter, unit_key, &state.keyring.escrow],
    };
    let ids = match crate::evidence::record::record(&mut tx, &state.audit_key, &adding, files).await {
        Ok(ids) => ids,
        Err(crate::evidence::record::RecordError::Refused) => {
            drop(tx);
            let mut conn = state.store.pool().acquire().await?;
            let held = crate::storage::attachments::count_of_case(&mut conn, view.case_id).await?;
            let full = held + i64::try_from(files.len()).unwrap_or(i64::MAX) > i64::from(max_files);
            return Err(if full { IntakeError::TooManyFiles } else { IntakeError::Moved });
        }
        Err(e) => return Err(e.into()),
    };
    hold_for_unit(&mut tx, &state.settings, view.case_id, ReporterAction::Wrote).await?;
    audit::commit(tx, &state.audit_key).await?;
    Ok(ids)
}
