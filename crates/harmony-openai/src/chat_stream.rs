//! Chat Completions out: [`ChatEncoder`] writes `chat.completion.chunk` SSE frames,
//! [`ChatCompletionBuilder`] builds the non-streamed `chat.completion` object, both from
//! harmony-ollama's [`StreamEvent`]s.
//!
//! Mapping (docs/design.md, the gateway): analysis text is `reasoning_content` and/or
//! `reasoning` ([`ReasoningField`]); final, preamble (commentary without recipient) and
//! channel-less text is `content`; each call is `tool_calls[i]` with `id`, `type` and
//! `function.name` first, then `function.arguments` fragments, indices rising from 0;
//! `finish_reason` is `length` when the upstream hit its limit, `tool_calls` when a
//! call was made, `stop` otherwise.

use std::io::Write;

use serde_json::{json, Value};

use harmony_ollama::{Channel, Done, StreamEvent};

use crate::error::ApiError;
use crate::ids::{unix_now, IdGen};
use crate::usage::{Usage, UsageCounter};

/// Which field carries reasoning text on Chat Completions.
///
/// ```
/// assert_eq!(harmony_openai::ReasoningField::default(), harmony_openai::ReasoningField::Both);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReasoningField {
    /// `reasoning_content` (DeepSeek's and vLLM's spelling; Open WebUI, LangChain).
    ReasoningContent,
    /// `reasoning` (OpenRouter's and Ollama's OpenAI endpoint's spelling).
    Reasoning,
    /// Both, with the same text (the default: every client finds its field).
    #[default]
    Both,
}

impl ReasoningField {
    fn names(self) -> &'static [&'static str] {
        match self {
            ReasoningField::ReasoningContent => &["reasoning_content"],
            ReasoningField::Reasoning => &["reasoning"],
            ReasoningField::Both => &["reasoning_content", "reasoning"],
        }
    }
}

/// Settings of a Chat Completions answer.
///
/// ```
/// use harmony_openai::ChatEncoderOptions;
/// let o = ChatEncoderOptions::new("gpt-oss:20b");
/// assert!(o.id.starts_with("chatcmpl-"));
/// assert!(!o.include_usage);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChatEncoderOptions {
    /// `id`, the same on every chunk.
    pub id: String,
    /// `model`.
    pub model: String,
    /// `created` (Unix seconds).
    pub created: u64,
    /// Where reasoning goes.
    pub reasoning_field: ReasoningField,
    /// Send a last chunk with `usage` (`stream_options.include_usage`).
    pub include_usage: bool,
    /// The prompt's token count, for `usage`.
    pub prompt_tokens: u64,
}

impl ChatEncoderOptions {
    /// Options with a fresh `chatcmpl-` id and the current time.
    ///
    /// ```
    /// let o = harmony_openai::ChatEncoderOptions::new("m");
    /// assert_eq!(o.model, "m");
    /// ```
    pub fn new(model: &str) -> Self {
        ChatEncoderOptions {
            id: IdGen::random().next("chatcmpl-"),
            model: model.to_owned(),
            created: unix_now(),
            reasoning_field: ReasoningField::default(),
            include_usage: false,
            prompt_tokens: 0,
        }
    }
}

/// Maps harmony-tools' call indices (rising over a whole completion, possibly across
/// continued requests) to the chat message's `tool_calls` positions.
#[derive(Debug, Default)]
struct CallIndex {
    seen: Vec<usize>,
}

impl CallIndex {
    fn get_or_add(&mut self, index: usize) -> usize {
        match self.seen.iter().position(|&i| i == index) {
            Some(p) => p,
            None => {
                self.seen.push(index);
                self.seen.len() - 1
            }
        }
    }
}

fn finish_reason(done: Option<&Done>, calls: bool) -> &'static str {
    if done.is_some_and(Done::is_truncated) {
        "length"
    } else if calls {
        "tool_calls"
    } else {
        "stop"
    }
}

