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

use harmony_stream::{Collector, Diagnostic, Event, OwnedDiagnostic, Sink};
use harmony_tools::{ToolCall, ToolCallStart};
use tokio::time::Instant;

use crate::modes::events::{ResponseDiagnostic, ResponseDiagnosticKind, StreamEvent};
use crate::transport::config::ChatMode;
use crate::transport::line::OllamaMetrics;
use crate::transport::stream::Done;

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

impl HarmonyResponse {
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

/// Builds a [`HarmonyResponse`] from [`StreamEvent`]s: whole messages through a
/// [`Collector`] (so both modes share harmony-stream's content/reasoning rules), tool
/// calls from the extractor's start and end, arrival times per message.
pub(crate) struct ResponseBuilder {
    collector: Collector,
    timings: Vec<ChannelTiming>,
    started: Instant,
    start: Option<ToolCallStart>,
    calls: Vec<ToolCall>,
    notes: Vec<ResponseDiagnostic>,
    done: Option<Done>,
}

impl ResponseBuilder {
    pub(crate) fn new(started: Instant) -> Self {
        ResponseBuilder {
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

    pub(crate) fn event(&mut self, event: StreamEvent) {
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

    pub(crate) fn finish(self, mode: ChatMode, raw_text: Option<String>) -> HarmonyResponse {
        let completion = self.collector.finish();
        let done = self.done.unwrap_or_default();
        HarmonyResponse {
            final_content: completion.content(),
            thinking: completion.reasoning(),
            tool_calls: self.calls,
            metadata: ResponseMetadata {
                mode,
                model: done.model.clone(),
                truncated: done.is_truncated(),
                done_reason: done.done_reason().map(str::to_owned),
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
