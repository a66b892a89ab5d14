//! Message headers: the part between `<|start|>` and `<|message|>`, and how it is parsed.
//!
//! A well-formed header is `role[:name][ to=recipient]<|channel|>name[ content-type]`,
//! with the recipient before or after the channel and the content type either a bare word
//! (`json`, `code`) or `<|constrain|>json`. Models get this wrong in every way the tolerance
//! policy lists; [`parse`] accepts all of them and reports each repair.

use crate::DiagnosticKind;

/// Who wrote a message.
///
/// ```
/// use harmony_stream::Role;
/// assert_eq!(Role::from_name("developer"), Some(Role::Developer));
/// assert_eq!(Role::Tool.as_str(), "tool");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Role {
    /// `system`
    System,
    /// `developer`
    Developer,
    /// `user`
    User,
    /// `assistant`: what the model writes.
    #[default]
    Assistant,
    /// A tool's result; its name (e.g. `functions.get_weather`) is the author name.
    Tool,
}

impl Role {
    /// The role's name as written in a header.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::Developer => "developer",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }

    /// The role a header word names, if it names one.
    pub fn from_name(name: &str) -> Option<Role> {
        Self::from_bytes(name.as_bytes())
    }

    pub(crate) fn from_bytes(name: &[u8]) -> Option<Role> {
        Some(match name {
            b"system" => Role::System,
            b"developer" => Role::Developer,
            b"user" => Role::User,
            b"assistant" => Role::Assistant,
            b"tool" => Role::Tool,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The three channels gpt-oss writes on.
///
/// ```
/// use harmony_stream::Channel;
/// assert_eq!(Channel::from_name("final"), Some(Channel::Final));
/// assert_eq!(Channel::from_name("thinking"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Chain of thought: not for the user.
    Analysis,
    /// Tool calls, and preambles the user may see.
    Commentary,
    /// The answer.
    Final,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 3] = [Channel::Analysis, Channel::Commentary, Channel::Final];

    /// The channel's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Analysis => "analysis",
            Channel::Commentary => "commentary",
            Channel::Final => "final",
        }
    }

    /// The channel a name stands for, if it is one of the three.
    pub fn from_name(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

type Span = (u32, u32);

/// A parsed message header.
///
/// Field meanings follow `openai-harmony`: `content_type` is as written, so a constrained
/// type reads `<|constrain|>json`; a tool's result has role [`Role::Tool`] and the tool as
/// its [`name`](Header::name).
///
/// ```
/// use harmony_stream::{Channel, Header, Role};
///
/// let h = Header::new(Role::Assistant)
///     .with_channel("commentary")
///     .with_recipient("functions.get_weather")
///     .with_content_type("<|constrain|>json");
/// assert_eq!(h.known_channel(), Some(Channel::Commentary));
/// assert!(h.is_tool_call());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    role: Role,
    // All strings live in one buffer, reused from message to message.
    buf: String,
    name: Option<Span>,
    channel: Option<Span>,
    recipient: Option<Span>,
    content_type: Option<Span>,
}

impl Header {
    /// A header with only a role.
    pub fn new(role: Role) -> Self {
        Header {
            role,
            ..Header::default()
        }
    }

    /// Sets the author name.
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = Some(self.push(name));
        self
    }

    /// Sets the channel.
    pub fn with_channel(mut self, channel: &str) -> Self {
        self.channel = Some(self.push(channel));
        self
    }

    /// Sets the recipient.
    pub fn with_recipient(mut self, recipient: &str) -> Self {
        self.recipient = Some(self.push(recipient));
        self
    }

    /// Sets the content type (as written, e.g. `<|constrain|>json`).
    pub fn with_content_type(mut self, content_type: &str) -> Self {
        self.content_type = Some(self.push(content_type));
        self
    }

    /// Who wrote the message.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The author name: the tool for [`Role::Tool`], `alice` in `user:alice`.
    pub fn name(&self) -> Option<&str> {
        self.get(self.name)
    }

    /// The channel as written (after repairs).
    pub fn channel(&self) -> Option<&str> {
        self.get(self.channel)
    }

    /// The channel, if it is one of the three known ones.
    pub fn known_channel(&self) -> Option<Channel> {
        self.channel().and_then(Channel::from_name)
    }

    /// The recipient (`functions.get_weather`, `browser.search`, `assistant`, ...).
    pub fn recipient(&self) -> Option<&str> {
        self.get(self.recipient)
    }

