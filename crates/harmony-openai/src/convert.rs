//! Requests to harmony: the conversation, the prompt text, and the prefill decision
//! (docs/design.md, the gateway, "Input" and "Prefills").

use harmony_chat::{
    from_chat, ChatMessage, ChatOptions, ChatRole, ChatTool, ChatToolCall, Conversation,
    ReasoningEffort, ReasoningPolicy, RenderConfig, Renderer, Role, SystemContent, TextOptions,
};

use crate::chat_request::ChatRequest;
use crate::common::{ResponseFormat, ToolChoice};
use crate::error::RequestError;
use crate::responses_request::{InputItem, ResponsesRequest};

/// How the prompt ends, to force a tool call or a JSON answer without a grammar.
///
/// The model is let reason first: the server generates with
/// [`REASONING_STOP`] as a stop sequence, and when the model stops there (it was
/// about to answer instead of calling, or answered without the JSON header) the
/// prompt is continued with [`Prefill::continue_prompt`]. If the model already did
/// what was asked (called the tool, wrote the JSON header), nothing is continued;
/// [`Turn::continuation`](crate::TurnOutcome::continuation) makes that decision.
///
/// ```
/// use harmony_openai::Prefill;
/// let p = Prefill::Tool("get_weather".into());
/// assert_eq!(
///     p.header().unwrap(),
///     "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"
/// );
/// assert_eq!(Prefill::None.header(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Prefill {
    /// The prompt ends with `<|start|>assistant`: the model writes its own header.
    #[default]
    None,
    /// `tool_choice` named this function (or `required` with one tool declared).
    Tool(String),
    /// `tool_choice: required` with several tools: `…to=functions.` and the model
    /// writes the name.
    AnyTool,
    /// `response_format` / `text.format` JSON: a final-channel `<|constrain|>json`.
    FinalJson,
    /// An empty turn (reasoning only) continued once: a final-channel header.
    Final,
}

/// The stop sequence of the first request when a prefill may follow: the model is
/// starting a final answer.
pub const REASONING_STOP: &str = "<|channel|>final";

impl Prefill {
    /// The assistant header to continue with, without its `<|start|>assistant`, or
    /// `None` for [`Prefill::None`]. This is also what to feed the parser before the
    /// continuation's output, so the parser knows which message it is in.
    ///
    /// ```
    /// use harmony_openai::Prefill;
    /// assert_eq!(Prefill::AnyTool.header().unwrap(), "<|channel|>commentary to=functions.");
    /// assert_eq!(Prefill::FinalJson.header().unwrap(), "<|channel|>final <|constrain|>json<|message|>");
    /// assert_eq!(Prefill::Final.header().unwrap(), "<|channel|>final<|message|>");
    /// ```
    pub fn header(&self) -> Option<String> {
        match self {
            Prefill::None => None,
            Prefill::Tool(name) => Some(format!(
                "<|channel|>commentary to=functions.{name} <|constrain|>json<|message|>"
            )),
            Prefill::AnyTool => Some("<|channel|>commentary to=functions.".to_owned()),
            Prefill::FinalJson => Some("<|channel|>final <|constrain|>json<|message|>".to_owned()),
            Prefill::Final => Some("<|channel|>final<|message|>".to_owned()),
        }
    }

