//! NDJSON decoding: this crate's decoder against what a caller would otherwise write
//! (split lines, `serde_json::from_slice` into a struct with owned `String`s), in one
//! criterion group so the ratio reads from one run. Input: the bundled recordings,
//! repeated, fed in 4 KiB chunks (a typical socket read).
//!
//! Every variant of `ndjson_generate` hands each line's `response` to the same
//! `harmony_stream::TextParser` (what `generate_raw` does with it), so each measures
//! decode + lex.
//!
//! `ndjson_events` is the whole path under a `ModeStream`, sans IO: bytes of the
//! recordings in (4 KiB chunks), NDJSON lines, transport events, the mode engine,
//! `StreamEvent`s out, in both modes (standard mode reads the `/api/chat` NDJSON Ollama
//! sends for the same output, made by `chat_ndjson_from_generate`). Beside them, the
//! floor (the decoder alone, lines counted) and the yardstick a caller would write
//! (a `serde_json::Value` per line, the text handed on).

use std::collections::VecDeque;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use harmony_ollama::testing::chat_ndjson_from_generate;
use harmony_ollama::{
    chat_line_events, generate_line_events, ChatMode, Engine, NdjsonDecoder, Partial, StreamEvent,
};
use harmony_stream::{Event, TextParser};

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct OwnedLine {
    #[serde(default)]
    model: String,
    #[serde(default)]
    created_at: String,
    #[serde(default)]
    response: String,
    #[serde(default)]
    done: bool,
}

/// The bundled recordings, each passed through `convert`, concatenated, 50 times over.
fn recordings(convert: impl Fn(String) -> String) -> Vec<u8> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/recordings");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ndjson"))
        .collect();
    paths.sort();
    let mut one = Vec::new();
    for path in paths {
        one.extend(convert(std::fs::read_to_string(path).unwrap()).into_bytes());
    }
    one.repeat(50)
}

/// The recordings as `/api/generate` sends them.
fn input() -> Vec<u8> {
    recordings(|r| r)
}

/// Feeds one response fragment to the lexer; counts the delta bytes it yields.
#[inline]
fn lex(parser: &mut TextParser, text: &str, n: &mut usize) {
    parser.feed(text.as_bytes(), &mut |e: Event<'_>| {
        if let Event::Delta(d) = e {
            *n += d.len();
        }
    });
}

fn bench(c: &mut Criterion) {
    let input = input();
    let mut g = c.benchmark_group("ndjson_generate");
    g.throughput(Throughput::Bytes(input.len() as u64));
    g.bench_function(
        "harmony-ollama NdjsonDecoder + TextParser (4 KiB chunks)",
        |b| {
            let mut dec = NdjsonDecoder::new();
            b.iter(|| {
                let mut parser = TextParser::new();
                let mut n = 0usize;
                for chunk in input.chunks(4096) {
                    let mut lines = dec.feed(chunk);
                    while let Some(line) = lines.next_generate() {
                        lex(&mut parser, &line.unwrap().response, &mut n);
                    }
                }
                black_box(n)
            })
        },
    );
    g.bench_function(
        "baseline: buffer + split + serde_json owned struct + TextParser",
        |b| {
            b.iter(|| {
                let mut parser = TextParser::new();
                let mut buf: Vec<u8> = Vec::new();
                let mut n = 0usize;
                for chunk in input.chunks(4096) {
                    buf.extend_from_slice(chunk);
                    while let Some(i) = buf.iter().position(|&b| b == b'\n') {
                        let line: Vec<u8> = buf.drain(..=i).collect();
                        let l: OwnedLine = serde_json::from_slice(&line[..line.len() - 1]).unwrap();
                        lex(&mut parser, &l.response, &mut n);
                    }
                }
                black_box(n)
            })
        },
    );
    g.bench_function("baseline: serde_json::Value per line + TextParser", |b| {
        b.iter(|| {
            let mut parser = TextParser::new();
            let mut n = 0usize;
            for line in input.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                let v: serde_json::Value = serde_json::from_slice(line).unwrap();
                lex(&mut parser, v["response"].as_str().unwrap_or(""), &mut n);
            }
            black_box(n)
        })
    });
    g.finish();
}

