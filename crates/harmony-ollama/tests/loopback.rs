//! The client against the fake Ollama over real HTTP on 127.0.0.1: the happy paths and
//! every fault (error line, HTTP 500, tool-call parse error, 404, dropped connection,
//! clean end without `done`, timeouts, refused connection, cancellation).

use std::time::Duration;

use futures_util::StreamExt;
use harmony_ollama::testing::{Chunking, Ended, FakeOllama, OllamaNdjson, Reply};
use harmony_ollama::{
    ChatEvent, ChatRequestMessage, Config, Error, GenerateEvent, GenerateRequest, KeepAlive,
    OllamaChatRequest, OllamaClient, Options, ReasoningEffort, TimeoutPhase,
};
use serde_json::{json, Value};

const MODEL: &str = "gpt-oss:20b";

fn harmony_fragments() -> Vec<&'static str> {
    vec![
        "<|channel|>",
        "analysis",
        "<|message|>",
        "User wants weather & time <in> Paris.",
        "<|end|>",
        "<|start|>",
        "assistant",
        "<|channel|>",
        "final",
        "<|message|>",
        "It is sunny – 20 °C 😀",
    ]
}

fn generate_body(done_reason: Option<&str>) -> String {
    let mut w = OllamaNdjson::new(MODEL);
    for f in harmony_fragments() {
        w.response(f);
    }
    if let Some(reason) = done_reason {
        w.generate_done(reason);
    }
    w.finish()
}

fn client(server: &FakeOllama) -> OllamaClient {
    OllamaClient::builder().host(server.url()).build().unwrap()
}

async fn collect_generate(
    client: &OllamaClient,
    req: &GenerateRequest,
) -> (String, Vec<GenerateEvent>, Option<Error>) {
    let mut stream = match client.generate_raw(req).await {
        Ok(s) => s,
        Err(e) => return (String::new(), Vec::new(), Some(e)),
    };
    let mut text = String::new();
    let mut events = Vec::new();
    let mut error = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(GenerateEvent::Response(f)) => {
                text.push_str(&f);
                events.push(GenerateEvent::Response(f));
            }
            Ok(e) => events.push(e),
            Err(e) => {
                assert!(error.is_none(), "one error at most");
                error = Some(e);
            }
        }
    }
    (text, events, error)
}

#[tokio::test]
async fn raw_generate_streams_decoded_fragments_in_any_chunking() {
    let body = generate_body(Some("stop"));
    let expected: String = harmony_fragments().concat();
    for chunking in [
        Chunking::Lines,
        Chunking::Every(1),
        Chunking::Every(7),
        Chunking::Every(4096),
    ] {
        let server = FakeOllama::start([Reply::ndjson(body.clone()).chunking(chunking.clone())])
            .await
            .unwrap();
        let req =
            GenerateRequest::new(MODEL, "<|start|>user<|message|>Hi<|end|><|start|>assistant");
        let (text, events, error) = collect_generate(&client(&server), &req).await;
        assert!(error.is_none(), "{chunking:?}: {error:?}");
        assert_eq!(text, expected, "{chunking:?}");
        let Some(GenerateEvent::Done(done)) = events.last() else {
            panic!("last event is Done")
        };
        assert_eq!(done.model, MODEL);
        assert_eq!(done.reason, harmony_ollama::DoneReason::Stop);
        assert!(!done.is_truncated());
        assert_eq!(
            done.metrics.eval_count,
            Some(harmony_fragments().len() as u64)
        );
        assert!(done.metrics.total_duration.is_some());
    }
}

#[tokio::test]
async fn raw_generate_request_body_is_raw_streaming_and_omits_unset_options() {
    let server = FakeOllama::start([
        Reply::ndjson(generate_body(Some("stop"))),
        Reply::ndjson(generate_body(Some("stop"))),
    ])
    .await
    .unwrap();
    let client = client(&server);
    let (_, _, e) =
        collect_generate(&client, &GenerateRequest::new(MODEL, "<|start|>assistant")).await;
    assert!(e.is_none());
    let req = GenerateRequest::new(MODEL, "p")
        .options(
            Options::new()
                .num_ctx(131_072)
                .temperature(0.5)
                .seed(7)
                .stop(["<|end|>"]),
        )
        .keep_alive(KeepAlive::For(Duration::from_secs(60)));
    let (_, _, e) = collect_generate(&client, &req).await;
    assert!(e.is_none());

    let received = server.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].method, "POST");
    assert_eq!(received[0].path, "/api/generate");
    let first: Value = serde_json::from_str(&received[0].body).unwrap();
    assert_eq!(
        first,
        json!({"model": MODEL, "prompt": "<|start|>assistant", "raw": true, "stream": true})
    );
    let second: Value = serde_json::from_str(&received[1].body).unwrap();
    assert_eq!(
        second["options"],
        json!({"num_ctx": 131072, "temperature": 0.5, "seed": 7, "stop": ["<|end|>"]})
    );
    assert_eq!(second["keep_alive"], json!("60000ms"));
}

