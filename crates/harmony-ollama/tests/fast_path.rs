//! The hand-written fast paths for per-token `/api/generate` and `/api/chat` lines against serde_json.
//!
//! `RawLine::generate` scans Ollama's per-token line by hand and falls back to
//! serde_json for anything else. Whatever the line, its result must be exactly what
//! serde_json gives on the same bytes: the same fields, the same borrowed/owned state
//! of every string, the same error (line, column, message). Lines are generated around
//! the fast path's shape (Ollama's field order, Go escapes, surrogate pairs, control
//! characters, invalid escapes and UTF-8, other orders, extra fields, whitespace) and
//! fed through the decoder under random chunk splits.

use harmony_ollama::{ChatLine, DecodeError, GenerateLine, NdjsonDecoder, RawLine};
use proptest::prelude::*;

/// A decoded line detached from the input: `Debug` of the line plus, for every string,
/// whether it borrows from the input; or the error's position and message.
#[derive(Debug, PartialEq)]
enum Outcome {
    Line(String, Vec<bool>),
    Json(u64, usize, String),
    TooLong(u64),
}

fn snapshot(line: &GenerateLine<'_>) -> Outcome {
    let mut borrowed = vec![
        line.model.is_borrowed(),
        line.created_at.is_borrowed(),
        line.response.is_borrowed(),
    ];
    for t in [
        &line.thinking,
        &line.done_reason,
        &line.error,
        &line.tool_call_error,
    ] {
        borrowed.push(t.as_ref().is_some_and(|t| t.is_borrowed()));
    }
    Outcome::Line(format!("{line:?}"), borrowed)
}

fn outcome(r: Result<GenerateLine<'_>, DecodeError>) -> Outcome {
    r.map_or_else(error_outcome, |l| snapshot(&l))
}

/// A decoding error's position and message.
fn error_outcome(e: DecodeError) -> Outcome {
    match e {
        DecodeError::Json {
            line,
            column,
            source,
        } => Outcome::Json(line, column, source.to_string()),
        // The decoder names a lone surrogate; underneath it is serde_json's error.
        DecodeError::LoneSurrogate { line, source, .. } => {
            Outcome::Json(line, source.column(), source.to_string())
        }
        e => panic!("unexpected {e}"),
    }
}

/// The reference: serde_json straight on the line's bytes.
fn serde_outcome(raw: &RawLine<'_>) -> Outcome {
    outcome(
        serde_json::from_slice::<GenerateLine<'_>>(raw.bytes()).map_err(|source| {
            DecodeError::Json {
                line: raw.number(),
                column: source.column(),
                source,
            }
        }),
    )
}

/// Feeds `input` cut at `cuts`; for every line, the decoder's result and serde_json's.
fn decode_both(input: &[u8], cuts: &[usize]) -> Vec<(Outcome, Outcome)> {
    let mut dec = NdjsonDecoder::new();
    let mut out = Vec::new();
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.push(input.len());
    let mut prev = 0;
    let mut take = |lines: &mut harmony_ollama::Lines<'_>| {
        while let Some(r) = lines.next_line() {
            match r {
                Ok(raw) => out.push((outcome(raw.generate()), serde_outcome(&raw))),
                Err(DecodeError::LineTooLong { line, .. }) => {
                    out.push((Outcome::TooLong(line), Outcome::TooLong(line)))
                }
                Err(e) => panic!("unexpected {e}"),
            }
        }
    };
    for cut in cuts {
        take(&mut dec.feed(&input[prev..cut]));
        prev = cut;
    }
    take(&mut dec.finish());
    out
}

