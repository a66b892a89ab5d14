//! A tool loop: ask the model, run the tools it calls, give it the results, until it
//! answers or a step limit is hit.

use std::future::Future;

use harmony_chat::{ChatMessage, ChatRole, ChatTool};
use harmony_tools::ToolCall;

use crate::client::OllamaClient;
use crate::modes::events::StreamEvent;
use crate::modes::response::HarmonyResponse;
use crate::modes::settings::ChatSettings;
use crate::transport::config::ChatMode;
use crate::transport::error::Error;

/// Default for [`ToolLoop::max_steps`].
pub const DEFAULT_MAX_STEPS: usize = 8;

/// A tool loop over one client, model and tool set. Built by
/// [`OllamaClient::tool_loop`]; run with [`run`](ToolLoop::run).
///
/// ```
/// use harmony_ollama::{ChatMode, OllamaClient};
/// let client = OllamaClient::builder().build().unwrap();
/// let tool_loop = client.tool_loop("gpt-oss:20b", &[]).mode(ChatMode::Harmony).max_steps(4);
/// assert_eq!(tool_loop.steps_limit(), 4);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ToolLoop<'c> {
    client: &'c OllamaClient,
    model: String,
    tools: Vec<ChatTool>,
    settings: ChatSettings,
    max_steps: usize,
}

/// How a [`ToolLoop`] ended.
///
/// ```
/// let outcome = harmony_ollama::ToolLoopOutcome::default();
/// assert!(!outcome.limit_reached && outcome.messages.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ToolLoopOutcome {
    /// The last response: the final answer, or (when the limit was hit) the last calls.
    pub response: HarmonyResponse,
    /// The whole conversation: the input, then every assistant tool-call message and
    /// tool result appended, then the final answer as an assistant message (when there
    /// is one). Ready to continue with the next user message.
    pub messages: Vec<ChatMessage>,
    /// Model requests made.
    pub steps: usize,
    /// Tools executed, in order.
    pub executed: Vec<ToolCall>,
    /// The step limit was hit while the model was still calling tools: `response` holds
    /// calls that were executed but whose results the model has not seen.
    pub limit_reached: bool,
}

impl OllamaClient {
    /// A [`ToolLoop`] for `model` with `tools`, in the configured mode, at most
    /// [`DEFAULT_MAX_STEPS`] model requests.
    ///
    /// ```
    /// let client = harmony_ollama::OllamaClient::builder().build().unwrap();
    /// assert_eq!(client.tool_loop("gpt-oss:20b", &[]).steps_limit(), harmony_ollama::DEFAULT_MAX_STEPS);
    /// ```
    pub fn tool_loop(&self, model: &str, tools: &[ChatTool]) -> ToolLoop<'_> {
        ToolLoop {
            client: self,
            model: model.to_owned(),
            tools: tools.to_vec(),
            settings: ChatSettings::new().mode(self.config().mode),
            max_steps: DEFAULT_MAX_STEPS,
        }
    }
}

