//! Encoder throughput, a measurement rather than a check: run with
//! `cargo test --release -p harmony-openai --test throughput -- --ignored --nocapture`.
//! The criterion group of the gateway (NDJSON in, SSE out) is the project's benchmark;
//! this isolates the encoders' share.

use std::time::Instant;

use harmony_ollama::{Channel, StreamEvent};
use harmony_openai::{ChatEncoder, ChatEncoderOptions, ResponsesEncoder, ResponsesOptions};

/// Token-sized deltas, as Ollama streams them: reasoning, then the answer.
fn events(n: usize) -> Vec<StreamEvent> {
    let words = [
        " the", " model", " reasons", " about", " weather", ",", " then", " answers",
    ];
    (0..n)
        .map(|i| StreamEvent::Delta {
            channel: Some(if i < n / 2 {
                Channel::Analysis
            } else {
                Channel::Final
            }),
            text: words[i % words.len()].to_owned(),
        })
        .chain(std::iter::once(StreamEvent::Done(Default::default())))
        .collect()
}

#[test]
#[ignore = "a measurement; run in release"]
fn encoder_tokens_per_second() {
    let n = 200_000;
    let evs = events(n);
    let mut out = Vec::with_capacity(1 << 20);
    for round in 0..3 {
        let t = Instant::now();
        let mut enc = ChatEncoder::new(ChatEncoderOptions::new("gpt-oss:20b"));
        for e in &evs {
            enc.event(e, &mut out);
            out.clear();
        }
        let chat = n as f64 / t.elapsed().as_secs_f64();

        let t = Instant::now();
        let mut enc = ResponsesEncoder::new(ResponsesOptions::new("gpt-oss:20b"));
        for e in &evs {
            enc.event(e, &mut out);
            out.clear();
        }
        let responses = n as f64 / t.elapsed().as_secs_f64();
        println!(
            "round {round}: chat {:.2} M tokens/s, responses {:.2} M tokens/s",
            chat / 1e6,
            responses / 1e6
        );
    }
}
