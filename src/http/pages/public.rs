//! The citizen's pages: choose a track, file a complaint, keep the receipt, follow the case up.
use super::render::{Chrome, render, render_with_status};
use crate::domain::complaint::{Category, Channel, Relationship, Status, Track};
use crate::domain::submission::{self, FieldError, PersonInput, ReporterInput, Submission, SubmissionInput};
use crate::domain::token::SubmissionToken;
use crate::http::error::{AppError, PageError};
use crate::http::form::{csrf_form, csrf_forms};
use crate::http::lang::Lang;
use crate::intake::{self, ReporterView};
use crate::state::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;
use serde::Deserialize;
use std::collections::HashMap;

/// A choice in a select list, with its selected state worked out here rather than in the template.
pub struct Choice {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

fn authenticity(csrf: &CsrfToken, l: Lang) -> Result<String, PageError> {
    csrf.authenticity_token().map_err(|_| PageError(AppError::Internal("csrf token".into()), l))
}

#[derive(Template)]
#[template(path = "public/home.html")]
pub struct HomePage {
    pub chrome: Chrome,
}

pub async fn home(State(state): State<AppState>, l: Lang) -> Response {
    render(&HomePage { chrome: Chrome::new(l, &state.settings.organisation, "/") })
}

#[derive(Template)]
#[template(path = "public/privacy.html")]
pub struct PrivacyPage {
    pub chrome: Chrome,
}

pub async fn privacy(State(state): State<AppState>, l: Lang) -> Response {
    render(&PrivacyPage { chrome: Chrome::new(l, &state.settings.organisation, "/privacy") })
}

/// The complaint form exactly as posted; every field optional here so that a form with mistakes
/// can be shown again with what the reporter typed.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintForm {
    #[serde(default)]
    pub authenticity_token: String,
    /// One-time value of this form, so a reload cannot file the complaint twice.
    #[serde(default)]
    pub submission_nonce: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub event_time: String,
    #[serde(default)]
    pub event_place: String,
    #[serde(default)]
    pub person1_name: String,
    #[serde(default)]
    pub person1_position: String,
    #[serde(default)]
    pub person1_unit: String,
    #[serde(default)]
    pub person2_name: String,
    #[serde(default)]
    pub person2_position: String,
    #[serde(default)]
    pub person2_unit: String,
    #[serde(default)]
    pub relationship: String,
    #[serde(default)]
    pub concerns_unit: String,
    #[serde(default)]
    pub reporter_name: String,
    #[serde(default)]
    pub reporter_national_id: String,
    #[serde(default)]
    pub reporter_phone: String,
    #[serde(default)]
    pub reporter_email: String,
    #[serde(default)]
    pub reporter_address: String,
}

impl ComplaintForm {
    pub fn to_input(&self, track: Track) -> SubmissionInput {
        let person = |name: &str, position: &str, unit: &str| PersonInput {
            name: name.to_owned(),
            position: position.to_owned(),
            unit: unit.to_owned(),
        };
        SubmissionInput {
            track: track.code().to_owned(),
            category: self.category.clone(),
            subject: self.subject.clone(),
            description: self.description.clone(),
            event_time: self.event_time.clone(),
            event_place: self.event_place.clone(),
            persons: vec![
                person(&self.person1_name, &self.person1_position, &self.person1_unit),
                person(&self.person2_name, &self.person2_position, &self.person2_unit),
            ],
            relationship: self.relationship.clone(),
            concerns_unit: self.concerns_unit.clone(),
            reporter: Some(ReporterInput {
                name: self.reporter_name.clone(),
                national_id: self.reporter_national_id.clone(),
                phone: self.reporter_phone.clone(),
                email: self.reporter_email.clone(),
                address: self.reporter_address.clone(),
            }),
        }
    }
}

