//! Ollama's own harmony parser tests (`tests/corpus/ollama_cases.json`, transcribed from
//! `ollama_parser_cases.md`), replayed through harmony-stream chunk by chunk.
//!
//! Where a case carries a `policy_note` starting with "Diverges", `expected` holds our
//! reading and the test asserts that; otherwise the source's expectation is asserted as is.

use harmony_kit::stream::{Collector, Event, ParserOptions, Role, Sink, TextParser};
use serde_json::Value;

fn cases() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/ollama_cases.json"
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["cases"].as_array().unwrap().clone()
}

fn options(case: &Value) -> ParserOptions {
    if case["implicit_start"].as_bool().unwrap_or(false) {
        ParserOptions::new()
    } else {
        ParserOptions::new().explicit_start()
    }
}

fn header_key(role: Role, channel: Option<&str>, recipient: Option<&str>) -> String {
    format!(
        "header:{}|{}|{}",
        role.as_str(),
        channel.unwrap_or(""),
        recipient.unwrap_or("")
    )
}

/// Events of one chunk in the vocabulary of Ollama's tests.
#[derive(Default)]
struct Tape {
    chunk: Vec<String>,
    collector: Collector,
    in_analysis: bool,
    in_content: bool,
    thinking: String,
    content: String,
}

impl Sink for Tape {
    fn event(&mut self, e: Event<'_>) {
        match e {
            Event::MessageStart(h) => {
                self.chunk
                    .push(header_key(h.role(), h.channel(), h.recipient()));
                self.in_analysis = h.channel() == Some("analysis") && !h.is_tool_call();
                self.in_content =
                    !h.is_tool_call() && matches!(h.channel(), None | Some("final" | "commentary"));
            }
            Event::Delta(d) => {
                match self.chunk.last_mut() {
                    Some(last) if last.starts_with("content:") => last.push_str(d),
                    _ => self.chunk.push(format!("content:{d}")),
                }
                if self.in_analysis {
                    self.thinking.push_str(d);
                } else if self.in_content {
                    self.content.push_str(d);
                }
            }
            Event::MessageEnd(_) => self.chunk.push("MessageEnd".into()),
            Event::Diagnostic(_) => {}
        }
        self.collector.event(e);
    }
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn header_parsing_cases() {
    let mut n = 0;
    for case in cases().iter().filter(|c| c["kind"] == "header") {
        let text = format!("<|start|>{}<|message|>", case["header"].as_str().unwrap());
        let mut parser = TextParser::with_options(ParserOptions::new().explicit_start());
        let mut first = None;
        parser.feed(text.as_bytes(), &mut |e: Event<'_>| {
            if let (Event::MessageStart(h), None) = (e, &first) {
                first = Some(header_key(h.role(), h.channel(), h.recipient()));
            }
        });
        let e = &case["expected"];
        let want = format!(
            "header:{}|{}|{}",
            e["role"].as_str().unwrap(),
            e["channel"].as_str().unwrap(),
            e["recipient"].as_str().unwrap()
        );
        assert_eq!(first.as_deref(), Some(want.as_str()), "{}", case["id"]);
        n += 1;
    }
    assert_eq!(n, 9);
}

#[test]
fn first_header_cases() {
    for case in cases().iter().filter(|c| c["kind"] == "first_header") {
        let mut parser = TextParser::with_options(options(case));
        let mut tape = Tape::default();
        for c in strs(&case["chunks"]) {
            parser.feed(c.as_bytes(), &mut tape);
        }
        parser.finish(&mut tape);
        let e = &case["expected"];
        let want = format!(
            "header:{}|{}|{}",
            e["role"].as_str().unwrap(),
            e["channel"].as_str().unwrap(),
            e["recipient"].as_str().unwrap()
        );
        assert_eq!(tape.chunk[0], want, "{}", case["id"]);
        if case["id"] == "HE3" {
            // `<|call|>` ends the call; the tool's result is a message of its own.
            let messages = tape.collector.finish().messages;
            assert_eq!(messages.len(), 2);
            assert_eq!(messages[0].content, "{\"location\":\"San Francisco\"}");
            assert_eq!(messages[1].role, Role::Tool);
            assert_eq!(messages[1].name.as_deref(), Some("functions.get_weather"));
        }
    }
}

#[test]
fn low_level_streaming_cases_chunk_by_chunk() {
    let mut n = 0;
    for case in cases().iter().filter(|c| c["kind"] == "events") {
        let id = case["id"].as_str().unwrap();
        let mut parser = TextParser::with_options(options(case));
        let mut tape = Tape::default();
        let chunks = strs(&case["chunks"]);
        let expected = case["source_expected_per_chunk"].as_array().unwrap();
        assert_eq!(chunks.len(), expected.len(), "{id}");
        for (i, (c, want)) in chunks.iter().zip(expected).enumerate() {
            tape.chunk.clear();
            parser.feed(c.as_bytes(), &mut tape);
            // Ollama's MessageStart (at <|start|>) has no counterpart: ours comes with the
            // complete header.
            let want: Vec<String> = strs(want)
                .into_iter()
                .filter(|e| e != "MessageStart")
                .collect();
            assert_eq!(tape.chunk, want, "{id} chunk {i} {c:?}");
        }
        tape.chunk.clear();
        parser.finish(&mut tape);
        assert!(
            tape.chunk.is_empty(),
            "{id}: {:?} after the last chunk",
            tape.chunk
        );
        n += 1;
    }
    assert_eq!(n, 14);
}

#[test]
fn chat_level_cases_stream_thinking_and_content_separately() {
    let mut n = 0;
    for case in cases().iter().filter(|c| c["kind"] == "chat") {
        let id = case["id"].as_str().unwrap();
        let mut parser = TextParser::with_options(options(case));
        let mut tape = Tape::default();
        let chunks = strs(&case["chunks"]);
        let per_chunk = case["source_expected_per_chunk"].as_array();
        for (i, c) in chunks.iter().enumerate() {
            tape.thinking.clear();
            tape.content.clear();
            parser.feed(c.as_bytes(), &mut tape);
            if let Some(per_chunk) = per_chunk {
                assert_eq!(tape.content, per_chunk[i]["content"], "{id} chunk {i}");
                assert_eq!(tape.thinking, per_chunk[i]["thinking"], "{id} chunk {i}");
            }
        }
        parser.finish(&mut tape);
        let completion = tape.collector.finish();
        let want = &case["source_expected_final"];
        assert_eq!(
            completion.content().unwrap_or_default(),
            want["content"],
            "{id}"
        );
        assert_eq!(
            completion.reasoning().unwrap_or_default(),
            want["thinking"],
            "{id}"
        );
        let calls = harmony_kit::tools::tool_calls(&completion);
        let want_calls = want["tool_calls"].as_array().unwrap();
        assert_eq!(calls.len(), want_calls.len(), "{id}");
        for (c, w) in calls.iter().zip(want_calls) {
            assert_eq!(c.name, w["name"].as_str().unwrap(), "{id}");
            assert_eq!(c.arguments.as_ref(), Some(&w["arguments"]), "{id}");
        }
        n += 1;
    }
    assert_eq!(n, 10);
}
