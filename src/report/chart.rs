//! Charts as standalone SVG: the before/after bars the HTML report draws, with the same
//! geometry and colours, but every style written as an attribute (no CSS) and the text in a
//! font that both the DOCX's pictures (rendered by resvg) and the PDF (typst) embed, so the
//! chart looks the same in each.

use std::fmt::Write;
use std::sync::{Arc, LazyLock};

use quick_xml::escape::escape;

/// The charts' font: Libertinus Serif, shipped with `typst-assets` (the PDF's body font too).
pub const FONT: &str = "Libertinus Serif";
/// The chart's width in SVG units, as in the HTML report.
pub const WIDTH: f64 = 720.0;
/// Widest bar, in SVG units (the HTML report's `BAR_WIDTH`).
const BAR_WIDTH: f64 = 460.0;
/// One statement's share of the height: its label and two bars.
const ROW: f64 = 78.0;
/// The legend's height above the rows.
const LEGEND: f64 = 28.0;
const FIRST_COLOUR: &str = "#8fa8c8";
const LAST_COLOUR: &str = "#1d4e89";
const TEXT_COLOUR: &str = "#1a1a1a";
/// Text size, in SVG units: the HTML report's 13 px read small on paper (the chart is
/// printed 16 cm wide, so 13 units come out at 8 pt); 15 gives 9.5 pt and still fits the
/// same rows.
const TEXT_SIZE: f64 = 15.0;
/// A label longer than this many characters is wrapped onto more lines (an average glyph of
/// Libertinus at 15 units is about 7 units wide: 100 characters fill 700 units); a
/// statement may have 300.
const LABEL_CHARS: usize = 100;
/// The height of each further line of a wrapped label.
const LINE: f64 = 18.0;

/// One statement's bars.
pub struct Bars<'a> {
    pub label: &'a str,
    pub first: Option<f64>,
    pub last: Option<f64>,
    /// The figures as the tables show them ("3.2").
    pub first_label: String,
    pub last_label: String,
}

