//! The client under the faults of issue 11 item 1, each over real HTTP on 127.0.0.1
//! against the fake Ollama, with the status lines and bodies of Ollama's own server.
//! Every test is bounded by [`bounded`], so a client that hangs fails instead.

use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use harmony_ollama::testing::{Chunking, FakeOllama, OllamaNdjson, Reply};
use harmony_ollama::{
    ChatEvent, ChatRequestMessage, DecodeError, DoneReason, Error, GenerateEvent, GenerateRequest,
    KeepAlive, NdjsonDecoder, OllamaChatRequest, OllamaClient, TimeoutPhase,
};

const MODEL: &str = "gpt-oss:20b";

async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .expect("the client hung (no bound applied)")
}

fn client(server: &FakeOllama) -> OllamaClient {
    OllamaClient::builder().host(server.url()).build().unwrap()
}

fn req() -> GenerateRequest {
    GenerateRequest::new(MODEL, "<|start|>user<|message|>Hi<|end|><|start|>assistant")
}

/// Runs a raw generate to its end: text, events, the error if any.
async fn run(
    client: &OllamaClient,
    req: &GenerateRequest,
) -> (String, Vec<GenerateEvent>, Option<Error>) {
    let mut stream = match client.generate_raw(req).await {
        Ok(s) => s,
        Err(e) => return (String::new(), Vec::new(), Some(e)),
    };
    let (mut text, mut events, mut error) = (String::new(), Vec::new(), None);
    while let Some(item) = stream.next().await {
        match item {
            Ok(GenerateEvent::Response(f)) => {
                text.push_str(&f);
                events.push(GenerateEvent::Response(f));
            }
            Ok(e) => events.push(e),
            Err(e) => error = Some(e),
        }
    }
    (text, events, error)
}

async fn http_error(reply: Reply) -> (Error, String) {
    let server = FakeOllama::start([reply]).await.unwrap();
    let (_, _, err) = bounded(run(&client(&server), &req())).await;
    let err = err.expect("an error");
    let url = server.url();
    (err, url)
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack
        .to_lowercase()
        .matches(&needle.to_lowercase())
        .count()
}

fn done_of(events: &[GenerateEvent]) -> &harmony_ollama::Done {
    match events.last() {
        Some(GenerateEvent::Done(d)) => d,
        other => panic!("no done event: {other:?}"),
    }
}

