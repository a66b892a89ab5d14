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
}

impl Default for ParserOptions {
    fn default() -> Self {
        ParserOptions {
            implicit_role: Some(Role::Assistant),
            max_header_len: 4096,
        }
    }
}

impl ParserOptions {
    /// The defaults: implicit assistant header, 4 KiB header bound.
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
}
