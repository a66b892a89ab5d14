//! `harmony render`: a conversation in, token ids or prompt text out.

use harmony_chat::{render_json_with, InputKind, OutputKind, RenderJsonOptions, Role};

use crate::{RenderInput, RenderOutput};

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
    let options = RenderJsonOptions {
        input: match kind {
            RenderInput::Harmony => InputKind::Harmony,
            RenderInput::Chat => InputKind::Chat,
        },
        output: match output {
            RenderOutput::Tokens => OutputKind::Tokens,
            RenderOutput::Text => OutputKind::Text,
        },
        next_role,
        trusted,
    };
    let rendered = render_json_with(text, &options).map_err(|e| e.to_string())?;
    for d in &rendered.diagnostics {
        eprintln!("harmony: note: {d}");
    }
    Ok(rendered.output)
}
