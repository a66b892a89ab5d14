//! Test support (feature `test-util`): Go-compatible JSON, an Ollama-style NDJSON
//! writer, and a loopback fake Ollama that replays NDJSON over real HTTP with chunk
//! splits, delays, error lines, HTTP errors and dropped connections.

mod escape;
mod ndjson_writer;
mod server;

pub use escape::{go_json_string, write_go_json_string};
pub use ndjson_writer::{write_go_value, OllamaNdjson};
pub use server::{Chunking, Ended, FakeOllama, Received, Reply};
