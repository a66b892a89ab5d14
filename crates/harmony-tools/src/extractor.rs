//! The streaming tool-call extractor: core events in, tool-call events out.

use std::fmt;

use harmony_stream::{Event, Stop};

use crate::args::{self, ArgsError, ArgsRepair, ToolOptions};
use crate::names::FunctionNameMap;
use crate::Namespace;

/// A tool-call event. Small on purpose (it is emitted for every argument delta): the
/// start and end of a call are lent from the extractor, which reuses their buffers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ToolEvent<'a> {
    /// A call's header was parsed: who is called, before any argument arrives.
    Start(&'a ToolCallStart),
    /// More of a call's raw arguments, exactly as the model wrote them.
    Args {
        /// The call's index in the completion.
        index: usize,
        /// The new text (borrowed from the core's delta: no copy).
        delta: &'a str,
    },
    /// The call ended; its arguments are checked.
    End(&'a ToolCallEnd),
    /// A repair or a check that did not pass.
    Diagnostic(ToolDiagnostic<'a>),
}

/// The start of a call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ToolCallStart {
    /// Index in the completion, counting every call so far.
    pub index: usize,
    /// Unique id (`call_…`, or from the caller's generator).
    pub id: String,
    /// Function name: without namespace, mapped back to the user's name when a
    /// [`FunctionNameMap`] was given.
    pub name: String,
    /// The recipient's namespace (`functions`, `browser`, `python` or `container`).
    pub namespace: Namespace,
    /// The recipient after repairs (`functions.get_weather`).
    pub recipient: String,
    /// Channel the call was made on.
    pub channel: Option<String>,
    /// Content type as written.
    pub content_type: Option<String>,
}

/// The end of a call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ToolCallEnd {
    /// Index in the completion.
    pub index: usize,
    /// The id its start had.
    pub id: String,
    /// Why the arguments are not a JSON object, or `None` when they are (checked without
    /// building a value: see [`arguments`](ToolCallEnd::arguments) and
    /// [`parse`](ToolCallEnd::parse)).
    pub error: Option<ArgsError>,
    /// The raw arguments: every `Args` delta, concatenated.
    pub raw: String,
    /// False when the input ended inside the call.
    pub complete: bool,
    /// The repairs that made the raw text into arguments (empty when none was needed:
    /// docs/design.md, "Tool-argument repairs"). `raw` is never changed.
    pub repairs: Vec<ArgsRepair>,
    /// The repaired arguments, when `repairs` is not empty.
    pub repaired: Option<serde_json::Value>,
}

impl ToolCallEnd {
    /// The arguments as a JSON value, when they are a JSON object (after repairs).
    pub fn arguments(&self) -> Option<serde_json::Value> {
        if let Some(v) = &self.repaired {
            return Some(v.clone());
        }
        self.error
            .is_none()
            .then(|| serde_json::from_str(self.raw.trim()).ok())
            .flatten()
    }

    /// The arguments deserialized straight into the caller's type.
    ///
    /// # Errors
    /// serde_json's error when the raw text does not deserialize into `T`.
    ///
    /// ```
    /// # use harmony_tools::ToolCallEnd;
    /// #[derive(serde::Deserialize)]
    /// struct Weather { city: String }
    /// let end = ToolCallEnd { raw: r#"{"city": "Oslo"}"#.into(), complete: true, ..Default::default() };
    /// assert_eq!(end.parse::<Weather>().unwrap().city, "Oslo");
    /// ```
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        match &self.repaired {
            Some(v) => T::deserialize(v),
            None => serde_json::from_str(self.raw.trim()),
        }
    }
}

/// Something the extractor repaired or could not check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ToolDiagnostic<'a> {
    /// The call it concerns.
    pub index: usize,
    /// What happened.
    pub kind: ToolDiagnosticKind,
    /// The text as the model wrote it.
    pub detail: &'a str,
}

