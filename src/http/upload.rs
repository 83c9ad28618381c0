//! Reading `multipart/form-data`: text fields first, then each part named `file` streamed through
//! the evidence pipeline (type check, cleaning, sealing, the vault). What to seal the files to is
//! decided from the text fields that came before the first file (the case, its unit). On any
//! failure the files already sealed in this request are removed again: a request adds all its
//! files or none.
use super::error::AppError;
use crate::evidence::{Evidence, EvidenceError, Received, record};
use age::x25519;
use axum::extract::Multipart;
use axum::http::StatusCode;
use futures::StreamExt;
use futures::future::BoxFuture;

/// What the files of a request are sealed to, decided once the text fields before them are read,
/// with what the decision found (the case, the parsed form), handed back in [`Form::context`].
pub enum Target<T> {
    Seal {
        recipients: Vec<x25519::Recipient>,
        keep_metadata: bool,
        slots: u32,
        context: T,
    },
    /// Keep no file (the form has mistakes and comes back; the files must be chosen again).
    Discard(T),
}

pub struct Form<T> {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Received>,
    /// Files that came but were not kept.
    pub discarded: usize,
    /// What the target decision found; None when no file part came at all.
    pub context: Option<T>,
    /// Why the request failed part way; its files are already removed again.
    pub error: Option<AppError>,
}

/// The decision: from the text fields before the first file (owned), a future that owes nothing
/// to the caller's stack.
pub type Decide<T> =
    Box<dyn FnMut(Vec<(String, String)>) -> BoxFuture<'static, Result<Target<T>, AppError>> + Send>;

