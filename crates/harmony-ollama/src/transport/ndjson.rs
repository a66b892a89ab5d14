//! Sans-IO NDJSON decoder.
//!
//! Feed it byte chunks exactly as they come off the socket (split anywhere: mid-line,
//! mid-escape, mid-UTF-8 character); it hands back whole lines, parsed on demand into
//! [`GenerateLine`] or [`ChatLine`].
//!
//! Why this shape:
//! - A line that lies entirely inside one chunk is parsed straight from the chunk: no
//!   copy at all, and its unescaped strings borrow from the chunk. Only a line that
//!   straddles chunks is assembled in an internal buffer, which is reused, so the
//!   steady state allocates nothing.
//! - The borrowed lines are handed out through [`Lines`], a lending cursor (`while let`
//!   loop), not an `Iterator`, because a line may borrow the decoder's own buffer.
//! - A line longer than [`NdjsonDecoder::max_line_len`] is reported once as
//!   [`DecodeError::LineTooLong`] and its remaining bytes are skipped up to the next
//!   newline, so memory stays bounded whatever the peer sends; decoding resumes at the
//!   next line.

use memchr::memchr;

use crate::transport::error::DecodeError;
use crate::transport::fast;
use crate::transport::line::{ChatLine, GenerateLine};

/// Default bound on one line: 8 MiB, the buffer Ollama's own Go client gives its
/// `bufio.Scanner` for these streams.
pub const DEFAULT_MAX_LINE_LEN: usize = 8 * 1024 * 1024;

/// Incremental NDJSON line splitter and parser: feed byte chunks split anywhere, read typed lines.
///
/// ```
/// use harmony_ollama::NdjsonDecoder;
///
/// let mut decoder = NdjsonDecoder::new();
/// let mut text = String::new();
/// for chunk in [&b"{\"response\":\"Hel"[..], b"lo\",\"done\":false}\n{\"resp", b"onse\":\"!\",\"done\":true}\n"] {
///     let mut lines = decoder.feed(chunk);
///     while let Some(line) = lines.next_generate() {
///         text.push_str(&line.unwrap().response);
///     }
/// }
/// assert_eq!(text, "Hello!");
/// ```
#[derive(Debug, Clone)]
pub struct NdjsonDecoder {
    /// Bytes of lines not yet complete (and, after a dropped [`Lines`], unread lines).
    buf: Vec<u8>,
    /// Consumed prefix of `buf`; compacted lazily so handing out a line is O(1).
    start: usize,
    /// Bytes of `buf[start..]` already searched for `\n`: each byte is scanned once.
    scanned: usize,
    /// Number of the next line to complete, 1-based.
    line: u64,
    max_line_len: usize,
    /// Inside a line that exceeded the bound: drop bytes until the next `\n`.
    discarding: bool,
}

impl Default for NdjsonDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl NdjsonDecoder {
    /// A decoder with the default line bound ([`DEFAULT_MAX_LINE_LEN`]).
    ///
    /// ```
    /// let decoder = harmony_ollama::NdjsonDecoder::new();
    /// assert_eq!(decoder.max_line_len(), 8 * 1024 * 1024);
    /// ```
    pub fn new() -> Self {
        Self::with_max_line_len(DEFAULT_MAX_LINE_LEN)
    }

    /// A decoder that rejects lines longer than `max` bytes (newline excluded).
    ///
    /// ```
    /// use harmony_ollama::{DecodeError, NdjsonDecoder};
    ///
    /// let mut decoder = NdjsonDecoder::with_max_line_len(8);
    /// let mut lines = decoder.feed(b"{\"response\":\"too long\"}\n{}\n");
    /// assert!(matches!(lines.next_line(), Some(Err(DecodeError::LineTooLong { line: 1, .. }))));
    /// assert_eq!(lines.next_line().unwrap().unwrap().bytes(), b"{}");
    /// ```
    pub fn with_max_line_len(max: usize) -> Self {
        NdjsonDecoder {
            buf: Vec::new(),
            start: 0,
            scanned: 0,
            line: 1,
            max_line_len: max,
            discarding: false,
        }
    }

    /// The line bound in bytes.
    ///
    /// ```
    /// assert_eq!(harmony_ollama::NdjsonDecoder::with_max_line_len(10).max_line_len(), 10);
    /// ```
    pub fn max_line_len(&self) -> usize {
        self.max_line_len
    }

