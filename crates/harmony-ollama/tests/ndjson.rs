//! The sans-IO decoder: chunking invariance (any split, mid-line, mid-escape, mid-UTF-8),
//! zero-copy borrowing, line bounds, error positions, no panic on any bytes.

use harmony_ollama::testing::go_json_string;
use harmony_ollama::{ChatLine, DecodeError, GenerateLine, NdjsonDecoder};
use proptest::prelude::*;

/// What a line decoded to, detached from the input so runs can be compared.
#[derive(Debug, PartialEq)]
enum Seen {
    Line(u64, String, bool, Option<String>),
    TooLong(u64),
    Json(u64, usize),
}

fn decode_split(input: &[u8], cuts: &[usize], max: usize) -> Vec<Seen> {
    let mut dec = NdjsonDecoder::with_max_line_len(max);
    let mut out = Vec::new();
    let mut push = |r: Option<Result<harmony_ollama::RawLine<'_>, DecodeError>>| -> bool {
        match r {
            None => false,
            Some(Ok(raw)) => {
                match raw.generate() {
                    Ok(l) => out.push(Seen::Line(
                        raw.number(),
                        l.response.into_owned(),
                        l.done,
                        l.done_reason.map(|t| t.into_owned()),
                    )),
                    Err(DecodeError::Json { line, column, .. }) => {
                        out.push(Seen::Json(line, column))
                    }
                    Err(e) => panic!("unexpected {e}"),
                }
                true
            }
            Some(Err(DecodeError::LineTooLong { line, .. })) => {
                out.push(Seen::TooLong(line));
                true
            }
            Some(Err(e)) => panic!("unexpected {e}"),
        }
    };
    let mut prev = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.push(input.len());
    for cut in cuts {
        let mut lines = dec.feed(&input[prev..cut]);
        while push(lines.next_line()) {}
        prev = cut;
    }
    let mut lines = dec.finish();
    while push(lines.next_line()) {}
    out
}

fn generate_ndjson(fragments: &[String]) -> String {
    let mut s = String::new();
    for f in fragments {
        s.push_str(
            r#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:30.123456789Z","response":"#,
        );
        s.push_str(&go_json_string(f));
        s.push_str(",\"done\":false}\n");
    }
    s.push_str(r#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:31Z","response":"","done":true,"done_reason":"stop","total_duration":1,"eval_count":3}"#);
    s.push('\n');
    s
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<|channel|>".to_string()),
        Just("<|message|>".to_string()),
        Just("<|end|>".to_string()),
        Just("a & b > c".to_string()),
        Just("é€😀\u{2028}".to_string()),
        Just("\"quoted\\\" \n\t".to_string()),
        "\\PC{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_split_gives_the_same_lines(frags in prop::collection::vec(fragment(), 0..20),
                                      cuts in prop::collection::vec(any::<usize>(), 0..40)) {
        let input = generate_ndjson(&frags);
        let whole = decode_split(input.as_bytes(), &[], usize::MAX);
        let split = decode_split(input.as_bytes(), &cuts, usize::MAX);
        prop_assert_eq!(&whole, &split);
        // And the text is what was encoded.
        let text: String = whole.iter().map(|s| match s { Seen::Line(_, r, ..) => r.as_str(), _ => "" }).collect();
        prop_assert_eq!(text, frags.concat());
    }

    #[test]
    fn byte_by_byte_equals_whole(frags in prop::collection::vec(fragment(), 0..8)) {
        let input = generate_ndjson(&frags);
        let cuts: Vec<usize> = (0..input.len()).collect();
        prop_assert_eq!(decode_split(input.as_bytes(), &[], 1 << 20), decode_split(input.as_bytes(), &cuts, 1 << 20));
    }

    #[test]
    fn bound_is_split_invariant(frags in prop::collection::vec(fragment(), 0..12),
                                cuts in prop::collection::vec(any::<usize>(), 0..30),
                                max in 0usize..200) {
        let input = generate_ndjson(&frags);
        prop_assert_eq!(decode_split(input.as_bytes(), &[], max), decode_split(input.as_bytes(), &cuts, max));
    }

    #[test]
    fn no_panic_and_bounded_memory_on_any_bytes(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..16)) {
        let max = 100;
        let mut dec = NdjsonDecoder::with_max_line_len(max);
        for chunk in &chunks {
            let mut lines = dec.feed(chunk);
            while let Some(l) = lines.next_line() {
                if let Ok(raw) = l {
                    let _ = raw.generate();
                    let _ = raw.chat();
                }
            }
            drop(lines);
            prop_assert!(dec.buffered() <= max);
        }
        let mut lines = dec.finish();
        while lines.next_line().is_some() {}
    }

    #[test]
    fn dropping_the_cursor_early_loses_nothing(frags in prop::collection::vec(fragment(), 1..10),
                                              cuts in prop::collection::vec(any::<usize>(), 0..10),
                                              take in 0usize..3) {
        let input = generate_ndjson(&frags);
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.push(input.len());
        let mut dec = NdjsonDecoder::new();
        let mut text = String::new();
        let mut prev = 0;
        for cut in cuts {
            let mut lines = dec.feed(&input.as_bytes()[prev..cut]);
            // Read at most `take` lines, then drop the cursor.
            for _ in 0..take {
                match lines.next_generate() {
                    Some(l) => text.push_str(&l.unwrap().response),
                    None => break,
                }
            }
            prev = cut;
        }
        let mut lines = dec.finish();
        while let Some(l) = lines.next_generate() {
            text.push_str(&l.unwrap().response);
        }
        prop_assert_eq!(text, frags.concat());
    }
}

