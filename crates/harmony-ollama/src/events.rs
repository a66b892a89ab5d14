//! One event stream for both modes: [`OllamaClient::stream_with_mode`] and the
//! [`StreamEvent`]s it yields.
//!
//! - Harmony mode: the `response` fragments of a raw `/api/generate` stream go through
//!   `harmony-stream`'s [`TextParser`] as they arrive, and every core event through
//!   `harmony-tools`' [`ToolExtractor`], so tool-call arguments stream delta by delta.
//! - Standard mode: `/api/chat`'s `thinking` / `content` / `tool_calls` are mapped into
//!   the same events (an `analysis` message, a `final` message, one call message per
//!   tool call), and Ollama's `error parsing tool call` is salvaged into a call.
//!
//! Channels outside the configured set ([`Config::channels`](crate::Config::channels),
//! `HARMONY_CHANNELS`) never reach the caller: their messages are not reported at all.
//! Tool calls are always reported, whatever channel they were made on: they are
//! addressed to the caller's tools, not shown to a user, and a tool loop needs them.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::StreamExt;
use harmony_chat::{
    from_chat, ChatMessage, ChatOptions, ChatTool, Role, SystemContent, TextOptions,
};
use harmony_stream::{
    DiagnosticKind, Event, Header, Marker, OwnedDiagnostic, Sink, Stop, TextParser,
};
use harmony_tools::{ToolCallEnd, ToolCallStart, ToolDiagnosticKind, ToolEvent, ToolExtractor};

use crate::client::OllamaClient;
use crate::config::{Channel, Channels, ChatMode, ReasoningEffort};
use crate::error::{ConfigError, Error};
use crate::request::{ChatRequest, GenerateRequest};
use crate::salvage::salvage;
use crate::stream::{ChatEvent, ChatStream, Done, GenerateEvent, GenerateStream};

/// Something this crate noticed about a response, beyond the harmony parser's own
/// diagnostics: a salvaged tool call, a tool name it had to guess or repair.
///
/// ```
/// use harmony_ollama::{ResponseDiagnostic, ResponseDiagnosticKind};
/// let d = ResponseDiagnostic::new(ResponseDiagnosticKind::ToolNameUnknown, Some(0), "no tool declared");
/// assert_eq!(d.to_string(), "tool_name_unknown (call 0): no tool declared");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseDiagnostic {
    /// What happened.
    pub kind: ResponseDiagnosticKind,
    /// The tool call it concerns, if any.
    pub call: Option<usize>,
    /// Details for humans (Ollama's error text, the name as written, ...).
    pub message: String,
}

impl ResponseDiagnostic {
    /// A diagnostic.
    ///
    /// ```
    /// use harmony_ollama::{ResponseDiagnostic, ResponseDiagnosticKind};
    /// let d = ResponseDiagnostic::new(ResponseDiagnosticKind::UnknownTool, None, "x");
    /// assert_eq!(d.kind, ResponseDiagnosticKind::UnknownTool);
    /// ```
    pub fn new(
        kind: ResponseDiagnosticKind,
        call: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        ResponseDiagnostic {
            kind,
            call,
            message: message.into(),
        }
    }
}

impl fmt::Display for ResponseDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.call {
            Some(i) => write!(f, "{} (call {i}): {}", self.kind, self.message),
            None => write!(f, "{}: {}", self.kind, self.message),
        }
    }
}

/// The kinds of [`ResponseDiagnostic`].
///
/// ```
/// assert_eq!(harmony_ollama::ResponseDiagnosticKind::ToolCallSalvaged.as_str(), "tool_call_salvaged");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseDiagnosticKind {
    /// Ollama's parser rejected a tool call (`error parsing tool call`); the call was
    /// rebuilt from the raw text it reported. The message is Ollama's error.
    ToolCallSalvaged,
    /// Ollama reported the failure without the raw text (the `"error parsing tool
    /// call"` key of Ollama 0.11.3/0.11.4): the arguments are lost.
    ToolCallTextLost,
    /// Ollama's error does not name the tool; the only declared tool was assumed.
    ToolNameAssumed,
    /// Ollama's error does not name the tool and several (or no) tools were declared:
    /// the call's name is `unknown`.
    ToolNameUnknown,
    /// The called name is not among the declared tools (the call is delivered anyway).
    UnknownTool,
    /// Marker text or a glued content type was cut off the called name.
    ToolNameRepaired,
}

