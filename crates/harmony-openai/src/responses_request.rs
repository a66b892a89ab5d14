//! `POST /v1/responses` request bodies.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use harmony_chat::{ChatRole, ChatTool, ReasoningEffort};

use crate::common::{
    as_object, content_text, content_text_lenient, effort_field, format_value, get, kind_of,
    parse_object, require, tool_choice_field, tools_field, ResponseFormat, ToolChoice,
};
use crate::encrypted::decode_reasoning;
use crate::error::RequestError;

/// `include` value asking for reasoning items to carry `encrypted_content`.
pub const INCLUDE_ENCRYPTED_REASONING: &str = "reasoning.encrypted_content";

/// One item of a Responses `input`.
///
/// ```
/// use harmony_openai::{InputItem, ResponsesRequest};
/// let req = ResponsesRequest::from_slice(br#"{"model": "m", "input": "Hi"}"#).unwrap();
/// assert!(matches!(&req.input[0], InputItem::Message { text, .. } if text == "Hi"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputItem {
    /// A message (`user`, `system`, `developer` or `assistant`), its text parts joined.
    Message {
        /// The role.
        role: ChatRole,
        /// The text.
        text: String,
    },
    /// Reasoning given back: the text of `encrypted_content` (when present), else of
    /// `content`, else of `summary`.
    Reasoning {
        /// The item's `id`, when given.
        id: Option<String>,
        /// The reasoning text.
        text: String,
    },
    /// A call the model made.
    FunctionCall {
        /// `call_id` (results refer to it).
        call_id: String,
        /// The function's name.
        name: String,
        /// The arguments as JSON text.
        arguments: String,
    },
    /// A tool's result.
    FunctionCallOutput {
        /// The call it answers.
        call_id: String,
        /// The output text (text parts joined; a part that is not text, such as an
        /// image, is written `[input_image omitted]`).
        output: String,
    },
}

/// A Responses request, read tolerantly: unknown fields and unknown input item types
/// are ignored (their types are listed in [`ignored_items`](Self::ignored_items)); a
/// field of the wrong type is a [`RequestError`] naming it (`input[2].call_id`).
/// `previous_response_id` is refused ([`RequestError::PreviousResponseId`]): nothing
/// is stored.
///
/// ```
/// use harmony_openai::{InputItem, ResponsesRequest};
///
/// let req = ResponsesRequest::from_slice(br#"{
///     "model": "gpt-oss:20b",
///     "instructions": "You are a coding agent.",
///     "input": [
///         {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "ls"}]},
///         {"type": "function_call", "call_id": "call_1", "name": "shell", "arguments": "{\"cmd\":\"ls\"}"},
///         {"type": "function_call_output", "call_id": "call_1", "output": "a.txt"}
///     ],
///     "tools": [
///         {"type": "function", "name": "shell", "parameters": {"type": "object"}},
///         {"type": "web_search"}
///     ],
///     "reasoning": {"effort": "high"},
///     "include": ["reasoning.encrypted_content"],
///     "store": false,
///     "stream": true
/// }"#).unwrap();
/// assert_eq!(req.input.len(), 3);
/// assert_eq!(req.tools[0].function.name, "shell");
/// assert_eq!(req.left_out_tools, ["web_search"]);
/// assert!(req.include_encrypted_reasoning());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ResponsesRequest {
    /// `model`.
    pub model: String,
    /// `instructions`.
    pub instructions: Option<String>,
    /// `input` (a string is one user message).
    pub input: Vec<InputItem>,
    /// Types of input items that were skipped (`item_reference` aside, which is refused).
    pub ignored_items: Vec<String>,
    /// The function tools of `tools`.
    pub tools: Vec<ChatTool>,
    /// Names (or types, for hosted tools) of the tools left out of the prompt.
    pub left_out_tools: Vec<String>,
    /// `tool_choice`.
    pub tool_choice: ToolChoice,
    /// `parallel_tool_calls`, when given.
    pub parallel_tool_calls: Option<bool>,
    /// `text.format`.
    pub text_format: ResponseFormat,
    /// `reasoning.effort`.
    pub reasoning_effort: Option<ReasoningEffort>,
    /// `include`.
    pub include: Vec<String>,
    /// `store`, when given.
    pub store: Option<bool>,
    /// `max_output_tokens`.
    pub max_output_tokens: Option<u64>,
    /// `temperature`.
    pub temperature: Option<f64>,
    /// `top_p`.
    pub top_p: Option<f64>,
    /// `stream`.
    pub stream: bool,
    /// `metadata`, echoed back.
    pub metadata: Option<Value>,
}

