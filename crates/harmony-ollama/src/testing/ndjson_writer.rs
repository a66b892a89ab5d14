//! Builds NDJSON byte-for-byte the way Ollama writes it: one JSON object per line,
//! fields in the order of Ollama's Go structs, `omitempty` fields left out, Go's HTML
//! escaping, map keys sorted (Go's `json.Marshal` of a map), metrics on the `done`
//! line only.

use serde_json::Value;

use super::escape::write_go_json_string;

/// Writer of Ollama-style NDJSON streams, for recordings and the fake server.
///
/// Timestamps and metrics are synthetic but deterministic, so recordings are stable.
///
/// ```
/// use harmony_ollama::testing::OllamaNdjson;
///
/// let mut w = OllamaNdjson::new("gpt-oss:20b");
/// w.response("<|channel|>").generate_done("stop");
/// let text = w.finish();
/// let first = text.lines().next().unwrap();
/// assert_eq!(
///     first,
///     r#"{"model":"gpt-oss:20b","created_at":"2025-08-06T10:15:30.000000000Z","response":"\u003c|channel|\u003e","done":false}"#,
/// );
/// assert!(text.lines().last().unwrap().contains(r#""done":true,"done_reason":"stop","total_duration":"#));
/// ```
#[derive(Debug, Clone)]
pub struct OllamaNdjson {
    model: String,
    out: String,
    lines: u64,
}

impl OllamaNdjson {
    /// A writer for `model`'s stream.
    ///
    /// ```
    /// assert!(harmony_ollama::testing::OllamaNdjson::new("m").finish().is_empty());
    /// ```
    pub fn new(model: &str) -> Self {
        OllamaNdjson {
            model: model.to_owned(),
            out: String::new(),
            lines: 0,
        }
    }

    fn head(&mut self) {
        // 20 ms per line, like a 50 token/s model.
        let nanos = self.lines * 20_000_000;
        self.out.push_str("{\"model\":");
        write_go_json_string(&mut self.out, &self.model);
        self.out.push_str(&format!(
            ",\"created_at\":\"2025-08-06T10:15:{:02}.{:09}Z\"",
            30 + nanos / 1_000_000_000 % 30,
            nanos % 1_000_000_000
        ));
        self.lines += 1;
    }

    fn metrics(&mut self) {
        let n = self.lines.saturating_sub(1).max(1);
        self.out.push_str(&format!(
            ",\"total_duration\":{},\"load_duration\":{},\"prompt_eval_count\":{},\"prompt_eval_duration\":{},\"eval_count\":{},\"eval_duration\":{}}}\n",
            n * 20_000_000 + 150_000_000,
            60_000_000,
            87,
            90_000_000,
            n,
            n * 20_000_000
        ));
    }

    /// An `/api/generate` fragment line.
    ///
    /// ```
    /// let mut w = harmony_ollama::testing::OllamaNdjson::new("m");
    /// w.response("a&b");
    /// assert!(w.finish().contains(r#""response":"a\u0026b","done":false}"#));
    /// ```
    pub fn response(&mut self, text: &str) -> &mut Self {
        self.head();
        self.out.push_str(",\"response\":");
        write_go_json_string(&mut self.out, text);
        self.out.push_str(",\"done\":false}\n");
        self
    }

    /// The last `/api/generate` line: empty response, `done_reason`, metrics.
    ///
    /// ```
    /// let mut w = harmony_ollama::testing::OllamaNdjson::new("m");
    /// w.generate_done("length");
    /// assert!(w.finish().contains(r#""response":"","done":true,"done_reason":"length""#));
    /// ```
    pub fn generate_done(&mut self, done_reason: &str) -> &mut Self {
        self.head();
        self.out
            .push_str(",\"response\":\"\",\"done\":true,\"done_reason\":");
        write_go_json_string(&mut self.out, done_reason);
        self.metrics();
        self
    }

    /// An `/api/chat` line carrying a content and/or thinking delta.
    ///
    /// ```
    /// let mut w = harmony_ollama::testing::OllamaNdjson::new("m");
    /// w.chat_delta("", "hmm");
    /// assert!(w.finish().contains(r#""message":{"role":"assistant","content":"","thinking":"hmm"},"done":false}"#));
    /// ```
    pub fn chat_delta(&mut self, content: &str, thinking: &str) -> &mut Self {
        self.head();
        self.out
            .push_str(",\"message\":{\"role\":\"assistant\",\"content\":");
        write_go_json_string(&mut self.out, content);
        if !thinking.is_empty() {
            self.out.push_str(",\"thinking\":");
            write_go_json_string(&mut self.out, thinking);
        }
        self.out.push_str("},\"done\":false}\n");
        self
    }

