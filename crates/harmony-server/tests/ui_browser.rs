//! The operator page in a real browser: headless Chromium over the DevTools protocol,
//! the gateway in-process against the fake Ollama. Skipped (with a message) when
//! Chromium is missing, unless `CI` is set.

mod ui_common;

use std::time::Duration;

use harmony_ollama::testing::{Chunking, FakeOllama};
use harmony_server::ServeConfig;
use serde_json::json;
use ui_common::{chat, chromium, completion, gateway, show, weather_tool, Browser};

/// A tool-calling conversation, first request: the model calls get_weather.
async fn ask(base: &str) {
    let (status, _) = chat(
        base,
        json!({"model": "gpt-oss:20b", "tools": weather_tool(),
            "messages": [{"role": "user", "content": "What is the weather in Paris?"}]}),
    )
    .await;
    assert_eq!(status, 200);
}

/// Second request: it brings the call's result; the model answers.
async fn answer_with_result(base: &str) {
    let (status, _) = chat(
        base,
        json!({"model": "gpt-oss:20b", "tools": weather_tool(), "messages": [
            {"role": "user", "content": "What is the weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp_c\":18,\"sky\":\"cloudy\"}"}]}),
    )
    .await;
    assert_eq!(status, 200);
}

fn call_pieces() -> Vec<&'static str> {
    vec![
        "<|channel|>analysis<|message|>",
        "The user wants the weather in Paris. ",
        "I should call get_weather.",
        "<|end|><|start|>assistant<|channel|>commentary<|message|>",
        "Let me look that up.",
        "<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather ",
        "<|constrain|>json<|message|>",
        "{\"city\":",
        "\"Paris\"}",
    ]
}

