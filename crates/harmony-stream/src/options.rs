//! Parser configuration.

use crate::Role;

/// How a parser reads the start of its input, and its memory bound.
///
/// The default suits a completion: the prompt ended with `<|start|>assistant`, so input
/// that does not begin with `<|start|>` continues an assistant header (auto-detected: input
/// that does begin with `<|start|>` is read as whole messages).
///
/// ```
/// use harmony_stream::{ParserOptions, Role, TextParser};
///
/// // Parse a whole conversation, every message framed by <|start|>.
/// let parser = TextParser::with_options(ParserOptions::new().explicit_start());
/// // Parse a completion whose prompt ended with `<|start|>user`.
/// let parser = TextParser::with_options(ParserOptions::new().implicit_role(Role::User));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParserOptions {
    pub(crate) implicit_role: Option<Role>,
    pub(crate) max_header_len: usize,
    pub(crate) max_diagnostics_per_kind: u32,
    pub(crate) stripped_special_tokens: bool,
}

impl Default for ParserOptions {
    fn default() -> Self {
        ParserOptions {
            implicit_role: Some(Role::Assistant),
            max_header_len: 4096,
            max_diagnostics_per_kind: 64,
            stripped_special_tokens: false,
        }
    }
}

impl ParserOptions {
    /// The defaults: implicit assistant header, 4 KiB header bound, 64 diagnostics per
    /// kind, no splitting of text whose special tokens were stripped.
    pub fn new() -> Self {
        Self::default()
    }

    /// Input that does not start with `<|start|>` continues a header for `role`.
    pub fn implicit_role(mut self, role: Role) -> Self {
        self.implicit_role = Some(role);
        self
    }

    /// Every message is expected to begin with `<|start|>`; text before the first one is
    /// reported as text between messages.
    pub fn explicit_start(mut self) -> Self {
        self.implicit_role = None;
        self
    }

    /// Headers longer than `bytes` are closed as content (with a diagnostic), so a model
    /// that never writes `<|message|>` cannot grow the parser's memory without bound.
    /// At least 64.
    pub fn max_header_len(mut self, bytes: usize) -> Self {
        self.max_header_len = bytes.max(64);
        self
    }

    /// At most `n` diagnostics of each kind per input; the rest are counted and reported by
    /// one [`DiagnosticsSuppressed`](crate::DiagnosticKind::DiagnosticsSuppressed) when the
    /// input ends. Default 64; `u32::MAX` sends every one.
    ///
    /// ```
    /// use harmony_stream::{Collector, DiagnosticKind, ParserOptions, TextParser};
    ///
    /// let mut parser = TextParser::with_options(ParserOptions::new().max_diagnostics_per_kind(2));
    /// let mut collector = Collector::new();
    /// parser.feed("<|channel|>final<|message|>".repeat(1).as_bytes(), &mut collector);
    /// parser.feed("a<|message|>".repeat(10).as_bytes(), &mut collector);
    /// parser.finish(&mut collector);
    /// let c = collector.finish();
    /// let in_content = c.diagnostics.iter().filter(|d| d.kind == DiagnosticKind::MarkerInContent).count();
    /// assert_eq!(in_content, 2);
    /// let last = c.diagnostics.last().unwrap();
    /// assert_eq!((last.kind, last.detail.as_str()), (DiagnosticKind::DiagnosticsSuppressed, "marker_in_content 8"));
    /// ```
    pub fn max_diagnostics_per_kind(mut self, n: u32) -> Self {
        self.max_diagnostics_per_kind = n;
        self
    }

    /// Opt-in (rule 16): the text may come from a server that decoded with special tokens
    /// skipped, so `<|start|>`, `<|channel|>`, `<|message|>`, `<|end|>` are missing and only
    /// the words between them remain:
    /// `analysisThe user asks…assistantcommentary to=functions.f json{…}assistantfinalThe answer`.
    /// The parser then reads a channel name at the very start of the completion, and
    /// `assistant` glued to a channel name anywhere, as a message boundary (with a
    /// [`StrippedSpecialTokens`](crate::DiagnosticKind::StrippedSpecialTokens) diagnostic);
    /// the header ends at the first word that is not metadata (rules 13-15).
    ///
    /// Limits, because the text itself cannot say: content that happens to contain
    /// `assistantfinal` (or `assistantanalysis`, `assistantcommentary`) is split there; a
    /// message whose first content word is glued to its channel name is split after the
    /// name (`finalizing` reads as `final` + `izing`); a content type glued to its
    /// recipient (`to=functions.fjson`) stays part of the name (the tool extractor repairs
    /// it when the tools are declared); the stop token is unknown, so a message ends with
    /// [`Stop::End`](crate::Stop::End) at a boundary and [`Stop::Eof`](crate::Stop::Eof) at the
    /// end of input. Text that does contain markers is read as usual.
    ///
    /// ```
    /// use harmony_stream::{Collector, ParserOptions, TextParser};
    ///
    /// let mut parser = TextParser::with_options(ParserOptions::new().stripped_special_tokens(true));
    /// let mut collector = Collector::new();
    /// parser.feed(b"analysisThe user greets.assistantfinalHello!", &mut collector);
    /// parser.finish(&mut collector);
    /// let c = collector.finish();
    /// assert_eq!(c.reasoning().as_deref(), Some("The user greets."));
    /// assert_eq!(c.content().as_deref(), Some("Hello!"));
    /// ```
    pub fn stripped_special_tokens(mut self, on: bool) -> Self {
        self.stripped_special_tokens = on;
        self
    }
}
