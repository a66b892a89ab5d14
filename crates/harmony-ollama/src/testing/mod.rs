//! Test support (feature `test-util`): Go-compatible JSON, an Ollama-style NDJSON
//! writer, and a loopback fake Ollama that replays NDJSON over real HTTP with chunk
//! splits, delays, error lines, HTTP errors and dropped connections, and answers
//! like Ollama with a scripted model ([`Agent`]) when the script runs out.

mod agent;
mod convert;
mod escape;
mod ndjson_writer;
mod server;

pub use agent::Agent;
pub use convert::{chat_ndjson_from_generate, go_json_error};
pub use escape::{go_json_string, write_go_json_string};
pub use ndjson_writer::{write_go_value, OllamaNdjson};
pub use server::{Chunking, Ended, FakeOllama, FakeOllamaBuilder, Received, Reply, SERVER_BUSY};
