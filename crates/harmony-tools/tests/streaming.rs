//! The streaming extractor, as a specification: what a consumer sees, chunk by chunk.

use harmony_stream::{Event, ParserOptions, TextParser};
use harmony_tools::{ArgsError, FunctionNameMap, ToolDiagnosticKind, ToolEvent, ToolExtractor};
use proptest::prelude::*;
use serde_json::{json, Value};

/// A tool event with owned data.
#[derive(Clone, Debug, PartialEq)]
enum T {
    Start {
        index: usize,
        id: String,
        name: String,
        namespace: harmony_tools::Namespace,
        recipient: String,
    },
    Args(usize, String),
    End {
        index: usize,
        arguments: Result<Value, ArgsError>,
        raw: String,
        complete: bool,
    },
    Diag(usize, ToolDiagnosticKind, String),
}

fn own(t: ToolEvent<'_>) -> T {
    match t {
        ToolEvent::Start(s) => T::Start {
            index: s.index,
            id: s.id.clone(),
            name: s.name.clone(),
            namespace: s.namespace,
            recipient: s.recipient.clone(),
        },
        ToolEvent::Args { index, delta } => T::Args(index, delta.into()),
        ToolEvent::End(e) => T::End {
            index: e.index,
            arguments: match &e.error {
                None => Ok(e.arguments().unwrap()),
                Some(err) => Err(err.clone()),
            },
            raw: e.raw.clone(),
            complete: e.complete,
        },
        ToolEvent::Diagnostic(d) => T::Diag(d.index, d.kind, d.detail.into()),
    }
}

fn extractor() -> ToolExtractor {
    ToolExtractor::new().with_ids(|i| format!("call_{i}"))
}

/// Tool events per chunk.
fn run_chunks(mut tools: ToolExtractor, chunks: &[&str]) -> Vec<Vec<T>> {
    let mut parser = TextParser::new();
    let mut out = Vec::new();
    for c in chunks {
        let mut step = Vec::new();
        parser.feed(c.as_bytes(), &mut |e: Event<'_>| {
            tools.observe(&e, &mut |t| step.push(own(t)))
        });
        out.push(step);
    }
    let mut step = Vec::new();
    parser.finish(&mut |e: Event<'_>| tools.observe(&e, &mut |t| step.push(own(t))));
    out.push(step);
    out
}

fn run(tools: ToolExtractor, text: &str) -> Vec<T> {
    run_chunks(tools, &[text]).concat()
}

/// `Args` fragments of one chunk, merged per call.
fn args_per_call(step: &[T]) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for t in step {
        if let T::Args(i, d) = t {
            match out.last_mut() {
                Some((j, s)) if j == i => s.push_str(d),
                _ => out.push((*i, d.clone())),
            }
        }
    }
    out
}

#[test]
fn vllm_call_split_across_deltas_streams_arguments_as_they_arrive() {
    // tests/corpus/cases.jsonl: vllm-streamed-call-split-across-deltas.
    let steps = run_chunks(
        extractor(),
        &[
            "<|channel|>analysis<|message|>Thinking<|end|><|start|>assistant to=functions.get_weather<|channel|>commentary<|constrain|>json<|message|>{\"location\": ",
            "\"Paris\"}<|call|>",
        ],
    );
    assert!(matches!(&steps[0][0], T::Start { index: 0, name, .. } if name == "get_weather"));
    assert_eq!(
        args_per_call(&steps[0]),
        [(0, "{\"location\": ".to_owned())]
    );
    assert_eq!(args_per_call(&steps[1]), [(0, "\"Paris\"}".to_owned())]);
    assert!(matches!(
        steps[1].last(),
        Some(T::End { index: 0, arguments: Ok(v), complete: true, .. }) if v == &json!({"location": "Paris"})
    ));
}

#[test]
fn vllm_multi_tool_interleaved_indices_keep_increasing() {
    let steps = run_chunks(
        extractor(),
        &[
            "<|channel|>analysis<|message|>Plan<|end|><|start|>assistant to=functions.tool_a<|channel|>commentary<|constrain|>json<|message|>{\"a\": 1}<|call|><|start|>assistant to=functions.tool_b<|channel|>commentary<|constrain|>json<|message|>{\"b\": ",
            "2",
            "}<|call|><|start|>assistant<|channel|>final<|message|>Done<|end|><|start|>assistant to=functions.tool_c<|channel|>commentary<|constrain|>json<|message|>{\"c\": 3}",
        ],
    );
    // The source's tool_call_entries, chunk by chunk.
    assert_eq!(
        args_per_call(&steps[0]),
        [(0, "{\"a\": 1}".into()), (1, "{\"b\": ".into())]
    );
    assert_eq!(args_per_call(&steps[1]), [(1, "2".into())]);
    assert_eq!(
        args_per_call(&steps[2]),
        [(1, "}".into()), (2, "{\"c\": 3}".into())]
    );
    let ends: Vec<(usize, bool)> = steps
        .concat()
        .iter()
        .filter_map(|t| match t {
            T::End {
                index, complete, ..
            } => Some((*index, *complete)),
            _ => None,
        })
        .collect();
    // tool_c was cut off by the end of the stream.
    assert_eq!(ends, [(0, true), (1, true), (2, false)]);
}

