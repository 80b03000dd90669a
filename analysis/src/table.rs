//! A report table: written in full precision as CSV (for scripts and tests) and rounded
//! for reading in index.html.

use crate::output_error::OutputError;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Num(f64),
    /// Not measured / not applicable: an empty CSV field, "—" in HTML.
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Self {
        Self::Text(s.into())
    }

    pub fn opt(x: Option<f64>) -> Self {
        x.map_or(Self::Empty, Self::Num)
    }

    /// Exact value, shortest representation that round-trips.
    pub fn csv(&self) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::Num(x) => format!("{x}"),
            Self::Empty => String::new(),
        }
    }

    /// Four significant digits, plain notation for everyday magnitudes.
    pub fn display(&self) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::Empty => "—".into(),
            Self::Num(x) => format_significant(*x, 4),
        }
    }
}

impl From<f64> for Cell {
    fn from(x: f64) -> Self {
        Self::Num(x)
    }
}

impl From<u64> for Cell {
    fn from(x: u64) -> Self {
        Self::Num(x as f64)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Self::Text(s.into())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

/// `digits` significant digits; integers print as integers, very large or small values in
/// scientific notation.
pub fn format_significant(x: f64, digits: usize) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    if x.fract() == 0.0 && x.abs() < 1e9 {
        return format!("{x:.0}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-3..9).contains(&magnitude) {
        return format!("{x:.prec$e}", prec = digits.saturating_sub(1));
    }
    let decimals = (digits as i32 - 1 - magnitude).max(0) as usize;
    format!("{x:.decimals$}")
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// File stem of the CSV (`scaling` → `scaling.csv`).
    pub stem: String,
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(stem: &str, title: &str, columns: &[&str]) -> Self {
        Self {
            stem: stem.into(),
            title: title.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len(), "table {}", self.stem);
        self.rows.push(row);
    }

    /// The rounded values in aligned columns, for a terminal.
    pub fn to_text(&self) -> String {
        let cells: Vec<Vec<String>> = std::iter::once(self.columns.clone())
            .chain(
                self.rows
                    .iter()
                    .map(|r| r.iter().map(Cell::display).collect()),
            )
            .collect();
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|c| {
                cells
                    .iter()
                    .map(|r| r.get(c).map_or(0, |x| x.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut text = String::new();
        for row in &cells {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(x, w)| format!("{x:<w$}"))
                .collect();
            text.push_str(line.join("  ").trim_end());
            text.push('\n');
        }
        text
    }

    pub fn write_csv(&self, dir: &Path) -> Result<(), OutputError> {
        let path = dir.join(format!("{}.csv", self.stem));
        let mut writer = csv::Writer::from_writer(Vec::new());
        let fail = |source| OutputError::Csv { path: path.clone(), source };
        writer.write_record(&self.columns).map_err(fail)?;
        for row in &self.rows {
            writer
                .write_record(row.iter().map(Cell::csv))
                .map_err(fail)?;
        }
        let cannot_write = |source| OutputError::File { path: path.clone(), source };
        let bytes = writer.into_inner().map_err(|e| cannot_write(e.into_error()))?;
        xvr_contract::results::write_atomic(&path, &bytes).map_err(cannot_write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(format_significant(0.916666, 4), "0.9167");
        assert_eq!(format_significant(110.0, 4), "110");
        assert_eq!(format_significant(33.456789, 4), "33.46");
        assert_eq!(format_significant(0.000123456, 4), "1.235e-4");
        assert_eq!(Cell::Num(0.1 + 0.2).csv(), "0.30000000000000004");
        assert_eq!(Cell::Empty.display(), "—");
    }
}
