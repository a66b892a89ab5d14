//! The chat modes over the network: [`ModeStream`] (the engine fed by a live Ollama
//! stream), [`OllamaClient::stream_with_mode`] and
//! [`OllamaClient::complete_with_mode`]. All translation happens in the sans-IO
//! [`Engine`]; this module only moves events between the socket and it.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::StreamExt;
use harmony_chat::{ChatMessage, ChatTool};
use tokio::time::Instant;

use crate::client::OllamaClient;
use crate::modes::engine::Engine;
use crate::modes::events::{EventSink, ResponseDiagnostic, ResponseDiagnosticKind, StreamEvent};
use crate::modes::prompt;
use crate::modes::response::{parse_partial, HarmonyResponse, ResponseAccumulator};
use crate::modes::settings::ChatSettings;
use crate::transport::config::ChatMode;
use crate::transport::error::Error;
use crate::transport::request::{GenerateRequest, OllamaChatRequest};
use crate::transport::stream::{ChatEvent, ChatStream, GenerateEvent, GenerateStream};

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
                        Poll::Ready(Some(mut e)) => {
                            // Never raw markup in the error: the text so far, parsed.
                            if let Some(partial) = e.partial_mut() {
                                parse_partial(partial);
                            }
                            pending.push_back(Err(e));
                        }
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
    sink: &mut EventSink<'_>,
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
        let settings = ChatSettings::new().mode(mode);
        self.stream_with(model, messages, tools, &settings).await
    }

    /// [`stream_with_mode`](Self::stream_with_mode) with per-request settings: each
    /// one given replaces the client's ([`ChatSettings`]).
    ///
    /// ```no_run
    /// use harmony_ollama::{ChatMode, ChatSettings, Options, ReasoningEffort};
    /// # async fn run() -> Result<(), harmony_ollama::Error> {
    /// let client = harmony_ollama::OllamaClient::from_env()?;
    /// let settings = ChatSettings::new()
    ///     .mode(ChatMode::Harmony)
    ///     .reasoning_effort(ReasoningEffort::High)
    ///     .options(Options::new().num_ctx(16384));
    /// let stream = client.stream_with("gpt-oss:20b", &[], &[], &settings).await?;
    /// # drop(stream); Ok(()) }
    /// ```
    pub async fn stream_with(
        &self,
        model: &str,
        messages: &[ChatMessage],
        tools: &[ChatTool],
        settings: &ChatSettings,
    ) -> Result<ModeStream, Error> {
        let mode = settings.mode.unwrap_or(self.config().mode);
        let effort = settings.reasoning_effort.or(self.config().reasoning_effort);
        let engine = Engine::new(mode)
            .with_channels(self.config().channels)
            .with_tools(tools);
        let mut notes = Queue::new();
        let source = match mode {
            ChatMode::Harmony => {
                let prompt = self.harmony_prompt_with(messages, tools, settings)?;
                let mut req = GenerateRequest::new(model, prompt);
                req.options = settings.options.clone();
                req.keep_alive = settings.keep_alive;
                Source::Generate(self.generate_raw(&req).await?)
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
                let mut req = OllamaChatRequest::new(
                    model,
                    messages.iter().map(prompt::to_ollama_message).collect(),
                )
                .tools(
                    tools
                        .iter()
                        .filter_map(|t| serde_json::to_value(t).ok())
                        .collect(),
                );
                req.options = settings.options.clone();
                req.keep_alive = settings.keep_alive;
                req.think = effort;
                req.format = settings.format.clone();
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
        self.harmony_prompt_with(messages, tools, &ChatSettings::new())
    }

    /// The prompt [`stream_with`](Self::stream_with) sends in harmony mode with
    /// `settings`: each one given replaces the client's.
    ///
    /// # Errors
    /// The conversation cannot be rendered ([`Error::Config`]).
    ///
    /// ```
    /// use harmony_chat::{ChatMessage, ChatRole};
    /// use harmony_ollama::{ChatSettings, ReasoningEffort, SystemContent};
    /// let client = harmony_ollama::OllamaClient::builder().reasoning_effort(Some(ReasoningEffort::Low)).build().unwrap();
    /// let user = [ChatMessage::new(ChatRole::User, "Hi")];
    /// let dated = ChatSettings::new().system(SystemContent::new().with_conversation_start_date("2026-12-02"));
    /// let prompt = client.harmony_prompt_with(&user, &[], &dated).unwrap();
    /// assert!(prompt.contains("Current date: 2026-12-02\n\nReasoning: low"));
    /// ```
    pub fn harmony_prompt_with(
        &self,
        messages: &[ChatMessage],
        tools: &[ChatTool],
        settings: &ChatSettings,
    ) -> Result<String, Error> {
        let mut settings = settings.clone();
        settings.reasoning_effort = settings.reasoning_effort.or(self.config().reasoning_effort);
        prompt::harmony_prompt(messages, tools, &settings)
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

    /// Completes a chat in `mode`: [`stream_with_mode`](Self::stream_with_mode), read
    /// to its end. The same output gives the same response in both modes (text,
    /// reasoning, tool-call names and arguments). In standard mode, Ollama's `error
    /// parsing tool call` is not an error: the call is rebuilt from the raw text Ollama
    /// reports, the text received before it is kept, and
    /// [`metadata.response_diagnostics`](crate::ResponseMetadata::response_diagnostics) says
    /// what was salvaged ([`HarmonyResponse::salvaged`]). Channels outside
    /// [`Config::channels`](crate::Config::channels) are left out.
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
        let settings = ChatSettings::new().mode(mode);
        self.complete_with(model, messages, tools, &settings).await
    }

    /// [`complete_with_mode`](Self::complete_with_mode) with per-request settings:
    /// each one given replaces the client's ([`ChatSettings`]).
    ///
    /// ```no_run
    /// use harmony_ollama::{ChatSettings, KeepAlive, ReasoningEffort};
    /// # async fn run() -> Result<(), harmony_ollama::Error> {
    /// let client = harmony_ollama::OllamaClient::from_env()?;
    /// let settings = ChatSettings::new().reasoning_effort(ReasoningEffort::Low).keep_alive(KeepAlive::Forever);
    /// let response = client.complete_with("gpt-oss:20b", &[], &[], &settings).await?;
    /// # drop(response); Ok(()) }
    /// ```
    pub async fn complete_with(
        &self,
        model: &str,
        messages: &[ChatMessage],
        tools: &[ChatTool],
        settings: &ChatSettings,
    ) -> Result<HarmonyResponse, Error> {
        self.complete_observed(model, messages, tools, settings, &mut |_| {})
            .await
    }

    /// [`complete_with`](Self::complete_with), showing `observe` every event as it
    /// arrives (the streaming tool loop's hook).
    pub(crate) async fn complete_observed(
        &self,
        model: &str,
        messages: &[ChatMessage],
        tools: &[ChatTool],
        settings: &ChatSettings,
        observe: &mut (dyn FnMut(&StreamEvent) + Send),
    ) -> Result<HarmonyResponse, Error> {
        let mode = settings.mode.unwrap_or(self.config().mode);
        let started = Instant::now();
        let mut stream = self.stream_with(model, messages, tools, settings).await?;
        let mut builder = ResponseAccumulator::started_at(mode, started);
        while let Some(event) = stream.next().await {
            let event = event?;
            observe(&event);
            builder.push(event);
        }
        let raw = stream.raw_text().map(str::to_owned);
        let mut response = builder.finish();
        response.metadata.raw_text = raw;
        Ok(response)
    }
}
