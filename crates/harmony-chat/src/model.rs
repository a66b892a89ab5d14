//! The conversation model: roles, authors, messages and the structured system and
//! developer contents.
//!
//! The serde shape is exactly `openai-harmony`'s, so a `Conversation` serialised by one
//! library deserialises in the other unchanged.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::RenderError;

/// Who wrote a message.
///
/// ```
/// use harmony_chat::Role;
///
/// assert_eq!("assistant".parse::<Role>().unwrap(), Role::Assistant);
/// assert_eq!(Role::Tool.as_str(), "tool");
/// assert!("robot".parse::<Role>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The end user.
    User,
    /// The model.
    Assistant,
    /// The system message: identity, dates, reasoning effort, channels, built-in tools.
    System,
    /// The developer message: instructions and function tools.
    Developer,
    /// A tool's output; the author name says which tool (e.g. `functions.get_weather`).
    Tool,
}

impl Role {
    /// The role as written in a message header.
    ///
    /// ```
    /// assert_eq!(harmony_chat::Role::Developer.as_str(), "developer");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::System => "system",
            Role::Developer => "developer",
            Role::Tool => "tool",
        }
    }
}

// The parser's role (harmony-stream, no serde) and this one (serde, the conversation
// model) name the same five roles; the conversions are total both ways.

/// ```
/// assert_eq!(harmony_chat::Role::from(harmony_stream::Role::Tool), harmony_chat::Role::Tool);
/// ```
impl From<harmony_stream::Role> for Role {
    fn from(role: harmony_stream::Role) -> Role {
        match role {
            harmony_stream::Role::System => Role::System,
            harmony_stream::Role::Developer => Role::Developer,
            harmony_stream::Role::User => Role::User,
            harmony_stream::Role::Assistant => Role::Assistant,
            harmony_stream::Role::Tool => Role::Tool,
        }
    }
}

/// ```
/// let parsed: harmony_stream::Role = harmony_chat::Role::Developer.into();
/// assert_eq!(parsed, harmony_stream::Role::Developer);
/// ```
impl From<Role> for harmony_stream::Role {
    fn from(role: Role) -> harmony_stream::Role {
        match role {
            Role::System => harmony_stream::Role::System,
            Role::Developer => harmony_stream::Role::Developer,
            Role::User => harmony_stream::Role::User,
            Role::Assistant => harmony_stream::Role::Assistant,
            Role::Tool => harmony_stream::Role::Tool,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = RenderError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(Role::User),
            "assistant" => Ok(Role::Assistant),
            "system" => Ok(Role::System),
            "developer" => Ok(Role::Developer),
            "tool" => Ok(Role::Tool),
            other => Err(RenderError::UnknownRole(other.to_owned())),
        }
    }
}

/// The author of a message: a role and an optional name.
///
/// For tool messages the name is the tool (`functions.get_weather`, `browser.search`) and
/// it is what the header shows; for other roles it is rendered as `role:name`.
///
/// ```
/// use harmony_chat::{Author, Role};
///
/// let tool = Author::new(Role::Tool, "functions.get_weather");
/// assert_eq!(tool.name.as_deref(), Some("functions.get_weather"));
/// assert_eq!(Author::from(Role::User).name, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// The role.
    pub role: Role,
    /// The name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Author {
    /// An author with a name.
    ///
    /// ```
    /// let a = harmony_chat::Author::new(harmony_chat::Role::User, "alice");
    /// assert_eq!(a.name.as_deref(), Some("alice"));
    /// ```
    pub fn new(role: Role, name: impl Into<String>) -> Self {
        Author {
            role,
            name: Some(name.into()),
        }
    }
}

impl From<Role> for Author {
    fn from(role: Role) -> Self {
        Author { role, name: None }
    }
}

