//! Staff reads in the audit trail: every list, page, download and export an officer opens is
//! recorded with what was asked for (filters, year, format), never with what was shown.
use super::StaffError;
use super::auth::StaffUser;
use crate::state::AppState;
use crate::storage::audit::{self, AuditEntry};

pub async fn record_read(
    state: &AppState,
    user: &StaffUser,
    action: &str,
    case_id: Option<i64>,
    detail: &str,
) -> Result<(), StaffError> {
    let today = state.clock.today().to_string();
    let entry = AuditEntry { recorded_on: &today, actor: &user.username, action, case_id, detail };
    Ok(audit::record(&state.store, &state.audit_key, &entry).await?)
}
