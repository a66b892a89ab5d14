//! Fast path for the `/api/generate` line Ollama sends once per token in raw mode:
//!
//! ```text
//! {"model":"…","created_at":"…","response":"…","done":false}
//! ```
//!
//! exactly that shape: these four keys in the order Ollama's Go encoder writes them, no
//! whitespace, `done` a literal. Anything else (the `done` line with its metrics, `error`
//! lines, `thinking`, unknown fields, another order, whitespace, an escape the scanner
//! does not handle, a lone surrogate, a control character, invalid UTF-8, malformed
//! JSON) makes [`generate`] return `None`, and the caller parses the line with
//! serde_json as before, so errors are reported exactly as serde_json reports them.
//!
//! For every line it accepts, the result equals serde_json's, borrowing included: a
//! string without escapes borrows from the line, one with escapes is decoded into an
//! owned `String` (Go's `\u003c` / `\u003e` / `\u0026`, `\"`, `\\`, `\/`, `\b`, `\f`,
//! `\n`, `\r`, `\t`, any other `\uXXXX` and surrogate pairs).
//! `tests/fast_path.rs` checks this against serde_json on generated lines.

use crate::line::GenerateLine;
use crate::text::Text;

const MODEL: &[u8] = b"{\"model\":\"";
const CREATED_AT: &[u8] = b",\"created_at\":\"";
const RESPONSE: &[u8] = b",\"response\":\"";
const DONE: &[u8] = b",\"done\":";

/// Parses `line` if it has the per-token shape; `None` means "ask serde_json".
#[inline]
pub(crate) fn generate(line: &[u8]) -> Option<GenerateLine<'_>> {
    let rest = line.strip_prefix(MODEL)?;
    let (model, rest) = string(rest)?;
    let rest = rest.strip_prefix(CREATED_AT)?;
    let (created_at, rest) = string(rest)?;
    let rest = rest.strip_prefix(RESPONSE)?;
    let (response, rest) = string(rest)?;
    let done = match rest.strip_prefix(DONE)? {
        b"false}" => false,
        b"true}" => true,
        _ => return None,
    };
    Some(GenerateLine {
        model,
        created_at,
        response,
        done,
        ..GenerateLine::default()
    })
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

#[inline]
fn plain_len(s: &[u8]) -> usize {
    s.iter()
        .position(|&b| SPECIAL[b as usize])
        .unwrap_or(s.len())
}

/// A JSON string body starting just after its opening quote. Returns the decoded text
/// and the bytes after the closing quote.
#[inline]
fn string(s: &[u8]) -> Option<(Text<'_>, &[u8])> {
    let i = plain_len(s);
    match s.get(i)? {
        b'"' => {
            let text = std::str::from_utf8(&s[..i]).ok()?;
            Some((Text::borrowed(text), &s[i + 1..]))
        }
        b'\\' => escaped(s, i),
        _ => None,
    }
}

/// The slow half of [`string`]: the body has an escape at `first`.
#[cold]
fn escaped(s: &[u8], first: usize) -> Option<(Text<'_>, &[u8])> {
    let mut out = String::with_capacity(s.len().min(64));
    out.push_str(std::str::from_utf8(&s[..first]).ok()?);
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
        let rest = &s[i..];
        let n = plain_len(rest);
        out.push_str(std::str::from_utf8(&rest[..n]).ok()?);
        i += n;
        match *s.get(i)? {
            b'"' => return Some((Text::from(out), &s[i + 1..])),
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
                                                  response in "\\PC{0,24}", done in any::<bool>()) {
            let line = format!(
                "{{\"model\":{},\"created_at\":{},\"response\":{},\"done\":{done}}}",
                go(&model), go(&at), go(&response)
            );
            let fast = generate(line.as_bytes());
            prop_assert!(fast.is_some(), "fell back on {}", line);
            let fast = fast.unwrap();
            let serde: GenerateLine<'_> = serde_json::from_str(&line).unwrap();
            prop_assert_eq!(&fast, &serde);
            prop_assert_eq!(fast.response.is_borrowed(), serde.response.is_borrowed());
            prop_assert_eq!(fast.model.is_borrowed(), serde.model.is_borrowed());
            prop_assert_eq!(fast.created_at.is_borrowed(), serde.created_at.is_borrowed());
            prop_assert_eq!(&*fast.response, response.as_str());
        }
    }

    #[test]
    fn recordings_take_the_fast_path_except_done_lines() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/recordings");
        let mut fast = 0;
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
                match generate(line) {
                    Some(l) => {
                        assert_eq!(l, serde);
                        fast += 1;
                    }
                    None => assert!(serde.done_reason.is_some(), "fell back on a token line"),
                }
            }
        }
        assert!(fast > 100);
    }
}
