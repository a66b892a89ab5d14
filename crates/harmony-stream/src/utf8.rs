//! Content bytes to `&str` deltas, carrying characters split across tokens or chunks.

use crate::diagnostic::DiagCap;
use crate::{DiagnosticKind, Event, Sink};

const REPLACEMENT: &str = "\u{FFFD}";

/// Up to three bytes of a UTF-8 character whose rest has not arrived yet.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Utf8Carry {
    buf: [u8; 4],
    len: u8,
}

impl Utf8Carry {
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Emits `bytes` as deltas: whole characters only, each invalid sequence as U+FFFD
    /// (the same replacement `String::from_utf8_lossy` and the reference make), and an
    /// incomplete character at the end kept for the next call.
    #[inline]
    pub(crate) fn emit<S: Sink + ?Sized>(
        &mut self,
        bytes: &[u8],
        at: u64,
        cap: &mut DiagCap,
        sink: &mut S,
    ) {
        if self.len == 0 && bytes.is_ascii() {
            // The common case, a token or two of ASCII, kept small enough to inline:
            // `is_ascii` is a few instructions where full validation costs dozens.
            if !bytes.is_empty() {
                // SAFETY: ASCII bytes are valid UTF-8.
                sink.event(Event::Delta(unsafe {
                    std::str::from_utf8_unchecked(bytes)
                }));
            }
        } else {
            self.emit_mixed(bytes, at, cap, sink);
        }
    }

    /// [`emit`](Self::emit) for bytes that are not all ASCII or continue a carried
    /// character.
    #[inline(never)]
    fn emit_mixed<S: Sink + ?Sized>(
        &mut self,
        mut bytes: &[u8],
        at: u64,
        cap: &mut DiagCap,
        sink: &mut S,
    ) {
        let whole = bytes.len();
        if self.len > 0 {
            let old = self.len as usize;
            let width = match self.buf[0] {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                _ => 4,
            };
            let take = (width - old).min(bytes.len());
            self.buf[old..old + take].copy_from_slice(&bytes[..take]);
            let total = old + take;
            match std::str::from_utf8(&self.buf[..total]) {
                Ok(s) => {
                    sink.event(Event::Delta(s));
                    bytes = &bytes[take..];
                }
                Err(e) => match e.error_len() {
                    None => {
                        // Still incomplete: every byte we had was taken.
                        self.len = total as u8;
                        return;
                    }
                    Some(bad) => {
                        invalid(at, cap, sink);
                        // The bytes after the bad sequence are looked at again below; the
                        // bad sequence never ends before the bytes we already held.
                        bytes = &bytes[bad.saturating_sub(old).min(take)..];
                    }
                },
            }
            self.len = 0;
        }
        // The usual case for longer text: valid, with its last character cut off by the
        // chunk's end. The whole characters are validated without the cut one, so that
        // the fast validator succeeds (a failing one is validated again by std, to place
        // the error), and the cut one is carried. Short text goes to std at once, which
        // places an incomplete end in the same pass.
        let whole_chars = if bytes.len() >= SHORT {
            complete_len(bytes)
        } else {
            bytes.len()
        };
        if whole_chars < bytes.len() {
            if let Ok(s) = validate(&bytes[..whole_chars]) {
                if !s.is_empty() {
                    sink.event(Event::Delta(s));
                }
                let rest = &bytes[whole_chars..];
                self.buf[..rest.len()].copy_from_slice(rest);
                self.len = rest.len() as u8;
                return;
            }
        }
        loop {
            match validate(bytes) {
                Ok(s) => {
                    if !s.is_empty() {
                        sink.event(Event::Delta(s));
                    }
                    return;
                }
                Err((valid, error_len)) => {
                    if valid > 0 {
                        // SAFETY: `validate` just checked `bytes[..valid]`.
                        let s = unsafe { std::str::from_utf8_unchecked(&bytes[..valid]) };
                        sink.event(Event::Delta(s));
                    }
                    match error_len {
                        Some(bad) => {
                            // Positioned at the bad sequence itself, whatever the split.
                            let offset = (whole - bytes.len() + valid) as u64;
                            invalid(at + offset, cap, sink);
                            bytes = &bytes[valid + bad..];
                        }
                        None => {
                            let rest = &bytes[valid..];
                            self.buf[..rest.len()].copy_from_slice(rest);
                            self.len = rest.len() as u8;
                            return;
                        }
                    }
                }
            }
        }
    }

