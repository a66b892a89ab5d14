//! Times one render of a user message made of one long pre-token (the case issue 11
//! item 3 found quadratic), ours and the reference, and checks the ids are identical.
//! Wall-clock, best of 3 (ours) or 1 (the others). A quick look without criterion; the criterion group is `render_long_pieces` in
//! `benches/render.rs`.
//!
//! Run: `cargo run -p harmony-chat --release --example long_pieces` (in the dev profile
//! harmony-chat, openai-harmony and tiktoken-rs are optimised too, see the workspace
//! `Cargo.toml`, so `cargo run -p harmony-chat --example long_pieces` gives similar figures).

use std::time::{Duration, Instant};

use harmony_chat::{Conversation, Message, Renderer, Role};

/// The best of `runs` timings of `f`.
fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = f();
        best = best.min(start.elapsed());
        last = Some(out);
    }
    (best, last.expect("runs > 0"))
}

fn main() {
    let renderer = Renderer::new();
    let enc = harmony_testkit::reference_encoding();
    let frame = enc
        .render_conversation_for_completion(
            &openai_harmony::chat::Conversation::from_messages([
                openai_harmony::chat::Message::from_role_and_content(
                    openai_harmony::chat::Role::User,
                    "",
                ),
            ]),
            openai_harmony::chat::Role::Assistant,
            Some(&Default::default()),
        )
        .expect("the reference renders an empty user message");
    println!("| input | ours | reference (openai-harmony 0.0.8) | tiktoken-rs encode_ordinary |");
    println!("|---|---|---|---|");
    for (label, unit, bytes, with_reference) in [
        ("`a`", "a", 16 << 10, true),
        ("`a`", "a", 64 << 10, true),
        ("`a`", "a", 1 << 20, false),
        // tiktoken-rs's fancy-regex overflows its stack on 1 MiB of spaces.
        ("space", " ", 256 << 10, false),
        ("`é`", "é", 256 << 10, false),
    ] {
        let text = unit.repeat(bytes / unit.len());
        let ours_conv =
            Conversation::from_messages([Message::from_role_and_content(Role::User, text.clone())]);
        let (ours_time, ours) = best(3, || {
            renderer
                .render_conversation_for_completion(&ours_conv, Role::Assistant)
                .expect("renders")
        });
        // tiktoken-rs, not the reference's own tokenizer: that one is quadratic too (and
        // its fancy-regex split overflows its stack on 1 MiB of one letter).
        let bpe = tiktoken_rs::o200k_harmony_singleton();
        let (tk_time, content) = best(1, || bpe.encode_ordinary(&text));
        let mut expected = frame[..3].to_vec();
        expected.extend(content);
        expected.extend_from_slice(&frame[3..]);
        assert!(ours == expected, "ids differ for {bytes} bytes of {label}");
        let reference = if with_reference {
            let conv = openai_harmony::chat::Conversation::from_messages([
                openai_harmony::chat::Message::from_role_and_content(
                    openai_harmony::chat::Role::User,
                    text.clone(),
                ),
            ]);
            let (t, ids) = best(1, || {
                enc.render_conversation_for_completion(
                    &conv,
                    openai_harmony::chat::Role::Assistant,
                    Some(&Default::default()),
                )
                .expect("renders")
            });
            assert!(
                ids == ours,
                "reference differs for {bytes} bytes of {label}"
            );
            format!("{t:.2?}")
        } else {
            "not run (quadratic)".to_owned()
        };
        println!(
            "| {} KiB of {label} | {ours_time:.2?} | {reference} | {tk_time:.2?} |",
            bytes >> 10
        );
    }
}