/// How hard the model should think.
///
/// Serialised as `"Low"`, `"Medium"`, `"High"` like the reference; the lowercase forms
/// are accepted too.
///
/// ```
/// use harmony_chat::ReasoningEffort;
///
/// assert_eq!("high".parse::<ReasoningEffort>().unwrap(), ReasoningEffort::High);
/// assert_eq!(ReasoningEffort::Low.as_str(), "low");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReasoningEffort {
    /// `Reasoning: low`.
    #[serde(alias = "low")]
    Low,
    /// `Reasoning: medium` (the default).
    #[serde(alias = "medium")]
    Medium,
    /// `Reasoning: high`.
    #[serde(alias = "high")]
    High,
}

impl ReasoningEffort {
    /// The effort as written in the system message.
    ///
    /// ```
    /// assert_eq!(harmony_chat::ReasoningEffort::Medium.as_str(), "medium");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ReasoningEffort::Low => "low",
            ReasoningEffort::Medium => "medium",
            ReasoningEffort::High => "high",
        }
    }
}

impl FromStr for ReasoningEffort {
    type Err = RenderError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(ReasoningEffort::Low),
            "medium" => Ok(ReasoningEffort::Medium),
            "high" => Ok(ReasoningEffort::High),
            _ => Err(RenderError::UnknownReasoningEffort(s.to_owned())),
        }
    }
}

/// Which channels the model may write to.
///
/// ```
/// let c = harmony_chat::ChannelConfig::require_channels(["analysis", "final"]);
/// assert!(c.channel_required);
/// assert_eq!(c.valid_channels, ["analysis", "final"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChannelConfig {
    /// The valid channels; when empty, the system message does not mention channels.
    #[serde(default)]
    pub valid_channels: Vec<String>,
    /// Whether every assistant message must name a channel.
    #[serde(default)]
    pub channel_required: bool,
}

impl ChannelConfig {
    /// These channels, required on every message.
    ///
    /// ```
    /// let c = harmony_chat::ChannelConfig::require_channels(["final"]);
    /// assert_eq!(c.valid_channels.len(), 1);
    /// ```
    pub fn require_channels<I, T>(channels: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        ChannelConfig {
            valid_channels: channels.into_iter().map(Into::into).collect(),
            channel_required: true,
        }
    }
}

/// One tool: a name, a description and JSON Schema parameters.
///
/// ```
/// use harmony_chat::ToolDescription;
///
/// let t = ToolDescription::new(
///     "get_weather",
///     "Gets the weather.",
///     Some(serde_json::json!({"type": "object", "properties": {"city": {"type": "string"}}})),
/// );
/// assert_eq!(t.name, "get_weather");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolDescription {
    /// The tool's name within its namespace.
    pub name: String,
    /// What the tool does; each line becomes a `//` comment.
    pub description: String,
    /// JSON Schema of the parameters, rendered as a TypeScript-like type.
    #[serde(default)]
    pub parameters: Option<serde_json::Value>,
}

impl ToolDescription {
    /// A tool description.
    ///
    /// ```
    /// let t = harmony_chat::ToolDescription::new("now", "The time.", None);
    /// assert!(t.parameters.is_none());
    /// ```
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Option<serde_json::Value>,
    ) -> Self {
        ToolDescription {
            name: name.into(),
            description: description.into(),
            parameters,
        }
    }
}

/// A namespace of tools (`functions`, `browser`, `python`, ...).
///
/// ```
/// let b = harmony_chat::ToolNamespaceConfig::browser();
/// assert_eq!(b.name, "browser");
/// assert_eq!(b.tools.len(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolNamespaceConfig {
    /// The namespace's name; tool calls address `name.tool`.
    pub name: String,
    /// Optional description, rendered above the namespace.
    #[serde(default)]
    pub description: Option<String>,
    /// The tools.
    #[serde(default)]
    pub tools: Vec<ToolDescription>,
}

impl ToolNamespaceConfig {
    /// A namespace.
    ///
    /// ```
    /// let ns = harmony_chat::ToolNamespaceConfig::new("functions", None, vec![]);
    /// assert!(ns.tools.is_empty());
    /// ```
    pub fn new(
        name: impl Into<String>,
        description: Option<String>,
        tools: Vec<ToolDescription>,
    ) -> Self {
        ToolNamespaceConfig {
            name: name.into(),
            description,
            tools,
        }
    }

