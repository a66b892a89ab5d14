//! `harmony parse`: input formats in, summary or event JSON out.

use std::io::Write;

use harmony_stream::{Collector, Event, ParserOptions, Sink, TextParser, TokenParser};
use harmony_tools::{Summary, ToolEvent, ToolExtractor};

use crate::Format;

/// Parses `input` as `format` and writes the summary, or every event, to `out`. `options`
/// apply to the `text` and `tokens` formats (`--stripped-special-tokens`: rule 16).
pub fn run(
    input: &[u8],
    format: Format,
    events: bool,
    options: ParserOptions,
    out: &mut dyn Write,
) -> Result<(), String> {
    let mut sink = if events {
        Output::Events(Box::new(EventWriter::new(out)))
    } else {
        Output::Summary(Collector::new())
    };
    let stream_error = match format {
        Format::Text => {
            let text = std::str::from_utf8(input).map_err(|e| {
                format!(
                    "input is not UTF-8 text (invalid byte at offset {})",
                    e.valid_up_to()
                )
            })?;
            let mut parser = TextParser::with_options(options);
            parser.feed(text.as_bytes(), &mut sink);
            parser.finish(&mut sink);
            None
        }
        Format::Tokens => {
            let tokens = read_tokens(input)?;
            let mut parser = TokenParser::with_options(options);
            parser.feed(&tokens, &mut sink).map_err(|e| e.to_string())?;
            parser.finish(&mut sink);
            None
        }
        Format::Ollama => crate::ollama::parse_generate(input, &mut sink)?.error,
        Format::OllamaChat => crate::ollama::parse_chat(input, &mut sink)?.error,
    };
    match sink {
        Output::Events(writer) => writer.finish()?,
        Output::Summary(collector) => {
            let summary = Summary::new(&collector.finish());
            let mut line = serde_json::to_string(&summary).map_err(|e| e.to_string())?;
            line.push('\n');
            out.write_all(line.as_bytes())
                .map_err(|e| format!("cannot write output: {e}"))?;
        }
    }
    // What arrived was printed; the stream's own error still makes the command fail.
    match stream_error {
        Some(e) => Err(format!("Ollama reported an error mid-stream: {e}")),
        None => Ok(()),
    }
}

/// Token ids from a JSON array (`[200005, 17196]`) or whitespace-separated text.
pub fn read_tokens(input: &[u8]) -> Result<Vec<u32>, String> {
    let text = std::str::from_utf8(input).map_err(|e| {
        format!(
            "token input is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        )
    })?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let values: Vec<serde_json::Value> = serde_json::from_str(text)
            .map_err(|e| format!("token input is not a JSON array of ids: {e}"))?;
        return values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| format!("token at index {i} is not a token id: {v}"))
            })
            .collect();
    }
    text.split_ascii_whitespace()
        .enumerate()
        .map(|(i, word)| {
            word.parse::<u32>()
                .map_err(|_| format!("token at index {i} is not a token id: {word:?}"))
        })
        .collect()
}

enum Output<'w> {
    Summary(Collector),
    Events(Box<EventWriter<'w>>),
}

impl Sink for Output<'_> {
    fn event(&mut self, event: Event<'_>) {
        match self {
            Output::Summary(c) => c.event(event),
            Output::Events(w) => w.event(event),
        }
    }
}

/// Writes every event, and the tool-call events it implies, as JSON lines.
pub struct EventWriter<'w> {
    out: &'w mut dyn Write,
    // Deterministic ids (`call_0`, ...): the same input prints the same output.
    tools: ToolExtractor,
    error: Option<std::io::Error>,
}

impl<'w> EventWriter<'w> {
    /// A writer to `out`.
    pub fn new(out: &'w mut dyn Write) -> Self {
        EventWriter {
            out,
            tools: ToolExtractor::new().with_ids(|i| format!("call_{i}")),
            error: None,
        }
    }

    /// Pushes written lines out (for live output).
    pub fn flush(&mut self) {
        if self.error.is_none() {
            if let Err(e) = self.out.flush() {
                self.error = Some(e);
            }
        }
    }

    /// The first write error, if any.
    pub fn finish(mut self) -> Result<(), String> {
        self.flush();
        self.error
            .map_or(Ok(()), |e| Err(format!("cannot write output: {e}")))
    }
}

