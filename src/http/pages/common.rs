//! Small pieces every staff page handler uses: the form's CSRF token, internal errors as pages, and
//! the role check (a missing role answers 404, so a page's existence says nothing).
use crate::domain::staff::Role;
use crate::http::error::{AppError, PageError};
use crate::http::lang::Lang;
use crate::staff::auth::StaffUser;
use axum_csrf::CsrfToken;

/// The file field of an upload form, as `templates/evidence_field.html` shows it.
pub struct EvidenceField {
    pub max_mb: u64,
    pub max_files: u32,
    pub error: Option<String>,
    /// Files were chosen but the form came back: they must be chosen again.
    pub reselect: bool,
}

impl EvidenceField {
    pub fn new(limits: &crate::evidence::Limits) -> Self {
        Self {
            max_mb: limits.max_file_bytes / (1024 * 1024),
            max_files: limits.max_files_per_case,
            error: None,
            reselect: false,
        }
    }
}

pub fn token_of(csrf: &CsrfToken, l: Lang) -> Result<String, PageError> {
    csrf.authenticity_token().map_err(|_| PageError(AppError::Internal("csrf token".into()), l))
}

pub fn internal<E: std::fmt::Display>(l: Lang) -> impl Fn(E) -> PageError {
    move |e| PageError(AppError::Internal(e.to_string()), l)
}

pub fn require_role(user: &StaffUser, role: Role, l: Lang) -> Result<(), PageError> {
    if user.has(role) { Ok(()) } else { Err(PageError(AppError::NotFound, l)) }
}

/// The staff menu: who is signed in and only the pages their roles may open (a link to a page that
/// answers 404 for the role is a dead end).
pub struct Nav {
    pub display_name: String,
    pub cases: bool,
    pub register: bool,
    pub units: bool,
    pub identity: bool,
    pub admin: bool,
    pub audit: bool,
}

impl Nav {
    pub fn of(user: &StaffUser) -> Self {
        let officer = user.has(Role::IntakeOfficer) || user.has(Role::UnitOfficer);
        Self {
            display_name: user.display_name.clone(),
            cases: officer,
            register: user.has(Role::IntakeOfficer),
            units: officer,
            identity: user.has(Role::IdentityCustodian),
            admin: user.has(Role::Administrator),
            audit: user.has(Role::Auditor),
        }
    }
}
