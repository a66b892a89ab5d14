//! The mode engine: Ollama's stream events in, [`StreamEvent`]s out, with no I/O.
//!
//! Everything that turns what Ollama sends into what a caller sees lives here and
//! nowhere else: the harmony parse of raw `/api/generate` text, the stop token raw
//! mode never sends (inferred at `done`), the mapping of `/api/chat`'s thinking,
//! content and tool calls, the salvage of `error parsing tool call`, and the channel
//! filter. [`ModeStream`](crate::ModeStream), the tool loop, the `harmony` CLI and the
//! gateway are shells that move bytes in and events out.
//!
//! ```
//! use harmony_ollama::{ChatMode, Engine, GenerateEvent, StreamEvent};
//!
//! let mut engine = Engine::new(ChatMode::Harmony);
//! let mut text = String::new();
//! let mut sink = |e: StreamEvent| {
//!     if let StreamEvent::Delta { text: t, .. } = e {
//!         text.push_str(&t);
//!     }
//! };
//! // The prompt ended with `<|start|>assistant`; Ollama streams the rest.
//! engine.generate(GenerateEvent::Response("<|channel|>final<|message|>Hel".into()), &mut sink);
//! engine.generate(GenerateEvent::Response("lo".into()), &mut sink);
//! engine.generate(GenerateEvent::Done(Default::default()), &mut sink);
//! assert_eq!(text, "Hello");
//! assert!(engine.is_finished());
//! ```

use harmony_chat::ChatTool;
use harmony_stream::{Channel, Header, Marker, Stop, TextParser};
use harmony_tools::ToolExtractor;

use crate::modes::events::{EventSink, ResponseDiagnostic, ResponseDiagnosticKind, StreamEvent};
use crate::modes::salvage::salvage;
use crate::modes::translate::{call_events, extractor, Open, Translate};
use crate::transport::config::{Channels, ChatMode};
use crate::transport::error::Error;
use crate::transport::stream::{ChatEvent, Done, GenerateEvent};

/// The sans-IO mode engine. Feed it the transport's events of one response
/// ([`GenerateEvent`]s in harmony mode, [`ChatEvent`]s in standard mode); it pushes
/// [`StreamEvent`]s into a sink. One engine per response.
///
/// ```
/// use harmony_ollama::{ChatEvent, ChatMode, Engine, StreamEvent};
///
/// let mut engine = Engine::new(ChatMode::Standard);
/// let mut events = Vec::new();
/// engine.chat(Ok(ChatEvent::Thinking("Think.".into())), &mut |e| events.push(e));
/// engine.chat(Ok(ChatEvent::Content("Hi".into())), &mut |e| events.push(e));
/// engine.chat(Ok(ChatEvent::Done(Default::default())), &mut |e| events.push(e));
/// assert!(matches!(events.last(), Some(StreamEvent::Done(_))));
/// ```
#[derive(Debug)]
pub struct Engine {
    mode: State,
    channels: Channels,
    declared: Vec<String>,
    tools: ToolExtractor,
    finished: bool,
}

/// What the engine is in the middle of, per mode.
#[derive(Debug)]
enum State {
    Harmony {
        parser: Box<TextParser>,
        open: Open,
        /// Ollama's own `thinking` field (a template that parsed the output itself).
        thinking: Thinking,
    },
    Standard {
        /// The open text message of `/api/chat`'s mapping.
        open: Option<StandardOpen>,
        calls: usize,
    },
}

/// Whether an analysis message built from Ollama's `thinking` field is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Thinking {
    Closed,
    Open,
}

/// `/api/chat`'s open text message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StandardOpen {
    channel: Channel,
    shown: bool,
}

