//! # harmony-stream
//!
//! A zero-copy, incremental parser for OpenAI's harmony format, the framing gpt-oss models
//! write their output in:
//!
//! ```text
//! <|channel|>analysis<|message|>User wants weather.<|end|>
//! <|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}<|call|>
//! ```
//!
//! Two front ends feed one state machine:
//!
//! - [`TokenParser`]: o200k_harmony token ids, as sampled. Token bytes come from a decode
//!   table built into the crate at compile time: no vocabulary to load, nothing downloaded.
//! - [`TextParser`]: bytes with the markers written out, as Ollama's raw mode, llama.cpp and
//!   logs carry them, split anywhere.
//!
//! Both emit [`Event`]s to a [`Sink`]: `MessageStart` with the parsed [`Header`], `Delta`s of
//! content borrowed from your input (or the vocabulary), `MessageEnd` with the [`Stop`], and
//! [`Diagnostic`]s for every malformation tolerated. Model output never makes a parser fail:
//! headers without `<|message|>`, missing `<|start|>` or `<|end|>`, recipients in odd
//! places, garbage channel names, truncation; each has a defined reading that loses no text.
//! The only error is a caller's: a token id outside the vocabulary ([`TokenError`]).
//!
//! In steady state the parsers do not allocate: per message, the header is parsed into a
//! reused buffer, and deltas are slices.
//!
//! ```
//! use harmony_stream::{Event, TextParser};
//!
//! let mut parser = TextParser::new();
//! let mut answer = String::new();
//! let mut thinking = String::new();
//! let mut in_final = false;
//! for chunk in ["<|channel|>analysis<|message|>2+2 is 4.<|end|><|start|>assi", "stant<|channel|>final<|message|>4"] {
//!     parser.feed(chunk.as_bytes(), &mut |e: Event<'_>| match e {
//!         Event::MessageStart(h) => in_final = h.channel() == Some("final"),
//!         Event::Delta(d) if in_final => answer.push_str(d),
//!         Event::Delta(d) => thinking.push_str(d),
//!         _ => {}
//!     });
//! }
//! assert_eq!((thinking.as_str(), answer.as_str()), ("2+2 is 4.", "4"));
//! ```
//!
//! Three ways to consume events: a [`Sink`] (fastest: nothing is copied), an iterator of
//! [`OwnedEvent`]s per chunk ([`TextParser::events`]), and, with the `stream` feature, an
//! async `Stream` over a stream of chunks (`EventStream`). For whole messages, feed a
//! [`Collector`] and read the [`Completion`]. The facade crate `harmony-kit` offers
//! `harmony_kit::compat`, a drop-in for `openai-harmony`'s API built on this parser.

#![deny(missing_docs)]

mod collector;
mod diagnostic;
mod event;
mod header;
#[cfg(feature = "interop")]
mod interop;
mod machine;
mod marker;
mod options;
#[cfg(feature = "stream")]
mod stream;
mod text;
mod token;
mod utf8;
pub mod vocab;

pub use collector::{Collector, Completion, Message, Purpose};
pub use diagnostic::{Diagnostic, DiagnosticKind, OwnedDiagnostic};
pub use event::{Event, OwnedEvent, Sink, Stop};
pub use header::{Channel, Header, Role};
pub use marker::Marker;
pub use options::ParserOptions;
#[cfg(feature = "stream")]
pub use stream::EventStream;
pub use text::TextParser;
pub use token::{TokenError, TokenParser};
