//! The streaming tool-call extractor: core events in, tool-call events out.

use std::collections::HashSet;
use std::fmt;

use harmony_stream::{Event, Stop};

use crate::args::{self, ArgsError};
use crate::names::FunctionNameMap;
use crate::split_recipient;

/// A tool-call event. Strings borrow from the extractor or from the core's delta.
#[derive(Clone, Debug, PartialEq)]
pub enum ToolEvent<'a> {
    /// A call's header was parsed: who is called, before any argument arrives.
    Start(ToolCallStart<'a>),
    /// More of a call's raw arguments, exactly as the model wrote them.
    Args {
        /// The call's index in the completion.
        index: usize,
        /// The new text (borrowed from the core's delta: no copy).
        delta: &'a str,
    },
    /// The call ended; its arguments are parsed.
    End(ToolCallEnd<'a>),
    /// A repair or a check that did not pass.
    Diagnostic(ToolDiagnostic<'a>),
}

/// The start of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ToolCallStart<'a> {
    /// Index in the completion, counting every call so far.
    pub index: usize,
    /// Unique id (`call_…`, or from the caller's generator).
    pub id: &'a str,
    /// Function name: without namespace, mapped back to the user's name when a
    /// [`FunctionNameMap`] was given.
    pub name: &'a str,
    /// `functions`, `browser`, `python` or `container`.
    pub namespace: &'a str,
    /// The recipient after repairs (`functions.get_weather`).
    pub recipient: &'a str,
    /// Channel the call was made on.
    pub channel: Option<&'a str>,
    /// Content type as written.
    pub content_type: Option<&'a str>,
}

/// The end of a call.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolCallEnd<'a> {
    /// Index in the completion.
    pub index: usize,
    /// The id its start had.
    pub id: &'a str,
    /// The parsed arguments, or why they are not a JSON object.
    pub arguments: Result<serde_json::Value, ArgsError>,
    /// The raw arguments: every `Args` delta, concatenated.
    pub raw: &'a str,
    /// False when the input ended inside the call.
    pub complete: bool,
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
}

impl ToolDiagnosticKind {
    /// snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ToolDiagnosticKind::ControlTokenInName => "control_token_in_name",
            ToolDiagnosticKind::GluedContentType => "glued_content_type",
            ToolDiagnosticKind::UnknownTool => "unknown_tool",
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
///         ToolEvent::End(end) => log.push(format!("end {}", end.arguments.is_ok())),
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
    open: Option<Open>,
    declared: Option<HashSet<String>>,
    names: Option<FunctionNameMap>,
    ids: IdGenerator,
    // Reused from call to call.
    raw: String,
}

#[derive(Debug)]
struct Open {
    index: usize,
    id: String,
    name: String,
    namespace: String,
    recipient: String,
    channel: Option<String>,
    content_type: Option<String>,
    code: bool,
}

impl fmt::Debug for ToolExtractor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolExtractor")
            .field("next_index", &self.next_index)
            .field("open", &self.open)
            .field("declared", &self.declared)
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
            open: None,
            declared: None,
            names: None,
            ids: Box::new(random_id),
            raw: String::new(),
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
        self.declared = Some(names.into_iter().map(Into::into).collect());
        self
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
    pub fn observe<F>(&mut self, event: &Event<'_>, out: &mut F)
    where
        F: FnMut(ToolEvent<'_>) + ?Sized,
    {
        match *event {
            Event::MessageStart(header) => {
                self.open = None;
                let Some(recipient) = header.recipient().filter(|_| header.is_tool_call()) else {
                    return;
                };
                let index = self.next_index;
                self.next_index += 1;
                self.raw.clear();
                let open = self.start(index, recipient, out);
                let open = self.open.insert(Open {
                    channel: header.channel().map(str::to_owned),
                    content_type: header.content_type().map(str::to_owned),
                    code: header.content_type() == Some("code")
                        || matches!(open.namespace.as_str(), "python" | "container"),
                    ..open
                });
                out(ToolEvent::Start(ToolCallStart {
                    index,
                    id: &open.id,
                    name: &open.name,
                    namespace: &open.namespace,
                    recipient: &open.recipient,
                    channel: open.channel.as_deref(),
                    content_type: open.content_type.as_deref(),
                }));
            }
            Event::Delta(delta) => {
                if let Some(open) = &self.open {
                    self.raw.push_str(delta);
                    out(ToolEvent::Args {
                        index: open.index,
                        delta,
                    });
                }
            }
            Event::MessageEnd(stop) => {
                if let Some(open) = self.open.take() {
                    let complete = stop != Stop::Eof;
                    out(ToolEvent::End(ToolCallEnd {
                        index: open.index,
                        id: &open.id,
                        arguments: args::parse(&self.raw, open.code, complete),
                        raw: &self.raw,
                        complete,
                    }));
                }
            }
            Event::Diagnostic(_) => {}
        }
    }

    /// Repairs and resolves the recipient of call `index`.
    fn start<F>(&mut self, index: usize, recipient: &str, out: &mut F) -> Open
    where
        F: FnMut(ToolEvent<'_>) + ?Sized,
    {
        let mut diag = |kind, detail: &str| {
            out(ToolEvent::Diagnostic(ToolDiagnostic {
                index,
                kind,
                detail,
            }))
        };
        let mut recipient = recipient.to_owned();
        if let Some(cut) = recipient.find("<|") {
            diag(ToolDiagnosticKind::ControlTokenInName, &recipient);
            recipient.truncate(cut);
        }
        let (namespace, name) = split_recipient(&recipient);
        let (namespace, mut name) = (namespace.to_owned(), name.to_owned());
        if namespace == "functions" {
            if let Some(declared) = &self.declared {
                if !declared.contains(&name) {
                    let unglued = ["json", "code"]
                        .iter()
                        .filter_map(|s| name.strip_suffix(s))
                        .find(|n| declared.contains(*n))
                        .map(str::to_owned);
                    match unglued {
                        Some(fixed) => {
                            diag(ToolDiagnosticKind::GluedContentType, &name);
                            recipient.truncate(recipient.len() - (name.len() - fixed.len()));
                            name = fixed;
                        }
                        None => diag(ToolDiagnosticKind::UnknownTool, &name),
                    }
                }
            }
            if let Some(original) = self.names.as_ref().and_then(|m| m.original(&name)) {
                name = original.to_owned();
            }
        }
        Open {
            index,
            id: (self.ids)(index),
            name,
            namespace,
            recipient,
            channel: None,
            content_type: None,
            code: false,
        }
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
