//! A drop-in for `openai_harmony::StreamableParser`, built on the event machine.
//!
//! Same constructor, same method names, same meanings, so switching is a change of import:
//!
//! ```
//! use harmony_stream::compat::{load_harmony_encoding, HarmonyEncodingName, StreamableParser};
//! use harmony_stream::Role;
//!
//! let encoding = load_harmony_encoding(HarmonyEncodingName::HarmonyGptOss)?;
//! let mut parser = StreamableParser::new(encoding, Some(Role::Assistant))?;
//! let mut answer = String::new();
//! // <|channel|> final <|message|> Hi <|return|>
//! for token in [200005, 17196, 200008, 12194, 200002] {
//!     parser.process(token)?;
//!     if let Some(delta) = parser.last_content_delta()? {
//!         answer.push_str(&delta);
//!     }
//! }
//! parser.process_eos()?;
//! assert_eq!(answer, "Hi");
//! assert_eq!(parser.messages()[0].channel.as_deref(), Some("final"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Differences, all in the caller's favour: malformed model output never returns an error
//! (it is read under the tolerance policy; [`StreamableParser::diagnostics`] says what was
//! repaired), and nothing is re-encoded. The only error is a token id outside the
//! vocabulary.

use crate::{
    Collector, Event, Message, OwnedDiagnostic, ParserOptions, Role, Sink, Stop, TokenError,
    TokenParser,
};

/// The encoding handle `StreamableParser::new` takes. The vocabulary is compiled into this
/// crate, so there is nothing to load and this is free to create.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HarmonyEncoding;

/// The encodings [`load_harmony_encoding`] knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HarmonyEncodingName {
    /// o200k_harmony, as gpt-oss uses it.
    HarmonyGptOss,
}

/// Returns the encoding handle. Never fails (the `Result` keeps callers' `?` working).
pub fn load_harmony_encoding(name: HarmonyEncodingName) -> Result<HarmonyEncoding, TokenError> {
    let HarmonyEncodingName::HarmonyGptOss = name;
    Ok(HarmonyEncoding)
}

/// Incremental parser with `openai_harmony::StreamableParser`'s interface.
#[derive(Clone, Debug)]
pub struct StreamableParser {
    parser: TokenParser,
    state: State,
    tokens: Vec<u32>,
}

#[derive(Clone, Debug, Default)]
struct State {
    collector: Collector,
    open: bool,
    next_role: Option<Role>,
    last_delta: Option<String>,
    eos: bool,
}

impl Sink for State {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::MessageStart(_) => {
                self.open = true;
                self.next_role = None;
            }
            Event::Delta(d) => self.last_delta.get_or_insert_with(String::new).push_str(d),
            Event::MessageEnd(_) => self.open = false,
            Event::Diagnostic(_) => {}
        }
        self.collector.event(event);
    }
}

impl StreamableParser {
    /// A parser; `role` is the role the prompt already opened (`<|start|>assistant`), or
    /// `None` when every message starts with `<|start|>`.
    ///
    /// # Errors
    /// Never; the `Result` matches the reference's signature.
    pub fn new(encoding: HarmonyEncoding, role: Option<Role>) -> Result<Self, TokenError> {
        let HarmonyEncoding = encoding;
        let options = match role {
            Some(r) => ParserOptions::new().implicit_role(r),
            None => ParserOptions::new().explicit_start(),
        };
        Ok(StreamableParser {
            parser: TokenParser::with_options(options),
            state: State {
                next_role: role,
                ..State::default()
            },
            tokens: Vec::new(),
        })
    }

    /// Consumes one token.
    ///
    /// # Errors
    /// [`TokenError`] for an id outside the vocabulary, and nothing else.
    pub fn process(&mut self, token: u32) -> Result<&mut Self, TokenError> {
        self.state.last_delta = None;
        self.parser.push(token, &mut self.state)?;
        self.tokens.push(token);
        Ok(self)
    }

    /// Ends the stream: an open message is completed.
    ///
    /// # Errors
    /// Never; the `Result` matches the reference's signature.
    pub fn process_eos(&mut self) -> Result<&mut Self, TokenError> {
        self.state.last_delta = None;
        if !self.state.eos {
            self.parser.finish(&mut self.state);
            self.state.eos = true;
        }
        Ok(self)
    }

    /// The text the last processed token added to the current message, if any.
    ///
    /// # Errors
    /// Never; the `Result` matches the reference's signature.
    pub fn last_content_delta(&self) -> Result<Option<String>, TokenError> {
        Ok(self.state.last_delta.clone())
    }

    /// The content of the message being parsed so far (empty between messages).
    ///
    /// # Errors
    /// Never; the `Result` matches the reference's signature.
    pub fn current_content(&self) -> Result<String, TokenError> {
        Ok(self
            .open_message()
            .map(|m| m.content.clone())
            .unwrap_or_default())
    }

    /// Role of the message being parsed, or the role the prompt opened.
    pub fn current_role(&self) -> Option<Role> {
        self.open_message().map(|m| m.role).or(self.state.next_role)
    }

    /// Channel of the message being parsed.
    pub fn current_channel(&self) -> Option<String> {
        self.open_message().and_then(|m| m.channel.clone())
    }

    /// Recipient of the message being parsed.
    pub fn current_recipient(&self) -> Option<String> {
        self.open_message().and_then(|m| m.recipient.clone())
    }

    /// Content type of the message being parsed.
    pub fn current_content_type(&self) -> Option<String> {
        self.open_message().and_then(|m| m.content_type.clone())
    }

    /// Every completed message.
    pub fn messages(&self) -> &[Message] {
        let all = self.state.collector.messages();
        &all[..all.len() - usize::from(self.state.open)]
    }

    /// Consumes the parser, returning every completed message.
    pub fn into_messages(self) -> Vec<Message> {
        let open = self.state.open;
        let mut all = self.state.collector.finish().messages;
        if open {
            all.pop();
        }
        all
    }

    /// Every token processed.
    pub fn tokens(&self) -> &[u32] {
        &self.tokens
    }

    /// What the parser tolerated so far (the reference would have returned errors).
    pub fn diagnostics(&self) -> Vec<OwnedDiagnostic> {
        self.state.collector.clone().finish().diagnostics
    }

    fn open_message(&self) -> Option<&Message> {
        self.state
            .open
            .then(|| self.state.collector.messages().last())
            .flatten()
            .filter(|m| m.stop == Stop::Eof)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_fields_track_the_open_message() {
        let mut p = StreamableParser::new(HarmonyEncoding, Some(Role::Assistant)).unwrap();
        assert_eq!(p.current_role(), Some(Role::Assistant));
        for t in [200005, 17196, 200008] {
            p.process(t).unwrap();
        }
        assert_eq!(p.current_channel().as_deref(), Some("final"));
        p.process(12194).unwrap();
        assert_eq!(p.last_content_delta().unwrap().as_deref(), Some("Hi"));
        assert_eq!(p.current_content().unwrap(), "Hi");
        assert!(p.messages().is_empty());
        p.process(200002).unwrap();
        assert_eq!(p.last_content_delta().unwrap(), None);
        assert_eq!(p.current_channel(), None);
        assert_eq!(p.messages().len(), 1);
        assert_eq!(p.tokens().len(), 5);
        assert_eq!(p.process(999_999).err().map(|e| e.id), Some(999_999));
    }
}
