//! The bundled recording `harmony replay` plays by default, and how it was made.
//!
//! It is reconstructed, not captured: a harmony completion (analysis, a preamble, a tool
//! call the model ended with `<|end|>` and went on from, as Ollama's own tests show models
//! doing, and a final answer) tokenized with o200k_harmony and written one token per line
//! as Ollama's raw mode streams it: Go's HTML escaping, a character split across tokens
//! held back until complete, the final `<|return|>` elided and reported as
//! `done_reason: "stop"`, metrics on the `done` line. Regenerate with
//! `HARMONY_REGEN_RECORDINGS=1 cargo test -p harmony-cli --test recording`.

const COMPLETION: &str =
    "<|channel|>analysis<|message|>The user wants the weather in Paris and a packing tip. \
I should call get_weather with the city, then answer briefly.<|end|>\
<|start|>assistant<|channel|>commentary<|message|>Let me check the forecast.<|end|>\
<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>\
{\"location\": \"Paris, FR\", \"unit\": \"celsius\"}<|end|>\
<|start|>assistant<|channel|>final<|message|>It's 18 °C and sunny in Paris ☀️: pack sunglasses, \
and a light jacket for the evening.<|return|>";

fn go_escape(s: &str) -> String {
    serde_json::to_string(s)
        .unwrap()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn line(ms: u64, response: &str) -> String {
    format!(
        "{{\"model\":\"gpt-oss:20b\",\"created_at\":\"2025-08-06T10:15:{:02}.{:03}000000Z\",\"response\":{},\"done\":false}}\n",
        30 + ms / 1000,
        ms % 1000,
        go_escape(response)
    )
}

fn generate() -> String {
    let bpe = tiktoken_rs::o200k_harmony_singleton();
    let mut tokens = bpe.encode_with_special_tokens(COMPLETION);
    assert_eq!(
        tokens.pop(),
        Some(200002),
        "ends with <|return|>, which raw mode never sends"
    );
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut ms = 0;
    for &t in &tokens {
        pending.extend(bpe.decode_bytes(&[t]).unwrap());
        if let Ok(text) = std::str::from_utf8(&pending) {
            out.push_str(&line(ms, text));
            pending.clear();
        }
        ms += 40;
    }
    assert!(pending.is_empty());
    out.push_str(&format!(
        "{{\"model\":\"gpt-oss:20b\",\"created_at\":\"2025-08-06T10:15:{:02}.{:03}000000Z\",\"response\":\"\",\"done\":true,\"done_reason\":\"stop\",\"total_duration\":{},\"load_duration\":60000000,\"prompt_eval_count\":112,\"prompt_eval_duration\":90000000,\"eval_count\":{},\"eval_duration\":{}}}\n",
        30 + ms / 1000,
        ms % 1000,
        (ms + 150) * 1_000_000,
        tokens.len() + 1,
        ms * 1_000_000
    ));
    out
}

#[test]
fn bundled_recording_is_the_generated_one() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/recordings/weather.ndjson");
    let want = generate();
    if std::env::var_os("HARMONY_REGEN_RECORDINGS").is_some() {
        std::fs::write(path, &want).unwrap();
    }
    let have = std::fs::read_to_string(path).unwrap();
    assert_eq!(
        have, want,
        "recordings/weather.ndjson drifted; regenerate it (see the module docs)"
    );
    assert!(
        have.contains("\\u003c|channel|\\u003e"),
        "markers are Go-escaped"
    );
    assert!(!have.contains("\\u003c|call|\\u003e") && !have.contains("\\u003c|return|\\u003e"));
}
