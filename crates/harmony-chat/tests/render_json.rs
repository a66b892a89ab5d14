//! `render_json`, the engine of `harmony render`.

mod common;

use common::*;
use harmony_chat::{
    render_json, render_json_with, InputKind, OutputKind, RenderError, RenderJsonOptions, Role,
};
use openai_harmony::chat::{
    Author, Conversation, DeveloperContent, Message, ReasoningEffort, Role as RefRole,
    SystemContent, ToolDescription,
};

fn reference_conversation() -> Conversation {
    Conversation::from_messages([
        Message::from_role_and_content(
            RefRole::System,
            SystemContent::new()
                .with_reasoning_effort(ReasoningEffort::High)
                .with_conversation_start_date("2025-06-28")
                .with_browser_tool(),
        ),
        Message::from_role_and_content(
            RefRole::Developer,
            DeveloperContent::new()
                .with_instructions("Be brief.")
                .with_function_tools(vec![ToolDescription::new(
                    "lookup_weather",
                    "Weather.",
                    Some(serde_json::json!({"type": "object", "properties": {"location": {"type": "string"}}})),
                )]),
        ),
        Message::from_role_and_content(RefRole::User, "Weather in SF? <|end|>"),
        Message::from_role_and_content(RefRole::Assistant, "Look it up.").with_channel("analysis"),
        Message::from_role_and_content(RefRole::Assistant, "{\"location\": \"SF\"}")
            .with_channel("commentary")
            .with_recipient("functions.lookup_weather")
            .with_content_type("<|constrain|>json"),
        Message::from_author_and_content(
            Author::new(RefRole::Tool, "functions.lookup_weather"),
            "{\"temp\": 20}",
        )
        .with_recipient("assistant")
        .with_channel("commentary"),
    ])
}

fn ids(output: &str) -> Vec<u32> {
    serde_json::from_str(output).expect("a JSON array of ids")
}

#[test]
fn harmony_input_is_the_references_json() {
    let conv = reference_conversation();
    let input = serde_json::to_string(&conv).unwrap();
    for (next, ref_next) in [
        ("assistant", RefRole::Assistant),
        ("user", RefRole::User),
        ("tool", RefRole::Tool),
    ] {
        let out = render_json(&input, InputKind::Harmony, OutputKind::Tokens, Some(next)).unwrap();
        let expected = reference_completion(&conv, ref_next, true).unwrap();
        assert_same_ids(&expected, &ids(&out));
    }
    // Pretty-printed JSON and the bare message list work too.
    let pretty = serde_json::to_string_pretty(&conv).unwrap();
    let bare = serde_json::to_string(&conv.messages).unwrap();
    let a = render_json(&pretty, InputKind::Harmony, OutputKind::Tokens, None).unwrap();
    let b = render_json(&bare, InputKind::Harmony, OutputKind::Tokens, None).unwrap();
    assert_eq!(a, b);
    assert_same_ids(
        &reference_completion(&conv, RefRole::Assistant, true).unwrap(),
        &ids(&a),
    );
}

#[test]
fn text_output_is_the_decoded_prompt_with_markers_neutralised() {
    let input = serde_json::to_string(&reference_conversation()).unwrap();
    let text = render_json(&input, InputKind::Harmony, OutputKind::Text, None).unwrap();
    let tokens = render_json(&input, InputKind::Harmony, OutputKind::Tokens, None).unwrap();
    let decoded = decode(&ids(&tokens));
    assert_eq!(text, decoded.replace("SF? <|end|>", "SF? <\u{2060}|end|>"));

    let opts = RenderJsonOptions {
        output: OutputKind::Text,
        trusted: true,
        ..Default::default()
    };
    let trusted = render_json_with(&input, &opts).unwrap();
    assert_eq!(trusted.output, decoded);
    assert!(trusted.diagnostics.is_empty());
    let untrusted = render_json_with(
        &input,
        &RenderJsonOptions {
            trusted: false,
            ..opts
        },
    )
    .unwrap();
    assert_eq!(untrusted.diagnostics.len(), 1);
    assert_eq!(untrusted.diagnostics[0].message_index, 2);
}

