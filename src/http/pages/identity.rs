//! Identity custody on the web: an officer asks to see a case's reporter identity and, once a
//! custodian approves, views it; custodians decide requests, open identities themselves with a
//! reason, and pass the custody key to colleagues. Every step is audited.
use super::common::{internal, require_role, token_of};
use super::render::{Chrome, render, render_with_status};
use super::staff::parse_date;
use super::staff_case::{CaseForms, case_view};
use crate::domain::staff::{Role, Username};
use crate::domain::submission::ReporterIdentity;
use crate::domain::text::BoundedText;
use crate::http::error::{AppError, PageError};
use crate::http::form::{csrf_form, csrf_forms};
use crate::http::lang::Lang;
use crate::http::staff_session::Staff;
use crate::staff::auth::StaffUser;
use crate::staff::custody::{self, Decided, MAX_REASON, Opened, Requested};
use crate::state::AppState;
use crate::storage::custody::{RequestKind, RequestStatus};
use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;
use serde::Deserialize;

/// A reason is required: 1–2,000 characters of text.
fn reason_of(input: &str, l: Lang) -> Result<BoundedText, String> {
    match BoundedText::parse_optional(input, MAX_REASON) {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(l.t("กรุณาระบุเหตุผล", "Give a reason.").to_owned()),
        Err(_) => Err(l
            .t(
                "เหตุผลยาวเกิน 2,000 ตัวอักษร หรือมีอักขระที่ไม่อนุญาต",
                "The reason is longer than 2,000 characters or has characters that are not allowed.",
            )
            .to_owned()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    reason: String,
}

/// An officer of the case's unit asks the custodians for the reporter's identity.
pub async fn request_identity(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    Path(reference): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let form: ReasonForm = csrf_form(body, &csrf, l)?;
    let again = |error: String| async {
        let forms = CaseForms {
            identity_reason: form.reason.clone(),
            identity_error: Some(error),
            ..CaseForms::default()
        };
        let page = case_view(&state, l, token_of(&csrf, l)?, &user, &reference, None, forms)
            .await?
            .ok_or(PageError(AppError::NotFound, l))?;
        Ok::<_, PageError>(render_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY))
    };
    let reason = match reason_of(&form.reason, l) {
        Ok(r) => r,
        Err(e) => {
            let page = again(e).await?;
            return Ok((csrf, page).into_response());
        }
    };
    match custody::request(&state, &user, &reference, reason).await.map_err(internal(l))? {
        Requested::Requested => {
            Ok(Redirect::to(&format!("/staff/cases/{reference}?done=identity_requested#identity"))
                .into_response())
        }
        Requested::NotFound => Err(PageError(AppError::NotFound, l)),
        Requested::Anonymous => Err(PageError(
            AppError::Conflict {
                en: "This report was filed anonymously: there is no identity to disclose.",
                th: "เรื่องนี้แจ้งโดยไม่ประสงค์ออกนาม จึงไม่มีข้อมูลผู้แจ้งให้เปิดเผย",
            },
            l,
        )),
        Requested::AlreadyAsked => {
            let page = again(
                l.t(
                    "ท่านมีคำขอสำหรับเรื่องนี้ที่รอการพิจารณาหรือได้รับอนุมัติแล้ว",
                    "You already have a pending or approved request on this case.",
                )
                .to_owned(),
            )
            .await?;
            Ok((csrf, page).into_response())
        }
    }
}

pub struct IdentityLine {
    pub label: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "staff/identity_shown.html")]
pub struct IdentityShownPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub nav: super::common::Nav,
    pub reference: String,
    pub lines: Vec<IdentityLine>,
    /// Opened by a custodian (back to the custodians' page) rather than an approved officer.
    pub by_custodian: bool,
}

fn identity_lines(identity: &ReporterIdentity, l: Lang) -> Vec<IdentityLine> {
    let text =
        |t: &Option<BoundedText>| t.as_ref().map(|t| t.as_str().to_owned()).unwrap_or_else(|| "—".into());
    vec![
        IdentityLine {
            label: l.t("ชื่อ-นามสกุล", "Name"), value: text(&identity.name)
        },
        IdentityLine {
            label: l.t("เลขประจำตัวประชาชน", "National ID"), value: text(&identity.national_id)
        },
        IdentityLine { label: l.t("โทรศัพท์", "Telephone"), value: text(&identity.phone) },
        IdentityLine { label: l.t("อีเมล", "E-mail"), value: text(&identity.email) },
        IdentityLine { label: l.t("ที่อยู่", "Address"), value: text(&identity.address) },
    ]
}

