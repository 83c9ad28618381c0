//! The auditors' view of the audit trail: filters by date, actor, action and case, a CSV export of
//! everything that matches, and a check of the chain. Reading it is itself recorded.
use super::common::{internal, require_role, token_of};
use super::render::{Chrome, render_with_status};
use super::staff::parse_date;
use crate::domain::reference::CaseReference;
use crate::domain::staff::Role;
use crate::http::error::{AppError, PageError};
use crate::http::lang::Lang;
use crate::http::staff_session::Staff;
use crate::state::AppState;
use crate::storage::audit::{self, AuditFilter, AuditRow};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_csrf::CsrfToken;
use serde::Deserialize;

/// Rows shown on the page; the CSV carries every match.
const PAGE_LIMIT: i64 = 500;

/// What each action means, for readers who do not know the codes.
fn action_label(code: &str) -> Option<(&'static str, &'static str)> {
    Some(match code {
        "case.submitted" => ("รับเรื่องร้องเรียน", "case filed"),
        "case.list" => ("ดูรายการเรื่อง", "case list viewed"),
        "case.read" => ("เปิดอ่านเรื่อง", "case opened"),
        "case.status" => ("เปลี่ยนสถานะเรื่อง", "status changed"),
        "case.staff_message" => ("เจ้าหน้าที่ส่งข้อความถึงผู้แจ้ง", "officer wrote to the reporter"),
        "case.reporter_message" => ("ผู้แจ้งส่งข้อความ", "reporter wrote"),
        "case.reassigned" => ("ส่งเรื่องให้หน่วยงานอื่น", "case handed to another unit"),
        "case.measures" => ("เชื่อมโยงเรื่องกับมาตรการ", "case linked to measures"),
        "identity.requested" => ("ขอเปิดเผยข้อมูลผู้แจ้ง", "identity requested"),
        "identity.approved" => ("อนุมัติคำขอข้อมูลผู้แจ้ง", "identity request approved"),
        "identity.denied" => ("ไม่อนุมัติคำขอข้อมูลผู้แจ้ง", "identity request denied"),
        "identity.opened" => ("ผู้ดูแลข้อมูลเปิดดูข้อมูลผู้แจ้ง", "identity opened by a custodian"),
        "identity.viewed" => ("เจ้าหน้าที่ดูข้อมูลผู้แจ้งที่ได้รับอนุมัติ", "approved identity viewed"),
        "identity.requests_read" => ("ดูรายการคำขอข้อมูลผู้แจ้ง", "identity requests viewed"),
        "custody.granted" => ("มอบกุญแจดูแลข้อมูลผู้แจ้ง", "custody key granted"),
        "unit.granted" => ("มอบสิทธิ์หน่วยงาน", "unit granted"),
        "login" => ("เข้าสู่ระบบ", "signed in"),
        "login.failed" => ("เข้าสู่ระบบไม่สำเร็จ", "sign-in failed"),
        "login.totp_replayed" => ("ใช้รหัส OTP ซ้ำ", "one-time code replayed"),
        "logout" => ("ออกจากระบบ", "signed out"),
        "account.created" => ("สร้างบัญชีผู้ใช้", "account created"),
        "account.disabled" => ("ระงับบัญชีผู้ใช้", "account disabled"),
        "account.reset" => ("ตั้งค่าบัญชีใหม่", "account reset"),
        "account.setup_completed" => ("ผู้ใช้ตั้งรหัสผ่านครั้งแรก", "first sign-in completed"),
        "account.password_changed" => ("เปลี่ยนรหัสผ่าน", "password changed"),
        "accounts.read" => ("ดูรายการบัญชีผู้ใช้", "accounts viewed"),
        "units.read" => ("ดูหน่วยงานและสมาชิก", "units viewed"),
        "outbox.read" => ("ดูอีเมลแจ้งเตือน", "mail queue viewed"),
        "measures.read" => ("ดูมาตรการ", "measures viewed"),
        "measures.changed" => ("แก้ไขมาตรการ", "measures changed"),
        "report.page_read" => ("เปิดหน้ารายงาน", "reports page viewed"),
        "report.exported" => ("ดาวน์โหลดรายงาน", "report downloaded"),
        "audit.read" => ("ดูบันทึกการตรวจสอบ", "audit trail viewed"),
        "audit.exported" => ("ส่งออกบันทึกการตรวจสอบ", "audit trail exported"),
        "audit.verified" => ("ตรวจสอบความสมบูรณ์ของบันทึก", "audit trail checked"),
        "config.changed" => ("ค่ากำหนดของระบบเปลี่ยน", "configuration changed"),
        _ => return None,
    })
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    case: String,
    /// Run the chain check.
    #[serde(default)]
    verify: String,
}

/// The filter a query asks for, or each field's problem.
struct Parsed {
    filter: AuditFilter,
    errors: Vec<(&'static str, &'static str)>,
}