fn is_reasoning(channel: Option<Channel>) -> bool {
    channel == Some(Channel::Analysis)
}

/// Writes a JSON string (quoted, escaped) into `out`.
#[inline]
pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Writes a decimal number into `out` (the hot path's frames: `write!` goes through
/// the formatting machinery, which cost more than the rest of a delta frame).
#[inline]
pub(crate) fn push_num(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Streams a Chat Completions answer as SSE: feed every [`StreamEvent`] to
/// [`event`](Self::event), which appends the frames to the caller's buffer; the
/// [`StreamEvent::Done`] event writes the finishing chunk, the usage chunk (when asked)
/// and `data: [DONE]`. An upstream failure mid-stream is [`error`](Self::error): one
/// `data: {"error": {...}}` frame, and the stream is over.
///
/// No allocation per event once the buffer has grown: frames are written with a
/// prefix prepared once, reasoning text is kept (once) for the usage count only.
///
/// ```
/// use harmony_ollama::{Channel, StreamEvent};
/// use harmony_openai::{ChatEncoder, ChatEncoderOptions};
///
/// let mut enc = ChatEncoder::new(ChatEncoderOptions::new("gpt-oss:20b"));
/// let mut out = Vec::new();
/// enc.event(&StreamEvent::Delta { channel: Some(Channel::Final), text: "Hi".into() }, &mut out);
/// enc.event(&StreamEvent::Done(Default::default()), &mut out);
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.contains(r#""delta":{"role":"assistant","content":""}"#));
/// assert!(text.contains(r#""delta":{"content":"Hi"}"#));
/// assert!(text.contains(r#""finish_reason":"stop""#));
/// assert!(text.ends_with("data: [DONE]\n\n"));
/// assert!(enc.is_finished());
/// ```
#[derive(Debug)]
pub struct ChatEncoder {
    options: ChatEncoderOptions,
    /// `data: {"id":…,"choices":[{"index":0,"delta":`
    prefix: Vec<u8>,
    started: bool,
    finished: bool,
    calls: CallIndex,
    usage: UsageCounter,
}

const CHUNK_END: &[u8] = b",\"logprobs\":null,\"finish_reason\":null}]}\n\n";

impl ChatEncoder {
    /// An encoder for one answer.
    ///
    /// ```
    /// let enc = harmony_openai::ChatEncoder::new(harmony_openai::ChatEncoderOptions::new("m"));
    /// assert!(!enc.is_finished());
    /// ```
    pub fn new(options: ChatEncoderOptions) -> Self {
        let mut prefix = Vec::with_capacity(128 + options.id.len() + options.model.len());
        prefix.extend_from_slice(b"data: {\"id\":");
        json_str(&mut prefix, &options.id);
        prefix.extend_from_slice(b",\"object\":\"chat.completion.chunk\",\"created\":");
        let _ = write!(prefix, "{}", options.created);
        prefix.extend_from_slice(b",\"model\":");
        json_str(&mut prefix, &options.model);
        prefix.extend_from_slice(b",\"choices\":[{\"index\":0,\"delta\":");
        ChatEncoder {
            usage: UsageCounter::new(options.prompt_tokens),
            options,
            prefix,
            started: false,
            finished: false,
            calls: CallIndex::default(),
        }
    }

    /// Whether the stream is over (after `Done` or an error): later events write nothing.
    ///
    /// ```
    /// let mut enc = harmony_openai::ChatEncoder::new(harmony_openai::ChatEncoderOptions::new("m"));
    /// enc.error(&harmony_openai::ApiError::timeout("idle"), &mut Vec::new());
    /// assert!(enc.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    fn start(&mut self, out: &mut Vec<u8>) {
        if !self.started {
            self.started = true;
            out.extend_from_slice(&self.prefix);
            out.extend_from_slice(b"{\"role\":\"assistant\",\"content\":\"\"}");
            out.extend_from_slice(CHUNK_END);
        }
    }

    /// Writes the frames for one event.
    ///
    /// ```
    /// use harmony_ollama::{Channel, StreamEvent};
    /// use harmony_openai::{ChatEncoder, ChatEncoderOptions, ReasoningField};
    ///
    /// let mut opts = ChatEncoderOptions::new("m");
    /// opts.reasoning_field = ReasoningField::ReasoningContent;
    /// let mut enc = ChatEncoder::new(opts);
    /// let mut out = Vec::new();
    /// enc.event(&StreamEvent::Delta { channel: Some(Channel::Analysis), text: "hmm".into() }, &mut out);
    /// let text = String::from_utf8(out).unwrap();
    /// assert!(text.contains(r#""delta":{"reasoning_content":"hmm"}"#));
    /// assert!(!text.contains(r#""reasoning":"#));
    /// ```
    pub fn event(&mut self, event: &StreamEvent, out: &mut Vec<u8>) {
        if self.finished {
            return;
        }
        self.start(out);
        match event {
            StreamEvent::Delta { channel, text } => {
                if text.is_empty() {
                    return;
                }
                out.extend_from_slice(&self.prefix);
                if is_reasoning(*channel) {
                    self.usage.reasoning(text);
                    out.push(b'{');
                    for (i, name) in self.options.reasoning_field.names().iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        out.push(b'"');
                        out.extend_from_slice(name.as_bytes());
                        out.extend_from_slice(b"\":");
                        json_str(out, text);
                    }
                    out.push(b'}');
                } else {
                    self.usage.piece();
                    out.extend_from_slice(b"{\"content\":");
                    json_str(out, text);
                    out.push(b'}');
                }
                out.extend_from_slice(CHUNK_END);
            }
            StreamEvent::ToolCallStart(start) => {
                let index = self.calls.get_or_add(start.index);
                out.extend_from_slice(&self.prefix);
                let _ = write!(out, "{{\"tool_calls\":[{{\"index\":{index},\"id\":");
                json_str(out, &start.id);
                out.extend_from_slice(b",\"type\":\"function\",\"function\":{\"name\":");
                json_str(out, &start.name);
                out.extend_from_slice(b",\"arguments\":\"\"}}]}");
                out.extend_from_slice(CHUNK_END);
            }
            StreamEvent::ToolCallArgs { index, delta } => {
                if delta.is_empty() {
                    return;
                }
                self.usage.piece();
                let index = self.calls.get_or_add(*index);
                out.extend_from_slice(&self.prefix);
                out.extend_from_slice(b"{\"tool_calls\":[{\"index\":");
                push_num(out, index as u64);
                out.extend_from_slice(b",\"function\":{\"arguments\":");
                json_str(out, delta);
                out.extend_from_slice(b"}}]}");
                out.extend_from_slice(CHUNK_END);
            }
            StreamEvent::Done(done) => self.done(Some(done), out),
            _ => {}
        }
    }

    /// Ends the stream without a `Done` event (the upstream stream ended early): as
    /// `Done` with no token counts.
    ///
    /// ```
    /// let mut enc = harmony_openai::ChatEncoder::new(harmony_openai::ChatEncoderOptions::new("m"));
    /// let mut out = Vec::new();
    /// enc.finish(&mut out);
    /// assert!(out.ends_with(b"data: [DONE]\n\n"));
    /// ```
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.finished {
            self.start(out);
            self.done(None, out);
        }
    }

    fn done(&mut self, done: Option<&Done>, out: &mut Vec<u8>) {
        self.finished = true;
        let reason = finish_reason(done, !self.calls.seen.is_empty());
        out.extend_from_slice(&self.prefix);
        let _ = write!(
            out,
            "{{}},\"logprobs\":null,\"finish_reason\":\"{reason}\"}}]}}\n\n"
        );
        if self.options.include_usage {
            let usage = self.usage.finish(done);
            // The prefix ends inside `choices`; the usage chunk has none.
            out.extend_from_slice(b"data: {\"id\":");
            json_str(out, &self.options.id);
            let _ = write!(
                out,
                ",\"object\":\"chat.completion.chunk\",\"created\":{},\"model\":",
                self.options.created
            );
            json_str(out, &self.options.model);
            out.extend_from_slice(b",\"choices\":[],\"usage\":");
            let _ = serde_json::to_writer(&mut *out, &usage.chat_json());
            out.extend_from_slice(b"}\n\n");
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
    }

    /// Writes the upstream failure as one `data: {"error": {...}}` frame; the stream is
    /// over (no `[DONE]`, as OpenAI ends a failed stream).
    ///
    /// ```
    /// use harmony_openai::{ApiError, ChatEncoder, ChatEncoderOptions};
    /// let mut enc = ChatEncoder::new(ChatEncoderOptions::new("m"));
    /// let mut out = Vec::new();
    /// enc.error(&ApiError::upstream_error("boom"), &mut out);
    /// let text = String::from_utf8(out).unwrap();
    /// assert!(text.starts_with("data: {\"error\":{"));
    /// assert!(!text.contains("[DONE]"));
    /// ```
    pub fn error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        if self.finished {
            return;
        }
        self.finished = true;
        out.extend_from_slice(b"data: ");
        let _ = serde_json::to_writer(&mut *out, &error.to_json());
        out.extend_from_slice(b"\n\n");
    }

    /// The usage so far (final after `Done`).
    ///
    /// ```
    /// let enc = harmony_openai::ChatEncoder::new(harmony_openai::ChatEncoderOptions::new("m"));
    /// assert_eq!(enc.usage().completion_tokens, 0);
    /// ```
    pub fn usage(&self) -> Usage {
        self.usage.finish(None)
    }
}

