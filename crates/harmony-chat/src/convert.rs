//! OpenAI-style chat messages to harmony conversations, and parsed harmony messages back.
//!
//! **To harmony** ([`from_chat`]):
//!
//! - A harmony conversation starts with a system message that configures the model
//!   (identity, dates, reasoning effort, channels): it comes from [`ChatOptions::system`].
//! - The chat `system` and `developer` messages are the developer's instructions: their
//!   texts, joined by a blank line, become the developer message's `# Instructions`, and
//!   the chat `tools` become its `functions` namespace. (Harmony has one developer
//!   message, so instructions given mid-conversation move to the top.)
//! - `user` messages stay user messages (`name` becomes the author name).
//! - An `assistant` message becomes, in order: its `reasoning`/`thinking` as an
//!   `analysis` message (if the reasoning policy keeps it); with tool calls, its
//!   `content` as a `commentary` preamble and each call as a `commentary` message to
//!   `functions.<name>` with content type `<|constrain|>json` and the arguments as
//!   content; without tool calls, its `content` as the `final` answer.
//! - A `tool` message becomes a message from the tool `functions.<name>` to `assistant`
//!   on `commentary`, the tool's name found through `tool_call_id` (or `name`, or the
//!   oldest unanswered call).
//! - Reasoning ([`ReasoningPolicy::FormatRule`], the default): harmony drops the chain
//!   of thought of every assistant turn that ended in a final answer and keeps it while
//!   the assistant is still working (calling tools after the last final answer).
//!
//! **Back** ([`to_chat`]): consecutive assistant messages up to a `final` one become one
//! assistant chat message: `analysis` text is `reasoning`, tool calls are `tool_calls`
//! (ids `call_0`, `call_1`, ... in order), and only the `final` channel (or a message
//! without channel) is the visible `content`; a `commentary` preamble is the `content`
//! of a message that carries tool calls, as in OpenAI's shape.

use std::collections::VecDeque;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::RenderError;
use crate::model::{
    Author, Content, Conversation, DeveloperContent, Message, Role, SystemContent, ToolDescription,
};
use crate::names::check_name;

/// A chat message in OpenAI's shape (also Ollama's: `thinking` is read as `reasoning`,
/// and tool-call arguments may be a JSON object instead of a string).
///
/// ```
/// use harmony_chat::ChatMessage;
///
/// let m: ChatMessage = serde_json::from_str(r#"{
///     "role": "assistant",
///     "content": null,
///     "thinking": "Need the weather.",
///     "tool_calls": [{"id": "call_0", "type": "function",
///                     "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]
/// }"#).unwrap();
/// assert_eq!(m.reasoning.as_deref(), Some("Need the weather."));
/// assert_eq!(m.tool_calls[0].function.arguments, r#"{"city":"Paris"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `developer`, `user`, `assistant` or `tool`.
    pub role: ChatRole,
    /// The text; a list of `{"type": "text", "text": ...}` parts is joined.
    #[serde(
        default,
        deserialize_with = "de_content",
        skip_serializing_if = "Option::is_none"
    )]
    pub content: Option<String>,
    /// Author name (users) or tool name (tool results).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The assistant's tool calls.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ChatToolCall>,
    /// Which call a tool result answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// The assistant's chain of thought (`thinking` and `reasoning_content` are read too).
    #[serde(
        default,
        alias = "thinking",
        alias = "reasoning_content",
        skip_serializing_if = "Option::is_none"
    )]
    pub reasoning: Option<String>,
}

impl ChatMessage {
    /// A message with text content.
    ///
    /// ```
    /// use harmony_chat::{ChatMessage, ChatRole};
    /// let m = ChatMessage::new(ChatRole::User, "hi");
    /// assert_eq!(m.content.as_deref(), Some("hi"));
    /// ```
    pub fn new(role: ChatRole, content: impl Into<String>) -> Self {
        ChatMessage {
            role,
            content: Some(content.into()),
            ..Default::default()
        }
    }

