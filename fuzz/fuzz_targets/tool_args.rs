//! Arbitrary text as tool-call arguments, through `ToolExtractor` (streamed from
//! `TextParser` in the fuzzer's chunks) and `parse_arguments`.
//!
//! Input: `[flags][n][len_1 .. len_n][args]`. `flags` picks the header (recipient and
//! content type variants), the stop (`<|call|>`, `<|end|>`, none: truncated), whether the
//! completion is framed by `<|start|>assistant`, whether a second call follows, and
//! whether the function is declared.
//!
//! Checks: no panic; every `Start` is followed by `Args` of its index and one `End` with
//! the same index and id, indices counting up from 0; the concatenated `Args` deltas equal
//! `ToolCallEnd.raw`; with no `<|` in the arguments, `raw` is the arguments (lossily
//! decoded) and the call is complete unless the stop was left out; `ToolCallEnd.error`
//! agrees with `repair_arguments` on the same raw text (argument-shape repairs are on by
//! default; each repair is reported between the call's `Args` and its `End`), and `arguments()` is `Some`
//! exactly when there is no error; `parse_arguments` on the input itself never panics and
//! only accepts objects.
#![no_main]

use harmony_kit_fuzz::{chunks, skip, split_spec};
use harmony_stream::{Event, TextParser};
use harmony_tools::{parse_arguments, repair_arguments, ToolEvent, ToolExtractor, ToolOptions};
use libfuzzer_sys::fuzz_target;

const HEADERS: [&str; 8] = [
    "<|channel|>commentary to=functions.f<|message|>",
    "<|channel|>commentary to=functions.f <|constrain|>json<|message|>",
    "<|channel|>commentary to=functions.f json<|message|>",
    " to=functions.f<|channel|>commentary <|constrain|> json<|message|>",
    "<|channel|>analysis to=functions.f code<|message|>",
    "<|channel|>commentary to=python<|message|>",
    "<|channel|>commentary to=container.exec <|constrain|>json<|message|>",
    "<|channel|>commentary to=functions.fjson<|message|>",
];

#[derive(Debug, Default)]
struct Call {
    id: String,
    name: String,
    namespace: harmony_tools::Namespace,
    content_type: Option<String>,
    deltas: String,
    raw: Option<String>,
    error: Option<harmony_tools::ArgsError>,
    complete: bool,
    arguments: Option<serde_json::Value>,
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (lens, args) = split_spec(rest);
    let header = HEADERS[(flags & 7) as usize];
    let stop = ["<|call|>", "<|end|>", ""][((flags >> 3) & 3) as usize % 3];
    let framed = flags & 0x20 != 0;
    let second = flags & 0x40 != 0;
    let declared = flags & 0x80 != 0;

    let mut completion = Vec::new();
    if framed {
        completion.extend_from_slice(b"<|start|>assistant");
    }
    completion.extend_from_slice(header.as_bytes());
    completion.extend_from_slice(args);
    completion.extend_from_slice(stop.as_bytes());
    if second && !stop.is_empty() {
        completion.extend_from_slice(
            b"<|start|>assistant<|channel|>commentary to=functions.g<|message|>{}<|call|>",
        );
    }

    let mut tools = ToolExtractor::new().with_ids(|i| format!("call_{i}"));
    if declared {
        tools = tools.with_declared(["f", "g"]);
    }
    let mut calls: Vec<Call> = Vec::new();
    let mut parser = TextParser::new();
    let mut sink = |e: Event<'_>| {
        tools.observe(&e, &mut |t: ToolEvent<'_>| match t {
            ToolEvent::Start(s) => {
                assert_eq!(s.index, calls.len(), "call indices count up from 0");
                if let Some(prev) = calls.last() {
                    assert!(prev.raw.is_some(), "a call started before the last ended");
                }
                calls.push(Call {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    namespace: s.namespace,
                    content_type: s.content_type.clone(),
                    ..Call::default()
                });
            }
            ToolEvent::Args { index, delta } => {
                let open = calls.len().checked_sub(1).expect("Args after a Start");
                assert_eq!(index, open, "Args of the open call");
                let call = &mut calls[open];
                assert!(call.raw.is_none(), "Args after the call's End");
                call.deltas.push_str(delta);
            }
            ToolEvent::End(end) => {
                let open = calls.len().checked_sub(1).expect("End after a Start");
                assert_eq!(end.index, open, "End of the open call");
                let call = &mut calls[open];
                assert!(call.raw.is_none(), "two Ends for one call");
                assert_eq!(end.id, call.id);
                call.raw = Some(end.raw.clone());
                call.error = end.error.clone();
                call.complete = end.complete;
                call.arguments = end.arguments();
            }
            ToolEvent::Diagnostic(d) => {
                if d.kind.as_str().starts_with("repair_") {
                    // Argument repairs: after the call's Args, before its End.
                    let open = calls.len().checked_sub(1).expect("repair after a Start");
                    assert_eq!(d.index, open, "repair of the open call");
                    assert!(calls[open].raw.is_none(), "repair after the call's End");
                } else {
                    // Name repairs are reported while the call opens, before its Start.
                    assert_eq!(d.index, calls.len(), "diagnostic for another call");
                }
            }
        })
    };
    for piece in chunks(&completion, &lens) {
        parser.feed(piece, &mut sink);
    }
    parser.finish(&mut sink);

    for call in &calls {
        let raw = call.raw.as_deref().expect("every call ends");
        assert_eq!(call.deltas, raw, "Args deltas differ from ToolCallEnd.raw");
        let code = call.content_type.as_deref() == Some("code")
            || call.namespace.takes_code();
        let content_type = if code {
            Some("code")
        } else {
            call.content_type.as_deref()
        };
        // The extractor repairs argument shapes (on by default, no schemas here): it must
        // agree with `repair_arguments` on the same raw text.
        let parsed = repair_arguments(
            raw,
            &call.name,
            content_type,
            call.complete,
            &ToolOptions::new(),
        )
        .map(|(v, _)| v);
        if call.error.is_none() && parsed.is_err() && skip("number-range") {
            // Known: the extractor's check skips numbers, so `{"a":1e400}` passes it while
            // the parse fails ("number out of range"). See fuzz/README.md.
            continue;
        }
        assert_eq!(
            call.error,
            parsed.as_ref().err().cloned(),
            "extractor and repair_arguments disagree on {raw:?}"
        );
        assert_eq!(
            call.arguments.is_some(),
            call.error.is_none(),
            "arguments() vs error for {raw:?}"
        );
        if let (Some(value), Ok(parsed)) = (&call.arguments, &parsed) {
            assert_eq!(value, parsed);
            assert!(value.is_object());
        }
    }

    if !args.windows(2).any(|w| w == b"<|") {
        assert_eq!(calls.len(), if second && !stop.is_empty() { 2 } else { 1 });
        let first = &calls[0];
        assert_eq!(first.raw.as_deref(), Some(&*String::from_utf8_lossy(args)));
        assert_eq!(first.complete, !stop.is_empty());
        if flags & 7 == 7 && !declared {
            assert_eq!(first.name, "fjson");
        }
    }

    // The arguments on their own, every way a caller could ask.
    let text = String::from_utf8_lossy(args);
    for content_type in [None, Some("json"), Some("<|constrain|>json"), Some("code")] {
        for complete in [true, false] {
            if let Ok(v) = parse_arguments(&text, content_type, complete) {
                assert!(v.is_object(), "parse_arguments accepted a non-object");
            }
        }
    }
});