/// The kinds of [`ToolDiagnostic`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ToolDiagnosticKind {
    /// Marker text (`<|channel|>…`) leaked into the recipient and was cut off.
    ControlTokenInName,
    /// A content type was glued to the name (`get_weatherjson`) and was cut off.
    GluedContentType,
    /// The name is not among the declared tools (the call is delivered anyway).
    UnknownTool,
    /// Strict mode: the name is not among the declared tools, so the message is not a
    /// call; its text is content ([`ToolExtractor::rejected`]).
    UndeclaredToolDropped,
    /// The arguments were an envelope `{"name": …, "parameters": {…}}`: the inner object.
    RepairEnvelope,
    /// The arguments were `[{…}]`: the one object.
    RepairSingleElementArray,
    /// Text followed the arguments' JSON value; `detail` is that text, dropped.
    RepairTrailingText,
    /// The arguments were an object encoded in a JSON string.
    RepairDoubleEncoded,
    /// The arguments were not JSON; they became the tool's one required string parameter.
    RepairBareString,
}

impl ToolDiagnosticKind {
    /// snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ToolDiagnosticKind::ControlTokenInName => "control_token_in_name",
            ToolDiagnosticKind::GluedContentType => "glued_content_type",
            ToolDiagnosticKind::UnknownTool => "unknown_tool",
            ToolDiagnosticKind::UndeclaredToolDropped => "undeclared_tool_dropped",
            ToolDiagnosticKind::RepairEnvelope => "repair_envelope",
            ToolDiagnosticKind::RepairSingleElementArray => "repair_single_element_array",
            ToolDiagnosticKind::RepairTrailingText => "repair_trailing_text",
            ToolDiagnosticKind::RepairDoubleEncoded => "repair_double_encoded",
            ToolDiagnosticKind::RepairBareString => "repair_bare_string",
        }
    }
}

impl fmt::Display for ToolDiagnosticKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

type IdGenerator = Box<dyn FnMut(usize) -> String + Send>;

/// Turns the core's events into tool-call events, streaming arguments as they arrive.
///
/// Feed it every event of a completion with [`observe`](ToolExtractor::observe); it speaks
/// only about tool calls and ignores the rest. Indices keep increasing across messages.
/// Nothing a model writes makes it fail: bad arguments arrive as an [`ArgsError`] beside
/// the raw text.
///
/// ```
/// use harmony_stream::{Event, TextParser};
/// use harmony_tools::{ToolEvent, ToolExtractor};
///
/// let mut parser = TextParser::new();
/// let mut tools = ToolExtractor::new().with_ids(|i| format!("call_{i}"));
/// let mut log = Vec::new();
/// let mut sink = |e: Event<'_>| {
///     tools.observe(&e, &mut |t: ToolEvent<'_>| match t {
///         ToolEvent::Start(s) => log.push(format!("start {} {}", s.id, s.name)),
///         ToolEvent::Args { delta, .. } => log.push(format!("args {delta}")),
///         ToolEvent::End(end) => log.push(format!("end {}", end.error.is_none())),
///         ToolEvent::Diagnostic(_) => {}
///     })
/// };
/// for chunk in ["<|channel|>commentary to=functions.add<|message|>{\"a\":", " 1}<|call|>"] {
///     parser.feed(chunk.as_bytes(), &mut sink);
/// }
/// assert_eq!(log, ["start call_0 add", "args {\"a\":", "args  1}", "end true"]);
/// ```
pub struct ToolExtractor {
    next_index: usize,
    open: bool,
    rejected: bool,
    code: bool,
    start: ToolCallStart,
    end: ToolCallEnd,
    options: ToolOptions,
    /// The repairs of the call that just ended, with their details (reused).
    repair_details: Vec<(ArgsRepair, String)>,
    names: Option<FunctionNameMap>,
    ids: IdGenerator,
}

impl fmt::Debug for ToolExtractor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolExtractor")
            .field("next_index", &self.next_index)
            .field("open", &self.open)
            .field("start", &self.start)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Default for ToolExtractor {
    fn default() -> Self {
        Self::new()
    }
}

