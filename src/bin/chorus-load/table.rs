//! The report's table: measure, measured, target, in aligned columns.

use serde_json::Value;

/// Prints `(measure, measured, target)` rows under a header, the columns as wide as their
/// widest cell.
pub fn print(rows: Vec<(String, String, String)>) {
    let w0 = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    println!("{:<w0$}  {:<w1$}  target", "measure", "measured");
    println!("{}", "-".repeat(w0 + w1 + 26));
    for (name, got, target) in rows {
        println!("{name:<w0$}  {got:<w1$}  {target}");
    }
}

/// A figure in milliseconds, one decimal, or "–" when the report has none.
pub fn ms(v: &Value) -> String {
    v.as_f64().map(|x| format!("{x:.1} ms")).unwrap_or_else(|| "–".into())
}
