//! The token front end: o200k_harmony token ids, as a model samples them.

use crate::machine::Machine;
use crate::vocab::{ids, token_bytes, token_str};
use crate::{Header, Marker, ParserOptions, Sink};

/// Parses a stream of o200k_harmony token ids.
///
/// Markers are recognised by id; every other token's bytes are borrowed from the built-in
/// decode table, so deltas are `'static` slices whenever a token holds whole characters.
/// Nothing is re-encoded and no token history is kept.
///
/// ```
/// use harmony_stream::{Collector, TokenParser};
///
/// // <|channel|> "final" <|message|> "Hi" <|return|>
/// let tokens = [200005, 17196, 200008, 12194, 200002];
/// let mut parser = TokenParser::new();
/// let mut collector = Collector::new();
/// parser.feed(&tokens, &mut collector)?;
/// parser.finish(&mut collector);
/// assert_eq!(collector.finish().content().as_deref(), Some("Hi"));
/// # Ok::<(), harmony_stream::TokenError>(())
/// ```
#[derive(Clone, Debug)]
pub struct TokenParser {
    machine: Machine,
    index: u64,
}

/// A token id outside the o200k_harmony vocabulary: a caller error, not model output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenError {
    /// The offending id.
    pub id: u32,
    /// Its index in the stream (tokens before it were parsed).
    pub index: u64,
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "token id {} at index {} is outside the o200k_harmony vocabulary (valid ids are 0..{})",
            self.id,
            self.index,
            ids::VOCAB_SIZE
        )
    }
}

impl std::error::Error for TokenError {}

impl Default for TokenParser {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenParser {
    /// A parser with [`ParserOptions::default`].
    pub fn new() -> Self {
        Self::with_options(ParserOptions::default())
    }

    /// A parser with the given options.
    pub fn with_options(options: ParserOptions) -> Self {
        TokenParser {
            machine: Machine::new(options),
            index: 0,
        }
    }

    /// Parses one token.
    ///
    /// # Errors
    /// [`TokenError`] when `token` is not in the vocabulary; the parser is unchanged.
    #[inline]
    pub fn push<S: Sink + ?Sized>(&mut self, token: u32, sink: &mut S) -> Result<(), TokenError> {
        let at = self.index;
        if let Some(m) = Marker::from_token(token) {
            self.machine.marker(m, at, sink);
        } else if let Some(text) = token_str(token) {
            // Most tokens are whole characters: no validation, no carry.
            self.machine.text_str(text, at, sink);
        } else {
            let bytes = token_bytes(token).ok_or(TokenError {
                id: token,
                index: at,
            })?;
            self.machine.text_out_of_line(bytes, at, sink);
        }
        self.index += 1;
        Ok(())
    }

    /// Parses a run of tokens.
    ///
    /// # Errors
    /// [`TokenError`] at the first id outside the vocabulary; the tokens before it were
    /// parsed, the ones after it were not.
    pub fn feed<S: Sink + ?Sized>(
        &mut self,
        tokens: &[u32],
        sink: &mut S,
    ) -> Result<(), TokenError> {
        tokens.iter().try_for_each(|&t| self.push(t, sink))
    }

    /// Parses `tokens` and returns their events, owned (see
    /// [`TextParser::events`](crate::TextParser::events)).
    ///
    /// # Errors
    /// [`TokenError`] at the first id outside the vocabulary.
    pub fn events(
        &mut self,
        tokens: &[u32],
    ) -> Result<std::vec::IntoIter<crate::OwnedEvent>, TokenError> {
        let mut events = Vec::new();
        self.feed(tokens, &mut events)?;
        Ok(events.into_iter())
    }

    /// Ends the input (see [`TextParser::finish`](crate::TextParser::finish)).
    pub fn finish<S: Sink + ?Sized>(&mut self, sink: &mut S) {
        self.machine.finish(self.index, sink);
        self.index = 0;
    }

    /// The header of the message being streamed.
    pub fn current_header(&self) -> Option<&Header> {
        self.machine.current_header()
    }
}