    /// Bytes held back waiting for the rest of a line.
    ///
    /// ```
    /// let mut decoder = harmony_ollama::NdjsonDecoder::new();
    /// assert!(decoder.feed(b"{\"resp").next_line().is_none());
    /// assert_eq!(decoder.buffered(), 6);
    /// ```
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Number of lines completed so far (blank lines included).
    ///
    /// ```
    /// let mut decoder = harmony_ollama::NdjsonDecoder::new();
    /// let mut lines = decoder.feed(b"{}\n\n{}\n");
    /// while lines.next_line().is_some() {}
    /// drop(lines);
    /// assert_eq!(decoder.lines_seen(), 3);
    /// ```
    pub fn lines_seen(&self) -> u64 {
        self.line - 1
    }

    /// Starts reading the lines completed by `chunk`. Drain the returned cursor; bytes
    /// it does not get to are kept for the next call (nothing is lost if it is dropped
    /// early, they are just copied once).
    ///
    /// ```
    /// let mut decoder = harmony_ollama::NdjsonDecoder::new();
    /// let mut lines = decoder.feed(b"{\"done\":true}\n");
    /// assert!(lines.next_generate().unwrap().unwrap().done);
    /// assert!(lines.next_generate().is_none());
    /// ```
    pub fn feed<'a>(&'a mut self, chunk: &'a [u8]) -> Lines<'a> {
        Lines {
            dec: self,
            chunk,
            pos: 0,
            release: 0,
            eof: false,
        }
    }

    /// Signals the end of input: the cursor also yields a last line that had no
    /// trailing newline (Ollama always ends lines with `\n`; files may not).
    ///
    /// ```
    /// let mut decoder = harmony_ollama::NdjsonDecoder::new();
    /// assert!(decoder.feed(b"{\"done\":true}").next_line().is_none());
    /// let mut lines = decoder.finish();
    /// assert!(lines.next_generate().unwrap().unwrap().done);
    /// ```
    pub fn finish(&mut self) -> Lines<'_> {
        Lines {
            dec: self,
            chunk: &[],
            pos: 0,
            release: 0,
            eof: true,
        }
    }

    /// Forgets buffered bytes and line numbering, keeping the allocation.
    ///
    /// ```
    /// let mut decoder = harmony_ollama::NdjsonDecoder::new();
    /// assert!(decoder.feed(b"{\"partial").next_line().is_none());
    /// decoder.reset();
    /// assert_eq!(decoder.buffered(), 0);
    /// ```
    pub fn reset(&mut self) {
        self.buf.clear();
        self.start = 0;
        self.scanned = 0;
        self.line = 1;
        self.discarding = false;
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        self.scanned = 0;
        if self.start >= self.buf.len() {
            // Cheap reset keeps the buffer from creeping: the common case is that a
            // straddling line was the only thing buffered.
            self.buf.clear();
            self.start = 0;
        }
    }

    /// Appends to the pending partial line, enforcing the bound. Returns the
    /// line-too-long error when this append crossed it.
    fn stash(&mut self, bytes: &[u8]) -> Option<DecodeError> {
        if self.discarding {
            return None;
        }
        let pending = self.buf.len() - self.start;
        if pending + bytes.len() > self.max_line_len {
            self.drop_partial();
            return Some(self.too_long());
        }
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
        None
    }

    fn drop_partial(&mut self) {
        self.buf.truncate(self.start);
        self.scanned = 0;
        self.discarding = true;
    }

    fn too_long(&self) -> DecodeError {
        DecodeError::LineTooLong {
            line: self.line,
            limit: self.max_line_len,
        }
    }
}

/// A complete line handed out by [`Lines`]: its bytes (newline and a trailing `\r`
/// removed) and its 1-based number in the stream.
///
/// ```
/// let mut decoder = harmony_ollama::NdjsonDecoder::new();
/// let mut lines = decoder.feed(b"\n{\"response\":\"x\"}\r\n");
/// let line = lines.next_line().unwrap().unwrap();
/// assert_eq!(line.number(), 2);
/// assert_eq!(line.generate().unwrap().response, "x");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RawLine<'a> {
    bytes: &'a [u8],
    number: u64,
}

