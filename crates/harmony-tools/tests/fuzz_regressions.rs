//! Inputs found by the `tool_args` fuzz target (fuzz/fuzz_targets/tool_args.rs), kept as
//! regression tests.

use harmony_stream::{Event, TextParser};
use harmony_tools::{parse_arguments, ArgsError, ToolCall, ToolEvent, ToolExtractor};

/// The streaming extractor's verdict on the arguments of the single call in `completion`:
/// `(error, arguments(), raw)`.
fn extract(completion: &[u8]) -> (Option<ArgsError>, Option<serde_json::Value>, String) {
    let mut tools = ToolExtractor::new().with_ids(|i| format!("call_{i}"));
    let mut end = None;
    let mut parser = TextParser::new();
    let mut sink = |e: Event<'_>| {
        tools.observe(&e, &mut |t: ToolEvent<'_>| {
            if let ToolEvent::End(e) = t {
                end = Some((e.error.clone(), e.arguments(), e.raw.clone()));
            }
        })
    };
    parser.feed(completion, &mut sink);
    parser.finish(&mut sink);
    end.expect("one call")
}

/// Fuzz input `\x15\x02\x05\x02{"a":1e400}` (python recipient, truncated): the extractor
/// checks arguments with `serde::de::IgnoredAny`, which skips numbers without converting
/// them, so a number beyond f64's range passes the check (`error: None`) while every
/// parse of the same text fails ("number out of range"): `arguments()` is `None` with no
/// error, and `parse_arguments`/`tool_calls` (the CLI summary) report an error the
/// `--events` stream does not.
#[test]
fn number_out_of_range_is_an_error_for_the_extractor_too() {
    for args in [
        r#"{"a":1e400}"#,
        r#"{"a":[-2e308]}"#,
        r#"{"x":{"y":1E999}}"#,
    ] {
        let completion = format!("<|channel|>commentary to=functions.f<|message|>{args}<|call|>");
        let (error, arguments, raw) = extract(completion.as_bytes());
        assert_eq!(raw, args);
        let parsed = parse_arguments(&raw, None, true);
        assert!(
            matches!(parsed, Err(ArgsError::InvalidJson { .. })),
            "{parsed:?}"
        );
        assert_eq!(
            error,
            parsed.clone().err(),
            "extractor vs parse_arguments on {args}"
        );
        assert_eq!(
            arguments.is_some(),
            error.is_none(),
            "arguments() vs error on {args}"
        );

        // The whole-completion API agrees with parse_arguments.
        let mut parser = TextParser::new();
        let mut collector = harmony_stream::Collector::new();
        parser.feed(completion.as_bytes(), &mut collector);
        parser.finish(&mut collector);
        let calls = harmony_tools::tool_calls(&collector.finish());
        let call: &ToolCall = &calls[0];
        assert_eq!(call.arguments_error, parsed.err());
    }
}

/// Numbers within range stay accepted by both (the fix must not reject them).
#[test]
fn numbers_in_range_are_accepted_by_both() {
    for args in [
        r#"{"a":1e300}"#,
        r#"{"a":-1.7976931348623157e308}"#,
        r#"{"a":1e-400}"#,
        r#"{"a":123456789012345678901234567890}"#,
    ] {
        let completion = format!("<|channel|>commentary to=functions.f<|message|>{args}<|call|>");
        let (error, arguments, _) = extract(completion.as_bytes());
        assert_eq!(error, None, "{args}");
        assert_eq!(arguments, parse_arguments(args, None, true).ok(), "{args}");
    }
}
