//! Response streams: the HTTP body, fed through the [`NdjsonDecoder`], as a
//! `futures_core::Stream` of owned events.
//!
//! Dropping a stream drops the HTTP body, which makes hyper close the connection
//! instead of returning it to the pool (the body was not read to its end), so Ollama
//! sees the client leave and stops generating.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use serde_json::Value;
use tokio::time::{Instant, Sleep};

use crate::transport::error::{parse_tool_call_error, Error, Partial, TimeoutPhase};
use crate::transport::fragment::Fragment;
use crate::transport::line::{ChatLine, GenerateLine, OllamaMetrics};
use crate::transport::ndjson::{NdjsonDecoder, RawLine};
use crate::transport::text::Text;

type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// Why Ollama ended the answer: its `done_reason`, typed.
///
/// Ollama writes `stop` (a stop token), `length` (`num_predict` or the context
/// limit), `load` (an empty prompt: the model was only loaded), `unload` (an empty
/// prompt with `keep_alive: 0`: the model was unloaded), or nothing at all when its
/// runner closed the connection mid-generation (Go's `DoneReasonConnectionClosed`
/// prints as the empty string, which `omitempty` drops).
///
/// ```
/// use harmony_ollama::DoneReason;
///
/// assert_eq!(DoneReason::from_wire(Some("stop")), DoneReason::Stop);
/// assert_eq!(DoneReason::from_wire(None), DoneReason::Missing);
/// assert!(DoneReason::Missing.is_truncated());
/// assert_eq!(DoneReason::from_wire(Some("load")).as_wire(), Some("load"));
/// assert!(DoneReason::Load.diagnostic().unwrap().contains("empty prompt"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DoneReason {
    /// `stop`: the model emitted a stop token (Ollama swallows it).
    Stop,
    /// `length`: `num_predict` or the context window ran out; the text is cut.
    Length,
    /// `load`: the prompt was empty, Ollama only loaded the model; no answer.
    Load,
    /// `unload`: the prompt was empty and `keep_alive` 0; Ollama unloaded the model.
    Unload,
    /// `done: true` without a `done_reason`: Ollama's runner closed the connection
    /// before it finished (a crash, an out-of-memory kill). The text is incomplete.
    Missing,
    /// A reason this crate does not know yet, as sent.
    Other(String),
    /// No `done` line was received at all: the [`Done`] was made by this crate (the
    /// default, e.g. after salvaging a tool call Ollama's parser rejected, which ends
    /// Ollama's stream with an error line instead of `done`). Not truncated: Ollama
    /// rejects a call only once generation is over.
    #[default]
    NoDoneLine,
}

impl DoneReason {
    /// From the wire's `done_reason` (absent or empty: [`DoneReason::Missing`]).
    ///
    /// ```
    /// use harmony_ollama::DoneReason;
    /// assert_eq!(DoneReason::from_wire(Some("")), DoneReason::Missing);
    /// assert_eq!(DoneReason::from_wire(Some("eos")), DoneReason::Other("eos".into()));
    /// ```
    pub fn from_wire(reason: Option<&str>) -> DoneReason {
        match reason {
            None | Some("") => DoneReason::Missing,
            Some("stop") => DoneReason::Stop,
            Some("length") => DoneReason::Length,
            Some("load") => DoneReason::Load,
            Some("unload") => DoneReason::Unload,
            Some(other) => DoneReason::Other(other.to_owned()),
        }
    }

    /// The wire spelling (`None` for [`DoneReason::Missing`] and
    /// [`DoneReason::NoDoneLine`]).
    ///
    /// ```
    /// assert_eq!(harmony_ollama::DoneReason::Length.as_wire(), Some("length"));
    /// assert_eq!(harmony_ollama::DoneReason::Missing.as_wire(), None);
    /// ```
    pub fn as_wire(&self) -> Option<&str> {
        Some(match self {
            DoneReason::Stop => "stop",
            DoneReason::Length => "length",
            DoneReason::Load => "load",
            DoneReason::Unload => "unload",
            DoneReason::Missing | DoneReason::NoDoneLine => return None,
            DoneReason::Other(s) => s,
        })
    }

    /// Whether the text is cut short: [`Length`](DoneReason::Length) or
    /// [`Missing`](DoneReason::Missing). A truncated answer has no stop token to
    /// infer: its open message stays open.
    ///
    /// ```
    /// use harmony_ollama::DoneReason;
    /// assert!(DoneReason::Length.is_truncated());
    /// assert!(!DoneReason::Stop.is_truncated());
    /// assert!(!DoneReason::Load.is_truncated());
    /// ```
    pub fn is_truncated(&self) -> bool {
        matches!(self, DoneReason::Length | DoneReason::Missing)
    }

