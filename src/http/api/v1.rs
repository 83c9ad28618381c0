//! `/api/v1`: submit a complaint, read the reporter's view with the token as a bearer credential,
//! add information. Errors are `{"error": {"code", "message"}}`.
use crate::domain::complaint::Channel;
use crate::domain::submission::{self, Submission, SubmissionInput};
use crate::domain::token::SubmissionToken;
use crate::http::error::{ApiError, AppError};
use crate::http::form::{body_bytes, parse_json};
use crate::intake::{self, ReporterView};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};

pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let bytes = body_bytes(body)?;
    let input: SubmissionInput = parse_json(&headers, &bytes)?;
    let submission = Submission::parse(&input, &state.settings.unit_codes()).map_err(AppError::Validation)?;
    let receipt = intake::submit(&state, &submission, Channel::Online, None).await.map_err(AppError::from)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "reference": receipt.reference.to_string(),
            "token": receipt.token.display(),
            "fiscal_year": receipt.reference.fiscal_year().be_year(),
            "track": submission.track.code(),
            "category": submission.category.code(),
            "status": "new",
            "received_on": receipt.received_on.to_string(),
            "acknowledge_due": receipt.acknowledge_due.to_string(),
            "result_due": receipt.result_due.to_string(),
            "anonymous": submission.identity.is_none(),
            "notice": "Keep the token secret and safe: it is shown only once and cannot be recovered."
        })),
    ))
}

/// Reads `Authorization: Bearer <token>` (the scheme in any case): none at all is 401; a
/// malformed token is reported (400) before any lookup.
fn bearer_token(headers: &HeaderMap) -> Result<SubmissionToken, AppError> {
    let value =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or(AppError::Unauthorized)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or(AppError::Unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AppError::Unauthorized);
    }
    SubmissionToken::parse(token.trim()).map_err(AppError::Token)
}

async fn find(state: &AppState, token: &SubmissionToken) -> Result<ReporterView, AppError> {
    intake::find(state, token).await?.ok_or(AppError::UnknownToken)
}

fn view_json(view: &ReporterView) -> Value {
    json!({
        "reference": view.reference,
        "track": view.track.code(),
        "category": view.category.code(),
        "status": view.status.code(),
        "status_label_th": view.status.label_th(),
        "received_on": view.received_on.to_string(),
        "status_changed_on": view.status_changed_on.to_string(),
        "acknowledge_due": view.acknowledge_due.to_string(),
        "result_due": view.result_due.to_string(),
        "messages": view.messages.iter().map(|m| json!({
            "from": if m.from_reporter { "reporter" } else { "officer" },
            "sent_on": m.sent_on.to_string(),
            "text": m.text.as_str(),
        })).collect::<Vec<_>>(),
        "complaint": view.complaint.as_ref().map(complaint_json),
        "anonymous": view.anonymous,
        "attachments": view.attachments.iter().map(|a| json!({
            "id": a.id,
            "name": a.name,
            "media_type": a.kind.media_type(),
            "size": a.size,
            "added_on": a.added_on.to_string(),
            "metadata_removed": a.metadata_removed,
        })).collect::<Vec<_>>(),
        "identity_disclosures": view.disclosures.iter().map(|d| json!({
            "on": d.on.to_string(),
            "to": if d.to_handling_officer { "handling_officer" } else { "identity_custodian" },
        })).collect::<Vec<_>>(),
    })
}

fn complaint_json(c: &crate::domain::submission::ComplaintContent) -> Value {
    let text = |t: &Option<crate::domain::text::BoundedText>| t.as_ref().map(|t| t.as_str().to_owned());
    json!({
        "subject": c.subject.as_str(),
        "description": c.description.as_str(),
        "event_time": text(&c.event_time),
        "event_place": text(&c.event_place),
        "relationship": c.relationship.code(),
        "persons": c.persons.iter().map(|p| json!({
            "name": text(&p.name), "position": text(&p.position), "unit": text(&p.unit)
        })).collect::<Vec<_>>(),
    })
}

