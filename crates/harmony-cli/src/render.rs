//! `harmony render`: a conversation given as JSON in, token ids or prompt text out.

use harmony_chat::{
    from_chat, ChatMessage, ChatOptions, ChatTool, Conversation, MarkerDiagnostic, Message,
    ReasoningEffort, Renderer, Role, TextOptions,
};
use serde::Deserialize;

use crate::{RenderInput, RenderOutput};

/// Everything `harmony render` can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Options {
    input: RenderInput,
    output: RenderOutput,
    /// The role of the turn to sample (`<|start|>role` is appended); `None` renders the
    /// history only.
    next_role: Option<Role>,
    /// Text output: write marker text in messages verbatim (trusted input only).
    trusted: bool,
}

/// What `harmony render` prints, and what the text renderer neutralised (for stderr).
#[derive(Debug)]
struct Rendered {
    output: String,
    diagnostics: Vec<MarkerDiagnostic>,
}

/// Renders `input`; returns what to print. Neutralised marker text is reported on stderr.
pub fn run(
    input: &[u8],
    kind: RenderInput,
    output: RenderOutput,
    next_role: &str,
    trusted: bool,
) -> Result<String, String> {
    let text = std::str::from_utf8(input).map_err(|e| {
        format!(
            "input is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        )
    })?;
    let next_role = match next_role {
        "none" => None,
        role => Some(role.parse::<Role>().map_err(|e| e.to_string())?),
    };
    let options = Options {
        input: kind,
        output,
        next_role,
        trusted,
    };
    let rendered = render(text, &options)?;
    for d in &rendered.diagnostics {
        eprintln!("harmony: note: {d}");
    }
    Ok(rendered.output)
}

/// The engine: every error is one line, fit to print.
fn render(input: &str, options: &Options) -> Result<Rendered, String> {
    let conversation = match options.input {
        RenderInput::Harmony => read_harmony(input)?,
        RenderInput::Chat => read_chat(input)?,
    };
    let renderer = Renderer::new();
    let err = |e: harmony_chat::RenderError| e.to_string();
    match options.output {
        RenderOutput::Tokens => {
            let ids = match options.next_role {
                Some(role) => renderer.render_conversation_for_completion(&conversation, role),
                None => renderer.render_conversation(&conversation),
            }
            .map_err(err)?;
            let mut output = String::with_capacity(ids.len() * 7 + 2);
            output.push('[');
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    output.push(',');
                }
                output.push_str(&id.to_string());
            }
            output.push(']');
            Ok(Rendered {
                output,
                diagnostics: Vec::new(),
            })
        }
        RenderOutput::Text => {
            let text_options = TextOptions {
                trusted: options.trusted,
            };
            let rendered = match options.next_role {
                Some(role) => {
                    renderer.render_text_for_completion(&conversation, role, &text_options)
                }
                None => renderer.render_text(&conversation, &text_options),
            }
            .map_err(err)?;
            Ok(Rendered {
                output: rendered.text,
                diagnostics: rendered.diagnostics,
            })
        }
    }
}

/// serde's message on one line, after what was being read.
fn invalid(what: &str, e: &serde_json::Error) -> String {
    format!(
        "invalid {what} JSON: {}",
        e.to_string().replace(['\n', '\r'], " ")
    )
}

fn read_harmony(input: &str) -> Result<Conversation, String> {
    // The shape is decided by the first character, so that errors keep serde's precise
    // message and position.
    match first_char(input) {
        Some('[') => serde_json::from_str::<Vec<Message>>(input).map(Conversation::from_messages),
        _ => serde_json::from_str::<Conversation>(input),
    }
    .map_err(|e| invalid("harmony conversation", &e))
}