    /// A tool's result: the answer to call `call_id` of tool `name`.
    ///
    /// ```
    /// use harmony_chat::{ChatMessage, ChatRole};
    /// let m = ChatMessage::tool_result("call_0", "get_weather", r#"{"temp": 21}"#);
    /// assert_eq!(m.role, ChatRole::Tool);
    /// assert_eq!(m.tool_call_id.as_deref(), Some("call_0"));
    /// assert_eq!(m.name.as_deref(), Some("get_weather"));
    /// ```
    pub fn tool_result(
        call_id: impl Into<String>,
        name: impl Into<String>,
        content: impl Into<String>,
    ) -> Self {
        ChatMessage {
            role: ChatRole::Tool,
            content: Some(content.into()),
            name: Some(name.into()),
            tool_call_id: Some(call_id.into()),
            ..Default::default()
        }
    }
}

/// The role of a chat message.
///
/// ```
/// let r: harmony_chat::ChatRole = serde_json::from_str("\"tool\"").unwrap();
/// assert_eq!(r, harmony_chat::ChatRole::Tool);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatRole {
    /// Developer instructions (OpenAI's older name).
    System,
    /// Developer instructions.
    Developer,
    /// The user.
    #[default]
    User,
    /// The model.
    Assistant,
    /// A tool result.
    Tool,
}

/// One tool call of an assistant chat message.
///
/// ```
/// use harmony_chat::ChatToolCall;
/// let c = ChatToolCall::new("call_0", "get_weather", r#"{"city":"Paris"}"#);
/// assert_eq!(c.function.name, "get_weather");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatToolCall {
    /// The call id (tool results refer to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Always `function`.
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    /// Which function, with which arguments.
    pub function: ChatFunctionCall,
}

impl ChatToolCall {
    /// A function call.
    ///
    /// ```
    /// let c = harmony_chat::ChatToolCall::new("c1", "now", "{}");
    /// assert_eq!(c.id.as_deref(), Some("c1"));
    /// ```
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        ChatToolCall {
            id: Some(id.into()),
            kind: function_type(),
            function: ChatFunctionCall {
                name: name.into(),
                arguments: arguments.into(),
            },
        }
    }
}

fn function_type() -> String {
    "function".to_owned()
}

/// The function and arguments of a tool call.
///
/// ```
/// let f: harmony_chat::ChatFunctionCall =
///     serde_json::from_str(r#"{"name": "f", "arguments": "{\"a\":1}"}"#).unwrap();
/// assert_eq!(f.arguments, r#"{"a":1}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatFunctionCall {
    /// The function's name.
    pub name: String,
    /// The arguments as JSON text (an object is accepted and written compactly).
    #[serde(default, deserialize_with = "de_arguments")]
    pub arguments: String,
}

/// A tool offered to the model, in OpenAI's shape.
///
/// ```
/// let t: harmony_chat::ChatTool = serde_json::from_str(r#"{"type": "function",
///     "function": {"name": "now", "description": "The time.", "parameters": {"type": "object"}}}"#).unwrap();
/// assert_eq!(t.function.name, "now");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatTool {
    /// Always `function`.
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    /// The function.
    pub function: ChatFunction,
}

impl ChatTool {
    /// A function tool from its name, description and JSON Schema of its parameters.
    ///
    /// ```
    /// use harmony_chat::ChatTool;
    /// let t = ChatTool::function("get_weather", "Current weather.", serde_json::json!({
    ///     "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}));
    /// assert_eq!(t.kind, "function");
    /// assert_eq!(t.function.name, "get_weather");
    /// assert_eq!(t.function.parameters.unwrap()["required"][0], "city");
    /// ```
    pub fn function(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: serde_json::Value,
    ) -> Self {
        ChatTool {
            kind: "function".into(),
            function: ChatFunction {
                name: name.into(),
                description: Some(description.into()),
                parameters: Some(parameters),
            },
        }
    }
}

/// A function offered to the model.
///
/// ```
/// let f = harmony_chat::ChatFunction { name: "now".into(), description: None, parameters: None };
/// assert_eq!(f.name, "now");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatFunction {
    /// Its name.
    pub name: String,
    /// What it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of its parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<serde_json::Value>,
}

