//! `harmony_kit::compat` against `openai-harmony` 0.0.8 itself (the oracle, loaded
//! offline): the same JSON for every message type, the same renderings, the same tokenizer
//! answers, the same parser state after every token; and, where compat deviates by design,
//! what it answers instead (malformed headers, ids outside the vocabulary).

use std::collections::HashSet;

use harmony_kit::compat::chat::{
    Author, Content, Conversation, DeveloperContent, Message, ReasoningEffort, Role, SystemContent,
    TextContent, ToolDescription,
};
use harmony_kit::compat::encoding::RenderConversationConfig;
use harmony_kit::compat::{
    load_harmony_encoding, HarmonyEncoding, HarmonyEncodingName, ParseOptions, StreamableParser,
};
use openai_harmony::chat as r;
use serde_json::json;

fn ours() -> HarmonyEncoding {
    load_harmony_encoding(HarmonyEncodingName::HarmonyGptOss).unwrap()
}

fn oracle() -> openai_harmony::HarmonyEncoding {
    harmony_testkit::reference_encoding()
}

/// Our message, rebuilt as the reference's type through the JSON both claim to share.
fn to_reference<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap()
}

fn conversation() -> Conversation {
    Conversation::from_messages([
        Message::from_role_and_content(
            Role::System,
            SystemContent::new()
                .with_reasoning_effort(ReasoningEffort::High)
                .with_conversation_start_date("2025-06-28")
                .with_browser_tool(),
        ),
        Message::from_role_and_content(
            Role::Developer,
            DeveloperContent::new()
                .with_instructions("Be brief.")
                .with_function_tools(vec![ToolDescription::new(
                    "get_weather",
                    "Weather for a city.",
                    Some(json!({"type": "object", "properties": {"city": {"type": "string"}}})),
                )]),
        ),
        Message::from_author_and_content(Author::new(Role::User, "alice"), "Weather in Paris?"),
        Message::from_role_and_content(Role::Assistant, "Need the tool.").with_channel("analysis"),
        Message::from_role_and_content(Role::Assistant, r#"{"city":"Paris"}"#)
            .with_channel("commentary")
            .with_recipient("functions.get_weather")
            .with_content_type("<|constrain|>json"),
        Message::from_author_and_content(
            Author::new(Role::Tool, "functions.get_weather"),
            r#"{"temp":20}"#,
        )
        .with_channel("commentary")
        .with_recipient("assistant"),
        Message::from_role_and_contents(
            Role::Assistant,
            [
                Content::from("It is "),
                Content::Text(TextContent {
                    text: "20C.".into(),
                }),
            ],
        )
        .with_channel("final"),
    ])
}

#[test]
fn every_message_type_serialises_to_the_reference_json_and_back() {
    let convo = conversation();
    let json = serde_json::to_string(&convo).unwrap();
    let theirs: r::Conversation = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string(&theirs).unwrap(), json);
    let back: Conversation =
        serde_json::from_str(&serde_json::to_string(&theirs).unwrap()).unwrap();
    assert_eq!(back, convo);
    // A bare string and a one-text list read the same; None fields are omitted.
    let m: Message =
        serde_json::from_str(r#"{"role":"user","content":[{"type":"text","text":"hi"}]}"#).unwrap();
    assert_eq!(m, Message::from_role_and_content(Role::User, "hi"));
    assert_eq!(to_reference(&m), json!({"role": "user", "content": "hi"}));
    // The content types the reference leaves at null are serialised as null.
    let sys = to_reference(&Content::from(SystemContent::new()));
    let theirs = to_reference(&r::Content::from(r::SystemContent::new()));
    assert_eq!(sys, theirs);
    assert_eq!(to_reference(&ReasoningEffort::Low), json!("Low"));
}

#[test]
fn renderings_equal_the_reference_token_for_token() {
    let (e, o) = (ours(), oracle());
    let convo = conversation();
    let theirs: r::Conversation = serde_json::from_value(to_reference(&convo)).unwrap();
    // The reference's `RenderConversationConfig` is not reachable from outside its crate
    // (its `encoding` module is private), so only `None` can be compared here; dropping
    // analysis is covered by its own suite (tests/compat_reference.rs, test-data).
    assert_eq!(
        e.render_conversation_for_completion(&convo, Role::Assistant, None)
            .unwrap(),
        o.render_conversation_for_completion(&theirs, r::Role::Assistant, None)
            .unwrap()
    );
    assert_eq!(
        e.render_conversation(&convo, None).unwrap(),
        o.render_conversation(&theirs, None).unwrap()
    );
    assert_eq!(
        e.render_conversation_for_training(&convo, None).unwrap(),
        o.render_conversation_for_training(&theirs, None).unwrap()
    );
    // The final answer comes last, so dropping removes the analysis before it.
    let drop = RenderConversationConfig {
        auto_drop_analysis: true,
    };
    let dropped = e.render_conversation(&convo, Some(&drop)).unwrap();
    let without: Vec<Message> = convo
        .messages
        .iter()
        .filter(|m| m.channel.as_deref() != Some("analysis"))
        .cloned()
        .collect();
    assert_eq!(dropped, e.render_conversation(&without, None).unwrap());
    for (m, t) in convo.messages.iter().zip(&theirs.messages) {
        assert_eq!(e.render(m, None).unwrap(), o.render(t, None).unwrap());
    }
    let mut into = vec![7];
    e.render_conversation_for_completion_into(&convo, Role::User, &mut into, None)
        .unwrap();
    assert_eq!(
        into[1..],
        o.render_conversation_for_completion(&theirs, r::Role::User, None)
            .unwrap()
    );
    assert_eq!(e.stop_tokens().unwrap(), o.stop_tokens().unwrap());
    assert_eq!(
        e.stop_tokens_for_assistant_actions().unwrap(),
        o.stop_tokens_for_assistant_actions().unwrap()
    );
    // Both refuse a tool message without a name.
    let nameless = [Message::from_role_and_content(Role::Tool, "x")];
    assert!(e.render_conversation(&nameless, None).is_err());
}

#[test]
fn the_tokenizer_answers_like_the_reference() {
    let (e, o) = (ours(), oracle());
    let (ours, theirs) = (e.tokenizer(), o.tokenizer());
    assert_eq!(ours.special_tokens(), theirs.special_tokens());
    for id in (0..10).chain(199_990..201_095).chain([u32::MAX]) {
        assert_eq!(
            ours.is_special_token(id),
            theirs.is_special_token(id),
            "{id}"
        );
        assert_eq!(
            ours.decode_bytes([id]).ok(),
            theirs.decode_bytes([id]).ok(),
            "{id}"
        );
    }
    let texts = [
        "hello world",
        "<|start|>user<|message|>Hi  there\n\n<|end|>",
        "ends with spaces   ",
        "<|reserved_201088|> and <|reserved_200014|>",
        "emoji 🫠🫠 and 龘 <|call|>",
        "",
    ];
    let none = HashSet::new();
    let start = HashSet::from(["<|start|>", "<|reserved_201088|>"]);
    let all = theirs.special_tokens();
    for text in texts {
        for allowed in [&none, &start, &all] {
            assert_eq!(
                ours.encode(text, allowed),
                theirs.encode(text, allowed),
                "{text:?}"
            );
        }
        assert_eq!(ours.encode_ordinary(text), theirs.encode_ordinary(text));
        assert_eq!(
            ours.encode_with_special_tokens(text),
            theirs.encode_with_special_tokens(text)
        );
    }
    // Decoding errors where the reference errors.
    for ids in [vec![99_999_999], vec![132_990, 9552], vec![24912, 201_089]] {
        assert_eq!(
            ours.decode_utf8(&ids).is_err(),
            theirs.decode_utf8(&ids).is_err()
        );
        assert_eq!(
            ours.decode_utf8(&ids).map_err(|e| e.message),
            theirs.decode_utf8(&ids).map_err(|e| e.message)
        );
    }
}

#[test]
fn parser_state_json_equals_the_reference_after_every_token() {
    let (e, o) = (ours(), oracle());
    // Without the user's name: the reference errors on its own `<|start|>user:alice`
    // ("Unknown role"), so there is no state of its to compare with after that token.
    let mut convo = conversation();
    convo.messages[2].author.name = None;
    let theirs: r::Conversation = serde_json::from_value(to_reference(&convo)).unwrap();
    let tokens = o.render_conversation(&theirs, None).unwrap();
    let mut p = StreamableParser::new(e, None).unwrap();
    let mut q = openai_harmony::StreamableParser::new(o, None).unwrap();
    for t in tokens {
        p.process(t).unwrap();
        q.process(t).unwrap();
        assert_eq!(p.state_json().unwrap(), q.state_json().unwrap());
        assert_eq!(p.tokens(), q.tokens());
    }
    assert_eq!(to_reference(&p.messages()), to_reference(&q.messages()));
}

/// The one reference test compat fails by design (see harmony-compat-tests' deviations):
/// strict or not, a header closed without `<|message|>` is read as the reference reads it
/// in non-strict mode, and the parser says what it repaired.
#[test]
fn a_header_without_message_is_read_like_the_reference_non_strict_mode_in_both_modes() {
    let (e, o) = (ours(), oracle());
    let tokens = e
        .tokenizer()
        .encode_with_special_tokens("<|channel|>commentary Hello<|end|>");
    let lenient = o
        .parse_messages_from_completion_tokens_with_options(
            tokens.iter().copied(),
            Some(r::Role::Assistant),
            openai_harmony::ParseOptions { strict: false },
        )
        .unwrap();
    assert!(o
        .parse_messages_from_completion_tokens(tokens.iter().copied(), Some(r::Role::Assistant))
        .is_err());
    for strict in [true, false] {
        let parsed = e
            .parse_messages_from_completion_tokens_with_options(
                tokens.iter().copied(),
                Some(Role::Assistant),
                ParseOptions { strict },
            )
            .unwrap();
        assert_eq!(to_reference(&parsed), to_reference(&lenient));
        assert_eq!(
            parsed,
            [Message::from_role_and_content(Role::Assistant, "Hello").with_channel("commentary")]
        );
    }
    let mut p = StreamableParser::new(e, Some(Role::Assistant)).unwrap();
    for t in tokens {
        p.process(t).unwrap();
    }
    assert!(!p.diagnostics().is_empty());
}

#[test]
fn an_id_outside_the_vocabulary_is_one_replacement_character_and_parsing_goes_on() {
    let (e, o) = (ours(), oracle());
    let bpe = e.tokenizer();
    let mut tokens = bpe.encode_with_special_tokens("<|channel|>final<|message|>a");
    tokens.push(u32::MAX);
    tokens.extend(bpe.encode_with_special_tokens(
        " b<|end|><|start|>assistant<|channel|>final<|message|>c<|return|>",
    ));
    let parsed = e
        .parse_messages_from_completion_tokens(tokens.iter().copied(), Some(Role::Assistant))
        .unwrap();
    assert_eq!(
        parsed,
        [
            Message::from_role_and_content(Role::Assistant, "a\u{FFFD} b").with_channel("final"),
            Message::from_role_and_content(Role::Assistant, "c").with_channel("final"),
        ]
    );
    // The reference writes U+FFFD too, but holds every later token of that message
    // undecoded and writes one U+FFFD for all of them: " b" is lost there, kept here.
    let theirs = o
        .parse_messages_from_completion_tokens(tokens.iter().copied(), Some(r::Role::Assistant))
        .unwrap();
    assert_eq!(
        to_reference(&theirs[0]),
        json!({"role": "assistant", "content": "a\u{FFFD}", "channel": "final"})
    );
    assert_eq!(to_reference(&theirs[1]), to_reference(&parsed[1]));

    // Streaming: the bad id gives a U+FFFD delta, the next token its own text.
    let mut p = StreamableParser::new(e.clone(), Some(Role::Assistant)).unwrap();
    let mut deltas = Vec::new();
    for &t in &tokens {
        p.process(t).unwrap();
        deltas.extend(p.last_content_delta().unwrap());
    }
    assert_eq!(deltas.concat(), "a\u{FFFD} bc");
    // An id outside the vocabulary in a header is garbage header text, not an error.
    let header_junk = [200006, u32::MAX, 200008, 12194, 200007];
    let parsed = e
        .parse_messages_from_completion_tokens(header_junk, None)
        .unwrap();
    assert_eq!(
        parsed.last().map(|m| m.content.clone()),
        Some(vec![Content::from("Hi")])
    );
}

#[test]
fn the_last_reserved_id_reads_as_its_text_like_the_reference() {
    let (e, o) = (ours(), oracle());
    let mut tokens = e
        .tokenizer()
        .encode_with_special_tokens("<|channel|>final<|message|>x");
    tokens.push(201_088);
    tokens.push(200_014);
    tokens.extend(e.tokenizer().encode_with_special_tokens("y<|return|>"));
    let parsed = e
        .parse_messages_from_completion_tokens(tokens.iter().copied(), Some(Role::Assistant))
        .unwrap();
    let theirs = o
        .parse_messages_from_completion_tokens(tokens.iter().copied(), Some(r::Role::Assistant))
        .unwrap();
    assert_eq!(to_reference(&parsed), to_reference(&theirs));
    assert_eq!(
        parsed[0].content,
        [Content::from("x<|reserved_201088|><|reserved_200014|>y")]
    );
}

#[test]
fn the_core_parsers_keep_their_typed_token_error() {
    use harmony_kit::stream::{Event, TokenParser};
    for bad in [201_088, 201_089, u32::MAX] {
        let mut p = TokenParser::new();
        let err = p.push(bad, &mut |_: Event<'_>| {}).unwrap_err();
        assert_eq!((err.id, err.index), (bad, 0));
    }
}

#[test]
fn state_json_lists_sampled_content_ids_where_the_reference_re_encodes() {
    let (e, o) = (ours(), oracle());
    let tokens = e
        .tokenizer()
        .encode_with_special_tokens("<|start|>user<|message|> 丏");
    let content: Vec<u32> = tokens[3..].to_vec();
    let mut p = StreamableParser::new(e.clone(), None).unwrap();
    let mut q = openai_harmony::StreamableParser::new(o, None).unwrap();
    for &t in &tokens {
        p.process(t).unwrap();
        q.process(t).unwrap();
    }
    let ids = |json: String| -> Vec<u32> {
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        serde_json::from_value(v["content_tokens"].clone()).unwrap()
    };
    let (mine, theirs) = (ids(p.state_json().unwrap()), ids(q.state_json().unwrap()));
    // A token holding " " and the first byte of the character: sampled here, re-encoded
    // there. Both spell the same text.
    assert_eq!(mine, content);
    assert_ne!(mine, theirs);
    let bpe = e.tokenizer();
    assert_eq!(bpe.decode_utf8(&mine).unwrap(), " 丏");
    assert_eq!(bpe.decode_utf8(&theirs).unwrap(), " 丏");
}
