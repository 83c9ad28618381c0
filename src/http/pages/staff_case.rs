//! The case page an officer works on: the sealed content opened with the unit key, messages with
//! the reporter, triage, hand-over to another unit, links to measures and identity requests.
use super::common::{internal, token_of};
use super::render::{Chrome, render, render_with_status};
use super::staff::{Choice, current_deadline, parse_date};
use crate::domain::complaint::Status;
use crate::domain::submission;
use crate::domain::text::BoundedText;
use crate::domain::triage::{Action, Agency, Outcome, RejectionReason, TriageError};
use crate::http::error::{AppError, PageError};
use crate::http::form::{csrf_form, csrf_forms, csrf_pairs};
use crate::http::lang::Lang;
use crate::http::staff_session::Staff;
use crate::staff::cases as work;
use crate::state::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;
use serde::Deserialize;

pub struct MessageLine {
    pub from_reporter: bool,
    pub sent_on: String,
    pub text: String,
}

pub struct EventLine {
    pub recorded_on: String,
    pub actor: String,
    pub change: String,
    pub detail: String,
    pub note: String,
}

pub struct Person {
    pub name: String,
    pub position: String,
    pub unit: String,
}

#[derive(Template)]
#[template(path = "staff/case.html")]
pub struct CasePage {
    pub chrome: Chrome,
    pub csrf: String,
    pub reference: String,
    pub status: &'static str,
    pub track: &'static str,
    pub category: &'static str,
    pub channel: &'static str,
    pub anonymous: bool,
    pub unit: String,
    /// Why the case is with its unit, in words.
    pub routing_rule: String,
    /// ผู้แจ้งเบาะแส on the corruption track, ผู้แจ้ง otherwise.
    pub reporter_word: &'static str,
    pub received_on: String,
    pub acknowledge_due: String,
    pub result_due: String,
    pub overdue: bool,
    pub subject: String,
    pub description: String,
    pub event_time: String,
    pub event_place: String,
    pub persons: Vec<Person>,
    pub relationship: &'static str,
    pub concerns_unit: String,
    pub messages: Vec<MessageLine>,
    pub events: Vec<EventLine>,
    pub can_acknowledge: bool,
    pub can_start: bool,
    pub can_close: bool,
    pub can_not_accept: bool,
    pub open: bool,
    pub outcomes: Vec<Choice>,
    pub agencies: Vec<Choice>,
    pub reasons: Vec<Choice>,
    pub other_units: Vec<Choice>,
    pub measures: Vec<Choice>,
    pub notice: Option<String>,
    /// The case has a sealed identity (an identified report whose identity was not yet destroyed).
    pub has_identity: bool,
    pub identity_requests: Vec<IdentityRequestLine>,
    /// This officer may ask now (no pending or approved request of theirs).
    pub can_request_identity: bool,
    pub identity_approved: bool,
    pub forms: CaseForms,
    pub files: Vec<StaffFileLine>,
    pub evidence: super::common::EvidenceField,
}

/// One of the case's evidence files as officers see it.
pub struct StaffFileLine {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub size: String,
    pub added_on: String,
    pub from_reporter: bool,
    pub cleaned: bool,
}

/// One of this officer's identity requests on the case.
pub struct IdentityRequestLine {
    pub status: &'static str,
    pub requested_on: String,
    pub decided_on: String,
    pub reason: String,
    pub note: String,
}

/// What the officer typed into a form on the case page, and what was wrong with it, for showing
/// the page again with the input kept and the message next to the field.
#[derive(Default)]
pub struct CaseForms {
    pub identity_reason: String,
    pub identity_error: Option<String>,
    pub file_error: Option<String>,
    /// The message to the reporter as typed, and its problem.
    pub message: String,
    pub message_error: Option<String>,
    /// The triage form as filled in, and its problem, with the id of the field it concerns.
    pub action: String,
    pub outcome: String,
    pub agency: String,
    pub reason: String,
    pub note: String,
    pub status_field: &'static str,
    pub status_error: Option<String>,
    /// The unit chosen for a hand-over that waits for its confirmation.
    pub handover: Option<Choice>,
    pub handover_error: Option<String>,
}

