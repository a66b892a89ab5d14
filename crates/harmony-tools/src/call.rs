//! One tool call, taken from one message.

use harmony_stream::{Completion, Message, Stop};
use serde::Serialize;

use crate::args::{self, ArgsError, ArgsRepair, ToolOptions};
use crate::Namespace;

/// A tool call the model made.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolCall {
    /// The call's id (`call_…`), as the streaming extractor gave it: the id a tool result
    /// answers (`tool_call_id`). Empty for calls read from a whole completion
    /// ([`tool_calls`]), which have no stream to number them; left out of the JSON then.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// The tool's name: the recipient without a leading `functions.` (`get_weather`), so
    /// built-ins keep their full names (`browser.search`, `python`, `container.exec`) and
    /// never collide with a user function called `search`.
    pub name: String,
    /// The recipient as written (`functions.get_weather`).
    pub recipient: String,
    /// [`Functions`](Namespace::Functions), or a built-in namespace (`browser`, `python`,
    /// `container`).
    pub namespace: Namespace,
    /// The channel the call was made on (usually `commentary`; `analysis` happens).
    pub channel: Option<String>,
    /// Content type as written (`<|constrain|>json`, `json`, `code`).
    pub content_type: Option<String>,
    /// The arguments parsed as JSON, or `None` when they are not JSON.
    pub arguments: Option<serde_json::Value>,
    /// The arguments exactly as the model wrote them.
    pub raw_arguments: String,
    /// Whether the message ended before the input did (false: truncated).
    pub complete: bool,
    /// Why `arguments` is `None`; in the summary's JSON only then, as
    /// `{"kind": "invalid_json", "message": "…"}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments_error: Option<ArgsError>,
    /// The repairs that turned the raw text into `arguments` (docs/design.md, "Tool-argument
    /// repairs"); in the summary's JSON only when there were some.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repairs: Vec<ArgsRepair>,
}

impl ToolCall {
    /// The call `message` makes, if it is one.
    ///
    /// ```
    /// use harmony_stream::{Message, Role, Stop};
    /// use harmony_tools::{Namespace, ToolCall};
    ///
    /// let m = Message {
    ///     role: Role::Assistant,
    ///     name: None,
    ///     channel: Some("analysis".into()),
    ///     recipient: Some("browser.search".into()),
    ///     content_type: Some("code".into()),
    ///     content: "{\"query\": \"rust\"}".into(),
    ///     stop: Stop::Call,
    /// };
    /// let call = ToolCall::from_message(&m).unwrap();
    /// assert_eq!((call.namespace, call.name.as_str()), (Namespace::Browser, "browser.search"));
    /// ```
    pub fn from_message(message: &Message) -> Option<ToolCall> {
        Self::from_message_with(message, &ToolOptions::default())
    }

    /// [`from_message`](Self::from_message) with the caller's [`ToolOptions`]: repairs on
    /// or off, schemas, and strict mode (a call to an undeclared function is `None`).
    ///
    /// ```
    /// use harmony_stream::{Message, Role, Stop};
    /// use harmony_tools::{ArgsRepair, ToolCall, ToolOptions};
    ///
    /// let m = Message {
    ///     role: Role::Assistant,
    ///     name: None,
    ///     channel: Some("commentary".into()),
    ///     recipient: Some("functions.f".into()),
    ///     content_type: Some("<|constrain|>json".into()),
    ///     content: "[{\"a\": 1}]".into(),
    ///     stop: Stop::Call,
    /// };
    /// let call = ToolCall::from_message(&m).unwrap();
    /// assert_eq!(call.arguments, Some(serde_json::json!({"a": 1})));
    /// assert_eq!(call.repairs, [ArgsRepair::SingleElementArray]);
    /// let strict = ToolOptions::new().declared(["g"]).strict(true);
    /// assert!(ToolCall::from_message_with(&m, &strict).is_none());
    /// ```
    pub fn from_message_with(message: &Message, options: &ToolOptions) -> Option<ToolCall> {
        if !message.is_tool_call() {
            return None;
        }
        let recipient = message.recipient.clone()?;
        let (namespace, name) = Namespace::split(&recipient);
        let name = name.to_owned();
        if options.strict && namespace == Namespace::Functions && !options.is_declared(&name) {
            return None;
        }
        let raw = message.content.clone();
        let complete = message.stop != Stop::Eof;
        let code = message.content_type.as_deref() == Some("code") || namespace.takes_code();
        let parsed = args::repaired(&raw, code, complete, &name, options);
        let (arguments, repairs, arguments_error) = match parsed {
            Ok((v, r)) => (Some(v), r.into_iter().map(|(k, _)| k).collect(), None),
            Err(e) => (None, Vec::new(), Some(e)),
        };
        Some(ToolCall {
            id: String::new(),
            name,
            namespace,
            recipient,
            channel: message.channel.clone(),
            content_type: message.content_type.clone(),
            arguments,
            arguments_error,
            repairs,
            raw_arguments: raw,
            complete,
        })
    }
}

