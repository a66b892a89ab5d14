//! Test support (feature `test-util`): Go-compatible JSON escaping and a loopback fake
//! Ollama that replays recorded NDJSON over real HTTP.

mod escape;

pub use escape::{go_json_string, write_go_json_string};
