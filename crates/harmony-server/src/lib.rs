//! # harmony-server
//!
//! The gateway behind `harmony serve`: clients speak OpenAI's Chat Completions or
//! Responses API, or Ollama's API; the gateway renders the harmony prompt itself, drives
//! the upstream in raw mode (Ollama's `/api/generate`, or an OpenAI-style
//! `/v1/completions` server), parses the output with the tolerant mode engine, and
//! answers in the client's own protocol, tool calls streamed and reasoning apart.
//!
//! ```text
//! client --HTTP--> route (chat | responses | ollama) --> Conversation + prompt (+ prefill)
//!    -> upstream (raw text) -> harmony_ollama::Engine -> StreamEvents
//!    -> protocol encoder (harmony-openai, or Ollama lines) --SSE/NDJSON--> client
//! ```
//!
//! It keeps no state between requests, so any number can run behind a load balancer.
//!
//! ```no_run
//! # async fn run() -> Result<(), harmony_server::GatewayError> {
//! let config = harmony_server::ServeConfig::default(); // 127.0.0.1:11435 -> Ollama on 11434
//! harmony_server::serve(config).await
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auth;
mod config;
mod error;
mod log;
mod metrics;
mod monitor;
mod ollama_api;
mod openai_api;
mod sse;
mod state;
mod time;
mod turn;
mod ui;
mod upstream;

use axum::routing::{get, post};
use axum::Router;

pub use auth::constant_time_eq;
pub use config::{Limits, ServeConfig, Timeouts, DEFAULT_LISTEN};
pub use error::GatewayError;
pub use metrics::Metrics;
pub use monitor::{Monitor, Recorder, TurnInfo};
pub use sse::{write_sse, SseDecoder, SseFramer, StreamEncoder};
pub use state::AppState;
pub use time::{rfc3339, rfc3339_now};
pub use turn::Protocol;
pub use upstream::{CompletionRequest, Upstream, UpstreamKind};

/// The gateway's routes over `state`.
///
/// ```
/// let state = harmony_server::AppState::new(harmony_server::ServeConfig::default()).unwrap();
/// let app = harmony_server::router(state);
/// # drop(app);
/// ```
pub fn router(state: AppState) -> Router {
    let limit = state.config.limits.max_body_bytes;
    let app = Router::new()
        .route("/v1/chat/completions", post(openai_api::chat))
        .route("/v1/responses", post(openai_api::responses))
        .route("/v1/models", get(openai_api::models))
        .route("/api/chat", post(ollama_api::chat))
        .route("/api/generate", post(ollama_api::passthrough))
        .route("/api/show", post(ollama_api::passthrough))
        .route("/api/tags", get(ollama_api::passthrough))
        .route("/api/version", get(ollama_api::passthrough))
        .route("/api/ps", get(ollama_api::passthrough))
        .route("/metrics", get(metrics::metrics));
    // The operator page (off with --no-ui); /metrics stays, for Prometheus.
    let app = if state.config.ui {
        app.merge(ui::router())
    } else {
        app
    };
    app.fallback(openai_api::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_key,
        ))
        // Outside the key check, so that refused requests (401) are counted too.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::count_requests,
        ))
        .layer(axum::middleware::from_fn(log::log_request))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Listens on `config.listen` and serves until the process is stopped.
///
/// # Errors
/// The settings are refused ([`ServeConfig::check`]) or the address cannot be bound.
pub async fn serve(config: ServeConfig) -> Result<(), GatewayError> {
    config.check()?;
    let listen = config.listen;
    let state = AppState::new(config)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| GatewayError::Config(format!("cannot listen on {listen}: {e}")))?;
    serve_on(listener, state).await
}

/// Serves `state` on an already bound listener (tests bind port 0 and read it back).
///
/// # Errors
/// The server failed.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
) -> Result<(), GatewayError> {
    let addr = listener.local_addr().ok();
    eprintln!(
        "harmony serve: listening on http://{}, upstream {} ({:?})",
        addr.map_or_else(|| "?".to_owned(), |a| a.to_string()),
        state.upstream.base(),
        state.upstream.kind()
    );
    axum::serve(listener, router(state))
        .await
        .map_err(|e| GatewayError::Config(format!("server failed: {e}")))
}
