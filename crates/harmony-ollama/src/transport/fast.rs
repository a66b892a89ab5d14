//! Fast path for the `/api/generate` lines Ollama sends in raw mode: one per token,
//!
//! ```text
//! {"model":"…","created_at":"…","response":"…","done":false}
//! ```
//!
//! and the last one, the same followed by `done_reason` and the metrics
//! (`total_duration` … `eval_duration`), each optionally with `"thinking":"…"` right
//! after `response` (where Go writes it, when Ollama's template inferred thinking
//! tags). Exactly those shapes: these keys in the order Ollama's Go encoder writes
//! them, each at most once, no whitespace, `done` a literal, metrics plain integers of
//! at most 19 digits. Anything else (`error` lines, `context`, unknown fields, another
//! order, whitespace, an escape the
//! scanner does not handle, a lone surrogate, a control character, invalid UTF-8,
//! malformed JSON) makes [`head`] or [`Head::with_tail`] return `None`, and the caller
//! parses the line with serde_json as before, so errors are reported exactly as
//! serde_json reports them.
//!
//! The per-token `/api/chat` line (standard mode) has a fast path too, [`chat`]:
//!
//! ```text
//! {"model":"…","created_at":"…","message":{"role":"…","content":"…"},"done":false}
//! ```
//!
//! with `"thinking":"…"` after `content` where there is reasoning (Go's `api.Message`
//! order: `content` is always written, `thinking` only when not empty). The last line
//! (`done_reason` comes before `done` there) and lines with `tool_calls` or `images` go
//! to serde_json, once per response.
//!
//! For every line it accepts, the result equals serde_json's, borrowing included: a
//! string without escapes borrows from the line, one with escapes is decoded into an
//! owned `String` (Go's `\u003c` / `\u003e` / `\u0026`, `\"`, `\\`, `\/`, `\b`, `\f`,
//! `\n`, `\r`, `\t`, any other `\uXXXX` and surrogate pairs).
//! `tests/fast_path.rs` checks this against serde_json on generated lines, under any
//! chunk split, and on arbitrary bytes.

use crate::transport::line::{ChatLine, GenerateLine, WireChatMessage};
use crate::transport::text::Text;

const MODEL: &[u8] = b"{\"model\":\"";
const CREATED_AT: &[u8] = b",\"created_at\":\"";
const RESPONSE: &[u8] = b",\"response\":\"";
const THINKING: &[u8] = b",\"thinking\":\"";
const DONE: &[u8] = b",\"done\":";
const MESSAGE_ROLE: &[u8] = b",\"message\":{\"role\":\"";
const CONTENT: &[u8] = b",\"content\":\"";

/// The fields that may follow `done`, in the order Go writes them (`context` is left to
/// serde_json: Ollama omits it in raw mode).
const TAIL_KEYS: [&[u8]; 7] = [
    b",\"done_reason\":\"",
    b",\"total_duration\":",
    b",\"load_duration\":",
    b",\"prompt_eval_count\":",
    b",\"prompt_eval_duration\":",
    b",\"eval_count\":",
    b",\"eval_duration\":",
];

/// The four fields every line of the per-token shape starts with, and where the rest
/// (`}`, or the last line's reason and metrics) starts.
pub(crate) struct Head<'a> {
    line: &'a str,
    model: Text<'a>,
    created_at: Text<'a>,
    response: Text<'a>,
    thinking: Option<Text<'a>>,
    done: bool,
    rest: usize,
}

/// Parses the start of `line` if it has the per-token shape; `None` means "ask
/// serde_json".
#[inline(always)]
pub(crate) fn head(line: &[u8]) -> Option<Head<'_>> {
    let (line, model, created_at, at) = prefix(line)?;
    let b = line.as_bytes();
    let at = expect(b, at, RESPONSE)?;
    let (response, at) = string(line, at)?;
    let (thinking, at) = optional_string(line, at, THINKING)?;
    let mut at = expect(b, at, DONE)?;
    let done = if b[at..].starts_with(b"false") {
        at += 5;
        false
    } else if b[at..].starts_with(b"true") {
        at += 4;
        true
    } else {
        return None;
    };
    Some(Head {
        line,
        model,
        created_at,
        response,
        thinking,
        done,
        rest: at,
    })
}