    /// The content type as written: `json`, `code`, `<|constrain|>json`.
    pub fn content_type(&self) -> Option<&str> {
        self.get(self.content_type)
    }

    /// Whether this header opens a tool call: an assistant message addressed to someone other
    /// than `assistant`, `user` or `all`.
    pub fn is_tool_call(&self) -> bool {
        self.role == Role::Assistant
            && self
                .recipient()
                .is_some_and(|r| !matches!(r, "assistant" | "user" | "all"))
    }

    fn get(&self, span: Option<Span>) -> Option<&str> {
        span.and_then(|(s, e)| self.buf.get(s as usize..e as usize))
    }

    fn push(&mut self, s: &str) -> Span {
        let start = self.buf.len() as u32;
        self.buf.push_str(s);
        (start, self.buf.len() as u32)
    }

    fn push_bytes(&mut self, prefix: &str, b: &[u8]) -> Span {
        let start = self.buf.len() as u32;
        self.buf.push_str(prefix);
        match as_text(b) {
            Some(s) => self.buf.push_str(s),
            None => self.buf.push_str(&String::from_utf8_lossy(b)),
        }
        (start, self.buf.len() as u32)
    }

    fn reset(&mut self, role: Role) {
        self.role = role;
        self.buf.clear();
        self.name = None;
        self.channel = None;
        self.recipient = None;
        self.content_type = None;
    }
}

/// Where a header came from; decides how its first word is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// After `<|start|>`: the first word is the role (or a tool's name).
    Start,
    /// The prompt already wrote `<|start|>` and this role.
    Given(Role),
    /// No `<|start|>` at all (text or `<|channel|>` between messages): assistant, unless
    /// the text begins with a role name.
    Stray,
}

/// How the header ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// By `<|message|>`: every word is metadata.
    Message,
    /// By a stop token, the end of input, or the length bound: metadata is read from the
    /// front, and from the first word that is not metadata on, the rest is content.
    Salvage,
}

const CHANNEL: &[u8] = b"<|channel|>";
const CONSTRAIN: &[u8] = b"<|constrain|>";

#[derive(Clone, Copy)]
enum Item<'a> {
    Channel,
    Constrain,
    /// A word, its offset, and whether whitespace came right before it.
    Word(&'a [u8], usize, bool),
}

#[derive(Clone)]
struct Items<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Iterator for Items<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        let start_ws = self.i;
        while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
        let ws = self.i > start_ws;
        let rest = self.b.get(self.i..).filter(|r| !r.is_empty())?;
        if rest[0] == b'<' {
            if rest.starts_with(CHANNEL) {
                self.i += CHANNEL.len();
                return Some(Item::Channel);
            }
            if rest.starts_with(CONSTRAIN) {
                self.i += CONSTRAIN.len();
                return Some(Item::Constrain);
            }
        }
        let start = self.i;
        // A word ends at whitespace or at a `<` that opens a marker; a scan for either
        // byte, not a test of both marker texts at every byte.
        let mut j = 1;
        loop {
            let Some(p) = rest[j..]
                .iter()
                .position(|&b| b == b'<' || b.is_ascii_whitespace())
            else {
                j = rest.len();
                break;
            };
            j += p;
            let at = &rest[j..];
            if at[0] != b'<' || at.starts_with(CHANNEL) || at.starts_with(CONSTRAIN) {
                break;
            }
            j += 1;
        }
        self.i += j;
        Some(Item::Word(&rest[..j], start, ws))
    }
}

/// Parses `bytes` into `out`, reporting each repair through `diag`.
///
/// With [`Ending::Salvage`], returns the offset where content starts, if any text is left
/// after the metadata.
pub(crate) fn parse(
    bytes: &[u8],
    origin: Origin,
    ending: Ending,
    out: &mut Header,
    diag: &mut dyn FnMut(DiagnosticKind, &[u8]),
) -> Option<usize> {
    let mut p = HeaderParser {
        out,
        diag,
        ending,
        role_known: !matches!(origin, Origin::Start),
        expect_channel: false,
        expect_constrain: false,
        channel_seen: false,
    };
    p.out.reset(match origin {
        Origin::Given(role) => role,
        _ => Role::Assistant,
    });
    let mut items = Items { b: bytes, i: 0 };
    let mut first = true;
    while let Some(item) = items.next() {
        let is_first = std::mem::replace(&mut first, false);
        match item {
            Item::Channel => {
                p.close_pending();
                if p.channel_seen {
                    // Rule 4, the last channel wins: the detail keeps the one replaced.
                    let replaced = p.out.channel().unwrap_or("").to_owned();
                    (p.diag)(DiagnosticKind::DuplicateChannel, replaced.as_bytes());
                }
                p.channel_seen = true;
                p.expect_channel = true;
            }
            Item::Constrain => {
                p.close_pending();
                p.expect_constrain = true;
            }
            Item::Word(w, start, ws) => {
                if is_first && p.role_slot(w, origin) {
                    continue;
                }
                if let Some(content) = p.word(w, start, ws, &items) {
                    return Some(content);
                }
            }
        }
    }
    p.close_pending();
    if !p.role_known {
        (p.diag)(DiagnosticKind::MissingRole, b"");
    }
    None
}

