//! Server-Sent Events: a sans-IO decoder for upstream streams, and frame writers for
//! the gateway's own streams.

use bytes::{Bytes, BytesMut};
use harmony_ollama::StreamEvent;
use harmony_openai::{ApiError, ChatEncoder, ResponsesEncoder};

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

/// A streaming protocol encoder: [`ChatEncoder`](harmony_openai::ChatEncoder) or
/// [`ResponsesEncoder`](harmony_openai::ResponsesEncoder), as [`SseFramer`] drives it.
///
/// ```
/// use harmony_openai::{ResponsesEncoder, ResponsesOptions};
/// use harmony_server::StreamEncoder;
/// let mut enc = ResponsesEncoder::new(ResponsesOptions::new("m"));
/// let mut out = Vec::new();
/// StreamEncoder::start(&mut enc, &mut out);
/// StreamEncoder::finish(&mut enc, &mut out);
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with("event: response.created\n"));
/// assert!(text.contains("event: response.completed\n"));
/// ```
pub trait StreamEncoder: Send + 'static {
    /// Writes what opens the stream (`response.created`, ...); nothing by default.
    fn start(&mut self, _out: &mut Vec<u8>) {}
    /// Writes the frames for one event.
    fn event(&mut self, event: &StreamEvent, out: &mut Vec<u8>);
    /// Ends the stream (after `Done`, or when the upstream stopped without one).
    fn finish(&mut self, out: &mut Vec<u8>);
    /// Writes a mid-stream failure; the stream is over.
    fn error(&mut self, error: &ApiError, out: &mut Vec<u8>);
}

impl StreamEncoder for ChatEncoder {
    fn event(&mut self, event: &StreamEvent, out: &mut Vec<u8>) {
        ChatEncoder::event(self, event, out);
    }
    fn finish(&mut self, out: &mut Vec<u8>) {
        ChatEncoder::finish(self, out);
    }
    fn error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        ChatEncoder::error(self, error, out);
    }
}

impl StreamEncoder for ResponsesEncoder {
    fn start(&mut self, out: &mut Vec<u8>) {
        ResponsesEncoder::start(self, out);
    }
    fn event(&mut self, event: &StreamEvent, out: &mut Vec<u8>) {
        ResponsesEncoder::event(self, event, out);
    }
    fn finish(&mut self, out: &mut Vec<u8>) {
        ResponsesEncoder::finish(self, out);
    }
    fn error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        ResponsesEncoder::error(self, error, out);
    }
}

/// Initial room of the framer's buffer: a few dozen frames before it must grow.
const FRAME_BUFFER: usize = 8 * 1024;

/// The gateway's SSE body, sans-IO: the mode engine's events in, one body chunk per
/// event out. The server's streamed `/v1/chat/completions` and `/v1/responses` run
/// exactly this; the bench (`benches/translate.rs`) runs it without the network.
///
/// Chunks are cut from one reused buffer, so a chunk costs no allocation once the
/// previous chunks were sent and dropped (the buffer's space is reclaimed), only a
/// reference-count bump.
///
/// ```
/// use harmony_ollama::{Channel, StreamEvent};
/// use harmony_openai::{ChatEncoder, ChatEncoderOptions};
/// use harmony_server::SseFramer;
///
/// let mut sse = SseFramer::new(ChatEncoder::new(ChatEncoderOptions::new("gpt-oss:20b")));
/// assert!(sse.start().is_empty()); // Chat Completions has no opening frame
/// let chunk = sse.event(&StreamEvent::Delta { channel: Some(Channel::Final), text: "Hi".into() });
/// assert!(std::str::from_utf8(&chunk).unwrap().contains(r#""delta":{"content":"Hi"}"#));
/// let end = sse.event(&StreamEvent::Done(Default::default()));
/// assert!(end.ends_with(b"data: [DONE]\n\n"));
/// ```
#[derive(Debug)]
pub struct SseFramer<E> {
    encoder: E,
    /// What the encoder writes for one event (it writes into a `Vec`).
    scratch: Vec<u8>,
    /// Where chunks are cut from.
    buf: BytesMut,
}

impl<E: StreamEncoder> SseFramer<E> {
    /// A framer over `encoder`.
    ///
    /// ```
    /// use harmony_openai::{ResponsesEncoder, ResponsesOptions};
    /// let mut sse = harmony_server::SseFramer::new(ResponsesEncoder::new(ResponsesOptions::new("m")));
    /// assert!(sse.start().starts_with(b"event: response.created\n"));
    /// ```
    pub fn new(encoder: E) -> Self {
        SseFramer {
            encoder,
            scratch: Vec::with_capacity(1024),
            buf: BytesMut::with_capacity(FRAME_BUFFER),
        }
    }

    /// The encoder, for its usage counts and ids.
    ///
    /// ```
    /// use harmony_openai::{ChatEncoder, ChatEncoderOptions};
    /// let sse = harmony_server::SseFramer::new(ChatEncoder::new(ChatEncoderOptions::new("m")));
    /// assert!(!sse.encoder().is_finished());
    /// ```
    pub fn encoder(&self) -> &E {
        &self.encoder
    }

    /// What opens the stream (empty for Chat Completions).
    ///
    /// ```
    /// use harmony_openai::{ChatEncoder, ChatEncoderOptions};
    /// let mut sse = harmony_server::SseFramer::new(ChatEncoder::new(ChatEncoderOptions::new("m")));
    /// assert!(sse.start().is_empty());
    /// ```
    pub fn start(&mut self) -> Bytes {
        self.encoder.start(&mut self.scratch);
        self.cut()
    }

    /// The frames for one event (empty when the event shows nothing to this
    /// protocol); `Done` also ends the stream.
    ///
    /// ```
    /// use harmony_ollama::StreamEvent;
    /// use harmony_openai::{ResponsesEncoder, ResponsesOptions};
    /// let mut sse = harmony_server::SseFramer::new(ResponsesEncoder::new(ResponsesOptions::new("m")));
    /// let end = sse.event(&StreamEvent::Done(Default::default()));
    /// assert!(std::str::from_utf8(&end).unwrap().contains("event: response.completed\n"));
    /// ```
    pub fn event(&mut self, event: &StreamEvent) -> Bytes {
        self.encoder.event(event, &mut self.scratch);
        if matches!(event, StreamEvent::Done(_)) {
            self.encoder.finish(&mut self.scratch);
        }
        self.cut()
    }

    /// A mid-stream failure, in the protocol's own shape; the stream is over.
    ///
    /// ```
    /// use harmony_openai::{ApiError, ChatEncoder, ChatEncoderOptions};
    /// let mut sse = harmony_server::SseFramer::new(ChatEncoder::new(ChatEncoderOptions::new("m")));
    /// let chunk = sse.error(&ApiError::upstream_error("boom"));
    /// assert!(chunk.starts_with(b"data: {\"error\":"));
    /// ```
    pub fn error(&mut self, error: &ApiError) -> Bytes {
        self.encoder.error(error, &mut self.scratch);
        self.cut()
    }

    /// Moves what the encoder wrote into the shared buffer and cuts it off as a chunk.
    fn cut(&mut self) -> Bytes {
        if self.scratch.is_empty() {
            return Bytes::new();
        }
        // `reserve` takes the space of earlier chunks back when they are all dropped.
        self.buf.reserve(self.scratch.len().max(FRAME_BUFFER / 4));
        self.buf.extend_from_slice(&self.scratch);
        self.scratch.clear();
        self.buf.split().freeze()
    }
}
