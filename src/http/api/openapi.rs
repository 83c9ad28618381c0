//! The OpenAPI 3.1 description of `/api/v1`, built from the same vocabularies the code uses, so the
//! enums in the document cannot drift from what the service accepts.
use crate::domain::complaint::{Category, Relationship, Status, Track};
use crate::domain::submission::{MAX_DESCRIPTION, MAX_MESSAGE, MAX_PERSONS, MAX_SHORT, MAX_SUBJECT};
use axum::Json;
use serde_json::{Value, json};

fn codes<T: Copy>(all: &[T], code: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| code(*v)).collect()
}

pub fn spec() -> Value {
    let error = json!({"$ref": "#/components/schemas/Error"});
    let err = |description: &str| json!({"description": description, "content": {"application/json": {"schema": error}}});
    let text = |max: usize| json!({"type": "string", "maxLength": max});
    // Required text: blank (spaces only) is refused as well as empty.
    let required = |max: usize| json!({"type": "string", "minLength": 1, "maxLength": max, "pattern": "\\S"});
    let timeout =
        json!({"description": "The request took longer than the configured limit; nothing was saved"});
    let busy = err("Rate limited; see Retry-After");
    let down = err("The database or evidence store is unreachable; nothing was saved; see Retry-After");
    let allowed =
        crate::domain::evidence::FileKind::ALL.iter().map(|k| k.code()).collect::<Vec<_>>().join(", ");
    let attachments = json!({"post": {
        "operationId": "addAttachments",
        "description": format!("Evidence files for the case of the token. The type is read from the content and must match the file name's ending; kinds (as configured, by default): {allowed}. Identifying metadata is removed from JPEG, PNG, WebP, PDF, DOCX and XLSX unless `keep_metadata` is `true`; other kinds are sealed as they are. A request adds all its files or none."),
        "security": [{"submissionToken": []}],
        "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {
                "keep_metadata": {"type": "string", "enum": ["true", "false"], "description": "Send before the files"},
                "file": {"type": "array", "items": {"type": "string", "format": "binary"}}
            }
        }}}},
        "responses": {
            "201": {"description": "Added", "content": {"application/json": {"schema": {"type": "object", "properties": {
                "attachments": {"type": "array", "items": {"$ref": "#/components/schemas/Attachment"}}
            }}}}},
            "400": err("Malformed token or upload, or no file"), "401": err("No `Authorization: Bearer` token, or another scheme"),
            "404": err("No case matches the token"), "409": err("The case is closed, or holds the most files it may"),
            "413": err("A file is larger than the limit"), "415": err("A type that is not accepted, a content that does not match the file name, or not multipart"),
            "422": err("Metadata could not be removed (a damaged or encrypted file); send it with keep_metadata=true"),
            "408": timeout, "429": busy, "503": down
        }
    }});
    let attachment = json!({"type": "object", "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "media_type": {"type": "string"},
        "size": {"type": "integer"}, "metadata_removed": {"type": "boolean"},
        "sha256": {"type": "string", "description": "Of the file as stored"},
        "added_on": {"type": "string", "format": "date"}
    }});
    let filed = json!({"description": "What the reporter filed, read back with the token; null for reports filed before this was kept",
    "oneOf": [{"type": "null"}, {"type": "object", "properties": {
        "subject": {"type": "string"}, "description": {"type": "string"},
        "event_time": {"type": ["string", "null"]}, "event_place": {"type": ["string", "null"]},
        "relationship": {"type": "string", "enum": codes(Relationship::ALL, Relationship::code)},
        "persons": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": ["string", "null"]}, "position": {"type": ["string", "null"]}, "unit": {"type": ["string", "null"]}
        }}}
    }}]});
    let disclosures = json!({"type": "array", "description": "Days on which the reporter's identity was made known (never to whom by name)",
    "items": {"type": "object", "properties": {
        "on": {"type": "string", "format": "date"},
        "to": {"type": "string", "enum": ["handling_officer", "identity_custodian"]}
    }}});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Rongrian complaint intake API",
            "version": "1.0.0",
            "description": "File complaints and whistleblower reports, and follow them up with the submission token alone. \
                            The token is shown once; send it as `Authorization: Bearer <token>`."
        },
        "paths": {
            "/api/v1/complaints": {"post": {
                "operationId": "submitComplaint",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ComplaintInput"}}}},
                "responses": {
                    "201": {"description": "Received", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}},
                    "400": err("Malformed request"), "413": err("Body too large"), "415": err("Not JSON"),
                    "409": err("The same form was submitted twice"),
                    "422": err("Validation failed; `error.fields` lists each problem"),
                    "408": timeout, "429": busy, "503": down
                }
            }},
            "/api/v1/complaints/status": {"get": {
                "operationId": "complaintStatus",
                "security": [{"submissionToken": []}],
                "responses": {
                    "200": {"description": "The reporter's view", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReporterView"}}}},
                    "400": err("Malformed token (a typo is reported as `token_typo`)"),
                    "401": err("No `Authorization: Bearer` token, or another scheme"),
                    "404": err("No case matches the token"), "408": timeout, "429": busy, "503": down
                }
            }},
            "/api/v1/complaints/attachments": attachments,
            "/api/v1/complaints/messages": {"post": {
                "operationId": "addInformation",
                "security": [{"submissionToken": []}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": false, "required": ["text"],
                    "properties": {"text": required(MAX_MESSAGE)}
                }}}},
                "responses": {
                    "201": {"description": "Added; the updated view", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReporterView"}}}},
                    "400": err("Malformed request or token"), "401": err("No `Authorization: Bearer` token, or another scheme"),
                    "404": err("No case matches the token"), "409": err("The case is closed"),
                    "413": err("Body too large"), "415": err("Not JSON"),
                    "422": err("Validation failed"), "408": timeout, "429": busy, "503": down
                }
            }}
        },
        "components": {
            "securitySchemes": {"submissionToken": {"type": "http", "scheme": "bearer", "description": "The submission token from the receipt"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                   "fields": {"type": "array", "items": {"type": "object"}}}
                }}},
                "ComplaintInput": {
                    "type": "object", "additionalProperties": false,
                    "required": ["track", "category", "subject", "description", "relationship"],
                    "properties": {
                        "track": {"type": "string", "enum": codes(Track::ALL, Track::code)},
                        "category": {"type": "string", "enum": codes(Category::ALL, Category::code),
                                     "description": "Must belong to the track"},
                        "subject": required(MAX_SUBJECT),
                        "description": required(MAX_DESCRIPTION),
                        "event_time": text(MAX_SHORT),
                        "event_place": text(MAX_SHORT),
                        "persons": {"type": "array", "maxItems": MAX_PERSONS, "items": {
                            "type": "object", "additionalProperties": false,
                            "properties": {"name": text(MAX_SHORT), "position": text(MAX_SHORT), "unit": text(MAX_SHORT)}
                        }},
                        "relationship": {"type": "string", "enum": codes(Relationship::ALL, Relationship::code)},
                        "concerns_unit": {"type": "string", "description": "Code of a configured unit the complaint concerns"},
                        "reporter": {"type": "object", "additionalProperties": false, "description": "Omit to stay anonymous",
                            "properties": {
                                "name": text(MAX_SHORT),
                                "national_id": {"type": "string", "description": "13-digit Thai national ID, checked by its check digit"},
                                "phone": text(30), "email": text(254), "address": text(500)
                            }}
                    }
                },
                "Attachment": attachment,
                "Receipt": {"type": "object", "properties": {
                    "reference": {"type": "string", "example": "2569-0001"},
                    "token": {"type": "string", "description": "Shown once"},
                    "fiscal_year": {"type": "integer"},
                    "track": {"type": "string"}, "category": {"type": "string"}, "status": {"type": "string"},
                    "received_on": {"type": "string", "format": "date"},
                    "acknowledge_due": {"type": "string", "format": "date"},
                    "result_due": {"type": "string", "format": "date"},
                    "anonymous": {"type": "boolean"}
                }},
                "ReporterView": {"type": "object", "properties": {
                    "reference": {"type": "string"},
                    "track": {"type": "string"}, "category": {"type": "string"},
                    "status": {"type": "string", "enum": codes(Status::ALL, Status::code)},
                    "received_on": {"type": "string", "format": "date"},
                    "status_changed_on": {"type": "string", "format": "date"},
                    "acknowledge_due": {"type": "string", "format": "date"},
                    "result_due": {"type": "string", "format": "date"},
                    "messages": {"type": "array", "items": {"type": "object", "properties": {
                        "from": {"type": "string", "enum": ["reporter", "officer"]},
                        "sent_on": {"type": "string", "format": "date"},
                        "text": {"type": "string"}
                    }}},
                    "complaint": filed,
                    "anonymous": {"type": "boolean"},
                    "attachments": {"type": "array", "items": {"$ref": "#/components/schemas/Attachment"}},
                    "identity_disclosures": disclosures
                }}
            }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(spec())
}
