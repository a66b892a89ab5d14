//! Bytes into the harmony-ollama NDJSON decoder, split at points the fuzzer picks.
//!
//! Input: `[flags][n][len_1 .. len_n][payload]`. `flags & 7` picks the line bound (0, 1,
//! 8, 64, 1024, 4096, or the 8 MiB default); `flags & 8` makes the consumer drop each
//! cursor after reading at most one line (the decoder must keep the rest).
//!
//! Checks: no panic (also in `generate()`/`chat()` on every line); `generate()` and
//! `chat()` (hand-written fast paths for Ollama's per-token lines) give serde_json's
//! result, same borrowing, same error column; the lines, line too
//! long errors and line count equal a plain model of NDJSON (split at `\n`, blank lines
//! skipped but counted, one trailing `\r` removed, a last line without `\n` delivered at
//! `finish`, a line longer than the bound reported once as `LineTooLong` by its number);
//! the same for the payload fed whole, in the fuzzer's chunks and byte by byte; the same
//! parsed lines; and bounded memory: after each drained chunk the decoder buffers at most
//! the bound.
#![no_main]

use harmony_kit_fuzz::{chunks, split_spec};
use harmony_ollama::{
    ChatLine, DecodeError, GenerateLine, Lines, NdjsonDecoder, DEFAULT_MAX_LINE_LEN,
};
use libfuzzer_sys::fuzz_target;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Out {
    Line {
        number: u64,
        bytes: Vec<u8>,
        generate: String,
        chat: String,
    },
    TooLong(u64),
}

/// `generate()` scans Ollama's per-token lines by hand (crates/harmony-ollama/src/fast.rs)
/// and promises serde_json's result for every line, borrowing included.
fn check_fast_path(bytes: &[u8], parsed: &Result<GenerateLine<'_>, DecodeError>) {
    let serde: Result<GenerateLine<'_>, _> = serde_json::from_slice(bytes);
    if let (Ok(a), Ok(b)) = (parsed, &serde) {
        assert_eq!(a, b, "generate() differs from serde_json");
        for (x, y) in [
            (&a.model, &b.model),
            (&a.created_at, &b.created_at),
            (&a.response, &b.response),
        ] {
            assert_eq!(x.is_borrowed(), y.is_borrowed(), "borrowing differs");
        }
    }
    same_outcome("generate()", bytes, parsed, &serde);
}

/// The same promise for `chat()` and `/api/chat` lines.
fn check_chat_fast_path(bytes: &[u8], parsed: &Result<ChatLine<'_>, DecodeError>) {
    let serde: Result<ChatLine<'_>, _> = serde_json::from_slice(bytes);
    if let (Ok(a), Ok(b)) = (parsed, &serde) {
        assert_eq!(a, b, "chat() differs from serde_json");
        let texts = |l: &ChatLine<'_>| {
            let m = l.message.as_ref();
            [
                Some(l.model.is_borrowed()),
                Some(l.created_at.is_borrowed()),
                m.map(|m| m.role.is_borrowed()),
                m.map(|m| m.content.is_borrowed()),
                m.and_then(|m| m.thinking.as_ref()).map(|t| t.is_borrowed()),
            ]
        };
        assert_eq!(texts(a), texts(b), "borrowing differs");
    }
    same_outcome("chat()", bytes, parsed, &serde);
}

/// Both parsed, or both failed at the same column.
fn same_outcome<T, U>(
    what: &str,
    bytes: &[u8],
    parsed: &Result<T, DecodeError>,
    serde: &Result<U, serde_json::Error>,
) {
    match (parsed, serde) {
        (Ok(_), Ok(_)) => {}
        (Err(DecodeError::Json { column, .. }), Err(e)) => assert_eq!(*column, e.column()),
        // A lone surrogate is named; serde_json's error (and column) is its source.
        (Err(DecodeError::LoneSurrogate { source, .. }), Err(e)) => {
            assert_eq!(source.column(), e.column())
        }
        _ => panic!(
            "{what} {:?} vs serde_json {:?} on {:?}",
            parsed.as_ref().map(|_| ()),
            serde.as_ref().map(|_| ()),
            String::from_utf8_lossy(bytes)
        ),
    }
}