    /// An `/api/chat` line carrying complete tool calls (`(name, arguments)`), as
    /// Ollama sends them just before `done`.
    ///
    /// ```
    /// let mut w = harmony_ollama::testing::OllamaNdjson::new("m");
    /// w.chat_tool_calls(&[("get_weather", serde_json::json!({"b": 1, "a": "<x>"}))]);
    /// assert!(w.finish().contains(
    ///     r#""tool_calls":[{"function":{"index":0,"name":"get_weather","arguments":{"a":"\u003cx\u003e","b":1}}}]"#
    /// ));
    /// ```
    pub fn chat_tool_calls(&mut self, calls: &[(&str, Value)]) -> &mut Self {
        self.head();
        self.out
            .push_str(",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[");
        for (i, (name, args)) in calls.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out
                .push_str(&format!("{{\"function\":{{\"index\":{i},\"name\":"));
            write_go_json_string(&mut self.out, name);
            self.out.push_str(",\"arguments\":");
            write_go_value(&mut self.out, args);
            self.out.push_str("}}");
        }
        self.out.push_str("]},\"done\":false}\n");
        self
    }

    /// The last `/api/chat` line.
    ///
    /// ```
    /// let mut w = harmony_ollama::testing::OllamaNdjson::new("m");
    /// w.chat_done("stop");
    /// assert!(w.finish().contains(r#""content":""},"done_reason":"stop","done":true,"total_duration""#));
    /// ```
    pub fn chat_done(&mut self, done_reason: &str) -> &mut Self {
        self.head();
        self.out
            .push_str(",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done_reason\":");
        write_go_json_string(&mut self.out, done_reason);
        self.out.push_str(",\"done\":true");
        self.metrics();
        self
    }

    /// The last `/api/chat` line carrying the tool calls, as Ollama's harmony handler
    /// sends them (it parses the call only once generation is done).
    ///
    /// ```
    /// let mut w = harmony_ollama::testing::OllamaNdjson::new("m");
    /// w.chat_done_with_tool_calls("stop", &[("f", serde_json::json!({"a": 1}))]);
    /// assert!(w.finish().contains(
    ///     r#""message":{"role":"assistant","content":"","tool_calls":[{"function":{"index":0,"name":"f","arguments":{"a":1}}}]},"done_reason":"stop","done":true"#
    /// ));
    /// ```
    pub fn chat_done_with_tool_calls(
        &mut self,
        done_reason: &str,
        calls: &[(&str, Value)],
    ) -> &mut Self {
        self.head();
        self.out
            .push_str(",\"message\":{\"role\":\"assistant\",\"content\":\"\"");
        if !calls.is_empty() {
            self.out.push_str(",\"tool_calls\":[");
            for (i, (name, args)) in calls.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out
                    .push_str(&format!("{{\"function\":{{\"index\":{i},\"name\":"));
                write_go_json_string(&mut self.out, name);
                self.out.push_str(",\"arguments\":");
                write_go_value(&mut self.out, args);
                self.out.push_str("}}");
            }
            self.out.push(']');
        }
        self.out.push_str("},\"done_reason\":");
        write_go_json_string(&mut self.out, done_reason);
        self.out.push_str(",\"done\":true");
        self.metrics();
        self
    }

    /// A mid-stream error line, `{"error":"..."}`.
    ///
    /// ```
    /// let mut w = harmony_ollama::testing::OllamaNdjson::new("m");
    /// w.error("boom");
    /// assert_eq!(w.finish(), "{\"error\":\"boom\"}\n");
    /// ```
    pub fn error(&mut self, message: &str) -> &mut Self {
        self.out.push_str("{\"error\":");
        write_go_json_string(&mut self.out, message);
        self.out.push_str("}\n");
        self
    }

    /// The NDJSON text.
    ///
    /// ```
    /// assert_eq!(harmony_ollama::testing::OllamaNdjson::new("m").finish(), "");
    /// ```
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}

/// Writes `v` as Go's `json.Marshal` would: sorted object keys, HTML-escaped strings.
///
/// ```
/// let mut out = String::new();
/// harmony_ollama::testing::write_go_value(&mut out, &serde_json::json!({"z": [1, "&"], "a": null}));
/// assert_eq!(out, r#"{"a":null,"z":[1,"\u0026"]}"#);
/// ```
pub fn write_go_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_go_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Sorted explicitly: serde_json's map keeps insertion order when another
            // crate in the build enables `preserve_order`.
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json_string(out, k);
                out.push(':');
                write_go_value(out, item);
            }
            out.push('}');
        }
    }
}
