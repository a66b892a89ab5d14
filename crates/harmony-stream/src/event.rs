//! What the parsers emit, and where they emit it.

use crate::{Diagnostic, Header, OwnedDiagnostic};

/// One step of a parsed completion.
///
/// Events borrow: a [`Delta`](Event::Delta) points into the chunk you fed, into the
/// vocabulary, or into a few bytes the parser carried across a split; a
/// [`MessageStart`](Event::MessageStart) points at the parser's current header. Copy out
/// what you keep (the [`Collector`](crate::Collector) does).
///
/// A message is always `MessageStart`, any number of `Delta`s, then `MessageEnd`;
/// `Diagnostic`s may come anywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A header was parsed: role, channel, recipient, content type.
    MessageStart(&'a Header),
    /// Content of the open message, in order, never split inside a UTF-8 character.
    Delta(&'a str),
    /// The open message ended.
    MessageEnd(Stop),
    /// Something malformed was tolerated.
    Diagnostic(Diagnostic<'a>),
}

impl Event<'_> {
    /// An owned copy of this event, to keep past the sink call or send elsewhere.
    ///
    /// ```
    /// use harmony_stream::{Event, OwnedEvent};
    /// assert_eq!(Event::Delta("hi").into_owned(), OwnedEvent::Delta("hi".to_owned()));
    /// ```
    pub fn into_owned(self) -> OwnedEvent {
        match self {
            Event::MessageStart(h) => OwnedEvent::MessageStart(h.clone()),
            Event::Delta(d) => OwnedEvent::Delta(d.to_owned()),
            Event::MessageEnd(s) => OwnedEvent::MessageEnd(s),
            Event::Diagnostic(d) => OwnedEvent::Diagnostic(d.to_owned()),
        }
    }
}

/// An [`Event`] that owns its data: what the iterator and `Stream` adapters yield.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnedEvent {
    /// A header was parsed.
    MessageStart(Header),
    /// Content of the open message.
    Delta(String),
    /// The open message ended.
    MessageEnd(Stop),
    /// Something malformed was tolerated.
    Diagnostic(OwnedDiagnostic),
}

impl Sink for Vec<OwnedEvent> {
    fn event(&mut self, event: Event<'_>) {
        self.push(event.into_owned());
    }
}

/// Why a message ended.
///
/// ```
/// use harmony_stream::Stop;
/// assert_eq!(Stop::Call.as_str(), "call");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stop {
    /// `<|end|>`: the model may go on with another message.
    End,
    /// `<|call|>`: a tool call; the model stopped to wait for its result.
    Call,
    /// `<|return|>`: the final answer; the model is done.
    Return,
    /// The next `<|start|>` arrived before any stop token (the `<|end|>` was missing).
    Interrupted,
    /// The stream ended inside the message (truncated output, or a server that does not
    /// send the stop token).
    Eof,
}

impl Stop {
    /// Lower-case name: `end`, `call`, `return`, `interrupted`, `eof`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Stop::End => "end",
            Stop::Call => "call",
            Stop::Return => "return",
            Stop::Interrupted => "interrupted",
            Stop::Eof => "eof",
        }
    }
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Receives events as the parser produces them: the fastest way to consume a stream.
///
/// Implemented for every `FnMut(Event<'_>)`, so a closure is a sink:
///
/// ```
/// use harmony_stream::{Event, TextParser};
///
/// let mut text = String::new();
/// let mut parser = TextParser::new();
/// parser.feed(b"<|channel|>final<|message|>Hello", &mut |e: Event<'_>| {
///     if let Event::Delta(d) = e {
///         text.push_str(d);
///     }
/// });
/// assert_eq!(text, "Hello");
/// ```
pub trait Sink {
    /// Called once per event, in order.
    fn event(&mut self, event: Event<'_>);
}

impl<F: FnMut(Event<'_>)> Sink for F {
    #[inline]
    fn event(&mut self, event: Event<'_>) {
        self(event)
    }
}
