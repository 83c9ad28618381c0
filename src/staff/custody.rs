//! Custody of reporters' identities: the identity-custody key that custodians hold, officers'
//! requests to see a case's reporter identity, custodians' decisions and their own openings. Every
//! step is audited and counted in the annual report. An approved identity is sealed to the
//! requesting officer's personal key only, so nobody else can read what was disclosed to them.
use super::StaffError;
use super::accounts::AdminContext;
use super::auth::StaffUser;
use crate::crypto::{keys, seal};
use crate::domain::staff::{Role, Username};
use crate::domain::submission::ReporterIdentity;
use crate::domain::text::BoundedText;
use crate::notify::{Event, Notice, notify_addresses};
use crate::state::AppState;
use crate::storage::accounts;
use crate::storage::audit::{self, AuditEntry};
use crate::storage::custody::{self, Decision, NewRequest, RequestKind, RequestStatus};
use age::x25519;

pub const MAX_REASON: usize = 2_000;

/// The custody key as this custodian holds it, or None (not a custodian, or not granted yet).
pub async fn custody_identity(
    state: &AppState,
    user: &StaffUser,
) -> Result<Option<x25519::Identity>, StaffError> {
    if !user.has(Role::IdentityCustodian) {
        return Ok(None);
    }
    let mut conn = state.store.pool().acquire().await?;
    let Some(wrapped) = custody::membership(&mut conn, user.account_id).await? else { return Ok(None) };
    // A grant made to a key the account has since replaced no longer opens; it does not count.
    Ok(keys::unwrap_identity(&wrapped, &user.personal).ok())
}

/// Opens a sealed identity with the custody key, or with the custodian's own key for identities
/// sealed to custodians one by one before the custody key existed.
fn open_identity(
    sealed: &[u8],
    custody: Option<&x25519::Identity>,
    personal: &x25519::Identity,
) -> Option<ReporterIdentity> {
    custody.and_then(|k| seal::open_json(sealed, k).ok()).or_else(|| seal::open_json(sealed, personal).ok())
}

async fn audit_case(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    actor: &str,
    action: &str,
    case_id: i64,
    detail: &str,
) -> Result<(), StaffError> {
    let today = state.clock.today().to_string();
    let entry = AuditEntry { recorded_on: &today, actor, action, case_id: Some(case_id), detail };
    Ok(audit::append(conn, &state.audit_key, &entry).await?)
}

/// Wraps the open custody key to a custodian colleague's personal key. Refused for an account that
/// is pending, disabled or not an identity custodian: its key may be one someone else set up.
pub async fn grant(
    ctx: &AdminContext<'_>,
    username: &Username,
    custody_key: &x25519::Identity,
) -> Result<(), StaffError> {
    let mut conn = ctx.store.pool().acquire().await?;
    let account = accounts::by_username(&mut conn, username.as_str())
        .await?
        .ok_or_else(|| StaffError::UnknownAccount(username.as_str().into()))?;
    drop(conn);
    if account.pending_setup {
        return Err(StaffError::PendingSetup(username.as_str().into()));
    }
    if !account.roles.split(',').any(|r| r == Role::IdentityCustodian.code()) || account.disabled {
        return Err(StaffError::NotCustodian(username.as_str().into()));
    }
    let recipient = keys::parse_recipient(&account.personal_recipient)?;
    let wrapped = keys::wrap_identity(custody_key, &[&recipient])?;
    let today = ctx.clock.today().to_string();
    let mut tx = ctx.store.begin().await?;
    if !custody::grant(&mut tx, account.id, &account.personal_recipient, &wrapped, &today).await? {
        return Err(StaffError::PendingSetup(username.as_str().into()));
    }
    let detail = format!("username={}", username.as_str());
    let entry = AuditEntry {
        recorded_on: &today,
        actor: ctx.actor,
        action: "custody.granted",
        case_id: None,
        detail: &detail,
    };
    audit::append(&mut tx, ctx.audit_key, &entry).await?;
    audit::commit(tx, ctx.audit_key).await?;
    Ok(())
}

/// Grants the custody key with the offline escrow identity (the first custodian's way in).
pub async fn grant_with_escrow(
    ctx: &AdminContext<'_>,
    username: &Username,
    escrow: &x25519::Identity,
) -> Result<(), StaffError> {
    let mut conn = ctx.store.pool().acquire().await?;
    let key = custody::key(&mut conn).await?.ok_or(StaffError::Corrupt("no custody key"))?;
    drop(conn);
    let custody_key = keys::unwrap_identity(&key.escrow_wrapped_secret, escrow)?;
    grant(ctx, username, &custody_key).await
}

pub enum Requested {
    Requested,
    /// No such case for this officer.
    NotFound,
    /// An anonymous report: there is no identity to disclose.
    Anonymous,
    /// This officer already has a pending or approved request on the case.
    AlreadyAsked,
}

