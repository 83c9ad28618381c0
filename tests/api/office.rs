//! The DOCX and XLSX exports are valid files with the report's text and numbers; LibreOffice turns
//! the DOCX into a PDF that still carries the Thai text.
use crate::helpers::{Db, spawn};
use crate::on_both_databases;
use crate::report::{admin_session, fixture};
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use std::io::{Cursor, Read};

fn docx_text(bytes: &[u8]) -> (String, Vec<String>) {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip file");
    let names: Vec<String> = zip.file_names().map(|n| n.expect("name").into_owned()).collect();
    let mut xml = String::new();
    zip.by_name("word/document.xml").expect("document.xml").read_to_string(&mut xml).expect("utf-8");
    // The default fonts live in the styles part.
    zip.by_name("word/styles.xml").expect("styles.xml").read_to_string(&mut xml).expect("utf-8");
    // The page numbers live in the header parts.
    for name in names.iter().filter(|n| n.starts_with("word/header")) {
        zip.by_name(name).expect("header").read_to_string(&mut xml).expect("utf-8");
    }
    (xml, names)
}

async fn docx_and_xlsx_carry_the_report(db: Db) {
    let Some(app) = spawn(db, |s| s.limits.browse.burst = 1000).await else { return };
    fixture(&app).await;
    rongrian::report::measures_file::import_example_if_missing(
        &app.state.store,
        &app.state.settings,
        &app.changer(),
    )
    .await
    .expect("example");
    let fy = |y| rongrian::domain::fiscal_year::FiscalYear::from_be(y).expect("year");
    rongrian::report::measures_file::copy_forward(&app.state.store, fy(2568), fy(2569), &app.changer())
        .await
        .expect("copy");
    // The year is over: the report is final.
    let to_november = time::macros::datetime!(2026-11-02 09:00 +7) - app.clock.now_utc();
    app.clock.advance(to_november.unsigned_abs());
    let a = admin_session(&app).await;

    let r = app
        .staff_get(&app.client, &a, "/staff/admin/reports/download?fy=2569&section=full&format=docx")
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().expect("ascii").contains("wordprocessingml"));
    let docx = r.bytes().await.expect("bytes").to_vec();
    let (xml, names) = docx_text(&docx);
    if let Some(keep) = std::env::var_os("REPORT_PAGES_DIR") {
        std::fs::create_dir_all(&keep).expect("dir");
        std::fs::write(std::path::Path::new(&keep).join("report.docx"), &docx).expect("docx");
        // The HTML too, to print it to A4 in a browser and look at the pages.
        let html = app
            .staff_get(&app.client, &a, "/staff/admin/reports/download?fy=2569&section=full&format=html")
            .await
            .bytes()
            .await
            .expect("html");
        std::fs::write(std::path::Path::new(&keep).join("report.html"), &html).expect("html");
    }
    for text in [
        "รายงานผลการดำเนินการ",
        "มาตรการคุ้มครองและปกปิดข้อมูลผู้แจ้งเบาะแส ประจำปีงบประมาณ พ.ศ. ๒๕๖๙",
        "ผลลัพธ์หรือผลสัมฤทธิ์ในการดำเนินการ</w:t>",
        "(outcome/result)</w:t>",
        "ทางช่องทางออนไลน์ ๔ เรื่อง",
        "คำนำ",
        "“ดำเนินการแล้วเสร็จ” คือ",
        "ผู้รายงาน",
        "ผู้อนุมัติ",
        "นายกองค์การบริหารส่วนตำบลโคกใหญ่",
        // The official layout, read back: fonts, A4, margins 3/2/2.5/2 cm, a landscape section,
        // the title page without a page number, repeated header rows, Thai page numbers.
        "w:ascii=\"TH Sarabun New\"",
        "<w:sz w:val=\"32\" />",
        "<w:pgSz w:w=\"11906\" w:h=\"16838\"",
        "<w:pgSz w:w=\"16838\" w:h=\"11906\" w:orient=\"landscape\"",
        "w:top=\"1417\" w:right=\"1134\" w:bottom=\"1134\" w:left=\"1701\"",
        "<w:titlePg />",
        "<w:tblHeader />",
        "<w:tblLayout w:type=\"fixed\" />",
        "<w:pgNumType w:fmt=\"thaiNumbers\" />",
        "<w:instrText>PAGE</w:instrText>",
    ] {
        assert!(xml.contains(text), "the DOCX lacks `{text}`");
    }
    assert!(!xml.contains("กันยาย</w:t>"), "no word is cut by the layout");
    assert!(
        names.iter().any(|n| n.starts_with("word/media/") && n.ends_with(".png")),
        "the chart is embedded: {names:?}"
    );

    let r = app
        .staff_get(&app.client, &a, "/staff/admin/reports/download?fy=2569&section=protection&format=xlsx")
        .await;
    assert_eq!(r.status(), 200);
    let xlsx = r.bytes().await.expect("bytes").to_vec();
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).expect("an xlsx file");
    let stats = book.worksheet_range("สถิติ").expect("statistics sheet");
    assert_eq!(stats.get_value((0, 0)), Some(&Data::String("ช่วงเวลา".into())));
    let october: Vec<f64> = (3..11)
        .map(|c| match stats.get_value((1, c)) {
            Some(Data::Float(f)) => *f,
            other => panic!("column {c}: {other:?}"),
        })
        .collect();
    assert_eq!(october, vec![1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0], "October 2025, numbers as numbers");
    let footnote = (0..stats.height() as u32)
        .filter_map(|r| stats.get_value((r, 0)).map(|d| d.to_string()))
        .any(|t| t.contains("“ดำเนินการแล้วเสร็จ” คือ"));
    assert!(footnote, "the same footnotes as the other formats");
    let measures = book.worksheet_range("มาตรการ").expect("measures sheet");
    let titles: Vec<String> = (1..measures.height())
        .filter_map(|r| measures.get_value((r as u32, 0)).map(|d| d.to_string()))
        .collect();
    assert!(
        titles.iter().any(|t| t.starts_with("5."))
            && titles.iter().all(|t| t.starts_with("5.") || t.starts_with("7.")),
        "{titles:?}"
    );

    // LibreOffice, when present (CI installs it and requires this part), converts the DOCX to PDF.
    let soffice = ["soffice", "libreoffice"]
        .into_iter()
        .find(|c| std::process::Command::new(c).arg("--version").output().is_ok());
    let Some(soffice) = soffice else {
        assert!(std::env::var_os("REQUIRE_LIBREOFFICE_TESTS").is_none(), "LibreOffice is required here");
        eprintln!("SKIPPED: LibreOffice is not installed; the DOCX-to-PDF check did not run");
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("report.docx");
    std::fs::write(&path, &docx).expect("write");
    let out = std::process::Command::new(soffice)
        .args(["--headless", "--norestore", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        // A profile of its own, so a LibreOffice started by another test cannot take the job.
        .arg(format!("-env:UserInstallation=file://{}/lo-profile", dir.path().display()))
        .arg(&path)
        .env("HOME", dir.path())
        .output()
        .expect("soffice");
    assert!(out.status.success(), "soffice: {}", String::from_utf8_lossy(&out.stderr));
    let text = std::process::Command::new("pdftotext")
        .arg(dir.path().join("report.pdf"))
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    // pdftotext breaks Thai lines where the layout wrapped them: compare without white space.
    let pages = String::from_utf8_lossy(&text.stdout).matches('\u{c}').count();
    let text: String = String::from_utf8_lossy(&text.stdout).split_whitespace().collect();
    // The pages, to look at: REPORT_PAGES_DIR=dir keeps the PDF and a PNG of each page.
    if let Some(keep) = std::env::var_os("REPORT_PAGES_DIR") {
        let keep = std::path::PathBuf::from(keep);
        std::fs::create_dir_all(&keep).expect("dir");
        std::fs::copy(dir.path().join("report.pdf"), keep.join("report.pdf")).expect("copy");
        std::fs::write(keep.join("report.docx"), &docx).expect("docx");
        let _ = std::process::Command::new("pdftoppm")
            .args(["-png", "-r", "50"])
            .arg(keep.join("report.pdf"))
            .arg(keep.join("page"))
            .status();
    }
    assert!(pages >= 5, "title page, preface, measures, protection, statistics: {pages} pages");
    // LibreOffice prints the thaiNumbers format in Arabic digits; Word in Thai ones.
    assert!(text.contains("-๒-") || text.contains("-2-"), "the second page is numbered");
    assert!(!text.contains("-ข-"), "not in Thai letters");
    for phrase in [
        "รายงานผลการดำเนินการ",
        "คำนำ",
        "มาตรการคุ้มครองและปกปิดข้อมูลผู้แจ้งเบาะแส",
        "สถิติเรื่องร้องเรียนประจำปีงบประมาณ",
        "ช่วงระยะเวลาดำเนินการ",
    ] {
        assert!(
            text.contains(phrase),
            "the PDF lacks `{phrase}`: {}",
            text.chars().take(300).collect::<String>()
        );
    }
}

on_both_databases!(docx_and_xlsx_carry_the_report);
