//! What each mode sends: the harmony prompt (harmony mode) and the `/api/chat`
//! messages (standard mode), from one OpenAI-style conversation.

use harmony_chat::{
    from_chat, ChatMessage, ChatOptions, ChatRole, ChatTool, ResponseFormat, Role, TextOptions,
};

use crate::modes::settings::ChatSettings;
use crate::transport::error::{ConfigError, Error};
use crate::transport::request::ChatRequestMessage;

/// The prompt harmony mode sends for `messages` and `tools` with `settings`: the
/// conversation rendered for the next assistant turn (ending `<|start|>assistant`). The
/// system message is [`ChatSettings::system`] (or the default one) with the settings'
/// reasoning effort; a [`ChatSettings::format`] adds its `# Response Formats` section
/// to the developer message, after the caller's instructions. For logging and token
/// budgets; [`OllamaClient::harmony_prompt`](crate::OllamaClient::harmony_prompt) fills in
/// the client's reasoning effort.
///
/// # Errors
/// The conversation cannot be rendered ([`Error::Config`]).
///
/// ```
/// use harmony_chat::{ChatMessage, ChatRole};
/// use harmony_ollama::{harmony_prompt, ChatSettings, ReasoningEffort, ResponseFormat, SystemContent};
///
/// let settings = ChatSettings::new()
///     .reasoning_effort(ReasoningEffort::High)
///     .system(SystemContent::new().with_conversation_start_date("2026-12-02"))
///     .format(ResponseFormat::json_schema("city", serde_json::json!({"type": "object"})));
/// let prompt = harmony_prompt(&[ChatMessage::new(ChatRole::User, "Hi")], &[], &settings).unwrap();
/// assert!(prompt.contains("Current date: 2026-12-02\n\nReasoning: high"));
/// assert!(prompt.contains("# Response Formats\n\n## city\n\n{\"type\":\"object\"}<|end|>"));
/// assert!(prompt.ends_with("<|start|>user<|message|>Hi<|end|><|start|>assistant"));
/// ```
pub fn harmony_prompt(
    messages: &[ChatMessage],
    tools: &[ChatTool],
    settings: &ChatSettings,
) -> Result<String, Error> {
    let mut system = settings.system.clone().unwrap_or_default();
    if let Some(e) = settings.reasoning_effort {
        system.reasoning_effort = Some(e);
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
    let section = settings
        .format
        .as_ref()
        .and_then(ResponseFormat::developer_section);
    let conversation = match section {
        // from_chat joins every system/developer text, in order, into the developer
        // instructions: the format goes last.
        Some(section) => {
            let mut with_format = messages.to_vec();
            with_format.push(ChatMessage::new(ChatRole::Developer, section));
            from_chat(&with_format, tools, &options)
        }
        None => from_chat(messages, tools, &options),
    }
    .map_err(render_err)?;
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