fn drain(lines: &mut Lines<'_>, max: usize, limit: usize, out: &mut Vec<Out>) {
    let mut n = 0;
    while n < limit {
        let Some(item) = lines.next_line() else { break };
        n += 1;
        match item {
            Ok(line) => {
                assert!(line.bytes().len() <= max, "line longer than the bound");
                let parsed = line.generate();
                check_fast_path(line.bytes(), &parsed);
                let generate = match parsed {
                    Ok(g) => format!("{g:?}"),
                    Err(e) => e.to_string(),
                };
                let parsed = line.chat();
                check_chat_fast_path(line.bytes(), &parsed);
                let chat = match parsed {
                    Ok(c) => format!("{c:?}"),
                    Err(e) => e.to_string(),
                };
                out.push(Out::Line {
                    number: line.number(),
                    bytes: line.bytes().to_vec(),
                    generate,
                    chat,
                });
            }
            Err(DecodeError::LineTooLong { line, limit }) => {
                assert_eq!(limit, max);
                out.push(Out::TooLong(line));
            }
            Err(e) => panic!("unexpected error from next_line: {e}"),
        }
    }
}

fn run(pieces: &[&[u8]], max: usize, one_at_a_time: bool) -> (Vec<Out>, u64) {
    let mut decoder = NdjsonDecoder::with_max_line_len(max);
    let mut out = Vec::new();
    let limit = if one_at_a_time { 1 } else { usize::MAX };
    for piece in pieces {
        drain(&mut decoder.feed(piece), max, limit, &mut out);
        if !one_at_a_time {
            assert!(
                decoder.buffered() <= max,
                "{} bytes buffered with a {max}-byte bound",
                decoder.buffered()
            );
        }
    }
    // Whatever a dropped cursor left behind comes out at the end.
    drain(&mut decoder.finish(), max, usize::MAX, &mut out);
    assert_eq!(decoder.buffered(), 0, "bytes left after finish");
    (out, decoder.lines_seen())
}

/// The lines a plain reading of the payload gives, without the `generate`/`chat` fields.
fn model(payload: &[u8], max: usize) -> (Vec<Out>, u64) {
    let mut out = Vec::new();
    let mut pieces: Vec<&[u8]> = payload.split(|&b| b == b'\n').collect();
    if pieces.last().is_some_and(|p| p.is_empty()) {
        pieces.pop();
    }
    for (i, line) in pieces.iter().enumerate() {
        let number = i as u64 + 1;
        if line.len() > max {
            out.push(Out::TooLong(number));
        } else if !line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
            out.push(Out::Line {
                number,
                bytes: line.strip_suffix(b"\r").unwrap_or(line).to_vec(),
                generate: String::new(),
                chat: String::new(),
            });
        }
    }
    (out, pieces.len() as u64)
}

fn strip(out: &[Out]) -> Vec<Out> {
    out.iter()
        .map(|o| match o {
            Out::Line { number, bytes, .. } => Out::Line {
                number: *number,
                bytes: bytes.clone(),
                generate: String::new(),
                chat: String::new(),
            },
            o => o.clone(),
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let max = [
        0,
        1,
        8,
        64,
        1024,
        4096,
        DEFAULT_MAX_LINE_LEN,
        DEFAULT_MAX_LINE_LEN,
    ][(flags & 7) as usize];
    let one_at_a_time = flags & 8 != 0;
    let (lens, payload) = split_spec(rest);

    let whole = run(&[payload], max, one_at_a_time);
    let (expected, count) = model(payload, max);
    assert_eq!(strip(&whole.0), expected, "lines differ from the model");
    assert_eq!(whole.1, count, "line count differs from the model");

    let pieces = chunks(payload, &lens);
    let split = run(&pieces, max, one_at_a_time);
    assert_eq!(whole, split, "split {lens:?} changed the lines");

    let bytes: Vec<&[u8]> = payload.chunks(1).collect();
    let bytewise = run(&bytes, max, one_at_a_time);
    assert_eq!(whole, bytewise, "byte-by-byte feed changed the lines");
});