/// Field errors keyed by form field name, in the reader's language.
#[derive(Default)]
pub struct FormErrors(HashMap<&'static str, String>);

impl FormErrors {
    pub fn from_fields(errors: &[FieldError], l: Lang) -> Self {
        let mut map = HashMap::new();
        for e in errors {
            let field = match e.field {
                "persons" => "person1_name",
                "reporter.name" => "reporter_name",
                "reporter.national_id" => "reporter_national_id",
                "reporter.phone" => "reporter_phone",
                "reporter.email" => "reporter_email",
                "reporter.address" => "reporter_address",
                other => other,
            };
            let message = if l.is_en() { e.problem.message_en() } else { e.problem.message_th() };
            map.entry(field).or_insert(message);
        }
        Self(map)
    }

    pub fn insert(&mut self, field: &'static str, message: String) {
        self.0.entry(field).or_insert(message);
    }

    pub fn get(&self, field: &str) -> Option<&String> {
        self.0.get(field)
    }

    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
}

#[derive(Template)]
#[template(path = "public/complaint_form.html")]
pub struct ComplaintFormPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub track: Track,
    pub corruption: bool,
    pub track_label: &'static str,
    pub categories: Vec<Choice>,
    pub relationships: Vec<Choice>,
    pub units: Vec<(String, String, bool)>,
    pub form: ComplaintForm,
    pub errors: FormErrors,
}

fn track_from_path(code: &str, l: Lang) -> Result<Track, PageError> {
    Track::from_code(code).ok_or(PageError(AppError::NotFound, l))
}

fn form_page(
    state: &AppState,
    l: Lang,
    csrf: String,
    track: Track,
    form: ComplaintForm,
    errors: FormErrors,
) -> ComplaintFormPage {
    let back = match track {
        Track::Corruption => "/report/corruption",
        Track::General => "/report/general",
    };
    let categories = Category::of_track(track)
        .map(|c| Choice {
            code: c.code(),
            label: l.t(c.label_th(), c.label_en()),
            selected: form.category == c.code(),
        })
        .collect();
    let relationships = Relationship::ALL
        .iter()
        .map(|r| Choice {
            code: r.code(),
            label: l.t(r.label_th(), r.label_en()),
            selected: form.relationship == r.code(),
        })
        .collect();
    let units = state
        .settings
        .units
        .iter()
        .map(|u| (u.code.clone(), l.t(&u.name_th, &u.name_en).to_owned(), form.concerns_unit == u.code))
        .collect();
    ComplaintFormPage {
        chrome: Chrome::new(l, &state.settings.organisation, back),
        csrf,
        track,
        corruption: track == Track::Corruption,
        track_label: l.t(track.label_th(), track.label_en()),
        categories,
        relationships,
        units,
        form,
        errors,
    }
}

pub async fn complaint_form(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Path(track): Path<String>,
) -> Result<Response, PageError> {
    let track = track_from_path(&track, l)?;
    let token = authenticity(&csrf, l)?;
    let form = ComplaintForm { submission_nonce: new_nonce(), ..ComplaintForm::default() };
    let page = form_page(&state, l, token, track, form, FormErrors::default());
    Ok((csrf, render(&page)).into_response())
}

const MALFORMED_FORM: AppError = AppError::BadRequest {
    code: "malformed_form",
    en: "The form has unexpected or malformed fields.",
    th: "แบบฟอร์มมีช่องข้อมูลที่ไม่ถูกต้อง กรุณาส่งจากแบบฟอร์มของเว็บไซต์นี้",
};

fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Template)]
#[template(path = "public/receipt.html")]
pub struct ReceiptPage {
    pub chrome: Chrome,
    pub reference: String,
    pub token: String,
    pub received_on: String,
    pub acknowledge_due: String,
    pub result_due: String,
    pub track_label: &'static str,
}

pub async fn submit_complaint(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Path(track): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let track = track_from_path(&track, l)?;
    let form: ComplaintForm = csrf_form(body, &csrf, l)?;
    if form.submission_nonce.len() != 32 || !form.submission_nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(PageError(MALFORMED_FORM, l));
    }
    let units = state.settings.unit_codes();
    let submission = match Submission::parse(&form.to_input(track), &units) {
        Ok(s) => s,
        Err(errors) => {
            let errors = FormErrors::from_fields(&errors, l);
            let token = authenticity(&csrf, l)?;
            let page = form_page(&state, l, token, track, form, errors);
            return Ok((csrf, render_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)).into_response());
        }
    };
    let receipt = intake::submit(&state, &submission, Channel::Online, Some(&form.submission_nonce))
        .await
        .map_err(|e| PageError(e.into(), l))?;
    // No language switch on the receipt: leaving this page would lose the only view of the token.
    let chrome = Chrome::new(l, &state.settings.organisation, "");
    let page = ReceiptPage {
        reference: receipt.reference.to_string(),
        token: receipt.token.display(),
        received_on: chrome.date(&receipt.received_on),
        acknowledge_due: chrome.date(&receipt.acknowledge_due),
        result_due: chrome.date(&receipt.result_due),
        track_label: l.t(track.label_th(), track.label_en()),
        chrome,
    };
    Ok((csrf, render_with_status(&page, StatusCode::CREATED)).into_response())
}

