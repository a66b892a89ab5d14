//! The text front end: raw bytes with the markers written out (`<|channel|>`), split
//! anywhere.

use crate::machine::Machine;
use crate::{Header, Marker, ParserOptions, Sink};

/// Parses harmony text as it streams: Ollama's raw mode, llama.cpp, logs.
///
/// Feed chunks split anywhere, even inside a marker or a UTF-8 character. Deltas borrow from
/// the chunk; the parser holds back at most one possible partial marker (12 bytes) and one
/// partial character, and a header up to [`ParserOptions::max_header_len`]. A `<` that
/// starts no marker is text (tool arguments are full of them).
///
/// ```
/// use harmony_stream::{Event, Stop, TextParser};
///
/// let mut parser = TextParser::new();
/// let mut events = Vec::new();
/// let mut sink = |e: Event<'_>| events.push(format!("{e:?}"));
/// for chunk in ["<|channel|>fin", "al<|mess", "age|>4 < 5<|ret", "urn|>"] {
///     parser.feed(chunk.as_bytes(), &mut sink);
/// }
/// parser.finish(&mut sink);
/// assert!(events.iter().any(|e| e == r#"Delta("4 < 5")"#));
/// assert_eq!(events.last().unwrap(), &format!("{:?}", harmony_stream::Event::MessageEnd(Stop::Return)));
/// ```
#[derive(Clone, Debug)]
pub struct TextParser {
    machine: Machine,
    held: [u8; Marker::MAX_LEN],
    held_len: u8,
    /// Stream offset of the next byte fed.
    offset: u64,
}

impl Default for TextParser {
    fn default() -> Self {
        Self::new()
    }
}

enum Match {
    Full(Marker),
    Partial,
    None,
}

/// Which marker `s` (starting with `<`) begins with, whole or cut off by the end of `s`.
/// The byte after `<|` tells the markers apart but for the three `c` ones, so at most
/// three are compared, and a `<` that starts no marker costs one comparison.
#[inline]
fn match_marker(s: &[u8]) -> Match {
    let candidates: &[Marker] = match (s.get(1), s.get(2)) {
        (None, _) | (Some(b'|'), None) => return Match::Partial,
        (Some(b'|'), Some(b's')) => &[Marker::Start],
        // Longest first, so that `<|c` + more bytes settles on the one that fits.
        (Some(b'|'), Some(b'c')) => &[Marker::Constrain, Marker::Channel, Marker::Call],
        (Some(b'|'), Some(b'm')) => &[Marker::Message],
        (Some(b'|'), Some(b'e')) => &[Marker::End],
        (Some(b'|'), Some(b'r')) => &[Marker::Return],
        _ => return Match::None,
    };
    first_match(s, candidates)
}

/// The first of `candidates` that `s` starts with or is cut off inside.
#[inline]
fn first_match(s: &[u8], candidates: &[Marker]) -> Match {
    for &m in candidates {
        let t = m.as_str().as_bytes();
        if s.starts_with(t) {
            return Match::Full(m);
        }
        if s.len() < t.len() && t.starts_with(s) {
            return Match::Partial;
        }
    }
    Match::None
}

/// The first `<` in `hay`. Ollama-sized chunks are a few bytes, where `memchr`'s vector
/// set-up costs more than a plain loop; longer ones go to `memchr`.
#[inline]
fn find_lt(hay: &[u8]) -> Option<usize> {
    if hay.len() < 16 {
        hay.iter().position(|&b| b == b'<')
    } else {
        memchr::memchr(b'<', hay)
    }
}

impl TextParser {
    /// A parser with [`ParserOptions::default`].
    pub fn new() -> Self {
        Self::with_options(ParserOptions::default())
    }

    /// A parser with the given options.
    pub fn with_options(options: ParserOptions) -> Self {
        TextParser {
            machine: Machine::new(options),
            held: [0; Marker::MAX_LEN],
            held_len: 0,
            offset: 0,
        }
    }

    /// Parses the next chunk, sending events to `sink`.
    pub fn feed<S: Sink + ?Sized>(&mut self, chunk: &[u8], sink: &mut S) {
        let base = self.offset;
        self.offset += chunk.len() as u64;
        let mut i = 0;
        if self.held_len > 0 {
            match self.resume_held(chunk, base, sink) {
                Some(next) => i = next,
                None => return,
            }
        }
        let mut run = i;
        while let Some(p) = find_lt(&chunk[i..]) {
            let j = i + p;
            match match_marker(&chunk[j..]) {
                Match::Full(m) => {
                    if run < j {
                        self.machine.text(&chunk[run..j], base + run as u64, sink);
                    }
                    self.machine.marker(m, base + j as u64, sink);
                    i = j + m.as_str().len();
                    run = i;
                }
                Match::Partial => {
                    if run < j {
                        self.machine.text(&chunk[run..j], base + run as u64, sink);
                    }
                    let rest = &chunk[j..];
                    self.held[..rest.len()].copy_from_slice(rest);
                    self.held_len = rest.len() as u8;
                    return;
                }
                Match::None => i = j + 1,
            }
        }
        if run < chunk.len() {
            self.machine.text(&chunk[run..], base + run as u64, sink);
        }
    }