impl<T> Form<T> {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

const MALFORMED: AppError = AppError::BadRequest {
    code: "malformed_upload",
    en: "The upload could not be read as multipart/form-data.",
    th: "อ่านข้อมูลที่อัปโหลดไม่ได้ กรุณาส่งจากแบบฟอร์มของเว็บไซต์นี้",
};

/// The error a reporter or officer sees for a file that was refused.
pub fn refused(e: &EvidenceError, evidence: &Evidence) -> AppError {
    let mib = evidence.limits.max_file_bytes / (1024 * 1024);
    let upload = |status, code, en: String, th: String| AppError::Upload { status, code, en, th };
    match e {
        EvidenceError::TooLarge { .. } => upload(
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
            format!("Each file may be at most {mib} MiB."),
            format!("แต่ละไฟล์ต้องมีขนาดไม่เกิน {mib} MB"),
        ),
        EvidenceError::NotAllowed => upload(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "file_type_not_allowed",
            format!("Files of this type are not accepted; accepted: {}.", allowed_list(evidence)),
            format!("ไม่รับไฟล์ประเภทนี้ รับเฉพาะ {}", allowed_list(evidence)),
        ),
        EvidenceError::Mismatch => upload(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "file_content_mismatch",
            "The file's content does not match the type its name says.".into(),
            "เนื้อหาของไฟล์ไม่ตรงกับชนิดไฟล์ตามชื่อ กรุณาตรวจสอบไฟล์".into(),
        ),
        EvidenceError::CannotClean(_) => upload(
            StatusCode::UNPROCESSABLE_ENTITY,
            "file_cannot_be_cleaned",
            "Hidden metadata could not be removed from this file (it is damaged or password-protected). \
             To send it as it is, choose to keep its metadata."
                .into(),
            "ระบบลบข้อมูลแฝงออกจากไฟล์นี้ไม่ได้ (ไฟล์อาจเสียหายหรือตั้งรหัสผ่านไว้) หากต้องการส่งตามเดิม \
             ให้เลือก \"ส่งไฟล์ตามเดิม ไม่ลบข้อมูลแฝง\""
                .into(),
        ),
        EvidenceError::Unreadable => upload(
            StatusCode::BAD_REQUEST,
            "file_unreadable",
            "The file is empty or could not be read.".into(),
            "ไฟล์ว่างหรืออ่านไม่ได้".into(),
        ),
        EvidenceError::Store(cause) => {
            tracing::error!(cause = %cause, "the evidence store failed");
            upload(
                StatusCode::SERVICE_UNAVAILABLE,
                "evidence_store_unavailable",
                "The file could not be stored just now; nothing was saved. Please try again later.".into(),
                "ระบบจัดเก็บไฟล์ขัดข้องชั่วคราว ยังไม่ได้บันทึกข้อมูลใด กรุณาลองใหม่ภายหลัง".into(),
            )
        }
        EvidenceError::Crypto => AppError::Internal("evidence sealing failed".into()),
    }
}

fn allowed_list(evidence: &Evidence) -> String {
    evidence.limits.allowed.iter().map(|k| k.code().to_uppercase()).collect::<Vec<_>>().join(", ")
}

pub fn too_many(evidence: &Evidence) -> AppError {
    let max = evidence.limits.max_files_per_case;
    AppError::Upload {
        status: StatusCode::CONFLICT,
        code: "too_many_files",
        en: format!("A case holds at most {max} files."),
        th: format!("เรื่องหนึ่งแนบไฟล์ได้ไม่เกิน {max} ไฟล์"),
    }
}

/// Reads the whole request. `target` sees the text fields that came before the first file.
pub async fn read<T: Send>(
    mut multipart: Multipart,
    evidence: &Evidence,
    max_text_bytes: usize,
    target: &mut Decide<T>,
) -> Form<T> {
    let mut form = Form { fields: Vec::new(), files: Vec::new(), discarded: 0, context: None, error: None };
    if let Err(e) = read_into(&mut multipart, evidence, max_text_bytes, target, &mut form).await {
        record::discard(&evidence.vault, &form.files).await;
        form.files.clear();
        form.error = Some(e);
    }
    form
}

async fn read_into<T: Send>(
    multipart: &mut Multipart,
    evidence: &Evidence,
    max_text_bytes: usize,
    target: &mut Decide<T>,
    form: &mut Form<T>,
) -> Result<(), AppError> {
    // (recipients, keep_metadata, slots) once decided; None for files to discard.
    let mut decided: Option<Option<(Vec<x25519::Recipient>, bool, u32)>> = None;
    let mut text_bytes = 0usize;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(()),
            Err(e) => return Err(body_error(e.status(), evidence)),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let Some(file_name) = file_name else {
            if decided.is_some() && name == "keep_metadata" {
                return Err(AppError::BadRequest {
                    code: "keep_metadata_after_files",
                    en: "Send `keep_metadata` before the files it applies to.",
                    th: "กรุณาส่งช่อง keep_metadata ก่อนไฟล์",
                });
            }
            let mut field = field;
            let mut value = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| body_error(e.status(), evidence))? {
                text_bytes += chunk.len();
                if text_bytes > max_text_bytes {
                    return Err(AppError::PayloadTooLarge);
                }
                value.extend_from_slice(&chunk);
            }
            let value = String::from_utf8(value).map_err(|_| MALFORMED)?;
            let value = crate::domain::text::strip_invisible(&value).into_owned();
            form.fields.push((name, value));
            continue;
        };
        if name != "file" {
            return Err(MALFORMED);
        }
        let chosen = !file_name.trim().is_empty();
        if decided.is_none() {
            decided = Some(match target(form.fields.clone()).await? {
                Target::Seal { recipients, keep_metadata, slots, context } => {
                    form.context = Some(context);
                    Some((recipients, keep_metadata, slots))
                }
                Target::Discard(context) => {
                    form.context = Some(context);
                    None
                }
            });
        }
        let (recipients, keep_metadata, slots) = match &decided {
            Some(Some((recipients, keep, slots))) => (recipients.clone(), *keep, *slots),
            _ => {
                drain(field).await;
                form.discarded += usize::from(chosen);
                continue;
            }
        };
        // A file input left empty still sends a part, with no name and no bytes.
        if !chosen {
            drain(field).await;
            continue;
        }
        if form.files.len() >= usize::try_from(slots).unwrap_or(usize::MAX) {
            return Err(too_many(evidence));
        }
        let Some(file) = crate::domain::evidence::FileName::parse(&file_name) else {
            return Err(refused(&EvidenceError::Mismatch, evidence));
        };
        let limit = evidence.limits.max_file_bytes;
        let chunks = field.map(move |c| {
            c.map_err(|e| match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => EvidenceError::TooLarge { max_bytes: limit },
                _ => EvidenceError::Unreadable,
            })
        });
        let received = crate::evidence::receive(
            &evidence.vault,
            &evidence.limits,
            file,
            keep_metadata,
            chunks,
            &recipients,
        )
        .await
        .map_err(|e| refused(&e, evidence))?;
        form.files.push(received);
    }
}

fn body_error(status: StatusCode, evidence: &Evidence) -> AppError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            refused(&EvidenceError::TooLarge { max_bytes: evidence.limits.max_file_bytes }, evidence)
        }
        _ => MALFORMED,
    }
}

async fn drain(mut field: axum::extract::multipart::Field<'_>) {
    while let Ok(Some(_)) = field.chunk().await {}
}

/// The body limit of upload routes: every file a request may carry, and the form around them.
pub fn body_limit(evidence: &Evidence, max_body_bytes: usize) -> usize {
    let files = evidence.limits.max_file_bytes.saturating_mul(u64::from(evidence.limits.max_files_per_case));
    usize::try_from(files).unwrap_or(usize::MAX).saturating_add(max_body_bytes)
}