fn read_chat(input: &str) -> Result<Conversation, String> {
    /// An OpenAI-style request; other fields (`model`, `temperature`, ...) are ignored.
    #[derive(Deserialize)]
    struct ChatRequest {
        messages: Vec<ChatMessage>,
        #[serde(default)]
        tools: Vec<ChatTool>,
        #[serde(default)]
        reasoning_effort: Option<ReasoningEffort>,
    }
    let what = "chat messages";
    let request = match first_char(input) {
        Some('[') => ChatRequest {
            messages: serde_json::from_str(input).map_err(|e| invalid(what, &e))?,
            tools: Vec::new(),
            reasoning_effort: None,
        },
        _ => serde_json::from_str(input).map_err(|e| invalid(what, &e))?,
    };
    let mut options = ChatOptions::default();
    if let Some(effort) = request.reasoning_effort {
        options.system.reasoning_effort = Some(effort);
    }
    from_chat(&request.messages, &request.tools, &options).map_err(|e| e.to_string())
}

fn first_char(input: &str) -> Option<char> {
    input.trim_start().chars().next()
}

#[cfg(test)]
mod tests {
    //! The engine against the reference (openai-harmony, loaded offline): its JSON form
    //! in, its token ids out.

    use super::*;
    use openai_harmony::chat::{
        Author, Conversation as RefConversation, DeveloperContent, Message as RefMessage,
        ReasoningEffort as RefEffort, Role as RefRole, SystemContent, ToolDescription,
    };

    fn reference() -> openai_harmony::HarmonyEncoding {
        harmony_testkit::reference_encoding()
    }

    fn decode(ids: &[u32]) -> String {
        reference().tokenizer().decode_utf8(ids).unwrap()
    }

    fn reference_conversation() -> RefConversation {
        RefConversation::from_messages([
            RefMessage::from_role_and_content(
                RefRole::System,
                SystemContent::new()
                    .with_reasoning_effort(RefEffort::High)
                    .with_conversation_start_date("2025-06-28")
                    .with_browser_tool(),
            ),
            RefMessage::from_role_and_content(
                RefRole::Developer,
                DeveloperContent::new()
                    .with_instructions("Be brief.")
                    .with_function_tools(vec![ToolDescription::new(
                        "lookup_weather",
                        "Weather.",
                        Some(serde_json::json!({"type": "object", "properties": {"location": {"type": "string"}}})),
                    )]),
            ),
            RefMessage::from_role_and_content(RefRole::User, "Weather in SF? <|end|>"),
            RefMessage::from_role_and_content(RefRole::Assistant, "Look it up.")
                .with_channel("analysis"),
            RefMessage::from_role_and_content(RefRole::Assistant, "{\"location\": \"SF\"}")
                .with_channel("commentary")
                .with_recipient("functions.lookup_weather")
                .with_content_type("<|constrain|>json"),
            RefMessage::from_author_and_content(
                Author::new(RefRole::Tool, "functions.lookup_weather"),
                "{\"temp\": 20}",
            )
            .with_recipient("assistant")
            .with_channel("commentary"),
        ])
    }

    fn options(input: RenderInput, output: RenderOutput, next: Option<Role>) -> Options {
        Options {
            input,
            output,
            next_role: next,
            trusted: false,
        }
    }

    fn tokens(input: &str, kind: RenderInput, next: Option<Role>) -> Vec<u32> {
        let out = render(input, &options(kind, RenderOutput::Tokens, next)).unwrap();
        serde_json::from_str(&out.output).expect("a JSON array of ids")
    }

    #[test]
    fn harmony_input_is_the_references_json() {
        let conv = reference_conversation();
        let input = serde_json::to_string(&conv).unwrap();
        for (next, ref_next) in [
            (Role::Assistant, RefRole::Assistant),
            (Role::User, RefRole::User),
            (Role::Tool, RefRole::Tool),
        ] {
            let expected = reference()
                .render_conversation_for_completion(&conv, ref_next, Some(&Default::default()))
                .unwrap();
            assert_eq!(tokens(&input, RenderInput::Harmony, Some(next)), expected);
        }
        // Pretty-printed JSON and the bare message list give the same ids.
        let pretty = serde_json::to_string_pretty(&conv).unwrap();
        let bare = serde_json::to_string(&conv.messages).unwrap();
        let a = tokens(&pretty, RenderInput::Harmony, Some(Role::Assistant));
        assert_eq!(
            a,
            tokens(&bare, RenderInput::Harmony, Some(Role::Assistant))
        );
        // History only, without a next role.
        let history = reference()
            .render_conversation(&conv, Some(&Default::default()))
            .unwrap();
        assert_eq!(tokens(&input, RenderInput::Harmony, None), history);
    }

