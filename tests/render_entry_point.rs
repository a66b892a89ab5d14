//! The `harmony render` engine (`harmony_chat::render_json`), as the facade package's
//! users and the CLI call it: harmony input is openai-harmony's own JSON of a
//! `Conversation`, and the output equals the reference's rendering.

use harmony_chat::{render_json, InputKind, OutputKind};
use openai_harmony::chat::{
    Author, Conversation, DeveloperContent, Message, Role, SystemContent, ToolDescription,
};

fn conversation() -> Conversation {
    Conversation::from_messages([
        Message::from_role_and_content(Role::System, SystemContent::new().with_browser_tool()),
        Message::from_role_and_content(
            Role::Developer,
            DeveloperContent::new().with_function_tools(vec![ToolDescription::new(
                "get_weather",
                "Gets the weather.",
                Some(serde_json::json!({"type": "object", "properties": {"city": {"type": "string"}}})),
            )]),
        ),
        Message::from_role_and_content(Role::User, "Weather in Paris?"),
        Message::from_role_and_content(Role::Assistant, "{\"city\": \"Paris\"}")
            .with_channel("commentary")
            .with_recipient("functions.get_weather")
            .with_content_type("<|constrain|>json"),
        Message::from_author_and_content(Author::new(Role::Tool, "functions.get_weather"), "{\"temp\": 21}")
            .with_recipient("assistant")
            .with_channel("commentary"),
    ])
}

#[test]
fn harmony_json_renders_like_the_reference() {
    let conv = conversation();
    let enc = harmony_testkit::reference_encoding();
    let expected = enc
        .render_conversation_for_completion(&conv, Role::Assistant, Some(&Default::default()))
        .unwrap();
    let input = serde_json::to_string(&conv).unwrap();
    let out = render_json(
        &input,
        InputKind::Harmony,
        OutputKind::Tokens,
        Some("assistant"),
    )
    .unwrap();
    let ids: Vec<u32> = serde_json::from_str(&out).unwrap();
    assert_eq!(ids, expected);
    let text = render_json(&input, InputKind::Harmony, OutputKind::Text, None).unwrap();
    assert_eq!(text, enc.tokenizer().decode_utf8(&expected).unwrap());
}

#[test]
fn bad_input_is_one_line() {
    for (input, kind) in [
        ("{", InputKind::Harmony),
        ("[{\"role\": \"robot\"}]", InputKind::Chat),
        (
            "{\"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]}",
            InputKind::Harmony,
        ),
    ] {
        let err = render_json(input, kind, OutputKind::Tokens, None)
            .unwrap_err()
            .to_string();
        assert!(!err.is_empty() && !err.contains('\n'), "{err}");
        assert!(err.contains("line 1"), "{err}");
    }
}
