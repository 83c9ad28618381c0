//! DOCX (docx-rs) and XLSX (rust_xlsxwriter) exports: the same content as the HTML report, in files
//! that open and edit cleanly in Word, LibreOffice and Excel. The DOCX follows the Thai official
//! layout: A4, margins 3 cm left, 2 cm right, 2.5 cm top, 2 cm bottom, TH Sarabun New 16 pt, the title
//! page alone, then คำนำ, then the tables in a landscape section whose header rows repeat, page
//! numbers "- ๒ -" centred at the top from the second page, and the signature block.
use super::ReportData;
use super::render::{
    self, COUNT_HEADERS, MEASURE_HEADERS, MeasureRow, Numerals, Section, StatRow, TRACK_HEADERS,
    is_protection,
};
use crate::config::Settings;
use docx_rs::{
    AlignmentType, Docx, FieldCharType, Header, InstrText, PageMargin, PageOrientationType, Paragraph, Pic,
    Run, RunFonts, Table, TableCell, TableLayoutType, TableRow, VMergeType, WidthType,
};

#[derive(Debug, thiserror::Error)]
pub enum OfficeError {
    #[error("docx: {0}")]
    Docx(String),
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("png: {0}")]
    Png(#[from] png::EncodingError),
    #[error("zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// The official font since the 2010 cabinet resolution; Laksaman is metric-compatible where it is
/// missing (LibreOffice on Debian substitutes it).
pub const FONT: &str = "TH Sarabun New";

// Sizes in twentieths of a point (twips): A4 and the margins of the สารบรรณ typing guide.
pub const A4_SHORT: u32 = 11906;
pub const A4_LONG: u32 = 16838;
pub const MARGIN_LEFT: i32 = 1701; // 3 cm
pub const MARGIN_RIGHT: i32 = 1134; // 2 cm
pub const MARGIN_TOP: i32 = 1417; // 2.5 cm
pub const MARGIN_BOTTOM: i32 = 1134; // 2 cm
const LANDSCAPE_TEXT: usize = (A4_LONG as usize) - 1701 - 1134;

/// Column widths of the landscape text width (14,003 twips), in the seed table's proportions.
const MEASURE_GRID: [usize; 6] = [2400, 3003, 1700, 1900, 2500, 2500];
/// The period label, then four counts for each track.
const STATISTICS_GRID: [usize; 9] = [2803, 1400, 1400, 1400, 1400, 1400, 1400, 1400, 1400];
/// The chart's data table: a label column and the twelve months.
const CHART_LABEL: usize = 2003;
const CHART_MONTH: usize = 1000;

fn margins() -> PageMargin {
    PageMargin::new()
        .top(MARGIN_TOP)
        .bottom(MARGIN_BOTTOM)
        .left(MARGIN_LEFT)
        .right(MARGIN_RIGHT)
        .header(709)
        .footer(709)
        .gutter(0)
}

fn text(s: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(s))
}

/// A body paragraph with the official first-line indent (2.5 cm).
fn body(s: &str) -> Paragraph {
    text(s)
        .indent(None, Some(docx_rs::SpecialIndentType::FirstLine(1418)), None, None)
        .align(AlignmentType::Both)
}

fn centred(s: &str, size: usize, bold: bool) -> Paragraph {
    let run = Run::new().add_text(s).size(size);
    Paragraph::new().add_run(if bold { run.bold() } else { run }).align(AlignmentType::Center)
}

fn heading(s: &str) -> Paragraph {
    centred(s, 36, true).keep_next(true)
}

fn page_break() -> Paragraph {
    Paragraph::new().add_run(Run::new().add_break(docx_rs::BreakType::Page))
}

fn cell(s: &str) -> TableCell {
    TableCell::new().add_paragraph(Paragraph::new().add_run(Run::new().add_text(s).size(28)))
}

fn number_cell(s: &str) -> TableCell {
    TableCell::new()
        .add_paragraph(Paragraph::new().add_run(Run::new().add_text(s).size(28)).align(AlignmentType::Right))
}

