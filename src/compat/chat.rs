//! The message model with `openai_harmony::chat`'s shape and serde JSON forms.
//!
//! [`Role`], [`Author`], [`Content`] (with [`TextContent`]), [`Message`] and
//! [`Conversation`] are defined here so that code written against the reference (pattern
//! matches on `Content::Text(TextContent { .. })`, `Role::try_from("user")`) compiles
//! unchanged. The content types that do not mention a role ([`SystemContent`],
//! [`DeveloperContent`], [`ToolDescription`], ...) are `harmony-chat`'s own, which already
//! have the reference's fields, builders and JSON. Every type converts to and from
//! `harmony-chat`'s model with `From`.
//!
//! ```
//! use harmony_kit::compat::chat::{Content, Message, Role, TextContent};
//!
//! let m = Message::from_role_and_content(Role::Assistant, "4").with_channel("final");
//! assert!(matches!(&m.content[0], Content::Text(TextContent { text }) if text == "4"));
//! assert_eq!(
//!     serde_json::to_string(&m).unwrap(),
//!     r#"{"role":"assistant","content":"4","channel":"final"}"#
//! );
//! ```

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use harmony_chat as hc;

pub use hc::{
    ChannelConfig, DeveloperContent, ReasoningEffort, SystemContent, ToolDescription,
    ToolNamespaceConfig,
};

/// Who wrote a message.
///
/// ```
/// use harmony_kit::compat::chat::Role;
///
/// assert_eq!(Role::try_from("tool"), Ok(Role::Tool));
/// assert_eq!(Role::try_from("robot"), Err("Unknown role"));
/// assert_eq!(Role::Developer.as_str(), "developer");
/// assert_eq!(serde_json::to_string(&Role::User).unwrap(), r#""user""#);
/// ```
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The end user.
    User,
    /// The model.
    Assistant,
    /// The system message.
    System,
    /// The developer message.
    Developer,
    /// A tool's output; the author name says which tool.
    Tool,
}

impl TryFrom<&str> for Role {
    /// The reference's error is a bare string; kept so `match` arms written for it compile.
    type Error = &'static str;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        match value {
            "user" => Ok(Role::User),
            "assistant" => Ok(Role::Assistant),
            "system" => Ok(Role::System),
            "developer" => Ok(Role::Developer),
            "tool" => Ok(Role::Tool),
            _ => Err("Unknown role"),
        }
    }
}

impl Role {
    /// The role as written in a header.
    ///
    /// ```
    /// assert_eq!(harmony_kit::compat::chat::Role::Assistant.as_str(), "assistant");
    /// ```
    pub fn as_str(&self) -> &str {
        hc::Role::from(*self).as_str()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Role> for hc::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::User => hc::Role::User,
            Role::Assistant => hc::Role::Assistant,
            Role::System => hc::Role::System,
            Role::Developer => hc::Role::Developer,
            Role::Tool => hc::Role::Tool,
        }
    }
}

impl From<hc::Role> for Role {
    fn from(r: hc::Role) -> Self {
        match r {
            hc::Role::User => Role::User,
            hc::Role::Assistant => Role::Assistant,
            hc::Role::System => Role::System,
            hc::Role::Developer => Role::Developer,
            hc::Role::Tool => Role::Tool,
        }
    }
}

impl From<harmony_stream::Role> for Role {
    fn from(r: harmony_stream::Role) -> Self {
        match r {
            harmony_stream::Role::User => Role::User,
            harmony_stream::Role::Assistant => Role::Assistant,
            harmony_stream::Role::System => Role::System,
            harmony_stream::Role::Developer => Role::Developer,
            harmony_stream::Role::Tool => Role::Tool,
        }
    }
}

impl From<Role> for harmony_stream::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::User => harmony_stream::Role::User,
            Role::Assistant => harmony_stream::Role::Assistant,
            Role::System => harmony_stream::Role::System,
            Role::Developer => harmony_stream::Role::Developer,
            Role::Tool => harmony_stream::Role::Tool,
        }
    }
}