    /// The built-in `browser` tool, worded exactly as gpt-oss was trained on.
    ///
    /// ```
    /// let b = harmony_chat::ToolNamespaceConfig::browser();
    /// assert_eq!(b.tools[0].name, "search");
    /// ```
    pub fn browser() -> Self {
        ToolNamespaceConfig::new(
            "browser",
            Some("Tool for browsing.\nThe `cursor` appears in brackets before each browsing display: `[{cursor}]`.\nCite information from the tool using the following format:\n`【{cursor}†L{line_start}(-L{line_end})?】`, for example: `【6†L9-L11】` or `【8†L3】`.\nDo not quote more than 10 words directly from the tool output.\nsources=web (default: web)".to_owned()),
            vec![
                ToolDescription::new(
                    "search",
                    "Searches for information related to `query` and displays `topn` results.",
                    Some(serde_json::json!({
                        "type": "object",
                        "properties": {
                            "query": {"type": "string"},
                            "topn": {"type": "number", "default": 10},
                            "source": {"type": "string"}
                        },
                        "required": ["query"]
                    })),
                ),
                ToolDescription::new(
                    "open",
                    "Opens the link `id` from the page indicated by `cursor` starting at line number `loc`, showing `num_lines` lines.\nValid link ids are displayed with the formatting: `【{id}†.*】`.\nIf `cursor` is not provided, the most recent page is implied.\nIf `id` is a string, it is treated as a fully qualified URL associated with `source`.\nIf `loc` is not provided, the viewport will be positioned at the beginning of the document or centered on the most relevant passage, if available.\nUse this function without `id` to scroll to a new location of an opened page.",
                    Some(serde_json::json!({
                        "type": "object",
                        "properties": {
                            "id": {"type": ["number", "string"], "default": -1},
                            "cursor": {"type": "number", "default": -1},
                            "loc": {"type": "number", "default": -1},
                            "num_lines": {"type": "number", "default": -1},
                            "view_source": {"type": "boolean", "default": false},
                            "source": {"type": "string"}
                        }
                    })),
                ),
                ToolDescription::new(
                    "find",
                    "Finds exact matches of `pattern` in the current page, or the page given by `cursor`.",
                    Some(serde_json::json!({
                        "type": "object",
                        "properties": {
                            "pattern": {"type": "string"},
                            "cursor": {"type": "number", "default": -1}
                        },
                        "required": ["pattern"]
                    })),
                ),
            ],
        )
    }

    /// The built-in `python` tool, worded exactly as gpt-oss was trained on.
    ///
    /// ```
    /// let p = harmony_chat::ToolNamespaceConfig::python();
    /// assert!(p.tools.is_empty());
    /// ```
    pub fn python() -> Self {
        ToolNamespaceConfig::new(
            "python",
            Some("Use this tool to execute Python code in your chain of thought. The code will not be shown to the user. This tool should be used for internal reasoning, but not for code that is intended to be visible to the user (e.g. when creating plots, tables, or files).\n\nWhen you send a message containing Python code to python, it will be executed in a stateful Jupyter notebook environment. python will respond with the output of the execution or time out after 120.0 seconds. The drive at '/mnt/data' can be used to save and persist user files. Internet access for this session is UNKNOWN. Depends on the cluster.".to_owned()),
            vec![],
        )
    }
}