impl<'a> RawLine<'a> {
    /// The line's bytes, without the line terminator.
    ///
    /// ```
    /// let mut decoder = harmony_ollama::NdjsonDecoder::new();
    /// let mut lines = decoder.feed(b"{}\n");
    /// assert_eq!(lines.next_line().unwrap().unwrap().bytes(), b"{}");
    /// ```
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// 1-based line number in the stream.
    ///
    /// ```
    /// let mut decoder = harmony_ollama::NdjsonDecoder::new();
    /// let mut lines = decoder.feed(b"{}\n");
    /// assert_eq!(lines.next_line().unwrap().unwrap().number(), 1);
    /// ```
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Parses the line as an `/api/generate` stream line.
    ///
    /// ```
    /// use harmony_ollama::{DecodeError, NdjsonDecoder};
    ///
    /// let mut decoder = NdjsonDecoder::new();
    /// let mut lines = decoder.feed(b"{\"response\":\"a\"}\n{\"response\":}\n");
    /// assert_eq!(lines.next_line().unwrap().unwrap().generate().unwrap().response, "a");
    /// let err = lines.next_line().unwrap().unwrap().generate().unwrap_err();
    /// assert!(matches!(err, DecodeError::Json { line: 2, column: 13, .. }));
    /// ```
    #[inline]
    pub fn generate(&self) -> Result<GenerateLine<'a>, DecodeError> {
        // The per-token line Ollama sends in raw mode is scanned by hand; anything else
        // (and every error) goes through serde_json. Both give the same line.
        if let Some(head) = fast::head(self.bytes) {
            if head.is_whole() {
                return Ok(head.into_line());
            }
            if let Some(line) = head.with_tail() {
                return Ok(line);
            }
        }
        self.parse()
    }

    /// Parses the line as an `/api/chat` stream line.
    ///
    /// ```
    /// let mut decoder = harmony_ollama::NdjsonDecoder::new();
    /// let mut lines = decoder.feed(b"{\"message\":{\"role\":\"assistant\",\"content\":\"hi\"}}\n");
    /// let line = lines.next_line().unwrap().unwrap().chat().unwrap();
    /// assert_eq!(line.message.unwrap().content, "hi");
    /// ```
    #[inline]
    pub fn chat(&self) -> Result<ChatLine<'a>, DecodeError> {
        // The per-token line of `/api/chat` is scanned by hand, as `generate`'s is.
        match fast::chat(self.bytes) {
            Some(line) => Ok(line),
            None => self.parse(),
        }
    }

    // Out of line: keeps serde_json's code off the fast path it backs up.
    #[inline(never)]
    fn parse<T: serde::Deserialize<'a>>(&self) -> Result<T, DecodeError> {
        serde_json::from_slice(self.bytes).map_err(|source| {
            // serde_json reports a lone surrogate as `unexpected end of hex escape` (or
            // `lone leading surrogate`); find the escape it stopped at and say so.
            if source.is_syntax() {
                if let Some((at, escape)) = lone_surrogate(self.bytes, source.column()) {
                    return DecodeError::LoneSurrogate {
                        line: self.number,
                        column: at + 1,
                        escape,
                        source,
                    };
                }
            }
            DecodeError::Json {
                line: self.number,
                column: source.column(),
                source,
            }
        })
    }
}

/// The first `\uXXXX` escape in `line` that is half a surrogate pair without its other
/// half, if it starts before serde_json's error `column` (1-based): its byte offset
/// and its four hex digits. Only called on a line serde_json already rejected, so it
/// may be slow; escapes are walked pairwise so `\\ud800` (an escaped backslash) is
/// not mistaken for one.
#[cold]
fn lone_surrogate(line: &[u8], column: usize) -> Option<(usize, String)> {
    let hex = |at: usize| -> Option<u16> {
        let digits = line.get(at..at + 4)?;
        u16::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    };
    let mut i = 0;
    while i + 1 < line.len() && i < column {
        if line[i] != b'\\' {
            i += 1;
            continue;
        }
        if line[i + 1] != b'u' {
            i += 2;
            continue;
        }
        let unit = hex(i + 2)?;
        match unit {
            0xD800..=0xDBFF => {
                let paired = line.get(i + 6..i + 8) == Some(&b"\\u"[..])
                    && hex(i + 8).is_some_and(|u| (0xDC00..=0xDFFF).contains(&u));
                if !paired {
                    let digits = String::from_utf8_lossy(&line[i + 2..i + 6]).into_owned();
                    return Some((i, digits));
                }
                i += 12;
            }
            0xDC00..=0xDFFF => {
                let digits = String::from_utf8_lossy(&line[i + 2..i + 6]).into_owned();
                return Some((i, digits));
            }
            _ => i += 6,
        }
    }
    None
}

