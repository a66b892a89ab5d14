//! One [`HarmonyResponse`] from the [`StreamEvent`]s of either mode: whole messages
//! through `harmony-stream`'s collector (so both modes share its content/reasoning
//! rules), tool calls from the extractor's start and end, arrival times per message.
//!
//! Where the events come from, per mode (see [`Engine`](crate::Engine)):
//! - [`ChatMode::Harmony`]: the conversation is rendered here (`harmony-chat`, marker
//!   text in untrusted content neutralised), sent raw to `/api/generate`, and the
//!   streamed text is parsed here (`harmony-stream`, tolerant). Ollama never sends
//!   `<|call|>` / `<|return|>` (they stop sampling), so at `done` the stop is inferred:
//!   an open message with a recipient was a tool call, anything else a final answer.
//!   `done_reason: "length"` leaves the open message as truncated (`Eof`).
//! - [`ChatMode::Standard`]: `/api/chat` with the tools; Ollama parses the output and
//!   its `thinking` / `content` / `tool_calls` are mapped into the same response.

use std::time::Duration;

use harmony_chat::{ChatMessage, ChatRole, ChatToolCall};
use harmony_stream::{Collector, Diagnostic, Event, OwnedDiagnostic, Sink, TextParser};
use harmony_tools::{ToolCall, ToolCallStart};
use tokio::time::Instant;

use crate::modes::events::{ResponseDiagnostic, ResponseDiagnosticKind, StreamEvent};
use crate::transport::config::ChatMode;
use crate::transport::error::Partial;
use crate::transport::line::OllamaMetrics;
use crate::transport::stream::{Done, DoneReason};

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
/// assert!(!harmony_ollama::ResponseMetadata::default().truncated());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ResponseMetadata {
    /// The mode used.
    pub mode: ChatMode,
    /// Model that answered.
    pub model: String,
    /// Why generation ended: Ollama's `done_reason`, typed
    /// ([`DoneReason::NoDoneLine`] when no `done` line came, as after a salvaged call).
    pub done_reason: DoneReason,
    /// Ollama's timings and token counts.
    pub metrics: OllamaMetrics,
    /// Malformed output the parser tolerated (harmony mode).
    pub diagnostics: Vec<OwnedDiagnostic>,
    /// What this crate salvaged, guessed or repaired (a tool call rebuilt from Ollama's
    /// `error parsing tool call`, a tool name assumed, an undeclared tool called).
    pub response_diagnostics: Vec<ResponseDiagnostic>,
    /// When each message's text arrived, measured from sending the request.
    pub channel_timings: Vec<ChannelTiming>,
    /// Wall time from sending the request to `done`.
    pub elapsed: Duration,
    /// The raw completion text as streamed (harmony mode).
    pub raw_text: Option<String>,
}

impl ResponseMetadata {
    /// Whether the answer was cut short: the token limit (`done_reason: "length"`) or a
    /// runner that closed the connection (`done` without a reason); see
    /// [`DoneReason::is_truncated`].
    ///
    /// ```
    /// use harmony_ollama::{DoneReason, ResponseMetadata};
    /// let mut m = ResponseMetadata::default();
    /// assert!(!m.truncated());
    /// m.done_reason = DoneReason::Length;
    /// assert!(m.truncated());
    /// ```
    pub fn truncated(&self) -> bool {
        self.done_reason.is_truncated()
    }
}