impl CaseForms {
    /// (field id, message) of every problem, for the page's error summary.
    pub fn problems(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        if let Some(e) = &self.identity_error {
            out.push(("identity_reason", e.as_str()));
        }
        if let Some(e) = &self.message_error {
            out.push(("message", e.as_str()));
        }
        if let Some(e) = &self.status_error {
            out.push((self.status_field, e.as_str()));
        }
        if let Some(e) = &self.handover_error {
            out.push(("unit", e.as_str()));
        }
        out
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    #[serde(default)]
    done: String,
}

/// The routing rule stored with a case, as officers read it.
fn rule_label(rule: &str, l: Lang) -> String {
    match rule.split_once(':') {
        Some(("category", code)) => {
            let category = crate::domain::complaint::Category::from_code(code)
                .map(|c| l.t(c.label_th(), c.label_en()))
                .unwrap_or(code);
            format!("{} {category}", l.t("ส่งตามประเภทเรื่อง:", "routed by category:"))
        }
        _ => match rule {
            "default" => l.t("หน่วยงานรับเรื่องตั้งต้น", "the default receiving unit"),
            "conflict" => l.t(
                "เรื่องเกี่ยวกับหน่วยงานที่ปกติรับเรื่อง จึงส่งหน่วยงานสำรอง",
                "it concerns the usual unit, so it went to the alternate",
            ),
            "reassigned" => l.t("รับโอนจากหน่วยงานอื่น", "handed over from another unit"),
            _ => "",
        }
        .to_owned(),
    }
}

/// What the staff pages call the person who filed: ผู้แจ้งเบาะแส on the corruption track.
pub fn reporter_word(track: &str, l: Lang) -> &'static str {
    match crate::domain::complaint::Track::from_code(track) {
        Some(crate::domain::complaint::Track::Corruption) => l.t("ผู้แจ้งเบาะแส", "whistleblower"),
        _ => l.t("ผู้แจ้ง", "reporter"),
    }
}

fn text(t: &Option<BoundedText>) -> String {
    t.as_ref().map(|t| t.as_str().to_owned()).unwrap_or_default()
}

pub async fn case_page(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    Path(reference): Path<String>,
    Query(q): Query<CaseQuery>,
) -> Result<Response, PageError> {
    let notice = match q.done.as_str() {
        "message" => Some(l.t("ส่งข้อความถึงผู้ร้องเรียนแล้ว", "Your message to the reporter was sent.").to_owned()),
        "status" => Some(l.t("บันทึกสถานะเรื่องแล้ว", "The status was recorded.").to_owned()),
        "measures" => Some(l.t("บันทึกการเชื่อมโยงกับมาตรการแล้ว", "The links to measures were saved.").to_owned()),
        "files" => Some(
            l.t("แนบไฟล์แล้ว ไฟล์ถูกเข้ารหัสให้หน่วยงานก่อนจัดเก็บ", "The files were attached and sealed to the unit.")
                .to_owned(),
        ),
        "identity_requested" => Some(
            l.t(
                "ส่งคำขอเปิดเผยข้อมูลผู้แจ้งถึงผู้ดูแลข้อมูลผู้แจ้งแล้ว ท่านจะได้รับแจ้งเมื่อมีผลการพิจารณา",
                "Your request was sent to the identity custodians; you will be told of their decision.",
            )
            .to_owned(),
        ),
        _ => None,
    };
    if let Some(row) = work::tombstone(&state, &user, &reference).await.map_err(internal(l))? {
        let chrome = Chrome::new(l, &state.settings.organisation, "/staff");
        let date = |s: &Option<String>| {
            s.as_deref().and_then(parse_date).map(|d| chrome.date(&d)).unwrap_or_default()
        };
        let page = TombstonePage {
            csrf: token_of(&csrf, l)?,
            nav: super::common::Nav::of(&user),
            reference: row.reference.clone(),
            track: crate::domain::complaint::Track::from_code(&row.track)
                .map(|t| l.t(t.label_th(), t.label_en()))
                .unwrap_or(""),
            received_on: date(&Some(row.received_on.clone())),
            closed_on: date(&row.closed_on),
            purged_on: date(&row.purged_on),
            chrome,
        };
        return Ok((csrf, render(&page)).into_response());
    }
    let page = case_view(&state, l, token_of(&csrf, l)?, &user, &reference, notice, CaseForms::default())
        .await?
        .ok_or(PageError(AppError::NotFound, l))?;
    Ok((csrf, render(&page)).into_response())
}

