//! Understands typed utterances without a model: explicit `/tool {json}` calls and a few plain
//! phrasings of the repository, agent and environment tools.

mod env;
mod repo;
mod run;

pub(crate) use run::command_words;

use serde_json::Value;

/// What an utterance asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// Call `name` with JSON `arguments` (text, validated by the registry).
    Call {
        /// Tool name.
        name: String,
        /// Arguments as JSON text.
        arguments: String,
    },
    /// Run `command` in `target`, which may name an environment (`env_exec`) or a repository
    /// (`run_agent_task`); the transport decides by whether such an environment exists.
    RunIn {
        /// The command line, as typed.
        command: String,
        /// The environment or repository name.
        target: String,
    },
    /// List the tools.
    Help,
    /// Not understood.
    Unknown,
}

/// Glue in a list of repository names ("backend and the frontend repos").
const LIST_FILLER: &[&str] = &[
    "and",
    "the",
    "repo",
    "repos",
    "repository",
    "repositories",
    "all",
    "everything",
];

fn call(name: &str, args: Value) -> Intent {
    Intent::Call {
        name: name.into(),
        arguments: args.to_string(),
    }
}

/// An utterance split into words, kept in the case typed (names are case-sensitive) and
/// compared in lower case.
struct Words<'a> {
    typed: Vec<&'a str>,
    lower: Vec<String>,
}

impl<'a> Words<'a> {
    fn new(text: &'a str) -> Self {
        let typed: Vec<&str> = text
            .split_whitespace()
            .map(|w| w.trim_matches(|c: char| matches!(c, ',' | '?' | '.' | '!' | ';')))
            .filter(|w| !w.is_empty())
            .collect();
        let lower = typed.iter().map(|w| w.to_lowercase()).collect();
        Words { typed, lower }
    }

    fn has(&self, word: &str) -> bool {
        self.lower.iter().any(|w| w == word)
    }

    fn has_any(&self, words: &[&str]) -> bool {
        words.iter().any(|w| self.has(w))
    }

    /// Position of the first word in `markers`, at or after `from`.
    fn find(&self, markers: &[&str], from: usize) -> Option<usize> {
        (from..self.lower.len()).find(|&i| markers.contains(&self.lower[i].as_str()))
    }

    /// The first word after a marker that is not filler.
    fn name_after(&self, markers: &[&str], filler: &[&str]) -> Option<&'a str> {
        let pos = self.find(markers, 0)?;
        (pos + 1..self.typed.len())
            .find(|&i| !filler.contains(&self.lower[i].as_str()))
            .map(|i| self.typed[i])
    }
}

/// Parses one utterance.
pub fn parse(utterance: &str) -> Intent {
    let text = utterance.trim();
    if let Some(rest) = text.strip_prefix('/') {
        let (name, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if name == "help" {
            return Intent::Help;
        }
        let args = if args.trim().is_empty() {
            "{}"
        } else {
            args.trim()
        };
        return Intent::Call {
            name: name.to_string(),
            arguments: args.to_string(),
        };
    }
    let lower = text.to_lowercase();
    if lower == "help" || lower == "?" || lower.contains("what can you do") {
        return Intent::Help;
    }
    // A quoted command may contain any word ("run `git status` in api"): it goes first.
    run::parse(text)
        .or_else(|| env::parse(&Words::new(text)))
        .or_else(|| repo::parse(text))
        .unwrap_or(Intent::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_calls_pass_arguments_through() {
        assert_eq!(
            parse(r#"/impact_analysis {"repos":["a"]}"#),
            Intent::Call {
                name: "impact_analysis".into(),
                arguments: r#"{"repos":["a"]}"#.into()
            }
        );
        assert_eq!(
            parse("/project_status"),
            Intent::Call {
                name: "project_status".into(),
                arguments: "{}".into()
            }
        );
        assert_eq!(parse("/help"), Intent::Help);
        assert_eq!(parse("sing me a song"), Intent::Unknown);
    }
}
