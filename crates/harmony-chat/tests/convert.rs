//! Chat messages -> harmony -> tokens -> parsed (by the reference's StreamableParser for
//! now) -> chat messages, on tool-calling conversations.

mod common;

use common::*;
use harmony_chat::{
    from_chat, to_chat, ChatMessage, ChatOptions, ChatRole, ChatTool, ChatToolCall, Message,
    ReasoningPolicy, Renderer, Role,
};
use openai_harmony::StreamableParser;

fn tools() -> Vec<ChatTool> {
    serde_json::from_value(serde_json::json!([{
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Gets the weather.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
        }
    }]))
    .unwrap()
}

fn assistant(
    reasoning: Option<&str>,
    content: Option<&str>,
    calls: &[(&str, &str)],
) -> ChatMessage {
    ChatMessage {
        role: ChatRole::Assistant,
        content: content.map(str::to_owned),
        reasoning: reasoning.map(str::to_owned),
        tool_calls: calls
            .iter()
            .map(|(id, city)| {
                ChatToolCall::new(*id, "get_weather", format!("{{\"city\":\"{city}\"}}"))
            })
            .collect(),
        ..Default::default()
    }
}

fn result(id: &str, content: &str) -> ChatMessage {
    ChatMessage {
        role: ChatRole::Tool,
        content: Some(content.to_owned()),
        tool_call_id: Some(id.to_owned()),
        name: Some("get_weather".to_owned()),
        ..Default::default()
    }
}

fn chat() -> Vec<ChatMessage> {
    vec![
        ChatMessage::new(ChatRole::System, "You are a weather bot."),
        ChatMessage::new(ChatRole::User, "Weather in Paris and Tokyo?"),
        assistant(
            Some("Need two lookups."),
            None,
            &[("call_0", "Paris"), ("call_1", "Tokyo")],
        ),
        result("call_0", "{\"temp\": 21}"),
        result("call_1", "{\"temp\": 30}"),
        assistant(Some("Both fetched."), Some("Paris 21, Tokyo 30."), &[]),
        ChatMessage::new(ChatRole::User, "Thanks! And Berlin?"),
        assistant(
            Some("One more."),
            Some("Checking Berlin."),
            &[("call_2", "Berlin")],
        ),
        result("call_2", "{\"temp\": 18}"),
    ]
}

/// Parses ids with the reference's streaming parser, token by token.
fn parse_with_reference(ids: &[u32]) -> Vec<Message> {
    let mut parser = StreamableParser::new(reference(), None).unwrap();
    for &id in ids {
        parser.process(id).unwrap();
    }
    parser.process_eos().unwrap();
    parser
        .into_messages()
        .iter()
        .map(|m| serde_json::from_value(serde_json::to_value(m).unwrap()).unwrap())
        .collect()
}

#[test]
fn chat_to_harmony_uses_the_training_format() {
    let convo = from_chat(&chat(), &tools(), &ChatOptions::default()).unwrap();
    let text = Renderer::new()
        .render_text_for_completion(&convo, Role::Assistant, &Default::default())
        .unwrap()
        .text;
    assert!(text.contains("<|start|>developer<|message|># Instructions\n\nYou are a weather bot.\n\n# Tools\n\n## functions\n\nnamespace functions {\n\n// Gets the weather.\ntype get_weather = (_: {\ncity: string,\n}) => any;\n\n} // namespace functions<|end|>"));
    assert!(text.contains("Calls to these tools must go to the commentary channel: 'functions'."));
    assert!(text.contains("<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>"));
    assert!(text.contains("<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{\"temp\": 21}<|end|>"));
    // Reasoning of the finished turn is dropped, that of the turn in progress kept.
    assert!(!text.contains("Need two lookups."));
    assert!(!text.contains("Both fetched."));
    assert!(text.contains("<|start|>assistant<|channel|>analysis<|message|>One more.<|end|>"));
    assert!(
        text.contains("<|start|>assistant<|channel|>commentary<|message|>Checking Berlin.<|end|>")
    );
    assert!(text.ends_with("{\"temp\": 18}<|end|><|start|>assistant"));
    // The reference renders the converted conversation identically.
    let expected = reference_completion(
        &to_reference(&convo),
        openai_harmony::chat::Role::Assistant,
        true,
    )
    .unwrap();
    let ours = Renderer::new()
        .render_conversation_for_completion(&convo, Role::Assistant)
        .unwrap();
    assert_same_ids(&expected, &ours);
}

