//! The closed vocabularies of a case: intake track, category, channel, status and how the reporter knows.
use serde::{Deserialize, Serialize};

vocabulary! {
    /// The two intake tracks the ITA assessment requires to be separate.
    Track {
        Corruption = "corruption", "แจ้งเบาะแสการทุจริตและประพฤติมิชอบ", "Corruption and misconduct report";
        General = "general", "ร้องเรียน/ร้องทุกข์ทั่วไป", "General complaint";
    }
}

vocabulary! {
    /// Categories of both tracks; each belongs to exactly one track.
    Category {
        Embezzlement = "embezzlement", "ยักยอกทรัพย์สินของทางราชการ", "Embezzlement";
        Bribery = "bribery", "เรียกรับสินบน", "Bribery";
        AbuseOfPower = "abuse_of_power", "ใช้อำนาจหน้าที่โดยมิชอบ", "Abuse of authority";
        ConflictOfInterest = "conflict_of_interest", "ผลประโยชน์ทับซ้อน", "Conflict of interest";
        Procurement = "procurement", "ทุจริตในการจัดซื้อจัดจ้าง", "Procurement fraud";
        CorruptionOther = "corruption_other", "อื่น ๆ", "Other misconduct";
        Infrastructure = "infrastructure", "ถนน ไฟฟ้า ประปา และสาธารณูปโภค", "Roads, lighting, water and utilities";
        Nuisance = "nuisance", "เหตุเดือดร้อนรำคาญและสิ่งแวดล้อม", "Nuisance and environment";
        TaxAndFees = "tax_and_fees", "ภาษีและค่าธรรมเนียม", "Local taxes and fees";
        ServiceQuality = "service_quality", "การให้บริการของหน่วยงาน", "Quality of service";
        StaffConduct = "staff_conduct", "พฤติกรรมของเจ้าหน้าที่", "Conduct of staff";
        GeneralOther = "general_other", "อื่น ๆ", "Other";
    }
}

impl Category {
    pub fn track(self) -> Track {
        use Category::*;
        match self {
            Embezzlement | Bribery | AbuseOfPower | ConflictOfInterest | Procurement | CorruptionOther => {
                Track::Corruption
            }
            Infrastructure | Nuisance | TaxAndFees | ServiceQuality | StaffConduct | GeneralOther => {
                Track::General
            }
        }
    }

    pub fn of_track(track: Track) -> impl Iterator<Item = Category> {
        Category::ALL.iter().copied().filter(move |c| c.track() == track)
    }
}

vocabulary! {
    /// How the reporter knows about what they report.
    Relationship {
        Witness = "witness", "ผู้พบเห็นเหตุการณ์", "Witnessed it";
        Victim = "victim", "ผู้เสียหาย", "Was harmed by it";
        Insider = "insider", "ผู้ปฏิบัติงานในหน่วยงาน", "Works in the organisation";
        ToldByOthers = "told_by_others", "ได้รับแจ้งจากผู้อื่น", "Was told by someone";
        RelationshipOther = "other", "อื่น ๆ", "Other";
    }
}

vocabulary! {
    /// The way a case reached the body; the online form always records `Online`.
    Channel {
        Online = "online", "ช่องทางออนไลน์", "Online";
        WalkIn = "walk_in", "ยื่นด้วยตนเอง", "In person";
        Letter = "letter", "หนังสือ/จดหมาย", "Letter";
        Phone = "phone", "โทรศัพท์", "Telephone";
        Email = "email", "ไปรษณีย์อิเล็กทรอนิกส์", "E-mail";
        OtherAgency = "other_agency", "ส่งต่อจากหน่วยงานอื่น", "Referred by another agency";
    }
}

vocabulary! {
    /// Triage state of a case as the reporter and officers see it.
    Status {
        New = "new", "รับเรื่องแล้ว รอตรวจสอบ", "Received, awaiting review";
        Acknowledged = "acknowledged", "ตอบรับเรื่องแล้ว", "Acknowledged";
        InProgress = "in_progress", "อยู่ระหว่างดำเนินการ", "In progress";
        Concluded = "concluded", "ดำเนินการแล้วเสร็จ", "Concluded";
        NotAccepted = "not_accepted", "ไม่รับไว้พิจารณา", "Not accepted";
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in Category::ALL {
            assert_eq!(Category::from_code(c.code()), Some(*c));
            assert!(seen.insert(c.code()));
        }
        assert_eq!(Track::from_code("nonsense"), None);
    }

    #[test]
    fn corruption_track_has_the_six_categories_ita_names() {
        let codes: Vec<_> = Category::of_track(Track::Corruption).map(|c| c.code()).collect();
        assert_eq!(
            codes,
            [
                "embezzlement",
                "bribery",
                "abuse_of_power",
                "conflict_of_interest",
                "procurement",
                "corruption_other"
            ]
        );
    }
}
