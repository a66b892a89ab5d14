//! The engine of `harmony render`: JSON in, token ids or prompt text out.

use serde::Deserialize;

use crate::convert::{from_chat, ChatMessage, ChatOptions, ChatTool};
use crate::error::RenderError;
use crate::model::{Conversation, Message, ReasoningEffort, Role};
use crate::render::{Renderer, TextOptions};
use crate::safety::MarkerDiagnostic;

/// What the input JSON is.
///
/// ```
/// assert_eq!("chat".parse::<harmony_chat::InputKind>().unwrap(), harmony_chat::InputKind::Chat);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputKind {
    /// openai-harmony's JSON form of a `Conversation` (`{"messages": [...]}`, or the bare
    /// list of messages).
    #[default]
    Harmony,
    /// OpenAI-style chat: `{"messages": [...], "tools": [...], "reasoning_effort": "high"}`
    /// (only `messages` is required), or the bare list of messages.
    Chat,
}

impl std::str::FromStr for InputKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "harmony" => Ok(InputKind::Harmony),
            "chat" => Ok(InputKind::Chat),
            other => Err(format!(
                "unknown input kind `{other}` (expected harmony or chat)"
            )),
        }
    }
}

/// What to print.
///
/// ```
/// assert_eq!("text".parse::<harmony_chat::OutputKind>().unwrap(), harmony_chat::OutputKind::Text);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputKind {
    /// A JSON array of token ids.
    #[default]
    Tokens,
    /// The prompt text, markers written out (marker text in messages neutralised).
    Text,
}

impl std::str::FromStr for OutputKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tokens" => Ok(OutputKind::Tokens),
            "text" => Ok(OutputKind::Text),
            other => Err(format!(
                "unknown output kind `{other}` (expected tokens or text)"
            )),
        }
    }
}

/// Everything [`render_json_with`] can be told.
///
/// ```
/// let opts = harmony_chat::RenderJsonOptions::default();
/// assert_eq!(opts.next_role, Some(harmony_chat::Role::Assistant));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderJsonOptions {
    /// How to read the input.
    pub input: InputKind,
    /// What to produce.
    pub output: OutputKind,
    /// The role of the turn to sample (`<|start|>role` is appended); `None` renders the
    /// history only.
    pub next_role: Option<Role>,
    /// Text output: write marker text in messages verbatim (trusted input only).
    pub trusted: bool,
}

impl Default for RenderJsonOptions {
    fn default() -> Self {
        RenderJsonOptions {
            input: InputKind::Harmony,
            output: OutputKind::Tokens,
            next_role: Some(Role::Assistant),
            trusted: false,
        }
    }
}

/// The output of [`render_json_with`].
///
/// ```
/// use harmony_chat::{render_json_with, RenderJsonOptions};
/// let out = render_json_with(r#"{"messages": []}"#, &RenderJsonOptions::default()).unwrap();
/// assert_eq!(out.output, "[200006,173781]");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonRender {
    /// Exactly what the CLI prints on stdout.
    pub output: String,
    /// What the text renderer neutralised (the CLI prints these on stderr).
    pub diagnostics: Vec<MarkerDiagnostic>,
}

/// Renders a conversation given as JSON; the result is exactly what `harmony render`
/// prints. `next_role` defaults to `assistant`.
///
/// ```
/// use harmony_chat::{render_json, InputKind, OutputKind};
///
/// let chat = r#"[{"role": "user", "content": "Hi"}]"#;
/// let text = render_json(chat, InputKind::Chat, OutputKind::Text, None).unwrap();
/// assert!(text.ends_with("<|start|>user<|message|>Hi<|end|><|start|>assistant"));
///
/// let err = render_json(r#"[{"role": "robot"}]"#, InputKind::Chat, OutputKind::Text, None)
///     .unwrap_err();
/// assert!(err.to_string().contains("unknown variant `robot`"));
/// ```
pub fn render_json(
    input: &str,
    input_kind: InputKind,
    output: OutputKind,
    next_role: Option<&str>,
) -> Result<String, RenderError> {
    let next_role = match next_role {
        Some(role) => role.parse()?,
        None => Role::Assistant,
    };
    let options = RenderJsonOptions {
        input: input_kind,
        output,
        next_role: Some(next_role),
        trusted: false,
    };
    render_json_with(input, &options).map(|r| r.output)
}

