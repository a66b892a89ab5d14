//! Ollama transport for gpt-oss models.
//!
//! - [`NdjsonDecoder`]: a sans-IO decoder for Ollama's streaming NDJSON, fed byte
//!   chunks split anywhere, yielding typed [`GenerateLine`]s and [`ChatLine`]s whose
//!   strings borrow from the input when they contain no JSON escape.
//! - [`OllamaClient`]: an async client streaming raw `/api/generate` (harmony text)
//!   and `/api/chat`, with typed errors that keep the text already received.
//! - Chat modes: [`OllamaClient::complete_with_mode`] ([`HarmonyResponse`]) and
//!   [`OllamaClient::stream_with_mode`] ([`StreamEvent`]s), the same in
//!   [`ChatMode::Harmony`] (rendered here, raw `/api/generate`, parsed here) and
//!   [`ChatMode::Standard`] (`/api/chat`, with Ollama's tool-call parse errors salvaged).
//! - [`ToolLoop`]: run the model's tool calls until it answers.
//! - [`Config`]: settings from `OLLAMA_HOST`, `HARMONY_MODE` / `ENABLE_HARMONY_FORMAT`,
//!   `HARMONY_CHANNELS`, `HARMONY_REASONING_EFFORT`.
//!
//! ```
//! use harmony_ollama::NdjsonDecoder;
//!
//! // Ollama escapes `<` and `>` the Go way; the decoder hands back the real text.
//! let mut decoder = NdjsonDecoder::new();
//! let mut out = String::new();
//! for chunk in [&b"{\"response\":\"\\u00"[..], b"3c|end|\\u003e\",\"done\":false}\n"] {
//!     let mut lines = decoder.feed(chunk);
//!     while let Some(line) = lines.next_generate() {
//!         out.push_str(&line.unwrap().response);
//!     }
//! }
//! assert_eq!(out, "<|end|>");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod config;
mod engine;
mod error;
mod events;
mod fast;
mod fragment;
mod harmony;
mod line;
mod ndjson;
mod options;
mod request;
mod salvage;
mod stream;
mod text;
mod tool_loop;

#[cfg(feature = "test-util")]
pub mod testing;

pub use client::{ClientBuilder, OllamaClient, DEFAULT_CALL_TIMEOUT};
pub use config::{
    normalize_host, Channel, Channels, ChatMode, Config, ReasoningEffort, DEFAULT_HOST,
};
pub use engine::{Engine, EventSink};
pub use error::{parse_tool_call_error, ConfigError, DecodeError, Error, Partial, TimeoutPhase};
pub use events::{ModeStream, ResponseDiagnostic, ResponseDiagnosticKind, StreamEvent};
pub use fragment::Fragment;
pub use harmony::{ChannelTiming, HarmonyResponse, ResponseMetadata};
pub use line::{ChatLine, ChatMessage, GenerateLine, Metrics, ToolCall, ToolCallFunction};
pub use ndjson::{Lines, NdjsonDecoder, RawLine, DEFAULT_MAX_LINE_LEN};
pub use options::{KeepAlive, Options, MAX_NUM_CTX};
pub use request::{ChatRequest, ChatRequestMessage, GenerateRequest};
pub use stream::{
    chat_line_events, generate_line_events, ChatEvent, ChatStream, ChatToolCall, Done, DoneReason,
    GenerateEvent, GenerateStream,
};
pub use text::Text;
pub use tool_loop::{ToolLoop, ToolLoopOutcome, DEFAULT_MAX_STEPS};
