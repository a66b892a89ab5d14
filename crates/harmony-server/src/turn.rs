//! One assistant turn through the gateway, whatever the client's protocol: the context
//! budget, the upstream request, and the mode engine over what comes back.

use std::pin::Pin;

use futures_util::{Stream, StreamExt};
use harmony_chat::{Conversation, Renderer, Role};
use harmony_ollama::{ChatMode, Engine, GenerateEvent, ModeStream, Options, StreamEvent};

use crate::monitor::TurnInfo;

use crate::error::GatewayError;
use crate::state::AppState;
use crate::upstream::CompletionRequest;

/// Which API the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// `/v1/chat/completions`.
    #[default]
    Chat,
    /// `/v1/responses`.
    Responses,
    /// Ollama's `/api/chat`.
    Ollama,
}

impl Protocol {
    /// The name used in logs and metrics.
    ///
    /// ```
    /// assert_eq!(harmony_server::Protocol::Responses.as_str(), "responses");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Protocol::Chat => "chat",
            Protocol::Responses => "responses",
            Protocol::Ollama => "ollama",
        }
    }
}

/// What a route hands over: the conversation rendered, and what to ask for.
#[derive(Debug, Clone, Default)]
pub(crate) struct TurnSpec {
    pub protocol: Protocol,
    pub model: String,
    /// The conversation (for counting the prompt's tokens).
    pub conversation: Conversation,
    /// The prompt text, ending with `<|start|>assistant`.
    pub prompt: String,
    /// Text the prompt continues with after `<|start|>assistant` (a forced tool call's
    /// or a JSON answer's header); the engine reads it first, as if the model wrote it.
    pub prefill: String,
    /// Names of the declared function tools.
    pub tools: Vec<String>,
    /// Sampling options; `num_predict` is the completion budget when set.
    pub options: Options,
}

/// The engine's events, each shown to the turn's [`Recorder`] on its way.
pub(crate) type TurnEvents =
    Pin<Box<dyn Stream<Item = Result<StreamEvent, harmony_ollama::Error>> + Send>>;

/// A started turn: the engine's events as they come.
pub(crate) struct Turn {
    pub events: TurnEvents,
    pub prompt_tokens: u32,
}

impl Turn {
    /// Checks the budget, starts the upstream completion, and wraps it in the engine.
    pub async fn start(state: &AppState, mut spec: TurnSpec) -> Result<Turn, GatewayError> {
        let prompt_tokens = count_tokens(&state.renderer, &spec);
        let budget = budget(state, &spec, prompt_tokens).await?;
        spec.options.num_predict = Some(i32::try_from(budget.completion).unwrap_or(i32::MAX));
        if let Some(ctx) = budget.num_ctx {
            spec.options.num_ctx = Some(ctx);
        }
        let request = CompletionRequest {
            model: spec.model.clone(),
            prompt: format!("{}{}", spec.prompt, spec.prefill),
            options: std::mem::take(&mut spec.options),
        };
        let upstream = state.upstream.complete(&request).await?;
        let engine = Engine::new(ChatMode::Harmony).with_declared(std::mem::take(&mut spec.tools));
        let events = if spec.prefill.is_empty() {
            ModeStream::harmony(engine, upstream)
        } else {
            let prefill = std::mem::take(&mut spec.prefill);
            let prefill =
                futures_util::stream::once(
                    async move { Ok(GenerateEvent::Response(prefill.into())) },
                );
            ModeStream::harmony(engine, prefill.chain(upstream))
        };
        let mut recorder = state.monitor.begin(TurnInfo {
            protocol: spec.protocol,
            model: spec.model,
            prompt_tokens,
            tool_results: tool_results(&spec.conversation),
        });
        let events = events.map(move |e| {
            match &e {
                Ok(event) => recorder.event(event),
                Err(err) => recorder.upstream_error(err),
            }
            e
        });
        Ok(Turn {
            events: Box::pin(events),
            prompt_tokens,
        })
    }
}

/// The tool results after the conversation's last user message: what the previous
/// turn's calls returned, `(tool name, text)`.
fn tool_results(conversation: &Conversation) -> Vec<(String, String)> {
    let messages = &conversation.messages;
    let from = messages
        .iter()
        .rposition(|m| m.author.role == Role::User)
        .map_or(0, |i| i + 1);
    messages[from..]
        .iter()
        .filter(|m| m.author.role == Role::Tool)
        .map(|m| {
            let text = m
                .content
                .iter()
                .filter_map(|c| match c {
                    harmony_chat::Content::Text { text } => Some(text.as_str()),
                    _ => None,
                })
                .collect::<String>();
            (m.author.name.clone().unwrap_or_default(), text)
        })
        .collect()
}

/// Tokens of the rendered prompt, prefill included.
fn count_tokens(renderer: &Renderer, spec: &TurnSpec) -> u32 {
    let renderer: &Renderer = renderer;
    let prompt = renderer
        .render_conversation_for_completion(&spec.conversation.messages, Role::Assistant)
        .map(|ids| ids.len())
        // Unrenderable here means it was rendered to text some other way: count that.
        .unwrap_or_else(|_| renderer.encode(&spec.prompt).len());
    let prefill = renderer.encode(&spec.prefill).len();
    u32::try_from(prompt + prefill).unwrap_or(u32::MAX)
}

struct Budget {
    completion: u32,
    num_ctx: Option<u32>,
}

/// The completion budget and `num_ctx`: the prompt plus the budget, up to the model's
/// context length; over it, a 400 that gives both numbers (never Ollama's silent
/// truncation of the prompt's front, which drops the system message and tools first).
async fn budget(state: &AppState, spec: &TurnSpec, prompt: u32) -> Result<Budget, GatewayError> {
    let limits = &state.config.limits;
    let asked = spec
        .options
        .num_predict
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n > 0);
    let wanted = asked
        .unwrap_or(limits.default_completion_tokens)
        .min(limits.max_completion_tokens);
    let Some(context) = state.context_length(&spec.model).await else {
        return Ok(Budget {
            completion: wanted,
            num_ctx: None,
        });
    };
    if prompt.saturating_add(asked.unwrap_or(1)) > context {
        return Err(GatewayError::ContextLengthExceeded {
            prompt_tokens: prompt,
            completion_tokens: asked.unwrap_or(1),
            context_length: context,
        });
    }
    let completion = wanted.min(context - prompt);
    // Round up so that Ollama, which reloads a model when num_ctx changes, sees few
    // distinct values.
    let needed = prompt + completion;
    let num_ctx = needed.max(8192).next_power_of_two().min(context);
    Ok(Budget {
        completion,
        num_ctx: Some(num_ctx),
    })
}