/// Counts a `StreamEvent`'s text bytes, so nothing is optimised away.
fn weigh(e: &StreamEvent, n: &mut usize) {
    match e {
        StreamEvent::Delta { text, .. } => *n += text.len(),
        StreamEvent::ToolCallArgs { delta, .. } => *n += delta.len(),
        _ => *n += 1,
    }
}

fn events(c: &mut Criterion) {
    let generate = input();
    let chat = recordings(|r| chat_ndjson_from_generate(&r));
    let mut g = c.benchmark_group("ndjson_events");
    g.throughput(Throughput::Bytes(generate.len() as u64));
    g.bench_function("harmony mode: /api/generate bytes -> StreamEvents", |b| {
        let mut dec = NdjsonDecoder::new();
        let mut queue = VecDeque::new();
        b.iter(|| {
            let mut engine = Engine::new(ChatMode::Harmony);
            let mut partial = Partial::default();
            let mut n = 0usize;
            for chunk in generate.chunks(4096) {
                let mut lines = dec.feed(chunk);
                while let Some(line) = lines.next_generate() {
                    generate_line_events(line.unwrap(), &mut partial, &mut queue);
                    for event in queue.drain(..) {
                        engine.generate(event.unwrap(), &mut |e| weigh(&e, &mut n));
                        // Recordings are concatenated: start the next answer afresh.
                        if engine.is_finished() {
                            engine = Engine::new(ChatMode::Harmony);
                            partial = Partial::default();
                        }
                    }
                }
            }
            black_box(n)
        })
    });
    g.bench_function("floor: /api/generate bytes -> lines", |b| {
        let mut dec = NdjsonDecoder::new();
        b.iter(|| {
            let mut n = 0usize;
            for chunk in generate.chunks(4096) {
                let mut lines = dec.feed(chunk);
                while let Some(line) = lines.next_generate() {
                    n += line.unwrap().response.len();
                }
            }
            black_box(n)
        })
    });
    g.bench_function(
        "yardstick: /api/generate serde_json::Value per line + TextParser",
        |b| {
            b.iter(|| {
                let mut parser = TextParser::new();
                let mut n = 0usize;
                for line in generate.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                    let v: serde_json::Value = serde_json::from_slice(line).unwrap();
                    lex(&mut parser, v["response"].as_str().unwrap_or(""), &mut n);
                }
                black_box(n)
            })
        },
    );
    g.throughput(Throughput::Bytes(chat.len() as u64));
    g.bench_function("standard mode: /api/chat bytes -> StreamEvents", |b| {
        let mut dec = NdjsonDecoder::new();
        let mut queue = VecDeque::new();
        b.iter(|| {
            let mut engine = Engine::new(ChatMode::Standard);
            let mut partial = Partial::default();
            let mut n = 0usize;
            for chunk in chat.chunks(4096) {
                let mut lines = dec.feed(chunk);
                while let Some(line) = lines.next_chat() {
                    chat_line_events(line.unwrap(), &mut partial, &mut queue);
                    for event in queue.drain(..) {
                        let _ = engine.chat(event, &mut |e| weigh(&e, &mut n));
                        if engine.is_finished() {
                            engine = Engine::new(ChatMode::Standard);
                            partial = Partial::default();
                        }
                    }
                }
            }
            black_box(n)
        })
    });
    g.bench_function("yardstick: /api/chat serde_json::Value per line", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for line in chat.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                let v: serde_json::Value = serde_json::from_slice(line).unwrap();
                let m = &v["message"];
                n += m["content"].as_str().map_or(0, str::len)
                    + m["thinking"].as_str().map_or(0, str::len);
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench, events
}
criterion_main!(benches);