    /// A partial marker was held back at the end of the last chunk: completes it with the
    /// start of `chunk`. Returns where in `chunk` parsing goes on, or `None` when the
    /// whole chunk was taken into the held bytes. Out of line: it runs once per marker
    /// split across chunks, not per chunk.
    #[inline(never)]
    fn resume_held<S: Sink + ?Sized>(
        &mut self,
        chunk: &[u8],
        base: u64,
        sink: &mut S,
    ) -> Option<usize> {
        let held = self.held_len as usize;
        let mut tmp = [0u8; 2 * Marker::MAX_LEN];
        tmp[..held].copy_from_slice(&self.held[..held]);
        let take = (Marker::MAX_LEN - held).min(chunk.len());
        tmp[held..held + take].copy_from_slice(&chunk[..take]);
        let at = base - held as u64;
        match match_marker(&tmp[..held + take]) {
            Match::Full(m) => {
                self.held_len = 0;
                self.machine.marker(m, at, sink);
                Some(m.as_str().len() - held)
            }
            Match::Partial => {
                // Only possible when the whole chunk was taken.
                self.held[..held + take].copy_from_slice(&tmp[..held + take]);
                self.held_len = (held + take) as u8;
                None
            }
            Match::None => {
                self.held_len = 0;
                let held_copy = self.held;
                self.machine.text(&held_copy[..held], at, sink);
                Some(0)
            }
        }
    }

    /// Parses `chunk` and returns its events, owned: the convenient path (each delta is
    /// copied); [`feed`](TextParser::feed) with a sink is the fast one.
    ///
    /// ```
    /// use harmony_stream::{OwnedEvent, TextParser};
    /// let mut parser = TextParser::new();
    /// let deltas: Vec<String> = parser
    ///     .events(b"<|channel|>final<|message|>Hi")
    ///     .filter_map(|e| match e {
    ///         OwnedEvent::Delta(d) => Some(d),
    ///         _ => None,
    ///     })
    ///     .collect();
    /// assert_eq!(deltas, ["Hi"]);
    /// ```
    pub fn events(&mut self, chunk: &[u8]) -> std::vec::IntoIter<crate::OwnedEvent> {
        let mut events = Vec::new();
        self.feed(chunk, &mut events);
        events.into_iter()
    }

    /// Acts as if `marker` had arrived now. For transports that elide markers: Ollama's raw
    /// mode never sends `<|call|>` or `<|return|>`, so at its `done` line the caller feeds
    /// the one the open message implies.
    pub fn feed_marker<S: Sink + ?Sized>(&mut self, marker: Marker, sink: &mut S) {
        self.flush_held(sink);
        self.machine.marker(marker, self.offset, sink);
    }

    /// Ends the input: a held-back partial marker is text after all, and an open message
    /// ends with [`Stop::Eof`](crate::Stop::Eof). The parser is then ready for a new
    /// completion.
    pub fn finish<S: Sink + ?Sized>(&mut self, sink: &mut S) {
        self.flush_held(sink);
        self.machine.finish(self.offset, sink);
        self.offset = 0;
    }

    /// The header of the message being streamed, between its `MessageStart` and
    /// `MessageEnd`.
    pub fn current_header(&self) -> Option<&Header> {
        self.machine.current_header()
    }

    fn flush_held<S: Sink + ?Sized>(&mut self, sink: &mut S) {
        if self.held_len > 0 {
            let held = self.held_len as usize;
            self.held_len = 0;
            let held_copy = self.held;
            self.machine
                .text(&held_copy[..held], self.offset - held as u64, sink);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain reading `match_marker` must keep: the first marker of [`Marker::ALL`]
    /// (longest first) that `s` starts with, or that `s` is a prefix of.
    fn naive(s: &[u8]) -> Match {
        first_match(s, &Marker::ALL)
    }

    fn same(a: &Match, b: &Match) -> bool {
        match (a, b) {
            (Match::Full(x), Match::Full(y)) => x == y,
            (Match::Partial, Match::Partial) | (Match::None, Match::None) => true,
            _ => false,
        }
    }

    #[test]
    fn marker_dispatch_reads_every_prefix_as_the_plain_scan_does() {
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for m in Marker::ALL {
            let t = m.as_str().as_bytes();
            for end in 1..=t.len() {
                inputs.push(t[..end].to_vec());
                // A prefix followed by a byte that breaks it, and the whole marker with more.
                inputs.push([&t[..end], b"x".as_slice()].concat());
                inputs.push([&t[..end], b"|>".as_slice()].concat());
            }
        }
        for odd in [
            "<", "<x", "<|", "<|x", "<|c", "<|ca", "<|call|", "<|co", "<<|end|>", "< |",
        ] {
            inputs.push(odd.as_bytes().to_vec());
        }
        for s in &inputs {
            assert!(
                same(&match_marker(s), &naive(s)),
                "{:?}",
                String::from_utf8_lossy(s)
            );
        }
    }
}
