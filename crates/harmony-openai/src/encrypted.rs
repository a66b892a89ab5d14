//! `encrypted_content`: the reasoning text of a Responses reasoning item, in a form the
//! gateway reads back on the next request, so stateless clients (`store: false`, Codex
//! CLI) keep the chain of thought across tool calls.
//!
//! It is not encryption (the gateway has no key to keep, and holds no state): it is a
//! self-describing, versioned encoding, `hk1.` then base64url (no padding) of the JSON
//! `{"v":1,"text":"..."}`. Opaque to clients, as OpenAI's is; anything else in the
//! field is refused with a clear 400, never silently dropped.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

const PREFIX: &str = "hk1.";
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Payload<T> {
    v: u32,
    text: T,
}

/// Encodes reasoning text as an `encrypted_content` value.
///
/// ```
/// let blob = harmony_openai::encode_reasoning("Need the weather first.");
/// assert!(blob.starts_with("hk1."));
/// assert_eq!(harmony_openai::decode_reasoning(&blob).unwrap(), "Need the weather first.");
/// ```
pub fn encode_reasoning(text: &str) -> String {
    let json = serde_json::to_vec(&Payload { v: VERSION, text }).unwrap_or_default();
    let mut out = String::with_capacity(PREFIX.len() + json.len() * 4 / 3 + 4);
    out.push_str(PREFIX);
    URL_SAFE_NO_PAD.encode_string(&json, &mut out);
    out
}

/// Why an `encrypted_content` value could not be read.
///
/// ```
/// use harmony_openai::{decode_reasoning, EncryptedContentError};
/// assert_eq!(decode_reasoning("gAAAAB..."), Err(EncryptedContentError::NotOurs));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncryptedContentError {
    /// It does not start with `hk1.`: another server wrote it.
    #[error("it was not written by this gateway (it must start with `hk1.`)")]
    NotOurs,
    /// The base64url part does not decode.
    #[error("its base64url part does not decode")]
    Base64,
    /// The decoded bytes are not the expected JSON, or the version is unknown.
    #[error("its payload is not a version-1 reasoning record")]
    Payload,
}

/// Reads an `encrypted_content` value back into the reasoning text.
///
/// # Errors
/// [`EncryptedContentError`] for anything [`encode_reasoning`] did not write.
///
/// ```
/// use harmony_openai::{decode_reasoning, encode_reasoning, EncryptedContentError};
/// let blob = encode_reasoning("a \"quoted\" <|end|> thought");
/// assert_eq!(decode_reasoning(&blob).unwrap(), "a \"quoted\" <|end|> thought");
/// assert_eq!(decode_reasoning("hk1.!!!"), Err(EncryptedContentError::Base64));
/// ```
pub fn decode_reasoning(blob: &str) -> Result<String, EncryptedContentError> {
    let body = blob
        .trim()
        .strip_prefix(PREFIX)
        .ok_or(EncryptedContentError::NotOurs)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| EncryptedContentError::Base64)?;
    match serde_json::from_slice::<Payload<String>>(&bytes) {
        Ok(p) if p.v == VERSION => Ok(p.text),
        _ => Err(EncryptedContentError::Payload),
    }
}
