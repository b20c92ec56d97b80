//! Human output: aligned tables with optional colour; machine output: JSON.

use serde::Serialize;

/// ANSI styling, switched off when stdout is not a terminal.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Whether to emit colour codes.
    pub enabled: bool,
}

/// A colour for a table cell or a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    /// No colour.
    Plain,
    /// Good news.
    Green,
    /// Needs attention.
    Yellow,
    /// Failure.
    Red,
    /// Secondary information.
    Dim,
    /// Headings.
    Bold,
    /// Names.
    Cyan,
}

impl Style {
    /// `text` wrapped in the colour's escape codes when colour is on.
    pub fn paint(&self, color: Color, text: &str) -> String {
        let code = match color {
            Color::Plain => return text.to_owned(),
            Color::Green => "32",
            Color::Yellow => "33",
            Color::Red => "31",
            Color::Dim => "2",
            Color::Bold => "1",
            Color::Cyan => "36",
        };
        if self.enabled {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// A table whose columns are padded to their widest cell.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<(String, Color)>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new(headers: Vec<&'static str>) -> Self {
        Table {
            headers,
            rows: Vec::new(),
        }
    }

    /// Adds a row of (text, colour) cells.
    pub fn row(&mut self, cells: Vec<(String, Color)>) {
        self.rows.push(cells);
    }

    /// Renders with two spaces between columns; the last column is not padded.
    pub fn render(&self, style: Style) -> String {
        let columns = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, (text, _)) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(text.chars().count());
            }
        }
        let mut out = String::new();
        let line = |cells: Vec<(String, Color)>, out: &mut String| {
            let last = cells.len().saturating_sub(1);
            for (i, (text, color)) in cells.into_iter().enumerate() {
                let pad = if i == last {
                    0
                } else {
                    widths[i] - text.chars().count() + 2
                };
                out.push_str(&style.paint(color, &text));
                out.push_str(&" ".repeat(pad));
            }
            out.push('\n');
        };
        line(
            self.headers
                .iter()
                .map(|h| (h.to_string(), Color::Bold))
                .collect(),
            &mut out,
        );
        for row in &self.rows {
            line(row.clone(), &mut out);
        }
        out
    }
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("CLI output types serialize")
    );
}

/// A short sha for humans.
pub fn short_sha(sha: &str) -> &str {
    &sha[..sha.len().min(8)]
}

/// One repository's line in a report of a multi-repository operation.
pub struct ReportLine {
    /// Repository name.
    pub name: String,
    /// What happened, as a word ("cloned", "skipped", ...).
    pub action: String,
    /// Colour for the action.
    pub color: Color,
    /// Details (reason, shas).
    pub detail: String,
}

/// Renders report lines as a table.
pub fn render_report(lines: &[ReportLine], style: Style) -> String {
    let mut table = Table::new(vec!["REPO", "RESULT", "DETAIL"]);
    for l in lines {
        table.row(vec![
            (l.name.clone(), Color::Cyan),
            (l.action.clone(), l.color),
            (l.detail.clone(), Color::Plain),
        ]);
    }
    table.render(style)
}
