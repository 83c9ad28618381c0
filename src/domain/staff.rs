//! Staff: roles, usernames and the password policy, parsed once.
use serde::{Deserialize, Serialize};

vocabulary! {
    /// What a staff account may do; a person may hold several.
    Role {
        IntakeOfficer = "intake_officer", "เจ้าหน้าที่ศูนย์รับเรื่องร้องเรียน", "Intake officer";
        UnitOfficer = "unit_officer", "เจ้าหน้าที่กอง/ฝ่าย", "Unit officer";
        IdentityCustodian = "identity_custodian", "ผู้ดูแลข้อมูลผู้แจ้ง", "Identity custodian";
        Administrator = "administrator", "ผู้ดูแลระบบ", "Administrator";
        Auditor = "auditor", "ผู้ตรวจสอบ", "Auditor";
    }
}

/// A set of roles, stored as comma-separated codes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roles(Vec<Role>);

impl Roles {
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Self {
        let mut v: Vec<Role> = Vec::new();
        for r in roles {
            if !v.contains(&r) {
                v.push(r);
            }
        }
        Self(v)
    }

    pub fn parse(stored: &str) -> Option<Self> {
        stored
            .split(',')
            .filter(|s| !s.is_empty())
            .map(Role::from_code)
            .collect::<Option<Vec<_>>>()
            .map(Self::new)
    }

    pub fn has(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn stored(&self) -> String {
        self.0.iter().map(|r| r.code()).collect::<Vec<_>>().join(",")
    }
}

/// 3–32 characters of a-z, 0-9, '.', '_' and '-', starting with a letter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Option<Self> {
        let s = input.trim().to_ascii_lowercase();
        let ok = (3..=32).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        ok.then_some(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    /// Common, guessable or built from the account's own name (zxcvbn score below 3).
    Guessable,
}

impl PasswordProblem {
    pub fn message_th(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "รหัสผ่านต้องยาวอย่างน้อย 12 ตัวอักษร",
            PasswordProblem::TooLong => "รหัสผ่านยาวเกิน 128 ตัวอักษร",
            PasswordProblem::Guessable => "รหัสผ่านนี้เดาง่ายหรือเป็นรหัสผ่านที่ใช้กันทั่วไป กรุณาตั้งใหม่",
        }
    }

    pub fn message_en(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "The password must be at least 12 characters long",
            PasswordProblem::TooLong => "The password must be at most 128 characters long",
            PasswordProblem::Guessable => "This password is common or easy to guess; choose another",
        }
    }
}

/// Checks a new password: length, then zxcvbn's estimate against common passwords, dictionary words,
/// keyboard patterns and the account's own names.
pub fn check_new_password(password: &str, own_words: &[&str]) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    if (zxcvbn::zxcvbn(password, own_words).score() as u8) < 3 {
        return Err(PasswordProblem::Guessable);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_ignore_duplicates() {
        let r = Roles::new([Role::IntakeOfficer, Role::Auditor, Role::IntakeOfficer]);
        assert_eq!(r.stored(), "intake_officer,auditor");
        assert_eq!(Roles::parse(&r.stored()), Some(r));
        assert_eq!(Roles::parse("intake_officer,wizard"), None);
    }

    #[test]
    fn usernames_are_plain_lowercase() {
        assert_eq!(Username::parse(" Somchai.K ").unwrap().as_str(), "somchai.k");
        assert!(Username::parse("ab").is_none());
        assert!(Username::parse("1abc").is_none());
        assert!(Username::parse("som chai").is_none());
    }

    #[test]
    fn common_and_short_passwords_are_refused() {
        assert_eq!(check_new_password("short", &[]), Err(PasswordProblem::TooShort));
        assert_eq!(check_new_password("password1234", &[]), Err(PasswordProblem::Guessable));
        assert_eq!(check_new_password("somchaisomchai", &["somchai"]), Err(PasswordProblem::Guessable));
        assert_eq!(check_new_password("qwertyuiop123", &[]), Err(PasswordProblem::Guessable));
        assert!(check_new_password("ลำไยสุกหวานฉ่ำ-river-47-kite", &[]).is_ok());
    }
}
