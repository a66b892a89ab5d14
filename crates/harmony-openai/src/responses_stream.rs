//! Responses out: [`ResponsesEncoder`] writes the event stream of docs/design.md, the gateway
//! as SSE frames, [`ResponseBuilder`] builds the non-streamed response object, both from
//! harmony-ollama's [`StreamEvent`]s.
//!
//! Per output item: `response.output_item.added`; for text items
//! `response.content_part.added`, the `response.output_text.delta`s (message items) or
//! `response.reasoning_text.delta`s (reasoning items), `response.output_text.done` /
//! `response.reasoning_text.done`, `response.content_part.done`; for calls the
//! `response.function_call_arguments.delta`s and `.done`; then
//! `response.output_item.done`. Around them: `response.created`,
//! `response.in_progress`, and `response.completed` (or `response.failed`). Every event
//! has `type` and a `sequence_number` rising from 0.

use serde_json::{json, Map, Value};

use harmony_chat::ReasoningEffort;
use harmony_ollama::{Channel, Done, StreamEvent};

use crate::chat_stream::{json_str, push_num};
use crate::common::{ResponseFormat, ToolChoice};
use crate::encrypted::encode_reasoning;
use crate::error::ApiError;
use crate::ids::{unix_now, IdGen};
use crate::responses_request::ResponsesRequest;
use crate::usage::{Usage, UsageCounter};

/// Settings of a Responses answer, and the request fields the response object echoes.
///
/// ```
/// use harmony_openai::{ResponsesOptions, ResponsesRequest};
/// let req = ResponsesRequest::from_slice(br#"{"model": "gpt-oss:20b", "input": "hi",
///     "include": ["reasoning.encrypted_content"]}"#).unwrap();
/// let o = ResponsesOptions::from_request(&req);
/// assert!(o.id.starts_with("resp_"));
/// assert!(o.include_encrypted_reasoning);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ResponsesOptions {
    /// The response `id` (`resp_…`).
    pub id: String,
    /// `model`.
    pub model: String,
    /// `created_at` (Unix seconds).
    pub created_at: u64,
    /// The prompt's token count, for `usage`.
    pub prompt_tokens: u64,
    /// Reasoning items carry `encrypted_content` (`include:
    /// ["reasoning.encrypted_content"]`).
    pub include_encrypted_reasoning: bool,
    /// Where item ids (`rs_`, `msg_`, `fc_`) come from.
    pub ids: IdGen,
    /// `instructions`, echoed.
    pub instructions: Option<String>,
    /// `tools`, echoed (function tools in Responses' shape).
    pub tools: Vec<Value>,
    /// `tool_choice`, echoed.
    pub tool_choice: ToolChoice,
    /// `parallel_tool_calls`, echoed.
    pub parallel_tool_calls: bool,
    /// `text.format`, echoed.
    pub text_format: ResponseFormat,
    /// `reasoning.effort`, echoed.
    pub reasoning_effort: Option<ReasoningEffort>,
    /// `max_output_tokens`, echoed.
    pub max_output_tokens: Option<u64>,
    /// `temperature`, echoed.
    pub temperature: Option<f64>,
    /// `top_p`, echoed.
    pub top_p: Option<f64>,
    /// `store`, echoed (`false` unless the client said otherwise: nothing is stored).
    pub store: bool,
    /// `metadata`, echoed.
    pub metadata: Option<Value>,
}

impl ResponsesOptions {
    /// Options with fresh ids and the current time, echoing nothing.
    ///
    /// ```
    /// let o = harmony_openai::ResponsesOptions::new("m");
    /// assert_eq!(o.model, "m");
    /// assert!(!o.include_encrypted_reasoning);
    /// ```
    pub fn new(model: &str) -> Self {
        let mut ids = IdGen::random();
        ResponsesOptions {
            id: ids.next("resp_"),
            model: model.to_owned(),
            created_at: unix_now(),
            prompt_tokens: 0,
            include_encrypted_reasoning: false,
            ids,
            instructions: None,
            tools: Vec::new(),
            tool_choice: ToolChoice::Auto,
            parallel_tool_calls: true,
            text_format: ResponseFormat::Text,
            reasoning_effort: None,
            max_output_tokens: None,
            temperature: None,
            top_p: None,
            store: false,
            metadata: None,
        }
    }