/// The author of a message: a role and, for tools, the tool's name.
///
/// ```
/// use harmony_kit::compat::chat::{Author, Role};
///
/// let a = Author::new(Role::Tool, "browser.search");
/// assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"role":"tool","name":"browser.search"}"#);
/// assert_eq!(Author::from(Role::User).name, None);
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Author {
    /// The role.
    pub role: Role,
    /// The name (omitted from JSON when `None`, as the reference does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Author {
    /// An author with a name.
    ///
    /// ```
    /// use harmony_kit::compat::chat::{Author, Role};
    /// assert_eq!(Author::new(Role::User, "alice").name.as_deref(), Some("alice"));
    /// ```
    pub fn new(role: Role, name: impl Into<String>) -> Self {
        Author {
            role,
            name: Some(name.into()),
        }
    }
}

impl From<Role> for Author {
    fn from(role: Role) -> Self {
        Author { role, name: None }
    }
}

impl From<Author> for hc::Author {
    fn from(a: Author) -> Self {
        hc::Author {
            role: a.role.into(),
            name: a.name,
        }
    }
}

impl From<hc::Author> for Author {
    fn from(a: hc::Author) -> Self {
        Author {
            role: a.role.into(),
            name: a.name,
        }
    }
}

/// Plain text content.
///
/// ```
/// use harmony_kit::compat::chat::{Content, TextContent};
/// let c = Content::Text(TextContent { text: "hi".into() });
/// assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"type":"text","text":"hi"}"#);
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TextContent {
    /// The text.
    pub text: String,
}

/// One piece of a message's content.
///
/// ```
/// use harmony_kit::compat::chat::{Content, SystemContent};
///
/// assert_eq!(Content::from("hi"), Content::from(String::from("hi")));
/// let sys = Content::from(SystemContent::new());
/// assert!(serde_json::to_string(&sys).unwrap().starts_with(r#"{"type":"system_content","#));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Content {
    /// Plain text.
    Text(TextContent),
    /// System content; only valid in system messages.
    SystemContent(SystemContent),
    /// Developer content; only valid in developer messages.
    DeveloperContent(DeveloperContent),
}

// The reference has one blanket `impl<T: Into<String>> From<T>`; here `SystemContent`
// and `DeveloperContent` are another crate's types, so coherence rules that blanket out
// and the string types are listed one by one (all of std's `Into<String>` types).
macro_rules! text_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Content {
            fn from(text: $t) -> Self {
                Content::Text(TextContent { text: text.into() })
            }
        }
    )*};
}

text_from!(
    &str,
    &mut str,
    String,
    &String,
    Box<str>,
    std::borrow::Cow<'_, str>,
    char
);

impl From<SystemContent> for Content {
    fn from(sys: SystemContent) -> Self {
        Content::SystemContent(sys)
    }
}

impl From<DeveloperContent> for Content {
    fn from(dev: DeveloperContent) -> Self {
        Content::DeveloperContent(dev)
    }
}

impl From<Content> for hc::Content {
    fn from(c: Content) -> Self {
        match c {
            Content::Text(TextContent { text }) => hc::Content::Text { text },
            Content::SystemContent(s) => hc::Content::SystemContent(s),
            Content::DeveloperContent(d) => hc::Content::DeveloperContent(d),
        }
    }
}

impl Content {
    /// `harmony-chat`'s content in this shape (a method: a `From` impl would overlap
    /// the string conversions above).
    ///
    /// ```
    /// use harmony_kit::compat::chat::Content;
    /// assert_eq!(Content::from_chat(harmony_kit::chat::Content::from("hi")), Content::from("hi"));
    /// ```
    pub fn from_chat(c: hc::Content) -> Self {
        match c {
            hc::Content::Text { text } => Content::Text(TextContent { text }),
            hc::Content::SystemContent(s) => Content::SystemContent(s),
            hc::Content::DeveloperContent(d) => Content::DeveloperContent(d),
        }
    }

