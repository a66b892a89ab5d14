//! Per-request settings ([`ChatSettings`]): what a caller may change for one request
//! without building another client.

use harmony_chat::{ReasoningEffort, ResponseFormat, SystemContent};

use crate::transport::config::ChatMode;
use crate::transport::options::{KeepAlive, Options};

/// Per-request settings of [`OllamaClient::complete_with`](crate::OllamaClient::complete_with),
/// [`stream_with`](crate::OllamaClient::stream_with) and [`ToolLoop::settings`](crate::ToolLoop::settings):
/// each one set replaces the client's for this request, each one left `None` keeps it.
///
/// ```
/// use harmony_ollama::{ChatMode, ChatSettings, KeepAlive, Options, ReasoningEffort};
/// let s = ChatSettings::new()
///     .mode(ChatMode::Harmony)
///     .reasoning_effort(ReasoningEffort::High)
///     .options(Options::new().num_ctx(8192))
///     .keep_alive(KeepAlive::Forever);
/// assert_eq!(s.mode, Some(ChatMode::Harmony));
/// assert_eq!(s.reasoning_effort, Some(ReasoningEffort::High));
/// assert!(s.options.is_some() && s.keep_alive.is_some());
/// assert_eq!(ChatSettings::new().mode, None);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ChatSettings {
    /// Harmony or standard mode.
    pub mode: Option<ChatMode>,
    /// The reasoning effort (harmony mode: the system message; standard mode: `think`).
    pub reasoning_effort: Option<ReasoningEffort>,
    /// Model options (`num_ctx`, temperature, `num_predict`, ...), all of them: the
    /// client's are not merged in.
    pub options: Option<Options>,
    /// How long Ollama keeps the model loaded after this request.
    pub keep_alive: Option<KeepAlive>,
    /// Structured output. Standard mode sends it as Ollama's `format` (`"json"`, or the
    /// schema), which Ollama enforces with a grammar; harmony mode asks for it in the
    /// developer message's `# Response Formats` section, as gpt-oss was trained
    /// ([`ResponseFormat::developer_section`]).
    pub format: Option<ResponseFormat>,
    /// The harmony system message (model identity, knowledge cutoff, current date,
    /// built-in tools), harmony mode only: standard mode's system message is written by
    /// Ollama's template (which adds today's date itself). A
    /// [`reasoning_effort`](Self::reasoning_effort) set here or on the client replaces
    /// this one's. `None`: [`SystemContent::default`], which has no date.
    pub system: Option<SystemContent>,
}

impl ChatSettings {
    /// Nothing set: the client's settings apply.
    ///
    /// ```
    /// assert_eq!(harmony_ollama::ChatSettings::new(), Default::default());
    /// ```
    pub fn new() -> Self {
        ChatSettings::default()
    }

    /// Sets the mode.
    ///
    /// ```
    /// use harmony_ollama::{ChatMode, ChatSettings};
    /// assert_eq!(ChatSettings::new().mode(ChatMode::Standard).mode, Some(ChatMode::Standard));
    /// ```
    pub fn mode(mut self, mode: ChatMode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// Sets the reasoning effort.
    ///
    /// ```
    /// use harmony_ollama::{ChatSettings, ReasoningEffort};
    /// let s = ChatSettings::new().reasoning_effort(ReasoningEffort::Low);
    /// assert_eq!(s.reasoning_effort, Some(ReasoningEffort::Low));
    /// ```
    pub fn reasoning_effort(mut self, effort: ReasoningEffort) -> Self {
        self.reasoning_effort = Some(effort);
        self
    }

    /// Sets the model options.
    ///
    /// ```
    /// use harmony_ollama::{ChatSettings, Options};
    /// let s = ChatSettings::new().options(Options::new().num_ctx(4096));
    /// assert_eq!(s.options, Some(Options::new().num_ctx(4096)));
    /// ```
    pub fn options(mut self, options: Options) -> Self {
        self.options = Some(options);
        self
    }

    /// Sets `keep_alive`.
    ///
    /// ```
    /// use harmony_ollama::{ChatSettings, KeepAlive};
    /// assert_eq!(ChatSettings::new().keep_alive(KeepAlive::Forever).keep_alive, Some(KeepAlive::Forever));
    /// ```
    pub fn keep_alive(mut self, keep_alive: KeepAlive) -> Self {
        self.keep_alive = Some(keep_alive);
        self
    }

    /// Sets the structured output format.
    ///
    /// ```
    /// use harmony_ollama::{ChatSettings, ResponseFormat};
    /// let s = ChatSettings::new().format(ResponseFormat::JsonObject);
    /// assert_eq!(s.format, Some(ResponseFormat::JsonObject));
    /// ```
    pub fn format(mut self, format: ResponseFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// Sets the harmony system message's content (harmony mode).
    ///
    /// ```
    /// use harmony_ollama::{ChatSettings, SystemContent};
    /// let s = ChatSettings::new().system(SystemContent::new().with_current_date());
    /// assert!(s.system.unwrap().conversation_start_date.is_some());
    /// ```
    pub fn system(mut self, system: SystemContent) -> Self {
        self.system = Some(system);
        self
    }
}
