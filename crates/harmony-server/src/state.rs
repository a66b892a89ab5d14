//! The gateway's shared state: settings, the upstream, the renderer, and the context
//! lengths learnt from the upstream. Nothing here outlives the process; no request
//! depends on an earlier one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use harmony_chat::Renderer;

use crate::config::ServeConfig;
use crate::monitor::Monitor;
use crate::upstream::Upstream;

/// What every handler reads.
#[derive(Clone)]
pub struct AppState {
    /// The settings.
    pub config: Arc<ServeConfig>,
    /// Where completions come from.
    pub upstream: Upstream,
    pub(crate) renderer: Arc<Renderer>,
    /// Every turn, for the operator.
    pub monitor: Arc<Monitor>,
    contexts: Arc<Mutex<HashMap<String, Option<u32>>>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("upstream", &self.upstream.base())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State for `config`.
    ///
    /// # Errors
    /// The upstream address is not a URL.
    pub fn new(config: ServeConfig) -> Result<Self, crate::GatewayError> {
        let upstream = Upstream::new(config.upstream_kind, &config.upstream, config.timeouts)?;
        let config_history = config.history;
        Ok(AppState {
            config: Arc::new(config),
            upstream,
            renderer: Arc::new(Renderer::new()),
            monitor: Arc::new(Monitor::new(config_history)),
            contexts: Arc::default(),
        })
    }

    /// The model's context length, asked of the upstream once per model.
    pub(crate) async fn context_length(&self, model: &str) -> Option<u32> {
        if let Some(known) = self.contexts.lock().ok()?.get(model) {
            return *known;
        }
        let length = self.upstream.context_length(model).await;
        // Only answers are kept (an unreachable upstream is asked again next time), and
        // at most 1024 models: a client naming endless models must not grow it forever.
        if let (Some(_), Ok(mut map)) = (length, self.contexts.lock()) {
            if map.len() < 1024 {
                map.insert(model.to_owned(), length);
            }
        }
        length
    }
}
