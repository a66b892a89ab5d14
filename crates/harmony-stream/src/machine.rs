//! The state machine both lexers feed: `Begin/Idle -> Header -> Content -> Idle`.
//!
//! The machine sees three kinds of input: text bytes, [`Marker`]s, and the end of input.
//! It never fails: every malformed sequence has a defined reading (DESIGN.md, tolerance
//! policy), reported as a [`Diagnostic`] event.

use crate::header::{self, Ending, Origin};
use crate::utf8::Utf8Carry;
use crate::{Diagnostic, DiagnosticKind, Event, Header, Marker, ParserOptions, Role, Sink, Stop};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Nothing seen yet, and the prompt opened a header for `Role`: anything but
    /// `<|start|>` continues that header.
    Begin(Role),
    /// Between messages.
    Idle,
    /// Collecting a header.
    Header(Origin),
    /// Inside a message's content.
    Content,
}

#[derive(Clone, Debug)]
pub(crate) struct Machine {
    state: State,
    options: ParserOptions,
    /// Raw header bytes, markers included as their text; reused from header to header.
    header_buf: Vec<u8>,
    header_at: u64,
    header: Header,
    carry: Utf8Carry,
}

impl Machine {
    pub(crate) fn new(options: ParserOptions) -> Self {
        Machine {
            state: initial(&options),
            header_buf: Vec::new(),
            header_at: 0,
            header: Header::default(),
            carry: Utf8Carry::default(),
            options,
        }
    }

    /// The header of the open message, once `MessageStart` was emitted for it.
    pub(crate) fn current_header(&self) -> Option<&Header> {
        (self.state == State::Content).then_some(&self.header)
    }

    pub(crate) fn text<S: Sink + ?Sized>(&mut self, bytes: &[u8], at: u64, sink: &mut S) {
        match self.state {
            State::Content => self.carry.emit(bytes, at, sink),
            State::Header(_) => self.header_text(bytes, at, sink),
            State::Begin(role) => {
                if !is_blank(bytes) {
                    diag(sink, DiagnosticKind::ImplicitStart, at, "");
                    self.open_header(Origin::Given(role), at);
                    self.header_text(bytes, at, sink);
                }
            }
            State::Idle => {
                if !is_blank(bytes) {
                    self.open_header(Origin::Stray, at);
                    self.header_text(bytes, at, sink);
                }
            }
        }
    }

    /// [`text`](Self::text) for bytes known to be whole characters: in content with nothing
    /// carried, they go out as they are, without validating them again.
    #[inline]
    pub(crate) fn text_str<S: Sink + ?Sized>(&mut self, text: &str, at: u64, sink: &mut S) {
        if self.state == State::Content && self.carry.is_empty() {
            if !text.is_empty() {
                sink.event(Event::Delta(text));
            }
        } else {
            self.text(text.as_bytes(), at, sink);
        }
    }

    pub(crate) fn marker<S: Sink + ?Sized>(&mut self, m: Marker, at: u64, sink: &mut S) {
        match (self.state, m) {
            (State::Content, Marker::End | Marker::Call | Marker::Return) => {
                let stop = m.stop().unwrap_or(Stop::End);
                self.end_message(stop, at, sink);
            }
            (State::Content, Marker::Start) => {
                diag(sink, DiagnosticKind::MissingEnd, at, "");
                self.end_message(Stop::Interrupted, at, sink);
                self.open_header(Origin::Start, at);
            }
            (State::Content, _) => {
                diag(sink, DiagnosticKind::MarkerInContent, at, m.as_str());
                self.carry.emit(m.as_str().as_bytes(), at, sink);
            }
            (State::Begin(_) | State::Idle, Marker::Start) => self.open_header(Origin::Start, at),
            (State::Begin(_) | State::Idle, Marker::End | Marker::Call | Marker::Return) => {
                diag(sink, DiagnosticKind::StrayStop, at, m.as_str());
                self.state = State::Idle;
            }
            (State::Begin(role), _) => {
                diag(sink, DiagnosticKind::ImplicitStart, at, "");
                self.open_header(Origin::Given(role), at);
                self.marker(m, at, sink);
            }
            (State::Idle, _) => {
                self.open_header(Origin::Stray, at);
                self.marker(m, at, sink);
            }
            (State::Header(_), Marker::Channel | Marker::Constrain) => {
                self.header_text(m.as_str().as_bytes(), at, sink)
            }
            (State::Header(origin), Marker::Message) => {
                if origin == Origin::Stray {
                    diag(sink, DiagnosticKind::MissingStart, self.header_at, "");
                }
                let at = self.header_at;
                let (buf, header) = (&self.header_buf, &mut self.header);
                header::parse(buf, origin, Ending::Message, header, &mut |k, d| {
                    diag(sink, k, at, &String::from_utf8_lossy(d))
                });
                self.header_buf.clear();
                self.state = State::Content;
                sink.event(Event::MessageStart(&self.header));
            }
            (State::Header(origin), Marker::Start) => {
                if self.header_is_blank_or_role() {
                    diag(sink, DiagnosticKind::RepeatedStart, at, "");
                    self.open_header(Origin::Start, at);
                } else {
                    self.salvage(origin, Some(Stop::Interrupted), at, sink);
                    self.open_header(Origin::Start, at);
                }
            }
            (State::Header(origin), Marker::End | Marker::Call | Marker::Return) => {
                if is_blank(&self.header_buf) {
                    diag(sink, DiagnosticKind::StrayStop, at, m.as_str());
                    self.header_buf.clear();
                    self.state = State::Idle;
                } else {
                    self.salvage(origin, m.stop(), at, sink);
                }
            }
        }
    }

