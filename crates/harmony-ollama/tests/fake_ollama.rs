//! The fake Ollama's simulator and scripted model over real HTTP: what the gateway
//! and CLI tests rely on (a tool loop in both modes, OpenAI's `/v1/completions`, the
//! information endpoints, Ollama's request checks, pacing, recorded prompts).

use std::time::{Duration, Instant};

use harmony_chat::{ChatMessage, ChatRole, ChatTool};
use harmony_ollama::testing::{Agent, FakeOllama};
use harmony_ollama::{ChatMode, Error, OllamaClient};
use serde_json::{json, Value};

const MODEL: &str = "gpt-oss:20b";

fn tools(value: Value) -> Vec<ChatTool> {
    serde_json::from_value(value).unwrap()
}

fn weather() -> Vec<ChatTool> {
    tools(json!([{"type": "function", "function": {
        "name": "get_weather", "description": "Gets the weather.",
        "parameters": {"type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
            "required": ["city"]}}},
        {"type": "function", "function": {"name": "unused", "parameters": {"type": "object"}}}]))
}

fn client(server: &FakeOllama, mode: ChatMode) -> OllamaClient {
    OllamaClient::builder()
        .host(server.url())
        .mode(mode)
        .build()
        .unwrap()
}

async fn tool_loop_quotes_the_tool_result(mode: ChatMode) {
    let server = FakeOllama::builder()
        .agent(Agent::new().string_value("Paris"))
        .start()
        .await
        .unwrap();
    let outcome = client(&server, mode)
        .tool_loop(MODEL, &weather())
        .run(
            vec![ChatMessage::new(ChatRole::User, "Weather in Paris?")],
            |call| async move {
                assert_eq!(call.name, "get_weather");
                assert_eq!(call.arguments.unwrap(), json!({"city": "Paris"}));
                "{\"temp\":21}".to_owned()
            },
        )
        .await
        .unwrap();
    assert_eq!(outcome.steps, 2);
    assert_eq!(
        outcome.response.final_content.as_deref(),
        Some("The tool returned: {\"temp\":21}")
    );
    assert!(outcome.response.thinking.unwrap().contains("tool answered"));
    let paths: Vec<String> = server.received().into_iter().map(|r| r.path).collect();
    let expected = match mode {
        ChatMode::Harmony => "/api/generate",
        _ => "/api/chat",
    };
    assert_eq!(paths, [expected, expected]);
}

#[tokio::test]
async fn harmony_tool_loop_calls_the_first_declared_tool_then_quotes_its_result() {
    tool_loop_quotes_the_tool_result(ChatMode::Harmony).await;
}

#[tokio::test]
async fn standard_tool_loop_calls_the_first_declared_tool_then_quotes_its_result() {
    tool_loop_quotes_the_tool_result(ChatMode::Standard).await;
}