    /// The same content in `harmony-chat`'s model, without consuming `self`.
    pub(crate) fn to_chat(&self) -> hc::Content {
        match self {
            Content::Text(TextContent { text }) => hc::Content::Text { text: text.clone() },
            Content::SystemContent(s) => hc::Content::SystemContent(s.clone()),
            Content::DeveloperContent(d) => hc::Content::DeveloperContent(d.clone()),
        }
    }
}

/// One message.
///
/// JSON: the author is flattened into `role` and `name`; a single text content is a bare
/// string; `None` fields are omitted. That is the reference's form, in both directions.
///
/// ```
/// use harmony_kit::compat::chat::{Author, Message, Role};
///
/// let call = Message::from_role_and_content(Role::Assistant, r#"{"city":"Paris"}"#)
///     .with_channel("commentary")
///     .with_recipient("functions.get_weather")
///     .with_content_type("<|constrain|>json");
/// let json = serde_json::to_string(&call).unwrap();
/// assert_eq!(serde_json::from_str::<Message>(&json).unwrap(), call);
/// let tool = Message::from_author_and_content(Author::new(Role::Tool, "functions.get_weather"), "20C");
/// assert_eq!(tool.author.name.as_deref(), Some("functions.get_weather"));
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Message {
    /// The author (flattened into `role` and `name` in JSON).
    #[serde(flatten)]
    pub author: Author,
    /// Whom the message is for: a tool for a call, `assistant` for a tool's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// The content; JSON accepts a bare string for a single text.
    #[serde(
        deserialize_with = "de_string_or_contents",
        serialize_with = "se_string_or_contents"
    )]
    pub content: Vec<Content>,
    /// The channel (`analysis`, `commentary`, `final`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The content type as written (`<|constrain|>json`, `code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

impl Message {
    /// A message with one piece of content.
    ///
    /// ```
    /// use harmony_kit::compat::chat::{Author, Message, Role};
    /// let m = Message::from_author_and_content(Author::from(Role::User), "hi");
    /// assert_eq!(m.content.len(), 1);
    /// ```
    pub fn from_author_and_content<C: Into<Content>>(author: Author, content: C) -> Self {
        Message {
            author,
            recipient: None,
            content: vec![content.into()],
            channel: None,
            content_type: None,
        }
    }

    /// A message from `role` with one piece of content.
    ///
    /// ```
    /// use harmony_kit::compat::chat::{Message, Role};
    /// assert_eq!(Message::from_role_and_content(Role::User, "hi").author.role, Role::User);
    /// ```
    pub fn from_role_and_content<C: Into<Content>>(role: Role, content: C) -> Self {
        Self::from_author_and_content(Author::from(role), content)
    }

    /// A message from `role` with several pieces of content.
    ///
    /// ```
    /// use harmony_kit::compat::chat::{Content, Message, Role};
    /// let m = Message::from_role_and_contents(Role::User, [Content::from("a"), Content::from("b")]);
    /// assert_eq!(m.content.len(), 2);
    /// ```
    pub fn from_role_and_contents<I: IntoIterator<Item = Content>>(role: Role, content: I) -> Self {
        Message {
            author: Author::from(role),
            recipient: None,
            content: content.into_iter().collect(),
            channel: None,
            content_type: None,
        }
    }

    /// Appends a piece of content.
    ///
    /// ```
    /// use harmony_kit::compat::chat::{Message, Role};
    /// assert_eq!(Message::from_role_and_content(Role::User, "a").adding_content("b").content.len(), 2);
    /// ```
    pub fn adding_content<C: Into<Content>>(mut self, content: C) -> Self {
        self.content.push(content.into());
        self
    }

    /// Sets the channel.
    ///
    /// ```
    /// use harmony_kit::compat::chat::{Message, Role};
    /// let m = Message::from_role_and_content(Role::Assistant, "4").with_channel("final");
    /// assert_eq!(m.channel.as_deref(), Some("final"));
    /// ```
    pub fn with_channel<S: Into<String>>(mut self, channel: S) -> Self {
        self.channel = Some(channel.into());
        self
    }

