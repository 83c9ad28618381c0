//! Account pages: an officer's own password, granting a unit one can open to a colleague, and the
//! administrators' account list (add, disable, reset). Administrators never see key material and,
//! by role alone, open no unit.
use super::common::{internal, require_role, token_of};
use super::render::{Chrome, render, render_with_status};
use crate::domain::staff::{Role, Roles, Username};
use crate::http::error::{AppError, PageError};
use crate::http::form::{csrf_form, csrf_forms, csrf_pairs};
use crate::http::lang::Lang;
use crate::http::staff_session::Staff;
use crate::staff::accounts::{self, AdminContext, Credentials, NewStaff, PasswordChange};
use crate::staff::cases as work;
use crate::state::AppState;
use crate::storage::accounts as stored;
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_csrf::CsrfToken;
use serde::Deserialize;
use zeroize::Zeroizing;

#[derive(Template)]
#[template(path = "staff/password.html")]
pub struct PasswordPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub nav: super::common::Nav,
    pub message: Option<String>,
    pub ok: bool,
    /// The field the problem belongs to ("current", "new" or "repeat"); the message stands by it.
    pub field: &'static str,
}

/// One field of the password form as the page shows it.
pub struct PasswordField {
    pub name: &'static str,
    pub label: &'static str,
    pub autocomplete: &'static str,
    pub min_length: &'static str,
    pub error: Option<String>,
}

impl PasswordPage {
    pub fn fields(&self) -> Vec<PasswordField> {
        let l = self.chrome.l;
        let error = |name: &str| if !self.ok && self.field == name { self.message.clone() } else { None };
        vec![
            PasswordField {
                name: "current",
                label: l.t("รหัสผ่านปัจจุบัน", "Current password"),
                autocomplete: "current-password",
                min_length: "",
                error: error("current"),
            },
            PasswordField {
                name: "new",
                label: l.t(
                    "รหัสผ่านใหม่ (อย่างน้อย 12 ตัวอักษร และไม่ใช่รหัสผ่านที่เดาง่าย)",
                    "New password (at least 12 characters, not easy to guess)",
                ),
                autocomplete: "new-password",
                min_length: "12",
                error: error("new"),
            },
            PasswordField {
                name: "repeat",
                label: l.t("ยืนยันรหัสผ่านใหม่", "New password again"),
                autocomplete: "new-password",
                min_length: "12",
                error: error("repeat"),
            },
        ]
    }
}

pub async fn password_form(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
) -> Result<Response, PageError> {
    let page = PasswordPage {
        chrome: Chrome::new(l, &state.settings.organisation, "/staff"),
        csrf: token_of(&csrf, l)?,
        nav: super::common::Nav::of(&user),
        message: None,
        ok: false,
        field: "",
    };
    Ok((csrf, render(&page)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    current: Zeroizing<String>,
    #[serde(default)]
    new: Zeroizing<String>,
    #[serde(default)]
    repeat: Zeroizing<String>,
}

pub async fn change_password(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let form: PasswordForm = csrf_form(body, &csrf, l)?;
    let problem = |field: &'static str, th: &str, en: &str| {
        (StatusCode::UNPROCESSABLE_ENTITY, false, field, l.t(th, en).to_owned())
    };
    let (status, ok, field, message) = if form.current.is_empty() {
        problem("current", "กรุณากรอกรหัสผ่านปัจจุบัน", "Enter your current password.")
    } else if form.new.is_empty() {
        problem("new", "กรุณากรอกรหัสผ่านใหม่", "Enter a new password.")
    } else if *form.new != *form.repeat {
        problem(
            "repeat",
            "รหัสผ่านใหม่ทั้งสองช่องไม่ตรงกัน กรุณากรอกอีกครั้ง",
            "The two new passwords differ; type them again.",
        )
    } else {
        match accounts::change_password(&state, &user, form.current, form.new).await.map_err(internal(l))? {
            PasswordChange::Changed => {
                (StatusCode::OK, true, "", l.t("เปลี่ยนรหัสผ่านแล้ว", "Your password was changed.").to_owned())
            }
            PasswordChange::WrongCurrent => {
                problem("current", "รหัสผ่านปัจจุบันไม่ถูกต้อง", "The current password is not correct.")
            }
            PasswordChange::Rejected(p) => problem("new", p.message_th(), p.message_en()),
            PasswordChange::Conflict => (
                StatusCode::CONFLICT,
                false,
                "",
                l.t(
                    "บัญชีนี้ถูกตั้งค่าใหม่ระหว่างนั้น กรุณาเข้าสู่ระบบอีกครั้ง",
                    "The account was reset meanwhile; sign in again.",
                )
                .to_owned(),
            ),
        }
    };
    let page = PasswordPage {
        chrome: Chrome::new(l, &state.settings.organisation, "/staff"),
        csrf: token_of(&csrf, l)?,
        nav: super::common::Nav::of(&user),
        message: Some(message),
        ok,
        field,
    };
    Ok((csrf, render_with_status(&page, status)).into_response())
}

pub struct UnitLine {
    pub code: String,
    pub name: String,
    pub members: Vec<String>,
}

#[derive(Template)]
#[template(path = "staff/units.html")]
pub struct UnitsPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub nav: super::common::Nav,
    pub units: Vec<UnitLine>,
    pub notice: Option<String>,
    /// A grant that failed: (unit code, the username typed, what was wrong), shown by that unit's form.
    pub failed: Option<(String, String, String)>,
}

