//! # harmony-tools
//!
//! Tool calls in gpt-oss output. A message from the assistant with a recipient other than
//! `assistant`/`user` is a call, on any channel (analysis included); its content is the
//! arguments.
//!
//! - [`ToolExtractor`] streams: `Start` as soon as a call's header is parsed, `Args` for
//!   every piece of the arguments as it arrives (borrowed from the core's delta), `End`
//!   with the arguments parsed, or an [`ArgsError`] that says why not.
//! - [`tool_calls`] and [`Summary`] work on a whole [`Completion`](harmony_stream::Completion).
//! - [`FunctionNameMap`] turns user tool names into identifiers the model can call, and back.
//! - OpenAI Chat Completions chunks are harmony-openai's `ChatEncoder` (over
//!   harmony-ollama's `StreamEvent`s, in both modes).
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

mod args;
mod call;
mod extractor;
mod names;
mod namespace;
mod summary;

pub use args::{parse_arguments, repair_arguments, ArgsError, ArgsRepair, ToolOptions};
pub use call::{tool_calls, tool_calls_with, ToolCall};
pub use extractor::{
    ToolCallEnd, ToolCallStart, ToolDiagnostic, ToolDiagnosticKind, ToolEvent, ToolExtractor,
};
pub use names::{sanitize, FunctionNameMap};
pub use namespace::{Namespace, UnknownNamespace};
pub use summary::{Summary, SummaryDiagnostic, SummaryMessage};