#[test]
fn unescaped_strings_borrow_from_the_chunk() {
    let input = b"{\"model\":\"gpt-oss:20b\",\"response\":\"Hello\",\"done\":false}\n";
    let mut dec = NdjsonDecoder::new();
    let mut lines = dec.feed(input);
    let line = lines.next_generate().unwrap().unwrap();
    assert!(line.response.is_borrowed());
    assert!(line.model.is_borrowed());
    let range = input.as_ptr_range();
    assert!(
        range.contains(&line.response.as_ptr()),
        "borrowed from the fed chunk itself"
    );
}

#[test]
fn go_html_escapes_are_decoded() {
    let input = b"{\"response\":\"\\u003c|start|\\u003eassistant\\u003c|channel|\\u003eanalysis \\u0026 more\"}\n";
    let mut dec = NdjsonDecoder::new();
    let mut lines = dec.feed(input);
    let line = lines.next_generate().unwrap().unwrap();
    assert_eq!(
        line.response,
        "<|start|>assistant<|channel|>analysis & more"
    );
}

#[test]
fn split_inside_an_escape_and_a_utf8_character() {
    let input = "{\"response\":\"\\u003c|end|\\u003e €\"}\n".as_bytes();
    // Cut after `\u00` and in the middle of the 3-byte `€`.
    let euro = input.iter().position(|&b| b == 0xE2).unwrap();
    let esc = 17;
    let mut dec = NdjsonDecoder::new();
    let mut text = String::new();
    for chunk in [&input[..esc], &input[esc..euro + 1], &input[euro + 1..]] {
        let mut lines = dec.feed(chunk);
        while let Some(l) = lines.next_generate() {
            text.push_str(&l.unwrap().response);
        }
    }
    assert_eq!(text, "<|end|> €");
}

#[test]
fn done_line_metrics_and_context() {
    let input = br#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:31.5Z","response":"","done":true,"done_reason":"length","context":[1,2,3],"total_duration":5000000000,"load_duration":1000,"prompt_eval_count":12,"prompt_eval_duration":2000,"eval_count":34,"eval_duration":3000}
"#;
    let mut dec = NdjsonDecoder::new();
    let mut lines = dec.feed(input);
    let line = lines.next_generate().unwrap().unwrap();
    assert!(line.done);
    assert_eq!(line.done_reason.as_deref(), Some("length"));
    assert_eq!(line.context.as_deref(), Some(&[1, 2, 3][..]));
    let m = line.metrics();
    assert_eq!(m.total_duration, Some(std::time::Duration::from_secs(5)));
    assert_eq!(m.prompt_eval_count, Some(12));
    assert_eq!(m.eval_count, Some(34));
    assert_eq!(m.eval_duration, Some(std::time::Duration::from_nanos(3000)));
}

