//! `harmony serve`: the gateway (harmony-server) from the command line.

use std::net::SocketAddr;

use harmony_server::{ServeConfig, UpstreamKind};

/// What `harmony serve` was told.
pub(crate) struct ServeArgs {
    pub listen: Option<SocketAddr>,
    pub upstream: Option<String>,
    pub upstream_kind: UpstreamKind,
    pub api_key: Option<String>,
    pub no_auth: bool,
    pub reasoning_field: harmony_openai::ReasoningField,
    pub log_text: bool,
    /// Serve the operator page at /ui.
    pub ui: bool,
    /// Finished turns the operator page keeps.
    pub history: usize,
    /// Continue a reasoning-only turn once with a final-channel prefill.
    pub continue_empty_turns: bool,
}

/// Builds the settings (flags over `OLLAMA_HOST` and `HARMONY_API_KEY`) and serves until stopped.
pub(crate) fn run(args: ServeArgs) -> Result<(), String> {
    let mut config = ServeConfig::default();
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    config.upstream = match args.upstream {
        Some(u) => u,
        None => std::env::var("OLLAMA_HOST")
            .ok()
            .filter(|h| !h.trim().is_empty())
            .unwrap_or_else(|| harmony_ollama::DEFAULT_HOST.to_owned()),
    };
    config.upstream_kind = args.upstream_kind;
    config.api_key = args.api_key.or_else(|| {
        std::env::var("HARMONY_API_KEY")
            .ok()
            .filter(|k| !k.is_empty())
    });
    config.no_auth = args.no_auth;
    config.reasoning_field = args.reasoning_field;
    config.log_text = args.log_text;
    config.ui = args.ui;
    config.history = args.history;
    config.continue_empty_turns = args.continue_empty_turns;
    config.check().map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime
        .block_on(harmony_server::serve(config))
        .map_err(|e| e.to_string())
}