/// An officer of the case's unit asks to see its reporter's identity, with a written reason that is
/// sealed to the custody key, escrow and the officer. The custodians are told by e-mail.
pub async fn request(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
    reason: BoundedText,
) -> Result<Requested, StaffError> {
    let Some((row, _)) = super::cases::load(state, user, reference).await? else {
        return Ok(Requested::NotFound);
    };
    let mut conn = state.store.pool().acquire().await?;
    if custody::case_identity(&mut conn, row.id).await?.is_none() {
        return Ok(Requested::Anonymous);
    }
    let asked = custody::requests_of_case(&mut conn, row.id).await?.into_iter().any(|r| {
        r.requested_by == user.account_id
            && matches!(r.status, RequestStatus::Pending | RequestStatus::Approved)
    });
    if asked {
        return Ok(Requested::AlreadyAsked);
    }
    let custodians = custody::custodians(&mut conn).await?;
    drop(conn);
    let sealed = seal::seal_json(
        &reason,
        &[&state.keyring.custody, &state.keyring.escrow, &user.personal.to_public()],
    )?;
    let today = state.clock.today().to_string();
    let mut tx = state.store.begin().await?;
    let id = custody::insert_request(
        &mut tx,
        &NewRequest {
            case_id: row.id,
            kind: RequestKind::Request,
            requested_by: user.account_id,
            on: &today,
            reason: &sealed,
            status: RequestStatus::Pending,
        },
    )
    .await?;
    // Asked twice at once: the unique index keeps one.
    let Some(id) = id else { return Ok(Requested::AlreadyAsked) };
    audit_case(&mut tx, state, &user.username, "identity.requested", row.id, &format!("request={id}"))
        .await?;
    let addresses: Vec<String> = custodians.into_iter().filter_map(|c| c.email).collect();
    let notice = Notice { event: Event::IdentityRequested, unit: "", reference: &row.reference, due: None };
    let now = state.clock.now_utc().unix_timestamp();
    notify_addresses(&mut tx, &state.settings, &notice, &addresses, &today, now).await?;
    audit::commit(tx, &state.audit_key).await?;
    Ok(Requested::Requested)
}

/// A request or opening as a custodian reads it.
pub struct RequestView {
    pub id: i64,
    pub reference: String,
    pub unit_code: String,
    pub kind: RequestKind,
    pub requester: String,
    pub requester_name: String,
    pub requested_on: String,
    pub reason: String,
    pub status: RequestStatus,
    pub decided_by: Option<String>,
    pub decided_on: Option<String>,
    pub note: Option<String>,
}

fn sealed_text(sealed: &[u8], with: &[Option<&x25519::Identity>]) -> Option<String> {
    with.iter()
        .flatten()
        .find_map(|k| seal::open_json::<BoundedText>(sealed, k).ok())
        .map(|t| t.as_str().to_owned())
}

/// Pending requests and the latest decisions, with their reasons opened; None when the account
/// holds no custody key. The read is audited.
pub async fn requests(state: &AppState, user: &StaffUser) -> Result<Option<Vec<RequestView>>, StaffError> {
    let Some(key) = custody_identity(state, user).await? else { return Ok(None) };
    let mut conn = state.store.pool().acquire().await?;
    let rows = custody::recent_requests(&mut conn, 200).await?;
    drop(conn);
    let keys = [Some(&key), Some(&user.personal)];
    let views = rows
        .into_iter()
        .map(|r| RequestView {
            reason: sealed_text(&r.reason, &keys).unwrap_or_default(),
            note: r.decision_note.as_deref().and_then(|n| sealed_text(n, &keys)),
            id: r.id,
            reference: r.reference,
            unit_code: r.unit_code,
            kind: r.kind,
            requester: r.requester,
            requester_name: r.requester_name,
            requested_on: r.requested_on,
            status: r.status,
            decided_by: r.decided_by,
            decided_on: r.decided_on,
        })
        .collect();
    super::trail::record_read(state, user, "identity.requests_read", None, "").await?;
    Ok(Some(views))
}

pub enum Decided {
    Decided,
    /// No such request, or the account holds no custody key.
    NotFound,
    /// Someone decided it first.
    AlreadyDecided,
    /// The requesting officer's account is disabled or being set up again, or no longer handles the
    /// case (it moved to another unit): nothing can be sealed to it.
    RequesterUnavailable,
    /// The case's identity no longer exists (destroyed at the end of its retention).
    NoIdentity,
}

