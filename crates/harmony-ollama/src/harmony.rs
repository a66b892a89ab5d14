//! Chat modes on top of the transport: one input (OpenAI-style chat messages and
//! tools), two ways to Ollama, one [`HarmonyResponse`].
//!
//! - [`ChatMode::Harmony`]: the conversation is rendered here (`harmony-chat`, marker
//!   text in untrusted content neutralised), sent raw to `/api/generate`, and the
//!   streamed text is parsed here (`harmony-stream`, tolerant). Ollama never sends
//!   `<|call|>` / `<|return|>` (they stop sampling), so at `done` the stop is inferred:
//!   an open message with a recipient was a tool call, anything else a final answer.
//!   `done_reason: "length"` leaves the open message as truncated (`Eof`).
//! - [`ChatMode::Standard`]: `/api/chat` with the tools; Ollama parses the output and
//!   its `thinking` / `content` / `tool_calls` are mapped into the same response.

use std::time::Duration;

use futures_util::StreamExt;
use harmony_chat::{
    from_chat, ChatMessage, ChatOptions, ChatRole, ChatTool, Role, SystemContent, TextOptions,
};
use harmony_stream::{Collector, Event, Marker, OwnedDiagnostic, Sink, TextParser};
use harmony_tools::ToolCall;
use tokio::time::Instant;

use crate::client::OllamaClient;
use crate::config::{ChatMode, ReasoningEffort};
use crate::error::{ConfigError, Error};
use crate::line::Metrics;
use crate::request::{ChatRequest, ChatRequestMessage, GenerateRequest};
use crate::stream::{ChatEvent, GenerateEvent};

/// The answer to one completion request, whichever mode produced it.
///
/// ```
/// let r = harmony_ollama::HarmonyResponse::default();
/// assert!(r.final_content.is_none() && r.tool_calls.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct HarmonyResponse {
    /// User-visible text (final answers and preambles), or `None`.
    pub final_content: Option<String>,
    /// Reasoning (analysis), or `None`.
    pub thinking: Option<String>,
    /// Tool calls, in order.
    pub tool_calls: Vec<ToolCall>,
    /// Timings, counts, stop reason, diagnostics.
    pub metadata: ResponseMetadata,
}

/// Everything about a response other than its text.
///
/// ```
/// assert!(!harmony_ollama::ResponseMetadata::default().truncated);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ResponseMetadata {
    /// The mode used.
    pub mode: ChatMode,
    /// Model that answered.
    pub model: String,
    /// Ollama's `done_reason`.
    pub done_reason: Option<String>,
    /// Generation hit the token limit (`done_reason: "length"`).
    pub truncated: bool,
    /// Ollama's timings and token counts.
    pub metrics: Metrics,
    /// Malformed output the parser tolerated (harmony mode).
    pub diagnostics: Vec<OwnedDiagnostic>,
    /// When each message's text arrived, measured from sending the request.
    pub channel_timings: Vec<ChannelTiming>,
    /// Wall time from sending the request to `done`.
    pub elapsed: Duration,
    /// The raw completion text as streamed (harmony mode).
    pub raw_text: Option<String>,
}

/// Arrival times of one message's text.
///
/// ```
/// assert_eq!(harmony_ollama::ChannelTiming::default().bytes, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChannelTiming {
    /// The message's channel, as written.
    pub channel: Option<String>,
    /// Its recipient, for tool calls.
    pub recipient: Option<String>,
    /// First content byte.
    pub first: Option<Duration>,
    /// Last content byte.
    pub last: Option<Duration>,
    /// Content bytes.
    pub bytes: usize,
}

/// Forwards events to a [`Collector`] and timestamps each message's content.
struct TimedSink {
    collector: Collector,
    timings: Vec<ChannelTiming>,
    started: Instant,
}

impl Sink for TimedSink {
    fn event(&mut self, event: Event<'_>) {
        match &event {
            Event::MessageStart(h) => self.timings.push(ChannelTiming {
                channel: h.channel().map(str::to_owned),
                recipient: h.recipient().map(str::to_owned),
                ..ChannelTiming::default()
            }),
            Event::Delta(d) => {
                if let Some(t) = self.timings.last_mut() {
                    let now = self.started.elapsed();
                    t.first.get_or_insert(now);
                    t.last = Some(now);
                    t.bytes += d.len();
                }
            }
            _ => {}
        }
        self.collector.event(event);
    }
}

