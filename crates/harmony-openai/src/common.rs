//! What both APIs share: tool choice, output formats, reasoning effort, and the field
//! readers that name the offending field in their errors.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use harmony_chat::ReasoningEffort;

use crate::error::RequestError;

/// How the model may use the declared tools (`tool_choice`).
///
/// ```
/// use harmony_openai::ToolChoice;
/// assert_eq!(ToolChoice::default(), ToolChoice::Auto);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ToolChoice {
    /// `auto` (the default): the model decides.
    #[default]
    Auto,
    /// `none`: the tools are left out of the prompt.
    None,
    /// `required`: the model must call one of them (forced by a prefill).
    Required,
    /// A named function: the model must call it (forced by a prefill).
    Function(String),
}

impl ToolChoice {
    /// The wire form, as echoed in a Responses object.
    ///
    /// ```
    /// use harmony_openai::ToolChoice;
    /// assert_eq!(ToolChoice::Required.to_json(), "required");
    /// assert_eq!(ToolChoice::Function("f".into()).to_json()["name"], "f");
    /// ```
    pub fn to_json(&self) -> Value {
        match self {
            ToolChoice::Auto => Value::from("auto"),
            ToolChoice::None => Value::from("none"),
            ToolChoice::Required => Value::from("required"),
            ToolChoice::Function(name) => serde_json::json!({"type": "function", "name": name}),
        }
    }
}

/// The requested output format (`response_format`, or Responses' `text.format`): one
/// type with harmony-chat's, which writes its developer section.
///
/// ```
/// use harmony_openai::ResponseFormat;
/// assert_eq!(ResponseFormat::default(), ResponseFormat::Text);
/// ```
pub use harmony_chat::ResponseFormat;

/// Reads a reasoning effort as OpenAI spells it: `low`, `medium`, `high`, and the
/// efforts gpt-oss does not have mapped to the nearest one it has (`none`, `minimal`
/// -> low; `xhigh` -> high).
///
/// ```
/// use harmony_chat::ReasoningEffort;
/// assert_eq!(harmony_openai::parse_effort("minimal"), Some(ReasoningEffort::Low));
/// assert_eq!(harmony_openai::parse_effort("HIGH"), Some(ReasoningEffort::High));
/// assert_eq!(harmony_openai::parse_effort("max"), None);
/// ```
pub fn parse_effort(s: &str) -> Option<ReasoningEffort> {
    match s.to_ascii_lowercase().as_str() {
        "none" | "minimal" | "low" => Some(ReasoningEffort::Low),
        "medium" => Some(ReasoningEffort::Medium),
        "high" | "xhigh" => Some(ReasoningEffort::High),
        _ => None,
    }
}

/// The body as a JSON object.
pub(crate) fn parse_object(body: &[u8]) -> Result<Map<String, Value>, RequestError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(not_an_object(&other)),
        Err(e) => Err(RequestError::InvalidJson {
            message: e.to_string(),
        }),
    }
}

/// A request body already parsed: the object it must be.
pub(crate) fn as_object(v: &Value) -> Result<&Map<String, Value>, RequestError> {
    match v {
        Value::Object(map) => Ok(map),
        other => Err(not_an_object(other)),
    }
}

fn not_an_object(v: &Value) -> RequestError {
    RequestError::InvalidJson {
        message: format!("found {}", kind_of(v)),
    }
}

pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `obj[key]` as `T`; absent or `null` is `None`; a wrong type names `param`.
pub(crate) fn get<T: DeserializeOwned>(
    obj: &Map<String, Value>,
    key: &str,
    param: &str,
) -> Result<Option<T>, RequestError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => T::deserialize(v)
            .map(Some)
            .map_err(|e| RequestError::invalid(param, e)),
    }
}

/// A required field.
pub(crate) fn require<T: DeserializeOwned>(
    obj: &Map<String, Value>,
    key: &str,
    param: &str,
) -> Result<T, RequestError> {
    get(obj, key, param)?.ok_or_else(|| RequestError::MissingField {
        param: param.to_owned(),
    })
}

pub(crate) fn effort_field(
    obj: &Map<String, Value>,
    key: &str,
    param: &str,
) -> Result<Option<ReasoningEffort>, RequestError> {
    match get::<String>(obj, key, param)? {
        None => Ok(None),
        Some(s) => parse_effort(&s).map(Some).ok_or_else(|| {
            RequestError::invalid(
                param,
                format!("`{s}` is not a reasoning effort (expected low, medium or high)"),
            )
        }),
    }
}

