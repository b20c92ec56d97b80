//! What the `relay serve` tests share: where the server listens, read from its first stderr line.

/// `HOST:PORT` from `relay serve: listening on http://HOST:PORT (...)`.
///
/// # Panics
/// When the line is not that announcement, quoting it.
pub fn listening_addr(first_line: &str) -> String {
    first_line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("relay serve prints where it listens, got {first_line:?}"))
        .to_owned()
}
