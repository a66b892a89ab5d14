//! The state machine both lexers feed: `Begin/Idle -> Header -> Content -> Idle`.
//!
//! The machine sees three kinds of input: text bytes, [`Marker`]s, and the end of input.
//! It never fails: every malformed sequence has a defined reading (docs/design.md, tolerance
//! policy), reported as a [`Diagnostic`] event.

use crate::diagnostic::DiagCap;
use crate::header::{self, Ending, Origin};
use crate::utf8::Utf8Carry;
use crate::{Channel, DiagnosticKind, Event, Header, Marker, ParserOptions, Role, Sink, Stop};

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
    diags: DiagCap,
    /// Rule 16 only: text held back because it may be the start of a message boundary
    /// (`assistantfin…`), and where it began.
    pending: Vec<u8>,
    pending_at: u64,
    /// Rule 16 only: reused buffer joining `pending` to the next text.
    scratch: Vec<u8>,
    /// Rule 16 only: the open header came from text, not from `<|start|>`, so it will
    /// never see `<|message|>`: it is closed as soon as its first content word is certain.
    decide: bool,
}

impl Machine {
    pub(crate) fn new(options: ParserOptions) -> Self {
        Machine {
            state: initial(&options),
            header_buf: Vec::new(),
            header_at: 0,
            header: Header::default(),
            carry: Utf8Carry::default(),
            diags: DiagCap::new(options.max_diagnostics_per_kind),
            pending: Vec::new(),
            pending_at: 0,
            scratch: Vec::new(),
            decide: false,
            options,
        }
    }

    /// The header of the open message, once `MessageStart` was emitted for it.
    pub(crate) fn current_header(&self) -> Option<&Header> {
        (self.state == State::Content).then_some(&self.header)
    }

    #[inline(always)]
    pub(crate) fn text<S: Sink + ?Sized>(&mut self, bytes: &[u8], at: u64, sink: &mut S) {
        if self.state == State::Content && !self.options.stripped_special_tokens {
            // The hot path (text inside a message), inlined into the front end's loop:
            // without rule 16 there is no header to decide, so this is all `plain_text`
            // would do.
            self.carry.emit(bytes, at, &mut self.diags, sink);
        } else {
            self.text_outside_content(bytes, at, sink);
        }
    }

    /// [`text`](Self::text) in a header, between messages, or under rule 16.
    #[inline(never)]
    fn text_outside_content<S: Sink + ?Sized>(&mut self, bytes: &[u8], at: u64, sink: &mut S) {
        if self.options.stripped_special_tokens {
            self.stripped_text(bytes, at, sink);
        } else {
            self.plain_text(bytes, at, sink);
        }
    }

    fn plain_text<S: Sink + ?Sized>(&mut self, bytes: &[u8], at: u64, sink: &mut S) {
        match self.state {
            State::Content => self.carry.emit(bytes, at, &mut self.diags, sink),
            State::Header(_) => self.header_input(bytes, at, sink),
            State::Begin(role) => {
                if !is_blank(bytes) {
                    self.diags.emit(sink, DiagnosticKind::ImplicitStart, at, "");
                    self.open_header(Origin::Given(role), at);
                    self.decide = self.options.stripped_special_tokens;
                    self.header_input(bytes, at, sink);
                }
            }
            State::Idle => {
                if !is_blank(bytes) {
                    self.open_header(Origin::Stray, at);
                    self.decide = self.options.stripped_special_tokens;
                    self.header_input(bytes, at, sink);
                }
            }
        }
    }

    /// Text for the open header. A header that must decide (rule 16) takes it one byte at
    /// a time, deciding after each: it closes at the byte that makes its first content
    /// word certain, however the input was split, and the rest is content. Each decision
    /// re-reads the header, so a header that stays undecided (a long `to=…` word) costs
    /// time quadratic in its length, which `max_header_len` bounds; rule 16 is opt-in,
    /// and the headers of real completions decide within a few bytes.
    fn header_input<S: Sink + ?Sized>(&mut self, bytes: &[u8], at: u64, sink: &mut S) {
        if !self.decide {
            self.header_text(bytes, at, sink);
            return;
        }
        let mut i = 0;
        while self.decide && i < bytes.len() {
            self.header_text(&bytes[i..=i], at + i as u64, sink);
            i += 1;
            if self.decide {
                self.decide_header(at + i as u64, sink);
            }
        }
        if i < bytes.len() {
            self.plain_text(&bytes[i..], at + i as u64, sink);
        }
    }

