//! The annual measures report: figures computed from the data (never typed), the protection-measures
//! section and the ITA complaint statistics, rendered as HTML, CSV and JSON.
pub mod chart_png;
pub mod figures;
pub mod manual;
pub mod measures_file;
pub mod office;
pub mod render;

use crate::domain::fiscal_year::FiscalYear;
use crate::domain::measure::Measure;
use crate::state::AppState;
use crate::storage::{StorageError, measures};

/// Everything a report of one fiscal year needs, read in one go.
pub struct ReportData {
    pub fiscal_year: FiscalYear,
    pub measures: Vec<Measure>,
    pub figures: figures::Figures,
    /// The audit trail's head when the report was made: printed in it, so a filed report is a
    /// record of the trail outside the system (`rongrian verify-audit --expect-head`).
    pub audit_head: crate::storage::audit::Head,
    /// The day the report is made; the public page's figures stand on an earlier day (the end of
    /// the last completed month), and the month under way is labelled as such.
    pub report_day: time::Date,
}

pub async fn load(state: &AppState, fy: FiscalYear) -> Result<ReportData, StorageError> {
    load_from(&state.store, &state.settings, fy, state.clock.today()).await
}

/// Reads and computes a year's report as of `today` (figures of a running year count up to today).
pub async fn load_from(
    store: &crate::storage::Store,
    settings: &crate::config::Settings,
    fy: FiscalYear,
    today: time::Date,
) -> Result<ReportData, StorageError> {
    let mut conn = store.pool().acquire().await?;
    let measures: Vec<Measure> =
        measures::for_year(&mut conn, fy).await?.into_iter().map(|(_, m)| m).collect();
    // The figures stand on the year's last day once it has ended, else on `today`.
    let last = fy.last_day().min(today);
    let aggregates = crate::storage::report_figures::aggregates(&mut conn, fy, last).await?;
    let audited = figures::Audited {
        identity_requests: measures::audit_count(&mut conn, "identity.requested", fy).await?,
        identity_approvals: measures::audit_count(&mut conn, "identity.approved", fy).await?,
        identity_denials: measures::audit_count(&mut conn, "identity.denied", fy).await?,
        identity_openings: measures::audit_count(&mut conn, "identity.opened", fy).await?,
        evidence_cleaned: measures::audit_count(&mut conn, "evidence.cleaned", fy).await?,
    };
    let figures = figures::compute(fy, today, &aggregates, &measures, &settings.report.link_rules, audited);
    let audit_head = crate::storage::audit::head(&mut conn).await?;
    Ok(ReportData { fiscal_year: fy, measures, figures, audit_head, report_day: today })
}