    /// The stop sequences of the first request: [`REASONING_STOP`] when a prefill may
    /// follow, none otherwise.
    ///
    /// ```
    /// use harmony_openai::{Prefill, REASONING_STOP};
    /// assert_eq!(Prefill::FinalJson.first_stops(), [REASONING_STOP]);
    /// assert!(Prefill::None.first_stops().is_empty());
    /// ```
    pub fn first_stops(&self) -> &'static [&'static str] {
        match self {
            Prefill::None | Prefill::Final => &[],
            _ => &[REASONING_STOP],
        }
    }

    /// The prompt for the continuation: `prompt` (which ends with `<|start|>assistant`),
    /// what the model wrote so far (`output`, as generated: its first message has no
    /// `<|start|>`, and it may end with the `<|start|>assistant` the stop sequence left),
    /// then `<|start|>assistant` and [`header`](Self::header). Without output, the
    /// header follows the prompt at once. An unclosed last message is closed with
    /// `<|end|>`.
    ///
    /// ```
    /// use harmony_openai::Prefill;
    /// let p = Prefill::Tool("f".into());
    /// let prompt = "<|start|>user<|message|>hi<|end|><|start|>assistant";
    /// assert_eq!(
    ///     p.continue_prompt(prompt, ""),
    ///     format!("{prompt}<|channel|>commentary to=functions.f <|constrain|>json<|message|>")
    /// );
    /// let out = "<|channel|>analysis<|message|>Call f.<|end|><|start|>assistant";
    /// assert_eq!(
    ///     p.continue_prompt(prompt, out),
    ///     format!("{prompt}<|channel|>analysis<|message|>Call f.<|end|><|start|>assistant\
    ///              <|channel|>commentary to=functions.f <|constrain|>json<|message|>")
    /// );
    /// ```
    pub fn continue_prompt(&self, prompt: &str, output: &str) -> String {
        let header = self.header().unwrap_or_default();
        let mut out = String::with_capacity(prompt.len() + output.len() + header.len() + 32);
        out.push_str(prompt);
        let body = output.trim_end();
        let body = body.strip_suffix("<|start|>assistant").unwrap_or(body);
        let body = body.strip_suffix("<|start|>").unwrap_or(body);
        if body.trim().is_empty() {
            out.push_str(&header);
            return out;
        }
        out.push_str(body);
        if !(body.ends_with("<|end|>")
            || body.ends_with("<|call|>")
            || body.ends_with("<|return|>"))
        {
            out.push_str("<|end|>");
        }
        out.push_str("<|start|>assistant");
        out.push_str(&header);
        out
    }
}

/// Sampling settings, the same for both APIs.
///
/// ```
/// let s = harmony_openai::Sampling::default();
/// assert!(s.max_tokens.is_none() && s.stop.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Sampling {
    /// Completion budget (`max_completion_tokens` / `max_tokens` / `max_output_tokens`).
    pub max_tokens: Option<u64>,
    /// `temperature`.
    pub temperature: Option<f64>,
    /// `top_p`.
    pub top_p: Option<f64>,
    /// `seed`.
    pub seed: Option<i64>,
    /// `stop`.
    pub stop: Vec<String>,
}

/// Settings of the conversion that come from the server, not the request.
///
/// ```
/// use harmony_openai::ConvertOptions;
/// let o = ConvertOptions::default();
/// assert_eq!(o.system, harmony_chat::SystemContent::new());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ConvertOptions {
    /// The harmony system message (identity, knowledge cutoff, date, default effort);
    /// the request's reasoning effort replaces the effort.
    pub system: SystemContent,
    /// Which reasoning given back is kept (the format's rule by default).
    pub reasoning: ReasoningPolicy,
}

impl ConvertOptions {
    /// Options with this system content.
    ///
    /// ```
    /// use harmony_openai::ConvertOptions;
    /// let s = harmony_chat::SystemContent::new().with_conversation_start_date("2026-12-01");
    /// assert_eq!(ConvertOptions::with_system(s.clone()).system, s);
    /// ```
    pub fn with_system(system: SystemContent) -> Self {
        ConvertOptions {
            system,
            ..Self::default()
        }
    }

    /// These options with another reasoning policy.
    ///
    /// ```
    /// use harmony_chat::ReasoningPolicy;
    /// let o = harmony_openai::ConvertOptions::default().with_reasoning(ReasoningPolicy::KeepAll);
    /// assert_eq!(o.reasoning, ReasoningPolicy::KeepAll);
    /// ```
    pub fn with_reasoning(mut self, policy: ReasoningPolicy) -> Self {
        self.reasoning = policy;
        self
    }
}

