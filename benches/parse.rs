//! Token-path parsing: harmony-stream against openai-harmony's `StreamableParser`, on the
//! same token streams, in one criterion group per stream so the ratio comes from one run.
//!
//! The reference is driven as servers drive it: `process(token)` then
//! `last_content_delta()` after every token. Ours pushes every token into a sink that
//! touches every delta. Throughput is reported in tokens per second.
//!
//! Also the text path (ours on raw text against the reference's encode-then-parse) and
//! start-up (from nothing to the first delta).
//!
//! Run: `cargo bench --bench parse`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use harmony_kit::stream::{Event, TextParser, TokenParser};
use openai_harmony::chat::{Message, Role};
use openai_harmony::StreamableParser;

fn assistant(channel: &str, text: &str) -> Message {
    Message::from_role_and_content(Role::Assistant, text).with_channel(channel)
}

fn call(name: &str, args: &str) -> Message {
    Message::from_role_and_content(Role::Assistant, args)
        .with_channel("commentary")
        .with_recipient(format!("functions.{name}"))
        .with_content_type("<|constrain|>json")
}

/// A completion as the model samples it: the prompt ended with `<|start|>assistant`.
fn completion(messages: &[Message]) -> Vec<u32> {
    let enc = harmony_testkit::reference_encoding();
    let mut tokens: Vec<u32> = messages
        .iter()
        .flat_map(|m| enc.render(m, None).unwrap())
        .collect();
    let prefix = enc
        .tokenizer()
        .encode_with_special_tokens("<|start|>assistant");
    tokens.drain(..prefix.len());
    tokens
}

fn streams() -> Vec<(&'static str, Vec<u32>)> {
    let thought = "The user wants a comparison of the two approaches. First, consider the \
        memory cost: the first keeps every token, the second only the open header. Then the \
        latency: both emit a delta per token, but one re-encodes text. ";
    let reasoning = completion(&[
        assistant("analysis", &thought.repeat(60)),
        assistant(
            "final",
            &"In short: the streaming parser wins on memory and speed. ".repeat(20),
        ),
    ]);
    let mut tool_msgs = vec![assistant(
        "analysis",
        "Need weather for several cities, then convert units.",
    )];
    for (i, city) in ["Paris", "Tokyo", "Lagos", "Lima", "Oslo", "Perth"]
        .iter()
        .cycle()
        .take(40)
        .enumerate()
    {
        tool_msgs.push(call(
            "get_weather",
            &format!(r#"{{"location": "{city}", "unit": "celsius", "days": {}, "include": ["wind", "humidity", "uv"]}}"#, i % 7),
        ));
    }
    tool_msgs.push(assistant("final", "Here is the forecast for every city."));
    let tools = completion(&tool_msgs);
    let multilingual = completion(&[
        assistant(
            "analysis",
            &"ユーザーは東京の天気を尋ねています。Пользователь спрашивает о погоде. 用户询问天气。🌦️🫠👍🏽 ".repeat(40),
        ),
        assistant("final", &"東京は晴れ、18°C です。Погода хорошая. 天气晴朗。☀️ ".repeat(30)),
    ]);
    vec![
        ("reasoning", reasoning),
        ("tool_calls", tools),
        ("multilingual", multilingual),
    ]
}

fn ours_tokens(tokens: &[u32]) -> usize {
    let mut parser = TokenParser::new();
    let mut bytes = 0usize;
    let mut sink = |e: Event<'_>| {
        if let Event::Delta(d) = e {
            bytes += d.len();
        }
    };
    for &t in tokens {
        parser.push(t, &mut sink).unwrap();
    }
    parser.finish(&mut sink);
    bytes
}

fn ours_text(text: &[u8]) -> usize {
    let mut parser = TextParser::new();
    let mut bytes = 0usize;
    let mut sink = |e: Event<'_>| {
        if let Event::Delta(d) = e {
            bytes += d.len();
        }
    };
    // Ollama-sized fragments: a token or two per chunk.
    for c in text.chunks(6) {
        parser.feed(c, &mut sink);
    }
    parser.finish(&mut sink);
    bytes
}