    /// The message ended inside a character: what was carried becomes U+FFFD.
    pub(crate) fn flush<S: Sink + ?Sized>(&mut self, at: u64, cap: &mut DiagCap, sink: &mut S) {
        if self.len > 0 {
            self.len = 0;
            invalid(at, cap, sink);
        }
    }
}

/// `bytes.len()` less a cut-off character at the end: the last one to three bytes when they
/// are the valid start of a character that needs more. Anything else (ASCII, a whole
/// character, invalid bytes) leaves the length as it is.
#[inline]
fn complete_len(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for back in 1..=n.min(3) {
        let lead = bytes[n - back];
        if lead & 0xC0 == 0x80 {
            continue;
        }
        let width = match lead {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return n,
        };
        // Cut off only if what is there is a valid start: the bytes after the lead are
        // continuation bytes (the loop passed over them), and the second byte is in the
        // narrower range that E0, ED, F0 and F4 allow. An invalid one is left to the
        // validator, which places the error.
        let second_ok = bytes.get(n - back + 1).is_none_or(|&b| match lead {
            0xE0 => (0xA0..=0xBF).contains(&b),
            0xED => (0x80..=0x9F).contains(&b),
            0xF0 => (0x90..=0xBF).contains(&b),
            0xF4 => (0x80..=0x8F).contains(&b),
            _ => true,
        });
        return if width > back && second_ok {
            n - back
        } else {
            n
        };
    }
    n
}

/// Below this many bytes, text goes to std's validator as it is (a token or two).
const SHORT: usize = 32;

/// `from_utf8`, with the error as (valid prefix length, length of the bad sequence or `None`
/// for an incomplete character at the end). A token or two goes to std, which has the
/// least set-up. Longer non-ASCII text (CJK, Cyrillic, emoji) goes to simdutf8, several
/// times faster than std there, with the same error positions; simdutf8 itself hands
/// inputs under its 64-byte block to std, so those are copied into a zero-padded block
/// first (zeros are ASCII: the block is valid exactly when the text is), and only a
/// failing one is validated again by std, to place the error.
#[inline]
fn validate(bytes: &[u8]) -> Result<&str, (usize, Option<usize>)> {
    const BLOCK: usize = 64;
    let position = |e: std::str::Utf8Error| (e.valid_up_to(), e.error_len());
    if bytes.len() < SHORT {
        std::str::from_utf8(bytes).map_err(position)
    } else if bytes.len() < BLOCK {
        let mut block = [0u8; BLOCK];
        block[..bytes.len()].copy_from_slice(bytes);
        if simdutf8::basic::from_utf8(&block).is_ok() {
            // SAFETY: `bytes` is a prefix of a valid block, followed there by an ASCII
            // byte, so it ends on a character boundary and is valid UTF-8 itself.
            Ok(unsafe { std::str::from_utf8_unchecked(bytes) })
        } else {
            std::str::from_utf8(bytes).map_err(position)
        }
    } else {
        simdutf8::compat::from_utf8(bytes).map_err(|e| (e.valid_up_to(), e.error_len()))
    }
}