#[test]
fn chat_lines_with_thinking_tool_calls_and_errors() {
    let input = concat!(
        r#"{"model":"gpt-oss:20b","created_at":"t","message":{"role":"assistant","content":"","thinking":"We need \u003ctool\u003e"},"done":false}"#,
        "\n",
        r#"{"model":"gpt-oss:20b","created_at":"t","message":{"role":"assistant","content":"","tool_calls":[{"id":"call_1","function":{"index":0,"name":"get_weather","arguments":{"city":"Paris","units":["c"]}}}]},"done":false}"#,
        "\n",
        r#"{"model":"gpt-oss:20b","created_at":"t","message":{"role":"tool","content":"sunny","tool_name":"get_weather"},"done":false}"#,
        "\n",
        r#"{"error":"error parsing tool call: raw='{\"a\":1]}', err=invalid character ']' after object key:value pair"}"#,
        "\n",
    );
    let mut dec = NdjsonDecoder::new();
    let mut lines = dec.feed(input.as_bytes());
    let l: ChatLine = lines.next_chat().unwrap().unwrap();
    assert_eq!(l.message.unwrap().thinking.unwrap(), "We need <tool>");
    let l = lines.next_chat().unwrap().unwrap();
    let calls = l.message.unwrap().tool_calls;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].id.as_deref(), Some("call_1"));
    assert_eq!(calls[0].function.index, Some(0));
    assert_eq!(calls[0].function.name, "get_weather");
    assert_eq!(
        calls[0].function.arguments.unwrap().get(),
        r#"{"city":"Paris","units":["c"]}"#
    );
    let l = lines.next_chat().unwrap().unwrap();
    assert_eq!(l.message.unwrap().tool_name.as_deref(), Some("get_weather"));
    let l = lines.next_chat().unwrap().unwrap();
    let (raw, detail) = harmony_ollama::parse_tool_call_error(l.error.as_deref().unwrap()).unwrap();
    assert_eq!(raw, r#"{"a":1]}"#);
    assert_eq!(detail, "invalid character ']' after object key:value pair");
}

#[test]
fn malformed_line_reports_line_and_column_and_decoding_continues() {
    let input = b"{\"response\":\"a\"}\n\n{\"response\":\"b\",}\n{\"response\":\"c\"}\n";
    let seen = decode_split(input, &[], usize::MAX);
    assert_eq!(
        seen,
        vec![
            Seen::Line(1, "a".into(), false, None),
            Seen::Json(3, 17),
            Seen::Line(4, "c".into(), false, None),
        ]
    );
    let mut dec = NdjsonDecoder::new();
    let mut lines = dec.feed(b"not json\n");
    let err = lines.next_generate().unwrap().unwrap_err();
    assert_eq!(
        err.to_string(),
        "NDJSON line 1, column 2: expected ident at line 1 column 2"
    );
}

#[test]
fn invalid_utf8_in_a_string_is_a_json_error() {
    let mut dec = NdjsonDecoder::new();
    let mut lines = dec.feed(b"{\"response\":\"\xff\"}\n");
    assert!(matches!(
        lines.next_generate(),
        Some(Err(DecodeError::Json { line: 1, .. }))
    ));
}

#[test]
fn over_long_line_is_an_error_once_then_skipped_in_any_chunking() {
    let long = format!("{{\"response\":\"{}\"}}\n", "x".repeat(1000));
    let input = format!("{{\"response\":\"a\"}}\n{long}{{\"response\":\"b\"}}\n");
    for step in [1, 7, 64, 4096] {
        let cuts: Vec<usize> = (0..input.len()).step_by(step).collect();
        let seen = decode_split(input.as_bytes(), &cuts, 100);
        assert_eq!(
            seen,
            vec![
                Seen::Line(1, "a".into(), false, None),
                Seen::TooLong(2),
                Seen::Line(3, "b".into(), false, None),
            ],
            "step {step}"
        );
    }
}

#[test]
fn default_bound_is_8_mib() {
    let mut dec = NdjsonDecoder::new();
    let chunk = vec![b'x'; 1 << 20];
    let mut errors = 0;
    for _ in 0..9 {
        let mut lines = dec.feed(&chunk);
        while let Some(l) = lines.next_line() {
            assert!(matches!(
                l,
                Err(DecodeError::LineTooLong {
                    line: 1,
                    limit: 8388608
                })
            ));
            errors += 1;
        }
        drop(lines);
        assert!(dec.buffered() <= 8 << 20);
    }
    assert_eq!(errors, 1);
    let mut lines = dec.feed(b"\n{\"done\":true}\n");
    let line = lines.next_line().unwrap().unwrap();
    assert_eq!(line.number(), 2);
}

#[test]
fn crlf_and_missing_final_newline() {
    let seen = decode_split(
        b"{\"response\":\"a\"}\r\n{\"response\":\"b\"}",
        &[],
        usize::MAX,
    );
    assert_eq!(
        seen,
        vec![
            Seen::Line(1, "a".into(), false, None),
            Seen::Line(2, "b".into(), false, None)
        ]
    );
}

#[test]
fn unknown_fields_are_ignored() {
    let mut dec = NdjsonDecoder::new();
    let mut lines = dec.feed(b"{\"response\":\"a\",\"logprobs\":[{\"token\":\"a\"}],\"new\":{}}\n");
    let l: GenerateLine = lines.next_generate().unwrap().unwrap();
    assert_eq!(l.response, "a");
}
