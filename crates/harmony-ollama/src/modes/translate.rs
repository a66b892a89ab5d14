//! Harmony core events to [`StreamEvent`]s: the tool extractor and the channel filter
//! between `harmony-stream`'s parser and the caller. Shared by the engine (the live
//! stream) and the salvage (a tool call re-read from Ollama's error text), so neither
//! depends on the other.

use harmony_stream::{Channel, DiagnosticKind, Event, Header, Sink, Stop};
use harmony_tools::{ToolCallEnd, ToolCallStart, ToolDiagnosticKind, ToolEvent, ToolExtractor};

use crate::modes::events::{EventSink, ResponseDiagnostic, ResponseDiagnosticKind, StreamEvent};
use crate::transport::config::Channels;

/// The message the harmony parser has open, as the caller sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Open {
    /// No message open.
    None,
    /// A message on a channel the caller did not ask for: nothing of it is reported.
    Hidden,
    /// A tool call: reported through the tool events, not as text.
    Call,
    /// A text message, reported, on this channel (`None`: no known channel).
    Text(Option<Channel>),
}

/// Harmony core events -> [`StreamEvent`]s, through the tool extractor and the
/// channel filter.
pub(crate) struct Translate<'a, 'o> {
    pub tools: &'a mut ToolExtractor,
    pub channels: Channels,
    pub out: &'a mut EventSink<'o>,
    pub open: &'a mut Open,
}

impl Sink for Translate<'_, '_> {
    fn event(&mut self, event: Event<'_>) {
        let out = &mut *self.out;
        match event {
            Event::MessageStart(h) => {
                let channel = h.known_channel();
                // Channel-less text counts as content.
                *self.open = if h.is_tool_call() {
                    Open::Call
                } else if self.channels.contains(channel.unwrap_or(Channel::Final)) {
                    Open::Text(channel)
                } else {
                    Open::Hidden
                };
                if matches!(*self.open, Open::Call | Open::Text(_)) {
                    out(StreamEvent::MessageStart(h.clone()));
                }
            }
            Event::Delta(d) => {
                if let Open::Text(channel) = *self.open {
                    out(StreamEvent::Delta {
                        channel,
                        text: d.to_owned(),
                    });
                }
            }
            Event::MessageEnd(_) | Event::Diagnostic(_) => {}
        }
        self.tools
            .observe(&event, &mut |t: ToolEvent<'_>| out(tool_event(t)));
        match event {
            Event::MessageEnd(stop) => {
                let was = std::mem::replace(self.open, Open::None);
                if matches!(was, Open::Call | Open::Text(_)) {
                    out(StreamEvent::MessageEnd(stop));
                }
            }
            // Expected, not malformed: the prompt ended with `<|start|>assistant`.
            Event::Diagnostic(d) if d.kind == DiagnosticKind::ImplicitStart => {}
            Event::Diagnostic(d) => out(StreamEvent::Diagnostic(d.to_owned())),
            _ => {}
        }
    }
}

fn tool_event(t: ToolEvent<'_>) -> StreamEvent {
    match t {
        ToolEvent::Start(s) => StreamEvent::ToolCallStart(s.clone()),
        ToolEvent::Args { index, delta } => StreamEvent::ToolCallArgs {
            index,
            delta: delta.to_owned(),
        },
        ToolEvent::End(e) => StreamEvent::ToolCallEnd(e.clone()),
        ToolEvent::Diagnostic(d) => {
            let kind = match d.kind {
                ToolDiagnosticKind::UnknownTool => ResponseDiagnosticKind::UnknownTool,
                _ => ResponseDiagnosticKind::ToolNameRepaired,
            };
            StreamEvent::ResponseDiagnostic(ResponseDiagnostic::new(
                kind,
                Some(d.index),
                format!("{}: {}", d.kind, d.detail),
            ))
        }
    }
}

/// A tool extractor that knows the declared names.
pub(crate) fn extractor(declared: &[String]) -> ToolExtractor {
    let tools = ToolExtractor::new();
    if declared.is_empty() {
        tools
    } else {
        tools.with_declared(declared.iter().cloned())
    }
}

/// The events of one whole tool call (standard mode, salvage).
pub(crate) fn call_events(
    index: usize,
    id: String,
    name: &str,
    raw: &str,
    out: &mut EventSink<'_>,
) {
    let recipient = format!("functions.{name}");
    let header = Header::new(harmony_stream::Role::Assistant)
        .with_channel("commentary")
        .with_recipient(&recipient)
        .with_content_type("<|constrain|>json");
    out(StreamEvent::MessageStart(header));
    out(StreamEvent::ToolCallStart(ToolCallStart {
        index,
        id: id.clone(),
        name: name.to_owned(),
        namespace: harmony_tools::Namespace::Functions,
        recipient,
        channel: Some("commentary".into()),
        content_type: Some("<|constrain|>json".into()),
    }));
    if !raw.is_empty() {
        out(StreamEvent::ToolCallArgs {
            index,
            delta: raw.to_owned(),
        });
    }
    out(StreamEvent::ToolCallEnd(ToolCallEnd {
        index,
        id,
        error: harmony_tools::parse_arguments(raw, None, true).err(),
        raw: raw.to_owned(),
        complete: true,
        ..Default::default()
    }));
    out(StreamEvent::MessageEnd(Stop::Call));
}
