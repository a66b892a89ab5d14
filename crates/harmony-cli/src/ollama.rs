//! Ollama NDJSON recordings (`/api/generate` raw mode and `/api/chat`) through the
//! library's mode engine.
//!
//! The CLI has no Ollama translation of its own: lines are decoded by
//! [`NdjsonDecoder`], turned into transport events by the same helpers the live
//! streams use ([`generate_line_events`], [`chat_line_events`]) and fed to
//! [`Engine`], whose [`StreamEvent`]s every command renders.

use std::collections::VecDeque;

use harmony_ollama::{
    chat_line_events, generate_line_events, ChatMode, Done, Engine, Error, EventSink,
    GenerateEvent, NdjsonDecoder, Partial, RawLine, StreamEvent,
};
use harmony_stream::{Diagnostic, Event, Sink};

/// How a recording (or a live response) ended.
#[derive(Clone, Debug, Default)]
pub struct StreamEnd {
    /// Why the command fails although what arrived was printed: an undecodable line,
    /// a line over the limit, or Ollama's own error line.
    pub error: Option<String>,
    /// The `done` line, when one arrived.
    pub done: Option<Done>,
    /// Lines that carried response text (a token count when `done` has none).
    pub fragments: u64,
}

impl StreamEnd {
    /// Tokens generated: `eval_count` of the `done` line.
    pub fn eval_count(&self) -> Option<u64> {
        self.done.as_ref().and_then(|d| d.metrics.eval_count)
    }

    /// The diagnostic for an answer that is not an ordinary end (cut at the length
    /// limit, `done` without `done_reason`, a load-only answer), if any.
    pub fn done_diagnostic(&self) -> Option<(&'static str, String)> {
        done_diagnostic(self.done.as_ref()?)
    }
}

/// The diagnostic a `done` line calls for: `truncated` when the answer was cut
/// (`length`, or no `done_reason` at all: the runner closed the connection),
/// `done_reason` for an answer that is empty by design (`load`, `unload`) or a reason
/// not known yet; `None` for an ordinary `stop`.
pub fn done_diagnostic(done: &Done) -> Option<(&'static str, String)> {
    let text = done.reason.diagnostic()?;
    let kind = if done.is_truncated() {
        "truncated"
    } else {
        "done_reason"
    };
    Some((kind, format!("{text} ({})", done.reason)))
}

/// What to say when the transport hands back an error.
pub fn describe(e: &Error) -> String {
    match e {
        // Ollama's own wording, so a person can search for it.
        Error::ToolCallParse { raw, detail, .. } => format!(
            "Ollama reported an error mid-stream: error parsing tool call: raw='{raw}', err={detail}"
        ),
        Error::Decode { source, .. } => format!("input is not Ollama NDJSON: {source}"),
        other => other.to_string(),
    }
}

/// Feeds a whole recording through the engine in `mode`. `pace` is called before each
/// line with its `created_at` (seconds since midnight), for `replay`. Stops at the
/// first undecodable line: everything before it has reached `out`.
pub fn feed_recording(
    input: &[u8],
    mode: ChatMode,
    pace: &mut dyn FnMut(Option<f64>),
    out: &mut EventSink<'_>,
) -> StreamEnd {
    let mut feeder = Feeder::new(mode);
    let mut decoder = NdjsonDecoder::new();
    {
        let mut lines = decoder.feed(input);
        while !feeder.over {
            let Some(line) = lines.next_line() else { break };
            feeder.line(line, pace, out);
        }
    }
    if !feeder.over {
        // A last line without its newline still counts.
        let mut lines = decoder.finish();
        if let Some(line) = lines.next_line() {
            feeder.line(line, pace, out);
        }
    }
    feeder.finish(out)
}

/// One response's transport events through the engine.
pub struct Feeder {
    engine: Engine,
    partial: Partial,
    generate: VecDeque<Result<GenerateEvent, Error>>,
    chat: VecDeque<Result<harmony_ollama::ChatEvent, Error>>,
    over: bool,
    end: StreamEnd,
}

impl Feeder {
    /// A feeder for one response in `mode`.
    pub fn new(mode: ChatMode) -> Self {
        Feeder {
            engine: Engine::new(mode),
            partial: Partial::default(),
            generate: VecDeque::new(),
            chat: VecDeque::new(),
            over: false,
            end: StreamEnd::default(),
        }
    }