/// A custodian approves or denies a pending request, with a reason. On approval the identity is
/// sealed to the requesting officer's personal key only.
pub async fn decide(
    state: &AppState,
    user: &StaffUser,
    request_id: i64,
    approve: bool,
    note: BoundedText,
) -> Result<Decided, StaffError> {
    let Some(key) = custody_identity(state, user).await? else { return Ok(Decided::NotFound) };
    let mut conn = state.store.pool().acquire().await?;
    let Some(request) = custody::request_by_id(&mut conn, request_id).await? else {
        return Ok(Decided::NotFound);
    };
    if request.kind != RequestKind::Request {
        return Ok(Decided::NotFound);
    }
    if request.status != RequestStatus::Pending {
        return Ok(Decided::AlreadyDecided);
    }
    let requester =
        accounts::by_id(&mut conn, request.requested_by).await?.ok_or(StaffError::Corrupt("account"))?;
    let sealed_identity = custody::case_identity(&mut conn, request.case_id).await?;
    let handles = custody::handles_case(&mut conn, requester.id, request.case_id).await?;
    drop(conn);
    // Only an enabled account its holder set up has a key nobody else knows.
    let eligible = !requester.disabled && !requester.pending_setup;
    if approve && !(eligible && handles) {
        return Ok(Decided::RequesterUnavailable);
    }
    let requester_key = keys::parse_recipient(&requester.personal_recipient)?;
    let disclosed = if approve {
        let Some(sealed) = sealed_identity else { return Ok(Decided::NoIdentity) };
        let identity = open_identity(&sealed, Some(&key), &user.personal)
            .ok_or(StaffError::Corrupt("the custody key does not open this identity"))?;
        Some(seal::seal_json(&identity, &[&requester_key])?)
    } else {
        None
    };
    let note = if eligible {
        seal::seal_json(&note, &[&state.keyring.custody, &state.keyring.escrow, &requester_key])?
    } else {
        seal::seal_json(&note, &[&state.keyring.custody, &state.keyring.escrow])?
    };
    let today = state.clock.today().to_string();
    let status = if approve { RequestStatus::Approved } else { RequestStatus::Denied };
    let mut tx = state.store.begin().await?;
    let decision = Decision {
        id: request.id,
        status,
        decided_by: user.account_id,
        on: &today,
        note: &note,
        disclosed_identity: disclosed.as_deref().map(|d| (d, requester.personal_recipient.as_str())),
    };
    if !custody::decide(&mut tx, &decision).await? {
        drop(tx);
        // Decided by someone else, or the requester changed between the checks and the write.
        let mut conn = state.store.pool().acquire().await?;
        let still = custody::request_by_id(&mut conn, request.id).await?;
        return Ok(match still {
            Some(r) if r.status == RequestStatus::Pending => Decided::RequesterUnavailable,
            _ => Decided::AlreadyDecided,
        });
    }
    let action = if approve { "identity.approved" } else { "identity.denied" };
    let detail = format!("request={} requester={}", request.id, request.requester);
    audit_case(&mut tx, state, &user.username, action, request.case_id, &detail).await?;
    let notice = Notice { event: Event::IdentityDecided, unit: "", reference: &request.reference, due: None };
    let addresses: Vec<String> = requester.email.into_iter().collect();
    let now = state.clock.now_utc().unix_timestamp();
    notify_addresses(&mut tx, &state.settings, &notice, &addresses, &today, now).await?;
    audit::commit(tx, &state.audit_key).await?;
    Ok(Decided::Decided)
}

pub enum Opened {
    Opened {
        reference: String,
        identity: ReporterIdentity,
    },
    NotFound,
    Anonymous,
    /// The custodian's keys do not open it (no custody key granted yet).
    NoKey,
}

/// A custodian opens a case's reporter identity themselves, with a recorded (sealed) reason.
pub async fn open_as_custodian(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
    reason: BoundedText,
) -> Result<Opened, StaffError> {
    if !user.has(Role::IdentityCustodian) {
        return Ok(Opened::NotFound);
    }
    let key = custody_identity(state, user).await?;
    let mut conn = state.store.pool().acquire().await?;
    let Some((case_id, _, has_identity)) = custody::case_by_reference(&mut conn, reference).await? else {
        return Ok(Opened::NotFound);
    };
    if !has_identity {
        return Ok(Opened::Anonymous);
    }
    let sealed = custody::case_identity(&mut conn, case_id).await?.ok_or(StaffError::Corrupt("identity"))?;
    drop(conn);
    let Some(identity) = open_identity(&sealed, key.as_ref(), &user.personal) else {
        return Ok(Opened::NoKey);
    };
    let sealed_reason = seal::seal_json(
        &reason,
        &[&state.keyring.custody, &state.keyring.escrow, &user.personal.to_public()],
    )?;
    let today = state.clock.today().to_string();
    let mut tx = state.store.begin().await?;
    let id = custody::insert_request(
        &mut tx,
        &NewRequest {
            case_id,
            kind: RequestKind::Custodian,
            requested_by: user.account_id,
            on: &today,
            reason: &sealed_reason,
            status: RequestStatus::Opened,
        },
    )
    .await?
    .ok_or(StaffError::Corrupt("an opening conflicted with a request"))?;
    audit_case(&mut tx, state, &user.username, "identity.opened", case_id, &format!("request={id}")).await?;
    audit::commit(tx, &state.audit_key).await?;
    Ok(Opened::Opened { reference: reference.to_owned(), identity })
}

