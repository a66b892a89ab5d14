//! The tolerance policy (docs/design.md, tolerance policy), one test per rule: malformed model output is
//! normal input; each case is read in a defined way, reported, and loses no text.

mod common;

use common::*;
use harmony_kit::stream::{Completion, ParserOptions, Role, Stop};

fn parse(text: &str) -> Completion {
    ours_text(text.as_bytes(), ParserOptions::new()).0
}

fn kinds(c: &Completion) -> Vec<&'static str> {
    c.diagnostics.iter().map(|d| d.kind.as_str()).collect()
}

/// (channel, recipient, content_type, content, stop) of a message.
type Shape<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    &'a str,
    Stop,
);

fn shape(c: &Completion) -> Vec<Shape<'_>> {
    c.messages
        .iter()
        .map(|m| {
            (
                m.channel.as_deref(),
                m.recipient.as_deref(),
                m.content_type.as_deref(),
                m.content.as_str(),
                m.stop,
            )
        })
        .collect()
}

#[test]
fn rule_01_completion_without_start_gets_an_implicit_assistant_header() {
    let c = parse("<|channel|>final<|message|>Hi<|return|>");
    assert_eq!(c.messages[0].role, Role::Assistant);
    assert_eq!(shape(&c), [(Some("final"), None, None, "Hi", Stop::Return)]);
    assert_eq!(kinds(&c), ["implicit_start"]);
    // Auto-detected: input that does start with <|start|> is whole messages, silently.
    let c = parse("<|start|>user<|message|>Hi<|end|>");
    assert_eq!(c.messages[0].role, Role::User);
    assert!(c.diagnostics.is_empty());
}

#[test]
fn rule_02_recipient_anywhere_in_the_header() {
    for header in [
        "<|start|>assistant to=functions.f<|channel|>commentary<|message|>",
        "<|start|>assistant<|channel|>commentary to=functions.f<|message|>",
        "<|start|>assistant<|channel|>commentary<|constrain|>json to=functions.f<|message|>",
        "<|start|> to=functions.f<|channel|>commentary<|message|>",
    ] {
        let c = parse(&format!("{header}{{}}<|call|>"));
        assert_eq!(
            c.messages[0].recipient.as_deref(),
            Some("functions.f"),
            "{header}"
        );
        assert_eq!(c.messages[0].role, Role::Assistant, "{header}");
        assert_eq!(c.messages[0].content, "{}");
    }
    let c = parse("<|start|> to=functions.f<|channel|>commentary<|message|>{}<|call|>");
    assert_eq!(kinds(&c), ["missing_role"]);
}

#[test]
fn rule_03_content_type_forms_and_final_constrain_has_no_recipient() {
    let cases = [
        (
            "commentary to=f<|constrain|>json",
            Some("f"),
            Some("<|constrain|>json"),
        ),
        (
            "commentary to=f <|constrain|>json",
            Some("f"),
            Some("<|constrain|>json"),
        ),
        (
            "commentary to=f <|constrain|> json",
            Some("f"),
            Some("<|constrain|>json"),
        ),
        ("commentary to=f json", Some("f"), Some("json")),
        ("analysis to=f code", Some("f"), Some("code")),
        ("commentary to=f", Some("f"), None),
        ("final <|constrain|>json", None, Some("<|constrain|>json")),
    ];
    for (header, recipient, ct) in cases {
        let c = parse(&format!("<|channel|>{header}<|message|>x<|end|>"));
        assert_eq!(c.messages[0].recipient.as_deref(), recipient, "{header}");
        assert_eq!(c.messages[0].content_type.as_deref(), ct, "{header}");
    }
}

#[test]
fn rule_04_several_channels_last_wins_self_recipient_dropped_duplicates_merged() {
    let c = parse("<|channel|>commentary to=assistant<|channel|>analysis<|message|>x<|end|>");
    assert_eq!(shape(&c), [(Some("analysis"), None, None, "x", Stop::End)]);
    assert_eq!(
        kinds(&c),
        ["implicit_start", "self_recipient", "duplicate_channel"]
    );
    let c = parse("<|channel|>commentary to=functions.g to=functions.g<|message|>{}<|call|>");
    assert_eq!(c.messages[0].recipient.as_deref(), Some("functions.g"));
    assert!(kinds(&c).contains(&"duplicate_recipient"));
}

