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
    /// The "keep hidden data" choice, kept when the form comes back.
    pub keep_metadata: bool,
    /// An officer attaches (the wording speaks of the persons a file may identify, not of "you").
    pub for_staff: bool,
}

impl EvidenceField {
    pub fn new(limits: &crate::evidence::Limits) -> Self {
        Self {
            max_mb: limits.max_file_bytes / (1024 * 1024),
            max_files: limits.max_files_per_case,
            error: None,
            reselect: false,
            keep_metadata: false,
            for_staff: false,
        }
    }
}

pub fn token_of(csrf: &CsrfToken, l: Lang) -> Result<String, PageError> {
    csrf.authenticity_token().map_err(|_| PageError(AppError::Internal("csrf token".into()), l))
}

pub fn internal<E: std::error::Error + 'static>(l: Lang) -> impl Fn(E) -> PageError {
    move |e| PageError(AppError::internal(&e), l)
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

/// A TOTP enrolment as a page shows it once: an SVG QR code of the otpauth address for the
/// authenticator app's camera, and the secret in groups of four for typing on a phone.
pub struct TotpShown {
    pub qr_svg: zeroize::Zeroizing<String>,
    pub grouped: zeroize::Zeroizing<String>,
}

impl TotpShown {
    pub fn new(base32: &str, url: &str) -> Self {
        let qr_svg = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
            .map(|code| {
                code.render::<qrcode::render::svg::Color>()
                    .min_dimensions(200, 200)
                    .quiet_zone(true)
                    .dark_color(qrcode::render::svg::Color("#000000"))
                    .light_color(qrcode::render::svg::Color("#ffffff"))
                    .build()
            })
            .unwrap_or_default();
        // The renderer starts with an XML declaration, which does not belong inside HTML.
        let qr_svg = zeroize::Zeroizing::new(qr_svg);
        let qr_svg = zeroize::Zeroizing::new(match qr_svg.find("<svg") {
            Some(at) => qr_svg[at..].to_owned(),
            None => String::new(),
        });
        let chars: Vec<char> = base32.chars().filter(|c| !c.is_whitespace()).collect();
        let grouped = zeroize::Zeroizing::new(
            chars.chunks(4).map(|g| g.iter().collect::<String>()).collect::<Vec<_>>().join(" "),
        );
        Self { qr_svg, grouped }
    }
}
