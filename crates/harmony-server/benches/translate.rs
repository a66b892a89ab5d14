//! The gateway's translation, Ollama in and OpenAI out, without the network: raw
//! `/api/generate` NDJSON bytes (one token per line, as Ollama's raw mode streams them)
//! through the code the server runs for a streamed request (harmony-ollama's NDJSON
//! decoder and `generate_line_events`, the mode `Engine`, the turn's `Recorder`, and
//! `SseFramer` over harmony-openai's `ChatEncoder` / `ResponsesEncoder`) to SSE bytes.
//!
//! In the same group, the yardstick a gateway written the obvious way would run: a
//! `serde_json::Value` per line, and a Chat Completions chunk built as a `Value` and
//! serialised per line (it does less: no harmony parse, no tool calls, no reasoning).
//!
//! Throughput is in tokens (upstream lines with text). Before timing, the bench checks
//! what each path produced and prints the heap allocations per token of one pass.
//!
//! `cargo bench -p harmony-server --bench translate -- --warm-up-time 1 --measurement-time 3`

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use harmony_ollama::testing::OllamaNdjson;
use harmony_ollama::{generate_line_events, ChatMode, Engine, NdjsonDecoder, Partial, StreamEvent};
use harmony_openai::{ChatEncoder, ChatEncoderOptions, ResponsesEncoder, ResponsesOptions};
use harmony_server::{Monitor, Protocol, SseFramer, StreamEncoder, TurnInfo};
use serde_json::{json, Value};

/// Counts allocations, to show what the hot path allocates per token.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const MODEL: &str = "gpt-oss:20b";
/// A network read: what the server's stream hands the decoder at a time.
const READ: usize = 4096;