    /// Options echoing the request's fields.
    ///
    /// ```
    /// let req = harmony_openai::ResponsesRequest::from_slice(br#"{"model": "m", "input": "x",
    ///     "instructions": "Be terse.", "tools": [{"type": "function", "name": "f"}]}"#).unwrap();
    /// let o = harmony_openai::ResponsesOptions::from_request(&req);
    /// assert_eq!(o.instructions.as_deref(), Some("Be terse."));
    /// assert_eq!(o.tools[0]["name"], "f");
    /// ```
    pub fn from_request(req: &ResponsesRequest) -> Self {
        let mut o = Self::new(&req.model);
        o.include_encrypted_reasoning = req.include_encrypted_reasoning();
        o.instructions = req.instructions.clone();
        o.tools = req
            .tools
            .iter()
            .map(|t| {
                json!({"type": "function", "name": t.function.name,
                       "description": t.function.description,
                       "parameters": t.function.parameters, "strict": false})
            })
            .collect();
        o.tool_choice = req.tool_choice.clone();
        o.parallel_tool_calls = req.parallel_tool_calls.unwrap_or(true);
        o.text_format = req.text_format.clone();
        o.reasoning_effort = req.reasoning_effort;
        o.max_output_tokens = req.max_output_tokens;
        o.temperature = req.temperature;
        o.top_p = req.top_p;
        o.store = req.store.unwrap_or(false);
        o.metadata = req.metadata.clone();
        o
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextKind {
    Reasoning,
    /// A final answer (or channel-less text): `phase: "final_answer"`.
    Message,
    /// A preamble (commentary without recipient): a message item with
    /// `phase: "commentary"`, the field newer clients (Codex) read to tell the two apart.
    Preamble,
}

impl TextKind {
    fn phase(self) -> &'static str {
        match self {
            TextKind::Preamble => "commentary",
            _ => "final_answer",
        }
    }
}

#[derive(Debug)]
enum OpenKind {
    Text(TextKind),
    Call {
        index: usize,
        call_id: String,
        name: String,
    },
}

#[derive(Debug)]
struct OpenItem {
    kind: OpenKind,
    id: String,
    output_index: usize,
    text: String,
}

/// Streams a Responses answer as SSE frames (`event: <type>\ndata: <json>\n\n`) into the
/// caller's buffer: [`start`](Self::start) (or the first event) writes
/// `response.created` and `response.in_progress`, each [`StreamEvent`] its item events,
/// [`StreamEvent::Done`] closes the open item and writes `response.completed`;
/// [`error`](Self::error) writes `response.failed`.
///
/// ```
/// use harmony_ollama::{Channel, StreamEvent};
/// use harmony_openai::{ResponsesEncoder, ResponsesOptions};
///
/// let mut enc = ResponsesEncoder::new(ResponsesOptions::new("gpt-oss:20b"));
/// let mut out = Vec::new();
/// enc.event(&StreamEvent::Delta { channel: Some(Channel::Final), text: "Hi".into() }, &mut out);
/// enc.event(&StreamEvent::Done(Default::default()), &mut out);
/// let text = String::from_utf8(out).unwrap();
/// let types: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("event: ")).collect();
/// assert_eq!(types, [
///     "response.created", "response.in_progress",
///     "response.output_item.added", "response.content_part.added",
///     "response.output_text.delta", "response.output_text.done",
///     "response.content_part.done", "response.output_item.done",
///     "response.completed",
/// ]);
/// ```
#[derive(Debug)]
pub struct ResponsesEncoder {
    options: ResponsesOptions,
    /// Write frames (false: only build the object, for [`ResponseBuilder`]).
    stream: bool,
    seq: u64,
    started: bool,
    finished: bool,
    output: Vec<Value>,
    open: Option<OpenItem>,
    usage: UsageCounter,
    done: Option<Done>,
    error: Option<ApiError>,
}

impl ResponsesEncoder {
    /// An encoder for one answer.
    ///
    /// ```
    /// let enc = harmony_openai::ResponsesEncoder::new(harmony_openai::ResponsesOptions::new("m"));
    /// assert!(!enc.is_finished());
    /// ```
    pub fn new(options: ResponsesOptions) -> Self {
        ResponsesEncoder {
            usage: UsageCounter::new(options.prompt_tokens),
            options,
            stream: true,
            seq: 0,
            started: false,
            finished: false,
            output: Vec::new(),
            open: None,
            done: None,
            error: None,
        }
    }