impl ResponseDiagnosticKind {
    /// snake_case name.
    ///
    /// ```
    /// assert_eq!(harmony_ollama::ResponseDiagnosticKind::UnknownTool.as_str(), "unknown_tool");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ResponseDiagnosticKind::ToolCallSalvaged => "tool_call_salvaged",
            ResponseDiagnosticKind::ToolCallTextLost => "tool_call_text_lost",
            ResponseDiagnosticKind::ToolNameAssumed => "tool_name_assumed",
            ResponseDiagnosticKind::ToolNameUnknown => "tool_name_unknown",
            ResponseDiagnosticKind::UnknownTool => "unknown_tool",
            ResponseDiagnosticKind::ToolNameRepaired => "tool_name_repaired",
        }
    }
}

impl fmt::Display for ResponseDiagnosticKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event of [`OllamaClient::stream_with_mode`], the same in both modes.
///
/// A message is `MessageStart`, then `Delta`s (text) or `ToolCallStart`, `ToolCallArgs`s
/// and `ToolCallEnd` (a tool call), then `MessageEnd`. Diagnostics may come anywhere;
/// `Done` is always last.
///
/// ```
/// use harmony_ollama::{Channel, StreamEvent};
/// let e = StreamEvent::Delta { channel: Some(Channel::Final), text: "Hi".into() };
/// assert!(matches!(e, StreamEvent::Delta { channel: Some(Channel::Final), .. }));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// A message starts: role, channel, recipient (for a tool call), content type.
    MessageStart(Header),
    /// Text of the open message (not a tool call), on its channel (`None`: no known
    /// channel; such text counts as content).
    Delta {
        /// The message's channel.
        channel: Option<Channel>,
        /// The new text.
        text: String,
    },
    /// The open message ended.
    MessageEnd(Stop),
    /// A tool call starts (harmony-tools' start: index, id, name, namespace, ...).
    ToolCallStart(ToolCallStart),
    /// More of a call's raw arguments, as the model writes them (harmony mode), or all
    /// of them at once (standard mode: Ollama sends calls whole).
    ToolCallArgs {
        /// The call's index.
        index: usize,
        /// The new text.
        delta: String,
    },
    /// A tool call ended, its arguments checked (`error` says why they are not a JSON
    /// object; `raw` keeps them as written).
    ToolCallEnd(ToolCallEnd),
    /// Malformed output the harmony parser tolerated.
    Diagnostic(OwnedDiagnostic),
    /// Something this crate repaired, guessed or salvaged.
    ResponseDiagnostic(ResponseDiagnostic),
    /// The end: Ollama's `done` line (model, `done_reason`, metrics). For a salvaged
    /// tool-call failure, `done_reason` is `None` (Ollama sent no `done` line).
    Done(Done),
}

fn channel_of(header: &Header) -> Option<Channel> {
    match header.known_channel()? {
        harmony_stream::Channel::Analysis => Some(Channel::Analysis),
        harmony_stream::Channel::Commentary => Some(Channel::Commentary),
        harmony_stream::Channel::Final => Some(Channel::Final),
    }
}

/// Whether text on `channel` reaches the caller: channel-less text counts as content.
fn shown(channels: Channels, channel: Option<Channel>) -> bool {
    channels.contains(channel.unwrap_or(Channel::Final))
}

type Queue = VecDeque<Result<StreamEvent, Error>>;

/// Harmony core events -> [`StreamEvent`]s, through the tool extractor and the
/// channel filter.
pub(crate) struct Translate<'a> {
    pub tools: &'a mut ToolExtractor,
    pub channels: Channels,
    pub out: &'a mut Queue,
    /// The open message: `(reported, is_call, channel)`.
    pub open: &'a mut Option<(bool, bool, Option<Channel>)>,
}

