//! What every sheet of the spreadsheet export shares: its cell formats, and figures written
//! as numbers. Each activity kind writes its own sheet with them (`Kind::write_sheet`).

use rust_xlsxwriter::{Format, Worksheet, XlsxError};

/// The spreadsheet's cell formats.
pub struct Styles {
    pub title: Format,
    pub heading: Format,
    pub header: Format,
    pub decimal: Format,
    pub signed: Format,
}

impl Default for Styles {
    fn default() -> Self {
        Self::new()
    }
}

impl Styles {
    pub fn new() -> Self {
        Self {
            title: Format::new().set_bold().set_font_size(16),
            heading: Format::new().set_bold().set_font_size(13),
            header: Format::new().set_bold().set_text_wrap(),
            decimal: Format::new().set_num_format("0.0"),
            // The conditions make a change that rounds to 0.0 show "0.0", not "-0.0" or
            // "+0.0", as on every screen (`export::one_decimal`).
            signed: Format::new().set_num_format("[>=0.05]+0.0;[<=-0.05]-0.0;0.0"),
        }
    }
}

/// A figure as a number (to four decimals), or an empty cell when there is none.
pub fn write_optional(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: Option<f64>,
    format: &Format,
) -> Result<(), XlsxError> {
    match value {
        // Four decimals is far more than any mean needs, and keeps 4.2 − 2.5 from showing as
        // 1.7000000000000002 when someone widens the column.
        Some(value) => sheet.write_number_with_format(row, col, (value * 1e4).round() / 1e4, format).map(|_| ()),
        None => sheet.write_string(row, col, "").map(|_| ()),
    }
}
