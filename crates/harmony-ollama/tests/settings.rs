//! Per-request settings (`ChatSettings`) reach the wire in both modes and replace the
//! client's, and the tool loop sends them with every request.

use harmony_chat::{ChatMessage, ChatRole};
use harmony_ollama::testing::{FakeOllama, OllamaNdjson, Reply};
use harmony_ollama::{ChatMode, ChatSettings, KeepAlive, OllamaClient, Options, ReasoningEffort};
use serde_json::{json, Value};

const MODEL: &str = "gpt-oss:20b";

fn generate_answer() -> String {
    let mut w = OllamaNdjson::new(MODEL);
    w.response("<|channel|>final<|message|>Hi");
    w.generate_done("stop");
    w.finish()
}

fn body(server: &FakeOllama, n: usize) -> Value {
    serde_json::from_str(&server.received()[n].body).unwrap()
}

fn hi() -> Vec<ChatMessage> {
    vec![ChatMessage::new(ChatRole::User, "Hi")]
}

#[tokio::test]
async fn harmony_mode_sends_the_request_settings_not_the_clients() {
    let server = FakeOllama::start([Reply::ndjson(generate_answer())])
        .await
        .unwrap();
    let client = OllamaClient::builder()
        .host(server.url())
        .reasoning_effort(Some(ReasoningEffort::Low))
        .options(Options::new().num_ctx(2048))
        .build()
        .unwrap();
    let settings = ChatSettings::new()
        .mode(ChatMode::Harmony)
        .reasoning_effort(ReasoningEffort::High)
        .options(Options::new().num_ctx(16384).temperature(0.25))
        .keep_alive(KeepAlive::Forever);
    let response = client
        .complete_with(MODEL, &hi(), &[], &settings)
        .await
        .unwrap();
    assert_eq!(response.final_content.as_deref(), Some("Hi"));
    let sent = body(&server, 0);
    assert_eq!(server.received()[0].path, "/api/generate");
    assert_eq!(
        sent["options"],
        json!({"num_ctx": 16384, "temperature": 0.25})
    );
    assert_eq!(sent["keep_alive"], json!(-1));
    let prompt = sent["prompt"].as_str().unwrap();
    assert!(prompt.contains("Reasoning: high"), "{prompt}");
    assert!(!prompt.contains("Reasoning: low"), "{prompt}");
}

#[tokio::test]
async fn standard_mode_sends_think_options_and_keep_alive() {
    let mut w = OllamaNdjson::new(MODEL);
    w.chat_delta("Hi", "");
    w.chat_done("stop");
    let server = FakeOllama::start([Reply::ndjson(w.finish())])
        .await
        .unwrap();
    let client = OllamaClient::builder().host(server.url()).build().unwrap();
    let settings = ChatSettings::new()
        .mode(ChatMode::Standard)
        .reasoning_effort(ReasoningEffort::Medium)
        .options(Options::new().num_predict(64));
    let response = client
        .complete_with(MODEL, &hi(), &[], &settings)
        .await
        .unwrap();
    assert_eq!(response.final_content.as_deref(), Some("Hi"));
    let sent = body(&server, 0);
    assert_eq!(server.received()[0].path, "/api/chat");
    assert_eq!(sent["think"], json!("medium"));
    assert_eq!(sent["options"], json!({"num_predict": 64}));
    assert!(sent.get("keep_alive").is_none());
}

#[tokio::test]
async fn the_tool_loop_sends_its_settings() {
    let server = FakeOllama::start([Reply::ndjson(generate_answer())])
        .await
        .unwrap();
    let client = OllamaClient::builder().host(server.url()).build().unwrap();
    let outcome = client
        .tool_loop(MODEL, &[])
        .mode(ChatMode::Harmony)
        .settings(ChatSettings::new().options(Options::new().num_ctx(4096)))
        .run(hi(), |_| async { String::new() })
        .await
        .unwrap();
    assert_eq!(outcome.response.final_content.as_deref(), Some("Hi"));
    // The mode set before `settings` is kept: the request went to /api/generate.
    assert_eq!(server.received()[0].path, "/api/generate");
    assert_eq!(body(&server, 0)["options"], json!({"num_ctx": 4096}));
}
