//! DOCX (docx-rs) and XLSX (rust_xlsxwriter) exports: the same content as the HTML report, in files
//! that open and edit cleanly in Word, LibreOffice and Excel.
use super::ReportData;
use super::figures::Period;
use super::render::{MeasureRow, Numerals, Section, is_protection};
use crate::config::Settings;
use docx_rs::{AlignmentType, Docx, Paragraph, Pic, Run, RunFonts, Table, TableCell, TableRow, WidthType};

#[derive(Debug, thiserror::Error)]
pub enum OfficeError {
    #[error("docx: {0}")]
    Docx(String),
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("png: {0}")]
    Png(#[from] png::EncodingError),
}

const FONT: &str = "TH Sarabun New";

fn text(s: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(s))
}

fn heading(s: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(s).bold().size(36)).align(AlignmentType::Center)
}

fn cell(s: &str) -> TableCell {
    TableCell::new().add_paragraph(Paragraph::new().add_run(Run::new().add_text(s).size(28)))
}

fn head_cell(s: &str) -> TableCell {
    TableCell::new().add_paragraph(
        Paragraph::new().add_run(Run::new().add_text(s).bold().size(28)).align(AlignmentType::Center),
    )
}

const MEASURE_HEADERS: [&str; 6] = [
    "มาตรการ/โครงการ/กิจกรรม",
    "ขั้นตอน/วิธีการปฏิบัติ",
    "หน่วยงานรับผิดชอบ",
    "ช่วงระยะเวลาดำเนินการ",
    "ผลการดำเนินการ (output)",
    "ผลลัพธ์หรือผลสัมฤทธิ์ (outcome)",
];

/// Column widths in twentieths of a point: the A4 text width (about 16 cm) shared like the seed's table.
const MEASURE_GRID: [usize; 6] = [1900, 2000, 1000, 1100, 1700, 1700];
const STATISTICS_GRID: [usize; 7] = [2100, 1150, 1150, 1150, 1150, 1150, 1150];

fn sized(cells: Vec<TableCell>, grid: &[usize]) -> Vec<TableCell> {
    cells.into_iter().zip(grid).map(|(c, w)| c.width(*w, WidthType::Dxa)).collect()
}

fn measures_table(rows: &[MeasureRow]) -> Table {
    let mut table_rows =
        vec![TableRow::new(sized(MEASURE_HEADERS.iter().map(|h| head_cell(h)).collect(), &MEASURE_GRID))];
    for m in rows {
        let steps = m.steps.iter().fold(TableCell::new(), |c, s| {
            c.add_paragraph(Paragraph::new().add_run(Run::new().add_text(s).size(28)))
        });
        table_rows.push(TableRow::new(sized(
            vec![
                cell(&format!("{}. {}", m.number, m.title)),
                steps,
                cell(&m.responsible),
                cell(&m.period),
                cell(&m.output),
                cell(&m.outcome),
            ],
            &MEASURE_GRID,
        )));
    }
    Table::new(table_rows).set_grid(MEASURE_GRID.to_vec()).width(MEASURE_GRID.iter().sum(), WidthType::Dxa)
}

fn statistics_table(periods: &[(String, &Period)], nums: Numerals) -> Table {
    let headers = [
        "ช่วงเวลา",
        "ทุจริตฯ ได้รับ",
        "ทุจริตฯ แล้วเสร็จ",
        "ทุจริตฯ ระหว่างดำเนินการ",
        "ทั่วไป ได้รับ",
        "ทั่วไป แล้วเสร็จ",
        "ทั่วไป ระหว่างดำเนินการ",
    ];
    let mut rows =
        vec![TableRow::new(sized(headers.iter().map(|h| head_cell(h)).collect(), &STATISTICS_GRID))];
    for (label, p) in periods {
        let n = |v: u64| cell(&nums.n(v));
        rows.push(TableRow::new(sized(
            vec![
                cell(label),
                n(p.corruption.received),
                n(p.corruption.concluded),
                n(p.corruption.in_progress),
                n(p.general.received),
                n(p.general.concluded),
                n(p.general.in_progress),
            ],
            &STATISTICS_GRID,
        )));
    }
    Table::new(rows).set_grid(STATISTICS_GRID.to_vec()).width(STATISTICS_GRID.iter().sum(), WidthType::Dxa)
}