fn answer_pieces() -> Vec<&'static str> {
    vec![
        "<|channel|>analysis<|message|>",
        "18 degrees and cloudy.",
        "<|end|><|start|>assistant<|channel|>final<|message|>",
        "It is 18 °C and cloudy in Paris.",
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_shows_reasoning_call_result_answer_and_counts() {
    let Some(bin) = chromium() else { return };
    let upstream = FakeOllama::start([
        show(131_072),
        completion(&call_pieces()),
        completion(&answer_pieces()),
    ])
    .await
    .unwrap();
    let (base, _state) = gateway(&upstream, ServeConfig::default()).await;
    ask(&base).await;

    let mut b = Browser::start(&bin, 1280, 860).await;
    b.goto(&format!("{base}/ui#turn-1")).await;
    b.wait_for("document.querySelector('#turn-items .call .state.ok')", 10)
        .await;
    assert_eq!(b.text("#turn-items .call .result pre").await, json!(null));
    // The next request brings the result: the turn on screen shows it as it comes.
    answer_with_result(&base).await;
    b.wait_for(
        "document.querySelector('#turn-items .call .result pre')",
        10,
    )
    .await;
    // The list: newest first, both finished, and the figures.
    b.wait_for(
        "document.querySelectorAll('#turn-rows tr').length === 2",
        20,
    )
    .await;
    let ids = b
        .eval("[...document.querySelectorAll('#turn-rows tr')].map(r => r.dataset.id)")
        .await;
    assert_eq!(ids, json!(["2", "1"]));
    b.wait_for("document.getElementById('g-turns').textContent === '2'", 10)
        .await;
    assert_eq!(b.text("#g-calls").await, json!("100% of 1"));
    assert_eq!(b.text("#g-repairs").await, json!("0"));
    assert_eq!(
        b.eval(
            "document.querySelector('#turn-rows tr[data-id=\"1\"] td:nth-child(4)').textContent"
        )
        .await,
        json!("done")
    );

    // The first turn: reasoning muted, the preamble, the call with its full arguments
    // and the result the second request brought.
    b.eval("document.querySelector('#turn-rows tr[data-id=\"1\"]').click()")
        .await;
    b.wait_for("document.querySelector('#turn-items .call .state.ok')", 10)
        .await;
    assert_eq!(
        b.text("#turn-items details.reasoning .text").await,
        json!("The user wants the weather in Paris. I should call get_weather.")
    );
    let muted = b
        .eval(
            "(() => { const r = getComputedStyle(document.querySelector('details.reasoning')).color;
              const a = getComputedStyle(document.body).color; return r !== a; })()",
        )
        .await;
    assert_eq!(muted, json!(true), "reasoning is drawn in the muted colour");
    assert_eq!(
        b.eval("document.querySelector('details.reasoning').open")
            .await,
        json!(true)
    );
    assert_eq!(
        b.text("#turn-items .preamble .text").await,
        json!("Let me look that up.")
    );
    assert_eq!(
        b.text("#turn-items .call .name").await,
        json!("get_weather")
    );
    assert_eq!(
        b.text("#turn-items .call .args").await,
        json!("{\"city\":\"Paris\"}")
    );
    assert_eq!(
        b.text("#turn-items .call .result pre").await,
        json!("{\"temp_c\":18,\"sky\":\"cloudy\"}")
    );
    // Collapsible: a click on its summary folds the reasoning.
    b.eval("document.querySelector('details.reasoning summary').click()")
        .await;
    assert_eq!(
        b.eval("document.querySelector('details.reasoning').open")
            .await,
        json!(false)
    );

    // The second turn: the answer, and the tool result its request brought.
    b.eval("document.querySelector('#turn-rows tr[data-id=\"2\"]').click()")
        .await;
    b.wait_for("document.querySelector('#turn-items .answer')", 10)
        .await;
    assert_eq!(
        b.text("#turn-items .answer .text").await,
        json!("It is 18 °C and cloudy in Paris.")
    );
    assert!(b
        .text("#turn-results")
        .await
        .as_str()
        .unwrap()
        .contains("{\"temp_c\":18,\"sky\":\"cloudy\"}"));

    // The screenshot for the README: `HARMONY_UI_SCREENSHOT=docs/operator-view.png`.
    if let Some(path) = std::env::var_os("HARMONY_UI_SCREENSHOT") {
        b.eval("document.querySelector('#turn-rows tr[data-id=\"1\"]').click()")
            .await;
        b.wait_for(
            "document.querySelector('#turn-items .call .result pre')",
            10,
        )
        .await;
        std::fs::write(path, b.screenshot().await).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_opened_mid_stream_catches_up() {
    let Some(bin) = chromium() else { return };
    let words: Vec<String> = (0..40).map(|i| format!("word{i} ")).collect();
    let mut pieces = vec!["<|channel|>final<|message|>"];
    pieces.extend(words.iter().map(String::as_str));
    // One line per write, 100 ms apart: about four seconds of streaming.
    let slow = completion(&pieces)
        .chunking(Chunking::Lines)
        .delay(Duration::from_millis(100));
    let upstream = FakeOllama::start([show(131_072), slow]).await.unwrap();
    let (base, state) = gateway(&upstream, ServeConfig::default()).await;
    // The browser first: its start-up must not eat the stream.
    let mut b = Browser::start(&bin, 1024, 768).await;
    let request = tokio::spawn({
        let base = base.clone();
        async move {
            chat(
                &base,
                json!({"model": "gpt-oss:20b", "stream": true,
                    "messages": [{"role": "user", "content": "Count."}]}),
            )
            .await
        }
    });
    // Wait until the turn is streaming, and a while into it.
    let until = std::time::Instant::now() + Duration::from_secs(10);
    while state.monitor.in_flight() == 0 {
        assert!(std::time::Instant::now() < until, "the turn never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    b.goto(&format!("{base}/ui#turn-1")).await;
    b.wait_for("document.querySelector('#turn-items .answer .text')", 10)
        .await;
    // Opened mid-stream: it shows what was generated so far, still streaming...
    let early = b.text("#turn-items .answer .text").await;
    let early = early.as_str().unwrap().to_owned();
    assert!(early.starts_with("word0 word1 "), "{early:?}");
    assert_eq!(
        b.text("#t-status").await,
        json!("streaming"),
        "the page opened while the turn streamed"
    );
    // ...and catches up with everything, then the end.
    let full: String = words.concat();
    b.wait_for(
        "document.getElementById('t-status').textContent === 'done'",
        20,
    )
    .await;
    assert_eq!(b.text("#turn-items .answer .text").await, json!(full));
    let (status, _) = request.await.unwrap();
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_output_shows_as_text() {
    let Some(bin) = chromium() else { return };
    let evil = "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\"><b>bold</b>";
    let upstream = FakeOllama::start([
        show(131_072),
        completion(&[
            "<|channel|>analysis<|message|>",
            "<i>thinking</i>",
            "<|end|><|start|>assistant<|channel|>final<|message|>",
            evil,
        ]),
    ])
    .await
    .unwrap();
    let (base, _state) = gateway(&upstream, ServeConfig::default()).await;
    let (status, _) = chat(
        &base,
        json!({"model": "<svg onload=\"window.pwned=3\">",
            "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(status, 200);

    let mut b = Browser::start(&bin, 1024, 768).await;
    b.goto(&format!("{base}/ui#turn-1")).await;
    b.wait_for("document.querySelector('#turn-items .answer .text')", 10)
        .await;
    b.wait_for(
        "document.querySelectorAll('#turn-rows tr').length === 1",
        10,
    )
    .await;
    assert_eq!(b.text("#turn-items .answer .text").await, json!(evil));
    assert_eq!(
        b.text("#turn-items .reasoning .text").await,
        json!("<i>thinking</i>")
    );
    assert_eq!(
        b.text("#turn-rows tr td:nth-child(2)").await,
        json!("<svg onload=\"window.pwned=3\">")
    );
    let injected = b
        .eval("document.querySelectorAll('main script, main img, main b, main i, main svg').length")
        .await;
    assert_eq!(injected, json!(0), "no element came from model output");
    assert_eq!(b.eval("typeof window.pwned").await, json!("undefined"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repairs_are_marked_where_they_happened_at_phone_width() {
    let Some(bin) = chromium() else { return };
    let upstream = FakeOllama::start([
        show(131_072),
        completion(&[
            "<|channel|>analysis<|message|>Call it.<|end|>",
            // A space after <|constrain|>: tolerated and repaired (content_type_spacing).
            "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|> json<|message|>",
            "{\"city\":\"Lyon\"}",
        ]),
    ])
    .await
    .unwrap();
    let (base, _state) = gateway(&upstream, ServeConfig::default()).await;
    let (status, _) = chat(
        &base,
        json!({"model": "gpt-oss:20b", "tools": weather_tool(),
            "messages": [{"role": "user", "content": "Weather in Lyon?"}]}),
    )
    .await;
    assert_eq!(status, 200);

    // A phone's width.
    let mut b = Browser::start(&bin, 390, 844).await;
    b.goto(&format!("{base}/ui#turn-1")).await;
    b.wait_for("document.querySelector('#turn-items .call .state.ok')", 10)
        .await;
    // The diagnostic sits before the call it repaired, says what and shows the raw text.
    let order = b
        .eval("[...document.querySelectorAll('#turn-items > .item')].map(e => e.className)")
        .await;
    assert_eq!(
        order,
        json!(["item reasoning", "item diag", "item call"]),
        "reasoning, the repair, then the call"
    );
    let title = b
        .eval("document.querySelector('#turn-items .diag').title")
        .await;
    assert!(
        title
            .as_str()
            .unwrap()
            .starts_with("content_type_spacing: "),
        "{title}"
    );
    assert!(b
        .text("#turn-items .diag")
        .await
        .as_str()
        .unwrap()
        .contains("repaired content_type_spacing"));
    assert_eq!(
        b.text("#turn-items .call .state").await,
        json!("repaired: content_type_spacing")
    );
    assert_eq!(
        b.text("#turn-items .call .args").await,
        json!("{\"city\":\"Lyon\"}")
    );
    b.wait_for(
        "document.getElementById('g-repairs').textContent === '1'",
        10,
    )
    .await;
    // Usable at that width: nothing wider than the screen but the table's own scroller.
    let overflow = b
        .eval("document.documentElement.scrollWidth <= window.innerWidth")
        .await;
    assert_eq!(overflow, json!(true), "no sideways scrolling at 390 px");
    // Light and dark system themes.
    let background = "getComputedStyle(document.body).backgroundColor";
    assert_eq!(b.eval(background).await, json!("rgb(255, 255, 255)"));
    b.call(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}),
    )
    .await;
    assert_eq!(b.eval(background).await, json!("rgb(13, 17, 23)"));
}
