//! The CLI's Ollama paths: `parse --format ollama|ollama-chat` on recordings, and
//! `harmony chat` against a fake Ollama on loopback.

mod common;

use common::harmony;
use std::time::Duration;

use harmony_ollama::testing::{FakeOllama, Reply};
use serde_json::Value;

const RECORDING: &str = include_str!("../recordings/weather.ndjson");

fn summary(args: &[&str], input: &str) -> Value {
    let (code, out, err) = harmony(args, input.as_bytes());
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn raw_mode_recording_parses_with_inferred_stops() {
    let s = summary(&["parse", "--format", "ollama"], RECORDING);
    assert!(s["reasoning"]
        .as_str()
        .unwrap()
        .starts_with("The user wants the weather"));
    assert_eq!(
        s["content"].as_str().unwrap(),
        "Let me check the forecast.\nIt's 18 °C and sunny in Paris ☀️: pack sunglasses, and a light jacket for the evening."
    );
    assert_eq!(
        s["tool_calls"][0]["arguments"],
        serde_json::json!({"location": "Paris, FR", "unit": "celsius"})
    );
    // `<|return|>` was never sent: the done line implies it.
    assert_eq!(
        s["messages"].as_array().unwrap().last().unwrap()["stop"],
        "return"
    );
}

#[test]
fn done_implies_call_when_the_open_message_is_a_tool_call() {
    let lines = [
        r#"{"response":"\u003c|channel|\u003ecommentary to=functions.f\u003c|message|\u003e{}","done":false}"#,
        r#"{"response":"","done":true,"done_reason":"stop"}"#,
    ]
    .join("\n");
    let s = summary(&["parse", "--format", "ollama"], &lines);
    assert_eq!(s["messages"][0]["stop"], "call");
    assert_eq!(s["tool_calls"][0]["complete"], true);
    // Cut at the length limit: the call stays incomplete.
    let cut = lines.replace("\"stop\"", "\"length\"");
    let s = summary(&["parse", "--format", "ollama"], &cut);
    assert_eq!(s["messages"][0]["stop"], "eof");
    assert_eq!(s["tool_calls"][0]["complete"], false);
}

#[test]
fn mid_stream_error_keeps_what_arrived_and_fails() {
    let lines = "{\"response\":\"\\u003c|channel|\\u003efinal\\u003c|message|\\u003eHal\",\"done\":false}\n{\"error\":\"llama runner process has terminated\"}\n";
    let (code, out, err) = harmony(&["parse", "--format", "ollama"], lines.as_bytes());
    assert_ne!(code, 0);
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["content"], "Hal");
    assert_eq!(
        err.trim(),
        "harmony: Ollama reported an error mid-stream: llama runner process has terminated"
    );
}

#[test]
fn chat_recording_maps_thinking_content_and_tool_calls() {
    let lines = [
        r#"{"model":"gpt-oss:20b","message":{"role":"assistant","content":"","thinking":"Need "},"done":false}"#,
        r#"{"model":"gpt-oss:20b","message":{"role":"assistant","content":"","thinking":"weather."},"done":false}"#,
        r#"{"model":"gpt-oss:20b","message":{"role":"assistant","content":"Checking."},"done":false}"#,
        r#"{"model":"gpt-oss:20b","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Oslo"}}}]},"done":true,"done_reason":"stop"}"#,
    ]
    .join("\n");
    let s = summary(&["parse", "--format", "ollama-chat"], &lines);
    assert_eq!(s["reasoning"], "Need weather.");
    assert_eq!(s["content"], "Checking.");
    assert_eq!(s["tool_calls"][0]["name"], "get_weather");
    assert_eq!(
        s["tool_calls"][0]["arguments"],
        serde_json::json!({"city": "Oslo"})
    );
}

#[test]
fn chat_tool_call_parse_error_is_salvaged() {
    let lines = [
        r#"{"message":{"role":"assistant","content":"","thinking":"call it"},"done":false}"#,
        r#"{"error":"error parsing tool call: raw='{\"city\": \"Oslo\"', err=unexpected end of JSON input"}"#,
    ]
    .join("\n");
    let (code, out, err) = harmony(&["parse", "--format", "ollama-chat"], lines.as_bytes());
    assert_ne!(code, 0, "the stream did fail");
    assert!(err.contains("error parsing tool call"));
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["reasoning"], "call it");
    assert_eq!(s["tool_calls"][0]["raw_arguments"], "{\"city\": \"Oslo\"");
    assert_eq!(s["tool_calls"][0]["arguments"], Value::Null);
}

