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
use axum::extract::{FromRequest, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;
use serde::Deserialize;

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

/// Field errors keyed by form field name, in the reader's language, in the order they were found
/// (the error summary lists them in that order, each a link to its field).
pub struct FormErrors {
    l: Lang,
    entries: Vec<(&'static str, String)>,
}

/// The label a form field has on the complaint and registration forms, for the error summary.
fn field_label(field: &str, l: Lang) -> &'static str {
    let (th, en) = match field {
        "track" => ("ประเภทการแจ้ง", "Kind of report"),
        "channel" => ("ช่องทางที่รับเรื่อง", "Received through"),
        "received_on" => ("วันที่รับเรื่อง", "Received on"),
        "category" => ("ประเภทเรื่อง", "Category"),
        "subject" => ("หัวข้อเรื่อง", "Subject"),
        "description" => ("รายละเอียดของเรื่อง", "What happened"),
        "event_time" => ("วันและเวลาที่เกิดเหตุ", "When it happened"),
        "event_place" => ("สถานที่เกิดเหตุ", "Where it happened"),
        "person1_name" => ("บุคคลที่เกี่ยวข้อง", "Persons concerned"),
        "concerns_unit" => ("หน่วยงานที่เรื่องเกี่ยวข้อง", "Unit concerned"),
        "relationship" => ("ท่านทราบเรื่องนี้ในฐานะ", "How you know about this"),
        "reporter_name" => ("ชื่อ-สกุล", "Full name"),
        "reporter_national_id" => ("เลขประจำตัวประชาชน", "National ID number"),
        "reporter_phone" => ("หมายเลขโทรศัพท์", "Phone"),
        "reporter_email" => ("อีเมล", "E-mail"),
        "reporter_address" => ("ที่อยู่", "Postal address"),
        "file" => ("ไฟล์หลักฐาน", "Evidence files"),
        "username" => ("ชื่อผู้ใช้", "Username"),
        "display_name" => ("ชื่อ-สกุล", "Full name"),
        "email" => ("อีเมล", "E-mail"),
        "role" => ("บทบาท", "Roles"),
        _ => ("ข้อมูล", "Field"),
    };
    l.t(th, en)
}

impl FormErrors {
    pub fn new(l: Lang) -> Self {
        Self { l, entries: Vec::new() }
    }

    pub fn from_fields(errors: &[FieldError], l: Lang) -> Self {
        let mut out = Self::new(l);
        out.add_fields(errors);
        out
    }

    pub fn add_fields(&mut self, errors: &[FieldError]) {
        let l = self.l;
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
            self.insert(field, message);
        }
    }

    pub fn insert(&mut self, field: &'static str, message: String) {
        if self.get(field).is_none() {
            self.entries.push((field, message));
        }
    }

    pub fn get(&self, field: &str) -> Option<&String> {
        self.entries.iter().find(|(f, _)| *f == field).map(|(_, m)| m)
    }

    pub fn any(&self) -> bool {
        !self.entries.is_empty()
    }

    /// (field id, field label, message) for the error summary.
    pub fn summary(&self) -> Vec<(&'static str, &'static str, &str)> {
        self.entries.iter().map(|(f, m)| (*f, field_label(f, self.l), m.as_str())).collect()
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
    pub evidence: super::common::EvidenceField,
    /// A problem of the whole form (it expired), shown above it.
    pub problem: Option<&'static str>,
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
        evidence: super::common::EvidenceField::new(&state.evidence.limits),
        problem: None,
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
    let page = form_page(&state, l, token, track, form, FormErrors::new(l));
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
    /// Names of the evidence files filed with it.
    pub files: Vec<String>,
}

/// What the complaint form's text said, decided before its files are read.
struct Prepared {
    form: ComplaintForm,
    parsed: Result<Submission, Vec<FieldError>>,
    /// The unit the complaint routes to (the files are sealed to it).
    unit: String,
    /// The reporter asked to keep the files' hidden data.
    keep_metadata: bool,
}

fn valid_nonce(nonce: &str) -> bool {
    nonce.len() == 32 && nonce.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Files a complaint from the form: sent as `multipart/form-data` (with evidence files) by the page,
/// or as `application/x-www-form-urlencoded`.
pub async fn submit_complaint(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Path(track): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, PageError> {
    let track = track_from_path(&track, l)?;
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        // The route admits evidence-sized bodies; a plain form gets the ordinary limit.
        let limit = state.settings.server.max_body_bytes;
        let body = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(|_| PageError(AppError::PayloadTooLarge, l))?;
        let form: ComplaintForm = match csrf_form(Ok(body.clone()), &csrf, l) {
            Ok(form) => form,
            Err(PageError(AppError::Csrf, _)) => {
                let fields: Vec<(String, String)> =
                    crate::http::form::parse_form(&body).map_err(|e| PageError(e, l))?;
                return expired_form(&state, l, csrf, track, fields);
            }
            Err(e) => return Err(e),
        };
        if !valid_nonce(&form.submission_nonce) {
            return Err(PageError(MALFORMED_FORM, l));
        }
        let parsed = Submission::parse(&form.to_input(track), &state.settings.unit_codes());
        return finish_complaint(
            &state,
            l,
            csrf,
            track,
            Prepared { form, parsed, unit: String::new(), keep_metadata: false },
            Vec::new(),
            0,
        )
        .await;
    }
    let multipart = axum::extract::Multipart::from_request(request, &state)
        .await
        .map_err(|_| PageError(MALFORMED_FORM, l))?;
    let (st, token) = (state.clone(), csrf.clone());
    let mut decide: crate::http::upload::Decide<Prepared> = Box::new(move |fields| {
        let (state, csrf) = (st.clone(), token.clone());
        Box::pin(async move { prepare(&state, &csrf, track, fields) })
    });
    let upload = crate::http::upload::read(
        multipart,
        &state.evidence,
        state.settings.server.max_body_bytes,
        &mut decide,
    )
    .await;
    let prepared = match upload.context {
        Some(p) => p,
        // No file part at all: decide from the text alone.
        None if upload.error.is_none() => match prepare(&state, &csrf, track, upload.fields.clone()) {
            Ok(
                crate::http::upload::Target::Seal { context, .. }
                | crate::http::upload::Target::Discard(context),
            ) => context,
            Err(e) => return Err(PageError(e, l)),
        },
        None if matches!(upload.error, Some(AppError::Csrf)) => {
            return expired_form(&state, l, csrf, track, upload.fields);
        }
        None => return Err(PageError(upload.error.unwrap_or(MALFORMED_FORM), l)),
    };
    if let Some(e) = upload.error {
        // A refused file: the same form, what was typed kept, the message at the file field.
        let mut page =
            form_page(&state, l, authenticity(&csrf, l)?, track, prepared.form, FormErrors::new(l));
        page.evidence.error = Some(if l.is_en() { e.message_en() } else { e.message_th() });
        page.evidence.reselect = true;
        page.evidence.keep_metadata = prepared.keep_metadata;
        let status = e.status();
        return Ok((csrf, render_with_status(&page, status)).into_response());
    }
    finish_complaint(&state, l, csrf, track, prepared, upload.files, upload.discarded).await
}

/// The form's CSRF token no longer matches (it sat open too long, or the browser dropped its
/// cookie): the same form comes back with what was typed, a fresh token and a plain message.
fn expired_form(
    state: &AppState,
    l: Lang,
    csrf: CsrfToken,
    track: Track,
    fields: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let keep_metadata = fields.iter().any(|(k, v)| k == "keep_metadata" && v == "1");
    let pairs: Vec<(String, String)> =
        fields.into_iter().filter(|(k, _)| k != "authenticity_token" && k != "keep_metadata").collect();
    let encoded = serde_urlencoded::to_string(&pairs).map_err(|_| PageError(MALFORMED_FORM, l))?;
    let mut form: ComplaintForm =
        crate::http::form::parse_form(encoded.as_bytes()).map_err(|e| PageError(e, l))?;
    if !valid_nonce(&form.submission_nonce) {
        form.submission_nonce = new_nonce();
    }
    let mut page = form_page(state, l, authenticity(&csrf, l)?, track, form, FormErrors::new(l));
    page.problem = Some(l.t(
        "แบบฟอร์มหมดอายุ เรื่องยังไม่ถูกส่ง ข้อความที่กรอกไว้ยังอยู่ครบ กรุณาตรวจสอบ เลือกไฟล์อีกครั้ง (ถ้ามี) แล้วกดส่งเรื่องอีกครั้ง",
        "This form had expired, so nothing was filed. What you typed is kept: check it, choose any files again and submit once more.",
    ));
    page.evidence.reselect = true;
    page.evidence.keep_metadata = keep_metadata;
    Ok((csrf, render_with_status(&page, StatusCode::FORBIDDEN)).into_response())
}

/// Reads the text fields of the complaint form: the CSRF token, the one-time value, the complaint;
/// routes it, so its files can be sealed to the unit that will handle it.
fn prepare(
    state: &AppState,
    csrf: &CsrfToken,
    track: Track,
    fields: Vec<(String, String)>,
) -> Result<crate::http::upload::Target<Prepared>, AppError> {
    let token = fields.iter().find(|(k, _)| k == "authenticity_token").map(|(_, v)| v.as_str()).unwrap_or("");
    csrf.verify(token).map_err(|_| AppError::Csrf)?;
    let keep_metadata = fields.iter().any(|(k, v)| k == "keep_metadata" && v == "1");
    let pairs: Vec<(String, String)> = fields.into_iter().filter(|(k, _)| k != "keep_metadata").collect();
    let encoded = serde_urlencoded::to_string(&pairs).map_err(|_| MALFORMED_FORM)?;
    let form: ComplaintForm = crate::http::form::parse_form(encoded.as_bytes())?;
    if !valid_nonce(&form.submission_nonce) {
        return Err(MALFORMED_FORM);
    }
    let parsed = Submission::parse(&form.to_input(track), &state.settings.unit_codes());
    let Ok(submission) = &parsed else {
        return Ok(crate::http::upload::Target::Discard(Prepared {
            form,
            parsed,
            unit: String::new(),
            keep_metadata,
        }));
    };
    let unit = state.routing.route(submission.category, submission.concerns_unit.as_deref()).unit;
    let unit_key =
        state.keyring.unit(&unit).ok_or_else(|| AppError::Internal("the routed unit has no key".into()))?;
    Ok(crate::http::upload::Target::Seal {
        recipients: vec![unit_key.clone(), state.keyring.escrow.clone()],
        keep_metadata,
        slots: state.evidence.limits.max_files_per_case,
        context: Prepared { form, parsed, unit, keep_metadata },
    })
}

async fn finish_complaint(
    state: &AppState,
    l: Lang,
    csrf: CsrfToken,
    track: Track,
    prepared: Prepared,
    files: Vec<crate::evidence::Received>,
    discarded: usize,
) -> Result<Response, PageError> {
    let Prepared { form, parsed, unit, keep_metadata } = prepared;
    let submission = match parsed {
        Ok(s) => s,
        Err(errors) => {
            let errors = FormErrors::from_fields(&errors, l);
            let mut page = form_page(state, l, authenticity(&csrf, l)?, track, form, errors);
            page.evidence.reselect = discarded > 0;
            page.evidence.keep_metadata = keep_metadata;
            return Ok((csrf, render_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)).into_response());
        }
    };
    let filing = intake::Filing {
        channel: Channel::Online,
        form_nonce: Some(&form.submission_nonce),
        received_on: None,
        actor: "reporter",
        files: &files,
        files_unit: &unit,
    };
    let receipt = match intake::file(state, &submission, &filing).await {
        Ok(r) => r,
        Err(e) => {
            crate::evidence::record::discard(&state.evidence.vault, &files).await;
            return Err(PageError(e.into(), l));
        }
    };
    // No language switch on the receipt: leaving this page would lose the only view of the token.
    let chrome = Chrome::new(l, &state.settings.organisation, "");
    let page = ReceiptPage {
        reference: receipt.reference.to_string(),
        token: receipt.token.display(),
        received_on: chrome.date(&receipt.received_on),
        acknowledge_due: chrome.date(&receipt.acknowledge_due),
        result_due: chrome.date(&receipt.result_due),
        track_label: l.t(track.label_th(), track.label_en()),
        files: files.iter().map(|f| f.meta.name.as_str().to_owned()).collect(),
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
    /// What the reporter typed, kept when the form comes back (a typo is then easy to fix).
    pub token: String,
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
        token: String::new(),
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
    /// The message form's one-time value: a reload or a second click does not send it twice.
    #[serde(default)]
    submission_nonce: String,
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
    pub message_nonce: String,
    pub complaint: Option<FiledComplaint>,
    pub disclosures: Vec<DisclosureLine>,
    pub files: Vec<FileLine>,
    pub evidence: super::common::EvidenceField,
    /// Room for more files (the case is open and below its limit).
    pub can_attach: bool,
}

/// A file the reporter sent, as their view lists it.
pub struct FileLine {
    pub name: String,
    pub size: String,
    pub added_on: String,
    pub cleaned: bool,
}

/// A size as people read it: bytes, KB or MB.
pub fn human_size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.0} KB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
    }
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

