//! One assistant turn through the gateway, whatever the client's protocol: the context
//! budget, the upstream request, and the mode engine over what comes back.

use std::collections::VecDeque;
use std::pin::Pin;

use futures_util::{Stream, StreamExt};
use harmony_chat::{Conversation, Renderer, Role};
use harmony_ollama::{ChatMode, Engine, GenerateEvent, Options, StreamEvent};
use harmony_openai::{Prefill, TurnOutcome};

use crate::monitor::TurnInfo;

use crate::error::GatewayError;
use crate::state::AppState;
use crate::upstream::{CompletionRequest, UpstreamEvents};

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
    /// How the turn must end (a forced tool call, a JSON answer): applied after the
    /// model's own reasoning, by continuing the prompt (docs/design.md, the gateway).
    pub prefill: Prefill,
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
    /// Checks the budget, starts the upstream completion, and wraps it in the engine
    /// (and, when the first completion stops short of what was asked, the one
    /// continuation).
    pub async fn start(state: &AppState, mut spec: TurnSpec) -> Result<Turn, GatewayError> {
        let prompt_tokens = count_tokens(&state.renderer, &spec);
        let budget = budget(state, &spec, prompt_tokens).await?;
        spec.options.num_predict = Some(i32::try_from(budget.completion).unwrap_or(i32::MAX));
        if let Some(ctx) = budget.num_ctx {
            spec.options.num_ctx = Some(ctx);
        }
        // The model reasons first: when a prefill may follow, the first completion
        // stops where the model starts a final answer.
        let mut first = spec.options.clone();
        let stops = spec.prefill.first_stops();
        if !stops.is_empty() {
            let list = first.stop.get_or_insert_with(Vec::new);
            list.extend(stops.iter().map(|s| (*s).to_owned()));
        }
        let request = CompletionRequest {
            model: spec.model.clone(),
            prompt: spec.prompt.clone(),
            options: first,
        };
        let upstream = state.upstream.complete(&request).await?;
        let mut recorder = state.monitor.begin(TurnInfo {
            protocol: spec.protocol,
            model: spec.model.clone(),
            prompt_tokens,
            tool_results: tool_results(&spec.conversation),
        });
        let flow = Flow {
            engine: Engine::new(ChatMode::Harmony).with_declared(spec.tools.clone()),
            continue_empty: state.config.continue_empty_turns,
            state: state.clone(),
            spec,
            upstream,
            raw: String::new(),
            outcome: TurnOutcome::new(),
            queue: VecDeque::new(),
            continued: None,
            over: false,
        };
        let events = futures_util::stream::unfold(flow, Flow::next).map(move |e| {
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

/// What the continuation changes in the events of its completion.
#[derive(Debug, Clone, Copy)]
struct Continued {
    /// Calls the first completion made: the continuation's calls come after them.
    calls: usize,
    /// Tokens the first completion generated, added to the final count.
    spent: u64,
}

/// One turn's completions through the engine: the first, and at most one
/// continuation with a prefill (the forced call or JSON answer after the model's own
/// reasoning, or a final answer after a turn of reasoning only).
struct Flow {
    state: AppState,
    spec: TurnSpec,
    continue_empty: bool,
    upstream: UpstreamEvents,
    engine: Engine,
    /// The first completion's raw text, which the continuation's prompt repeats.
    raw: String,
    outcome: TurnOutcome,
    queue: VecDeque<Result<StreamEvent, harmony_ollama::Error>>,
    /// Set once the continuation runs.
    continued: Option<Continued>,
    over: bool,
}

impl Flow {
    async fn next(mut self) -> Option<(Result<StreamEvent, harmony_ollama::Error>, Flow)> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some((item, self));
            }
            if self.over {
                return None;
            }
            match self.upstream.next().await {
                Some(Ok(GenerateEvent::Done(done))) if self.continued.is_none() => {
                    self.first_done(done).await;
                }
                Some(Ok(event)) => {
                    if let (None, GenerateEvent::Response(text)) = (&self.continued, &event) {
                        self.raw.push_str(text);
                    }
                    self.feed(event);
                    self.over = self.engine.is_finished();
                }
                Some(Err(e)) => {
                    self.abort();
                    self.queue.push_back(Err(e));
                }
                None => self.abort(),
            }
        }
    }

    /// One event through the engine; the continuation's events are shifted after
    /// the first completion's.
    fn feed(&mut self, event: GenerateEvent) {
        let Flow {
            engine,
            queue,
            outcome,
            continued,
            ..
        } = self;
        let continued = *continued;
        engine.generate(event, &mut |mut e| {
            match continued {
                None => outcome.observe(&e),
                Some(c) => shift(&mut e, c),
            }
            queue.push_back(Ok(e));
        });
    }

    fn abort(&mut self) {
        let queue = &mut self.queue;
        self.engine.abort(&mut |e| queue.push_back(Ok(e)));
        self.over = true;
    }

    /// The first completion is over: the turn ends, or it is continued once.
    async fn first_done(&mut self, done: harmony_ollama::Done) {
        let mut batch = Vec::new();
        self.engine
            .generate(GenerateEvent::Done(done), &mut |e| batch.push(e));
        batch.iter().for_each(|e| self.outcome.observe(e));
        let prefill = match &self.spec.prefill {
            Prefill::None if !self.continue_empty => None,
            plan => self.outcome.continuation(plan),
        };
        let Some(prefill) = prefill else {
            self.queue.extend(batch.into_iter().map(Ok));
            self.over = true;
            return;
        };
        let mut spent = 0;
        for e in batch {
            match e {
                StreamEvent::Done(d) => spent = d.metrics.eval_count.unwrap_or(0),
                // About the header the stop sequence cut (`<|start|>assistant`), which
                // the continuation completes.
                StreamEvent::Diagnostic(_) => {}
                other => self.queue.push_back(Ok(other)),
            }
        }
        let mut options = self.spec.options.clone();
        if let Some(n) = options.num_predict {
            let left = i64::from(n) - i64::try_from(spent).unwrap_or(i64::MAX);
            options.num_predict = Some(i32::try_from(left.max(1)).unwrap_or(1));
        }
        let request = CompletionRequest {
            model: self.spec.model.clone(),
            prompt: prefill.continue_prompt(&self.spec.prompt, &self.raw),
            options,
        };
        match self.state.upstream.complete(&request).await {
            Ok(upstream) => {
                self.upstream = upstream;
                self.engine = Engine::new(ChatMode::Harmony).with_declared(self.spec.tools.clone());
                self.continued = Some(Continued {
                    calls: self.outcome.calls().len(),
                    spent,
                });
                // The engine reads the prefill first, as if the model wrote it.
                let header = prefill.header().unwrap_or_default();
                self.feed(GenerateEvent::Response(header.into()));
            }
            Err(e) => {
                self.queue.push_back(Err(harmony_ollama::Error::Stream {
                    message: e.to_string(),
                    partial: Default::default(),
                }));
                self.over = true;
            }
        }
    }
}

/// A continuation's event, numbered after the first completion's calls and counting
/// its tokens too.
fn shift(e: &mut StreamEvent, c: Continued) {
    match e {
        StreamEvent::ToolCallStart(s) => s.index += c.calls,
        StreamEvent::ToolCallArgs { index, .. } => *index += c.calls,
        StreamEvent::ToolCallEnd(end) => end.index += c.calls,
        StreamEvent::ResponseDiagnostic(d) => {
            if let Some(i) = &mut d.call {
                *i += c.calls;
            }
        }
        StreamEvent::Done(d) => {
            d.metrics.eval_count = Some(d.metrics.eval_count.unwrap_or(0) + c.spent);
        }
        _ => {}
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

/// Tokens of the rendered prompt.
fn count_tokens(renderer: &Renderer, spec: &TurnSpec) -> u32 {
    let renderer: &Renderer = renderer;
    let prompt = renderer
        .render_conversation_for_completion(&spec.conversation.messages, Role::Assistant)
        .map(|ids| ids.len())
        // Unrenderable here means it was rendered to text some other way: count that.
        .unwrap_or_else(|_| renderer.encode(&spec.prompt).len());
    u32::try_from(prompt).unwrap_or(u32::MAX)
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