#[test]
fn bad_ndjson_prints_what_came_before_then_one_error_line() {
    // Issue 11 item 2: the lines before the bad one are kept, not refused with it.
    let (code, out, err) = harmony(
        &["parse", "--format", "ollama"],
        b"{\"response\": \"<|channel|>final<|message|>x\"}\nnot json\n{\"response\": \"never\"}\n",
    );
    assert_eq!(code, 1);
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["content"], "x");
    assert_eq!(s["messages"][0]["stop"], "eof", "no done line: truncated");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("not Ollama NDJSON") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn bad_ndjson_with_events_prints_the_events_so_far() {
    let (code, out, err) = harmony(
        &["parse", "--format", "ollama-chat", "--events"],
        b"{\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n{\"message\": tru\n",
    );
    assert_eq!(code, 1);
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["message_start", "delta", "message_end"]);
    assert_eq!(events[1]["text"], "Hi");
    assert_eq!(events[2]["stop"], "eof");
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn a_line_over_the_limit_keeps_what_came_before() {
    let long = format!(
        "{{\"response\":\"{}\",\"done\":false}}",
        "a".repeat(harmony_ollama::DEFAULT_MAX_LINE_LEN + 10)
    );
    let input =
        format!("{{\"response\":\"<|channel|>final<|message|>kept\",\"done\":false}}\n{long}\n");
    let (code, out, err) = harmony(&["parse", "--format", "ollama"], input.as_bytes());
    assert_eq!(code, 1, "{err}");
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["content"], "kept");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn done_without_done_reason_is_truncated_with_a_diagnostic() {
    let lines = [
        r#"{"response":"\u003c|channel|\u003efinal\u003c|message|\u003eHal","done":false}"#,
        r#"{"response":"","done":true}"#,
    ]
    .join("\n");
    let s = summary(&["parse", "--format", "ollama"], &lines);
    assert_eq!(s["content"], "Hal");
    // No stop token inferred: the message stays open.
    assert_eq!(s["messages"][0]["stop"], "eof");
    let d = s["diagnostics"].as_array().unwrap();
    assert!(
        d.iter().any(|d| d["kind"] == "truncated"
            && d["detail"]
                .as_str()
                .unwrap()
                .contains("closed the connection")),
        "{d:?}"
    );
    // With `stop`, no such diagnostic.
    let s = summary(
        &["parse", "--format", "ollama"],
        &lines.replace(r#""done":true"#, r#""done":true,"done_reason":"stop""#),
    );
    assert_eq!(s["messages"][0]["stop"], "return");
    assert!(!s["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["kind"] == "truncated"));
}

#[test]
fn summary_tool_calls_say_why_arguments_are_null() {
    let lines = [
        r#"{"response":"\u003c|channel|\u003ecommentary to=functions.f \u003c|constrain|\u003ejson\u003c|message|\u003e{\"a\": ]","done":false}"#,
        r#"{"response":"","done":true,"done_reason":"stop"}"#,
    ]
    .join("\n");
    let s = summary(&["parse", "--format", "ollama"], &lines);
    let call = &s["tool_calls"][0];
    assert_eq!(call["arguments"], Value::Null);
    assert!(!call["error"].as_str().unwrap_or("").is_empty(), "{call}");
    let good = lines.replace(r#"{\"a\": ]"#, r#"{\"a\": 1}"#);
    let s = summary(&["parse", "--format", "ollama"], &good);
    assert_eq!(s["tool_calls"][0]["arguments"]["a"], 1);
    assert_eq!(s["tool_calls"][0]["error"], Value::Null);
}

#[test]
fn chat_against_a_fake_ollama_in_harmony_mode() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(FakeOllama::start([Reply::ndjson(RECORDING)]))
        .unwrap();
    let url = server.url();
    let (code, out, err) = harmony(
        &[
            "chat", "--host", &url, "--mode", "harmony", "Weather", "in", "Paris?",
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("thinking: The user wants the weather in Paris"),
        "{out}"
    );
    assert!(
        out.contains("→ get_weather({\"location\": \"Paris, FR\", \"unit\": \"celsius\"})"),
        "{out}"
    );
    assert!(out.contains("It's 18 °C and sunny"), "{out}");
    let received = server.received();
    assert_eq!(received[0].path, "/api/generate");
    let body: Value = serde_json::from_str(&received[0].body).unwrap();
    assert_eq!(body["raw"], true);
    assert!(body["prompt"]
        .as_str()
        .unwrap()
        .contains("<|start|>user<|message|>Weather in Paris?<|end|>"));
    assert!(body["prompt"]
        .as_str()
        .unwrap()
        .ends_with("<|start|>assistant"));
}

#[test]
fn chat_says_clearly_when_no_server_answers() {
    // Bind and drop a listener: that port is free and nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let host = format!("http://127.0.0.1:{port}");
    let start = std::time::Instant::now();
    let (code, out, err) = harmony(&["chat", "--host", &host, "hi"], b"");
    assert_ne!(code, 0);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("no Ollama server answered at {host}")),
        "{err}"
    );
    assert!(start.elapsed() < Duration::from_secs(10));
}