impl ResponsesRequest {
    /// Reads a request body.
    ///
    /// # Errors
    /// [`RequestError`]: not a JSON object, `model` missing, a field of the wrong
    /// type, `previous_response_id` given, an `encrypted_content` this gateway did not
    /// write.
    ///
    /// ```
    /// use harmony_openai::{RequestError, ResponsesRequest};
    /// let err = ResponsesRequest::from_slice(br#"{"model": "m", "input": "x", "previous_response_id": "resp_1"}"#)
    ///     .unwrap_err();
    /// assert_eq!(err, RequestError::PreviousResponseId);
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
    /// let v = serde_json::json!({"model": "m", "input": [{"role": "user", "content": "hi"}]});
    /// let req = harmony_openai::ResponsesRequest::from_value(&v).unwrap();
    /// assert_eq!(req.input.len(), 1);
    /// ```
    pub fn from_value(v: &Value) -> Result<Self, RequestError> {
        Self::from_map(as_object(v)?)
    }

    /// Whether `include` asks for `reasoning.encrypted_content`.
    ///
    /// ```
    /// let req = harmony_openai::ResponsesRequest::from_slice(br#"{"model": "m", "input": "x"}"#).unwrap();
    /// assert!(!req.include_encrypted_reasoning());
    /// ```
    pub fn include_encrypted_reasoning(&self) -> bool {
        self.include
            .iter()
            .any(|i| i == INCLUDE_ENCRYPTED_REASONING)
    }

    fn from_map(o: &Map<String, Value>) -> Result<Self, RequestError> {
        if o.get("previous_response_id").is_some_and(|v| !v.is_null()) {
            return Err(RequestError::PreviousResponseId);
        }
        let model: String = require(o, "model", "model")?;
        let mut ignored_items = Vec::new();
        let input = match o.get("input") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => vec![InputItem::Message {
                role: ChatRole::User,
                text: s.clone(),
            }],
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match input_item(item, &format!("input[{i}]"))? {
                        Ok(item) => out.push(item),
                        Err(kind) => ignored_items.push(kind),
                    }
                }
                out
            }
            Some(other) => {
                return Err(RequestError::invalid(
                    "input",
                    format!(
                        "expected a string or an array of items, found {}",
                        kind_of(other)
                    ),
                ))
            }
        };
        let (tools, left_out_tools) = tools_field(o)?;
        let text_format = match o.get("text") {
            Some(Value::Object(t)) => format_value(t.get("format"), "text.format")?,
            None | Some(Value::Null) => ResponseFormat::Text,
            Some(other) => {
                return Err(RequestError::invalid(
                    "text",
                    format!("expected an object, found {}", kind_of(other)),
                ))
            }
        };
        let reasoning_effort = match o.get("reasoning") {
            Some(Value::Object(r)) => effort_field(r, "effort", "reasoning.effort")?,
            _ => None,
        };
        Ok(ResponsesRequest {
            model,
            instructions: get(o, "instructions", "instructions")?,
            input,
            ignored_items,
            tools,
            left_out_tools,
            tool_choice: tool_choice_field(o)?,
            parallel_tool_calls: get(o, "parallel_tool_calls", "parallel_tool_calls")?,
            text_format,
            reasoning_effort,
            include: get(o, "include", "include")?.unwrap_or_default(),
            store: get(o, "store", "store")?,
            max_output_tokens: get(o, "max_output_tokens", "max_output_tokens")?,
            temperature: get(o, "temperature", "temperature")?,
            top_p: get(o, "top_p", "top_p")?,
            stream: get(o, "stream", "stream")?.unwrap_or(false),
            metadata: get(o, "metadata", "metadata")?,
        })
    }
}