impl ToolExtractor {
    /// An extractor with random ids and no declared tools.
    pub fn new() -> Self {
        ToolExtractor {
            next_index: 0,
            open: false,
            rejected: false,
            code: false,
            start: ToolCallStart::default(),
            end: ToolCallEnd::default(),
            options: ToolOptions::default(),
            repair_details: Vec::new(),
            names: None,
            ids: Box::new(random_id),
        }
    }

    /// Ids from `generate(index)` instead of random ones (for reproducible output).
    pub fn with_ids(mut self, generate: impl FnMut(usize) -> String + Send + 'static) -> Self {
        self.ids = Box::new(generate);
        self
    }

    /// The function names the caller declared, as the model sees them. Calls to other
    /// functions get an [`UnknownTool`](ToolDiagnosticKind::UnknownTool) diagnostic, and a
    /// declared name with `json`/`code` glued on is repaired.
    pub fn with_declared<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.options = std::mem::take(&mut self.options).declared(names);
        self
    }

    /// Reads arguments with `options`: repairs on or off, the declared tools and their
    /// schemas, strict mode (see [`ToolOptions`]).
    ///
    /// ```
    /// use harmony_stream::{Event, TextParser};
    /// use harmony_tools::{ToolEvent, ToolExtractor, ToolOptions};
    ///
    /// let mut tools = ToolExtractor::new().with_options(ToolOptions::new().declared(["f"]).strict(true));
    /// let mut parser = TextParser::new();
    /// let (mut calls, mut content) = (0, String::new());
    /// parser.feed(b"<|channel|>commentary to=functions.evil<|message|>{}<|call|>", &mut |e: Event<'_>| {
    ///     tools.observe(&e, &mut |t: ToolEvent<'_>| calls += matches!(t, ToolEvent::Start(_)) as usize);
    ///     if let Event::Delta(d) = e {
    ///         if tools.rejected() { content.push_str(d) }
    ///     }
    /// });
    /// assert_eq!((calls, content.as_str()), (0, "{}"));
    /// ```
    pub fn with_options(mut self, options: ToolOptions) -> Self {
        self.options = options;
        self
    }

    /// Whether the open message is a call to an undeclared function that strict mode
    /// dropped: no tool event is emitted for it, and its deltas are content.
    pub fn rejected(&self) -> bool {
        self.rejected
    }

    /// Maps called names back to the user's names (see [`FunctionNameMap`]).
    pub fn with_names(mut self, names: FunctionNameMap) -> Self {
        self.names = Some(names);
        self
    }

    /// How many calls have started so far.
    pub fn calls(&self) -> usize {
        self.next_index
    }

    /// Reads one core event; emits the tool-call events it implies.
    #[inline]
    pub fn observe<F>(&mut self, event: &Event<'_>, out: &mut F)
    where
        F: FnMut(ToolEvent<'_>) + ?Sized,
    {
        match *event {
            Event::Delta(delta) => {
                if self.open {
                    self.end.raw.push_str(delta);
                    out(ToolEvent::Args {
                        index: self.start.index,
                        delta,
                    });
                }
            }
            Event::MessageStart(header) => {
                self.open = false;
                self.rejected = false;
                if let Some(recipient) = header.recipient().filter(|_| header.is_tool_call()) {
                    self.begin(header, recipient, out);
                }
            }
            Event::MessageEnd(stop) => {
                self.rejected = false;
                if std::mem::take(&mut self.open) {
                    let complete = stop != Stop::Eof;
                    self.end.complete = complete;
                    self.end.error = args::check(&self.end.raw, self.code, complete).err();
                    self.end.repairs.clear();
                    self.end.repaired = None;
                    if self.options.repair
                        && complete
                        && (self.end.error.is_some() || args::looks_like_envelope(&self.end.raw))
                    {
                        self.repair(out);
                    }
                    out(ToolEvent::End(&self.end));
                }
            }
            Event::Diagnostic(_) => {}
        }
    }

    /// The slow path, for arguments that are not a plain object (or may be an envelope):
    /// the shape repairs, each reported before the call's `End`.
    #[cold]
    fn repair<F>(&mut self, out: &mut F)
    where
        F: FnMut(ToolEvent<'_>) + ?Sized,
    {
        let Ok((value, repairs)) = args::repaired(
            &self.end.raw,
            self.code,
            true,
            &self.start.name,
            &self.options,
        ) else {
            return;
        };
        if repairs.is_empty() {
            return;
        }
        self.repair_details = repairs;
        for (repair, detail) in &self.repair_details {
            let kind = match repair {
                ArgsRepair::Envelope => ToolDiagnosticKind::RepairEnvelope,
                ArgsRepair::SingleElementArray => ToolDiagnosticKind::RepairSingleElementArray,
                ArgsRepair::TrailingText => ToolDiagnosticKind::RepairTrailingText,
                ArgsRepair::DoubleEncoded => ToolDiagnosticKind::RepairDoubleEncoded,
                ArgsRepair::BareString => ToolDiagnosticKind::RepairBareString,
            };
            self.end.repairs.push(*repair);
            out(ToolEvent::Diagnostic(ToolDiagnostic {
                index: self.end.index,
                kind,
                detail,
            }));
        }
        self.end.error = None;
        self.end.repaired = Some(value);
    }

    /// Opens call number `next_index`: repairs and resolves the recipient, reusing buffers.
    fn begin<F>(&mut self, header: &harmony_stream::Header, recipient: &str, out: &mut F)
    where
        F: FnMut(ToolEvent<'_>) + ?Sized,
    {
        let index = self.next_index;
        let mut diag = |kind, detail: &str| {
            out(ToolEvent::Diagnostic(ToolDiagnostic {
                index,
                kind,
                detail,
            }))
        };
        let s = &mut self.start;
        s.index = index;
        s.recipient.clear();
        s.recipient.push_str(recipient);
        if let Some(cut) = s.recipient.find("<|") {
            diag(ToolDiagnosticKind::ControlTokenInName, &s.recipient);
            s.recipient.truncate(cut);
        }
        let (namespace, name) = Namespace::split(&s.recipient);
        s.namespace = namespace;
        s.name.clear();
        s.name.push_str(name);
        let mut dropped = false;
        if s.namespace == Namespace::Functions {
            if let Some(declared) = self
                .options
                .declared
                .as_ref()
                .filter(|d| !d.contains(&s.name))
            {
                let unglued = ["json", "code"]
                    .iter()
                    .filter_map(|suffix| s.name.strip_suffix(suffix))
                    .find(|n| declared.contains(*n))
                    .map(str::len);
                match unglued {
                    Some(len) => {
                        diag(ToolDiagnosticKind::GluedContentType, &s.name);
                        let cut = s.name.len() - len;
                        s.name.truncate(len);
                        s.recipient.truncate(s.recipient.len() - cut);
                    }
                    None if self.options.strict => {
                        diag(ToolDiagnosticKind::UndeclaredToolDropped, &s.name);
                        dropped = true;
                    }
                    None => diag(ToolDiagnosticKind::UnknownTool, &s.name),
                }
            }
            if let Some(original) = self.names.as_ref().and_then(|m| m.original(&s.name)) {
                s.name.clear();
                s.name.push_str(original);
            }
        }
        if dropped {
            // Strict mode: not a call. The index is not used up.
            self.rejected = true;
            return;
        }
        self.next_index += 1;
        set_option(&mut s.channel, header.channel());
        set_option(&mut s.content_type, header.content_type());
        s.id = (self.ids)(index);
        self.code = header.content_type() == Some("code") || s.namespace.takes_code();
        self.end.index = index;
        self.end.id.clear();
        self.end.id.push_str(&s.id);
        self.end.raw.clear();
        self.end.error = None;
        self.open = true;
        out(ToolEvent::Start(&self.start));
    }
}

fn set_option(slot: &mut Option<String>, value: Option<&str>) {
    match (slot.as_mut(), value) {
        (Some(s), Some(v)) => {
            s.clear();
            s.push_str(v);
        }
        (_, v) => *slot = v.map(str::to_owned),
    }
}

fn random_id(index: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded randomly per process and stepped per instance: unpredictable
    // enough for ids, without a dependency.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_usize(index);
    format!("call_{:016x}", h.finish())
}