/// The start every Ollama stream line shares: `{"model":"…","created_at":"…"`. Returns
/// the line as text, the two fields and where the next field starts.
#[inline(always)]
fn prefix(line: &[u8]) -> Option<(&str, Text<'_>, Text<'_>, usize)> {
    // One UTF-8 check for the whole line (cheaper than one per string); strings are
    // then sliced out of it at ASCII quote positions, which are char boundaries.
    let line = std::str::from_utf8(line).ok()?;
    let b = line.as_bytes();
    let at = expect(b, 0, MODEL)?;
    let (model, at) = string(line, at)?;
    let at = expect(b, at, CREATED_AT)?;
    let (created_at, at) = string(line, at)?;
    Some((line, model, created_at, at))
}

/// The per-token `/api/chat` line, if `line` has exactly that shape (see the module
/// documentation); `None` means "ask serde_json".
#[inline(always)]
pub(crate) fn chat(line: &[u8]) -> Option<ChatLine<'_>> {
    let (line, model, created_at, at) = prefix(line)?;
    let b = line.as_bytes();
    let at = expect(b, at, MESSAGE_ROLE)?;
    let (role, at) = string(line, at)?;
    let at = expect(b, at, CONTENT)?;
    let (content, at) = string(line, at)?;
    let (thinking, at) = optional_string(line, at, THINKING)?;
    let at = expect(b, at, b"}")?;
    let at = expect(b, at, DONE)?;
    let done = match &b[at..] {
        b"false}" => false,
        b"true}" => true,
        _ => return None,
    };
    Some(ChatLine {
        model,
        created_at,
        message: Some(WireChatMessage {
            role,
            content,
            thinking,
            tool_calls: Vec::new(),
            tool_name: None,
        }),
        done,
        ..ChatLine::default()
    })
}

impl<'a> Head<'a> {
    /// Whether the line ends right after `done` (every line but the last).
    #[inline(always)]
    pub(crate) fn is_whole(&self) -> bool {
        self.rest + 1 == self.line.len() && self.line.as_bytes()[self.rest] == b'}'
    }

    /// The line, when [`is_whole`](Self::is_whole). Inlined so that the caller builds
    /// the line right where it returns it: it is ~300 bytes, and moving it after its
    /// fields were just stored costs more than the scan.
    #[inline(always)]
    pub(crate) fn into_line(self) -> GenerateLine<'a> {
        GenerateLine {
            model: self.model,
            created_at: self.created_at,
            response: self.response,
            thinking: self.thinking,
            done: self.done,
            done_reason: None,
            context: None,
            total_duration: None,
            load_duration: None,
            prompt_eval_count: None,
            prompt_eval_duration: None,
            eval_count: None,
            eval_duration: None,
            error: None,
            tool_call_error: None,
        }
    }

    /// The line with its tail (the last line's reason and metrics), or `None` when the
    /// tail is not of the expected shape.
    #[cold]
    #[inline(never)]
    pub(crate) fn with_tail(self) -> Option<GenerateLine<'a>> {
        let (done_reason, m) = tail(self.line, self.rest)?;
        Some(GenerateLine {
            done_reason,
            total_duration: m[0],
            load_duration: m[1],
            prompt_eval_count: m[2],
            prompt_eval_duration: m[3],
            eval_count: m[4],
            eval_duration: m[5],
            ..self.into_line()
        })
    }
}

/// The whole fast path: the line if it has one of the shapes above, `None` otherwise.
#[cfg(test)]
fn generate(line: &[u8]) -> Option<GenerateLine<'_>> {
    let head = head(line)?;
    if head.is_whole() {
        Some(head.into_line())
    } else {
        head.with_tail()
    }
}

/// The optional fields after `done` (the last line's reason and metrics), each at most
/// once and in Go's order, then the closing brace. Metrics in `TAIL_KEYS` order.
#[cold]
fn tail(line: &str, mut at: usize) -> Option<(Option<Text<'_>>, [Option<u64>; 6])> {
    let b = line.as_bytes();
    let mut reason = None;
    let mut metrics = [None; 6];
    let mut next = 0;
    loop {
        if at + 1 == b.len() && b[at] == b'}' {
            return Some((reason, metrics));
        }
        let k = (next..TAIL_KEYS.len()).find(|&k| b[at..].starts_with(TAIL_KEYS[k]))?;
        at += TAIL_KEYS[k].len();
        next = k + 1;
        if k == 0 {
            let r;
            (r, at) = string(line, at)?;
            reason = Some(r);
        } else {
            let n;
            (n, at) = number(b, at)?;
            metrics[k - 1] = Some(n);
        }
    }
}

