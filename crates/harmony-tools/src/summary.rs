//! The summary of a completion: what `harmony parse --summary` prints.

use harmony_stream::{Completion, OwnedDiagnostic, Purpose};
use serde::Serialize;

use crate::{tool_calls_with, Namespace, ToolCall, ToolOptions};

/// A completion at a glance: reasoning, content, tool calls, messages and diagnostics.
///
/// Serialises to the JSON object docs/design.md, CLI contract specifies; `reasoning` and `content`
/// are `null` when no message contributed to them.
///
/// ```
/// use harmony_stream::{Collector, TextParser};
/// use harmony_tools::Summary;
///
/// let mut parser = TextParser::new();
/// let mut collector = Collector::new();
/// parser.feed(b"<|channel|>final<|message|>Hi", &mut collector);
/// parser.finish(&mut collector);
/// let summary = Summary::new(&collector.finish());
/// let json = serde_json::to_value(&summary).unwrap();
/// assert_eq!(json["content"], "Hi");
/// assert_eq!(json["reasoning"], serde_json::Value::Null);
/// assert_eq!(json["messages"][0]["stop"], "eof");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Analysis (and unlabelled reasoning) joined with `"\n"`.
    pub reasoning: Option<String>,
    /// Final answer and preambles joined with `"\n"`.
    pub content: Option<String>,
    /// Every tool call.
    pub tool_calls: Vec<ToolCall>,
    /// Every message.
    pub messages: Vec<SummaryMessage>,
    /// Every diagnostic.
    pub diagnostics: Vec<SummaryDiagnostic>,
}

/// One message in a [`Summary`], with `openai-harmony`'s field meanings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SummaryMessage {
    /// `assistant`, `tool`, ...
    pub role: &'static str,
    /// Author name.
    pub name: Option<String>,
    /// Channel as written.
    pub channel: Option<String>,
    /// Recipient.
    pub recipient: Option<String>,
    /// Content type as written.
    pub content_type: Option<String>,
    /// Text.
    pub content: String,
    /// `end`, `call`, `return`, `interrupted` or `eof`.
    pub stop: &'static str,
}

/// One diagnostic in a [`Summary`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SummaryDiagnostic {
    /// snake_case kind.
    pub kind: &'static str,
    /// Byte offset (text) or token index (tokens).
    pub at: u64,
    /// What was seen.
    pub detail: String,
}

impl From<&OwnedDiagnostic> for SummaryDiagnostic {
    fn from(d: &OwnedDiagnostic) -> Self {
        SummaryDiagnostic {
            kind: d.kind.as_str(),
            at: d.at,
            detail: d.detail.clone(),
        }
    }
}

impl Summary {
    /// Summarises a parsed completion (argument repairs on, no tools declared).
    pub fn new(completion: &Completion) -> Summary {
        Self::with_options(completion, &ToolOptions::default())
    }

    /// Summarises with the caller's [`ToolOptions`]. In strict mode a call to an undeclared
    /// function is no tool call: its text joins `content`, in order.
    ///
    /// ```
    /// use harmony_stream::{Collector, TextParser};
    /// use harmony_tools::{Summary, ToolOptions};
    ///
    /// let mut parser = TextParser::new();
    /// let mut collector = Collector::new();
    /// parser.feed(b"<|channel|>commentary to=functions.rm_rf<|message|>{}<|call|>", &mut collector);
    /// parser.finish(&mut collector);
    /// let c = collector.finish();
    /// let strict = Summary::with_options(&c, &ToolOptions::new().declared(["ls"]).strict(true));
    /// assert!(strict.tool_calls.is_empty());
    /// assert_eq!(strict.content.as_deref(), Some("{}"));
    /// assert_eq!(Summary::new(&c).tool_calls.len(), 1);
    /// ```
    pub fn with_options(completion: &Completion, options: &ToolOptions) -> Summary {
        let dropped = |m: &harmony_stream::Message| {
            options.strict
                && m.is_tool_call()
                && m.recipient.as_deref().is_some_and(|r| {
                    let (ns, name) = Namespace::split(r);
                    ns == Namespace::Functions && !options.is_declared(name)
                })
        };
        let content = if completion.messages.iter().any(dropped) {
            let mut out: Option<String> = None;
            for m in completion
                .messages
                .iter()
                .filter(|m| dropped(m) || completion.purpose(m) == Purpose::Content)
            {
                match &mut out {
                    Some(s) => {
                        s.push('\n');
                        s.push_str(&m.content);
                    }
                    None => out = Some(m.content.clone()),
                }
            }
            out
        } else {
            completion.content()
        };
        Summary {
            reasoning: completion.reasoning(),
            content,
            tool_calls: tool_calls_with(completion, options),
            messages: completion
                .messages
                .iter()
                .map(|m| SummaryMessage {
                    role: m.role.as_str(),
                    name: m.name.clone(),
                    channel: m.channel.clone(),
                    recipient: m.recipient.clone(),
                    content_type: m.content_type.clone(),
                    content: m.content.clone(),
                    stop: m.stop.as_str(),
                })
                .collect(),
            diagnostics: completion.diagnostics.iter().map(Into::into).collect(),
        }
    }
}
