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
use harmony_stream::{Header, OwnedDiagnostic, Stop};
use harmony_tools::{ToolCallEnd, ToolCallStart};

use crate::client::OllamaClient;
use crate::config::{Channel, ChatMode, ReasoningEffort};
use crate::engine::Engine;
use crate::error::{ConfigError, Error};
use crate::request::{ChatRequest, GenerateRequest};
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
    /// The answer did not end normally: cut at the token limit, the runner closed the
    /// connection (`done` without `done_reason`), or Ollama only loaded or unloaded the
    /// model. The message says which.
    AbnormalEnd,
    /// Standard mode: marker text in a message or tool was neutralised before it went to
    /// `/api/chat` (Ollama's template output is tokenized with special tokens parsed,
    /// so it would otherwise become real markers). The message says where.
    MarkersNeutralised,
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
            ResponseDiagnosticKind::AbnormalEnd => "abnormal_end",
            ResponseDiagnosticKind::MarkersNeutralised => "markers_neutralised",
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

type Queue = VecDeque<Result<StreamEvent, Error>>;

type BoxedEvents = Pin<Box<dyn Stream<Item = Result<GenerateEvent, Error>> + Send>>;

/// Where a [`ModeStream`]'s events come from.
enum Source {
    Generate(GenerateStream),
    /// Raw-text events from elsewhere (the gateway's other upstreams, a recording).
    Events(BoxedEvents),
    /// `None` once the response is over (or when it never started: an HTTP 500
    /// salvaged before streaming).
    Chat(Option<ChatStream>),
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
    source: Source,
    engine: Engine,
    pending: Queue,
}

impl fmt::Debug for ModeStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModeStream")
            .field("mode", &self.mode())
            .field("finished", &self.engine.is_finished())
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
        self.engine.mode()
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
        match &self.source {
            Source::Generate(stream) => Some(&stream.received().content),
            Source::Events(_) | Source::Chat(_) => None,
        }
    }

    /// Harmony mode over any stream of raw-text events: another upstream that speaks
    /// the harmony text (an OpenAI-style `/v1/completions` server), a recording, or a
    /// [`GenerateStream`] with a prefill chained in front. `engine` must be a
    /// [`ChatMode::Harmony`] engine.
    ///
    /// ```
    /// use futures_util::{stream, StreamExt};
    /// use harmony_ollama::{ChatMode, Engine, GenerateEvent, ModeStream, StreamEvent};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let events = stream::iter([
    ///     Ok(GenerateEvent::Response("<|channel|>final<|message|>Hi".into())),
    ///     Ok(GenerateEvent::Done(Default::default())),
    /// ]);
    /// let mut s = ModeStream::harmony(Engine::new(ChatMode::Harmony), events);
    /// let mut text = String::new();
    /// while let Some(e) = s.next().await {
    ///     if let StreamEvent::Delta { text: t, .. } = e.unwrap() { text.push_str(&t) }
    /// }
    /// assert_eq!(text, "Hi");
    /// # });
    /// ```
    pub fn harmony<S>(engine: Engine, events: S) -> ModeStream
    where
        S: Stream<Item = Result<GenerateEvent, Error>> + Send + 'static,
    {
        ModeStream {
            source: Source::Events(Box::pin(events)),
            engine,
            pending: VecDeque::new(),
        }
    }

    fn push(&mut self, event: Result<ChatEvent, Error>) {
        let pending = &mut self.pending;
        if let Err(e) = self.engine.chat(event, &mut |e| pending.push_back(Ok(e))) {
            pending.push_back(Err(e));
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
            if this.engine.is_finished() {
                // Release the connection as soon as the answer is complete.
                if let Source::Chat(stream) = &mut this.source {
                    *stream = None;
                }
                return Poll::Ready(None);
            }
            let pending = &mut this.pending;
            let mut sink = |e| pending.push_back(Ok(e));
            match &mut this.source {
                Source::Generate(stream) => {
                    match generate_step(&mut this.engine, stream.poll_next_unpin(cx), &mut sink) {
                        Poll::Ready(Some(e)) => pending.push_back(Err(e)),
                        Poll::Ready(None) => {}
                        Poll::Pending => return Poll::Pending,
                    }
                }
                Source::Events(stream) => {
                    match generate_step(&mut this.engine, stream.poll_next_unpin(cx), &mut sink) {
                        Poll::Ready(Some(e)) => pending.push_back(Err(e)),
                        Poll::Ready(None) => {}
                        Poll::Pending => return Poll::Pending,
                    }
                }
                Source::Chat(None) => this.engine.abort(&mut sink),
                Source::Chat(Some(stream)) => match stream.poll_next_unpin(cx) {
                    Poll::Ready(Some(event)) => this.push(event),
                    Poll::Ready(None) => this.engine.abort(&mut sink),
                    Poll::Pending => return Poll::Pending,
                },
            }
        }
    }
}