#[derive(Template)]
#[template(path = "public/follow_up_form.html")]
pub struct FollowUpFormPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub error: Option<String>,
}

pub async fn follow_up_form(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
) -> Result<Response, PageError> {
    let page = FollowUpFormPage {
        chrome: Chrome::new(l, &state.settings.organisation, "/follow-up"),
        csrf: authenticity(&csrf, l)?,
        error: None,
    };
    Ok((csrf, render(&page)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    message: String,
}

pub struct MessageLine {
    pub from_reporter: bool,
    pub sent_on: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "public/case.html")]
pub struct CasePage {
    pub chrome: Chrome,
    pub csrf: String,
    pub token: String,
    pub reference: String,
    pub track_label: &'static str,
    pub category_label: &'static str,
    pub status_label: &'static str,
    pub status_code: &'static str,
    pub received_on: String,
    pub status_changed_on: String,
    pub acknowledge_due: String,
    pub result_due: String,
    pub open: bool,
    pub messages: Vec<MessageLine>,
    pub notice: Option<&'static str>,
    pub message_error: Option<String>,
    pub message_draft: String,
    pub complaint: Option<FiledComplaint>,
    pub disclosures: Vec<DisclosureLine>,
}

/// What the reporter filed, as they read it back.
pub struct FiledComplaint {
    pub subject: String,
    pub description: String,
    pub event_time: String,
    pub event_place: String,
    pub relationship: &'static str,
    pub persons: Vec<String>,
}

pub struct DisclosureLine {
    pub on: String,
    pub to_handling_officer: bool,
}

fn filed(c: &crate::domain::submission::ComplaintContent, l: Lang) -> FiledComplaint {
    let text = |t: &Option<crate::domain::text::BoundedText>| {
        t.as_ref().map(|t| t.as_str().to_owned()).unwrap_or_default()
    };
    FiledComplaint {
        subject: c.subject.as_str().to_owned(),
        description: c.description.as_str().to_owned(),
        event_time: text(&c.event_time),
        event_place: text(&c.event_place),
        relationship: l.t(c.relationship.label_th(), c.relationship.label_en()),
        persons: c
            .persons
            .iter()
            .map(|p| {
                [text(&p.name), text(&p.position), text(&p.unit)]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" · ")
            })
            .filter(|s| !s.is_empty())
            .collect(),
    }
}

/// Re-renders the token form with an error: the same page, whatever the cause.
fn token_problem(state: &AppState, l: Lang, csrf: CsrfToken, error: AppError) -> Result<Response, PageError> {
    let status = error.status();
    let message = if l.is_en() { error.message_en() } else { error.message_th() };
    let page = FollowUpFormPage {
        chrome: Chrome::new(l, &state.settings.organisation, "/follow-up"),
        csrf: authenticity(&csrf, l)?,
        error: Some(message),
    };
    Ok((csrf, render_with_status(&page, status)).into_response())
}

/// What the message box shows: a confirmation, or an error with the reporter's draft.
#[derive(Default)]
struct MessageBox {
    notice: Option<&'static str>,
    error: Option<String>,
    draft: String,
}