/// What to keep of earlier reasoning.
///
/// ```
/// assert_eq!(harmony_chat::ReasoningPolicy::default(), harmony_chat::ReasoningPolicy::FormatRule);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReasoningPolicy {
    /// Harmony's rule: drop the reasoning of turns that ended in a final answer, keep
    /// it for the turn in progress (tool calls after the last final answer).
    #[default]
    FormatRule,
    /// Keep all reasoning (e.g. to render a training example).
    KeepAll,
    /// Drop all reasoning.
    DropAll,
}

/// Options of [`from_chat`].
///
/// ```
/// use harmony_chat::{ChatOptions, ReasoningEffort, SystemContent};
///
/// let opts = ChatOptions {
///     system: SystemContent::new().with_reasoning_effort(ReasoningEffort::High),
///     ..Default::default()
/// };
/// assert_eq!(opts.system.reasoning_effort, Some(ReasoningEffort::High));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatOptions {
    /// The harmony system message's content.
    pub system: SystemContent,
    /// Which reasoning to keep.
    pub reasoning: ReasoningPolicy,
}

fn de_content<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Part {
        #[serde(rename = "type", default)]
        kind: Option<String>,
        #[serde(default)]
        text: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Parts(Vec<Part>),
    }
    let Some(raw) = Option::<Raw>::deserialize(d)? else {
        return Ok(None);
    };
    match raw {
        Raw::Text(text) => Ok(Some(text)),
        Raw::Parts(parts) => {
            let mut text = String::new();
            for part in parts {
                match (part.kind.as_deref(), part.text) {
                    (Some("text") | Some("input_text") | Some("output_text") | None, Some(t)) => {
                        text.push_str(&t)
                    }
                    (kind, _) => {
                        return Err(serde::de::Error::custom(format!(
                            "unsupported content part type `{}` (gpt-oss reads text only)",
                            kind.unwrap_or("?")
                        )))
                    }
                }
            }
            Ok(Some(text))
        }
    }
}

fn de_arguments<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

const CONSTRAIN_JSON: &str = "<|constrain|>json";

/// `functions.<name>` for a plain function name; a dotted name is already namespaced
/// (built-in tools such as `browser.search`).
fn recipient_for(name: &str) -> String {
    if name.contains('.') {
        name.to_owned()
    } else {
        format!("functions.{name}")
    }
}

fn name_from_recipient(recipient: &str) -> &str {
    recipient.strip_prefix("functions.").unwrap_or(recipient)
}

fn is_final_answer(m: &ChatMessage) -> bool {
    m.role == ChatRole::Assistant && m.tool_calls.is_empty() && m.content.is_some()
}

