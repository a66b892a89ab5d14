//! Both modes against the fake Ollama: the same response for the same model output,
//! Ollama's `error parsing tool call` salvaged, the event stream, channel filtering,
//! and the tool loop.
//!
//! Standard-mode streams come from `testing::chat_ndjson_from_generate`, which writes
//! the `/api/chat` NDJSON Ollama's harmony handler sends for a raw recording. The
//! failing tool calls are modelled on what Ollama users reported for gpt-oss (raw text
//! and Go error as quoted in the issues named at each test).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use harmony_chat::{ChatMessage, ChatRole, ChatTool};
use harmony_ollama::testing::{
    chat_ndjson_from_generate, Chunking, Ended, FakeOllama, OllamaNdjson, Reply,
};
use harmony_ollama::{
    Channel, Channels, ChatMode, HarmonyResponse, OllamaClient, ResponseDiagnosticKind, StreamEvent,
};
use harmony_stream::Stop;
use harmony_tools::ArgsError;
use serde_json::{json, Value};

const MODEL: &str = "gpt-oss:20b";

fn recording(name: &str) -> String {
    std::fs::read_to_string(format!("{}/recordings/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// A raw `/api/generate` stream of `completion`, one fragment per `|`-free piece.
fn generate(fragments: &[&str], done_reason: &str) -> String {
    let mut w = OllamaNdjson::new(MODEL);
    for f in fragments {
        w.response(f);
    }
    w.generate_done(done_reason);
    w.finish()
}

fn user(text: &str) -> Vec<ChatMessage> {
    vec![ChatMessage::new(ChatRole::User, text)]
}

fn tools(names: &[&str]) -> Vec<ChatTool> {
    names
        .iter()
        .map(|n| {
            serde_json::from_value(json!({"type": "function", "function": {
                "name": n, "parameters": {"type": "object"}}}))
            .unwrap()
        })
        .collect()
}

fn client(server: &FakeOllama, channels: Channels) -> OllamaClient {
    OllamaClient::builder()
        .host(server.url())
        .channels(channels)
        .build()
        .unwrap()
}

/// The same model output through both modes.
async fn both(
    generate_ndjson: &str,
    declared: &[&str],
    channels: Channels,
) -> (HarmonyResponse, HarmonyResponse) {
    let chat = chat_ndjson_from_generate(generate_ndjson);
    let server = FakeOllama::start([
        Reply::ndjson(generate_ndjson).chunking(Chunking::Every(7)),
        Reply::ndjson(chat).chunking(Chunking::Every(5)),
    ])
    .await
    .unwrap();
    let c = client(&server, channels);
    let t = tools(declared);
    let h = c
        .complete_with_mode(MODEL, &user("Q"), &t, ChatMode::Harmony)
        .await
        .unwrap();
    let s = c
        .complete_with_mode(MODEL, &user("Q"), &t, ChatMode::Standard)
        .await
        .unwrap();
    let paths: Vec<String> = server.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/api/generate", "/api/chat"]);
    (h, s)
}

fn calls(r: &HarmonyResponse) -> Vec<(String, Option<Value>)> {
    r.tool_calls
        .iter()
        .map(|c| (c.name.clone(), c.arguments.clone()))
        .collect()
}

#[tokio::test]
async fn both_modes_give_the_same_response_for_every_recording() {
    for name in [
        "analysis-final.ndjson",
        "tool-call.ndjson",
        "analysis-call-final.ndjson",
        "truncated-analysis.ndjson",
        "missing-message-token.ndjson",
        "code-and-html.ndjson",
    ] {
        let (h, s) = both(&recording(name), &["get_weather", "edit"], Channels::ALL).await;
        assert_eq!(h.final_content, s.final_content, "{name}");
        assert_eq!(h.thinking, s.thinking, "{name}");
        assert_eq!(calls(&h), calls(&s), "{name}");
        assert_eq!(h.metadata.truncated(), s.metadata.truncated(), "{name}");
        assert!(!s.salvaged(), "{name}");
        assert!(h.thinking.is_some() || h.final_content.is_some(), "{name}");
    }
}

#[tokio::test]
async fn harmony_tool_call_parity_details() {
    let (h, s) = both(
        &recording("analysis-call-final.ndjson"),
        &["get_weather"],
        Channels::ALL,
    )
    .await;
    assert_eq!(h.final_content.as_deref(), Some("The weather is sunny"));
    assert_eq!(
        calls(&s),
        [(
            "get_weather".to_owned(),
            Some(json!({"location": "San Francisco"}))
        )]
    );
    assert_eq!(h.metadata.mode, ChatMode::Harmony);
    assert_eq!(s.metadata.mode, ChatMode::Standard);
}

/// A call whose arguments Ollama's parser rejects: harmony mode reads it itself,
/// standard mode salvages it from Ollama's error line; both give the same call.
async fn failing_call_parity(args_fragments: &[&str], expect: fn(&ArgsError) -> bool) {
    let mut fragments = vec![
        "<|channel|>",
        "analysis",
        "<|message|>",
        "Run it.",
        "<|end|>",
        "<|start|>",
        "assistant",
        " to",
        "=",
        "functions.shell",
        "<|channel|>",
        "commentary",
        "<|message|>",
    ];
    fragments.extend_from_slice(args_fragments);
    let ndjson = generate(&fragments, "stop");
    let chat = chat_ndjson_from_generate(&ndjson);
    let last = chat.lines().last().unwrap();
    assert!(
        last.starts_with("{\"error\":\"error parsing tool call: raw='"),
        "{last}"
    );
    let (h, s) = both(&ndjson, &["shell"], Channels::ALL).await;
    let raw: String = args_fragments.concat();
    for r in [&h, &s] {
        assert_eq!(r.thinking.as_deref(), Some("Run it."));
        assert_eq!(r.tool_calls.len(), 1);
        let call = &r.tool_calls[0];
        assert_eq!(call.name, "shell");
        assert_eq!(call.raw_arguments, raw);
        assert_eq!(call.arguments, None);
        assert!(
            expect(call.arguments_error.as_ref().unwrap()),
            "{:?}",
            call.arguments_error
        );
    }
    assert!(s.salvaged() && !h.salvaged());
    let kinds: Vec<_> = s
        .metadata
        .response_diagnostics
        .iter()
        .map(|d| d.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            ResponseDiagnosticKind::ToolCallSalvaged,
            ResponseDiagnosticKind::ToolNameAssumed
        ]
    );
    // Ollama's Go error is quoted.
    let expected = harmony_ollama::testing::go_json_error(&raw).unwrap();
    assert!(
        s.metadata.response_diagnostics[0]
            .message
            .contains(&expected),
        "{}",
        s.metadata.response_diagnostics[0]
    );
}

#[tokio::test]
async fn shell_command_instead_of_json_is_salvaged() {
    // continuedev/continue#10221: raw='ls -R\n', err=invalid character 'l' looking for
    // beginning of value.
    failing_call_parity(&["ls", " -R", "\n"], |e| {
        matches!(e, ArgsError::InvalidJson { .. })
    })
    .await;
}

#[tokio::test]
async fn json_cut_short_is_salvaged() {
    // langchain-ai/langchain#34746: a string never closed, err=unexpected end of JSON input.
    failing_call_parity(
        &[
            "{\"",
            "reflection",
            "\":\"",
            "I have enough info.",
            " I'll proceed",
        ],
        |e| matches!(e, ArgsError::InvalidJson { .. }),
    )
    .await;
}

#[tokio::test]
async fn stray_bracket_is_salvaged() {
    // ollama/ollama#12064: err=invalid character ']' after object key:value pair.
    failing_call_parity(&["{\"path\":", "\"src/pipe.py\"", "]}"], |e| {
        matches!(e, ArgsError::InvalidJson { .. })
    })
    .await;
}

#[tokio::test]
async fn http_500_tool_call_error_is_salvaged_with_an_unknown_name() {
    // ollama/ollama#12884 / continuedev/continue#11783: prose where JSON should be,
    // answered as HTTP 500 before anything streamed.
    let raw = "We should output the result. Let's call the tool.";
    let server = FakeOllama::start([
        Reply::tool_call_parse_error(raw, "invalid character 'W' looking for beginning of value"),
        Reply::tool_call_parse_error(raw, "invalid character 'W' looking for beginning of value"),
    ])
    .await
    .unwrap();
    let c = client(&server, Channels::ALL);
    let r = c
        .complete_with_mode(MODEL, &user("Q"), &tools(&["a", "b"]), ChatMode::Standard)
        .await
        .unwrap();
    assert_eq!(r.tool_calls.len(), 1);
    assert_eq!(r.tool_calls[0].name, "unknown");
    assert_eq!(r.tool_calls[0].raw_arguments, raw);
    assert!(matches!(
        r.tool_calls[0].arguments_error,
        Some(ArgsError::InvalidJson {
            line: 1,
            column: 1,
            ..
        })
    ));
    let d = &r.metadata.response_diagnostics;
    assert_eq!(d[0].kind, ResponseDiagnosticKind::ToolCallSalvaged);
    assert!(d[0].message.contains("invalid character 'W'"));
    assert_eq!(d[1].kind, ResponseDiagnosticKind::ToolNameUnknown);
    assert!(
        d[1].message.contains("2 tools were declared (a, b)"),
        "{}",
        d[1]
    );
    assert_eq!(r.final_content, None);

    // One declared tool: its name is assumed. Valid-looking arguments are kept parsed.
    let r = c
        .complete_with_mode(MODEL, &user("Q"), &tools(&["a"]), ChatMode::Standard)
        .await
        .unwrap();
    assert_eq!(r.tool_calls[0].name, "a");
    assert_eq!(
        r.metadata.response_diagnostics[1].kind,
        ResponseDiagnosticKind::ToolNameAssumed
    );
}

#[tokio::test]
async fn raw_text_with_harmony_markers_is_parsed_for_its_recipient() {
    // Constructed: marker text leaking into what Ollama reports as `raw`.
    let raw = "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"location\": \"Paris\"}";
    let server = FakeOllama::start([Reply::tool_call_parse_error(
        raw,
        "invalid character '<' looking for beginning of value",
    )])
    .await
    .unwrap();
    let r = client(&server, Channels::ALL)
        .complete_with_mode(
            MODEL,
            &user("Q"),
            &tools(&["get_weather", "get_time"]),
            ChatMode::Standard,
        )
        .await
        .unwrap();
    assert_eq!(
        calls(&r),
        [("get_weather".to_owned(), Some(json!({"location": "Paris"})))]
    );
    assert!(r.salvaged());
    assert_eq!(r.metadata.response_diagnostics.len(), 1);
}

#[tokio::test]
async fn old_error_key_keeps_the_text_and_reports_the_lost_call() {
    // ollama/ollama#11781 and #11704 (Ollama 0.11.3/0.11.4): the error under the key
    // "error parsing tool call", mid-stream, without the raw text.
    let mut w = OllamaNdjson::new(MODEL);
    w.chat_delta("", "Need the weather.");
    let mut body = w.finish();
    body.push_str(
        "{\"error parsing tool call\":\"invalid character 'c' looking for beginning of value\"}\n",
    );
    let server = FakeOllama::start([Reply::ndjson(body)]).await.unwrap();
    let r = client(&server, Channels::ALL)
        .complete_with_mode(
            MODEL,
            &user("Q"),
            &tools(&["get_weather"]),
            ChatMode::Standard,
        )
        .await
        .unwrap();
    assert_eq!(r.thinking.as_deref(), Some("Need the weather."));
    assert_eq!(r.tool_calls.len(), 1);
    assert_eq!(r.tool_calls[0].name, "get_weather");
    assert_eq!(r.tool_calls[0].arguments_error, Some(ArgsError::Empty));
    assert_eq!(
        r.metadata.response_diagnostics[0].kind,
        ResponseDiagnosticKind::ToolCallTextLost
    );
    assert!(r.metadata.response_diagnostics[0]
        .message
        .contains("invalid character 'c'"));
}

#[tokio::test]
async fn mid_stream_tool_call_error_keeps_the_text_received() {
    let mut w = OllamaNdjson::new(MODEL);
    w.chat_delta("", "Thinking.")
        .chat_delta("Let me check.", "");
    w.error("error parsing tool call: raw='{\"location\":\"Paris\"]}', err=invalid character ']' after object key:value pair");
    let server = FakeOllama::start([Reply::ndjson(w.finish())])
        .await
        .unwrap();
    let r = client(&server, Channels::ALL)
        .complete_with_mode(
            MODEL,
            &user("Q"),
            &tools(&["get_weather"]),
            ChatMode::Standard,
        )
        .await
        .unwrap();
    assert_eq!(r.thinking.as_deref(), Some("Thinking."));
    assert_eq!(r.final_content.as_deref(), Some("Let me check."));
    assert_eq!(r.tool_calls[0].raw_arguments, "{\"location\":\"Paris\"]}");
    assert_eq!(
        r.metadata.done_reason,
        harmony_ollama::DoneReason::NoDoneLine
    );
}

fn summarize(events: &[StreamEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            StreamEvent::MessageStart(h) => format!(
                "start {} {}",
                h.channel().unwrap_or("-"),
                h.recipient().unwrap_or("-")
            ),
            StreamEvent::Delta { channel, text } => format!("delta {channel:?} {text}"),
            StreamEvent::MessageEnd(s) => format!("end {s}"),
            StreamEvent::ToolCallStart(s) => format!("call {} {}", s.index, s.name),
            StreamEvent::ToolCallArgs { delta, .. } => format!("args {delta}"),
            StreamEvent::ToolCallEnd(e) => format!("call end {} {}", e.raw, e.error.is_none()),
            StreamEvent::Done(d) => format!("done {:?}", d.done_reason()),
            other => format!("{other:?}"),
        })
        .collect()
}

async fn collect(stream: harmony_ollama::ModeStream) -> Vec<StreamEvent> {
    stream.map(|e| e.unwrap()).collect().await
}

#[tokio::test]
async fn harmony_stream_streams_tool_call_arguments() {
    let ndjson = recording("tool-call.ndjson");
    let server = FakeOllama::start([Reply::ndjson(ndjson.clone()).chunking(Chunking::Every(1))])
        .await
        .unwrap();
    let c = client(&server, Channels::ALL);
    let stream = c
        .stream_with_mode(
            MODEL,
            &user("Paris?"),
            &tools(&["get_weather"]),
            ChatMode::Harmony,
        )
        .await
        .unwrap();
    assert_eq!(stream.mode(), ChatMode::Harmony);
    let events = summarize(&collect(stream).await);
    assert_eq!(
        events,
        [
            "start analysis -",
            "delta Some(Analysis) Thinking",
            "end end",
            "start commentary functions.get_weather",
            "call 0 get_weather",
            "args {\"",
            "args location",
            "args \":",
            "args  \"",
            "args Paris",
            "args \"}",
            "call end {\"location\": \"Paris\"} true",
            "end call",
            "done Some(\"stop\")",
        ]
    );
}

#[tokio::test]
async fn standard_stream_maps_chat_lines_to_the_same_events() {
    let chat = chat_ndjson_from_generate(&recording("tool-call.ndjson"));
    let server = FakeOllama::start([Reply::ndjson(chat)]).await.unwrap();
    let c = client(&server, Channels::ALL);
    let stream = c
        .stream_with_mode(
            MODEL,
            &user("Paris?"),
            &tools(&["get_weather"]),
            ChatMode::Standard,
        )
        .await
        .unwrap();
    assert_eq!(stream.raw_text(), None);
    let events = summarize(&collect(stream).await);
    assert_eq!(
        events,
        [
            "start analysis -",
            "delta Some(Analysis) Thinking",
            "end end",
            "start commentary functions.get_weather",
            "call 0 get_weather",
            "args {\"location\":\"Paris\"}",
            "call end {\"location\":\"Paris\"} true",
            "end call",
            "done Some(\"stop\")",
        ]
    );
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    for mode in [ChatMode::Harmony, ChatMode::Standard] {
        let ndjson = recording("code-and-html.ndjson");
        let body = match mode {
            ChatMode::Harmony => ndjson,
            ChatMode::Standard => chat_ndjson_from_generate(&ndjson),
        };
        let server = FakeOllama::start([Reply::ndjson(body).delay(Duration::from_millis(20))])
            .await
            .unwrap();
        let c = client(&server, Channels::ALL);
        let mut stream = c
            .stream_with_mode(MODEL, &user("Q"), &tools(&["edit"]), mode)
            .await
            .unwrap();
        let first = stream.next().await.unwrap().unwrap();
        assert!(matches!(first, StreamEvent::MessageStart(_)), "{first:?}");
        drop(stream);
        let ended = server.wait_ended(1, Duration::from_secs(5)).await;
        assert!(
            matches!(ended.as_slice(), [Ended::ClientClosed { .. }]),
            "{mode:?}: {ended:?}"
        );
    }
}

#[tokio::test]
async fn channels_not_listed_never_reach_the_caller() {
    let only_final = Channels::NONE.with(Channel::Final);
    // The response, in both modes: no reasoning, the answer and the call still there.
    let (h, s) = both(
        &recording("analysis-call-final.ndjson"),
        &["get_weather"],
        only_final,
    )
    .await;
    for r in [&h, &s] {
        assert_eq!(r.thinking, None);
        assert_eq!(r.final_content.as_deref(), Some("The weather is sunny"));
        assert_eq!(r.tool_calls.len(), 1, "tool calls are always reported");
        assert!(r
            .metadata
            .channel_timings
            .iter()
            .all(|t| t.channel.as_deref() != Some("analysis")));
    }
    // The stream, in both modes: no analysis event at all.
    let ndjson = recording("analysis-final.ndjson");
    for (mode, body) in [
        (ChatMode::Harmony, ndjson.clone()),
        (ChatMode::Standard, chat_ndjson_from_generate(&ndjson)),
    ] {
        let server = FakeOllama::start([Reply::ndjson(body)]).await.unwrap();
        let events = collect(
            client(&server, only_final)
                .stream_with_mode(MODEL, &user("Q"), &[], mode)
                .await
                .unwrap(),
        )
        .await;
        let text = summarize(&events);
        assert!(
            text.iter()
                .all(|e| !e.contains("analysis") && !e.contains("Analysis")),
            "{mode:?}: {text:?}"
        );
        assert_eq!(
            text.first().map(String::as_str),
            Some("start final -"),
            "{mode:?}"
        );
        assert!(
            text.contains(&"end return".to_owned()),
            "{mode:?}: {text:?}"
        );
    }
    // Only analysis: the answer is hidden, the reasoning shown.
    let (h, s) = both(
        &recording("analysis-final.ndjson"),
        &[],
        Channels::NONE.with(Channel::Analysis),
    )
    .await;
    for r in [&h, &s] {
        assert_eq!(r.final_content, None);
        assert_eq!(r.thinking.as_deref(), Some("I'm\nthinking"));
    }
}

/// Raw recordings for a scripted conversation.
fn call_reply(city: &str) -> String {
    generate(
        &[
            "<|channel|>analysis<|message|>Need weather.<|end|>",
            "<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>",
            &format!("{{\"city\": \"{city}\"}}"),
        ],
        "stop",
    )
}

fn final_reply(text: &str) -> String {
    generate(
        &[
            "<|channel|>analysis<|message|>Got it.<|end|>",
            "<|start|>assistant<|channel|>final<|message|>",
            text,
        ],
        "stop",
    )
}

#[tokio::test]
async fn tool_loop_runs_calls_until_the_final_answer() {
    for mode in [ChatMode::Harmony, ChatMode::Standard] {
        let replies = [
            call_reply("Paris"),
            call_reply("Oslo"),
            final_reply("Paris 21 °C, Oslo 12 °C."),
        ];
        let replies: Vec<Reply> = replies
            .iter()
            .map(|r| {
                Reply::ndjson(match mode {
                    ChatMode::Harmony => r.clone(),
                    ChatMode::Standard => chat_ndjson_from_generate(r),
                })
            })
            .collect();
        let server = FakeOllama::start(replies).await.unwrap();
        let c = client(&server, Channels::ALL);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let outcome = c
            .tool_loop(MODEL, &tools(&["get_weather"]))
            .mode(mode)
            .run(user("Weather in Paris and Oslo?"), move |call| {
                let log = Arc::clone(&log);
                async move {
                    let city = call.arguments.unwrap()["city"].as_str().unwrap().to_owned();
                    log.lock().unwrap().push((call.name, city.clone()));
                    format!("{{\"city\": \"{city}\", \"temp\": 21}}")
                }
            })
            .await
            .unwrap();
        assert_eq!(
            *seen.lock().unwrap(),
            [
                ("get_weather".to_owned(), "Paris".to_owned()),
                ("get_weather".to_owned(), "Oslo".to_owned())
            ]
        );
        assert_eq!(outcome.steps, 3);
        assert!(!outcome.limit_reached);
        assert_eq!(outcome.executed.len(), 2);
        assert_eq!(
            outcome.response.final_content.as_deref(),
            Some("Paris 21 °C, Oslo 12 °C.")
        );
        let roles: Vec<ChatRole> = outcome.messages.iter().map(|m| m.role).collect();
        use ChatRole::*;
        assert_eq!(
            roles,
            [User, Assistant, Tool, Assistant, Tool, Assistant],
            "{mode:?}"
        );
        assert_eq!(
            outcome.messages[1].tool_calls[0].function.name,
            "get_weather"
        );
        assert_eq!(
            outcome.messages[2].tool_call_id.as_deref(),
            Some("call_1_0")
        );

        // What the model was sent: the call and its result, in the mode's shape.
        let received = server.received();
        assert_eq!(received.len(), 3);
        let third: Value = serde_json::from_str(&received[2].body).unwrap();
        match mode {
            ChatMode::Harmony => {
                let prompt = third["prompt"].as_str().unwrap();
                assert!(prompt.contains("to=functions.get_weather"), "{prompt}");
                assert!(
                    prompt.contains("<|start|>functions.get_weather to=assistant"),
                    "{prompt}"
                );
                assert!(
                    prompt.contains("\"city\": \"Oslo\", \"temp\": 21"),
                    "{prompt}"
                );
            }
            ChatMode::Standard => {
                let m = third["messages"].as_array().unwrap();
                assert_eq!(m.len(), 5);
                assert_eq!(
                    m[1]["tool_calls"][0]["function"]["arguments"],
                    json!({"city": "Paris"})
                );
                assert_eq!(m[2]["role"], json!("tool"));
                assert_eq!(m[2]["tool_name"], json!("get_weather"));
                assert_eq!(m[1]["thinking"], json!("Need weather."));
            }
        }
    }
}

#[tokio::test]
async fn tool_loop_stops_at_the_step_limit() {
    let server = FakeOllama::start([
        Reply::ndjson(call_reply("Paris")),
        Reply::ndjson(call_reply("Paris")),
    ])
    .await
    .unwrap();
    let c = client(&server, Channels::ALL);
    let outcome = c
        .tool_loop(MODEL, &tools(&["get_weather"]))
        .mode(ChatMode::Harmony)
        .max_steps(2)
        .run(user("Weather?"), |_call| async {
            "{\"temp\": 21}".to_owned()
        })
        .await
        .unwrap();
    assert!(outcome.limit_reached);
    assert_eq!(outcome.steps, 2);
    assert_eq!(outcome.executed.len(), 2);
    assert_eq!(outcome.response.tool_calls.len(), 1);
    assert_eq!(outcome.messages.len(), 5);
}

#[tokio::test]
async fn tool_loop_does_not_run_calls_with_bad_arguments() {
    let bad = generate(
        &[
            "<|start|>assistant to=functions.get_weather<|channel|>commentary<|message|>",
            "{\"city\": Paris}",
        ],
        "stop",
    );
    let server = FakeOllama::start([
        Reply::ndjson(chat_ndjson_from_generate(&bad)),
        Reply::ndjson(chat_ndjson_from_generate(&final_reply("Sorry."))),
    ])
    .await
    .unwrap();
    let c = client(&server, Channels::ALL);
    let outcome = c
        .tool_loop(MODEL, &tools(&["get_weather"]))
        .mode(ChatMode::Standard)
        .run(user("Weather?"), |_call| async { panic!("must not run") })
        .await
        .unwrap();
    assert_eq!(outcome.steps, 2);
    assert!(outcome.executed.is_empty());
    let result = outcome.messages[2].content.as_deref().unwrap();
    assert!(
        result.starts_with("error: the call was not run because the arguments are not JSON"),
        "{result}"
    );
    assert_eq!(outcome.response.final_content.as_deref(), Some("Sorry."));
    // The salvaged call went back to Ollama with its raw text unparsed (null arguments).
    let second: Value = serde_json::from_str(&server.received()[1].body).unwrap();
    assert_eq!(
        second["messages"][1]["tool_calls"][0]["function"]["name"],
        json!("get_weather")
    );
}

#[tokio::test]
async fn stop_of_the_final_message_is_return_in_both_modes() {
    let ndjson = recording("analysis-final.ndjson");
    for (mode, body) in [
        (ChatMode::Harmony, ndjson.clone()),
        (ChatMode::Standard, chat_ndjson_from_generate(&ndjson)),
    ] {
        let server = FakeOllama::start([Reply::ndjson(body)]).await.unwrap();
        let events = collect(
            client(&server, Channels::ALL)
                .stream_with_mode(MODEL, &user("Q"), &[], mode)
                .await
                .unwrap(),
        )
        .await;
        let ends: Vec<Stop> = events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::MessageEnd(s) => Some(*s),
                _ => None,
            })
            .collect();
        assert_eq!(ends, [Stop::End, Stop::Return], "{mode:?}");
    }
}