    /// The response id.
    ///
    /// ```
    /// let o = harmony_openai::ResponsesOptions::new("m");
    /// let id = o.id.clone();
    /// assert_eq!(harmony_openai::ResponsesEncoder::new(o).id(), id);
    /// ```
    pub fn id(&self) -> &str {
        &self.options.id
    }

    /// Whether the stream is over (after `Done` or an error).
    ///
    /// ```
    /// let mut enc = harmony_openai::ResponsesEncoder::new(harmony_openai::ResponsesOptions::new("m"));
    /// enc.finish(&mut Vec::new());
    /// assert!(enc.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The usage so far (final after `Done`).
    ///
    /// ```
    /// let enc = harmony_openai::ResponsesEncoder::new(harmony_openai::ResponsesOptions::new("m"));
    /// assert_eq!(enc.usage().reasoning_tokens, 0);
    /// ```
    pub fn usage(&self) -> Usage {
        self.usage.finish(self.done.as_ref())
    }

    /// A frame from a JSON object (`type` and `sequence_number` first).
    fn frame(&mut self, kind: &str, fields: Value, out: &mut Vec<u8>) {
        let seq = self.seq;
        self.seq += 1;
        if !self.stream {
            return;
        }
        let mut obj = Map::with_capacity(8);
        obj.insert("type".into(), Value::from(kind));
        obj.insert("sequence_number".into(), Value::from(seq));
        if let Value::Object(f) = fields {
            obj.extend(f);
        }
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(kind.as_bytes());
        out.extend_from_slice(b"\ndata: ");
        let _ = serde_json::to_writer(&mut *out, &Value::Object(obj));
        out.extend_from_slice(b"\n\n");
    }

    /// A delta frame, written directly (the hot path: no JSON value is built).
    fn delta_frame(
        &mut self,
        kind: &str,
        item_id: &str,
        output_index: usize,
        content: bool,
        delta: &str,
        out: &mut Vec<u8>,
    ) {
        let seq = self.seq;
        self.seq += 1;
        if !self.stream {
            return;
        }
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(kind.as_bytes());
        out.extend_from_slice(b"\ndata: {\"type\":\"");
        out.extend_from_slice(kind.as_bytes());
        out.extend_from_slice(b"\",\"sequence_number\":");
        push_num(out, seq);
        out.extend_from_slice(b",\"item_id\":");
        json_str(out, item_id);
        out.extend_from_slice(b",\"output_index\":");
        push_num(out, output_index as u64);
        if content {
            out.extend_from_slice(b",\"content_index\":0");
        }
        out.extend_from_slice(b",\"delta\":");
        json_str(out, delta);
        if kind == "response.output_text.delta" {
            out.extend_from_slice(b",\"logprobs\":[]");
        }
        out.extend_from_slice(b"}\n\n");
    }