impl Sink for EventWriter<'_> {
    fn event(&mut self, event: Event<'_>) {
        if self.error.is_some() {
            return;
        }
        let out = &mut *self.out;
        let mut result = write_line(out, &EventJson::from(&event));
        self.tools.observe(&event, &mut |t: ToolEvent<'_>| {
            if result.is_ok() {
                result = write_line(out, &ToolEventJson::from(t));
            }
        });
        if let Err(e) = result {
            self.error = Some(e);
        }
    }
}

/// One event as `--events` prints it: `{"event": "delta", "text": "..."}` and so on.
#[derive(serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventJson<'a> {
    /// A header was parsed.
    MessageStart {
        /// Role.
        role: &'static str,
        /// Author name.
        name: Option<&'a str>,
        /// Channel.
        channel: Option<&'a str>,
        /// Recipient.
        recipient: Option<&'a str>,
        /// Content type as written.
        content_type: Option<&'a str>,
    },
    /// Content.
    Delta {
        /// The text.
        text: &'a str,
    },
    /// The message ended.
    MessageEnd {
        /// `end`, `call`, `return`, `interrupted`, `eof`.
        stop: &'static str,
    },
    /// A tolerated malformation.
    Diagnostic {
        /// snake_case kind.
        kind: &'static str,
        /// Position.
        at: u64,
        /// What was seen.
        detail: &'a str,
    },
}

impl<'a> From<&Event<'a>> for EventJson<'a> {
    fn from(event: &Event<'a>) -> Self {
        match *event {
            Event::MessageStart(h) => EventJson::MessageStart {
                role: h.role().as_str(),
                name: h.name(),
                channel: h.channel(),
                recipient: h.recipient(),
                content_type: h.content_type(),
            },
            Event::Delta(text) => EventJson::Delta { text },
            Event::MessageEnd(stop) => EventJson::MessageEnd {
                stop: stop.as_str(),
            },
            Event::Diagnostic(d) => EventJson::Diagnostic {
                kind: d.kind.as_str(),
                at: d.at,
                detail: d.detail,
            },
        }
    }
}

fn write_line(out: &mut dyn Write, value: &impl serde::Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// A tool-call event as `--events` prints it, after the core event that caused it.
#[derive(serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[allow(clippy::enum_variant_names)] // the variant names are the JSON tags users see
pub enum ToolEventJson<'a> {
    /// A call's header was parsed.
    ToolCallStart {
        /// Call index in the completion.
        index: usize,
        /// Call id (`call_0`, ...).
        id: &'a str,
        /// Function name.
        name: &'a str,
        /// Namespace.
        namespace: &'a str,
        /// Recipient after repairs.
        recipient: &'a str,
        /// Channel.
        channel: Option<&'a str>,
        /// Content type as written.
        content_type: Option<&'a str>,
    },
    /// More argument text.
    ToolCallArgs {
        /// Call index.
        index: usize,
        /// The new text.
        delta: &'a str,
    },
    /// The call ended.
    ToolCallEnd {
        /// Call index.
        index: usize,
        /// Call id.
        id: &'a str,
        /// Parsed arguments, or null.
        arguments: Option<serde_json::Value>,
        /// Why `arguments` is null, or null.
        error: Option<String>,
        /// Raw arguments.
        raw: &'a str,
        /// False when the input ended inside the call.
        complete: bool,
    },
    /// A repair or failed check on a call.
    ToolDiagnostic {
        /// Call index.
        index: usize,
        /// snake_case kind.
        kind: &'static str,
        /// What the model wrote.
        detail: &'a str,
    },
}

impl<'a> From<ToolEvent<'a>> for ToolEventJson<'a> {
    fn from(t: ToolEvent<'a>) -> Self {
        match t {
            ToolEvent::Start(s) => ToolEventJson::ToolCallStart {
                index: s.index,
                id: &s.id,
                name: &s.name,
                namespace: &s.namespace,
                recipient: &s.recipient,
                channel: s.channel.as_deref(),
                content_type: s.content_type.as_deref(),
            },
            ToolEvent::Args { index, delta } => ToolEventJson::ToolCallArgs { index, delta },
            ToolEvent::End(e) => ToolEventJson::ToolCallEnd {
                index: e.index,
                id: &e.id,
                arguments: e.arguments(),
                error: e.error.as_ref().map(ToString::to_string),
                raw: &e.raw,
                complete: e.complete,
            },
            ToolEvent::Diagnostic(d) => ToolEventJson::ToolDiagnostic {
                index: d.index,
                kind: d.kind.as_str(),
                detail: d.detail,
            },
        }
    }
}
