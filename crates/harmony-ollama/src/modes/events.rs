//! The events both modes produce: [`StreamEvent`] and the crate's own
//! [`ResponseDiagnostic`]s.
//!
//! - Harmony mode: the `response` fragments of a raw `/api/generate` stream go through
//!   `harmony-stream`'s parser as they arrive, and every core event through
//!   `harmony-tools`' extractor, so tool-call arguments stream delta by delta.
//! - Standard mode: `/api/chat`'s `thinking` / `content` / `tool_calls` are mapped into
//!   the same events (an `analysis` message, a `final` message, one call message per
//!   tool call), and Ollama's `error parsing tool call` is salvaged into a call.
//!
//! Channels outside the configured set ([`Config::channels`](crate::Config::channels),
//! `HARMONY_CHANNELS`) never reach the caller: their messages are not reported at all.
//! Tool calls are always reported, whatever channel they were made on: they are
//! addressed to the caller's tools, not shown to a user, and a tool loop needs them.

use std::fmt;

use harmony_stream::{Channel, Header, OwnedDiagnostic, Stop};
use harmony_tools::{ToolCallEnd, ToolCallStart};

use crate::transport::stream::Done;

/// Something this crate noticed about a response, beyond the harmony parser's own
/// diagnostics: a salvaged tool call, a tool name it had to guess or repair.
///
/// ```
/// use harmony_ollama::{ResponseDiagnostic, ResponseDiagnosticKind};
/// let d = ResponseDiagnostic::new(ResponseDiagnosticKind::ToolNameUnknown, Some(0), "no tool declared");
/// assert_eq!(d.to_string(), "tool_name_unknown (call 0): no tool declared");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseDiagnostic {
    /// What happened.
    pub kind: ResponseDiagnosticKind,
    /// The tool call it concerns, if any.
    pub call: Option<usize>,
    /// Details for humans (Ollama's error text, the name as written, ...).
    pub message: String,
}

impl ResponseDiagnostic {
    /// A diagnostic.
    ///
    /// ```
    /// use harmony_ollama::{ResponseDiagnostic, ResponseDiagnosticKind};
    /// let d = ResponseDiagnostic::new(ResponseDiagnosticKind::UnknownTool, None, "x");
    /// assert_eq!(d.kind, ResponseDiagnosticKind::UnknownTool);
    /// ```
    pub fn new(
        kind: ResponseDiagnosticKind,
        call: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        ResponseDiagnostic {
            kind,
            call,
            message: message.into(),
        }
    }
}

impl fmt::Display for ResponseDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.call {
            Some(i) => write!(f, "{} (call {i}): {}", self.kind, self.message),
            None => write!(f, "{}: {}", self.kind, self.message),
        }
    }
}

/// The kinds of [`ResponseDiagnostic`].
///
/// ```
/// assert_eq!(harmony_ollama::ResponseDiagnosticKind::ToolCallSalvaged.as_str(), "tool_call_salvaged");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseDiagnosticKind {
    /// Ollama's parser rejected a tool call (`error parsing tool call`); the call was
    /// rebuilt from the raw text it reported. The message is Ollama's error.
    ToolCallSalvaged,
    /// Ollama reported the failure without the raw text (the `"error parsing tool
    /// call"` key of Ollama 0.11.3/0.11.4): the arguments are lost.
    ToolCallTextLost,
    /// Ollama's error does not name the tool; the only declared tool was assumed.
    ToolNameAssumed,
    /// Ollama's error does not name the tool and several (or no) tools were declared:
    /// the call's name is `unknown`.
    ToolNameUnknown,
    /// The called name is not among the declared tools (the call is delivered anyway).
    UnknownTool,
    /// Marker text or a glued content type was cut off the called name.
    ToolNameRepaired,
    /// The answer did not end normally: cut at the token limit, the runner closed the
    /// connection (`done` without `done_reason`), or Ollama only loaded or unloaded the
    /// model. The message says which.
    AbnormalEnd,
    /// Standard mode: marker text in a message or tool was neutralised before it went to
    /// `/api/chat` (Ollama's template output is tokenized with special tokens parsed,
    /// so it would otherwise become real markers). The message says where.
    MarkersNeutralised,
}

impl ResponseDiagnosticKind {
    /// snake_case name.
    ///
    /// ```
    /// assert_eq!(harmony_ollama::ResponseDiagnosticKind::UnknownTool.as_str(), "unknown_tool");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ResponseDiagnosticKind::ToolCallSalvaged => "tool_call_salvaged",
            ResponseDiagnosticKind::ToolCallTextLost => "tool_call_text_lost",
            ResponseDiagnosticKind::ToolNameAssumed => "tool_name_assumed",
            ResponseDiagnosticKind::ToolNameUnknown => "tool_name_unknown",
            ResponseDiagnosticKind::UnknownTool => "unknown_tool",
            ResponseDiagnosticKind::ToolNameRepaired => "tool_name_repaired",
            ResponseDiagnosticKind::AbnormalEnd => "abnormal_end",
            ResponseDiagnosticKind::MarkersNeutralised => "markers_neutralised",
        }
    }
}

impl fmt::Display for ResponseDiagnosticKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event of [`OllamaClient::stream_with_mode`](crate::OllamaClient::stream_with_mode), the same in both modes.
///
/// A message is `MessageStart`, then `Delta`s (text) or `ToolCallStart`, `ToolCallArgs`s
/// and `ToolCallEnd` (a tool call), then `MessageEnd`. Diagnostics may come anywhere;
/// `Done` is always last.
///
/// ```
/// use harmony_ollama::{Channel, StreamEvent};
/// let e = StreamEvent::Delta { channel: Some(Channel::Final), text: "Hi".into() };
/// assert!(matches!(e, StreamEvent::Delta { channel: Some(Channel::Final), .. }));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// A message starts: role, channel, recipient (for a tool call), content type.
    MessageStart(Header),
    /// Text of the open message (not a tool call), on its channel (`None`: no known
    /// channel; such text counts as content).
    Delta {
        /// The message's channel.
        channel: Option<Channel>,
        /// The new text.
        text: String,
    },
    /// The open message ended.
    MessageEnd(Stop),
    /// A tool call starts (harmony-tools' start: index, id, name, namespace, ...).
    ToolCallStart(ToolCallStart),
    /// More of a call's raw arguments, as the model writes them (harmony mode), or all
    /// of them at once (standard mode: Ollama sends calls whole).
    ToolCallArgs {
        /// The call's index.
        index: usize,
        /// The new text.
        delta: String,
    },
    /// A tool call ended, its arguments checked (`error` says why they are not a JSON
    /// object; `raw` keeps them as written).
    ToolCallEnd(ToolCallEnd),
    /// Malformed output the harmony parser tolerated.
    Diagnostic(OwnedDiagnostic),
    /// Something this crate repaired, guessed or salvaged.
    ResponseDiagnostic(ResponseDiagnostic),
    /// The end: Ollama's `done` line (model, `done_reason`, metrics). For a salvaged
    /// tool-call failure, `done_reason` is `None` (Ollama sent no `done` line).
    Done(Done),
}

/// Where [`StreamEvent`]s go: any `FnMut(StreamEvent)`.
pub type EventSink<'a> = dyn FnMut(StreamEvent) + 'a;
