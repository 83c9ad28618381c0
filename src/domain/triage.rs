//! The triage workflow: new → acknowledged → in progress → concluded, or not accepted with a reason.
use super::complaint::Status;
use serde::{Deserialize, Serialize};

vocabulary! {
    /// How a concluded case ended.
    Outcome {
        Substantiated = "substantiated", "ข้อร้องเรียนมีมูล ดำเนินการแล้ว", "Substantiated, acted upon";
        Unsubstantiated = "unsubstantiated", "ข้อร้องเรียนไม่มีมูล", "Unsubstantiated";
        Referred = "referred", "ส่งเรื่องให้หน่วยงานอื่นดำเนินการ", "Referred to another agency";
    }
}

vocabulary! {
    /// Where a referred case went.
    Agency {
        Nacc = "nacc", "สำนักงาน ป.ป.ช.", "National Anti-Corruption Commission (NACC)";
        Pacc = "pacc", "สำนักงาน ป.ป.ท.", "Public Sector Anti-Corruption Commission (PACC)";
        Ombudsman = "ombudsman", "สำนักงานผู้ตรวจการแผ่นดิน", "Office of the Ombudsman";
        District = "district", "อำเภอ/จังหวัด", "District or provincial office";
        Police = "police", "สถานีตำรวจ", "Police";
        AgencyOther = "other_agency", "หน่วยงานอื่น", "Another agency";
    }
}

vocabulary! {
    /// Why a case was not accepted.
    RejectionReason {
        InCourt = "in_court", "เรื่องอยู่ระหว่างการพิจารณาของศาลหรือศาลพิพากษาถึงที่สุดแล้ว", "Before a court or finally decided by one";
        OutsideAuthority = "outside_authority", "ไม่อยู่ในอำนาจหน้าที่ของหน่วยงาน", "Outside the body's authority";
        NotSpecific = "not_specific", "เรื่องไม่ระบุชื่อที่ขาดรายละเอียดเพียงพอต่อการตรวจสอบ", "Anonymous report not specific enough";
        Duplicate = "duplicate", "เป็นเรื่องเดียวกับที่รับไว้แล้ว", "Duplicate of a case already received";
        AlreadySettled = "already_settled", "เป็นเรื่องที่ยุติแล้วและไม่มีข้อเท็จจริงใหม่", "Already settled, no new facts";
        ReasonOther = "other_reason", "เหตุผลอื่น", "Other reason";
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Acknowledge,
    Start,
    Conclude { outcome: Outcome, agency: Option<Agency> },
    NotAccept { reason: RejectionReason },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TriageError {
    #[error("a case that is {from} cannot be {action}")]
    NotAllowed { from: &'static str, action: &'static str },
    #[error("a referred case needs the agency it went to")]
    AgencyMissing,
}

impl TriageError {
    pub fn message_th(self) -> &'static str {
        match self {
            TriageError::NotAllowed { .. } => "สถานะของเรื่องเปลี่ยนไปแล้วหรือไม่สามารถดำเนินการนี้ได้",
            TriageError::AgencyMissing => "กรุณาระบุหน่วยงานที่ส่งเรื่องไป",
        }
    }
}

impl Action {
    pub fn code(self) -> &'static str {
        match self {
            Action::Acknowledge => "acknowledge",
            Action::Start => "start",
            Action::Conclude { .. } => "conclude",
            Action::NotAccept { .. } => "not_accept",
        }
    }

    /// The status this action leads to from `from`, if the workflow allows it.
    pub fn apply(self, from: Status) -> Result<Status, TriageError> {
        use Status::*;
        let to = match (from, self) {
            (New, Action::Acknowledge) => Acknowledged,
            (Acknowledged, Action::Start) => InProgress,
            (Acknowledged | InProgress, Action::Conclude { outcome, agency }) => {
                if outcome == Outcome::Referred && agency.is_none() {
                    return Err(TriageError::AgencyMissing);
                }
                Concluded
            }
            (New | Acknowledged | InProgress, Action::NotAccept { .. }) => NotAccepted,
            _ => return Err(TriageError::NotAllowed { from: from.code(), action: self.code() }),
        };
        Ok(to)
    }

    /// The outcome or reason code recorded with the transition.
    pub fn detail_code(self) -> Option<&'static str> {
        match self {
            Action::Conclude { outcome, .. } => Some(outcome.code()),
            Action::NotAccept { reason } => Some(reason.code()),
            _ => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_workflow_moves_forward_only() {
        assert_eq!(Action::Acknowledge.apply(Status::New), Ok(Status::Acknowledged));
        assert_eq!(Action::Start.apply(Status::Acknowledged), Ok(Status::InProgress));
        let done = Action::Conclude { outcome: Outcome::Substantiated, agency: None };
        assert_eq!(done.apply(Status::InProgress), Ok(Status::Concluded));
        assert!(done.apply(Status::New).is_err(), "a case is acknowledged before it is concluded");
        assert!(Action::Acknowledge.apply(Status::Concluded).is_err());
        let no = Action::NotAccept { reason: RejectionReason::InCourt };
        assert_eq!(no.apply(Status::New), Ok(Status::NotAccepted));
        assert!(no.apply(Status::NotAccepted).is_err());
    }

    #[test]
    fn a_referral_names_the_agency() {
        let referred = Action::Conclude { outcome: Outcome::Referred, agency: None };
        assert_eq!(referred.apply(Status::InProgress), Err(TriageError::AgencyMissing));
        let referred = Action::Conclude { outcome: Outcome::Referred, agency: Some(Agency::Nacc) };
        assert_eq!(referred.apply(Status::InProgress), Ok(Status::Concluded));
    }
}
