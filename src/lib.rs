//! # harmony-kit
//!
//! Talk to gpt-oss models from Rust. This facade re-exports the workspace's crates:
//!
//! - [`stream`]: the zero-copy, incremental harmony parser (token ids and raw text).
//! - [`tools`]: tool calls extracted from parsed messages, streamed as they arrive.
//! - [`chat`]: conversation model and renderer (token ids and text), parity with openai-harmony.
//! - [`ollama`]: Ollama in both modes: the client ([`ollama::OllamaClient`]: `complete`,
//!   `stream`, `tool_loop`), the sans-IO mode engine and the NDJSON transport.
//! - [`openai`]: the OpenAI protocol, sans-IO: Chat Completions / Responses requests in,
//!   and [`openai::ChatEncoder`], the chunk adapter over [`ollama::StreamEvent`]s.
//! - [`compat`]: a drop-in for `openai-harmony`'s Rust API (encoding, `StreamableParser`,
//!   message types, tokenizer), built on the above: switching is a change of import.
//!
//! Features (off by default), forwarded to the crates that implement them:
//! `rustls-tls` (HTTPS to a remote Ollama), `test-util` (the loopback fake Ollama,
//! `harmony_kit::ollama::testing`), `interop` (harmony-stream's conversions to
//! openai-harmony's types).
//!
//! ```
//! use harmony_kit::stream::{Collector, TextParser};
//!
//! let mut parser = TextParser::new();
//! let mut collector = Collector::new();
//! parser.feed(b"<|channel|>final<|message|>Hi!<|return|>", &mut collector);
//! parser.finish(&mut collector);
//! let completion = collector.finish();
//! assert_eq!(completion.content().as_deref(), Some("Hi!"));
//! ```

pub mod compat;

/// serde_json, the version this crate is built with: tool schemas, arguments and results
/// are its `Value`s, so an agent needs no dependency of its own for them.
///
/// ```
/// let schema = harmony_kit::serde_json::json!({"type": "object"});
/// let tool = harmony_kit::chat::ChatTool::function("now", "The time.", schema);
/// assert_eq!(tool.function.name, "now");
/// ```
pub use serde_json;

/// Tokio, the runtime the Ollama client runs on (with its `rt` feature: a
/// current-thread runtime), so an agent needs no dependency of its own to run it.
///
/// ```
/// let runtime = harmony_kit::tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// assert_eq!(runtime.block_on(async { 1 + 1 }), 2);
/// ```
pub use tokio;

pub use harmony_chat as chat;
pub use harmony_ollama as ollama;
pub use harmony_openai as openai;
pub use harmony_stream as stream;
pub use harmony_tools as tools;

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}