/// A head cell: an English gloss in brackets goes on its own line, so that it is not cut.
fn head_cell(s: &str) -> TableCell {
    let (thai, gloss) = match s.find(" (") {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let line = |t: &str| {
        Paragraph::new().add_run(Run::new().add_text(t).bold().size(28)).align(AlignmentType::Center)
    };
    let cell = TableCell::new().add_paragraph(line(thai));
    match gloss {
        Some(g) => cell.add_paragraph(line(g)),
        None => cell,
    }
}

fn sized(cells: Vec<TableCell>, grid: &[usize]) -> Vec<TableCell> {
    cells.into_iter().zip(grid).map(|(c, w)| c.width(*w, WidthType::Dxa)).collect()
}

/// A header row: it must not split, and it repeats on every page (see [`repeat_header_rows`]).
fn header_row(cells: Vec<TableCell>) -> TableRow {
    TableRow::new(cells).cant_split()
}

fn fixed(rows: Vec<TableRow>, grid: &[usize]) -> Table {
    Table::new(rows)
        .set_grid(grid.to_vec())
        .width(grid.iter().sum(), WidthType::Dxa)
        .layout(TableLayoutType::Fixed)
}

fn measures_table(rows: &[MeasureRow]) -> Table {
    let mut table_rows =
        vec![header_row(sized(MEASURE_HEADERS.iter().map(|h| head_cell(h)).collect(), &MEASURE_GRID))];
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
    fixed(table_rows, &MEASURE_GRID)
}

fn statistics_table(rows: &[StatRow], nums: Numerals) -> Table {
    // Two header rows: the tracks over four columns each, then the four words.
    let mut first = vec![
        head_cell("ช่วงเวลา").vertical_merge(VMergeType::Restart).width(STATISTICS_GRID[0], WidthType::Dxa),
    ];
    for t in TRACK_HEADERS {
        first.push(head_cell(t).grid_span(4).width(STATISTICS_GRID[1] * 4, WidthType::Dxa));
    }
    let mut second = vec![TableCell::new().vertical_merge(VMergeType::Continue)];
    for _ in TRACK_HEADERS {
        second.extend(COUNT_HEADERS.iter().map(|h| head_cell(h)));
    }
    let mut table_rows = vec![header_row(first), header_row(sized(second, &STATISTICS_GRID))];
    for r in rows {
        let label = if r.total {
            TableCell::new()
                .add_paragraph(Paragraph::new().add_run(Run::new().add_text(&r.label).size(28).bold()))
        } else {
            cell(&r.label)
        };
        let mut cells = vec![label];
        cells.extend(r.cells(nums).iter().map(|c| number_cell(c)));
        table_rows.push(TableRow::new(sized(cells, &STATISTICS_GRID)).cant_split());
    }
    fixed(table_rows, &STATISTICS_GRID)
}

fn breakdown_tables(doc: Docx, f: &super::figures::Figures, nums: Numerals) -> Docx {
    let grid = [6000usize, 2000];
    let mut doc = doc;
    for b in render::breakdowns(f, nums) {
        doc = doc.add_paragraph(text(b.title).bold().keep_next(true));
        let rows: Vec<TableRow> = b
            .rows
            .iter()
            .map(|(l, n)| TableRow::new(sized(vec![cell(l), number_cell(n)], &grid)).cant_split())
            .collect();
        doc = doc.add_table(fixed(rows, &grid)).add_paragraph(text(""));
    }
    doc
}

/// The chart as a picture as wide as its data table, with the months and the values in the table
/// under it: the bars line up with the month columns.
fn chart(doc: Docx, data: &ReportData, nums: Numerals) -> Result<Docx, OfficeError> {
    let f = &data.figures;
    let total = CHART_LABEL + 12 * CHART_MONTH;
    let png = super::chart_png::monthly_png(f, CHART_LABEL as f64 / total as f64)?;
    let (w, h) = super::chart_png::SIZE_PX;
    // EMU: 635 per twip.
    let width_emu = u32::try_from(total * 635).unwrap_or(u32::MAX);
    let height_emu = width_emu / w * h;
    let mut doc = doc
        .add_paragraph(
            text(
                "แผนภูมิ จำนวนเรื่องที่ได้รับ (แท่งสีน้ำเงิน) และดำเนินการแล้วเสร็จ (แท่งสีเขียว) รายเดือน ตุลาคม–กันยายน \
                  (แกนตั้ง: จำนวนเรื่อง แกนนอน: เดือน)",
            )
            .bold()
            .keep_next(true),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(
                    Run::new().add_image(Pic::new_with_dimensions(png, w, h).size(width_emu, height_emu)),
                )
                .keep_next(true),
        );
    let grid: Vec<usize> = std::iter::once(CHART_LABEL).chain(std::iter::repeat_n(CHART_MONTH, 12)).collect();
    let month_row = std::iter::once(cell("เดือน"))
        .chain(f.months.iter().map(|m| {
            head_cell(super::super::domain::thai::MONTHS_TH_ABBR[usize::from(u8::from(m.first.month())) - 1])
        }))
        .collect();
    let values = |label: &str, pick: fn((u64, u64)) -> u64| {
        std::iter::once(cell(label))
            .chain(
                f.months
                    .iter()
                    .map(|m| number_cell(&m.totals().map_or_else(|| "-".to_owned(), |t| nums.n(pick(t))))),
            )
            .collect::<Vec<_>>()
    };
    let rows = vec![
        TableRow::new(sized(month_row, &grid)).cant_split(),
        TableRow::new(sized(values("ได้รับ", |t| t.0), &grid)).cant_split(),
        TableRow::new(sized(values("ดำเนินการแล้วเสร็จ", |t| t.1), &grid)).cant_split(),
    ];
    doc = doc.add_table(fixed(rows, &grid));
    Ok(doc)
}

fn signatures(doc: Docx, settings: &Settings) -> Docx {
    let mut doc = doc.add_paragraph(text(""));
    let indent =
        |p: Paragraph| p.indent(Some(i32::try_from(LANDSCAPE_TEXT / 2).unwrap_or(7000)), None, None, None);
    for s in &settings.report.signatures {
        doc = doc
            .add_paragraph(text("").keep_next(true))
            .add_paragraph(
                indent(centred("(ลงชื่อ) ..................................", 32, false)).keep_next(true),
            )
            .add_paragraph(indent(centred(&s.role_th, 32, false)).keep_next(true))
            .add_paragraph(indent(centred(&format!("({})", s.name_th), 32, false)).keep_next(true))
            .add_paragraph(indent(centred(&s.position_th, 32, false)));
    }
    doc
}

/// "- ๒ -" centred: the page field, in Thai numerals through the sections' page number format
/// (`w:pgNumType w:fmt="thaiNumbers"`, see [`thai_page_numbers`]).
fn page_number_header(nums: Numerals) -> Header {
    let field = "PAGE";
    Header::new().add_paragraph(
        Paragraph::new()
            .add_run(Run::new().add_text("- "))
            .add_run(
                Run::new()
                    .add_field_char(FieldCharType::Begin, false)
                    .add_instr_text(InstrText::Unsupported(field.to_owned()))
                    .add_field_char(FieldCharType::Separate, false)
                    .add_text(nums.n(2))
                    .add_field_char(FieldCharType::End, false),
            )
            .add_run(Run::new().add_text(" -"))
            .align(AlignmentType::Center),
    )
}

fn title_page(data: &ReportData, section: Section, nums: Numerals, settings: &Settings) -> Vec<Paragraph> {
    let fy = nums.n(data.figures.fiscal_year);
    let org = &settings.organisation;
    let mut out: Vec<Paragraph> = (0..6).map(|_| text("")).collect();
    let title: Vec<String> = match section {
        Section::Full => vec![
            "รายงานผลการดำเนินการ".into(),
            "เพื่อส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน".into(),
            format!("ประจำปีงบประมาณ พ.ศ. {fy}"),
        ],
        other => vec![render::section_title(other).into(), format!("ประจำปีงบประมาณ พ.ศ. {fy}")],
    };
    out.extend(title.iter().map(|line| centred(line, 40, true)));
    out.push(text(""));
    out.push(centred(&org.name_th, 36, true));
    out.push(centred(&org.locality_th, 36, true));
    out.extend((0..6).map(|_| text("")));
    out.push(centred("จัดทำโดย", 36, false));
    out.push(centred(&org.office_th, 36, false));
    out
}

fn statistics_part(
    doc: Docx,
    data: &ReportData,
    nums: Numerals,
    settings: &Settings,
) -> Result<Docx, OfficeError> {
    let f = &data.figures;
    let fy = nums.n(f.fiscal_year);
    let mut doc =
        doc.add_paragraph(heading(&format!("สถิติเรื่องร้องเรียน ประจำปีงบประมาณ พ.ศ. {fy}"))).add_paragraph(
            centred(
                &format!(
                    "{} {} · {}",
                    settings.organisation.name_th,
                    settings.organisation.locality_th,
                    render::as_of_text(f, nums)
                ),
                28,
                false,
            )
            .keep_next(true),
        );
    for (t, label) in [("corruption", TRACK_HEADERS[0]), ("general", TRACK_HEADERS[1])] {
        if f.by_track.get(t).copied().unwrap_or(0) == 0 {
            doc = doc.add_paragraph(centred(&format!("{label}: ไม่มีเรื่องร้องเรียน"), 32, true));
        }
    }
    doc = doc.add_table(statistics_table(&render::stat_rows(data, nums), nums)).add_paragraph(text(""));
    doc = breakdown_tables(doc, f, nums);
    doc = chart(doc, data, nums)?;
    doc = doc.add_paragraph(text("หมายเหตุ").bold().keep_next(true));
    for (i, n) in render::footnotes(settings, nums).iter().enumerate() {
        doc = doc.add_paragraph(text(&format!("{}. {n}", nums.n(i + 1))).size(28));
    }
    Ok(doc)
}

pub fn docx(
    data: &ReportData,
    section: Section,
    nums: Numerals,
    settings: &Settings,
) -> Result<Vec<u8>, OfficeError> {
    let f = &data.figures;
    let fy = nums.n(f.fiscal_year);
    let fonts = RunFonts::new().ascii(FONT).hi_ansi(FONT).cs(FONT).east_asia(FONT);
    // 16 pt (docx sizes are half-points).
    let mut doc = Docx::new().default_fonts(fonts).default_size(32);

    // First section, portrait: the title page alone (no page number), then คำนำ.
    let mut first = docx_rs::Section::new()
        .page_size(docx_rs::PageSize::new().size(A4_SHORT, A4_LONG))
        .page_margin(margins())
        .page_orient(PageOrientationType::Portrait)
        .title_pg()
        .header(page_number_header(nums))
        .first_header(Header::new());
    let mut front = title_page(data, section, nums, settings);
    if section == Section::Full {
        front.extend([page_break(), heading("คำนำ"), text("")]);
        front.extend(render::preface(settings, &fy).iter().map(|p| body(p)));
        front.extend([text(""), text(&settings.organisation.name_th).align(AlignmentType::Right)]);
    }
    for p in front {
        first = first.add_paragraph(p);
    }
    doc = doc.add_section(first);

    // The rest, landscape: the tables fit the text width.
    if section == Section::Full {
        let rows: Vec<MeasureRow> =
            data.measures.iter().map(|m| render::measure_row(m, f, nums, is_protection(m))).collect();
        doc = doc
            .add_paragraph(heading(&format!(
                "รายงานผลการดำเนินการเพื่อส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน ประจำปีงบประมาณ พ.ศ. {fy}"
            )))
            .add_paragraph(centred("มาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน", 32, true).keep_next(true));
        doc = if rows.is_empty() {
            doc.add_paragraph(text("ยังไม่ได้บันทึกมาตรการของปีงบประมาณนี้"))
        } else {
            doc.add_table(measures_table(&rows))
        };
        doc = doc.add_paragraph(page_break());
    }
    if section != Section::Statistics {
        doc = doc
            .add_paragraph(heading(&format!("มาตรการคุ้มครองและปกปิดข้อมูลผู้แจ้งเบาะแส ประจำปีงบประมาณ พ.ศ. {fy}")));
        let rows: Vec<MeasureRow> = data
            .measures
            .iter()
            .filter(|m| is_protection(m))
            .map(|m| render::measure_row(m, f, nums, true))
            .collect();
        doc = if rows.is_empty() {
            doc.add_paragraph(text(
                "ยังไม่ได้บันทึกมาตรการที่เกี่ยวกับช่องทางร้องเรียนออนไลน์หรือการคุ้มครองผู้แจ้งเบาะแสของปีงบประมาณนี้",
            ))
        } else {
            doc.add_table(measures_table(&rows))
        };
        doc = doc
            .add_paragraph(text(""))
            .add_paragraph(centred("สรุปผลการรับและดำเนินการเรื่องร้องเรียน", 32, true).keep_next(true));
        let grid = [9003usize, 5000];
        let rows: Vec<TableRow> = render::summary(data, nums)
            .iter()
            .map(|(l, v)| TableRow::new(sized(vec![cell(l), number_cell(v)], &grid)).cant_split())
            .collect();
        doc = doc.add_table(fixed(rows, &grid)).add_paragraph(page_break());
    }
    doc = statistics_part(doc, data, nums, settings)?;
    if section == Section::Full {
        doc = signatures(doc, settings);
    }
    // The document's last section: landscape A4, the same margins and page numbers.
    doc = doc
        .page_size(A4_LONG, A4_SHORT)
        .page_orient(PageOrientationType::Landscape)
        .page_margin(margins())
        .header(page_number_header(nums));
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(|e| OfficeError::Docx(e.to_string()))?;
    patch_document(&out.into_inner(), nums)
}

/// Thai numerals for the page numbers of every section. Word shows them; LibreOffice (7.x) does
/// not know the format and falls back to Arabic digits. Word's field switch `\* ThaiArabic` is not
/// used: LibreOffice reads it as Thai letters (ก ข ค).
fn thai_page_numbers(xml: &str) -> String {
    xml.replace("<w:cols ", "<w:pgNumType w:fmt=\"thaiNumbers\" /><w:cols ")
}

/// What docx-rs cannot write: `w:tblHeader` on the header rows (so Word and LibreOffice repeat
/// them on every page), and the page number format.
fn patch_document(docx: &[u8], nums: Numerals) -> Result<Vec<u8>, OfficeError> {
    use std::io::{Read, Write};
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx))?;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for i in 0..zip.len() {
        let mut file = zip.by_index(i)?;
        let name = file.name()?.into_owned();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        if name == "word/document.xml" {
            let xml = String::from_utf8_lossy(&bytes).into_owned();
            let xml = mark_header_rows(&xml);
            bytes = match nums {
                Numerals::Thai => thai_page_numbers(&xml),
                Numerals::Arabic => xml,
            }
            .into_bytes();
        }
        out.start_file(name, options)?;
        out.write_all(&bytes)?;
    }
    Ok(out.finish()?.into_inner())
}

