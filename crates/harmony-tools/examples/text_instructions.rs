//! A fixed text-path workload for instruction counting with callgrind, which is repeatable
//! on a noisy machine where wall-clock benchmarks are not: one of the three completions of
//! `benches/text_chunks.rs`, fed in chunks of one size to a `TextParser` and a `Collector`
//! (and, with `summary`, `Summary::new` after), 50 times.
//!
//! ```text
//! cargo build --release -p harmony-tools --example text_instructions
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/text_instructions tool_calls 64 collector
//! ```
//!
//! Read the `Collected` total; `baseline` runs everything but the parse (building the
//! input, the process), to subtract.

#[path = "../benches/common/streams.rs"]
mod streams;

use harmony_stream::{Collector, TextParser};
use harmony_tools::Summary;

const RUNS: usize = 50;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [stream, chunk, work] = args.as_slice() else {
        eprintln!(
            "usage: text_instructions <reasoning|tool_calls|multilingual> <chunk bytes> <collector|summary|baseline>"
        );
        std::process::exit(2);
    };
    let Some((_, text)) = streams::streams().into_iter().find(|(n, _)| n == stream) else {
        eprintln!("no stream {stream:?}");
        std::process::exit(2);
    };
    let chunk: usize = match chunk.parse() {
        Ok(n) if n > 0 => n,
        _ => {
            eprintln!("chunk must be a positive number of bytes, not {chunk:?}");
            std::process::exit(2);
        }
    };
    let mut kept = 0usize;
    for _ in 0..RUNS {
        if work == "baseline" {
            kept += text.chunks(chunk).count();
            continue;
        }
        let mut parser = TextParser::new();
        let mut collector = Collector::new();
        for c in text.chunks(chunk) {
            parser.feed(c, &mut collector);
        }
        parser.finish(&mut collector);
        let completion = collector.finish();
        kept += match work.as_str() {
            "summary" => Summary::new(&completion).tool_calls.len(),
            _ => completion.messages.len(),
        };
    }
    println!(
        "{stream}: {} bytes in {} chunks of {chunk}, {RUNS} runs, {kept}",
        text.len(),
        text.len().div_ceil(chunk)
    );
}