#[tokio::test]
async fn stalled_error_body_times_out_on_the_idle_limit_instead_of_hanging() {
    // A 500 whose body stops after 3 of its bytes, the connection held open.
    let server = FakeOllama::start([Reply::error(500, "runner crashed").stall_after(3)])
        .await
        .unwrap();
    let client = OllamaClient::builder()
        .host(server.url())
        .idle_timeout(Some(Duration::from_millis(200)))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = bounded(client.generate_raw(&req())).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: TimeoutPhase::Idle,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn stalled_error_body_times_out_on_the_total_limit_without_an_idle_limit() {
    let server = FakeOllama::start([Reply::error(503, "busy").stall_after(0)])
        .await
        .unwrap();
    let client = OllamaClient::builder()
        .host(server.url())
        .idle_timeout(None)
        .total_timeout(Some(Duration::from_millis(300)))
        .build()
        .unwrap();
    let err = bounded(client.generate_raw(&req())).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: TimeoutPhase::Total,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn blank_keep_alive_lines_do_not_reset_the_idle_timer() {
    // One line of text, then a blank line every 50 ms for 3 s: only content is progress.
    let mut w = OllamaNdjson::new(MODEL);
    w.response("<|channel|>");
    let body = w.finish() + &"\n".repeat(60);
    let server = FakeOllama::start([Reply::ndjson(body).delay(Duration::from_millis(50))])
        .await
        .unwrap();
    let client = OllamaClient::builder()
        .host(server.url())
        .idle_timeout(Some(Duration::from_millis(300)))
        .build()
        .unwrap();
    let started = Instant::now();
    let (text, _, err) = bounded(run(&client, &req())).await;
    assert_eq!(text, "<|channel|>");
    match err {
        Some(Error::Timeout {
            phase: TimeoutPhase::Idle,
            partial,
            ..
        }) => {
            assert_eq!(partial.content, "<|channel|>")
        }
        other => panic!("expected the idle timeout, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_millis(2000),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn done_without_done_reason_is_typed_missing_and_truncated() {
    // What Ollama sends when its runner closed the connection: `done` with no reason.
    let mut w = OllamaNdjson::new(MODEL);
    w.response("<|channel|>final<|message|>Half an ans");
    let body = w.finish()
        + r#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:31Z","response":"","done":true}"#
        + "\n";
    let server = FakeOllama::start([Reply::ndjson(body)]).await.unwrap();
    let (_, events, err) = bounded(run(&client(&server), &req())).await;
    assert!(err.is_none(), "{err:?}");
    let done = done_of(&events);
    assert_eq!(done.reason, DoneReason::Missing);
    assert!(done.is_truncated());
    assert_eq!(done.done_reason(), None);
    assert!(done.reason.diagnostic().unwrap().contains("incomplete"));
}

#[tokio::test]
async fn empty_prompt_is_answered_with_done_reason_load_or_unload() {
    let server = FakeOllama::builder().start().await.unwrap();
    let client = client(&server);
    let (text, events, err) = bounded(run(&client, &GenerateRequest::new(MODEL, ""))).await;
    assert!(err.is_none(), "{err:?}");
    assert!(text.is_empty());
    let done = done_of(&events);
    assert_eq!(done.reason, DoneReason::Load);
    assert!(!done.is_truncated());
    assert!(done.reason.diagnostic().unwrap().contains("no answer"));

    let unload = GenerateRequest::new(MODEL, "").keep_alive(KeepAlive::UnloadNow);
    let (_, events, err) = bounded(run(&client, &unload)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(done_of(&events).reason, DoneReason::Unload);
}

#[tokio::test]
async fn thinking_on_generate_lines_is_delivered_in_any_chunking() {
    // Ollama fills `thinking` on /api/generate when the model's template infers
    // thinking tags; Go writes it right after `response`.
    let mut body = String::new();
    for t in ["The user", " greets \u{2013} ", "<answer>"] {
        body.push_str(&format!(
            "{{\"model\":\"gpt-oss:20b\",\"created_at\":\"2025-08-06T10:15:30Z\",\"response\":\"\",\"thinking\":{},\"done\":false}}\n",
            harmony_ollama::testing::go_json_string(t)
        ));
    }
    body.push_str(r#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:30Z","response":"Hello","done":false}"#);
    body.push('\n');
    body.push_str(r#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:30Z","response":"","done":true,"done_reason":"stop"}"#);
    body.push('\n');
    for chunking in [Chunking::Lines, Chunking::Every(1), Chunking::Every(7)] {
        let server = FakeOllama::start([Reply::ndjson(body.clone()).chunking(chunking)])
            .await
            .unwrap();
        let (text, events, err) = bounded(run(&client(&server), &req())).await;
        assert!(err.is_none(), "{err:?}");
        let thinking: String = events
            .iter()
            .filter_map(|e| match e {
                GenerateEvent::Thinking(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(thinking, "The user greets \u{2013} <answer>");
        assert_eq!(text, "Hello");
    }
}

#[tokio::test]
async fn html_page_with_status_200_says_html_and_from_where() {
    let portal = "<!DOCTYPE html><html><head><title>Hotel Wi-Fi\n login</title></head><body>Accept</body></html>";
    let (err, url) = http_error(Reply::html(200, portal)).await;
    match &err {
        Error::NotOllama {
            status: 200,
            url: got,
            title,
            content_type,
            ..
        } => {
            assert_eq!(got, &format!("{url}/api/generate"));
            assert_eq!(title.as_deref(), Some("Hotel Wi-Fi login"));
            assert_eq!(content_type, "text/html");
        }
        other => panic!("{other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("HTML") && msg.contains(&url), "{msg}");
    assert!(!msg.contains("NDJSON"), "{msg}");
}

#[tokio::test]
async fn html_502_from_a_proxy_is_typed_and_names_the_page() {
    let (err, url) = http_error(Reply::bad_gateway()).await;
    assert!(
        matches!(err, Error::NotOllama { status: 502, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
    let msg = err.to_string();
    assert!(msg.contains(&url) && msg.contains("HTTP 502"), "{msg}");
    assert_eq!(count(&msg, "502 Bad Gateway"), 1, "{msg}");
    assert!(!msg.contains("<html>"), "{msg}");
}

#[tokio::test]
async fn both_404_wordings_are_model_not_found_said_once() {
    for reply in [
        Reply::model_not_found(MODEL),
        Reply::model_not_pulled(MODEL),
    ] {
        let (err, _) = http_error(reply).await;
        let Error::ModelNotFound { model, message } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(model, MODEL);
        assert!(message.contains("not found"));
        let msg = err.to_string();
        assert_eq!(count(&msg, "not found"), 1, "{msg}");
        assert_eq!(count(&msg, MODEL), 2, "model and pull hint: {msg}");
    }
}

#[tokio::test]
async fn http_499_is_canceled_said_once() {
    let (err, _) = http_error(Reply::canceled()).await;
    assert!(matches!(err, Error::Canceled { .. }), "{err:?}");
    assert_eq!(count(&err.to_string(), "cancel"), 1, "{err}");
}

#[tokio::test]
async fn http_503_server_busy_has_a_retry_hint_and_the_retry_after() {
    let (err, _) = http_error(Reply::server_busy().header("Retry-After", "7")).await;
    assert!(matches!(err, Error::Busy { .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(err.is_retryable());
    let msg = err.to_string();
    assert_eq!(count(&msg, "busy"), 1, "{msg}");
    assert_eq!(count(&msg, "try again"), 0, "{msg}");
    assert!(msg.contains("retry after 7 s"), "{msg}");

    let (err, _) = http_error(Reply::server_busy()).await;
    assert_eq!(err.retry_after(), None);
    assert!(err.to_string().ends_with("retry later"), "{err}");
}

#[tokio::test]
async fn http_401_and_403_are_unauthorized_said_once() {
    let (err, _) = http_error(Reply::unauthorized("https://ollama.com/connect?key=abc")).await;
    let Error::Unauthorized {
        status: 401,
        signin_url,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(
        signin_url.as_deref(),
        Some("https://ollama.com/connect?key=abc")
    );
    let msg = err.to_string();
    assert_eq!(count(&msg, "unauthorized"), 1, "{msg}");
    assert!(
        msg.contains("sign in at https://ollama.com/connect?key=abc"),
        "{msg}"
    );

    let (err, _) = http_error(Reply::forbidden("remote inference is disabled")).await;
    assert!(
        matches!(err, Error::Unauthorized { status: 403, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("403") && msg.contains("remote inference is disabled"),
        "{msg}"
    );
}

#[tokio::test]
async fn connection_reset_mid_stream_keeps_the_cause_in_the_message() {
    let mut w = OllamaNdjson::new(MODEL);
    w.response("<|channel|>").response("final");
    let body = w.finish();
    let first_line = body.find('\n').unwrap() + 1;
    let server =
        FakeOllama::start([Reply::ndjson(body + "{\"model\"").reset_after(first_line + 3)])
            .await
            .unwrap();
    let (text, _, err) = bounded(run(&client(&server), &req())).await;
    let err = err.expect("an error");
    assert!(matches!(err, Error::Disconnected { .. }), "{err:?}");
    assert_eq!(err.partial().unwrap().content, text);
    let msg = err.to_string();
    assert!(count(&msg, "reset") >= 1, "the cause is lost: {msg}");
}

#[tokio::test]
async fn connection_closed_mid_chunk_keeps_the_cause_in_the_message() {
    let mut w = OllamaNdjson::new(MODEL);
    w.response("<|channel|>").response("final");
    let body = w.finish();
    let server = FakeOllama::start([Reply::ndjson(body)
        .chunking(Chunking::Every(40))
        .cut_after(50)])
    .await
    .unwrap();
    let (_, _, err) = bounded(run(&client(&server), &req())).await;
    let err = err.expect("an error");
    assert!(matches!(err, Error::Disconnected { .. }), "{err:?}");
    let msg = err.to_string();
    // reqwest's own text is only "error decoding response body"; hyper's cause says
    // what happened to the body.
    assert!(
        msg.len()
            > "the connection to Ollama failed mid-stream: error decoding response body".len(),
        "{msg}"
    );
}

#[tokio::test]
async fn keep_alive_connection_is_reused_across_requests() {
    let server = FakeOllama::builder().start().await.unwrap();
    let client = client(&server);
    for _ in 0..3 {
        let (text, events, err) = bounded(run(&client, &req())).await;
        assert!(err.is_none(), "{err:?}");
        assert!(text.contains("You said: Hi"), "{text}");
        assert_eq!(done_of(&events).reason, DoneReason::Stop);
        // The time a tool takes to run. Ollama writes the body's terminating chunk
        // after the `done` line; hyper reads it in the background and only then puts
        // the connection back in the pool, so a request sent at once may open a new
        // connection (not an error, just not a reuse).
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert_eq!(server.connections(), 1);
    assert!(server.received().iter().all(|r| r.connection == 0));
}

#[tokio::test]
async fn server_closing_an_idle_pooled_connection_is_not_an_error() {
    let server = FakeOllama::builder()
        .close_idle_after(Duration::from_millis(50))
        .start()
        .await
        .unwrap();
    let client = client(&server);
    for _ in 0..3 {
        let (_, _, err) = bounded(run(&client, &req())).await;
        assert!(err.is_none(), "{err:?}");
        // Longer than the server keeps an idle connection.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(server.connections(), 3);
}

#[tokio::test]
async fn chat_stream_reports_load_and_model_not_found_from_the_simulator() {
    let server = FakeOllama::builder().start().await.unwrap();
    let client = client(&server);
    let mut stream = bounded(client.chat_stream(&OllamaChatRequest::new(MODEL, vec![])))
        .await
        .unwrap();
    let mut reasons = Vec::new();
    while let Some(e) = stream.next().await {
        if let ChatEvent::Done(d) = e.unwrap() {
            reasons.push(d.reason);
        }
    }
    assert_eq!(reasons, [DoneReason::Load]);
    let err = bounded(client.chat_stream(&OllamaChatRequest::new(
        "llama9",
        vec![ChatRequestMessage::user("Hi")],
    )))
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::ModelNotFound { ref model, .. } if model == "llama9"),
        "{err:?}"
    );
}

#[test]
fn lone_surrogate_is_named_on_the_fast_path_and_the_serde_path() {
    let lines: [&[u8]; 3] = [
        // The per-token shape the fast path scans.
        br#"{"model":"m","created_at":"t","response":"a\ud800","done":false}"#,
        // Another shape (serde_json only).
        br#"{"response":"\udc00 b","done":false,"extra":1}"#,
        br#"{"response":"\ud800\u0041","done":false}"#,
    ];
    for line in lines {
        let mut d = NdjsonDecoder::new();
        let mut input = line.to_vec();
        input.push(b'\n');
        let mut l = d.feed(&input);
        let err = l.next_generate().unwrap().unwrap_err();
        assert!(
            matches!(err, DecodeError::LoneSurrogate { line: 1, .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("lone surrogate"), "{msg}");
        assert!(!msg.contains("unexpected end of hex escape"), "{msg}");
    }
    // A valid pair and an escaped backslash before `ud800` are fine.
    let mut d = NdjsonDecoder::new();
    let mut l = d.feed(b"{\"response\":\"\\ud83d\\ude00 \\\\ud800\",\"done\":false}\n");
    assert_eq!(
        l.next_generate().unwrap().unwrap().response,
        "\u{1F600} \\ud800"
    );
    // Through a chat line too.
    let mut d = NdjsonDecoder::new();
    let mut l = d.feed(b"{\"message\":{\"role\":\"assistant\",\"content\":\"\\udfff\"}}\n");
    assert!(matches!(
        l.next_chat().unwrap().unwrap_err(),
        DecodeError::LoneSurrogate { column: 43, .. }
    ));
}

#[test]
fn thinking_lines_decode_like_serde_json_on_the_fast_path_shape() {
    // The per-token shape with `thinking` where Go writes it, plain and escaped, and
    // on the last line with its metrics.
    let lines: [&[u8]; 4] = [
        br#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:30Z","response":"","thinking":"The user","done":false}"#,
        br#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:30Z","response":"","thinking":" \u003cb\u003e \ud83d\ude00","done":false}"#,
        br#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:30Z","response":"Hi","thinking":"","done":false}"#,
        br#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:30Z","response":"","thinking":"x","done":true,"done_reason":"stop","total_duration":5,"eval_count":2}"#,
    ];
    for line in lines {
        let mut d = NdjsonDecoder::new();
        let mut input = line.to_vec();
        input.push(b'\n');
        let mut l = d.feed(&input);
        let ours = l.next_generate().unwrap().unwrap();
        let serde: harmony_ollama::GenerateLine<'_> = serde_json::from_slice(line).unwrap();
        assert_eq!(ours, serde);
        assert!(ours.thinking.is_some());
        assert_eq!(
            ours.thinking.as_ref().map(|t| t.is_borrowed()),
            serde.thinking.as_ref().map(|t| t.is_borrowed())
        );
    }
}

#[tokio::test]
async fn non_streaming_call_with_a_stalled_body_is_bounded_by_the_total_limit() {
    let stalled = Reply::json(&serde_json::json!({"version": "0.12.3"})).stall_after(4);
    let server = FakeOllama::builder()
        .replies([stalled])
        .start()
        .await
        .unwrap();
    let client = OllamaClient::builder()
        .host(server.url())
        .idle_timeout(None)
        .total_timeout(Some(Duration::from_millis(300)))
        .build()
        .unwrap();
    let err = bounded(client.version()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: TimeoutPhase::Total,
                ..
            }
        ),
        "{err:?}"
    );
    // The simulator answers the next call on a fresh connection.
    assert_eq!(bounded(client.version()).await.unwrap(), "0.12.3");
    assert_eq!(
        harmony_ollama::DEFAULT_CALL_TIMEOUT,
        Duration::from_secs(30)
    );
}
