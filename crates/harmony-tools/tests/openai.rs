//! The OpenAI Chat Completions adapter, checked against literal JSON.

use harmony_stream::{Event, TextParser};
use harmony_tools::{ChatCompletionChunk, OpenAiStream, ToolExtractor};
use serde_json::{json, Value};

fn chunks(input: &[&str]) -> Vec<Value> {
    let mut parser = TextParser::new();
    let mut openai = OpenAiStream::new("chatcmpl-7", "gpt-oss:20b", 1_764_000_000)
        .with_tools(ToolExtractor::new().with_ids(|i| format!("call_{i}")));
    let mut out: Vec<ChatCompletionChunk> = Vec::new();
    for c in input {
        parser.feed(c.as_bytes(), &mut |e: Event<'_>| {
            openai.observe(&e, &mut |c| out.push(c))
        });
    }
    parser.finish(&mut |e: Event<'_>| openai.observe(&e, &mut |c| out.push(c)));
    out.push(openai.finish());
    out.iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect()
}

fn chunk(delta: Value, finish: Value) -> Value {
    json!({
        "id": "chatcmpl-7",
        "object": "chat.completion.chunk",
        "created": 1_764_000_000u64,
        "model": "gpt-oss:20b",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    })
}

#[test]
fn reasoning_then_answer() {
    let got = chunks(&[
        "<|channel|>analysis<|message|>Two plus",
        " two.<|end|><|start|>assistant<|channel|>final<|message|>4<|return|>",
    ]);
    let want = vec![
        chunk(
            json!({"role": "assistant", "reasoning_content": "Two plus"}),
            Value::Null,
        ),
        chunk(json!({"reasoning_content": " two."}), Value::Null),
        chunk(json!({"content": "4"}), Value::Null),
        chunk(json!({}), json!("stop")),
    ];
    assert_eq!(got, want);
}

#[test]
fn preamble_then_streamed_tool_call() {
    let got = chunks(&[
        "<|channel|>commentary<|message|>Checking.<|end|><|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{\"city\":",
        " \"Paris\"}<|call|>",
    ]);
    let want = vec![
        chunk(
            json!({"role": "assistant", "content": "Checking."}),
            Value::Null,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "id": "call_0", "type": "function",
                                   "function": {"name": "get_weather", "arguments": ""}}]}),
            Value::Null,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}),
            Value::Null,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": " \"Paris\"}"}}]}),
            Value::Null,
        ),
        chunk(json!({}), json!("tool_calls")),
    ];
    assert_eq!(got, want);
}

#[test]
fn truncated_output_finishes_with_length() {
    let got = chunks(&["<|channel|>final<|message|>The answer is"]);
    assert_eq!(got.last().unwrap()["choices"][0]["finish_reason"], "length");
}

#[test]
fn chunks_round_trip_through_serde() {
    for value in chunks(&["<|channel|>commentary to=functions.f<|message|>{}<|call|>"]) {
        let parsed: ChatCompletionChunk = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(parsed).unwrap(), value);
    }
}