/// Adds `w:tblHeader` to the leading rows of each table that are marked `cantSplit` and hold a
/// bold centred head cell (the rows [`header_row`] made).
fn mark_header_rows(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len() + 1024);
    let mut rest = xml;
    while let Some(start) = rest.find("<w:tbl>") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("</w:tbl>").map_or(rest.len(), |e| start + e + "</w:tbl>".len());
        let mut table = &rest[start..end];
        let mut patched = String::with_capacity(table.len() + 64);
        // Leading rows: a header row has a cantSplit and a bold run in its first cell.
        while let Some((row_start, row_len)) =
            table.find("<w:tr>").and_then(|s| table[s..].find("</w:tr>").map(|l| (s, l)))
        {
            let row = &table[row_start..row_start + row_len + "</w:tr>".len()];
            let is_header = row.contains("<w:cantSplit />")
                && row.contains("<w:jc w:val=\"center\" />")
                && row.contains("<w:b />");
            if !is_header {
                break;
            }
            patched.push_str(&table[..row_start]);
            patched.push_str(&row.replacen("<w:cantSplit />", "<w:cantSplit /><w:tblHeader />", 1));
            table = &table[row_start + row.len()..];
        }
        patched.push_str(table);
        out.push_str(&patched);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The statistics (and, for the protection and full sections, the measures) as a workbook with
