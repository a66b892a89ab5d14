//! Ollama for gpt-oss models: the transport, the two chat modes, and the client.
//!
//! Where to start: [`OllamaClient::complete`] (one answer), [`OllamaClient::stream`]
//! ([`StreamEvent`]s) and [`OllamaClient::tool_loop`], all the same in
//! [`ChatMode::Harmony`] (rendered here, raw `/api/generate`, parsed here) and
//! [`ChatMode::Standard`] (`/api/chat`, with Ollama's tool-call parse errors salvaged).
//!
//! # Layers
//!
//! Each layer imports only the ones below it (the crate's `tests/module_graph.rs`
//! checks the import graph has no cycle and no upward edge):
//!
//! 1. **Transport** (sans-IO but for the byte streams): [`NdjsonDecoder`] for Ollama's
//!    streaming NDJSON, fed byte chunks split anywhere, yielding typed
//!    [`GenerateLine`]s and [`ChatLine`]s whose strings borrow from the input when
//!    they contain no JSON escape; the requests ([`GenerateRequest`], [`OllamaChatRequest`],
//!    [`Options`]); [`Config`] from `OLLAMA_HOST`, `HARMONY_MODE` /
//!    `ENABLE_HARMONY_FORMAT`, `HARMONY_CHANNELS`, `HARMONY_REASONING_EFFORT`; the
//!    typed [`Error`]s, which keep the text already received; and the body streams
//!    [`GenerateStream`] / [`ChatStream`] of [`GenerateEvent`]s / [`ChatEvent`]s.
//! 2. **Modes** (sans-IO): the [`Engine`] turns the transport's events of either mode
//!    into [`StreamEvent`]s (harmony parse, stop-token inference, salvage of `error
//!    parsing tool call`, channel filter); a [`HarmonyResponse`] is built from those;
//!    [`harmony_prompt`] is what harmony mode sends. Only this layer uses
//!    `harmony-chat` and `harmony-tools`.
//! 3. **Client** (async): [`OllamaClient`] and all its methods: raw HTTP
//!    ([`generate_raw`](OllamaClient::generate_raw),
//!    [`chat_stream`](OllamaClient::chat_stream)), the modes over a live stream
//!    ([`ModeStream`], [`complete_with_mode`](OllamaClient::complete_with_mode),
//!    [`stream_with_mode`](OllamaClient::stream_with_mode)) and the [`ToolLoop`].
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

// Three layers, each importing only those below it (checked by tests/module_graph.rs):
//
// 1. `transport`: sans-IO NDJSON decoding (decoder, fast path, wire lines), requests,
//    options, configuration, errors, and the async byte streams of a response body.
// 2. `modes`: sans-IO, transport events to `StreamEvent`s (engine, translation,
//    salvage) and to a `HarmonyResponse`, plus the prompt each mode sends.
// 3. `client`: `OllamaClient` with every `impl` block: HTTP, `ModeStream` (the engine
//    over a live stream), `complete`, the tool loop.
mod client;
mod modes;
mod transport;

#[cfg(feature = "test-util")]
pub mod testing;

// Layer 3: the client.
pub use client::{
    ClientBuilder, ModeStream, OllamaClient, ToolLoop, ToolLoopOutcome, DEFAULT_CALL_TIMEOUT,
    DEFAULT_MAX_STEPS,
};
// Layer 2: the modes.
pub use modes::engine::Engine;
pub use modes::events::{EventSink, ResponseDiagnostic, ResponseDiagnosticKind, StreamEvent};
pub use modes::prompt::harmony_prompt;
pub use modes::response::{ChannelTiming, HarmonyResponse, ResponseAccumulator, ResponseMetadata};
pub use modes::settings::ChatSettings;
// Layer 1: the transport.
pub use transport::config::{normalize_host, Channels, ChatMode, Config, DEFAULT_HOST};
// The workspace's one `Channel` (harmony-stream's) and one `ReasoningEffort`
// (harmony-chat's), so values pass between the crates unconverted; likewise the
// per-request `ResponseFormat` and `SystemContent`.
pub use harmony_chat::{ReasoningEffort, ResponseFormat, SystemContent};
pub use harmony_stream::Channel;
pub use transport::error::{
    parse_tool_call_error, ConfigError, DecodeError, Error, Partial, TimeoutPhase,
};
pub use transport::fragment::Fragment;
pub use transport::line::{
    ChatLine, GenerateLine, OllamaMetrics, WireChatMessage, WireToolCall, WireToolCallFunction,
};
pub use transport::ndjson::{Lines, NdjsonDecoder, RawLine, DEFAULT_MAX_LINE_LEN};
pub use transport::options::{KeepAlive, Options, MAX_NUM_CTX};
pub use transport::request::{ChatRequestMessage, GenerateRequest, OllamaChatRequest};
pub use transport::stream::{
    chat_line_events, generate_line_events, ChatEvent, ChatStream, Done, DoneReason, GenerateEvent,
    GenerateStream, OllamaToolCall, ResponseStream,
};
pub use transport::text::Text;
