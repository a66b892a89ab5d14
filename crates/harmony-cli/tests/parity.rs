//! Parity (issue 10 item 1): every bundled recording, through the library
//! (`stream_with_mode` against the fake Ollama on loopback) and through the CLI
//! (`harmony parse --format ollama|ollama-chat --events`), gives the same events.

mod common;

use common::harmony;
use futures_util::StreamExt;
use harmony_chat::{ChatMessage, ChatRole};
use harmony_ollama::testing::{chat_ndjson_from_generate, FakeOllama, Reply};
use harmony_ollama::{ChatMode, OllamaClient, StreamEvent};
use serde_json::Value;

fn recordings() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [
        root.join("recordings"),
        root.join("../harmony-ollama/recordings"),
    ] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "ndjson") {
                out.push((
                    path.display().to_string(),
                    std::fs::read_to_string(&path).unwrap(),
                ));
            }
        }
    }
    assert!(out.len() >= 7, "every bundled recording: {}", out.len());
    out
}

/// The library's events, in the CLI's vocabulary (ids aside: the CLI prints
/// deterministic ones). The CLI writes a call's `tool_call_end` after its
/// `message_end`, as its text path does; so does this.
fn library(recording: &str, mode: ChatMode) -> Vec<Value> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = FakeOllama::start([Reply::ndjson(recording)]).await.unwrap();
        let client = OllamaClient::builder()
            .host(server.url())
            .mode(mode)
            .build()
            .unwrap();
        let messages = [ChatMessage::new(ChatRole::User, "Hi")];
        let mut stream = client
            .stream_with_mode("gpt-oss:20b", &messages, &[], mode)
            .await
            .unwrap();
        let mut out = Vec::new();
        let mut held = None;
        while let Some(event) = stream.next().await {
            let Ok(event) = event else { break };
            match event {
                StreamEvent::MessageStart(h) => out.push(serde_json::json!([
                    "message_start",
                    h.channel(),
                    h.recipient(),
                    h.content_type()
                ])),
                StreamEvent::Delta { text, .. } => out.push(serde_json::json!(["delta", text])),
                StreamEvent::ToolCallStart(s) => out.push(serde_json::json!([
                    "tool_call_start",
                    s.index,
                    s.name,
                    s.recipient
                ])),
                StreamEvent::ToolCallArgs { index, delta } => {
                    out.push(serde_json::json!(["delta", delta]));
                    out.push(serde_json::json!(["tool_call_args", index, delta]));
                }
                StreamEvent::ToolCallEnd(e) => {
                    held = Some(serde_json::json!([
                        "tool_call_end",
                        e.index,
                        e.arguments(),
                        e.raw,
                        e.complete
                    ]))
                }
                StreamEvent::MessageEnd(stop) => {
                    out.push(serde_json::json!(["message_end", stop.as_str()]));
                    out.extend(held.take());
                }
                StreamEvent::Diagnostic(d) => {
                    out.push(serde_json::json!(["diagnostic", d.kind.as_str(), d.detail]))
                }
                StreamEvent::ResponseDiagnostic(d) => out.push(serde_json::json!([
                    "response_diagnostic",
                    d.kind.as_str(),
                    d.call
                ])),
                StreamEvent::Done(d) => {
                    if d.reason.diagnostic().is_some() {
                        out.push(serde_json::json!(["done_diagnostic"]));
                    }
                    out.push(serde_json::json!(["done", d.done_reason()]))
                }
                _ => {}
            }
        }
        out.extend(held.take());
        out
    })
}

fn cli(recording: &str, format: &str) -> Vec<Value> {
    let (_, out, err) = harmony(
        &["parse", "--format", format, "--events"],
        recording.as_bytes(),
    );
    let mut events: Vec<Value> = out
        .lines()
        .map(|l| {
            let e: Value = serde_json::from_str(l).unwrap_or_else(|_| panic!("{l} {err}"));
            match e["event"].as_str().unwrap() {
                "message_start" => serde_json::json!([
                    "message_start",
                    e["channel"],
                    e["recipient"],
                    e["content_type"]
                ]),
                "delta" => serde_json::json!(["delta", e["text"]]),
                "tool_call_start" => {
                    serde_json::json!(["tool_call_start", e["index"], e["name"], e["recipient"]])
                }
                "tool_call_args" => serde_json::json!(["tool_call_args", e["index"], e["delta"]]),
                "tool_call_end" => serde_json::json!([
                    "tool_call_end",
                    e["index"],
                    e["arguments"],
                    e["raw"],
                    e["complete"]
                ]),
                "message_end" => serde_json::json!(["message_end", e["stop"]]),
                "diagnostic" => serde_json::json!(["diagnostic", e["kind"], e["detail"]]),
                "response_diagnostic" => {
                    serde_json::json!(["response_diagnostic", e["kind"], e["call"]])
                }
                "done" => serde_json::json!(["done", e["done_reason"]]),
                other => panic!("unknown event {other}"),
            }
        })
        .collect();
    // The diagnostic the CLI writes about `done` itself comes right before `done`.
    for i in 1..events.len() {
        if events[i][0] == "done" && events[i - 1][0] == "diagnostic" {
            events[i - 1] = serde_json::json!(["done_diagnostic"]);
        }
    }
    events
}

#[test]
fn every_recording_gives_the_same_events_in_the_library_and_the_cli_raw_mode() {
    for (name, recording) in recordings() {
        let lib = library(&recording, ChatMode::Harmony);
        assert!(!lib.is_empty(), "{name}");
        assert_eq!(lib, cli(&recording, "ollama"), "{name}");
    }
}

#[test]
fn every_recording_gives_the_same_events_in_the_library_and_the_cli_chat_mode() {
    for (name, recording) in recordings() {
        let chat = chat_ndjson_from_generate(&recording);
        let lib = library(&chat, ChatMode::Standard);
        assert!(!lib.is_empty(), "{name}");
        assert_eq!(lib, cli(&chat, "ollama-chat"), "{name}");
    }
}
