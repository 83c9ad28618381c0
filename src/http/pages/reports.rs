//! Report pages: the public ITA statistics, administrators' downloads of the annual report, and
//! administrators' editing of each year's measures.
use super::common::{internal, require_role, token_of};
use super::render::{Chrome, render};
use crate::domain::fiscal_year::FiscalYear;
use crate::domain::measure::{Measure, MeasureFlag, MeasureInput};
use crate::domain::staff::Role;
use crate::http::error::{AppError, PageError};
use crate::http::form::csrf_pairs;
use crate::http::lang::Lang;
use crate::http::staff_session::Staff;
use crate::report::render::{self as report_render, Format, Numerals, Section};
use crate::report::{self, measures_file};
use crate::state::AppState;
use crate::storage::measures;
use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum_csrf::CsrfToken;
use serde::Deserialize;

const BAD_YEAR: AppError = AppError::BadRequest {
    code: "invalid_fiscal_year",
    en: "The fiscal year is not valid.",
    th: "ปีงบประมาณไม่ถูกต้อง",
};

fn year(raw: &str, state: &AppState) -> Result<FiscalYear, AppError> {
    match raw.trim() {
        "" => Ok(FiscalYear::containing(state.clock.today())),
        y => FiscalYear::from_be(y.parse().map_err(|_| BAD_YEAR)?).map_err(|_| BAD_YEAR),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    #[serde(default)]
    fy: String,
}

/// The ITA complaint statistics, public: counts per month, quarter and half year by track only.
pub async fn statistics(
    State(state): State<AppState>,
    l: Lang,
    query: Result<Query<YearQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let Query(q) = query.map_err(|_| PageError(BAD_YEAR, l))?;
    let fy = year(&q.fy, &state).map_err(|e| PageError(e, l))?;
    // The public page stops at the last completed month: day-fresh counts would let anyone watching
    // it learn the day a report came in.
    let today = state.clock.today();
    let month_start = today.replace_day(1).unwrap_or(today);
    let as_of = month_start.previous_day().unwrap_or(month_start);
    let data = report::load_from(&state.store, &state.settings, fy, as_of).await.map_err(internal(l))?;
    let html = report_render::html(&data, Section::Statistics, Numerals::Thai, &state.settings, false)
        .map_err(internal(l))?;
    Ok(Html(html).into_response())
}

#[derive(Template)]
#[template(path = "staff/reports.html")]
pub struct ReportsPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub nav: super::common::Nav,
    pub fy: String,
    pub years: Vec<i64>,
}

