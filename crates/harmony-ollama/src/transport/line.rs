//! Typed NDJSON lines of Ollama's `/api/generate` and `/api/chat` streams.
//!
//! Field names and meanings follow Ollama's `api.GenerateResponse`, `api.ChatResponse`,
//! `api.Message`, `api.ToolCall` and `api.Metrics`, named `Wire…` and `Ollama…` here
//! so they are not mistaken for the workspace's own message and tool-call types.
//! Ollama marshals with `omitempty`, so almost every field may be missing; missing
//! strings read as empty, missing numbers as `None`. Unknown fields (newer Ollama versions add some) are ignored.
//!
//! Every string borrows from the line when it has no JSON escape (see [`Text`]);
//! the only allocations are escaped strings, the `context` array and `tool_calls`,
//! the last two of which appear at most once per response.

use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::transport::text::Text;

/// One line of a streaming `/api/generate` response.
///
/// In raw mode (`"raw": true`) `response` carries the model's text verbatim, harmony
/// markers included (Go-escaped on the wire, decoded here); `<|call|>` and
/// `<|return|>` are never sent because they stop generation.
///
/// ```
/// use harmony_ollama::GenerateLine;
///
/// let line: GenerateLine = serde_json::from_str(
///     r#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:30.1Z","response":"\u003c|channel|\u003e","done":false}"#,
/// ).unwrap();
/// assert_eq!(line.response, "<|channel|>");
/// assert!(!line.done);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct GenerateLine<'a> {
    /// Model name, e.g. `gpt-oss:20b`.
    #[serde(default, borrow)]
    pub model: Text<'a>,
    /// RFC 3339 timestamp with nanoseconds, as Ollama's Go `time.Time` writes it.
    #[serde(default, borrow)]
    pub created_at: Text<'a>,
    /// The text fragment of this line (empty on the `done` line).
    #[serde(default, borrow)]
    pub response: Text<'a>,
    /// Reasoning text, when Ollama parsed the model's output itself (never in raw mode).
    #[serde(default, borrow)]
    pub thinking: Option<Text<'a>>,
    /// `true` on the last line.
    #[serde(default)]
    pub done: bool,
    /// Why generation stopped: `stop`, `length`, `load`, `unload`, ... (on the `done` line).
    #[serde(default, borrow)]
    pub done_reason: Option<Text<'a>>,
    /// Deprecated conversation context (token ids); Ollama omits it in raw mode.
    #[serde(default)]
    pub context: Option<Vec<u32>>,
    /// See [`OllamaMetrics::total_duration`]; nanoseconds on the wire.
    #[serde(default)]
    pub total_duration: Option<u64>,
    /// See [`OllamaMetrics::load_duration`]; nanoseconds on the wire.
    #[serde(default)]
    pub load_duration: Option<u64>,
    /// See [`OllamaMetrics::prompt_eval_count`].
    #[serde(default)]
    pub prompt_eval_count: Option<u64>,
    /// See [`OllamaMetrics::prompt_eval_duration`]; nanoseconds on the wire.
    #[serde(default)]
    pub prompt_eval_duration: Option<u64>,
    /// See [`OllamaMetrics::eval_count`].
    #[serde(default)]
    pub eval_count: Option<u64>,
    /// See [`OllamaMetrics::eval_duration`]; nanoseconds on the wire.
    #[serde(default)]
    pub eval_duration: Option<u64>,
    /// A mid-stream error (`{"error":"..."}`, sent with HTTP status 200 because the
    /// headers already went out). The stream ends after it.
    #[serde(default, borrow)]
    pub error: Option<Text<'a>>,
    /// The error under the key some Ollama versions (0.11.3, 0.11.4) used by mistake when
    /// their tool-call parser failed mid-stream: `{"error parsing tool call": "<Go JSON
    /// error>"}` (ollama/ollama#11781). It carries the JSON error only, not the raw text.
    #[serde(default, borrow, rename = "error parsing tool call")]
    pub tool_call_error: Option<Text<'a>>,
}