impl ToolLoop<'_> {
    /// Standard or harmony mode.
    ///
    /// ```
    /// let client = harmony_ollama::OllamaClient::builder().build().unwrap();
    /// let l = client.tool_loop("m", &[]).mode(harmony_ollama::ChatMode::Harmony);
    /// assert_eq!(l.current_settings().mode, Some(harmony_ollama::ChatMode::Harmony));
    /// ```
    pub fn mode(mut self, mode: ChatMode) -> Self {
        self.settings.mode = Some(mode);
        self
    }

    /// Per-request settings for every request of the loop (reasoning effort, model
    /// options, `keep_alive`, format, system content); a mode left unset keeps the loop's.
    ///
    /// ```
    /// use harmony_ollama::{ChatMode, ChatSettings, ReasoningEffort};
    /// let client = harmony_ollama::OllamaClient::builder().build().unwrap();
    /// let l = client
    ///     .tool_loop("m", &[])
    ///     .mode(ChatMode::Harmony)
    ///     .settings(ChatSettings::new().reasoning_effort(ReasoningEffort::High));
    /// assert_eq!(l.current_settings().mode, Some(ChatMode::Harmony));
    /// assert_eq!(l.current_settings().reasoning_effort, Some(ReasoningEffort::High));
    /// ```
    pub fn settings(mut self, settings: ChatSettings) -> Self {
        let mode = settings.mode.or(self.settings.mode);
        self.settings = settings;
        self.settings.mode = mode;
        self
    }

    /// The settings every request of the loop uses.
    ///
    /// ```
    /// let client = harmony_ollama::OllamaClient::builder().build().unwrap();
    /// assert!(client.tool_loop("m", &[]).current_settings().mode.is_some());
    /// ```
    pub fn current_settings(&self) -> &ChatSettings {
        &self.settings
    }

    /// At most this many model requests (at least 1).
    ///
    /// ```
    /// let client = harmony_ollama::OllamaClient::builder().build().unwrap();
    /// assert_eq!(client.tool_loop("m", &[]).max_steps(0).steps_limit(), 1);
    /// ```
    pub fn max_steps(mut self, steps: usize) -> Self {
        self.max_steps = steps.max(1);
        self
    }

    /// The step limit in effect.
    ///
    /// ```
    /// let client = harmony_ollama::OllamaClient::builder().build().unwrap();
    /// assert_eq!(client.tool_loop("m", &[]).max_steps(3).steps_limit(), 3);
    /// ```
    pub fn steps_limit(&self) -> usize {
        self.max_steps
    }

    /// Runs the loop from `messages`. `execute` runs one call (its `name` and parsed
    /// `arguments` are set) and returns the result text the model will read; report a
    /// tool's failure in that text too, so the model can react.
    ///
    /// Each step: complete the conversation; if the response has no tool call, it is
    /// the answer. Otherwise append an assistant message (its reasoning, preamble and
    /// calls, with ids `call_<step>_<index>`) and one tool message per call, then go on.
    /// A call whose arguments are not a JSON object is not executed: its result tells
    /// the model why, so it can call again. Transport errors end the loop with the
    /// error.
    ///
    /// Against the bundled fake Ollama, scripted with a call and then an answer:
    ///
    /// ```
    /// use harmony_chat::{ChatMessage, ChatRole, ChatTool};
    /// use harmony_ollama::testing::{FakeOllama, OllamaNdjson, Reply};
    /// use harmony_ollama::{ChatMode, OllamaClient};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let mut call = OllamaNdjson::new("gpt-oss:20b");
    /// call.response("<|channel|>commentary to=functions.get_weather<|message|>{\"city\":\"Paris\"}").generate_done("stop");
    /// let mut answer = OllamaNdjson::new("gpt-oss:20b");
    /// answer.response("<|channel|>final<|message|>21 °C in Paris.").generate_done("stop");
    /// let server = FakeOllama::start([Reply::ndjson(call.finish()), Reply::ndjson(answer.finish())]).await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).mode(ChatMode::Harmony).build().unwrap();
    /// let tools: Vec<ChatTool> = serde_json::from_value(serde_json::json!([{"type": "function",
    ///     "function": {"name": "get_weather", "parameters": {"type": "object"}}}])).unwrap();
    /// let outcome = client
    ///     .tool_loop("gpt-oss:20b", &tools)
    ///     .run(vec![ChatMessage::new(ChatRole::User, "Weather in Paris?")], |call| async move {
    ///         assert_eq!(call.arguments.unwrap()["city"], "Paris");
    ///         "{\"temp\": 21}".to_owned()
    ///     })
    ///     .await
    ///     .unwrap();
    /// assert_eq!(outcome.response.final_content.as_deref(), Some("21 °C in Paris."));
    /// assert_eq!((outcome.steps, outcome.messages.len()), (2, 4));
    /// # });
    /// ```
    ///
    /// With a real Ollama:
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), harmony_ollama::Error> {
    /// use harmony_chat::{ChatMessage, ChatRole, ChatTool};
    /// let client = harmony_ollama::OllamaClient::from_env()?;
    /// let tools: Vec<ChatTool> = serde_json::from_value(serde_json::json!([{"type": "function",
    ///     "function": {"name": "get_weather", "parameters": {"type": "object"}}}])).unwrap();
    /// let outcome = client
    ///     .tool_loop("gpt-oss:20b", &tools)
    ///     .run(vec![ChatMessage::new(ChatRole::User, "Weather in Paris?")], |call| async move {
    ///         format!("{{\"city\": {}, \"temp\": 21}}", call.arguments.unwrap_or_default()["city"])
    ///     })
    ///     .await?;
    /// println!("{:?}", outcome.response.final_content);
    /// # Ok(()) }
    /// ```
    pub async fn run<F, Fut>(
        &self,
        messages: Vec<ChatMessage>,
        execute: F,
    ) -> Result<ToolLoopOutcome, Error>
    where
        F: FnMut(ToolCall) -> Fut,
        Fut: Future<Output = String>,
    {
        self.run_with_events(messages, execute, |_, _| {}).await
    }

    /// [`run`](Self::run), streaming: `on_event` sees every [`StreamEvent`] of every
    /// step as it arrives, with the step's number (from 1), so an agent can print the
    /// reasoning, the answer and each call's arguments while they are generated. The
    /// outcome is the one `run` returns.
    ///
    /// ```
    /// use harmony_chat::{ChatMessage, ChatRole, ChatTool};
    /// use harmony_ollama::testing::{FakeOllama, OllamaNdjson, Reply};
    /// use harmony_ollama::{ChatMode, OllamaClient, StreamEvent};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let mut call = OllamaNdjson::new("gpt-oss:20b");
    /// call.response("<|channel|>commentary to=functions.now<|message|>{}").generate_done("stop");
    /// let mut answer = OllamaNdjson::new("gpt-oss:20b");
    /// answer.response("<|channel|>final<|message|>It is ").response("noon.").generate_done("stop");
    /// let server = FakeOllama::start([Reply::ndjson(call.finish()), Reply::ndjson(answer.finish())]).await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).mode(ChatMode::Harmony).build().unwrap();
    /// let tools = [ChatTool::function("now", "The time.", serde_json::json!({"type": "object"}))];
    /// let mut seen = Vec::new();
    /// let outcome = client
    ///     .tool_loop("gpt-oss:20b", &tools)
    ///     .run_with_events(
    ///         vec![ChatMessage::new(ChatRole::User, "Time?")],
    ///         |_call| async { "12:00".to_owned() },
    ///         |step, event| match event {
    ///             StreamEvent::ToolCallStart(start) => seen.push(format!("{step}: call {}", start.name)),
    ///             StreamEvent::Delta { text, .. } => seen.push(format!("{step}: {text}")),
    ///             _ => {}
    ///         },
    ///     )
    ///     .await
    ///     .unwrap();
    /// assert_eq!(seen, ["1: call now", "2: It is ", "2: noon."]);
    /// assert_eq!(outcome.response.final_content.as_deref(), Some("It is noon."));
    /// # });
    /// ```
    pub async fn run_with_events<F, Fut, E>(
        &self,
        mut messages: Vec<ChatMessage>,
        mut execute: F,
        mut on_event: E,
    ) -> Result<ToolLoopOutcome, Error>
    where
        F: FnMut(ToolCall) -> Fut,
        Fut: Future<Output = String>,
        E: FnMut(usize, &StreamEvent) + Send,
    {
        let mut executed = Vec::new();
        let mut step = 0;
        loop {
            step += 1;
            let response = self
                .client
                .complete_observed(
                    &self.model,
                    &messages,
                    &self.tools,
                    &self.settings,
                    &mut |event| on_event(step, event),
                )
                .await?;
            if response.tool_calls.is_empty() {
                if response.final_content.is_some() {
                    messages.push(response.to_message());
                }
                return Ok(ToolLoopOutcome {
                    response,
                    messages,
                    steps: step,
                    executed,
                    limit_reached: false,
                });
            }
            let ids: Vec<String> = (0..response.tool_calls.len())
                .map(|i| format!("call_{step}_{i}"))
                .collect();
            // Ids unique across the loop's steps (standard mode's calls may come without
            // any, and then every step would number its calls from `call_0`).
            let mut assistant = response.to_message();
            for (c, id) in assistant.tool_calls.iter_mut().zip(&ids) {
                c.id = Some(id.clone());
            }
            messages.push(assistant);
            for (call, id) in response.tool_calls.iter().zip(ids) {
                let result = match &call.arguments_error {
                    Some(e) => format!(
                        "error: the call was not run because {e}; call {} again with a JSON object of arguments",
                        call.name
                    ),
                    None => {
                        executed.push(call.clone());
                        execute(call.clone()).await
                    }
                };
                let mut m = ChatMessage::new(ChatRole::Tool, result);
                m.name = Some(call.name.clone());
                m.tool_call_id = Some(id);
                messages.push(m);
            }
            if step >= self.max_steps {
                return Ok(ToolLoopOutcome {
                    response,
                    messages,
                    steps: step,
                    executed,
                    limit_reached: true,
                });
            }
        }
    }
}
