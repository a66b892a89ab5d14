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

#[path = "common/streams.rs"]
mod streams;
use streams::streams;

/// Out of line, so that both `collector` benches run the same machine code.
#[inline(never)]
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