#[derive(Debug)]
struct BuiltCall {
    index: usize,
    id: String,
    name: String,
    arguments: String,
}

/// Builds the non-streamed `chat.completion` object from the same events as
/// [`ChatEncoder`].
///
/// After an upstream failure ([`error`](Self::error)) the object keeps what was
/// generated, with `finish_reason: "length"` (cut short: a value every client knows).
///
/// ```
/// use harmony_ollama::{Channel, StreamEvent};
/// use harmony_openai::{ChatCompletionBuilder, ChatEncoderOptions};
///
/// let mut b = ChatCompletionBuilder::new(ChatEncoderOptions::new("gpt-oss:20b"));
/// b.event(&StreamEvent::Delta { channel: Some(Channel::Analysis), text: "Easy.".into() });
/// b.event(&StreamEvent::Delta { channel: Some(Channel::Final), text: "4".into() });
/// b.event(&StreamEvent::Done(Default::default()));
/// let v = b.finish();
/// assert_eq!(v["object"], "chat.completion");
/// assert_eq!(v["choices"][0]["message"]["content"], "4");
/// assert_eq!(v["choices"][0]["message"]["reasoning_content"], "Easy.");
/// assert_eq!(v["choices"][0]["finish_reason"], "stop");
/// ```
#[derive(Debug)]
pub struct ChatCompletionBuilder {
    options: ChatEncoderOptions,
    content: Option<String>,
    reasoning: Option<String>,
    calls: Vec<BuiltCall>,
    done: Option<Done>,
    error: Option<ApiError>,
    usage: UsageCounter,
}

