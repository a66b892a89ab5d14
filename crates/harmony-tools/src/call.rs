//! One tool call, taken from one message.

use harmony_stream::{Completion, Message, Stop};
use serde::Serialize;

use crate::ArgsError;

/// Namespaces gpt-oss knows without a declaration.
pub const BUILTIN_NAMESPACES: [&str; 3] = ["browser", "python", "container"];

/// A tool call the model made.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolCall {
    /// The function's name, without its namespace (`get_weather`).
    pub name: String,
    /// The recipient as written (`functions.get_weather`).
    pub recipient: String,
    /// `functions`, or a built-in namespace (`browser`, `python`, `container`).
    pub namespace: String,
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
    /// Why `arguments` is `None` (not part of the summary's JSON).
    #[serde(skip)]
    pub arguments_error: Option<ArgsError>,
}

impl ToolCall {
    /// The call `message` makes, if it is one.
    ///
    /// ```
    /// use harmony_stream::{Message, Role, Stop};
    /// use harmony_tools::ToolCall;
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
    /// assert_eq!((call.namespace.as_str(), call.name.as_str()), ("browser", "search"));
    /// ```
    pub fn from_message(message: &Message) -> Option<ToolCall> {
        if !message.is_tool_call() {
            return None;
        }
        let recipient = message.recipient.clone()?;
        let (namespace, name) = split_recipient(&recipient);
        let (namespace, name) = (namespace.to_owned(), name.to_owned());
        let raw = message.content.clone();
        let complete = message.stop != Stop::Eof;
        let code = message.content_type.as_deref() == Some("code")
            || matches!(namespace.as_str(), "python" | "container");
        let parsed = crate::args::parse(&raw, code, complete);
        Some(ToolCall {
            name,
            namespace,
            recipient,
            channel: message.channel.clone(),
            content_type: message.content_type.clone(),
            arguments: parsed.as_ref().ok().cloned(),
            arguments_error: parsed.err(),
            raw_arguments: raw,
            complete,
        })
    }
}

/// Splits a recipient into namespace and name.
///
/// `functions.x` and the built-ins (`browser.search`, `container.exec`) split at the first
/// dot; `python` is its own namespace. A bare name (`lookup_weather`) or another dotted name
/// (`math.sum`) is taken as a function the model forgot to prefix: namespace `functions`,
/// the name kept whole (as vLLM does).
///
/// ```
/// use harmony_tools::split_recipient;
/// assert_eq!(split_recipient("functions.get_weather"), ("functions", "get_weather"));
/// assert_eq!(split_recipient("container.exec"), ("container", "exec"));
/// assert_eq!(split_recipient("python"), ("python", "python"));
/// assert_eq!(split_recipient("math.sum"), ("functions", "math.sum"));
/// ```
pub fn split_recipient(recipient: &str) -> (&str, &str) {
    if let Some((ns, name)) = recipient.split_once('.') {
        if ns == "functions" || BUILTIN_NAMESPACES.contains(&ns) {
            return (ns, name);
        }
    }
    if BUILTIN_NAMESPACES.contains(&recipient) {
        return (recipient, recipient);
    }
    ("functions", recipient)
}

/// Every tool call in a completion, in order.
pub fn tool_calls(completion: &Completion) -> Vec<ToolCall> {
    completion
        .messages
        .iter()
        .filter_map(ToolCall::from_message)
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
