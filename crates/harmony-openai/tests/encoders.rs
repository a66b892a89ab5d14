//! Encoder output for hand-made `StreamEvent` sequences, checked as literal JSON: chunk
//! and event order, sequence numbers, ids, tool-call fragments, finish reasons, errors.

use harmony_ollama::{Channel, Done, StreamEvent};
use harmony_openai::{
    decode_reasoning, ApiError, ChatCompletionBuilder, ChatEncoder, ChatEncoderOptions, IdGen,
    ReasoningField, ResponseBuilder, ResponsesEncoder, ResponsesOptions, ResponsesRequest,
};
use harmony_stream::{Header, Role, Stop};
use harmony_tools::{ToolCallEnd, ToolCallStart};
use serde_json::{json, Value};

fn text_message(channel: Channel, pieces: &[&str]) -> Vec<StreamEvent> {
    let mut v = vec![StreamEvent::MessageStart(
        Header::new(Role::Assistant).with_channel(channel.as_str()),
    )];
    v.extend(pieces.iter().map(|p| StreamEvent::Delta {
        channel: Some(channel),
        text: (*p).to_owned(),
    }));
    v.push(StreamEvent::MessageEnd(if channel == Channel::Final {
        Stop::Return
    } else {
        Stop::End
    }));
    v
}

fn call_message(index: usize, id: &str, name: &str, args: &[&str]) -> Vec<StreamEvent> {
    let recipient = format!("functions.{name}");
    let mut v = vec![
        StreamEvent::MessageStart(
            Header::new(Role::Assistant)
                .with_channel("commentary")
                .with_recipient(&recipient)
                .with_content_type("<|constrain|>json"),
        ),
        StreamEvent::ToolCallStart(ToolCallStart {
            index,
            id: id.into(),
            name: name.into(),
            namespace: harmony_tools::Namespace::Functions,
            recipient,
            channel: Some("commentary".into()),
            content_type: Some("<|constrain|>json".into()),
        }),
    ];
    v.extend(args.iter().map(|a| StreamEvent::ToolCallArgs {
        index,
        delta: (*a).to_owned(),
    }));
    v.push(StreamEvent::ToolCallEnd(ToolCallEnd {
        index,
        id: id.into(),
        error: None,
        raw: args.concat(),
        complete: true,
        ..ToolCallEnd::default()
    }));
    v.push(StreamEvent::MessageEnd(Stop::Call));
    v
}

fn done(reason: &str, eval_count: Option<u64>) -> StreamEvent {
    let mut d = Done::default();
    d.model = "gpt-oss:20b".into();
    d.reason = harmony_ollama::DoneReason::from_wire(Some(reason));
    d.metrics.eval_count = eval_count;
    StreamEvent::Done(d)
}

fn chat_options() -> ChatEncoderOptions {
    let mut o = ChatEncoderOptions::new("gpt-oss:20b");
    o.id = "chatcmpl-test".into();
    o.created = 1_700_000_000;
    o
}

fn responses_options() -> ResponsesOptions {
    let mut o = ResponsesOptions::new("gpt-oss:20b");
    o.id = "resp_test".into();
    o.created_at = 1_700_000_000;
    o.ids = IdGen::from_seed(42);
    o
}

/// The `data:` payloads of a chat stream; `[DONE]` as the string "[DONE]".
fn chat_frames(bytes: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(bytes).unwrap();
    assert!(text.ends_with("\n\n"), "frames end with a blank line");
    text.split("\n\n")
        .filter(|f| !f.is_empty())
        .map(|f| {
            let data = f
                .strip_prefix("data: ")
                .expect("every frame is one data line");
            assert!(!data.contains('\n'));
            if data == "[DONE]" {
                Value::from("[DONE]")
            } else {
                serde_json::from_str(data).unwrap()
            }
        })
        .collect()
}

