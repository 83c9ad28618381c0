//! A complaint as the reporter submits it, parsed once into a value that cannot be invalid.
use super::complaint::{Category, Relationship, Track};
use super::national_id::NationalId;
use super::text::{BoundedText, TextError};
use serde::{Deserialize, Serialize};

pub const MAX_SUBJECT: usize = 200;
pub const MAX_DESCRIPTION: usize = 10_000;
pub const MAX_SHORT: usize = 300;
pub const MAX_ADDRESS: usize = 500;
pub const MAX_PERSONS: usize = 5;
pub const MAX_MESSAGE: usize = 5_000;

/// Raw input, as strings, from either the HTML form or the JSON API.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmissionInput {
    #[serde(default)]
    pub track: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub event_time: String,
    #[serde(default)]
    pub event_place: String,
    #[serde(default)]
    pub persons: Vec<PersonInput>,
    #[serde(default)]
    pub relationship: String,
    #[serde(default)]
    pub concerns_unit: String,
    #[serde(default)]
    pub reporter: Option<ReporterInput>,
}

#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub unit: String,
}

#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReporterInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub national_id: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub address: String,
}

/// What is sealed to the case's unit and escrow.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ComplaintContent {
    pub subject: BoundedText,
    pub description: BoundedText,
    pub event_time: Option<BoundedText>,
    pub event_place: Option<BoundedText>,
    pub persons: Vec<PersonConcerned>,
    pub relationship: Relationship,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PersonConcerned {
    pub name: Option<BoundedText>,
    pub position: Option<BoundedText>,
    pub unit: Option<BoundedText>,
}

/// What is sealed to the identity custodians and escrow only.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReporterIdentity {
    pub name: Option<BoundedText>,
    pub national_id: Option<BoundedText>,
    pub phone: Option<BoundedText>,
    pub email: Option<BoundedText>,
    pub address: Option<BoundedText>,
}

#[derive(Clone, Debug)]
pub struct Submission {
    pub track: Track,
    pub category: Category,
    pub content: ComplaintContent,
    pub concerns_unit: Option<String>,
    pub identity: Option<ReporterIdentity>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Required,
    /// A list or a set of radio buttons left without a choice.
    NotChosen,
    TooLong {
        max_chars: usize,
    },
    ControlCharacter,
    InvalidChoice,
    CategoryOfOtherTrack,
    TooManyPersons {
        max: usize,
    },
    NationalId {
        code: &'static str,
        th: &'static str,
    },
    Phone,
    Email,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub problem: Problem,
}

impl Problem {
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Required | Problem::NotChosen => "required",
            Problem::TooLong { .. } => "too_long",
            Problem::ControlCharacter => "control_character",
            Problem::InvalidChoice => "invalid_choice",
            Problem::CategoryOfOtherTrack => "category_of_other_track",
            Problem::TooManyPersons { .. } => "too_many_persons",
            Problem::NationalId { code, .. } => code,
            Problem::Phone => "invalid_phone",
            Problem::Email => "invalid_email",
        }
    }

    pub fn message_th(&self) -> String {
        match self {
            Problem::Required => "กรุณากรอกข้อมูลช่องนี้".into(),
            Problem::NotChosen => "กรุณาเลือกรายการใดรายการหนึ่ง".into(),
            Problem::TooLong { max_chars } => format!("ข้อความยาวเกิน {max_chars} ตัวอักษร"),
            Problem::ControlCharacter => "มีอักขระที่ไม่อนุญาต".into(),
            Problem::InvalidChoice => "กรุณาเลือกจากรายการที่กำหนด".into(),
            Problem::CategoryOfOtherTrack => "ประเภทเรื่องไม่ตรงกับช่องทางที่เลือก".into(),
            Problem::TooManyPersons { max } => format!("ระบุบุคคลได้ไม่เกิน {max} คน"),
            Problem::NationalId { th, .. } => (*th).into(),
            Problem::Phone => "หมายเลขโทรศัพท์ไม่ถูกต้อง (ตัวเลข 9–15 หลัก)".into(),
            Problem::Email => "ที่อยู่อีเมลไม่ถูกต้อง".into(),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            Problem::Required => "This field is required".into(),
            Problem::NotChosen => "Please choose one".into(),
            Problem::TooLong { max_chars } => format!("Longer than {max_chars} characters"),
            Problem::ControlCharacter => "Contains characters that are not allowed".into(),
            Problem::InvalidChoice => "Choose one of the listed values".into(),
            Problem::CategoryOfOtherTrack => "The category does not belong to this track".into(),
            Problem::TooManyPersons { max } => format!("At most {max} persons"),
            Problem::NationalId { .. } => "The national ID number is not valid".into(),
            Problem::Phone => "The phone number is not valid (9-15 digits)".into(),
            Problem::Email => "The e-mail address is not valid".into(),
        }
    }
}

