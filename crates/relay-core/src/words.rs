//! Small helpers for the English Relay speaks and prints.

/// `n` with the noun in the right number: "1 file", "2 files".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A duration written `90s`, `30m`, `8h`, `7d` or `2w` (a number and one unit).
///
/// ```
/// use std::time::Duration;
/// assert_eq!(relay_core::words::parse_duration("8h"), Ok(Duration::from_secs(8 * 3600)));
/// assert!(relay_core::words::parse_duration("8 hours").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let bad =
        || format!("invalid duration `{text}`; write a number and a unit: 90s, 30m, 8h, 7d or 2w");
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    Ok(std::time::Duration::from_secs(n.saturating_mul(seconds)))
}
