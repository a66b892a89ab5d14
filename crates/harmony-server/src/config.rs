//! The gateway's settings (`harmony serve`'s flags).

use std::net::SocketAddr;
use std::time::Duration;

use crate::upstream::UpstreamKind;

/// Where the gateway listens by default: loopback, next to Ollama's 11434.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:11435";

/// Timeouts towards the upstream.
///
/// ```
/// let t = harmony_server::Timeouts::default();
/// assert!(t.connect < t.first_token);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Connecting to the upstream.
    pub connect: Duration,
    /// From sending the request to the first byte of the answer (a cold model load
    /// takes a while).
    pub first_token: Duration,
    /// Between two pieces of a stream.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            first_token: Duration::from_secs(300),
            idle: Duration::from_secs(120),
        }
    }
}

/// Bounds on what one request may cost.
///
/// ```
/// let l = harmony_server::Limits::default();
/// assert!(l.default_completion_tokens <= l.max_completion_tokens);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Completion budget when the request sets none.
    pub default_completion_tokens: u32,
    /// Largest completion budget a request may ask for.
    pub max_completion_tokens: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 * 1024 * 1024,
            default_completion_tokens: 8192,
            max_completion_tokens: 32_768,
        }
    }
}

/// Everything `harmony serve` is told.
///
/// ```
/// let c = harmony_server::ServeConfig::default();
/// assert_eq!(c.listen.to_string(), "127.0.0.1:11435");
/// assert!(c.check().is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The upstream's base URL.
    pub upstream: String,
    /// The upstream's protocol.
    pub upstream_kind: UpstreamKind,
    /// Required bearer key (`Authorization: Bearer KEY`), if any.
    pub api_key: Option<String>,
    /// Allow a non-loopback address without a key.
    pub no_auth: bool,
    /// How reasoning is spelled in Chat Completions deltas.
    pub reasoning_field: harmony_openai::ReasoningField,
    /// Continue once with a final-channel prefill when a turn ends after reasoning
    /// with neither an answer nor a call.
    pub continue_empty_turns: bool,
    /// Log prompt and answer text too (off: only counts are logged).
    pub log_text: bool,
    /// Timeouts towards the upstream.
    pub timeouts: Timeouts,
    /// Bounds per request.
    pub limits: Limits,
    /// Finished turns the operator view keeps in memory.
    pub history: usize,
    /// Serve the operator page at `/ui`.
    pub ui: bool,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: DEFAULT_LISTEN.parse().expect("a valid default address"),
            upstream: harmony_ollama::DEFAULT_HOST.to_owned(),
            upstream_kind: UpstreamKind::Ollama,
            api_key: None,
            no_auth: false,
            reasoning_field: harmony_openai::ReasoningField::default(),
            continue_empty_turns: true,
            log_text: false,
            timeouts: Timeouts::default(),
            limits: Limits::default(),
            history: 200,
            ui: true,
        }
    }
}

impl ServeConfig {
    /// Refuses to listen beyond loopback without a key (unless `no_auth`).
    ///
    /// # Errors
    /// [`GatewayError::Config`](crate::GatewayError::Config) saying what to add.
    ///
    /// ```
    /// let mut c = harmony_server::ServeConfig::default();
    /// c.listen = "0.0.0.0:11435".parse().unwrap();
    /// assert!(c.check().is_err());
    /// c.api_key = Some("secret".into());
    /// assert!(c.check().is_ok());
    /// ```
    pub fn check(&self) -> Result<(), crate::GatewayError> {
        if !self.listen.ip().is_loopback() && self.api_key.is_none() && !self.no_auth {
            return Err(crate::GatewayError::Config(format!(
                "listening on {} (not loopback) requires --api-key KEY, or --no-auth to serve without one",
                self.listen
            )));
        }
        if self.api_key.as_deref() == Some("") {
            return Err(crate::GatewayError::Config(
                "--api-key must not be empty".into(),
            ));
        }
        Ok(())
    }
}
