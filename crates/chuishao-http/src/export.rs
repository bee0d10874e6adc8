//! Spreadsheet exports. Every report and list that leaves the console or the API as a file is
//! built here, as one `.xlsx` workbook of plain tables, so a month's report, a case list with
//! its filters and a volunteer's record all open the same way in WPS or Excel.
//!
//! A [`Sheet`] is a title, a header row and typed cells; [`workbook`] lays the sheets out (bold
//! frozen header, a filter on the columns, widths from the content, percentages and numbers as
//! numbers so they sort and sum) and returns the file's bytes. [`xlsx_response`] sends them
//! with a download name; [`wants_xlsx`] reads a request's `Accept` header.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

/// The media type of an `.xlsx` workbook.
pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Most rows one sheet may carry (Excel's own limit is 1,048,576 including the header rows).
pub const MAX_ROWS: usize = 1_000_000;

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// A whole number (counts, points, days).
    Int(i64),
    /// A decimal shown with up to two places (hours, scores, money).
    Number(f64),
    /// A ratio in 0..=1, shown as a percentage with one decimal (the three rates).
    Percent(f64),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

/// One table: a sheet of the workbook.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    /// The tab's name (cut to Excel's 31 characters, characters Excel refuses replaced).
    pub name: String,
    /// Lines written above the table (report title, period, unit, generated at).
    pub title: Vec<String>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    pub fn new(name: impl Into<String>, headers: Vec<String>) -> Self {
        Sheet { name: name.into(), title: Vec::new(), headers, rows: Vec::new() }
    }

    /// Adds a line above the table.
    pub fn with_title(mut self, line: impl Into<String>) -> Self {
        self.title.push(line.into());
        self
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }
}

/// Why a workbook could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("a sheet has {0} rows, more than an export may carry")]
    TooManyRows(usize),
    #[error("the workbook could not be written: {0}")]
    Xlsx(#[from] XlsxError),
}

/// The workbook's bytes. An empty list of sheets gives one empty sheet.
pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, ExportError> {
    let mut book = Workbook::new();
    let formats = Formats::new();
    let mut used = Vec::<String>::new();
    for sheet in sheets {
        if sheet.rows.len() > MAX_ROWS {
            return Err(ExportError::TooManyRows(sheet.rows.len()));
        }
        let ws = book.add_worksheet();
        let name = unique_name(&sheet_name(&sheet.name), &used);
        ws.set_name(&name)?;
        used.push(name);
        write_sheet(ws, sheet, &formats)?;
    }
    if sheets.is_empty() {
        book.add_worksheet();
    }
    Ok(book.save_to_buffer()?)
}

struct Formats {
    title: Format,
    header: Format,
    number: Format,
    percent: Format,
}

impl Formats {
    fn new() -> Self {
        Formats {
            title: Format::new().set_bold(),
            header: Format::new().set_bold().set_background_color(0xE8EEF4),
            number: Format::new().set_num_format("0.##"),
            percent: Format::new().set_num_format("0.0%"),
        }
    }
}

fn write_sheet(ws: &mut Worksheet, sheet: &Sheet, f: &Formats) -> Result<(), XlsxError> {
    let mut row: u32 = 0;
    for line in &sheet.title {
        ws.write_string_with_format(row, 0, line, &f.title)?;
        row += 1;
    }
    if !sheet.title.is_empty() {
        row += 1;
    }
    let header_row = row;
    let mut widths: Vec<usize> = sheet.headers.iter().map(|h| display_width(h)).collect();
    for (c, h) in sheet.headers.iter().enumerate() {
        ws.write_string_with_format(header_row, col(c), h, &f.header)?;
    }
    for cells in &sheet.rows {
        row += 1;
        for (c, cell) in cells.iter().enumerate() {
            let width = match cell {
                Cell::Empty => 0,
                Cell::Text(s) => {
                    ws.write_string(row, col(c), s)?;
                    display_width(s)
                }
                Cell::Int(n) => {
                    // Whole numbers beyond 2^53 lose precision in a spreadsheet; no count here
                    // comes near it.
                    #[allow(clippy::cast_precision_loss)]
                    ws.write_number(row, col(c), *n as f64)?;
                    n.to_string().len()
                }
                Cell::Number(x) => {
                    ws.write_number_with_format(row, col(c), *x, &f.number)?;
                    format!("{x:.2}").len()
                }
                Cell::Percent(x) => {
                    ws.write_number_with_format(row, col(c), *x, &f.percent)?;
                    6
                }
            };
            if widths.len() <= c {
                widths.resize(c + 1, 0);
            }
            widths[c] = widths[c].max(width);
        }
    }
    for (c, w) in widths.iter().enumerate() {
        // Column widths are in characters; leave a little air and keep long texts readable.
        #[allow(clippy::cast_precision_loss)]
        ws.set_column_width(col(c), (*w).clamp(6, 60) as f64 + 2.0)?;
    }
    if !sheet.headers.is_empty() {
        ws.set_freeze_panes(header_row + 1, 0)?;
        let last_col = col(sheet.headers.len().saturating_sub(1));
        ws.autofilter(header_row, 0, row.max(header_row), last_col)?;
    }
    Ok(())
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

/// Width in Latin character cells: Han characters and full-width forms count two.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 }).sum()
}