#[test]
fn calls_on_analysis_recipient_anywhere_json_without_constrain_ended_by_end() {
    for text in [
        " to=functions.f<|channel|>analysis<|message|>{\"x\": 1}<|call|>",
        "<|channel|>analysis to=functions.f<|message|>{\"x\": 1}<|call|>",
        "<|channel|>commentary to=functions.f json<|message|>{\"x\": 1}<|call|>",
        "<|channel|>commentary to=functions.f<|message|>{\"x\": 1}<|end|>",
    ] {
        let events = run(extractor(), text);
        assert!(
            matches!(&events[0], T::Start { name, namespace, .. } if name == "f" && *namespace == harmony_tools::Namespace::Functions),
            "{text}"
        );
        assert!(
            matches!(events.last(), Some(T::End { arguments: Ok(v), complete: true, .. }) if v == &json!({"x": 1})),
            "{text}: {events:?}"
        );
    }
}

#[test]
fn bad_arguments_arrive_as_typed_reasons_with_the_raw_text() {
    type Check = fn(&ArgsError) -> bool;
    let cases: [(&str, Check); 5] = [
        (
            "<|channel|>commentary to=functions.f<|message|>{\"a\": nope}<|call|>",
            |e| {
                matches!(
                    e,
                    ArgsError::InvalidJson {
                        line: 1,
                        column: 8,
                        ..
                    }
                )
            },
        ),
        (
            "<|channel|>commentary to=functions.f<|message|>  <|call|>",
            |e| *e == ArgsError::Empty,
        ),
        (
            "<|channel|>commentary to=functions.f<|message|>[1, 2]<|call|>",
            |e| matches!(e, ArgsError::NotAnObject { found: "array", .. }),
        ),
        (
            "<|channel|>analysis to=python code<|message|>print('hi')<|call|>",
            |e| *e == ArgsError::Code,
        ),
        (
            "<|channel|>commentary to=container.exec<|message|>ls -la<|call|>",
            |e| *e == ArgsError::Code,
        ),
    ];
    for (text, check) in cases {
        let events = run(extractor(), text);
        let Some(T::End {
            arguments: Err(e),
            raw,
            ..
        }) = events.last()
        else {
            panic!("{text}: {events:?}");
        };
        assert!(check(e), "{text}: {e:?}");
        let body = text
            .split("<|message|>")
            .nth(1)
            .unwrap()
            .trim_end_matches("<|call|>");
        assert_eq!(raw, body);
        assert!(!e.to_string().is_empty());
    }
    let events = run(
        extractor(),
        "<|channel|>commentary to=functions.f<|message|>{\"a\": [1,",
    );
    assert!(matches!(
        events.last(),
        Some(T::End {
            arguments: Err(ArgsError::Truncated { .. }),
            complete: false,
            ..
        })
    ));
}

#[test]
fn tool_results_and_plain_messages_are_not_calls() {
    let text =
        "<|start|>functions.f to=assistant<|channel|>commentary<|message|>{\"ok\": true}<|end|>\
                <|start|>assistant<|channel|>final<|message|>done<|return|>";
    assert!(run(extractor(), text).is_empty());
}

#[test]
fn repair_control_token_text_in_the_recipient() {
    // A token-level leak: the marker arrives as ordinary text tokens, so the header parser
    // keeps it in the recipient; the extractor cuts it off.
    let mut tools = extractor();
    let header = harmony_stream::Header::new(harmony_stream::Role::Assistant)
        .with_channel("commentary")
        .with_recipient("functions.get_weather<|channel|>commentary");
    let mut events = Vec::new();
    tools.observe(&Event::MessageStart(&header), &mut |t| events.push(own(t)));
    assert_eq!(
        events[0],
        T::Diag(
            0,
            ToolDiagnosticKind::ControlTokenInName,
            "functions.get_weather<|channel|>commentary".into()
        )
    );
    assert!(
        matches!(&events[1], T::Start { name, recipient, .. } if name == "get_weather" && recipient == "functions.get_weather")
    );
}