impl Engine {
    /// An engine for `mode`, every channel shown, no tools declared.
    ///
    /// ```
    /// let engine = harmony_ollama::Engine::new(harmony_ollama::ChatMode::Harmony);
    /// assert_eq!(engine.mode(), harmony_ollama::ChatMode::Harmony);
    /// ```
    pub fn new(mode: ChatMode) -> Self {
        let mode = match mode {
            ChatMode::Harmony => State::Harmony {
                parser: Box::new(TextParser::new()),
                open: Open::None,
                thinking: Thinking::Closed,
            },
            ChatMode::Standard => State::Standard {
                open: None,
                calls: 0,
            },
        };
        Engine {
            mode,
            channels: Channels::ALL,
            declared: Vec::new(),
            tools: ToolExtractor::new(),
            finished: false,
        }
    }

    /// Only text on these channels is reported (tool calls always are).
    ///
    /// ```
    /// use harmony_ollama::{Channel, Channels, ChatMode, Engine};
    /// let engine = Engine::new(ChatMode::Harmony).with_channels(Channels::NONE.with(Channel::Final));
    /// # drop(engine);
    /// ```
    pub fn with_channels(mut self, channels: Channels) -> Self {
        self.channels = channels;
        self
    }

    /// The tools the request declared: calls to other names are flagged, and a
    /// salvaged call without a name takes the only declared one.
    ///
    /// ```
    /// use harmony_chat::ChatTool;
    /// use harmony_ollama::{ChatMode, Engine};
    /// let tools: Vec<ChatTool> = serde_json::from_str(
    ///     r#"[{"type": "function", "function": {"name": "get_weather"}}]"#).unwrap();
    /// let engine = Engine::new(ChatMode::Harmony).with_tools(&tools);
    /// # drop(engine);
    /// ```
    pub fn with_tools(self, tools: &[ChatTool]) -> Self {
        self.with_declared(tools.iter().map(|t| t.function.name.clone()).collect())
    }

    /// Like [`with_tools`](Self::with_tools), from the tools' names alone.
    ///
    /// ```
    /// use harmony_ollama::{ChatMode, Engine};
    /// let engine = Engine::new(ChatMode::Harmony).with_declared(vec!["get_weather".into()]);
    /// # drop(engine);
    /// ```
    pub fn with_declared(mut self, names: Vec<String>) -> Self {
        self.tools = extractor(&names);
        self.declared = names;
        self
    }

    /// The mode this engine reads.
    ///
    /// ```
    /// use harmony_ollama::{ChatMode, Engine};
    /// assert_eq!(Engine::new(ChatMode::Standard).mode(), ChatMode::Standard);
    /// ```
    pub fn mode(&self) -> ChatMode {
        match self.mode {
            State::Harmony { .. } => ChatMode::Harmony,
            State::Standard { .. } => ChatMode::Standard,
        }
    }

    /// Whether the response is over ([`StreamEvent::Done`] was pushed).
    ///
    /// ```
    /// use harmony_ollama::{ChatMode, Engine};
    /// assert!(!Engine::new(ChatMode::Harmony).is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The header of the message the harmony parser has open, if any.
    ///
    /// ```
    /// use harmony_ollama::{ChatMode, Engine, GenerateEvent};
    /// let mut engine = Engine::new(ChatMode::Harmony);
    /// engine.generate(GenerateEvent::Response("<|channel|>final<|message|>Hi".into()), &mut |_| {});
    /// assert_eq!(engine.open_header().and_then(|h| h.channel()), Some("final"));
    /// ```
    pub fn open_header(&self) -> Option<&Header> {
        match &self.mode {
            State::Harmony { parser, .. } => parser.current_header(),
            State::Standard { .. } => None,
        }
    }