    /// Writes `response.created` and `response.in_progress` (once; the first event
    /// does it otherwise).
    ///
    /// ```
    /// let mut enc = harmony_openai::ResponsesEncoder::new(harmony_openai::ResponsesOptions::new("m"));
    /// let mut out = Vec::new();
    /// enc.start(&mut out);
    /// enc.start(&mut out);
    /// let text = String::from_utf8(out).unwrap();
    /// assert_eq!(text.matches("event: response.created\n").count(), 1);
    /// assert!(text.contains(r#""status":"in_progress""#));
    /// ```
    pub fn start(&mut self, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        let response = self.response_json("in_progress");
        self.frame("response.created", json!({"response": response}), out);
        let response = self.response_json("in_progress");
        self.frame("response.in_progress", json!({"response": response}), out);
    }

    fn text_item(&self, kind: TextKind, id: &str, text: &str, status: &str) -> Value {
        match kind {
            TextKind::Reasoning => {
                let mut item = json!({
                    "id": id, "type": "reasoning", "summary": [],
                    "content": [{"type": "reasoning_text", "text": text}],
                    "status": status,
                });
                if self.options.include_encrypted_reasoning {
                    item["encrypted_content"] = Value::from(encode_reasoning(text));
                }
                item
            }
            TextKind::Message | TextKind::Preamble => json!({
                "id": id, "type": "message", "status": status, "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
                "phase": kind.phase(),
            }),
        }
    }