/// numbers as numbers, so the office can chart and total them; "-" for a period not begun, and the
/// same footnotes as the other formats.
pub fn xlsx(data: &ReportData, section: Section, settings: &Settings) -> Result<Vec<u8>, OfficeError> {
    use rust_xlsxwriter::{Format, FormatAlign, Workbook};
    let f = &data.figures;
    let nums = Numerals::Arabic;
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold().set_text_wrap().set_align(FormatAlign::Center);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let ws = wb.add_worksheet().set_name("สถิติ")?;
    let mut headers = vec!["ช่วงเวลา".to_owned(), "เริ่ม".to_owned(), "สิ้นสุด".to_owned()];
    for t in ["ทุจริตฯ", "ทั่วไป"] {
        headers.extend(COUNT_HEADERS.iter().map(|h| format!("{t} {h}")));
    }
    for (col, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, u16::try_from(col).unwrap_or(0), h, &bold)?;
    }
    let rows = render::stat_rows(data, nums);
    for (i, r) in rows.iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(0);
        ws.write_string(row, 0, &r.label)?;
        ws.write_string(row, 1, r.first.to_string())?;
        ws.write_string(row, 2, r.last.to_string())?;
        for (k, track) in [r.corruption, r.general].iter().enumerate() {
            for j in 0..4 {
                let col = u16::try_from(3 + k * 4 + j).unwrap_or(0);
                match track {
                    #[allow(clippy::cast_precision_loss)]
                    Some(v) => ws.write_number(row, col, v[j] as f64)?,
                    None => ws.write_string(row, col, "-")?,
                };
            }
        }
    }
    ws.set_column_width(0, 34)?;
    ws.set_column_width(1, 11)?;
    ws.set_column_width(2, 11)?;
    for c in 3..11 {
        ws.set_column_width(c, 14)?;
    }
    ws.set_row_height(0, 36)?;
    ws.set_freeze_panes(1, 1)?;
    let mut row = u32::try_from(rows.len() + 2).unwrap_or(0);
    ws.write_string_with_format(row, 0, "หมายเหตุ", &Format::new().set_bold())?;
    for (i, n) in render::footnotes(settings, nums).iter().enumerate() {
        row += 1;
        ws.write_string(row, 0, format!("{}. {n}", i + 1))?;
    }
    row += 2;
    ws.write_string(row, 0, render::as_of_text(f, nums))?;

    let ws = wb.add_worksheet().set_name("จำแนก")?;
    let mut r = 0u32;
    for b in render::breakdowns(f, nums) {
        ws.write_string_with_format(r, 0, b.title, &Format::new().set_bold())?;
        r += 1;
        for (label, n) in &b.rows {
            ws.write_string(r, 0, label)?;
            match n.parse::<f64>() {
                Ok(v) => ws.write_number(r, 1, v)?,
                Err(_) => ws.write_string(r, 1, n)?,
            };
            r += 1;
        }
        r += 1;
    }
    ws.set_column_width(0, 60)?;
    ws.set_column_width(1, 12)?;

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
            let r = render::measure_row(m, f, nums, is_protection(m));
            let linked =
                f.measures.iter().find(|x| x.number == m.number).map(|x| x.linked_cases).unwrap_or(0);
            ws.write_string_with_format(row, 0, format!("{}. {}", r.number, r.title), &wrap)?;
            ws.write_string_with_format(row, 1, r.steps.join("\n"), &wrap)?;
            ws.write_string_with_format(row, 2, &r.responsible, &wrap)?;
            ws.write_string_with_format(row, 3, &r.period, &wrap)?;
            ws.write_string_with_format(row, 4, &r.output, &wrap)?;
            ws.write_string_with_format(row, 5, &r.outcome, &wrap)?;
            #[allow(clippy::cast_precision_loss)]
            ws.write_number(row, 6, linked as f64)?;
            row += 1;
        }
        for (c, w) in [(0u16, 40.0), (1, 50.0), (2, 18.0), (3, 22.0), (4, 45.0), (5, 45.0), (6, 12.0)] {
            ws.set_column_width(c, w)?;
        }
        ws.set_row_height(0, 48)?;
    }
    Ok(wb.save_to_buffer()?)
}