fn effort(e: ReasoningEffort) -> harmony_chat::ReasoningEffort {
    match e {
        ReasoningEffort::Low => harmony_chat::ReasoningEffort::Low,
        ReasoningEffort::Medium => harmony_chat::ReasoningEffort::Medium,
        ReasoningEffort::High => harmony_chat::ReasoningEffort::High,
    }
}

impl OllamaClient {
    /// Completes a chat in the configured mode ([`Config::mode`](crate::Config::mode)).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), harmony_ollama::Error> {
    /// use harmony_chat::{ChatMessage, ChatRole};
    /// let client = harmony_ollama::OllamaClient::from_env()?;
    /// let messages = vec![ChatMessage { role: ChatRole::User, content: Some("Hi".into()), ..Default::default() }];
    /// let response = client.complete("gpt-oss:20b", &messages, &[]).await?;
    /// println!("{:?}", response.final_content);
    /// # Ok(()) }
    /// ```
    pub async fn complete(
        &self,
        model: &str,
        messages: &[ChatMessage],
        tools: &[ChatTool],
    ) -> Result<HarmonyResponse, Error> {
        self.complete_with_mode(model, messages, tools, self.config().mode)
            .await
    }

    /// Completes a chat in `mode`.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), harmony_ollama::Error> {
    /// use harmony_ollama::ChatMode;
    /// let client = harmony_ollama::OllamaClient::from_env()?;
    /// let response = client.complete_with_mode("gpt-oss:20b", &[], &[], ChatMode::Harmony).await?;
    /// # drop(response); Ok(()) }
    /// ```
    pub async fn complete_with_mode(
        &self,
        model: &str,
        messages: &[ChatMessage],
        tools: &[ChatTool],
        mode: ChatMode,
    ) -> Result<HarmonyResponse, Error> {
        match mode {
            ChatMode::Harmony => self.complete_harmony(model, messages, tools).await,
            ChatMode::Standard => self.complete_standard(model, messages, tools).await,
        }
    }

    async fn complete_harmony(
        &self,
        model: &str,
        messages: &[ChatMessage],
        tools: &[ChatTool],
    ) -> Result<HarmonyResponse, Error> {
        let mut system = SystemContent::new();
        if let Some(e) = self.config().reasoning_effort {
            system = system.with_reasoning_effort(effort(e));
        }
        let options = ChatOptions {
            system,
            ..ChatOptions::default()
        };
        let render_err = |e: harmony_chat::RenderError| {
            Error::Config(ConfigError::InvalidValue {
                what: "conversation",
                value: e.to_string(),
                allowed: "a conversation harmony-chat can render",
            })
        };
        let conversation = from_chat(messages, tools, &options).map_err(render_err)?;
        let prompt = harmony_chat::Renderer::new()
            .render_text_for_completion(&conversation, Role::Assistant, &TextOptions::default())
            .map_err(render_err)?;

        let started = Instant::now();
        let mut stream = self
            .generate_raw(&GenerateRequest::new(model, prompt.text))
            .await?;
        let mut parser = TextParser::new();
        let mut sink = TimedSink {
            collector: Collector::new(),
            timings: Vec::new(),
            started,
        };
        let mut raw = String::new();
        let mut done = None;
        while let Some(event) = stream.next().await {
            match event? {
                GenerateEvent::Response(text) => {
                    raw.push_str(&text);
                    parser.feed(text.as_bytes(), &mut sink);
                }
                GenerateEvent::Thinking(_) => {}
                GenerateEvent::Done(d) => done = Some(d),
            }
        }
        let done = done.unwrap_or_default();
        let truncated = done.is_truncated();
        if !truncated {
            // The stop token Ollama swallowed: a call if the open message has a recipient.
            if let Some(header) = parser.current_header() {
                let marker = if header.is_tool_call() {
                    Marker::Call
                } else {
                    Marker::Return
                };
                parser.feed_marker(marker, &mut sink);
            }
        }
        parser.finish(&mut sink);
        let completion = sink.collector.finish();
        Ok(HarmonyResponse {
            final_content: completion.content(),
            thinking: completion.reasoning(),
            tool_calls: harmony_tools::tool_calls(&completion),
            metadata: ResponseMetadata {
                mode: ChatMode::Harmony,
                model: done.model,
                truncated,
                done_reason: done.done_reason,
                metrics: done.metrics,
                diagnostics: completion.diagnostics,
                channel_timings: sink.timings,
                elapsed: started.elapsed(),
                raw_text: Some(raw),
            },
        })
    }