#[test]
fn round_trip_through_tokens_and_the_reference_parser() {
    let original = chat();
    let convo = from_chat(&original, &tools(), &ChatOptions::default()).unwrap();
    let ids = Renderer::new().render_conversation(&convo).unwrap();
    let parsed = parse_with_reference(&ids);
    let back = to_chat(&parsed);

    let mut expected = original.clone();
    // The format drops the reasoning of the finished first turn.
    expected[2].reasoning = None;
    expected[5].reasoning = None;
    assert_eq!(back, expected);
}

#[test]
fn round_trip_keeping_all_reasoning() {
    let original = chat();
    let options = ChatOptions {
        reasoning: ReasoningPolicy::KeepAll,
        ..Default::default()
    };
    let convo = from_chat(&original, &tools(), &options).unwrap();
    // History without auto-drop, as for a training example.
    let ids = renderer(false).render_conversation(&convo).unwrap();
    let back = to_chat(&parse_with_reference(&ids));
    assert_eq!(back, original);
}

#[test]
fn round_trip_of_a_completion() {
    // The model's completion after the prompt: parsed, it is the next assistant message.
    let completion = "<|channel|>analysis<|message|>Berlin is 18.<|end|><|start|>assistant<|channel|>final<|message|>Berlin: 18 degrees.<|return|>";
    let mut ids = reference()
        .tokenizer()
        .encode_with_special_tokens("<|start|>assistant");
    ids.extend(
        reference()
            .tokenizer()
            .encode_with_special_tokens(completion),
    );
    let back = to_chat(&parse_with_reference(&ids));
    assert_eq!(
        back,
        [assistant(
            Some("Berlin is 18."),
            Some("Berlin: 18 degrees."),
            &[]
        )]
    );
}

#[test]
fn reference_parser_header_bug_is_repaired() {
    // Structured output: a final answer with content type <|constrain|>json. The model's
    // format has no recipient here; openai-harmony 0.0.8 parses `<|constrain|>json` as
    // the recipient (docs/design.md's header bug). Our conversion reads it as a content type.
    let msg = Message::from_role_and_content(Role::Assistant, "{\"a\":1}")
        .with_channel("final")
        .with_content_type("<|constrain|>json");
    let ids = Renderer::new().render_conversation(&[msg]).unwrap();
    assert_eq!(
        decode(&ids),
        "<|start|>assistant<|channel|>final <|constrain|>json<|message|>{\"a\":1}<|end|>"
    );
    let parsed = parse_with_reference(&ids);
    assert_eq!(
        parsed[0].recipient.as_deref(),
        Some("<|constrain|>json"),
        "the reference's bug"
    );
    assert_eq!(parsed[0].content_type, None, "the reference's bug");
    let back = to_chat(&parsed);
    assert_eq!(back.len(), 1);
    assert!(back[0].tool_calls.is_empty());
    assert_eq!(back[0].content.as_deref(), Some("{\"a\":1}"));
}

#[test]
fn tool_results_find_their_call() {
    // By id, by name, or in order when neither is given.
    let mut by_order = result("", "{}");
    by_order.tool_call_id = None;
    by_order.name = None;
    let chat = vec![
        ChatMessage::new(ChatRole::User, "x"),
        ChatMessage {
            role: ChatRole::Assistant,
            tool_calls: vec![
                ChatToolCall::new("a", "first", "{}"),
                ChatToolCall::new("b", "second", "{}"),
            ],
            ..Default::default()
        },
        by_order,
        result("b", "{}"),
    ];
    let convo = from_chat(&chat, &[], &ChatOptions::default()).unwrap();
    let names: Vec<_> = convo
        .messages
        .iter()
        .filter(|m| m.author.role == Role::Tool)
        .map(|m| m.author.name.clone().unwrap())
        .collect();
    assert_eq!(names, ["functions.first", "functions.second"]);
}

#[test]
fn chat_json_shapes() {
    // Ollama's shape: `thinking`, arguments as an object, content parts.
    let json = r#"[
        {"role": "user", "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}]},
        {"role": "assistant", "thinking": "t", "tool_calls": [{"function": {"name": "f", "arguments": {"x": 1}}}]},
        {"role": "tool", "content": "ok", "tool_name": "ignored"}
    ]"#;
    let chat: Vec<ChatMessage> = serde_json::from_str(json).unwrap();
    assert_eq!(chat[0].content.as_deref(), Some("Hi there"));
    assert_eq!(chat[1].tool_calls[0].function.arguments, "{\"x\":1}");
    let convo = from_chat(&chat, &[], &ChatOptions::default()).unwrap();
    assert_eq!(
        convo.messages.last().unwrap().author.name.as_deref(),
        Some("functions.f")
    );
    let bad =
        r#"[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]"#;
    let err = serde_json::from_str::<Vec<ChatMessage>>(bad).unwrap_err();
    assert!(err.to_string().contains("image_url"), "{err}");
}
