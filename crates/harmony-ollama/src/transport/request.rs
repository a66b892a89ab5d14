//! Request bodies for `/api/generate` (raw, streaming) and `/api/chat` (streaming).

use harmony_chat::{ReasoningEffort, ResponseFormat};
use serde::Serialize;
use serde_json::Value;

use crate::transport::options::{KeepAlive, Options};

/// A raw `/api/generate` request: the prompt is sent as-is (`"raw": true`, no
/// template), and the answer streams (`"stream": true`).
///
/// ```
/// use harmony_ollama::{GenerateRequest, Options};
///
/// let req = GenerateRequest::new("gpt-oss:20b", "<|start|>user<|message|>Hi<|end|><|start|>assistant")
///     .options(Options::new().num_ctx(8192));
/// assert_eq!(req.model, "gpt-oss:20b");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GenerateRequest {
    /// Model name.
    pub model: String,
    /// The full prompt text (a rendered harmony conversation, ending in
    /// `<|start|>assistant`).
    pub prompt: String,
    /// Options; `None` uses the client's defaults.
    pub options: Option<Options>,
    /// `keep_alive`; `None` uses the client's default (or Ollama's).
    pub keep_alive: Option<KeepAlive>,
}

impl GenerateRequest {
    /// A request for `model` with `prompt`.
    ///
    /// ```
    /// let req = harmony_ollama::GenerateRequest::new("m", "p");
    /// assert!(req.options.is_none());
    /// ```
    pub fn new(model: impl Into<String>, prompt: impl Into<String>) -> Self {
        GenerateRequest {
            model: model.into(),
            prompt: prompt.into(),
            options: None,
            keep_alive: None,
        }
    }

    /// Sets the options for this request.
    ///
    /// ```
    /// let req = harmony_ollama::GenerateRequest::new("m", "p").options(harmony_ollama::Options::new().seed(1));
    /// assert!(req.options.is_some());
    /// ```
    pub fn options(mut self, options: Options) -> Self {
        self.options = Some(options);
        self
    }

    /// Sets `keep_alive` for this request.
    ///
    /// ```
    /// let req = harmony_ollama::GenerateRequest::new("m", "p").keep_alive(harmony_ollama::KeepAlive::Forever);
    /// assert!(req.keep_alive.is_some());
    /// ```
    pub fn keep_alive(mut self, keep_alive: KeepAlive) -> Self {
        self.keep_alive = Some(keep_alive);
        self
    }
}

/// A message sent to `/api/chat`.
///
/// ```
/// use harmony_ollama::ChatRequestMessage;
///
/// let m = ChatRequestMessage::tool("get_weather", "{\"temp\":20}");
/// assert_eq!(
///     serde_json::to_string(&m).unwrap(),
///     r#"{"role":"tool","content":"{\"temp\":20}","tool_name":"get_weather"}"#,
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ChatRequestMessage {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: String,
    /// Text.
    pub content: String,
    /// Earlier reasoning of an assistant message (sent back for tool loops).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking: Option<String>,
    /// Tool calls an assistant message made, as `{"function":{"name","arguments"}}`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<Value>,
    /// For `tool` messages: which tool produced the content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_name: Option<String>,
}

impl ChatRequestMessage {
    fn plain(role: &str, content: impl Into<String>) -> Self {
        ChatRequestMessage {
            role: role.to_owned(),
            content: content.into(),
            thinking: None,
            tool_calls: Vec::new(),
            tool_name: None,
        }
    }

    /// A system message.
    ///
    /// ```
    /// assert_eq!(harmony_ollama::ChatRequestMessage::system("s").role, "system");
    /// ```
    pub fn system(content: impl Into<String>) -> Self {
        Self::plain("system", content)
    }

    /// A user message.
    ///
    /// ```
    /// assert_eq!(harmony_ollama::ChatRequestMessage::user("u").role, "user");
    /// ```
    pub fn user(content: impl Into<String>) -> Self {
        Self::plain("user", content)
    }

    /// An assistant message.
    ///
    /// ```
    /// assert_eq!(harmony_ollama::ChatRequestMessage::assistant("a").role, "assistant");
    /// ```
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::plain("assistant", content)
    }

    /// A tool result.
    ///
    /// ```
    /// assert_eq!(harmony_ollama::ChatRequestMessage::tool("f", "r").tool_name.as_deref(), Some("f"));
    /// ```
    pub fn tool(name: impl Into<String>, content: impl Into<String>) -> Self {
        let mut m = Self::plain("tool", content);
        m.tool_name = Some(name.into());
        m
    }
}

