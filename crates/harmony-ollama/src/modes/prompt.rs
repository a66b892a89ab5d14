//! What each mode sends: the harmony prompt (harmony mode) and the `/api/chat`
//! messages (standard mode), from one OpenAI-style conversation.

use harmony_chat::{
    from_chat, ChatMessage, ChatOptions, ChatRole, ChatTool, ReasoningEffort, Role, SystemContent,
    TextOptions,
};

use crate::transport::error::{ConfigError, Error};
use crate::transport::request::ChatRequestMessage;

/// The prompt harmony mode sends for `messages` and `tools`: the conversation rendered
/// for the next assistant turn (ending `<|start|>assistant`), with `effort` in the
/// system message when given. For logging and token budgets.
///
/// # Errors
/// The conversation cannot be rendered ([`Error::Config`]).
///
/// ```
/// use harmony_chat::{ChatMessage, ChatRole};
/// use harmony_ollama::{harmony_prompt, ReasoningEffort};
/// let prompt = harmony_prompt(&[ChatMessage::new(ChatRole::User, "Hi")], &[], Some(ReasoningEffort::High)).unwrap();
/// assert!(prompt.contains("Reasoning: high"));
/// assert!(prompt.ends_with("<|start|>user<|message|>Hi<|end|><|start|>assistant"));
/// ```
pub fn harmony_prompt(
    messages: &[ChatMessage],
    tools: &[ChatTool],
    effort: Option<ReasoningEffort>,
) -> Result<String, Error> {
    let mut system = SystemContent::new();
    if let Some(e) = effort {
        system = system.with_reasoning_effort(e);
    }
    let options = ChatOptions {
        system,
        ..ChatOptions::default()
    };
    let render_err = |e: harmony_chat::RenderError| {
        Error::Config(ConfigError::InvalidValue {
            what: "conversation",
            value: e.to_string(),
            allowed: "a conversation harmony-chat can render",
        })
    };
    let conversation = from_chat(messages, tools, &options).map_err(render_err)?;
    let prompt = harmony_chat::Renderer::new()
        .render_text_for_completion(&conversation, Role::Assistant, &TextOptions::default())
        .map_err(render_err)?;
    Ok(prompt.text)
}

/// OpenAI-style message to Ollama's `/api/chat` shape.
pub(crate) fn to_ollama_message(m: &ChatMessage) -> ChatRequestMessage {
    let content = m.content.clone().unwrap_or_default();
    let mut out = match m.role {
        ChatRole::System | ChatRole::Developer => ChatRequestMessage::system(content),
        ChatRole::User => ChatRequestMessage::user(content),
        ChatRole::Assistant => ChatRequestMessage::assistant(content),
        ChatRole::Tool => ChatRequestMessage::tool(m.name.clone().unwrap_or_default(), content),
    };
    out.thinking = m.reasoning.clone().filter(|r| !r.is_empty());
    out.tool_calls = m
        .tool_calls
        .iter()
        .map(|c| {
            // Ollama wants the arguments as an object, not as JSON text.
            let args: serde_json::Value =
                serde_json::from_str(&c.function.arguments).unwrap_or(serde_json::Value::Null);
            serde_json::json!({"function": {"name": c.function.name, "arguments": args}})
        })
        .collect();
    out
}