/// Re-renders the token form with an error: the same page, whatever the cause, the typed code kept.
fn token_problem(
    state: &AppState,
    l: Lang,
    csrf: CsrfToken,
    error: AppError,
    typed: &str,
) -> Result<Response, PageError> {
    let message = if l.is_en() { error.message_en() } else { error.message_th() };
    token_form(state, l, csrf, error.status(), message, typed)
}

fn token_form(
    state: &AppState,
    l: Lang,
    csrf: CsrfToken,
    status: StatusCode,
    message: String,
    typed: &str,
) -> Result<Response, PageError> {
    let page = FollowUpFormPage {
        chrome: Chrome::new(l, &state.settings.organisation, "/follow-up"),
        csrf: authenticity(&csrf, l)?,
        error: Some(message),
        token: typed.chars().take(80).collect(),
    };
    Ok((csrf, render_with_status(&page, status)).into_response())
}

/// The follow-up forms' answer to an expired CSRF token (the page sat open too long, or the
/// browser dropped its cookie): nothing is done, and the same form comes back with a fresh token.
fn expired(th: &str, en: &str) -> AppError {
    AppError::Upload { status: StatusCode::FORBIDDEN, code: "csrf_failed", en: en.into(), th: th.into() }
}

/// What the message box shows: a confirmation, or an error with the reporter's draft.
#[derive(Default)]
struct MessageBox {
    notice: Option<&'static str>,
    /// The form's one-time value to keep (the form came back with an error); a new one when empty.
    nonce: String,
    error: Option<String>,
    draft: String,
    file_error: Option<String>,
    /// The file form's "keep hidden data" choice, kept when it comes back.
    keep_metadata: bool,
}