/// Converts chat messages and tools to a harmony conversation (rules in the module docs).
///
/// ```
/// use harmony_chat::{from_chat, ChatMessage, ChatOptions, ChatRole, ChatToolCall, Role};
///
/// let mut call = ChatMessage::new(ChatRole::Assistant, "");
/// call.content = None;
/// call.tool_calls = vec![ChatToolCall::new("call_0", "get_weather", r#"{"city":"Paris"}"#)];
/// let mut result = ChatMessage::new(ChatRole::Tool, r#"{"temp": 21}"#);
/// result.tool_call_id = Some("call_0".into());
/// let chat = [
///     ChatMessage::new(ChatRole::System, "Be brief."),
///     ChatMessage::new(ChatRole::User, "Weather in Paris?"),
///     call,
///     result,
/// ];
/// let convo = from_chat(&chat, &[], &ChatOptions::default()).unwrap();
/// let roles: Vec<Role> = convo.messages.iter().map(|m| m.author.role).collect();
/// assert_eq!(roles, [Role::System, Role::Developer, Role::User, Role::Assistant, Role::Tool]);
/// assert_eq!(convo.messages[3].recipient.as_deref(), Some("functions.get_weather"));
/// assert_eq!(convo.messages[4].author.name.as_deref(), Some("functions.get_weather"));
/// ```
pub fn from_chat(
    messages: &[ChatMessage],
    tools: &[ChatTool],
    options: &ChatOptions,
) -> Result<Conversation, RenderError> {
    // Names that reach a header or the tool namespace are checked here, where the error
    // can name the chat field (the renderer checks the harmony fields again).
    for (k, tool) in tools.iter().enumerate() {
        check_name(&tool.function.name, || format!("tools[{k}].function.name"))?;
    }
    let mut out = vec![Message::from_role_and_content(
        Role::System,
        options.system.clone(),
    )];

    let instructions: Vec<&str> = messages
        .iter()
        .filter(|m| matches!(m.role, ChatRole::System | ChatRole::Developer))
        .filter_map(|m| m.content.as_deref())
        .filter(|c| !c.is_empty())
        .collect();
    if !instructions.is_empty() || !tools.is_empty() {
        let mut dev = DeveloperContent::new();
        if !instructions.is_empty() {
            dev = dev.with_instructions(instructions.join("\n\n"));
        }
        if !tools.is_empty() {
            dev = dev.with_function_tools(
                tools
                    .iter()
                    .map(|t| {
                        ToolDescription::new(
                            t.function.name.clone(),
                            t.function.description.clone().unwrap_or_default(),
                            t.function.parameters.clone(),
                        )
                    })
                    .collect(),
            );
        }
        out.push(Message::from_role_and_content(Role::Developer, dev));
    }

    // Index of the last final answer: reasoning before it belongs to finished turns.
    let last_final = messages.iter().rposition(is_final_answer);
    // Calls not answered yet, oldest first: (id, name).
    let mut pending: VecDeque<(Option<String>, String)> = VecDeque::new();

    for (index, m) in messages.iter().enumerate() {
        match m.role {
            ChatRole::System | ChatRole::Developer => {}
            ChatRole::User => {
                let author = match &m.name {
                    Some(name) => {
                        check_name(name, || format!("messages[{index}].name"))?;
                        Author::new(Role::User, name.clone())
                    }
                    None => Author::from(Role::User),
                };
                out.push(Message::from_author_and_content(
                    author,
                    m.content.clone().unwrap_or_default(),
                ));
            }
            ChatRole::Assistant => {
                let keep_reasoning = match options.reasoning {
                    ReasoningPolicy::KeepAll => true,
                    ReasoningPolicy::DropAll => false,
                    ReasoningPolicy::FormatRule => last_final.is_none_or(|f| index > f),
                };
                if let Some(reasoning) = m.reasoning.as_deref().filter(|r| !r.is_empty()) {
                    if keep_reasoning {
                        out.push(
                            Message::from_role_and_content(Role::Assistant, reasoning)
                                .with_channel("analysis"),
                        );
                    }
                }
                if m.tool_calls.is_empty() {
                    if let Some(content) = &m.content {
                        out.push(
                            Message::from_role_and_content(Role::Assistant, content.as_str())
                                .with_channel("final"),
                        );
                    }
                    continue;
                }
                if let Some(preamble) = m.content.as_deref().filter(|c| !c.is_empty()) {
                    out.push(
                        Message::from_role_and_content(Role::Assistant, preamble)
                            .with_channel("commentary"),
                    );
                }
                for (k, call) in m.tool_calls.iter().enumerate() {
                    check_name(&call.function.name, || {
                        format!("messages[{index}].tool_calls[{k}].function.name")
                    })?;
                    out.push(
                        Message::from_role_and_content(
                            Role::Assistant,
                            call.function.arguments.as_str(),
                        )
                        .with_channel("commentary")
                        .with_recipient(recipient_for(&call.function.name))
                        .with_content_type(CONSTRAIN_JSON),
                    );
                    pending.push_back((call.id.clone(), call.function.name.clone()));
                }
            }
            ChatRole::Tool => {
                if let Some(name) = &m.name {
                    check_name(name, || format!("messages[{index}].name"))?;
                }
                let by_id = m
                    .tool_call_id
                    .as_ref()
                    .and_then(|id| pending.iter().position(|(pid, _)| pid.as_ref() == Some(id)));
                let name = match (by_id, &m.name) {
                    (Some(i), _) => pending.remove(i).map(|(_, name)| name),
                    (None, Some(name)) => {
                        if let Some(i) = pending.iter().position(|(_, n)| n == name) {
                            pending.remove(i);
                        }
                        Some(name.clone())
                    }
                    (None, None) if m.tool_call_id.is_none() => {
                        pending.pop_front().map(|(_, name)| name)
                    }
                    (None, None) => None,
                };
                let Some(name) = name else {
                    return Err(RenderError::UnknownToolCall {
                        index,
                        id: m.tool_call_id.clone().unwrap_or_default(),
                    });
                };
                out.push(
                    Message::from_author_and_content(
                        Author::new(Role::Tool, recipient_for(&name)),
                        m.content.clone().unwrap_or_default(),
                    )
                    .with_recipient("assistant")
                    .with_channel("commentary"),
                );
            }
        }
    }
    Ok(Conversation { messages: out })
}

