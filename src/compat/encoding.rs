//! `HarmonyEncoding` (rendering, stop tokens, parsing) and `StreamableParser`, with the
//! reference's method names, argument types and meanings.
//!
//! ```
//! use harmony_kit::compat::chat::{Message, Role};
//! use harmony_kit::compat::encoding::RenderConversationConfig;
//! use harmony_kit::compat::{load_harmony_encoding, HarmonyEncodingName};
//!
//! let encoding = load_harmony_encoding(HarmonyEncodingName::HarmonyGptOss)?;
//! let msgs = [
//!     Message::from_role_and_content(Role::User, "2+2?"),
//!     Message::from_role_and_content(Role::Assistant, "Easy.").with_channel("analysis"),
//!     Message::from_role_and_content(Role::Assistant, "4").with_channel("final"),
//! ];
//! let drop = RenderConversationConfig { auto_drop_analysis: true };
//! let kept = encoding.render_conversation(&msgs, None)?;
//! let dropped = encoding.render_conversation(&msgs, Some(&drop))?;
//! assert!(dropped.len() < kept.len());
//! # Ok::<(), harmony_kit::compat::Error>(())
//! ```

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use harmony_chat as hc;
use harmony_stream::{Event, OwnedDiagnostic, ParserOptions, Sink, TokenParser};

use super::chat::{Author, Content, Message, Role, TextContent};
use super::tiktoken::{CoreBPE, Rank, RESERVED_201088};
use super::{Error, HarmonyEncodingName};

pub use hc::RenderOptions;

/// Context window of the gpt-oss encoding (2^20), as the reference states it.
const N_CTX: usize = 1_048_576;
/// Longest tool call the reference budgets for (2^19).
const MAX_ACTION_LENGTH: usize = 524_288;

/// Conversation-level rendering choices.
///
/// `Default` drops earlier analysis (as the reference's default does); passing `None`
/// where a config is optional drops nothing (as the reference's `None` does).
///
/// ```
/// use harmony_kit::compat::encoding::RenderConversationConfig;
/// assert!(RenderConversationConfig::default().auto_drop_analysis);
/// ```
#[derive(Clone, Debug)]
pub struct RenderConversationConfig {
    /// Drop `analysis` messages before the first `final` one when the last assistant
    /// message is `final`.
    pub auto_drop_analysis: bool,
}

impl Default for RenderConversationConfig {
    fn default() -> Self {
        RenderConversationConfig {
            auto_drop_analysis: true,
        }
    }
}

/// Options of [`StreamableParser::new_with_options`].
///
/// ```
/// use harmony_kit::compat::ParseOptions;
/// assert!(ParseOptions::default().strict);
/// let lenient = ParseOptions { strict: false };
/// assert!(!lenient.strict);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ParseOptions {
    /// The reference's strict mode (its default): error on a header closed without
    /// `<|message|>`. Here model output is always read under the tolerance policy, so
    /// both values parse the same way; the field exists so callers compile.
    pub strict: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions { strict: true }
    }
}

/// The gpt-oss encoding: renders conversations to token ids and parses completions.
///
/// Cheap to clone. `tokenizer` is a public field (as it is inside the reference crate,
/// whose tests read it) as well as a method.
///
/// ```
/// use harmony_kit::compat::{load_harmony_encoding, HarmonyEncodingName};
///
/// let encoding = load_harmony_encoding(HarmonyEncodingName::HarmonyGptOss)?;
/// assert_eq!(encoding.stop_tokens()?, [200002, 200007, 200012].into());
/// assert_eq!(encoding.stop_tokens_for_assistant_actions()?, [200002, 200012].into());
/// assert_eq!(encoding.max_message_tokens(), 524_288);
/// assert_eq!(encoding.to_string(), "Renderer(HarmonyGptOss)");
/// # Ok::<(), harmony_kit::compat::Error>(())
/// ```
#[derive(Clone)]
pub struct HarmonyEncoding {
    name: HarmonyEncodingName,
    /// The tokenizer (also [`HarmonyEncoding::tokenizer`]).
    pub tokenizer: Arc<CoreBPE>,
}

