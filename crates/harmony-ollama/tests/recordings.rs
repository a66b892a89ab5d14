//! Generator and check of the bundled recordings in `recordings/`.
//!
//! The recordings are reconstructed, not captured: each is a corpus completion
//! (`/work/shared/corpus/public_cases.jsonl`, or Ollama's own parser tests),
//! tokenized with o200k_harmony and written one token per line the way Ollama's raw
//! mode streams them: generation stops at `<|call|>` / `<|return|>`, which are never
//! sent (`done_reason: "stop"`); a completion without either was cut by the token
//! limit (`done_reason: "length"`); bytes of a token that ends inside a UTF-8
//! character are held back until the character is complete, as Ollama does.
//!
//! `HARMONY_REGEN_RECORDINGS=1 cargo test -p harmony-ollama --test recordings` rewrites
//! them; otherwise the test fails when a file differs from what the generator writes.

use std::path::PathBuf;

use futures_util::StreamExt;
use harmony_ollama::testing::{Chunking, FakeOllama, OllamaNdjson, Reply};
use harmony_ollama::{GenerateEvent, GenerateRequest, NdjsonDecoder, OllamaClient};

struct Spec {
    file: &'static str,
    source: &'static str,
    completion: &'static str,
}

/// Completions copied verbatim from the corpus (ids in `source`).
const SPECS: &[Spec] = &[
    Spec {
        file: "analysis-final.ndjson",
        source: "public_cases.jsonl llamacpp-analysis-then-final, plus the return stop token a final answer ends with",
        completion: "<|channel|>analysis<|message|>I'm\nthinking<|end|><|start|>assistant<|channel|>final<|message|>Hello, world!\nWhat's up?<|return|>",
    },
    Spec {
        file: "tool-call.ndjson",
        source: "public_cases.jsonl vllm-streamed-call-split-across-deltas",
        completion: "<|channel|>analysis<|message|>Thinking<|end|><|start|>assistant to=functions.get_weather<|channel|>commentary<|constrain|>json<|message|>{\"location\": \"Paris\"}<|call|>",
    },
    Spec {
        file: "analysis-call-final.ndjson",
        source: "ollama_parser_cases.md HE4 (analysis) + RT5 (tool call ended by the end token, then the answer), plus the return stop token",
        completion: "<|channel|>analysis<|message|>User asks weather in SF. We need location. Use get_current_weather with location \"San Francisco, CA\".<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather<|message|>{\"location\":\"San Francisco\"}<|end|><|start|>assistant<|channel|>final<|message|>The weather is sunny<|return|>",
    },
    Spec {
        file: "truncated-analysis.ndjson",
        source: "public_cases.jsonl llamacpp-partial-analysis (cut by the token limit)",
        completion: "<|channel|>analysis<|message|>I'm\nthinking",
    },
    Spec {
        file: "missing-message-token.ndjson",
        source: "public_cases.jsonl harmony-missing-message-token-then-call-json-no-constrain",
        completion: "... Let's use the tool.<|end|><|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>{\"location\": \"Tokyo\"}<|call|>",
    },
    Spec {
        file: "code-and-html.ndjson",
        source: "public_cases.jsonl llamacpp-complex-edit-call (`<` in arguments, Go-escaped on the wire), analysis text extended with multi-byte characters, plus the call stop token",
        completion: "<|channel|>analysis<|message|>Thinking about edit… 😀 naïve<|end|><|start|>assistant<|channel|>commentary to=functions.edit <|constrain|>json<|message|>{\"oldString\": \"if (part < railCount - 1) {\", \"newString\": \"if (part < 4) {\", \"replaceAll\": false}<|call|>",
    },
];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("recordings")
}

/// Returns the NDJSON and the text Ollama would have streamed.
fn record(completion: &str) -> (String, String) {
    let bpe = tiktoken_rs::o200k_harmony_singleton();
    // The stop tokens' ids, read from the vocabulary.
    let stops: Vec<u32> = ["<|call|>", "<|return|>"]
        .iter()
        .map(|m| bpe.encode_with_special_tokens(m)[0])
        .collect();
    let mut w = OllamaNdjson::new("gpt-oss:20b");
    let mut streamed = String::new();
    let mut held: Vec<u8> = Vec::new();
    let mut reason = "length";
    for token in bpe.encode_with_special_tokens(completion) {
        if stops.contains(&token) {
            reason = "stop";
            break;
        }
        held.extend(bpe.decode_bytes(&[token]).expect("token in vocabulary"));
        match std::str::from_utf8(&held) {
            Ok(s) => {
                w.response(s);
                streamed.push_str(s);
                held.clear();
            }
            // Ends inside a character: wait for the next token.
            Err(e) if e.error_len().is_none() => {}
            Err(_) => {
                let s = String::from_utf8_lossy(&held).into_owned();
                w.response(&s);
                streamed.push_str(&s);
                held.clear();
            }
        }
    }
    w.generate_done(reason);
    (w.finish(), streamed)
}