/// Every tool call in a completion, in order (repairs on, nothing declared).
pub fn tool_calls(completion: &Completion) -> Vec<ToolCall> {
    tool_calls_with(completion, &ToolOptions::default())
}

/// Every tool call in a completion, read with `options` (see [`ToolOptions`]).
///
/// ```
/// use harmony_stream::{Collector, TextParser};
/// use harmony_tools::{tool_calls_with, ToolOptions};
///
/// let mut parser = TextParser::new();
/// let mut collector = Collector::new();
/// parser.feed(br#"<|channel|>commentary to=functions.f<|message|>{"a":1}]<|call|>"#, &mut collector);
/// parser.finish(&mut collector);
/// let c = collector.finish();
/// assert!(tool_calls_with(&c, &ToolOptions::new())[0].arguments.is_some());
/// assert!(tool_calls_with(&c, &ToolOptions::new().repairs(false))[0].arguments.is_none());
/// ```
pub fn tool_calls_with(completion: &Completion, options: &ToolOptions) -> Vec<ToolCall> {
    completion
        .messages
        .iter()
        .filter_map(|m| ToolCall::from_message_with(m, options))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use harmony_stream::Role;

    fn msg(recipient: Option<&str>, role: Role, content: &str, stop: Stop) -> Message {
        Message {
            role,
            name: None,
            channel: Some("commentary".into()),
            recipient: recipient.map(Into::into),
            content_type: None,
            content: content.into(),
            stop,
        }
    }

    #[test]
    fn only_assistant_messages_to_tools_are_calls() {
        let call = msg(Some("functions.f"), Role::Assistant, "{}", Stop::Call);
        assert!(ToolCall::from_message(&call).is_some());
        for m in [
            msg(None, Role::Assistant, "{}", Stop::End),
            msg(Some("assistant"), Role::Assistant, "{}", Stop::End),
            msg(Some("assistant"), Role::Tool, "{}", Stop::End),
            msg(Some("functions.f"), Role::User, "{}", Stop::End),
        ] {
            assert!(ToolCall::from_message(&m).is_none(), "{m:?}");
        }
    }

    #[test]
    fn arguments_that_are_not_json_keep_the_raw_text() {
        let call = ToolCall::from_message(&msg(
            Some("functions.f"),
            Role::Assistant,
            "{\"a\"",
            Stop::Eof,
        ))
        .unwrap();
        assert_eq!(call.arguments, None);
        assert_eq!(call.raw_arguments, "{\"a\"");
        assert!(!call.complete);
        let call = ToolCall::from_message(&msg(
            Some("f"),
            Role::Assistant,
            "\n{\"a\": 1}\n",
            Stop::End,
        ))
        .unwrap();
        assert_eq!(call.arguments, Some(serde_json::json!({"a": 1})));
        assert!(call.complete);
    }
}