fn invalid<S: Sink + ?Sized>(at: u64, cap: &mut DiagCap, sink: &mut S) {
    cap.emit(sink, DiagnosticKind::InvalidUtf8, at, "");
    sink.event(Event::Delta(REPLACEMENT));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn deltas(chunks: &[&[u8]]) -> String {
        let mut carry = Utf8Carry::default();
        let mut cap = DiagCap::new(u32::MAX);
        let mut out = String::new();
        let mut sink = |e: Event<'_>| {
            if let Event::Delta(d) = e {
                out.push_str(d)
            }
        };
        for c in chunks {
            carry.emit(c, 0, &mut cap, &mut sink);
        }
        carry.flush(0, &mut cap, &mut sink);
        out
    }

    #[test]
    fn characters_split_across_chunks_are_carried() {
        let s = "a😀b語";
        let b = s.as_bytes();
        for i in 0..b.len() {
            for j in i..b.len() {
                assert_eq!(deltas(&[&b[..i], &b[i..j], &b[j..]]), s);
            }
        }
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        assert_eq!(deltas(&[b"a\xFFb"]), "a\u{FFFD}b");
        assert_eq!(deltas(&[b"a\xF0\x9F", b"b"]), "a\u{FFFD}b");
        assert_eq!(deltas(&[b"a\xF0\x9F"]), "a\u{FFFD}");
        assert_eq!(deltas(&[b"\xE2", b"\x82", b"\xAC"]), "€");
    }

    #[test]
    fn an_invalid_byte_is_reported_where_it_is() {
        let mut carry = Utf8Carry::default();
        let mut cap = DiagCap::new(u32::MAX);
        let mut at = Vec::new();
        let mut sink = |e: Event<'_>| {
            if let Event::Diagnostic(d) = e {
                at.push(d.at)
            }
        };
        // The chunk starts at byte 100; its bad bytes are its 2nd and 5th.
        carry.emit(b"a\xFFbc\xFFd", 100, &mut cap, &mut sink);
        assert_eq!(at, [101, 104]);
    }

    #[test]
    fn a_cut_off_character_is_found_only_when_it_is_a_valid_start() {
        assert_eq!(complete_len(b"ab"), 2);
        assert_eq!(complete_len("a語".as_bytes()), 4);
        assert_eq!(complete_len(&"a語".as_bytes()[..3]), 1);
        assert_eq!(complete_len(&"a😀".as_bytes()[..4]), 1);
        assert_eq!(
            complete_len(b"a\xE0\x80"),
            3,
            "E0 80 can start no character"
        );
        assert_eq!(
            complete_len(b"a\x80\x80\x80"),
            4,
            "no lead byte in the last three"
        );
        assert_eq!(complete_len(b"a\xFF"), 2);
        assert_eq!(complete_len(b""), 0);
    }

    proptest! {
        #[test]
        fn any_split_equals_lossy_decoding(bytes in proptest::collection::vec(any::<u8>(), 0..160), a in 0usize..160, b in 0usize..160) {
            let a = a.min(bytes.len());
            let b = b.min(bytes.len()).max(a);
            let got = deltas(&[&bytes[..a], &bytes[a..b], &bytes[b..]]);
            prop_assert_eq!(got, String::from_utf8_lossy(&bytes).into_owned());
        }

        /// Valid text of every width cut anywhere, in pieces long enough for each
        /// validator (std under 32 bytes, the padded block under 64, simdutf8 above), with
        /// a bad byte sometimes spliced in: decoded as one lossy decoding of the whole.
        #[test]
        fn long_text_cut_anywhere_equals_lossy_decoding(
            text in "[a-zé語😀\u{FE0F} ]{0,120}",
            bad in proptest::option::of((0usize..400, prop_oneof![Just(0xFFu8), Just(0x80), Just(0xE0), Just(0xF4)])),
            a in 0usize..400,
            b in 0usize..400,
        ) {
            let mut bytes = text.into_bytes();
            if let Some((at, byte)) = bad {
                bytes.insert(at.min(bytes.len()), byte);
            }
            let a = a.min(bytes.len());
            let b = b.min(bytes.len()).max(a);
            let got = deltas(&[&bytes[..a], &bytes[a..b], &bytes[b..]]);
            prop_assert_eq!(got, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
}