impl Sink for Translate<'_> {
    fn event(&mut self, event: Event<'_>) {
        let out = &mut *self.out;
        match event {
            Event::MessageStart(h) => {
                let call = h.is_tool_call();
                let channel = channel_of(h);
                let reported = call || shown(self.channels, channel);
                *self.open = Some((reported, call, channel));
                if reported {
                    out.push_back(Ok(StreamEvent::MessageStart(h.clone())));
                }
            }
            Event::Delta(d) => {
                if let Some((true, false, channel)) = *self.open {
                    out.push_back(Ok(StreamEvent::Delta {
                        channel,
                        text: d.to_owned(),
                    }));
                }
            }
            Event::MessageEnd(_) | Event::Diagnostic(_) => {}
        }
        self.tools.observe(&event, &mut |t: ToolEvent<'_>| {
            out.push_back(Ok(tool_event(t)));
        });
        match event {
            Event::MessageEnd(stop) => {
                if let Some((true, ..)) = self.open.take() {
                    out.push_back(Ok(StreamEvent::MessageEnd(stop)));
                }
            }
            // Expected, not malformed: the prompt ended with `<|start|>assistant`.
            Event::Diagnostic(d) if d.kind == DiagnosticKind::ImplicitStart => {}
            Event::Diagnostic(d) => out.push_back(Ok(StreamEvent::Diagnostic(d.to_owned()))),
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

struct HarmonyState {
    stream: GenerateStream,
    parser: TextParser,
    tools: ToolExtractor,
    open: Option<(bool, bool, Option<Channel>)>,
}

/// Standard mode's mapping state.
struct StandardState {
    stream: Option<ChatStream>,
    model: String,
    declared: Vec<String>,
    /// The open text message's channel (`Analysis` or `Final`) and whether it is shown.
    open: Option<(Channel, bool)>,
    calls: usize,
}

enum Inner {
    Harmony(Box<HarmonyState>),
    Standard(Box<StandardState>),
}

/// The stream [`OllamaClient::stream_with_mode`] returns:
/// `Stream<Item = Result<StreamEvent, Error>>`.
///
/// Ends after [`StreamEvent::Done`], or after one error. Dropping it closes the
/// connection to Ollama (which stops generating).
///
/// ```no_run
/// use futures_util::StreamExt;
/// use harmony_ollama::{ChatMode, OllamaClient, StreamEvent};
///
/// # async fn run() -> Result<(), harmony_ollama::Error> {
/// let client = OllamaClient::from_env()?;
/// let messages = [harmony_chat::ChatMessage::new(harmony_chat::ChatRole::User, "Hi")];
/// let mut stream = client.stream_with_mode("gpt-oss:20b", &messages, &[], ChatMode::Harmony).await?;
/// while let Some(event) = stream.next().await {
///     match event? {
///         StreamEvent::Delta { text, .. } => print!("{text}"),
///         StreamEvent::ToolCallArgs { delta, .. } => print!("{delta}"),
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
pub struct ModeStream {
    inner: Inner,
    pending: Queue,
    finished: bool,
    channels: Channels,
}

impl fmt::Debug for ModeStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModeStream")
            .field("mode", &self.mode())
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl ModeStream {
    /// The mode this stream talks to Ollama in.
    ///
    /// ```no_run
    /// # fn f(s: &harmony_ollama::ModeStream) {
    /// println!("{:?}", s.mode());
    /// # }
    /// ```
    pub fn mode(&self) -> ChatMode {
        match self.inner {
            Inner::Harmony(_) => ChatMode::Harmony,
            Inner::Standard(_) => ChatMode::Standard,
        }
    }

    /// Harmony mode: the completion text received so far, markers included, exactly
    /// as streamed. `None` in standard mode.
    ///
    /// ```no_run
    /// # fn f(s: &harmony_ollama::ModeStream) {
    /// println!("{:?}", s.raw_text());
    /// # }
    /// ```
    pub fn raw_text(&self) -> Option<&str> {
        match &self.inner {
            Inner::Harmony(h) => Some(&h.stream.received().content),
            Inner::Standard(_) => None,
        }
    }

    fn on_generate(&mut self, event: GenerateEvent) {
        let Inner::Harmony(h) = &mut self.inner else {
            return;
        };
        let HarmonyState {
            parser,
            tools,
            open,
            ..
        } = &mut **h;
        let mut sink = Translate {
            tools,
            channels: self.channels,
            out: &mut self.pending,
            open,
        };
        match event {
            GenerateEvent::Response(text) => parser.feed(text.as_bytes(), &mut sink),
            GenerateEvent::Thinking(_) => {}
            GenerateEvent::Done(done) => {
                if !done.is_truncated() {
                    // The stop token Ollama swallowed: a call if the open message has
                    // a recipient, the final answer otherwise.
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
                self.pending.push_back(Ok(StreamEvent::Done(done)));
                self.finished = true;
            }
        }
    }

    fn on_chat(&mut self, event: Result<ChatEvent, Error>) {
        let Inner::Standard(s) = &mut self.inner else {
            return;
        };
        let out = &mut self.pending;
        let channels = self.channels;
        match event {
            Ok(ChatEvent::Thinking(t)) => s.text(Channel::Analysis, &t, channels, out),
            Ok(ChatEvent::Content(c)) => s.text(Channel::Final, &c, channels, out),
            Ok(ChatEvent::ToolCalls(calls)) => {
                s.close(Stop::End, out);
                for c in calls {
                    let raw = serde_json::to_string(&c.arguments).unwrap_or_default();
                    let index = s.calls;
                    s.calls += 1;
                    let id = c.id.unwrap_or_else(|| format!("call_{index}"));
                    call_events(index, id, &c.name, &raw, out);
                }
            }
            Ok(ChatEvent::Done(done)) => {
                s.close(Stop::Return, out);
                out.push_back(Ok(StreamEvent::Done(done)));
                self.finished = true;
            }
            Err(Error::ToolCallParse { raw, detail, .. }) => {
                s.close(Stop::End, out);
                salvage(&raw, &detail, &s.declared, channels, out);
                out.push_back(Ok(StreamEvent::Done(Done {
                    model: s.model.clone(),
                    ..Done::default()
                })));
                self.finished = true;
            }
            Err(e) => {
                out.push_back(Err(e));
                self.finished = true;
            }
        }
    }
}

/// The events of one whole tool call (standard mode, salvage).
pub(crate) fn call_events(index: usize, id: String, name: &str, raw: &str, out: &mut Queue) {
    let recipient = format!("functions.{name}");
    let header = Header::new(harmony_stream::Role::Assistant)
        .with_channel("commentary")
        .with_recipient(&recipient)
        .with_content_type("<|constrain|>json");
    out.push_back(Ok(StreamEvent::MessageStart(header)));
    out.push_back(Ok(StreamEvent::ToolCallStart(ToolCallStart {
        index,
        id: id.clone(),
        name: name.to_owned(),
        namespace: "functions".into(),
        recipient,
        channel: Some("commentary".into()),
        content_type: Some("<|constrain|>json".into()),
    })));
    if !raw.is_empty() {
        out.push_back(Ok(StreamEvent::ToolCallArgs {
            index,
            delta: raw.to_owned(),
        }));
    }
    out.push_back(Ok(StreamEvent::ToolCallEnd(ToolCallEnd {
        index,
        id,
        error: harmony_tools::parse_arguments(raw, None, true).err(),
        raw: raw.to_owned(),
        complete: true,
        ..Default::default()
    })));
    out.push_back(Ok(StreamEvent::MessageEnd(Stop::Call)));
}

impl StandardState {
    fn text(&mut self, channel: Channel, text: &str, channels: Channels, out: &mut Queue) {
        if self.open.map(|(c, _)| c) != Some(channel) {
            self.close(Stop::End, out);
            let shown = channels.contains(channel);
            self.open = Some((channel, shown));
            if shown {
                out.push_back(Ok(StreamEvent::MessageStart(
                    Header::new(harmony_stream::Role::Assistant).with_channel(channel.as_str()),
                )));
            }
        }
        if let Some((_, true)) = self.open {
            out.push_back(Ok(StreamEvent::Delta {
                channel: Some(channel),
                text: text.to_owned(),
            }));
        }
    }

    fn close(&mut self, stop: Stop, out: &mut Queue) {
        if let Some((channel, shown)) = self.open.take() {
            if shown {
                // Only a final answer ends with `<|return|>`.
                let stop = if channel == Channel::Final {
                    stop
                } else {
                    Stop::End
                };
                out.push_back(Ok(StreamEvent::MessageEnd(stop)));
            }
        }
    }
}

impl Stream for ModeStream {
    type Item = Result<StreamEvent, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.pending.pop_front() {
                return Poll::Ready(Some(item));
            }
            if this.finished {
                return Poll::Ready(None);
            }
            match &mut this.inner {
                Inner::Harmony(h) => match h.stream.poll_next_unpin(cx) {
                    Poll::Ready(Some(Ok(event))) => this.on_generate(event),
                    Poll::Ready(Some(Err(e))) => {
                        this.pending.push_back(Err(e));
                        this.finished = true;
                    }
                    Poll::Ready(None) => this.finished = true,
                    Poll::Pending => return Poll::Pending,
                },
                Inner::Standard(s) => {
                    let Some(stream) = s.stream.as_mut() else {
                        this.finished = true;
                        continue;
                    };
                    match stream.poll_next_unpin(cx) {
                        Poll::Ready(Some(event)) => this.on_chat(event),
                        Poll::Ready(None) => this.finished = true,
                        Poll::Pending => return Poll::Pending,
                    }
                }
            }
            if this.finished {
                // Release the connection as soon as the answer is complete.
                match &mut this.inner {
                    Inner::Standard(s) => s.stream = None,
                    Inner::Harmony(_) => {}
                }
            }
        }
    }
}

