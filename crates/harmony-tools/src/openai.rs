//! OpenAI Chat Completions streaming chunks from a gpt-oss stream, so that clients written
//! for OpenAI's API consume gpt-oss output unchanged.

use harmony_stream::{Channel, Event, Stop};
use serde::{Deserialize, Serialize};

use crate::{ToolEvent, ToolExtractor};

/// One `chat.completion.chunk` object, as OpenAI streams them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionChunk {
    /// Completion id, the same on every chunk.
    pub id: String,
    /// Always `chat.completion.chunk`.
    pub object: String,
    /// Unix time the completion was created.
    pub created: u64,
    /// Model name.
    pub model: String,
    /// One choice (index 0).
    pub choices: Vec<ChunkChoice>,
}

/// A choice in a chunk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChunkChoice {
    /// Always 0.
    pub index: u32,
    /// What is new.
    pub delta: ChunkDelta,
    /// Set on the last chunk: `stop`, `tool_calls` or `length`.
    pub finish_reason: Option<String>,
}

/// What a chunk adds. Absent fields are omitted from the JSON, as OpenAI does.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChunkDelta {
    /// `assistant`, on the first chunk.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub role: Option<String>,
    /// Visible text: the final answer and preambles.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub content: Option<String>,
    /// Chain of thought (the `analysis` channel), under the name vLLM and others use.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reasoning_content: Option<String>,
    /// Tool-call pieces.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
}

/// A piece of a tool call: the first carries `id`, `type` and `function.name`; the next
/// ones carry `function.arguments` fragments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCallDelta {
    /// Index of the call in the completion.
    pub index: usize,
    /// Call id, on the first piece.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<String>,
    /// `function`, on the first piece.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none", default)]
    pub kind: Option<String>,
    /// Name and argument fragments.
    pub function: FunctionDelta,
}

/// The function part of a [`ToolCallDelta`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionDelta {
    /// Function name, on the first piece.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// Argument text: empty on the first piece, then fragments in order.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub arguments: Option<String>,
}

/// Why the completion ended, as OpenAI names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinishReason {
    /// The model finished its answer.
    Stop,
    /// The model stopped to have tools called.
    ToolCalls,
    /// The output was cut (token limit).
    Length,
}

impl FinishReason {
    /// `stop`, `tool_calls` or `length`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::Length => "length",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Reasoning,
    Content,
    Tool,
    Drop,
}

/// Turns harmony events into Chat Completions chunks.
///
/// Analysis becomes `reasoning_content`; final, preambles and channel-less text become
/// `content`; calls become `tool_calls` with their arguments streamed in fragments (Ollama
/// and the reference only deliver them whole). Call [`finish`](OpenAiStream::finish) for
/// the last chunk with its `finish_reason`.
///
/// ```
/// use harmony_stream::{Event, TextParser};
/// use harmony_tools::OpenAiStream;
///
/// let mut parser = TextParser::new();
/// let mut openai = OpenAiStream::new("chatcmpl-1", "gpt-oss:20b", 0)
///     .with_tools(harmony_tools::ToolExtractor::new().with_ids(|i| format!("call_{i}")));
/// let mut chunks = Vec::new();
/// let mut sink = |e: Event<'_>| openai.observe(&e, &mut |c| chunks.push(c));
/// parser.feed(b"<|channel|>commentary to=functions.add<|message|>{\"a\": 1}<|call|>", &mut sink);
/// parser.finish(&mut sink);
/// chunks.push(openai.finish());
/// let json = serde_json::to_value(&chunks).unwrap();
/// assert_eq!(json[0]["choices"][0]["delta"]["tool_calls"][0]["function"]["name"], "add");
/// assert_eq!(json[1]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"], "{\"a\": 1}");
/// assert_eq!(json[2]["choices"][0]["finish_reason"], "tool_calls");
/// ```
#[derive(Debug)]
pub struct OpenAiStream {
    id: String,
    model: String,
    created: u64,
    tools: ToolExtractor,
    route: Route,
    sent_role: bool,
    last_stop: Option<Stop>,
    saw_call: bool,
}

