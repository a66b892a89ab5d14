//! The runnable examples run here, against the bundled fake Ollama (no `OLLAMA_HOST`).

#[allow(dead_code)] // `main` is the example's, not called here.
#[path = "../examples/streaming_agent.rs"]
mod streaming_agent;

#[tokio::test]
async fn the_streaming_agent_answers_in_both_modes() {
    // The example reads OLLAMA_HOST; under it the test would talk to a real Ollama.
    if std::env::var_os("OLLAMA_HOST").is_some() {
        eprintln!("OLLAMA_HOST is set: the example would not use the fake; skipped");
        return;
    }
    let mut printed = Vec::new();
    let answers = streaming_agent::run(&mut printed).await.unwrap();
    let expected = Some(r#"The tool returned: {"city": "Paris", "temp": 21}"#.to_owned());
    assert_eq!(answers, [expected.clone(), expected]);
    let printed = String::from_utf8(printed).unwrap();
    // The call was streamed with its arguments, in both modes.
    assert_eq!(
        printed.matches("[calling get_weather]").count(),
        2,
        "{printed}"
    );
    assert!(printed.contains(r#"{"city":"Paris"}"#), "{printed}");
}

#[allow(dead_code)]
#[path = "../examples/tool_loop.rs"]
mod tool_loop;

#[tokio::test]
async fn the_tool_loop_agent_answers_in_both_modes_quietly_and_streaming() {
    if std::env::var_os("OLLAMA_HOST").is_some() {
        eprintln!("OLLAMA_HOST is set: the example would not use the fake; skipped");
        return;
    }
    let mut printed = Vec::new();
    let answers = tool_loop::run(&mut printed).await.unwrap();
    let expected = Some(r#"The tool returned: {"city": "Paris", "temp": 21}"#.to_owned());
    assert_eq!(answers, vec![expected; 4]);
    let printed = String::from_utf8(printed).unwrap();
    // Each mode's quiet run took two requests (the call, then the answer).
    assert_eq!(printed.matches(": 2 requests: ").count(), 2, "{printed}");
    // The streaming runs showed the call, with its step, and its arguments as they came.
    assert_eq!(
        printed.matches("[step 1: calling get_weather]").count(),
        2,
        "{printed}"
    );
    assert!(printed.contains(r#"{"city":"Paris"}"#), "{printed}");
    assert!(printed.contains("The tool returned:"), "{printed}");
}