/// Collects every field's problem at once so a form can show them all together.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, field: &'static str, problem: Problem) {
        self.0.push(FieldError { field, problem });
    }

    fn text(&mut self, field: &'static str, input: &str, max: usize) -> Option<BoundedText> {
        match BoundedText::parse(input, max) {
            Ok(t) => Some(t),
            Err(e) => {
                self.push(field, text_problem(e));
                None
            }
        }
    }

    fn optional(&mut self, field: &'static str, input: &str, max: usize) -> Option<BoundedText> {
        match BoundedText::parse_optional(input, max) {
            Ok(t) => t,
            Err(e) => {
                self.push(field, text_problem(e));
                None
            }
        }
    }
}

fn text_problem(e: TextError) -> Problem {
    match e {
        TextError::Empty => Problem::Required,
        TextError::TooLong { max_chars } => Problem::TooLong { max_chars },
        TextError::ControlCharacter => Problem::ControlCharacter,
    }
}

impl Submission {
    /// Parses raw input; `known_units` are the unit codes a complaint may say it concerns.
    pub fn parse(input: &SubmissionInput, known_units: &[&str]) -> Result<Self, Vec<FieldError>> {
        let mut errors = Errors::default();
        let track = Track::from_code(input.track.trim());
        if track.is_none() {
            errors.push("track", Problem::InvalidChoice);
        }
        let category = match (Category::from_code(input.category.trim()), track) {
            (None, _) if input.category.trim().is_empty() => {
                errors.push("category", Problem::NotChosen);
                None
            }
            (None, _) => {
                errors.push("category", Problem::InvalidChoice);
                None
            }
            (Some(c), Some(t)) if c.track() != t => {
                errors.push("category", Problem::CategoryOfOtherTrack);
                None
            }
            (Some(c), _) => Some(c),
        };
        let subject = errors.text("subject", &input.subject, MAX_SUBJECT);
        let description = errors.text("description", &input.description, MAX_DESCRIPTION);
        let event_time = errors.optional("event_time", &input.event_time, MAX_SHORT);
        let event_place = errors.optional("event_place", &input.event_place, MAX_SHORT);
        let relationship = match input.relationship.trim() {
            "" => {
                errors.push("relationship", Problem::NotChosen);
                None
            }
            code => {
                let r = Relationship::from_code(code);
                if r.is_none() {
                    errors.push("relationship", Problem::InvalidChoice);
                }
                r
            }
        };
        if input.persons.len() > MAX_PERSONS {
            errors.push("persons", Problem::TooManyPersons { max: MAX_PERSONS });
        }
        let persons: Vec<PersonConcerned> = input
            .persons
            .iter()
            .take(MAX_PERSONS)
            .map(|p| PersonConcerned {
                name: errors.optional("persons", &p.name, MAX_SHORT),
                position: errors.optional("persons", &p.position, MAX_SHORT),
                unit: errors.optional("persons", &p.unit, MAX_SHORT),
            })
            .filter(|p| p.name.is_some() || p.position.is_some() || p.unit.is_some())
            .collect();
        let concerns_unit = match input.concerns_unit.trim() {
            "" => None,
            code if known_units.contains(&code) => Some(code.to_owned()),
            _ => {
                errors.push("concerns_unit", Problem::InvalidChoice);
                None
            }
        };
        let identity = input.reporter.as_ref().and_then(|r| parse_identity(r, &mut errors));

        match (track, category, subject, description, relationship) {
            (Some(track), Some(category), Some(subject), Some(description), Some(relationship))
                if errors.0.is_empty() =>
            {
                Ok(Submission {
                    track,
                    category,
                    content: ComplaintContent {
                        subject,
                        description,
                        event_time,
                        event_place,
                        persons,
                        relationship,
                    },
                    concerns_unit,
                    identity,
                })
            }
            _ => Err(errors.0),
        }
    }
}