    /// Rule 16: text whose special tokens a server stripped. Finds the message boundaries
    /// the stripped `<|start|>`/`<|channel|>` left as words (`assistantfinal`, a channel
    /// name opening the completion) and feeds the markers they stand for; holds back a
    /// possible partial boundary at the end, so that any split of the input reads the same.
    fn stripped_text<S: Sink + ?Sized>(&mut self, bytes: &[u8], at: u64, sink: &mut S) {
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        let base = if self.pending.is_empty() {
            at
        } else {
            self.pending_at
        };
        buf.extend_from_slice(&self.pending);
        buf.extend_from_slice(bytes);
        self.pending.clear();
        let mut i = 0;
        loop {
            if matches!(self.state, State::Begin(_) | State::Idle) {
                // A channel name opening a message: `<|channel|>` was stripped before it.
                let lead = buf[i..].len() - buf[i..].trim_ascii_start().len();
                let rest = &buf[i + lead..];
                if Channel::ALL
                    .iter()
                    .any(|c| rest.starts_with(c.as_str().as_bytes()))
                {
                    let at = base + (i + lead) as u64;
                    self.diags
                        .emit(sink, DiagnosticKind::StrippedSpecialTokens, at, "");
                    i += lead;
                    self.marker(Marker::Channel, at, sink);
                    self.decide = true;
                    continue;
                }
                if !rest.is_empty()
                    && Channel::ALL
                        .iter()
                        .any(|c| c.as_str().as_bytes().starts_with(rest))
                {
                    self.hold(&buf[i..], base + i as u64);
                    break;
                }
            }
            match find_boundary(&buf[i..]) {
                Boundary::At(j) => {
                    let at = base + (i + j) as u64;
                    if j > 0 {
                        self.plain_text(&buf[i..i + j], base + i as u64, sink);
                    }
                    self.diags
                        .emit(sink, DiagnosticKind::StrippedSpecialTokens, at, "");
                    if matches!(self.state, State::Content | State::Header(_)) {
                        self.marker(Marker::End, at, sink);
                    }
                    self.marker(Marker::Start, at, sink);
                    self.plain_text(b"assistant", at, sink);
                    self.marker(Marker::Channel, at, sink);
                    self.decide = true;
                    i += j + ASSISTANT.len();
                }
                Boundary::Partial(j) => {
                    if j > 0 {
                        self.plain_text(&buf[i..i + j], base + i as u64, sink);
                    }
                    self.hold(&buf[i + j..], base + (i + j) as u64);
                    break;
                }
                Boundary::None => {
                    if i < buf.len() {
                        self.plain_text(&buf[i..], base + i as u64, sink);
                    }
                    break;
                }
            }
        }
        self.scratch = buf;
    }

    fn hold(&mut self, bytes: &[u8], at: u64) {
        self.pending.clear();
        self.pending.extend_from_slice(bytes);
        self.pending_at = at;
    }