/// A case after its retention ended: what the figures keep, and when the rest was destroyed.
#[derive(Template)]
#[template(path = "staff/tombstone.html")]
pub struct TombstonePage {
    pub chrome: Chrome,
    pub csrf: String,
    pub nav: super::common::Nav,
    pub reference: String,
    pub track: &'static str,
    pub received_on: String,
    pub closed_on: String,
    pub purged_on: String,
}

/// The case page as this officer may see it, or None when they cannot open the case.
pub async fn case_view(
    state: &AppState,
    l: Lang,
    csrf: String,
    user: &crate::staff::auth::StaffUser,
    reference: &str,
    notice: Option<String>,
    forms: CaseForms,
) -> Result<Option<CasePage>, PageError> {
    let Some(case) = work::open(state, user, reference).await.map_err(internal(l))? else {
        return Ok(None);
    };
    let has_identity = crate::staff::custody::has_identity(state, case.row.id).await.map_err(internal(l))?;
    let files =
        crate::staff::evidence::list(state, user, reference).await.map_err(internal(l))?.unwrap_or_default();
    let mine = crate::staff::custody::my_requests(state, user, case.row.id).await.map_err(internal(l))?;
    let chrome = Chrome::new(l, &state.settings.organisation, "/staff");
    let today = state.clock.today();
    let (_, overdue) = current_deadline(case.status, &case.row.acknowledge_due, &case.row.result_due, today);
    let date = |s: &str| parse_date(s).map(|d| chrome.date(&d)).unwrap_or_default();
    let status_label = |code: &str| {
        Status::from_code(code)
            .map(|s| l.t(s.label_th(), s.label_en()).to_owned())
            .unwrap_or_else(|| code.to_owned())
    };
    let unit_name = |code: &str| {
        state
            .settings
            .unit(code)
            .map(|u| l.t(&u.name_th, &u.name_en).to_owned())
            .unwrap_or_else(|| code.to_owned())
    };
    let detail_label = |code: &str| {
        Outcome::from_code(code)
            .map(|o| l.t(o.label_th(), o.label_en()))
            .or_else(|| RejectionReason::from_code(code).map(|r| l.t(r.label_th(), r.label_en())))
            .unwrap_or(code)
            .to_owned()
    };
    let choices = |all: Vec<(&'static str, &'static str, &'static str)>| {
        all.into_iter()
            .map(|(code, th, en)| Choice { code: code.into(), label: l.t(th, en).into(), selected: false })
            .collect::<Vec<_>>()
    };
    let c = &case.content;
    let measures = work::measure_links(state, user, reference)
        .await
        .map_err(internal(l))?
        .unwrap_or_default()
        .into_iter()
        .map(|(_, m, linked)| Choice {
            code: m.number.to_string(),
            label: format!("{}. {}", m.number, m.title),
            selected: linked,
        })
        .collect();
    use crate::storage::custody::RequestStatus;
    let page = CasePage {
        measures,
        csrf,
        has_identity,
        can_request_identity: !mine
            .iter()
            .any(|r| matches!(r.status, RequestStatus::Pending | RequestStatus::Approved)),
        identity_approved: mine.iter().any(|r| r.status == RequestStatus::Approved),
        identity_requests: mine
            .into_iter()
            .map(|r| IdentityRequestLine {
                status: match r.status {
                    RequestStatus::Pending => l.t("รอการพิจารณา", "awaiting a decision"),
                    RequestStatus::Approved => l.t("อนุมัติ", "approved"),
                    RequestStatus::Denied => l.t("ไม่อนุมัติ", "denied"),
                    RequestStatus::Opened => l.t("เปิดดูโดยผู้ดูแลข้อมูล", "opened by a custodian"),
                },
                requested_on: date(&r.requested_on),
                decided_on: r.decided_on.as_deref().map(date).unwrap_or_default(),
                reason: r.reason,
                note: r.note.unwrap_or_default(),
            })
            .collect(),
        files: files
            .into_iter()
            .map(|f| StaffFileLine {
                name: f.meta.name.as_str().to_owned(),
                kind: f.meta.kind.label_th(),
                size: super::public::human_size(f.meta.size),
                added_on: date(&f.added_on),
                from_reporter: f.from_reporter,
                cleaned: f.meta.metadata_removed,
                id: f.id,
            })
            .collect(),
        evidence: super::common::EvidenceField {
            error: forms.file_error.clone(),
            for_staff: true,
            ..super::common::EvidenceField::new(&state.evidence.limits)
        },
        forms,
        reference: case.row.reference.clone(),
        status: l.t(case.status.label_th(), case.status.label_en()),
        track: l.t(case.track.label_th(), case.track.label_en()),
        category: l.t(case.category.label_th(), case.category.label_en()),
        channel: l.t(case.channel.label_th(), case.channel.label_en()),
        anonymous: case.row.anonymous,
        unit: unit_name(&case.row.unit_code),
        routing_rule: rule_label(&case.row.routing_rule, l),
        reporter_word: reporter_word(&case.row.track, l),
        received_on: date(&case.row.received_on),
        acknowledge_due: date(&case.row.acknowledge_due),
        result_due: date(&case.row.result_due),
        overdue,
        subject: c.subject.as_str().to_owned(),
        description: c.description.as_str().to_owned(),
        event_time: text(&c.event_time),
        event_place: text(&c.event_place),
        persons: c
            .persons
            .iter()
            .map(|p| Person { name: text(&p.name), position: text(&p.position), unit: text(&p.unit) })
            .collect(),
        relationship: l.t(c.relationship.label_th(), c.relationship.label_en()),
        concerns_unit: c.concerns_unit.as_deref().map(unit_name).unwrap_or_default(),
        messages: case
            .messages
            .iter()
            .map(|m| MessageLine {
                from_reporter: m.from_reporter,
                sent_on: date(&m.sent_on),
                text: m.text.as_str().to_owned(),
            })
            .collect(),
        events: case
            .events
            .iter()
            .map(|e| EventLine {
                recorded_on: date(&e.recorded_on),
                actor: e.actor.clone(),
                change: format!("{} → {}", status_label(&e.from_status), status_label(&e.to_status)),
                detail: e.detail_code.as_deref().map(detail_label).unwrap_or_default(),
                note: text(&e.note),
            })
            .collect(),
        can_acknowledge: case.status == Status::New,
        can_start: case.status == Status::Acknowledged,
        can_close: matches!(case.status, Status::Acknowledged | Status::InProgress),
        can_not_accept: matches!(case.status, Status::New | Status::Acknowledged | Status::InProgress),
        open: !matches!(case.status, Status::Concluded | Status::NotAccepted),
        outcomes: choices(Outcome::ALL.iter().map(|o| (o.code(), o.label_th(), o.label_en())).collect()),
        agencies: choices(Agency::ALL.iter().map(|o| (o.code(), o.label_th(), o.label_en())).collect()),
        reasons: choices(
            RejectionReason::ALL.iter().map(|o| (o.code(), o.label_th(), o.label_en())).collect(),
        ),
        other_units: state
            .settings
            .units
            .iter()
            .filter(|u| u.code != case.row.unit_code)
            .map(|u| Choice {
                code: u.code.clone(),
                label: l.t(&u.name_th, &u.name_en).to_owned(),
                selected: false,
            })
            .collect(),
        notice,
        chrome,
    };
    Ok(Some(page))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffMessageForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    message: String,
}