/// One line of a streaming `/api/chat` response.
///
/// ```
/// use harmony_ollama::ChatLine;
///
/// let line: ChatLine = serde_json::from_str(
///     r#"{"model":"gpt-oss:20b","message":{"role":"assistant","content":"","thinking":"Let me"},"done":false}"#,
/// ).unwrap();
/// let message = line.message.unwrap();
/// assert_eq!(message.thinking.unwrap(), "Let me");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ChatLine<'a> {
    /// Model name.
    #[serde(default, borrow)]
    pub model: Text<'a>,
    /// RFC 3339 timestamp.
    #[serde(default, borrow)]
    pub created_at: Text<'a>,
    /// The message delta of this line.
    #[serde(default, borrow)]
    pub message: Option<WireChatMessage<'a>>,
    /// `true` on the last line.
    #[serde(default)]
    pub done: bool,
    /// Why generation stopped (on the `done` line).
    #[serde(default, borrow)]
    pub done_reason: Option<Text<'a>>,
    /// Nanoseconds.
    #[serde(default)]
    pub total_duration: Option<u64>,
    /// Nanoseconds.
    #[serde(default)]
    pub load_duration: Option<u64>,
    /// Prompt tokens evaluated.
    #[serde(default)]
    pub prompt_eval_count: Option<u64>,
    /// Nanoseconds.
    #[serde(default)]
    pub prompt_eval_duration: Option<u64>,
    /// Tokens generated.
    #[serde(default)]
    pub eval_count: Option<u64>,
    /// Nanoseconds.
    #[serde(default)]
    pub eval_duration: Option<u64>,
    /// A mid-stream error line; the stream ends after it.
    #[serde(default, borrow)]
    pub error: Option<Text<'a>>,
    /// The misnamed error key of Ollama 0.11.3/0.11.4 (`{"error parsing tool call":
    /// "<Go JSON error>"}`, ollama/ollama#11781): the JSON error only, no raw text.
    ///
    /// ```
    /// let line: harmony_ollama::ChatLine = serde_json::from_str(
    ///     r#"{"error parsing tool call":"invalid character 'c' looking for beginning of value"}"#,
    /// ).unwrap();
    /// assert_eq!(line.tool_call_error.unwrap(), "invalid character 'c' looking for beginning of value");
    /// ```
    #[serde(default, borrow, rename = "error parsing tool call")]
    pub tool_call_error: Option<Text<'a>>,
}

/// The `message` object of a chat line: a delta, except `tool_calls`, which Ollama
/// sends whole (its harmony parser only produces them at `done`).
///
/// ```
/// use harmony_ollama::WireChatMessage;
///
/// let m: WireChatMessage = serde_json::from_str(r#"{"role":"assistant","content":"Hi"}"#).unwrap();
/// assert_eq!(m.content, "Hi");
/// assert!(m.tool_calls.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct WireChatMessage<'a> {
    /// `assistant` in responses.
    #[serde(default, borrow)]
    pub role: Text<'a>,
    /// Final-answer text delta.
    #[serde(default, borrow)]
    pub content: Text<'a>,
    /// Reasoning text delta.
    #[serde(default, borrow)]
    pub thinking: Option<Text<'a>>,
    /// Complete tool calls.
    #[serde(default, borrow)]
    pub tool_calls: Vec<WireToolCall<'a>>,
    /// Name of the tool a `tool` message answers (request side; echoed by some versions).
    #[serde(default, borrow)]
    pub tool_name: Option<Text<'a>>,
}