/// The deltas of a chat stream, with the envelope checked on every chunk.
fn chat_deltas(frames: &[Value]) -> Vec<Value> {
    frames
        .iter()
        .filter(|f| {
            f.get("choices")
                .is_some_and(|c| !c.as_array().unwrap().is_empty())
        })
        .map(|f| {
            assert_eq!(f["id"], "chatcmpl-test");
            assert_eq!(f["object"], "chat.completion.chunk");
            assert_eq!(f["created"], 1_700_000_000);
            assert_eq!(f["model"], "gpt-oss:20b");
            assert_eq!(f["choices"][0]["index"], 0);
            json!({"delta": f["choices"][0]["delta"], "finish": f["choices"][0]["finish_reason"]})
        })
        .collect()
}

/// `(event name, data)` of a Responses stream, with name == data.type and the
/// sequence numbers checked to rise by one from 0.
fn response_events(bytes: &[u8]) -> Vec<(String, Value)> {
    let text = std::str::from_utf8(bytes).unwrap();
    let events: Vec<(String, Value)> = text
        .split("\n\n")
        .filter(|f| !f.is_empty())
        .map(|f| {
            let (event, data) = f.split_once('\n').unwrap();
            let name = event.strip_prefix("event: ").unwrap().to_owned();
            let data: Value = serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
            assert_eq!(data["type"], name.as_str());
            (name, data)
        })
        .collect();
    for (i, (_, data)) in events.iter().enumerate() {
        assert_eq!(data["sequence_number"], i as u64, "{data}");
    }
    events
}

fn run_chat(options: ChatEncoderOptions, events: &[StreamEvent]) -> Vec<u8> {
    let mut enc = ChatEncoder::new(options);
    let mut out = Vec::new();
    for e in events {
        enc.event(e, &mut out);
    }
    out
}