    /// Harmony mode: one event of a raw `/api/generate` stream. At `done`, the stop
    /// token Ollama swallowed is supplied (a call when the open message has a
    /// recipient, the final answer otherwise; nothing when the output was cut at the
    /// length limit), the parser is finished and [`StreamEvent::Done`] is pushed.
    /// Ignored in standard mode and after `done`.
    ///
    /// ```
    /// use harmony_ollama::{ChatMode, Engine, GenerateEvent, StreamEvent};
    /// use harmony_stream::Stop;
    /// let mut engine = Engine::new(ChatMode::Harmony);
    /// let mut stops = Vec::new();
    /// let mut sink = |e| if let StreamEvent::MessageEnd(s) = e { stops.push(s) };
    /// engine.generate(GenerateEvent::Response(
    ///     "<|channel|>commentary to=functions.f <|constrain|>json<|message|>{}".into()), &mut sink);
    /// engine.generate(GenerateEvent::Done(Default::default()), &mut sink);
    /// assert_eq!(stops, [Stop::Call]);
    /// ```
    pub fn generate(&mut self, event: GenerateEvent, out: &mut EventSink<'_>) {
        if self.finished {
            return;
        }
        let State::Harmony {
            parser,
            open,
            thinking,
        } = &mut self.mode
        else {
            return;
        };
        match event {
            GenerateEvent::Response(text) => {
                close_thinking(thinking, out);
                let mut sink = Translate {
                    tools: &mut self.tools,
                    channels: self.channels,
                    out,
                    open,
                };
                parser.feed(text.as_bytes(), &mut sink);
            }
            GenerateEvent::Thinking(text) => {
                // Ollama parsed the output itself (its template inferred thinking
                // tags): deliver the reasoning as an analysis message.
                if !self.channels.contains(Channel::Analysis) {
                    return;
                }
                if *thinking == Thinking::Closed {
                    *thinking = Thinking::Open;
                    out(StreamEvent::MessageStart(
                        Header::new(harmony_stream::Role::Assistant).with_channel("analysis"),
                    ));
                }
                out(StreamEvent::Delta {
                    channel: Some(Channel::Analysis),
                    text: text.to_string(),
                });
            }
            GenerateEvent::Done(done) => {
                close_thinking(thinking, out);
                let mut sink = Translate {
                    tools: &mut self.tools,
                    channels: self.channels,
                    out,
                    open,
                };
                if !done.is_truncated() {
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
                end_note(&done, out);
                out(StreamEvent::Done(done));
                self.finished = true;
            }
        }
    }

    /// Standard mode: one event of a streaming `/api/chat` response, or the error it
    /// ended with. Ollama's `error parsing tool call` ([`Error::ToolCallParse`]) is
    /// salvaged into a call and ends the response; any other error is handed back
    /// (the response is over). Ignored in harmony mode and after `done`.
    ///
    /// # Errors
    /// Every transport error but [`Error::ToolCallParse`], unchanged.
    ///
    /// ```
    /// use harmony_ollama::{ChatMode, Engine, Error, Partial, StreamEvent};
    /// let mut engine = Engine::new(ChatMode::Standard);
    /// let mut calls = 0;
    /// let error = Error::ToolCallParse {
    ///     raw: "{\"city\":\"Paris\"]}".into(),
    ///     detail: "invalid character ']'".into(),
    ///     status: None,
    ///     partial: Partial::default(),
    /// };
    /// engine.chat(Err(error), &mut |e| if let StreamEvent::ToolCallEnd(_) = e { calls += 1 }).unwrap();
    /// assert_eq!(calls, 1);
    /// assert!(engine.is_finished());
    /// ```
    pub fn chat(
        &mut self,
        event: Result<ChatEvent, Error>,
        out: &mut EventSink<'_>,
    ) -> Result<(), Error> {
        if self.finished {
            return Ok(());
        }
        let State::Standard { open, calls } = &mut self.mode else {
            return Ok(());
        };
        let channels = self.channels;
        match event {
            Ok(ChatEvent::Thinking(t)) => standard_text(open, Channel::Analysis, &t, channels, out),
            Ok(ChatEvent::Content(c)) => standard_text(open, Channel::Final, &c, channels, out),
            Ok(ChatEvent::ToolCalls(list)) => {
                standard_close(open, Stop::End, out);
                for c in list {
                    let raw = serde_json::to_string(&c.arguments).unwrap_or_default();
                    let index = *calls;
                    *calls += 1;
                    let id = c.id.unwrap_or_else(|| format!("call_{index}"));
                    call_events(index, id, &c.name, &raw, out);
                }
            }
            Ok(ChatEvent::Done(done)) => {
                let stop = if done.is_truncated() {
                    Stop::Eof
                } else {
                    Stop::Return
                };
                standard_close(open, stop, out);
                end_note(&done, out);
                out(StreamEvent::Done(done));
                self.finished = true;
            }
            Err(Error::ToolCallParse { raw, detail, .. }) => {
                standard_close(open, Stop::End, out);
                salvage(&raw, &detail, &self.declared, channels, out);
                // Ollama sent no `done` line: the response ends with the salvage.
                out(StreamEvent::Done(Done::default()));
                self.finished = true;
            }
            Err(e) => {
                self.finished = true;
                return Err(e);
            }
        }
        Ok(())
    }

    /// The stream ended without `done` (an error, a dropped connection): what is open
    /// is closed as truncated (`Stop::Eof`). No [`StreamEvent::Done`] is pushed.
    ///
    /// ```
    /// use harmony_ollama::{ChatMode, Engine, GenerateEvent, StreamEvent};
    /// use harmony_stream::Stop;
    /// let mut engine = Engine::new(ChatMode::Harmony);
    /// let mut last = None;
    /// engine.generate(GenerateEvent::Response("<|channel|>final<|message|>Hal".into()), &mut |_| {});
    /// engine.abort(&mut |e| last = Some(e));
    /// assert_eq!(last, Some(StreamEvent::MessageEnd(Stop::Eof)));
    /// ```
    pub fn abort(&mut self, out: &mut EventSink<'_>) {
        if self.finished {
            return;
        }
        self.finished = true;
        match &mut self.mode {
            State::Harmony {
                parser,
                open,
                thinking,
            } => {
                if *thinking == Thinking::Open {
                    *thinking = Thinking::Closed;
                    out(StreamEvent::MessageEnd(Stop::Eof));
                }
                let mut sink = Translate {
                    tools: &mut self.tools,
                    channels: self.channels,
                    out,
                    open,
                };
                parser.finish(&mut sink);
            }
            State::Standard { open, .. } => standard_close(open, Stop::Eof, out),
        }
    }
}

/// Says so when the answer did not end normally (cut, runner gone, only loaded).
fn end_note(done: &Done, out: &mut EventSink<'_>) {
    if let Some(why) = done.reason.diagnostic() {
        out(StreamEvent::ResponseDiagnostic(ResponseDiagnostic::new(
            ResponseDiagnosticKind::AbnormalEnd,
            None,
            format!("{}: {why}", done.reason),
        )));
    }
}

fn close_thinking(thinking: &mut Thinking, out: &mut EventSink<'_>) {
    if *thinking == Thinking::Open {
        *thinking = Thinking::Closed;
        out(StreamEvent::MessageEnd(Stop::End));
    }
}

fn standard_text(
    open: &mut Option<StandardOpen>,
    channel: Channel,
    text: &str,
    channels: Channels,
    out: &mut EventSink<'_>,
) {
    if open.map(|o| o.channel) != Some(channel) {
        standard_close(open, Stop::End, out);
        let shown = channels.contains(channel);
        *open = Some(StandardOpen { channel, shown });
        if shown {
            out(StreamEvent::MessageStart(
                Header::new(harmony_stream::Role::Assistant).with_channel(channel.as_str()),
            ));
        }
    }
    if let Some(StandardOpen { shown: true, .. }) = open {
        out(StreamEvent::Delta {
            channel: Some(channel),
            text: text.to_owned(),
        });
    }
}

fn standard_close(open: &mut Option<StandardOpen>, stop: Stop, out: &mut EventSink<'_>) {
    if let Some(StandardOpen { channel, shown }) = open.take() {
        if shown {
            // Only a final answer ends with `<|return|>`.
            let stop = if channel == Channel::Final || stop == Stop::Eof {
                stop
            } else {
                Stop::End
            };
            out(StreamEvent::MessageEnd(stop));
        }
    }
}