    /// Rule 16: held-back text is plain text after all (a marker or the end came).
    fn flush_pending<S: Sink + ?Sized>(&mut self, sink: &mut S) {
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            self.plain_text(&pending, self.pending_at, sink);
            self.pending = pending;
            self.pending.clear();
        }
    }

    /// Rule 16: a header opened from stripped text never gets `<|message|>`; it is closed
    /// (rules 13-15 split it) once its first content word is certain, so content streams.
    fn decide_header<S: Sink + ?Sized>(&mut self, at: u64, sink: &mut S) {
        let State::Header(origin) = self.state else {
            self.decide = false;
            return;
        };
        let mut probe = std::mem::take(&mut self.header);
        let start = header::parse(
            &self.header_buf,
            origin,
            Ending::Salvage,
            &mut probe,
            &mut |_, _| {},
        );
        self.header = probe;
        let Some(start) = start else { return };
        let word = &self.header_buf[start..];
        let open_ended = !word.iter().any(u8::is_ascii_whitespace);
        // A last word that more bytes could still turn into metadata: wait for them.
        let could_grow = |full: &[u8]| full.len() > word.len() && full.starts_with(word);
        if open_ended
            && (word.is_empty()
                || [b"to=".as_slice(), b"json", b"code"]
                    .iter()
                    .any(|m| could_grow(m) || *m == word)
                || (start == 0
                    && origin == Origin::Stray
                    && ["system", "developer", "user", "assistant", "tool"]
                        .iter()
                        .any(|r| could_grow(r.as_bytes()))))
        {
            return;
        }
        self.decide = false;
        self.close_header(
            origin,
            None,
            DiagnosticKind::StrippedSpecialTokens,
            at,
            sink,
        );
    }

    /// [`text`](Self::text) for bytes known to be whole characters: in content with nothing
    /// carried, they go out as they are, without validating them again.
    #[inline]
    pub(crate) fn text_str<S: Sink + ?Sized>(&mut self, text: &str, at: u64, sink: &mut S) {
        if self.state == State::Content
            && self.carry.is_empty()
            && !self.options.stripped_special_tokens
        {
            if !text.is_empty() {
                sink.event(Event::Delta(text));
            }
        } else {
            self.text_out_of_line(text.as_bytes(), at, sink);
        }
    }

    /// [`text`](Self::text), not inlined: for the token front end, whose common case is
    /// [`text_str`](Self::text_str) and whose `push` stays small without this copy of the
    /// text front end's fast path.
    #[inline(never)]
    pub(crate) fn text_out_of_line<S: Sink + ?Sized>(
        &mut self,
        bytes: &[u8],
        at: u64,
        sink: &mut S,
    ) {
        self.text(bytes, at, sink);
    }

    pub(crate) fn marker<S: Sink + ?Sized>(&mut self, m: Marker, at: u64, sink: &mut S) {
        if !self.pending.is_empty() {
            self.flush_pending(sink);
        }
        self.decide = false;
        match (self.state, m) {
            (State::Content, Marker::End | Marker::Call | Marker::Return) => {
                let stop = m.stop().unwrap_or(Stop::End);
                self.end_message(stop, at, sink);
            }
            (State::Content, Marker::Start) => {
                self.diags.emit(sink, DiagnosticKind::MissingEnd, at, "");
                self.end_message(Stop::Interrupted, at, sink);
                self.open_header(Origin::Start, at);
            }
            (State::Content, _) => {
                self.diags
                    .emit(sink, DiagnosticKind::MarkerInContent, at, m.as_str());
                self.carry
                    .emit(m.as_str().as_bytes(), at, &mut self.diags, sink);
            }
            (State::Begin(_) | State::Idle, Marker::Start) => self.open_header(Origin::Start, at),
            (State::Begin(_) | State::Idle, Marker::End | Marker::Call | Marker::Return) => {
                self.diags
                    .emit(sink, DiagnosticKind::StrayStop, at, m.as_str());
                self.state = State::Idle;
            }
            (State::Begin(role), _) => {
                self.diags.emit(sink, DiagnosticKind::ImplicitStart, at, "");
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
                    self.diags
                        .emit(sink, DiagnosticKind::MissingStart, self.header_at, "");
                }
                let at = self.header_at;
                let (buf, header, diags) = (&self.header_buf, &mut self.header, &mut self.diags);
                header::parse(buf, origin, Ending::Message, header, &mut |k, d| {
                    diags.emit(sink, k, at, &String::from_utf8_lossy(d))
                });
                self.header_buf.clear();
                self.state = State::Content;
                sink.event(Event::MessageStart(&self.header));
            }
            (State::Header(origin), Marker::Start) => {
                if self.header_is_blank_or_role() {
                    // The stuttered role word is dropped; the detail keeps it (the
                    // lossless invariant counts it there).
                    let dropped = String::from_utf8_lossy(self.header_buf.trim_ascii());
                    self.diags
                        .emit(sink, DiagnosticKind::RepeatedStart, at, &dropped);
                    self.open_header(Origin::Start, at);
                } else {
                    self.salvage(origin, Some(Stop::Interrupted), at, sink);
                    self.open_header(Origin::Start, at);
                }
            }
            (State::Header(origin), Marker::End | Marker::Call | Marker::Return) => {
                if is_blank(&self.header_buf) {
                    self.diags
                        .emit(sink, DiagnosticKind::StrayStop, at, m.as_str());
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
        self.flush_pending(sink);
        self.decide = false;
        match self.state {
            State::Content => {
                self.diags.emit(sink, DiagnosticKind::Truncated, at, "");
                self.end_message(Stop::Eof, at, sink);
            }
            State::Header(origin) => {
                if is_blank(&self.header_buf) {
                    self.diags.emit(sink, DiagnosticKind::Truncated, at, "");
                } else {
                    self.salvage(origin, Some(Stop::Eof), at, sink);
                }
            }
            State::Begin(_) | State::Idle => {}
        }
        self.diags.finish(sink, at);
        self.header_buf.clear();
        self.state = initial(&self.options);
    }

    fn open_header(&mut self, origin: Origin, at: u64) {
        self.decide = false;
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
        // bounded, and stream the rest as content. The cut backs off to a character
        // boundary, so a character is not split between a header field and the content.
        let held = self.header_buf.len();
        let at_byte = |k: usize| {
            if k < held {
                self.header_buf[k]
            } else {
                bytes[k - held]
            }
        };
        let limit = held + room;
        let mut cut = limit;
        if bytes.first() == Some(&b'<')
            && Marker::ALL.iter().any(|m| m.as_str().as_bytes() == bytes)
        {
            // A marker's text is never cut in two: it goes whole to the content.
            cut = held;
        }
        while cut > 0 && limit - cut < 3 && at_byte(cut) & 0xC0 == 0x80 {
            cut -= 1;
        }
        if at_byte(cut) & 0xC0 == 0x80 {
            cut = limit;
        }
        // Up to 3 bytes of a character the header already held move to the content.
        let mut tail = [0u8; 4];
        let tail_len = held.saturating_sub(cut);
        tail[..tail_len].copy_from_slice(&self.header_buf[cut.min(held)..]);
        self.header_buf.truncate(cut.min(held));
        let split = cut.saturating_sub(held);
        self.header_buf.extend_from_slice(&bytes[..split]);
        self.diags.emit(sink, DiagnosticKind::HeaderTooLong, at, "");
        let origin = match self.state {
            State::Header(origin) => origin,
            _ => Origin::Stray,
        };
        self.decide = false;
        self.salvage(origin, None, at, sink);
        if tail_len > 0 {
            self.carry
                .emit(&tail[..tail_len], at, &mut self.diags, sink);
        }
        self.carry.emit(&bytes[split..], at, &mut self.diags, sink);
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
        let kind = if origin == Origin::Stray {
            DiagnosticKind::TextBetweenMessages
        } else {
            DiagnosticKind::UnterminatedHeader
        };
        self.close_header(origin, stop, kind, at, sink);
    }

    /// [`salvage`](Self::salvage) reporting `kind` for the missing `<|message|>`.
    fn close_header<S: Sink + ?Sized>(
        &mut self,
        origin: Origin,
        stop: Option<Stop>,
        kind: DiagnosticKind,
        at: u64,
        sink: &mut S,
    ) {
        let header_at = self.header_at;
        self.diags.emit(sink, kind, header_at, "");
        let (buf, header, diags) = (&self.header_buf, &mut self.header, &mut self.diags);
        let content = header::parse(buf, origin, Ending::Salvage, header, &mut |k, d| {
            diags.emit(sink, k, header_at, &String::from_utf8_lossy(d))
        });
        sink.event(Event::MessageStart(&self.header));
        if let Some(start) = content {
            self.carry
                .emit(&self.header_buf[start..], at, &mut self.diags, sink);
        }
        self.header_buf.clear();
        self.state = State::Content;
        if let Some(stop) = stop {
            self.end_message(stop, at, sink);
        }
    }

    fn end_message<S: Sink + ?Sized>(&mut self, stop: Stop, at: u64, sink: &mut S) {
        self.carry.flush(at, &mut self.diags, sink);
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

const ASSISTANT: &[u8] = b"assistant";

enum Boundary {
    /// `assistant` + a channel name starts here.
    At(usize),
    /// From here to the end could still become one.
    Partial(usize),
    None,
}

/// Rule 16: the first `assistant` glued to a channel name (what `<|start|>assistant<|channel|>`
/// leaves when special tokens are stripped).
fn find_boundary(text: &[u8]) -> Boundary {
    let mut from = 0;
    while let Some(p) = memchr::memchr(b'a', &text[from..]) {
        let j = from + p;
        let rest = &text[j..];
        if rest.len() < ASSISTANT.len() {
            if ASSISTANT.starts_with(rest) {
                return Boundary::Partial(j);
            }
        } else if rest.starts_with(ASSISTANT) {
            let after = &rest[ASSISTANT.len()..];
            for c in Channel::ALL {
                let name = c.as_str().as_bytes();
                if after.starts_with(name) {
                    return Boundary::At(j);
                }
                if after.len() < name.len() && name.starts_with(after) {
                    return Boundary::Partial(j);
                }
            }
        }
        from = j + 1;
    }
    Boundary::None
}