impl ChatCompletionBuilder {
    /// A builder for one answer.
    ///
    /// ```
    /// let b = harmony_openai::ChatCompletionBuilder::new(harmony_openai::ChatEncoderOptions::new("m"));
    /// assert!(b.failure().is_none());
    /// ```
    pub fn new(options: ChatEncoderOptions) -> Self {
        ChatCompletionBuilder {
            usage: UsageCounter::new(options.prompt_tokens),
            options,
            content: None,
            reasoning: None,
            calls: Vec::new(),
            done: None,
            error: None,
        }
    }

    /// Takes one event.
    ///
    /// ```
    /// use harmony_ollama::StreamEvent;
    /// let mut b = harmony_openai::ChatCompletionBuilder::new(harmony_openai::ChatEncoderOptions::new("m"));
    /// b.event(&StreamEvent::Delta { channel: None, text: "x".into() });
    /// assert_eq!(b.finish()["choices"][0]["message"]["content"], "x");
    /// ```
    pub fn event(&mut self, event: &StreamEvent) {
        match event {
            StreamEvent::Delta { channel, text } if !text.is_empty() => {
                let slot = if is_reasoning(*channel) {
                    self.usage.reasoning(text);
                    &mut self.reasoning
                } else {
                    self.usage.piece();
                    &mut self.content
                };
                slot.get_or_insert_with(String::new).push_str(text);
            }
            StreamEvent::ToolCallStart(start)
                if !self.calls.iter().any(|c| c.index == start.index) =>
            {
                self.calls.push(BuiltCall {
                    index: start.index,
                    id: start.id.clone(),
                    name: start.name.clone(),
                    arguments: String::new(),
                });
            }
            StreamEvent::ToolCallArgs { index, delta } if !delta.is_empty() => {
                self.usage.piece();
                if let Some(c) = self.calls.iter_mut().find(|c| c.index == *index) {
                    c.arguments.push_str(delta);
                }
            }
            StreamEvent::Done(done) => self.done = Some(done.clone()),
            _ => {}
        }
    }