#[tokio::test]
async fn prompts_are_recorded_with_the_tool_result_message() {
    let server = FakeOllama::builder().start().await.unwrap();
    let shell = tools(json!([{"type": "function", "function": {"name": "shell",
        "parameters": {"type": "object", "properties": {"cmd": {"type": "array", "items": {"type": "string"}}},
            "required": ["cmd"]}}}]));
    let outcome = client(&server, ChatMode::Harmony)
        .tool_loop(MODEL, &shell)
        .run(
            vec![ChatMessage::new(ChatRole::User, "Say ok")],
            |call| async move {
                assert_eq!(
                    call.arguments.unwrap()["cmd"],
                    json!(["echo", "harmony-ok"])
                );
                "harmony-ok\n".to_owned()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        outcome.response.final_content.as_deref(),
        Some("The tool returned: harmony-ok\n")
    );
    let prompts = server.prompts();
    assert_eq!(prompts.len(), 2);
    assert!(prompts[0].contains("type shell = (_: {\ncmd: string[],\n}) => any;"));
    assert!(prompts[0].ends_with("<|start|>user<|message|>Say ok<|end|><|start|>assistant"));
    assert!(prompts[1].contains(
        "<|start|>functions.shell to=assistant<|channel|>commentary<|message|>harmony-ok\n<|end|>"
    ));
}

#[tokio::test]
async fn replies_stream_one_go_escaped_fragment_per_line_with_the_delay() {
    let server = FakeOllama::builder()
        .line_delay(Duration::from_millis(15))
        .start()
        .await
        .unwrap();
    let prompt = "<|start|>user<|message|>Hello there<|end|><|start|>assistant";
    let started = Instant::now();
    let body = reqwest::Client::new()
        .post(format!("{}/api/generate", server.url()))
        .json(&json!({"model": MODEL, "prompt": prompt, "raw": true, "stream": true}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let expected = Agent::new().reply_to_prompt(prompt);
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), expected.len() + 1);
    for (line, fragment) in lines.iter().zip(&expected) {
        assert_eq!(line["response"], fragment.as_str());
    }
    assert_eq!(lines.last().unwrap()["done_reason"], "stop");
    assert!(body.contains("\\u003c|channel|\\u003e"), "Go escaping");
    assert!(!body.contains("<|"));
    assert!(
        elapsed >= Duration::from_millis(15) * lines.len() as u32,
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn openai_completions_stream_sse_chunks_with_special_tokens_kept() {
    let server = FakeOllama::builder().start().await.unwrap();
    let prompt = "<|start|>user<|message|>Hi<|end|><|start|>assistant";
    let response = reqwest::Client::new()
        .post(format!("{}/v1/completions", server.url()))
        .json(&json!({"model": MODEL, "prompt": prompt, "stream": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let body = response.text().await.unwrap();
    let events: Vec<&str> = body
        .split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| e.strip_prefix("data: ").unwrap())
        .collect();
    assert_eq!(events.last(), Some(&"[DONE]"));
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    let text: String = chunks
        .iter()
        .map(|c| c["choices"][0]["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, Agent::new().reply_to_prompt(prompt).concat());
    assert!(text.contains("<|channel|>final<|message|>You said: Hi"));
    assert!(chunks[..chunks.len() - 1]
        .iter()
        .all(|c| c["choices"][0]["finish_reason"].is_null() && c["choices"][0]["index"] == 0));
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );
    assert_eq!(server.prompts(), [prompt]);
}

#[tokio::test]
async fn information_endpoints_answer_like_ollama() {
    let server = FakeOllama::builder()
        .models(["gpt-oss:20b", "gpt-oss:120b"])
        .context_length(32_768)
        .version("0.12.3")
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let get = |path: &str| {
        let req = http.get(format!("{}{path}", server.url()));
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(get("/api/version").await["version"], "0.12.3");
    let tags = get("/api/tags").await;
    let names: Vec<&str> = tags["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gpt-oss:20b", "gpt-oss:120b"]);
    assert_eq!(get("/api/ps").await["models"][1]["model"], "gpt-oss:120b");
    let show = http
        .post(format!("{}/api/show", server.url()))
        .json(&json!({"model": "gpt-oss:120b"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(show["model_info"]["gpt-oss.context_length"], 32_768);
    let missing = http
        .post(format!("{}/api/show", server.url()))
        .json(&json!({"model": "llama9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["error"],
        "model 'llama9' not found"
    );
    // All of it on one kept-alive connection.
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn raw_mode_with_a_system_prompt_is_rejected_like_ollama() {
    let server = FakeOllama::builder().start().await.unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/api/generate", server.url()))
        .json(&json!({"model": MODEL, "prompt": "x", "raw": true, "system": "Be terse."}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"error":"raw mode does not support template, system, or context"}"#
    );
}

#[tokio::test]
async fn unknown_model_is_a_404_from_the_simulator() {
    let server = FakeOllama::builder().start().await.unwrap();
    let err = client(&server, ChatMode::Harmony)
        .complete(
            "gpt-oss:999b",
            &[ChatMessage::new(ChatRole::User, "Hi")],
            &[],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::ModelNotFound { model, .. } if model == "gpt-oss:999b"),
        "{err:?}"
    );
}