struct HeaderParser<'o, 'd> {
    out: &'o mut Header,
    diag: &'d mut dyn FnMut(DiagnosticKind, &[u8]),
    ending: Ending,
    role_known: bool,
    expect_channel: bool,
    expect_constrain: bool,
    channel_seen: bool,
}

impl HeaderParser<'_, '_> {
    /// Reads the first word as a role; returns whether it was consumed.
    fn role_slot(&mut self, w: &[u8], origin: Origin) -> bool {
        let (role_word, name) = match w.iter().position(|&b| b == b':') {
            Some(i) => (&w[..i], Some(&w[i + 1..])),
            None => (w, None),
        };
        match (origin, Role::from_bytes(role_word)) {
            (Origin::Given(given), Some(role)) if role == given && name.is_none() => true,
            (Origin::Given(_), _) => false,
            (_, Some(role)) => {
                self.out.role = role;
                self.role_known = true;
                match name {
                    Some(b"") => {
                        // `assistant:` with no name after the colon: the colon is no
                        // field; it is named so that no byte goes unaccounted for.
                        (self.diag)(DiagnosticKind::UnexpectedHeaderText, b":");
                    }
                    Some(name) => self.out.name = Some(self.out.push_bytes("", name)),
                    None => {}
                }
                true
            }
            (Origin::Start, None) if w.starts_with(b"to=") => {
                // `<|start|> to=functions.x`: the model skipped the role; the word is
                // still the recipient.
                self.role_known = true;
                (self.diag)(DiagnosticKind::MissingRole, w);
                false
            }
            (Origin::Start, None) => {
                // A tool's result: `<|start|>functions.get_weather to=assistant`.
                self.out.role = Role::Tool;
                self.role_known = true;
                self.out.name = Some(self.out.push_bytes("", w));
                true
            }
            (Origin::Stray, None) => false,
        }
    }

    /// Handles one word (`rest`: the items after it); returns the content offset when
    /// salvaging reaches content.
    fn word(&mut self, w: &[u8], start: usize, ws: bool, rest: &Items<'_>) -> Option<usize> {
        let salvage = self.ending == Ending::Salvage;
        if std::mem::take(&mut self.expect_channel) {
            if is_recipient(w) {
                // Rule 14: `<|channel|> to=functions.x`: no channel; the word is the
                // recipient (read below), not a channel named `to=…`.
                (self.diag)(DiagnosticKind::EmptyChannel, b"");
            } else {
                let end = w.iter().position(|&b| b == b'<').unwrap_or(w.len());
                if end > 0 {
                    if salvage {
                        if let Some(c) = glued_channel(&w[..end]) {
                            // Rule 13: `finalHello`, `final:Hi`: the known name is the
                            // channel and everything after it is content, byte for byte.
                            (self.diag)(DiagnosticKind::GluedChannel, c.as_str().as_bytes());
                            self.out.channel = Some(self.out.push(c.as_str()));
                            return Some(start + c.as_str().len());
                        }
                    }
                    self.channel(&w[..end]);
                    if end == w.len() {
                        return None;
                    }
                    return self.word(&w[end..], start + end, false, rest);
                }
                (self.diag)(DiagnosticKind::EmptyChannel, b"");
            }
        }
        if std::mem::take(&mut self.expect_constrain) {
            if ws {
                (self.diag)(DiagnosticKind::ContentTypeSpacing, w);
            }
            let split = if salvage { type_len(w) } else { w.len() };
            self.set_content_type("<|constrain|>", &w[..split]);
            if split < w.len() {
                // Rule 15: `<|constrain|>json{"a":1}`: the body is glued to the type.
                (self.diag)(DiagnosticKind::GluedContentType, &w[..split]);
                return Some(start + split);
            }
            return None;
        }
        if is_recipient(w) {
            self.recipient(&w[3..]);
            return None;
        }
        if salvage && self.out.recipient.is_some() && self.out.content_type.is_none() {
            // Rule 15, bare form: `to=functions.f json {"a":1}` or `… json{"a":1}`.
            let split = type_len(w);
            if matches!(&w[..split], b"json" | b"code") {
                (self.diag)(DiagnosticKind::GluedContentType, &w[..split]);
                self.set_content_type("", &w[..split]);
                return (split < w.len()).then_some(start + split);
            }
        }
        match self.ending {
            Ending::Salvage => Some(start),
            // Whether the word is the header's last is looked ahead for only here: most
            // headers never get this far.
            Ending::Message if self.out.content_type.is_none() && rest.clone().next().is_none() => {
                self.out.content_type = Some(self.out.push_bytes("", w));
                None
            }
            Ending::Message => {
                (self.diag)(DiagnosticKind::UnexpectedHeaderText, w);
                None
            }
        }
    }