    /// A sentence for the caller when the reason is not an ordinary end: what
    /// happened. `None` for [`DoneReason::Stop`] and [`DoneReason::NoDoneLine`].
    ///
    /// ```
    /// use harmony_ollama::DoneReason;
    /// assert!(DoneReason::Stop.diagnostic().is_none());
    /// assert!(DoneReason::Missing.diagnostic().unwrap().contains("closed the connection"));
    /// ```
    pub fn diagnostic(&self) -> Option<&'static str> {
        match self {
            DoneReason::Stop | DoneReason::NoDoneLine => None,
            DoneReason::Length => Some(
                "the answer was cut at the token limit (num_predict or the context window)",
            ),
            DoneReason::Load => Some(
                "Ollama only loaded the model (it answers an empty prompt that way); no answer was generated",
            ),
            DoneReason::Unload => Some(
                "Ollama unloaded the model (empty prompt with keep_alive 0); no answer was generated",
            ),
            DoneReason::Missing => Some(
                "Ollama's runner closed the connection before the answer was finished (done without done_reason); the text is incomplete",
            ),
            DoneReason::Other(_) => Some("Ollama ended the answer for a reason this client does not know"),
        }
    }
}

impl std::fmt::Display for DoneReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DoneReason::Missing => "(no done_reason)",
            DoneReason::NoDoneLine => "(no done line)",
            other => other.as_wire().unwrap_or_default(),
        })
    }
}

/// The final line's metadata.
///
/// ```
/// let done = harmony_ollama::Done::default();
/// assert!(!done.is_truncated());
/// assert_eq!(done.reason, harmony_ollama::DoneReason::NoDoneLine);
/// assert_eq!(done.done_reason(), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Done {
    /// Model that answered.
    pub model: String,
    /// Why generation ended (Ollama's `done_reason`, typed).
    pub reason: DoneReason,
    /// Timings and token counts.
    pub metrics: OllamaMetrics,
    /// Deprecated conversation context (not sent in raw mode).
    pub context: Option<Vec<u32>>,
}

impl Done {
    /// Whether the output is cut short: `done_reason: "length"` (`num_predict` or the
    /// context limit), or no `done_reason` at all (the runner closed the connection).
    ///
    /// ```
    /// use harmony_ollama::{Done, DoneReason};
    /// let mut done = Done::default();
    /// done.reason = DoneReason::Length;
    /// assert!(done.is_truncated());
    /// done.reason = DoneReason::Missing;
    /// assert!(done.is_truncated());
    /// ```
    pub fn is_truncated(&self) -> bool {
        self.reason.is_truncated()
    }

    /// Ollama's `done_reason` as sent (`None` when it sent none, or no `done` line).
    ///
    /// ```
    /// let mut done = harmony_ollama::Done::default();
    /// done.reason = harmony_ollama::DoneReason::Unload;
    /// assert_eq!(done.done_reason(), Some("unload"));
    /// ```
    pub fn done_reason(&self) -> Option<&str> {
        self.reason.as_wire()
    }
}

/// An event of a raw `/api/generate` stream.
///
/// ```
/// use harmony_ollama::GenerateEvent;
/// let e = GenerateEvent::Response("hi".into());
/// assert!(matches!(e, GenerateEvent::Response(f) if f == "hi"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum GenerateEvent {
    /// A `response` fragment (raw harmony text in raw mode).
    Response(Fragment),
    /// A `thinking` fragment (only when Ollama parsed the output itself).
    Thinking(Fragment),
    /// The `done` line. Always the last event.
    Done(Done),
}

/// A tool call reported by `/api/chat`, detached from the line.
///
/// ```
/// let call = harmony_ollama::OllamaToolCall::default();
/// assert!(call.arguments.is_null());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct OllamaToolCall {
    /// Call id, when Ollama sent one.
    pub id: Option<String>,
    /// Position, when Ollama sent one.
    pub index: Option<u32>,
    /// Function name.
    pub name: String,
    /// Arguments (a JSON object as Ollama sends them; `null` when absent).
    pub arguments: Value,
}

