//! # harmony-openai
//!
//! The OpenAI protocol layer of the harmony gateway, sans-IO: no HTTP, no async runtime,
//! so it embeds in any Rust server (docs/design.md, the gateway).
//!
//! - **Requests**: [`ChatRequest`] (`/v1/chat/completions`) and [`ResponsesRequest`]
//!   (`/v1/responses`), read tolerantly: unknown fields are ignored, a field of the
//!   wrong type is a [`RequestError`] naming it, which becomes a 400 [`ApiError`].
//! - **Conversion**: [`Prepared`] turns either request into a harmony conversation and
//!   its prompt text, with the [`Prefill`] decision (named / required tool, JSON
//!   answer) and the tools left out (hosted, namespace, custom); [`TurnOutcome`] says after
//!   the first request whether to continue with a prefill.
//!   [`encode_reasoning`] / [`decode_reasoning`] carry reasoning through
//!   `encrypted_content`.
//! - **Encoders**: harmony-ollama's [`StreamEvent`](harmony_ollama::StreamEvent)s in,
//!   Chat Completions chunks ([`ChatEncoder`]) or Responses events
//!   ([`ResponsesEncoder`]) out, as SSE bytes written into the caller's buffer; and the
//!   non-streamed objects from the same events ([`ChatCompletionBuilder`],
//!   [`ResponseBuilder`]).
//! - **Errors**: [`ApiError`], the `{"error": {"message", "type", "param", "code"}}`
//!   object with its HTTP status.
//!
//! ```
//! use harmony_openai::{ChatRequest, ConvertOptions, Prefill, Prepared};
//!
//! let req = ChatRequest::from_slice(br#"{"model": "gpt-oss:20b",
//!     "messages": [{"role": "user", "content": "Hi"}]}"#)?;
//! let prepared = Prepared::from_chat(&req, &ConvertOptions::default())?;
//! assert!(prepared.prompt.ends_with("<|start|>assistant"));
//! assert_eq!(prepared.prefill, Prefill::None);
//! # Ok::<(), harmony_openai::RequestError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod chat_request;
mod chat_stream;
mod common;
mod convert;
mod encrypted;
mod error;
mod ids;
mod responses_request;
mod responses_stream;
mod turn;
mod usage;

pub use chat_request::ChatRequest;
pub use chat_stream::{ChatCompletionBuilder, ChatEncoder, ChatEncoderOptions, ReasoningField};
pub use common::{parse_effort, ResponseFormat, ToolChoice};
pub use convert::{ConvertOptions, Prefill, Prepared, Sampling, REASONING_STOP};
pub use encrypted::{decode_reasoning, encode_reasoning, EncryptedContentError};
pub use error::{ApiError, ErrorType, RequestError};
pub use ids::{unix_now, IdGen};
pub use responses_request::{InputItem, ResponsesRequest, INCLUDE_ENCRYPTED_REASONING};
pub use responses_stream::{ResponseBuilder, ResponsesEncoder, ResponsesOptions};
pub use turn::TurnOutcome;
pub use usage::Usage;
