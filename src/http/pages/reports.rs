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
use axum::response::{IntoResponse, Response};
use axum_csrf::CsrfToken;
use serde::Deserialize;

pub(super) const BAD_YEAR: AppError = AppError::BadRequest {
    code: "invalid_fiscal_year",
    en: "The fiscal year is not valid.",
    th: "ปีงบประมาณไม่ถูกต้อง",
};

pub(super) fn year(raw: &str, state: &AppState) -> Result<FiscalYear, AppError> {
    match raw.trim() {
        "" => Ok(FiscalYear::containing(state.clock.today())),
        y => FiscalYear::from_be(y.parse().map_err(|_| BAD_YEAR)?).map_err(|_| BAD_YEAR),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    #[serde(default)]
    pub(super) fy: String,
}

#[derive(Template)]
#[template(path = "staff/reports.html")]
pub struct ReportsPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub nav: super::common::Nav,
    pub fy: String,
    pub years: Vec<i64>,
    /// Each document of the year, downloadable in every format: (section, Thai, English).
    pub sections: Vec<(&'static str, &'static str, &'static str)>,
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
        sections: vec![
            ("full", "รายงานผลการดำเนินการตามมาตรการฉบับเต็ม", "Full report"),
            ("protection", "มาตรการคุ้มครองและปกปิดข้อมูลผู้แจ้งเบาะแส", "Reporter protection measures"),
            ("statistics", "สถิติเรื่องร้องเรียน (ITA)", "Complaint statistics (ITA)"),
        ],
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
        en: "Choose a fiscal year, a section (protection, full, statistics) and a format (html, docx, xlsx, csv, json).",
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

/// The memo to the chief executive asking approval to publish the year's report, as DOCX.
pub async fn memo(
    State(state): State<AppState>,
    l: Lang,
    Staff(user): Staff,
    query: Result<Query<YearQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    require_role(&user, Role::Administrator, l)?;
    let Query(q) = query.map_err(|_| PageError(BAD_YEAR, l))?;
    let fy = year(&q.fy, &state).map_err(|e| PageError(e, l))?;
    let data = report::load(&state, fy).await.map_err(internal(l))?;
    let bytes =
        crate::report::office::memo_docx(&data, &state.settings, state.clock.today()).map_err(internal(l))?;
    crate::staff::trail::record_read(
        &state,
        &user,
        "report.exported",
        None,
        &format!("fy={fy} section=memo format=docx"),
    )
    .await
    .map_err(internal(l))?;
    Ok(super::public_reports::attachment(bytes, &format!("rongrian-{fy}-memo.docx")))
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
    /// A form refused, in Thai, and what was typed in it (shown again in its place).
    pub error: Option<String>,
    pub draft: Option<MeasureForm>,
}

fn form_of(m: &Measure) -> MeasureForm {
    MeasureForm {
        number: m.number,
        title: m.title.clone(),
        steps: m.steps.join("\n"),
        responsible_units: m.responsible_units.join(","),
        responsible_text: m.responsible_text.clone(),
        period_start: crate::domain::thai::format_be_numeric(m.period_start),
        period_end: crate::domain::thai::format_be_numeric(m.period_end),
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
    refused: Option<(String, MeasureForm)>,
) -> Result<MeasuresPage, PageError> {
    crate::staff::trail::record_read(state, user, "measures.read", None, &format!("fy={fy}"))
        .await
        .map_err(internal(l))?;
    let mut conn = state.store.pool().acquire().await.map_err(internal(l))?;
    let list = measures::for_year(&mut conn, fy).await.map_err(internal(l))?;
    let next = FiscalYear::from_be(i64::from(fy.be_year()) + 1).unwrap_or(fy);
    let mut forms: Vec<MeasureForm> = list.iter().map(|(_, m)| form_of(m)).collect();
    Ok(MeasuresPage {
        chrome: Chrome::new(l, &state.settings.organisation, "/staff"),
        csrf: token_of(csrf, l)?,
        nav: super::common::Nav::of(user),
        fy: fy.to_string(),
        next_fy: next.to_string(),
        error: refused.as_ref().map(|(e, _)| e.clone()),
        // A refused change of an existing measure is shown in its place, a new one in the add form.
        draft: match refused {
            Some((_, d)) => match forms.iter_mut().find(|f| f.number == d.number) {
                Some(existing) => {
                    *existing = d;
                    None
                }
                None => Some(d),
            },
            None => None,
        },
        measures: forms,
        notice,
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
    let page = measures_page(&state, l, &csrf, &user, fy, None, None).await?;
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
        "delete" => {
            let number: u32 = get("number").trim().parse().unwrap_or(0);
            match measures_file::delete(&state.store, fy, number, &changer(&state, &user)).await {
                Ok(()) => format!("ลบมาตรการที่ {number} แล้ว"),
                Err(measures_file::ImportError::Published(_)) => {
                    return Err(PageError(
                        AppError::Conflict {
                            en: "A report of this year that prints the measures has been exported: the measure stays.",
                            th: "มาตรการนี้อยู่ในรายงานของปีงบประมาณนี้ที่ได้จัดทำ (ดาวน์โหลด) ไปแล้ว จึงลบไม่ได้ แก้ไขข้อความได้",
                        },
                        l,
                    ));
                }
                Err(measures_file::ImportError::Missing(_)) => {
                    return Err(PageError(
                        AppError::BadRequest {
                            code: "no_such_measure",
                            en: "There is no such measure in this year.",
                            th: "ไม่พบมาตรการนี้ในปีงบประมาณที่เลือก",
                        },
                        l,
                    ));
                }
                Err(e) => return Err(internal(l)(e)),
            }
        }
        "save" => {
            // Dates are typed in the Buddhist Era (1/10/2568); ISO dates are taken as well.
            let day = |k: &str| {
                let raw = get(k);
                let raw = raw.trim();
                match crate::domain::thai::parse_be_numeric(raw) {
                    Some(d) => Some(d.to_string()),
                    None => Some(raw.to_owned()).filter(|s| !s.is_empty()),
                }
            };
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
                period_start: day("period_start"),
                period_end: day("period_end"),
                output: get("output"),
                outcome: get("outcome"),
                flags: pairs.iter().filter(|(k, _)| k == "flag").map(|(_, v)| v.clone()).collect(),
            };
            let measure = match Measure::parse(fy, &input, &state.settings.unit_codes()) {
                Ok(m) => m,
                Err(e) => {
                    // The form again, with what was typed and what is wrong in Thai.
                    let draft = MeasureForm {
                        number: input.number,
                        title: input.title.clone(),
                        steps: get("steps"),
                        responsible_units: get("responsible_units"),
                        responsible_text: input.responsible_text.clone(),
                        period_start: get("period_start"),
                        period_end: get("period_end"),
                        output: input.output.clone(),
                        outcome: input.outcome.clone(),
                        flags: MeasureFlag::ALL
                            .iter()
                            .map(|f| (f.code(), f.label_th(), input.flags.iter().any(|x| x == f.code())))
                            .collect(),
                    };
                    let page = measures_page(
                        &state,
                        l,
                        &csrf,
                        &user,
                        fy,
                        None,
                        Some((measure_error_th(&e, fy), draft)),
                    )
                    .await?;
                    return Ok((axum::http::StatusCode::BAD_REQUEST, csrf, render(&page)).into_response());
                }
            };
            measures_file::import(&state.store, std::slice::from_ref(&measure), &changer(&state, &user))
                .await
                .map_err(internal(l))?;
            format!("บันทึกมาตรการที่ {} แล้ว", measure.number)
        }
        _ => return Err(PageError(BAD_YEAR, l)),
    };
    let page = measures_page(&state, l, &csrf, &user, fy, Some(notice), None).await?;
    Ok((csrf, render(&page)).into_response())
}

/// What is wrong with a measure, in Thai.
fn measure_error_th(e: &crate::domain::measure::MeasureError, fy: FiscalYear) -> String {
    use crate::domain::measure::MeasureError as E;
    use crate::domain::thai::format_be_numeric as be;
    match e {
        E::FiscalYear(y) => format!("ปีงบประมาณ {y} ไม่ถูกต้อง"),
        E::Number(n) => format!("ลำดับที่ของมาตรการ ({n}) ต้องเป็นตัวเลข ๑–๙๙"),
        E::Title(_) => "กรุณากรอกชื่อมาตรการ/โครงการ/กิจกรรม (ไม่เกิน ๑,๐๐๐ ตัวอักษร)".to_owned(),
        E::Unit { unit, .. } => format!("ไม่มีหน่วยงานรหัส \"{unit}\" ในระบบ"),
        E::Flag { flag, .. } => format!("ไม่มีประเภทมาตรการ \"{flag}\""),
        E::Date { date, .. } => format!("\"{date}\" ไม่ใช่วันที่ กรุณากรอกเป็น วัน/เดือน/ปี พ.ศ. เช่น ๑/๑๐/๒๕๖๘"),
        E::Period { .. } => format!(
            "ช่วงระยะเวลาดำเนินการต้องอยู่ภายในปีงบประมาณ พ.ศ. {} ({} – {})",
            fy.be_year(),
            be(fy.first_day()),
            be(fy.last_day())
        ),
        E::TooLong(_) => "ข้อความยาวเกิน ๕,๐๐๐ ตัวอักษร".to_owned(),
        E::Placeholder { name, .. } => format!(
            "ไม่รู้จักตัวแปร {{{name}}} ในข้อความ กรุณาตรวจการสะกด (ตัวแปรที่ใช้ได้: {})",
            crate::domain::measure::PLACEHOLDERS.join(", ")
        ),
    }
}

/// The signed-in administrator as the changer of measures (audited with the change).
fn changer<'a>(state: &'a AppState, user: &'a crate::staff::auth::StaffUser) -> measures_file::Changer<'a> {
    measures_file::Changer { audit_key: &state.audit_key, actor: &user.username, today: state.clock.today() }
}