/// One piece of a JSON string body, as bytes on the wire.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Plain text, any Unicode (escaped where JSON requires it, the way Go does).
        4 => "\\PC{0,8}".prop_map(|s| harmony_ollama::testing::go_json_string(&s)
            .trim_matches('"')
            .as_bytes()
            .to_vec()),
        2 => "[a-zA-Z0-9 .,|]{1,8}".prop_map(String::into_bytes),
        2 => prop::sample::select(vec![
            "\\u003c", "\\u003e", "\\u0026", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n",
            "\\r", "\\t", "\\u0000", "\\u001f", "\\u2028", "\\u00e9", "\\u00E9", "\\uFFFF",
            "\\ud83d\\ude00", "\\uD83D\\uDE00", "\\udbff\\udfff", "\\ud800\\udc00",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        // Any \uXXXX, surrogates included, in either case.
        1 => (any::<u16>(), any::<bool>()).prop_map(|(u, upper)| {
            if upper { format!("\\u{u:04X}") } else { format!("\\u{u:04x}") }.into_bytes()
        }),
        // Things serde_json rejects or that the fast path must leave to it.
        1 => prop::sample::select(vec![
            "\\ud83d", "\\ude00", "\\ud83d\\u0041", "\\ud83dx", "\\ud83d\\ud83d", "\\x",
            "\\u12g4", "\\u12", "\\", "\\U0041", "\"", "\t", "\n", "\u{1}", "\u{7f}",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        // A raw control character (JSON requires them escaped), or DEL (allowed).
        1 => (0u8..0x20).prop_map(|b| vec![b]),
        1 => prop::sample::select(vec![
            vec![0xff], vec![0xc3], vec![0xe2, 0x82], vec![0xed, 0xa0, 0x80], vec![0xc0, 0x80],
            "é😀".as_bytes().to_vec(),
        ]),
    ]
}

fn body(max_pieces: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(piece(), 0..max_pieces).prop_map(|p| p.concat())
}

/// Usually a well-formed string (what Ollama sends), sometimes anything `piece` makes.
fn json_string() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => "\\PC{0,16}".prop_map(|s| harmony_ollama::testing::go_json_string(&s).into_bytes()),
        3 => body(6).prop_map(|b| [&b"\""[..], &b, b"\""].concat()),
    ]
}

fn done_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => Just(b"false".to_vec()),
        2 => Just(b"true".to_vec()),
        1 => prop::sample::select(vec!["null", "0", "\"false\"", "fals", "falsey", "false "])
            .prop_map(|s| s.as_bytes().to_vec()),
    ]
}

fn extra_field() -> impl Strategy<Value = Vec<u8>> {
    prop::sample::select(vec![
        "\"thinking\":\"hmm\"",
        "\"done_reason\":\"stop\"",
        "\"error\":\"boom \\u003c\"",
        "\"context\":[1,2,3]",
        "\"eval_count\":3",
        "\"unknown\":{\"a\":[null]}",
        "\"model\":\"dup\"",
        "\"error parsing tool call\":\"x\"",
    ])
    .prop_map(|s| s.as_bytes().to_vec())
}

/// What may follow `done`: the last line's reason and metrics (Go's order, or not),
/// numbers serde_json reads as `u64` or does not.
fn done_tail() -> impl Strategy<Value = Vec<u8>> {
    let number = prop_oneof![
        4 => any::<u64>().prop_map(|n| n.to_string()),
        4 => (0u64..2_000_000_000).prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec![
            "0", "00", "01", "-1", "-0", "1.5", "1e3", "1E3", "2.0", "18446744073709551615",
            "18446744073709551616", "99999999999999999999", "9999999999999999999", "1 ",
            "null", "\"1\"", "",
        ])
        .prop_map(str::to_string),
    ];
    let key = prop::sample::select(vec![
        "total_duration",
        "load_duration",
        "prompt_eval_count",
        "prompt_eval_duration",
        "eval_count",
        "eval_duration",
    ]);
    let metric = (key, number).prop_map(|(k, n)| format!(",\"{k}\":{n}").into_bytes());
    let reason = json_string().prop_map(|r| [&b",\"done_reason\":"[..], &r].concat());
    (
        prop::option::of(reason),
        prop::collection::vec(metric, 0..7),
        any::<bool>(),
        prop::option::of(Just(b",\"context\":[1,2]".to_vec())),
    )
        .prop_map(|(reason, mut metrics, go_order, context)| {
            if go_order {
                let order = |m: &Vec<u8>| {
                    [
                        "total_duration",
                        "load_duration",
                        "prompt_eval_count",
                        "prompt_eval_duration",
                        "eval_count",
                        "eval_duration",
                    ]
                    .iter()
                    .position(|k| m.starts_with(format!(",\"{k}\"").as_bytes()))
                };
                metrics.sort_by_key(order);
                metrics.dedup_by_key(|m| order(m));
            }
            let mut t = reason.unwrap_or_default();
            t.extend(context.unwrap_or_default());
            t.extend(metrics.concat());
            t
        })
}

