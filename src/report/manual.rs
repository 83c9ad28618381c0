//! The complaint-handling manuals (คู่มือการปฏิบัติงาน) of the two tracks, made from configuration:
//! the channels, the steps from receipt to the answer, the responsible unit, the time limits of
//! `[deadlines]` and the protection of the reporter. One model, printed as a public page and as DOCX.
use crate::config::Settings;
use crate::domain::complaint::Track;
use crate::domain::deadline::DayCount;
use crate::domain::thai::thai_digits;

pub struct Manual {
    pub track: Track,
    pub title: String,
    pub purpose: String,
    pub unit: String,
    /// (channel, how to use it)
    pub channels: Vec<(String, String)>,
    /// (step, who, time limit): the flowchart's boxes, in order.
    pub steps: Vec<(String, String, String)>,
    pub protection: Vec<String>,
}

pub fn parse_track(s: &str) -> Option<Track> {
    Track::from_code(s)
}

pub fn manual(settings: &Settings, track: Track) -> Manual {
    let org = &settings.organisation;
    let d = &settings.deadlines;
    let unit = match d.count {
        DayCount::CalendarDays => "วัน",
        DayCount::WorkingDays => "วันทำการ",
    };
    let days = |n: u16| thai_digits(&format!("ภายใน {n} {unit}"));
    let (title, what) = match track {
        Track::Corruption => (
            "คู่มือการปฏิบัติงานเรื่องร้องเรียนการทุจริตและประพฤติมิชอบ",
            "เรื่องร้องเรียนการทุจริตและประพฤติมิชอบของเจ้าหน้าที่และผู้บริหาร",
        ),
        Track::General => ("คู่มือการปฏิบัติงานเรื่องร้องเรียน/ร้องทุกข์ทั่วไป", "เรื่องร้องเรียน/ร้องทุกข์ทั่วไป"),
    };
    let online = format!("{}/report/{}", settings.server.public_base_url.trim_end_matches('/'), track.code());
    let address = if org.address_th.is_empty() { org.office_th.clone() } else { org.address_th.clone() };
    let mut steps = vec![
        (
            "รับเรื่องร้องเรียนจากทุกช่องทาง บันทึกเข้าระบบและออกรหัสติดตามเรื่อง".to_owned(),
            org.office_th.clone(),
            "ในวันที่ได้รับเรื่อง".to_owned(),
        ),
        (
            "ตรวจสอบเบื้องต้น คัดแยกประเภทเรื่อง และส่งให้หน่วยงานที่รับผิดชอบ (เรื่องที่เกี่ยวกับหัวหน้าหน่วยงานใดจะไม่ส่งให้หน่วยงานนั้น)"
                .to_owned(),
            "ศูนย์รับเรื่องร้องเรียน".to_owned(),
            "ในวันที่ได้รับเรื่องหรือวันทำการถัดไป".to_owned(),
        ),
        (
            "ตอบรับเรื่องหรือแจ้งผู้ร้องว่าไม่รับไว้พิจารณาพร้อมเหตุผล".to_owned(),
            "ศูนย์รับเรื่องร้องเรียน".to_owned(),
            format!("{} นับแต่วันที่รับเรื่อง", days(d.acknowledge_days)),
        ),
        (
            "ตรวจสอบข้อเท็จจริง หรือส่งต่อหน่วยงานที่มีอำนาจ".to_owned(),
            "หน่วยงานที่รับผิดชอบ".to_owned(),
            format!("แจ้งความคืบหน้าหรือผล{} นับแต่วันที่รับเรื่อง", days(d.result_days)),
        ),
        (
            "แจ้งผลการดำเนินการให้ผู้ร้องทราบทางระบบ (ผู้ร้องใช้รหัสติดตามเรื่อง) และยุติเรื่อง".to_owned(),
            "หน่วยงานที่รับผิดชอบ".to_owned(),
            "เมื่อดำเนินการแล้วเสร็จ".to_owned(),
        ),
        (
            "รายงานสถิติเรื่องร้องเรียนรายเดือน รายไตรมาส รอบ ๖ เดือน และทั้งปี เผยแพร่ทางเว็บไซต์".to_owned(),
            org.office_th.clone(),
            "ทุกเดือน".to_owned(),
        ),
    ];
    if track == Track::Corruption {
        steps.insert(
            3,
            (
                "เรื่องที่มีมูลเกี่ยวกับการทุจริต เสนอผู้บริหารเพื่อแต่งตั้งกรรมการสอบข้อเท็จจริง หรือส่งสำนักงาน ป.ป.ช. / ป.ป.ท. ตามอำนาจหน้าที่"
                    .to_owned(),
                "ปลัด / นายก".to_owned(),
                "ตามระเบียบที่เกี่ยวข้อง".to_owned(),
            ),
        );
    }
    Manual {
        track,
        title: title.to_owned(),
        purpose: format!(
            "คู่มือนี้กำหนดขั้นตอนการรับและจัดการ{what}ของ{} {} เพื่อให้การดำเนินการเป็นมาตรฐานเดียวกัน \
             โปร่งใส ตรวจสอบได้ และตอบผู้ร้องภายในระยะเวลาที่กำหนด",
            org.name_th, org.locality_th
        ),
        unit: org.office_th.clone(),
        channels: vec![
            ("ช่องทางออนไลน์".to_owned(), format!("{online} (ตลอด ๒๔ ชั่วโมง ไม่ต้องระบุชื่อก็ได้)")),
            ("ยื่นด้วยตนเอง".to_owned(), format!("{address} ในวันและเวลาราชการ")),
            ("หนังสือ/จดหมาย".to_owned(), format!("ส่งถึง {} {address}", org.office_th)),
            ("โทรศัพท์".to_owned(), org.contact_th.clone()),
        ],
        steps,
        protection: vec![
            "ผู้แจ้งไม่ต้องเปิดเผยชื่อก็ได้ เรื่องที่ไม่ระบุชื่อจะรับไว้พิจารณาเมื่อมีรายละเอียดเพียงพอ (วัน เวลา สถานที่ บุคคล หลักฐาน)"
                .to_owned(),
            "เนื้อหาเรื่องและข้อมูลผู้แจ้งถูกเข้ารหัสก่อนจัดเก็บ ผู้ที่เปิดอ่านได้มีเฉพาะเจ้าหน้าที่ผู้รับผิดชอบเรื่อง".to_owned(),
            "ข้อมูลตัวตนของผู้แจ้งเปิดได้เฉพาะผู้ดูแลข้อมูลผู้แจ้ง เมื่อมีคำขอพร้อมเหตุผลและได้รับอนุมัติ ทุกครั้งมีการบันทึกตรวจสอบ \
             และนับรวมในรายงานประจำปี"
                .to_owned(),
            "ระบบไม่บันทึกที่อยู่ IP ของผู้แจ้ง และไม่ส่งเนื้อหาเรื่องทางไปรษณีย์อิเล็กทรอนิกส์".to_owned(),
            "เรื่องที่เกี่ยวกับหัวหน้าหน่วยงานใด ระบบจะไม่ส่งให้หน่วยงานนั้นพิจารณา".to_owned(),
        ],
    }
}