fn labelled_periods(data: &ReportData, nums: Numerals) -> Vec<(String, &Period)> {
    let f = &data.figures;
    let quarter = ["ไตรมาสที่ 1", "ไตรมาสที่ 2", "ไตรมาสที่ 3", "ไตรมาสที่ 4"];
    let half = ["ครึ่งปีแรก", "ครึ่งปีหลัง"];
    f.months
        .iter()
        .map(|p| (nums.month(p.first), p))
        .chain(f.quarters.iter().zip(quarter).map(|(p, l)| (nums.n(l), p)))
        .chain(f.halves.iter().zip(half).map(|(p, l)| (l.to_owned(), p)))
        .collect()
}

pub fn docx(
    data: &ReportData,
    section: Section,
    nums: Numerals,
    settings: &Settings,
) -> Result<Vec<u8>, OfficeError> {
    let f = &data.figures;
    let fy = nums.n(f.fiscal_year);
    let org = &settings.organisation;
    let fonts = RunFonts::new().ascii(FONT).hi_ansi(FONT).cs(FONT).east_asia(FONT);
    // 16 pt (docx sizes are half-points); A4 in twentieths of a point.
    let mut doc = Docx::new().default_fonts(fonts).default_size(32).page_size(11906, 16838);
    if section == Section::Full {
        doc = doc
            .add_paragraph(heading("รายงานผลการดำเนินการ"))
            .add_paragraph(heading("เพื่อส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน"))
            .add_paragraph(heading(&format!("ประจำปีงบประมาณ พ.ศ. {fy}")))
            .add_paragraph(text(&org.name_th).align(AlignmentType::Center))
            .add_paragraph(text(&org.locality_th).align(AlignmentType::Center))
            .add_paragraph(text(&format!("จัดทำโดย {}", org.office_th)).align(AlignmentType::Center))
            .add_paragraph(heading("มาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน"));
        let rows: Vec<MeasureRow> =
            data.measures.iter().map(|m| super::render::measure_row(m, f, nums, is_protection(m))).collect();
        doc = doc.add_table(measures_table(&rows));
    }
    if section != Section::Statistics {
        doc = doc
            .add_paragraph(heading(&format!("มาตรการคุ้มครองและปกปิดข้อมูลผู้แจ้งเบาะแส ประจำปีงบประมาณ พ.ศ. {fy}")));
        let rows: Vec<MeasureRow> = data
            .measures
            .iter()
            .filter(|m| is_protection(m))
            .map(|m| super::render::measure_row(m, f, nums, true))
            .collect();
        doc = if rows.is_empty() {
            doc.add_paragraph(text(
                "ยังไม่ได้บันทึกมาตรการที่เกี่ยวกับช่องทางร้องเรียนออนไลน์หรือการคุ้มครองผู้แจ้งเบาะแสของปีงบประมาณนี้",
            ))
        } else {
            doc.add_table(measures_table(&rows))
        };
    }
    if section != Section::Statistics {
        let head = super::render::audit_head_text(&data.audit_head, nums);
        doc = doc.add_paragraph(text(&format!("บันทึกการตรวจสอบ (audit trail) ณ วันที่จัดทำรายงาน: {head}")));
    }
    doc = doc.add_paragraph(heading(&format!("สถิติเรื่องร้องเรียน ประจำปีงบประมาณ พ.ศ. {fy}")));
    if f.by_track.get("corruption").copied().unwrap_or(0) == 0 {
        doc = doc.add_paragraph(text("เรื่องร้องเรียนการทุจริตและประพฤติมิชอบ: ไม่มีเรื่องร้องเรียน"));
    }
    if f.by_track.get("general").copied().unwrap_or(0) == 0 {
        doc = doc.add_paragraph(text("เรื่องร้องเรียน/ร้องทุกข์ทั่วไป: ไม่มีเรื่องร้องเรียน"));
    }
    doc = doc.add_table(statistics_table(&labelled_periods(data, nums), nums));
    let png = super::chart_png::monthly_png(f)?;
    let (w, h) = super::chart_png::SIZE_PX;
    doc = doc
        .add_paragraph(text("แผนภูมิ: จำนวนเรื่องที่ได้รับ (สีน้ำเงิน) และดำเนินการแล้วเสร็จ (สีเขียว) รายเดือน ตุลาคม–กันยายน"))
        .add_paragraph(Paragraph::new().add_run(Run::new().add_image(Pic::new_with_dimensions(png, w, h))));
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(|e| OfficeError::Docx(e.to_string()))?;
    Ok(out.into_inner())
}