impl HarmonyResponse {
    /// The response as the assistant message that continues the conversation: the
    /// answer, the reasoning, and the tool calls with their ids (`call_{i}` for a call
    /// that came without one), arguments as the model wrote them.
    ///
    /// ```
    /// use harmony_chat::ChatRole;
    /// use harmony_ollama::{ChatMode, Engine, GenerateEvent, ResponseAccumulator};
    ///
    /// let mut engine = Engine::new(ChatMode::Harmony);
    /// let mut acc = ResponseAccumulator::new(ChatMode::Harmony);
    /// let call = r#"<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}"#;
    /// engine.generate(GenerateEvent::Response(call.into()), &mut |e| acc.push(e));
    /// engine.generate(GenerateEvent::Done(Default::default()), &mut |e| acc.push(e));
    /// let response = acc.finish();
    /// let message = response.to_message();
    /// assert_eq!(message.role, ChatRole::Assistant);
    /// assert_eq!(message.tool_calls[0].id.as_deref(), Some(response.tool_calls[0].id.as_str()));
    /// assert_eq!(message.tool_calls[0].function.arguments, r#"{"city":"Paris"}"#);
    /// ```
    pub fn to_message(&self) -> ChatMessage {
        let mut m = ChatMessage::new(ChatRole::Assistant, "");
        m.content = self.final_content.clone();
        m.reasoning = self.thinking.clone();
        m.tool_calls = self
            .tool_calls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let id = if c.id.is_empty() {
                    format!("call_{i}")
                } else {
                    c.id.clone()
                };
                ChatToolCall::new(id, &c.name, c.raw_arguments.trim())
            })
            .collect();
        m
    }

    /// Whether some tool call was rebuilt from Ollama's `error parsing tool call`.
    ///
    /// ```
    /// assert!(!harmony_ollama::HarmonyResponse::default().salvaged());
    /// ```
    pub fn salvaged(&self) -> bool {
        self.metadata.response_diagnostics.iter().any(|d| {
            matches!(
                d.kind,
                ResponseDiagnosticKind::ToolCallSalvaged | ResponseDiagnosticKind::ToolCallTextLost
            )
        })
    }
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

/// Builds a [`HarmonyResponse`] from [`StreamEvent`]s, for callers that read the
/// stream themselves (to show text as it arrives) and still want the whole answer:
/// whole messages through a [`Collector`] (so both modes share harmony-stream's
/// content/reasoning rules), tool calls from the extractor's start and end, arrival
/// times per message.
///
/// ```
/// use harmony_ollama::{ChatMode, Engine, GenerateEvent, ResponseAccumulator};
///
/// let mut engine = Engine::new(ChatMode::Harmony);
/// let mut acc = ResponseAccumulator::new(ChatMode::Harmony);
/// let text = "<|channel|>analysis<|message|>Need weather.<|end|>\
///     <|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Paris\"}";
/// engine.generate(GenerateEvent::Response(text.into()), &mut |e| acc.push(e));
/// engine.generate(GenerateEvent::Done(Default::default()), &mut |e| acc.push(e));
/// let response = acc.finish();
/// assert_eq!(response.thinking.as_deref(), Some("Need weather."));
/// assert_eq!(response.tool_calls[0].name, "get_weather");
/// assert!(response.tool_calls[0].id.starts_with("call_"));
/// ```
#[derive(Debug)]
pub struct ResponseAccumulator {
    mode: ChatMode,
    collector: Collector,
    timings: Vec<ChannelTiming>,
    started: Instant,
    start: Option<ToolCallStart>,
    calls: Vec<ToolCall>,
    notes: Vec<ResponseDiagnostic>,
    done: Option<Done>,
}

impl ResponseAccumulator {
    /// An empty response of `mode`; arrival times count from now.
    ///
    /// ```
    /// use harmony_ollama::{ChatMode, ResponseAccumulator};
    /// let r = ResponseAccumulator::new(ChatMode::Standard).finish();
    /// assert_eq!(r.metadata.mode, ChatMode::Standard);
    /// assert!(r.final_content.is_none());
    /// ```
    pub fn new(mode: ChatMode) -> Self {
        Self::started_at(mode, Instant::now())
    }

    /// Arrival times count from `started` (when the request was sent).
    pub(crate) fn started_at(mode: ChatMode, started: Instant) -> Self {
        ResponseAccumulator {
            mode,
            collector: Collector::new(),
            timings: Vec::new(),
            started,
            start: None,
            calls: Vec::new(),
            notes: Vec::new(),
            done: None,
        }
    }

    fn text(&mut self, text: &str) {
        if let Some(t) = self.timings.last_mut() {
            let now = self.started.elapsed();
            t.first.get_or_insert(now);
            t.last = Some(now);
            t.bytes += text.len();
        }
        self.collector.event(Event::Delta(text));
    }