#[derive(Default)]
struct AssistantTurn {
    reasoning: Vec<String>,
    preambles: Vec<String>,
    content: Option<String>,
    tool_calls: Vec<ChatToolCall>,
}

impl AssistantTurn {
    fn is_empty(&self) -> bool {
        self.reasoning.is_empty()
            && self.preambles.is_empty()
            && self.content.is_none()
            && self.tool_calls.is_empty()
    }

    fn flush(&mut self, out: &mut Vec<ChatMessage>) {
        if self.is_empty() {
            return;
        }
        let mut turn = std::mem::take(self);
        let content = if turn.tool_calls.is_empty() {
            // Without tool calls a preamble is not the answer: keep it with the
            // reasoning rather than lose it.
            turn.reasoning.append(&mut turn.preambles);
            turn.content
        } else {
            let mut parts = turn.preambles;
            parts.extend(turn.content);
            (!parts.is_empty()).then(|| parts.join("\n"))
        };
        out.push(ChatMessage {
            role: ChatRole::Assistant,
            content,
            reasoning: (!turn.reasoning.is_empty()).then(|| turn.reasoning.join("\n")),
            tool_calls: turn.tool_calls,
            ..Default::default()
        });
    }
}

/// Converts harmony messages (e.g. parsed from a completion) to chat messages (rules in
/// the module docs). The harmony system message (model configuration) has no chat
/// counterpart and is skipped; developer instructions (structured, or the text under
/// `# Instructions` of a parsed developer message) become a `system` message.
///
/// ```
/// use harmony_chat::{to_chat, ChatRole, Message, Role};
///
/// let parsed = [
///     Message::from_role_and_content(Role::Assistant, "User wants 2+2.").with_channel("analysis"),
///     Message::from_role_and_content(Role::Assistant, "4").with_channel("final"),
/// ];
/// let chat = to_chat(&parsed);
/// assert_eq!(chat.len(), 1);
/// assert_eq!(chat[0].role, ChatRole::Assistant);
/// assert_eq!(chat[0].content.as_deref(), Some("4"));
/// assert_eq!(chat[0].reasoning.as_deref(), Some("User wants 2+2."));
/// ```
pub fn to_chat(messages: &[Message]) -> Vec<ChatMessage> {
    let mut out = Vec::new();
    let mut turn = AssistantTurn::default();
    let mut next_call = 0usize;
    // Calls awaiting a result: (id, name).
    let mut pending: VecDeque<(String, String)> = VecDeque::new();

    for m in messages {
        let text = m.text();
        match m.author.role {
            Role::Assistant => {
                let (recipient, _content_type) = normalise_header(m);
                match recipient {
                    Some(recipient) => {
                        let id = format!("call_{next_call}");
                        next_call += 1;
                        let name = name_from_recipient(recipient).to_owned();
                        pending.push_back((id.clone(), name.clone()));
                        turn.tool_calls.push(ChatToolCall::new(id, name, text));
                    }
                    None => match m.channel.as_deref() {
                        Some("analysis") => turn.reasoning.push(text),
                        Some("commentary") => turn.preambles.push(text),
                        // `final`, no channel, or an unknown channel: the answer.
                        _ => {
                            match &mut turn.content {
                                Some(content) => {
                                    content.push('\n');
                                    content.push_str(&text);
                                }
                                None => turn.content = Some(text),
                            }
                            if m.channel.as_deref() == Some("final") {
                                turn.flush(&mut out);
                            }
                        }
                    },
                }
            }
            Role::Tool => {
                turn.flush(&mut out);
                let tool = m.author.name.as_deref().unwrap_or_default();
                let name = name_from_recipient(tool).to_owned();
                let id = pending
                    .iter()
                    .position(|(_, n)| *n == name)
                    .and_then(|i| pending.remove(i))
                    .map(|(id, _)| id);
                out.push(ChatMessage {
                    role: ChatRole::Tool,
                    content: Some(text),
                    name: Some(name),
                    tool_call_id: id,
                    ..Default::default()
                });
            }
            Role::User => {
                turn.flush(&mut out);
                out.push(ChatMessage {
                    role: ChatRole::User,
                    content: Some(text),
                    name: m.author.name.clone(),
                    ..Default::default()
                });
            }
            // The harmony system message configures the model; chat has no such message.
            Role::System => turn.flush(&mut out),
            Role::Developer => {
                turn.flush(&mut out);
                let mut parts: Vec<String> = Vec::new();
                for content in &m.content {
                    match content {
                        Content::Text { text } => {
                            parts.extend(instructions_from_developer_text(text))
                        }
                        Content::DeveloperContent(dev) => parts.extend(dev.instructions.clone()),
                        Content::SystemContent(_) => {}
                    }
                }
                if !parts.is_empty() {
                    out.push(ChatMessage::new(ChatRole::System, parts.concat()));
                }
            }
        }
    }
    turn.flush(&mut out);
    out
}

