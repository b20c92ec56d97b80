//! Splitting a typed command line into words, shared by the shell agent (which runs a prompt as
//! a command) and the text transport (which reads `run COMMAND in REPOS`).

use super::AgentError;

/// Splits a command line into words: whitespace separates, single and double quotes group, a
/// backslash escapes the next character outside single quotes. Nothing else is interpreted.
pub fn split_command_line(line: &str) -> Result<Vec<String>, AgentError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => word.push(c),
            (_, '\\') => match chars.next() {
                Some(next) => {
                    word.push(next);
                    in_word = true;
                }
                None => {
                    return Err(AgentError::InvalidTask(
                        "the command ends with a lone backslash".into(),
                    ));
                }
            },
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(AgentError::InvalidTask(format!(
            "unterminated {q} quote in the command `{line}`"
        )));
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_words_and_quotes_without_interpreting_anything_else() {
        assert_eq!(
            split_command_line(r#"git commit -m "fix: a b" 'it''s' $HOME;rm\ x"#).unwrap(),
            ["git", "commit", "-m", "fix: a b", "its", "$HOME;rm x"]
        );
        assert!(split_command_line("echo 'open").is_err());
        assert!(split_command_line("   ").unwrap().is_empty());
    }
}
