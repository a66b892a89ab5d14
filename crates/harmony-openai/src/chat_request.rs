//! `POST /v1/chat/completions` request bodies.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use harmony_chat::{ChatMessage, ChatRole, ChatTool, ChatToolCall, ReasoningEffort};

use crate::common::{
    as_object, content_text, content_text_lenient, effort_field, format_value, get, kind_of,
    parse_object, require, stop_field, tool_choice_field, tools_field, ResponseFormat, ToolChoice,
};
use crate::error::RequestError;

/// A Chat Completions request, read tolerantly: unknown fields are ignored, and a field
/// of the wrong type is a [`RequestError`] naming it (`messages[1].content`).
///
/// Reasoning given back on assistant messages is read from `reasoning`,
/// `reasoning_content` or `thinking` (the first that is not empty, so a client echoing
/// both spellings is fine).
///
/// ```
/// use harmony_openai::{ChatRequest, ToolChoice};
///
/// let req = ChatRequest::from_slice(br#"{
///     "model": "gpt-oss:20b",
///     "messages": [
///         {"role": "system", "content": "Be brief."},
///         {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
///         {"role": "assistant", "content": null, "reasoning_content": "Call it.",
///          "tool_calls": [{"id": "call_1", "type": "function",
///                          "function": {"name": "get_weather", "arguments": "{}"}}]},
///         {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}
///     ],
///     "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
///     "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
///     "max_completion_tokens": 256,
///     "stream": true, "stream_options": {"include_usage": true},
///     "some_future_field": 1
/// }"#).unwrap();
/// assert_eq!(req.messages.len(), 4);
/// assert_eq!(req.messages[2].reasoning.as_deref(), Some("Call it."));
/// assert_eq!(req.tool_choice, ToolChoice::Function("get_weather".into()));
/// assert_eq!(req.max_tokens, Some(256));
/// assert!(req.stream && req.include_usage);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ChatRequest {
    /// `model`.
    pub model: String,
    /// `messages`, in harmony-chat's chat shape.
    pub messages: Vec<ChatMessage>,
    /// The function tools of `tools`.
    pub tools: Vec<ChatTool>,
    /// Names of the tools of other kinds, left out of the prompt.
    pub left_out_tools: Vec<String>,
    /// `tool_choice`.
    pub tool_choice: ToolChoice,
    /// `parallel_tool_calls`, when given.
    pub parallel_tool_calls: Option<bool>,
    /// `response_format`.
    pub response_format: ResponseFormat,
    /// `reasoning_effort`, or `reasoning.effort`.
    pub reasoning_effort: Option<ReasoningEffort>,
    /// `max_completion_tokens`, or the older `max_tokens`.
    pub max_tokens: Option<u64>,
    /// `temperature`.
    pub temperature: Option<f64>,
    /// `top_p`.
    pub top_p: Option<f64>,
    /// `seed`.
    pub seed: Option<i64>,
    /// `stop` (a string is one stop sequence).
    pub stop: Vec<String>,
    /// `stream`.
    pub stream: bool,
    /// `stream_options.include_usage`.
    pub include_usage: bool,
    /// `user`, when given.
    pub user: Option<String>,
}

impl ChatRequest {
    /// Reads a request body.
    ///
    /// # Errors
    /// [`RequestError`] when the body is not a JSON object, `model` or `messages` is
    /// missing, or a field has the wrong type.
    ///
    /// ```
    /// let err = harmony_openai::ChatRequest::from_slice(br#"{"messages": []}"#).unwrap_err();
    /// assert_eq!(err.param(), Some("model"));
    /// ```
    pub fn from_slice(body: &[u8]) -> Result<Self, RequestError> {
        Self::from_map(&parse_object(body)?)
    }

    /// Reads a request already parsed as JSON.
    ///
    /// # Errors
    /// As [`from_slice`](Self::from_slice).
    ///
    /// ```
    /// let v = serde_json::json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
    /// let req = harmony_openai::ChatRequest::from_value(&v).unwrap();
    /// assert_eq!(req.messages[0].content.as_deref(), Some("hi"));
    /// ```
    pub fn from_value(v: &Value) -> Result<Self, RequestError> {
        Self::from_map(as_object(v)?)
    }