impl<'de> Deserialize<'de> for ResponsesRequest {
    /// Through [`ResponsesRequest::from_value`]: the error message names the field.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        ResponsesRequest::from_value(&v).map_err(serde::de::Error::custom)
    }
}

/// One input item: `Ok(item)`, or `Err(type)` for a type that is skipped.
fn input_item(v: &Value, param: &str) -> Result<Result<InputItem, String>, RequestError> {
    let Value::Object(o) = v else {
        return Err(RequestError::invalid(
            param,
            format!("expected an item object, found {}", kind_of(v)),
        ));
    };
    let p = |field: &str| format!("{param}.{field}");
    // Easy input messages (`{"role", "content"}`) have no type.
    let kind = get::<String>(o, "type", &p("type"))?.unwrap_or_else(|| "message".to_owned());
    let item = match kind.as_str() {
        "message" => {
            let role_name: String = require(o, "role", &p("role"))?;
            let role = match role_name.as_str() {
                "user" => ChatRole::User,
                "system" => ChatRole::System,
                "developer" => ChatRole::Developer,
                "assistant" => ChatRole::Assistant,
                other => {
                    return Err(RequestError::invalid(
                        p("role"),
                        format!(
                        "`{other}` is not a role (expected user, system, developer or assistant)"
                    ),
                    ))
                }
            };
            let text = match o.get("content") {
                None => String::new(),
                Some(c) => content_text(c, &p("content"))?.unwrap_or_default(),
            };
            InputItem::Message { role, text }
        }
        "reasoning" => {
            let encrypted: Option<String> = get(o, "encrypted_content", &p("encrypted_content"))?;
            let text = match encrypted.filter(|e| !e.is_empty()) {
                Some(blob) => {
                    decode_reasoning(&blob).map_err(|e| RequestError::EncryptedContent {
                        param: p("encrypted_content"),
                        reason: e.to_string(),
                    })?
                }
                None => {
                    let content = match o.get("content") {
                        Some(c) => content_text(c, &p("content"))?.unwrap_or_default(),
                        None => String::new(),
                    };
                    if content.is_empty() {
                        summary_text(o.get("summary"), &p("summary"))?
                    } else {
                        content
                    }
                }
            };
            InputItem::Reasoning {
                id: get(o, "id", &p("id"))?,
                text,
            }
        }
        "function_call" => InputItem::FunctionCall {
            call_id: require(o, "call_id", &p("call_id"))?,
            name: require(o, "name", &p("name"))?,
            arguments: match o.get("arguments") {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            },
        },
        "function_call_output" => InputItem::FunctionCallOutput {
            call_id: require(o, "call_id", &p("call_id"))?,
            output: match o.get("output") {
                None | Some(Value::Null) => String::new(),
                Some(v @ (Value::String(_) | Value::Array(_))) => {
                    content_text_lenient(v, &p("output"))?.unwrap_or_default()
                }
                // Any other JSON is passed on as its JSON text.
                Some(other) => other.to_string(),
            },
        },
        "item_reference" => {
            return Err(RequestError::invalid(
                p("type"),
                "item_reference needs stored items, and this gateway stores none",
            ))
        }
        other => return Ok(Err(other.to_owned())),
    };
    Ok(Ok(item))
}

/// A reasoning item's `summary`: `[{"type": "summary_text", "text"}]`, texts joined by
/// a blank line.
fn summary_text(v: Option<&Value>, param: &str) -> Result<String, RequestError> {
    let Some(Value::Array(parts)) = v else {
        return Ok(String::new());
    };
    let mut texts = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        let pp = format!("{param}[{i}]");
        match part {
            Value::Object(o) => {
                if let Some(t) = get::<String>(o, "text", &format!("{pp}.text"))? {
                    texts.push(t);
                }
            }
            Value::String(s) => texts.push(s.clone()),
            other => {
                return Err(RequestError::invalid(
                    pp,
                    format!("expected a summary part, found {}", kind_of(other)),
                ))
            }
        }
    }
    Ok(texts.join("\n\n"))
}