/// A streaming `/api/chat` request.
///
/// ```
/// use harmony_ollama::{OllamaChatRequest, ChatRequestMessage};
///
/// let tool = serde_json::json!({"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}});
/// let req = OllamaChatRequest::new("gpt-oss:20b", vec![ChatRequestMessage::user("Weather in Paris?")]).tools(vec![tool]);
/// assert_eq!(req.tools.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct OllamaChatRequest {
    /// Model name.
    pub model: String,
    /// The conversation.
    pub messages: Vec<ChatRequestMessage>,
    /// Tools, in OpenAI's function format (`{"type":"function","function":{...}}`).
    pub tools: Vec<Value>,
    /// Options; `None` uses the client's defaults.
    pub options: Option<Options>,
    /// `keep_alive`; `None` uses the client's default.
    pub keep_alive: Option<KeepAlive>,
    /// Reasoning effort, sent as Ollama's `think`; `None` uses the client's
    /// configuration (`HARMONY_REASONING_EFFORT`).
    pub think: Option<ReasoningEffort>,
    /// Structured output, sent as Ollama's `format`: `"json"` for any JSON object, the
    /// schema itself for a JSON schema; nothing for text.
    pub format: Option<ResponseFormat>,
}

impl OllamaChatRequest {
    /// A request for `model` with `messages`.
    ///
    /// ```
    /// let req = harmony_ollama::OllamaChatRequest::new("m", vec![]);
    /// assert!(req.tools.is_empty());
    /// ```
    pub fn new(model: impl Into<String>, messages: Vec<ChatRequestMessage>) -> Self {
        OllamaChatRequest {
            model: model.into(),
            messages,
            tools: Vec::new(),
            options: None,
            keep_alive: None,
            think: None,
            format: None,
        }
    }

    /// Sets the tools.
    ///
    /// ```
    /// let req = harmony_ollama::OllamaChatRequest::new("m", vec![]).tools(vec![serde_json::json!({})]);
    /// assert_eq!(req.tools.len(), 1);
    /// ```
    pub fn tools(mut self, tools: Vec<Value>) -> Self {
        self.tools = tools;
        self
    }

    /// Sets the options.
    ///
    /// ```
    /// let req = harmony_ollama::OllamaChatRequest::new("m", vec![]).options(harmony_ollama::Options::new());
    /// assert!(req.options.is_some());
    /// ```
    pub fn options(mut self, options: Options) -> Self {
        self.options = Some(options);
        self
    }

    /// Sets `keep_alive`.
    ///
    /// ```
    /// let req = harmony_ollama::OllamaChatRequest::new("m", vec![]).keep_alive(harmony_ollama::KeepAlive::UnloadNow);
    /// assert!(req.keep_alive.is_some());
    /// ```
    pub fn keep_alive(mut self, keep_alive: KeepAlive) -> Self {
        self.keep_alive = Some(keep_alive);
        self
    }

    /// Sets the reasoning effort (`think`).
    ///
    /// ```
    /// let req = harmony_ollama::OllamaChatRequest::new("m", vec![]).think(harmony_ollama::ReasoningEffort::High);
    /// assert!(req.think.is_some());
    /// ```
    pub fn think(mut self, effort: ReasoningEffort) -> Self {
        self.think = Some(effort);
        self
    }

    /// Sets the structured output format (`format`).
    ///
    /// ```
    /// use harmony_ollama::{OllamaChatRequest, ResponseFormat};
    /// let req = OllamaChatRequest::new("m", vec![]).format(ResponseFormat::JsonObject);
    /// assert_eq!(req.format, Some(ResponseFormat::JsonObject));
    /// ```
    pub fn format(mut self, format: ResponseFormat) -> Self {
        self.format = Some(format);
        self
    }
}

/// The `/api/generate` body on the wire.
#[derive(Serialize)]
pub(crate) struct GenerateWire<'a> {
    pub model: &'a str,
    pub prompt: &'a str,
    pub raw: bool,
    pub stream: bool,
    #[serde(skip_serializing_if = "Options::is_empty")]
    pub options: &'a Options,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_alive: Option<KeepAlive>,
}

/// The `/api/chat` body on the wire.
#[derive(Serialize)]
pub(crate) struct ChatWire<'a> {
    pub model: &'a str,
    pub messages: &'a [ChatRequestMessage],
    #[serde(skip_serializing_if = "<[Value]>::is_empty")]
    pub tools: &'a [Value],
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub think: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Value>,
    #[serde(skip_serializing_if = "Options::is_empty")]
    pub options: &'a Options,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_alive: Option<KeepAlive>,
}

/// A format as Ollama's `format` field spells it: `"json"` for any JSON object, the
/// schema for a JSON schema, nothing for text.
pub(crate) fn ollama_format(format: &ResponseFormat) -> Option<Value> {
    match format {
        ResponseFormat::Text => None,
        ResponseFormat::JsonObject => Some(Value::from("json")),
        ResponseFormat::JsonSchema { schema, .. } => Some(schema.clone()),
    }
}