    fn from_map(o: &Map<String, Value>) -> Result<Self, RequestError> {
        let model: String = require(o, "model", "model")?;
        let messages = match o.get("messages") {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, m)| chat_message(m, &format!("messages[{i}]")))
                .collect::<Result<Vec<_>, _>>()?,
            None | Some(Value::Null) => {
                return Err(RequestError::MissingField {
                    param: "messages".into(),
                })
            }
            Some(other) => {
                return Err(RequestError::invalid(
                    "messages",
                    format!("expected an array, found {}", kind_of(other)),
                ))
            }
        };
        let (tools, left_out_tools) = tools_field(o)?;
        let reasoning_effort = match effort_field(o, "reasoning_effort", "reasoning_effort")? {
            Some(e) => Some(e),
            None => match o.get("reasoning") {
                Some(Value::Object(r)) => effort_field(r, "effort", "reasoning.effort")?,
                _ => None,
            },
        };
        let include_usage = match o.get("stream_options") {
            Some(Value::Object(s)) => {
                get(s, "include_usage", "stream_options.include_usage")?.unwrap_or(false)
            }
            _ => false,
        };
        Ok(ChatRequest {
            model,
            messages,
            tools,
            left_out_tools,
            tool_choice: tool_choice_field(o)?,
            parallel_tool_calls: get(o, "parallel_tool_calls", "parallel_tool_calls")?,
            response_format: format_value(o.get("response_format"), "response_format")?,
            reasoning_effort,
            max_tokens: match get(o, "max_completion_tokens", "max_completion_tokens")? {
                Some(n) => Some(n),
                None => get(o, "max_tokens", "max_tokens")?,
            },
            temperature: get(o, "temperature", "temperature")?,
            top_p: get(o, "top_p", "top_p")?,
            seed: get(o, "seed", "seed")?,
            stop: stop_field(o)?,
            stream: get(o, "stream", "stream")?.unwrap_or(false),
            include_usage,
            user: get(o, "user", "user")?,
        })
    }
}

impl<'de> Deserialize<'de> for ChatRequest {
    /// Through [`ChatRequest::from_value`]: the error message names the field.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        ChatRequest::from_value(&v).map_err(serde::de::Error::custom)
    }
}

fn role(s: &str, param: &str) -> Result<ChatRole, RequestError> {
    Ok(match s {
        "system" => ChatRole::System,
        "developer" => ChatRole::Developer,
        "user" => ChatRole::User,
        "assistant" => ChatRole::Assistant,
        "tool" => ChatRole::Tool,
        other => {
            return Err(RequestError::invalid(
                param,
                format!(
                    "`{other}` is not a role (expected system, developer, user, assistant or tool)"
                ),
            ))
        }
    })
}

/// The first non-empty of the reasoning spellings.
pub(crate) fn reasoning_of(
    o: &Map<String, Value>,
    param: &str,
) -> Result<Option<String>, RequestError> {
    for key in ["reasoning", "reasoning_content", "thinking"] {
        let value = match o.get(key) {
            // `reasoning` may also be an object (`{"content": ...}` / `{"text": ...}`) in
            // some clients; its text is read.
            Some(Value::Object(r)) => r.get("text").or_else(|| r.get("content")).cloned(),
            v => v.cloned(),
        };
        if let Some(v) = value {
            if let Some(text) = content_text(&v, &format!("{param}.{key}"))? {
                if !text.is_empty() {
                    return Ok(Some(text));
                }
            }
        }
    }
    Ok(None)
}

fn tool_call(v: &Value, param: &str) -> Result<ChatToolCall, RequestError> {
    let Value::Object(o) = v else {
        return Err(RequestError::invalid(
            param,
            format!("expected an object, found {}", kind_of(v)),
        ));
    };
    let fparam = format!("{param}.function");
    let f = match o.get("function") {
        Some(Value::Object(f)) => f,
        None | Some(Value::Null) => return Err(RequestError::MissingField { param: fparam }),
        Some(other) => {
            return Err(RequestError::invalid(
                fparam,
                format!("expected an object, found {}", kind_of(other)),
            ))
        }
    };
    let name: String = require(f, "name", &format!("{fparam}.name"))?;
    // Arguments are JSON text; an object (Ollama's shape) is written compactly.
    let arguments = match f.get("arguments") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let mut call = ChatToolCall::new("", name, arguments);
    call.id = get(o, "id", &format!("{param}.id"))?;
    Ok(call)
}

fn chat_message(v: &Value, param: &str) -> Result<ChatMessage, RequestError> {
    let Value::Object(o) = v else {
        return Err(RequestError::invalid(
            param,
            format!("expected a message object, found {}", kind_of(v)),
        ));
    };
    let role_name: String = require(o, "role", &format!("{param}.role"))?;
    let role = role(&role_name, &format!("{param}.role"))?;
    let content = match o.get("content") {
        None => None,
        // A tool's output is not refused for an image in it: the tool loop goes on.
        Some(c) if role == ChatRole::Tool => content_text_lenient(c, &format!("{param}.content"))?,
        Some(c) => content_text(c, &format!("{param}.content"))?,
    };
    let tool_calls = match o.get("tool_calls") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(calls)) => calls
            .iter()
            .enumerate()
            .map(|(i, c)| tool_call(c, &format!("{param}.tool_calls[{i}]")))
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(RequestError::invalid(
                format!("{param}.tool_calls"),
                format!("expected an array, found {}", kind_of(other)),
            ))
        }
    };
    let mut m = ChatMessage {
        role,
        content,
        ..ChatMessage::default()
    };
    m.name = get(o, "name", &format!("{param}.name"))?;
    m.tool_calls = tool_calls;
    m.tool_call_id = get(o, "tool_call_id", &format!("{param}.tool_call_id"))?;
    m.reasoning = reasoning_of(o, param)?;
    Ok(m)
}
