//! The lossless invariant (docs/design.md, tolerance policy): every input byte that is not
//! part of a recognised marker ends up, in order, in a header field (role, name, channel,
//! recipient, content type) or in message content, or is whitespace between messages.
//!
//! Shared by the chunking proptests (`tests/chunking.rs`) and the `text` and `tokens` fuzz
//! targets (`fuzz/src/lib.rs` includes this file by path), so both check the same rule.
//!
//! How it is checked:
//!
//! - the input is cut at every marker (text: at every marker's text; token ids: at every
//!   marker token, the other ids decoded to their bytes); each piece is decoded lossily on
//!   its own (a character split by a marker is two invalid sequences, as the parsers read
//!   it), and ASCII whitespace is dropped (the header parser splits on it; whitespace
//!   between messages is dropped by rule 8);
//! - **in order**: the concatenated message contents, with marker text and whitespace
//!   removed, are a subsequence of those input characters;
//! - **nothing lost**: every input character is accounted for, as a multiset, by a header
//!   field, by content, or by the few bytes a rule drops on purpose and names in its
//!   diagnostic's detail: a second or conflicting `to=` and `to=assistant` (rule 4),
//!   garbage after a known channel name and header words that are no field (rule 6), a
//!   `to=` in the role slot. The fields' own punctuation is added back: `to=` before each
//!   recipient, `:` between role and author name, the role word itself.
//!
//! When the per-kind diagnostic cap suppressed diagnostics, the details of dropped words
//! may be gone: then only the order check runs.
#![allow(dead_code)]

use harmony_stream::{vocab, DiagnosticKind, Event, Marker, Role, Sink};
use std::collections::HashMap;

/// One message as the invariant needs it.
#[derive(Clone, Debug, Default)]
struct Msg {
    /// Each header field on its own (with its punctuation added back), so that marker text
    /// is never formed across two of them: a name ending `<|channe` and a channel starting
    /// `l|>` are two fields, not a `<|channel|>` marker (a fuzz finding of this checker).
    fields: Vec<String>,
    content: String,
}

/// A sink recording what the invariant checks. Feed it every event, then call
/// [`check`](Lossless::check) with the input.
#[derive(Clone, Debug, Default)]
pub struct Lossless {
    messages: Vec<Msg>,
    /// Text rules drop on purpose, from diagnostics' details, each on its own (as fields
    /// are: two details must not join into marker text).
    dropped: Vec<String>,
    suppressed: bool,
}

impl Sink for Lossless {
    fn event(&mut self, e: Event<'_>) {
        match e {
            Event::MessageStart(h) => {
                let mut fields = vec![h.role().as_str().to_owned()];
                if let Some(n) = h.name() {
                    let colon = if h.role() == Role::Tool { "" } else { ":" };
                    fields.push(format!("{colon}{n}"));
                }
                for f in [h.channel(), h.content_type()].into_iter().flatten() {
                    fields.push(f.to_owned());
                }
                if let Some(r) = h.recipient() {
                    fields.push(format!("to={r}"));
                }
                self.messages.push(Msg {
                    fields,
                    content: String::new(),
                });
            }
            Event::Delta(d) => {
                if let Some(m) = self.messages.last_mut() {
                    m.content.push_str(d);
                }
            }
            Event::MessageEnd(_) => {}
            Event::Diagnostic(d) => match d.kind {
                DiagnosticKind::SelfRecipient
                | DiagnosticKind::DuplicateRecipient
                | DiagnosticKind::ConflictingRecipient => {
                    self.dropped.push(format!("to={}", d.detail));
                }
                DiagnosticKind::GarbageChannel
                | DiagnosticKind::UnexpectedHeaderText
                | DiagnosticKind::MissingRole
                | DiagnosticKind::RepeatedStart
                | DiagnosticKind::DuplicateChannel => self.dropped.push(d.detail.to_owned()),
                DiagnosticKind::DiagnosticsSuppressed => self.suppressed = true,
                _ => {}
            },
        }
    }
}

