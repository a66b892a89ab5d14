//! The tool-call extractor's cost on top of the core parser, on a tool-heavy token stream.
//!
//! Both functions parse the same tokens with `TokenParser`; the second also feeds every
//! event to a `ToolExtractor` (streamed `Args` deltas, arguments parsed with serde_json at
//! each call's end). The difference is the extractor's overhead.
//!
//! Run: `cargo bench --bench tools`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use harmony_kit::stream::{Collector, Event, Sink, TokenParser};
use harmony_kit::tools::{ToolEvent, ToolExtractor};

fn stream() -> Vec<u32> {
    let mut text =
        String::from("<|channel|>analysis<|message|>Need the weather for several cities.<|end|>");
    for (i, city) in ["Paris", "Tokyo", "Lagos", "Lima", "Oslo", "Perth"]
        .iter()
        .cycle()
        .take(40)
        .enumerate()
    {
        text.push_str("<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>");
        text.push_str(&format!(
            r#"{{"location": "{city}", "unit": "celsius", "days": {}, "include": ["wind", "humidity", "uv"]}}"#,
            i % 7
        ));
        text.push_str("<|call|>");
    }
    text.push_str("<|start|>assistant<|channel|>final<|message|>Here is the forecast.<|return|>");
    harmony_testkit::reference_encoding()
        .tokenizer()
        .encode_with_special_tokens(&text)
}

fn core_only(tokens: &[u32]) -> usize {
    let mut parser = TokenParser::new();
    let mut n = 0usize;
    let mut sink = |e: Event<'_>| {
        if let Event::Delta(d) = e {
            n += d.len();
        }
    };
    parser.feed(tokens, &mut sink).unwrap();
    parser.finish(&mut sink);
    n
}

fn with_tools(tokens: &[u32], tools: &mut ToolExtractor) -> usize {
    let mut parser = TokenParser::new();
    let mut n = 0usize;
    let mut sink = |e: Event<'_>| {
        if let Event::Delta(d) = e {
            n += d.len();
        }
        tools.observe(&e, &mut |t: ToolEvent<'_>| {
            if let ToolEvent::End(end) = t {
                n += usize::from(end.error.is_none());
            }
        });
    };
    parser.feed(tokens, &mut sink).unwrap();
    parser.finish(&mut sink);
    n
}

/// What a consumer that keeps the messages does: the realistic baseline.
fn core_collector(tokens: &[u32]) -> usize {
    let mut parser = TokenParser::new();
    let mut collector = Collector::new();
    parser.feed(tokens, &mut collector).unwrap();
    parser.finish(&mut collector);
    collector.messages().len()
}

fn core_collector_tools(tokens: &[u32], tools: &mut ToolExtractor) -> usize {
    let mut parser = TokenParser::new();
    let mut collector = Collector::new();
    let mut calls = 0usize;
    let mut sink = |e: Event<'_>| {
        tools.observe(&e, &mut |t: ToolEvent<'_>| {
            if let ToolEvent::End(end) = t {
                calls += usize::from(end.error.is_none());
            }
        });
        collector.event(e);
    };
    parser.feed(tokens, &mut sink).unwrap();
    parser.finish(&mut sink);
    collector.messages().len() + calls
}

fn bench(c: &mut Criterion) {
    let tokens = stream();
    let mut tools = ToolExtractor::new().with_ids(|i| format!("call_{i}"));
    assert_eq!(with_tools(&tokens, &mut tools), core_only(&tokens) + 40);
    let mut group = c.benchmark_group("tool_extraction");
    group.throughput(Throughput::Elements(tokens.len() as u64));
    group.bench_function("core", |b| b.iter(|| core_only(black_box(&tokens))));
    group.bench_function("core+tools", |b| {
        b.iter(|| with_tools(black_box(&tokens), &mut tools))
    });
    group.bench_function("core+collector", |b| {
        b.iter(|| core_collector(black_box(&tokens)))
    });
    group.bench_function("core+collector+tools", |b| {
        b.iter(|| core_collector_tools(black_box(&tokens), &mut tools))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