/// A day typed as YYYY-MM-DD in either era: Thai officers write the Buddhist-Era year (2569), which
/// is 543 years ahead; a year past 2400 can only be that.
fn day_in_either_era(text: &str) -> Option<time::Date> {
    let (year, rest) = text.split_once('-')?;
    let year: i32 = year.parse().ok()?;
    let year = if year > 2400 { year - 543 } else { year };
    parse_date(&format!("{year:04}-{rest}"))
}

async fn parse(state: &AppState, q: &AuditQuery, l: Lang) -> Result<Parsed, PageError> {
    let mut errors = Vec::new();
    let mut date = |v: &str, field: &'static str| match v.trim() {
        "" => None,
        d => match day_in_either_era(d) {
            Some(d) => Some(d.to_string()),
            None => {
                errors.push((
                    field,
                    l.t(
                        "วันที่ต้องอยู่ในรูปแบบ ปปปป-ดด-วว ใช้ปี พ.ศ. หรือ ค.ศ. ก็ได้ เช่น 2569-10-01",
                        "A date is YYYY-MM-DD, in the Buddhist or the Common Era, such as 2026-10-01.",
                    ),
                ));
                None
            }
        },
    };
    let from = date(&q.from, "from");
    let to = date(&q.to, "to");
    let actor = Some(q.actor.trim()).filter(|a| !a.is_empty()).map(|a| a.chars().take(64).collect());
    let action = Some(q.action.trim()).filter(|a| !a.is_empty()).map(|a| a.chars().take(64).collect());
    let case_id = match q.case.trim() {
        "" => None,
        r => match CaseReference::parse(r) {
            Some(reference) => {
                let mut conn = state.store.pool().acquire().await.map_err(internal(l))?;
                let found = crate::storage::custody::case_by_reference(&mut conn, &reference.to_string())
                    .await
                    .map_err(internal(l))?;
                // An unknown reference matches nothing rather than everything.
                Some(found.map(|(id, _, _)| id).unwrap_or(-1))
            }
            None => {
                errors.push((
                    "case",
                    l.t("เลขที่เรื่องต้องอยู่ในรูปแบบ 2569-0001", "A reference looks like 2569-0001."),
                ));
                None
            }
        },
    };
    Ok(Parsed { filter: AuditFilter { from, to, actor, action, case_id }, errors })
}

fn describe(q: &AuditQuery) -> String {
    format!(
        "from={} to={} actor={} action={} case={}",
        q.from.trim(),
        q.to.trim(),
        q.actor.trim().chars().take(64).collect::<String>(),
        q.action.trim().chars().take(64).collect::<String>(),
        q.case.trim().chars().take(16).collect::<String>()
    )
}

pub struct EntryLine {
    pub position: i64,
    pub recorded_on: String,
    pub actor: String,
    pub action: String,
    pub label: String,
    pub reference: String,
    pub detail: String,
}

pub struct ActionChoice {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "staff/audit.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub nav: super::common::Nav,
    pub from: String,
    pub to: String,
    pub actor: String,
    pub case: String,
    pub actions: Vec<ActionChoice>,
    pub errors: Vec<(&'static str, &'static str)>,
    pub entries: Vec<EntryLine>,
    pub truncated: bool,
    pub head_entries: i64,
    pub head_hash: String,
    /// The chain check, when asked for: None not run; Some(empty) intact; else the findings.
    pub findings: Option<Vec<String>>,
    pub anchor_note: String,
}

impl AuditPage {
    pub fn error(&self, field: &str) -> Option<&'static str> {
        self.errors.iter().find(|(f, _)| *f == field).map(|(_, m)| *m)
    }
}

