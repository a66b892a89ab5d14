//! Conversions to and from `openai-harmony`'s types (feature `interop`), so messages move
//! between the two libraries unchanged.
//!
//! ```
//! use harmony_stream::{Message, Role, Stop};
//!
//! let ours = Message {
//!     role: Role::Assistant,
//!     name: None,
//!     channel: Some("final".into()),
//!     recipient: None,
//!     content_type: None,
//!     content: "Hi".into(),
//!     stop: Stop::Return,
//! };
//! let theirs = openai_harmony::chat::Message::from(&ours);
//! assert_eq!(theirs.channel.as_deref(), Some("final"));
//! let back = Message::from(&theirs);
//! assert_eq!((back.content.as_str(), back.role), ("Hi", Role::Assistant));
//! ```

use openai_harmony::chat::{self, Author, Content, TextContent};

use crate::{Message, Role, Stop};

impl From<Role> for chat::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::System => chat::Role::System,
            Role::Developer => chat::Role::Developer,
            Role::User => chat::Role::User,
            Role::Assistant => chat::Role::Assistant,
            Role::Tool => chat::Role::Tool,
        }
    }
}

impl From<&chat::Role> for Role {
    fn from(r: &chat::Role) -> Self {
        match r {
            chat::Role::System => Role::System,
            chat::Role::Developer => Role::Developer,
            chat::Role::User => Role::User,
            chat::Role::Assistant => Role::Assistant,
            chat::Role::Tool => Role::Tool,
        }
    }
}

impl From<&Message> for chat::Message {
    fn from(m: &Message) -> Self {
        chat::Message {
            author: Author {
                role: m.role.into(),
                name: m.name.clone(),
            },
            recipient: m.recipient.clone(),
            content: vec![Content::Text(TextContent {
                text: m.content.clone(),
            })],
            channel: m.channel.clone(),
            content_type: m.content_type.clone(),
        }
    }
}

/// Text contents are joined; system and developer contents (which a parsed completion never
/// holds) are rendered with their `Debug` form. The stop is inferred as the reference's
/// renderer would write it: `call` for an assistant message with a recipient, else `end`.
impl From<&chat::Message> for Message {
    fn from(m: &chat::Message) -> Self {
        let role = Role::from(&m.author.role);
        let content = m
            .content
            .iter()
            .map(|c| match c {
                Content::Text(t) => t.text.clone(),
                other => format!("{other:?}"),
            })
            .collect();
        Message {
            role,
            name: m.author.name.clone(),
            channel: m.channel.clone(),
            recipient: m.recipient.clone(),
            content_type: m.content_type.clone(),
            content,
            stop: if role == Role::Assistant && m.recipient.is_some() {
                Stop::Call
            } else {
                Stop::End
            },
        }
    }
}
