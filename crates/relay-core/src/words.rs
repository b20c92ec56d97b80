//! Small helpers for the English Relay speaks and prints.

/// `n` with the noun in the right number: "1 file", "2 files".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