    fn part(kind: TextKind, text: &str) -> Value {
        match kind {
            TextKind::Reasoning => json!({"type": "reasoning_text", "text": text}),
            TextKind::Message | TextKind::Preamble => {
                json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []})
            }
        }
    }

    fn open_text(&mut self, kind: TextKind, out: &mut Vec<u8>) {
        let prefix = match kind {
            TextKind::Reasoning => "rs_",
            TextKind::Message | TextKind::Preamble => "msg_",
        };
        let id = self.options.ids.next(prefix);
        let output_index = self.output.len();
        let item = match kind {
            TextKind::Reasoning => json!({"id": id, "type": "reasoning", "summary": []}),
            TextKind::Message | TextKind::Preamble => json!({
                "id": id, "type": "message", "status": "in_progress",
                "role": "assistant", "content": [], "phase": kind.phase(),
            }),
        };
        self.frame(
            "response.output_item.added",
            json!({"output_index": output_index, "item": item}),
            out,
        );
        self.frame(
            "response.content_part.added",
            json!({"item_id": id, "output_index": output_index, "content_index": 0,
                   "part": Self::part(kind, "")}),
            out,
        );
        self.open = Some(OpenItem {
            kind: OpenKind::Text(kind),
            id,
            output_index,
            text: String::new(),
        });
    }

    /// Closes the open item, writing its `.done` events; `complete: false` marks it
    /// `incomplete` (the stream ended inside it).
    fn close(&mut self, complete: bool, out: &mut Vec<u8>) {
        let Some(item) = self.open.take() else {
            return;
        };
        let status = if complete { "completed" } else { "incomplete" };
        let oi = item.output_index;
        let value = match &item.kind {
            OpenKind::Text(kind) => {
                let done = match kind {
                    TextKind::Reasoning => "response.reasoning_text.done",
                    TextKind::Message | TextKind::Preamble => "response.output_text.done",
                };
                let mut fields = json!({"item_id": item.id, "output_index": oi,
                                        "content_index": 0, "text": item.text});
                if *kind != TextKind::Reasoning {
                    fields["logprobs"] = json!([]);
                }
                self.frame(done, fields, out);
                self.frame(
                    "response.content_part.done",
                    json!({"item_id": item.id, "output_index": oi, "content_index": 0,
                           "part": Self::part(*kind, &item.text)}),
                    out,
                );
                self.text_item(*kind, &item.id, &item.text, status)
            }
            OpenKind::Call { call_id, name, .. } => {
                self.frame(
                    "response.function_call_arguments.done",
                    json!({"item_id": item.id, "output_index": oi, "name": name,
                           "arguments": item.text}),
                    out,
                );
                json!({"id": item.id, "type": "function_call", "status": status,
                       "call_id": call_id, "name": name, "arguments": item.text})
            }
        };
        self.frame(
            "response.output_item.done",
            json!({"output_index": oi, "item": value.clone()}),
            out,
        );
        self.output.push(value);
    }

    fn ensure_text(&mut self, kind: TextKind, out: &mut Vec<u8>) {
        let same =
            matches!(&self.open, Some(OpenItem { kind: OpenKind::Text(k), .. }) if *k == kind);
        if !same {
            self.close(true, out);
            self.open_text(kind, out);
        }
    }

    /// Writes the frames for one event.
    ///
    /// ```
    /// use harmony_ollama::{Channel, StreamEvent};
    /// use harmony_openai::{ResponsesEncoder, ResponsesOptions};
    /// let mut enc = ResponsesEncoder::new(ResponsesOptions::new("m"));
    /// let mut out = Vec::new();
    /// enc.event(&StreamEvent::Delta { channel: Some(Channel::Analysis), text: "hmm".into() }, &mut out);
    /// let text = String::from_utf8(out).unwrap();
    /// assert!(text.contains("event: response.reasoning_text.delta\n"));
    /// assert!(text.contains(r#""delta":"hmm""#));
    /// ```
    pub fn event(&mut self, event: &StreamEvent, out: &mut Vec<u8>) {
        if self.finished {
            return;
        }
        self.start(out);
        match event {
            // A message boundary closes the open item; a text item opens at its first
            // text, so an empty message (a header the upstream stopped after) leaves
            // no empty item behind.
            StreamEvent::MessageStart(_) => self.close(true, out),
            StreamEvent::Delta { channel, text } => {
                if text.is_empty() {
                    return;
                }
                let kind = match channel {
                    Some(Channel::Analysis) => {
                        self.usage.reasoning(text);
                        TextKind::Reasoning
                    }
                    Some(Channel::Commentary) => {
                        self.usage.piece();
                        TextKind::Preamble
                    }
                    _ => {
                        self.usage.piece();
                        TextKind::Message
                    }
                };
                self.ensure_text(kind, out);
                let Some(item) = self.open.as_mut() else {
                    return;
                };
                item.text.push_str(text);
                let (id, oi) = (std::mem::take(&mut item.id), item.output_index);
                let frame = match kind {
                    TextKind::Reasoning => "response.reasoning_text.delta",
                    TextKind::Message | TextKind::Preamble => "response.output_text.delta",
                };
                self.delta_frame(frame, &id, oi, true, text, out);
                if let Some(item) = self.open.as_mut() {
                    item.id = id;
                }
            }
            StreamEvent::MessageEnd(stop) => {
                // A call item is closed by its ToolCallEnd; a text item here.
                if matches!(
                    self.open,
                    Some(OpenItem {
                        kind: OpenKind::Text(_),
                        ..
                    })
                ) {
                    self.close(*stop != harmony_stream::Stop::Eof, out);
                }
            }
            StreamEvent::ToolCallStart(start) => {
                self.close(true, out);
                let id = self.options.ids.next("fc_");
                let output_index = self.output.len();
                self.frame(
                    "response.output_item.added",
                    json!({"output_index": output_index, "item": {
                        "id": id, "type": "function_call", "status": "in_progress",
                        "call_id": start.id, "name": start.name, "arguments": "",
                    }}),
                    out,
                );
                self.open = Some(OpenItem {
                    kind: OpenKind::Call {
                        index: start.index,
                        call_id: start.id.clone(),
                        name: start.name.clone(),
                    },
                    id,
                    output_index,
                    text: String::new(),
                });
            }
            StreamEvent::ToolCallArgs { index, delta } => {
                if !delta.is_empty() {
                    self.usage.piece();
                }
                let Some(item) = self.open.as_mut() else {
                    return;
                };
                if !matches!(item.kind, OpenKind::Call { index: i, .. } if i == *index)
                    || delta.is_empty()
                {
                    return;
                }
                item.text.push_str(delta);
                let (id, oi) = (std::mem::take(&mut item.id), item.output_index);
                self.delta_frame(
                    "response.function_call_arguments.delta",
                    &id,
                    oi,
                    false,
                    delta,
                    out,
                );
                if let Some(item) = self.open.as_mut() {
                    item.id = id;
                }
            }
            StreamEvent::ToolCallEnd(end) => {
                if matches!(&self.open, Some(OpenItem { kind: OpenKind::Call { index, .. }, .. }) if *index == end.index)
                {
                    self.close(end.complete, out);
                }
            }
            StreamEvent::Done(done) => {
                self.done = Some(done.clone());
                self.complete(out);
            }
            _ => {}
        }
    }

    fn complete(&mut self, out: &mut Vec<u8>) {
        let truncated = self.done.as_ref().is_some_and(Done::is_truncated);
        self.close(!truncated, out);
        self.finished = true;
        let status = if truncated { "incomplete" } else { "completed" };
        let response = self.response_json(status);
        self.frame("response.completed", json!({"response": response}), out);
    }

    /// Ends the stream without a `Done` event (the upstream stream ended): as `Done`
    /// with no token counts.
    ///
    /// ```
    /// let mut enc = harmony_openai::ResponsesEncoder::new(harmony_openai::ResponsesOptions::new("m"));
    /// let mut out = Vec::new();
    /// enc.finish(&mut out);
    /// assert!(String::from_utf8(out).unwrap().contains("event: response.completed\n"));
    /// ```
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.finished {
            self.start(out);
            self.complete(out);
        }
    }

    /// Writes `response.failed` (the response with `status: "failed"` and `error`);
    /// the stream is over.
    ///
    /// ```
    /// let mut enc = harmony_openai::ResponsesEncoder::new(harmony_openai::ResponsesOptions::new("m"));
    /// let mut out = Vec::new();
    /// enc.error(&harmony_openai::ApiError::upstream_error("boom"), &mut out);
    /// let text = String::from_utf8(out).unwrap();
    /// assert!(text.contains("event: response.failed\n"));
    /// assert!(text.contains(r#""code":"upstream_error""#));
    /// ```
    pub fn error(&mut self, error: &ApiError, out: &mut Vec<u8>) {
        if self.finished {
            return;
        }
        self.start(out);
        self.finished = true;
        self.error = Some(error.clone());
        let response = self.response_json("failed");
        self.frame("response.failed", json!({"response": response}), out);
    }

    /// The response object in its current state (`status` as given).
    fn response_json(&self, status: &str) -> Value {
        let o = &self.options;
        let mut output = self.output.clone();
        if let Some(item) = &self.open {
            // A failure inside an item: what was generated is kept, marked incomplete.
            output.push(match &item.kind {
                OpenKind::Text(kind) => self.text_item(*kind, &item.id, &item.text, "incomplete"),
                OpenKind::Call { call_id, name, .. } => json!({
                    "id": item.id, "type": "function_call", "status": "incomplete",
                    "call_id": call_id, "name": name, "arguments": item.text,
                }),
            });
        }
        let text_format = match &o.text_format {
            ResponseFormat::Text => json!({"type": "text"}),
            ResponseFormat::JsonObject => json!({"type": "json_object"}),
            ResponseFormat::JsonSchema {
                name,
                description,
                schema,
                strict,
            } => json!({"type": "json_schema", "name": name, "description": description,
                        "schema": schema, "strict": strict}),
        };
        let finished = status != "in_progress";
        json!({
            "id": o.id,
            "object": "response",
            "created_at": o.created_at,
            "status": status,
            "error": self.error.as_ref().filter(|_| status == "failed").map(|e| json!({
                "code": e.code.as_deref().unwrap_or("server_error"),
                "message": e.message,
            })),
            "incomplete_details": (status == "incomplete")
                .then(|| json!({"reason": "max_output_tokens"})),
            "instructions": o.instructions,
            "max_output_tokens": o.max_output_tokens,
            "model": o.model,
            "output": output,
            "parallel_tool_calls": o.parallel_tool_calls,
            "previous_response_id": null,
            "reasoning": {"effort": o.reasoning_effort.map(|e| e.as_str()), "summary": null},
            "store": o.store,
            "temperature": o.temperature,
            "text": {"format": text_format},
            "tool_choice": o.tool_choice.to_json(),
            "tools": o.tools,
            "top_p": o.top_p,
            "truncation": "disabled",
            "usage": finished.then(|| self.usage().responses_json()),
            "metadata": o.metadata.clone().unwrap_or_else(|| json!({})),
        })
    }
}

