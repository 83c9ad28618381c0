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
    let (status, ok, message) = if *form.new != *form.repeat {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
            l.t("รหัสผ่านใหม่ทั้งสองช่องไม่ตรงกัน", "The two new passwords differ.").to_owned(),
        )
    } else {
        match accounts::change_password(&state, &user, form.current, form.new).await.map_err(internal(l))? {
            PasswordChange::Changed => {
                (StatusCode::OK, true, l.t("เปลี่ยนรหัสผ่านแล้ว", "Your password was changed.").to_owned())
            }
            PasswordChange::WrongCurrent => (
                StatusCode::UNPROCESSABLE_ENTITY,
                false,
                l.t("รหัสผ่านปัจจุบันไม่ถูกต้อง", "The current password is not correct.").to_owned(),
            ),
            PasswordChange::Rejected(p) => {
                (StatusCode::UNPROCESSABLE_ENTITY, false, l.t(p.message_th(), p.message_en()).to_owned())
            }
            PasswordChange::Conflict => (
                StatusCode::CONFLICT,
                false,
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
    let unknown = || {
        PageError(
            AppError::BadRequest {
                code: "unknown_account",
                en: "There is no such account.",
                th: "ไม่พบบัญชีผู้ใช้นี้",
            },
            l,
        )
    };
    let username = Username::parse(&form.username).ok_or_else(unknown)?;
    let ctx = admin_context(&state, &user.username);
    match accounts::grant(&ctx, &username, &form.unit, unit_identity).await {
        Ok(()) => {}
        Err(crate::staff::StaffError::UnknownAccount(_)) => return Err(unknown()),
        Err(crate::staff::StaffError::PendingSetup(_)) => {
            return Err(PageError(
                AppError::Conflict {
                    en: "This account has not completed its first sign-in yet; grant units after that.",
                    th: "บัญชีนี้ยังไม่ได้เข้าสู่ระบบครั้งแรกเพื่อตั้งรหัสผ่านของตนเอง กรุณามอบสิทธิ์หลังจากนั้น",
                },
                l,
            ));
        }
        Err(e) => return Err(internal(l)(e)),
    }
    let notice = Some(format!("{} {} → {}", l.t("มอบสิทธิ์แล้ว", "Granted"), form.unit, username.as_str()));
    let page = units_page(&state, l, &csrf, &user, notice).await?;
    Ok((csrf, render(&page)).into_response())
}

/// The context for account changes made from a page, acting as the signed-in officer.
pub(super) fn admin_context<'a>(state: &'a AppState, actor: &'a str) -> AdminContext<'a> {
    AdminContext {
        store: &state.store,
        settings: &state.settings,
        clock: &state.clock,
        cookie_key: &state.cookie_key,
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
}

async fn users_page(
    state: &AppState,
    l: Lang,
    csrf: &CsrfToken,
    user: &crate::staff::auth::StaffUser,
    shown_once: Option<Credentials>,
    notice: Option<String>,
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

pub struct UserForm {
    action: String,
    username: String,
    display_name: String,
    email: String,
    role: Vec<String>,
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
    let bad = |en: &'static str, th: &'static str| {
        PageError(AppError::BadRequest { code: "invalid_account", en, th }, l)
    };
    let username = Username::parse(&form.username).ok_or_else(|| {
        bad("Usernames are 3-32 of a-z, 0-9, '.', '_', '-'.", "ชื่อผู้ใช้ต้องเป็น a-z 0-9 . _ - ยาว 3–32 ตัว")
    })?;
    let ctx = admin_context(&state, &user.username);
    let (shown, notice) = match form.action.as_str() {
        "add" => {
            let roles = form
                .role
                .iter()
                .map(|r| Role::from_code(r))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("Unknown role.", "บทบาทไม่ถูกต้อง"))?;
            let email = Some(form.email.trim()).filter(|e| !e.is_empty());
            let new = NewStaff {
                username: &username,
                display_name: &form.display_name,
                roles: &Roles::new(roles),
                email,
            };
            match accounts::create(&ctx, &new).await {
                Ok(c) => (Some(c), None),
                Err(crate::staff::StaffError::AccountExists(_)) => {
                    return Err(bad("That username is taken.", "ชื่อผู้ใช้นี้มีอยู่แล้ว"));
                }
                Err(crate::staff::StaffError::Invalid(_)) => {
                    return Err(bad(
                        "Give a name, at least one role and a valid e-mail address.",
                        "กรุณาระบุชื่อ บทบาทอย่างน้อยหนึ่งบทบาท และอีเมลที่ถูกต้อง",
                    ));
                }
                Err(e) => return Err(internal(l)(e)),
            }
        }
        "disable" => {
            if username.as_str() == user.username {
                return Err(bad("You cannot disable your own account.", "ไม่สามารถระงับบัญชีของตนเองได้"));
            }
            accounts::disable(&ctx, &username).await.map_err(internal(l))?;
            (None, Some(format!("{} {}", l.t("ระงับบัญชีแล้ว:", "Disabled:"), username.as_str())))
        }
        "reset" => {
            let (c, revoked) = accounts::reset(&ctx, &username).await.map_err(internal(l))?;
            let notice = (!revoked.is_empty()).then(|| {
                format!("{} {}", l.t("ต้องมอบสิทธิ์หน่วยงานใหม่:", "Unit grants to renew:"), revoked.join(", "))
            });
            (Some(c), notice)
        }
        _ => return Err(bad("Unknown action.", "ไม่รู้จักการดำเนินการนี้")),
    };
    let page = users_page(&state, l, &csrf, &user, shown, notice).await?;
    Ok((csrf, render(&page)).into_response())
}

/// The account form has a repeated field (`role=a&role=b`), which serde_urlencoded cannot collect
/// into a Vec, so it is gathered from the checked name/value pairs.
fn user_form(pairs: Vec<(String, String)>) -> Result<UserForm, AppError> {
    let mut form = UserForm {
        action: String::new(),
        username: String::new(),
        display_name: String::new(),
        email: String::new(),
        role: Vec::new(),
    };
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
