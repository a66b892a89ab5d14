//! A drop-in for `openai-harmony` 0.0.8's Rust API, built on this workspace's renderer
//! (`harmony-chat`) and parser (`harmony-stream`).
//!
//! Switching is a change of import: `openai_harmony::` becomes `harmony_kit::compat::`,
//! with the same module paths (`chat`, `encoding`, `tiktoken`), the same item names,
//! methods, field names and serde JSON forms. The reference's own test suite
//! (`src/tests.rs` with its `test-data/`) runs against this module with only its
//! `crate::` paths rewritten (see `tests/compat_reference.rs`).
//!
//! ```
//! use harmony_kit::compat::chat::{Conversation, Message, Role, SystemContent};
//! use harmony_kit::compat::{load_harmony_encoding, HarmonyEncodingName, StreamableParser};
//!
//! let encoding = load_harmony_encoding(HarmonyEncodingName::HarmonyGptOss)?;
//! let convo = Conversation::from_messages([
//!     Message::from_role_and_content(Role::System, SystemContent::new()),
//!     Message::from_role_and_content(Role::User, "What is 2 + 2?"),
//! ]);
//! let prompt = encoding.render_conversation_for_completion(&convo, Role::Assistant, None)?;
//! assert_eq!(prompt[prompt.len() - 2..], [200006, 173781]); // <|start|>assistant
//!
//! let completion = encoding
//!     .tokenizer()
//!     .encode_with_special_tokens("<|channel|>final<|message|>4<|return|>");
//! let mut parser = StreamableParser::new(encoding.clone(), Some(Role::Assistant))?;
//! let mut answer = String::new();
//! for token in completion {
//!     parser.process(token)?;
//!     if let Some(delta) = parser.last_content_delta()? {
//!         answer.push_str(&delta);
//!     }
//! }
//! assert_eq!(answer, "4");
//! assert_eq!(parser.messages()[0], Message::from_role_and_content(Role::Assistant, "4").with_channel("final"));
//! # Ok::<(), harmony_kit::compat::Error>(())
//! ```
//!
//! Where this differs from the reference, it is in the caller's favour:
//!
//! - Malformed model output never returns an error. It is read under the tolerance
//!   policy (docs/design.md, tolerance policy); [`StreamableParser::diagnostics`] lists what was
//!   repaired. `ParseOptions { strict: true }` (the reference's default) is accepted and
//!   changes nothing: the reference's strict mode is its error on a header that never
//!   reached `<|message|>`, which rule 5 reads instead.
//! - A token id outside the vocabulary is read as U+FFFD and parsing goes on with the
//!   next token (the reference also writes U+FFFD, but then holds every later token of
//!   that message undecoded and writes one U+FFFD for all of them at its end).
//! - Nothing is re-encoded while parsing; `state_json` reports the sampled content ids.
//! - Errors are one typed [`Error`], not `anyhow::Error` (it converts into one with `?`).

#![warn(missing_docs)]

pub mod chat;
pub mod encoding;
pub mod tiktoken;

pub use encoding::{HarmonyEncoding, ParseOptions, StreamableParser};

/// Why a compat call failed. Model output never produces one.
///
/// ```
/// use harmony_kit::compat::chat::{Conversation, Message, Role};
/// use harmony_kit::compat::{load_harmony_encoding, Error, HarmonyEncodingName};
///
/// let encoding = load_harmony_encoding(HarmonyEncodingName::HarmonyGptOss)?;
/// // A tool message needs the tool's name as its author.
/// let convo = Conversation::from_messages([Message::from_role_and_content(Role::Tool, "42")]);
/// let err = encoding.render_conversation(&convo, None).unwrap_err();
/// assert!(matches!(err, Error::Render(_)));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The conversation cannot be rendered (a tool message without a name, system or
    /// developer content in another role's message).
    #[error(transparent)]
    Render(#[from] harmony_chat::RenderError),
    /// A name [`HarmonyEncodingName`]'s `FromStr` does not know.
    #[error("Invalid HarmonyEncodingName: {0}")]
    UnknownEncoding(String),
    /// `state_json` could not serialise (not expected: every field is a plain value).
    #[error("could not serialise the parser state: {0}")]
    Json(String),
}

/// The encodings [`load_harmony_encoding`] knows.
///
/// ```
/// use harmony_kit::compat::HarmonyEncodingName;
///
/// let name: HarmonyEncodingName = "HarmonyGptOss".parse()?;
/// assert_eq!(name, HarmonyEncodingName::HarmonyGptOss);
/// assert_eq!(name.to_string(), "HarmonyGptOss");
/// assert!("gpt2".parse::<HarmonyEncodingName>().is_err());
/// # Ok::<(), harmony_kit::compat::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum HarmonyEncodingName {
    /// o200k_harmony with the harmony formatting tokens, as the gpt-oss models use it.
    HarmonyGptOss,
}

impl std::fmt::Display for HarmonyEncodingName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HarmonyEncodingName::HarmonyGptOss => "HarmonyGptOss",
        })
    }
}

impl std::fmt::Debug for HarmonyEncodingName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for HarmonyEncodingName {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "HarmonyGptOss" => Ok(HarmonyEncodingName::HarmonyGptOss),
            other => Err(Error::UnknownEncoding(other.to_owned())),
        }
    }
}

/// The encoding for `name`.
///
/// Unlike the reference, nothing is downloaded or read from disk (no
/// `TIKTOKEN_ENCODINGS_BASE`): the vocabulary is compiled in. This is cheap; the
/// encoder's tables are built on the first `encode` call.
///
/// # Errors
/// None today; the `Result` keeps the reference's signature.
///
/// ```
/// use harmony_kit::compat::{load_harmony_encoding, HarmonyEncodingName};
/// let encoding = load_harmony_encoding(HarmonyEncodingName::HarmonyGptOss)?;
/// assert_eq!(encoding.name(), "HarmonyGptOss");
/// assert_eq!(encoding.tokenizer_name(), "o200k_harmony");
/// # Ok::<(), harmony_kit::compat::Error>(())
/// ```
pub fn load_harmony_encoding(name: HarmonyEncodingName) -> Result<HarmonyEncoding, Error> {
    Ok(HarmonyEncoding::new(name))
}