impl UnitsPage {
    pub fn failed_for(&self, unit: &str) -> Option<&(String, String, String)> {
        self.failed.as_ref().filter(|f| f.0 == unit)
    }
}

async fn units_page(
    state: &AppState,
    l: Lang,
    csrf: &CsrfToken,
    user: &crate::staff::auth::StaffUser,
    notice: Option<String>,
) -> Result<UnitsPage, PageError> {
    crate::staff::trail::record_read(state, user, "units.read", None, "").await.map_err(internal(l))?;
    let open = work::open_units(state, user).await.map_err(internal(l))?;
    let mut conn = state.store.pool().acquire().await.map_err(internal(l))?;
    let all = stored::summaries(&mut conn).await.map_err(internal(l))?;
    let units = open
        .iter()
        .map(|(code, _)| UnitLine {
            name: state
                .settings
                .unit(code)
                .map(|u| l.t(&u.name_th, &u.name_en).to_owned())
                .unwrap_or_else(|| code.clone()),
            members: all.iter().filter(|a| a.units.contains(code)).map(|a| a.username.clone()).collect(),
            code: code.clone(),
        })
        .collect();
    Ok(UnitsPage {
        chrome: Chrome::new(l, &state.settings.organisation, "/staff"),
        csrf: token_of(csrf, l)?,
        nav: super::common::Nav::of(user),
        units,
        notice,
        failed: None,
    })
}

pub async fn units(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
) -> Result<Response, PageError> {
    let page = units_page(&state, l, &csrf, &user, None).await?;
    Ok((csrf, render(&page)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    username: String,
}

/// A member who can open a unit's key wraps it to a colleague's personal key.
pub async fn grant(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let form: GrantForm = csrf_form(body, &csrf, l)?;
    let open = work::open_units(&state, &user).await.map_err(internal(l))?;
    let Some((_, unit_identity)) = open.iter().find(|(code, _)| *code == form.unit) else {
        return Err(PageError(AppError::NotFound, l));
    };
    let ctx = admin_context(&state, &user.username);
    let unknown = l.t(
        "ไม่พบบัญชีผู้ใช้นี้ กรุณาตรวจสอบชื่อผู้ใช้ (อักษรอังกฤษตัวเล็ก เช่น somsri.k)",
        "There is no such account; check the username (lowercase, such as somsri.k).",
    );
    let problem = match Username::parse(&form.username) {
        None => unknown.to_owned(),
        Some(username) => match accounts::grant(&ctx, &username, &form.unit, unit_identity).await {
            Ok(()) => {
                let unit = state.settings.unit(&form.unit).map(|u| l.t(&u.name_th, &u.name_en)).unwrap_or("");
                let notice = Some(format!("{} {unit} → {}", l.t("มอบสิทธิ์แล้ว", "Granted"), username.as_str()));
                let page = units_page(&state, l, &csrf, &user, notice).await?;
                return Ok((csrf, render(&page)).into_response());
            }
            Err(crate::staff::StaffError::UnknownAccount(_)) => unknown.to_owned(),
            Err(crate::staff::StaffError::PendingSetup(_)) => l
                .t(
                    "บัญชีนี้ยังไม่ได้เข้าสู่ระบบครั้งแรกเพื่อตั้งรหัสผ่านของตนเอง กรุณามอบสิทธิ์หลังจากนั้น",
                    "This account has not completed its first sign-in yet; grant units after that.",
                )
                .to_owned(),
            Err(e) => return Err(internal(l)(e)),
        },
    };
    let mut page = units_page(&state, l, &csrf, &user, None).await?;
    page.failed = Some((form.unit, form.username, problem));
    Ok((csrf, render_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)).into_response())
}

/// The context for account changes made from a page, acting as the signed-in officer.
pub(super) fn admin_context<'a>(state: &'a AppState, actor: &'a str) -> AdminContext<'a> {
    AdminContext {
        store: &state.store,
        settings: &state.settings,
        clock: &state.clock,
        pepper_key: &state.pepper_key,
        totp_key: &state.totp_secret_key,
        audit_key: &state.audit_key,
        actor,
    }
}

pub struct AccountLine {
    pub username: String,
    pub display_name: String,
    pub roles: String,
    pub email: String,
    pub disabled: bool,
    pub units: String,
}

pub struct RoleChoice {
    pub code: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "staff/users.html")]