impl fmt::Debug for HarmonyEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HarmonyEncoding")
            .field("name", &self.name())
            .field("tokenizer_name", &self.tokenizer_name())
            .field("n_ctx", &N_CTX)
            .field("max_message_tokens", &self.max_message_tokens())
            .field("max_action_length", &MAX_ACTION_LENGTH)
            .finish()
    }
}

impl fmt::Display for HarmonyEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Renderer({})", self.name)
    }
}

fn renderer(config: Option<&RenderConversationConfig>) -> hc::Renderer {
    // The reference drops analysis only when a config asks for it; `None` keeps all.
    hc::Renderer::with_config(hc::RenderConfig {
        auto_drop_analysis: config.is_some_and(|c| c.auto_drop_analysis),
    })
}

fn to_chat<'a, I: IntoIterator<Item = &'a Message>>(conversation: I) -> Vec<hc::Message> {
    // One copy of the conversation per call: the renderer takes harmony-chat's model,
    // whose text content is shaped differently from the reference's.
    conversation.into_iter().map(Message::to_chat).collect()
}

impl HarmonyEncoding {
    pub(crate) fn new(name: HarmonyEncodingName) -> Self {
        HarmonyEncoding {
            name,
            tokenizer: Arc::new(CoreBPE::o200k_harmony()),
        }
    }