fn effort(e: ReasoningEffort) -> harmony_chat::ReasoningEffort {
    match e {
        ReasoningEffort::Low => harmony_chat::ReasoningEffort::Low,
        ReasoningEffort::Medium => harmony_chat::ReasoningEffort::Medium,
        ReasoningEffort::High => harmony_chat::ReasoningEffort::High,
    }
}

pub(crate) fn declared_names(tools: &[ChatTool]) -> Vec<String> {
    tools.iter().map(|t| t.function.name.clone()).collect()
}

impl OllamaClient {
    /// Streams a chat in the configured mode ([`Config::mode`](crate::Config::mode)).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), harmony_ollama::Error> {
    /// let client = harmony_ollama::OllamaClient::from_env()?;
    /// let stream = client.stream("gpt-oss:20b", &[], &[]).await?;
    /// # drop(stream); Ok(()) }
    /// ```
    pub async fn stream(
        &self,
        model: &str,
        messages: &[ChatMessage],
        tools: &[ChatTool],
    ) -> Result<ModeStream, Error> {
        self.stream_with_mode(model, messages, tools, self.config().mode)
            .await
    }

    /// Streams a chat in `mode` as [`StreamEvent`]s: per-channel text deltas, tool
    /// calls with their arguments streamed (harmony mode), diagnostics, then `Done`.
    ///
    /// Returns once Ollama answered; HTTP-level failures are returned here, except
    /// Ollama's `error parsing tool call` in standard mode, which is salvaged into a
    /// tool call (see [`ResponseDiagnosticKind::ToolCallSalvaged`]). Channels outside
    /// [`Config::channels`](crate::Config::channels) are not reported; tool calls
    /// always are.
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    /// use harmony_ollama::{ChatMode, StreamEvent};
    /// # async fn run() -> Result<(), harmony_ollama::Error> {
    /// let client = harmony_ollama::OllamaClient::from_env()?;
    /// let mut stream = client.stream_with_mode("gpt-oss:20b", &[], &[], ChatMode::Standard).await?;
    /// while let Some(event) = stream.next().await {
    ///     if let StreamEvent::ToolCallStart(start) = event? {
    ///         println!("calling {}", start.name);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn stream_with_mode(
        &self,
        model: &str,
        messages: &[ChatMessage],
        tools: &[ChatTool],
        mode: ChatMode,
    ) -> Result<ModeStream, Error> {
        let channels = self.config().channels;
        let declared = declared_names(tools);
        match mode {
            ChatMode::Harmony => {
                let prompt = self.render(messages, tools)?;
                let stream = self
                    .generate_raw(&GenerateRequest::new(model, prompt))
                    .await?;
                Ok(ModeStream {
                    inner: Inner::Harmony(Box::new(HarmonyState {
                        stream,
                        parser: TextParser::new(),
                        tools: extractor(&declared),
                        open: None,
                    })),
                    pending: VecDeque::new(),
                    finished: false,
                    channels,
                })
            }
            ChatMode::Standard => {
                let req = ChatRequest::new(
                    model,
                    messages
                        .iter()
                        .map(crate::harmony::to_ollama_message)
                        .collect(),
                )
                .tools(
                    tools
                        .iter()
                        .filter_map(|t| serde_json::to_value(t).ok())
                        .collect(),
                );
                let (stream, early) = match self.chat_stream(&req).await {
                    Ok(stream) => (Some(stream), None),
                    // Ollama answered HTTP 500 before streaming: salvage right away.
                    Err(e @ Error::ToolCallParse { .. }) => (None, Some(e)),
                    Err(e) => return Err(e),
                };
                let mut out = ModeStream {
                    inner: Inner::Standard(Box::new(StandardState {
                        stream,
                        model: model.to_owned(),
                        declared,
                        open: None,
                        calls: 0,
                    })),
                    pending: VecDeque::new(),
                    finished: false,
                    channels,
                };
                if let Some(e) = early {
                    out.on_chat(Err(e));
                }
                Ok(out)
            }
        }
    }

    /// Renders `messages` and `tools` as the harmony prompt for the next assistant turn.
    fn render(&self, messages: &[ChatMessage], tools: &[ChatTool]) -> Result<String, Error> {
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
        Ok(prompt.text)
    }
}