#[tokio::test]
async fn length_done_reason_is_reported_as_truncated() {
    let server = FakeOllama::start([Reply::ndjson(generate_body(Some("length")))])
        .await
        .unwrap();
    let (_, events, error) =
        collect_generate(&client(&server), &GenerateRequest::new(MODEL, "p")).await;
    assert!(error.is_none());
    let Some(GenerateEvent::Done(done)) = events.last() else {
        panic!()
    };
    assert!(done.is_truncated());
}

#[tokio::test]
async fn fragments_share_the_network_buffer_when_unescaped() {
    // Not observable through the API except by content; this checks that the
    // zero-copy path and the copy path produce identical text across chunkings.
    let mut w = OllamaNdjson::new(MODEL);
    w.response("plain words ")
        .response("<|end|>")
        .response("é")
        .generate_done("stop");
    let server = FakeOllama::start([Reply::ndjson(w.finish()).chunking(Chunking::Every(5))])
        .await
        .unwrap();
    let (text, _, error) =
        collect_generate(&client(&server), &GenerateRequest::new(MODEL, "p")).await;
    assert!(error.is_none());
    assert_eq!(text, "plain words <|end|>é");
}

#[tokio::test]
async fn mid_stream_error_line_ends_the_stream_and_keeps_the_text() {
    let mut w = OllamaNdjson::new(MODEL);
    w.response("<|channel|>")
        .response("analysis")
        .error("an error was encountered while running the model: unexpected EOF");
    let server = FakeOllama::start([Reply::ndjson(w.finish()).chunking(Chunking::Every(3))])
        .await
        .unwrap();
    let (text, _, error) =
        collect_generate(&client(&server), &GenerateRequest::new(MODEL, "p")).await;
    assert_eq!(text, "<|channel|>analysis");
    match error {
        Some(Error::Stream { message, partial }) => {
            assert!(message.contains("unexpected EOF"));
            assert_eq!(partial.content, "<|channel|>analysis");
            assert_eq!(partial.lines, 3, "the error line counts");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn mid_stream_tool_call_parse_error_is_typed_with_the_raw_text() {
    let mut w = OllamaNdjson::new(MODEL);
    w.chat_delta("", "We need the weather.")
        .error("error parsing tool call: raw='{\"location\":\"Paris\"]}', err=invalid character ']' after object key:value pair");
    let server = FakeOllama::start([Reply::ndjson(w.finish())])
        .await
        .unwrap();
    let client = client(&server);
    let mut stream = client
        .chat_stream(&OllamaChatRequest::new(
            MODEL,
            vec![ChatRequestMessage::user("Weather?")],
        ))
        .await
        .unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first, ChatEvent::Thinking("We need the weather.".into()));
    match stream.next().await.unwrap() {
        Err(Error::ToolCallParse {
            raw,
            detail,
            status,
            partial,
        }) => {
            assert_eq!(raw, r#"{"location":"Paris"]}"#);
            assert_eq!(detail, "invalid character ']' after object key:value pair");
            assert_eq!(status, None);
            assert_eq!(partial.thinking, "We need the weather.");
        }
        other => panic!("{other:?}"),
    }
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn http_500_with_ollama_error_text() {
    let server = FakeOllama::start([Reply::error(
        500,
        "llama runner process has terminated: exit status 2",
    )])
    .await
    .unwrap();
    let err = client(&server)
        .generate_raw(&GenerateRequest::new(MODEL, "p"))
        .await
        .unwrap_err();
    match err {
        Error::Status { status, message } => {
            assert_eq!(status, 500);
            assert_eq!(
                message,
                "llama runner process has terminated: exit status 2"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn http_500_tool_call_parse_error_keeps_the_raw_arguments() {
    let raw = "We need to call get_weather. {\"location\":\"Paris\"}";
    let server = FakeOllama::start([Reply::tool_call_parse_error(
        raw,
        "invalid character 'W' looking for beginning of value",
    )])
    .await
    .unwrap();
    let req = OllamaChatRequest::new(MODEL, vec![ChatRequestMessage::user("Weather?")]);
    match client(&server).chat_stream(&req).await.unwrap_err() {
        Error::ToolCallParse {
            raw: got,
            detail,
            status,
            partial,
        } => {
            assert_eq!(got, raw);
            assert_eq!(
                detail,
                "invalid character 'W' looking for beginning of value"
            );
            assert_eq!(status, Some(500));
            assert!(partial.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn model_not_found_is_typed() {
    let server = FakeOllama::start([Reply::model_not_found("gpt-oss:999b")])
        .await
        .unwrap();
    let err = client(&server)
        .generate_raw(&GenerateRequest::new("gpt-oss:999b", "p"))
        .await
        .unwrap_err();
    match &err {
        Error::ModelNotFound { model, message } => {
            assert_eq!(model, "gpt-oss:999b");
            assert_eq!(message, "model 'gpt-oss:999b' not found");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        // Said once (it used to repeat Ollama's own wording after ours).
        "model \"gpt-oss:999b\" not found on Ollama (pull it with `ollama pull gpt-oss:999b`)"
    );
}

#[tokio::test]
async fn dropped_connection_mid_stream_keeps_the_text() {
    let body = generate_body(Some("stop"));
    // Cut in the middle of the fifth line.
    let cut = body.match_indices('\n').nth(3).unwrap().0 + 10;
    let server = FakeOllama::start([Reply::ndjson(body).cut_after(cut)])
        .await
        .unwrap();
    let (text, _, error) =
        collect_generate(&client(&server), &GenerateRequest::new(MODEL, "p")).await;
    let expected: String = harmony_fragments()[..4].concat();
    assert_eq!(text, expected);
    match error {
        Some(Error::Disconnected { partial, .. }) => assert_eq!(partial.content, expected),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn clean_end_without_done_is_incomplete() {
    let server = FakeOllama::start([Reply::ndjson(generate_body(None))])
        .await
        .unwrap();
    let (text, _, error) =
        collect_generate(&client(&server), &GenerateRequest::new(MODEL, "p")).await;
    assert_eq!(text, harmony_fragments().concat());
    match error {
        Some(Error::Incomplete { partial }) => assert_eq!(partial.content, text),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn malformed_line_is_a_decode_error_with_its_position() {
    let mut body = generate_body(Some("stop"));
    let second = body.find('\n').unwrap() + 1;
    body.insert_str(second, "{\"response\": nope}\n");
    let server = FakeOllama::start([Reply::ndjson(body)]).await.unwrap();
    let (_, _, error) = collect_generate(&client(&server), &GenerateRequest::new(MODEL, "p")).await;
    match error {
        Some(Error::Decode {
            source: harmony_ollama::DecodeError::Json { line, column, .. },
            partial,
        }) => {
            assert_eq!((line, column), (2, 15));
            assert_eq!(partial.content, "<|channel|>");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn connection_refused_names_the_host() {
    // A port that was free a moment ago: bind, note it, release it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = OllamaClient::builder()
        .host(format!("127.0.0.1:{port}"))
        .build()
        .unwrap();
    let err = client
        .generate_raw(&GenerateRequest::new(MODEL, "p"))
        .await
        .unwrap_err();
    match &err {
        Error::Connect { host, .. } => assert_eq!(host, &format!("http://127.0.0.1:{port}")),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().starts_with(&format!(
        "could not connect to Ollama at http://127.0.0.1:{port}"
    )));
}

#[tokio::test]
async fn idle_timeout_keeps_the_text() {
    let body = generate_body(Some("stop"));
    let stall = body.match_indices('\n').nth(1).unwrap().0 + 1;
    let server = FakeOllama::start([Reply::ndjson(body).stall_after(stall)])
        .await
        .unwrap();
    let client = OllamaClient::builder()
        .host(server.url())
        .idle_timeout(Some(Duration::from_millis(200)))
        .build()
        .unwrap();
    let (text, _, error) = collect_generate(&client, &GenerateRequest::new(MODEL, "p")).await;
    assert_eq!(text, "<|channel|>analysis");
    match error {
        Some(Error::Timeout {
            phase: TimeoutPhase::Idle,
            after,
            partial,
        }) => {
            assert_eq!(after, Duration::from_millis(200));
            assert_eq!(partial.content, text);
        }
        other => panic!("{other:?}"),
    }
    // The client hung up, and the server saw it.
    let ended = server.wait_ended(1, Duration::from_secs(5)).await;
    assert!(
        matches!(ended[..], [Ended::ClientClosed { .. }]),
        "{ended:?}"
    );
}

#[tokio::test]
async fn headers_and_total_timeouts() {
    let server = FakeOllama::start([Reply::silent()]).await.unwrap();
    let client = OllamaClient::builder()
        .host(server.url())
        .headers_timeout(Some(Duration::from_millis(150)))
        .build()
        .unwrap();
    let err = client
        .generate_raw(&GenerateRequest::new(MODEL, "p"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: TimeoutPhase::Headers,
                ..
            }
        ),
        "{err:?}"
    );

    let server = FakeOllama::start([
        Reply::ndjson(generate_body(Some("stop"))).delay(Duration::from_millis(100))
    ])
    .await
    .unwrap();
    let client = OllamaClient::builder()
        .host(server.url())
        .total_timeout(Some(Duration::from_millis(350)))
        .build()
        .unwrap();
    let (text, _, error) = collect_generate(&client, &GenerateRequest::new(MODEL, "p")).await;
    assert!(!text.is_empty() && text.len() < harmony_fragments().concat().len());
    match error {
        Some(Error::Timeout {
            phase: TimeoutPhase::Total,
            partial,
            ..
        }) => assert_eq!(partial.content, text),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    let mut w = OllamaNdjson::new(MODEL);
    for i in 0..200 {
        w.response(&format!("token{i} "));
    }
    w.generate_done("stop");
    let body = w.finish();
    let total = body.len();
    let server = FakeOllama::start([Reply::ndjson(body).delay(Duration::from_millis(10))])
        .await
        .unwrap();
    let client = client(&server);
    let mut stream = client
        .generate_raw(&GenerateRequest::new(MODEL, "p"))
        .await
        .unwrap();
    for _ in 0..3 {
        assert!(matches!(
            stream.next().await,
            Some(Ok(GenerateEvent::Response(_)))
        ));
    }
    drop(stream);
    let ended = server.wait_ended(1, Duration::from_secs(5)).await;
    match ended[..] {
        [Ended::ClientClosed { body_bytes_sent }] => {
            assert!(body_bytes_sent < total / 2, "{body_bytes_sent}")
        }
        _ => panic!("{ended:?}"),
    }
}

#[tokio::test]
async fn chat_stream_maps_thinking_content_tool_calls_and_done() {
    let mut w = OllamaNdjson::new(MODEL);
    w.chat_delta("", "User asks weather. ")
        .chat_delta("", "Call get_weather.")
        .chat_tool_calls(&[(
            "get_weather",
            json!({"location": "Paris, FR", "unit": "°C"}),
        )])
        .chat_delta("Checking ", "")
        .chat_delta("<now>", "")
        .chat_done("stop");
    let server = FakeOllama::start([Reply::ndjson(w.finish()).chunking(Chunking::Every(11))])
        .await
        .unwrap();
    let client = OllamaClient::builder()
        .host(server.url())
        .reasoning_effort(Some(ReasoningEffort::High))
        .build()
        .unwrap();
    let tools = vec![
        json!({"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}}),
    ];
    let req = OllamaChatRequest::new(
        MODEL,
        vec![
            ChatRequestMessage::system("Be brief."),
            ChatRequestMessage::user("Weather in Paris?"),
        ],
    )
    .tools(tools.clone());
    let mut stream = client.chat_stream(&req).await.unwrap();
    let (mut thinking, mut content, mut calls, mut done) =
        (String::new(), String::new(), Vec::new(), None);
    while let Some(e) = stream.next().await {
        match e.unwrap() {
            ChatEvent::Thinking(t) => thinking.push_str(&t),
            ChatEvent::Content(c) => content.push_str(&c),
            ChatEvent::ToolCalls(c) => calls.extend(c),
            ChatEvent::Done(d) => done = Some(d),
            _ => {}
        }
    }
    assert_eq!(thinking, "User asks weather. Call get_weather.");
    assert_eq!(content, "Checking <now>");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(calls[0].index, Some(0));
    assert_eq!(
        calls[0].arguments,
        json!({"location": "Paris, FR", "unit": "°C"})
    );
    assert_eq!(done.unwrap().reason, harmony_ollama::DoneReason::Stop);

    let received = server.received();
    assert_eq!(received[0].path, "/api/chat");
    let body: Value = serde_json::from_str(&received[0].body).unwrap();
    assert_eq!(body["stream"], json!(true));
    assert_eq!(body["think"], json!("high"));
    assert_eq!(body["tools"], Value::Array(tools));
    assert_eq!(
        body["messages"][1],
        json!({"role": "user", "content": "Weather in Paris?"})
    );
    assert!(body.get("options").is_none());
}

#[tokio::test]
async fn client_from_injected_environment_reaches_the_server() {
    let server = FakeOllama::start([Reply::ndjson(generate_body(Some("stop")))])
        .await
        .unwrap();
    let hostport = server.addr().to_string();
    let config = Config::from_lookup(|k| match k {
        "OLLAMA_HOST" => Some(hostport.clone()),
        "HARMONY_MODE" => Some("enabled".into()),
        _ => None,
    })
    .unwrap();
    let client = OllamaClient::builder().config(config).build().unwrap();
    assert_eq!(client.config().mode, harmony_ollama::ChatMode::Harmony);
    let (text, _, error) = collect_generate(&client, &GenerateRequest::new(MODEL, "p")).await;
    assert!(error.is_none());
    assert_eq!(text, harmony_fragments().concat());
}

#[tokio::test]
async fn invalid_options_fail_before_sending() {
    let server = FakeOllama::start([]).await.unwrap();
    let req = GenerateRequest::new(MODEL, "p").options(Options::new().num_ctx(262_144));
    let err = client(&server).generate_raw(&req).await.unwrap_err();
    assert!(matches!(
        err,
        Error::Config(harmony_ollama::ConfigError::InvalidOption {
            name: "num_ctx",
            ..
        })
    ));
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn misnamed_tool_call_error_key_is_typed_mid_stream_and_as_http_500() {
    // ollama/ollama#11781 (0.11.3/0.11.4): `{"error parsing tool call": "<Go error>"}`.
    let detail = "invalid character 'c' looking for beginning of value";
    let mut w = OllamaNdjson::new(MODEL);
    w.chat_delta("", "Hmm.");
    let mut body = w.finish();
    body.push_str(&format!("{{\"error parsing tool call\":\"{detail}\"}}\n"));
    let server = FakeOllama::start([
        Reply::ndjson(body),
        Reply::error_body(
            500,
            &format!("{{\"error parsing tool call\":\"{detail}\"}}"),
        ),
    ])
    .await
    .unwrap();
    let req = OllamaChatRequest::new(MODEL, vec![ChatRequestMessage::user("Weather?")]);
    let mut stream = client(&server).chat_stream(&req).await.unwrap();
    assert!(matches!(
        stream.next().await,
        Some(Ok(ChatEvent::Thinking(_)))
    ));
    match stream.next().await {
        Some(Err(Error::ToolCallParse {
            raw,
            detail: d,
            status: None,
            partial,
        })) => {
            assert_eq!((raw.as_str(), d.as_str()), ("", detail));
            assert_eq!(partial.thinking, "Hmm.");
        }
        other => panic!("{other:?}"),
    }
    match client(&server).chat_stream(&req).await.unwrap_err() {
        Error::ToolCallParse {
            raw,
            detail: d,
            status: Some(500),
            ..
        } => assert_eq!((raw.as_str(), d.as_str()), ("", detail)),
        other => panic!("{other:?}"),
    }
}

/// Issue 10, remote Ollama: a header from the builder (a proxy's bearer token) and a
/// caller-provided `reqwest::Client` (its own default headers) reach the server on every
/// request.
#[tokio::test]
async fn builder_headers_and_a_callers_http_client_reach_the_server() {
    let server = FakeOllama::start([
        Reply::ndjson(generate_body(Some("stop"))),
        Reply::ndjson(generate_body(Some("stop"))),
    ])
    .await
    .unwrap();
    let with_header = OllamaClient::builder()
        .host(server.url())
        .header("Authorization", "Bearer s3cret")
        .build()
        .unwrap();
    let (text, _, e) = collect_generate(&with_header, &GenerateRequest::new(MODEL, "p")).await;
    assert!(e.is_none(), "{e:?}");
    assert!(text.contains("sunny"), "{text}");

    let mut defaults = reqwest::header::HeaderMap::new();
    defaults.insert("x-proxy-tenant", "team-a".parse().unwrap());
    let http = reqwest::Client::builder()
        .default_headers(defaults)
        .build()
        .unwrap();
    let own = OllamaClient::builder()
        .host(server.url())
        .http_client(http)
        .build()
        .unwrap();
    let (_, _, e) = collect_generate(&own, &GenerateRequest::new(MODEL, "p")).await;
    assert!(e.is_none(), "{e:?}");

    let received = server.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].header("authorization"), Some("Bearer s3cret"));
    assert_eq!(received[0].header("x-proxy-tenant"), None);
    assert_eq!(received[1].header("x-proxy-tenant"), Some("team-a"));
    assert_eq!(received[1].header("authorization"), None);
}

#[test]
fn a_bad_header_is_a_config_error_naming_it() {
    let err = OllamaClient::builder()
        .header("x-token", "line\nbreak")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("HTTP header value"), "{err}");
    let err = OllamaClient::builder()
        .header("bad name", "v")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("\"bad name\""), "{err}");
}
