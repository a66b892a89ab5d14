//! An agent with its own streaming loop, in both modes: stream the answer, print the text
//! as it arrives, keep the whole response with a `ResponseAccumulator`, run the tool
//! calls, send the results back, until the model answers.
//!
//! `cargo run --example streaming_agent` talks to the bundled fake Ollama (started here)
//! unless `OLLAMA_HOST` is set; then to that Ollama, with `MODEL` (default `gpt-oss:20b`).

use std::io::Write;

use futures_util::StreamExt;
use harmony_kit::chat::{ChatMessage, ChatRole, ChatTool};
use harmony_kit::ollama::testing::{Agent, FakeOllama};
use harmony_kit::ollama::{
    ChatMode, ChatSettings, Error, OllamaClient, ResponseAccumulator, StreamEvent,
};

/// The weather tool the model may call, and what running it gives.
fn weather() -> ChatTool {
    ChatTool::function(
        "get_weather",
        "Current weather in a city.",
        serde_json::json!({"type": "object",
            "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    )
}

fn run_tool(name: &str, arguments: Option<&serde_json::Value>) -> String {
    match (name, arguments.and_then(|a| a["city"].as_str())) {
        ("get_weather", Some(city)) => format!(r#"{{"city": "{city}", "temp": 21}}"#),
        _ => r#"{"error": "unknown tool or missing city"}"#.to_owned(),
    }
}

/// One conversation in `mode`, printed to `out`; returns the final answer.
pub async fn converse(
    client: &OllamaClient,
    model: &str,
    mode: ChatMode,
    out: &mut impl Write,
) -> Result<Option<String>, Error> {
    let tools = [weather()];
    let settings = ChatSettings::new().mode(mode);
    let mut messages = vec![ChatMessage::new(ChatRole::User, "Weather in Paris?")];
    for _step in 0..4 {
        let mut stream = client
            .stream_with(model, &messages, &tools, &settings)
            .await?;
        let mut acc = ResponseAccumulator::new(mode);
        while let Some(event) = stream.next().await {
            let event = event?;
            match &event {
                StreamEvent::Delta { text, .. } => {
                    let _ = write!(out, "{text}");
                }
                StreamEvent::ToolCallStart(start) => {
                    let _ = write!(out, "\n[calling {}] ", start.name);
                }
                StreamEvent::ToolCallArgs { delta, .. } => {
                    let _ = write!(out, "{delta}");
                }
                _ => {}
            }
            acc.push(event);
        }
        let _ = writeln!(out);
        let response = acc.finish();
        if response.tool_calls.is_empty() {
            return Ok(response.final_content);
        }
        messages.push(response.to_message());
        for call in &response.tool_calls {
            let result = run_tool(&call.name, call.arguments.as_ref());
            messages.push(ChatMessage::tool_result(&call.id, &call.name, result));
        }
    }
    Ok(None)
}

/// Both modes against `OLLAMA_HOST`, or against a fake Ollama started here.
pub async fn run(out: &mut impl Write) -> Result<Vec<Option<String>>, Error> {
    let fake;
    let (client, model) = match std::env::var("OLLAMA_HOST") {
        Ok(_) => (
            OllamaClient::from_env()?,
            std::env::var("MODEL").unwrap_or_else(|_| "gpt-oss:20b".into()),
        ),
        Err(_) => {
            fake = FakeOllama::builder()
                .agent(Agent::new().string_value("Paris"))
                .start()
                .await
                .expect("start the fake Ollama on loopback");
            let client = OllamaClient::builder().host(fake.url()).build()?;
            (client, "gpt-oss:20b".to_owned())
        }
    };
    let mut answers = Vec::new();
    for mode in [ChatMode::Harmony, ChatMode::Standard] {
        let _ = writeln!(out, "== {mode:?}");
        answers.push(converse(&client, &model, mode, out).await?);
    }
    Ok(answers)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(&mut std::io::stdout())) {
        Ok(answers) => println!("answers: {answers:?}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
