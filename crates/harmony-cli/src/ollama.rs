//! Ollama NDJSON recordings (`/api/generate` raw mode and `/api/chat`) as harmony events.

use harmony_ollama::{parse_tool_call_error, NdjsonDecoder};
use harmony_stream::{Header, Marker, Role, Sink, Stop, TextParser};

/// One `/api/generate` line, detached from the input.
#[derive(Clone, Debug, Default)]
pub struct GenerateLine {
    /// Seconds since midnight of `created_at`, when it parses.
    pub at: Option<f64>,
    /// The `response` fragment.
    pub response: String,
    /// Whether this is the `done` line.
    pub done: bool,
    /// `stop`, `length`, ...
    pub done_reason: Option<String>,
    /// Tokens generated (on the `done` line).
    pub eval_count: Option<u64>,
    /// A mid-stream `error`.
    pub error: Option<String>,
}

/// How a recording ended.
#[derive(Clone, Debug, Default)]
pub struct StreamEnd {
    /// Ollama's error line, if the stream carried one.
    pub error: Option<String>,
    /// Tokens generated, from the `done` line.
    pub eval_count: Option<u64>,
}

fn bad_line(e: impl std::fmt::Display) -> String {
    format!("input is not Ollama NDJSON: {e}")
}

/// Every line of an `/api/generate` NDJSON stream.
pub fn generate_lines(input: &[u8]) -> Result<Vec<GenerateLine>, String> {
    let mut decoder = NdjsonDecoder::new();
    let mut out = Vec::new();
    let take = |line: harmony_ollama::GenerateLine<'_>| GenerateLine {
        at: seconds_of_day(line.created_at.as_str()),
        response: line.response.as_str().to_owned(),
        done: line.done,
        done_reason: line.done_reason.map(|r| r.as_str().to_owned()),
        eval_count: line.eval_count,
        error: line.error.map(|e| e.as_str().to_owned()),
    };
    {
        let mut lines = decoder.feed(input);
        while let Some(line) = lines.next_generate() {
            out.push(take(line.map_err(bad_line)?));
        }
    }
    let mut lines = decoder.finish();
    while let Some(line) = lines.next_generate() {
        out.push(take(line.map_err(bad_line)?));
    }
    Ok(out)
}

/// Feeds one line to the parser; at `done`, supplies the stop token raw mode never sends:
/// `<|call|>` when the open message has a recipient, `<|return|>` otherwise (nothing when
/// the output was cut at the length limit: that message stays truncated).
pub fn feed_generate_line<S: Sink + ?Sized>(
    parser: &mut TextParser,
    line: &GenerateLine,
    end: &mut StreamEnd,
    sink: &mut S,
) {
    parser.feed(line.response.as_bytes(), sink);
    if let Some(e) = &line.error {
        end.error = Some(e.clone());
    }
    if line.done {
        end.eval_count = line.eval_count;
        if line.done_reason.as_deref() != Some("length") {
            if let Some(h) = parser.current_header() {
                let stop = if h.is_tool_call() {
                    Marker::Call
                } else {
                    Marker::Return
                };
                parser.feed_marker(stop, sink);
            }
        }
    }
}