/// A portrait document in the official layout, numbered from the second page.
fn portrait(
    paragraphs: Vec<Paragraph>,
    tables_after: Vec<(usize, Table)>,
    nums: Numerals,
) -> Result<Vec<u8>, OfficeError> {
    let fonts = RunFonts::new().ascii(FONT).hi_ansi(FONT).cs(FONT).east_asia(FONT);
    let mut doc = Docx::new().default_fonts(fonts).default_size(32);
    for (i, p) in paragraphs.into_iter().enumerate() {
        doc = doc.add_paragraph(p);
        for (_, t) in tables_after.iter().filter(|(at, _)| *at == i) {
            doc = doc.add_table(t.clone());
        }
    }
    doc = doc
        .page_size(A4_SHORT, A4_LONG)
        .page_orient(PageOrientationType::Portrait)
        .page_margin(margins())
        .title_pg()
        .header(page_number_header(nums))
        .first_header(Header::new());
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(|e| OfficeError::Docx(e.to_string()))?;
    patch_document(&out.into_inner(), nums)
}

/// The complaint-handling manual as DOCX: purpose, unit, channels, the steps as a flowchart of
/// boxes joined by arrows, time limits and the protection of the reporter.
pub fn manual_docx(m: &super::manual::Manual, settings: &Settings) -> Result<Vec<u8>, OfficeError> {
    let org = &settings.organisation;
    let mut p = vec![
        centred(&m.title, 40, true),
        centred(&format!("{} {}", org.name_th, org.locality_th), 36, true),
        text(""),
        text("๑. วัตถุประสงค์").bold(),
        body(&m.purpose),
        text("๒. หน่วยงานที่รับผิดชอบ").bold(),
        body(&m.unit),
        text("๓. ช่องทางการร้องเรียน").bold(),
    ];
    let grid = [2600usize, 6471];
    let channels = fixed(
        m.channels
            .iter()
            .map(|(c, h)| TableRow::new(sized(vec![cell(c), cell(h)], &grid)).cant_split())
            .collect(),
        &grid,
    );
    let channels_at = p.len() - 1;
    p.push(text(""));
    p.push(text("๔. ขั้นตอนการปฏิบัติงาน (แผนผังขั้นตอน) และระยะเวลา").bold().keep_next(true));
    // The flowchart: one box per step, an arrow between boxes.
    let box_grid = [9071usize];
    let mut flow_rows = Vec::new();
    for (i, (step, who, when)) in m.steps.iter().enumerate() {
        let cell = TableCell::new()
            .add_paragraph(
                Paragraph::new()
                    .add_run(
                        Run::new().add_text(format!("{}. {step}", Numerals::Thai.n(i + 1))).bold().size(30),
                    )
                    .align(AlignmentType::Center),
            )
            .add_paragraph(
                Paragraph::new()
                    .add_run(Run::new().add_text(format!("ผู้รับผิดชอบ: {who} · ระยะเวลา: {when}")).size(28))
                    .align(AlignmentType::Center),
            );
        flow_rows.push(TableRow::new(sized(vec![cell], &box_grid)).cant_split());
    }
    let flow_at = p.len() - 1;
    let mut tables = vec![(channels_at, channels)];
    // Boxes one under the other, each its own one-cell table, an arrow paragraph between them.
    let mut after = flow_at;
    for (i, row) in flow_rows.into_iter().enumerate() {
        if i > 0 {
            p.push(centred("▼", 32, true).keep_next(true));
            after = p.len() - 1;
        }
        tables.push((after, fixed(vec![row], &box_grid)));
    }
    p.push(text(""));
    p.push(text("๕. การคุ้มครองผู้แจ้งเบาะแสและผู้ร้องเรียน").bold().keep_next(true));
    for (i, line) in m.protection.iter().enumerate() {
        p.push(body(&format!("{}. {line}", Numerals::Thai.n(i + 1))));
    }
    portrait(p, tables, Numerals::Thai)
}