/// An event of a streaming `/api/chat` response.
///
/// ```
/// use harmony_ollama::ChatEvent;
/// let e = ChatEvent::Thinking("hmm".into());
/// assert!(matches!(e, ChatEvent::Thinking(_)));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ChatEvent {
    /// A `message.content` fragment.
    Content(Fragment),
    /// A `message.thinking` fragment.
    Thinking(Fragment),
    /// Complete tool calls (Ollama sends them whole, just before `done`).
    ToolCalls(Vec<OllamaToolCall>),
    /// The `done` line. Always the last event.
    Done(Done),
}

/// Timeouts applied while reading a body.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BodyTimeouts {
    pub idle: Option<Duration>,
    pub total: Option<(Instant, Duration)>,
}

/// What the shared body reader does; the per-endpoint line handler is a closure.
struct Core {
    body: Body,
    decoder: NdjsonDecoder,
    partial: Partial,
    finished: bool,
    idle: Option<(Pin<Box<Sleep>>, Duration)>,
    deadline: Option<(Pin<Box<Sleep>>, Duration)>,
}

/// Whether the stream goes on after a line.
#[derive(PartialEq)]
enum Flow {
    Continue,
    Stop,
}

impl Core {
    fn new(body: Body, timeouts: BodyTimeouts) -> Core {
        Core {
            body,
            decoder: NdjsonDecoder::new(),
            partial: Partial::default(),
            finished: false,
            idle: timeouts.idle.map(|d| (Box::pin(tokio::time::sleep(d)), d)),
            deadline: timeouts
                .total
                .map(|(at, d)| (Box::pin(tokio::time::sleep_until(at + d)), d)),
        }
    }

    fn finish(&mut self) {
        self.finished = true;
        // Release the connection now rather than when the stream is dropped.
        self.body = Box::pin(futures_util::stream::empty());
        self.idle = None;
        self.deadline = None;
    }