    /// The encoding's name (`HarmonyGptOss`).
    ///
    /// ```
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// assert_eq!(e.name(), "HarmonyGptOss");
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        match self.name {
            HarmonyEncodingName::HarmonyGptOss => "HarmonyGptOss",
        }
    }

    /// The tokenizer's name (`o200k_harmony`).
    ///
    /// ```
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// assert_eq!(e.tokenizer_name(), "o200k_harmony");
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn tokenizer_name(&self) -> &str {
        "o200k_harmony"
    }

    /// The longest message the encoding budgets for, in tokens.
    ///
    /// ```
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// assert_eq!(e.max_message_tokens(), 1 << 19);
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn max_message_tokens(&self) -> usize {
        N_CTX - MAX_ACTION_LENGTH
    }

    /// The tokenizer.
    ///
    /// ```
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// assert_eq!(e.tokenizer().encode_with_special_tokens("<|call|>"), [200012]);
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn tokenizer(&self) -> &CoreBPE {
        &self.tokenizer
    }

    /// Every token that ends a message: `<|return|>`, `<|end|>`, `<|call|>`.
    ///
    /// # Errors
    /// None; the `Result` keeps the reference's signature.
    ///
    /// ```
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// assert!(e.stop_tokens()?.contains(&200007));
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn stop_tokens(&self) -> Result<HashSet<Rank>, Error> {
        Ok(hc::Renderer::stop_tokens().into_iter().collect())
    }

    /// The tokens that end the assistant's turn (stop sampling): `<|return|>`, `<|call|>`.
    ///
    /// # Errors
    /// None; the `Result` keeps the reference's signature.
    ///
    /// ```
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// assert!(!e.stop_tokens_for_assistant_actions()?.contains(&200007));
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn stop_tokens_for_assistant_actions(&self) -> Result<HashSet<Rank>, Error> {
        Ok([hc::SpecialToken::Return.id(), hc::SpecialToken::Call.id()]
            .into_iter()
            .collect())
    }

    /// Renders a conversation, appending to `into`.
    ///
    /// # Errors
    /// [`Error::Render`] for a message that cannot be rendered (nothing is appended).
    ///
    /// ```
    /// use harmony_kit::compat::chat::{Message, Role};
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let mut out = vec![1, 2];
    /// e.render_conversation_into(&[Message::from_role_and_content(Role::User, "hi")], &mut out, None)?;
    /// assert_eq!(out[2], 200006);
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn render_conversation_into<'a, I, B>(
        &self,
        conversation: I,
        into: &mut B,
        config: Option<&RenderConversationConfig>,
    ) -> Result<(), Error>
    where
        I: IntoIterator<Item = &'a Message>,
        B: Extend<Rank>,
    {
        into.extend(self.render_conversation(conversation, config)?);
        Ok(())
    }

    /// Renders a conversation and the next turn's `<|start|>role`, appending to `into`.
    ///
    /// # Errors
    /// [`Error::Render`] for a message that cannot be rendered (nothing is appended).
    ///
    /// ```
    /// use harmony_kit::compat::chat::{Message, Role};
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let mut out = Vec::new();
    /// let msgs = [Message::from_role_and_content(Role::User, "hi")];
    /// e.render_conversation_for_completion_into(&msgs, Role::Assistant, &mut out, None)?;
    /// assert_eq!(out[out.len() - 2..], [200006, 173781]);
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn render_conversation_for_completion_into<'a, I, B>(
        &self,
        conversation: I,
        next_turn_role: Role,
        into: &mut B,
        config: Option<&RenderConversationConfig>,
    ) -> Result<(), Error>
    where
        I: IntoIterator<Item = &'a Message>,
        B: Extend<Rank>,
    {
        into.extend(self.render_conversation_for_completion(
            conversation,
            next_turn_role,
            config,
        )?);
        Ok(())
    }

    /// The prompt to sample the next message from: the conversation, then
    /// `<|start|>` and `next_turn_role`.
    ///
    /// # Errors
    /// [`Error::Render`] for a message that cannot be rendered.
    ///
    /// ```
    /// use harmony_kit::compat::chat::{Conversation, Message, Role};
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let convo = Conversation::from_messages([Message::from_role_and_content(Role::User, "hi")]);
    /// let ids = e.render_conversation_for_completion(&convo, Role::Assistant, None)?;
    /// assert_eq!(e.tokenizer().decode_utf8(&ids).unwrap(), "<|start|>user<|message|>hi<|end|><|start|>assistant");
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn render_conversation_for_completion<'a, I>(
        &self,
        conversation: I,
        next_turn_role: Role,
        config: Option<&RenderConversationConfig>,
    ) -> Result<Vec<Rank>, Error>
    where
        I: IntoIterator<Item = &'a Message>,
    {
        let messages = to_chat(conversation);
        Ok(
            renderer(config)
                .render_conversation_for_completion(&messages, next_turn_role.into())?,
        )
    }

    /// The conversation for training: a last `final` assistant message ends with
    /// `<|return|>` instead of `<|end|>`.
    ///
    /// # Errors
    /// [`Error::Render`] for a message that cannot be rendered.
    ///
    /// ```
    /// use harmony_kit::compat::chat::{Message, Role};
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let msgs = [Message::from_role_and_content(Role::Assistant, "4").with_channel("final")];
    /// assert_eq!(e.render_conversation_for_training(&msgs, None)?.last(), Some(&200002));
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn render_conversation_for_training<'a, I>(
        &self,
        conversation: I,
        config: Option<&RenderConversationConfig>,
    ) -> Result<Vec<Rank>, Error>
    where
        I: IntoIterator<Item = &'a Message>,
    {
        let messages = to_chat(conversation);
        Ok(renderer(config).render_conversation_for_training(&messages)?)
    }

    /// The conversation, without a next turn.
    ///
    /// # Errors
    /// [`Error::Render`] for a message that cannot be rendered.
    ///
    /// ```
    /// use harmony_kit::compat::chat::{Message, Role};
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let msgs = [Message::from_role_and_content(Role::User, "hi")];
    /// assert_eq!(e.render_conversation(&msgs, None)?.last(), Some(&200007));
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn render_conversation<'a, I>(
        &self,
        conversation: I,
        config: Option<&RenderConversationConfig>,
    ) -> Result<Vec<Rank>, Error>
    where
        I: IntoIterator<Item = &'a Message>,
    {
        let messages = to_chat(conversation);
        Ok(renderer(config).render_conversation(&messages)?)
    }

    /// One message on its own.
    ///
    /// # Errors
    /// [`Error::Render`] when the message cannot be rendered.
    ///
    /// ```
    /// use harmony_kit::compat::chat::{Message, Role};
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let ids = e.render(&Message::from_role_and_content(Role::User, "hi"), None)?;
    /// assert_eq!(ids.first(), Some(&200006));
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn render(
        &self,
        message: &Message,
        render_options: Option<&RenderOptions>,
    ) -> Result<Vec<Rank>, Error> {
        let options = render_options.copied().unwrap_or_default();
        Ok(renderer(None).render(&message.to_chat(), options)?)
    }

    /// One message, appended to `into`.
    ///
    /// # Errors
    /// [`Error::Render`] when the message cannot be rendered (nothing is appended).
    ///
    /// ```
    /// use harmony_kit::compat::chat::{Message, Role};
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let mut out = Vec::new();
    /// e.render_into(&Message::from_role_and_content(Role::User, "hi"), &mut out, None)?;
    /// assert_eq!(out.last(), Some(&200007));
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn render_into<B: Extend<Rank>>(
        &self,
        message: &Message,
        into: &mut B,
        render_options: Option<&RenderOptions>,
    ) -> Result<(), Error> {
        into.extend(self.render(message, render_options)?);
        Ok(())
    }

    /// Parses a completion's token ids into messages (see [`StreamableParser`]).
    /// `options` is accepted for the reference's signature; see [`ParseOptions`].
    ///
    /// # Errors
    /// None for any token ids; the `Result` keeps the reference's signature.
    ///
    /// ```
    /// use harmony_kit::compat::chat::{Message, Role};
    /// use harmony_kit::compat::ParseOptions;
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let ids = e.tokenizer().encode_with_special_tokens("<|channel|>commentary Hello<|end|>");
    /// let msgs = e.parse_messages_from_completion_tokens_with_options(ids, Some(Role::Assistant), ParseOptions { strict: true })?;
    /// assert_eq!(msgs, [Message::from_role_and_content(Role::Assistant, "Hello").with_channel("commentary")]);
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn parse_messages_from_completion_tokens_with_options<I>(
        &self,
        tokens: I,
        role: Option<Role>,
        options: ParseOptions,
    ) -> Result<Vec<Message>, Error>
    where
        I: IntoIterator<Item = Rank>,
    {
        let mut parser = StreamableParser::new_with_options(self.clone(), role, options)?;
        for token in tokens {
            parser.process(token)?;
        }
        parser.process_eos()?;
        Ok(parser.into_messages())
    }

    /// [`parse_messages_from_completion_tokens_with_options`](Self::parse_messages_from_completion_tokens_with_options)
    /// with the default options.
    ///
    /// # Errors
    /// None for any token ids; the `Result` keeps the reference's signature.
    ///
    /// ```
    /// use harmony_kit::compat::chat::Role;
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let msgs = e.parse_messages_from_completion_tokens([200005, 17196, 200008, 12194, 200002], Some(Role::Assistant))?;
    /// assert_eq!(msgs[0].channel.as_deref(), Some("final"));
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn parse_messages_from_completion_tokens<I>(
        &self,
        tokens: I,
        role: Option<Role>,
    ) -> Result<Vec<Message>, Error>
    where
        I: IntoIterator<Item = Rank>,
    {
        self.parse_messages_from_completion_tokens_with_options(
            tokens,
            role,
            ParseOptions::default(),
        )
    }
}