fn shown_page(
    state: &AppState,
    l: Lang,
    csrf: String,
    user: &StaffUser,
    reference: String,
    identity: &ReporterIdentity,
    by_custodian: bool,
) -> IdentityShownPage {
    IdentityShownPage {
        chrome: Chrome::new(l, &state.settings.organisation, ""),
        csrf,
        nav: super::common::Nav::of(user),
        reference,
        lines: identity_lines(identity, l),
        by_custodian,
    }
}

/// The identity disclosed to this officer on an approved request (each view audited).
pub async fn disclosed(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    Path(reference): Path<String>,
) -> Result<Response, PageError> {
    let identity = custody::view_disclosed(&state, &user, &reference)
        .await
        .map_err(internal(l))?
        .ok_or(PageError(AppError::NotFound, l))?;
    let page = shown_page(&state, l, token_of(&csrf, l)?, &user, reference, &identity, false);
    Ok((csrf, render(&page)).into_response())
}

pub struct RequestLine {
    pub id: i64,
    pub reference: String,
    pub unit: String,
    pub requester: String,
    pub requested_on: String,
    pub reason: String,
    pub status: &'static str,
    pub decided_by: String,
    pub decided_on: String,
    pub note: String,
    pub by_custodian: bool,
}

pub struct HolderLine {
    pub username: String,
    pub display_name: String,
    pub holds_key: bool,
}

/// What a custodian typed, and what was wrong with it, for showing the page again.
#[derive(Default)]
pub struct CustodyForms {
    pub decide_id: i64,
    pub decide_note: String,
    pub decide_error: Option<String>,
    pub open_reference: String,
    pub open_reason: String,
    pub open_reference_error: Option<String>,
    pub open_reason_error: Option<String>,
    pub grant_username: String,
    pub grant_error: Option<String>,
}

#[derive(Template)]
#[template(path = "staff/identity.html")]
pub struct CustodyPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub nav: super::common::Nav,
    pub holds_key: bool,
    pub pending: Vec<RequestLine>,
    pub history: Vec<RequestLine>,
    pub holders: Vec<HolderLine>,
    pub forms: CustodyForms,
    pub notice: Option<String>,
    /// An outcome that is not a success (already decided, identity destroyed): shown as a problem.
    pub problem: Option<String>,
}

async fn custody_page(
    state: &AppState,
    l: Lang,
    csrf: String,
    user: &StaffUser,
    forms: CustodyForms,
    notice: Option<String>,
) -> Result<CustodyPage, PageError> {
    let chrome = Chrome::new(l, &state.settings.organisation, "/staff/identity");
    let date = |s: &str| parse_date(s).map(|d| chrome.date(&d)).unwrap_or_default();
    let unit_name = |code: &str| {
        state
            .settings
            .unit(code)
            .map(|u| l.t(&u.name_th, &u.name_en).to_owned())
            .unwrap_or_else(|| code.to_owned())
    };
    let views = custody::requests(state, user).await.map_err(internal(l))?;
    let holds_key = views.is_some();
    let (mut pending, mut history) = (Vec::new(), Vec::new());
    for v in views.unwrap_or_default() {
        let line = RequestLine {
            id: v.id,
            unit: unit_name(&v.unit_code),
            requester: format!("{} ({})", v.requester_name, v.requester),
            requested_on: date(&v.requested_on),
            reason: v.reason,
            status: match v.status {
                RequestStatus::Pending => l.t("รอการพิจารณา", "pending"),
                RequestStatus::Approved => l.t("อนุมัติ", "approved"),
                RequestStatus::Denied => l.t("ไม่อนุมัติ", "denied"),
                RequestStatus::Opened => l.t("ผู้ดูแลข้อมูลเปิดดูเอง", "opened by a custodian"),
            },
            decided_by: v.decided_by.unwrap_or_default(),
            decided_on: v.decided_on.as_deref().map(date).unwrap_or_default(),
            note: v.note.unwrap_or_default(),
            by_custodian: v.kind == RequestKind::Custodian,
            reference: v.reference,
        };
        if v.status == RequestStatus::Pending { pending.push(line) } else { history.push(line) }
    }
    let holders = custody::holders(state)
        .await
        .map_err(internal(l))?
        .into_iter()
        .map(|h| HolderLine { username: h.username, display_name: h.display_name, holds_key: h.holds_key })
        .collect();
    Ok(CustodyPage {
        chrome,
        csrf,
        nav: super::common::Nav::of(user),
        holds_key,
        pending,
        history,
        holders,
        forms,
        notice,
        problem: None,
    })
}

