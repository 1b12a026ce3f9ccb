//! Figures as every report and screen shows them: one rounding rule, one decimal place.

/// Tenths of a figure, by the one rounding rule of every screen and report: the figure is
/// first taken to four decimals (as the spreadsheet stores it, so that 1.15 computed as
/// 1.1499999999999999 counts as 1.15), then rounded half away from zero. A mean of exactly
/// 2.25 is 2.3 everywhere; Rust's `{:.1}` would say 2.2 (ties to even) while Excel's "0.0"
/// says 2.3. The web's `format.ts` follows the same rule.
fn tenths(value: f64) -> i64 {
    let quantised = (value * 1e4).round() as i64;
    let tenths = (quantised.abs() + 500) / 1000;
    if quantised < 0 { -tenths } else { tenths }
}

/// A figure rounded to one decimal place by the rule of [`tenths`].
pub fn round_one(value: f64) -> f64 {
    tenths(value) as f64 / 10.0
}

/// A figure to one decimal place, as reports show means: "2.3".
pub fn one_decimal(value: f64) -> String {
    let tenths = tenths(value);
    let sign = if tenths < 0 { "-" } else { "" };
    format!("{sign}{}.{}", tenths.abs() / 10, tenths.abs() % 10)
}

/// A change to one decimal place, with its sign: "+1.2", "-0.3", "0.0".
pub fn signed_one_decimal(value: f64) -> String {
    let text = one_decimal(value);
    if tenths(value) > 0 { format!("+{text}") } else { text }
}

/// A mean as tables show it: "3.2", or "–" when nobody answered.
pub fn mean(value: Option<f64>) -> String {
    value.map(one_decimal).unwrap_or_else(|| "–".to_owned())
}

/// A change as tables show it: "+1.2", or "–" when there is none.
pub fn signed(value: Option<f64>) -> String {
    value.map(signed_one_decimal).unwrap_or_else(|| "–".to_owned())
}

#[cfg(test)]
mod rounding {
    use super::{one_decimal, round_one, signed_one_decimal};

    /// One rule everywhere: half away from zero, one decimal, on the figure as the
    /// spreadsheet stores it (four decimals).
    #[test]
    fn ties_round_away_from_zero() {
        for (value, shown) in [
            (2.25, "2.3"),
            (2.35, "2.4"),
            (-2.25, "-2.3"),
            (1.15, "1.2"),
            (0.05, "0.1"),
            (2.675, "2.7"),
            (3.0, "3.0"),
            (4.44, "4.4"),
            (2.24996, "2.3"),
            (2.24994, "2.2"),
            (9.0 / 4.0, "2.3"),
            (0.0, "0.0"),
            (-0.04, "0.0"),
        ] {
            assert_eq!(one_decimal(value), shown, "{value}");
            assert_eq!(round_one(value), shown.parse::<f64>().expect("a number"), "{value}");
        }
        assert_eq!(signed_one_decimal(1.15), "+1.2");
        assert_eq!(signed_one_decimal(-0.25), "-0.3");
        assert_eq!(signed_one_decimal(0.01), "0.0");
    }
}
