//! Structured output: the format an answer must take, and the developer-message section
//! that asks the model for it.

use serde_json::Value;

/// The requested output format: free text, any JSON object, or JSON following a schema
/// (OpenAI's `response_format` / Responses' `text.format`, Ollama's `format`).
///
/// Harmony has no grammar: a format is asked for in the developer message's
/// `# Response Formats` section ([`developer_section`](ResponseFormat::developer_section)),
/// where gpt-oss was trained to find it.
///
/// ```
/// use harmony_chat::ResponseFormat;
/// use serde_json::json;
///
/// let city = ResponseFormat::json_schema("city", json!({"type": "object"}));
/// assert!(city.is_json());
/// assert_eq!(
///     city.developer_section().unwrap(),
///     "# Response Formats\n\n## city\n\n{\"type\":\"object\"}"
/// );
/// assert_eq!(ResponseFormat::default(), ResponseFormat::Text);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ResponseFormat {
    /// Free text (the default).
    #[default]
    Text,
    /// Any JSON object.
    JsonObject,
    /// JSON following a schema.
    JsonSchema {
        /// The format's name (`## name` in the developer message).
        name: String,
        /// What it is for.
        description: Option<String>,
        /// The JSON Schema.
        schema: Value,
        /// OpenAI's `strict` flag (recorded; harmony has no grammar to enforce it).
        strict: bool,
    },
}

impl ResponseFormat {
    /// JSON following `schema`, under `name`, with no description and not strict.
    ///
    /// ```
    /// use harmony_chat::ResponseFormat;
    /// let f = ResponseFormat::json_schema("answer", serde_json::json!({"type": "object"}));
    /// assert!(matches!(f, ResponseFormat::JsonSchema { ref name, strict: false, .. } if name == "answer"));
    /// ```
    pub fn json_schema(name: impl Into<String>, schema: Value) -> Self {
        ResponseFormat::JsonSchema {
            name: name.into(),
            description: None,
            schema,
            strict: false,
        }
    }

    /// Whether the answer must be JSON.
    ///
    /// ```
    /// assert!(harmony_chat::ResponseFormat::JsonObject.is_json());
    /// assert!(!harmony_chat::ResponseFormat::Text.is_json());
    /// ```
    pub fn is_json(&self) -> bool {
        !matches!(self, ResponseFormat::Text)
    }

    /// The text that asks for this format in the developer message: for a schema, the
    /// `# Response Formats` section (`## name`, the description as `//` comments, the
    /// schema as compact JSON); for any JSON object, one sentence; for text, nothing.
    ///
    /// ```
    /// use harmony_chat::ResponseFormat;
    /// let f = ResponseFormat::JsonSchema {
    ///     name: "city".into(),
    ///     description: Some("A city.".into()),
    ///     schema: serde_json::json!({"type": "string"}),
    ///     strict: true,
    /// };
    /// assert_eq!(f.developer_section().unwrap(), "# Response Formats\n\n## city\n\n// A city.\n{\"type\":\"string\"}");
    /// assert!(ResponseFormat::JsonObject.developer_section().unwrap().contains("JSON object"));
    /// assert_eq!(ResponseFormat::Text.developer_section(), None);
    /// ```
    pub fn developer_section(&self) -> Option<String> {
        match self {
            ResponseFormat::Text => None,
            ResponseFormat::JsonObject => {
                Some("Respond with a single JSON object and nothing else.".to_owned())
            }
            ResponseFormat::JsonSchema {
                name,
                description,
                schema,
                ..
            } => {
                let mut s = format!("# Response Formats\n\n## {name}\n\n");
                for line in description.iter().flat_map(|d| d.lines()) {
                    s.push_str("// ");
                    s.push_str(line);
                    s.push('\n');
                }
                s.push_str(&schema.to_string());
                Some(s)
            }
        }
    }
}