pub async fn reports(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
) -> Result<Response, PageError> {
    require_role(&user, Role::Administrator, l)?;
    crate::staff::trail::record_read(&state, &user, "report.page_read", None, "")
        .await
        .map_err(internal(l))?;
    let mut conn = state.store.pool().acquire().await.map_err(internal(l))?;
    let page = ReportsPage {
        chrome: Chrome::new(l, &state.settings.organisation, "/staff"),
        csrf: token_of(&csrf, l)?,
        nav: super::common::Nav::of(&user),
        fy: FiscalYear::containing(state.clock.today()).to_string(),
        years: measures::years(&mut conn).await.map_err(internal(l))?,
    };
    Ok((csrf, render(&page)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DownloadQuery {
    #[serde(default)]
    fy: String,
    #[serde(default)]
    section: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    numerals: String,
}

/// The report as a file: the same renderer as `rongrian report`.
pub async fn download(
    State(state): State<AppState>,
    l: Lang,
    Staff(user): Staff,
    query: Result<Query<DownloadQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    require_role(&user, Role::Administrator, l)?;
    let bad = || AppError::BadRequest {
        code: "invalid_report",
        en: "Choose a fiscal year, a section (protection, full, statistics) and a format (html, csv, json).",
        th: "กรุณาเลือกปีงบประมาณ ส่วนของรายงาน และรูปแบบไฟล์ให้ถูกต้อง",
    };
    let Query(q) = query.map_err(|_| PageError(bad(), l))?;
    let fy = year(&q.fy, &state).map_err(|e| PageError(e, l))?;
    let (Some(section), Some(format)) = (Section::parse(&q.section), Format::parse(&q.format)) else {
        return Err(PageError(bad(), l));
    };
    let numerals = if q.numerals == "arabic" { Numerals::Arabic } else { Numerals::Thai };
    let data = report::load(&state, fy).await.map_err(internal(l))?;
    let bytes =
        report_render::bytes(&data, section, format, numerals, &state.settings, true).map_err(internal(l))?;
    let detail = format!("fy={fy} section={} format={}", q.section, format.extension());
    crate::staff::trail::record_read(&state, &user, "report.exported", None, &detail)
        .await
        .map_err(internal(l))?;
    let name = format!("rongrian-{}-{}.{}", fy, q.section, format.extension());
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

pub struct MeasureForm {
    pub number: u32,
    pub title: String,
    pub steps: String,
    pub responsible_units: String,
    pub responsible_text: String,
    pub period_start: String,
    pub period_end: String,
    pub output: String,
    pub outcome: String,
    pub flags: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Template)]
#[template(path = "staff/measures.html")]
pub struct MeasuresPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub nav: super::common::Nav,
    pub fy: String,
    pub next_fy: String,
    pub measures: Vec<MeasureForm>,
    pub notice: Option<String>,
    /// A measure that could not be saved: its number (0 for the add form) and what was wrong; its
    /// form shows what was typed.
    pub failed: Option<(u32, String)>,
    pub new_measure: Option<MeasureForm>,
}

fn form_of(m: &Measure) -> MeasureForm {
    MeasureForm {
        number: m.number,
        title: m.title.clone(),
        steps: m.steps.join("\n"),
        responsible_units: m.responsible_units.join(","),
        responsible_text: m.responsible_text.clone(),
        period_start: m.period_start.to_string(),
        period_end: m.period_end.to_string(),
        output: m.output.clone(),
        outcome: m.outcome.clone(),
        flags: MeasureFlag::ALL.iter().map(|f| (f.code(), f.label_th(), m.has(*f))).collect(),
    }
}

async fn measures_page(
    state: &AppState,
    l: Lang,
    csrf: &CsrfToken,
    user: &crate::staff::auth::StaffUser,
    fy: FiscalYear,
    notice: Option<String>,
) -> Result<MeasuresPage, PageError> {
    crate::staff::trail::record_read(state, user, "measures.read", None, &format!("fy={fy}"))
        .await
        .map_err(internal(l))?;
    let mut conn = state.store.pool().acquire().await.map_err(internal(l))?;
    let list = measures::for_year(&mut conn, fy).await.map_err(internal(l))?;
    let next = FiscalYear::from_be(i64::from(fy.be_year()) + 1).unwrap_or(fy);
    Ok(MeasuresPage {
        chrome: Chrome::new(l, &state.settings.organisation, "/staff"),
        csrf: token_of(csrf, l)?,
        nav: super::common::Nav::of(user),
        fy: fy.to_string(),
        next_fy: next.to_string(),
        measures: list.iter().map(|(_, m)| form_of(m)).collect(),
        notice,
        failed: None,
        new_measure: None,
    })
}

pub async fn measures_list(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    query: Result<Query<YearQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    require_role(&user, Role::Administrator, l)?;
    let Query(q) = query.map_err(|_| PageError(BAD_YEAR, l))?;
    let fy = year(&q.fy, &state).map_err(|e| PageError(e, l))?;
    let page = measures_page(&state, l, &csrf, &user, fy, None).await?;
    Ok((csrf, render(&page)).into_response())
}

/// Saves one measure (new or changed), or copies a year's measures forward.
pub async fn measures_save(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    require_role(&user, Role::Administrator, l)?;
    let pairs = csrf_pairs(body, &csrf, l)?;
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let fy = year(&get("fy"), &state).map_err(|e| PageError(e, l))?;
    let notice = match get("action").as_str() {
        "copy" => {
            let to = year(&get("to"), &state).map_err(|e| PageError(e, l))?;
            match measures_file::copy_forward(&state.store, fy, to, &changer(&state, &user)).await {
                Ok(n) => {
                    format!("คัดลอกมาตรการ {n} รายการไปยังปีงบประมาณ {to} แล้ว")
                }
                Err(measures_file::ImportError::Parse(_)) => {
                    return Err(PageError(
                        AppError::Conflict {
                            en: "That fiscal year already has measures.",
                            th: "ปีงบประมาณปลายทางมีมาตรการอยู่แล้ว",
                        },
                        l,
                    ));
                }
                Err(e) => return Err(internal(l)(e)),
            }
        }
        "save" => {
            let input = MeasureInput {
                number: get("number").trim().parse().unwrap_or(0),
                title: get("title"),
                steps: get("steps").lines().map(str::to_owned).collect(),
                responsible_units: get("responsible_units")
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect(),
                responsible_text: get("responsible_text"),
                period_start: Some(get("period_start")).filter(|s| !s.trim().is_empty()),
                period_end: Some(get("period_end")).filter(|s| !s.trim().is_empty()),
                output: get("output"),
                outcome: get("outcome"),
                flags: pairs.iter().filter(|(k, _)| k == "flag").map(|(_, v)| v.clone()).collect(),
            };
            let measure = match Measure::parse(fy, &input, &state.settings.unit_codes()) {
                Ok(m) => m,
                Err(e) => {
                    let message = if l.is_en() {
                        format!("The measure could not be saved: {e}.")
                    } else {
                        format!(
                            "บันทึกมาตรการไม่ได้ กรุณาตรวจสอบลำดับ (๑–๙๙) ชื่อมาตรการ รหัสหน่วยงาน และช่วงเวลาซึ่งต้องอยู่ภายในปีงบประมาณ {fy}: {e}"
                        )
                    };
                    let mut page = measures_page(&state, l, &csrf, &user, fy, None).await?;
                    let typed = |flags: Vec<(&'static str, &'static str, bool)>| MeasureForm {
                        number: input.number,
                        title: input.title.clone(),
                        steps: input.steps.join("\n"),
                        responsible_units: input.responsible_units.join(", "),
                        responsible_text: input.responsible_text.clone(),
                        period_start: input.period_start.clone().unwrap_or_default(),
                        period_end: input.period_end.clone().unwrap_or_default(),
                        output: input.output.clone(),
                        outcome: input.outcome.clone(),
                        flags: flags
                            .into_iter()
                            .map(|(code, label, _)| (code, label, input.flags.iter().any(|f| f == code)))
                            .collect(),
                    };
                    match page.measures.iter_mut().find(|m| m.number == input.number && input.number != 0) {
                        Some(m) => {
                            *m = typed(std::mem::take(&mut m.flags));
                            page.failed = Some((input.number, message));
                        }
                        None => {
                            page.new_measure = Some(typed(Vec::new()));
                            page.failed = Some((0, message));
                        }
                    }
                    return Ok((
                        csrf,
                        super::render::render_with_status(
                            &page,
                            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                        ),
                    )
                        .into_response());
                }
            };
            measures_file::import(&state.store, std::slice::from_ref(&measure), &changer(&state, &user))
                .await
                .map_err(internal(l))?;
            format!("บันทึกมาตรการที่ {} แล้ว", measure.number)
        }
        _ => return Err(PageError(BAD_YEAR, l)),
    };
    let page = measures_page(&state, l, &csrf, &user, fy, Some(notice)).await?;
    Ok((csrf, render(&page)).into_response())
}

/// The signed-in administrator as the changer of measures (audited with the change).
fn changer<'a>(state: &'a AppState, user: &'a crate::staff::auth::StaffUser) -> measures_file::Changer<'a> {
    measures_file::Changer { audit_key: &state.audit_key, actor: &user.username, today: state.clock.today() }
}