    /// Sets the recipient.
    ///
    /// ```
    /// use harmony_kit::compat::chat::{Message, Role};
    /// let m = Message::from_role_and_content(Role::Assistant, "{}").with_recipient("functions.f");
    /// assert_eq!(m.recipient.as_deref(), Some("functions.f"));
    /// ```
    pub fn with_recipient<S: Into<String>>(mut self, recipient: S) -> Self {
        self.recipient = Some(recipient.into());
        self
    }

    /// Sets the content type.
    ///
    /// ```
    /// use harmony_kit::compat::chat::{Message, Role};
    /// let m = Message::from_role_and_content(Role::Assistant, "{}").with_content_type("json");
    /// assert_eq!(m.content_type.as_deref(), Some("json"));
    /// ```
    pub fn with_content_type<S: Into<String>>(mut self, content_type: S) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// The same message in `harmony-chat`'s model, without consuming `self`.
    pub(crate) fn to_chat(&self) -> hc::Message {
        hc::Message {
            author: self.author.clone().into(),
            recipient: self.recipient.clone(),
            content: self.content.iter().map(Content::to_chat).collect(),
            channel: self.channel.clone(),
            content_type: self.content_type.clone(),
        }
    }
}

impl From<Message> for hc::Message {
    fn from(m: Message) -> Self {
        hc::Message {
            author: m.author.into(),
            recipient: m.recipient,
            content: m.content.into_iter().map(Into::into).collect(),
            channel: m.channel,
            content_type: m.content_type,
        }
    }
}

impl From<hc::Message> for Message {
    fn from(m: hc::Message) -> Self {
        Message {
            author: m.author.into(),
            recipient: m.recipient,
            content: m.content.into_iter().map(Content::from_chat).collect(),
            channel: m.channel,
            content_type: m.content_type,
        }
    }
}

/// A conversation: the messages, in order.
///
/// ```
/// use harmony_kit::compat::chat::{Conversation, Message, Role};
///
/// let c = Conversation::from_messages([Message::from_role_and_content(Role::User, "hi")]);
/// assert_eq!((&c).into_iter().count(), 1);
/// assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"messages":[{"role":"user","content":"hi"}]}"#);
/// ```
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Conversation {
    /// The messages.
    pub messages: Vec<Message>,
}

impl Conversation {
    /// A conversation of these messages.
    ///
    /// ```
    /// use harmony_kit::compat::chat::{Conversation, Message, Role};
    /// let c = Conversation::from_messages([Message::from_role_and_content(Role::User, "hi")]);
    /// assert_eq!(c.messages.len(), 1);
    /// ```
    pub fn from_messages<I: IntoIterator<Item = Message>>(messages: I) -> Self {
        Conversation {
            messages: messages.into_iter().collect(),
        }
    }
}

impl<'a> IntoIterator for &'a Conversation {
    type Item = &'a Message;
    type IntoIter = std::slice::Iter<'a, Message>;

    fn into_iter(self) -> Self::IntoIter {
        self.messages.iter()
    }
}

impl From<Conversation> for hc::Conversation {
    fn from(c: Conversation) -> Self {
        hc::Conversation::from_messages(c.messages.into_iter().map(Into::into))
    }
}

impl From<hc::Conversation> for Conversation {
    fn from(c: hc::Conversation) -> Self {
        Conversation::from_messages(c.messages.into_iter().map(Into::into))
    }
}

fn de_string_or_contents<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Content>, D::Error> {
    // A visitor rather than an untagged enum, so that errors inside a content list keep
    // serde's precise message.
    struct StringOrContents;

    impl<'de> serde::de::Visitor<'de> for StringOrContents {
        type Value = Vec<Content>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("string or list of content")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            Ok(vec![Content::from(text)])
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
        }
    }

    d.deserialize_any(StringOrContents)
}

fn se_string_or_contents<S: Serializer>(contents: &[Content], s: S) -> Result<S::Ok, S::Error> {
    // A single text serialises as a bare string, like the reference does.
    if let [Content::Text(TextContent { text })] = contents {
        return s.serialize_str(text);
    }
    contents.serialize(s)
}