fn parse_identity(r: &ReporterInput, errors: &mut Errors) -> Option<ReporterIdentity> {
    let national_id = match r.national_id.trim() {
        "" => None,
        raw => match NationalId::parse(raw) {
            Ok(id) => BoundedText::parse_optional(id.as_str(), 13).ok().flatten(),
            Err(e) => {
                errors
                    .push("reporter.national_id", Problem::NationalId { code: e.code(), th: e.message_th() });
                None
            }
        },
    };
    let phone = errors.optional("reporter.phone", &r.phone, 30);
    if let Some(p) = &phone {
        let ok_chars = p
            .as_str()
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == ' ' || c == '-' || (i == 0 && c == '+'));
        let digits = p.as_str().chars().filter(char::is_ascii_digit).count();
        if !ok_chars || !(9..=15).contains(&digits) {
            errors.push("reporter.phone", Problem::Phone);
        }
    }
    let email = errors.optional("reporter.email", &r.email, 254);
    if let Some(e) = &email {
        let valid = match e.as_str().split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
                    && !e.as_str().chars().any(char::is_whitespace)
            }
            None => false,
        };
        if !valid {
            errors.push("reporter.email", Problem::Email);
        }
    }
    let identity = ReporterIdentity {
        name: errors.optional("reporter.name", &r.name, MAX_SHORT),
        national_id,
        phone,
        email,
        address: errors.optional("reporter.address", &r.address, MAX_ADDRESS),
    };
    let given = identity.name.is_some()
        || identity.national_id.is_some()
        || identity.phone.is_some()
        || identity.email.is_some()
        || identity.address.is_some();
    given.then_some(identity)
}

/// A follow-up message from the reporter, parsed once.
pub fn parse_message(input: &str) -> Result<BoundedText, Problem> {
    BoundedText::parse(input, MAX_MESSAGE).map_err(text_problem)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn valid() -> SubmissionInput {
        SubmissionInput {
            track: "corruption".into(),
            category: "bribery".into(),
            subject: "เรียกรับเงิน".into(),
            description: "เจ้าหน้าที่เรียกรับเงินเพื่อออกใบอนุญาต".into(),
            relationship: "witness".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_minimal_anonymous_report_parses() {
        let s = Submission::parse(&valid(), &["palad"]).unwrap();
        assert!(s.identity.is_none());
        assert_eq!(s.category, Category::Bribery);
    }

    #[test]
    fn blank_identity_fields_mean_anonymous() {
        let mut input = valid();
        input.reporter = Some(ReporterInput { name: "  ".into(), ..Default::default() });
        assert!(Submission::parse(&input, &[]).unwrap().identity.is_none());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut input = valid();
        input.category = "infrastructure".into();
        input.subject = String::new();
        input.concerns_unit = "nowhere".into();
        input.reporter = Some(ReporterInput {
            national_id: "1234567890123".into(),
            phone: "12ab".into(),
            email: "not-an-email".into(),
            ..Default::default()
        });
        let errors = Submission::parse(&input, &["palad"]).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        for f in [
            "category",
            "subject",
            "concerns_unit",
            "reporter.national_id",
            "reporter.phone",
            "reporter.email",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }
}