/// Builds the non-streamed response object from the same events as
/// [`ResponsesEncoder`] (the same state machine, writing no frames).
///
/// ```
/// use harmony_ollama::{Channel, StreamEvent};
/// use harmony_openai::{ResponseBuilder, ResponsesOptions};
///
/// let mut b = ResponseBuilder::new(ResponsesOptions::new("gpt-oss:20b"));
/// b.event(&StreamEvent::Delta { channel: Some(Channel::Analysis), text: "Easy.".into() });
/// b.event(&StreamEvent::Delta { channel: Some(Channel::Final), text: "4".into() });
/// b.event(&StreamEvent::Done(Default::default()));
/// let v = b.finish();
/// assert_eq!(v["status"], "completed");
/// assert_eq!(v["output"][0]["type"], "reasoning");
/// assert_eq!(v["output"][1]["content"][0]["text"], "4");
/// ```
#[derive(Debug)]
pub struct ResponseBuilder {
    inner: ResponsesEncoder,
}

impl ResponseBuilder {
    /// A builder for one answer.
    ///
    /// ```
    /// let b = harmony_openai::ResponseBuilder::new(harmony_openai::ResponsesOptions::new("m"));
    /// assert!(b.finish()["id"].as_str().unwrap().starts_with("resp_"));
    /// ```
    pub fn new(options: ResponsesOptions) -> Self {
        let mut inner = ResponsesEncoder::new(options);
        inner.stream = false;
        ResponseBuilder { inner }
    }