    /// End of input: whatever is open is delivered, and the machine is ready for a new
    /// completion.
    pub(crate) fn finish<S: Sink + ?Sized>(&mut self, at: u64, sink: &mut S) {
        match self.state {
            State::Content => {
                diag(sink, DiagnosticKind::Truncated, at, "");
                self.end_message(Stop::Eof, at, sink);
            }
            State::Header(origin) => {
                if is_blank(&self.header_buf) {
                    diag(sink, DiagnosticKind::Truncated, at, "");
                } else {
                    self.salvage(origin, Some(Stop::Eof), at, sink);
                }
            }
            State::Begin(_) | State::Idle => {}
        }
        self.header_buf.clear();
        self.state = initial(&self.options);
    }

    fn open_header(&mut self, origin: Origin, at: u64) {
        self.header_buf.clear();
        self.header_at = at;
        self.state = State::Header(origin);
    }

    fn header_text<S: Sink + ?Sized>(&mut self, mut bytes: &[u8], at: u64, sink: &mut S) {
        if self.header_buf.is_empty() {
            // Leading whitespace means nothing in a header; not storing it keeps the length
            // bound independent of how the input was split.
            bytes = bytes.trim_ascii_start();
        }
        let room = self
            .options
            .max_header_len
            .saturating_sub(self.header_buf.len());
        if bytes.len() <= room {
            self.header_buf.extend_from_slice(bytes);
            return;
        }
        // Adversarial or headerless output: close what we have as content so memory stays
        // bounded, and stream the rest as content.
        self.header_buf.extend_from_slice(&bytes[..room]);
        diag(sink, DiagnosticKind::HeaderTooLong, at, "");
        let origin = match self.state {
            State::Header(origin) => origin,
            _ => Origin::Stray,
        };
        self.salvage(origin, None, at, sink);
        self.carry.emit(&bytes[room..], at, sink);
    }

    /// Closes a header that never got `<|message|>`: metadata from the front, the rest as
    /// content. With `stop`, the message ends too; without, content continues.
    fn salvage<S: Sink + ?Sized>(
        &mut self,
        origin: Origin,
        stop: Option<Stop>,
        at: u64,
        sink: &mut S,
    ) {
        let header_at = self.header_at;
        let kind = if origin == Origin::Stray {
            DiagnosticKind::TextBetweenMessages
        } else {
            DiagnosticKind::UnterminatedHeader
        };
        diag(sink, kind, header_at, "");
        let (buf, header) = (&self.header_buf, &mut self.header);
        let content = header::parse(buf, origin, Ending::Salvage, header, &mut |k, d| {
            diag(sink, k, header_at, &String::from_utf8_lossy(d))
        });
        sink.event(Event::MessageStart(&self.header));
        if let Some(start) = content {
            self.carry.emit(&self.header_buf[start..], at, sink);
        }
        self.header_buf.clear();
        self.state = State::Content;
        if let Some(stop) = stop {
            self.end_message(stop, at, sink);
        }
    }

    fn end_message<S: Sink + ?Sized>(&mut self, stop: Stop, at: u64, sink: &mut S) {
        self.carry.flush(at, sink);
        sink.event(Event::MessageEnd(stop));
        self.state = State::Idle;
    }

    /// `<|start|>` again after nothing, or after only a role word: the model stuttered.
    fn header_is_blank_or_role(&self) -> bool {
        let trimmed = self.header_buf.trim_ascii();
        trimmed.is_empty() || Role::from_bytes(trimmed).is_some()
    }
}

fn initial(options: &ParserOptions) -> State {
    match options.implicit_role {
        Some(role) => State::Begin(role),
        None => State::Idle,
    }
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

fn diag<S: Sink + ?Sized>(sink: &mut S, kind: DiagnosticKind, at: u64, detail: &str) {
    sink.event(Event::Diagnostic(Diagnostic { kind, at, detail }));
}
