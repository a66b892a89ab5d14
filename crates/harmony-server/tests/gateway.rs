//! The gateway over real HTTP on loopback, against the fake Ollama: what each protocol
//! answers for a scripted completion.

mod support;

use harmony_ollama::testing::{FakeOllama, OllamaNdjson, Reply};
use harmony_server::{AppState, ServeConfig};
use serde_json::{json, Value};
use support::post;

/// `/api/show`'s answer: the gateway asks once per model for the context length.
fn show(context: u32) -> Reply {
    Reply::ndjson(json!({"model_info": {"gpt-oss.context_length": context}}).to_string())
}

/// A completion: reasoning, then a call to `get_weather` (raw mode: no `<|call|>`).
fn tool_call_reply() -> Reply {
    let mut w = OllamaNdjson::new("gpt-oss:20b");
    for piece in [
        "<|channel|>analysis<|message|>",
        "Need the weather.",
        "<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather ",
        "<|constrain|>json<|message|>",
        "{\"city\":",
        "\"Paris\"}",
    ] {
        w.response(piece);
    }
    w.generate_done("stop");
    Reply::ndjson(w.finish())
}

fn answer_reply(text: &str) -> Reply {
    let mut w = OllamaNdjson::new("gpt-oss:20b");
    w.response("<|channel|>analysis<|message|>Answer.<|end|>");
    w.response("<|start|>assistant<|channel|>final<|message|>");
    w.response(text);
    w.generate_done("stop");
    Reply::ndjson(w.finish())
}

