//! Configuration errors and their diagnostics, printed as `file:line:column: message` with a
//! `help:` line saying what to do.

use std::fmt;
use std::path::{Path, PathBuf};

use marked_yaml::Spanned;
use serde::{Deserialize, Serialize};

use super::CONFIG_FILE_NAME;

/// A workspace configuration problem.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No configuration file where one was looked for.
    #[error(
        "no {CONFIG_FILE_NAME} found in {} or any parent directory; create one (see `relay demo` for an example), \
         or point Relay at a workspace with --workspace PATH or RELAY_WORKSPACE",
        searched_from.display()
    )]
    NotFound {
        /// Where the search started (or the file that was missing).
        searched_from: PathBuf,
    },
    /// The file exists but could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is invalid; every problem found is listed.
    #[error("{}", render_diagnostics(file, diagnostics))]
    Invalid {
        /// The file.
        file: PathBuf,
        /// The problems, in file order.
        diagnostics: Vec<Diagnostic>,
    },
}

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// Keeps the position inside `text`. The YAML loader marks a value missing at the end of
    /// the file (or an error after a final line break, including a lone carriage return) one
    /// line past the last; such a position becomes the end of the last line, counting lines as
    /// YAML does (`\r\n`, `\r`, `\n`).
    pub(super) fn within(mut self, text: &str) -> Self {
        let normalized = text.replace("\r\n", "\n");
        let lines: Vec<&str> = normalized.split(['\r', '\n']).collect();
        if self.line > lines.len() {
            self.line = lines.len();
            self.column = lines.last().map_or(0, |l| l.chars().count()) + 1;
        }
        self
    }

    /// A diagnostic at the start of `spanned` (line and column 0 when it has no position).
    pub(super) fn at<T>(
        spanned: &Spanned<T>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> Self {
        let (line, column) = spanned
            .span()
            .start()
            .map(|m| (m.line(), m.column()))
            .unwrap_or((0, 0));
        Diagnostic {
            line,
            column,
            message: message.into(),
            help,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Every diagnostic as `file:line:column: message`, each followed by its `help:` line.
fn render_diagnostics(file: &Path, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (i, d) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!(
            "{}:{}:{}: {}",
            file.display(),
            d.line,
            d.column,
            d.message
        ));
        if let Some(help) = &d.help {
            out.push_str(&format!("\n  help: {help}"));
        }
    }
    out
}
