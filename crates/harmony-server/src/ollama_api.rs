//! The Ollama side of the gateway: `POST /api/chat` answered through harmony mode (the
//! gateway renders, Ollama generates raw, the engine parses), so an Ollama client only
//! changes the port and gets `message.tool_calls`, `message.thinking` and never an HTTP
//! 500 for a malformed call. `/api/tags`, `/api/show`, `/api/version`, `/api/ps` and
//! `/api/generate` pass through unchanged.

use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use harmony_chat::{
    from_chat, ChatMessage, ChatOptions, ChatTool, ReasoningEffort, Role, SystemContent,
    TextOptions,
};
use harmony_ollama::{Channel, Done, Options, StreamEvent};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::GatewayError;
use crate::state::AppState;
use crate::turn::{Protocol, Turn, TurnSpec};

/// The body of an Ollama `/api/chat` request, as far as the gateway reads it.
#[derive(Debug, Deserialize)]
struct OllamaChatRequest {
    model: String,
    #[serde(default)]
    messages: Vec<Value>,
    #[serde(default)]
    tools: Vec<ChatTool>,
    /// `true`/`false` or `"low"`/`"medium"`/`"high"`.
    #[serde(default)]
    think: Option<Value>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    options: Option<Options>,
    /// Structured output: not enforced here (the answer is passed through).
    #[serde(default)]
    #[allow(dead_code)]
    format: Option<Value>,
}

fn bad(message: impl Into<String>, param: &str) -> GatewayError {
    GatewayError::bad_request(message, Some(param))
}

/// Ollama's message shape (`tool_name` for a tool result, arguments as an object) to
/// the chat shape the renderer reads.
fn message(i: usize, mut m: Value) -> Result<ChatMessage, GatewayError> {
    if let Some(obj) = m.as_object_mut() {
        if let Some(name) = obj.remove("tool_name") {
            obj.entry("name").or_insert(name);
        }
        obj.remove("images");
    }
    serde_json::from_value(m).map_err(|e| bad(format!("messages[{i}]: {e}"), "messages"))
}

fn effort(think: &Option<Value>) -> Result<Option<ReasoningEffort>, GatewayError> {
    Ok(match think {
        None | Some(Value::Bool(_)) | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(match s.as_str() {
            "low" => ReasoningEffort::Low,
            "medium" => ReasoningEffort::Medium,
            "high" => ReasoningEffort::High,
            other => {
                return Err(bad(
                    format!(
                        "think {other:?} is not valid; allowed: true, false, low, medium, high"
                    ),
                    "think",
                ))
            }
        }),
        Some(other) => {
            return Err(bad(
                format!("think must be a boolean or a level, not {other}"),
                "think",
            ))
        }
    })
}

/// `POST /api/chat`.
pub(crate) async fn chat(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    match chat_inner(state, &body).await {
        Ok(r) => r,
        Err(e) => e.into_ollama(),
    }
}