    /// Takes one event of the stream.
    ///
    /// ```
    /// use harmony_ollama::{Channel, ChatMode, ResponseAccumulator, StreamEvent};
    /// use harmony_stream::{Header, Role, Stop};
    /// let mut acc = ResponseAccumulator::new(ChatMode::Standard);
    /// acc.push(StreamEvent::MessageStart(Header::new(Role::Assistant).with_channel("final")));
    /// acc.push(StreamEvent::Delta { channel: Some(Channel::Final), text: "Hi".into() });
    /// acc.push(StreamEvent::MessageEnd(Stop::Return));
    /// assert_eq!(acc.finish().final_content.as_deref(), Some("Hi"));
    /// ```
    pub fn push(&mut self, event: StreamEvent) {
        match event {
            StreamEvent::MessageStart(h) => {
                self.timings.push(ChannelTiming {
                    channel: h.channel().map(str::to_owned),
                    recipient: h.recipient().map(str::to_owned),
                    ..ChannelTiming::default()
                });
                self.collector.event(Event::MessageStart(&h));
            }
            StreamEvent::Delta { text, .. } => self.text(&text),
            StreamEvent::ToolCallArgs { delta, .. } => self.text(&delta),
            StreamEvent::MessageEnd(stop) => self.collector.event(Event::MessageEnd(stop)),
            StreamEvent::ToolCallStart(s) => self.start = Some(s),
            StreamEvent::ToolCallEnd(end) => {
                let s = self.start.take().unwrap_or_default();
                self.calls.push(ToolCall {
                    id: s.id,
                    arguments: end.arguments(),
                    name: s.name,
                    recipient: s.recipient,
                    namespace: s.namespace,
                    channel: s.channel,
                    content_type: s.content_type,
                    raw_arguments: end.raw,
                    complete: end.complete,
                    arguments_error: end.error,
                    repairs: end.repairs,
                });
            }
            StreamEvent::Diagnostic(d) => self.collector.event(Event::Diagnostic(Diagnostic {
                kind: d.kind,
                at: d.at,
                detail: &d.detail,
            })),
            StreamEvent::ResponseDiagnostic(d) => self.notes.push(d),
            StreamEvent::Done(d) => self.done = Some(d),
        }
    }

    /// The response so far (all of it once [`StreamEvent::Done`] was pushed). A message
    /// still open counts with what it has (its stop is `Eof`); `raw_text` is `None`.
    ///
    /// ```
    /// use harmony_ollama::{ChatMode, ResponseAccumulator};
    /// assert!(ResponseAccumulator::new(ChatMode::Harmony).finish().metadata.raw_text.is_none());
    /// ```
    pub fn finish(self) -> HarmonyResponse {
        let mode = self.mode;
        let raw_text = None;
        let completion = self.collector.finish();
        let done = self.done.unwrap_or_default();
        HarmonyResponse {
            final_content: completion.content(),
            thinking: completion.reasoning(),
            tool_calls: self.calls,
            metadata: ResponseMetadata {
                mode,
                model: done.model,
                done_reason: done.reason,
                metrics: done.metrics,
                diagnostics: completion.diagnostics,
                response_diagnostics: self.notes,
                channel_timings: self.timings,
                elapsed: self.started.elapsed(),
                raw_text,
            },
        }
    }
}

/// Harmony mode: turns a failed stream's [`Partial`], whose `content` is the raw
/// completion text, into the answer and the reasoning parsed from it (as the engine
/// parses: an implicit assistant header). Runs once, on the error path.
pub(crate) fn parse_partial(partial: &mut Partial) {
    let raw = std::mem::take(&mut partial.content);
    let mut parser = TextParser::new();
    let mut collector = Collector::new();
    parser.feed(raw.as_bytes(), &mut collector);
    parser.finish(&mut collector);
    let completion = collector.finish();
    partial.content = completion.content().unwrap_or_default();
    let reasoning = completion.reasoning().unwrap_or_default();
    if partial.thinking.is_empty() {
        partial.thinking = reasoning;
    } else if !reasoning.is_empty() {
        partial.thinking.push('\n');
        partial.thinking.push_str(&reasoning);
    }
}