/// The identity custodians' page.
pub async fn custody(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
) -> Result<Response, PageError> {
    require_role(&user, Role::IdentityCustodian, l)?;
    let page = custody_page(&state, l, token_of(&csrf, l)?, &user, CustodyForms::default(), None).await?;
    Ok((csrf, render(&page)).into_response())
}

async fn custody_again(
    state: &AppState,
    l: Lang,
    csrf: CsrfToken,
    user: &StaffUser,
    forms: CustodyForms,
) -> Result<Response, PageError> {
    let page = custody_page(state, l, token_of(&csrf, l)?, user, forms, None).await?;
    Ok((csrf, render_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    request: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

const BAD_DECISION: AppError = AppError::BadRequest {
    code: "invalid_decision",
    en: "Choose a request and approve or deny it.",
    th: "กรุณาเลือกคำขอ และเลือกอนุมัติหรือไม่อนุมัติ",
};

/// A custodian approves or denies a pending request, with a reason.
pub async fn decide(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    require_role(&user, Role::IdentityCustodian, l)?;
    let form: DecideForm = csrf_form(body, &csrf, l)?;
    let id: i64 = form.request.parse().map_err(|_| PageError(BAD_DECISION, l))?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "deny" => false,
        _ => return Err(PageError(BAD_DECISION, l)),
    };
    let note = match reason_of(&form.note, l) {
        Ok(n) => n,
        Err(e) => {
            let forms = CustodyForms {
                decide_id: id,
                decide_note: form.note,
                decide_error: Some(e),
                ..CustodyForms::default()
            };
            return custody_again(&state, l, csrf, &user, forms).await;
        }
    };
    let problem = |text: &'static str| Err::<&'static str, &'static str>(text);
    let outcome = match custody::decide(&state, &user, id, approve, note).await.map_err(internal(l))? {
        Decided::Decided if approve => Ok(l.t(
            "อนุมัติแล้ว ข้อมูลผู้แจ้งเปิดให้เจ้าหน้าที่ผู้ยื่นคำขอเท่านั้น",
            "Approved: the identity now opens for the requesting officer only.",
        )),
        Decided::Decided => Ok(l.t("บันทึกการไม่อนุมัติแล้ว", "The request was denied.")),
        Decided::NotFound => return Err(PageError(AppError::NotFound, l)),
        Decided::AlreadyDecided => problem(l.t(
            "คำขอนี้ได้รับการพิจารณาไปแล้ว (อาจโดยผู้ดูแลข้อมูลผู้แจ้งอีกท่านหนึ่ง) การพิจารณาของท่านจึงไม่ถูกบันทึก",
            "This request was already decided (perhaps by another custodian), so your decision was not recorded.",
        )),
        Decided::NoIdentity => problem(l.t(
            "ข้อมูลผู้แจ้งของเรื่องนี้ถูกทำลายแล้วตามระยะเวลาการเก็บรักษา จึงเปิดเผยไม่ได้",
            "This case's identity was destroyed at the end of its retention, so it cannot be disclosed.",
        )),
        Decided::RequesterUnavailable => {
            let forms = CustodyForms {
                decide_id: id,
                decide_note: form.note,
                decide_error: Some(
                    l.t(
                        "ผู้ยื่นคำขอถูกระงับบัญชี อยู่ระหว่างตั้งค่าบัญชีใหม่ หรือไม่ได้รับผิดชอบเรื่องนี้แล้ว จึงเปิดเผยข้อมูลให้ไม่ได้ กรุณาพิจารณาไม่อนุมัติ",
                        "The requester's account is disabled or being set up again, or no longer handles the case; nothing can be disclosed to it. Deny the request.",
                    )
                    .to_owned(),
                ),
                ..CustodyForms::default()
            };
            return custody_again(&state, l, csrf, &user, forms).await;
        }
    };
    let (notice, problem, status) = match outcome {
        Ok(n) => (Some(n.to_owned()), None, StatusCode::OK),
        Err(p) => (None, Some(p.to_owned()), StatusCode::CONFLICT),
    };
    let mut page =
        custody_page(&state, l, token_of(&csrf, l)?, &user, CustodyForms::default(), notice).await?;
    page.problem = problem;
    Ok((csrf, render_with_status(&page, status)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    reason: String,
}

/// A custodian opens a case's reporter identity, with a recorded reason.
pub async fn open_identity(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    require_role(&user, Role::IdentityCustodian, l)?;
    let form: OpenForm = csrf_form(body, &csrf, l)?;
    let reference = form.reference.trim().to_owned();
    let mut forms = CustodyForms {
        open_reference: reference.clone(),
        open_reason: form.reason.clone(),
        ..CustodyForms::default()
    };
    let parsed = crate::domain::reference::CaseReference::parse(&reference);
    if parsed.is_none() {
        forms.open_reference_error =
            Some(l.t("เลขที่เรื่องต้องอยู่ในรูปแบบ 2569-0001", "A reference looks like 2569-0001.").to_owned());
    }
    let reason = reason_of(&form.reason, l).map_err(|e| forms.open_reason_error = Some(e)).ok();
    let (Some(_), Some(reason)) = (parsed, reason) else {
        return custody_again(&state, l, csrf, &user, forms).await;
    };
    let problem =
        match custody::open_as_custodian(&state, &user, &reference, reason).await.map_err(internal(l))? {
            Opened::Opened { reference, identity } => {
                let page = shown_page(&state, l, token_of(&csrf, l)?, &user, reference, &identity, true);
                return Ok((csrf, render(&page)).into_response());
            }
            Opened::NotFound => l.t("ไม่พบเรื่องเลขที่นี้", "There is no case with this reference."),
            Opened::Anonymous => l.t(
                "เรื่องนี้แจ้งโดยไม่ประสงค์ออกนาม จึงไม่มีข้อมูลผู้แจ้ง",
                "This report is anonymous: there is no identity.",
            ),
            Opened::NoKey => l.t(
                "กุญแจของท่านเปิดข้อมูลนี้ไม่ได้ กรุณาขอรับกุญแจดูแลข้อมูลผู้แจ้งก่อน",
                "Your keys do not open this identity; you need the custody key first.",
            ),
        };
    forms.open_reference_error = Some(problem.to_owned());
    custody_again(&state, l, csrf, &user, forms).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantCustodyForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    username: String,
}

/// A custodian who holds the custody key passes it to a colleague who has completed setup.
pub async fn grant_custody(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    require_role(&user, Role::IdentityCustodian, l)?;
    let form: GrantCustodyForm = csrf_form(body, &csrf, l)?;
    let Some(key) = custody::custody_identity(&state, &user).await.map_err(internal(l))? else {
        return Err(PageError(AppError::NotFound, l));
    };
    let mut forms = CustodyForms { grant_username: form.username.clone(), ..CustodyForms::default() };
    let Some(username) = Username::parse(&form.username) else {
        forms.grant_error = Some(l.t("ไม่พบบัญชีผู้ใช้นี้", "There is no such account.").to_owned());
        return custody_again(&state, l, csrf, &user, forms).await;
    };
    let ctx = super::staff_admin::admin_context(&state, &user.username);
    let problem = match custody::grant(&ctx, &username, &key).await {
        Ok(()) => {
            let notice = format!(
                "{} {}",
                l.t("มอบกุญแจดูแลข้อมูลผู้แจ้งให้แล้ว:", "Custody key granted to"),
                username.as_str()
            );
            let page =
                custody_page(&state, l, token_of(&csrf, l)?, &user, CustodyForms::default(), Some(notice))
                    .await?;
            return Ok((csrf, render(&page)).into_response());
        }
        Err(crate::staff::StaffError::UnknownAccount(_)) => l.t("ไม่พบบัญชีผู้ใช้นี้", "There is no such account."),
        Err(crate::staff::StaffError::PendingSetup(_)) => l.t(
            "บัญชีนี้ยังไม่ได้เข้าสู่ระบบครั้งแรกเพื่อตั้งรหัสผ่านของตนเอง กรุณามอบสิทธิ์หลังจากนั้น",
            "This account has not completed its first sign-in yet; grant the key after that.",
        ),
        Err(crate::staff::StaffError::NotCustodian(_)) => {
            l.t("บัญชีนี้ไม่มีบทบาทผู้ดูแลข้อมูลผู้แจ้ง หรือถูกระงับอยู่", "This account is not an enabled identity custodian.")
        }
        Err(e) => return Err(internal(l)(e)),
    };
    forms.grant_error = Some(problem.to_owned());
    custody_again(&state, l, csrf, &user, forms).await
}

csrf_forms!(ReasonForm, DecideForm, OpenForm, GrantCustodyForm);
