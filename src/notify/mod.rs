//! E-mail notifications: content-free messages queued in the outbox inside the transaction of the
//! event that causes them, and sent through SMTP by a background worker with retries and backoff.
pub mod mailer;
pub mod worker;

use crate::config::Settings;
use crate::storage::StorageError;
use crate::storage::outbox::{self, Mail};
use sqlx::AnyConnection;

/// Why officers are told about a case. Each says only the reference and where to look.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    NewCase,
    ReporterMessage,
    AcknowledgeDue,
    ResultDue,
    /// An officer asks to see a case's reporter identity (to the identity custodians).
    IdentityRequested,
    /// A custodian decided on an officer's identity request (to that officer).
    IdentityDecided,
}

impl Event {
    fn subject(self, reference: &str) -> String {
        match self {
            Event::NewCase => format!("[Rongrian] เรื่องใหม่ {reference} / New case {reference}"),
            Event::ReporterMessage => {
                format!("[Rongrian] ผู้ร้องเรียนส่งข้อความ {reference} / Reporter wrote on {reference}")
            }
            Event::AcknowledgeDue => {
                format!("[Rongrian] ใกล้ครบกำหนดตอบรับ {reference} / Acknowledgement due {reference}")
            }
            Event::ResultDue => format!("[Rongrian] ใกล้ครบกำหนดแจ้งผล {reference} / Result due {reference}"),
            Event::IdentityRequested => {
                format!("[Rongrian] คำขอเปิดเผยข้อมูลผู้แจ้ง {reference} / Identity request on {reference}")
            }
            Event::IdentityDecided => format!(
                "[Rongrian] ผลการพิจารณาคำขอข้อมูลผู้แจ้ง {reference} / Identity request decided on {reference}"
            ),
        }
    }

    fn lines(self) -> (&'static str, &'static str) {
        match self {
            Event::NewCase => ("มีเรื่องใหม่ส่งถึงหน่วยงานของท่าน", "A new case has been routed to your unit."),
            Event::ReporterMessage => {
                ("ผู้ร้องเรียนส่งข้อความหรือข้อมูลเพิ่มเติม", "The reporter has sent a message or more information.")
            }
            Event::AcknowledgeDue => {
                ("เรื่องนี้ใกล้ครบกำหนดตอบรับเรื่อง", "This case's acknowledgement deadline is near.")
            }
            Event::ResultDue => ("เรื่องนี้ใกล้ครบกำหนดแจ้งผลการดำเนินการ", "This case's result deadline is near."),
            Event::IdentityRequested => (
                "มีคำขอเปิดเผยข้อมูลผู้แจ้งรอการพิจารณาของผู้ดูแลข้อมูลผู้แจ้ง",
                "An officer asks to see a reporter's identity; a custodian's decision is needed.",
            ),
            Event::IdentityDecided => {
                ("ผู้ดูแลข้อมูลผู้แจ้งพิจารณาคำขอของท่านแล้ว", "An identity custodian has decided on your request.")
            }
        }
    }

    /// Where the mail's link points.
    fn path(self, reference: &str) -> String {
        match self {
            Event::IdentityRequested => "/staff/identity".to_owned(),
            _ => format!("/staff/cases/{reference}"),
        }
    }
}

/// The body: the reference and a link, nothing of the case's content or its reporter.
pub fn body(event: Event, reference: &str, due: Option<&str>, settings: &Settings) -> String {
    let link = format!("{}{}", settings.server.public_base_url.trim_end_matches('/'), event.path(reference));
    let (th, en) = event.lines();
    let due = due.map(|d| format!("กำหนด / Due: {d}\n")).unwrap_or_default();
    format!(
        "{th}\nเรื่องเลขที่ {reference}\n{due}กรุณาเข้าสู่ระบบเพื่อดำเนินการ: {link}\n\n{en}\nCase {reference}\n\
         Sign in to act on it: {link}\n\n-- \nRongrian ({org})\n",
        org = settings.organisation.name_th
    )
}