/// The before/after chart of a scale: one labelled pair of bars per statement (a single bar
/// when the scale has one round). Returns the SVG and its height.
pub fn before_after(bars: &[Bars<'_>], min: i32, max: i32, rounds: Option<(&str, &str)>) -> (String, f64) {
    let span = f64::from(max - min).max(1.0);
    let width = |value: Option<f64>| value.map_or(0.0, |v| ((v - f64::from(min)) / span * BAR_WIDTH).max(2.0));
    let top = if rounds.is_some() { LEGEND } else { 0.0 };
    let labels: Vec<Vec<std::borrow::Cow<'_, str>>> =
        bars.iter().map(|bar| textwrap::wrap(bar.label, LABEL_CHARS)).collect();
    let extra = |lines: &[std::borrow::Cow<'_, str>]| LINE * lines.len().saturating_sub(1) as f64;
    let height = top + 20.0 + labels.iter().map(|lines| ROW + extra(lines)).sum::<f64>();
    let mut svg = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" font-family="{FONT}" font-size="{TEXT_SIZE}" fill="{TEXT_COLOUR}">"#
    );
    let _ = write!(svg, r##"<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>"##);
    if let Some((first, last)) = rounds {
        let _ = write!(
            svg,
            r#"<rect x="0" y="6" width="13" height="13" fill="{FIRST_COLOUR}"/><text x="19" y="17">{}</text>"#,
            escape(first)
        );
        let _ = write!(
            svg,
            r#"<rect x="200" y="6" width="13" height="13" fill="{LAST_COLOUR}"/><text x="219" y="17">{}</text>"#,
            escape(last)
        );
    }
    let mut y = top + 10.0;
    for (bar, lines) in bars.iter().zip(&labels) {
        for (i, line) in lines.iter().enumerate() {
            let _ = write!(svg, r#"<text x="0" y="{}">{}</text>"#, y + 12.0 + LINE * i as f64, escape(line.as_ref()));
        }
        y += extra(lines);
        let first = width(bar.first);
        let _ = write!(
            svg,
            r#"<rect x="0" y="{}" width="{first:.1}" height="20" fill="{FIRST_COLOUR}"/><text x="{:.1}" y="{}">{}</text>"#,
            y + 20.0,
            first + 6.0,
            y + 35.0,
            escape(&bar.first_label)
        );
        if rounds.is_some() {
            let last = width(bar.last);
            let _ = write!(
                svg,
                r#"<rect x="0" y="{}" width="{last:.1}" height="20" fill="{LAST_COLOUR}"/><text x="{:.1}" y="{}">{}</text>"#,
                y + 44.0,
                last + 6.0,
                y + 59.0,
                escape(&bar.last_label)
            );
        }
        y += ROW;
    }
    svg.push_str("</svg>");
    (svg, height)
}

/// The fonts the charts may use, for resvg: typst-assets' (nothing read from the system).
static FONTS: LazyLock<Arc<resvg::usvg::fontdb::Database>> = LazyLock::new(|| {
    let mut fonts = resvg::usvg::fontdb::Database::new();
    for data in typst_assets::fonts() {
        fonts.load_font_data(data.to_vec());
    }
    fonts.set_serif_family(FONT);
    fonts.set_sans_serif_family(FONT);
    Arc::new(fonts)
});

#[derive(Debug, thiserror::Error)]
pub enum PngError {
    #[error("reading the chart's SVG: {0}")]
    Svg(#[from] resvg::usvg::Error),
    #[error("the chart is too large to draw ({0} × {1} pixels)")]
    Size(u32, u32),
    #[error("encoding the chart as PNG: {0}")]
    Png(String),
}

/// Draws an SVG chart as a PNG, `scale` pixels per SVG unit (2: sharp on paper at the width
/// a page gives it). Returns the PNG and its size in pixels.
pub fn png(svg: &str, scale: f32) -> Result<(Vec<u8>, u32, u32), PngError> {
    let pixmap = draw(svg, scale)?;
    let png = pixmap.encode_png().map_err(|err| PngError::Png(err.to_string()))?;
    Ok((png, pixmap.width(), pixmap.height()))
}

fn draw(svg: &str, scale: f32) -> Result<resvg::tiny_skia::Pixmap, PngError> {
    let options = resvg::usvg::Options { fontdb: FONTS.clone(), ..Default::default() };
    let tree = resvg::usvg::Tree::from_str(svg, &options)?;
    let size = tree.size().to_int_size().scale_by(scale).ok_or(PngError::Size(0, 0))?;
    let (width, height) = (size.width(), size.height());
    let mut pixmap = resvg::tiny_skia::Pixmap::new(width, height).ok_or(PngError::Size(width, height))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(&tree, resvg::tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    Ok(pixmap)
}

#[cfg(test)]
mod tests {
    use super::{Bars, FONT, before_after, draw, png};

    /// The charts' font is found (resvg leaves out text in a font it does not have, silently).
    #[test]
    fn chart_text_is_drawn() {
        let svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40" font-family="{FONT}" font-size="20"><text x="0" y="30">Before 3.2</text></svg>"#
        );
        let pixmap = draw(&svg, 1.0).expect("draw");
        let inked = pixmap.pixels().iter().filter(|p| p.red() < 128).count();
        assert!(inked > 100, "only {inked} dark pixels: the font was not found");
    }

    /// Participants' text in a chart is text, never markup, and the chart draws.
    #[test]
    fn a_chart_escapes_its_labels_and_draws() {
        let label = "<script>alert(1)</script> & \"x\"";
        let bars =
            [Bars { label, first: Some(3.0), last: Some(4.5), first_label: "3.0".into(), last_label: "4.5".into() }];
        let (svg, height) = before_after(&bars, 1, 5, Some(("Before", "After <b>")));
        assert!(!svg.contains("<script>") && !svg.contains("<b>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"), "{svg}");
        assert_eq!(height, 28.0 + 20.0 + 78.0);
        let (png, width, pixels_high) = png(&svg, 2.0).expect("png");
        assert_eq!((width, pixels_high), (1440, 252));
        assert!(png.starts_with(b"\x89PNG"));
    }

    /// A statement of 300 characters is wrapped onto lines that fit, and the chart grows.
    #[test]
    fn a_long_label_wraps() {
        let label = "co-production ".repeat(21);
        let bars =
            [Bars { label: &label, first: Some(2.0), last: None, first_label: "2.0".into(), last_label: "–".into() }];
        let (svg, height) = before_after(&bars, 1, 5, None);
        let lines = svg.matches("co-production").count();
        assert_eq!(lines, 21);
        assert_eq!(svg.matches("<text").count(), 3 + 1, "three lines and the value: {svg}");
        assert_eq!(height, 20.0 + 78.0 + 2.0 * 18.0);
    }
}