/// Back to the case page after a change, at the section the change concerns. (Only redirects carry a
/// fragment: a page that comes back with errors has none, so its error summary takes the focus.)
fn after(reference: &str, done: &str) -> Response {
    let section = match done {
        "message" => "#messages",
        "files" => "#files",
        _ => "",
    };
    Redirect::to(&format!("/staff/cases/{reference}?done={done}{section}")).into_response()
}

fn refused(l: Lang, e: crate::domain::triage::TriageError) -> PageError {
    let en = match e {
        crate::domain::triage::TriageError::AgencyMissing => "Name the agency the case was referred to.",
        crate::domain::triage::TriageError::NotAllowed { .. } => {
            "The case's status does not allow this (it may have changed)."
        }
    };
    PageError(AppError::Conflict { en, th: e.message_th() }, l)
}

pub async fn send_message(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    Path(reference): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let form: StaffMessageForm = csrf_form(body, &csrf, l)?;
    let problem = match submission::parse_message(&form.message) {
        Ok(text) => match work::send_message(&state, &user, &reference, text).await.map_err(internal(l))? {
            work::Done::Ok => return Ok(after(&reference, "message")),
            work::Done::NotFound => return Err(PageError(AppError::NotFound, l)),
            work::Done::Refused(e) => refused_text(l, e),
        },
        Err(problem) if l.is_en() => problem.message_en(),
        Err(problem) => problem.message_th(),
    };
    let forms = CaseForms { message: form.message, message_error: Some(problem), ..CaseForms::default() };
    again(&state, l, csrf, &user, &reference, forms).await
}