/// One polled raw-text event through the engine; `Ready(Some(e))` is the error that
/// ended the stream.
fn generate_step(
    engine: &mut Engine,
    polled: Poll<Option<Result<GenerateEvent, Error>>>,
    sink: &mut crate::engine::EventSink<'_>,
) -> Poll<Option<Error>> {
    match polled {
        Poll::Ready(Some(Ok(event))) => {
            engine.generate(event, sink);
            Poll::Ready(None)
        }
        Poll::Ready(Some(Err(e))) => {
            engine.abort(sink);
            Poll::Ready(Some(e))
        }
        Poll::Ready(None) => {
            engine.abort(sink);
            Poll::Ready(None)
        }
        Poll::Pending => Poll::Pending,
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
        let engine = Engine::new(mode)
            .with_channels(self.config().channels)
            .with_tools(tools);
        let mut notes = Queue::new();
        let source = match mode {
            ChatMode::Harmony => {
                let prompt = self.render(messages, tools)?;
                Source::Generate(
                    self.generate_raw(&GenerateRequest::new(model, prompt))
                        .await?,
                )
            }
            ChatMode::Standard => {
                // Marker text is neutralised here as in harmony mode: Ollama tokenizes its
                // template's output with special tokens parsed.
                let mut messages = messages.to_vec();
                let mut tools = tools.to_vec();
                let changed = harmony_chat::neutralise_chat(&mut messages, &mut tools);
                let note = |message: String| {
                    Ok(StreamEvent::ResponseDiagnostic(ResponseDiagnostic::new(
                        ResponseDiagnosticKind::MarkersNeutralised,
                        None,
                        message,
                    )))
                };
                notes.extend(changed.messages.iter().map(|d| note(d.to_string())));
                notes.extend(changed.tools.iter().map(|t| note(t.to_string())));
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
                match self.chat_stream(&req).await {
                    Ok(stream) => Source::Chat(Some(stream)),
                    // Ollama answered HTTP 500 before streaming: salvage right away.
                    Err(e @ Error::ToolCallParse { .. }) => {
                        let mut out = ModeStream {
                            source: Source::Chat(None),
                            engine,
                            pending: notes,
                        };
                        out.push(Err(e));
                        return Ok(out);
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        Ok(ModeStream {
            source,
            engine,
            pending: notes,
        })
    }

    /// The prompt harmony mode sends for `messages` and `tools` with this client's
    /// settings (reasoning effort): for logging and token budgets.
    ///
    /// # Errors
    /// The conversation cannot be rendered ([`Error::Config`]).
    ///
    /// ```
    /// use harmony_chat::{ChatMessage, ChatRole};
    /// let client = harmony_ollama::OllamaClient::builder().build().unwrap();
    /// let prompt = client.harmony_prompt(&[ChatMessage::new(ChatRole::User, "Hi")], &[]).unwrap();
    /// assert!(prompt.ends_with("<|start|>user<|message|>Hi<|end|><|start|>assistant"));
    /// ```
    pub fn harmony_prompt(
        &self,
        messages: &[ChatMessage],
        tools: &[ChatTool],
    ) -> Result<String, Error> {
        self.render(messages, tools)
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