    #[test]
    fn text_output_is_the_decoded_prompt_with_markers_neutralised() {
        let input = serde_json::to_string(&reference_conversation()).unwrap();
        let next = Some(Role::Assistant);
        let decoded = decode(&tokens(&input, RenderInput::Harmony, next));
        let mut opts = options(RenderInput::Harmony, RenderOutput::Text, next);
        let untrusted = render(&input, &opts).unwrap();
        assert_eq!(
            untrusted.output,
            decoded.replace("SF? <|end|>", "SF? <\u{2060}|end|>")
        );
        assert_eq!(untrusted.diagnostics.len(), 1);
        assert_eq!(untrusted.diagnostics[0].message_index, 2);
        opts.trusted = true;
        let trusted = render(&input, &opts).unwrap();
        assert_eq!(trusted.output, decoded);
        assert!(trusted.diagnostics.is_empty());
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
        let next = Some(Role::Assistant);
        let text = render(input, &options(RenderInput::Chat, RenderOutput::Text, next))
            .unwrap()
            .output;
        assert!(text.starts_with("<|start|>system<|message|>You are ChatGPT"));
        assert!(text.contains("Reasoning: high"));
        assert!(
            text.contains("<|start|>developer<|message|># Instructions\n\nBe brief.\n\n# Tools")
        );
        assert!(text.contains("<|start|>assistant<|channel|>analysis<|message|>Look it up.<|end|>"));
        assert!(text.contains("<|start|>assistant to=functions.lookup_weather<|channel|>commentary <|constrain|>json<|message|>{\"location\": \"SF\"}<|call|>"));
        assert!(text.ends_with("<|start|>functions.lookup_weather to=assistant<|channel|>commentary<|message|>{\"temp\": 20}<|end|><|start|>assistant"));
        assert_eq!(decode(&tokens(input, RenderInput::Chat, next)), text);
    }

    fn error(input: &str, kind: RenderInput) -> String {
        let opts = options(kind, RenderOutput::Tokens, Some(Role::Assistant));
        let line = render(input, &opts).unwrap_err();
        assert!(!line.contains('\n'), "one line: {line}");
        line
    }

    #[test]
    fn errors_are_one_clear_line() {
        let e = error("{\"messages\": [", RenderInput::Harmony);
        assert!(
            e.starts_with("invalid harmony conversation JSON: EOF"),
            "{e}"
        );
        assert!(e.contains("line 1 column 14"), "{e}");
        assert_eq!(
            error("not json", RenderInput::Chat),
            "invalid chat messages JSON: expected ident at line 1 column 2"
        );
        let robot = "{\"messages\": [{\"role\": \"robot\", \"content\": \"hi\"}]}";
        assert!(error(robot, RenderInput::Harmony).contains("unknown variant `robot`"));
        let e = error(
            "[{\"role\": \"robot\", \"content\": \"hi\"}]",
            RenderInput::Chat,
        );
        assert!(
            e.contains("unknown variant `robot`") && e.contains("line 1"),
            "{e}"
        );
        let e = error(
            "[{\"role\": \"tool\", \"content\": \"42\"}]",
            RenderInput::Harmony,
        );
        assert!(e.contains("tool message needs an author name"), "{e}");
        let e = error(
            "[{\"role\": \"tool\", \"tool_call_id\": \"x\", \"content\": \"42\"}]",
            RenderInput::Chat,
        );
        assert!(e.contains("unknown tool call `x`"), "{e}");
        let e = error(
            "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"system_content\"}]}]}",
            RenderInput::Harmony,
        );
        assert!(
            e.contains("system content may only appear in system messages"),
            "{e}"
        );
        assert_eq!(
            run(
                b"[]",
                RenderInput::Chat,
                RenderOutput::Tokens,
                "robot",
                false
            )
            .unwrap_err(),
            "unknown role `robot` (expected user, assistant, system, developer or tool)"
        );
    }
}