/// The fields as one JSON object, with `junk` (whitespace or a stray byte) inserted at a
/// position picked by `seed`.
fn object(fields: &[Vec<u8>], junk: &str, seed: u64) -> Vec<u8> {
    let mut line = b"{".to_vec();
    line.extend(fields.join(&b","[..]));
    line.push(b'}');
    let at = (seed >> 16) as usize % (line.len() + 1);
    line.splice(at..at, junk.bytes());
    line
}

/// A line: Ollama's per-token shape most of the time, then variations on it.
fn line() -> impl Strategy<Value = Vec<u8>> {
    let fields = (
        json_string(),
        json_string(),
        json_string(),
        done_value(),
        prop::collection::vec(extra_field(), 0..2),
        any::<u8>(),
        any::<u64>(),
        prop::sample::select(vec![
            "", "", "", "", "", " ", "\r", "x", "}", ",", "\\", "{", "\"",
        ]),
        prop::option::of(done_tail()),
    );
    fields.prop_map(
        |(model, created, response, done, extra, mode, seed, junk, tail)| {
            let mut kv: Vec<Vec<u8>> = vec![
                [&b"\"model\":"[..], &model].concat(),
                [&b"\"created_at\":"[..], &created].concat(),
                [&b"\"response\":"[..], &response].concat(),
                [&b"\"done\":"[..], &done, &tail.unwrap_or_default()].concat(),
            ];
            match mode % 8 {
                // Ollama's shape (the fast path's): most lines.
                0..=4 => {}
                // Another field order.
                5 => {
                    let n = kv.len();
                    kv.swap(seed as usize % n, (seed >> 8) as usize % n);
                }
                // Extra fields, somewhere.
                6 => {
                    for (k, e) in extra.into_iter().enumerate() {
                        let at = (seed as usize >> (8 * k)) % (kv.len() + 1);
                        kv.insert(at, e);
                    }
                }
                // A field dropped.
                _ => {
                    kv.remove(seed as usize % 4);
                }
            }
            object(&kv, junk, seed)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn decoder_equals_serde_json_on_every_line(lines in prop::collection::vec(line(), 1..12),
                                               cuts in prop::collection::vec(any::<usize>(), 0..24)) {
        let mut input = Vec::new();
        for l in &lines {
            input.extend_from_slice(l);
            input.push(b'\n');
        }
        let results = decode_both(&input, &cuts);
        for (ours, serde) in &results {
            prop_assert_eq!(ours, serde);
        }
        // And chunking does not change anything.
        let whole: Vec<Outcome> = decode_both(&input, &[]).into_iter().map(|(o, _)| o).collect();
        let split: Vec<Outcome> = results.into_iter().map(|(o, _)| o).collect();
        prop_assert_eq!(whole, split);
    }

    /// Arbitrary bytes after (a prefix of) the fast path's shape, and anywhere: no panic,
    /// same result as serde_json.
    #[test]
    fn arbitrary_bytes_agree_with_serde_json(prefix in 0usize..5,
                                             tail in prop::collection::vec(any::<u8>(), 0..48),
                                             cuts in prop::collection::vec(any::<usize>(), 0..8)) {
        let heads: [&[u8]; 5] = [
            b"",
            b"{\"model\":\"",
            b"{\"model\":\"m\",\"created_at\":\"",
            b"{\"model\":\"m\",\"created_at\":\"t\",\"response\":\"",
            b"{\"model\":\"m\",\"created_at\":\"t\",\"response\":\"r\",\"done\":",
        ];
        let input = [heads[prefix], &tail[..], b"\n"].concat();
        for (ours, serde) in decode_both(&input, &cuts) {
            prop_assert_eq!(ours, serde);
        }
    }
}

#[test]
fn ollama_lines_decode_like_serde_json() {
    let input = concat!(
        r#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:30.1Z","response":"\u003c|channel|\u003e","done":false}"#,
        "\n",
        r#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:30.1Z","response":"plain","done":false}"#,
        "\r\n",
        r#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:30.1Z","response":"\ud83d\ude00 \"q\" \\ \n a \u0026 b","done":false}"#,
        "\n",
        r#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:30.1Z","response":"é€","done":true}"#,
        "\n",
        r#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:31Z","response":"","done":true,"done_reason":"stop","total_duration":1,"eval_count":3}"#,
        "\n",
        r#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:30.1Z","response":"\ud83d","done":false}"#,
        "\n",
        r#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:30.1Z","response":"a","done":fals}"#,
        "\n",
        r#"{"error":"model runner crashed"}"#,
        "\n",
    );
    let results = decode_both(input.as_bytes(), &[]);
    assert_eq!(results.len(), 8);
    for (ours, serde) in &results {
        assert_eq!(ours, serde);
    }
    // The escaped response is owned, the plain one borrowed, as with serde_json.
    let mut dec = NdjsonDecoder::new();
    let mut lines = dec.feed(input.as_bytes());
    let first = lines.next_generate().unwrap().unwrap();
    assert_eq!(first.response, "<|channel|>");
    assert!(!first.response.is_borrowed() && first.model.is_borrowed());
    let second = lines.next_generate().unwrap().unwrap();
    assert!(second.response.is_borrowed());
    assert_eq!(
        lines.next_generate().unwrap().unwrap().response,
        "😀 \"q\" \\ \n a & b"
    );
    assert!(lines.next_generate().unwrap().unwrap().done);
    assert!(matches!(
        lines.next_generate().unwrap(),
        Ok(l) if l.done_reason.as_deref() == Some("stop") && l.eval_count == Some(3)
    ));
    assert!(matches!(
        lines.next_generate().unwrap(),
        // A lone `\ud83d`: named, not serde_json's `unexpected end of hex escape`.
        Err(DecodeError::LoneSurrogate { line: 6, .. })
    ));
}

// `/api/chat`: the same promise for `RawLine::chat`, whose fast path takes the per-token
// line `{"model":…,"created_at":…,"message":{"role":…,"content":…[,"thinking":…]},"done":…}`.

/// A chat line's result detached from the input, as [`Outcome`] for generate lines.
fn chat_outcome(r: Result<ChatLine<'_>, DecodeError>) -> Outcome {
    match r {
        Ok(l) => {
            let m = l.message.as_ref();
            let borrowed = vec![
                l.model.is_borrowed(),
                l.created_at.is_borrowed(),
                m.is_some_and(|m| m.role.is_borrowed()),
                m.is_some_and(|m| m.content.is_borrowed()),
                m.and_then(|m| m.thinking.as_ref())
                    .is_some_and(|t| t.is_borrowed()),
            ];
            Outcome::Line(format!("{l:?}"), borrowed)
        }
        Err(e) => error_outcome(e),
    }
}

/// A chat line: Ollama's per-token shape most of the time, then variations on it (other
/// orders, the fields of tool calls and of the last line, a dropped field, stray bytes).
fn chat_line() -> impl Strategy<Value = Vec<u8>> {
    let extra_in_message = prop::sample::select(vec![
        "\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":{\"a\":1}}}]",
        "\"images\":[]",
        "\"tool_name\":\"f\"",
        "\"thinking\":\"again\"",
    ]);
    let extra_outside = prop::sample::select(vec![
        "\"done_reason\":\"stop\"",
        "\"eval_count\":3",
        "\"error\":\"boom\"",
        "\"message\":null",
    ]);
    (
        (json_string(), json_string(), json_string(), json_string()),
        prop::option::of(json_string()),
        done_value(),
        (extra_in_message, extra_outside),
        any::<u8>(),
        any::<u64>(),
        prop::sample::select(vec!["", "", "", " ", "\r", "x", "}", ",", "{", "\""]),
    )
        .prop_map(
            |(
                (model, created, role, content),
                thinking,
                done,
                (inner, outer),
                mode,
                seed,
                junk,
            )| {
                let mut message: Vec<Vec<u8>> = vec![
                    [&b"\"role\":"[..], &role].concat(),
                    [&b"\"content\":"[..], &content].concat(),
                ];
                if let Some(t) = thinking {
                    message.push([&b"\"thinking\":"[..], &t].concat());
                }
                let mut kv: Vec<Vec<u8>> = vec![
                    [&b"\"model\":"[..], &model].concat(),
                    [&b"\"created_at\":"[..], &created].concat(),
                    Vec::new(), // the message, below
                    [&b"\"done\":"[..], &done].concat(),
                ];
                match mode % 8 {
                    0..=3 => {}
                    4 => {
                        let n = message.len();
                        message.swap(seed as usize % n, (seed >> 8) as usize % n);
                    }
                    5 => message.insert(seed as usize % (message.len() + 1), inner.into()),
                    6 => kv.insert(seed as usize % 5, outer.into()),
                    _ => kv.swap(seed as usize % 4, (seed >> 8) as usize % 4),
                }
                let body = [&b"\"message\":{"[..], &message.join(&b","[..]), b"}"].concat();
                if let Some(slot) = kv.iter_mut().find(|f| f.is_empty()) {
                    *slot = body;
                }
                object(&kv, junk, seed)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn chat_lines_decode_like_serde_json(lines in prop::collection::vec(chat_line(), 1..8),
                                         cut in any::<usize>()) {
        let mut input = Vec::new();
        for l in &lines {
            input.extend_from_slice(l);
            input.push(b'\n');
        }
        let cut = cut % (input.len() + 1);
        let mut dec = NdjsonDecoder::new();
        let mut n = 0;
        for piece in [&input[..cut], &input[cut..]] {
            let mut lines = dec.feed(piece);
            while let Some(r) = lines.next_line() {
                let raw = r.unwrap();
                let serde = chat_outcome(
                    serde_json::from_slice::<ChatLine<'_>>(raw.bytes()).map_err(|source| {
                        DecodeError::Json { line: raw.number(), column: source.column(), source }
                    }),
                );
                prop_assert_eq!(chat_outcome(raw.chat()), serde);
                n += 1;
            }
        }
        // A raw newline inside a generated string splits its line in two.
        prop_assert!(n >= lines.len());
    }
}

#[test]
fn ollama_chat_lines_take_the_fast_path_and_the_last_line_serde_json() {
    let mut w = harmony_ollama::testing::OllamaNdjson::new("gpt-oss:20b");
    w.chat_delta("", "Let me <think>")
        .chat_delta("Hi", "")
        .chat_done("stop");
    let input = w.finish();
    let mut dec = NdjsonDecoder::new();
    let mut lines = dec.feed(input.as_bytes());
    let thinking = lines.next_chat().unwrap().unwrap();
    let m = thinking.message.unwrap();
    assert_eq!(m.thinking.as_deref(), Some("Let me <think>"));
    assert!(!m.thinking.unwrap().is_borrowed(), "Go escapes < and >");
    let content = lines.next_chat().unwrap().unwrap();
    let m = content.message.unwrap();
    assert_eq!((m.role.as_ref(), m.content.as_ref()), ("assistant", "Hi"));
    assert!(m.content.is_borrowed() && content.model.is_borrowed());
    let last = lines.next_chat().unwrap().unwrap();
    assert!(last.done);
    assert_eq!(last.done_reason.as_deref(), Some("stop"));
}