/// The memo to the chief executive (บันทึกข้อความ) asking approval to publish the year's report
/// and statistics, in the official memo layout.
pub fn memo_docx(data: &ReportData, settings: &Settings, today: time::Date) -> Result<Vec<u8>, OfficeError> {
    let nums = Numerals::Thai;
    let org = &settings.organisation;
    let f = &data.figures;
    let fy = nums.n(f.fiscal_year);
    let approver = settings.report.signatures.last();
    let reporter = settings.report.signatures.first();
    let to = approver.map_or_else(|| format!("นายก{}", org.name_th), |s| s.position_th.clone());
    let label = |l: &str, v: &str| {
        Paragraph::new()
            .add_run(Run::new().add_text(l).bold().size(36))
            .add_run(Run::new().add_text(format!(" {v}")))
    };
    let mut p = vec![
        Paragraph::new()
            .add_run(Run::new().add_text("บันทึกข้อความ").bold().size(58))
            .align(AlignmentType::Center),
        label("ส่วนราชการ", &format!("{} {}", org.office_th, org.contact_th)),
        label("ที่", &format!("........................................ วันที่ {}", nums.date(today))),
        label(
            "เรื่อง",
            &format!(
                "ขออนุมัติเผยแพร่รายงานผลการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใส และสถิติเรื่องร้องเรียน ประจำปีงบประมาณ พ.ศ. {fy}"
            ),
        ),
        text(""),
        Paragraph::new()
            .add_run(Run::new().add_text("เรียน").bold())
            .add_run(Run::new().add_text(format!(" {to}"))),
        text(""),
        body(&format!(
            "ตามที่{} ได้กำหนดมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน และเปิดช่องทางรับเรื่องร้องเรียนและแจ้งเบาะแส \
             ทั้งช่องทางออนไลน์และช่องทางอื่น เพื่อประกอบการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ (ITA) นั้น",
            org.name_th
        )),
        body(&format!(
            "บัดนี้ {} ได้จัดทำรายงานผลการดำเนินการ ประจำปีงบประมาณ พ.ศ. {fy} แล้ว ในปีงบประมาณดังกล่าวรับเรื่องร้องเรียนทั้งสิ้น \
             {} เรื่อง (ทางช่องทางออนไลน์ {} เรื่อง) ดำเนินการแล้วเสร็จ {} เรื่อง ไม่รับไว้พิจารณา {} เรื่อง \
             และอยู่ระหว่างดำเนินการ {} เรื่อง ({}) รายละเอียดปรากฏตามรายงานและสถิติที่แนบมาพร้อมนี้",
            org.office_th,
            nums.n(f.received),
            nums.n(f.received_online),
            nums.n(f.concluded),
            nums.n(f.not_accepted),
            nums.n(f.in_progress_at_year_end),
            super::render::as_of_text(f, nums),
        )),
        body(&format!(
            "จึงเรียนมาเพื่อโปรดพิจารณา หากเห็นชอบ โปรดอนุมัติให้เผยแพร่รายงานและสถิติดังกล่าวทางเว็บไซต์ของ{} ต่อไป",
            org.name_th
        )),
    ];
    let sign = |p: &mut Vec<Paragraph>, role: &str, name: &str, position: &str| {
        let indent = |x: Paragraph| x.indent(Some(4000), None, None, None);
        p.push(text(""));
        p.push(indent(centred("(ลงชื่อ) ..................................", 32, false)));
        p.push(indent(centred(role, 32, false)));
        p.push(indent(centred(&format!("({name})"), 32, false)));
        p.push(indent(centred(position, 32, false)));
    };
    if let Some(r) = reporter {
        sign(&mut p, &r.role_th, &r.name_th, &r.position_th);
    }
    p.push(text(""));
    p.push(text("ความเห็น/คำสั่ง  ( ) อนุมัติ  ( ) ไม่อนุมัติ ..................................................................."));
    if let Some(a) = approver {
        sign(&mut p, &a.role_th, &a.name_th, &a.position_th);
    }
    portrait(p, Vec::new(), nums)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn only_the_leading_header_rows_repeat() {
        let head = "<w:tr><w:trPr><w:cantSplit /></w:trPr><w:tc><w:p><w:pPr><w:jc w:val=\"center\" /></w:pPr><w:r><w:rPr><w:b /></w:rPr></w:r></w:p></w:tc></w:tr>";
        let body = "<w:tr><w:trPr><w:cantSplit /></w:trPr><w:tc><w:p></w:p></w:tc></w:tr>";
        let xml = format!("<w:body><w:tbl>{head}{head}{body}{head}</w:tbl><w:tbl>{body}</w:tbl></w:body>");
        let out = mark_header_rows(&xml);
        assert_eq!(out.matches("<w:tblHeader />").count(), 2, "{out}");
        assert_eq!(out.len(), xml.len() + 2 * "<w:tblHeader />".len());
    }

    #[test]
    fn the_text_widths_are_a4_less_the_official_margins() {
        assert_eq!(LANDSCAPE_TEXT, MEASURE_GRID.iter().sum::<usize>());
        assert_eq!(LANDSCAPE_TEXT, STATISTICS_GRID.iter().sum::<usize>());
        assert_eq!(LANDSCAPE_TEXT, CHART_LABEL + 12 * CHART_MONTH);
    }
}