    async fn complete_standard(
        &self,
        model: &str,
        messages: &[ChatMessage],
        tools: &[ChatTool],
    ) -> Result<HarmonyResponse, Error> {
        let messages = messages.iter().map(to_ollama_message).collect();
        let tools = tools
            .iter()
            .filter_map(|t| serde_json::to_value(t).ok())
            .collect();
        let req = ChatRequest::new(model, messages).tools(tools);
        let started = Instant::now();
        let mut stream = self.chat_stream(&req).await?;
        let (mut content, mut thinking) = (String::new(), String::new());
        let mut timing = [
            ChannelTiming {
                channel: Some("analysis".into()),
                ..Default::default()
            },
            ChannelTiming {
                channel: Some("final".into()),
                ..Default::default()
            },
        ];
        let mut calls = Vec::new();
        let mut done = None;
        while let Some(event) = stream.next().await {
            let (slot, text) = match event? {
                ChatEvent::Thinking(t) => (0, t),
                ChatEvent::Content(c) => (1, c),
                ChatEvent::ToolCalls(c) => {
                    calls.extend(c);
                    continue;
                }
                ChatEvent::Done(d) => {
                    done = Some(d);
                    continue;
                }
            };
            let now = started.elapsed();
            let t = &mut timing[slot];
            t.first.get_or_insert(now);
            t.last = Some(now);
            t.bytes += text.len();
            if slot == 0 {
                &mut thinking
            } else {
                &mut content
            }
            .push_str(&text);
        }
        let done = done.unwrap_or_default();
        let tool_calls = calls
            .into_iter()
            .map(|c| {
                let raw = c.arguments.to_string();
                ToolCall {
                    recipient: format!("functions.{}", c.name),
                    name: c.name,
                    namespace: "functions".into(),
                    channel: Some("commentary".into()),
                    content_type: Some("<|constrain|>json".into()),
                    arguments: Some(c.arguments),
                    raw_arguments: raw,
                    complete: true,
                    arguments_error: None,
                }
            })
            .collect();
        Ok(HarmonyResponse {
            final_content: (!content.is_empty()).then_some(content),
            thinking: (!thinking.is_empty()).then_some(thinking),
            tool_calls,
            metadata: ResponseMetadata {
                mode: ChatMode::Standard,
                model: done.model.clone(),
                truncated: done.is_truncated(),
                done_reason: done.done_reason,
                metrics: done.metrics,
                diagnostics: Vec::new(),
                channel_timings: timing.into_iter().filter(|t| t.bytes > 0).collect(),
                elapsed: started.elapsed(),
                raw_text: None,
            },
        })
    }
}

/// OpenAI-style message to Ollama's `/api/chat` shape.
fn to_ollama_message(m: &ChatMessage) -> ChatRequestMessage {
    let content = m.content.clone().unwrap_or_default();
    let mut out = match m.role {
        ChatRole::System | ChatRole::Developer => ChatRequestMessage::system(content),
        ChatRole::User => ChatRequestMessage::user(content),
        ChatRole::Assistant => ChatRequestMessage::assistant(content),
        ChatRole::Tool => ChatRequestMessage::tool(m.name.clone().unwrap_or_default(), content),
    };
    out.tool_calls = m
        .tool_calls
        .iter()
        .map(|c| {
            // Ollama wants the arguments as an object, not as JSON text.
            let args: serde_json::Value =
                serde_json::from_str(&c.function.arguments).unwrap_or(serde_json::Value::Null);
            serde_json::json!({"function": {"name": c.function.name, "arguments": args}})
        })
        .collect();
    out
}
