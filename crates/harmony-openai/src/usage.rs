//! Token usage of one answer, as both APIs report it.

use serde_json::{json, Value};

use harmony_ollama::Done;

/// Token counts of one answer.
///
/// ```
/// let u = harmony_openai::Usage { prompt_tokens: 10, completion_tokens: 5, reasoning_tokens: 3 };
/// assert_eq!(u.chat_json()["total_tokens"], 15);
/// assert_eq!(u.responses_json()["output_tokens_details"]["reasoning_tokens"], 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Tokens of the prompt (counted by the gateway's renderer: the upstream's own
    /// count leaves out its cached prefix).
    pub prompt_tokens: u64,
    /// Tokens generated, reasoning included.
    pub completion_tokens: u64,
    /// Of those, reasoning (analysis) tokens.
    pub reasoning_tokens: u64,
}

impl Usage {
    /// Chat Completions' `usage` object.
    ///
    /// ```
    /// let u = harmony_openai::Usage { prompt_tokens: 1, completion_tokens: 2, reasoning_tokens: 1 };
    /// assert_eq!(u.chat_json()["completion_tokens_details"]["reasoning_tokens"], 1);
    /// ```
    pub fn chat_json(&self) -> Value {
        json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
        })
    }

    /// Responses' `usage` object.
    ///
    /// ```
    /// let u = harmony_openai::Usage { prompt_tokens: 1, completion_tokens: 2, reasoning_tokens: 0 };
    /// assert_eq!(u.responses_json()["total_tokens"], 3);
    /// assert_eq!(u.responses_json()["input_tokens"], 1);
    /// ```
    pub fn responses_json(&self) -> Value {
        json!({
            "input_tokens": self.prompt_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": self.completion_tokens,
            "output_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        })
    }
}

/// Counts what usage needs while the events go by: text events (the fallback when the
/// upstream sends no token count) and the reasoning text (tokenised once, at the end).
#[derive(Debug, Default)]
pub(crate) struct UsageCounter {
    pub prompt_tokens: u64,
    pieces: u64,
    reasoning: String,
}

impl UsageCounter {
    pub fn new(prompt_tokens: u64) -> Self {
        UsageCounter {
            prompt_tokens,
            ..Self::default()
        }
    }

    pub fn piece(&mut self) {
        self.pieces += 1;
    }

    pub fn reasoning(&mut self, text: &str) {
        self.pieces += 1;
        self.reasoning.push_str(text);
    }

    /// The usage at the end, `done` giving the upstream's generated-token count.
    pub fn finish(&self, done: Option<&Done>) -> Usage {
        let completion = done
            .and_then(|d| d.metrics.eval_count)
            .unwrap_or(self.pieces);
        let reasoning = if self.reasoning.is_empty() {
            0
        } else {
            harmony_chat::Renderer::new().encode(&self.reasoning).len() as u64
        };
        Usage {
            prompt_tokens: self.prompt_tokens,
            completion_tokens: completion,
            reasoning_tokens: reasoning.min(completion),
        }
    }
}
