//! # harmony-kit
//!
//! Talk to gpt-oss models from Rust. This facade re-exports the workspace's crates:
//!
//! - [`stream`]: the zero-copy, incremental harmony parser (token ids and raw text).
//! - [`tools`]: tool calls extracted from parsed messages, streamed as they arrive.
//! - [`chat`]: conversation model and renderer (token ids and text), parity with openai-harmony.
//! - [`ollama`]: the Ollama transport: NDJSON decoder, raw-mode (harmony) and `/api/chat` clients.
//! - [`compat`]: a drop-in for `openai-harmony`'s Rust API (encoding, `StreamableParser`,
//!   message types, tokenizer), built on the above: switching is a change of import.
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
pub use harmony_stream as stream;
pub use harmony_tools as tools;

// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}