#[test]
fn rule_05_stop_inside_a_header_makes_its_leftover_text_content_for_every_message() {
    let c = parse(
        "I must refuse<|end|><|start|>assistant<|channel|>analysis<|message|>ok<|end|>\
         <|start|>assistant<|channel|>final So sorry.<|return|>",
    );
    assert_eq!(
        shape(&c),
        [
            (None, None, None, "I must refuse", Stop::End),
            (Some("analysis"), None, None, "ok", Stop::End),
            (Some("final"), None, None, "So sorry.", Stop::Return),
        ]
    );
    assert_eq!(
        kinds(&c)
            .iter()
            .filter(|k| **k == "unterminated_header")
            .count(),
        2
    );
}

#[test]
fn rule_05_leftover_text_is_verbatim() {
    let c = parse("...\n\nThe user  asks.\n<|end|>");
    assert_eq!(c.messages[0].content, "...\n\nThe user  asks.\n");
}

#[test]
fn rule_06_garbage_channel_names() {
    let c = parse(
        "<|channel|>commentary?commentary?<|message|>a<|end|><|start|>assistant<|channel|>??<|message|>b<|end|>\
         <|start|>assistant<|channel|>final<|message|>c<|return|>",
    );
    assert_eq!(
        shape(&c),
        [
            (Some("commentary"), None, None, "a", Stop::End),
            (Some("??"), None, None, "b", Stop::End),
            (Some("final"), None, None, "c", Stop::Return),
        ]
    );
    assert!(kinds(&c).contains(&"garbage_channel"));
    assert!(kinds(&c).contains(&"unknown_channel"));
}

#[test]
fn rule_07_stray_stops_and_repeated_starts_are_ignored() {
    let c = parse("<|channel|>final<|message|>a<|end|><|return|><|call|><|start|><|start|>assistant<|start|>assistant<|channel|>final<|message|>b<|return|>");
    assert_eq!(
        shape(&c),
        [
            (Some("final"), None, None, "a", Stop::End),
            (Some("final"), None, None, "b", Stop::Return),
        ]
    );
    assert_eq!(
        kinds(&c),
        [
            "implicit_start",
            "stray_stop",
            "stray_stop",
            "repeated_start",
            "repeated_start"
        ]
    );
}

#[test]
fn rule_08_text_between_messages() {
    let c = parse("<|channel|>final<|message|>a<|end|>\n \n<|start|>assistant<|channel|>final<|message|>b<|end|>");
    assert_eq!(
        c.messages.len(),
        2,
        "whitespace between messages is dropped"
    );
    assert_eq!(kinds(&c), ["implicit_start"]);
    let c = parse("<|channel|>final<|message|>a<|end|>stray words<|start|>assistant<|channel|>final<|message|>b<|end|>");
    assert_eq!(
        shape(&c),
        [
            (Some("final"), None, None, "a", Stop::End),
            (None, None, None, "stray words", Stop::Interrupted),
            (Some("final"), None, None, "b", Stop::End),
        ]
    );
    assert!(kinds(&c).contains(&"text_between_messages"));
}

#[test]
fn rule_09_stream_ends_mid_header_or_mid_content() {
    let c = parse("<|channel|>analysis<|message|>half a thou");
    assert_eq!(
        shape(&c),
        [(Some("analysis"), None, None, "half a thou", Stop::Eof)]
    );
    assert!(kinds(&c).contains(&"truncated"));
    let c = parse("<|channel|>final<|message|>a<|end|><|start|>assistant<|channel|>fin");
    assert_eq!(c.messages.len(), 2);
    assert_eq!(shape(&c)[1], (Some("fin"), None, None, "", Stop::Eof));
}

#[test]
fn rule_10_channelless_text_is_content_unless_a_final_answer_follows() {
    let alone = parse("Just an answer.");
    assert_eq!(alone.content().as_deref(), Some("Just an answer."));
    assert_eq!(alone.reasoning(), None);
    let with_final =
        parse("Pondering.<|end|><|start|>assistant<|channel|>final<|message|>Answer.<|return|>");
    assert_eq!(with_final.reasoning().as_deref(), Some("Pondering."));
    assert_eq!(with_final.content().as_deref(), Some("Answer."));
    assert!(kinds(&with_final).contains(&"channelless_reasoning"));
}

#[test]
fn rule_11_start_inside_content_closes_the_open_message() {
    let c = parse("<|channel|>analysis<|message|>think<|start|>assistant<|channel|>final<|message|>done<|return|>");
    assert_eq!(
        shape(&c),
        [
            (Some("analysis"), None, None, "think", Stop::Interrupted),
            (Some("final"), None, None, "done", Stop::Return),
        ]
    );
    assert!(kinds(&c).contains(&"missing_end"));
}

