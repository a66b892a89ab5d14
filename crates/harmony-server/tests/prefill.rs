//! Prefills over real HTTP (docs/design.md, the gateway): a forced tool call follows
//! the model's own reasoning (the first completion stops where a final answer would
//! start, the second continues the prompt with the reasoning and the call's header),
//! and a turn of reasoning only is continued once with a final-channel header.
//! The scripted fake records the prompts it received.

mod support;

use harmony_ollama::testing::{FakeOllama, OllamaNdjson, Reply};
use serde_json::{json, Value};
use support::{gateway, gateway_with, post, prompts, MODEL};

const FINAL_STOP: &str = "<|channel|>final";

fn show() -> Reply {
    Reply::ndjson(json!({"model_info": {"gpt-oss.context_length": 131_072}}).to_string())
}

/// A completion of these raw fragments, ending with `done_reason: stop`, `eval_count`
/// one per fragment.
fn reply(pieces: &[&str]) -> Reply {
    let mut w = OllamaNdjson::new(MODEL);
    for p in pieces {
        w.response(p);
    }
    w.generate_done("stop");
    Reply::ndjson(w.finish())
}

/// Reasoning, then the stop sequence on `<|channel|>final` cut the output.
fn reasoning_then_stopped() -> Reply {
    reply(&[
        "<|channel|>",
        "analysis",
        "<|message|>",
        "Need the weather",
        " for Paris.",
        "<|end|>",
        "<|start|>",
        "assistant",
    ])
}

