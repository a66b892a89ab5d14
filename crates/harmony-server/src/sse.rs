//! Server-Sent Events: a sans-IO decoder for upstream streams, and frame writers for
//! the gateway's own streams.

/// Decodes an SSE byte stream, split anywhere, into the `data` of each event.
///
/// ```
/// use harmony_server::SseDecoder;
/// let mut d = SseDecoder::new();
/// d.feed(b"data: {\"a\"");
/// assert_eq!(d.next_data(), None);
/// d.feed(b":1}\n\n: comment\n\ndata: [DONE]\n\n");
/// assert_eq!(d.next_data().as_deref(), Some("{\"a\":1}"));
/// assert_eq!(d.next_data().as_deref(), Some("[DONE]"));
/// assert_eq!(d.next_data(), None);
/// ```
#[derive(Debug, Default)]
pub struct SseDecoder {
    buf: Vec<u8>,
    /// Bytes of `buf` already split into lines.
    read: usize,
    data: String,
    has_data: bool,
}

impl SseDecoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.read > 0 && self.read == self.buf.len() {
            self.buf.clear();
            self.read = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete event's data, if one is complete (events without data, such
    /// as comments and keep-alives, are skipped).
    pub fn next_data(&mut self) -> Option<String> {
        loop {
            let rest = &self.buf[self.read..];
            let end = rest.iter().position(|&b| b == b'\n')?;
            let mut line = &rest[..end];
            self.read += end + 1;
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            if line.is_empty() {
                if self.has_data {
                    self.has_data = false;
                    return Some(std::mem::take(&mut self.data));
                }
                continue;
            }
            let line = String::from_utf8_lossy(line);
            if let Some(value) = line.strip_prefix("data:") {
                let value = value.strip_prefix(' ').unwrap_or(value);
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
        }
    }
}

/// Appends one SSE frame, `event: <name>` (when given) then `data: <json>`.
///
/// ```
/// let mut out = Vec::new();
/// harmony_server::write_sse(&mut out, Some("response.created"), "{}");
/// assert_eq!(out, b"event: response.created\ndata: {}\n\n");
/// ```
pub fn write_sse(out: &mut Vec<u8>, event: Option<&str>, data: &str) {
    if let Some(name) = event {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
    }
    // JSON never holds a raw newline, but a caller's text might: one data line each.
    for line in data.split('\n') {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
}