/// Lending cursor over the lines completed by one fed chunk; see
/// [`NdjsonDecoder::feed`]. Blank lines are skipped (but counted).
///
/// ```
/// let mut decoder = harmony_ollama::NdjsonDecoder::new();
/// let mut lines = decoder.feed(b"{\"message\":{\"content\":\"a\"}}\n{\"done\":true}\n");
/// let mut n = 0;
/// while let Some(line) = lines.next_chat() {
///     line.unwrap();
///     n += 1;
/// }
/// assert_eq!(n, 2);
/// ```
#[derive(Debug)]
pub struct Lines<'a> {
    dec: &'a mut NdjsonDecoder,
    chunk: &'a [u8],
    pos: usize,
    /// Bytes of `dec.buf` handed out by the previous call; released on the next one,
    /// when that line's borrow has ended.
    release: usize,
    eof: bool,
}

impl Lines<'_> {
    /// The next complete line, or `None` when the chunk is used up (its incomplete
    /// tail is kept by the decoder). An `Err` is a line over the length bound; the
    /// cursor stays usable.
    ///
    /// ```
    /// let mut decoder = harmony_ollama::NdjsonDecoder::new();
    /// let mut lines = decoder.feed(b"{}\n{");
    /// assert!(lines.next_line().is_some());
    /// assert!(lines.next_line().is_none());
    /// ```
    pub fn next_line(&mut self) -> Option<Result<RawLine<'_>, DecodeError>> {
        if self.release > 0 {
            let n = std::mem::take(&mut self.release);
            self.dec.consume(n);
        }
        // Locate the line first and slice it after the loop: returning a borrow from
        // inside the loop would keep `self` borrowed across iterations.
        let (from_buf, len, number) = loop {
            match self.step() {
                Step::Line { from_buf, len } => {
                    let number = self.dec.line;
                    self.dec.line += 1;
                    if !is_blank(self.line_bytes(from_buf, len)) {
                        break (from_buf, len, number);
                    }
                    if from_buf {
                        self.dec.consume(len + 1);
                    }
                }
                Step::Error(e) => return Some(Err(e)),
                Step::Skip => {}
                Step::Done => return None,
            }
        };
        if from_buf {
            self.release = len + 1;
        }
        let bytes = self.line_bytes(from_buf, len);
        Some(Ok(RawLine {
            bytes: bytes.strip_suffix(b"\r").unwrap_or(bytes),
            number,
        }))
    }

    fn line_bytes(&self, from_buf: bool, len: usize) -> &[u8] {
        if from_buf {
            let s = self.dec.start;
            &self.dec.buf[s..s + len]
        } else {
            let s = self.pos - len - 1;
            &self.chunk[s..s + len]
        }
    }

    /// [`next_line`](Self::next_line) parsed as an `/api/generate` line.
    ///
    /// ```
    /// let mut decoder = harmony_ollama::NdjsonDecoder::new();
    /// let mut lines = decoder.feed(b"{\"response\":\"\\u003c|end|\\u003e\"}\n");
    /// assert_eq!(lines.next_generate().unwrap().unwrap().response, "<|end|>");
    /// ```
    pub fn next_generate(&mut self) -> Option<Result<GenerateLine<'_>, DecodeError>> {
        let raw = match self.next_line()? {
            Ok(raw) => raw,
            Err(e) => return Some(Err(e)),
        };
        // `raw.generate()` spelled out, so that the fast path builds its line right in
        // the return value (see `fast::Head::into_line`).
        if let Some(head) = fast::head(raw.bytes) {
            if head.is_whole() {
                return Some(Ok(head.into_line()));
            }
            if let Some(line) = head.with_tail() {
                return Some(Ok(line));
            }
        }
        Some(raw.parse())
    }

    /// [`next_line`](Self::next_line) parsed as an `/api/chat` line.
    ///
    /// ```
    /// let mut decoder = harmony_ollama::NdjsonDecoder::new();
    /// let mut lines = decoder.feed(b"{\"done\":true,\"done_reason\":\"stop\"}\n");
    /// assert_eq!(lines.next_chat().unwrap().unwrap().done_reason.unwrap(), "stop");
    /// ```
    pub fn next_chat(&mut self) -> Option<Result<ChatLine<'_>, DecodeError>> {
        let raw = match self.next_line()? {
            Ok(raw) => raw,
            Err(e) => return Some(Err(e)),
        };
        // `raw.chat()` spelled out, as in `next_generate`: written as
        // `next_line()?.and_then(|l| l.chat())` the fast path's gain on the
        // `ndjson_events` bench was gone (1.44 ms against 0.92 ms, 2026-12-02).
        if let Some(line) = fast::chat(raw.bytes) {
            return Some(Ok(line));
        }
        Some(raw.parse())
    }

    /// One state transition. Lines are located here and sliced by the caller, so the
    /// borrow checker sees a single borrow of `self` per handed-out line.
    fn step(&mut self) -> Step {
        let dec = &mut *self.dec;
        // 1. A complete line already buffered (left over from a dropped cursor, or
        //    completed by the previous step appending up to a newline).
        if dec.buf.len() > dec.start {
            let pending = &dec.buf[dec.start..];
            if let Some(i) = memchr(b'\n', &pending[dec.scanned..]) {
                let len = dec.scanned + i;
                if dec.discarding {
                    dec.discarding = false;
                    dec.line += 1;
                    dec.consume(len + 1);
                    return Step::Skip;
                }
                if len > dec.max_line_len {
                    let e = dec.too_long();
                    dec.line += 1;
                    dec.consume(len + 1);
                    return Step::Error(e);
                }
                return Step::Line {
                    from_buf: true,
                    len,
                };
            }
            dec.scanned = pending.len();
            if pending.len() > dec.max_line_len && !dec.discarding {
                // Only reachable through bytes stashed by a dropped cursor.
                dec.drop_partial();
                return Step::Error(dec.too_long());
            }
            // 2. A partial line is buffered: complete it from the chunk.
            let rest = &self.chunk[self.pos..];
            if rest.is_empty() {
                if self.eof && dec.buf.len() > dec.start && !dec.discarding {
                    // Input ended without a final newline: terminate the line.
                    dec.buf.push(b'\n');
                    return Step::Skip;
                }
                if self.eof && dec.discarding {
                    dec.discarding = false;
                    dec.buf.truncate(dec.start);
                    dec.line += 1;
                }
                return Step::Done;
            }
            return match memchr(b'\n', rest) {
                Some(i) => {
                    let take = &rest[..=i];
                    self.pos += i + 1;
                    if dec.discarding {
                        dec.discarding = false;
                        dec.line += 1;
                        dec.buf.truncate(dec.start);
                        dec.consume(0);
                        Step::Skip
                    } else if let Some(e) = dec.stash(&take[..i]) {
                        // The line ends here, so skipping is already finished.
                        dec.discarding = false;
                        dec.line += 1;
                        dec.consume(0);
                        Step::Error(e)
                    } else {
                        dec.buf.push(b'\n');
                        Step::Skip
                    }
                }
                None => {
                    self.pos = self.chunk.len();
                    match dec.stash(rest) {
                        Some(e) => Step::Error(e),
                        None => Step::Skip,
                    }
                }
            };
        }
        // 3. Nothing buffered: lines are read straight from the chunk, zero copy.
        let rest = &self.chunk[self.pos..];
        if rest.is_empty() {
            if self.eof && dec.discarding {
                dec.discarding = false;
                dec.line += 1;
            }
            return Step::Done;
        }
        match memchr(b'\n', rest) {
            Some(i) => {
                self.pos += i + 1;
                if dec.discarding {
                    dec.discarding = false;
                    dec.line += 1;
                    return Step::Skip;
                }
                if i > dec.max_line_len {
                    let e = dec.too_long();
                    dec.line += 1;
                    return Step::Error(e);
                }
                Step::Line {
                    from_buf: false,
                    len: i,
                }
            }
            None => {
                self.pos = self.chunk.len();
                match dec.stash(rest) {
                    Some(e) => Step::Error(e),
                    None => Step::Skip,
                }
            }
        }
    }
}

impl Drop for Lines<'_> {
    fn drop(&mut self) {
        if self.release > 0 {
            let n = std::mem::take(&mut self.release);
            self.dec.consume(n);
        }
        // Keep what the caller did not read; bounds are enforced when it is scanned.
        if self.pos < self.chunk.len() {
            let rest = &self.chunk[self.pos..];
            if self.dec.discarding {
                // Still skipping an over-long line: drop up to its end.
                if let Some(i) = memchr(b'\n', rest) {
                    self.dec.discarding = false;
                    self.dec.line += 1;
                    self.dec.buf.extend_from_slice(&rest[i + 1..]);
                }
            } else {
                self.dec.buf.extend_from_slice(rest);
            }
        }
    }
}

enum Step {
    Line { from_buf: bool, len: usize },
    Error(DecodeError),
    Skip,
    Done,
}

/// Whether a line holds only whitespace (stops at the first byte of a JSON line).
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}
