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

/// `from_utf8`, with the error as (valid prefix length, length of the bad sequence or `None`
/// for an incomplete character at the end). Longer non-ASCII text (CJK, Cyrillic, emoji)
/// goes to simdutf8, several times faster than std there with the same error positions;
/// a token or two goes to std, which has less set-up.
#[inline]
fn validate(bytes: &[u8]) -> Result<&str, (usize, Option<usize>)> {
    if bytes.len() < 32 {
        std::str::from_utf8(bytes).map_err(|e| (e.valid_up_to(), e.error_len()))
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

    proptest! {
        #[test]
        fn any_split_equals_lossy_decoding(bytes in proptest::collection::vec(any::<u8>(), 0..40), a in 0usize..40, b in 0usize..40) {
            let a = a.min(bytes.len());
            let b = b.min(bytes.len()).max(a);
            let got = deltas(&[&bytes[..a], &bytes[a..b], &bytes[b..]]);
            prop_assert_eq!(got, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
}
