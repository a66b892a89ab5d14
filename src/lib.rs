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

pub use harmony_chat as chat;
pub use harmony_ollama as ollama;
pub use harmony_openai as openai;
pub use harmony_stream as stream;
pub use harmony_tools as tools;

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}