#[test]
fn recordings_are_what_the_generator_writes() {
    let regen = std::env::var_os("HARMONY_REGEN_RECORDINGS").is_some();
    let mut index = String::from(
        "# Recordings\n\nReconstructed, not captured: corpus completions tokenized with o200k_harmony\n\
         and written one token per line as Ollama's raw mode (`/api/generate`, `raw: true`)\n\
         streams them. `<|call|>` and `<|return|>` stop generation and are never sent;\n\
         a completion without either ends with `done_reason: \"length\"`. Timestamps and\n\
         metrics are synthetic. Written by `tests/recordings.rs`\n\
         (`HARMONY_REGEN_RECORDINGS=1 cargo test -p harmony-ollama --test recordings`).\n\n\
         | file | source |\n|---|---|\n",
    );
    for spec in SPECS {
        index.push_str(&format!("| `{}` | {} |\n", spec.file, spec.source));
    }
    let mut stale = Vec::new();
    for spec in SPECS {
        let (ndjson, _) = record(spec.completion);
        let path = dir().join(spec.file);
        if regen {
            std::fs::write(&path, &ndjson).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(ndjson.as_str()) {
            stale.push(spec.file);
        }
    }
    let readme = dir().join("README.md");
    if regen {
        std::fs::write(&readme, &index).unwrap();
    } else if std::fs::read_to_string(&readme).ok().as_deref() != Some(index.as_str()) {
        stale.push("README.md");
    }
    assert!(
        stale.is_empty(),
        "stale recordings {stale:?}: rerun with HARMONY_REGEN_RECORDINGS=1"
    );
}

#[test]
fn recordings_are_ollama_shaped() {
    for spec in SPECS {
        let text = std::fs::read_to_string(dir().join(spec.file)).unwrap();
        assert!(
            !text.contains("<|"),
            "{}: markers are Go-escaped on the wire",
            spec.file
        );
        assert!(!text.contains("\\u003c|call|\\u003e") && !text.contains("\\u003c|return|\\u003e"));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[..lines.len() - 1]
            .iter()
            .all(|l| l.ends_with(r#","done":false}"#)));
        assert!(lines.last().unwrap().contains(r#""done":true"#));
        assert!(lines.last().unwrap().contains(r#""eval_count":"#));
    }
}

#[test]
fn recordings_decode_back_to_the_completion() {
    for spec in SPECS {
        let text = std::fs::read(dir().join(spec.file)).unwrap();
        let (_, streamed) = record(spec.completion);
        let mut decoder = NdjsonDecoder::new();
        let mut got = String::new();
        let mut done_reason = None;
        let mut lines = decoder.feed(&text);
        while let Some(line) = lines.next_generate() {
            let line = line.unwrap();
            got.push_str(&line.response);
            if line.done {
                done_reason = line.done_reason.map(|r| r.into_owned());
            }
        }
        assert_eq!(got, streamed, "{}", spec.file);
        let stop = spec.completion.ends_with("<|call|>") || spec.completion.ends_with("<|return|>");
        assert_eq!(
            done_reason.as_deref(),
            Some(if stop { "stop" } else { "length" })
        );
        // Everything before the stop token is streamed.
        let expected = spec
            .completion
            .trim_end_matches("<|call|>")
            .trim_end_matches("<|return|>");
        assert_eq!(streamed, expected, "{}", spec.file);
    }
}

#[tokio::test]
async fn recordings_replay_through_the_fake_server_byte_by_byte() {
    for spec in SPECS {
        let text = std::fs::read_to_string(dir().join(spec.file)).unwrap();
        let server = FakeOllama::start([Reply::ndjson(text).chunking(Chunking::Every(13))])
            .await
            .unwrap();
        let client = OllamaClient::builder().host(server.url()).build().unwrap();
        let mut stream = client
            .generate_raw(&GenerateRequest::new("gpt-oss:20b", "<|start|>assistant"))
            .await
            .unwrap();
        let mut got = String::new();
        while let Some(e) = stream.next().await {
            if let GenerateEvent::Response(f) = e.unwrap() {
                got.push_str(&f);
            }
        }
        assert_eq!(got, record(spec.completion).1, "{}", spec.file);
    }
}
