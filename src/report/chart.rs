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
/// Text size, in SVG units.
const TEXT_SIZE: f64 = 13.0;
/// The label is squeezed to the chart's width past this many characters (an average glyph
/// of Libertinus at 13 units is about 6 units wide: 115 characters fill 700 units).
const LABEL_CHARS: usize = 115;

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
    let height = top + 20.0 + ROW * bars.len() as f64;
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
    for (i, bar) in bars.iter().enumerate() {
        let y = top + 10.0 + ROW * i as f64;
        let squeeze = if bar.label.chars().count() > LABEL_CHARS {
            format!(r#" textLength="{}" lengthAdjust="spacingAndGlyphs""#, WIDTH - 4.0)
        } else {
            String::new()
        };
        let _ = write!(svg, r#"<text x="0" y="{}"{squeeze}>{}</text>"#, y + 12.0, escape(bar.label));
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
    let options = resvg::usvg::Options { fontdb: FONTS.clone(), ..Default::default() };
    let tree = resvg::usvg::Tree::from_str(svg, &options)?;
    let size = tree.size().to_int_size().scale_by(scale).ok_or(PngError::Size(0, 0))?;
    let (width, height) = (size.width(), size.height());
    let mut pixmap = resvg::tiny_skia::Pixmap::new(width, height).ok_or(PngError::Size(width, height))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(&tree, resvg::tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    let png = pixmap.encode_png().map_err(|err| PngError::Png(err.to_string()))?;
    Ok((png, width, height))
}

#[cfg(test)]
mod tests {
    use super::{Bars, before_after, png};

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
}