/// The token whose bytes are U+FFFD, fed to the core in place of an id outside the
/// vocabulary (the core itself reports such ids as a `TokenError`).
const REPLACEMENT_TOKEN: Rank = 3251;
/// Ordinary tokens spelling `<|reserved_201088|>`: the reference's vocabulary has this
/// special token, the core's does not; as content it reads as its text.
const RESERVED_201088_SPELLING: [Rank; 8] = [27, 91, 116758, 62, 667, 43163, 91, 29];

/// Builds reference-shaped messages from the core's events.
#[derive(Clone, Debug, Default)]
struct Builder {
    messages: Vec<Message>,
    /// The message whose content is streaming (the reference's `Content` state).
    open: Option<Message>,
    /// The role the prompt opened, until the first header is parsed.
    next_role: Option<Role>,
    /// Text the current `process` call added; a reused buffer.
    delta: String,
    has_delta: bool,
    diagnostics: Vec<OwnedDiagnostic>,
    /// Index in `tokens` where the current message's header / content began.
    header_start: Option<usize>,
    content_start: usize,
    /// End of the content ids whose text has been delivered (a token holding part of a
    /// character is not counted until the character completes, as in the reference).
    content_end: usize,
    /// Tokens seen so far (the index of the token being processed).
    seen: usize,
}