fn case_page(
    state: &AppState,
    l: Lang,
    csrf: String,
    token: &SubmissionToken,
    view: ReporterView,
    message_box: MessageBox,
) -> CasePage {
    let chrome = Chrome::new(l, &state.settings.organisation, "/follow-up");
    CasePage {
        csrf,
        token: token.display(),
        reference: view.reference.clone(),
        track_label: l.t(view.track.label_th(), view.track.label_en()),
        category_label: l.t(view.category.label_th(), view.category.label_en()),
        status_label: l.t(view.status.label_th(), view.status.label_en()),
        status_code: view.status.code(),
        received_on: chrome.date(&view.received_on),
        status_changed_on: chrome.date(&view.status_changed_on),
        acknowledge_due: chrome.date(&view.acknowledge_due),
        result_due: chrome.date(&view.result_due),
        open: !matches!(view.status, Status::Concluded | Status::NotAccepted),
        messages: view
            .messages
            .iter()
            .map(|m| MessageLine {
                from_reporter: m.from_reporter,
                sent_on: chrome.date(&m.sent_on),
                text: m.text.as_str().to_owned(),
            })
            .collect(),
        notice: message_box.notice,
        message_error: message_box.error,
        message_draft: message_box.draft,
        complaint: view.complaint.as_ref().map(|c| filed(c, l)),
        disclosures: view
            .disclosures
            .iter()
            .map(|d| DisclosureLine { on: chrome.date(&d.on), to_handling_officer: d.to_handling_officer })
            .collect(),
        chrome,
    }
}

/// Parses a posted token and finds its case; a malformed or unknown token is the caller's to show.
async fn case_for_token(
    state: &AppState,
    l: Lang,
    raw: &str,
) -> Result<Result<(SubmissionToken, ReporterView), AppError>, PageError> {
    let token = match SubmissionToken::parse(raw) {
        Ok(t) => t,
        Err(e) => return Ok(Err(AppError::Token(e))),
    };
    match intake::find(state, &token).await.map_err(|e| PageError(e.into(), l))? {
        Some(view) => Ok(Ok((token, view))),
        None => Ok(Err(AppError::UnknownToken)),
    }
}

pub async fn follow_up(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let form: FollowUpForm = csrf_form(body, &csrf, l)?;
    let (token, view) = match case_for_token(&state, l, &form.token).await? {
        Ok(found) => found,
        Err(problem) => return token_problem(&state, l, csrf, problem),
    };
    let page = case_page(&state, l, authenticity(&csrf, l)?, &token, view, MessageBox::default());
    Ok((csrf, render(&page)).into_response())
}

pub async fn add_message(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let form: MessageForm = csrf_form(body, &csrf, l)?;
    let (token, view) = match case_for_token(&state, l, &form.token).await? {
        Ok(found) => found,
        Err(problem) => return token_problem(&state, l, csrf, problem),
    };
    let text = match submission::parse_message(&form.message) {
        Ok(t) => t,
        Err(problem) => {
            let message = if l.is_en() { problem.message_en() } else { problem.message_th() };
            let page = case_page(
                &state,
                l,
                authenticity(&csrf, l)?,
                &token,
                view,
                MessageBox { error: Some(message), draft: form.message, ..MessageBox::default() },
            );
            return Ok((csrf, render_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)).into_response());
        }
    };
    intake::add_message(&state, &token, &view, text).await.map_err(|e| PageError(e.into(), l))?;
    let view = intake::find(&state, &token)
        .await
        .map_err(|e| PageError(e.into(), l))?
        .ok_or(PageError(AppError::Internal("case vanished after a message was added".into()), l))?;
    let notice = Some(l.t("บันทึกข้อมูลเพิ่มเติมของท่านแล้ว", "Your additional information has been saved."));
    let page = case_page(
        &state,
        l,
        authenticity(&csrf, l)?,
        &token,
        view,
        MessageBox { notice, ..MessageBox::default() },
    );
    Ok((csrf, render(&page)).into_response())
}

#[derive(Deserialize)]
pub struct LangQuery {
    back: Option<String>,
}

/// Pages the language switch may return to; anything else goes to the start page (no open redirect).
const LANGUAGE_RETURN_PAGES: &[&str] =
    &["/", "/report/corruption", "/report/general", "/follow-up", "/privacy"];

/// Sets the language for this browser session (no lasting trace on a shared device) and returns.
pub async fn set_lang(Path(code): Path<String>, Query(q): Query<LangQuery>) -> Response {
    let lang = if code == "en" { "en" } else { "th" };
    let back = q
        .back
        .as_deref()
        .and_then(|b| LANGUAGE_RETURN_PAGES.iter().find(|p| **p == b))
        .copied()
        .unwrap_or("/");
    let cookie = format!("lang={lang}; Path=/; SameSite=Lax; HttpOnly");
    let mut response = Redirect::to(back).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

csrf_forms!(ComplaintForm, FollowUpForm, MessageForm);