fn reference(tokens: &[u32]) -> usize {
    let enc = harmony_testkit::reference_encoding();
    let mut parser = StreamableParser::new(enc, Some(Role::Assistant)).unwrap();
    let mut bytes = 0usize;
    for &t in tokens {
        parser.process(t).unwrap();
        if let Some(d) = parser.last_content_delta().unwrap() {
            bytes += d.len();
        }
    }
    parser.process_eos().unwrap();
    bytes
}

fn bench(c: &mut Criterion) {
    for (name, tokens) in streams() {
        let text: Vec<u8> = tokens
            .iter()
            .flat_map(|&t| {
                harmony_kit::stream::vocab::token_bytes(t)
                    .unwrap()
                    .iter()
                    .copied()
            })
            .collect();
        // Same answer from both before timing anything.
        assert_eq!(ours_tokens(&tokens), reference(&tokens), "{name}");
        let mut group = c.benchmark_group(format!("parse_tokens/{name}"));
        group.throughput(Throughput::Elements(tokens.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("harmony-stream", tokens.len()),
            &tokens,
            |b, t| b.iter(|| ours_tokens(black_box(t))),
        );
        group.bench_with_input(
            BenchmarkId::new("harmony-stream-text", tokens.len()),
            &text,
            |b, t| b.iter(|| ours_text(black_box(t))),
        );
        group.bench_with_input(
            BenchmarkId::new("openai-harmony", tokens.len()),
            &tokens,
            |b, t| b.iter(|| reference(black_box(t))),
        );
        group.finish();
    }
}

/// What a caller holding text (markers written out) must do with the reference: encode it
/// with the special tokens allowed, then parse the tokens.
fn reference_text(text: &str) -> usize {
    let enc = harmony_testkit::reference_encoding();
    let tokens = enc.tokenizer().encode_with_special_tokens(text);
    reference(&tokens)
}

fn bench_text(c: &mut Criterion) {
    for (name, tokens) in streams() {
        let text = harmony_testkit::reference_encoding()
            .tokenizer()
            .decode_utf8(tokens.clone())
            .unwrap();
        assert_eq!(ours_text(text.as_bytes()), reference_text(&text), "{name}");
        let mut group = c.benchmark_group(format!("parse_text/{name}"));
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("harmony-stream", text.len()),
            &text,
            |b, t| b.iter(|| ours_text(black_box(t.as_bytes()))),
        );
        group.bench_with_input(
            BenchmarkId::new("openai-harmony (encode + parse)", text.len()),
            &text,
            |b, t| b.iter(|| reference_text(black_box(t))),
        );
        group.finish();
    }
}

/// Time from nothing to the first content delta: ours has its vocabulary compiled in; the
/// reference loads its encoding (from the local `TIKTOKEN_ENCODINGS_BASE` file, as it must
/// in every new process) before it can parse.
fn bench_startup(c: &mut Criterion) {
    // <|channel|> final <|message|> Hi
    let tokens = [200005u32, 17196, 200008, 12194];
    harmony_testkit::reference_encoding(); // writes the vocabulary file once
    let mut group = c.benchmark_group("startup_to_first_delta");
    group.bench_function("harmony-stream", |b| {
        b.iter(|| {
            let mut parser = TokenParser::new();
            let mut first = None;
            for &t in black_box(&tokens) {
                parser
                    .push(t, &mut |e: Event<'_>| {
                        if let Event::Delta(d) = e {
                            first.get_or_insert(d.len());
                        }
                    })
                    .unwrap();
            }
            first
        })
    });
    group.bench_function("openai-harmony", |b| {
        b.iter(|| {
            let enc = openai_harmony::load_harmony_encoding(
                openai_harmony::HarmonyEncodingName::HarmonyGptOss,
            )
            .unwrap();
            let mut parser = StreamableParser::new(enc, Some(Role::Assistant)).unwrap();
            let mut first = None;
            for &t in black_box(&tokens) {
                parser.process(t).unwrap();
                if let Some(d) = parser.last_content_delta().unwrap() {
                    first.get_or_insert(d.len());
                }
            }
            first
        })
    });
    group.finish();
}

criterion_group! {
    name = startup;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    targets = bench_startup
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = bench, bench_text
}
criterion_main!(benches, startup);