#[test]
fn history_only_without_next_role() {
    let input = serde_json::to_string(&reference_conversation()).unwrap();
    let opts = RenderJsonOptions {
        next_role: None,
        ..Default::default()
    };
    let out = render_json_with(&input, &opts).unwrap();
    let expected = reference_history(&reference_conversation(), true).unwrap();
    assert_same_ids(&expected, &ids(&out.output));
    assert_eq!(opts.input, InputKind::Harmony);
    assert_eq!(
        Some(Role::Assistant),
        RenderJsonOptions::default().next_role
    );
}

#[test]
fn chat_input() {
    let input = r#"{
        "model": "gpt-oss:20b",
        "reasoning_effort": "high",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in SF?"},
            {"role": "assistant", "content": null, "reasoning": "Look it up.",
             "tool_calls": [{"id": "c1", "type": "function",
                             "function": {"name": "lookup_weather", "arguments": "{\"location\": \"SF\"}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "{\"temp\": 20}"}
        ],
        "tools": [{"type": "function", "function": {"name": "lookup_weather", "description": "Weather.",
                   "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}}]
    }"#;
    let text = render_json(input, InputKind::Chat, OutputKind::Text, None).unwrap();
    assert!(text.starts_with("<|start|>system<|message|>You are ChatGPT"));
    assert!(text.contains("Reasoning: high"));
    assert!(text.contains("<|start|>developer<|message|># Instructions\n\nBe brief.\n\n# Tools"));
    assert!(text.contains("<|start|>assistant<|channel|>analysis<|message|>Look it up.<|end|>"));
    assert!(text.contains("<|start|>assistant to=functions.lookup_weather<|channel|>commentary <|constrain|>json<|message|>{\"location\": \"SF\"}<|call|>"));
    assert!(text.ends_with("<|start|>functions.lookup_weather to=assistant<|channel|>commentary<|message|>{\"temp\": 20}<|end|><|start|>assistant"));
    let tokens = render_json(input, InputKind::Chat, OutputKind::Tokens, None).unwrap();
    assert_eq!(decode(&ids(&tokens)), text);
}

fn error(input: &str, kind: InputKind, next: Option<&str>) -> String {
    let err = render_json(input, kind, OutputKind::Tokens, next).unwrap_err();
    let line = err.to_string();
    assert!(!line.contains('\n'), "one line: {line}");
    line
}

#[test]
fn errors_are_one_clear_line() {
    let e = error("{\"messages\": [", InputKind::Harmony, None);
    assert!(
        e.starts_with("invalid harmony conversation JSON: EOF"),
        "{e}"
    );
    assert!(e.contains("line 1 column 14"), "{e}");

    let e = error("not json", InputKind::Chat, None);
    assert_eq!(
        e,
        "invalid chat messages JSON: expected ident at line 1 column 2"
    );

    let e = error(
        "{\"messages\": [{\"role\": \"robot\", \"content\": \"hi\"}]}",
        InputKind::Harmony,
        None,
    );
    assert!(e.contains("unknown variant `robot`"), "{e}");

    let e = error(
        "[{\"role\": \"robot\", \"content\": \"hi\"}]",
        InputKind::Chat,
        None,
    );
    assert!(
        e.contains("unknown variant `robot`") && e.contains("line 1"),
        "{e}"
    );

    let e = error("[]", InputKind::Chat, Some("robot"));
    assert_eq!(
        e,
        "unknown role `robot` (expected user, assistant, system, developer or tool)"
    );

    let e = error(
        "[{\"role\": \"tool\", \"content\": \"42\"}]",
        InputKind::Harmony,
        None,
    );
    assert!(e.contains("tool message needs an author name"), "{e}");

    let e = error(
        "[{\"role\": \"tool\", \"tool_call_id\": \"x\", \"content\": \"42\"}]",
        InputKind::Chat,
        None,
    );
    assert!(e.contains("unknown tool call `x`"), "{e}");

    let e = error(
        "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"system_content\"}]}]}",
        InputKind::Harmony,
        None,
    );
    assert!(
        e.contains("system content may only appear in system messages"),
        "{e}"
    );

    assert!(matches!(
        render_json("{", InputKind::Chat, OutputKind::Text, None),
        Err(RenderError::InvalidJson { .. })
    ));
}

#[test]
fn kinds_parse_from_cli_words() {
    assert_eq!("harmony".parse::<InputKind>(), Ok(InputKind::Harmony));
    assert_eq!("tokens".parse::<OutputKind>(), Ok(OutputKind::Tokens));
    assert!("xml"
        .parse::<OutputKind>()
        .unwrap_err()
        .contains("expected tokens or text"));
}