pub async fn audit_page(
    State(state): State<AppState>,
    l: Lang,
    csrf: CsrfToken,
    Staff(user): Staff,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    require_role(&user, Role::Auditor, l)?;
    let Query(q) = query.map_err(|_| PageError(BAD_QUERY, l))?;
    let parsed = parse(&state, &q, l).await?;
    let mut conn = state.store.pool().acquire().await.map_err(internal(l))?;
    let rows = if parsed.errors.is_empty() {
        audit::search(&mut conn, &parsed.filter, PAGE_LIMIT + 1).await.map_err(internal(l))?
    } else {
        Vec::new()
    };
    let head = audit::head(&mut conn).await.map_err(internal(l))?;
    let known = audit::actions(&mut conn).await.map_err(internal(l))?;
    let (findings, anchor_note) = if q.verify == "1" {
        let result = audit::verify(&mut conn, &state.audit_key, None).await.map_err(internal(l))?;
        let note = match (&result.anchor, result.anchor_missing) {
            (Some(a), _) => {
                format!("{} {}", l.t("ไฟล์ยึดโยง (anchor) บันทึกไว้", "The anchor file records"), a.entries)
            }
            (None, true) => l
                .t(
                    "ไม่พบไฟล์ยึดโยง (anchor) ในไดเรกทอรีข้อมูล จึงตรวจไม่ได้ว่ามีการลบรายการท้ายสุดหรือไม่",
                    "No anchor file in the data directory: removal of the last entries cannot be detected.",
                )
                .to_owned(),
            (None, false) => String::new(),
        };
        (Some(result.findings.iter().map(ToString::to_string).collect()), note)
    } else {
        (None, String::new())
    };
    drop(conn);
    let action = if q.verify == "1" { "audit.verified" } else { "audit.read" };
    crate::staff::trail::record_read(&state, &user, action, None, &describe(&q))
        .await
        .map_err(internal(l))?;
    let truncated = rows.len() > usize::try_from(PAGE_LIMIT).unwrap_or(usize::MAX);
    let chrome = Chrome::new(l, &state.settings.organisation, "/staff/audit");
    let entries = rows
        .into_iter()
        .take(usize::try_from(PAGE_LIMIT).unwrap_or(usize::MAX))
        .map(|r: AuditRow| EntryLine {
            position: r.position,
            recorded_on: parse_date(&r.recorded_on).map(|d| chrome.date(&d)).unwrap_or(r.recorded_on),
            label: action_label(&r.action).map(|(th, en)| l.t(th, en).to_owned()).unwrap_or_default(),
            action: r.action,
            actor: r.actor,
            reference: r.reference.unwrap_or_default(),
            detail: r.detail,
        })
        .collect();
    let mut actions: Vec<ActionChoice> = known
        .into_iter()
        .map(|code| ActionChoice {
            label: match action_label(&code) {
                Some((th, en)) => format!("{} ({code})", l.t(th, en)),
                None => code.clone(),
            },
            selected: code == q.action.trim(),
            code,
        })
        .collect();
    for prefix in ["case.", "identity.", "account.", "login."] {
        let label = format!("{prefix}* ({})", l.t("ทั้งหมวด", "the whole group"));
        actions.push(ActionChoice { selected: q.action.trim() == prefix, code: prefix.to_owned(), label });
    }
    let status = if parsed.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = AuditPage {
        chrome,
        csrf: token_of(&csrf, l)?,
        nav: super::common::Nav::of(&user),
        from: q.from.trim().chars().take(10).collect(),
        to: q.to.trim().chars().take(10).collect(),
        actor: q.actor.trim().chars().take(64).collect(),
        case: q.case.trim().chars().take(16).collect(),
        actions,
        errors: parsed.errors,
        entries,
        truncated,
        head_hash: head.hash_hex(),
        head_entries: head.entries,
        findings,
        anchor_note,
    };
    Ok((csrf, render_with_status(&page, status)).into_response())
}

const BAD_QUERY: AppError = AppError::BadRequest {
    code: "invalid_filter",
    en: "A filter value is not valid.",
    th: "ค่าที่ใช้กรองรายการไม่ถูกต้อง",
};

/// Every matching entry as CSV (UTF-8 with a byte-order mark, for spreadsheets), oldest first,
/// streamed page by page so a long trail never sits whole in memory.
pub async fn export(
    State(state): State<AppState>,
    l: Lang,
    Staff(user): Staff,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    require_role(&user, Role::Auditor, l)?;
    let Query(q) = query.map_err(|_| PageError(BAD_QUERY, l))?;
    let parsed = parse(&state, &q, l).await?;
    if !parsed.errors.is_empty() {
        return Err(PageError(BAD_QUERY, l));
    }
    crate::staff::trail::record_read(&state, &user, "audit.exported", None, &describe(&q))
        .await
        .map_err(internal(l))?;
    const PAGE: i64 = 5_000;
    let header = futures::stream::once(async {
        Ok::<_, std::io::Error>(bytes::Bytes::from(
            "\u{feff}position,recorded_on,actor,action,case_reference,detail\r\n",
        ))
    });
    let pool = state.store.pool().clone();
    let pages = futures::stream::unfold(Some((pool, parsed.filter, 0i64)), |next| async move {
        let (pool, filter, after) = next?;
        let rows = async {
            let mut conn = pool.acquire().await.map_err(crate::storage::StorageError::from)?;
            audit::search_after(&mut conn, &filter, after, PAGE).await
        }
        .await;
        let rows = match rows {
            Ok(rows) => rows,
            Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
        };
        let last = rows.last().map(|r| r.position)?;
        use crate::csv::field;
        let mut out = String::new();
        for r in &rows {
            out.push_str(&format!(
                "{},{},{},{},{},{}\r\n",
                r.position,
                field(&r.recorded_on),
                field(&r.actor),
                field(&r.action),
                field(r.reference.as_deref().unwrap_or("")),
                field(&r.detail)
            ));
        }
        let more = (rows.len() as i64 == PAGE).then_some((pool, filter, last));
        Some((Ok(bytes::Bytes::from(out)), more))
    });
    use futures::StreamExt;
    let mut response = axum::body::Body::from_stream(header.chain(pages)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    let name = format!("rongrian-audit-{}.csv", state.clock.today());
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::day_in_either_era;

    #[test]
    fn audit_dates_may_be_typed_in_the_buddhist_era() {
        assert_eq!(day_in_either_era("2569-10-01").unwrap().to_string(), "2026-10-01");
        assert_eq!(day_in_either_era("2026-10-01").unwrap().to_string(), "2026-10-01");
        assert!(day_in_either_era("2569-13-01").is_none());
        assert!(day_in_either_era("1 ต.ค. 2569").is_none());
    }
}
