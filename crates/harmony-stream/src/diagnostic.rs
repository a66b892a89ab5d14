//! Reports of malformed model output that the parser tolerated.

/// Something in the model's output did not follow the harmony format and was tolerated.
///
/// `at` is a position in the input: a byte offset for the text parser, a token index for
/// the token parser. `detail` says what was seen (may be empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Diagnostic<'a> {
    /// What kind of malformation.
    pub kind: DiagnosticKind,
    /// Where it was noticed.
    pub at: u64,
    /// What was seen, for humans.
    pub detail: &'a str,
}

impl Diagnostic<'_> {
    /// An owned copy, to keep past the event.
    ///
    /// ```
    /// use harmony_stream::{Diagnostic, DiagnosticKind};
    /// let d = Diagnostic { kind: DiagnosticKind::MissingEnd, at: 7, detail: "" };
    /// assert_eq!(d.to_owned().kind, DiagnosticKind::MissingEnd);
    /// ```
    pub fn to_owned(&self) -> OwnedDiagnostic {
        OwnedDiagnostic {
            kind: self.kind,
            at: self.at,
            detail: self.detail.to_owned(),
        }
    }
}

/// A [`Diagnostic`] that owns its detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedDiagnostic {
    /// What kind of malformation.
    pub kind: DiagnosticKind,
    /// Where it was noticed (byte offset or token index).
    pub at: u64,
    /// What was seen.
    pub detail: String,
}

macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// The kinds of malformed output the parser tolerates (docs/design.md, tolerance policy).
        ///
        /// ```
        /// use harmony_stream::DiagnosticKind;
        /// assert_eq!(DiagnosticKind::MissingEnd.as_str(), "missing_end");
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum DiagnosticKind {
            $($(#[$doc])* $variant,)*
        }

        const ALL_KINDS: &[DiagnosticKind] = &[$(DiagnosticKind::$variant,)*];

        impl DiagnosticKind {
            /// The kind's snake_case name, as the CLI prints it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(DiagnosticKind::$variant => $name,)*
                }
            }
        }
    };
}

kinds! {
    /// The completion began without `<|start|>`; an assistant header was assumed.
    ImplicitStart => "implicit_start",
    /// The header had no role (`<|start|> to=functions.x`); assistant was assumed.
    MissingRole => "missing_role",
    /// `<|constrain|>` was followed by whitespace before the content type.
    ContentTypeSpacing => "content_type_spacing",
    /// Several `<|channel|>` in one header; the last one was kept.
    DuplicateChannel => "duplicate_channel",
    /// `<|channel|>` with no name after it.
    EmptyChannel => "empty_channel",
    /// A channel name with garbage after a known name; the known name was kept.
    GarbageChannel => "garbage_channel",
    /// A channel name that is not analysis, commentary or final.
    UnknownChannel => "unknown_channel",
    /// The same `to=` twice in one header; one was kept.
    DuplicateRecipient => "duplicate_recipient",
    /// Two different `to=` in one header; the first was kept.
    ConflictingRecipient => "conflicting_recipient",
    /// `to=assistant` inside an assistant header was dropped.
    SelfRecipient => "self_recipient",
    /// Header words that are neither role, channel, recipient nor content type.
    UnexpectedHeaderText => "unexpected_header_text",
    /// A stop token (or the end of input) inside a header; its text became content.
    UnterminatedHeader => "unterminated_header",
    /// A header longer than the configured bound was closed as content.
    HeaderTooLong => "header_too_long",
    /// `<|end|>`, `<|call|>` or `<|return|>` where no message was open; ignored.
    StrayStop => "stray_stop",
    /// `<|start|>` where a header had already started; ignored.
    RepeatedStart => "repeated_start",
    /// Non-whitespace text between messages; it became a channel-less message.
    TextBetweenMessages => "text_between_messages",
    /// `<|channel|>` or `<|message|>` between messages: a header was opened as if
    /// `<|start|>` had come.
    MissingStart => "missing_start",
    /// `<|start|>` inside a message's content: the message was closed first.
    MissingEnd => "missing_end",
    /// A header marker (`<|channel|>`, `<|message|>`, `<|constrain|>`) inside content; kept
    /// as text.
    MarkerInContent => "marker_in_content",
    /// Bytes that are not UTF-8; each bad sequence became U+FFFD.
    InvalidUtf8 => "invalid_utf8",
    /// The input ended inside a message.
    Truncated => "truncated",
    /// Channel-less text counted as reasoning because a final answer followed.
    ChannellessReasoning => "channelless_reasoning",
    /// A header closed without `<|message|>` began with a known channel name glued to
    /// more text (`finalHello`): the name is the channel, the rest content (rule 13).
    GluedChannel => "glued_channel",
    /// A header closed without `<|message|>` had its content type glued to the body
    /// (`<|constrain|>json{…}`, ` json {…}` after a recipient): the content type, then the
    /// body as content (rule 15).
    GluedContentType => "glued_content_type",
    /// Channel words at a message boundary in text whose special tokens a server
    /// stripped (`…assistantfinalThe answer`): split back into messages (rule 16, opt-in).
    StrippedSpecialTokens => "stripped_special_tokens",
    /// More diagnostics of one kind than [`ParserOptions::max_diagnostics_per_kind`]
    /// allows: the rest were counted, not sent; this one, at the end of the input, says how
    /// many (`detail`: `"<kind> <count>"`).
    ///
    /// [`ParserOptions::max_diagnostics_per_kind`]: crate::ParserOptions::max_diagnostics_per_kind
    DiagnosticsSuppressed => "diagnostics_suppressed",
}