/// A request made ready for the model: the harmony conversation, its prompt text, how
/// the prompt ends, and what was left out.
///
/// ```
/// use harmony_openai::{ChatRequest, ConvertOptions, Prefill, Prepared};
///
/// let req = ChatRequest::from_slice(br#"{"model": "gpt-oss:20b",
///     "messages": [{"role": "user", "content": "Weather in Paris?"}],
///     "tools": [{"type": "function", "function": {"name": "get_weather"}}],
///     "tool_choice": "required"}"#).unwrap();
/// let p = Prepared::from_chat(&req, &ConvertOptions::default()).unwrap();
/// assert!(p.prompt.ends_with("<|start|>user<|message|>Weather in Paris?<|end|><|start|>assistant"));
/// assert!(p.prompt.contains("type get_weather = () => any;"));
/// // One tool declared: `required` names it.
/// assert_eq!(p.prefill, Prefill::Tool("get_weather".into()));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Prepared {
    /// The model named by the request.
    pub model: String,
    /// The harmony conversation.
    pub conversation: Conversation,
    /// The prompt text for the next assistant turn, ending with `<|start|>assistant`,
    /// marker text in client-supplied fields neutralised.
    pub prompt: String,
    /// How many messages had marker text neutralised.
    pub neutralised_messages: usize,
    /// The prefill decision.
    pub prefill: Prefill,
    /// Names of the function tools in the prompt.
    pub declared_tools: Vec<String>,
    /// Tools left out of the prompt (hosted, namespace and custom tools), by name.
    pub left_out_tools: Vec<String>,
    /// Sampling settings.
    pub sampling: Sampling,
    /// How the prompt was rendered (kept for [`prompt_tokens`](Self::prompt_tokens)).
    render: RenderConfig,
}

impl Prepared {
    /// Converts a Chat Completions request.
    ///
    /// # Errors
    /// [`RequestError`]: a tool result for an unknown call, `tool_choice` naming an
    /// undeclared function, a `required` choice with no tools.
    ///
    /// ```
    /// use harmony_openai::{ChatRequest, ConvertOptions, Prepared};
    /// let req = ChatRequest::from_slice(br#"{"model": "m", "messages": [{"role": "user", "content": "hi"}],
    ///     "tool_choice": {"type": "function", "function": {"name": "nope"}}}"#).unwrap();
    /// let err = Prepared::from_chat(&req, &ConvertOptions::default()).unwrap_err();
    /// assert_eq!(err.param(), Some("tool_choice"));
    /// ```
    pub fn from_chat(req: &ChatRequest, options: &ConvertOptions) -> Result<Self, RequestError> {
        build(
            &req.model,
            req.messages.clone(),
            &req.tools,
            &req.left_out_tools,
            &req.tool_choice,
            &req.response_format,
            req.reasoning_effort,
            Sampling {
                max_tokens: req.max_tokens,
                temperature: req.temperature,
                top_p: req.top_p,
                seed: req.seed,
                stop: req.stop.clone(),
            },
            options,
        )
    }

    /// Converts a Responses request: `instructions` and system/developer messages are
    /// the developer instructions; reasoning items, assistant messages and function
    /// calls between two other items form one assistant turn; function call outputs
    /// are tool results.
    ///
    /// # Errors
    /// As [`from_chat`](Self::from_chat).
    ///
    /// ```
    /// use harmony_openai::{encode_reasoning, ConvertOptions, Prepared, ResponsesRequest};
    /// let body = serde_json::json!({"model": "m", "input": [
    ///     {"role": "user", "content": "ls"},
    ///     {"type": "reasoning", "summary": [], "encrypted_content": encode_reasoning("Run ls.")},
    ///     {"type": "function_call", "call_id": "call_1", "name": "shell", "arguments": "{}"},
    ///     {"type": "function_call_output", "call_id": "call_1", "output": "a.txt"}
    /// ], "tools": [{"type": "function", "name": "shell"}]});
    /// let req = ResponsesRequest::from_value(&body).unwrap();
    /// let p = Prepared::from_responses(&req, &ConvertOptions::default()).unwrap();
    /// // The tool loop is running: the reasoning is kept.
    /// assert!(p.prompt.contains("<|start|>assistant<|channel|>analysis<|message|>Run ls.<|end|>"));
    /// assert!(p.prompt.contains("<|start|>functions.shell to=assistant<|channel|>commentary<|message|>a.txt<|end|>"));
    /// ```
    pub fn from_responses(
        req: &ResponsesRequest,
        options: &ConvertOptions,
    ) -> Result<Self, RequestError> {
        let conversation_error = |e: RequestError| match e {
            // The conversation comes from `input` here, not `messages`.
            RequestError::Conversation(e) => RequestError::invalid("input", e),
            other => other,
        };
        build(
            &req.model,
            responses_messages(req),
            &req.tools,
            &req.left_out_tools,
            &req.tool_choice,
            &req.text_format,
            req.reasoning_effort,
            Sampling {
                max_tokens: req.max_output_tokens,
                temperature: req.temperature,
                top_p: req.top_p,
                ..Sampling::default()
            },
            options,
        )
        .map_err(conversation_error)
    }

