//! # harmony-tools
//!
//! Tool calls in gpt-oss output. A message from the assistant with a recipient other than
//! `assistant`/`user` is a call, on any channel (analysis included); its content is the
//! arguments. This crate turns parsed messages into [`ToolCall`]s and a whole completion
//! into a [`Summary`] (the shape `harmony parse --summary` prints).
//!
//! ```
//! use harmony_stream::{Collector, TextParser};
//! use harmony_tools::tool_calls;
//!
//! let mut parser = TextParser::new();
//! let mut collector = Collector::new();
//! parser.feed(
//!     br#"<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}<|call|>"#,
//!     &mut collector,
//! );
//! parser.finish(&mut collector);
//! let calls = tool_calls(&collector.finish());
//! assert_eq!(calls[0].name, "get_weather");
//! assert_eq!(calls[0].arguments, Some(serde_json::json!({"city": "Paris"})));
//! ```

#![deny(missing_docs)]

mod call;
mod summary;

pub use call::{split_recipient, tool_calls, ToolCall, BUILTIN_NAMESPACES};
pub use summary::{Summary, SummaryDiagnostic, SummaryMessage};