/// Upper bound on the number of [`DiagnosticKind`]s, for the per-kind counters.
const KINDS: usize = 32;

/// Per-kind diagnostic counters: the first `limit` of each kind are sent, the rest counted
/// and reported once at the end of the input, so hostile output (a million `<|channel|>`)
/// cannot turn into a million events.
#[derive(Clone, Debug)]
pub(crate) struct DiagCap {
    limit: u32,
    counts: [u32; KINDS],
    over: bool,
}

impl DiagCap {
    pub(crate) fn new(limit: u32) -> Self {
        DiagCap {
            limit,
            counts: [0; KINDS],
            over: false,
        }
    }

    /// Sends the diagnostic unless its kind is over the limit (then it is only counted).
    #[inline]
    pub(crate) fn emit<S: crate::Sink + ?Sized>(
        &mut self,
        sink: &mut S,
        kind: DiagnosticKind,
        at: u64,
        detail: &str,
    ) {
        let n = &mut self.counts[kind as usize];
        *n = n.saturating_add(1);
        if *n <= self.limit {
            sink.event(crate::Event::Diagnostic(Diagnostic { kind, at, detail }));
        } else {
            self.over = true;
        }
    }

    /// At the end of the input: one `DiagnosticsSuppressed` per kind over the limit, then
    /// the counters start again.
    pub(crate) fn finish<S: crate::Sink + ?Sized>(&mut self, sink: &mut S, at: u64) {
        if std::mem::take(&mut self.over) {
            for &kind in ALL_KINDS {
                let n = self.counts[kind as usize];
                if n > self.limit {
                    let detail = format!("{} {}", kind.as_str(), n - self.limit);
                    sink.event(crate::Event::Diagnostic(Diagnostic {
                        kind: DiagnosticKind::DiagnosticsSuppressed,
                        at,
                        detail: &detail,
                    }));
                }
            }
        }
        self.counts = [0; KINDS];
    }
}

impl std::fmt::Display for DiagnosticKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_counter() {
        assert!(ALL_KINDS.len() <= KINDS);
        for (i, k) in ALL_KINDS.iter().enumerate() {
            assert_eq!(*k as usize, i);
        }
    }

    #[test]
    fn the_cap_counts_the_rest_in_one_diagnostic() {
        let mut cap = DiagCap::new(2);
        let mut seen = Vec::new();
        let mut sink = |e: crate::Event<'_>| {
            if let crate::Event::Diagnostic(d) = e {
                seen.push((d.kind, d.detail.to_owned()));
            }
        };
        for _ in 0..5 {
            cap.emit(&mut sink, DiagnosticKind::EmptyChannel, 0, "");
        }
        cap.emit(&mut sink, DiagnosticKind::MissingEnd, 0, "");
        cap.finish(&mut sink, 9);
        assert_eq!(
            seen,
            [
                (DiagnosticKind::EmptyChannel, String::new()),
                (DiagnosticKind::EmptyChannel, String::new()),
                (DiagnosticKind::MissingEnd, String::new()),
                (
                    DiagnosticKind::DiagnosticsSuppressed,
                    "empty_channel 3".to_owned()
                ),
            ]
        );
    }
}
