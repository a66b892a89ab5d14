//! An agent that lets the library run the tool loop, in both modes: `ToolLoop::run`
//! returns the answer once the model stops calling tools; `ToolLoop::run_with_events`
//! does the same and shows every event of every step as it is generated (here: the
//! text of every channel and each call's arguments, printed as they stream).
//!
//! `cargo run --example tool_loop` talks to the bundled fake Ollama (started here)
//! unless `OLLAMA_HOST` is set; then to that Ollama, with `MODEL` (default `gpt-oss:20b`).

use std::io::Write;

use harmony_kit::chat::{ChatMessage, ChatRole, ChatTool};
use harmony_kit::ollama::testing::{Agent, FakeOllama};
use harmony_kit::ollama::{ChatMode, Error, OllamaClient, StreamEvent};
use harmony_kit::tools::ToolCall;

fn weather() -> ChatTool {
    ChatTool::function(
        "get_weather",
        "Current weather in a city.",
        serde_json::json!({"type": "object",
            "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    )
}

/// Runs one call: the loop hands over calls whose arguments are a JSON object.
async fn run_tool(call: ToolCall) -> String {
    match call.arguments.as_ref().and_then(|a| a["city"].as_str()) {
        Some(city) if call.name == "get_weather" => format!(r#"{{"city": "{city}", "temp": 21}}"#),
        _ => r#"{"error": "unknown tool or missing city"}"#.to_owned(),
    }
}

fn question() -> Vec<ChatMessage> {
    vec![ChatMessage::new(ChatRole::User, "Weather in Paris?")]
}

/// The loop, quietly: the final answer and how many model requests it took.
pub async fn answer(
    client: &OllamaClient,
    model: &str,
    mode: ChatMode,
) -> Result<(Option<String>, usize), Error> {
    let outcome = client
        .tool_loop(model, &[weather()])
        .mode(mode)
        .max_steps(4)
        .run(question(), run_tool)
        .await?;
    Ok((outcome.response.final_content, outcome.steps))
}

/// The loop, streaming every step to `out` as it is generated.
pub async fn answer_streaming(
    client: &OllamaClient,
    model: &str,
    mode: ChatMode,
    out: &mut (impl Write + Send),
) -> Result<Option<String>, Error> {
    let outcome = client
        .tool_loop(model, &[weather()])
        .mode(mode)
        .run_with_events(question(), run_tool, |step, event| {
            // Printing is best effort: a closed stdout must not stop the agent.
            let _ = match event {
                StreamEvent::Delta { text, .. } => write!(out, "{text}"),
                StreamEvent::ToolCallStart(start) => {
                    write!(out, "\n[step {step}: calling {}] ", start.name)
                }
                StreamEvent::ToolCallArgs { delta, .. } => write!(out, "{delta}"),
                StreamEvent::Done(_) => writeln!(out),
                _ => Ok(()),
            };
        })
        .await?;
    Ok(outcome.response.final_content)
}

/// Both modes, both ways, against `OLLAMA_HOST` or a fake Ollama started here.
pub async fn run(out: &mut (impl Write + Send)) -> Result<Vec<Option<String>>, Error> {
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
        let (text, steps) = answer(&client, &model, mode).await?;
        let _ = writeln!(out, "== {mode:?}: {steps} requests: {text:?}");
        answers.push(text);
        answers.push(answer_streaming(&client, &model, mode, out).await?);
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