async fn chat_inner(state: AppState, body: &[u8]) -> Result<Response, GatewayError> {
    let req: OllamaChatRequest = serde_json::from_slice(body)
        .map_err(|e| GatewayError::bad_request(format!("invalid request body: {e}"), None))?;
    let messages = req
        .messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| message(i, m))
        .collect::<Result<Vec<_>, _>>()?;
    // `think: false` cannot switch gpt-oss's reasoning off; it is only hidden.
    let show_thinking = !matches!(req.think, Some(Value::Bool(false)));
    let mut system = SystemContent::new();
    if let Some(effort) = effort(&req.think)? {
        system = system.with_reasoning_effort(effort);
    }
    let options = ChatOptions {
        system,
        ..ChatOptions::default()
    };
    let conversation = from_chat(&messages, &req.tools, &options)
        .map_err(|e| GatewayError::bad_request(e.to_string(), Some("messages")))?;
    let prompt = state
        .renderer
        .render_text_for_completion(&conversation, Role::Assistant, &TextOptions::default())
        .map_err(|e| GatewayError::bad_request(e.to_string(), Some("messages")))?
        .text;
    let spec = TurnSpec {
        protocol: Protocol::Ollama,
        model: req.model.clone(),
        conversation,
        prompt,
        prefill: harmony_openai::Prefill::None,
        tools: req.tools.iter().map(|t| t.function.name.clone()).collect(),
        options: req.options.unwrap_or_default(),
    };
    let turn = Turn::start(&state, spec).await?;
    let stream = req.stream.unwrap_or(true);
    let model = req.model;
    if !stream {
        let mut acc = OllamaAnswer::default();
        let mut events = turn.events;
        while let Some(e) = events.next().await {
            match e {
                Ok(e) => acc.event(e),
                Err(e) => {
                    let err = GatewayError::from_upstream(e, state.upstream.base(), &model);
                    if acc.is_empty() {
                        return Err(err);
                    }
                    // What was generated is kept: the answer so far, with the error beside
                    // it and `done_reason: "error"`.
                    let mut line = acc.final_line(&model, show_thinking);
                    line["done_reason"] = "error".into();
                    line["error"] = err.to_string().into();
                    return Ok((StatusCode::OK, axum::Json(line)).into_response());
                }
            }
        }
        let line = acc.final_line(&model, show_thinking);
        return Ok((StatusCode::OK, axum::Json(line)).into_response());
    }
    let mut acc = OllamaAnswer::default();
    let started = Instant::now();
    let body = turn.events.map(move |e| {
        let mut out = Vec::new();
        match e {
            Ok(e) => acc.stream_event(e, &model, show_thinking, started, &mut out),
            Err(e) => {
                let err = GatewayError::from_upstream(e, "", &model);
                push_line(&mut out, &err.ollama_body());
            }
        }
        Ok::<_, std::convert::Infallible>(bytes::Bytes::from(out))
    });
    let mut resp = Response::new(Body::from_stream(body));
    resp.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    Ok(resp)
}

fn push_line(out: &mut Vec<u8>, v: &Value) {
    // serde_json never fails on a Value.
    if let Ok(s) = serde_json::to_vec(v) {
        out.extend_from_slice(&s);
        out.push(b'\n');
    }
}

fn now_rfc3339() -> String {
    crate::time::rfc3339_now()
}

/// A tool call in Ollama's shape: arguments as an object. Arguments that are not a
/// JSON object are never an error: they arrive as `{"raw_arguments": "<text>"}`.
fn ollama_call(index: usize, name: &str, raw: &str) -> Value {
    let arguments = match serde_json::from_str::<Value>(raw.trim()) {
        Ok(v @ Value::Object(_)) => v,
        _ => json!({ "raw_arguments": raw }),
    };
    json!({"id": format!("call_{index}"), "function": {"index": index, "name": name, "arguments": arguments}})
}

/// Builds Ollama's answer from the engine's events.
#[derive(Default)]
struct OllamaAnswer {
    content: String,
    thinking: String,
    calls: Vec<Value>,
    names: Vec<String>,
    done: Option<Done>,
}

impl OllamaAnswer {
    /// Whether nothing was generated yet.
    fn is_empty(&self) -> bool {
        self.content.is_empty() && self.thinking.is_empty() && self.calls.is_empty()
    }

    fn event(&mut self, e: StreamEvent) {
        match e {
            StreamEvent::Delta {
                channel: Some(Channel::Analysis),
                text,
            } => self.thinking.push_str(&text),
            StreamEvent::Delta { text, .. } => self.content.push_str(&text),
            StreamEvent::ToolCallStart(s) => self.names.push(s.name),
            StreamEvent::ToolCallEnd(end) => {
                let name = self.names.last().cloned().unwrap_or_default();
                self.calls.push(ollama_call(end.index, &name, &end.raw));
            }
            StreamEvent::Done(d) => self.done = Some(d),
            _ => {}
        }
    }