/// The statistics (and, for the protection and full sections, the measures) as a workbook with
/// numbers as numbers, so the office can chart and total them.
pub fn xlsx(data: &ReportData, section: Section) -> Result<Vec<u8>, OfficeError> {
    use rust_xlsxwriter::{Format, Workbook};
    let f = &data.figures;
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet().set_name("สถิติ")?;
    let headers = [
        "ช่วงเวลา",
        "เริ่ม",
        "สิ้นสุด",
        "ทุจริตฯ ได้รับ",
        "ทุจริตฯ แล้วเสร็จ",
        "ทุจริตฯ ระหว่างดำเนินการ",
        "ทั่วไป ได้รับ",
        "ทั่วไป แล้วเสร็จ",
        "ทั่วไป ระหว่างดำเนินการ",
    ];
    for (col, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, u16::try_from(col).unwrap_or(0), *h, &bold)?;
    }
    for (i, (label, p)) in labelled_periods(data, Numerals::Arabic).iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(0);
        ws.write_string(row, 0, label)?;
        ws.write_string(row, 1, p.first.to_string())?;
        ws.write_string(row, 2, p.last.to_string())?;
        let values = [
            p.corruption.received,
            p.corruption.concluded,
            p.corruption.in_progress,
            p.general.received,
            p.general.concluded,
            p.general.in_progress,
        ];
        for (j, v) in values.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            ws.write_number(row, u16::try_from(j + 3).unwrap_or(0), *v as f64)?;
        }
    }
    ws.set_column_width(0, 24)?;
    if section != Section::Statistics {
        let ws = wb.add_worksheet().set_name("มาตรการ")?;
        for (col, h) in MEASURE_HEADERS.iter().chain(["เรื่องที่เชื่อมโยง"].iter()).enumerate()
        {
            ws.write_string_with_format(0, u16::try_from(col).unwrap_or(0), *h, &bold)?;
        }
        let mut row = 1u32;
        for m in &data.measures {
            if section == Section::Protection && !is_protection(m) {
                continue;
            }
            let r = super::render::measure_row(m, f, Numerals::Arabic, is_protection(m));
            let linked =
                f.measures.iter().find(|x| x.number == m.number).map(|x| x.linked_cases).unwrap_or(0);
            ws.write_string(row, 0, format!("{}. {}", r.number, r.title))?;
            ws.write_string(row, 1, r.steps.join("\n"))?;
            ws.write_string(row, 2, &r.responsible)?;
            ws.write_string(row, 3, &r.period)?;
            ws.write_string(row, 4, &r.output)?;
            ws.write_string(row, 5, &r.outcome)?;
            #[allow(clippy::cast_precision_loss)]
            ws.write_number(row, 6, linked as f64)?;
            row += 1;
        }
    }
    Ok(wb.save_to_buffer()?)
}
