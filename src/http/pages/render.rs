//! Rendering askama pages into responses, and what every page's layout needs.
use crate::config::OrganisationSettings;
use crate::domain::thai;
use crate::http::lang::Lang;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use time::Date;

/// The layout's context: language, the body's name, and the path the language switch returns to.
#[derive(Clone)]
pub struct Chrome {
    pub l: Lang,
    pub org_name: String,
    pub org_locality: String,
    pub office: String,
    pub contact: String,
    pub back: &'static str,
}

impl Chrome {
    pub fn new(l: Lang, org: &OrganisationSettings, back: &'static str) -> Self {
        Self {
            l,
            org_name: l.t(&org.name_th, &org.name_en).to_owned(),
            org_locality: l.t(&org.locality_th, &org.locality_en).to_owned(),
            office: l.t(&org.office_th, &org.office_en).to_owned(),
            contact: l.t(&org.contact_th, &org.contact_en).to_owned(),
            back,
        }
    }

    /// Without configuration (error pages raised before the state is at hand).
    pub fn bare(l: Lang) -> Self {
        Self {
            l,
            org_name: l.t("ระบบรับเรื่องร้องเรียน", "Complaint service").to_owned(),
            org_locality: String::new(),
            office: String::new(),
            contact: String::new(),
            back: "/",
        }
    }

    pub fn date(&self, d: &Date) -> String {
        match self.l {
            Lang::Th => thai::format_date_th(*d),
            Lang::En => thai::format_date_en(*d),
        }
    }
}

pub fn render_with_status<T: Template>(page: &T, status: StatusCode) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

pub fn render<T: Template>(page: &T) -> Response {
    render_with_status(page, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub status: u16,
    pub message: String,
}

impl ErrorPage {
    pub fn new(l: Lang, status: u16, th: String, en: String) -> Self {
        Self { chrome: Chrome::bare(l), status, message: if l.is_en() { en } else { th } }
    }
}