/// `s` without marker text and ASCII whitespace, as characters.
fn significant(s: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(s.len());
    let mut rest = s;
    'outer: while let Some(c) = rest.chars().next() {
        if c == '<' {
            for m in Marker::ALL {
                if let Some(after) = rest.strip_prefix(m.as_str()) {
                    rest = after;
                    continue 'outer;
                }
            }
        }
        if !c.is_ascii_whitespace() {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `s` without ASCII whitespace, marker text kept, as characters.
fn visible(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().filter(|c| !c.is_ascii_whitespace())
}

/// What the input asks of the output: the characters content must follow in order, and
/// the characters that must all be accounted for.
#[derive(Default)]
struct Want {
    order: Vec<char>,
    need: Vec<char>,
}

impl Want {
    /// One piece of input between recognised markers, decoded lossily on its own.
    ///
    /// Marker text inside a piece is text that merely spells a marker (token ids of
    /// ordinary text; the text parser cuts at every marker's text, so it never has any).
    /// The output side removes marker text wherever it appears, so such text is allowed to
    /// be missing: it is left out of `need`. It stays in `order`, because text spelling a
    /// marker can be cut between a header field and the content (a header that ends `}<`,
    /// content `|call|>`: a tokens fuzz finding), and then neither part is marker text.
    fn piece(&mut self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        self.order.extend(visible(&text));
        self.need.extend(significant(&text));
    }
}

/// The text input cut at every marker's text.
fn text_input(input: &[u8]) -> Want {
    let mut want = Want::default();
    let mut piece = 0;
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'<' {
            if let Some(m) = Marker::ALL
                .into_iter()
                .find(|m| input[i..].starts_with(m.as_str().as_bytes()))
            {
                want.piece(&input[piece..i]);
                i += m.as_str().len();
                piece = i;
                continue;
            }
        }
        i += 1;
    }
    want.piece(&input[piece..]);
    want
}

/// Token ids cut at every marker token, each run of other ids decoded to its bytes.
fn token_input(ids: &[u32]) -> Want {
    let mut want = Want::default();
    for run in ids.split(|&t| Marker::from_token(t).is_some()) {
        let bytes: Vec<u8> = run
            .iter()
            .flat_map(|&t| vocab::token_bytes(t).unwrap_or_default().iter().copied())
            .collect();
        want.piece(&bytes);
    }
    want
}

impl Lossless {
    /// A recorder with nothing seen.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the invariant against the bytes a text parser read. The error says what went
    /// missing.
    pub fn check(&self, input: &[u8]) -> Result<(), String> {
        self.check_against(&text_input(input))
    }

    /// Checks the invariant against the ids a token parser read (all in the vocabulary).
    pub fn check_tokens(&self, ids: &[u32]) -> Result<(), String> {
        self.check_against(&token_input(ids))
    }

    fn check_against(&self, want: &Want) -> Result<(), String> {
        let content: Vec<char> = self
            .messages
            .iter()
            .flat_map(|m| significant(&m.content))
            .collect();
        let mut it = want.order.iter();
        for (n, c) in content.iter().enumerate() {
            if !it.any(|w| w == c) {
                return Err(format!(
                    "content is not in input order: character {n} ({c:?}) of {:?}",
                    content.iter().collect::<String>()
                ));
            }
        }
        if self.suppressed {
            return Ok(());
        }
        let mut have: HashMap<char, usize> = HashMap::new();
        for m in &self.messages {
            for c in m
                .fields
                .iter()
                .flat_map(|f| significant(f))
                .chain(significant(&m.content))
            {
                *have.entry(c).or_default() += 1;
            }
        }
        for c in self.dropped.iter().flat_map(|d| significant(d)) {
            *have.entry(c).or_default() += 1;
        }
        let mut need: HashMap<char, usize> = HashMap::new();
        for &c in &want.need {
            *need.entry(c).or_default() += 1;
        }
        let mut lost: Vec<(char, usize)> = need
            .into_iter()
            .filter_map(|(c, n)| {
                let h = have.get(&c).copied().unwrap_or(0);
                (n > h).then(|| (c, n - h))
            })
            .collect();
        if lost.is_empty() {
            return Ok(());
        }
        lost.sort_unstable();
        Err(format!(
            "characters lost (char, count): {lost:?}; messages: {:?}",
            self.messages
        ))
    }
}
