//! The crate's one error type.

use crate::model::Role;

/// Why a conversation could not be rendered or converted.
///
/// `Display` is always a single line, fit to be printed as a CLI error.
///
/// ```
/// let err = "robot".parse::<harmony_chat::Role>().unwrap_err();
/// assert_eq!(err.to_string(), "unknown role `robot` (expected user, assistant, system, developer or tool)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// A role name that is not `user`, `assistant`, `system`, `developer` or `tool`.
    #[error("unknown role `{0}` (expected user, assistant, system, developer or tool)")]
    UnknownRole(String),
    /// A reasoning effort that is not `low`, `medium` or `high`.
    #[error("unknown reasoning effort `{0}` (expected low, medium or high)")]
    UnknownReasoningEffort(String),
    /// A tool message without an author name: its header would be empty.
    #[error("message {index}: a tool message needs an author name (e.g. `functions.get_weather`)")]
    ToolWithoutName {
        /// Index of the message in the conversation.
        index: usize,
    },
    /// System content outside a system message, or developer content outside a
    /// developer message.
    #[error("message {index}: {content} content may only appear in {content} messages, found in a {role} message")]
    MisplacedContent {
        /// Index of the message in the conversation.
        index: usize,
        /// `"system"` or `"developer"`.
        content: &'static str,
        /// The role of the message it was found in.
        role: Role,
    },
    /// A chat `tool` message whose `tool_call_id` names no earlier tool call and that
    /// has no `name` either, so its author cannot be known.
    #[error("chat message {index}: tool result for unknown tool call `{id}` and no `name` given")]
    UnknownToolCall {
        /// Index of the chat message.
        index: usize,
        /// The `tool_call_id`, or empty when none was given.
        id: String,
    },
    /// A name that would be written into a message header or the tool namespace (an
    /// author, recipient, channel, content type, tool or namespace name) is not a name:
    /// written as given, a space or ` to=` would add a recipient to the header and a line
    /// break would declare new tools (see [`is_valid_name`](crate::is_valid_name) for the
    /// rule and the policy).
    #[error("{field}: {} is not a valid name ({expected})", crate::names::shown(.value))]
    InvalidName {
        /// Where the name is, e.g. `messages[3].tool_calls[0].function.name`.
        field: String,
        /// The offending value, as given.
        value: String,
        /// The rule it breaks.
        expected: &'static str,
    },
}
