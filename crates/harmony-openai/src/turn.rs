//! What one completion did, for the server's prefill and continuation decisions
//! (docs/design.md, the gateway, "Prefills").

use harmony_ollama::{Channel, StreamEvent};

use crate::convert::Prefill;

/// Watches a completion's [`StreamEvent`]s and says whether, and with which prefill,
/// the prompt must be continued.
///
/// The flow a server runs: generate with [`Prefill::first_stops`]; feed every event to
/// the client's encoder and to a `TurnOutcome` (the first request's `Done` excepted when a
/// continuation follows); at `Done`, [`continuation`](Self::continuation) gives the
/// prefill to continue with, if any: the forced call was not made, the JSON answer
/// was not started, or the turn was reasoning only. Then generate once more from
/// `prefill.continue_prompt(prompt, output)`, feeding the parser `prefill.header()`
/// first so it knows which message the output continues.
///
/// ```
/// use harmony_ollama::{Channel, StreamEvent};
/// use harmony_openai::{Prefill, TurnOutcome};
///
/// let mut turn = TurnOutcome::new();
/// turn.observe(&StreamEvent::Delta { channel: Some(Channel::Analysis), text: "Hmm.".into() });
/// turn.observe(&StreamEvent::Done(Default::default()));
/// // Reasoning only: continue once with a final-channel header.
/// assert!(turn.is_empty_turn());
/// assert_eq!(turn.continuation(&Prefill::None), Some(Prefill::Final));
/// // The forced call was not made: continue with its header.
/// assert_eq!(turn.continuation(&Prefill::Tool("f".into())), Some(Prefill::Tool("f".into())));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnOutcome {
    reasoning: bool,
    answer: bool,
    calls: Vec<String>,
    truncated: bool,
}

impl TurnOutcome {
    /// A turn that saw nothing yet.
    ///
    /// ```
    /// assert!(harmony_openai::TurnOutcome::new().calls().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one event.
    ///
    /// ```
    /// use harmony_ollama::StreamEvent;
    /// let mut t = harmony_openai::TurnOutcome::new();
    /// t.observe(&StreamEvent::Delta { channel: None, text: "Hi".into() });
    /// assert!(t.answered());
    /// ```
    pub fn observe(&mut self, event: &StreamEvent) {
        match event {
            StreamEvent::Delta { channel, text } if !text.trim().is_empty() => {
                if *channel == Some(Channel::Analysis) {
                    self.reasoning = true;
                } else {
                    self.answer = true;
                }
            }
            StreamEvent::ToolCallStart(start) => self.calls.push(start.name.clone()),
            StreamEvent::Done(done) => self.truncated |= done.is_truncated(),
            _ => {}
        }
    }

    /// Whether visible text (final, preamble, channel-less) was written.
    ///
    /// ```
    /// assert!(!harmony_openai::TurnOutcome::new().answered());
    /// ```
    pub fn answered(&self) -> bool {
        self.answer
    }

    /// The names of the functions called, in order.
    ///
    /// ```
    /// assert!(harmony_openai::TurnOutcome::new().calls().is_empty());
    /// ```
    pub fn calls(&self) -> &[String] {
        &self.calls
    }

    /// Whether the upstream hit its token limit (never continued: the budget is spent).
    ///
    /// ```
    /// assert!(!harmony_openai::TurnOutcome::new().truncated());
    /// ```
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// Reasoning, and neither an answer nor a call.
    ///
    /// ```
    /// assert!(!harmony_openai::TurnOutcome::new().is_empty_turn());
    /// ```
    pub fn is_empty_turn(&self) -> bool {
        self.reasoning && !self.answer && self.calls.is_empty()
    }

    /// The prefill to continue with after the first request (planned `prefill`), or
    /// `None` when the turn is complete.
    ///
    /// ```
    /// use harmony_ollama::StreamEvent;
    /// use harmony_openai::{Prefill, TurnOutcome};
    /// let mut t = TurnOutcome::new();
    /// t.observe(&StreamEvent::Delta { channel: None, text: "{\"a\":1}".into() });
    /// assert_eq!(t.continuation(&Prefill::FinalJson), None);
    /// assert_eq!(TurnOutcome::new().continuation(&Prefill::AnyTool), Some(Prefill::AnyTool));
    /// ```
    pub fn continuation(&self, prefill: &Prefill) -> Option<Prefill> {
        if self.truncated {
            return None;
        }
        match prefill {
            Prefill::Tool(name) if !self.calls.iter().any(|c| c == name) => Some(prefill.clone()),
            Prefill::AnyTool if self.calls.is_empty() => Some(prefill.clone()),
            Prefill::FinalJson if !self.answer && self.calls.is_empty() => Some(Prefill::FinalJson),
            Prefill::None if self.is_empty_turn() => Some(Prefill::Final),
            _ => None,
        }
    }
}