    fn poll<E>(
        &mut self,
        cx: &mut Context<'_>,
        pending: &mut VecDeque<Result<E, Error>>,
        mut on_line: impl FnMut(
            RawLine<'_>,
            &Bytes,
            &mut Partial,
            &mut VecDeque<Result<E, Error>>,
        ) -> Flow,
    ) -> Poll<Option<Result<E, Error>>> {
        loop {
            if let Some(item) = pending.pop_front() {
                return Poll::Ready(Some(item));
            }
            if self.finished {
                return Poll::Ready(None);
            }
            if let Some((sleep, after)) = &mut self.deadline {
                if sleep.as_mut().poll(cx).is_ready() {
                    let after = *after;
                    pending.push_back(Err(self.timeout(TimeoutPhase::Total, after)));
                    self.finish();
                    continue;
                }
            }
            match self.body.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    // Only content is progress: a peer writing a blank line a second
                    // (a keep-alive) must not hold the client past its idle limit.
                    if let Some((sleep, after)) = &mut self.idle {
                        if has_content(&chunk) {
                            let at = Instant::now() + *after;
                            sleep.as_mut().reset(at);
                        }
                    }
                    let mut stop = false;
                    let Core {
                        decoder, partial, ..
                    } = self;
                    let mut lines = decoder.feed(&chunk);
                    while let Some(line) = lines.next_line() {
                        let flow = match line {
                            Ok(raw) => {
                                partial.lines += 1;
                                on_line(raw, &chunk, partial, pending)
                            }
                            Err(source) => {
                                pending.push_back(Err(Error::Decode {
                                    source,
                                    partial: partial.clone(),
                                }));
                                Flow::Stop
                            }
                        };
                        if flow == Flow::Stop {
                            stop = true;
                            break;
                        }
                    }
                    drop(lines);
                    if stop {
                        self.finish();
                    }
                }
                Poll::Ready(Some(Err(source))) => {
                    pending.push_back(Err(Error::Disconnected {
                        source,
                        partial: std::mem::take(&mut self.partial),
                    }));
                    self.finish();
                }
                Poll::Ready(None) => {
                    // A last line without its newline still counts.
                    let Core {
                        decoder, partial, ..
                    } = self;
                    let mut stop = false;
                    let mut lines = decoder.finish();
                    if let Some(line) = lines.next_line() {
                        let flow = match line {
                            Ok(raw) => {
                                partial.lines += 1;
                                on_line(raw, &Bytes::new(), partial, pending)
                            }
                            Err(source) => {
                                pending.push_back(Err(Error::Decode {
                                    source,
                                    partial: partial.clone(),
                                }));
                                Flow::Stop
                            }
                        };
                        stop = flow == Flow::Stop;
                    }
                    drop(lines);
                    if !stop {
                        pending.push_back(Err(Error::Incomplete {
                            partial: std::mem::take(&mut self.partial),
                        }));
                    }
                    self.finish();
                }
                Poll::Pending => {
                    if let Some((sleep, after)) = &mut self.idle {
                        if sleep.as_mut().poll(cx).is_ready() {
                            let after = *after;
                            pending.push_back(Err(self.timeout(TimeoutPhase::Idle, after)));
                            self.finish();
                            continue;
                        }
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    fn timeout(&mut self, phase: TimeoutPhase, after: Duration) -> Error {
        Error::Timeout {
            phase,
            after,
            partial: std::mem::take(&mut self.partial),
        }
    }
}

/// Whether a chunk holds anything but line breaks and blanks. Stops at the first such
/// byte, which in an NDJSON stream is almost always the first (`{`).
fn has_content(chunk: &[u8]) -> bool {
    chunk
        .iter()
        .any(|&b| !matches!(b, b'\n' | b'\r' | b' ' | b'\t'))
}

/// The error a `{"error": ...}` line stands for.
fn error_line(message: Text<'_>, partial: &Partial) -> Error {
    match parse_tool_call_error(&message) {
        Some((raw, detail)) => Error::ToolCallParse {
            raw: raw.to_owned(),
            detail: detail.to_owned(),
            status: None,
            partial: partial.clone(),
        },
        None => Error::Stream {
            message: message.into_owned(),
            partial: partial.clone(),
        },
    }
}

/// Ollama 0.11.3/0.11.4's `{"error parsing tool call": "<detail>"}` line: the raw text
/// is not sent, so `raw` is empty.
fn old_tool_call_error(detail: Text<'_>, partial: &Partial) -> Error {
    Error::ToolCallParse {
        raw: String::new(),
        detail: detail.into_owned(),
        status: None,
        partial: partial.clone(),
    }
}

fn decode_error(source: crate::transport::error::DecodeError, partial: &Partial) -> Error {
    Error::Decode {
        source,
        partial: partial.clone(),
    }
}

fn done(
    model: Text<'_>,
    done_reason: Option<Text<'_>>,
    metrics: OllamaMetrics,
    context: Option<Vec<u32>>,
) -> Done {
    Done {
        model: model.into_owned(),
        reason: DoneReason::from_wire(done_reason.as_deref()),
        metrics,
        context,
    }
}

/// A streamed Ollama response, `Stream<Item = Result<E, Error>>`: the HTTP body through
/// the [`NdjsonDecoder`], each line turned into the endpoint's events `E`. Named by its
/// two instances, [`GenerateStream`] and [`ChatStream`].
///
/// Ends after the `Done` event, or after one error. Text received before an error is in
/// the error's [`Partial`] (and in [`received`](Self::received) meanwhile). Dropping it
/// closes the connection.
pub struct ResponseStream<E> {
    core: Core,
    pending: Events<E>,
    /// The endpoint's line handler: decodes one line, pushes its events, says whether
    /// the response is over.
    on_line: LineHandler<E>,
}

/// See [`ResponseStream::on_line`].
type LineHandler<E> = fn(RawLine<'_>, &Bytes, &mut Partial, &mut Events<E>) -> Flow;

/// The events (or the error) lines turned into, not yet handed out.
type Events<E> = VecDeque<Result<E, Error>>;

/// A raw `/api/generate` response: `Stream<Item = Result<GenerateEvent, Error>>`.
///
/// Ends after [`GenerateEvent::Done`], or after one error. Text received before an
/// error is in the error's [`Partial`]. Dropping it closes the connection.
///
/// ```no_run
/// use futures_util::StreamExt;
/// use harmony_ollama::{GenerateEvent, GenerateRequest, OllamaClient};
///
/// # async fn run() -> Result<(), harmony_ollama::Error> {
/// let client = OllamaClient::from_env()?;
/// let mut stream = client.generate_raw(&GenerateRequest::new("gpt-oss:20b", "<|start|>assistant")).await?;
/// while let Some(event) = stream.next().await {
///     if let GenerateEvent::Response(text) = event? {
///         print!("{text}");
///     }
/// }
/// # Ok(()) }
/// ```
pub type GenerateStream = ResponseStream<GenerateEvent>;

/// A streaming `/api/chat` response: `Stream<Item = Result<ChatEvent, Error>>`.
///
/// Ends after [`ChatEvent::Done`], or after one error. Dropping it closes the
/// connection.
///
/// ```no_run
/// use futures_util::StreamExt;
/// use harmony_ollama::{ChatEvent, OllamaChatRequest, ChatRequestMessage, OllamaClient};
///
/// # async fn run() -> Result<(), harmony_ollama::Error> {
/// let client = OllamaClient::from_env()?;
/// let req = OllamaChatRequest::new("gpt-oss:20b", vec![ChatRequestMessage::user("Hi")]);
/// let mut stream = client.chat_stream(&req).await?;
/// while let Some(event) = stream.next().await {
///     match event? {
///         ChatEvent::Content(text) => print!("{text}"),
///         ChatEvent::ToolCalls(calls) => println!("{calls:?}"),
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
pub type ChatStream = ResponseStream<ChatEvent>;

impl<E> std::fmt::Debug for ResponseStream<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseStream")
            .field("finished", &self.core.finished)
            .field("received", &self.core.partial)
            .finish_non_exhaustive()
    }
}

impl<E> ResponseStream<E> {
    fn with_handler(body: Body, timeouts: BodyTimeouts, on_line: LineHandler<E>) -> Self {
        ResponseStream {
            core: Core::new(body, timeouts),
            pending: VecDeque::new(),
            on_line,
        }
    }

    /// Text received so far.
    ///
    /// ```no_run
    /// # fn f(stream: &harmony_ollama::ChatStream) {
    /// println!("{} bytes so far, thinking: {}", stream.received().content.len(), stream.received().thinking);
    /// # }
    /// ```
    pub fn received(&self) -> &Partial {
        &self.core.partial
    }
}

impl GenerateStream {
    pub(crate) fn new(body: Body, timeouts: BodyTimeouts) -> Self {
        Self::with_handler(body, timeouts, |raw, chunk, partial, out| {
            handle(raw.generate(), push_generate, chunk, partial, out)
        })
    }
}

impl ChatStream {
    pub(crate) fn new(body: Body, timeouts: BodyTimeouts) -> Self {
        Self::with_handler(body, timeouts, |raw, chunk, partial, out| {
            handle(raw.chat(), push_chat, chunk, partial, out)
        })
    }
}

impl<E: Unpin> Stream for ResponseStream<E> {
    type Item = Result<E, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.core.poll(cx, &mut this.pending, this.on_line)
    }
}

/// One decoded line through the endpoint's `push`, or its decoding error, which ends the
/// stream.
#[inline(always)]
fn handle<L, E>(
    line: Result<L, crate::transport::error::DecodeError>,
    push: fn(L, &Bytes, &mut Partial, &mut Events<E>) -> bool,
    chunk: &Bytes,
    partial: &mut Partial,
    out: &mut Events<E>,
) -> Flow {
    match line {
        Ok(line) => {
            if push(line, chunk, partial, out) {
                Flow::Stop
            } else {
                Flow::Continue
            }
        }
        Err(e) => {
            out.push_back(Err(decode_error(e, partial)));
            Flow::Stop
        }
    }
}

/// One decoded `/api/generate` line as the [`GenerateEvent`]s (or the error) it stands
/// for, pushed onto `out`; returns whether the response is over (`done`, or an error
/// line). `partial` accumulates the text received, as [`GenerateStream`] keeps it.
///
/// This is the sans-IO half of [`GenerateStream`], which uses it for every line: feed
/// it lines of a recording and you get exactly the events the live stream would give.
///
/// ```
/// use std::collections::VecDeque;
/// use harmony_ollama::{generate_line_events, GenerateEvent, NdjsonDecoder, Partial};
///
/// let mut decoder = NdjsonDecoder::new();
/// let mut lines = decoder.feed(b"{\"response\":\"Hi\",\"done\":false}\n{\"response\":\"\",\"done\":true,\"done_reason\":\"stop\"}\n");
/// let (mut partial, mut out) = (Partial::default(), VecDeque::new());
/// let mut over = false;
/// while let Some(line) = lines.next_generate() {
///     over = generate_line_events(line.unwrap(), &mut partial, &mut out);
/// }
/// assert!(over);
/// assert!(matches!(&out[0], Ok(GenerateEvent::Response(f)) if f == "Hi"));
/// assert!(matches!(&out[1], Ok(GenerateEvent::Done(d)) if d.done_reason() == Some("stop")));
/// assert_eq!(partial.content, "Hi");
/// ```
pub fn generate_line_events(
    line: GenerateLine<'_>,
    partial: &mut Partial,
    out: &mut VecDeque<Result<GenerateEvent, Error>>,
) -> bool {
    push_generate(line, &Bytes::new(), partial, out)
}

/// One decoded `/api/chat` line as the [`ChatEvent`]s (or the error) it stands for,
/// pushed onto `out`; returns whether the response is over. The sans-IO half of
/// [`ChatStream`], which uses it for every line.
///
/// ```
/// use std::collections::VecDeque;
/// use harmony_ollama::{chat_line_events, ChatEvent, Error, NdjsonDecoder, Partial};
///
/// let mut decoder = NdjsonDecoder::new();
/// let mut lines = decoder.feed(b"{\"message\":{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"Hm\"},\"done\":false}\n{\"error\":\"boom\"}\n");
/// let (mut partial, mut out) = (Partial::default(), VecDeque::new());
/// let mut over = false;
/// while let Some(line) = lines.next_chat() {
///     over = chat_line_events(line.unwrap(), &mut partial, &mut out);
/// }
/// assert!(over);
/// assert!(matches!(&out[0], Ok(ChatEvent::Thinking(f)) if f == "Hm"));
/// assert!(matches!(&out[1], Err(Error::Stream { message, .. }) if message == "boom"));
/// ```
pub fn chat_line_events(
    line: ChatLine<'_>,
    partial: &mut Partial,
    out: &mut VecDeque<Result<ChatEvent, Error>>,
) -> bool {
    push_chat(line, &Bytes::new(), partial, out)
}

fn push_generate(
    line: GenerateLine<'_>,
    chunk: &Bytes,
    partial: &mut Partial,
    out: &mut VecDeque<Result<GenerateEvent, Error>>,
) -> bool {
    if let Some(message) = line.error {
        out.push_back(Err(error_line(message, partial)));
        return true;
    }
    if let Some(detail) = line.tool_call_error {
        out.push_back(Err(old_tool_call_error(detail, partial)));
        return true;
    }
    let metrics = line.metrics();
    if let Some(thinking) = line.thinking.filter(|t| !t.is_empty()) {
        partial.thinking.push_str(&thinking);
        out.push_back(Ok(GenerateEvent::Thinking(Fragment::from_chunk(
            chunk,
            thinking.into_cow(),
        ))));
    }
    if !line.response.is_empty() {
        partial.content.push_str(&line.response);
        out.push_back(Ok(GenerateEvent::Response(Fragment::from_chunk(
            chunk,
            line.response.into_cow(),
        ))));
    }
    if line.done {
        out.push_back(Ok(GenerateEvent::Done(done(
            line.model,
            line.done_reason,
            metrics,
            line.context,
        ))));
        return true;
    }
    false
}

fn push_chat(
    line: ChatLine<'_>,
    chunk: &Bytes,
    partial: &mut Partial,
    out: &mut VecDeque<Result<ChatEvent, Error>>,
) -> bool {
    if let Some(message) = line.error {
        out.push_back(Err(error_line(message, partial)));
        return true;
    }
    if let Some(detail) = line.tool_call_error {
        out.push_back(Err(old_tool_call_error(detail, partial)));
        return true;
    }
    let metrics = line.metrics();
    if let Some(message) = line.message {
        if let Some(thinking) = message.thinking.filter(|t| !t.is_empty()) {
            partial.thinking.push_str(&thinking);
            out.push_back(Ok(ChatEvent::Thinking(Fragment::from_chunk(
                chunk,
                thinking.into_cow(),
            ))));
        }
        if !message.content.is_empty() {
            partial.content.push_str(&message.content);
            out.push_back(Ok(ChatEvent::Content(Fragment::from_chunk(
                chunk,
                message.content.into_cow(),
            ))));
        }
        if !message.tool_calls.is_empty() {
            let calls = message
                .tool_calls
                .into_iter()
                .map(|c| OllamaToolCall {
                    id: c.id.map(Text::into_owned),
                    index: c.function.index,
                    name: c.function.name.into_owned(),
                    arguments: c
                        .function
                        .arguments
                        .and_then(|raw| serde_json::from_str(raw.get()).ok())
                        .unwrap_or(Value::Null),
                })
                .collect();
            out.push_back(Ok(ChatEvent::ToolCalls(calls)));
        }
    }
    if line.done {
        out.push_back(Ok(ChatEvent::Done(done(
            line.model,
            line.done_reason,
            metrics,
            None,
        ))));
        return true;
    }
    false
}