    fn channel(&mut self, name: &[u8]) {
        if let Some(s) = as_text(name) {
            if Channel::from_name(s).is_some() {
                self.out.channel = Some(self.out.push(s));
                return;
            }
            // `commentary?commentary?`: keep the known name the garbage starts with.
            let known = Channel::ALL.into_iter().find(|c| {
                s.strip_prefix(c.as_str())
                    .and_then(|rest| rest.bytes().next())
                    .is_some_and(|b| !(b.is_ascii_alphanumeric() || b == b'_'))
            });
            if let Some(c) = known {
                (self.diag)(DiagnosticKind::GarbageChannel, name);
                self.out.channel = Some(self.out.push(c.as_str()));
                return;
            }
        }
        (self.diag)(DiagnosticKind::UnknownChannel, name);
        self.out.channel = Some(self.out.push_bytes("", name));
    }

    /// Sets the content type; one already set is replaced, and reported with its text.
    fn set_content_type(&mut self, prefix: &str, w: &[u8]) {
        if let Some(old) = self.out.content_type() {
            let old = old.to_owned();
            (self.diag)(DiagnosticKind::UnexpectedHeaderText, old.as_bytes());
        }
        self.out.content_type = Some(self.out.push_bytes(prefix, w));
    }

    fn recipient(&mut self, r: &[u8]) {
        if self.out.role == Role::Assistant && r == b"assistant" {
            (self.diag)(DiagnosticKind::SelfRecipient, r);
            return;
        }
        match self.out.recipient() {
            None => self.out.recipient = Some(self.out.push_bytes("", r)),
            Some(existing) if existing.as_bytes() == r => {
                (self.diag)(DiagnosticKind::DuplicateRecipient, r)
            }
            Some(_) => (self.diag)(DiagnosticKind::ConflictingRecipient, r),
        }
    }

    /// A `<|channel|>` or `<|constrain|>` that got no word before the next marker or the end.
    fn close_pending(&mut self) {
        if std::mem::take(&mut self.expect_channel) {
            (self.diag)(DiagnosticKind::EmptyChannel, b"");
        }
        if std::mem::take(&mut self.expect_constrain) {
            self.set_content_type("<|constrain|>", b"");
        }
    }
}

/// `b` as text, if it is valid UTF-8. Header words are nearly always ASCII, which
/// `is_ascii` checks a machine word at a time, inlined; a call to `from_utf8` cost more
/// than the check itself on words this short.
#[inline]
fn as_text(b: &[u8]) -> Option<&str> {
    if b.is_ascii() {
        // SAFETY: ASCII bytes are valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(b) })
    } else {
        std::str::from_utf8(b).ok()
    }
}

fn is_recipient(w: &[u8]) -> bool {
    w.len() > 3 && w.starts_with(b"to=")
}

/// Rule 13: the known channel name `name` starts with, when more text is glued to it.
fn glued_channel(name: &[u8]) -> Option<Channel> {
    Channel::ALL.into_iter().find(|c| {
        let c = c.as_str().as_bytes();
        name.len() > c.len() && name.starts_with(c)
    })
}