/// Parses a whole `/api/generate` raw-mode recording.
pub fn parse_generate<S: Sink + ?Sized>(input: &[u8], sink: &mut S) -> Result<StreamEnd, String> {
    let mut parser = TextParser::new();
    let mut end = StreamEnd::default();
    for line in generate_lines(input)? {
        feed_generate_line(&mut parser, &line, &mut end, sink);
    }
    parser.finish(sink);
    Ok(end)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Run {
    None,
    Thinking,
    Content,
}

/// Parses an `/api/chat` recording (Ollama parsed the harmony itself): thinking becomes
/// analysis messages, content a final message, each tool call a commentary call. A
/// `error parsing tool call: raw='…'` error line is salvaged: raw harmony text is parsed,
/// raw arguments become a call to `functions.unknown`.
pub fn parse_chat<S: Sink + ?Sized>(input: &[u8], sink: &mut S) -> Result<StreamEnd, String> {
    let mut decoder = NdjsonDecoder::new();
    let mut state = ChatState::default();
    {
        let mut lines = decoder.feed(input);
        while let Some(line) = lines.next_chat() {
            state.line(line.map_err(bad_line)?, sink);
        }
    }
    let mut lines = decoder.finish();
    while let Some(line) = lines.next_chat() {
        state.line(line.map_err(bad_line)?, sink);
    }
    state.finish(sink);
    Ok(state.end)
}

/// Turns `/api/chat` pieces (thinking, content, whole tool calls) into harmony events.
pub struct ChatState {
    run: Run,
    /// How the stream ended so far.
    pub end: StreamEnd,
}

impl Default for ChatState {
    fn default() -> Self {
        ChatState {
            run: Run::None,
            end: StreamEnd::default(),
        }
    }
}

impl ChatState {
    fn line<S: Sink + ?Sized>(&mut self, line: harmony_ollama::ChatLine<'_>, sink: &mut S) {
        if let Some(m) = &line.message {
            if let Some(t) = &m.thinking {
                self.thinking(t.as_str(), sink);
            }
            self.content(m.content.as_str(), sink);
            for call in &m.tool_calls {
                let args = call.function.arguments.map_or("", |a| a.get());
                self.tool_call(call.function.name.as_str(), args, sink);
            }
        }
        if line.done {
            self.end.eval_count = line.eval_count;
        }
        if let Some(e) = &line.error {
            self.error(e.as_str(), sink);
        }
    }

    /// A `message.thinking` fragment.
    pub fn thinking<S: Sink + ?Sized>(&mut self, text: &str, sink: &mut S) {
        if !text.is_empty() {
            self.open(Run::Thinking, sink);
            sink.event(harmony_stream::Event::Delta(text));
        }
    }

    /// A `message.content` fragment.
    pub fn content<S: Sink + ?Sized>(&mut self, text: &str, sink: &mut S) {
        if !text.is_empty() {
            self.open(Run::Content, sink);
            sink.event(harmony_stream::Event::Delta(text));
        }
    }

    /// A whole tool call.
    pub fn tool_call<S: Sink + ?Sized>(&mut self, name: &str, arguments: &str, sink: &mut S) {
        let stop = if self.run == Run::Thinking {
            Stop::End
        } else {
            Stop::Return
        };
        self.close(sink, stop);
        let recipient = format!("functions.{name}");
        let header = Header::new(Role::Assistant)
            .with_channel("commentary")
            .with_recipient(&recipient)
            .with_content_type("<|constrain|>json");
        sink.event(harmony_stream::Event::MessageStart(&header));
        sink.event(harmony_stream::Event::Delta(arguments));
        sink.event(harmony_stream::Event::MessageEnd(Stop::Call));
    }

    /// An error line (salvaged when it is a tool-call parse error).
    pub fn error<S: Sink + ?Sized>(&mut self, message: &str, sink: &mut S) {
        self.salvage(message, sink);
        self.end.error = Some(message.to_owned());
    }

    /// The stream ended.
    pub fn finish<S: Sink + ?Sized>(&mut self, sink: &mut S) {
        let stop = if self.end.error.is_some() {
            Stop::Eof
        } else {
            Stop::Return
        };
        self.close(sink, stop);
    }

    fn open<S: Sink + ?Sized>(&mut self, run: Run, sink: &mut S) {
        if self.run == run {
            return;
        }
        self.close(sink, Stop::End);
        let channel = if run == Run::Thinking {
            "analysis"
        } else {
            "final"
        };
        let header = Header::new(Role::Assistant).with_channel(channel);
        sink.event(harmony_stream::Event::MessageStart(&header));
        self.run = run;
    }

    fn close<S: Sink + ?Sized>(&mut self, sink: &mut S, stop: Stop) {
        if self.run != Run::None {
            sink.event(harmony_stream::Event::MessageEnd(stop));
            self.run = Run::None;
        }
    }

    fn salvage<S: Sink + ?Sized>(&mut self, message: &str, sink: &mut S) {
        let Some((raw, _detail)) = parse_tool_call_error(message) else {
            return;
        };
        self.close(sink, Stop::End);
        if raw.contains("<|") {
            let mut parser = TextParser::new();
            parser.feed(raw.as_bytes(), sink);
            parser.finish(sink);
        } else {
            let header = Header::new(Role::Assistant)
                .with_channel("commentary")
                .with_recipient("functions.unknown");
            sink.event(harmony_stream::Event::MessageStart(&header));
            sink.event(harmony_stream::Event::Delta(raw));
            sink.event(harmony_stream::Event::MessageEnd(Stop::Call));
        }
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