impl Sink for Builder {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::MessageStart(h) => {
                let author = Author {
                    role: h.role().into(),
                    name: h.name().map(str::to_owned),
                };
                self.open = Some(Message {
                    author,
                    recipient: h.recipient().map(str::to_owned),
                    content: vec![Content::Text(TextContent {
                        text: String::new(),
                    })],
                    channel: h.channel().map(str::to_owned),
                    content_type: h.content_type().map(str::to_owned),
                });
                self.next_role = None;
                self.header_start = None;
                self.content_start = self.seen + 1;
                self.content_end = self.seen + 1;
            }
            Event::Delta(d) => {
                if let Some(Content::Text(t)) =
                    self.open.as_mut().and_then(|m| m.content.first_mut())
                {
                    t.text.push_str(d);
                }
                self.delta.push_str(d);
                self.has_delta = true;
                self.content_end = self.seen + 1;
            }
            Event::MessageEnd(_) => {
                self.messages.extend(self.open.take());
                // The reference clears the delta when a message ends.
                self.delta.clear();
                self.has_delta = false;
                self.header_start = None;
            }
            Event::Diagnostic(d) => self.diagnostics.push(d.to_owned()),
        }
    }
}

/// Incremental parser with `openai_harmony::StreamableParser`'s interface, on the
/// tolerant event machine of `harmony-stream`.
///
/// ```
/// use harmony_kit::compat::chat::Role;
/// use harmony_kit::compat::{load_harmony_encoding, HarmonyEncodingName, StreamableParser};
///
/// let encoding = load_harmony_encoding(HarmonyEncodingName::HarmonyGptOss)?;
/// let mut parser = StreamableParser::new(encoding, Some(Role::Assistant))?;
/// // <|channel|> final <|message|> Hi <|return|>
/// for token in [200005, 17196, 200008] {
///     parser.process(token)?;
/// }
/// assert_eq!(parser.current_channel().as_deref(), Some("final"));
/// parser.process(12194)?;
/// assert_eq!(parser.last_content_delta()?.as_deref(), Some("Hi"));
/// assert_eq!(parser.current_content()?, "Hi");
/// parser.process(200002)?;
/// assert_eq!(parser.messages().len(), 1);
/// // An id outside the vocabulary reads as U+FFFD; parsing goes on.
/// parser.process(u32::MAX)?;
/// # Ok::<(), harmony_kit::compat::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct StreamableParser {
    encoding: HarmonyEncoding,
    parser: TokenParser,
    builder: Builder,
    tokens: Vec<Rank>,
    options: ParseOptions,
}

impl StreamableParser {
    /// A parser; `role` is the role the prompt already opened (`<|start|>assistant`), or
    /// `None` when every message starts with `<|start|>`.
    ///
    /// # Errors
    /// None; the `Result` keeps the reference's signature.
    ///
    /// ```
    /// use harmony_kit::compat::chat::Role;
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let p = harmony_kit::compat::StreamableParser::new(e, Some(Role::Assistant))?;
    /// assert_eq!(p.current_role(), Some(Role::Assistant));
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn new(encoding: HarmonyEncoding, role: Option<Role>) -> Result<Self, Error> {
        Self::new_with_options(encoding, role, ParseOptions::default())
    }

    /// A parser with options (see [`ParseOptions`]: both modes parse alike).
    ///
    /// # Errors
    /// None; the `Result` keeps the reference's signature.
    ///
    /// ```
    /// use harmony_kit::compat::{ParseOptions, StreamableParser};
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let p = StreamableParser::new_with_options(e, None, ParseOptions { strict: false })?;
    /// assert_eq!(p.current_role(), None);
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn new_with_options(
        encoding: HarmonyEncoding,
        role: Option<Role>,
        options: ParseOptions,
    ) -> Result<Self, Error> {
        let parser_options = match role {
            Some(r) => ParserOptions::new().implicit_role(r.into()),
            None => ParserOptions::new().explicit_start(),
        };
        Ok(StreamableParser {
            encoding,
            parser: TokenParser::with_options(parser_options),
            builder: Builder {
                next_role: role,
                header_start: role.map(|_| 0),
                ..Builder::default()
            },
            tokens: Vec::new(),
            options,
        })
    }

