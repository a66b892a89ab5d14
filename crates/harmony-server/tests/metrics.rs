//! `/metrics` after a scripted run through the gateway: every count exact.

mod ui_common;

use harmony_ollama::testing::FakeOllama;
use harmony_server::ServeConfig;
use serde_json::json;
use ui_common::{chat, completion, gateway, show, weather_tool};

/// The value of the sample named `name` (labels included, as encoded), or `None`.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_count_a_scripted_run_exactly() {
    let upstream = FakeOllama::start([
        show(131_072),
        // 1: a clean call.
        completion(&[
            "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>",
            "{\"city\":\"Paris\"}",
        ]),
        // 2: a call whose header has a space after <|constrain|> (repaired).
        completion(&[
            "<|channel|>commentary to=functions.get_weather <|constrain|> json<|message|>",
            "{\"city\":\"Rome\"}",
        ]),
        // 3: a call whose arguments are not JSON (failed).
        completion(&[
            "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>",
            "{\"city\" \"Oslo\"}",
        ]),
        // 4: an answer with a stray <|end|> (a parser diagnostic, no call).
        completion(&["<|channel|>final<|message|>Hello.<|end|><|end|>"]),
        // 5: the upstream drops the connection mid-stream.
        completion(&["<|channel|>final<|message|>", "Cut"]).cut_after(150),
    ])
    .await
    .unwrap();
    let (base, state) = gateway(&upstream, ServeConfig::default()).await;
    let (mut prompt, mut completion_tokens) = (0, 0);
    for _ in 0..4 {
        let (status, body) = chat(
            &base,
            json!({"model": "gpt-oss:20b", "tools": weather_tool(),
                "messages": [{"role": "user", "content": "Weather?"}]}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        prompt += body["usage"]["prompt_tokens"].as_u64().unwrap();
        completion_tokens += body["usage"]["completion_tokens"].as_u64().unwrap();
    }
    let (cut_status, cut_body) = chat(
        &base,
        json!({"model": "gpt-oss:20b", "tools": weather_tool(),
            "messages": [{"role": "user", "content": "Weather?"}]}),
    )
    .await;
    assert_eq!(cut_status, 502, "{cut_body}");
    let (status, _) = chat(&base, json!({"model": 1})).await;
    assert_eq!(status, 400);
    // The turns end (and are counted) when the response is done.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while state.monitor.finished() < 5 {
        assert!(std::time::Instant::now() < until);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    let resp = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = resp.text().await.unwrap();
    let chat_ok =
        "harmony_requests_total{route=\"/v1/chat/completions\",protocol=\"chat\",status=\"200\"}";
    let chat_bad =
        "harmony_requests_total{route=\"/v1/chat/completions\",protocol=\"chat\",status=\"400\"}";
    assert_eq!(sample(&text, chat_ok), Some(4.0));
    let cut = format!("harmony_requests_total{{route=\"/v1/chat/completions\",protocol=\"chat\",status=\"{cut_status}\"}}");
    assert_eq!(sample(&text, &cut), Some(1.0));
    assert_eq!(
        sample(
            &text,
            "harmony_upstream_errors_total{kind=\"disconnected\"}"
        ),
        Some(1.0)
    );
    assert_eq!(sample(&text, chat_bad), Some(1.0));
    assert_eq!(
        sample(
            &text,
            "harmony_tool_calls_total{outcome=\"clean\",kind=\"\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "harmony_tool_calls_total{outcome=\"repaired\",kind=\"content_type_spacing\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "harmony_tool_calls_total{outcome=\"failed\",kind=\"invalid_json\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "harmony_parser_diagnostics_total{kind=\"content_type_spacing\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "harmony_parser_diagnostics_total{kind=\"stray_stop\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "harmony_time_to_first_token_seconds_count"),
        Some(4.0)
    );
    // The tokens are what the clients were told in `usage` (the cut turn's prompt
    // counts too: it was sent), the completions' `eval_count`.
    let total_prompt = sample(&text, "harmony_prompt_tokens_total").unwrap();
    // Five identical prompts; the cut one (no usage sent) counts like the others.
    assert_eq!(prompt % 4, 0);
    assert_eq!(total_prompt, (prompt / 4 * 5) as f64);
    assert_eq!(
        sample(&text, "harmony_completion_tokens_total"),
        Some(completion_tokens as f64)
    );
}
