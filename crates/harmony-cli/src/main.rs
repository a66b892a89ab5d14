//! `harmony`: parse, render and replay gpt-oss harmony output from the command line.
//!
//! The interface is a contract (docs/design.md, CLI contract): tests drive the parser through it.
//! Bad input prints one line on stderr and exits 1; malformed harmony is not bad input.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod chat;
mod ollama;
mod parse;
mod render;
mod replay;
mod serve;
mod view;

#[derive(Parser)]
#[command(
    name = "harmony",
    version,
    about = "Parse, render and replay gpt-oss harmony output"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse a completion and print a JSON summary (default) or its events.
    Parse {
        /// What the input holds.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Print one JSON object summarising the completion (the default).
        #[arg(long, conflicts_with = "events")]
        summary: bool,
        /// Print one JSON object per event, as they are emitted.
        #[arg(long)]
        events: bool,
        /// The text comes from a server that stripped the special tokens
        /// (`analysis…assistantfinal…`): split it back into messages on the channel words
        /// (text and tokens formats; see docs/design.md, rule 16, for its limits).
        #[arg(long)]
        stripped_special_tokens: bool,
        /// Input file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
    },
    /// Play an Ollama /api/generate recording at its recorded pace: reasoning dimmed, tool
    /// calls with their arguments as they stream, the answer plain.
    Replay {
        /// Recording (NDJSON); the bundled one when omitted.
        file: Option<PathBuf>,
        /// Pace multiplier: 2 plays twice as fast, 0 without delays.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Print the events as JSON lines instead of drawing them.
        #[arg(long)]
        json: bool,
    },
    /// One turn against a live Ollama, drawn like `replay`.
    Chat {
        /// Model name.
        #[arg(long, default_value = "gpt-oss:20b")]
        model: String,
        /// `harmony`: raw /api/generate parsed here; `standard`: Ollama's /api/chat.
        /// Default: HARMONY_MODE / ENABLE_HARMONY_FORMAT, else standard.
        #[arg(long, value_enum)]
        mode: Option<Mode>,
        /// Reasoning effort (default: HARMONY_REASONING_EFFORT, else the model's).
        #[arg(long, value_enum)]
        effort: Option<Effort>,
        /// Ollama's address (default: OLLAMA_HOST, else http://127.0.0.1:11434).
        #[arg(long)]
        host: Option<String>,
        /// The message; standard input when omitted.
        prompt: Vec<String>,
    },
    /// Serve the gateway: OpenAI Chat Completions and Responses, and Ollama's API, over
    /// gpt-oss on Ollama (raw mode) or an OpenAI-style completions server.
    Serve {
        /// Address to listen on (a non-loopback address needs --api-key or --no-auth).
        #[arg(long, default_value = harmony_server::DEFAULT_LISTEN)]
        listen: std::net::SocketAddr,
        /// The upstream's URL (default: OLLAMA_HOST, else http://127.0.0.1:11434).
        #[arg(long)]
        upstream: Option<String>,
        /// What the upstream speaks.
        #[arg(long, value_enum, default_value_t = UpstreamKindArg::Ollama)]
        upstream_kind: UpstreamKindArg,
        /// Require `Authorization: Bearer KEY` (default: HARMONY_API_KEY).
        #[arg(long)]
        api_key: Option<String>,
        /// Serve a non-loopback address without a key.
        #[arg(long)]
        no_auth: bool,
        /// How Chat Completions deltas spell reasoning.
        #[arg(long, value_enum, default_value_t = ReasoningFieldArg::Both)]
        reasoning_field: ReasoningFieldArg,
        /// Log prompt and answer text too (off: counts only).
        #[arg(long)]
        log_text: bool,
        /// Do not serve the operator page at /ui (/metrics stays).
        #[arg(long)]
        no_ui: bool,
        /// Finished turns the operator page keeps, in memory only.
        #[arg(long, default_value_t = 200)]
        history: usize,
        /// Do not continue a turn that ended after reasoning with neither an answer nor a
        /// tool call (by default it is continued once with a final-channel prefill).
        #[arg(long)]
        no_continue_empty_turns: bool,
    },
    /// Render a conversation to token ids or prompt text.
    Render {
        /// `harmony`: openai-harmony's JSON form of a Conversation; `chat`: OpenAI-style
        /// `{"messages": [...], "tools": [...]}`.
        #[arg(long, value_enum, default_value_t = RenderInput::Harmony)]
        input: RenderInput,
        /// `tokens`: a JSON array of token ids; `text`: the prompt text.
        #[arg(long, value_enum, default_value_t = RenderOutput::Tokens)]
        output: RenderOutput,
        /// The role whose turn is opened at the end (`<|start|>assistant`); `none` renders
        /// the history only.
        #[arg(long, default_value = "assistant")]
        next_role: String,
        /// Do not neutralise marker text in message content (text output only). Only for
        /// input you trust: Ollama turns marker text into real special tokens.
        #[arg(long)]
        trusted: bool,
        /// Input file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
    },
}

/// How `harmony chat` talks to Ollama.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Raw `/api/generate`; harmony parsed here (the fix).
    Harmony,
    /// `/api/chat`; harmony parsed by Ollama.
    Standard,
}

