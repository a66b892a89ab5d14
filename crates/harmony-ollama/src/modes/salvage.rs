//! Salvaging Ollama's `error parsing tool call: raw='...', err=...`.
//!
//! What `raw` holds, from Ollama's harmony handler (`HarmonyMessageHandler.AddContent`
//! with its tool accumulator) and the failures reported against gpt-oss
//! (ollama/ollama#12064, #12884, #11704; continuedev/continue#10221, #11783;
//! langchain-ai/langchain#34746): the *content* of the tool-call message, i.e. the
//! arguments alone, markers stripped, never the name (Ollama only uses the name when
//! the JSON parses). In practice it is JSON with a defect (`{"a":1]}`, a string cut
//! off before its end, trailing text after the object), a shell command (`ls -R\n`)
//! or prose. Ollama 0.11.3/0.11.4 sent only the JSON error under the key
//! `"error parsing tool call"` (ollama/ollama#11781), so `raw` is empty then.
//!
//! A `raw` with harmony markers in it (marker text leaking into the content, or another
//! server relaying the whole completion) is parsed with `harmony-stream` and
//! `harmony-tools`, which recover the recipient and therefore the name.

use harmony_stream::TextParser;
use harmony_tools::ToolExtractor;

use crate::modes::events::{EventSink, ResponseDiagnostic, ResponseDiagnosticKind, StreamEvent};
use crate::modes::translate::{call_events, extractor, Open, Translate};
use crate::transport::config::Channels;

/// Markers whose presence means `raw` is harmony text rather than bare arguments.
const MARKERS: [&str; 5] = [
    "<|start|>",
    "<|channel|>",
    "<|message|>",
    "<|constrain|>",
    "<|call|>",
];

/// Pushes the events of the call(s) recovered from `raw`, with diagnostics.
pub(crate) fn salvage(
    raw: &str,
    detail: &str,
    declared: &[String],
    channels: Channels,
    out: &mut EventSink<'_>,
) {
    let note = |kind, call, message: String| {
        StreamEvent::ResponseDiagnostic(ResponseDiagnostic::new(kind, call, message))
    };
    if MARKERS.iter().any(|m| raw.contains(m)) {
        // Parsed aside: when no call comes out of it, none of it is reported.
        let mut events = Vec::new();
        let mut tools: ToolExtractor =
            extractor(declared).with_ids(|i| format!("call_salvaged_{i}"));
        let mut parser = TextParser::new();
        let mut open = Open::None;
        let mut push = |e| events.push(e);
        let mut sink = Translate {
            tools: &mut tools,
            channels,
            out: &mut push,
            open: &mut open,
        };
        parser.feed(raw.as_bytes(), &mut sink);
        if parser.current_header().is_some_and(|h| h.is_tool_call()) {
            parser.feed_marker(harmony_stream::Marker::Call, &mut sink);
        }
        parser.finish(&mut sink);
        if tools.calls() > 0 {
            events.into_iter().for_each(&mut *out);
            out(note(
                ResponseDiagnosticKind::ToolCallSalvaged,
                Some(0),
                format!("Ollama could not parse the tool call ({detail}); it was re-read from the harmony text"),
            ));
            return;
        }
        // Markers but no recipient: take the last message's content as the arguments.
        let args = raw.rsplit("<|message|>").next().unwrap_or(raw);
        let args = args.split("<|").next().unwrap_or(args);
        return bare(args, detail, declared, out);
    }
    bare(raw, detail, declared, out)
}

/// `raw` is the arguments alone: the name has to come from the declared tools.
fn bare(raw: &str, detail: &str, declared: &[String], out: &mut EventSink<'_>) {
    let (name, kind, why) = match declared {
        [only] => (
            only.as_str(),
            ResponseDiagnosticKind::ToolNameAssumed,
            format!("Ollama's error does not name the tool; `{only}`, the only declared tool, was assumed"),
        ),
        [] => (
            "unknown",
            ResponseDiagnosticKind::ToolNameUnknown,
            "Ollama's error does not name the tool and no tool was declared".to_owned(),
        ),
        many => (
            "unknown",
            ResponseDiagnosticKind::ToolNameUnknown,
            format!(
                "Ollama's error does not name the tool and {} tools were declared ({})",
                many.len(),
                many.join(", ")
            ),
        ),
    };
    call_events(0, "call_salvaged_0".into(), name, raw, out);
    let push = |out: &mut EventSink<'_>, kind, message: String| {
        out(StreamEvent::ResponseDiagnostic(ResponseDiagnostic::new(
            kind,
            Some(0),
            message,
        )))
    };
    if raw.is_empty() {
        push(
            out,
            ResponseDiagnosticKind::ToolCallTextLost,
            format!("Ollama could not parse a tool call ({detail}) and did not send its text"),
        );
    } else {
        push(
            out,
            ResponseDiagnosticKind::ToolCallSalvaged,
            format!("Ollama could not parse the tool call ({detail}); its raw arguments were kept"),
        );
    }
    push(out, kind, why);
}