impl OpenAiStream {
    /// A stream of chunks with this completion id, model name and creation time.
    pub fn new(id: impl Into<String>, model: impl Into<String>, created: u64) -> Self {
        OpenAiStream {
            id: id.into(),
            model: model.into(),
            created,
            tools: ToolExtractor::new(),
            route: Route::Drop,
            sent_role: false,
            last_stop: None,
            saw_call: false,
        }
    }

    /// Uses this extractor for tool calls (declared tools, name map, ids).
    pub fn with_tools(mut self, tools: ToolExtractor) -> Self {
        self.tools = tools;
        self
    }

    /// Reads one event; emits the chunks it implies (none, or one).
    pub fn observe(&mut self, event: &Event<'_>, out: &mut impl FnMut(ChatCompletionChunk)) {
        match event {
            Event::MessageStart(h) => {
                self.route = if h.is_tool_call() {
                    Route::Tool
                } else if h.role() != harmony_stream::Role::Assistant {
                    Route::Drop
                } else if h.known_channel() == Some(Channel::Analysis) {
                    Route::Reasoning
                } else {
                    Route::Content
                };
            }
            Event::Delta(d) => match self.route {
                Route::Reasoning => {
                    let delta = ChunkDelta {
                        reasoning_content: Some((*d).to_owned()),
                        ..ChunkDelta::default()
                    };
                    out(self.chunk(delta, None));
                }
                Route::Content => {
                    let delta = ChunkDelta {
                        content: Some((*d).to_owned()),
                        ..ChunkDelta::default()
                    };
                    out(self.chunk(delta, None));
                }
                Route::Tool | Route::Drop => {}
            },
            Event::MessageEnd(stop) => self.last_stop = Some(*stop),
            Event::Diagnostic(_) => {}
        }
        let mut pieces = Vec::new();
        self.tools.observe(event, &mut |t: ToolEvent<'_>| match t {
            ToolEvent::Start(s) => pieces.push(ToolCallDelta {
                index: s.index,
                id: Some(s.id.clone()),
                kind: Some("function".to_owned()),
                function: FunctionDelta {
                    name: Some(s.name.clone()),
                    arguments: Some(String::new()),
                },
            }),
            ToolEvent::Args { index, delta } => pieces.push(ToolCallDelta {
                index,
                id: None,
                kind: None,
                function: FunctionDelta {
                    name: None,
                    arguments: Some(delta.to_owned()),
                },
            }),
            ToolEvent::End(_) | ToolEvent::Diagnostic(_) => {}
        });
        if !pieces.is_empty() {
            self.saw_call = true;
            let delta = ChunkDelta {
                tool_calls: Some(pieces),
                ..ChunkDelta::default()
            };
            out(self.chunk(delta, None));
        }
    }

    /// The last chunk: empty delta, `finish_reason` from how the completion ended.
    pub fn finish(&mut self) -> ChatCompletionChunk {
        let reason = self.finish_reason();
        self.chunk(ChunkDelta::default(), Some(reason))
    }

    /// How the completion ended so far: `length` if the last message was cut, `tool_calls`
    /// if the model called a tool, `stop` otherwise.
    pub fn finish_reason(&self) -> FinishReason {
        match self.last_stop {
            Some(Stop::Eof) => FinishReason::Length,
            _ if self.saw_call => FinishReason::ToolCalls,
            _ => FinishReason::Stop,
        }
    }

    fn chunk(
        &mut self,
        mut delta: ChunkDelta,
        finish: Option<FinishReason>,
    ) -> ChatCompletionChunk {
        if !std::mem::replace(&mut self.sent_role, true) {
            delta.role = Some("assistant".to_owned());
        }
        ChatCompletionChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".to_owned(),
            created: self.created,
            model: self.model.clone(),
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                finish_reason: finish.map(|f| f.as_str().to_owned()),
            }],
        }
    }
}