    /// Consumes one token.
    ///
    /// # Errors
    /// None, for any id; the `Result` keeps the reference's signature.
    ///
    /// ```
    /// use harmony_kit::compat::chat::Role;
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let mut p = harmony_kit::compat::StreamableParser::new(e, Some(Role::Assistant))?;
    /// p.process(200008)?.process(12194)?; // <|message|> Hi
    /// assert_eq!(p.current_content()?, "Hi");
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn process(&mut self, token: Rank) -> Result<&mut Self, Error> {
        let b = &mut self.builder;
        b.delta.clear();
        b.has_delta = false;
        b.seen = self.tokens.len();
        if self.parser.push(token, b).is_err() {
            // Outside the core's vocabulary: the reference's last reserved id reads as
            // its text, anything else as U+FFFD, and the next token parses normally.
            let spelling: &[Rank] = if token == RESERVED_201088 {
                &RESERVED_201088_SPELLING
            } else {
                &[REPLACEMENT_TOKEN]
            };
            for &t in spelling {
                // These ids are in the vocabulary (checked by the tests), so this never fails.
                let _ = self.parser.push(t, b);
            }
        }
        if token == harmony_stream::vocab::ids::START && b.open.is_none() {
            // For `state_json`: a header begins after `<|start|>` (also one that closed
            // a message missing its `<|end|>`).
            b.header_start = Some(b.seen + 1);
        }
        self.tokens.push(token);
        Ok(self)
    }

    /// Ends the stream: an open message is completed and kept.
    ///
    /// # Errors
    /// None; the `Result` keeps the reference's signature.
    ///
    /// ```
    /// use harmony_kit::compat::chat::Role;
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let mut p = harmony_kit::compat::StreamableParser::new(e, Some(Role::Assistant))?;
    /// p.process(200008)?.process(12194)?.process_eos()?;
    /// assert_eq!(p.messages().len(), 1);
    /// assert_eq!(p.last_content_delta()?, None);
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn process_eos(&mut self) -> Result<&mut Self, Error> {
        let b = &mut self.builder;
        b.delta.clear();
        b.has_delta = false;
        b.seen = self.tokens.len();
        self.parser.finish(b);
        // Whatever the end flushed (a partial character) belongs to the message, not to
        // a delta: the reference reports no delta at the end.
        b.delta.clear();
        b.has_delta = false;
        b.header_start = None;
        Ok(self)
    }

    /// The content of the message being parsed so far (empty between messages).
    ///
    /// # Errors
    /// None; the `Result` keeps the reference's signature.
    ///
    /// ```
    /// use harmony_kit::compat::chat::Role;
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let p = harmony_kit::compat::StreamableParser::new(e, Some(Role::Assistant))?;
    /// assert_eq!(p.current_content()?, "");
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn current_content(&self) -> Result<String, Error> {
        Ok(self.open().map(text_of).unwrap_or_default())
    }

    /// Role of the message being parsed, or, before the first header, the role the
    /// prompt opened.
    ///
    /// ```
    /// use harmony_kit::compat::chat::Role;
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let p = harmony_kit::compat::StreamableParser::new(e, Some(Role::User))?;
    /// assert_eq!(p.current_role(), Some(Role::User));
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn current_role(&self) -> Option<Role> {
        self.open()
            .map(|m| m.author.role)
            .or(self.builder.next_role)
    }

    /// Channel of the message being parsed.
    ///
    /// ```
    /// use harmony_kit::compat::chat::Role;
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let mut p = harmony_kit::compat::StreamableParser::new(e, Some(Role::Assistant))?;
    /// p.process(200005)?.process(17196)?.process(200008)?; // <|channel|>final<|message|>
    /// assert_eq!(p.current_channel().as_deref(), Some("final"));
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn current_channel(&self) -> Option<String> {
        self.open().and_then(|m| m.channel.clone())
    }

