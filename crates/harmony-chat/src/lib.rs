//! # harmony-chat
//!
//! The conversation model of OpenAI's harmony format (the chat format of the gpt-oss
//! models) and a renderer to token ids and to prompt text that reproduces the reference
//! library, `openai-harmony` 0.0.8, token for token, several times faster.
//!
//! - The model: [`Role`], [`Author`], [`Message`],
//!   [`SystemContent`], [`DeveloperContent`], [`Conversation`], with the reference's
//!   serde shape.
//! - [`Renderer`]: completion prompts, history, training sequences, single messages, to
//!   ids or to text; stop-token sets.
//! - Safety: marker text in messages is ordinary text in the token output and is
//!   neutralised (reversibly, see [`neutralise_markers`]) in the text output;
//!   [`neutralise_chat`] does the same to chat messages for back ends that template and
//!   tokenize them (Ollama's `/api/chat`). Names that reach a header or the tool
//!   namespace must be names ([`is_valid_name`]); tool schemas cannot end their comments.
//! - [`PrefixCache`]: re-rendering a conversation that grew reuses the rendered prefix.
//! - [`from_chat`] / [`to_chat`]: OpenAI-style chat messages to harmony and back.
//!
//! ```
//! use harmony_chat::{Conversation, DeveloperContent, Message, Renderer, Role, SystemContent};
//!
//! let convo = Conversation::from_messages([
//!     Message::from_role_and_content(Role::System, SystemContent::new()),
//!     Message::from_role_and_content(
//!         Role::Developer,
//!         DeveloperContent::new().with_instructions("Answer like a pirate."),
//!     ),
//!     Message::from_role_and_content(Role::User, "What is 2 + 2?"),
//! ]);
//! let ids = Renderer::new().render_conversation_for_completion(&convo, Role::Assistant)?;
//! assert_eq!(ids[0], harmony_chat::SpecialToken::Start.id());
//! # Ok::<(), harmony_chat::RenderError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cache;
mod convert;
mod date;
mod error;
mod model;
mod names;
mod render;
mod response_format;
mod safety;
mod schema;
mod tokenizer;

pub use cache::PrefixCache;
pub use convert::{
    from_chat, to_chat, ChatFunction, ChatFunctionCall, ChatMessage, ChatOptions, ChatRole,
    ChatTool, ChatToolCall, ReasoningPolicy,
};
pub use date::{today_utc, utc_date};
pub use error::RenderError;
pub use model::{
    Author, ChannelConfig, Content, Conversation, DeveloperContent, Message, ReasoningEffort, Role,
    SystemContent, ToolDescription, ToolNamespaceConfig,
};
pub use names::{is_valid_content_type, is_valid_name};
pub use render::{RenderConfig, RenderOptions, Renderer, TextOptions, TextRender};
pub use response_format::ResponseFormat;
pub use safety::{
    neutralise_chat, neutralise_markers, restore_markers, ChatNeutralised, MarkerDiagnostic,
    ToolNeutralised, MARKER_BREAK,
};
pub use tokenizer::{Rank, SpecialToken};
