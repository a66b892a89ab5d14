//! Shared helpers: the reference (openai-harmony, loaded offline) and conversions.
#![allow(dead_code)]

use harmony_chat::{Conversation, RenderConfig, Renderer};
use openai_harmony::chat as h;
use openai_harmony::HarmonyEncoding;

pub fn reference() -> HarmonyEncoding {
    harmony_testkit::reference_encoding()
}

/// Our conversation, read from the reference's JSON form of `conv`.
pub fn to_ours(conv: &h::Conversation) -> Conversation {
    let json = serde_json::to_string(conv).expect("reference conversation serialises");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("ours reads {json}: {e}"))
}

/// The reference's conversation, read from our JSON form of `conv`.
pub fn to_reference(conv: &Conversation) -> h::Conversation {
    let json = serde_json::to_string(conv).expect("our conversation serialises");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("reference reads {json}: {e}"))
}

/// The reference's public Rust API cannot name `RenderConversationConfig`; `None` means
/// "do not drop analysis" and `Some(&Default::default())` means "drop" (the default of
/// its Python API, and ours).
pub fn reference_completion(
    conv: &h::Conversation,
    next: h::Role,
    auto_drop: bool,
) -> Result<Vec<u32>, String> {
    let enc = reference();
    let result = if auto_drop {
        enc.render_conversation_for_completion(conv, next, Some(&Default::default()))
    } else {
        enc.render_conversation_for_completion(conv, next, None)
    };
    result.map_err(|e| e.to_string())
}

pub fn reference_history(conv: &h::Conversation, auto_drop: bool) -> Result<Vec<u32>, String> {
    let enc = reference();
    let result = if auto_drop {
        enc.render_conversation(conv, Some(&Default::default()))
    } else {
        enc.render_conversation(conv, None)
    };
    result.map_err(|e| e.to_string())
}

pub fn reference_training(conv: &h::Conversation, auto_drop: bool) -> Result<Vec<u32>, String> {
    let enc = reference();
    let result = if auto_drop {
        enc.render_conversation_for_training(conv, Some(&Default::default()))
    } else {
        enc.render_conversation_for_training(conv, None)
    };
    result.map_err(|e| e.to_string())
}

pub fn renderer(auto_drop: bool) -> Renderer {
    Renderer::with_config(RenderConfig {
        auto_drop_analysis: auto_drop,
    })
}

pub fn ours_role(role: &h::Role) -> harmony_chat::Role {
    role.as_str().parse().expect("same role names")
}

/// Decodes ids with the reference's tokenizer (for readable failure messages).
pub fn decode(ids: &[u32]) -> String {
    reference()
        .tokenizer()
        .decode_utf8(ids)
        .unwrap_or_else(|_| format!("{ids:?}"))
}

#[track_caller]
pub fn assert_same_ids(expected: &[u32], actual: &[u32]) {
    if expected != actual {
        panic!(
            "token ids differ\nexpected: {}\nactual:   {}\nexpected ids: {expected:?}\nactual ids:   {actual:?}",
            decode(expected),
            decode(actual)
        );
    }
}