/// Word-sized pieces with their leading space, as a BPE tokenizer cuts English.
fn pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in text.chars() {
        if (ch == ' ' || ch == '\n' || ch.is_ascii_punctuation()) && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(ch);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A long completion, recording-like: reasoning, a tool call whose arguments stream
/// token by token, and a final answer; markers as whole tokens, Go's escaping of `<`.
fn completion() -> (Vec<u8>, u64) {
    let reasoning = "The user wants the forecast for the next days in Paris, and whether to \
        take an umbrella. I should call get_weather with the city and the number of days, \
        then summarise: \"rain\" means yes, anything else means no. Let me check the units \
        too; the user wrote in English, so Celsius is fine.\n";
    let answer = "Here is the forecast for Paris: light rain on Monday (14 °C), clouds on \
        Tuesday, sun from Wednesday on. Take an umbrella for Monday; the rest of the week \
        looks dry.\n";
    let args = r#"{"city": "Paris", "days": 7, "units": "metric", "include": ["rain", "wind", "uv"], "note": "umbrella?"}"#;
    let mut w = OllamaNdjson::new(MODEL);
    let mut tokens = 0u64;
    let mut emit = |w: &mut OllamaNdjson, piece: &str| {
        w.response(piece);
        tokens += 1;
    };
    for marker in ["<|channel|>", "analysis", "<|message|>"] {
        emit(&mut w, marker);
    }
    for _ in 0..40 {
        for p in pieces(reasoning) {
            emit(&mut w, &p);
        }
    }
    for marker in [
        "<|end|>",
        "<|start|>",
        "assistant",
        "<|channel|>",
        "commentary",
        " to",
        "=functions",
        ".get",
        "_weather",
        " ",
        "<|constrain|>",
        "json",
        "<|message|>",
    ] {
        emit(&mut w, marker);
    }
    for p in pieces(args) {
        emit(&mut w, &p);
    }
    // Raw mode: Ollama swallows `<|call|>`; a second turn follows in the same
    // recording as the tool loop's next completion would, appended so one stream
    // holds all three kinds of message.
    for marker in [
        "<|call|>",
        "<|start|>",
        "assistant",
        "<|channel|>",
        "final",
        "<|message|>",
    ] {
        emit(&mut w, marker);
    }
    for _ in 0..20 {
        for p in pieces(answer) {
            emit(&mut w, &p);
        }
    }
    w.generate_done("stop");
    (w.finish().into_bytes(), tokens)
}

/// The server's streamed path over `input`: decoder -> line events -> engine ->
/// recorder -> SSE framer; returns the SSE bytes (concatenated when `keep`) and their
/// count.
fn translate<E: StreamEncoder>(
    input: &[u8],
    mut sse: SseFramer<E>,
    monitor: &Arc<Monitor>,
    keep: bool,
) -> (usize, Vec<u8>) {
    let mut recorder = monitor.begin(TurnInfo {
        protocol: Protocol::Chat,
        model: MODEL.into(),
        prompt_tokens: 100,
        tool_results: Vec::new(),
    });
    let mut engine = Engine::new(ChatMode::Harmony).with_declared(vec!["get_weather".into()]);
    let mut decoder = NdjsonDecoder::new();
    let mut partial = Partial::default();
    let mut queue = VecDeque::new();
    let mut out = Vec::new();
    let mut n = 0;
    let head = sse.start();
    n += head.len();
    if keep {
        out.extend_from_slice(&head);
    }
    for chunk in input.chunks(READ) {
        let mut lines = decoder.feed(chunk);
        while let Some(line) = lines.next_generate() {
            generate_line_events(line.expect("valid line"), &mut partial, &mut queue);
            while let Some(event) = queue.pop_front() {
                let event = event.expect("no error line");
                engine.generate(event, &mut |e| {
                    recorder.event(&e);
                    let bytes = sse.event(&e);
                    n += bytes.len();
                    if keep {
                        out.extend_from_slice(&bytes);
                    }
                });
            }
        }
    }
    (n, out)
}

fn chat(_: ()) -> SseFramer<ChatEncoder> {
    SseFramer::new(ChatEncoder::new(ChatEncoderOptions::new(MODEL)))
}

fn responses(_: ()) -> SseFramer<ResponsesEncoder> {
    SseFramer::new(ResponsesEncoder::new(ResponsesOptions::new(MODEL)))
}

/// The yardstick: a `Value` per line in, a `Value` chunk per line out.
fn naive(input: &[u8]) -> usize {
    let mut buf: Vec<u8> = Vec::new();
    let mut n = 0;
    for chunk in input.chunks(READ) {
        buf.extend_from_slice(chunk);
        let mut start = 0;
        while let Some(end) = buf[start..].iter().position(|&b| b == b'\n') {
            let line = &buf[start..start + end];
            start += end + 1;
            let v: Value = serde_json::from_slice(line).expect("valid line");
            let text = v["response"].as_str().unwrap_or("");
            let finish = v["done"].as_bool().unwrap_or(false).then_some("stop");
            let chunk = json!({
                "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0,
                "model": MODEL,
                "choices": [{"index": 0, "delta": {"content": text}, "logprobs": null,
                             "finish_reason": finish}],
            });
            let frame = format!("data: {}\n\n", serde_json::to_string(&chunk).unwrap());
            n += frame.len();
        }
        buf.drain(..start);
    }
    n
}

/// Frames `events` (each chunk dropped at once, as the server's body is written and
/// dropped); the allocations that took, and the bytes.
fn frame_all<E: StreamEncoder>(mut sse: SseFramer<E>, events: &[StreamEvent]) -> (u64, usize) {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let bytes = events.iter().map(|e| sse.event(e).len()).sum();
    (ALLOCATIONS.load(Ordering::Relaxed) - before, bytes)
}

/// What the two paths produced is what a client needs (checked once, before timing).
fn check(input: &[u8], tokens: u64, monitor: &Arc<Monitor>) {
    let (_, out) = translate(input, chat(()), monitor, true);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains(r#""tool_calls":[{"index":0,"id":"call_"#),
        "no call"
    );
    assert!(text.contains(r#""function":{"name":"get_weather""#));
    assert!(text.contains(r#""reasoning_content":"The""#));
    assert!(text.contains(r#""delta":{"content":" umbrella"}"#));
    assert!(text.ends_with("data: [DONE]\n\n"));
    let args: String = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v.pointer("/choices/0/delta/tool_calls/0/function/arguments")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    let args: Value = serde_json::from_str(&args).expect("the streamed arguments are JSON");
    assert_eq!(args["days"], 7);
    let (_, out) = translate(input, responses(()), monitor, true);
    let text = String::from_utf8(out).unwrap();
    for event in [
        "response.created",
        "response.reasoning_text.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_text.delta",
        "response.completed",
    ] {
        assert!(text.contains(&format!("event: {event}\n")), "no {event}");
    }
    assert!(naive(input) > 0);
    // The framing alone, over the events of one pass: a chunk per event cut from the
    // reused buffer (the encoders keep the answer's text for their final events, in
    // buffers that grow, amortised).
    let mut events = Vec::new();
    let mut engine = Engine::new(ChatMode::Harmony).with_declared(vec!["get_weather".into()]);
    let (mut decoder, mut partial, mut queue) =
        (NdjsonDecoder::new(), Partial::default(), VecDeque::new());
    for chunk in input.chunks(READ) {
        let mut lines = decoder.feed(chunk);
        while let Some(line) = lines.next_generate() {
            generate_line_events(line.expect("valid line"), &mut partial, &mut queue);
        }
    }
    for event in queue {
        engine.generate(event.expect("no error line"), &mut |e| events.push(e));
    }
    for (name, (allocations, bytes)) in [
        ("chat", frame_all(chat(()), &events)),
        ("responses", frame_all(responses(()), &events)),
    ] {
        eprintln!(
            "translate/{name}: SseFramer alone: {allocations} allocations for {} events ({bytes} bytes out)",
            events.len()
        );
    }
    // Allocations per token of one pass of each path (the input is built already).
    for (name, run) in [
        (
            "chat",
            &(|| translate(input, chat(()), monitor, false).0) as &dyn Fn() -> usize,
        ),
        ("responses", &|| {
            translate(input, responses(()), monitor, false).0
        }),
        ("naive", &|| naive(input)),
    ] {
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        black_box(run());
        let after = ALLOCATIONS.load(Ordering::Relaxed);
        eprintln!(
            "translate/{name}: {:.2} allocations per token ({} tokens)",
            (after - before) as f64 / tokens as f64,
            tokens
        );
    }
}

fn bench(c: &mut Criterion) {
    let (input, tokens) = completion();
    // The operator view keeps a bounded history; the server has one monitor.
    let monitor = Arc::new(Monitor::new(200));
    check(&input, tokens, &monitor);
    let mut g = c.benchmark_group("gateway_translate");
    g.throughput(Throughput::Elements(tokens));
    g.bench_function("chat_completions", |b| {
        b.iter(|| black_box(translate(&input, chat(()), &monitor, false).0))
    });
    g.bench_function("responses", |b| {
        b.iter(|| black_box(translate(&input, responses(()), &monitor, false).0))
    });
    g.bench_function(
        "yardstick: serde_json Value per line, chunk per line",
        |b| b.iter(|| black_box(naive(&input))),
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