#[test]
fn chat_stream_two_tool_calls_with_fragments() {
    let mut events = text_message(Channel::Analysis, &["Need ", "both."]);
    events.extend(call_message(
        0,
        "call_a",
        "get_weather",
        &["{\"city\":", "\"Paris\"}"],
    ));
    events.extend(call_message(1, "call_b", "get_time", &["{\"tz\":\"CET\"}"]));
    events.push(done("stop", Some(30)));
    let mut options = chat_options();
    options.include_usage = true;
    options.prompt_tokens = 100;
    let frames = chat_frames(&run_chat(options, &events));
    assert_eq!(
        chat_deltas(&frames),
        vec![
            json!({"delta": {"role": "assistant", "content": ""}, "finish": null}),
            json!({"delta": {"reasoning_content": "Need ", "reasoning": "Need "}, "finish": null}),
            json!({"delta": {"reasoning_content": "both.", "reasoning": "both."}, "finish": null}),
            json!({"delta": {"tool_calls": [{"index": 0, "id": "call_a", "type": "function",
                "function": {"name": "get_weather", "arguments": ""}}]}, "finish": null}),
            json!({"delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}, "finish": null}),
            json!({"delta": {"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]}, "finish": null}),
            json!({"delta": {"tool_calls": [{"index": 1, "id": "call_b", "type": "function",
                "function": {"name": "get_time", "arguments": ""}}]}, "finish": null}),
            json!({"delta": {"tool_calls": [{"index": 1, "function": {"arguments": "{\"tz\":\"CET\"}"}}]}, "finish": null}),
            json!({"delta": {}, "finish": "tool_calls"}),
        ]
    );
    let n = frames.len();
    assert_eq!(frames[n - 1], "[DONE]");
    let usage = &frames[n - 2];
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"]["prompt_tokens"], 100);
    assert_eq!(usage["usage"]["completion_tokens"], 30);
    assert_eq!(usage["usage"]["total_tokens"], 130);
    // "Need both." is two tokens or so: counted by the tokenizer, never above the total.
    let reasoning = usage["usage"]["completion_tokens_details"]["reasoning_tokens"]
        .as_u64()
        .unwrap();
    assert!((1..=4).contains(&reasoning), "{reasoning}");
}

#[test]
fn chat_stream_length_finish_and_reasoning_setting() {
    let mut events = text_message(Channel::Analysis, &["Hmm"]);
    events.extend(text_message(Channel::Final, &["The answer is"]));
    events.push(done("length", None));
    let mut options = chat_options();
    options.reasoning_field = ReasoningField::Reasoning;
    let frames = chat_frames(&run_chat(options, &events));
    assert_eq!(
        chat_deltas(&frames),
        vec![
            json!({"delta": {"role": "assistant", "content": ""}, "finish": null}),
            json!({"delta": {"reasoning": "Hmm"}, "finish": null}),
            json!({"delta": {"content": "The answer is"}, "finish": null}),
            json!({"delta": {}, "finish": "length"}),
        ]
    );
    // No usage chunk unless asked.
    assert_eq!(frames.len(), 5);
    assert_eq!(frames[4], "[DONE]");
}

#[test]
fn chat_stream_error_mid_stream() {
    let mut events = text_message(Channel::Final, &["Partial"]);
    events.truncate(2);
    let mut enc = ChatEncoder::new(chat_options());
    let mut out = Vec::new();
    for e in &events {
        enc.event(e, &mut out);
    }
    enc.error(&ApiError::upstream_error("model crashed"), &mut out);
    // Nothing after the error.
    enc.event(&done("stop", None), &mut out);
    enc.finish(&mut out);
    let frames = chat_frames(&out);
    assert_eq!(frames.len(), 3);
    assert_eq!(frames[1]["choices"][0]["delta"]["content"], "Partial");
    assert_eq!(
        frames[2],
        json!({"error": {"message": "The upstream server failed: model crashed",
                         "type": "server_error", "param": null, "code": "upstream_error"}})
    );
}

#[test]
fn chat_text_is_escaped() {
    let events = [
        StreamEvent::Delta {
            channel: None,
            text: "a \"quote\"\n\\ and \u{1F600} </script>".into(),
        },
        done("stop", None),
    ];
    let frames = chat_frames(&run_chat(chat_options(), &events));
    assert_eq!(
        frames[1]["choices"][0]["delta"]["content"],
        "a \"quote\"\n\\ and \u{1F600} </script>"
    );
    assert_eq!(frames[2]["choices"][0]["finish_reason"], "stop");
}

#[test]
fn chat_call_indices_restart_from_zero() {
    // harmony-tools' indices count every call of a completion (a continued request
    // keeps counting); tool_calls positions start at 0.
    let mut events = call_message(3, "call_x", "f", &["{}"]);
    events.push(done("stop", None));
    let frames = chat_frames(&run_chat(chat_options(), &events));
    assert_eq!(
        frames[1]["choices"][0]["delta"]["tool_calls"][0]["index"],
        0
    );
    assert_eq!(
        frames[2]["choices"][0]["delta"]["tool_calls"][0]["index"],
        0
    );
}

#[test]
fn chat_completion_object_from_the_same_events() {
    let mut events = text_message(Channel::Analysis, &["Need ", "both."]);
    events.extend(call_message(
        0,
        "call_a",
        "get_weather",
        &["{\"city\":", "\"Paris\"}"],
    ));
    events.extend(call_message(1, "call_b", "get_time", &["{}"]));
    events.push(done("stop", Some(12)));
    let mut options = chat_options();
    options.prompt_tokens = 50;
    let mut b = ChatCompletionBuilder::new(options);
    for e in &events {
        b.event(e);
    }
    let v = b.finish();
    assert_eq!(v["id"], "chatcmpl-test");
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["created"], 1_700_000_000);
    assert_eq!(
        v["choices"],
        json!([{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": null,
                "reasoning_content": "Need both.",
                "reasoning": "Need both.",
                "tool_calls": [
                    {"id": "call_a", "type": "function",
                     "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                    {"id": "call_b", "type": "function",
                     "function": {"name": "get_time", "arguments": "{}"}}
                ]
            },
            "logprobs": null,
            "finish_reason": "tool_calls"
        }])
    );
    assert_eq!(v["usage"]["prompt_tokens"], 50);
    assert_eq!(v["usage"]["completion_tokens"], 12);

    // The streamed deltas, accumulated as clients do, give the same message.
    let frames = chat_frames(&run_chat(chat_options(), &events));
    let mut content = String::new();
    let mut reasoning = String::new();
    let mut args = [String::new(), String::new()];
    for f in &frames[..frames.len() - 1] {
        let d = &f["choices"][0]["delta"];
        content.push_str(d["content"].as_str().unwrap_or(""));
        reasoning.push_str(d["reasoning_content"].as_str().unwrap_or(""));
        if let Some(calls) = d["tool_calls"].as_array() {
            for c in calls {
                let i = c["index"].as_u64().unwrap() as usize;
                args[i].push_str(c["function"]["arguments"].as_str().unwrap());
            }
        }
    }
    assert_eq!(content, "");
    assert_eq!(reasoning, v["choices"][0]["message"]["reasoning"]);
    assert_eq!(
        args[0],
        v["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    );
}

#[test]
fn chat_completion_keeps_partial_answer_on_error() {
    let mut b = ChatCompletionBuilder::new(chat_options());
    for e in text_message(Channel::Final, &["Half an ans"])
        .iter()
        .take(2)
    {
        b.event(e);
    }
    b.error(ApiError::upstream_error("gone"));
    let v = b.finish();
    assert_eq!(v["choices"][0]["message"]["content"], "Half an ans");
    assert_eq!(v["choices"][0]["finish_reason"], "length");
    assert_eq!(b.failure().unwrap().status, 502);
}

fn run_responses(options: ResponsesOptions, events: &[StreamEvent]) -> Vec<(String, Value)> {
    let mut enc = ResponsesEncoder::new(options);
    let mut out = Vec::new();
    for e in events {
        enc.event(e, &mut out);
    }
    assert!(enc.is_finished());
    response_events(&out)
}

#[test]
fn responses_stream_reasoning_and_message_in_order() {
    let mut events = text_message(Channel::Analysis, &["Think", "ing."]);
    events.extend(text_message(Channel::Final, &["Hello", " there"]));
    events.push(done("stop", Some(9)));
    let mut options = responses_options();
    options.prompt_tokens = 20;
    let ev = run_responses(options, &events);
    let names: Vec<&str> = ev.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.reasoning_text.delta",
            "response.reasoning_text.delta",
            "response.reasoning_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    let created = &ev[0].1["response"];
    assert_eq!(created["id"], "resp_test");
    assert_eq!(created["object"], "response");
    assert_eq!(created["status"], "in_progress");
    assert_eq!(created["output"], json!([]));
    assert!(created["usage"].is_null());

    let rs_id = ev[2].1["item"]["id"].as_str().unwrap().to_owned();
    let msg_id = ev[9].1["item"]["id"].as_str().unwrap().to_owned();
    assert!(rs_id.starts_with("rs_") && msg_id.starts_with("msg_"));
    assert_eq!(
        ev[2].1,
        json!({"type": "response.output_item.added", "sequence_number": 2, "output_index": 0,
               "item": {"id": rs_id, "type": "reasoning", "summary": []}})
    );
    assert_eq!(
        ev[3].1,
        json!({"type": "response.content_part.added", "sequence_number": 3, "item_id": rs_id,
               "output_index": 0, "content_index": 0, "part": {"type": "reasoning_text", "text": ""}})
    );
    assert_eq!(
        ev[4].1,
        json!({"type": "response.reasoning_text.delta", "sequence_number": 4, "item_id": rs_id,
               "output_index": 0, "content_index": 0, "delta": "Think"})
    );
    assert_eq!(
        ev[6].1,
        json!({"type": "response.reasoning_text.done", "sequence_number": 6, "item_id": rs_id,
               "output_index": 0, "content_index": 0, "text": "Thinking."})
    );
    let reasoning_item = json!({"id": rs_id, "type": "reasoning", "summary": [],
        "content": [{"type": "reasoning_text", "text": "Thinking."}], "status": "completed"});
    assert_eq!(ev[8].1["item"], reasoning_item);
    assert_eq!(
        ev[9].1["item"],
        json!({"id": msg_id, "type": "message", "status": "in_progress", "role": "assistant", "content": [], "phase": "final_answer"})
    );
    assert_eq!(ev[9].1["output_index"], 1);
    assert_eq!(
        ev[11].1,
        json!({"type": "response.output_text.delta", "sequence_number": 11, "item_id": msg_id,
               "output_index": 1, "content_index": 0, "delta": "Hello", "logprobs": []})
    );
    assert_eq!(ev[13].1["text"], "Hello there");
    assert_eq!(
        ev[14].1["part"],
        json!({"type": "output_text", "text": "Hello there", "annotations": [], "logprobs": []})
    );
    let message_item = json!({"id": msg_id, "type": "message", "status": "completed", "role": "assistant",
        "content": [{"type": "output_text", "text": "Hello there", "annotations": [], "logprobs": []}],
        "phase": "final_answer"});
    assert_eq!(ev[15].1["item"], message_item);

    let completed = &ev[16].1["response"];
    assert_eq!(completed["id"], "resp_test");
    assert_eq!(completed["status"], "completed");
    assert!(completed["error"].is_null() && completed["incomplete_details"].is_null());
    assert_eq!(completed["output"], json!([reasoning_item, message_item]));
    assert_eq!(completed["usage"]["input_tokens"], 20);
    assert_eq!(completed["usage"]["output_tokens"], 9);
    assert_eq!(completed["usage"]["total_tokens"], 29);
    assert!(
        completed["usage"]["output_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .is_some_and(|n| (1..=9).contains(&n))
    );
    assert_eq!(
        completed["usage"]["input_tokens_details"]["cached_tokens"],
        0
    );
    // Fields openai-python's Response requires.
    for key in [
        "created_at",
        "model",
        "parallel_tool_calls",
        "tool_choice",
        "tools",
    ] {
        assert!(completed.get(key).is_some(), "{key}");
    }
}

#[test]
fn responses_stream_two_function_calls_and_encrypted_reasoning() {
    let mut events = text_message(Channel::Analysis, &["Check both."]);
    events.extend(call_message(
        0,
        "call_a",
        "shell",
        &["{\"cmd\":", "\"ls\"}"],
    ));
    events.extend(call_message(1, "call_b", "shell", &["{\"cmd\":\"pwd\"}"]));
    events.push(done("stop", None));
    let mut options = responses_options();
    options.include_encrypted_reasoning = true;
    let ev = run_responses(options, &events);
    let names: Vec<&str> = ev.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names[7..],
        [
            "response.output_item.done", // reasoning
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    let blob = ev[7].1["item"]["encrypted_content"].as_str().unwrap();
    assert_eq!(decode_reasoning(blob).unwrap(), "Check both.");

    let fc = ev[8].1["item"]["id"].as_str().unwrap().to_owned();
    assert!(fc.starts_with("fc_"));
    assert_eq!(
        ev[8].1,
        json!({"type": "response.output_item.added", "sequence_number": 8, "output_index": 1,
               "item": {"id": fc, "type": "function_call", "status": "in_progress",
                        "call_id": "call_a", "name": "shell", "arguments": ""}})
    );
    assert_eq!(
        ev[9].1,
        json!({"type": "response.function_call_arguments.delta", "sequence_number": 9,
               "item_id": fc, "output_index": 1, "delta": "{\"cmd\":"})
    );
    assert_eq!(
        ev[11].1,
        json!({"type": "response.function_call_arguments.done", "sequence_number": 11,
               "item_id": fc, "output_index": 1, "name": "shell", "arguments": "{\"cmd\":\"ls\"}"})
    );
    // What Codex CLI reads: name, arguments and call_id in output_item.done.
    assert_eq!(
        ev[12].1["item"],
        json!({"id": fc, "type": "function_call", "status": "completed", "call_id": "call_a",
               "name": "shell", "arguments": "{\"cmd\":\"ls\"}"})
    );
    assert_eq!(ev[16].1["item"]["call_id"], "call_b");
    assert_eq!(ev[16].1["output_index"], 2);
    let fc2 = ev[16].1["item"]["id"].as_str().unwrap();
    assert_ne!(fc2, fc);
    let completed = &ev[17].1["response"];
    assert_eq!(completed["output"].as_array().unwrap().len(), 3);
    // Without an upstream count, usage falls back to the text events seen.
    assert_eq!(completed["usage"]["output_tokens"], 4);
}

#[test]
fn responses_output_round_trips_as_the_next_input() {
    // A stateless client (Codex, store: false) sends the output items back with the
    // call's result: the chain of thought comes back through encrypted_content.
    let mut events = text_message(Channel::Analysis, &["Run ls."]);
    events.extend(call_message(0, "call_a", "shell", &["{\"cmd\":\"ls\"}"]));
    events.push(done("stop", None));
    let mut options = responses_options();
    options.include_encrypted_reasoning = true;
    let ev = run_responses(options, &events);
    let mut output = ev.last().unwrap().1["response"]["output"]
        .as_array()
        .unwrap()
        .clone();
    // The client shows only the encrypted form back.
    output[0]["content"] = Value::Null;
    let mut input = vec![json!({"role": "user", "content": "list files"})];
    input.extend(output);
    input.push(json!({"type": "function_call_output", "call_id": "call_a", "output": "a.txt"}));
    let req = ResponsesRequest::from_value(&json!({
        "model": "m", "input": input, "tools": [{"type": "function", "name": "shell"}]
    }))
    .unwrap();
    let p = harmony_openai::Prepared::from_responses(&req, &Default::default()).unwrap();
    assert!(p.prompt.ends_with(
        "<|start|>user<|message|>list files<|end|>\
<|start|>assistant<|channel|>analysis<|message|>Run ls.<|end|>\
<|start|>assistant to=functions.shell<|channel|>commentary <|constrain|>json<|message|>{\"cmd\":\"ls\"}<|call|>\
<|start|>functions.shell to=assistant<|channel|>commentary<|message|>a.txt<|end|>\
<|start|>assistant"
    ));
}

#[test]
fn responses_length_is_incomplete() {
    let mut events = text_message(Channel::Final, &["Cut sh"]);
    events.pop(); // no MessageEnd: generation stopped at the limit
    events.push(done("length", Some(5)));
    let ev = run_responses(responses_options(), &events);
    let (last, data) = ev.last().unwrap();
    assert_eq!(last, "response.completed");
    assert_eq!(data["response"]["status"], "incomplete");
    assert_eq!(
        data["response"]["incomplete_details"],
        json!({"reason": "max_output_tokens"})
    );
    assert_eq!(data["response"]["output"][0]["status"], "incomplete");
    assert_eq!(
        data["response"]["output"][0]["content"][0]["text"],
        "Cut sh"
    );
}

#[test]
fn responses_error_mid_stream_is_response_failed() {
    let mut events = text_message(Channel::Analysis, &["Think"]);
    events.extend(call_message(0, "call_a", "f", &["{\"a\":"]));
    events.truncate(events.len() - 2); // inside the call's arguments
    let mut enc = ResponsesEncoder::new(responses_options());
    let mut out = Vec::new();
    for e in &events {
        enc.event(e, &mut out);
    }
    enc.error(&ApiError::upstream_error("connection reset"), &mut out);
    enc.event(&done("stop", None), &mut out);
    let ev = response_events(&out);
    let (last, data) = ev.last().unwrap();
    assert_eq!(last, "response.failed");
    let r = &data["response"];
    assert_eq!(r["status"], "failed");
    assert_eq!(
        r["error"],
        json!({"code": "upstream_error", "message": "The upstream server failed: connection reset"})
    );
    assert_eq!(r["output"][0]["type"], "reasoning");
    assert_eq!(
        r["output"][1],
        json!({"id": r["output"][1]["id"], "type": "function_call", "status": "incomplete",
               "call_id": "call_a", "name": "f", "arguments": "{\"a\":"})
    );
    assert!(!ev.iter().any(|(n, _)| n == "response.completed"));
}

#[test]
fn response_object_equals_the_streamed_one() {
    let mut events = text_message(Channel::Analysis, &["A"]);
    events.extend(text_message(Channel::Commentary, &["Let me check."]));
    events.extend(call_message(0, "call_a", "f", &["{}"]));
    events.push(done("stop", Some(7)));
    let ev = run_responses(responses_options(), &events);
    let streamed = ev.last().unwrap().1["response"].clone();
    let mut b = ResponseBuilder::new(responses_options());
    for e in &events {
        b.event(e);
    }
    assert_eq!(b.finish(), streamed);
    // A preamble (commentary without recipient) is a message item.
    assert_eq!(streamed["output"][1]["type"], "message");
    assert_eq!(streamed["output"][1]["content"][0]["text"], "Let me check.");
    assert_eq!(streamed["output"][1]["phase"], "commentary");
    assert_eq!(streamed["output"][2]["type"], "function_call");
}

#[test]
fn responses_options_echo_the_request() {
    let req = ResponsesRequest::from_slice(
        br#"{"model": "gpt-oss:20b", "input": "x", "instructions": "Be terse.",
            "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}],
            "tool_choice": "required", "reasoning": {"effort": "high"},
            "text": {"format": {"type": "json_object"}}, "max_output_tokens": 64,
            "store": false, "metadata": {"a": "b"}}"#,
    )
    .unwrap();
    let mut options = ResponsesOptions::from_request(&req);
    options.ids = IdGen::from_seed(1);
    let v = ResponseBuilder::new(options).finish();
    assert_eq!(v["model"], "gpt-oss:20b");
    assert_eq!(v["instructions"], "Be terse.");
    assert_eq!(
        v["tools"],
        json!([{"type": "function", "name": "f", "description": null,
                "parameters": {"type": "object"}, "strict": false}])
    );
    assert_eq!(v["tool_choice"], "required");
    assert_eq!(v["reasoning"], json!({"effort": "high", "summary": null}));
    assert_eq!(v["text"], json!({"format": {"type": "json_object"}}));
    assert_eq!(v["max_output_tokens"], 64);
    assert_eq!(v["store"], false);
    assert_eq!(v["metadata"], json!({"a": "b"}));
}

#[test]
fn empty_messages_leave_no_items() {
    // A header the upstream stopped right after (the `<|start|>assistant` a stop
    // sequence leaves) is a message without text: no item, no empty delta.
    let mut events = text_message(Channel::Final, &["Hi"]);
    events.push(StreamEvent::MessageStart(Header::new(Role::Assistant)));
    events.push(StreamEvent::Delta {
        channel: None,
        text: String::new(),
    });
    events.push(StreamEvent::MessageEnd(Stop::Eof));
    events.push(done("stop", None));
    let ev = run_responses(responses_options(), &events);
    let added = ev
        .iter()
        .filter(|(n, _)| n == "response.output_item.added")
        .count();
    assert_eq!(added, 1);
    assert_eq!(
        ev.last().unwrap().1["response"]["output"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let frames = chat_frames(&run_chat(chat_options(), &events));
    // role, "Hi", finish, [DONE]
    assert_eq!(frames.len(), 4);
}

#[test]
fn turn_decides_the_continuation() {
    use harmony_openai::{Prefill, TurnOutcome};
    let observe = |events: &[StreamEvent]| {
        let mut t = TurnOutcome::new();
        for e in events {
            t.observe(e);
        }
        t
    };
    let reasoning = text_message(Channel::Analysis, &["Think."]);
    let mut called = reasoning.clone();
    called.extend(call_message(0, "call_a", "f", &["{}"]));
    let mut answered = reasoning.clone();
    answered.extend(text_message(Channel::Final, &["{}"]));
    let mut truncated = reasoning.clone();
    truncated.push(done("length", None));

    let t = observe(&reasoning);
    assert!(t.is_empty_turn());
    assert_eq!(t.continuation(&Prefill::None), Some(Prefill::Final));
    assert_eq!(t.continuation(&Prefill::Final), None);
    assert_eq!(
        t.continuation(&Prefill::FinalJson),
        Some(Prefill::FinalJson)
    );
    assert_eq!(
        t.continuation(&Prefill::Tool("f".into())),
        Some(Prefill::Tool("f".into()))
    );

    let t = observe(&called);
    assert_eq!(t.calls(), ["f"]);
    assert_eq!(t.continuation(&Prefill::Tool("f".into())), None);
    assert_eq!(t.continuation(&Prefill::AnyTool), None);
    assert_eq!(t.continuation(&Prefill::None), None);

    let t = observe(&answered);
    assert_eq!(t.continuation(&Prefill::FinalJson), None);
    assert_eq!(t.continuation(&Prefill::AnyTool), Some(Prefill::AnyTool));

    // A turn cut by the token limit is never continued.
    let t = observe(&truncated);
    assert!(t.truncated());
    assert_eq!(t.continuation(&Prefill::None), None);
    assert_eq!(t.continuation(&Prefill::AnyTool), None);
}
