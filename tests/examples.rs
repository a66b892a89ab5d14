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