/// The system message's content.
///
/// [`SystemContent::default`] is what gpt-oss expects: its identity, knowledge cutoff
/// 2024-06, medium reasoning, and the channels `analysis`, `commentary`, `final`.
///
/// ```
/// use harmony_chat::{ReasoningEffort, SystemContent};
///
/// let sys = SystemContent::new()
///     .with_reasoning_effort(ReasoningEffort::High)
///     .with_conversation_start_date("2025-06-28")
///     .with_browser_tool();
/// assert_eq!(sys.knowledge_cutoff.as_deref(), Some("2024-06"));
/// assert!(sys.tools.unwrap().contains_key("browser"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemContent {
    /// First line of the system message.
    #[serde(default)]
    pub model_identity: Option<String>,
    /// `Reasoning: ...`.
    #[serde(default)]
    pub reasoning_effort: Option<ReasoningEffort>,
    /// Built-in tool namespaces, by name (rendered in name order).
    #[serde(default)]
    pub tools: Option<BTreeMap<String, ToolNamespaceConfig>>,
    /// `Current date: ...`.
    #[serde(default)]
    pub conversation_start_date: Option<String>,
    /// `Knowledge cutoff: ...`.
    #[serde(default)]
    pub knowledge_cutoff: Option<String>,
    /// `# Valid channels: ...`.
    #[serde(default)]
    pub channel_config: Option<ChannelConfig>,
}

impl Default for SystemContent {
    fn default() -> Self {
        SystemContent {
            model_identity: Some(
                "You are ChatGPT, a large language model trained by OpenAI.".to_owned(),
            ),
            reasoning_effort: Some(ReasoningEffort::Medium),
            tools: None,
            conversation_start_date: None,
            knowledge_cutoff: Some("2024-06".to_owned()),
            channel_config: Some(ChannelConfig::require_channels([
                "analysis",
                "commentary",
                "final",
            ])),
        }
    }
}

fn insert_namespace(
    map: &mut Option<BTreeMap<String, ToolNamespaceConfig>>,
    ns: ToolNamespaceConfig,
) {
    map.get_or_insert_with(BTreeMap::new)
        .insert(ns.name.clone(), ns);
}

impl SystemContent {
    /// The default system content (see the type's docs).
    ///
    /// ```
    /// assert_eq!(harmony_chat::SystemContent::new(), Default::default());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the model identity line.
    ///
    /// ```
    /// let s = harmony_chat::SystemContent::new().with_model_identity("You are Bob.");
    /// assert_eq!(s.model_identity.as_deref(), Some("You are Bob."));
    /// ```
    pub fn with_model_identity(mut self, identity: impl Into<String>) -> Self {
        self.model_identity = Some(identity.into());
        self
    }

    /// Sets the reasoning effort.
    ///
    /// ```
    /// use harmony_chat::{ReasoningEffort, SystemContent};
    /// let s = SystemContent::new().with_reasoning_effort(ReasoningEffort::Low);
    /// assert_eq!(s.reasoning_effort, Some(ReasoningEffort::Low));
    /// ```
    pub fn with_reasoning_effort(mut self, effort: ReasoningEffort) -> Self {
        self.reasoning_effort = Some(effort);
        self
    }

    /// Adds (or replaces) a tool namespace.
    ///
    /// ```
    /// use harmony_chat::{SystemContent, ToolNamespaceConfig};
    /// let s = SystemContent::new().with_tools(ToolNamespaceConfig::python());
    /// assert!(s.tools.unwrap().contains_key("python"));
    /// ```
    pub fn with_tools(mut self, namespace: ToolNamespaceConfig) -> Self {
        insert_namespace(&mut self.tools, namespace);
        self
    }

    /// Sets the current date line.
    ///
    /// ```
    /// let s = harmony_chat::SystemContent::new().with_conversation_start_date("2025-01-01");
    /// assert_eq!(s.conversation_start_date.as_deref(), Some("2025-01-01"));
    /// ```
    pub fn with_conversation_start_date(mut self, date: impl Into<String>) -> Self {
        self.conversation_start_date = Some(date.into());
        self
    }

    /// Sets the current date line to today's UTC date (`YYYY-MM-DD`), as Ollama's own
    /// gpt-oss template does for every `/api/chat` request.
    ///
    /// ```
    /// let s = harmony_chat::SystemContent::new().with_current_date();
    /// assert_eq!(s.conversation_start_date, Some(harmony_chat::today_utc()));
    /// ```
    pub fn with_current_date(self) -> Self {
        self.with_conversation_start_date(crate::today_utc())
    }

