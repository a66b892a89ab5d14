//! Layer 1, the transport: bytes from Ollama to typed lines and transport events, and
//! requests to Ollama. Knows nothing of harmony messages, channels' meaning or tool
//! calls beyond Ollama's own JSON; no module here imports `modes` or `client`
//! (`tests/module_graph.rs` checks).

pub(crate) mod config;
pub(crate) mod error;
pub(crate) mod fast;
pub(crate) mod fragment;
pub(crate) mod line;
pub(crate) mod ndjson;
pub(crate) mod options;
pub(crate) mod request;
pub(crate) mod stream;
pub(crate) mod text;
