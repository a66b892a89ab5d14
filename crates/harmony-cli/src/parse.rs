//! `harmony parse`: input formats in, summary or event JSON out.

use std::io::Write;

use harmony_ollama::{ChatMode, StreamEvent};
use harmony_stream::{Collector, Event, ParserOptions, Sink, TextParser, TokenParser};
use harmony_tools::{Summary, SummaryDiagnostic, ToolCallEnd, ToolEvent, ToolExtractor};

use crate::ollama::{done_diagnostic, feed_recording, to_core};

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
    match format {
        Format::Ollama => return run_ollama(input, ChatMode::Harmony, events, out),
        Format::OllamaChat => return run_ollama(input, ChatMode::Standard, events, out),
        Format::Text | Format::Tokens => {}
    }
    let mut sink = if events {
        Output::Events(Box::new(EventWriter::new(out)))
    } else {
        Output::Summary(Collector::new())
    };
    match format {
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
        }
        // The Ollama formats returned above, through the engine.
        Format::Tokens | Format::Ollama | Format::OllamaChat => {
            let tokens = read_tokens(input)?;
            let mut parser = TokenParser::with_options(options);
            parser.feed(&tokens, &mut sink).map_err(|e| e.to_string())?;
            parser.finish(&mut sink);
        }
    }
    match sink {
        Output::Events(writer) => writer.finish()?,
        Output::Summary(collector) => {
            write_summary(&Summary::new(&collector.finish()), None, out)?;
        }
    }
    Ok(())
}

/// `parse --format ollama|ollama-chat`: the recording through the library's engine.
/// What was parsed before a bad line is printed, then the command fails with it.
fn run_ollama(
    input: &[u8],
    mode: ChatMode,
    events: bool,
    out: &mut dyn Write,
) -> Result<(), String> {
    let at = input.len() as u64;
    let end = if events {
        let mut writer = StreamWriter::new(out, at);
        let end = feed_recording(input, mode, &mut |_| {}, &mut |e| writer.event(e));
        writer.finish()?;
        end
    } else {
        let mut collector = Collector::new();
        let end = feed_recording(input, mode, &mut |_| {}, &mut |e| {
            to_core(&e, &mut collector)
        });
        let extra = end
            .done_diagnostic()
            .map(|(kind, detail)| SummaryDiagnostic { kind, at, detail });
        write_summary(&Summary::new(&collector.finish()), extra, out)?;
        end
    };
    match end.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The summary (DESIGN.md section 6), each tool call with the reason its `arguments`
/// are null (`error`, null when they parsed), and the engine's own diagnostic about
/// how the answer ended.
fn write_summary(
    summary: &Summary,
    extra: Option<SummaryDiagnostic>,
    out: &mut dyn Write,
) -> Result<(), String> {
    let mut value = serde_json::to_value(summary).map_err(|e| e.to_string())?;
    if let Some(calls) = value["tool_calls"].as_array_mut() {
        for (json, call) in calls.iter_mut().zip(&summary.tool_calls) {
            json["error"] = call
                .arguments_error
                .as_ref()
                .map_or(serde_json::Value::Null, |e| e.to_string().into());
        }
    }
    if let Some(d) = extra {
        if let Some(list) = value["diagnostics"].as_array_mut() {
            list.push(serde_json::to_value(d).map_err(|e| e.to_string())?);
        }
    }
    let mut line = serde_json::to_string(&value).map_err(|e| e.to_string())?;
    line.push('\n');
    out.write_all(line.as_bytes())
        .map_err(|e| format!("cannot write output: {e}"))
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
        namespace: harmony_tools::Namespace,
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
                namespace: s.namespace,
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

/// Writes the engine's [`StreamEvent`]s as `--events` lines, in the same vocabulary
/// and order as [`EventWriter`] (a call's arguments also as `delta`, its
/// `tool_call_end` after the `message_end`), plus `response_diagnostic` and `done`.
/// Call ids are `call_<index>`: the same input prints the same output.
pub struct StreamWriter<'w> {
    out: &'w mut dyn Write,
    /// Where the engine's own diagnostics point (the input's end).
    at: u64,
    pending_end: Option<ToolCallEnd>,
    error: Option<std::io::Error>,
}

/// The engine's events `--events` adds to the core and tool vocabulary.
#[derive(serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum EngineJson<'a> {
    /// Something the library repaired, guessed or salvaged.
    ResponseDiagnostic {
        kind: &'static str,
        call: Option<usize>,
        message: &'a str,
    },
    /// Ollama's `done` (or the end the engine made after a salvage).
    Done {
        done_reason: Option<&'a str>,
        truncated: bool,
        eval_count: Option<u64>,
    },
}