    /// Sets the knowledge cutoff line.
    ///
    /// ```
    /// let s = harmony_chat::SystemContent::new().with_knowledge_cutoff("2024-01");
    /// assert_eq!(s.knowledge_cutoff.as_deref(), Some("2024-01"));
    /// ```
    pub fn with_knowledge_cutoff(mut self, cutoff: impl Into<String>) -> Self {
        self.knowledge_cutoff = Some(cutoff.into());
        self
    }

    /// Sets the channel configuration.
    ///
    /// ```
    /// use harmony_chat::{ChannelConfig, SystemContent};
    /// let s = SystemContent::new().with_channel_config(ChannelConfig::default());
    /// assert_eq!(s.channel_config, Some(ChannelConfig::default()));
    /// ```
    pub fn with_channel_config(mut self, config: ChannelConfig) -> Self {
        self.channel_config = Some(config);
        self
    }

    /// Requires these channels on every message.
    ///
    /// ```
    /// let s = harmony_chat::SystemContent::new().with_required_channels(["analysis", "final"]);
    /// assert_eq!(s.channel_config.unwrap().valid_channels.len(), 2);
    /// ```
    pub fn with_required_channels<I, T>(mut self, channels: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.channel_config = Some(ChannelConfig::require_channels(channels));
        self
    }

    /// Adds the built-in `browser` tool.
    ///
    /// ```
    /// let s = harmony_chat::SystemContent::new().with_browser_tool();
    /// assert!(s.tools.unwrap().contains_key("browser"));
    /// ```
    pub fn with_browser_tool(self) -> Self {
        self.with_tools(ToolNamespaceConfig::browser())
    }

    /// Adds the built-in `python` tool.
    ///
    /// ```
    /// let s = harmony_chat::SystemContent::new().with_python_tool();
    /// assert!(s.tools.unwrap().contains_key("python"));
    /// ```
    pub fn with_python_tool(self) -> Self {
        self.with_tools(ToolNamespaceConfig::python())
    }
}

/// The developer message's content: instructions and function tools.
///
/// ```
/// use harmony_chat::{DeveloperContent, ToolDescription};
///
/// let dev = DeveloperContent::new()
///     .with_instructions("Answer in riddles.")
///     .with_function_tools(vec![ToolDescription::new("now", "The time.", None)]);
/// assert!(dev.tools.unwrap().contains_key("functions"));
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DeveloperContent {
    /// Rendered under `# Instructions`.
    #[serde(default)]
    pub instructions: Option<String>,
    /// Tool namespaces, by name (rendered in name order).
    #[serde(default)]
    pub tools: Option<BTreeMap<String, ToolNamespaceConfig>>,
}

impl DeveloperContent {
    /// Empty developer content.
    ///
    /// ```
    /// assert!(harmony_chat::DeveloperContent::new().instructions.is_none());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the instructions.
    ///
    /// ```
    /// let d = harmony_chat::DeveloperContent::new().with_instructions("Be brief.");
    /// assert_eq!(d.instructions.as_deref(), Some("Be brief."));
    /// ```
    pub fn with_instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }

    /// Adds (or replaces) a tool namespace.
    ///
    /// ```
    /// use harmony_chat::{DeveloperContent, ToolNamespaceConfig};
    /// let d = DeveloperContent::new().with_tools(ToolNamespaceConfig::new("x", None, vec![]));
    /// assert!(d.tools.unwrap().contains_key("x"));
    /// ```
    pub fn with_tools(mut self, namespace: ToolNamespaceConfig) -> Self {
        insert_namespace(&mut self.tools, namespace);
        self
    }

    /// Sets the `functions` namespace.
    ///
    /// ```
    /// let d = harmony_chat::DeveloperContent::new().with_function_tools(vec![]);
    /// assert!(d.tools.unwrap()["functions"].tools.is_empty());
    /// ```
    pub fn with_function_tools(self, tools: Vec<ToolDescription>) -> Self {
        self.with_tools(ToolNamespaceConfig::new("functions", None, tools))
    }
}