/// The case page again, with what the officer typed and the problem next to its field.
pub(super) async fn again(
    state: &AppState,
    l: Lang,
    csrf: CsrfToken,
    user: &crate::staff::auth::StaffUser,
    reference: &str,
    forms: CaseForms,
) -> Result<Response, PageError> {
    let page = case_view(state, l, token_of(&csrf, l)?, user, reference, None, forms)
        .await?
        .ok_or(PageError(AppError::NotFound, l))?;
    Ok((csrf, render_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)).into_response())
}

fn refused_text(l: Lang, e: crate::domain::triage::TriageError) -> String {
    match refused(l, e).0 {
        AppError::Conflict { en, th } => l.t(th, en).to_owned(),
        _ => String::new(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

/// A file form that did not arrive as one (not multipart, or cut off).
const MALFORMED_UPLOAD: AppError = AppError::BadRequest {
    code: "malformed_upload",
    en: "The files did not arrive as a file form. Choose them again on the case page and send the form.",
    th: "ไม่ได้รับไฟล์ในรูปแบบที่ถูกต้อง กรุณาเลือกไฟล์จากหน้าเรื่องอีกครั้งแล้วส่งแบบฟอร์ม",
};

pub(super) const BAD_ACTION: AppError = AppError::BadRequest {
    code: "invalid_action",
    en: "Choose an action, and the outcome or reason it needs.",
    th: "กรุณาเลือกการดำเนินการ พร้อมผลหรือเหตุผลที่ต้องระบุ",
};

/// The action the triage form asks for, or the field that is missing and what to say about it.
fn parse_action(f: &StatusForm, l: Lang) -> Result<Action, (&'static str, &'static str)> {
    let choose_outcome = ("outcome", l.t("กรุณาเลือกผลการดำเนินการ", "Choose the outcome"));
    let choose_agency = ("agency", l.t("กรุณาเลือกหน่วยงานจากรายการ", "Choose an agency from the list"));
    let choose_reason = ("reason", l.t("กรุณาเลือกเหตุผลที่ไม่รับไว้พิจารณา", "Choose the reason for not accepting"));
    Ok(match f.action.as_str() {
        "acknowledge" => Action::Acknowledge,
        "start" => Action::Start,
        "conclude" => Action::Conclude {
            outcome: Outcome::from_code(&f.outcome).ok_or(choose_outcome)?,
            agency: match f.agency.as_str() {
                "" => None,
                a => Some(Agency::from_code(a).ok_or(choose_agency)?),
            },
        },
        "not_accept" => {
            Action::NotAccept { reason: RejectionReason::from_code(&f.reason).ok_or(choose_reason)? }
        }
        _ => return Err(("action", l.t("กรุณาเลือกการดำเนินการ", "Choose an action"))),
    })
}

pub async fn change_status(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    Path(reference): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let form: StatusForm = csrf_form(body, &csrf, l)?;
    let note = BoundedText::parse_optional(&form.note, submission::MAX_MESSAGE);
    let problem = match (parse_action(&form, l), note) {
        (Err((field, message)), _) => (field, message.to_owned()),
        (Ok(_), Err(_)) => (
            "note",
            l.t(
                "บันทึกเหตุผลยาวเกินไปหรือมีอักขระที่ไม่อนุญาต",
                "The note is too long or has characters that are not allowed",
            )
            .to_owned(),
        ),
        (Ok(action), Ok(note)) => {
            match work::transition(&state, &user, &reference, action, note).await.map_err(internal(l))? {
                work::Done::Ok => return Ok(after(&reference, "status")),
                work::Done::NotFound => return Err(PageError(AppError::NotFound, l)),
                work::Done::Refused(e @ TriageError::AgencyMissing) => ("agency", refused_text(l, e)),
                work::Done::Refused(e) => ("action", refused_text(l, e)),
            }
        }
    };
    let forms = CaseForms {
        action: form.action,
        outcome: form.outcome,
        agency: form.agency,
        reason: form.reason,
        note: form.note,
        status_field: problem.0,
        status_error: Some(problem.1),
        ..CaseForms::default()
    };
    again(&state, l, csrf, &user, &reference, forms).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReassignForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    unit: String,
    /// "1" once the officer confirmed, on the page that names the unit and what a hand-over means.
    #[serde(default)]
    confirm: String,
}

/// Hands the case to another unit (re-sealed to its key); the old unit loses access. The first
/// post only asks for confirmation; the second, with `confirm=1`, does it.
pub async fn reassign(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    Path(reference): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let form: ReassignForm = csrf_form(body, &csrf, l)?;
    let Some(unit) = state.settings.unit(&form.unit) else {
        let message = l.t("กรุณาเลือกหน่วยงานที่จะส่งเรื่องไป", "Choose the unit to hand the case to");
        let forms = CaseForms { handover_error: Some(message.to_owned()), ..CaseForms::default() };
        return again(&state, l, csrf, &user, &reference, forms).await;
    };
    if form.confirm != "1" {
        let label = l.t(&unit.name_th, &unit.name_en).to_owned();
        let choice = Choice { code: unit.code.clone(), label, selected: true };
        let forms = CaseForms { handover: Some(choice), ..CaseForms::default() };
        let page = case_view(&state, l, token_of(&csrf, l)?, &user, &reference, None, forms)
            .await?
            .ok_or(PageError(AppError::NotFound, l))?;
        return Ok((csrf, render(&page)).into_response());
    }
    match work::reassign(&state, &user, &reference, &form.unit).await.map_err(internal(l))? {
        work::Done::Ok => Ok(Redirect::to("/staff?done=reassigned").into_response()),
        work::Done::NotFound => Err(PageError(AppError::NotFound, l)),
        work::Done::Refused(_) => {
            let message = l.t(
                "กรุณาเลือกหน่วยงานอื่นที่กำหนดไว้ เรื่องที่ยุติแล้วไม่สามารถโอนได้",
                "Choose another configured unit; a closed case stays where it is.",
            );
            let forms = CaseForms { handover_error: Some(message.to_owned()), ..CaseForms::default() };
            again(&state, l, csrf, &user, &reference, forms).await
        }
    }
}

/// An officer links the case to the measures of its year that it evidences.
pub async fn link_measures(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    Path(reference): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let pairs = csrf_pairs(body, &csrf, l)?;
    let mut numbers = Vec::new();
    for (k, v) in &pairs {
        match k.as_str() {
            "measure" => numbers.push(v.parse::<u32>().map_err(|_| PageError(BAD_ACTION, l))?),
            _ => return Err(PageError(BAD_ACTION, l)),
        }
    }
    match work::set_measure_links(&state, &user, &reference, &numbers).await.map_err(internal(l))? {
        work::Done::Ok => Ok(after(&reference, "measures")),
        work::Done::NotFound => Err(PageError(AppError::NotFound, l)),
        work::Done::Refused(e) => Err(refused(l, e)),
    }
}

csrf_forms!(ReassignForm, StaffMessageForm, StatusForm);

/// An officer adds evidence files to the case.
pub async fn attach_files(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    Path(reference): Path<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    // Whether the case is this officer's comes first: a malformed body must not tell a
    // non-member anything the 404 would not.
    let Some(slot) = crate::staff::evidence::slot(&state, &user, &reference).await.map_err(internal(l))?
    else {
        return Err(PageError(AppError::NotFound, l));
    };
    let multipart = multipart.map_err(|_| PageError(MALFORMED_UPLOAD, l))?;
    let evidence = state.evidence.clone();
    let refusal = if slot.closed {
        Some(AppError::CaseClosed)
    } else if slot.free == 0 {
        Some(crate::http::upload::too_many(&evidence))
    } else {
        None
    };
    let (token, recipients, free, refused) =
        (csrf.clone(), slot.recipients.clone(), slot.free, refusal.is_some());
    let mut decide: crate::http::upload::Decide<()> = Box::new(move |fields| {
        let (csrf, recipients) = (token.clone(), recipients.clone());
        Box::pin(async move {
            let get =
                |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
            csrf.verify(&get("authenticity_token")).map_err(|_| AppError::Csrf)?;
            if refused {
                return Ok(crate::http::upload::Target::Discard(()));
            }
            let keep_metadata = get("keep_metadata") == "1";
            Ok(crate::http::upload::Target::Seal { recipients, keep_metadata, slots: free, context: () })
        })
    });
    let mut upload = crate::http::upload::read(multipart, &evidence, 4096, &mut decide).await;
    if upload.context.is_none() && upload.error.is_none() {
        // No file part came, so the decision above never checked the form's token.
        let token = upload.fields.iter().find(|(n, _)| n == "authenticity_token").map(|(_, v)| v.as_str());
        if csrf.verify(token.unwrap_or_default()).is_err() {
            upload.error = Some(AppError::Csrf);
        }
    }
    let problem = match (&upload.error, upload.context.is_some()) {
        // The page sat open too long: the case page again, with a fresh token and nothing saved.
        (Some(AppError::Csrf), _) => Some((
            axum::http::StatusCode::FORBIDDEN,
            l.t(
                "แบบฟอร์มหมดอายุ ไฟล์ยังไม่ถูกแนบ กรุณาเลือกไฟล์แล้วกดแนบไฟล์อีกครั้ง",
                "This form had expired, so no file was attached. Choose the files and attach them again.",
            )
            .to_owned(),
        )),
        (Some(e), true) => Some((e.status(), if l.is_en() { e.message_en() } else { e.message_th() })),
        (Some(e), false) => return Err(PageError(AppError::Internal(e.message_en()), l)),
        (None, _) if refusal.is_some() => {
            refusal.as_ref().map(|e| (e.status(), if l.is_en() { e.message_en() } else { e.message_th() }))
        }
        (None, _) if upload.files.is_empty() => Some((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            l.t("กรุณาเลือกไฟล์อย่างน้อยหนึ่งไฟล์", "Choose at least one file.").to_owned(),
        )),
        (None, _) => None,
    };
    let problem = match problem {
        Some(p) => Some(p),
        None => match crate::staff::evidence::attach(&state, &user, &reference, &slot.unit, upload.files)
            .await
            .map_err(internal(l))?
        {
            crate::staff::evidence::Attached::Attached(_) => {
                return Ok(
                    Redirect::to(&format!("/staff/cases/{reference}?done=files#files")).into_response()
                );
            }
            crate::staff::evidence::Attached::NotFound => return Err(PageError(AppError::NotFound, l)),
            crate::staff::evidence::Attached::Refused => Some((
                axum::http::StatusCode::CONFLICT,
                l.t(
                    "เรื่องนี้เพิ่งถูกส่งต่อ ยุติ หรือแนบไฟล์ครบแล้ว ไฟล์ยังไม่ถูกบันทึก",
                    "The case was just handed over, closed or filled up; the files were not saved.",
                )
                .to_owned(),
            )),
        },
    };
    let (status, message) = problem.unwrap_or((axum::http::StatusCode::UNPROCESSABLE_ENTITY, String::new()));
    let forms = CaseForms { file_error: Some(message), ..CaseForms::default() };
    let page = case_view(&state, l, token_of(&csrf, l)?, &user, &reference, None, forms)
        .await?
        .ok_or(PageError(AppError::NotFound, l))?;
    Ok((csrf, super::render::render_with_status(&page, status)).into_response())
}

/// Downloads one of the case's files, decrypted on the way out (audited).
pub async fn download_file(
    State(state): State<AppState>,
    l: Lang,
    Staff(user): Staff,
    Path((reference, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let Some(file) =
        crate::staff::evidence::download(&state, &user, &reference, &id).await.map_err(internal(l))?
    else {
        return Err(PageError(AppError::NotFound, l));
    };
    let name = file.meta.name.as_str();
    // An ASCII fallback, and the real name in RFC 5987 form for browsers that read it.
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC).to_string();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut response = axum::body::Body::from_stream(file.body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(file.meta.kind.media_type()),
    );
    headers.insert(axum::http::header::CONTENT_LENGTH, axum::http::HeaderValue::from(file.meta.size));
    if let Ok(v) = axum::http::HeaderValue::from_str(&disposition) {
        headers.insert(axum::http::header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
