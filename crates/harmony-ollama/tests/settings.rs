//! Per-request settings (`ChatSettings`) reach the wire in both modes and replace the
//! client's, and the tool loop sends them with every request.

use harmony_chat::{ChatMessage, ChatRole};
use harmony_ollama::testing::{FakeOllama, OllamaNdjson, Reply};
use harmony_ollama::{
    ChatMode, ChatSettings, KeepAlive, OllamaClient, Options, ReasoningEffort, ResponseFormat,
    SystemContent,
};
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

#[tokio::test]
async fn harmony_mode_asks_for_the_format_in_the_developer_message_and_dates_the_system_one() {
    let server = FakeOllama::start([Reply::ndjson(generate_answer())])
        .await
        .unwrap();
    let client = OllamaClient::builder().host(server.url()).build().unwrap();
    let schema = json!({"type": "object", "properties": {"city": {"type": "string"}}});
    let settings = ChatSettings::new()
        .mode(ChatMode::Harmony)
        .format(ResponseFormat::json_schema("place", schema.clone()))
        .system(SystemContent::new().with_conversation_start_date("2026-12-02"));
    let messages = [
        ChatMessage::new(ChatRole::System, "Be brief."),
        ChatMessage::new(ChatRole::User, "Where?"),
    ];
    client
        .complete_with(MODEL, &messages, &[], &settings)
        .await
        .unwrap();
    let sent = body(&server, 0);
    let prompt = sent["prompt"].as_str().unwrap();
    assert!(prompt.contains("Current date: 2026-12-02"), "{prompt}");
    let developer = format!(
        "<|start|>developer<|message|># Instructions\n\nBe brief.\n\n# Response Formats\n\n## place\n\n{schema}<|end|>"
    );
    assert!(prompt.contains(&developer), "{prompt}");
    // The prompt logged through the client is the one sent.
    assert_eq!(
        client
            .harmony_prompt_with(&messages, &[], &settings)
            .unwrap(),
        prompt
    );
    // No `format` field on /api/generate: harmony has no grammar.
    assert!(sent.get("format").is_none());
}

#[tokio::test]
async fn standard_mode_sends_the_format_as_ollamas_format_field() {
    let reply = || {
        let mut w = OllamaNdjson::new(MODEL);
        w.chat_delta("{}", "");
        w.chat_done("stop");
        Reply::ndjson(w.finish())
    };
    let server = FakeOllama::start([reply(), reply(), reply()])
        .await
        .unwrap();
    let client = OllamaClient::builder().host(server.url()).build().unwrap();
    let schema = json!({"type": "object"});
    for format in [
        ResponseFormat::JsonObject,
        ResponseFormat::json_schema("x", schema.clone()),
        ResponseFormat::Text,
    ] {
        let settings = ChatSettings::new().mode(ChatMode::Standard).format(format);
        client
            .complete_with(MODEL, &hi(), &[], &settings)
            .await
            .unwrap();
    }
    assert_eq!(body(&server, 0)["format"], json!("json"));
    assert_eq!(body(&server, 1)["format"], schema);
    assert!(body(&server, 2).get("format").is_none());
}