/// The instructions in a developer message's rendered text (as a parser returns it):
/// the text under `# Instructions`, up to the `# Tools` section.
fn instructions_from_developer_text(text: &str) -> Option<String> {
    let Some(rest) = text.strip_prefix("# Instructions\n\n") else {
        // Not the rendered form: all of it is instructions, unless it is only tools.
        return (!text.starts_with("# Tools\n\n") && !text.is_empty()).then(|| text.to_owned());
    };
    let end = rest.find("\n\n# Tools\n\n").unwrap_or(rest.len());
    Some(rest[..end].to_owned())
}

/// The recipient and content type of an assistant message, repaired where parsers are
/// known to get the header wrong: openai-harmony 0.0.8 reads
/// `<|channel|>final <|constrain|>json` as the *recipient* `<|constrain|>json`, and a
/// recipient of `assistant`/`user`/`all` addresses no tool.
fn normalise_header(m: &Message) -> (Option<&str>, Option<&str>) {
    match m.recipient.as_deref() {
        Some(r) if r.starts_with("<|constrain|>") => (None, Some(r)),
        Some("assistant" | "user" | "all") | None => (None, m.content_type.as_deref()),
        Some(r) => (Some(r), m.content_type.as_deref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constrain_recipient_is_a_content_type() {
        let m = Message::from_role_and_content(Role::Assistant, "{}")
            .with_channel("final")
            .with_recipient("<|constrain|>json");
        let chat = to_chat(&[m]);
        assert!(chat[0].tool_calls.is_empty());
        assert_eq!(chat[0].content.as_deref(), Some("{}"));
    }

    #[test]
    fn unknown_tool_call_id_is_an_error() {
        let mut result = ChatMessage::new(ChatRole::Tool, "x");
        result.tool_call_id = Some("nope".into());
        let err = from_chat(&[result], &[], &ChatOptions::default()).unwrap_err();
        assert!(matches!(err, RenderError::UnknownToolCall { index: 0, .. }));
    }
}
