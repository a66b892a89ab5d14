//! `harmony chat`: one turn against a live Ollama, drawn with the replay view.

use futures_util::StreamExt;
use harmony_chat::{
    from_chat, ChatMessage, ChatOptions, ChatRole, Renderer, Role, SystemContent, TextOptions,
};
use harmony_ollama::{
    ChatMode, ChatRequestMessage, Error, GenerateRequest, OllamaChatRequest, OllamaClient,
    ReasoningEffort,
};

use crate::ollama::{to_core, Feeder, StreamEnd};
use crate::view::View;

/// What `harmony chat` was asked.
pub struct ChatArgs {
    /// Model name (`gpt-oss:20b`).
    pub model: String,
    /// Harmony (raw `/api/generate`, our parser) or standard (`/api/chat`, Ollama's).
    pub mode: Option<ChatMode>,
    /// Reasoning effort.
    pub effort: Option<ReasoningEffort>,
    /// Ollama's address (else `OLLAMA_HOST`, else the default).
    pub host: Option<String>,
    /// The user's message.
    pub prompt: String,
}

/// Runs one turn and draws it.
pub fn run(args: ChatArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(turn(args))
}

async fn turn(args: ChatArgs) -> Result<(), String> {
    // The environment (OLLAMA_HOST, HARMONY_MODE, ...) first; flags override it.
    let mut builder = harmony_ollama::ClientBuilder::from_env().map_err(|e| e.to_string())?;
    if let Some(host) = &args.host {
        builder = builder.host(host.clone());
    }
    if let Some(mode) = args.mode {
        builder = builder.mode(mode);
    }
    if args.effort.is_some() {
        builder = builder.reasoning_effort(args.effort);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let mode = client.config().mode;
    let mut view = View::new(std::io::stdout().lock(), crate::view::use_color());
    let end = match mode {
        ChatMode::Harmony => harmony_turn(&client, &args, &mut view).await?,
        ChatMode::Standard => standard_turn(&client, &args, &mut view).await?,
    };
    if let Some((_, detail)) = end.done_diagnostic() {
        eprintln!("harmony: {detail}");
    }
    view.footer(end.eval_count())
        .map_err(|e| format!("cannot write output: {e}"))?;
    match end.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

async fn harmony_turn<W: std::io::Write>(
    client: &OllamaClient,
    args: &ChatArgs,
    view: &mut View<W>,
) -> Result<StreamEnd, String> {
    let mut system = SystemContent::new();
    if let Some(effort) = client.config().reasoning_effort {
        system = system.with_reasoning_effort(match effort {
            ReasoningEffort::Low => harmony_chat::ReasoningEffort::Low,
            ReasoningEffort::Medium => harmony_chat::ReasoningEffort::Medium,
            ReasoningEffort::High => harmony_chat::ReasoningEffort::High,
        });
    }
    let options = ChatOptions {
        system,
        ..ChatOptions::default()
    };
    let messages = [ChatMessage::new(ChatRole::User, args.prompt.clone())];
    let prompt = from_chat(&messages, &[], &options)
        .and_then(|c| {
            Renderer::new().render_text_for_completion(&c, Role::Assistant, &TextOptions::default())
        })
        .map_err(|e| e.to_string())?;
    let mut stream = client
        .generate_raw(&GenerateRequest::new(args.model.clone(), prompt.text))
        .await
        .map_err(|e| explain(&e, client.host()))?;
    let mut feeder = Feeder::new(ChatMode::Harmony);
    while let Some(event) = stream.next().await {
        if let Err(e) = &event {
            // The transport's own error (a reset, a timeout) is said as the client says it.
            if !matches!(e, Error::Stream { .. }) {
                let message = explain(e, client.host());
                feeder.finish(&mut |e| to_core(&e, view));
                return Err(message);
            }
        }
        feeder.generate_event(event, &mut |e| to_core(&e, view));
        view.flush();
    }
    Ok(feeder.finish(&mut |e| to_core(&e, view)))
}

async fn standard_turn<W: std::io::Write>(
    client: &OllamaClient,
    args: &ChatArgs,
    view: &mut View<W>,
) -> Result<StreamEnd, String> {
    let request = OllamaChatRequest::new(
        args.model.clone(),
        vec![ChatRequestMessage::user(args.prompt.clone())],
    );
    let mut stream = client
        .chat_stream(&request)
        .await
        .map_err(|e| explain(&e, client.host()))?;
    let mut feeder = Feeder::new(ChatMode::Standard);
    while let Some(event) = stream.next().await {
        if let Err(e) = &event {
            if !matches!(e, Error::Stream { .. } | Error::ToolCallParse { .. }) {
                let message = explain(e, client.host());
                feeder.finish(&mut |e| to_core(&e, view));
                return Err(message);
            }
        }
        feeder.chat_event(event, &mut |e| to_core(&e, view));
        view.flush();
    }
    Ok(feeder.finish(&mut |e| to_core(&e, view)))
}

/// One line a person can act on.
fn explain(e: &Error, host: &str) -> String {
    match e {
        Error::Connect { .. } => format!(
            "no Ollama server answered at {host}; start one with `ollama serve`, or point OLLAMA_HOST or --host at it"
        ),
        _ => e.to_string(),
    }
}