    /// Recipient of the message being parsed.
    ///
    /// ```
    /// use harmony_kit::compat::chat::Role;
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let mut p = harmony_kit::compat::StreamableParser::new(e.clone(), Some(Role::Assistant))?;
    /// for t in e.tokenizer().encode_with_special_tokens("<|channel|>commentary to=functions.f<|message|>") {
    ///     p.process(t)?;
    /// }
    /// assert_eq!(p.current_recipient().as_deref(), Some("functions.f"));
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn current_recipient(&self) -> Option<String> {
        self.open().and_then(|m| m.recipient.clone())
    }

    /// Content type of the message being parsed.
    ///
    /// ```
    /// use harmony_kit::compat::chat::Role;
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let mut p = harmony_kit::compat::StreamableParser::new(e.clone(), Some(Role::Assistant))?;
    /// for t in e.tokenizer().encode_with_special_tokens("<|channel|>commentary to=functions.f <|constrain|>json<|message|>") {
    ///     p.process(t)?;
    /// }
    /// assert_eq!(p.current_content_type().as_deref(), Some("<|constrain|>json"));
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn current_content_type(&self) -> Option<String> {
        self.open().and_then(|m| m.content_type.clone())
    }

    /// The text the last processed token added to the current message, if any (`None`
    /// while a character split across tokens is incomplete, and at a message's end).
    ///
    /// # Errors
    /// None; the `Result` keeps the reference's signature.
    ///
    /// ```
    /// use harmony_kit::compat::chat::Role;
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let mut p = harmony_kit::compat::StreamableParser::new(e, Some(Role::Assistant))?;
    /// p.process(200008)?;
    /// assert_eq!(p.last_content_delta()?, None);
    /// p.process(12194)?;
    /// assert_eq!(p.last_content_delta()?.as_deref(), Some("Hi"));
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn last_content_delta(&self) -> Result<Option<String>, Error> {
        let b = &self.builder;
        Ok(b.has_delta.then(|| b.delta.clone()))
    }

    /// Consumes the parser, returning every completed message.
    ///
    /// ```
    /// use harmony_kit::compat::chat::Role;
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let mut p = harmony_kit::compat::StreamableParser::new(e, Some(Role::Assistant))?;
    /// p.process(200008)?.process(12194)?.process(200007)?;
    /// assert_eq!(p.into_messages().len(), 1);
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn into_messages(self) -> Vec<Message> {
        self.builder.messages
    }

    /// Every completed message.
    ///
    /// ```
    /// use harmony_kit::compat::chat::Role;
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let mut p = harmony_kit::compat::StreamableParser::new(e, Some(Role::Assistant))?;
    /// p.process(200008)?.process(12194)?;
    /// assert!(p.messages().is_empty()); // still open
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn messages(&self) -> &[Message] {
        &self.builder.messages
    }

    /// Every token processed.
    ///
    /// ```
    /// use harmony_kit::compat::chat::Role;
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let mut p = harmony_kit::compat::StreamableParser::new(e, Some(Role::Assistant))?;
    /// p.process(200008)?.process(u32::MAX)?;
    /// assert_eq!(p.tokens(), [200008, u32::MAX]);
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn tokens(&self) -> &[Rank] {
        &self.tokens
    }

