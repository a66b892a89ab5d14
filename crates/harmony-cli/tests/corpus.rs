//! The conformance corpus (`tests/corpus/cases.jsonl`), run through `harmony parse --summary`.
//!
//! Each case keeps its source's expectation (`source_expected`) beside ours (`expected`,
//! under the tolerance policy of docs/design.md). The test checks, for every case:
//! 1. the CLI's summary equals `expected` (text input);
//! 2. the same completion as token ids (`--format tokens`) gives the same summary;
//! 3. where the source split the text into chunks, feeding those chunks gives it too;
//! 4. where the case has no `policy_note` saying we diverge, the source's own expectation
//!    holds as well.

mod common;

use common::harmony;

use serde_json::{json, Value};

fn corpus() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/corpus/cases.jsonl"
    );
    std::fs::read_to_string(path)
        .expect("corpus file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("corpus line is JSON"))
        .collect()
}

/// The parts of a summary the corpus pins down (positions and details are not pinned).
fn essentials(summary: &Value) -> Value {
    json!({
        "reasoning": summary["reasoning"],
        "content": summary["content"],
        "tool_calls": summary["tool_calls"].as_array().unwrap().iter().map(|t| json!({
            "name": t["name"], "namespace": t["namespace"], "arguments": t["arguments"],
            "raw_arguments": t["raw_arguments"], "complete": t["complete"],
        })).collect::<Vec<_>>(),
        "messages": summary["messages"].as_array().unwrap().iter().map(|m| json!({
            "role": m["role"], "channel": m["channel"], "recipient": m["recipient"],
            "content_type": m["content_type"], "content": m["content"], "stop": m["stop"],
        })).collect::<Vec<_>>(),
        "diagnostics": summary["diagnostics"].as_array().unwrap().iter()
            .map(|d| d["kind"].clone()).collect::<Vec<_>>(),
    })
}

fn parse(args: &[&str], input: &[u8]) -> Value {
    let (code, out, err) = harmony(args, input);
    assert_eq!(code, 0, "harmony {args:?} failed: {err}");
    serde_json::from_str(&out).expect("summary is JSON")
}

#[test]
fn every_case_matches_our_expectation_on_text_and_tokens() {
    let cases = corpus();
    assert_eq!(cases.len(), 30);
    let bpe = tiktoken_rs::o200k_harmony_singleton();
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let completion = case["completion"].as_str().unwrap();
        let text = essentials(&parse(&["parse"], completion.as_bytes()));
        assert_eq!(text, case["expected"], "{id}: text path");

        let ids = serde_json::to_string(&bpe.encode_with_special_tokens(completion)).unwrap();
        let tokens = essentials(&parse(&["parse", "--format", "tokens"], ids.as_bytes()));
        assert_eq!(tokens, text, "{id}: token path");
    }
}

#[test]
fn source_chunking_gives_the_same_result() {
    // The CLI reads whole files; the library is what sees chunks. Feed the source's split.
    use harmony_stream::{Collector, TextParser};
    use harmony_tools::Summary;
    let mut checked = 0;
    for case in corpus() {
        let Some(chunks) = case["source_expected"]["streaming"]["chunks"].as_array() else {
            continue;
        };
        let mut parser = TextParser::new();
        let mut collector = Collector::new();
        for c in chunks {
            parser.feed(c.as_str().unwrap().as_bytes(), &mut collector);
        }
        parser.finish(&mut collector);
        let summary = serde_json::to_value(Summary::new(&collector.finish())).unwrap();
        assert_eq!(essentials(&summary), case["expected"], "{}", case["id"]);
        checked += 1;
    }
    assert_eq!(checked, 2);
}

/// Where we do not diverge, the source's own expectation holds.
#[test]
fn sources_agree_where_no_policy_note_says_otherwise() {
    let mut checked = 0;
    for case in corpus() {
        let id = case["id"].as_str().unwrap();
        let diverges = case["policy_note"]
            .as_str()
            .is_some_and(|n| n.starts_with("Diverges") || n.starts_with("Differs"));
        if diverges {
            continue;
        }
        let ours = &case["expected"];
        let src = &case["source_expected"];
        let src = if src["desired"].is_object() {
            &src["desired"]
        } else {
            src
        };
        let src = if src["non_strict"].is_object() {
            &src["non_strict"]
        } else {
            src
        };
        for key in ["reasoning", "content"] {
            if let Some(v) = src.get(key) {
                assert_eq!(&ours[key], v, "{id}: {key}");
            }
        }
        if let Some(calls) = src["tool_calls"].as_array() {
            let ours_calls = ours["tool_calls"].as_array().unwrap();
            assert_eq!(ours_calls.len(), calls.len(), "{id}: tool call count");
            for (o, s) in ours_calls.iter().zip(calls) {
                assert_eq!(o["name"], s["name"], "{id}");
                assert_eq!(o["arguments"], s["arguments"], "{id}");
            }
        }
        if let Some(messages) = src["messages"].as_array() {
            let ours_msgs = ours["messages"].as_array().unwrap();
            assert_eq!(ours_msgs.len(), messages.len(), "{id}: message count");
            for (o, s) in ours_msgs.iter().zip(messages) {
                for (k, v) in s.as_object().unwrap() {
                    assert_eq!(&o[k], v, "{id}: message field {k}");
                }
            }
        }
        checked += 1;
    }
    assert!(
        checked >= 24,
        "only {checked} cases checked against their source"
    );
}