    fn line(
        &mut self,
        line: Result<RawLine<'_>, harmony_ollama::DecodeError>,
        pace: &mut dyn FnMut(Option<f64>),
        out: &mut EventSink<'_>,
    ) {
        let raw = match line {
            Ok(raw) => raw,
            Err(e) => return self.fail(format!("input is not Ollama NDJSON: {e}")),
        };
        self.partial.lines += 1;
        match self.engine.mode() {
            ChatMode::Harmony => match raw.generate() {
                Ok(line) => {
                    pace(seconds_of_day(line.created_at.as_str()));
                    self.over = generate_line_events(line, &mut self.partial, &mut self.generate);
                }
                Err(e) => return self.fail(format!("input is not Ollama NDJSON: {e}")),
            },
            ChatMode::Standard => match raw.chat() {
                Ok(line) => {
                    pace(seconds_of_day(line.created_at.as_str()));
                    self.over = chat_line_events(line, &mut self.partial, &mut self.chat);
                }
                Err(e) => return self.fail(format!("input is not Ollama NDJSON: {e}")),
            },
        }
        while let Some(event) = self.generate.pop_front() {
            self.generate_event(event, out);
        }
        while let Some(event) = self.chat.pop_front() {
            self.chat_event(event, out);
        }
    }

    /// One `/api/generate` event (or the transport's error), live or recorded.
    pub fn generate_event(&mut self, event: Result<GenerateEvent, Error>, out: &mut EventSink<'_>) {
        match event {
            Ok(event) => {
                match &event {
                    GenerateEvent::Response(_) => self.end.fragments += 1,
                    GenerateEvent::Done(done) => self.end.done = Some(done.clone()),
                    _ => {}
                }
                self.engine.generate(event, out);
            }
            Err(e) => self.fail(describe(&e)),
        }
    }

    /// One `/api/chat` event (or the transport's error), live or recorded.
    pub fn chat_event(
        &mut self,
        event: Result<harmony_ollama::ChatEvent, Error>,
        out: &mut EventSink<'_>,
    ) {
        if let Ok(harmony_ollama::ChatEvent::Done(done)) = &event {
            self.end.done = Some(done.clone());
        }
        if let Ok(harmony_ollama::ChatEvent::Content(_)) = &event {
            self.end.fragments += 1;
        }
        // The engine salvages a rejected tool call; the command still fails, as
        // Ollama's stream did.
        if let Err(e @ Error::ToolCallParse { .. }) = &event {
            self.end.error = Some(describe(e));
        }
        if let Err(e) = self.engine.chat(event, out) {
            self.fail(describe(&e));
        }
    }

    fn fail(&mut self, error: String) {
        self.over = true;
        self.end.error.get_or_insert(error);
    }

    /// The stream ended: what is still open is closed as truncated.
    pub fn finish(mut self, out: &mut EventSink<'_>) -> StreamEnd {
        self.engine.abort(out);
        self.end
    }
}

/// A [`StreamEvent`] as the harmony core event it stands for (a call's arguments as
/// the message's text), for the summary collector and the live view.
pub fn to_core(event: &StreamEvent, sink: &mut dyn Sink) {
    match event {
        StreamEvent::MessageStart(h) => sink.event(Event::MessageStart(h)),
        StreamEvent::Delta { text, .. } => sink.event(Event::Delta(text)),
        StreamEvent::ToolCallArgs { delta, .. } => sink.event(Event::Delta(delta)),
        StreamEvent::MessageEnd(stop) => sink.event(Event::MessageEnd(*stop)),
        StreamEvent::Diagnostic(d) => sink.event(Event::Diagnostic(Diagnostic {
            kind: d.kind,
            at: d.at,
            detail: &d.detail,
        })),
        _ => {}
    }
}

/// `2025-08-06T10:15:30.020000000Z` -> seconds since midnight (the date is ignored: a
/// recording's pace is what matters).
pub fn seconds_of_day(ts: &str) -> Option<f64> {
    let time = ts.split_once('T')?.1.trim_end_matches('Z');
    let time = time.split(['+', '-']).next()?;
    let mut parts = time.split(':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next()?.parse().ok()?;
    let s: f64 = parts.next()?.parse().ok()?;
    Some(h * 3600.0 + m * 60.0 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(seconds_of_day("2025-08-06T10:15:30.5Z"), Some(36930.5));
        assert_eq!(
            seconds_of_day("2025-08-06T00:00:01.000000000+02:00"),
            Some(1.0)
        );
        assert_eq!(seconds_of_day("nonsense"), None);
    }
}