    /// Takes one event.
    ///
    /// ```
    /// use harmony_ollama::StreamEvent;
    /// let mut b = harmony_openai::ResponseBuilder::new(harmony_openai::ResponsesOptions::new("m"));
    /// b.event(&StreamEvent::Delta { channel: None, text: "x".into() });
    /// assert_eq!(b.finish()["output"][0]["content"][0]["text"], "x");
    /// ```
    pub fn event(&mut self, event: &StreamEvent) {
        self.inner.event(event, &mut Vec::new());
    }

    /// Records an upstream failure: the object gets `status: "failed"` and `error`,
    /// and keeps what was generated.
    ///
    /// ```
    /// let mut b = harmony_openai::ResponseBuilder::new(harmony_openai::ResponsesOptions::new("m"));
    /// b.error(&harmony_openai::ApiError::upstream_error("gone"));
    /// assert_eq!(b.finish()["status"], "failed");
    /// ```
    pub fn error(&mut self, error: &ApiError) {
        self.inner.error(error, &mut Vec::new());
    }

    /// The usage.
    ///
    /// ```
    /// let b = harmony_openai::ResponseBuilder::new(harmony_openai::ResponsesOptions::new("m"));
    /// assert_eq!(b.usage().completion_tokens, 0);
    /// ```
    pub fn usage(&self) -> Usage {
        self.inner.usage()
    }

    /// The response object (`completed`, `incomplete` or `failed`; an answer without
    /// `Done` counts as completed).
    ///
    /// ```
    /// let b = harmony_openai::ResponseBuilder::new(harmony_openai::ResponsesOptions::new("m"));
    /// assert_eq!(b.finish()["object"], "response");
    /// ```
    pub fn finish(&self) -> Value {
        let e = &self.inner;
        let status = if e.error.is_some() {
            "failed"
        } else if e.done.as_ref().is_some_and(Done::is_truncated) {
            "incomplete"
        } else {
            "completed"
        };
        e.response_json(status)
    }
}
