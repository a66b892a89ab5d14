//! `harmony parse` as a user meets it: output shapes, and one-line errors for bad input.

mod common;

use common::harmony;

use serde_json::Value;

fn assert_one_line_error(args: &[&str], stdin: &[u8], needle: &str) {
    let (code, out, err) = harmony(args, stdin);
    assert_ne!(code, 0, "{args:?} should fail");
    assert!(out.is_empty(), "{args:?} printed {out:?}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
    assert!(err.starts_with("harmony: "), "{err:?}");
    assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
}

#[test]
fn summary_has_every_field_with_null_for_absent() {
    let (code, out, _) = harmony(&["parse"], b"<|channel|>analysis<|message|>hmm");
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    for k in [
        "reasoning",
        "content",
        "tool_calls",
        "messages",
        "diagnostics",
    ] {
        assert!(keys.contains(&k), "missing {k}");
    }
    assert_eq!(v["reasoning"], "hmm");
    assert_eq!(v["content"], Value::Null);
    assert_eq!(v["tool_calls"], serde_json::json!([]));
    assert_eq!(v["messages"][0]["stop"], "eof");
    assert_eq!(v["messages"][0]["role"], "assistant");
}

#[test]
fn empty_final_is_empty_string_not_null() {
    let (_, out, _) = harmony(&["parse"], b"<|channel|>final<|message|><|return|>");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["content"], "");
    assert_eq!(v["reasoning"], Value::Null);
}

#[test]
fn input_with_start_is_whole_messages_and_without_is_a_completion() {
    let (_, out, _) = harmony(&["parse"], b"<|start|>user<|message|>hi<|end|>");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["messages"][0]["role"], "user");
    assert_eq!(v["diagnostics"], serde_json::json!([]));
    let (_, out, _) = harmony(&["parse"], b"<|channel|>final<|message|>hi");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["messages"][0]["role"], "assistant");
    assert_eq!(v["diagnostics"][0]["kind"], "implicit_start");
}

#[test]
fn events_are_one_json_object_per_line_in_order() {
    let (code, out, _) = harmony(
        &["parse", "--events"],
        b"<|start|>assistant<|channel|>final<|message|>Hi<|return|>",
    );
    assert_eq!(code, 0);
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0]["event"], "message_start");
    assert_eq!(events[0]["channel"], "final");
    assert_eq!(
        events[1],
        serde_json::json!({"event": "delta", "text": "Hi"})
    );
    assert_eq!(
        events[2],
        serde_json::json!({"event": "message_end", "stop": "return"})
    );
}

#[test]
fn tokens_as_json_or_whitespace_separated() {
    // <|channel|> final <|message|> Hi <|return|>
    let a = harmony(
        &["parse", "--format", "tokens"],
        b"[200005, 17196, 200008, 12194, 200002]",
    );
    let b = harmony(
        &["parse", "--format", "tokens"],
        b"200005 17196\n200008 12194 200002\n",
    );
    assert_eq!(a.0, 0);
    assert_eq!(a.1, b.1);
    let v: Value = serde_json::from_str(&a.1).unwrap();
    assert_eq!(v["content"], "Hi");
}

#[test]
fn malformed_harmony_is_not_an_error() {
    for input in [
        &b"<|end|><|call|><|start|><|start|>"[..],
        b"<|start|>assistant<|channel|>?? to=<|constrain|><|message|>x<|channel|>y",
        b"<|channel|>commentary to=functions.f<|message|>{not json",
        b"",
        b"<|",
    ] {
        let (code, out, err) = harmony(&["parse"], input);
        assert_eq!(code, 0, "{input:?}: {err}");
        assert!(serde_json::from_str::<Value>(&out).is_ok());
    }
}

#[test]
fn bad_input_gets_one_clear_line() {
    assert_one_line_error(&["parse"], b"ok \xFF\xFE", "not UTF-8");
    assert_one_line_error(
        &["parse", "--format", "tokens"],
        b"[1, 2,",
        "not a JSON array",
    );
    assert_one_line_error(&["parse", "--format", "tokens"], b"[1, \"x\"]", "index 1");
    assert_one_line_error(
        &["parse", "--format", "tokens"],
        b"1 2 banana",
        "\"banana\"",
    );
    assert_one_line_error(
        &["parse", "--format", "tokens"],
        b"[200005, 300000]",
        "token id 300000 at index 1 is outside the o200k_harmony vocabulary",
    );
    assert_one_line_error(&["parse", "--format", "tokens"], b"[-1]", "index 0");
    assert_one_line_error(
        &["parse", "/nonexistent/completion.txt"],
        b"",
        "no such file",
    );
}

#[test]
fn events_include_tool_call_events_after_the_core_events() {
    let (code, out, _) = harmony(
        &["parse", "--events"],
        b"<|channel|>commentary to=functions.add <|constrain|>json<|message|>{\"a\": 1}<|call|>",
    );
    assert_eq!(code, 0);
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "diagnostic",
            "message_start",
            "tool_call_start",
            "delta",
            "tool_call_args",
            "message_end",
            "tool_call_end"
        ]
    );
    assert_eq!(events[2]["id"], "call_0");
    assert_eq!(events[2]["name"], "add");
    assert_eq!(events[4]["delta"], "{\"a\": 1}");
    assert_eq!(events[6]["arguments"], serde_json::json!({"a": 1}));
    assert_eq!(events[6]["error"], Value::Null);
    assert_eq!(events[6]["complete"], true);
}

#[test]
fn bad_arguments_in_events_say_why() {
    let (_, out, _) = harmony(
        &["parse", "--events"],
        b"<|channel|>commentary to=functions.f<|message|>{oops<|call|>",
    );
    let end: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(end["event"], "tool_call_end");
    assert_eq!(end["arguments"], Value::Null);
    assert!(end["error"]
        .as_str()
        .unwrap()
        .contains("not JSON at line 1"));
    assert_eq!(end["raw"], "{oops");
}

#[test]
fn stripped_special_tokens_flag_splits_messages_and_summary_says_why_arguments_are_null() {
    let text = b"analysisThe user greets.assistantfinalHello!";
    let (code, out, err) = harmony(&["parse", "--stripped-special-tokens"], text);
    assert_eq!(code, 0, "{err}");
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["reasoning"], "The user greets.");
    assert_eq!(s["content"], "Hello!");
    // Off by default: one channel-less message.
    let (_, out, _) = harmony(&["parse"], text);
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["messages"].as_array().unwrap().len(), 1);
    // Issue 11 item 2: a tool call with null arguments carries the reason in the summary.
    let (_, out, _) = harmony(
        &["parse"],
        b"<|channel|>commentary to=functions.f<|message|>{oops<|call|>",
    );
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["tool_calls"][0]["arguments"], Value::Null);
    assert_eq!(
        s["tool_calls"][0]["arguments_error"]["kind"],
        "invalid_json"
    );
}