    /// The prompt of the first request. Prefills are applied after the model's own
    /// reasoning (see [`Prefill`]), so this is [`prompt`](Self::prompt) itself; a server
    /// that wants the prefill at once uses `prefill.continue_prompt(&prompt, "")`.
    ///
    /// ```
    /// use harmony_openai::{ChatRequest, ConvertOptions, Prepared};
    /// let req = ChatRequest::from_slice(br#"{"model": "m", "messages": [{"role": "user", "content": "hi"}]}"#).unwrap();
    /// let p = Prepared::from_chat(&req, &ConvertOptions::default()).unwrap();
    /// assert_eq!(p.first_prompt(), p.prompt);
    /// ```
    pub fn first_prompt(&self) -> &str {
        &self.prompt
    }

    /// The prompt's length in tokens (for the context budget), rendered to ids.
    ///
    /// # Errors
    /// [`RequestError::Conversation`] if the conversation does not render (it rendered
    /// as text already, so this does not happen in practice).
    ///
    /// ```
    /// use harmony_openai::{ChatRequest, ConvertOptions, Prepared};
    /// let req = ChatRequest::from_slice(br#"{"model": "m", "messages": [{"role": "user", "content": "hi"}]}"#).unwrap();
    /// let p = Prepared::from_chat(&req, &ConvertOptions::default()).unwrap();
    /// assert!(p.prompt_tokens().unwrap() > 10);
    /// ```
    pub fn prompt_tokens(&self) -> Result<usize, RequestError> {
        Ok(Renderer::with_config(self.render)
            .render_conversation_for_completion(&self.conversation, Role::Assistant)?
            .len())
    }
}