fn tools() -> Value {
    json!([{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
        {"type": "function", "function": {"name": "get_time", "description": "Time in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])
}

/// The `/api/generate` request bodies the fake received, in order.
fn generate_bodies(fake: &FakeOllama) -> Vec<Value> {
    fake.received()
        .iter()
        .filter(|r| r.path == "/api/generate")
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect()
}

fn stops(body: &Value) -> Vec<String> {
    body.pointer("/options/stop")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn sse_data(body: &str) -> Vec<Value> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

#[tokio::test]
async fn a_named_tool_is_called_after_the_models_own_reasoning() {
    let fake = FakeOllama::start([
        show(),
        reasoning_then_stopped(),
        reply(&["{\"city\":", " \"Paris\"}"]),
    ])
    .await
    .unwrap();
    let base = gateway(&fake).await;
    let (status, body) = post(
        &format!("{base}/v1/chat/completions"),
        json!({"model": MODEL, "messages": [{"role": "user", "content": "Weather in Paris?"}],
               "tools": tools(), "stop": ["STOP"],
               "tool_choice": {"type": "function", "function": {"name": "get_weather"}}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let sent = generate_bodies(&fake);
    assert_eq!(sent.len(), 2, "one completion, then the continuation");
    let first = sent[0]["prompt"].as_str().unwrap();
    assert!(
        first.ends_with("Weather in Paris?<|end|><|start|>assistant"),
        "{first}"
    );
    // The first completion stops where the model would start a final answer; the
    // client's own stop sequences stay in both.
    assert_eq!(stops(&sent[0]), ["STOP", FINAL_STOP]);
    assert_eq!(stops(&sent[1]), ["STOP"]);
    assert_eq!(
        sent[1]["prompt"].as_str().unwrap(),
        format!(
            "{first}<|channel|>analysis<|message|>Need the weather for Paris.<|end|>\
             <|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"
        )
    );
    // The budget left for the continuation: the default, less what was spent.
    let (n1, n2) = (
        sent[0]["options"]["num_predict"].as_i64().unwrap(),
        sent[1]["options"]["num_predict"].as_i64().unwrap(),
    );
    assert!(n2 < n1, "{n1} then {n2}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let choice = &v["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(
        choice["message"]["reasoning_content"],
        "Need the weather for Paris."
    );
    let calls = choice["message"]["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["function"]["name"], "get_weather");
    assert_eq!(calls[0]["function"]["arguments"], "{\"city\": \"Paris\"}");
    // Usage counts both completions' tokens (8 fragments, then 2).
    assert_eq!(v["usage"]["completion_tokens"], 10, "{v}");
}

#[tokio::test]
async fn a_required_tool_is_not_continued_when_the_model_calls_one_itself() {
    let fake = FakeOllama::start([
        show(),
        reply(&[
            "<|channel|>analysis<|message|>Call it.<|end|>",
            "<|start|>assistant<|channel|>commentary to=functions.get_time ",
            "<|constrain|>json<|message|>",
            "{\"city\":\"Oslo\"}",
        ]),
    ])
    .await
    .unwrap();
    let base = gateway(&fake).await;
    let (status, body) = post(
        &format!("{base}/v1/chat/completions"),
        json!({"model": MODEL, "messages": [{"role": "user", "content": "Time in Oslo?"}],
               "tools": tools(), "tool_choice": "required"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let sent = generate_bodies(&fake);
    assert_eq!(sent.len(), 1);
    assert_eq!(stops(&sent[0]), [FINAL_STOP]);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["choices"][0]["message"]["tool_calls"][0]["function"]["name"],
        "get_time"
    );
}

#[tokio::test]
async fn without_reasoning_the_forced_call_header_follows_the_prompt_at_once() {
    // The model went straight for a final answer: the stop sequence left nothing.
    let fake = FakeOllama::start([show(), reply(&[]), reply(&["{\"city\":\"Rome\"}"])])
        .await
        .unwrap();
    let base = gateway(&fake).await;
    let (status, body) = post(
        &format!("{base}/v1/responses"),
        json!({"model": MODEL, "input": "Weather in Rome?", "stream": true,
               "tools": [{"type": "function", "name": "get_weather",
                          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}],
               "tool_choice": "required"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let p = prompts(&fake);
    assert_eq!(p.len(), 2);
    assert_eq!(
        p[1],
        format!(
            "{}<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>",
            p[0]
        )
    );
    let events = sse_data(&body);
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert!(
        !types.contains(&"response.reasoning_text.delta"),
        "{types:?}"
    );
    let done = events
        .iter()
        .find(|e| e["type"] == "response.output_item.done" && e["item"]["type"] == "function_call")
        .expect("a function_call item");
    assert_eq!(done["item"]["name"], "get_weather");
    assert_eq!(done["item"]["arguments"], "{\"city\":\"Rome\"}");
    assert_eq!(types.last(), Some(&"response.completed"));
}

#[tokio::test]
async fn a_reasoning_only_turn_is_continued_once_with_a_final_answer() {
    let fake = FakeOllama::start([
        show(),
        reply(&["<|channel|>analysis<|message|>", "Just think.", "<|end|>"]),
        reply(&["It is", " sunny."]),
    ])
    .await
    .unwrap();
    let base = gateway(&fake).await;
    let (status, body) = post(
        &format!("{base}/v1/chat/completions"),
        json!({"model": MODEL, "stream": true,
               "messages": [{"role": "user", "content": "Weather?"}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let p = prompts(&fake);
    assert_eq!(p.len(), 2, "{p:?}");
    // No prefill was planned: the first completion had no stop sequence of ours.
    assert!(stops(&generate_bodies(&fake)[0]).is_empty());
    assert_eq!(
        p[1],
        format!(
            "{}<|channel|>analysis<|message|>Just think.<|end|><|start|>assistant<|channel|>final<|message|>",
            p[0]
        )
    );
    let chunks = sse_data(&body);
    let text = |field: &str| -> String {
        chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"][field].as_str())
            .collect()
    };
    assert_eq!(text("reasoning_content"), "Just think.");
    assert_eq!(text("content"), "It is sunny.");
    let finish: Vec<&Value> = chunks
        .iter()
        .map(|c| &c["choices"][0]["finish_reason"])
        .filter(|f| !f.is_null())
        .collect();
    assert_eq!(
        finish,
        [&json!("stop")],
        "one finish, after the continuation"
    );
    assert!(body.trim_end().ends_with("data: [DONE]"));
}

#[tokio::test]
async fn the_empty_turn_continuation_can_be_switched_off() {
    let fake = FakeOllama::start([
        show(),
        reply(&["<|channel|>analysis<|message|>", "Just think.", "<|end|>"]),
    ])
    .await
    .unwrap();
    let base = gateway_with(&fake.url(), |c| c.continue_empty_turns = false).await;
    let (status, body) = post(
        &format!("{base}/v1/chat/completions"),
        json!({"model": MODEL, "messages": [{"role": "user", "content": "Weather?"}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(prompts(&fake).len(), 1);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["choices"][0]["message"]["reasoning_content"],
        "Just think."
    );
    assert!(
        v["choices"][0]["message"]["content"].is_null()
            || v["choices"][0]["message"]["content"] == ""
    );
}

#[tokio::test]
async fn the_ollama_side_continues_a_reasoning_only_turn_too() {
    let fake = FakeOllama::start([
        show(),
        reply(&["<|channel|>analysis<|message|>Hm.<|end|>"]),
        reply(&["Yes."]),
    ])
    .await
    .unwrap();
    let base = gateway(&fake).await;
    let (status, body) = post(
        &format!("{base}/api/chat"),
        json!({"model": MODEL, "stream": false, "messages": [{"role": "user", "content": "Ok?"}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(prompts(&fake).len(), 2);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["message"]["thinking"], "Hm.");
    assert_eq!(v["message"]["content"], "Yes.");
}