pub struct UsersPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub nav: super::common::Nav,
    pub accounts: Vec<AccountLine>,
    pub roles: Vec<RoleChoice>,
    pub shown_once: Option<Credentials>,
    pub totp_shown: Option<super::common::TotpShown>,
    pub notice: Option<String>,
    /// A mistake that is not one field's (disabling one's own account): shown as a problem.
    pub problem: Option<String>,
    /// The add-account form as typed, and what was wrong with it.
    pub form: UserForm,
    pub errors: super::public::FormErrors,
}

async fn users_page(
    state: &AppState,
    l: Lang,
    csrf: &CsrfToken,
    user: &crate::staff::auth::StaffUser,
    shown_once: Option<Credentials>,
    notice: Option<String>,
) -> Result<UsersPage, PageError> {
    users_page_with(
        state,
        l,
        csrf,
        user,
        shown_once,
        notice,
        UserForm::default(),
        super::public::FormErrors::new(l),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn users_page_with(
    state: &AppState,
    l: Lang,
    csrf: &CsrfToken,
    user: &crate::staff::auth::StaffUser,
    shown_once: Option<Credentials>,
    notice: Option<String>,
    form: UserForm,
    errors: super::public::FormErrors,
) -> Result<UsersPage, PageError> {
    crate::staff::trail::record_read(state, user, "accounts.read", None, "").await.map_err(internal(l))?;
    let mut conn = state.store.pool().acquire().await.map_err(internal(l))?;
    let all = stored::summaries(&mut conn).await.map_err(internal(l))?;
    Ok(UsersPage {
        chrome: Chrome::new(l, &state.settings.organisation, "/staff"),
        csrf: token_of(csrf, l)?,
        nav: super::common::Nav::of(user),
        accounts: all
            .into_iter()
            .map(|a| AccountLine {
                roles: Roles::parse(&a.roles)
                    .map(|r| r.iter().map(|x| l.t(x.label_th(), x.label_en())).collect::<Vec<_>>().join(", "))
                    .unwrap_or(a.roles),
                email: a.email.unwrap_or_default(),
                units: a.units.join(", "),
                username: a.username,
                display_name: a.display_name,
                disabled: a.disabled,
            })
            .collect(),
        roles: Role::ALL
            .iter()
            .map(|r| RoleChoice { code: r.code(), label: l.t(r.label_th(), r.label_en()) })
            .collect(),
        totp_shown: shown_once
            .as_ref()
            .map(|c| super::common::TotpShown::new(&c.totp_secret_base32, &c.totp_url)),
        shown_once,
        notice,
        problem: None,
        form,
        errors,
    })
}

pub async fn users(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
) -> Result<Response, PageError> {
    require_role(&user, Role::Administrator, l)?;
    let page = users_page(&state, l, &csrf, &user, None, None).await?;
    Ok((csrf, render(&page)).into_response())
}

#[derive(Default)]
pub struct UserForm {
    pub action: String,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: Vec<String>,
}

impl UserForm {
    pub fn has_role(&self, code: &str) -> bool {
        self.role.iter().any(|r| r == code)
    }
}

/// Add, disable or reset an account. New credentials are shown once on the response page.
pub async fn user_action(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    require_role(&user, Role::Administrator, l)?;
    let form = user_form(csrf_pairs(body, &csrf, l)?).map_err(|e| PageError(e, l))?;
    let ctx = admin_context(&state, &user.username);
    let username = Username::parse(&form.username);
    if form.action == "add" {
        let mut errors = super::public::FormErrors::new(l);
        if username.is_none() {
            let message = l.t(
                "ชื่อผู้ใช้ต้องเป็นอักษรอังกฤษตัวเล็ก a-z ตัวเลข 0-9 หรือ . _ - ยาว 3–32 ตัว และขึ้นต้นด้วยตัวอักษร เช่น somsri.k",
                "Usernames are 3-32 of a-z, 0-9, '.', '_', '-', starting with a letter, such as somsri.k",
            );
            errors.insert("username", message.to_owned());
        }
        if form.display_name.trim().is_empty() || form.display_name.chars().count() > 200 {
            errors.insert("display_name", l.t("กรุณากรอกชื่อ-สกุล", "Give the holder's full name").to_owned());
        }
        let email = Some(form.email.trim()).filter(|e| !e.is_empty());
        if email.is_some_and(|e| e.parse::<lettre::message::Mailbox>().is_err()) {
            errors.insert("email", l.t("ที่อยู่อีเมลไม่ถูกต้อง", "The e-mail address is not valid").to_owned());
        }
        let roles = form.role.iter().map(|r| Role::from_code(r)).collect::<Option<Vec<_>>>();
        if roles.as_ref().is_none_or(Vec::is_empty) {
            errors.insert("role", l.t("กรุณาเลือกบทบาทอย่างน้อยหนึ่งบทบาท", "Choose at least one role").to_owned());
        }
        if let (Some(username), Some(roles), false) = (&username, &roles, errors.any()) {
            let new = NewStaff {
                username,
                display_name: &form.display_name,
                roles: &Roles::new(roles.clone()),
                email,
            };
            match accounts::create(&ctx, &new).await {
                Ok(c) => {
                    let page = users_page(&state, l, &csrf, &user, Some(c), None).await?;
                    return Ok((csrf, render(&page)).into_response());
                }
                Err(crate::staff::StaffError::AccountExists(_)) => {
                    errors.insert("username", l.t("ชื่อผู้ใช้นี้มีอยู่แล้ว", "That username is taken").to_owned());
                }
                Err(crate::staff::StaffError::Invalid(_)) => {
                    let message = l.t("กรุณาตรวจสอบชื่อและอีเมล", "Check the name and the e-mail address");
                    errors.insert("display_name", message.to_owned());
                }
                Err(e) => return Err(internal(l)(e)),
            }
        }
        let page = users_page_with(&state, l, &csrf, &user, None, None, form, errors).await?;
        return Ok((csrf, render_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY)).into_response());
    }
    let problem = |message: &str| {
        let state = &state;
        let user = &user;
        let csrf = &csrf;
        let message = message.to_owned();
        async move {
            let mut page = users_page(state, l, csrf, user, None, None).await?;
            page.problem = Some(message);
            Ok::<_, PageError>(render_with_status(&page, StatusCode::UNPROCESSABLE_ENTITY))
        }
    };
    let Some(username) = username else {
        let page = problem(l.t("ไม่พบบัญชีนี้", "There is no such account.")).await?;
        return Ok((csrf, page).into_response());
    };
    let (shown, notice) = match form.action.as_str() {
        "disable" => {
            if username.as_str() == user.username {
                let page =
                    problem(l.t("ไม่สามารถระงับบัญชีของตนเองได้", "You cannot disable your own account.")).await?;
                return Ok((csrf, page).into_response());
            }
            accounts::disable(&ctx, &username).await.map_err(internal(l))?;
            (None, Some(format!("{} {}", l.t("ระงับบัญชีแล้ว:", "Disabled:"), username.as_str())))
        }
        "reset" => {
            let (c, revoked) = accounts::reset(&ctx, &username).await.map_err(internal(l))?;
            let notice = (!revoked.is_empty()).then(|| {
                let names: Vec<String> = revoked
                    .iter()
                    .map(|code| match state.settings.unit(code) {
                        Some(u) => l.t(&u.name_th, &u.name_en).to_owned(),
                        None => code.clone(),
                    })
                    .collect();
                format!("{} {}", l.t("ต้องมอบสิทธิ์หน่วยงานใหม่:", "Unit grants to renew:"), names.join(", "))
            });
            (Some(c), notice)
        }
        _ => {
            let page = problem(l.t("ไม่รู้จักการดำเนินการนี้", "Unknown action.")).await?;
            return Ok((csrf, page).into_response());
        }
    };
    let page = users_page(&state, l, &csrf, &user, shown, notice).await?;
    Ok((csrf, render(&page)).into_response())
}

/// The account form has a repeated field (`role=a&role=b`), which serde_urlencoded cannot collect
/// into a Vec, so it is gathered from the checked name/value pairs.
fn user_form(pairs: Vec<(String, String)>) -> Result<UserForm, AppError> {
    let mut form = UserForm::default();
    for (k, v) in pairs {
        match k.as_str() {
            "action" => form.action = v,
            "username" => form.username = v,
            "display_name" => form.display_name = v,
            "email" => form.email = v,
            "role" => form.role.push(v),
            _ => {
                return Err(AppError::BadRequest {
                    code: "malformed_form",
                    en: "The form has unexpected fields.",
                    th: "แบบฟอร์มมีช่องข้อมูลที่ไม่ถูกต้อง",
                });
            }
        }
    }
    Ok(form)
}

#[derive(Template)]
#[template(path = "staff/setup.html")]
pub struct SetupPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub nav: super::common::Nav,
    pub message: Option<String>,
    pub totp: Option<accounts::NewTotp>,
    pub totp_shown: Option<super::common::TotpShown>,
}

