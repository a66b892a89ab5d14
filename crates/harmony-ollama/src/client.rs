//! [`OllamaClient`]: sends requests, classifies HTTP-level failures, and hands the body
//! to a [`GenerateStream`] or [`ChatStream`].

use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;

use crate::config::{normalize_host, Channels, ChatMode, Config, ReasoningEffort};
use crate::error::{parse_tool_call_error, ConfigError, Error, Partial, TimeoutPhase};
use crate::options::{KeepAlive, Options};
use crate::request::{ChatRequest, ChatWire, GenerateRequest, GenerateWire};
use crate::stream::{BodyTimeouts, ChatStream, GenerateStream};

/// Error bodies are short JSON; anything longer is cut (and still reported).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Builds an [`OllamaClient`]. Starts from defaults ([`ClientBuilder::new`]) or from
/// the environment ([`ClientBuilder::from_env`]); every setter overrides.
///
/// ```
/// use std::time::Duration;
/// use harmony_ollama::{ChatMode, ClientBuilder, Options};
///
/// let client = ClientBuilder::new()
///     .host("127.0.0.1:11434")
///     .mode(ChatMode::Harmony)
///     .options(Options::new().num_ctx(32_768))
///     .idle_timeout(Some(Duration::from_secs(60)))
///     .build()
///     .unwrap();
/// assert_eq!(client.host(), "http://127.0.0.1:11434");
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    config: Config,
    host: Option<String>,
    options: Options,
    keep_alive: Option<KeepAlive>,
    connect_timeout: Option<Duration>,
    headers_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    total_timeout: Option<Duration>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientBuilder {
    /// Defaults: `http://127.0.0.1:11434`, standard mode, all channels, Ollama's
    /// option defaults; connect timeout 10 s, headers 10 min (the first request
    /// loads the model), 2 min between body chunks, no total limit.
    ///
    /// ```
    /// let client = harmony_ollama::ClientBuilder::new().build().unwrap();
    /// assert_eq!(client.host(), harmony_ollama::DEFAULT_HOST);
    /// ```
    pub fn new() -> Self {
        ClientBuilder {
            config: Config::default(),
            host: None,
            options: Options::default(),
            keep_alive: None,
            connect_timeout: Some(Duration::from_secs(10)),
            headers_timeout: Some(Duration::from_secs(600)),
            idle_timeout: Some(Duration::from_secs(120)),
            total_timeout: None,
        }
    }

    /// Starts from the process environment (see [`Config::from_env`]).
    ///
    /// ```no_run
    /// let client = harmony_ollama::ClientBuilder::from_env()?.build()?;
    /// # Ok::<(), harmony_ollama::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::new().config(Config::from_env()?))
    }

    /// Replaces the whole configuration (e.g. one read with [`Config::from_lookup`]).
    ///
    /// ```
    /// use harmony_ollama::{ClientBuilder, Config};
    /// let config = Config::from_lookup(|k| (k == "OLLAMA_HOST").then(|| "gpu:1234".into())).unwrap();
    /// assert_eq!(ClientBuilder::new().config(config).build().unwrap().host(), "http://gpu:1234");
    /// ```
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self.host = None;
        self
    }

    /// Ollama's address, in any form `OLLAMA_HOST` accepts (see [`normalize_host`]);
    /// checked by [`build`](Self::build).
    ///
    /// ```
    /// let client = harmony_ollama::ClientBuilder::new().host("http://localhost:8080").build().unwrap();
    /// assert_eq!(client.host(), "http://localhost:8080");
    /// ```
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Standard or harmony mode.
    ///
    /// ```
    /// use harmony_ollama::{ChatMode, ClientBuilder};
    /// assert_eq!(ClientBuilder::new().mode(ChatMode::Harmony).build().unwrap().config().mode, ChatMode::Harmony);
    /// ```
    pub fn mode(mut self, mode: ChatMode) -> Self {
        self.config.mode = mode;
        self
    }

    /// Channels surfaced to the caller.
    ///
    /// ```
    /// use harmony_ollama::{Channel, Channels, ClientBuilder};
    /// let c = ClientBuilder::new().channels(Channels::NONE.with(Channel::Final)).build().unwrap();
    /// assert!(!c.config().channels.contains(Channel::Analysis));
    /// ```
    pub fn channels(mut self, channels: Channels) -> Self {
        self.config.channels = channels;
        self
    }

    /// Reasoning effort.
    ///
    /// ```
    /// use harmony_ollama::{ClientBuilder, ReasoningEffort};
    /// let c = ClientBuilder::new().reasoning_effort(Some(ReasoningEffort::High)).build().unwrap();
    /// assert_eq!(c.config().reasoning_effort, Some(ReasoningEffort::High));
    /// ```
    pub fn reasoning_effort(mut self, effort: Option<ReasoningEffort>) -> Self {
        self.config.reasoning_effort = effort;
        self
    }

    /// Default options for requests that set none; validated by [`build`](Self::build).
    ///
    /// ```
    /// use harmony_ollama::{ClientBuilder, Options};
    /// assert!(ClientBuilder::new().options(Options::new().num_ctx(200_000)).build().is_err());
    /// ```
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Default `keep_alive`.
    ///
    /// ```
    /// let _ = harmony_ollama::ClientBuilder::new().keep_alive(Some(harmony_ollama::KeepAlive::Forever));
    /// ```
    pub fn keep_alive(mut self, keep_alive: Option<KeepAlive>) -> Self {
        self.keep_alive = keep_alive;
        self
    }

    /// Limit on establishing the TCP connection (`None`: the OS's).
    ///
    /// ```
    /// let _ = harmony_ollama::ClientBuilder::new().connect_timeout(Some(std::time::Duration::from_secs(1)));
    /// ```
    pub fn connect_timeout(mut self, t: Option<Duration>) -> Self {
        self.connect_timeout = t;
        self
    }

    /// Limit on getting the response headers (connection, request, model load).
    ///
    /// ```
    /// let _ = harmony_ollama::ClientBuilder::new().headers_timeout(None);
    /// ```
    pub fn headers_timeout(mut self, t: Option<Duration>) -> Self {
        self.headers_timeout = t;
        self
    }

    /// Limit on the silence between two body chunks.
    ///
    /// ```
    /// let _ = harmony_ollama::ClientBuilder::new().idle_timeout(Some(std::time::Duration::from_secs(30)));
    /// ```
    pub fn idle_timeout(mut self, t: Option<Duration>) -> Self {
        self.idle_timeout = t;
        self
    }

    /// Limit on a whole request, headers and streamed body included.
    ///
    /// ```
    /// let _ = harmony_ollama::ClientBuilder::new().total_timeout(Some(std::time::Duration::from_secs(300)));
    /// ```
    pub fn total_timeout(mut self, t: Option<Duration>) -> Self {
        self.total_timeout = t;
        self
    }

    /// Checks the host and options and builds the client.
    ///
    /// ```
    /// assert!(harmony_ollama::ClientBuilder::new().host("gopher://x").build().is_err());
    /// ```
    pub fn build(self) -> Result<OllamaClient, ConfigError> {
        let mut config = self.config;
        if let Some(host) = &self.host {
            config.host = normalize_host(host)?;
        }
        if config.host.starts_with("https:") && !cfg!(feature = "rustls-tls") {
            return Err(ConfigError::InvalidHost {
                value: config.host,
                reason: "https needs harmony-ollama's `rustls-tls` feature",
            });
        }
        self.options.validate()?;
        let mut http = reqwest::Client::builder();
        if let Some(t) = self.connect_timeout {
            http = http.connect_timeout(t);
        }
        if is_loopback(&config.host) {
            // Like Go's ProxyFromEnvironment (Ollama's own client): never proxy loopback.
            http = http.no_proxy();
        }
        let http = http.build().map_err(|e| ConfigError::Http(e.to_string()))?;
        Ok(OllamaClient {
            http,
            config,
            options: self.options,
            keep_alive: self.keep_alive,
            headers_timeout: self.headers_timeout,
            idle_timeout: self.idle_timeout,
            total_timeout: self.total_timeout,
        })
    }
}

fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.starts_with("127.") || rest.starts_with("localhost:") || rest.starts_with("[::1]")
}

/// An async client for one Ollama server. Cheap to clone (the connection pool is
/// shared).
///
/// ```
/// let client = harmony_ollama::OllamaClient::builder().host("localhost").build().unwrap();
/// assert_eq!(client.host(), "http://localhost:11434");
/// ```
#[derive(Debug, Clone)]
pub struct OllamaClient {
    http: reqwest::Client,
    config: Config,
    options: Options,
    keep_alive: Option<KeepAlive>,
    headers_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    total_timeout: Option<Duration>,
}

impl OllamaClient {
    /// A builder with defaults (not the environment).
    ///
    /// ```
    /// let _ = harmony_ollama::OllamaClient::builder();
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from the process environment.
    ///
    /// ```no_run
    /// let client = harmony_ollama::OllamaClient::from_env()?;
    /// # Ok::<(), harmony_ollama::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        ClientBuilder::from_env()?.build()
    }

    /// The configuration in effect.
    ///
    /// ```
    /// let client = harmony_ollama::OllamaClient::builder().build().unwrap();
    /// assert_eq!(client.config().mode, harmony_ollama::ChatMode::Standard);
    /// ```
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The normalised base URL.
    ///
    /// ```
    /// let client = harmony_ollama::OllamaClient::builder().build().unwrap();
    /// assert_eq!(client.host(), "http://127.0.0.1:11434");
    /// ```
    pub fn host(&self) -> &str {
        &self.config.host
    }

    /// Default options.
    ///
    /// ```
    /// let client = harmony_ollama::OllamaClient::builder().build().unwrap();
    /// assert!(client.options().is_empty());
    /// ```
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// POSTs a raw, streaming `/api/generate` request and returns the stream once
    /// Ollama answered 200. HTTP-level failures (connection refused, 404 model not
    /// found, 500 ...) are returned here; failures mid-body come from the stream.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), harmony_ollama::Error> {
    /// let client = harmony_ollama::OllamaClient::from_env()?;
    /// let stream = client
    ///     .generate_raw(&harmony_ollama::GenerateRequest::new("gpt-oss:20b", "<|start|>assistant"))
    ///     .await?;
    /// # drop(stream); Ok(()) }
    /// ```
    pub async fn generate_raw(&self, req: &GenerateRequest) -> Result<GenerateStream, Error> {
        let options = req.options.as_ref().unwrap_or(&self.options);
        options.validate()?;
        let body = GenerateWire {
            model: &req.model,
            prompt: &req.prompt,
            raw: true,
            stream: true,
            options,
            keep_alive: req.keep_alive.or(self.keep_alive),
        };
        let (body, timeouts) = self.post("/api/generate", &body, &req.model).await?;
        Ok(GenerateStream::new(body, timeouts))
    }

    /// POSTs a streaming `/api/chat` request (with tools, `think` from the request or
    /// the configured reasoning effort).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), harmony_ollama::Error> {
    /// use harmony_ollama::{ChatRequest, ChatRequestMessage};
    /// let client = harmony_ollama::OllamaClient::from_env()?;
    /// let stream = client.chat_stream(&ChatRequest::new("gpt-oss:20b", vec![ChatRequestMessage::user("Hi")])).await?;
    /// # drop(stream); Ok(()) }
    /// ```
    pub async fn chat_stream(&self, req: &ChatRequest) -> Result<ChatStream, Error> {
        let options = req.options.as_ref().unwrap_or(&self.options);
        options.validate()?;
        let body = ChatWire {
            model: &req.model,
            messages: &req.messages,
            tools: &req.tools,
            stream: true,
            think: req
                .think
                .or(self.config.reasoning_effort)
                .map(ReasoningEffort::as_str),
            options,
            keep_alive: req.keep_alive.or(self.keep_alive),
        };
        let (body, timeouts) = self.post("/api/chat", &body, &req.model).await?;
        Ok(ChatStream::new(body, timeouts))
    }

    async fn post(
        &self,
        path: &str,
        body: &impl Serialize,
        model: &str,
    ) -> Result<(BodyStream, BodyTimeouts), Error> {
        let started = tokio::time::Instant::now();
        let url = format!("{}{path}", self.config.host);
        let send = self.http.post(url).json(body).send();
        // The headers wait is bounded by the tighter of the headers and total limits.
        let limit = match (self.headers_timeout, self.total_timeout) {
            (Some(h), Some(t)) if t < h => Some((t, TimeoutPhase::Total)),
            (Some(h), _) => Some((h, TimeoutPhase::Headers)),
            (None, Some(t)) => Some((t, TimeoutPhase::Total)),
            (None, None) => None,
        };
        let result = match limit {
            Some((after, phase)) => {
                tokio::time::timeout(after, send)
                    .await
                    .map_err(|_| Error::Timeout {
                        phase,
                        after,
                        partial: Partial::default(),
                    })?
            }
            None => send.await,
        };
        let response = result.map_err(|source| {
            if source.is_connect() {
                Error::Connect {
                    host: self.config.host.clone(),
                    source,
                }
            } else {
                Error::Http(source)
            }
        })?;
        let status = response.status();
        if !status.is_success() {
            return Err(status_error(status.as_u16(), response, model).await);
        }
        let timeouts = BodyTimeouts {
            idle: self.idle_timeout,
            total: self.total_timeout.map(|t| (started, t)),
        };
        Ok((Box::pin(response.bytes_stream()), timeouts))
    }
}