/// The daily mail to auditors: the audit trail's head, to keep outside the system.
pub fn audit_head_mail(
    head: &crate::storage::audit::Head,
    day: &str,
    settings: &Settings,
) -> (String, String) {
    let (n, hash) = (head.entries, head.hash_hex());
    let subject = format!("[Rongrian] หัวห่วงโซ่บันทึกการตรวจสอบ {day} / Audit trail head {day}");
    let body = format!(
        "หัวห่วงโซ่บันทึกการตรวจสอบ ณ วันที่ {day}: {n} รายการ รหัส {hash}\n\
         โปรดเก็บอีเมลนี้ไว้ หากมีผู้ลบรายการในบันทึกการตรวจสอบ คำสั่งต่อไปนี้จะตรวจพบ:\n\
         rongrian verify-audit --expect-head {n}:{hash}\n\n\
         The audit trail's head on {day}: {n} entries, hash {hash}\n\
         Keep this mail: if entries are ever removed from the trail, this command finds it:\n\
         rongrian verify-audit --expect-head {n}:{hash}\n\n-- \nRongrian ({org})\n",
        org = settings.organisation.name_th
    );
    (subject, body)
}

const QUARTER_HOUR: i64 = 15 * 60;

/// A reporter's online action that the unit hears of in its daily mail, not at once: the moment
/// such an action happens is sealed, and a mail queued for the next quarter hour (its row, its
/// attempts, its arrival) would date it to within minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReporterAction {
    /// A complaint filed online.
    Filed,
    /// A message or a file added with the token.
    Wrote,
}

impl ReporterAction {
    pub fn code(self) -> &'static str {
        match self {
            ReporterAction::Filed => "filed",
            ReporterAction::Wrote => "wrote",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [ReporterAction::Filed, ReporterAction::Wrote].into_iter().find(|a| a.code() == code)
    }

    pub fn event(self) -> Event {
        match self {
            ReporterAction::Filed => Event::NewCase,
            ReporterAction::Wrote => Event::ReporterMessage,
        }
    }
}

/// Holds a reporter's action for its unit's next daily mail, inside the caller's transaction (so it
/// is as durable as the action). One mail per case and kind, however many messages came that day.
pub async fn hold_for_unit(
    conn: &mut AnyConnection,
    settings: &Settings,
    case_id: i64,
    action: ReporterAction,
) -> Result<(), StorageError> {
    // With mail off nothing is held, as nothing is queued (see `notify_unit`).
    if mail_is_off(settings) {
        return Ok(());
    }
    outbox::hold_for_digest(conn, case_id, action.code()).await
}

fn mail_is_off(settings: &Settings) -> bool {
    settings.smtp.host.trim().is_empty()
}

/// What to tell a unit about which case.
pub struct Notice<'a> {
    pub event: Event,
    pub unit: &'a str,
    pub reference: &'a str,
    pub due: Option<&'a str>,
}

/// Queues a notification about a case to every officer of its unit, inside the caller's transaction.
pub async fn notify_unit(
    conn: &mut AnyConnection,
    settings: &Settings,
    notice: &Notice<'_>,
    today: &str,
    now: i64,
) -> Result<usize, StorageError> {
    // With mail off nothing is queued: a queue nobody sends would only keep dates of submissions.
    if mail_is_off(settings) {
        return Ok(0);
    }
    let addresses = outbox::unit_addresses(conn, notice.unit).await?;
    notify_addresses(conn, settings, notice, &addresses, today, now).await
}

/// Queues a notification to the given addresses (custodians, or one officer).
pub async fn notify_addresses(
    conn: &mut AnyConnection,
    settings: &Settings,
    notice: &Notice<'_>,
    addresses: &[String],
    today: &str,
    now: i64,
) -> Result<usize, StorageError> {
    if mail_is_off(settings) {
        return Ok(0);
    }
    let subject = notice.event.subject(notice.reference);
    let text = body(notice.event, notice.reference, notice.due, settings);
    // Mail goes out at the next quarter hour (plus a little jitter): neither the queue row nor the
    // time a mail arrives dates an anonymous submission more closely than that.
    let slot = (now / QUARTER_HOUR + 1) * QUARTER_HOUR;
    for recipient in addresses {
        let jitter = i64::from(rand::random::<u8>() % 90);
        outbox::enqueue(conn, &Mail { recipient, subject: &subject, body: &text }, today, slot + jitter)
            .await?;
    }
    Ok(addresses.len())
}