/// One piece of a message's content.
///
/// ```
/// use harmony_chat::Content;
///
/// let c = Content::from("hello");
/// assert_eq!(c.as_text(), Some("hello"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Content {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// System content; only valid in system messages.
    SystemContent(SystemContent),
    /// Developer content; only valid in developer messages.
    DeveloperContent(DeveloperContent),
}

impl Content {
    /// The text, if this is text content.
    ///
    /// ```
    /// assert_eq!(harmony_chat::Content::from("x").as_text(), Some("x"));
    /// ```
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Content::Text { text } => Some(text),
            _ => None,
        }
    }
}

impl From<&str> for Content {
    fn from(text: &str) -> Self {
        Content::Text {
            text: text.to_owned(),
        }
    }
}

impl From<String> for Content {
    fn from(text: String) -> Self {
        Content::Text { text }
    }
}

impl From<SystemContent> for Content {
    fn from(c: SystemContent) -> Self {
        Content::SystemContent(c)
    }
}

impl From<DeveloperContent> for Content {
    fn from(c: DeveloperContent) -> Self {
        Content::DeveloperContent(c)
    }
}

/// One message of a conversation.
///
/// ```
/// use harmony_chat::{Message, Role};
///
/// let call = Message::from_role_and_content(Role::Assistant, r#"{"city":"Paris"}"#)
///     .with_channel("commentary")
///     .with_recipient("functions.get_weather")
///     .with_content_type("<|constrain|>json");
/// assert_eq!(call.recipient.as_deref(), Some("functions.get_weather"));
/// assert_eq!(call.text(), r#"{"city":"Paris"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The author (flattened into `role` and `name` in JSON).
    #[serde(flatten)]
    pub author: Author,
    /// Whom the message is for (`functions.x` for a tool call, `assistant` for a tool
    /// result); `None` (or `"all"`) means everyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// The content; JSON accepts a bare string for a single text.
    #[serde(
        deserialize_with = "de_string_or_contents",
        serialize_with = "se_string_or_contents"
    )]
    pub content: Vec<Content>,
    /// The channel (`analysis`, `commentary`, `final`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The content type, e.g. `<|constrain|>json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

impl Message {
    /// A message with one piece of content.
    ///
    /// ```
    /// use harmony_chat::{Author, Message, Role};
    /// let m = Message::from_author_and_content(Author::new(Role::Tool, "functions.f"), "42");
    /// assert_eq!(m.author.role, Role::Tool);
    /// ```
    pub fn from_author_and_content(author: Author, content: impl Into<Content>) -> Self {
        Message {
            author,
            recipient: None,
            content: vec![content.into()],
            channel: None,
            content_type: None,
        }
    }

    /// A message from `role` with one piece of content.
    ///
    /// ```
    /// use harmony_chat::{Message, Role};
    /// let m = Message::from_role_and_content(Role::User, "hi");
    /// assert_eq!(m.text(), "hi");
    /// ```
    pub fn from_role_and_content(role: Role, content: impl Into<Content>) -> Self {
        Self::from_author_and_content(Author::from(role), content)
    }

    /// A message from `role` with several pieces of content.
    ///
    /// ```
    /// use harmony_chat::{Content, Message, Role};
    /// let m = Message::from_role_and_contents(Role::User, [Content::from("a"), Content::from("b")]);
    /// assert_eq!(m.text(), "ab");
    /// ```
    pub fn from_role_and_contents<I: IntoIterator<Item = Content>>(
        role: Role,
        contents: I,
    ) -> Self {
        Message {
            author: Author::from(role),
            recipient: None,
            content: contents.into_iter().collect(),
            channel: None,
            content_type: None,
        }
    }