type BodyStream =
    std::pin::Pin<Box<dyn futures_core::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// Reads (a bounded prefix of) an error body and classifies it.
async fn status_error(status: u16, response: reqwest::Response, model: &str) -> Error {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        let room = MAX_ERROR_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    #[derive(serde::Deserialize)]
    struct OllamaError {
        error: Option<String>,
        // Ollama 0.11.3/0.11.4's misnamed key (ollama/ollama#11781): the JSON error only.
        #[serde(rename = "error parsing tool call")]
        tool_call: Option<String>,
    }
    let message = match serde_json::from_slice::<OllamaError>(&body) {
        Ok(OllamaError {
            tool_call: Some(detail),
            error: None,
        }) => {
            return Error::ToolCallParse {
                raw: String::new(),
                detail,
                status: Some(status),
                partial: Partial::default(),
            }
        }
        Ok(OllamaError {
            error: Some(error), ..
        }) => error,
        _ => String::from_utf8_lossy(&body).trim().to_owned(),
    };
    if let Some((raw, detail)) = parse_tool_call_error(&message) {
        return Error::ToolCallParse {
            raw: raw.to_owned(),
            detail: detail.to_owned(),
            status: Some(status),
            partial: Partial::default(),
        };
    }
    if status == 404 && message.contains("not found") {
        return Error::ModelNotFound {
            model: model.to_owned(),
            message,
        };
    }
    Error::Status { status, message }
}
