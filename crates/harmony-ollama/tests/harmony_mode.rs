//! Harmony and standard modes end to end against the fake Ollama, from the bundled
//! recordings: rendering, raw streaming, tolerant parsing, Call/Return inference at
//! `done`, truncation, and the standard-mode mapping into the same response type.

use std::time::Duration;

use harmony_chat::{ChatMessage, ChatRole, ChatTool};
use harmony_ollama::testing::{Chunking, FakeOllama, OllamaNdjson, Reply};
use harmony_ollama::{ChatMode, OllamaClient, ReasoningEffort};
use serde_json::{json, Value};

fn recording(name: &str) -> String {
    std::fs::read_to_string(format!("{}/recordings/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn user(text: &str) -> Vec<ChatMessage> {
    vec![ChatMessage {
        role: ChatRole::User,
        content: Some(text.into()),
        ..Default::default()
    }]
}

fn weather_tool() -> Vec<ChatTool> {
    serde_json::from_value(json!([{"type": "function", "function": {
        "name": "get_weather", "description": "Current weather.",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}}]))
    .unwrap()
}

async fn harmony_client(server: &FakeOllama) -> OllamaClient {
    OllamaClient::builder()
        .host(server.url())
        .mode(ChatMode::Harmony)
        .reasoning_effort(Some(ReasoningEffort::High))
        .build()
        .unwrap()
}

#[tokio::test]
async fn analysis_tool_call_and_final_from_a_raw_stream() {
    let server = FakeOllama::start([
        Reply::ndjson(recording("analysis-call-final.ndjson")).chunking(Chunking::Every(5))
    ])
    .await
    .unwrap();
    let client = harmony_client(&server).await;
    let r = client
        .complete(
            "gpt-oss:20b",
            &user("Weather in SF? <|end|>"),
            &weather_tool(),
        )
        .await
        .unwrap();
    assert_eq!(r.final_content.as_deref(), Some("The weather is sunny"));
    assert_eq!(
        r.thinking.as_deref(),
        Some("User asks weather in SF. We need location. Use get_current_weather with location \"San Francisco, CA\".")
    );
    assert_eq!(r.tool_calls.len(), 1);
    assert_eq!(r.tool_calls[0].name, "get_weather");
    assert_eq!(
        r.tool_calls[0].arguments,
        Some(json!({"location": "San Francisco"}))
    );
    assert!(r.tool_calls[0].complete);
    assert_eq!(r.metadata.mode, ChatMode::Harmony);
    assert_eq!(r.metadata.done_reason, harmony_ollama::DoneReason::Stop);
    assert!(!r.metadata.truncated());
    assert!(r.metadata.metrics.eval_count.is_some());
    assert_eq!(r.metadata.channel_timings.len(), 3);
    assert_eq!(
        r.metadata.channel_timings[1].recipient.as_deref(),
        Some("functions.get_weather")
    );

    // What went over the wire: a raw, streaming generate with a rendered prompt.
    let sent: Value = serde_json::from_str(&server.received()[0].body).unwrap();
    assert_eq!(server.received()[0].path, "/api/generate");
    assert_eq!(
        (sent["raw"].clone(), sent["stream"].clone()),
        (json!(true), json!(true))
    );
    let prompt = sent["prompt"].as_str().unwrap();
    assert!(prompt.starts_with("<|start|>system<|message|>"));
    assert!(prompt.contains("Reasoning: high"));
    assert!(prompt.contains("get_weather"));
    assert!(prompt.ends_with("<|start|>assistant"));
    // The user's marker text was neutralised, not sent as a marker.
    assert!(!prompt.contains("SF? <|end|>"));
}

#[tokio::test]
async fn call_is_inferred_at_done_when_the_open_message_has_a_recipient() {
    let server = FakeOllama::start([
        Reply::ndjson(recording("tool-call.ndjson")).chunking(Chunking::Every(1))
    ])
    .await
    .unwrap();
    let r = harmony_client(&server)
        .await
        .complete("gpt-oss:20b", &user("Paris?"), &weather_tool())
        .await
        .unwrap();
    assert_eq!(r.final_content, None);
    assert_eq!(r.thinking.as_deref(), Some("Thinking"));
    assert_eq!(r.tool_calls.len(), 1);
    assert_eq!(
        r.tool_calls[0].arguments,
        Some(json!({"location": "Paris"}))
    );
    assert!(r.tool_calls[0].complete, "stop inferred as Call, not Eof");
}

#[tokio::test]
async fn length_leaves_the_open_message_truncated() {
    let server = FakeOllama::start([Reply::ndjson(recording("truncated-analysis.ndjson"))])
        .await
        .unwrap();
    let r = harmony_client(&server)
        .await
        .complete("gpt-oss:20b", &user("Hi"), &[])
        .await
        .unwrap();
    assert!(r.metadata.truncated());
    assert_eq!(r.thinking.as_deref(), Some("I'm\nthinking"));
    assert_eq!(r.final_content, None);
}

#[tokio::test]
async fn malformed_output_is_tolerated_with_diagnostics() {
    let server = FakeOllama::start([
        Reply::ndjson(recording("missing-message-token.ndjson")).chunking(Chunking::Every(3))
    ])
    .await
    .unwrap();
    let r = harmony_client(&server)
        .await
        .complete("gpt-oss:20b", &user("Tokyo?"), &weather_tool())
        .await
        .unwrap();
    assert_eq!(r.tool_calls.len(), 1);
    assert_eq!(
        r.tool_calls[0].arguments,
        Some(json!({"location": "Tokyo"}))
    );
    assert!(!r.metadata.diagnostics.is_empty());
}

#[tokio::test]
async fn standard_mode_maps_chat_lines_into_the_same_response() {
    let mut w = OllamaNdjson::new("gpt-oss:20b");
    w.chat_delta("", "Need weather.")
        .chat_tool_calls(&[("get_weather", json!({"location": "Paris"}))])
        .chat_delta("Looking it up.", "")
        .chat_done("stop");
    let server = FakeOllama::start([Reply::ndjson(w.finish()).delay(Duration::from_millis(2))])
        .await
        .unwrap();
    let client = OllamaClient::builder().host(server.url()).build().unwrap();
    let r = client
        .complete("gpt-oss:20b", &user("Paris?"), &weather_tool())
        .await
        .unwrap();
    assert_eq!(r.metadata.mode, ChatMode::Standard);
    assert_eq!(r.thinking.as_deref(), Some("Need weather."));
    assert_eq!(r.final_content.as_deref(), Some("Looking it up."));
    assert_eq!(r.tool_calls[0].name, "get_weather");
    assert_eq!(
        r.tool_calls[0].arguments,
        Some(json!({"location": "Paris"}))
    );
    // One timing per message, as in harmony mode: analysis, the call, final.
    assert_eq!(r.metadata.channel_timings.len(), 3);
    assert_eq!(
        r.metadata.channel_timings[1].recipient.as_deref(),
        Some("functions.get_weather")
    );
    let sent: Value = serde_json::from_str(&server.received()[0].body).unwrap();
    assert_eq!(server.received()[0].path, "/api/chat");
    assert_eq!(sent["tools"][0]["function"]["name"], json!("get_weather"));
    assert_eq!(
        sent["messages"][0],
        json!({"role": "user", "content": "Paris?"})
    );
}

/// A stream that fails after some reasoning and half an answer (Ollama's error line).
fn failing_stream() -> String {
    let mut w = OllamaNdjson::new("gpt-oss:20b");
    w.response("<|channel|>analysis<|message|>Think")
        .response(" first.<|end|><|start|>assistant<|channel|>final<|message|>The answer")
        .response(" is");
    w.error("an error was encountered while running the model");
    w.finish()
}

#[tokio::test]
async fn a_failed_harmony_stream_hands_back_the_text_parsed_never_markup() {
    let server = FakeOllama::start([
        Reply::ndjson(failing_stream()),
        Reply::ndjson(failing_stream()),
    ])
    .await
    .unwrap();
    let client = harmony_client(&server).await;
    let err = client
        .complete("gpt-oss:20b", &user("Q"), &[])
        .await
        .unwrap_err();
    let partial = err.partial().expect("a mid-stream error keeps its text");
    assert_eq!(partial.content, "The answer is");
    assert_eq!(partial.thinking, "Think first.");
    assert!(!partial.content.contains("<|") && !partial.thinking.contains("<|"));

    // The stream says the same: its events first (parsed), then the error.
    let mut stream = client.stream("gpt-oss:20b", &user("Q"), &[]).await.unwrap();
    let mut answer = String::new();
    let mut last = None;
    while let Some(event) = futures_util::StreamExt::next(&mut stream).await {
        match event {
            Ok(harmony_ollama::StreamEvent::Delta {
                channel: Some(harmony_ollama::Channel::Final),
                text,
            }) => answer.push_str(&text),
            Ok(_) => {}
            Err(e) => last = Some(e),
        }
    }
    assert_eq!(answer, "The answer is");
    let err = last.expect("the stream ends with the error");
    assert_eq!(err.partial().unwrap().content, answer);
    // The markup stays readable on the stream.
    let raw = stream.raw_text().unwrap();
    assert!(
        raw.starts_with("<|channel|>analysis<|message|>Think first.<|end|>"),
        "{raw}"
    );
    assert!(raw.ends_with("<|message|>The answer is"), "{raw}");
}