/// Rule 15: how much of `w` is a content type (`json`, `code`, `application/json`), the
/// rest being a body glued to it.
fn type_len(w: &[u8]) -> usize {
    w.iter()
        .position(|&b| {
            !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/' | b'+'))
        })
        .unwrap_or(w.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        h: &str,
        origin: Origin,
        ending: Ending,
    ) -> (Header, Vec<DiagnosticKind>, Option<usize>) {
        let mut out = Header::default();
        let mut diags = Vec::new();
        let content = parse(h.as_bytes(), origin, ending, &mut out, &mut |k, _| {
            diags.push(k)
        });
        (out, diags, content)
    }

    fn full(h: &str) -> (Header, Vec<DiagnosticKind>) {
        let (h, d, _) = run(h, Origin::Start, Ending::Message);
        (h, d)
    }

    fn fields(h: &Header) -> (Role, Option<&str>, Option<&str>, Option<&str>, Option<&str>) {
        (
            h.role(),
            h.name(),
            h.channel(),
            h.recipient(),
            h.content_type(),
        )
    }

    use Role::*;

    #[test]
    fn ollama_header_cases() {
        // Ollama's parser tests (tests/corpus/), section 1 (H1..H9).
        let cases = [
            (
                "assistant<|channel|>analysis",
                (Assistant, None, Some("analysis"), None, None),
            ),
            (
                "assistant<|channel|>analysis to=functions.get_weather",
                (
                    Assistant,
                    None,
                    Some("analysis"),
                    Some("functions.get_weather"),
                    None,
                ),
            ),
            (
                "assistant to=functions.get_weather<|channel|>analysis",
                (
                    Assistant,
                    None,
                    Some("analysis"),
                    Some("functions.get_weather"),
                    None,
                ),
            ),
            (
                "assistant<|channel|>commentary to=functions.get_weather <|constrain|>json",
                (
                    Assistant,
                    None,
                    Some("commentary"),
                    Some("functions.get_weather"),
                    Some("<|constrain|>json"),
                ),
            ),
            (
                "assistant to=functions.get_weather<|channel|>commentary <|constrain|>json",
                (
                    Assistant,
                    None,
                    Some("commentary"),
                    Some("functions.get_weather"),
                    Some("<|constrain|>json"),
                ),
            ),
            (
                "assistant<|channel|>commentary to=functions.get_weather<|constrain|>json",
                (
                    Assistant,
                    None,
                    Some("commentary"),
                    Some("functions.get_weather"),
                    Some("<|constrain|>json"),
                ),
            ),
            (
                "assistant to=functions.get_weather<|channel|>commentary<|constrain|>json",
                (
                    Assistant,
                    None,
                    Some("commentary"),
                    Some("functions.get_weather"),
                    Some("<|constrain|>json"),
                ),
            ),
        ];
        for (input, want) in cases {
            let (h, d) = full(input);
            assert_eq!(fields(&h), want, "{input}");
            assert!(d.is_empty(), "{input}: {d:?}");
        }
    }

    #[test]
    fn h4_recipient_in_role_slot_is_an_assistant_call_not_a_tool() {
        // Ollama and the reference say role=tool; the recipient is what matters (rule 2).
        let (h, d) = full("to=functions.get_weather<|channel|>analysis");
        assert_eq!(
            fields(&h),
            (
                Assistant,
                None,
                Some("analysis"),
                Some("functions.get_weather"),
                None
            )
        );
        assert_eq!(d, [DiagnosticKind::MissingRole]);
    }

    #[test]
    fn a_colon_with_no_name_after_the_role_is_reported() {
        // A fuzz finding of the lossless check: the colon was dropped unreported.
        let (h, d) = full("assistant:<|channel|>analysis to=lookup code");
        assert_eq!(
            fields(&h),
            (
                Assistant,
                None,
                Some("analysis"),
                Some("lookup"),
                Some("code")
            )
        );
        assert_eq!(d, [DiagnosticKind::UnexpectedHeaderText]);
    }

    #[test]
    fn h5_extra_word_after_recipient_is_reported_not_kept() {
        let (h, d) = full("assistant to=functions.get_weather abc<|channel|>analysis");
        assert_eq!(
            fields(&h),
            (
                Assistant,
                None,
                Some("analysis"),
                Some("functions.get_weather"),
                None
            )
        );
        assert_eq!(d, [DiagnosticKind::UnexpectedHeaderText]);
    }

    #[test]
    fn final_with_constrain_has_no_recipient() {
        // Rule 3: the reference reads `<|constrain|>json` as the recipient here.
        let (h, d, _) = run(
            "<|channel|>final <|constrain|>json",
            Origin::Given(Assistant),
            Ending::Message,
        );
        assert_eq!(
            fields(&h),
            (
                Assistant,
                None,
                Some("final"),
                None,
                Some("<|constrain|>json")
            )
        );
        assert!(d.is_empty());
    }

    #[test]
    fn content_type_forms() {
        for (input, ct, diags) in [
            ("assistant<|channel|>commentary to=f json", "json", vec![]),
            ("assistant<|channel|>analysis to=f code", "code", vec![]),
            (
                "assistant<|channel|>commentary to=f <|constrain|> json",
                "<|constrain|>json",
                vec![DiagnosticKind::ContentTypeSpacing],
            ),
        ] {
            let (h, d) = full(input);
            assert_eq!(h.content_type(), Some(ct), "{input}");
            assert_eq!(h.recipient(), Some("f"), "{input}");
            assert_eq!(d, diags, "{input}");
        }
    }

    #[test]
    fn several_channels_last_wins_and_self_recipient_dropped() {
        let (h, d, _) = run(
            "<|channel|>commentary to=assistant<|channel|>analysis",
            Origin::Given(Assistant),
            Ending::Message,
        );
        assert_eq!(h.channel(), Some("analysis"));
        assert_eq!(h.recipient(), None);
        assert_eq!(
            d,
            [
                DiagnosticKind::SelfRecipient,
                DiagnosticKind::DuplicateChannel
            ]
        );
    }

    #[test]
    fn duplicate_recipient_kept_once() {
        let (h, d) = full("assistant<|channel|>commentary to=functions.a to=functions.a");
        assert_eq!(h.recipient(), Some("functions.a"));
        assert_eq!(d, [DiagnosticKind::DuplicateRecipient]);
        let (h, d) = full("assistant<|channel|>commentary to=functions.a to=functions.b");
        assert_eq!(h.recipient(), Some("functions.a"));
        assert_eq!(d, [DiagnosticKind::ConflictingRecipient]);
    }

    #[test]
    fn garbage_channel_names() {
        let (h, d) = full("assistant<|channel|>commentary?commentary?");
        assert_eq!(h.channel(), Some("commentary"));
        assert_eq!(d, [DiagnosticKind::GarbageChannel]);
        let (h, d) = full("assistant<|channel|>??");
        assert_eq!(h.channel(), Some("??"));
        assert_eq!(d, [DiagnosticKind::UnknownChannel]);
        let (h, d) = full("assistant<|channel|>finalize");
        assert_eq!(h.channel(), Some("finalize"));
        assert_eq!(d, [DiagnosticKind::UnknownChannel]);
    }

    #[test]
    fn tool_results_and_named_authors() {
        let (h, d) = full("functions.get_weather to=assistant<|channel|>commentary");
        assert_eq!(
            fields(&h),
            (
                Tool,
                Some("functions.get_weather"),
                Some("commentary"),
                Some("assistant"),
                None
            )
        );
        assert!(d.is_empty());
        let (h, _) = full("user:alice");
        assert_eq!(fields(&h), (User, Some("alice"), None, None, None));
    }

    #[test]
    fn salvage_keeps_text_after_metadata_verbatim() {
        let (h, d, c) = run(
            "<|channel|>final {\"answer\":  \"hi\"}\n",
            Origin::Given(Assistant),
            Ending::Salvage,
        );
        assert_eq!(h.channel(), Some("final"));
        assert!(d.is_empty());
        assert_eq!(c, Some(17));
        let (h, _, c) = run(
            "I must\n\nrefuse",
            Origin::Given(Assistant),
            Ending::Salvage,
        );
        assert_eq!((h.role(), h.channel(), c), (Assistant, None, Some(0)));
        let (_, _, c) = run(
            "assistant<|channel|>analysis",
            Origin::Stray,
            Ending::Salvage,
        );
        assert_eq!(c, None);
    }

    #[test]
    fn empty_channel_and_missing_role() {
        let (h, d) = full("<|channel|><|constrain|>json");
        assert_eq!(h.channel(), None);
        assert_eq!(h.content_type(), Some("<|constrain|>json"));
        assert_eq!(
            d,
            [DiagnosticKind::EmptyChannel, DiagnosticKind::MissingRole]
        );
    }
}