    /// Records an upstream failure (the answer keeps what was generated).
    ///
    /// ```
    /// let mut b = harmony_openai::ChatCompletionBuilder::new(harmony_openai::ChatEncoderOptions::new("m"));
    /// b.error(harmony_openai::ApiError::upstream_error("gone"));
    /// assert_eq!(b.finish()["choices"][0]["finish_reason"], "length");
    /// ```
    pub fn error(&mut self, error: ApiError) {
        self.error.get_or_insert(error);
    }

    /// The failure recorded, if any.
    ///
    /// ```
    /// let b = harmony_openai::ChatCompletionBuilder::new(harmony_openai::ChatEncoderOptions::new("m"));
    /// assert!(b.failure().is_none());
    /// ```
    pub fn failure(&self) -> Option<&ApiError> {
        self.error.as_ref()
    }

    /// The usage (the `Done` event's count when there was one).
    ///
    /// ```
    /// let b = harmony_openai::ChatCompletionBuilder::new(harmony_openai::ChatEncoderOptions::new("m"));
    /// assert_eq!(b.usage().prompt_tokens, 0);
    /// ```
    pub fn usage(&self) -> Usage {
        self.usage.finish(self.done.as_ref())
    }

    /// The `chat.completion` object.
    ///
    /// ```
    /// let b = harmony_openai::ChatCompletionBuilder::new(harmony_openai::ChatEncoderOptions::new("m"));
    /// assert!(b.finish()["choices"][0]["message"]["content"].is_null());
    /// ```
    pub fn finish(&self) -> Value {
        let mut message = json!({"role": "assistant", "content": self.content});
        if let Some(r) = &self.reasoning {
            for name in self.options.reasoning_field.names() {
                message[*name] = Value::from(r.as_str());
            }
        }
        if !self.calls.is_empty() {
            message["tool_calls"] = self
                .calls
                .iter()
                .map(|c| {
                    json!({"id": c.id, "type": "function",
                           "function": {"name": c.name, "arguments": c.arguments}})
                })
                .collect();
        }
        let reason = if self.error.is_some() {
            "length"
        } else {
            finish_reason(self.done.as_ref(), !self.calls.is_empty())
        };
        json!({
            "id": self.options.id,
            "object": "chat.completion",
            "created": self.options.created,
            "model": self.options.model,
            "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": reason}],
            "usage": self.usage().chat_json(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::push_num;

    #[test]
    fn numbers_are_written_as_format_writes_them() {
        for n in [0, 7, 10, 99, 100, 12_345, u64::MAX] {
            let mut out = b"x".to_vec();
            push_num(&mut out, n);
            assert_eq!(out, format!("x{n}").into_bytes());
        }
    }
}