/// A multipart form's text field, empty when absent.
fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
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
        message_nonce: if valid_nonce(&message_box.nonce) { message_box.nonce } else { new_nonce() },
        complaint: view.complaint.as_ref().map(|c| filed(c, l)),
        files: view
            .attachments
            .iter()
            .map(|a| FileLine {
                name: a.name.clone(),
                size: human_size(a.size),
                added_on: chrome.date(&a.added_on),
                cleaned: a.metadata_removed,
            })
            .collect(),
        evidence: super::common::EvidenceField {
            error: message_box.file_error,
            keep_metadata: message_box.keep_metadata,
            ..super::common::EvidenceField::new(&state.evidence.limits)
        },
        can_attach: view.is_open() && view.attachment_count < state.evidence.limits.max_files_per_case,
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
    let bytes = crate::http::form::body_bytes(body).map_err(|e| PageError(e, l))?;
    let form: FollowUpForm = crate::http::form::parse_form(&bytes).map_err(|e| PageError(e, l))?;
    if csrf.verify(&form.authenticity_token).is_err() {
        let message = l.t(
            "แบบฟอร์มหมดอายุ ระบบยังไม่ได้ค้นหาเรื่อง กรุณากด \u{201c}ดูสถานะเรื่อง\u{201d} อีกครั้ง",
            "This form had expired, so nothing was looked up. Press \u{201c}Show the case\u{201d} again.",
        );
        return token_form(&state, l, csrf, StatusCode::FORBIDDEN, message.to_owned(), &form.token);
    }
    let (token, view) = match case_for_token(&state, l, &form.token).await? {
        Ok(found) => found,
        Err(problem) => return token_problem(&state, l, csrf, problem, &form.token),
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
    let bytes = crate::http::form::body_bytes(body).map_err(|e| PageError(e, l))?;
    let form: MessageForm = crate::http::form::parse_form(&bytes).map_err(|e| PageError(e, l))?;
    let fresh = csrf.verify(&form.authenticity_token).is_ok();
    let (token, view) = match case_for_token(&state, l, &form.token).await? {
        Ok(found) => found,
        Err(problem) => return token_problem(&state, l, csrf, problem, &form.token),
    };
    if !fresh {
        // Nothing is saved; the reporter's words come back in the box with the same one-time value.
        let message = l.t(
            "แบบฟอร์มหมดอายุ ข้อความยังไม่ถูกส่ง ข้อความที่พิมพ์ไว้ยังอยู่ครบ กรุณากดส่งอีกครั้ง",
            "This form had expired, so the message was not sent. What you typed is kept: press send again.",
        );
        let message_box = MessageBox {
            error: Some(message.to_owned()),
            draft: form.message,
            nonce: form.submission_nonce,
            ..MessageBox::default()
        };
        let page = case_page(&state, l, authenticity(&csrf, l)?, &token, view, message_box);
        return Ok((csrf, render_with_status(&page, StatusCode::FORBIDDEN)).into_response());
    }
    let text = match submission::parse_message(&form.message) {
        Ok(t) if valid_nonce(&form.submission_nonce) => t,
        parsed => {
            let message = match parsed {
                Err(problem) if l.is_en() => problem.message_en(),
                Err(problem) => problem.message_th(),
                Ok(_) => l
                    .t(
                        "แบบฟอร์มนี้ไม่สมบูรณ์หรือเก่าเกินไป ข้อความยังไม่ถูกส่ง กรุณากดส่งอีกครั้ง",
                        "This form was incomplete or out of date; the message was not sent. Please send it again.",
                    )
                    .to_owned(),
            };
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
    let notice = match intake::add_message(&state, &token, &view, text, Some(&form.submission_nonce)).await {
        Ok(()) => l.t("บันทึกข้อมูลเพิ่มเติมของท่านแล้ว", "Your additional information has been saved."),
        Err(intake::IntakeError::AlreadySubmitted) => l.t(
            "ข้อความนี้ส่งไปแล้ว ระบบจึงไม่บันทึกซ้ำ (เช่น เมื่อโหลดหน้าใหม่หรือกดส่งสองครั้ง)",
            "This message was already sent, so it was not saved again (after a reload or a second click).",
        ),
        Err(e) => return Err(PageError(e.into(), l)),
    };
    let view = intake::find(&state, &token)
        .await
        .map_err(|e| PageError(e.into(), l))?
        .ok_or(PageError(AppError::Internal("case vanished after a message was added".into()), l))?;
    let page = case_page(
        &state,
        l,
        authenticity(&csrf, l)?,
        &token,
        view,
        MessageBox { notice: Some(notice), ..MessageBox::default() },
    );
    Ok((csrf, render(&page)).into_response())
}

/// What the follow-up upload's text fields found before its files.
enum FollowUp {
    /// No case for these fields (a bad form or token): shown like a wrong token.
    NoCase(AppError),
    /// The case, but it takes no more files.
    Refused(SubmissionToken, Box<ReporterView>, AppError),
    Ready(SubmissionToken, Box<ReporterView>),
}

async fn follow_up_target(
    state: &AppState,
    csrf: &CsrfToken,
    fields: &[(String, String)],
) -> Result<crate::http::upload::Target<FollowUp>, AppError> {
    use crate::http::upload::Target;
    let get = |name: &str| field(fields, name);
    csrf.verify(get("authenticity_token")).map_err(|_| AppError::Csrf)?;
    let token = match SubmissionToken::parse(get("token")) {
        Ok(t) => t,
        Err(e) => return Ok(Target::Discard(FollowUp::NoCase(AppError::Token(e)))),
    };
    let Some(view) = intake::find(state, &token).await.map_err(AppError::from)? else {
        return Ok(Target::Discard(FollowUp::NoCase(AppError::UnknownToken)));
    };
    let limits = &state.evidence.limits;
    if !view.is_open() {
        return Ok(Target::Discard(FollowUp::Refused(token, Box::new(view), AppError::CaseClosed)));
    }
    if view.attachment_count >= limits.max_files_per_case {
        let e = crate::http::upload::too_many(&state.evidence);
        return Ok(Target::Discard(FollowUp::Refused(token, Box::new(view), e)));
    }
    let unit =
        state.keyring.unit(view.unit_code()).ok_or_else(|| AppError::Internal("unit without key".into()))?;
    Ok(Target::Seal {
        recipients: vec![unit.clone(), state.keyring.escrow.clone()],
        keep_metadata: get("keep_metadata") == "1",
        slots: limits.max_files_per_case - view.attachment_count,
        context: FollowUp::Ready(token, Box::new(view)),
    })
}

/// The reporter adds evidence files on the follow-up page, with the token.
pub async fn add_files(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    let multipart = multipart.map_err(|_| PageError(MALFORMED_FORM, l))?;
    let (st, token) = (state.clone(), csrf.clone());
    let mut decide: crate::http::upload::Decide<FollowUp> = Box::new(move |fields| {
        let (state, csrf) = (st.clone(), token.clone());
        Box::pin(async move { follow_up_target(&state, &csrf, &fields).await })
    });
    let upload = crate::http::upload::read(multipart, &state.evidence, 4096, &mut decide).await;
    // No file part at all: the text fields decide alone.
    let (context, error) = match (upload.context, upload.error) {
        (None, None) => match follow_up_target(&state, &csrf, &upload.fields).await {
            Ok(
                crate::http::upload::Target::Seal { context, .. }
                | crate::http::upload::Target::Discard(context),
            ) => (Some(context), None),
            Err(e) => (None, Some(e)),
        },
        other => other,
    };
    let context = match (context, error) {
        (Some(c), error) => (c, error),
        (None, None) => return Err(PageError(MALFORMED_FORM, l)),
        (None, Some(AppError::Csrf)) => {
            // Nothing was kept; the reporter's case comes back with the file form and a fresh token.
            let typed = field(&upload.fields, "token");
            let (token, view) = match case_for_token(&state, l, typed).await? {
                Ok(found) => found,
                Err(problem) => return token_problem(&state, l, csrf, problem, typed),
            };
            let problem = expired(
                "แบบฟอร์มหมดอายุ ไฟล์ยังไม่ถูกแนบ กรุณาเลือกไฟล์แล้วกดแนบไฟล์อีกครั้ง",
                "This form had expired, so no file was attached. Choose the files and attach them again.",
            );
            (FollowUp::Refused(token, Box::new(view), problem), None)
        }
        (None, Some(e)) => return Err(PageError(e, l)),
    };
    let keep_metadata = field(&upload.fields, "keep_metadata") == "1";
    let again = |token: &SubmissionToken, view: ReporterView, e: &AppError| -> Result<Response, PageError> {
        let message = if l.is_en() { e.message_en() } else { e.message_th() };
        let page = case_page(
            &state,
            l,
            authenticity(&csrf, l)?,
            token,
            view,
            MessageBox { file_error: Some(message), keep_metadata, ..MessageBox::default() },
        );
        Ok((csrf.clone(), render_with_status(&page, e.status())).into_response())
    };
    let (token, view) = match context {
        (FollowUp::NoCase(problem), _) => {
            return token_problem(&state, l, csrf, problem, field(&upload.fields, "token"));
        }
        (FollowUp::Refused(token, view, problem), _) => return again(&token, *view, &problem),
        (FollowUp::Ready(token, view), Some(problem)) => return again(&token, *view, &problem),
        (FollowUp::Ready(token, view), None) => (token, *view),
    };
    if upload.files.is_empty() {
        let none = AppError::Upload {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "no_file",
            en: "Choose at least one file.".into(),
            th: "กรุณาเลือกไฟล์อย่างน้อยหนึ่งไฟล์".into(),
        };
        return again(&token, view, &none);
    }
    if let Err(e) = intake::attach(&state, &token, &view, upload.files).await {
        return again(&token, view, &AppError::from(e));
    }
    let view = intake::find(&state, &token)
        .await
        .map_err(|e| PageError(e.into(), l))?
        .ok_or(PageError(AppError::Internal("case vanished after files were added".into()), l))?;
    let notice = Some(l.t("แนบไฟล์แล้ว ไฟล์ถูกเข้ารหัสก่อนจัดเก็บ", "Your files were attached and sealed."));
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