/// Reasoning effort for `harmony chat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Effort {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// Upstream protocols of `harmony serve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum UpstreamKindArg {
    /// Ollama: raw `/api/generate`.
    Ollama,
    /// An OpenAI-style `/v1/completions` server (vLLM, SGLang, llama.cpp).
    OpenaiCompletions,
}

/// Reasoning spellings of `harmony serve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReasoningFieldArg {
    /// `reasoning_content` and `reasoning`.
    Both,
    /// `reasoning_content` only (llama.cpp, LM Studio, the AI SDK).
    ReasoningContent,
    /// `reasoning` only (Ollama, vLLM, OpenRouter).
    Reasoning,
}

/// Input shapes of `harmony render`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RenderInput {
    /// openai-harmony's serde form of a `Conversation`.
    Harmony,
    /// OpenAI-style chat messages plus tools.
    Chat,
}

/// Output forms of `harmony render`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RenderOutput {
    /// A JSON array of token ids.
    Tokens,
    /// The prompt text.
    Text,
}

/// Input formats of `harmony parse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Raw text with the markers written out.
    Text,
    /// Token ids: a JSON array, or whitespace-separated.
    Tokens,
    /// NDJSON lines from Ollama's `/api/generate` (raw mode).
    Ollama,
    /// NDJSON lines from Ollama's `/api/chat`.
    OllamaChat,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Parse {
            format,
            events,
            file,
            summary: _,
            stripped_special_tokens,
        } => read_input(file.as_ref()).and_then(|input| {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let options = harmony_stream::ParserOptions::new()
                .stripped_special_tokens(stripped_special_tokens);
            parse::run(&input, format, events, options, &mut out)?;
            out.flush().map_err(|e| format!("cannot write output: {e}"))
        }),
        Command::Replay { file, speed, json } => {
            let input = match &file {
                Some(path) => replay::read(path),
                None => Ok(replay::BUNDLED.to_vec()),
            };
            if !(speed >= 0.0 && speed.is_finite()) {
                Err(format!("--speed must be a finite number >= 0, not {speed}"))
            } else {
                input.and_then(|bytes| replay::run(&bytes, speed, json))
            }
        }
        Command::Chat {
            model,
            mode,
            effort,
            host,
            prompt,
        } => {
            let prompt = if prompt.is_empty() {
                read_input(None).and_then(|b| {
                    String::from_utf8(b).map_err(|_| "the prompt is not UTF-8".to_owned())
                })
            } else {
                Ok(prompt.join(" "))
            };
            prompt.and_then(|prompt| {
                chat::run(chat::ChatArgs {
                    model,
                    mode: mode.map(|m| match m {
                        Mode::Harmony => harmony_ollama::ChatMode::Harmony,
                        Mode::Standard => harmony_ollama::ChatMode::Standard,
                    }),
                    effort: effort.map(|e| match e {
                        Effort::Low => harmony_ollama::ReasoningEffort::Low,
                        Effort::Medium => harmony_ollama::ReasoningEffort::Medium,
                        Effort::High => harmony_ollama::ReasoningEffort::High,
                    }),
                    host,
                    prompt,
                })
            })
        }
        Command::Serve {
            listen,
            upstream,
            upstream_kind,
            api_key,
            no_auth,
            reasoning_field,
            log_text,
            no_ui,
            history,
            no_continue_empty_turns,
        } => serve::run(serve::ServeArgs {
            ui: !no_ui,
            history,
            continue_empty_turns: !no_continue_empty_turns,
            listen: Some(listen),
            upstream,
            upstream_kind: match upstream_kind {
                UpstreamKindArg::Ollama => harmony_server::UpstreamKind::Ollama,
                UpstreamKindArg::OpenaiCompletions => {
                    harmony_server::UpstreamKind::OpenAiCompletions
                }
            },
            api_key,
            no_auth,
            reasoning_field: match reasoning_field {
                ReasoningFieldArg::Both => harmony_openai::ReasoningField::Both,
                ReasoningFieldArg::ReasoningContent => {
                    harmony_openai::ReasoningField::ReasoningContent
                }
                ReasoningFieldArg::Reasoning => harmony_openai::ReasoningField::Reasoning,
            },
            log_text,
        }),
        Command::Render {
            input,
            output,
            next_role,
            trusted,
            file,
        } => read_input(file.as_ref()).and_then(|bytes| {
            let text = render::run(&bytes, input, output, &next_role, trusted)?;
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .and_then(|()| out.flush())
                .map_err(|e| format!("cannot write output: {e}"))
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("harmony: {message}");
            ExitCode::FAILURE
        }
    }
}

fn read_input(file: Option<&PathBuf>) -> Result<Vec<u8>, String> {
    match file {
        Some(path) if path.as_os_str() != "-" => std::fs::read(path)
            .map_err(|e| format!("cannot read {}: {}", path.display(), io_reason(&e))),
        _ => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| format!("cannot read standard input: {}", io_reason(&e)))?;
            Ok(buf)
        }
    }
}

pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}