    /// The parser state as JSON, in the reference's shape: `{"state":"ExpectStart"}`,
    /// `{"state":"Header","header_tokens":[..]}` or
    /// `{"state":"Content","header":{..},"content_tokens":[..]}`.
    ///
    /// `content_tokens` are the ids sampled since `<|message|>` whose text has been
    /// delivered (one holding part of a character waits for the rest). The reference
    /// re-encodes each delta instead, at the cost of a BPE call per token, which this does
    /// not pay: the ids are the same where each token holds whole characters; where a
    /// token holds text and part of a character (`" \xe4"`), the reference lists the
    /// re-encoded text (`" "`) and this the sampled id.
    ///
    /// # Errors
    /// [`Error::Json`] if serialisation fails (not expected).
    ///
    /// ```
    /// use harmony_kit::compat::chat::Role;
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let mut p = harmony_kit::compat::StreamableParser::new(e, None)?;
    /// assert_eq!(p.state_json()?, r#"{"state":"ExpectStart"}"#);
    /// p.process(200006)?.process(173781)?; // <|start|>assistant
    /// assert_eq!(p.state_json()?, r#"{"state":"Header","header_tokens":[173781]}"#);
    /// p.process(200008)?.process(12194)?; // <|message|>Hi
    /// assert_eq!(
    ///     p.state_json()?,
    ///     r#"{"state":"Content","header":{"author":{"role":"assistant"},"recipient":null,"channel":null,"content_type":null},"content_tokens":[12194]}"#
    /// );
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn state_json(&self) -> Result<String, Error> {
        #[derive(serde::Serialize)]
        struct ParsedHeader<'a> {
            author: &'a Author,
            recipient: &'a Option<String>,
            channel: &'a Option<String>,
            content_type: &'a Option<String>,
        }
        #[derive(serde::Serialize)]
        #[serde(tag = "state")]
        enum State<'a> {
            ExpectStart,
            Header {
                header_tokens: &'a [Rank],
            },
            Content {
                header: ParsedHeader<'a>,
                content_tokens: &'a [Rank],
            },
        }
        let b = &self.builder;
        let state = match (self.open(), b.header_start) {
            (Some(m), _) => State::Content {
                header: ParsedHeader {
                    author: &m.author,
                    recipient: &m.recipient,
                    channel: &m.channel,
                    content_type: &m.content_type,
                },
                content_tokens: self
                    .tokens
                    .get(b.content_start..b.content_end)
                    .unwrap_or_default(),
            },
            (None, Some(start)) => State::Header {
                header_tokens: self.tokens.get(start..).unwrap_or_default(),
            },
            (None, None) => State::ExpectStart,
        };
        serde_json::to_string(&state).map_err(|e| Error::Json(e.to_string()))
    }

    /// What the parser tolerated so far, in order (the reference would have returned an
    /// error or lost text for each). An extension of this crate.
    ///
    /// ```
    /// use harmony_kit::compat::chat::Role;
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let ids = e.tokenizer().encode_with_special_tokens("<|channel|>commentary Hello<|end|>");
    /// let mut p = harmony_kit::compat::StreamableParser::new(e, Some(Role::Assistant))?;
    /// for t in ids {
    ///     p.process(t)?;
    /// }
    /// assert!(!p.diagnostics().is_empty());
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn diagnostics(&self) -> &[OwnedDiagnostic] {
        &self.builder.diagnostics
    }

    /// The encoding this parser was made with.
    ///
    /// ```
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let p = harmony_kit::compat::StreamableParser::new(e, None)?;
    /// assert_eq!(p.encoding().name(), "HarmonyGptOss");
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn encoding(&self) -> &HarmonyEncoding {
        &self.encoding
    }

    /// The options this parser was made with.
    ///
    /// ```
    /// # let e = harmony_kit::compat::load_harmony_encoding(harmony_kit::compat::HarmonyEncodingName::HarmonyGptOss)?;
    /// let p = harmony_kit::compat::StreamableParser::new(e, None)?;
    /// assert!(p.options().strict);
    /// # Ok::<(), harmony_kit::compat::Error>(())
    /// ```
    pub fn options(&self) -> ParseOptions {
        self.options
    }

    fn open(&self) -> Option<&Message> {
        self.builder.open.as_ref()
    }
}

fn text_of(m: &Message) -> String {
    match m.content.first() {
        Some(Content::Text(t)) => t.text.clone(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use harmony_stream::vocab::token_bytes;

    #[test]
    fn substitute_tokens_spell_what_they_stand_for() {
        assert_eq!(token_bytes(REPLACEMENT_TOKEN), Some("\u{FFFD}".as_bytes()));
        let spelled: Vec<u8> = RESERVED_201088_SPELLING
            .iter()
            .flat_map(|&t| token_bytes(t).unwrap().iter().copied())
            .collect();
        assert_eq!(spelled, b"<|reserved_201088|>");
    }
}