/// A JSON integer that is certainly a `u64` for serde_json: no sign or leading zero,
/// at most 19 digits.
#[inline]
fn number(b: &[u8], at: usize) -> Option<(u64, usize)> {
    let digits = b[at..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 19 || (digits > 1 && b[at] == b'0') {
        return None;
    }
    // A fraction or exponent after the digits is caught by the caller, which wants
    // `,"` or `}` next.
    let end = at + digits;
    let n = b[at..end]
        .iter()
        .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    Some((n, end))
}

#[inline]
fn expect(b: &[u8], at: usize, lit: &[u8]) -> Option<usize> {
    b[at..].starts_with(lit).then_some(at + lit.len())
}

/// Bytes that end a run of plain string content: `"`, `\` and the control characters
/// JSON forbids unescaped.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Length of the run of plain string bytes at the start of `s`: eight bytes at a time
/// (SWAR), then byte by byte for the last few.
#[inline]
fn plain_len(s: &[u8]) -> usize {
    let mut i = 0;
    while let Some(word) = s.get(i..i + 8) {
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
        // Per byte, the high bit is set where the byte is `"`, `\` or < 0x20. Borrows
        // can only flag bytes above a truly flagged one, so the lowest flag is exact.
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let flags = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (w.wrapping_sub(ONES * 0x20) & !w))
            & HIGHS;
        if flags != 0 {
            return i + (flags.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < s.len() && !SPECIAL[s[i] as usize] {
        i += 1;
    }
    i
}

/// A JSON string body starting at `at`, just after its opening quote. Returns the
/// decoded text and the position after the closing quote.
#[inline]
fn string(line: &str, at: usize) -> Option<(Text<'_>, usize)> {
    let b = line.as_bytes();
    let end = at + plain_len(&b[at..]);
    match b.get(end)? {
        b'"' => Some((Text::borrowed(line.get(at..end)?), end + 1)),
        b'\\' => escaped(line, at, end),
        _ => None,
    }
}

/// An optional string field: with `key` (`,"name":"`) at `at`, its text and the position
/// after it; without, nothing and `at`. `None` when the string is not of the fast shape.
#[inline]
fn optional_string<'a>(line: &'a str, at: usize, key: &[u8]) -> Option<(Option<Text<'a>>, usize)> {
    if line.as_bytes()[at..].starts_with(key) {
        let (text, at) = string(line, at + key.len())?;
        Some((Some(text), at))
    } else {
        Some((None, at))
    }
}

/// The slow half of [`string`]: the body starting at `at` has an escape at `first`.
#[cold]
fn escaped(line: &str, at: usize, first: usize) -> Option<(Text<'_>, usize)> {
    let s = line.as_bytes();
    let mut out = String::with_capacity((s.len() - at).min(64));
    out.push_str(line.get(at..first)?);
    let mut i = first;
    loop {
        // s[i] is a backslash.
        match *s.get(i + 1)? {
            b'"' => out.push('"'),
            b'\\' => out.push('\\'),
            b'/' => out.push('/'),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'u' => {
                let hi = hex4(s.get(i + 2..i + 6)?)?;
                let c = match hi {
                    0xD800..=0xDBFF => {
                        // A leading surrogate must be followed by `\u` + a trailing one.
                        let tail = s.get(i + 6..i + 12)?;
                        if tail[0] != b'\\' || tail[1] != b'u' {
                            return None;
                        }
                        let lo = hex4(&tail[2..])?;
                        if !(0xDC00..=0xDFFF).contains(&lo) {
                            return None;
                        }
                        i += 6;
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return None,
                    _ => hi,
                };
                out.push(char::from_u32(c)?);
                i += 4;
            }
            _ => return None,
        }
        i += 2;
        let end = i + plain_len(&s[i..]);
        out.push_str(line.get(i..end)?);
        i = end;
        match *s.get(i)? {
            b'"' => return Some((Text::from(out), i + 1)),
            b'\\' => {}
            _ => return None,
        }
    }
}

/// Four hex digits (either case), as serde_json accepts them.
#[inline]
fn hex4(h: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &b in h {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        v = (v << 4) | u32::from(d);
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// JSON-encodes `s` the way Go does (`<`, `>`, `&`, U+2028/9 as `\uXXXX`).
    fn go(s: &str) -> String {
        serde_json::to_string(s)
            .unwrap()
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        /// Every per-token line Ollama can write is taken by the fast path (it does not
        /// silently fall back), and decodes like serde_json, borrowing included.
        #[test]
        fn ollama_shaped_lines_take_the_fast_path(model in "\\PC{0,12}", at in "\\PC{0,12}",
                                                  response in "\\PC{0,24}", done in any::<bool>(),
                                                  reason in prop::option::of("\\PC{0,8}"),
                                                  metrics in prop::collection::vec(prop::option::of(0u64..10_000_000_000_000_000_000), 6)) {
            let mut line = format!(
                "{{\"model\":{},\"created_at\":{},\"response\":{},\"done\":{done}",
                go(&model), go(&at), go(&response)
            );
            if let Some(r) = reason {
                line += &format!(",\"done_reason\":{}", go(&r));
            }
            let keys = ["total_duration", "load_duration", "prompt_eval_count",
                        "prompt_eval_duration", "eval_count", "eval_duration"];
            for (k, m) in keys.iter().zip(&metrics) {
                if let Some(m) = m {
                    line += &format!(",\"{k}\":{m}");
                }
            }
            line.push('}');
            let fast = generate(line.as_bytes());
            prop_assert!(fast.is_some(), "fell back on {}", line);
            let fast = fast.unwrap();
            let serde: GenerateLine<'_> = serde_json::from_str(&line).unwrap();
            prop_assert_eq!(&fast, &serde);
            prop_assert_eq!(fast.response.is_borrowed(), serde.response.is_borrowed());
            prop_assert_eq!(fast.model.is_borrowed(), serde.model.is_borrowed());
            prop_assert_eq!(fast.created_at.is_borrowed(), serde.created_at.is_borrowed());
            prop_assert_eq!(
                fast.done_reason.as_ref().map(|t| t.is_borrowed()),
                serde.done_reason.as_ref().map(|t| t.is_borrowed())
            );
            prop_assert_eq!(&*fast.response, response.as_str());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        /// Every per-token `/api/chat` line Ollama can write is taken by the chat fast
        /// path and decodes like serde_json, borrowing included; the same line with a
        /// field Go writes after `thinking` (`tool_calls`, `images`) or with the last
        /// line's `done_reason` falls back.
        #[test]
        fn ollama_shaped_chat_lines_take_the_fast_path(model in "\\PC{0,12}", at in "\\PC{0,12}",
                                                       role in "assistant|user|\\PC{0,6}",
                                                       content in "\\PC{0,24}",
                                                       thinking in prop::option::of("\\PC{0,24}"),
                                                       done in any::<bool>()) {
            let mut message = format!("{{\"role\":{},\"content\":{}", go(&role), go(&content));
            if let Some(t) = &thinking {
                message += &format!(",\"thinking\":{}", go(t));
            }
            let line = format!(
                "{{\"model\":{},\"created_at\":{},\"message\":{message}}},\"done\":{done}}}",
                go(&model), go(&at)
            );
            let fast = chat(line.as_bytes());
            prop_assert!(fast.is_some(), "fell back on {}", line);
            let fast = fast.unwrap();
            let serde: ChatLine<'_> = serde_json::from_str(&line).unwrap();
            prop_assert_eq!(&fast, &serde);
            let (f, s) = (fast.message.as_ref().unwrap(), serde.message.as_ref().unwrap());
            prop_assert_eq!(f.content.is_borrowed(), s.content.is_borrowed());
            prop_assert_eq!(f.role.is_borrowed(), s.role.is_borrowed());
            prop_assert_eq!(
                f.thinking.as_ref().map(|t| t.is_borrowed()),
                s.thinking.as_ref().map(|t| t.is_borrowed())
            );
            prop_assert_eq!(fast.model.is_borrowed(), serde.model.is_borrowed());
            prop_assert_eq!(&*f.content, content.as_str());

            let calls = format!(
                "{{\"model\":{},\"created_at\":{},\"message\":{message},\"tool_calls\":[]}},\"done\":{done}}}",
                go(&model), go(&at)
            );
            prop_assert!(chat(calls.as_bytes()).is_none());
            let last = format!(
                "{{\"model\":{},\"created_at\":{},\"message\":{message}}},\"done_reason\":\"stop\",\"done\":true}}",
                go(&model), go(&at)
            );
            prop_assert!(chat(last.as_bytes()).is_none());
        }
    }

    #[test]
    fn every_recorded_line_takes_the_fast_path() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/recordings");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "ndjson") {
                continue;
            }
            for line in std::fs::read(&path).unwrap().split(|&b| b == b'\n') {
                if line.is_empty() {
                    continue;
                }
                let serde: GenerateLine<'_> = serde_json::from_slice(line).unwrap();
                assert_eq!(
                    generate(line),
                    Some(serde),
                    "{}",
                    String::from_utf8_lossy(line)
                );
                n += 1;
            }
        }
        assert!(n > 100);
    }
}
