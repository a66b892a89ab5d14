//! Recording converter: the `/api/chat` NDJSON Ollama would send for the same model
//! output as a raw `/api/generate` recording.
//!
//! It follows Ollama's harmony handler (`HarmonyMessageHandler`): text on `analysis`
//! becomes `message.thinking` deltas; text on `final`, preambles (commentary without a
//! recipient) and channel-less text become `message.content` deltas; the arguments of
//! a tool call are accumulated and only parsed when generation is done. A call whose
//! arguments are a JSON object goes into `tool_calls` on the `done` line; any other
//! arguments end the stream with `{"error":"error parsing tool call: raw='...',
//! err=..."}` instead of a `done` line, as Ollama does. Lines with neither thinking nor
//! content are not sent (Ollama skips them too).

use harmony_stream::{Event, TextParser};
use serde_json::Value;

use super::OllamaNdjson;
use crate::transport::ndjson::NdjsonDecoder;

/// The `/api/chat` NDJSON for a raw `/api/generate` recording (see the module docs).
///
/// ```
/// use harmony_ollama::testing::{chat_ndjson_from_generate, OllamaNdjson};
///
/// let mut w = OllamaNdjson::new("gpt-oss:20b");
/// w.response("<|channel|>analysis<|message|>Hm").response("<|end|><|start|>assistant<|channel|>final<|message|>Hi").generate_done("stop");
/// let chat = chat_ndjson_from_generate(&w.finish());
/// let lines: Vec<&str> = chat.lines().collect();
/// assert!(lines[0].contains(r#""content":"","thinking":"Hm""#));
/// assert!(lines[1].contains(r#""content":"Hi""#));
/// assert!(lines[2].contains(r#""done":true"#));
/// ```
pub fn chat_ndjson_from_generate(recording: &str) -> String {
    let mut decoder = NdjsonDecoder::new();
    let mut parser = TextParser::new();
    let mut w: Option<OllamaNdjson> = None;
    // (name, raw arguments) of each call, and where the open message's text goes.
    let mut calls: Vec<(String, String)> = Vec::new();
    let mut target = Target::Content;
    let mut lines = decoder.feed(recording.as_bytes());
    let mut out = String::new();
    while let Some(line) = lines.next_generate() {
        let Ok(line) = line else { break };
        let w = w.get_or_insert_with(|| OllamaNdjson::new(&line.model));
        let (mut content, mut thinking) = (String::new(), String::new());
        parser.feed(line.response.as_bytes(), &mut |e: Event<'_>| match e {
            Event::MessageStart(h) => {
                target = if h.is_tool_call() {
                    let name = h.recipient().unwrap_or_default();
                    let name = name.strip_prefix("functions.").unwrap_or(name);
                    calls.push((name.to_owned(), String::new()));
                    Target::Call
                } else if h.channel() == Some("analysis") {
                    Target::Thinking
                } else {
                    Target::Content
                };
            }
            Event::Delta(d) => match target {
                Target::Thinking => thinking.push_str(d),
                Target::Content => content.push_str(d),
                Target::Call => {
                    if let Some((_, raw)) = calls.last_mut() {
                        raw.push_str(d);
                    }
                }
            },
            _ => {}
        });
        if !content.is_empty() || !thinking.is_empty() {
            w.chat_delta(&content, &thinking);
        }
        if line.done {
            let reason = line.done_reason.as_deref().unwrap_or("stop").to_owned();
            let mut parsed = Vec::new();
            for (name, raw) in &calls {
                match go_json_error(raw) {
                    None => parsed.push((
                        name.as_str(),
                        serde_json::from_str(raw).unwrap_or(Value::Null),
                    )),
                    Some(err) => {
                        w.error(&format!("error parsing tool call: raw='{raw}', err={err}"));
                        out.push_str(&w.finish());
                        return out;
                    }
                }
            }
            w.chat_done_with_tool_calls(&reason, &parsed);
        }
        out.push_str(&w.finish());
    }
    out
}

#[derive(Clone, Copy)]
enum Target {
    Thinking,
    Content,
    Call,
}

/// What Go's `json.Unmarshal` into a map says about `raw`, approximately (the messages
/// Ollama users report), or `None` when `raw` is a JSON object.
///
/// ```
/// use harmony_ollama::testing::go_json_error;
/// assert_eq!(go_json_error("{\"a\": 1}"), None);
/// assert_eq!(go_json_error("ls -R\n").unwrap(), "invalid character 'l' looking for beginning of value");
/// assert_eq!(go_json_error("{\"a\": \"b").unwrap(), "unexpected end of JSON input");
/// ```
pub fn go_json_error(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    match serde_json::from_str::<Value>(trimmed) {
        Ok(Value::Object(_)) => None,
        Ok(v) => Some(format!(
            "json: cannot unmarshal {} into Go value of type api.ToolCallFunctionArguments",
            match v {
                Value::Array(_) => "array",
                Value::String(_) => "string",
                Value::Number(_) => "number",
                Value::Bool(_) => "bool",
                _ => "null",
            }
        )),
        Err(e) if e.is_eof() => Some("unexpected end of JSON input".into()),
        Err(e) => {
            // serde's column is 1-based on the offending character's line.
            let line = trimmed
                .lines()
                .nth(e.line().saturating_sub(1))
                .unwrap_or("");
            let c = line
                .chars()
                .nth(e.column().saturating_sub(1))
                .unwrap_or(' ');
            let what = if e.to_string().starts_with("expected value") && e.column() <= 1 {
                "looking for beginning of value"
            } else if e.to_string().starts_with("trailing characters") {
                "after top-level value"
            } else {
                "after object key:value pair"
            };
            Some(format!("invalid character '{c}' {what}"))
        }
    }
}
