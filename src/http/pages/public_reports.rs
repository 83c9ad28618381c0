//! The public ITA evidence pages, in the site's layout with the organisation's name: the complaint
//! statistics (a year selector; the month under way marked as not complete), the complaint-handling
//! manuals of both tracks (page and DOCX) and the year's reporter-protection measures.
use super::common::internal;
use super::render::{Chrome, render};
use super::reports::{BAD_YEAR, YearQuery, year};
use crate::domain::complaint::Track;
use crate::domain::fiscal_year::FiscalYear;
use crate::http::error::{AppError, PageError};
use crate::http::lang::Lang;
use crate::report::manual::{self, Manual};
use crate::report::render::{self as report_render, MeasureRow, Numerals};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

type QueryResult<T> = Result<Query<T>, axum::extract::rejection::QueryRejection>;

#[derive(Template)]
#[template(path = "public/statistics.html")]
pub struct StatisticsPage {
    pub chrome: Chrome,
    pub fy: String,
    pub fy_code: String,
    pub years: Vec<(String, String, bool)>,
    pub ita_item: Option<String>,
    pub as_of: String,
    pub track_headers: [&'static str; 2],
    pub count_headers: [&'static str; 4],
    pub stats: Vec<(String, bool, Vec<String>)>,
    pub no_corruption: bool,
    pub no_general: bool,
    pub footnotes: Vec<String>,
    pub chart: String,
}

/// Public figures stand on the last day of the last completed month.
fn public_as_of(today: time::Date) -> time::Date {
    let month_start = today.replace_day(1).unwrap_or(today);
    month_start.previous_day().unwrap_or(month_start)
}

/// The asked-for year's figures as the public pages show them. They stop at the last completed
/// month: day-fresh counts would let anyone watching learn the day a report came in.
async fn public_figures(
    state: &AppState,
    query: QueryResult<YearQuery>,
    l: Lang,
) -> Result<(FiscalYear, crate::report::ReportData), PageError> {
    let Query(q) = query.map_err(|_| PageError(BAD_YEAR, l))?;
    let fy = year(&q.fy, state).map_err(|e| PageError(e, l))?;
    let as_of = public_as_of(state.clock.today());
    let data =
        crate::report::load_from(&state.store, &state.settings, fy, as_of).await.map_err(internal(l))?;
    Ok((fy, data))
}

/// The fiscal years offered: this one and the four before it.
fn years(state: &AppState, chosen: FiscalYear) -> Vec<(String, String, bool)> {
    let now = FiscalYear::containing(state.clock.today());
    (0..5)
        .filter_map(|back| FiscalYear::from_be(i64::from(now.be_year()) - back).ok())
        .map(|y| (y.to_string(), Numerals::Thai.n(y.be_year()), y == chosen))
        .collect()
}

/// The ITA complaint statistics, public: counts per month, quarter, half year and year by track only.
pub async fn statistics(
    State(state): State<AppState>,
    l: Lang,
    query: QueryResult<YearQuery>,
) -> Result<Response, PageError> {
    let (fy, mut data) = public_figures(&state, query, l).await?;
    data.report_day = state.clock.today();
    let nums = Numerals::Thai;
    let f = &data.figures;
    let track = |t: &str| f.by_track.get(t).copied().unwrap_or(0);
    let page = StatisticsPage {
        chrome: Chrome::new(l, &state.settings.organisation, "/statistics"),
        fy: nums.n(fy.be_year()),
        fy_code: fy.to_string(),
        years: years(&state, fy),
        ita_item: state.settings.report.ita_item(fy.be_year(), "statistics").map(str::to_owned),
        as_of: report_render::as_of_text(f, nums),
        track_headers: report_render::TRACK_HEADERS,
        count_headers: report_render::COUNT_HEADERS,
        stats: report_render::stat_rows(&data, nums)
            .into_iter()
            .map(|r| (r.label.clone(), r.total, r.cells(nums)))
            .collect(),
        no_corruption: track("corruption") == 0,
        no_general: track("general") == 0,
        footnotes: report_render::footnotes(&state.settings, nums),
        chart: report_render::monthly_chart(f, nums),
    };
    Ok(render(&page))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TrackQuery {
    #[serde(default)]
    track: String,
}

const BAD_TRACK: AppError = AppError::BadRequest {
    code: "invalid_track",
    en: "Choose the corruption or the general manual.",
    th: "กรุณาเลือกคู่มือเรื่องร้องเรียนการทุจริตหรือเรื่องร้องเรียนทั่วไป",
};

fn track_of(q: QueryResult<TrackQuery>, l: Lang) -> Result<Track, PageError> {
    let Query(q) = q.map_err(|_| PageError(BAD_TRACK, l))?;
    match q.track.as_str() {
        "" => Ok(Track::Corruption),
        t => manual::parse_track(t).ok_or(PageError(BAD_TRACK, l)),
    }
}

#[derive(Template)]
#[template(path = "public/manual.html")]
pub struct ManualPage {
    pub chrome: Chrome,
    pub manual: Manual,
    pub track_code: &'static str,
    pub ita_item: Option<String>,
}

/// The complaint-handling manual of a track, public.
pub async fn manual_page(
    State(state): State<AppState>,
    l: Lang,
    query: QueryResult<TrackQuery>,
) -> Result<Response, PageError> {
    let track = track_of(query, l)?;
    let fy = FiscalYear::containing(state.clock.today());
    Ok(render(&ManualPage {
        chrome: Chrome::new(l, &state.settings.organisation, "/manual"),
        manual: manual::manual(&state.settings, track),
        track_code: track.code(),
        ita_item: state.settings.report.ita_item(fy.be_year(), "manual").map(str::to_owned),
    }))
}

/// The same manual as a DOCX file in the official layout.
pub async fn manual_docx(
    State(state): State<AppState>,
    l: Lang,
    query: QueryResult<TrackQuery>,
) -> Result<Response, PageError> {
    let track = track_of(query, l)?;
    let m = manual::manual(&state.settings, track);
    let bytes = crate::report::office::manual_docx(&m, &state.settings).map_err(internal(l))?;
    Ok(attachment(bytes, &format!("rongrian-manual-{}.docx", track.code())))
}

/// A DOCX file as a download.
pub fn attachment(bytes: Vec<u8>, name: &str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

#[derive(Template)]
#[template(path = "public/protection.html")]
pub struct ProtectionPage {
    pub chrome: Chrome,
    pub fy: String,
    pub ita_item: Option<String>,
    pub measures: Vec<MeasureRow>,
    pub headers: [&'static str; 6],
}

/// The year's reporter-protection and online-channel measures, public; placeholders in their
/// texts stand, like the statistics, on the last completed month.
pub async fn protection(
    State(state): State<AppState>,
    l: Lang,
    query: QueryResult<YearQuery>,
) -> Result<Response, PageError> {
    let (fy, data) = public_figures(&state, query, l).await?;
    let nums = Numerals::Thai;
    Ok(render(&ProtectionPage {
        chrome: Chrome::new(l, &state.settings.organisation, "/protection"),
        fy: nums.n(fy.be_year()),
        ita_item: state.settings.report.ita_item(fy.be_year(), "protection").map(str::to_owned),
        measures: data
            .measures
            .iter()
            .filter(|m| report_render::is_protection(m))
            .map(|m| report_render::measure_row(m, &data.figures, nums, false))
            .collect(),
        headers: report_render::MEASURE_HEADERS,
    }))
}