/// `stop`: a string or an array of strings.
pub(crate) fn stop_field(obj: &Map<String, Value>) -> Result<Vec<String>, RequestError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stop {
        One(String),
        Many(Vec<String>),
    }
    Ok(match get::<Stop>(obj, "stop", "stop")? {
        None => Vec::new(),
        Some(Stop::One(s)) => vec![s],
        Some(Stop::Many(v)) => v,
    })
}

/// `tool_choice` in either API's shape: a string, `{"type": "function", "name"}`
/// (Responses) or `{"type": "function", "function": {"name"}}` (Chat Completions);
/// `{"type": "allowed_tools", "mode"}` keeps its mode.
pub(crate) fn tool_choice_field(obj: &Map<String, Value>) -> Result<ToolChoice, RequestError> {
    const P: &str = "tool_choice";
    let Some(v) = obj.get(P).filter(|v| !v.is_null()) else {
        return Ok(ToolChoice::Auto);
    };
    let by_name = |s: &str| match s {
        "auto" => Ok(ToolChoice::Auto),
        "none" => Ok(ToolChoice::None),
        "required" | "any" => Ok(ToolChoice::Required),
        other => Err(RequestError::invalid(
            P,
            format!("`{other}` is not a tool choice (expected none, auto, required or a function)"),
        )),
    };
    match v {
        Value::String(s) => by_name(s),
        Value::Object(o) => {
            let kind = get::<String>(o, "type", "tool_choice.type")?.unwrap_or_default();
            match kind.as_str() {
                "function" => {
                    let name = match o.get("function") {
                        Some(Value::Object(f)) => {
                            get::<String>(f, "name", "tool_choice.function.name")?
                        }
                        _ => get::<String>(o, "name", "tool_choice.name")?,
                    };
                    name.map(ToolChoice::Function)
                        .ok_or_else(|| RequestError::MissingField {
                            param: "tool_choice.function.name".into(),
                        })
                }
                "allowed_tools" => match get::<String>(o, "mode", "tool_choice.mode")? {
                    Some(mode) => by_name(&mode),
                    None => Ok(ToolChoice::Auto),
                },
                other => Err(RequestError::invalid(
                    "tool_choice.type",
                    format!("`{other}`: only function tools can be chosen here"),
                )),
            }
        }
        other => Err(RequestError::invalid(
            P,
            format!("expected a string or an object, found {}", kind_of(other)),
        )),
    }
}

/// A `json_schema` format's fields, from the object that holds them (Chat Completions
/// nests them in `json_schema`, Responses puts them next to `type`).
fn schema_format(o: &Map<String, Value>, param: &str) -> Result<ResponseFormat, RequestError> {
    Ok(ResponseFormat::JsonSchema {
        name: get::<String>(o, "name", &format!("{param}.name"))?
            .unwrap_or_else(|| "response".to_owned()),
        description: get(o, "description", &format!("{param}.description"))?,
        schema: match get::<Value>(o, "schema", &format!("{param}.schema"))? {
            None => serde_json::json!({"type": "object"}),
            Some(s @ Value::Object(_)) => s,
            Some(other) => {
                return Err(RequestError::invalid(
                    format!("{param}.schema"),
                    format!("expected a JSON Schema object, found {}", kind_of(&other)),
                ))
            }
        },
        strict: get(o, "strict", &format!("{param}.strict"))?.unwrap_or(false),
    })
}

/// A format object at `param` (`response_format` or `text.format`).
pub(crate) fn format_value(v: Option<&Value>, param: &str) -> Result<ResponseFormat, RequestError> {
    let o = match v {
        None | Some(Value::Null) => return Ok(ResponseFormat::Text),
        Some(Value::Object(o)) => o,
        Some(other) => {
            return Err(RequestError::invalid(
                param,
                format!("expected an object, found {}", kind_of(other)),
            ))
        }
    };
    let kind = get::<String>(o, "type", &format!("{param}.type"))?.unwrap_or_default();
    match kind.as_str() {
        "text" | "" => Ok(ResponseFormat::Text),
        "json_object" => Ok(ResponseFormat::JsonObject),
        "json_schema" => match o.get("json_schema") {
            Some(Value::Object(inner)) => schema_format(inner, &format!("{param}.json_schema")),
            _ => schema_format(o, param),
        },
        other => Err(RequestError::invalid(
            format!("{param}.type"),
            format!("`{other}` is not a format (expected text, json_object or json_schema)"),
        )),
    }
}

/// A function tool, or the name of a tool left out (hosted, namespace, custom, ...).
pub(crate) enum ToolEntry {
    Function(harmony_chat::ChatTool),
    LeftOut(String),
}

