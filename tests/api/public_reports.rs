//! The public ITA evidence: the statistics, the manuals and the protection measures carry the
//! organisation's name and the site's navigation and are linked from the home page; the manual
//! and the memo come as DOCX.
use crate::helpers::{Db, spawn};
use crate::on_both_databases;
use crate::report::{admin_session, fixture};
use std::io::Read;

/// REPORT_PAGES_DIR=dir keeps the file, to convert and look at.
fn keep(name: &str, bytes: &[u8]) {
    if let Some(dir) = std::env::var_os("REPORT_PAGES_DIR") {
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(std::path::Path::new(&dir).join(name), bytes).expect("write");
    }
}

fn docx_xml(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip file");
    let mut xml = String::new();
    zip.by_name("word/document.xml").expect("document.xml").read_to_string(&mut xml).expect("utf-8");
    xml
}

async fn the_public_evidence_pages_name_the_body_and_link_each_other(db: Db) {
    let Some(app) = spawn(db, |s| s.limits.browse.burst = 1000).await else { return };
    fixture(&app).await;
    let get = |path: &'static str| {
        let app = &app;
        async move {
            let r = app.client.get(app.url(path)).send().await.expect("get");
            assert_eq!(r.status(), 200, "{path}");
            r.text().await.expect("html")
        }
    };
    let home = get("/").await;
    for link in [
        "href=\"/statistics\"",
        "href=\"/manual?track=corruption\"",
        "href=\"/manual?track=general\"",
        "href=\"/protection\"",
    ] {
        assert!(home.contains(link), "the home page links {link}");
    }
    for path in
        ["/statistics?fy=2569", "/manual?track=corruption", "/manual?track=general", "/protection?fy=2569"]
    {
        let html = get(path).await;
        assert!(html.contains("องค์การบริหารส่วนตำบลโคกใหญ่"), "{path} names the organisation");
        assert!(
            html.contains("href=\"/manual\"") && html.contains("href=\"/statistics\""),
            "{path} has the navigation"
        );
    }
    let stats = get("/statistics?fy=2569").await;
    assert!(stats.contains("<option value=\"2569\" selected>"), "a year selector");
    assert!(stats.contains("หลักฐานประกอบการประเมิน ITA ข้อ O14"), "the ITA item from configuration");
    assert!(stats.contains("มีนาคม ๒๕๖๙ (ยังไม่สิ้นเดือน)"), "the month under way is marked as not complete");
    assert!(!stats.contains("ยังมาไม่ถึง"));
    assert!(stats.contains("รวมทั้งปีงบประมาณ พ.ศ. ๒๕๖๙") && stats.contains("รอบ ๖ เดือนแรก"));
    let empty = get("/statistics?fy=2570").await;
    assert!(empty.contains("เรื่องร้องเรียนการทุจริตและประพฤติมิชอบ: ไม่มีเรื่องร้องเรียน"));
    let manual = get("/manual?track=corruption").await;
    for text in [
        "คู่มือการปฏิบัติงานเรื่องร้องเรียนการทุจริตและประพฤติมิชอบ",
        "ภายใน ๑๕ วัน นับแต่วันที่รับเรื่อง",
        "ภายใน ๓๐ วัน",
        "/report/corruption",
        "ยื่นด้วยตนเอง",
        "โทรศัพท์ 0 4200 0000",
        "สำนักปลัดองค์การบริหารส่วนตำบลโคกใหญ่",
        "ผู้ดูแลข้อมูลผู้แจ้ง",
    ] {
        assert!(manual.contains(text), "the manual lacks `{text}`");
    }
    let r = app.client.get(app.url("/manual?track=nope")).send().await.expect("get");
    assert_eq!(r.status(), 400);
    let r = app.client.get(app.url("/manual.docx?track=general")).send().await.expect("get");
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.expect("bytes");
    keep("manual.docx", &bytes);
    let xml = docx_xml(&bytes);
    assert!(xml.contains("คู่มือการปฏิบัติงานเรื่องร้องเรียน/ร้องทุกข์ทั่วไป") && xml.contains("▼"), "a flowchart");
    assert!(xml.contains("w:left=\"1701\""), "official margins");

    let a = admin_session(&app).await;
    let r = app.staff_get(&app.client, &a, "/staff/admin/reports/memo?fy=2569").await;
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.expect("bytes");
    keep("memo.docx", &bytes);
    let xml = docx_xml(&bytes);
    for text in
        ["บันทึกข้อความ", "ส่วนราชการ", "เรื่อง", "เรียน", "นายกองค์การบริหารส่วนตำบลโคกใหญ่", "จึงเรียนมาเพื่อโปรดพิจารณา"]
    {
        assert!(xml.contains(text), "the memo lacks `{text}`");
    }
    let page = app.staff_get(&app.client, &a, "/staff/admin/reports").await.text().await.expect("html");
    for link in [
        "section=full&amp;format=docx",
        "section=protection&amp;format=xlsx",
        "section=statistics&amp;format=json",
        "/staff/admin/reports/memo?fy=",
        "<option value=\"docx\">",
    ] {
        assert!(page.contains(link), "the reports page offers {link}");
    }
}

on_both_databases!(the_public_evidence_pages_name_the_body_and_link_each_other);
