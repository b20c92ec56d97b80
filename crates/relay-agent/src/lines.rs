//! Newline-delimited reading that handles very long lines (64 MiB and more) without quadratic
//! copying: bytes are scanned once with `memchr` and appended to one reusable buffer.

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// Default largest line accepted: 256 MiB.
pub const DEFAULT_MAX_LINE_BYTES: usize = 256 * 1024 * 1024;

const READ_BUFFER: usize = 256 * 1024;

/// Why a line could not be read.
#[derive(Debug)]
pub enum LineError {
    /// The stream failed.
    Io(std::io::Error),
    /// A line exceeded the limit (`size` is how much was seen before giving up).
    TooLong {
        /// Bytes seen so far.
        size: usize,
    },
}

/// Reads `\n`-terminated lines from an async byte stream.
#[derive(Debug)]
pub struct LineReader<R> {
    inner: BufReader<R>,
    max: usize,
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    /// A reader accepting lines up to `max_line_bytes`.
    pub fn new(reader: R, max_line_bytes: usize) -> Self {
        Self {
            inner: BufReader::with_capacity(READ_BUFFER, reader),
            max: max_line_bytes,
        }
    }

    /// Appends the rest of the current line to `line` (newline and `\r` stripped) and returns
    /// `Ok(true)` once it is complete; `Ok(false)` at end of stream with nothing more read. A
    /// final line without a newline is still returned.
    ///
    /// Cancel-safe: when the future is dropped (e.g. in `select!`), the bytes already read stay
    /// in `line` and the next call completes the same line. So the caller clears `line` after
    /// using each complete line.
    pub async fn next_line(&mut self, line: &mut Vec<u8>) -> Result<bool, LineError> {
        loop {
            let available = self.inner.fill_buf().await.map_err(LineError::Io)?;
            if available.is_empty() {
                return Ok(!line.is_empty());
            }
            match memchr::memchr(b'\n', available) {
                Some(pos) => {
                    if line.len() + pos > self.max {
                        let size = line.len() + pos;
                        self.inner.consume(pos + 1);
                        return Err(LineError::TooLong { size });
                    }
                    line.extend_from_slice(&available[..pos]);
                    self.inner.consume(pos + 1);
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    return Ok(true);
                }
                None => {
                    let n = available.len();
                    if line.len() + n > self.max {
                        return Err(LineError::TooLong {
                            size: line.len() + n,
                        });
                    }
                    line.extend_from_slice(available);
                    self.inner.consume(n);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn all_lines(input: &[u8], max: usize) -> Vec<Result<Vec<u8>, usize>> {
        let mut reader = LineReader::new(input, max);
        let mut out = Vec::new();
        let mut line = Vec::new();
        loop {
            match reader.next_line(&mut line).await {
                Ok(true) => {
                    out.push(Ok(line.clone()));
                    line.clear();
                }
                Ok(false) => break,
                Err(LineError::TooLong { size }) => {
                    out.push(Err(size));
                    break;
                }
                Err(LineError::Io(e)) => panic!("{e}"),
            }
        }
        out
    }

    #[tokio::test]
    async fn splits_lines_strips_crlf_and_keeps_unterminated_tail() {
        let lines = all_lines(b"a\r\nbb\n\nccc", 100).await;
        assert_eq!(
            lines,
            vec![
                Ok(b"a".to_vec()),
                Ok(b"bb".to_vec()),
                Ok(b"".to_vec()),
                Ok(b"ccc".to_vec())
            ]
        );
    }

    #[tokio::test]
    async fn reads_a_64_mib_line_intact() {
        let mut input = vec![b'x'; 64 * 1024 * 1024];
        input.push(b'\n');
        input.extend_from_slice(b"after\n");
        let lines = all_lines(&input, DEFAULT_MAX_LINE_BYTES).await;
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].as_ref().unwrap().len(), 64 * 1024 * 1024);
        assert_eq!(lines[1].as_ref().unwrap(), b"after");
    }

    #[tokio::test]
    async fn a_read_cancelled_mid_line_loses_nothing() {
        use tokio::io::AsyncWriteExt;
        let (mut writer, reader) = tokio::io::duplex(1024);
        let mut reader = LineReader::new(reader, 1024);
        let mut line = Vec::new();
        writer.write_all(b"first half, ").await.unwrap();
        // The read is abandoned (as `select!` does) while the line is incomplete.
        let pending = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            reader.next_line(&mut line),
        )
        .await;
        assert!(pending.is_err());
        writer.write_all(b"second half\nnext\n").await.unwrap();
        assert!(reader.next_line(&mut line).await.unwrap());
        assert_eq!(line, b"first half, second half");
        line.clear();
        assert!(reader.next_line(&mut line).await.unwrap());
        assert_eq!(line, b"next");
    }

    #[tokio::test]
    async fn rejects_a_line_over_the_limit() {
        let lines = all_lines(b"0123456789\n", 4).await;
        assert!(matches!(lines.as_slice(), [Err(size)] if *size >= 5));
    }
}