/// A tool call as Ollama reports it.
///
/// ```
/// use harmony_ollama::WireToolCall;
///
/// let call: WireToolCall = serde_json::from_str(
///     r#"{"function":{"name":"get_weather","arguments":{"city":"Paris"}}}"#,
/// ).unwrap();
/// assert_eq!(call.function.name, "get_weather");
/// assert_eq!(call.function.arguments.unwrap().get(), r#"{"city":"Paris"}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct WireToolCall<'a> {
    /// Call id (newer Ollama versions).
    #[serde(default, borrow)]
    pub id: Option<Text<'a>>,
    /// The function and its arguments.
    #[serde(default, borrow)]
    pub function: WireToolCallFunction<'a>,
}

/// The `function` object of a [`WireToolCall`].
///
/// ```
/// use harmony_ollama::WireToolCallFunction;
///
/// let f: WireToolCallFunction = serde_json::from_str(r#"{"index":0,"name":"f","arguments":{}}"#).unwrap();
/// assert_eq!(f.index, Some(0));
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct WireToolCallFunction<'a> {
    /// Position of the call in the response (newer Ollama versions).
    #[serde(default)]
    pub index: Option<u32>,
    /// Function name, as the caller declared it (Ollama maps sanitised names back).
    #[serde(default, borrow)]
    pub name: Text<'a>,
    /// The arguments as JSON text, borrowed from the line, unparsed.
    #[serde(default, borrow)]
    pub arguments: Option<&'a RawValue>,
}

// `RawValue` has no `PartialEq`; two calls are equal when their JSON text is.
impl PartialEq for WireToolCallFunction<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
            && self.name == other.name
            && self.arguments.map(RawValue::get) == other.arguments.map(RawValue::get)
    }
}

/// Timings and token counts from a `done` line, with durations as [`Duration`].
///
/// ```
/// use harmony_ollama::GenerateLine;
///
/// let line: GenerateLine = serde_json::from_str(r#"{"done":true,"eval_count":3,"eval_duration":1500}"#).unwrap();
/// let m = line.metrics();
/// assert_eq!(m.eval_count, Some(3));
/// assert_eq!(m.eval_duration, Some(std::time::Duration::from_nanos(1500)));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OllamaMetrics {
    /// Whole request, server side.
    pub total_duration: Option<Duration>,
    /// Loading the model (zero-ish when it was already loaded).
    pub load_duration: Option<Duration>,
    /// Prompt tokens evaluated (cached prefix tokens are not counted).
    pub prompt_eval_count: Option<u64>,
    /// Time spent on the prompt.
    pub prompt_eval_duration: Option<Duration>,
    /// Tokens generated.
    pub eval_count: Option<u64>,
    /// Time spent generating.
    pub eval_duration: Option<Duration>,
}

impl OllamaMetrics {
    /// Whether no metric was present.
    ///
    /// ```
    /// assert!(harmony_ollama::OllamaMetrics::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        *self == OllamaMetrics::default()
    }
}

macro_rules! metrics_of {
    ($s:expr) => {
        OllamaMetrics {
            total_duration: $s.total_duration.map(Duration::from_nanos),
            load_duration: $s.load_duration.map(Duration::from_nanos),
            prompt_eval_count: $s.prompt_eval_count,
            prompt_eval_duration: $s.prompt_eval_duration.map(Duration::from_nanos),
            eval_count: $s.eval_count,
            eval_duration: $s.eval_duration.map(Duration::from_nanos),
        }
    };
}

impl GenerateLine<'_> {
    /// The timing and count fields of this line.
    ///
    /// ```
    /// let line = harmony_ollama::GenerateLine::default();
    /// assert!(line.metrics().is_empty());
    /// ```
    pub fn metrics(&self) -> OllamaMetrics {
        metrics_of!(self)
    }
}

impl ChatLine<'_> {
    /// The timing and count fields of this line.
    ///
    /// ```
    /// let line = harmony_ollama::ChatLine::default();
    /// assert!(line.metrics().is_empty());
    /// ```
    pub fn metrics(&self) -> OllamaMetrics {
        metrics_of!(self)
    }
}