/// One entry of `tools`, in either API's shape.
pub(crate) fn tool_entry(v: &Value, param: &str) -> Result<ToolEntry, RequestError> {
    let Value::Object(o) = v else {
        return Err(RequestError::invalid(
            param,
            format!("expected an object, found {}", kind_of(v)),
        ));
    };
    let kind = get::<String>(o, "type", &format!("{param}.type"))?
        .unwrap_or_else(|| "function".to_owned());
    if kind != "function" {
        let name = get::<String>(o, "name", &format!("{param}.name"))
            .ok()
            .flatten()
            .unwrap_or(kind);
        return Ok(ToolEntry::LeftOut(name));
    }
    let (f, fparam) = match o.get("function") {
        Some(Value::Object(f)) => (f, format!("{param}.function")),
        _ => (o, param.to_owned()),
    };
    let name: String = require(f, "name", &format!("{fparam}.name"))?;
    // The name goes into the `to=functions.NAME` header (and a prefill, verbatim): a
    // space ends the recipient, marker text would forge tokens.
    if name.is_empty()
        || name.contains("<|")
        || name.contains("|>")
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(RequestError::invalid(
            format!("{fparam}.name"),
            format!("`{name}` is not a usable function name (no spaces, control characters or `<|`/`|>`)"),
        ));
    }
    Ok(ToolEntry::Function(harmony_chat::ChatTool {
        kind: "function".to_owned(),
        function: harmony_chat::ChatFunction {
            name,
            description: get(f, "description", &format!("{fparam}.description"))?,
            parameters: get(f, "parameters", &format!("{fparam}.parameters"))?,
        },
    }))
}

/// `tools`: the function tools, and the names of those left out.
pub(crate) fn tools_field(
    obj: &Map<String, Value>,
) -> Result<(Vec<harmony_chat::ChatTool>, Vec<String>), RequestError> {
    let mut tools = Vec::new();
    let mut left_out = Vec::new();
    match obj.get("tools") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match tool_entry(item, &format!("tools[{i}]"))? {
                    ToolEntry::Function(t) => tools.push(t),
                    ToolEntry::LeftOut(name) => left_out.push(name),
                }
            }
        }
        Some(other) => {
            return Err(RequestError::invalid(
                "tools",
                format!("expected an array, found {}", kind_of(other)),
            ))
        }
    }
    Ok((tools, left_out))
}

/// Text from a content value: a string, or an array of text parts (`text`,
/// `input_text`, `output_text`, ...); other parts (images, files, audio) are refused,
/// since gpt-oss reads text only.
pub(crate) fn content_text(v: &Value, param: &str) -> Result<Option<String>, RequestError> {
    content_text_with(v, param, false)
}

/// [`content_text`], but a part that is not text becomes `[<type> omitted]` instead of
/// an error: for tool outputs, where refusing would break the client's tool loop (an
/// agent's screenshot tool) and the model is better told something was there.
pub(crate) fn content_text_lenient(v: &Value, param: &str) -> Result<Option<String>, RequestError> {
    content_text_with(v, param, true)
}

fn content_text_with(
    v: &Value,
    param: &str,
    lenient: bool,
) -> Result<Option<String>, RequestError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Array(parts) => {
            let mut text = String::new();
            for (i, part) in parts.iter().enumerate() {
                let p = format!("{param}[{i}]");
                match part {
                    Value::String(s) => text.push_str(s),
                    Value::Object(o) => {
                        let kind = get::<String>(o, "type", &format!("{p}.type"))?;
                        match kind.as_deref() {
                            None
                            | Some(
                                "text" | "input_text" | "output_text" | "summary_text"
                                | "reasoning_text",
                            ) => {
                                if let Some(t) = get::<String>(o, "text", &format!("{p}.text"))? {
                                    text.push_str(&t);
                                }
                            }
                            // A refusal is the assistant's visible answer.
                            Some("refusal") => {
                                if let Some(t) = get::<String>(o, "refusal", &format!("{p}.refusal"))?
                                {
                                    text.push_str(&t);
                                }
                            }
                            Some(other) if lenient => {
                                text.push('[');
                                text.push_str(other);
                                text.push_str(" omitted]");
                            }
                            Some(other) => {
                                return Err(RequestError::invalid(
                                    format!("{p}.type"),
                                    format!("content part `{other}` is not supported (gpt-oss reads text only)"),
                                ))
                            }
                        }
                    }
                    other => {
                        return Err(RequestError::invalid(
                            p,
                            format!("expected a content part object, found {}", kind_of(other)),
                        ))
                    }
                }
            }
            Ok(Some(text))
        }
        other => Err(RequestError::invalid(
            param,
            format!(
                "expected a string or an array of parts, found {}",
                kind_of(other)
            ),
        )),
    }
}