/// A name Excel accepts: at most 31 characters, none of `[]:*?/\`, not empty.
fn sheet_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') { '_' } else { c })
        .take(31)
        .collect();
    let trimmed = cleaned.trim_matches('\'').trim();
    if trimmed.is_empty() { "Sheet".to_string() } else { trimmed.to_string() }
}

fn unique_name(name: &str, used: &[String]) -> String {
    if !used.iter().any(|u| u.eq_ignore_ascii_case(name)) {
        return name.to_string();
    }
    (2..)
        .map(|n| {
            let suffix = format!(" ({n})");
            let base: String = name.chars().take(31 - suffix.chars().count()).collect();
            format!("{base}{suffix}")
        })
        .find(|candidate| !used.iter().any(|u| u.eq_ignore_ascii_case(candidate)))
        .unwrap_or_else(|| name.to_string())
}

/// Whether the client asked for a workbook (`Accept` naming the xlsx type) rather than JSON.
pub fn wants_xlsx(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| part.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case(XLSX_MIME)))
}

/// A download of `bytes` named `filename` (UTF-8 names survive through RFC 5987's `filename*`;
/// the plain `filename` falls back to ASCII).
pub fn xlsx_response(filename: &str, bytes: Vec<u8>) -> Response {
    let ascii: String =
        filename.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(XLSX_MIME));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use calamine::{Data, Reader, Xlsx};
    use std::io::Cursor;

    fn read_back(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
        Xlsx::new(Cursor::new(bytes)).unwrap()
    }

    #[test]
    fn a_workbook_reads_back_with_its_types() {
        let mut sheet =
            Sheet::new("三率 2026-11", vec!["单位".into(), "案件数".into(), "响应率".into(), "得分".into()])
                .with_title("2026年11月 三率排名");
        sheet.push(vec!["和平街道".into(), Cell::Int(120), Cell::Percent(0.925), Cell::Number(91.25)]);
        sheet.push(vec!["东湖街道".into(), Cell::Int(7), Cell::Empty, Cell::Number(0.0)]);
        let mut book = read_back(workbook(&[sheet]).unwrap());
        assert_eq!(book.sheet_names(), vec!["三率 2026-11".to_string()]);
        let range = book.worksheet_range("三率 2026-11").unwrap();
        assert_eq!(range.get_value((0, 0)), Some(&Data::String("2026年11月 三率排名".into())));
        assert_eq!(range.get_value((2, 0)), Some(&Data::String("单位".into())));
        assert_eq!(range.get_value((3, 0)), Some(&Data::String("和平街道".into())));
        assert_eq!(range.get_value((3, 1)), Some(&Data::Float(120.0)));
        assert_eq!(range.get_value((3, 2)), Some(&Data::Float(0.925)));
        assert_eq!(range.get_value((4, 1)), Some(&Data::Float(7.0)));
        assert!(matches!(range.get_value((4, 2)), None | Some(Data::Empty)));
    }

    #[test]
    fn sheet_names_are_made_acceptable_and_unique() {
        let a = Sheet::new("a/b:c*d?[e]", vec![]);
        let b = Sheet::new("A/B:C*D?[E]", vec![]);
        let long = Sheet::new("x".repeat(40), vec![]);
        let book = read_back(workbook(&[a, b, long]).unwrap());
        let names = book.sheet_names();
        assert_eq!(names[0], "a_b_c_d__e_");
        assert_eq!(names[1], "A_B_C_D__E_ (2)");
        assert_eq!(names[2].chars().count(), 31);
    }

    #[test]
    fn accept_header_chooses_the_workbook() {
        let mut h = HeaderMap::new();
        assert!(!wants_xlsx(&h));
        h.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(!wants_xlsx(&h));
        h.insert(header::ACCEPT, HeaderValue::from_str(&format!("text/html, {XLSX_MIME};q=0.9")).unwrap());
        assert!(wants_xlsx(&h));
    }

    #[test]
    fn download_names_keep_chinese_through_rfc_5987() {
        let r = xlsx_response("月报 2026-11.xlsx", vec![1, 2, 3]);
        let d = r.headers().get(header::CONTENT_DISPOSITION).unwrap().to_str().unwrap();
        assert_eq!(d, "attachment; filename=\"___2026-11.xlsx\"; filename*=UTF-8''%E6%9C%88%E6%8A%A5%202026-11.xlsx");
        assert_eq!(r.headers().get(header::CONTENT_TYPE).unwrap(), XLSX_MIME);
    }
}