#[test]
fn rule_12_channel_between_messages_opens_a_header() {
    for between in ["", "assistant"] {
        let c = parse(&format!(
            "<|channel|>analysis<|message|>a<|end|>{between}<|channel|>final<|message|>b<|return|>"
        ));
        assert_eq!(
            shape(&c),
            [
                (Some("analysis"), None, None, "a", Stop::End),
                (Some("final"), None, None, "b", Stop::Return),
            ],
            "{between:?}"
        );
        assert!(kinds(&c).contains(&"missing_start"));
    }
}

#[test]
fn header_longer_than_the_bound_becomes_content_and_memory_stays_bounded() {
    let long = "word ".repeat(2000);
    let c = ours_text(long.as_bytes(), ParserOptions::new().max_header_len(1024)).0;
    assert_eq!(c.messages.len(), 1);
    assert_eq!(c.messages[0].content, long.trim_start(), "no text lost");
    assert!(kinds(&c).contains(&"header_too_long"));
}

#[test]
fn markers_inside_content_stay_text() {
    let c = parse("<|channel|>final<|message|>use <|channel|> and <|message|> like this<|return|>");
    assert_eq!(
        c.messages[0].content,
        "use <|channel|> and <|message|> like this"
    );
    assert!(kinds(&c).contains(&"marker_in_content"));
}

// ---- Rules 13-16 (issue 9, classes 2-4 and 7) ----

#[test]
fn rule_13_known_channel_glued_to_text_without_message() {
    for (input, channel, content, stop) in [
        (
            "<|channel|>finalHello there<|end|>",
            "final",
            "Hello there",
            Stop::End,
        ),
        ("<|channel|>final:Hi<|end|>", "final", ":Hi", Stop::End),
        (
            "<|channel|>analysis--Let me see…<|end|>",
            "analysis",
            "--Let me see…",
            Stop::End,
        ),
        (
            "<|channel|>final##DONE##<|return|>",
            "final",
            "##DONE##",
            Stop::Return,
        ),
        (
            "<|channel|>commentaryPreamble",
            "commentary",
            "Preamble",
            Stop::Eof,
        ),
    ] {
        let c = parse(input);
        assert_eq!(
            shape(&c),
            [(Some(channel), None, None, content, stop)],
            "{input}"
        );
        assert!(kinds(&c).contains(&"glued_channel"), "{input}");
    }
    // A header that does reach <|message|> keeps rule 6: the glued text is header.
    let c = parse("<|channel|>final:Hi<|message|>Body<|end|>");
    assert_eq!(shape(&c), [(Some("final"), None, None, "Body", Stop::End)]);
    assert!(kinds(&c).contains(&"garbage_channel"));
}

#[test]
fn rule_14_empty_channel_then_recipient_is_a_tool_call() {
    for input in [
        "<|channel|> to=functions.lookup <|constrain|>json<|message|>{\"q\":1}<|call|>",
        "<|start|>assistant<|channel|>to=functions.lookup <|constrain|>json<|message|>{\"q\":1}<|call|>",
    ] {
        let c = parse(input);
        assert_eq!(
            shape(&c),
            [(None, Some("functions.lookup"), Some("<|constrain|>json"), "{\"q\":1}", Stop::Call)],
            "{input}"
        );
        assert!(c.messages[0].is_tool_call());
        assert!(kinds(&c).contains(&"empty_channel"));
    }
}

#[test]
fn rule_15_content_type_glued_to_the_body() {
    for (header, ct) in [
        ("<|constrain|>json{\"a\":1}", "<|constrain|>json"),
        ("json {\"a\":1}", "json"),
        ("json{\"a\":1}", "json"),
    ] {
        let c = parse(&format!(
            "<|channel|>commentary to=functions.f {header}<|call|>"
        ));
        assert_eq!(
            shape(&c),
            [(
                Some("commentary"),
                Some("functions.f"),
                Some(ct),
                "{\"a\":1}",
                Stop::Call
            )],
            "{header}"
        );
        assert!(kinds(&c).contains(&"glued_content_type"), "{header}");
    }
    // Without a recipient a leading `json` is just a word of the content.
    let c = parse("<|channel|>final json is fun<|end|>");
    assert_eq!(
        shape(&c),
        [(Some("final"), None, None, "json is fun", Stop::End)]
    );
}