pub async fn status(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let token = bearer_token(&headers)?;
    let view = find(&state, &token).await?;
    Ok(Json(view_json(&view)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    #[serde(default)]
    text: String,
}

pub async fn add_message(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let token = bearer_token(&headers)?;
    let bytes = body_bytes(body)?;
    let input: MessageInput = parse_json(&headers, &bytes)?;
    let view = find(&state, &token).await?;
    let text = submission::parse_message(&input.text)
        .map_err(|problem| AppError::Validation(vec![submission::FieldError { field: "text", problem }]))?;
    intake::add_message(&state, &token, &view, text, None).await.map_err(AppError::from)?;
    let view = find(&state, &token).await?;
    Ok((StatusCode::CREATED, Json(view_json(&view))))
}

/// `POST /api/v1/complaints/attachments`: the reporter adds evidence files with the token.
pub async fn add_attachments(
    State(state): State<AppState>,
    headers: HeaderMap,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let token = bearer_token(&headers)?;
    let multipart = multipart.map_err(|_| AppError::Upload {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code: "not_multipart",
        en: "Send the files as multipart/form-data, each in a part named `file`.".into(),
        th: "กรุณาส่งไฟล์แบบ multipart/form-data".into(),
    })?;
    let view = find(&state, &token).await?;
    if !view.is_open() {
        return Err(AppError::CaseClosed.into());
    }
    let evidence = &state.evidence;
    let slots = evidence.limits.max_files_per_case.saturating_sub(view.attachment_count);
    if slots == 0 {
        return Err(crate::http::upload::too_many(evidence).into());
    }
    let unit = state
        .keyring
        .unit(view.unit_code())
        .ok_or_else(|| AppError::Internal("the case's unit has no key".into()))?
        .clone();
    let escrow = state.keyring.escrow.clone();
    let mut decide: crate::http::upload::Decide<()> = Box::new(move |fields| {
        let recipients = vec![unit.clone(), escrow.clone()];
        Box::pin(async move {
            let keep_metadata =
                match fields.iter().find(|(k, _)| k == "keep_metadata").map(|(_, v)| v.as_str()) {
                    None | Some("false") => false,
                    Some("true") => true,
                    Some(_) => {
                        return Err(AppError::BadRequest {
                            code: "invalid_keep_metadata",
                            en: "`keep_metadata` is `true` or `false`.",
                            th: "ค่า keep_metadata ต้องเป็น true หรือ false",
                        });
                    }
                };
            if fields.iter().any(|(k, _)| k != "keep_metadata") {
                return Err(AppError::BadRequest {
                    code: "unexpected_field",
                    en: "Only parts named `file` and `keep_metadata` are accepted.",
                    th: "รับเฉพาะช่อง file และ keep_metadata",
                });
            }
            Ok(crate::http::upload::Target::Seal { recipients, keep_metadata, slots, context: () })
        })
    });
    let form = crate::http::upload::read(multipart, evidence, 4096, &mut decide).await;
    if let Some(e) = form.error {
        return Err(e.into());
    }
    if form.files.is_empty() {
        return Err(AppError::BadRequest {
            code: "no_file",
            en: "Send at least one part named `file` with a file name.",
            th: "กรุณาแนบไฟล์อย่างน้อยหนึ่งไฟล์",
        }
        .into());
    }
    let described: Vec<Value> = form
        .files
        .iter()
        .map(|f| {
            json!({
                "name": f.meta.name.as_str(),
                "media_type": f.meta.kind.media_type(),
                "size": f.meta.size,
                "metadata_removed": f.meta.metadata_removed,
                "sha256": f.meta.sha256,
            })
        })
        .collect();
    let ids = intake::attach(&state, &token, &view, form.files).await.map_err(AppError::from)?;
    let attachments: Vec<Value> = described
        .into_iter()
        .zip(ids)
        .map(|(mut d, id)| {
            d["id"] = json!(id);
            d
        })
        .collect();
    Ok((StatusCode::CREATED, Json(json!({ "attachments": attachments }))))
}