#[allow(clippy::too_many_arguments)]
fn build(
    model: &str,
    mut messages: Vec<ChatMessage>,
    tools: &[ChatTool],
    left_out: &[String],
    choice: &ToolChoice,
    format: &ResponseFormat,
    effort: Option<ReasoningEffort>,
    sampling: Sampling,
    options: &ConvertOptions,
) -> Result<Prepared, RequestError> {
    let tools: &[ChatTool] = if *choice == ToolChoice::None {
        &[]
    } else {
        tools
    };
    let declared: Vec<String> = tools.iter().map(|t| t.function.name.clone()).collect();
    let prefill = match choice {
        ToolChoice::Function(name) => {
            if !declared.iter().any(|d| d == name) {
                return Err(RequestError::invalid(
                    "tool_choice",
                    format!("the function `{name}` is not among the declared tools"),
                ));
            }
            Prefill::Tool(name.clone())
        }
        ToolChoice::Required => match declared.as_slice() {
            [] => {
                return Err(RequestError::invalid(
                    "tool_choice",
                    "`required` needs at least one function tool",
                ))
            }
            [only] => Prefill::Tool(only.clone()),
            _ => Prefill::AnyTool,
        },
        ToolChoice::Auto | ToolChoice::None if format.is_json() => Prefill::FinalJson,
        ToolChoice::Auto | ToolChoice::None => Prefill::None,
    };
    if let Some(section) = format.developer_section() {
        // from_chat joins every system/developer text, in order, into the developer
        // instructions: this one goes last.
        messages.push(ChatMessage::new(ChatRole::Developer, section));
    }
    let mut system = options.system.clone();
    if let Some(e) = effort {
        system.reasoning_effort = Some(e);
    }
    let chat_options = ChatOptions {
        system,
        reasoning: options.reasoning,
    };
    let conversation = from_chat(&messages, tools, &chat_options)?;
    // The renderer's own drop rule is the format's; any other policy was applied by
    // from_chat already and must not be undone.
    let render = RenderConfig {
        auto_drop_analysis: options.reasoning == ReasoningPolicy::FormatRule,
    };
    let rendered = Renderer::with_config(render).render_text_for_completion(
        &conversation,
        Role::Assistant,
        &TextOptions::default(),
    )?;
    Ok(Prepared {
        model: model.to_owned(),
        conversation,
        prompt: rendered.text,
        neutralised_messages: rendered.diagnostics.len(),
        prefill,
        declared_tools: declared,
        left_out_tools: left_out.to_vec(),
        sampling,
        render,
    })
}

/// Responses input items as chat messages: consecutive reasoning, assistant message
/// and function-call items form one assistant message (a new one starts when
/// reasoning or text follows a call, or reasoning follows text).
fn responses_messages(req: &ResponsesRequest) -> Vec<ChatMessage> {
    let mut out: Vec<ChatMessage> = Vec::with_capacity(req.input.len() + 1);
    if let Some(instructions) = req.instructions.as_deref().filter(|i| !i.is_empty()) {
        out.push(ChatMessage::new(ChatRole::System, instructions));
    }
    let mut turn: Option<ChatMessage> = None;
    fn flush(turn: &mut Option<ChatMessage>, out: &mut Vec<ChatMessage>) {
        if let Some(t) = turn.take() {
            out.push(t);
        }
    }
    for item in &req.input {
        match item {
            InputItem::Reasoning { text, .. } => {
                if turn
                    .as_ref()
                    .is_some_and(|t| !t.tool_calls.is_empty() || t.content.is_some())
                {
                    flush(&mut turn, &mut out);
                }
                if text.is_empty() {
                    continue;
                }
                let t = turn.get_or_insert_with(assistant);
                match &mut t.reasoning {
                    Some(r) => {
                        r.push('\n');
                        r.push_str(text);
                    }
                    None => t.reasoning = Some(text.clone()),
                }
            }
            InputItem::Message {
                role: ChatRole::Assistant,
                text,
            } => {
                if turn.as_ref().is_some_and(|t| !t.tool_calls.is_empty()) {
                    flush(&mut turn, &mut out);
                }
                let t = turn.get_or_insert_with(assistant);
                match &mut t.content {
                    Some(c) => {
                        c.push('\n');
                        c.push_str(text);
                    }
                    None => t.content = Some(text.clone()),
                }
            }
            InputItem::FunctionCall {
                call_id,
                name,
                arguments,
            } => {
                let t = turn.get_or_insert_with(assistant);
                t.tool_calls.push(ChatToolCall::new(
                    call_id.as_str(),
                    name.as_str(),
                    arguments.as_str(),
                ));
            }
            InputItem::FunctionCallOutput { call_id, output } => {
                flush(&mut turn, &mut out);
                let mut m = ChatMessage::new(ChatRole::Tool, output.as_str());
                m.tool_call_id = Some(call_id.clone());
                out.push(m);
            }
            InputItem::Message { role, text } => {
                flush(&mut turn, &mut out);
                out.push(ChatMessage::new(*role, text.as_str()));
            }
        }
    }
    flush(&mut turn, &mut out);
    out
}

fn assistant() -> ChatMessage {
    ChatMessage {
        role: ChatRole::Assistant,
        ..ChatMessage::default()
    }
}