impl<'w> StreamWriter<'w> {
    /// A writer to `out`; `at` is the position the engine's diagnostics carry.
    pub fn new(out: &'w mut dyn Write, at: u64) -> Self {
        StreamWriter {
            out,
            at,
            pending_end: None,
            error: None,
        }
    }

    /// Writes one event.
    pub fn event(&mut self, event: StreamEvent) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = self.write(event) {
            self.error = Some(e);
        }
    }

    fn write(&mut self, event: StreamEvent) -> std::io::Result<()> {
        let out = &mut *self.out;
        if !matches!(event, StreamEvent::MessageEnd(_)) {
            if let Some(end) = self.pending_end.take() {
                write_tool_end(out, &end)?;
            }
        }
        match event {
            StreamEvent::MessageStart(h) => {
                write_line(out, &EventJson::from(&Event::MessageStart(&h)))
            }
            StreamEvent::Delta { text, .. } => write_line(out, &EventJson::Delta { text: &text }),
            StreamEvent::MessageEnd(stop) => {
                write_line(
                    out,
                    &EventJson::MessageEnd {
                        stop: stop.as_str(),
                    },
                )?;
                match self.pending_end.take() {
                    Some(end) => write_tool_end(out, &end),
                    None => Ok(()),
                }
            }
            StreamEvent::ToolCallStart(s) => write_line(
                out,
                &ToolEventJson::ToolCallStart {
                    index: s.index,
                    id: &format!("call_{}", s.index),
                    name: &s.name,
                    namespace: s.namespace,
                    recipient: &s.recipient,
                    channel: s.channel.as_deref(),
                    content_type: s.content_type.as_deref(),
                },
            ),
            StreamEvent::ToolCallArgs { index, delta } => {
                write_line(out, &EventJson::Delta { text: &delta })?;
                write_line(
                    out,
                    &ToolEventJson::ToolCallArgs {
                        index,
                        delta: &delta,
                    },
                )
            }
            StreamEvent::ToolCallEnd(end) => {
                // Written after the call's `message_end`, as the text path does.
                self.pending_end = Some(end);
                Ok(())
            }
            StreamEvent::Diagnostic(d) => write_line(
                out,
                &EventJson::Diagnostic {
                    kind: d.kind.as_str(),
                    at: d.at,
                    detail: &d.detail,
                },
            ),
            StreamEvent::ResponseDiagnostic(d) => write_line(
                out,
                &EngineJson::ResponseDiagnostic {
                    kind: d.kind.as_str(),
                    call: d.call,
                    message: &d.message,
                },
            ),
            StreamEvent::Done(done) => {
                if let Some((kind, detail)) = done_diagnostic(&done) {
                    write_line(
                        out,
                        &EventJson::Diagnostic {
                            kind,
                            at: self.at,
                            detail: &detail,
                        },
                    )?;
                }
                write_line(
                    out,
                    &EngineJson::Done {
                        done_reason: done.done_reason(),
                        truncated: done.is_truncated(),
                        eval_count: done.metrics.eval_count,
                    },
                )
            }
            _ => Ok(()),
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
        if let Some(end) = self.pending_end.take() {
            if self.error.is_none() {
                if let Err(e) = write_tool_end(self.out, &end) {
                    self.error = Some(e);
                }
            }
        }
        self.flush();
        self.error
            .map_or(Ok(()), |e| Err(format!("cannot write output: {e}")))
    }
}

fn write_tool_end(out: &mut dyn Write, e: &ToolCallEnd) -> std::io::Result<()> {
    let id = format!("call_{}", e.index);
    write_line(
        out,
        &ToolEventJson::ToolCallEnd {
            index: e.index,
            id: &id,
            arguments: e.arguments(),
            error: e.error.as_ref().map(ToString::to_string),
            raw: &e.raw,
            complete: e.complete,
        },
    )
}
