//! What the gateway sees of each turn, for the operator: every request's events as they
//! stream. The routes never talk to it directly: [`Turn`](crate::turn) hands every
//! event of every turn to a [`Recorder`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use harmony_ollama::StreamEvent;

use crate::turn::Protocol;

/// What is known of a turn when it starts.
#[derive(Debug, Clone, Default)]
pub struct TurnInfo {
    /// The client's protocol.
    pub protocol: Protocol,
    /// The model asked for.
    pub model: String,
    /// Tokens in the rendered prompt.
    pub prompt_tokens: u32,
    /// Tool results the request brought, as `(call id or tool name, content)`: the
    /// answers to the previous turn's calls.
    pub tool_results: Vec<(String, String)>,
}

/// Every turn through the gateway.
#[derive(Debug, Default)]
pub struct Monitor {
    next_id: AtomicU64,
    finished: AtomicU64,
}

impl Monitor {
    /// A monitor keeping the last `history` finished turns.
    ///
    /// ```
    /// let m = harmony_server::Monitor::new(100);
    /// assert_eq!(m.finished(), 0);
    /// ```
    pub fn new(_history: usize) -> Self {
        Monitor::default()
    }

    /// A turn starts: its recorder gets every event.
    pub fn begin(self: &Arc<Self>, _info: TurnInfo) -> Recorder {
        Recorder {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            monitor: Arc::clone(self),
        }
    }

    /// Turns finished so far.
    pub fn finished(&self) -> u64 {
        self.finished.load(Ordering::Relaxed)
    }
}

/// One turn's events, on their way to the [`Monitor`]. Dropping it ends the turn.
#[derive(Debug)]
pub struct Recorder {
    id: u64,
    monitor: Arc<Monitor>,
}

impl Recorder {
    /// The turn's id (rising).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// An event of the turn, as the client gets it.
    pub fn event(&mut self, _event: &StreamEvent) {}

    /// The upstream failed mid-turn.
    pub fn upstream_error(&mut self, _message: &str) {}
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.monitor.finished.fetch_add(1, Ordering::Relaxed);
    }
}