/// The first sign-in of an account someone else made or reset.
pub async fn setup_form(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
) -> Result<Response, PageError> {
    if !user.pending_setup {
        return Ok(axum::response::Redirect::to("/staff").into_response());
    }
    let page = SetupPage {
        chrome: Chrome::new(l, &state.settings.organisation, ""),
        csrf: token_of(&csrf, l)?,
        nav: super::common::Nav::of(&user),
        message: None,
        totp: None,
        totp_shown: None,
    };
    Ok((csrf, render(&page)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    new: Zeroizing<String>,
    #[serde(default)]
    repeat: Zeroizing<String>,
}

pub async fn setup(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let form: SetupForm = csrf_form(body, &csrf, l)?;
    let page = |message: Option<String>, totp: Option<accounts::NewTotp>| -> Result<SetupPage, PageError> {
        Ok(SetupPage {
            chrome: Chrome::new(l, &state.settings.organisation, ""),
            csrf: token_of(&csrf, l)?,
            nav: super::common::Nav::of(&user),
            message,
            totp_shown: totp.as_ref().map(|t| super::common::TotpShown::new(&t.base32, &t.url)),
            totp,
        })
    };
    if *form.new != *form.repeat {
        let p =
            page(Some(l.t("รหัสผ่านใหม่ทั้งสองช่องไม่ตรงกัน", "The two new passwords differ.").to_owned()), None)?;
        return Ok((csrf, render_with_status(&p, StatusCode::UNPROCESSABLE_ENTITY)).into_response());
    }
    match accounts::complete_setup(&state, user.account_id, form.new).await.map_err(internal(l))? {
        accounts::Setup::Done(totp) => {
            match crate::setup::forget_first_administrator(&state.settings.server.data_dir, &user.username) {
                Ok(true) => tracing::info!("the first administrator's credentials file was removed"),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the first administrator's credentials file could not be removed")
                }
            }
            let p = page(None, Some(totp))?;
            Ok((csrf, render(&p)).into_response())
        }
        accounts::Setup::Rejected(problem) => {
            let p = page(Some(l.t(problem.message_th(), problem.message_en()).to_owned()), None)?;
            Ok((csrf, render_with_status(&p, StatusCode::UNPROCESSABLE_ENTITY)).into_response())
        }
        accounts::Setup::Conflict => Ok(axum::response::Redirect::to("/staff/login").into_response()),
    }
}

csrf_forms!(GrantForm, PasswordForm, SetupForm);
