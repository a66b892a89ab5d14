//! Bytes into `TextParser`, split at points the fuzzer picks.
//!
//! Input: `[flags][n][len_1 .. len_n][payload]` (see `harmony_kit_fuzz::options` and
//! `split_spec`).
//!
//! Checks: no panic; events well nested and nothing open after `finish`; header strings
//! within `max_header_len`; the same events (adjacent deltas merged) for the payload fed
//! whole, in the fuzzer's chunks, and byte by byte; the parser is reusable after
//! `finish`; and no text lost: with an implicit assistant header and no `<|` anywhere in
//! the payload, the concatenated deltas are exactly the payload (lossily decoded) minus
//! its leading ASCII whitespace and minus the header words the machine reads as metadata
//! (a first word `assistant`, then `to=...` words) within the first `max_header_len`
//! bytes. See `expected_text`. On every input, with any options: the lossless invariant
//! (`tests/common/lossless.rs`): every byte that is not a marker ends up, in order, in a
//! header field or in content, or was whitespace between messages.
#![no_main]

use harmony_kit_fuzz::lossless::Lossless;
use harmony_kit_fuzz::{chunks, options, split_spec, Recorder, Tee};
use harmony_stream::TextParser;
use libfuzzer_sys::fuzz_target;

/// What the deltas must be for a payload without `<|`, under an implicit assistant header
/// bounded to `max` bytes (crates/harmony-stream/src/machine.rs `header_text`/`salvage`,
/// header.rs `parse` with `Origin::Given(Assistant)` and `Ending::Salvage`):
/// - blank text before the header opens is dropped, and the header drops its leading
///   whitespace: the payload is read from its first non-ASCII-whitespace byte;
/// - the header holds the first `max` bytes of that; it is closed (by the length bound or
///   by the end of input) and parsed: the first word is the role slot (`assistant` is
///   consumed), then `to=X` words are recipients, then (rule 15) one `json`/`code` after a
///   recipient is the content type, its glued body content; content starts at the first
///   other word;
/// - everything after the header's `max` bytes is content.
fn expected_text(payload: &[u8], max: usize) -> String {
    let t = payload.trim_ascii_start();
    // The header holds `max` bytes; the cut backs off (at most 3 bytes) to a character
    // boundary, as `header_text` does, so no character is split between header and content.
    let mut cut = max.min(t.len());
    if cut < t.len() {
        while cut > 0 && max - cut < 3 && t[cut] & 0xC0 == 0x80 {
            cut -= 1;
        }
        if t[cut] & 0xC0 == 0x80 {
            cut = max;
        }
    }
    let h = &t[..cut];
    let mut start = h.len();
    let mut first = true;
    let mut recipient_seen = false;
    let mut type_seen = false;
    let mut i = 0;
    while i < h.len() {
        if h[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let end = h[i..]
            .iter()
            .position(u8::is_ascii_whitespace)
            .map_or(h.len(), |p| i + p);
        let word = &h[i..end];
        let role = std::mem::replace(&mut first, false) && word == b"assistant";
        let recipient = word.len() > 3 && word.starts_with(b"to=");
        // `to=assistant` is dropped in an assistant header (rule 4): no recipient.
        recipient_seen |= recipient && word != b"to=assistant";
        if role || recipient {
            i = end;
            continue;
        }
        // Rule 15, bare form: after a recipient, `json`/`code` (possibly glued to the
        // body) is the content type.
        let split = word
            .iter()
            .position(|&b| {
                !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/' | b'+'))
            })
            .unwrap_or(word.len());
        if recipient_seen && !type_seen && matches!(&word[..split], b"json" | b"code") {
            type_seen = true;
            if split < word.len() {
                start = i + split;
                break;
            }
            i = end;
            continue;
        }
        start = i;
        break;
    }
    let mut content = h[start..].to_vec();
    content.extend_from_slice(&t[h.len()..]);
    String::from_utf8_lossy(&content).into_owned()
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (opts, max) = options(flags);
    let (lens, payload) = split_spec(rest);

    let run = |parser: &mut TextParser, pieces: &[&[u8]]| {
        let mut rec = Recorder::new(max, false);
        for piece in pieces {
            parser.feed(piece, &mut rec);
        }
        parser.finish(&mut rec);
        rec.assert_closed();
        rec
    };

    let mut parser = TextParser::with_options(opts);
    let whole = run(&mut parser, &[payload]);
    let again = run(&mut parser, &[payload]);
    assert_eq!(whole.events, again.events, "parser not reset by finish");

    let pieces = chunks(payload, &lens);
    let split = run(&mut TextParser::with_options(opts), &pieces);

    // Nothing lost, on any input: tests/common/lossless.rs.
    let mut parser = TextParser::with_options(opts);
    let (mut rec, mut lossless) = (Recorder::new(max, false), Lossless::new());
    for piece in &pieces {
        parser.feed(piece, &mut Tee(&mut rec, &mut lossless));
    }
    parser.finish(&mut Tee(&mut rec, &mut lossless));
    if let Err(e) = lossless.check(payload) {
        panic!("text was lost: {e}");
    }
    assert_eq!(
        whole.events, split.events,
        "split {lens:?} changed the events"
    );

    let bytes: Vec<&[u8]> = payload.chunks(1).collect();
    let bytewise = run(&mut TextParser::with_options(opts), &bytes);
    assert_eq!(
        whole.events, bytewise.events,
        "byte-by-byte feed changed the events"
    );

    let implicit = flags & 1 == 0;
    let plain = flags & 0x80 == 0;
    if implicit && plain && !payload.windows(2).any(|w| w == b"<|") {
        assert_eq!(whole.text, expected_text(payload, max), "text was lost");
        assert!(whole.messages() <= 1);
    }
});
