//! The text path by chunk size (issue 9, item 9): `TextParser` fed in 4-, 16-, 64- and
//! 4096-byte chunks into a `Collector`, alone and followed by `Summary::new` (what
//! `harmony parse --summary` and every consumer that keeps messages runs), on three
//! completions written out as text: long reasoning, forty tool calls, multilingual text.
//!
//! The yardstick in each group is the floor any consumer of chunked text pays: validating
//! each chunk as UTF-8 (std) and appending it to one `String`, with no parsing at all.
//! Throughput is in bytes of input.
//!
//! Run: `cargo bench -p harmony-tools --bench text_chunks`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use harmony_stream::{Collector, TextParser};
use harmony_tools::Summary;

/// A message as the model writes it after the prompt's `<|start|>assistant`.
fn message(first: bool, header: &str, content: &str, stop: &str) -> String {
    let start = if first { "" } else { "<|start|>assistant" };
    format!("{start}{header}<|message|>{content}{stop}")
}

fn streams() -> Vec<(&'static str, Vec<u8>)> {
    let thought = "The user wants a comparison of the two approaches. First, consider the \
        memory cost: the first keeps every token, the second only the open header. Then the \
        latency: both emit a delta per token, but one re-encodes text. ";
    let reasoning = message(true, "<|channel|>analysis", &thought.repeat(60), "<|end|>")
        + &message(
            false,
            "<|channel|>final",
            &"In short: the streaming parser wins on memory and speed. ".repeat(20),
            "<|return|>",
        );
    let mut tools = message(
        true,
        "<|channel|>analysis",
        "Need weather for several cities, then convert units.",
        "<|end|>",
    );
    for (i, city) in ["Paris", "Tokyo", "Lagos", "Lima", "Oslo", "Perth"]
        .iter()
        .cycle()
        .take(40)
        .enumerate()
    {
        let args = format!(
            r#"{{"location": "{city}", "unit": "celsius", "days": {}, "include": ["wind", "humidity", "uv"]}}"#,
            i % 7
        );
        tools += &message(
            false,
            "<|channel|>commentary to=functions.get_weather <|constrain|>json",
            &args,
            "<|call|>",
        );
    }
    tools += &message(
        false,
        "<|channel|>final",
        "Here is the forecast for every city.",
        "<|return|>",
    );
    let multilingual = message(
        true,
        "<|channel|>analysis",
        &"ユーザーは東京の天気を尋ねています。Пользователь спрашивает о погоде. 用户询问天气。🌦️🫠👍🏽 "
            .repeat(40),
        "<|end|>",
    ) + &message(
        false,
        "<|channel|>final",
        &"東京は晴れ、18°C です。Погода хорошая. 天气晴朗。☀️ ".repeat(30),
        "<|return|>",
    );
    vec![
        ("reasoning", reasoning.into_bytes()),
        ("tool_calls", tools.into_bytes()),
        ("multilingual", multilingual.into_bytes()),
    ]
}

fn collect(text: &[u8], chunk: usize) -> harmony_stream::Completion {
    let mut parser = TextParser::new();
    let mut collector = Collector::new();
    for c in text.chunks(chunk) {
        parser.feed(c, &mut collector);
    }
    parser.finish(&mut collector);
    collector.finish()
}

/// The yardstick: what a consumer pays with no parser at all.
fn floor(text: &[u8], chunk: usize) -> usize {
    let mut out = String::new();
    for c in text.chunks(chunk) {
        // Chunks may split characters; the floor only needs the cost of looking at them.
        out.push_str(std::str::from_utf8(c).unwrap_or(""));
    }
    out.len()
}

fn bench_chunks(c: &mut Criterion) {
    for (name, text) in streams() {
        // The inputs are what they claim to be: every message parsed, nothing tolerated
        // but the completion's implicit `<|start|>assistant` (the prompt ended with it).
        let completion = collect(&text, 4);
        assert!(
            completion
                .diagnostics
                .iter()
                .all(|d| d.kind == harmony_stream::DiagnosticKind::ImplicitStart),
            "{name}: {:?}",
            completion.diagnostics
        );
        assert_eq!(completion, collect(&text, 4096), "{name}");
        let mut group = c.benchmark_group(format!("text_chunks/{name}"));
        group.throughput(Throughput::Bytes(text.len() as u64));
        for chunk in [4usize, 16, 64, 4096] {
            group.bench_with_input(BenchmarkId::new("collector", chunk), &text, |b, t| {
                b.iter(|| collect(black_box(t), chunk).messages.len())
            });
            group.bench_with_input(
                BenchmarkId::new("collector+summary", chunk),
                &text,
                |b, t| {
                    b.iter(|| {
                        let summary = Summary::new(&collect(black_box(t), chunk));
                        summary.messages.len() + summary.tool_calls.len()
                    })
                },
            );
            group.bench_with_input(
                BenchmarkId::new("floor: utf8+append", chunk),
                &text,
                |b, t| b.iter(|| floor(black_box(t), chunk)),
            );
        }
        group.finish();
    }
}

criterion_group! {
    name = chunks;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench_chunks
}
criterion_main!(chunks);
