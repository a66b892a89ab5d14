//! Whole messages, built from events: the layer on top of the streaming core.

use crate::{Channel, DiagnosticKind, Event, OwnedDiagnostic, Role, Sink, Stop};

/// A parsed message, owning its strings.
///
/// Field meanings follow `openai-harmony`'s `Message` (`content_type` as written).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Author name (the tool, for a tool's result).
    pub name: Option<String>,
    /// Channel as written.
    pub channel: Option<String>,
    /// Recipient (`functions.get_weather`), if any.
    pub recipient: Option<String>,
    /// Content type as written (`<|constrain|>json`, `json`, `code`).
    pub content_type: Option<String>,
    /// The text.
    pub content: String,
    /// How it ended.
    pub stop: Stop,
}

impl Message {
    /// The channel, if it is one of the three known ones.
    pub fn known_channel(&self) -> Option<Channel> {
        self.channel.as_deref().and_then(Channel::from_name)
    }

    /// An assistant message addressed to a tool (see [`Header::is_tool_call`](crate::Header::is_tool_call)).
    pub fn is_tool_call(&self) -> bool {
        self.role == Role::Assistant
            && self
                .recipient
                .as_deref()
                .is_some_and(|r| !matches!(r, "assistant" | "user" | "all"))
    }
}

/// What an assistant message is for a reader of the completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Chain of thought (analysis, or channel-less text before a final answer).
    Reasoning,
    /// Shown to the user (final, preambles on commentary, channel-less text otherwise).
    Content,
    /// A call to a tool.
    ToolCall,
    /// Not the assistant's (system, developer, user, tool results).
    Other,
}

/// A [`Sink`] that builds whole messages: what most callers want at the end of a stream.
///
/// ```
/// use harmony_stream::{Collector, TextParser};
///
/// let mut parser = TextParser::new();
/// let mut collector = Collector::new();
/// parser.feed(b"<|channel|>analysis<|message|>Think.<|end|>", &mut collector);
/// parser.feed(b"<|start|>assistant<|channel|>final<|message|>Answer.<|return|>", &mut collector);
/// parser.finish(&mut collector);
/// let completion = collector.finish();
/// assert_eq!(completion.reasoning().as_deref(), Some("Think."));
/// assert_eq!(completion.content().as_deref(), Some("Answer."));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Collector {
    messages: Vec<Message>,
    diagnostics: Vec<OwnedDiagnostic>,
}

impl Collector {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Messages so far; the last may still be open (its `stop` is then `Eof`).
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The completed [`Completion`]. Call after the parser's `finish`.
    pub fn finish(self) -> Completion {
        let mut completion = Completion {
            messages: self.messages,
            diagnostics: self.diagnostics,
        };
        if completion.has_final() {
            let reclassified: Vec<u64> = completion
                .messages
                .iter()
                .enumerate()
                .filter(|(_, m)| {
                    m.known_channel().is_none() && purpose(m, true) == Purpose::Reasoning
                })
                .map(|(i, _)| i as u64)
                .collect();
            for i in reclassified {
                completion.diagnostics.push(OwnedDiagnostic {
                    kind: DiagnosticKind::ChannellessReasoning,
                    at: i,
                    detail: format!("message {i}"),
                });
            }
        }
        completion
    }
}

impl Sink for Collector {
    /// Deltas, one per token or chunk, are appended inline; the rest is out of line.
    #[inline]
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Delta(d) => self.append(d),
            other => self.structure(other),
        }
    }
}

impl Collector {
    #[inline]
    fn append(&mut self, delta: &str) {
        if let Some(m) = self.messages.last_mut() {
            m.content.push_str(delta);
        }
    }

    #[inline(never)]
    fn structure(&mut self, event: Event<'_>) {
        match event {
            Event::MessageStart(h) => self.messages.push(Message {
                role: h.role(),
                name: h.name().map(str::to_owned),
                channel: h.channel().map(str::to_owned),
                recipient: h.recipient().map(str::to_owned),
                content_type: h.content_type().map(str::to_owned),
                // Deltas are a token or a chunk: starting at 64 bytes saves a tool call's
                // arguments (about a hundred bytes) three of the five reallocations that
                // growing from empty costs, and costs the per-delta path nothing.
                content: String::with_capacity(64),
                stop: Stop::Eof,
            }),
            Event::Delta(d) => self.append(d),
            Event::MessageEnd(stop) => {
                if let Some(m) = self.messages.last_mut() {
                    m.stop = stop;
                }
            }
            Event::Diagnostic(d) => self.diagnostics.push(d.to_owned()),
        }
    }
}

/// A parsed completion: its messages and what was tolerated on the way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completion {
    /// Every message, in order.
    pub messages: Vec<Message>,
    /// Every diagnostic, in order.
    pub diagnostics: Vec<OwnedDiagnostic>,
}

impl Completion {
    /// Whether an assistant message on the `final` channel was seen.
    pub fn has_final(&self) -> bool {
        self.messages.iter().any(|m| {
            m.role == Role::Assistant
                && !m.is_tool_call()
                && m.known_channel() == Some(Channel::Final)
        })
    }

    /// What `message` is for: reasoning, content, a tool call, or none of these.
    ///
    /// Channel-less (or unknown-channel) assistant text is content, unless this completion
    /// also has a final answer: then it was reasoning the model forgot to label.
    pub fn purpose(&self, message: &Message) -> Purpose {
        purpose(message, self.has_final())
    }

    /// The reasoning messages joined with `"\n"`, or `None` if there were none.
    pub fn reasoning(&self) -> Option<String> {
        self.join(Purpose::Reasoning)
    }

    /// The content messages (final, preambles) joined with `"\n"`, or `None`.
    pub fn content(&self) -> Option<String> {
        self.join(Purpose::Content)
    }

    fn join(&self, wanted: Purpose) -> Option<String> {
        let has_final = self.has_final();
        let mut out: Option<String> = None;
        for m in self
            .messages
            .iter()
            .filter(|m| purpose(m, has_final) == wanted)
        {
            match &mut out {
                Some(s) => {
                    s.push('\n');
                    s.push_str(&m.content);
                }
                None => out = Some(m.content.clone()),
            }
        }
        out
    }
}

/// [`Completion::purpose`] with `has_final` computed once by the caller.
fn purpose(message: &Message, has_final: bool) -> Purpose {
    if message.role != Role::Assistant {
        return Purpose::Other;
    }
    if message.is_tool_call() {
        return Purpose::ToolCall;
    }
    match message.known_channel() {
        Some(Channel::Analysis) => Purpose::Reasoning,
        Some(Channel::Final | Channel::Commentary) => Purpose::Content,
        None if has_final => Purpose::Reasoning,
        None => Purpose::Content,
    }
}