/// This officer's requests on a case, as the case page shows them.
pub struct MyRequest {
    pub status: RequestStatus,
    pub requested_on: String,
    pub decided_on: Option<String>,
    pub reason: String,
    pub note: Option<String>,
}

pub async fn my_requests(
    state: &AppState,
    user: &StaffUser,
    case_id: i64,
) -> Result<Vec<MyRequest>, StaffError> {
    let mut conn = state.store.pool().acquire().await?;
    let rows = custody::requests_of_case(&mut conn, case_id).await?;
    let keys = [Some(&user.personal)];
    Ok(rows
        .into_iter()
        .filter(|r| r.requested_by == user.account_id && r.kind == RequestKind::Request)
        .map(|r| MyRequest {
            status: r.status,
            reason: sealed_text(&r.reason, &keys).unwrap_or_default(),
            note: r.decision_note.as_deref().and_then(|n| sealed_text(n, &keys)),
            requested_on: r.requested_on,
            decided_on: r.decided_on,
        })
        .collect())
}

/// The identity disclosed to this officer on an approved request, opened with their personal key;
/// None without one. Every view is audited.
pub async fn view_disclosed(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
) -> Result<Option<ReporterIdentity>, StaffError> {
    let Some((row, _)) = super::cases::load(state, user, reference).await? else { return Ok(None) };
    let mut conn = state.store.pool().acquire().await?;
    let approved = custody::requests_of_case(&mut conn, row.id).await?.into_iter().find(|r| {
        r.requested_by == user.account_id
            && r.status == RequestStatus::Approved
            && r.disclosed_identity.is_some()
    });
    drop(conn);
    let Some(request) = approved else { return Ok(None) };
    let sealed = request.disclosed_identity.ok_or(StaffError::Corrupt("disclosed identity"))?;
    // A disclosure sealed to a key the officer has since replaced (a reset) no longer opens.
    let Ok(identity) = seal::open_json::<ReporterIdentity>(&sealed, &user.personal) else { return Ok(None) };
    let mut tx = state.store.begin().await?;
    audit_case(&mut tx, state, &user.username, "identity.viewed", row.id, &format!("request={}", request.id))
        .await?;
    audit::commit(tx, &state.audit_key).await?;
    Ok(Some(identity))
}

/// Custodians and whether each holds the key (for the custodians' page).
pub async fn holders(state: &AppState) -> Result<Vec<custody::Custodian>, StaffError> {
    let mut conn = state.store.pool().acquire().await?;
    Ok(custody::custodians(&mut conn).await?)
}

/// Whether a case has a sealed identity (for the case page: anonymous reports have none).
pub async fn has_identity(state: &AppState, case_id: i64) -> Result<bool, StaffError> {
    let mut conn = state.store.pool().acquire().await?;
    Ok(custody::case_identity(&mut conn, case_id).await?.is_some())
}

/// Re-seals every reporter identity to the custody key and escrow only, with the escrow identity
/// (the command line's `keys reseal-identities`). Identities from before the custody key were
/// sealed to each custodian's own key, at that time pending ones included; afterwards none opens
/// with any personal key. Returns how many were re-sealed.
pub async fn reseal_identities(
    store: &crate::storage::Store,
    clock: &crate::clock::Clock,
    audit_key: &audit::AuditKey,
    escrow: &x25519::Identity,
) -> Result<usize, StaffError> {
    let mut tx = store.begin().await?;
    let key = custody::key(&mut tx).await?.ok_or(StaffError::Corrupt("no custody key"))?;
    let identities = custody::all_identities(&mut tx).await?;
    let custody_recipient = keys::parse_recipient(&key.recipient)?;
    let escrow_recipient = escrow.to_public();
    let mut count = 0;
    for (case_id, sealed) in identities {
        let plain = seal::open(&sealed, escrow)?;
        // The padded plaintext is sealed again as it is, so its size bucket stays the same.
        let resealed = seal::seal(&plain, &[&custody_recipient, &escrow_recipient])?;
        custody::set_identity(&mut tx, case_id, &resealed).await?;
        count += 1;
    }
    let today = clock.today().to_string();
    let detail = format!("count={count}");
    let entry = AuditEntry {
        recorded_on: &today,
        actor: "cli",
        action: "custody.identities_resealed",
        case_id: None,
        detail: &detail,
    };
    audit::append(&mut tx, audit_key, &entry).await?;
    audit::commit(tx, audit_key).await?;
    Ok(count)
}