/// [`render_json`] with every option, and the text renderer's diagnostics.
///
/// ```
/// use harmony_chat::{render_json_with, OutputKind, RenderJsonOptions};
///
/// let input = r#"{"messages": [{"role": "user", "content": "a<|end|>b"}]}"#;
/// let opts = RenderJsonOptions { output: OutputKind::Text, next_role: None, ..Default::default() };
/// let out = render_json_with(input, &opts).unwrap();
/// assert_eq!(out.output, "<|start|>user<|message|>a<\u{2060}|end|>b<|end|>");
/// assert_eq!(out.diagnostics.len(), 1);
/// ```
pub fn render_json_with(
    input: &str,
    options: &RenderJsonOptions,
) -> Result<JsonRender, RenderError> {
    let conversation = match options.input {
        InputKind::Harmony => read_harmony(input)?,
        InputKind::Chat => read_chat(input)?,
    };
    let renderer = Renderer::new();
    match options.output {
        OutputKind::Tokens => {
            let ids = match options.next_role {
                Some(role) => renderer.render_conversation_for_completion(&conversation, role)?,
                None => renderer.render_conversation(&conversation)?,
            };
            let mut output = String::with_capacity(ids.len() * 7 + 2);
            output.push('[');
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    output.push(',');
                }
                output.push_str(&id.to_string());
            }
            output.push(']');
            Ok(JsonRender {
                output,
                diagnostics: Vec::new(),
            })
        }
        OutputKind::Text => {
            let text_options = TextOptions {
                trusted: options.trusted,
            };
            let rendered = match options.next_role {
                Some(role) => {
                    renderer.render_text_for_completion(&conversation, role, &text_options)?
                }
                None => renderer.render_text(&conversation, &text_options)?,
            };
            Ok(JsonRender {
                output: rendered.text,
                diagnostics: rendered.diagnostics,
            })
        }
    }
}

fn read_harmony(input: &str) -> Result<Conversation, RenderError> {
    // The shape is decided by the first character, so that errors keep serde's precise
    // message and position.
    let what = "harmony conversation";
    match first_char(input) {
        Some('[') => serde_json::from_str::<Vec<Message>>(input).map(Conversation::from_messages),
        _ => serde_json::from_str::<Conversation>(input),
    }
    .map_err(|e| RenderError::json(what, &e))
}

fn read_chat(input: &str) -> Result<Conversation, RenderError> {
    /// An OpenAI-style request; other fields (`model`, `temperature`, ...) are ignored.
    #[derive(Deserialize)]
    struct ChatRequest {
        messages: Vec<ChatMessage>,
        #[serde(default)]
        tools: Vec<ChatTool>,
        #[serde(default)]
        reasoning_effort: Option<ReasoningEffort>,
    }
    let what = "chat messages";
    let request = match first_char(input) {
        Some('[') => ChatRequest {
            messages: serde_json::from_str(input).map_err(|e| RenderError::json(what, &e))?,
            tools: Vec::new(),
            reasoning_effort: None,
        },
        _ => serde_json::from_str(input).map_err(|e| RenderError::json(what, &e))?,
    };
    let mut options = ChatOptions::default();
    if let Some(effort) = request.reasoning_effort {
        options.system.reasoning_effort = Some(effort);
    }
    from_chat(&request.messages, &request.tools, &options)
}

fn first_char(input: &str) -> Option<char> {
    input.trim_start().chars().next()
}