#[test]
fn rule_16_stripped_special_tokens_are_split_back_into_messages_opt_in() {
    let text = "analysisThe user asks… assistantcommentary to=functions.f json{\"x\":1}assistantfinalThe answer";
    let on = ParserOptions::new().stripped_special_tokens(true);
    let c = ours_text(text.as_bytes(), on).0;
    assert_eq!(
        shape(&c),
        [
            (Some("analysis"), None, None, "The user asks… ", Stop::End),
            (
                Some("commentary"),
                Some("functions.f"),
                Some("json"),
                "{\"x\":1}",
                Stop::End
            ),
            (Some("final"), None, None, "The answer", Stop::Eof),
        ]
    );
    assert!(kinds(&c).contains(&"stripped_special_tokens"));
    // Any split gives the same messages, and content streams before the message ends.
    for cut in 0..text.len() {
        let mut parser = harmony_kit::stream::TextParser::with_options(on);
        let mut col = harmony_kit::stream::Collector::new();
        parser.feed(&text.as_bytes()[..cut], &mut col);
        parser.feed(&text.as_bytes()[cut..], &mut col);
        parser.finish(&mut col);
        assert_eq!(col.finish().messages, c.messages, "cut at {cut}");
    }
    let mut parser = harmony_kit::stream::TextParser::with_options(on);
    let mut col = harmony_kit::stream::Collector::new();
    parser.feed(b"analysisThe user asks for help with", &mut col);
    assert_eq!(col.messages()[0].content, "The user asks for help with");
    // Off by default: the same text is one channel-less message.
    let c = parse(text);
    assert_eq!(c.messages.len(), 1);
    assert_eq!(c.messages[0].content, text);
}

#[test]
fn diagnostics_are_capped_per_kind_and_the_rest_counted() {
    let many = "<|channel|>final<|message|>".to_owned() + &"x<|channel|>".repeat(100_000);
    let c = parse(&many);
    let in_content = c
        .diagnostics
        .iter()
        .filter(|d| d.kind.as_str() == "marker_in_content")
        .count();
    assert_eq!(in_content, 64, "the default bound");
    let last = c.diagnostics.last().unwrap();
    assert_eq!(last.kind.as_str(), "diagnostics_suppressed");
    assert_eq!(last.detail, "marker_in_content 99936");
    assert_eq!(
        c.messages[0].content.len(),
        100_000 * "x<|channel|>".len(),
        "no text lost"
    );
    let all = ours_text(
        many.as_bytes(),
        ParserOptions::new().max_diagnostics_per_kind(u32::MAX),
    )
    .0;
    assert_eq!(all.diagnostics.len(), 100_000 + 2);
}

/// tests/corpus/tolerance_cases.jsonl: cases of our own for rules 13-16, each with its
/// source; every case also passes the lossless invariant, on text and on token ids.
#[test]
fn tolerance_corpus() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/tolerance_cases.jsonl"
    );
    let text = std::fs::read_to_string(path).unwrap();
    for line in text.lines() {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = case["id"].as_str().unwrap();
        let completion = case["completion"].as_str().unwrap();
        let options = ParserOptions::new()
            .stripped_special_tokens(case["stripped_special_tokens"].as_bool().unwrap());
        let (c, _) = ours_text(completion.as_bytes(), options);
        let got = serde_json::json!({
            "messages": c.messages.iter().map(|m| serde_json::json!({
                "channel": m.channel, "recipient": m.recipient, "content_type": m.content_type,
                "content": m.content, "stop": m.stop.as_str(),
            })).collect::<Vec<_>>(),
            "diagnostics": kinds(&c),
            "reasoning": c.reasoning(),
            "content": c.content(),
        });
        if std::env::var_os("PRINT_CORPUS").is_some() {
            println!("{id}\t{got}");
            continue;
        }
        assert_eq!(got, case["expected"], "{id}");
        let (tok, _) = ours_tokens(&encode(completion), options);
        assert_eq!(tok.messages, c.messages, "{id}: token ids");
        let mut rec = common::lossless::Lossless::new();
        let mut parser = harmony_kit::stream::TextParser::with_options(options);
        parser.feed(completion.as_bytes(), &mut rec);
        parser.finish(&mut rec);
        rec.check(completion.as_bytes())
            .unwrap_or_else(|e| panic!("{id}: {e}"));
    }
}
