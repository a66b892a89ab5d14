//! A fixed workload for instruction counting (`valgrind --tool=callgrind`), which is
//! repeatable on a noisy machine where wall-clock benchmarks are not:
//! `valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/instructions`
//! and read the `Collected` total. The workload: a long reasoning completion's tokens, parsed
//! 200 times by the token path.

use harmony_kit::stream::{Event, TokenParser};

fn main() {
    let text = format!(
        "<|channel|>analysis<|message|>{}<|end|><|start|>assistant<|channel|>final<|message|>{}<|return|>",
        "The user wants a comparison of the two approaches. First, consider the memory cost. ".repeat(60),
        "In short: the streaming parser wins. 東京は晴れ 🌦️ ".repeat(20)
    );
    let tokens = harmony_testkit::reference_encoding()
        .tokenizer()
        .encode_with_special_tokens(&text);
    let mut total = 0usize;
    for _ in 0..200 {
        let mut parser = TokenParser::new();
        let mut sink = |e: Event<'_>| {
            if let Event::Delta(d) = e {
                total += d.len();
            }
        };
        parser.feed(&tokens, &mut sink).unwrap();
        parser.finish(&mut sink);
    }
    println!("{} tokens x 200, {total} bytes of deltas", tokens.len());
}