#[test]
fn repair_glued_json_suffix_only_for_declared_tools() {
    let text = "<|channel|>commentary to=functions.get_weatherjson<|message|>{}<|call|>";
    let events = run(extractor().with_declared(["get_weather"]), text);
    assert_eq!(
        events[0],
        T::Diag(
            0,
            ToolDiagnosticKind::GluedContentType,
            "get_weatherjson".into()
        )
    );
    assert!(
        matches!(&events[1], T::Start { name, recipient, .. } if name == "get_weather" && recipient == "functions.get_weather")
    );
    // Without a declaration there is nothing to repair against.
    let events = run(extractor(), text);
    assert!(matches!(&events[0], T::Start { name, .. } if name == "get_weatherjson"));
}

#[test]
fn unknown_names_are_reported_builtins_are_known() {
    let tools = || extractor().with_declared(["get_weather"]);
    let events = run(
        tools(),
        "<|channel|>commentary to=functions.get_time<|message|>{}<|call|>",
    );
    assert_eq!(
        events[0],
        T::Diag(0, ToolDiagnosticKind::UnknownTool, "get_time".into())
    );
    assert!(
        matches!(&events[1], T::Start { name, .. } if name == "get_time"),
        "delivered anyway"
    );
    for builtin in ["browser.search", "python", "container.exec"] {
        let events = run(
            tools(),
            &format!("<|channel|>analysis to={builtin}<|message|>{{}}<|call|>"),
        );
        // Issue 9 item 5: built-ins keep their full names; the namespace is separate.
        assert!(
            matches!(&events[0], T::Start { name, namespace, .. }
                if name == builtin && builtin.starts_with(namespace.as_str())),
            "{builtin}: {events:?}"
        );
    }
}

#[test]
fn sanitised_names_map_back_to_the_users() {
    let mut names = FunctionNameMap::new();
    assert_eq!(names.add("get weather"), "get_weather");
    let events = run(
        extractor().with_names(names),
        "<|channel|>commentary to=functions.get_weather<|message|>{}<|call|>",
    );
    assert!(
        matches!(&events[0], T::Start { name, recipient, .. } if name == "get weather" && recipient == "functions.get_weather")
    );
}