    fn done_fields(&self, line: &mut Map<String, Value>) {
        let done = self.done.clone().unwrap_or_default();
        let reason = if done.is_truncated() {
            "length"
        } else {
            "stop"
        };
        line.insert("done".into(), true.into());
        line.insert("done_reason".into(), reason.into());
        let m = done.metrics;
        let nanos = |d: Option<std::time::Duration>| d.map(|d| d.as_nanos() as u64);
        for (k, v) in [
            ("total_duration", nanos(m.total_duration)),
            ("load_duration", nanos(m.load_duration)),
            ("prompt_eval_count", m.prompt_eval_count),
            ("prompt_eval_duration", nanos(m.prompt_eval_duration)),
            ("eval_count", m.eval_count),
            ("eval_duration", nanos(m.eval_duration)),
        ] {
            if let Some(v) = v {
                line.insert(k.into(), v.into());
            }
        }
    }

    fn final_line(&self, model: &str, show_thinking: bool) -> Value {
        let mut message = json!({"role": "assistant", "content": self.content});
        if show_thinking && !self.thinking.is_empty() {
            message["thinking"] = self.thinking.clone().into();
        }
        if !self.calls.is_empty() {
            message["tool_calls"] = self.calls.clone().into();
        }
        let mut line = Map::new();
        line.insert("model".into(), model.into());
        line.insert("created_at".into(), now_rfc3339().into());
        line.insert("message".into(), message);
        self.done_fields(&mut line);
        Value::Object(line)
    }

    fn stream_event(
        &mut self,
        e: StreamEvent,
        model: &str,
        show_thinking: bool,
        _started: Instant,
        out: &mut Vec<u8>,
    ) {
        let line = |message: Value| json!({"model": model, "created_at": now_rfc3339(), "message": message, "done": false});
        match &e {
            StreamEvent::Delta { channel, text } => {
                if *channel != Some(Channel::Analysis) {
                    push_line(out, &line(json!({"role": "assistant", "content": text})));
                } else if show_thinking {
                    push_line(
                        out,
                        &line(json!({"role": "assistant", "content": "", "thinking": text})),
                    );
                }
            }
            StreamEvent::ToolCallEnd(end) => {
                let name = self.names.last().cloned().unwrap_or_default();
                let call = ollama_call(end.index, &name, &end.raw);
                push_line(
                    out,
                    &line(json!({"role": "assistant", "content": "", "tool_calls": [call]})),
                );
            }
            StreamEvent::Done(d) => {
                self.done = Some(d.clone());
                let mut last = Map::new();
                last.insert("model".into(), model.into());
                last.insert("created_at".into(), now_rfc3339().into());
                last.insert(
                    "message".into(),
                    json!({"role": "assistant", "content": ""}),
                );
                self.done_fields(&mut last);
                push_line(out, &Value::Object(last));
                return;
            }
            _ => {}
        }
        self.event(e);
    }
}

/// Routes passed to Ollama unchanged (`/api/tags`, `/api/show`, `/api/version`,
/// `/api/ps`, `/api/generate`): status, content type and body streamed back as they come.
pub(crate) async fn passthrough(
    State(state): State<AppState>,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let url = format!(
        "{}{}",
        state.upstream.base(),
        uri.path_and_query().map_or("", |p| p.as_str())
    );
    let mut req = state.upstream.http().request(method, &url).body(body);
    if let Some(ct) = headers.get(axum::http::header::CONTENT_TYPE) {
        req = req.header(axum::http::header::CONTENT_TYPE, ct);
    }
    match req.send().await {
        Ok(resp) => {
            let status =
                StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let content_type = resp.headers().get(reqwest::header::CONTENT_TYPE).cloned();
            let mut out = Response::new(Body::from_stream(resp.bytes_stream()));
            *out.status_mut() = status;
            if let Some(ct) = content_type.and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok())
            {
                out.headers_mut()
                    .insert(axum::http::header::CONTENT_TYPE, ct);
            }
            out
        }
        Err(e) => GatewayError::Unreachable {
            upstream: state.upstream.base().to_owned(),
            detail: crate::upstream::error_chain(&e),
        }
        .into_ollama(),
    }
}