async fn gateway(upstream: &FakeOllama) -> String {
    let config = ServeConfig {
        upstream: upstream.url(),
        ..ServeConfig::default()
    };
    let state = AppState::new(config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(harmony_server::serve_on(listener, state));
    format!("http://{addr}")
}

fn tools() -> Value {
    json!([{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])
}

#[tokio::test]
async fn chat_completion_returns_the_tool_call_and_reasoning() {
    let fake = FakeOllama::start([show(131_072), tool_call_reply()])
        .await
        .unwrap();
    let base = gateway(&fake).await;
    let (status, body) = post(
        &format!("{base}/v1/chat/completions"),
        json!({"model": "gpt-oss:20b", "messages": [{"role": "user", "content": "Weather in Paris?"}],
               "tools": tools()}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let choice = &v["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(call["function"]["arguments"], "{\"city\":\"Paris\"}");
    assert!(call["id"].as_str().unwrap().starts_with("call_"));
    assert_eq!(choice["message"]["reasoning_content"], "Need the weather.");
    // The gateway rendered the prompt itself and sent it raw.
    let sent = fake.received();
    let generate: Value = serde_json::from_str(&sent[1].body).unwrap();
    assert_eq!(generate["raw"], true);
    let prompt = generate["prompt"].as_str().unwrap();
    assert!(prompt.contains("type get_weather = (_: {"), "{prompt}");
    assert!(prompt.ends_with("<|start|>user<|message|>Weather in Paris?<|end|><|start|>assistant"));
    // The context budget: num_ctx fits the prompt and the default completion budget.
    assert!(generate["options"]["num_ctx"].as_u64().unwrap() >= 8192);
}

#[tokio::test]
async fn streamed_chat_sends_argument_fragments_and_done() {
    let fake = FakeOllama::start([show(131_072), tool_call_reply()])
        .await
        .unwrap();
    let base = gateway(&fake).await;
    let (status, body) = post(
        &format!("{base}/v1/chat/completions"),
        json!({"model": "gpt-oss:20b", "stream": true, "stream_options": {"include_usage": true},
               "messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": tools()}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let chunks: Vec<Value> = body
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert!(body.trim_end().ends_with("data: [DONE]"), "{body}");
    let args: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str())
        .collect();
    assert_eq!(args, "{\"city\":\"Paris\"}");
    let fragments = chunks
        .iter()
        .filter(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].is_string())
        .count();
    assert!(
        fragments >= 2,
        "arguments stream in pieces, got {fragments}"
    );
    let finish: Vec<&str> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["finish_reason"].as_str())
        .collect();
    assert_eq!(finish, ["tool_calls"]);
    let usage = chunks
        .iter()
        .find(|c| c["usage"].is_object())
        .expect("a usage chunk");
    assert!(usage["usage"]["prompt_tokens"].as_u64().unwrap() > 50);
}

#[tokio::test]
async fn responses_stream_has_the_event_sequence() {
    let fake = FakeOllama::start([show(131_072), tool_call_reply()])
        .await
        .unwrap();
    let base = gateway(&fake).await;
    let (status, body) = post(
        &format!("{base}/v1/responses"),
        json!({"model": "gpt-oss:20b", "stream": true, "input": "Weather in Paris?",
               "tools": [{"type": "function", "name": "get_weather",
                          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let types: Vec<String> = body
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .map(str::to_owned)
        .collect();
    assert_eq!(types.first().map(String::as_str), Some("response.created"));
    assert_eq!(
        types.get(1).map(String::as_str),
        Some("response.in_progress")
    );
    assert_eq!(types.last().map(String::as_str), Some("response.completed"));
    assert!(types.iter().any(|t| t == "response.reasoning_text.delta"));
    assert!(types
        .iter()
        .any(|t| t == "response.function_call_arguments.done"));
    let done_call = body
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str::<Value>(d).unwrap())
        .find(|v| v["type"] == "response.output_item.done" && v["item"]["type"] == "function_call")
        .expect("a function_call item");
    assert_eq!(done_call["item"]["name"], "get_weather");
    assert_eq!(done_call["item"]["arguments"], "{\"city\":\"Paris\"}");
    assert!(done_call["item"]["call_id"]
        .as_str()
        .unwrap()
        .starts_with("call_"));
}

#[tokio::test]
async fn ollama_chat_gives_tool_calls_and_thinking() {
    let fake = FakeOllama::start([show(131_072), tool_call_reply()])
        .await
        .unwrap();
    let base = gateway(&fake).await;
    let (status, body) = post(
        &format!("{base}/api/chat"),
        json!({"model": "gpt-oss:20b", "stream": false,
               "messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": tools()}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["done"], true);
    assert_eq!(v["message"]["thinking"], "Need the weather.");
    assert_eq!(
        v["message"]["tool_calls"][0]["function"]["name"],
        "get_weather"
    );
    assert_eq!(
        v["message"]["tool_calls"][0]["function"]["arguments"]["city"],
        "Paris"
    );
}

#[tokio::test]
async fn context_overflow_is_a_400_with_both_numbers() {
    let fake = FakeOllama::start([show(64)]).await.unwrap();
    let base = gateway(&fake).await;
    let (status, body) = post(
        &format!("{base}/v1/chat/completions"),
        json!({"model": "gpt-oss:20b", "messages": [{"role": "user", "content": "Hello there"}],
               "max_tokens": 100}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], "context_length_exceeded");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("64 tokens") && message.contains("100 more"),
        "{message}"
    );
    // Nothing was generated.
    assert_eq!(fake.received().len(), 1);
}

#[tokio::test]
async fn the_answer_after_a_tool_result_reaches_the_client() {
    let fake = FakeOllama::start([show(131_072), answer_reply("It is 18 C in Paris.")])
        .await
        .unwrap();
    let base = gateway(&fake).await;
    let (status, body) = post(
        &format!("{base}/v1/chat/completions"),
        json!({"model": "gpt-oss:20b", "tools": tools(), "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp_c\":18}"}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "It is 18 C in Paris."
    );
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    let generate: Value = serde_json::from_str(&fake.received()[1].body).unwrap();
    let prompt = generate["prompt"].as_str().unwrap();
    assert!(
        prompt.contains("<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{\"temp_c\":18}<|end|>"),
        "{prompt}"
    );
}