    /// Appends a piece of content.
    ///
    /// ```
    /// use harmony_chat::{Message, Role};
    /// let m = Message::from_role_and_content(Role::User, "a").adding_content("b");
    /// assert_eq!(m.content.len(), 2);
    /// ```
    pub fn adding_content(mut self, content: impl Into<Content>) -> Self {
        self.content.push(content.into());
        self
    }

    /// Sets the channel.
    ///
    /// ```
    /// use harmony_chat::{Message, Role};
    /// let m = Message::from_role_and_content(Role::Assistant, "4").with_channel("final");
    /// assert_eq!(m.channel.as_deref(), Some("final"));
    /// ```
    pub fn with_channel(mut self, channel: impl Into<String>) -> Self {
        self.channel = Some(channel.into());
        self
    }

    /// Sets the recipient.
    ///
    /// ```
    /// use harmony_chat::{Message, Role};
    /// let m = Message::from_role_and_content(Role::Assistant, "{}").with_recipient("functions.f");
    /// assert_eq!(m.recipient.as_deref(), Some("functions.f"));
    /// ```
    pub fn with_recipient(mut self, recipient: impl Into<String>) -> Self {
        self.recipient = Some(recipient.into());
        self
    }

    /// Sets the content type.
    ///
    /// ```
    /// use harmony_chat::{Message, Role};
    /// let m = Message::from_role_and_content(Role::Assistant, "{}").with_content_type("<|constrain|>json");
    /// assert_eq!(m.content_type.as_deref(), Some("<|constrain|>json"));
    /// ```
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// The message's text contents, concatenated (system and developer content skipped).
    ///
    /// ```
    /// use harmony_chat::{Message, Role};
    /// assert_eq!(Message::from_role_and_content(Role::User, "hi").text(), "hi");
    /// ```
    pub fn text(&self) -> String {
        self.content.iter().filter_map(Content::as_text).collect()
    }
}

/// A conversation: the messages, in order.
///
/// ```
/// use harmony_chat::{Conversation, Message, Role, SystemContent};
///
/// let convo = Conversation::from_messages([
///     Message::from_role_and_content(Role::System, SystemContent::new()),
///     Message::from_role_and_content(Role::User, "What is 2 + 2?"),
/// ]);
/// let json = serde_json::to_string(&convo).unwrap();
/// let back: Conversation = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, convo);
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Conversation {
    /// The messages.
    pub messages: Vec<Message>,
}

impl Conversation {
    /// A conversation of these messages.
    ///
    /// ```
    /// use harmony_chat::{Conversation, Message, Role};
    /// let c = Conversation::from_messages([Message::from_role_and_content(Role::User, "hi")]);
    /// assert_eq!(c.messages.len(), 1);
    /// ```
    pub fn from_messages<I: IntoIterator<Item = Message>>(messages: I) -> Self {
        Conversation {
            messages: messages.into_iter().collect(),
        }
    }
}

impl<'a> IntoIterator for &'a Conversation {
    type Item = &'a Message;
    type IntoIter = std::slice::Iter<'a, Message>;

    fn into_iter(self) -> Self::IntoIter {
        self.messages.iter()
    }
}

fn de_string_or_contents<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Content>, D::Error> {
    // A visitor rather than an untagged enum, so that errors inside a content list keep
    // serde's precise message (an untagged enum would only say "did not match").
    struct StringOrContents;

    impl<'de> serde::de::Visitor<'de> for StringOrContents {
        type Value = Vec<Content>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or a list of contents")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            Ok(vec![Content::Text {
                text: text.to_owned(),
            }])
        }

        fn visit_string<E: serde::de::Error>(self, text: String) -> Result<Self::Value, E> {
            Ok(vec![Content::Text { text }])
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
        }
    }

    d.deserialize_any(StringOrContents)
}

fn se_string_or_contents<S: Serializer>(contents: &[Content], s: S) -> Result<S::Ok, S::Error> {
    // A single text serialises as a bare string, like the reference does.
    if let [Content::Text { text }] = contents {
        return s.serialize_str(text);
    }
    contents.serialize(s)
}