#[test]
fn ids_are_unique_per_completion_by_default() {
    let text = "<|channel|>commentary to=functions.a<|message|>{}<|call|><|start|>assistant<|channel|>commentary to=functions.b<|message|>{}<|call|>";
    let events = run(ToolExtractor::new(), text);
    let ids: Vec<String> = events
        .iter()
        .filter_map(|t| match t {
            T::Start { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    assert!(ids
        .iter()
        .all(|id| id.starts_with("call_") && id.len() > 10));
}

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "<|start|>assistant",
            "<|channel|>commentary",
            "<|channel|>analysis",
            " to=functions.f",
            " to=python",
            "<|constrain|>json",
            " json",
            "<|message|>",
            "<|call|>",
            "<|end|>",
            "{\"a\": ",
            "[1, \"<|x\"]",
            "}",
            "\n",
            "🫠",
            "語",
            "<",
            "<|",
            "text ",
        ]),
        0..30,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The concatenated `Args` deltas of every call equal its final raw arguments, however
    /// the input is split, and the extractor never panics.
    #[test]
    fn args_deltas_concatenate_to_the_raw_arguments(
        text in soup(),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (text.len() + 1)).collect();
        cuts.sort_unstable();
        let bytes = text.as_bytes();
        let mut chunks = Vec::new();
        let mut prev = 0;
        for c in cuts { chunks.push(&bytes[prev..c]); prev = c; }
        chunks.push(&bytes[prev..]);

        let mut parser = TextParser::with_options(ParserOptions::new());
        let mut tools = extractor();
        let mut events = Vec::new();
        for c in &chunks {
            parser.feed(c, &mut |e: Event<'_>| tools.observe(&e, &mut |t| events.push(own(t))));
        }
        parser.finish(&mut |e: Event<'_>| tools.observe(&e, &mut |t| events.push(own(t))));

        let mut streamed: Vec<String> = Vec::new();
        for t in &events {
            match t {
                T::Start { index, .. } => { prop_assert_eq!(*index, streamed.len()); streamed.push(String::new()); }
                T::Args(i, d) => streamed[*i].push_str(d),
                T::End { index, raw, .. } => prop_assert_eq!(&streamed[*index], raw),
                T::Diag(..) => {}
            }
        }
        // Same calls as the whole-completion API.
        let whole = run(extractor(), &text);
        let merged = |v: &[T]| -> Vec<T> { v.iter().filter(|t| !matches!(t, T::Args(..))).cloned().collect() };
        prop_assert_eq!(merged(&events), merged(&whole));
    }
}

/// Issue 9 item 6: each argument-shape repair is reported before the call's End, the raw
/// text stays as written, and the switch turns them off.
#[test]
fn argument_shapes_are_repaired_and_reported() {
    use harmony_tools::ToolOptions;
    let cases = [
        (
            r#"{"name": "f", "parameters": {"a": 1}}"#,
            ToolDiagnosticKind::RepairEnvelope,
        ),
        (
            r#"[{"a": 1}]"#,
            ToolDiagnosticKind::RepairSingleElementArray,
        ),
        (r#"{"a": 1}]"#, ToolDiagnosticKind::RepairTrailingText),
        (r#""{\"a\": 1}""#, ToolDiagnosticKind::RepairDoubleEncoded),
    ];
    for (raw, kind) in cases {
        let text = format!(
            "<|channel|>commentary to=functions.f <|constrain|>json<|message|>{raw}<|call|>"
        );
        let events = run(extractor(), &text);
        let n = events.len();
        assert!(
            matches!(&events[n - 2], T::Diag(0, k, _) if *k == kind),
            "{raw}: {events:?}"
        );
        assert_eq!(
            events[n - 1],
            T::End {
                index: 0,
                arguments: Ok(json!({"a": 1})),
                raw: raw.into(),
                complete: true
            },
            "{raw}"
        );
        let off = run(
            extractor().with_options(ToolOptions::new().repairs(false)),
            &text,
        );
        assert!(
            !off.iter().any(|e| matches!(e, T::Diag(..))),
            "{raw}: repairs off: {off:?}"
        );
    }
    // The dropped text is the detail; truncated arguments are never repaired.
    let events = run(
        extractor(),
        "<|channel|>commentary to=functions.f<|message|>{\"a\": 1} ok?<|call|>",
    );
    assert!(events.contains(&T::Diag(
        0,
        ToolDiagnosticKind::RepairTrailingText,
        "ok?".into()
    )));
    let events = run(
        extractor(),
        "<|channel|>commentary to=functions.f<|message|>[{\"a\": 1}]",
    );
    // Cut off by the end of input: not repaired, even though the text would be.
    assert!(!events.iter().any(|e| matches!(e, T::Diag(..))));
    assert!(matches!(
        events.last(),
        Some(T::End {
            arguments: Err(ArgsError::NotAnObject { .. }),
            complete: false,
            ..
        })
    ));
}

#[test]
fn a_bare_body_fills_the_one_required_string_parameter_when_the_schema_says_so() {
    use harmony_tools::ToolOptions;
    let schema =
        json!({"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]});
    let tools = || extractor().with_options(ToolOptions::new().tool("shell", schema.clone()));
    let events = run(
        tools(),
        "<|channel|>commentary to=functions.shell<|message|>ls -R<|call|>",
    );
    assert!(events.contains(&T::Diag(
        0,
        ToolDiagnosticKind::RepairBareString,
        String::new()
    )));
    assert!(
        matches!(events.last(), Some(T::End { arguments: Ok(v), raw, .. }) if *v == json!({"cmd": "ls -R"}) && raw == "ls -R")
    );
    // A repair whose result does not fit the schema does not apply.
    let events = run(
        tools(),
        "<|channel|>commentary to=functions.shell<|message|>[{\"path\": 1}]<|call|>",
    );
    assert!(matches!(
        events.last(),
        Some(T::End {
            arguments: Err(ArgsError::NotAnObject { .. }),
            ..
        })
    ));
}

/// Issue 11 item 5: strict mode drops a call to an undeclared function into content.
#[test]
fn strict_mode_drops_calls_to_undeclared_tools_into_content() {
    use harmony_tools::ToolOptions;
    let mut tools =
        extractor().with_options(ToolOptions::new().declared(["get_weather"]).strict(true));
    let mut parser = TextParser::new();
    let (mut events, mut content) = (Vec::new(), String::new());
    let text = "<|channel|>commentary to=functions.delete_all<|message|>{}<|call|>\
                <|start|>assistant<|channel|>commentary to=functions.get_weather<|message|>{\"city\":\"Oslo\"}<|call|>";
    let mut sink = |e: Event<'_>| {
        tools.observe(&e, &mut |t: ToolEvent<'_>| events.push(own(t)));
        if let Event::Delta(d) = e {
            if tools.rejected() {
                content.push_str(d);
            }
        }
    };
    parser.feed(text.as_bytes(), &mut sink);
    parser.finish(&mut sink);
    assert_eq!(content, "{}");
    assert_eq!(
        events[0],
        T::Diag(
            0,
            ToolDiagnosticKind::UndeclaredToolDropped,
            "delete_all".into()
        )
    );
    assert!(matches!(&events[1], T::Start { index: 0, name, .. } if name == "get_weather"));
}
