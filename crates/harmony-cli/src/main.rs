//! `harmony`: parse, render and replay gpt-oss harmony output from the command line.
//!
//! The interface is a contract (DESIGN.md section 6): tests drive the parser through it.
//! Bad input prints one line on stderr and exits 1; malformed harmony is not bad input.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod parse;
mod render;

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
        /// Input file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Parse {
            format,
            events,
            file,
            summary: _,
        } => read_input(file.as_ref()).and_then(|input| {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            parse::run(&input, format, events, &mut out)?;
            out.flush().map_err(|e| format!("cannot write output: {e}"))
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

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}
