//! The officers' pages: login, the case list of their units, the case page with replies and triage.
use super::common::{internal, require_role, token_of};
use super::render::{Chrome, render, render_with_status};
use super::staff_case::BAD_ACTION;
use crate::domain::complaint::{Category, Channel, Status, Track};
use crate::domain::submission::Submission;
use crate::http::error::{AppError, PageError};
use crate::http::form::{csrf_form, csrf_forms, csrf_pairs};
use crate::http::lang::Lang;
use crate::http::staff_session::{Staff, cookie_name};
use crate::staff::{auth, cases as work};
use crate::state::AppState;
use crate::storage::cases::CaseFilter;
use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;
use serde::Deserialize;
use time::Date;
use zeroize::Zeroizing;

#[derive(Template)]
#[template(path = "staff/login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub error: Option<&'static str>,
    pub username: String,
}

pub async fn login_form(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
) -> Result<Response, PageError> {
    let page = LoginPage {
        chrome: Chrome::new(l, &state.settings.organisation, "/staff/login"),
        csrf: token_of(&csrf, l)?,
        error: None,
        username: String::new(),
    };
    Ok((csrf, render(&page)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: Zeroizing<String>,
    #[serde(default)]
    code: String,
}

fn session_cookie(state: &AppState, value: Option<&str>) -> Option<HeaderValue> {
    let name = cookie_name(state.settings.server.secure_cookies);
    let secure = if state.settings.server.secure_cookies { "; Secure" } else { "" };
    let cookie = match value {
        // A session cookie (no Max-Age): it also ends when the browser closes.
        Some(v) => format!("{name}={v}; Path=/; HttpOnly; SameSite=Strict{secure}"),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&cookie).ok()
}

pub async fn login(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    client: ClientIp,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let bytes = crate::http::form::body_bytes(body).map_err(|e| PageError(e, l))?;
    let form: LoginForm = crate::http::form::parse_form(&bytes).map_err(|e| PageError(e, l))?;
    if csrf.verify(&form.authenticity_token).is_err() {
        // The sign-in page sat open too long (or the browser dropped its cookie): the same form, the
        // user name kept, the password and code to type again.
        let message = l.t(
            "แบบฟอร์มหมดอายุ ยังไม่ได้เข้าสู่ระบบ กรุณากรอกรหัสผ่านและรหัสยืนยันตัวตน (OTP) แล้วกดเข้าสู่ระบบอีกครั้ง",
            "This form had expired, so you were not signed in. Type the password and one-time code and sign in again.",
        );
        return login_again(&state, l, csrf, StatusCode::FORBIDDEN, message, &form.username);
    }
    if let Err(retry_after_secs) = state.limiters.check_login_account(client.0, &form.username) {
        state.metrics.rate_limited("login_account");
        return Err(PageError(AppError::RateLimited { retry_after_secs }, l));
    }
    match auth::login(&state, &form.username, form.password, &form.code).await {
        Ok((cookie, _user)) => {
            let mut response = Redirect::to("/staff").into_response();
            if let Some(v) = session_cookie(&state, Some(&cookie.value())) {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(response)
        }
        Err(auth::LoginFailure::Invalid | auth::LoginFailure::Replayed) => {
            let message = l.t(
                "ชื่อผู้ใช้ รหัสผ่าน หรือรหัสยืนยันตัวตน (OTP) ไม่ถูกต้อง",
                "The username, password or one-time code is not correct.",
            );
            login_again(&state, l, csrf, StatusCode::UNAUTHORIZED, message, &form.username)
        }
        Err(auth::LoginFailure::Failed(e)) => Err(PageError(AppError::internal(&e), l)),
    }
}

/// The sign-in form again with a problem: the user name kept, the password and code to type again.
fn login_again(
    state: &AppState,
    l: Lang,
    csrf: CsrfToken,
    status: StatusCode,
    message: &'static str,
    username: &str,
) -> Result<Response, PageError> {
    let page = LoginPage {
        chrome: Chrome::new(l, &state.settings.organisation, "/staff/login"),
        csrf: token_of(&csrf, l)?,
        error: Some(message),
        username: username.chars().take(64).collect(),
    };
    Ok((csrf, render_with_status(&page, status)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlainForm {
    #[serde(default)]
    authenticity_token: String,
}

/// Ends the session and tells the browser to forget everything of this site.
pub async fn logout(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let _: PlainForm = csrf_form(body, &csrf, l)?;
    auth::logout(&state, &user).await.map_err(internal(l))?;
    let mut response = Redirect::to("/staff/login").into_response();
    let headers = response.headers_mut();
    headers.insert("clear-site-data", HeaderValue::from_static("\"cache\", \"cookies\", \"storage\""));
    if let Some(v) = session_cookie(&state, None) {
        headers.insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

pub struct Row {
    pub reference: String,
    pub received_on: String,
    pub track: &'static str,
    pub category: &'static str,
    pub status: &'static str,
    pub due: String,
    pub overdue: bool,
    pub unit: String,
}

pub struct Choice {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "staff/cases.html")]
pub struct CasesPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub nav: super::common::Nav,
    pub roles: Vec<&'static str>,
    pub units: Vec<String>,
    pub rows: Vec<Row>,
    pub statuses: Vec<Choice>,
    pub tracks: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub fiscal_year: String,
    pub overdue_only: bool,
    pub notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    track: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    fiscal_year: String,
    #[serde(default)]
    overdue: String,
    /// What was just done (after a redirect).
    #[serde(default)]
    done: String,
}

const BAD_FILTER: AppError = AppError::BadRequest {
    code: "invalid_filter",
    en: "A filter value is not valid.",
    th: "ค่าที่ใช้กรองรายการไม่ถูกต้อง",
};

fn parse_filter(q: &ListQuery, today: Date) -> Result<CaseFilter, AppError> {
    let pick = |v: &str, valid: bool| -> Result<Option<String>, AppError> {
        match (v.is_empty(), valid) {
            (true, _) => Ok(None),
            (false, true) => Ok(Some(v.to_owned())),
            (false, false) => Err(BAD_FILTER),
        }
    };
    Ok(CaseFilter {
        status: pick(&q.status, Status::from_code(&q.status).is_some())?,
        track: pick(&q.track, Track::from_code(&q.track).is_some())?,
        category: pick(&q.category, Category::from_code(&q.category).is_some())?,
        fiscal_year: match q.fiscal_year.trim() {
            "" => None,
            fy => Some(
                crate::domain::fiscal_year::FiscalYear::from_be(fy.parse().map_err(|_| BAD_FILTER)?)
                    .map_err(|_| BAD_FILTER)?
                    .be_year()
                    .into(),
            ),
        },
        overdue_on: (q.overdue == "1").then(|| today.to_string()),
    })
}

pub(super) fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s, &time::format_description::well_known::Iso8601::DATE).ok()
}

/// The deadline that matters now, and whether it has passed.
pub(super) fn current_deadline(
    status: Status,
    acknowledge_due: &str,
    result_due: &str,
    today: Date,
) -> (Option<Date>, bool) {
    let due = match status {
        Status::New => parse_date(acknowledge_due),
        Status::Acknowledged | Status::InProgress => parse_date(result_due),
        Status::Concluded | Status::NotAccepted => None,
    };
    (due, due.is_some_and(|d| d < today))
}

pub async fn case_list(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let Query(q) = query.map_err(|_| PageError(BAD_FILTER, l))?;
    let today = state.clock.today();
    let filter = parse_filter(&q, today).map_err(|e| PageError(e, l))?;
    let found = work::list(&state, &user, &filter).await.map_err(internal(l))?;
    let units = work::open_units(&state, &user).await.map_err(internal(l))?;
    let detail = format!(
        "status={} track={} category={} fiscal_year={} overdue={} shown={}",
        q.status,
        q.track,
        q.category,
        filter.fiscal_year.map(|y| y.to_string()).unwrap_or_default(),
        filter.overdue_on.is_some(),
        found.len()
    );
    crate::staff::trail::record_read(&state, &user, "case.list", None, &detail).await.map_err(internal(l))?;
    let chrome = Chrome::new(l, &state.settings.organisation, "/staff");
    let unit_name = |code: &str| {
        state
            .settings
            .unit(code)
            .map(|u| l.t(&u.name_th, &u.name_en).to_owned())
            .unwrap_or_else(|| code.to_owned())
    };
    let mut rows = Vec::new();
    for c in found {
        let status = Status::from_code(&c.status).unwrap_or(Status::New);
        let (due, overdue) = current_deadline(status, &c.acknowledge_due, &c.result_due, today);
        rows.push(Row {
            received_on: parse_date(&c.received_on).map(|d| chrome.date(&d)).unwrap_or_default(),
            track: Track::from_code(&c.track).map(|t| l.t(t.label_th(), t.label_en())).unwrap_or(""),
            category: Category::from_code(&c.category).map(|t| l.t(t.label_th(), t.label_en())).unwrap_or(""),
            status: l.t(status.label_th(), status.label_en()),
            due: due.map(|d| chrome.date(&d)).unwrap_or_else(|| "—".into()),
            overdue,
            unit: unit_name(&c.unit_code),
            reference: c.reference,
        });
    }
    let choices = |all: Vec<(&'static str, &'static str, &'static str)>, current: &str| {
        all.into_iter()
            .map(|(code, th, en)| Choice {
                code: code.into(),
                label: l.t(th, en).into(),
                selected: code == current,
            })
            .collect::<Vec<_>>()
    };
    let page = CasesPage {
        csrf: token_of(&csrf, l)?,
        nav: super::common::Nav::of(&user),
        roles: user.roles.iter().map(|r| l.t(r.label_th(), r.label_en())).collect(),
        units: units.iter().map(|(u, _)| unit_name(u)).collect(),
        rows,
        statuses: choices(
            Status::ALL.iter().map(|s| (s.code(), s.label_th(), s.label_en())).collect(),
            &q.status,
        ),
        tracks: choices(
            Track::ALL.iter().map(|s| (s.code(), s.label_th(), s.label_en())).collect(),
            &q.track,
        ),
        // Both tracks have an "other" category: each label names its track so the two differ.
        categories: Category::ALL
            .iter()
            .map(|c| {
                let track = match c.track() {
                    Track::Corruption => l.t("ทุจริต", "corruption"),
                    _ => l.t("ทั่วไป", "general"),
                };
                Choice {
                    code: c.code().into(),
                    label: format!("{} ({track})", l.t(c.label_th(), c.label_en())),
                    selected: c.code() == q.category,
                }
            })
            .collect(),
        fiscal_year: q.fiscal_year.chars().filter(char::is_ascii_digit).take(4).collect(),
        overdue_only: q.overdue == "1",
        notice: (q.done == "reassigned").then(|| {
            l.t(
                "ส่งเรื่องให้หน่วยงานอื่นแล้ว หน่วยงานเดิมจะไม่สามารถเปิดอ่านเรื่องนี้ได้อีก",
                "The case was handed to another unit; your unit can no longer open it.",
            )
        }),
        chrome,
    };
    Ok((csrf, render(&page)).into_response())
}

pub struct OutboxLine {
    pub created_on: String,
    pub recipient: String,
    pub subject: String,
    pub attempts: i64,
    pub last_error: String,
    pub given_up: bool,
}

#[derive(Template)]
#[template(path = "staff/outbox.html")]
pub struct OutboxPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub nav: super::common::Nav,
    pub configured: bool,
    pub queued: i64,
    pub lines: Vec<OutboxLine>,
}

/// Administrators see mail that keeps failing (and whether SMTP is configured at all).
pub async fn outbox(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
) -> Result<Response, PageError> {
    require_role(&user, crate::domain::staff::Role::Administrator, l)?;
    crate::staff::trail::record_read(&state, &user, "outbox.read", None, "").await.map_err(internal(l))?;
    let mut conn = state.store.pool().acquire().await.map_err(|e| PageError(AppError::internal(&e), l))?;
    let storage = |e: crate::storage::StorageError| PageError(AppError::internal(&e), l);
    let troubled = crate::storage::outbox::troubled(&mut conn).await.map_err(storage)?;
    let queued = crate::storage::outbox::count(&mut conn).await.map_err(storage)?;
    let chrome = Chrome::new(l, &state.settings.organisation, "/staff");
    let max = i64::from(state.settings.notify.max_attempts);
    let page = OutboxPage {
        csrf: token_of(&csrf, l)?,
        nav: super::common::Nav::of(&user),
        configured: state.mailer.configured(),
        queued,
        lines: troubled
            .into_iter()
            .map(|m| OutboxLine {
                created_on: parse_date(&m.created_on).map(|d| chrome.date(&d)).unwrap_or_default(),
                recipient: crate::notify::mailer::mask(&m.recipient),
                subject: m.subject,
                attempts: m.attempts,
                last_error: m.last_error.unwrap_or_default(),
                given_up: m.attempts >= max,
            })
            .collect(),
        chrome,
    };
    Ok((csrf, render(&page)).into_response())
}

#[derive(Template)]
#[template(path = "staff/new_case.html")]
pub struct NewCasePage {
    pub chrome: Chrome,
    pub csrf: String,
    pub nav: super::common::Nav,
    pub tracks: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub channels: Vec<Choice>,
    pub relationships: Vec<Choice>,
    pub units: Vec<Choice>,
    pub received_on: String,
    pub form: super::public::ComplaintForm,
    pub errors: super::public::FormErrors,
}

/// The staff-only fields of the new-case form; the rest is the public complaint form.
#[derive(Default)]
struct StaffFiling {
    track: String,
    channel: String,
    received_on: String,
}

fn new_case_page(
    state: &AppState,
    l: Lang,
    csrf: String,
    user: &crate::staff::auth::StaffUser,
    filing: &StaffFiling,
    form: super::public::ComplaintForm,
    errors: super::public::FormErrors,
) -> NewCasePage {
    let pick = |code: &'static str, th: &'static str, en: &'static str, current: &str| Choice {
        code: code.into(),
        label: l.t(th, en).into(),
        selected: code == current,
    };
    NewCasePage {
        chrome: Chrome::new(l, &state.settings.organisation, "/staff"),
        csrf,
        nav: super::common::Nav::of(user),
        tracks: Track::ALL
            .iter()
            .map(|t| pick(t.code(), t.label_th(), t.label_en(), &filing.track))
            .collect(),
        categories: Category::ALL
            .iter()
            .map(|c| {
                let track = l.t(c.track().label_th(), c.track().label_en());
                Choice {
                    code: c.code().into(),
                    label: format!("{} — {track}", l.t(c.label_th(), c.label_en())),
                    selected: c.code() == form.category,
                }
            })
            .collect(),
        channels: Channel::ALL
            .iter()
            .filter(|c| **c != Channel::Online)
            .map(|c| pick(c.code(), c.label_th(), c.label_en(), &filing.channel))
            .collect(),
        relationships: crate::domain::complaint::Relationship::ALL
            .iter()
            .map(|r| pick(r.code(), r.label_th(), r.label_en(), &form.relationship))
            .collect(),
        units: state
            .settings
            .units
            .iter()
            .map(|u| Choice {
                code: u.code.clone(),
                label: l.t(&u.name_th, &u.name_en).to_owned(),
                selected: u.code == form.concerns_unit,
            })
            .collect(),
        received_on: filing.received_on.clone(),
        form,
        errors,
    }
}

pub async fn new_case_form(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
) -> Result<Response, PageError> {
    require_role(&user, crate::domain::staff::Role::IntakeOfficer, l)?;
    let filing = StaffFiling { received_on: state.clock.today().to_string(), ..StaffFiling::default() };
    let page = new_case_page(
        &state,
        l,
        token_of(&csrf, l)?,
        &user,
        &filing,
        super::public::ComplaintForm::default(),
        super::public::FormErrors::new(l),
    );
    Ok((csrf, render(&page)).into_response())
}

#[derive(Template)]
#[template(path = "staff/new_case_done.html")]
pub struct NewCaseDone {
    pub chrome: Chrome,
    pub csrf: String,
    pub nav: super::common::Nav,
    pub reference: String,
    pub token: String,
}

/// Registers a case that arrived by letter, in person, by phone, by e-mail or from another agency:
/// the same model as an online report, with its channel and the day it arrived.
pub async fn new_case(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    require_role(&user, crate::domain::staff::Role::IntakeOfficer, l)?;
    let pairs = csrf_pairs(body, &csrf, l)?;
    let mut filing = StaffFiling::default();
    let mut rest = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "track" => filing.track = v,
            "channel" => filing.channel = v,
            "received_on" => filing.received_on = v,
            _ => rest.push((k, v)),
        }
    }
    let encoded = serde_urlencoded::to_string(&rest).map_err(|_| PageError(BAD_ACTION, l))?;
    let form: super::public::ComplaintForm =
        crate::http::form::parse_form(encoded.as_bytes()).map_err(|e| PageError(e, l))?;
    let today = state.clock.today();
    let mut problems = Vec::new();
    let track = Track::from_code(&filing.track);
    let channel = Channel::from_code(&filing.channel).filter(|c| *c != Channel::Online);
    let received =
        parse_date(filing.received_on.trim()).filter(|d| *d <= today && (today - *d).whole_days() <= 366);
    if track.is_none() {
        problems.push(("track", l.t("กรุณาเลือกช่องทาง", "Choose a track")));
    }
    if channel.is_none() {
        problems.push(("channel", l.t("กรุณาเลือกช่องทางที่รับเรื่อง", "Choose how the case arrived")));
    }
    if received.is_none() {
        problems.push((
            "received_on",
            l.t(
                "วันที่รับเรื่องต้องอยู่ในรูปแบบ ปปปป-ดด-วว ไม่เกินวันนี้และไม่เกินหนึ่งปีย้อนหลัง",
                "The received date must be YYYY-MM-DD, not in the future and within the last year",
            ),
        ));
    }
    let parsed =
        Submission::parse(&form.to_input(track.unwrap_or(Track::General)), &state.settings.unit_codes());
    let ready = match (channel, received, &parsed) {
        (Some(c), Some(r), Ok(s)) if problems.is_empty() => Some((c, r, s)),
        _ => None,
    };
    let Some((channel, received, submission)) = ready else {
        let mut errors = super::public::FormErrors::new(l);
        for (field, message) in problems {
            errors.insert(field, message.to_owned());
        }
        if let Err(e) = &parsed {
            errors.add_fields(e);
        }
        let page = new_case_page(&state, l, token_of(&csrf, l)?, &user, &filing, form, errors);
        return Ok((csrf, render_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)).into_response());
    };
    let filing = crate::intake::Filing {
        channel,
        form_nonce: None,
        received_on: Some(received),
        actor: &user.username,
        files: &[],
        files_unit: "",
    };
    let receipt =
        crate::intake::file(&state, submission, &filing).await.map_err(|e| PageError(e.into(), l))?;
    let page = NewCaseDone {
        chrome: Chrome::new(l, &state.settings.organisation, ""),
        csrf: token_of(&csrf, l)?,
        nav: super::common::Nav::of(&user),
        reference: receipt.reference.to_string(),
        token: receipt.token.display(),
    };
    Ok((csrf, render_with_status(&page, StatusCode::CREATED)).into_response())
}

pub struct ClientIp(pub std::net::IpAddr);

impl axum::extract::FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
        Ok(ClientIp(crate::http::client_addr::client_addr(
            peer,
            &parts.headers,
            &state.settings.server.trusted_proxies,
        )))
    }
}

csrf_forms!(LoginForm, PlainForm);
