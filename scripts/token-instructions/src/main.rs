//! A fixed token-path workload for instruction counting with callgrind (repeatable on a
//! noisy machine where wall-clock benchmarks are not): one of the three completions of the
//! text-path bench (`crates/harmony-tools/benches/common/streams.rs`), encoded to token ids
//! with o200k_harmony, fed to a `TokenParser` in feeds of one length, 50 times.
//!
//! Loading the vocabulary costs some 860 M instructions, so the ids are written to a file
//! first (`encode`), and the counted runs read them from it:
//!
//! ```text
//! cargo build --release --manifest-path scripts/token-instructions/Cargo.toml
//! bin=scripts/token-instructions/target/release/token-instructions
//! $bin encode reasoning > /tmp/reasoning.ids
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null $bin run /tmp/reasoning.ids 16 bare
//! ```
//!
//! Works: `bare` (a closure sink that counts delta bytes: the bare token path),
//! `collector` (a `Collector` keeping the messages) and `baseline` (everything but the
//! parse: process start, reading the ids; to subtract). Read the `Collected` total.

#[path = "../../../crates/harmony-tools/benches/common/streams.rs"]
mod streams;

use std::io::Write;

use harmony_stream::{Collector, Event, TokenParser};

const RUNS: usize = 50;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["encode", stream] => encode(stream),
        ["run", file, feed, work] => run(file, feed, work),
        _ => fail(
            "usage: token-instructions encode <reasoning|tool_calls|multilingual> > FILE\n       \
             token-instructions run FILE <ids per feed> <bare|collector|baseline>",
        ),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2);
}

/// Writes the stream's ids to stdout, little-endian `u32`s.
fn encode(stream: &str) {
    let Some((_, text)) = streams::streams().into_iter().find(|(n, _)| *n == stream) else {
        fail(&format!("no stream {stream:?}"));
    };
    let text = String::from_utf8(text).expect("the streams are UTF-8");
    let bpe = tiktoken_rs::o200k_harmony().expect("the bundled vocabulary loads");
    let bytes: Vec<u8> = bpe
        .encode_with_special_tokens(&text)
        .into_iter()
        .flat_map(u32::to_le_bytes)
        .collect();
    std::io::stdout()
        .write_all(&bytes)
        .expect("stdout is writable");
}

fn run(file: &str, feed: &str, work: &str) {
    let bytes = std::fs::read(file).unwrap_or_else(|e| fail(&format!("{file}: {e}")));
    let ids: Vec<u32> = bytes
        .chunks_exact(4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
        .collect();
    let feed: usize = match feed.parse() {
        Ok(n) if n > 0 => n,
        _ => fail(&format!(
            "ids per feed must be a positive number, not {feed:?}"
        )),
    };
    let mut kept = 0usize;
    for _ in 0..RUNS {
        let mut parser = TokenParser::new();
        match work {
            "baseline" => kept += ids.chunks(feed).count(),
            "bare" => {
                let mut sink = |e: Event<'_>| {
                    if let Event::Delta(d) = e {
                        kept += d.len();
                    }
                };
                for r in ids.chunks(feed) {
                    parser.feed(r, &mut sink).expect("ids in the vocabulary");
                }
                parser.finish(&mut sink);
            }
            "collector" => {
                let mut collector = Collector::new();
                for r in ids.chunks(feed) {
                    parser
                        .feed(r, &mut collector)
                        .expect("ids in the vocabulary");
                }
                parser.finish(&mut collector);
                kept += collector.finish().messages.len();
            }
            _ => fail(&format!(
                "work must be bare, collector or baseline, not {work:?}"
            )),
        }
    }
    println!(
        "{} ids, {RUNS} runs in feeds of {feed}; kept {kept}",
        ids.len()
    );
}
