//! Layer 3, the client: [`OllamaClient`] and every `impl OllamaClient`. This module
//! sends requests, classifies HTTP-level failures and hands the body to a
//! [`GenerateStream`] or [`ChatStream`]; `mode_stream` feeds those to the sans-IO mode
//! engine (`complete`, `stream`), `tool_loop` runs tools between requests.

use std::time::Duration;

use futures_util::StreamExt;
use harmony_chat::ReasoningEffort;
use serde::Serialize;

mod mode_stream;
mod tool_loop;

pub use mode_stream::ModeStream;
pub use tool_loop::{ToolLoop, ToolLoopOutcome, DEFAULT_MAX_STEPS};

use crate::transport::config::{normalize_host, Channels, ChatMode, Config};
use crate::transport::error::{parse_tool_call_error, ConfigError, Error, Partial, TimeoutPhase};
use crate::transport::options::{KeepAlive, Options};
use crate::transport::request::{
    ollama_format, ChatWire, GenerateRequest, GenerateWire, OllamaChatRequest,
};
use crate::transport::stream::{BodyTimeouts, ChatStream, GenerateStream};

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
    /// Headers sent with every request (a bearer token for a proxy in front of Ollama).
    headers: Vec<(String, String)>,
    /// The caller's own HTTP client, used as it is.
    http: Option<reqwest::Client>,
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
            headers: Vec::new(),
            http: None,
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
    /// use harmony_ollama::testing::{FakeOllama, OllamaNdjson, Reply};
    /// use harmony_ollama::{GenerateRequest, KeepAlive, OllamaClient};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let mut w = OllamaNdjson::new("m");
    /// w.generate_done("stop");
    /// let server = FakeOllama::start([Reply::ndjson(w.finish())]).await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).keep_alive(Some(KeepAlive::Forever)).build().unwrap();
    /// client.generate_raw(&GenerateRequest::new("m", "hi")).await.unwrap();
    /// assert!(server.received()[0].body.contains(r#""keep_alive":-1"#));
    /// # });
    /// ```
    pub fn keep_alive(mut self, keep_alive: Option<KeepAlive>) -> Self {
        self.keep_alive = keep_alive;
        self
    }

    /// Limit on establishing the TCP connection (`None`: the OS's).
    ///
    /// ```
    /// use std::time::Duration;
    /// let client = harmony_ollama::ClientBuilder::new()
    ///     .host("http://127.0.0.1:9")
    ///     .connect_timeout(Some(Duration::from_secs(1)))
    ///     .build()
    ///     .unwrap();
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// // Nothing listens on the discard port: refused at once, well within the limit.
    /// let err = client.version().await.unwrap_err();
    /// assert!(err.is_retryable(), "{err:?}");
    /// # });
    /// ```
    pub fn connect_timeout(mut self, t: Option<Duration>) -> Self {
        self.connect_timeout = t;
        self
    }

    /// Limit on getting the response headers (connection, request, model load).
    ///
    /// ```
    /// use std::time::Duration;
    /// use harmony_ollama::testing::{FakeOllama, Reply};
    /// use harmony_ollama::{Error, GenerateRequest, OllamaClient, TimeoutPhase};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = FakeOllama::start([Reply::silent()]).await.unwrap();
    /// let client = OllamaClient::builder()
    ///     .host(server.url())
    ///     .headers_timeout(Some(Duration::from_millis(100)))
    ///     .build()
    ///     .unwrap();
    /// let err = client.generate_raw(&GenerateRequest::new("m", "hi")).await.unwrap_err();
    /// assert!(matches!(err, Error::Timeout { phase: TimeoutPhase::Headers, .. }), "{err:?}");
    /// # });
    /// ```
    pub fn headers_timeout(mut self, t: Option<Duration>) -> Self {
        self.headers_timeout = t;
        self
    }

    /// Limit on the silence between two body chunks.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures_util::StreamExt;
    /// use harmony_ollama::testing::{FakeOllama, OllamaNdjson, Reply};
    /// use harmony_ollama::{Error, GenerateRequest, OllamaClient, TimeoutPhase};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let mut w = OllamaNdjson::new("m");
    /// w.response("<|channel|>final<|message|>Hi");
    /// let line = w.finish();
    /// // One line, then silence with the connection open.
    /// let server = FakeOllama::start([Reply::ndjson(line.clone()).stall_after(line.len())]).await.unwrap();
    /// let client = OllamaClient::builder()
    ///     .host(server.url())
    ///     .idle_timeout(Some(Duration::from_millis(100)))
    ///     .build()
    ///     .unwrap();
    /// let mut stream = client.generate_raw(&GenerateRequest::new("m", "hi")).await.unwrap();
    /// let mut last = None;
    /// while let Some(event) = stream.next().await {
    ///     last = Some(event);
    /// }
    /// let err = last.unwrap().unwrap_err();
    /// assert!(matches!(err, Error::Timeout { phase: TimeoutPhase::Idle, .. }), "{err:?}");
    /// assert_eq!(err.partial().unwrap().content, "<|channel|>final<|message|>Hi");
    /// # });
    /// ```
    pub fn idle_timeout(mut self, t: Option<Duration>) -> Self {
        self.idle_timeout = t;
        self
    }

    /// Limit on a whole request, headers and streamed body included.
    ///
    /// ```
    /// use std::time::Duration;
    /// use harmony_ollama::testing::{FakeOllama, Reply};
    /// use harmony_ollama::{Error, OllamaClient, TimeoutPhase};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = FakeOllama::start([Reply::silent()]).await.unwrap();
    /// let client = OllamaClient::builder()
    ///     .host(server.url())
    ///     .total_timeout(Some(Duration::from_millis(100)))
    ///     .build()
    ///     .unwrap();
    /// let err = client.version().await.unwrap_err();
    /// assert!(matches!(err, Error::Timeout { phase: TimeoutPhase::Total, .. }), "{err:?}");
    /// # });
    /// ```
    pub fn total_timeout(mut self, t: Option<Duration>) -> Self {
        self.total_timeout = t;
        self
    }

    /// A header sent with every request, e.g. the bearer token of a proxy in front of a
    /// remote Ollama. Checked by [`build`](Self::build): a name that is not an HTTP token
    /// or a value with control characters is a [`ConfigError::InvalidValue`].
    ///
    /// ```
    /// use harmony_ollama::ClientBuilder;
    /// assert!(ClientBuilder::new().header("Authorization", "Bearer s3cret").build().is_ok());
    /// assert!(ClientBuilder::new().header("bad name", "x").build().is_err());
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sends every request through `client` (its proxy, TLS roots, default headers and
    /// connection pool) instead of one this builder makes. This is how to trust extra root
    /// certificates or the platform's roots for an `https` Ollama: build the
    /// `reqwest::Client` with `add_root_certificate` or a TLS feature of your own. The client is used as it is:
    /// [`connect_timeout`](Self::connect_timeout) is then the client's own, and
    /// [`header`](Self::header) cannot be combined with it (set default headers on the
    /// client); the other timeouts still apply.
    ///
    /// ```
    /// use harmony_ollama::ClientBuilder;
    /// let http = reqwest::Client::new();
    /// assert!(ClientBuilder::new().http_client(http.clone()).build().is_ok());
    /// assert!(ClientBuilder::new().http_client(http).header("x-a", "b").build().is_err());
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
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
        let http = match self.http {
            Some(_) if !self.headers.is_empty() => {
                return Err(ConfigError::InvalidValue {
                    what: "client setting",
                    value: "header() with http_client()".into(),
                    allowed: "headers set on the given reqwest::Client itself",
                })
            }
            Some(client) => client,
            None => {
                let mut http =
                    reqwest::Client::builder().default_headers(header_map(&self.headers)?);
                if let Some(t) = self.connect_timeout {
                    http = http.connect_timeout(t);
                }
                if is_loopback(&config.host) {
                    // Like Go's ProxyFromEnvironment (Ollama's own client): never proxy
                    // loopback.
                    http = http.no_proxy();
                }
                http.build().map_err(|e| ConfigError::Http(e.to_string()))?
            }
        };
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

/// The builder's headers, checked.
fn header_map(headers: &[(String, String)]) -> Result<reqwest::header::HeaderMap, ConfigError> {
    use reqwest::header::{HeaderName, HeaderValue};
    let mut map = reqwest::header::HeaderMap::new();
    for (name, value) in headers {
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| ConfigError::InvalidValue {
                what: "HTTP header name",
                value: name.clone(),
                allowed: "an HTTP token (letters, digits and !#$%&'*+-.^_`|~)",
            })?;
        let value = HeaderValue::from_str(value).map_err(|_| ConfigError::InvalidValue {
            what: "HTTP header value",
            value: value.clone(),
            allowed: "visible ASCII and spaces, no control characters",
        })?;
        map.append(name, value);
    }
    Ok(map)
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
    /// let client = harmony_ollama::OllamaClient::builder().host("gpu-box:11434").build().unwrap();
    /// assert_eq!(client.host(), "http://gpu-box:11434");
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
    /// use harmony_ollama::{OllamaChatRequest, ChatRequestMessage};
    /// let client = harmony_ollama::OllamaClient::from_env()?;
    /// let stream = client.chat_stream(&OllamaChatRequest::new("gpt-oss:20b", vec![ChatRequestMessage::user("Hi")])).await?;
    /// # drop(stream); Ok(()) }
    /// ```
    pub async fn chat_stream(&self, req: &OllamaChatRequest) -> Result<ChatStream, Error> {
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
            format: req.format.as_ref().and_then(ollama_format),
            options,
            keep_alive: req.keep_alive.or(self.keep_alive),
        };
        let (body, timeouts) = self.post("/api/chat", &body, &req.model).await?;
        Ok(ChatStream::new(body, timeouts))
    }

    /// Ollama's version (`GET /api/version`). A non-streaming call: bounded by the
    /// total timeout, or by [`DEFAULT_CALL_TIMEOUT`] when none is set.
    ///
    /// ```
    /// use harmony_ollama::testing::FakeOllama;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = FakeOllama::builder().version("0.12.3").start().await.unwrap();
    /// let client = harmony_ollama::OllamaClient::builder().host(server.url()).build().unwrap();
    /// assert_eq!(client.version().await.unwrap(), "0.12.3");
    /// # });
    /// ```
    pub async fn version(&self) -> Result<String, Error> {
        let v = self
            .call(self.http.get(self.url("/api/version")), "")
            .await?;
        Ok(v.get("version")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned())
    }

    /// A model's context window as Ollama reports it (`POST /api/show`,
    /// `model_info["<architecture>.context_length"]`); `None` when it reports none.
    /// Bounded like [`version`](Self::version).
    ///
    /// ```
    /// use harmony_ollama::testing::FakeOllama;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = FakeOllama::builder().context_length(32_768).start().await.unwrap();
    /// let client = harmony_ollama::OllamaClient::builder().host(server.url()).build().unwrap();
    /// assert_eq!(client.context_length("gpt-oss:20b").await.unwrap(), Some(32_768));
    /// assert!(client.context_length("llama9").await.is_err());
    /// # });
    /// ```
    pub async fn context_length(&self, model: &str) -> Result<Option<u64>, Error> {
        let body = serde_json::json!({ "model": model });
        let v = self
            .call(self.http.post(self.url("/api/show")).json(&body), model)
            .await?;
        let info = v.get("model_info").and_then(serde_json::Value::as_object);
        let arch = info
            .and_then(|i| i.get("general.architecture"))
            .and_then(serde_json::Value::as_str);
        let key = arch.map(|a| format!("{a}.context_length"));
        Ok(info.and_then(|i| {
            key.as_deref()
                .and_then(|k| i.get(k))
                // Without an architecture, any `*.context_length` key.
                .or_else(|| {
                    i.iter()
                        .find(|(k, _)| k.ends_with(".context_length"))
                        .map(|(_, v)| v)
                })
                .and_then(serde_json::Value::as_u64)
        }))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.host)
    }

    /// A non-streaming JSON call, all of it (headers and body) under one deadline.
    async fn call(
        &self,
        request: reqwest::RequestBuilder,
        model: &str,
    ) -> Result<serde_json::Value, Error> {
        let after = self.total_timeout.unwrap_or(DEFAULT_CALL_TIMEOUT);
        let deadline = tokio::time::Instant::now() + after;
        let timeout = || Error::Timeout {
            phase: TimeoutPhase::Total,
            after,
            partial: Partial::default(),
        };
        let response = tokio::time::timeout_at(deadline, request.send())
            .await
            .map_err(|_| timeout())?
            .map_err(|source| self.send_error(source))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let retry_after = retry_after(&response);
        let url = response.url().to_string();
        let limits = BodyLimits {
            idle: self.idle_timeout,
            deadline: (deadline, after, TimeoutPhase::Total),
        };
        let body = read_bounded(response, limits).await?;
        if !(200..300).contains(&status) || is_html(&content_type) {
            return Err(status_error(ErrorReply {
                status,
                content_type: &content_type,
                url: &url,
                retry_after,
                body: &body,
                model,
            }));
        }
        serde_json::from_slice(&body).map_err(|e| Error::Status {
            status,
            message: format!(
                "not Ollama's JSON ({e}): {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ),
        })
    }

    fn send_error(&self, source: reqwest::Error) -> Error {
        if source.is_connect() {
            Error::Connect {
                host: self.config.host.clone(),
                source,
            }
        } else {
            Error::Http(source)
        }
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
        let response = result.map_err(|source| self.send_error(source))?;
        let status = response.status();
        // Everything read from here on is bounded: the error body (a 500 that never
        // finishes) by the idle limit between chunks and by the total limit, or by
        // ERROR_BODY_TIMEOUT when no total limit is set.
        let body_limits = BodyLimits {
            idle: self.idle_timeout,
            deadline: self
                .total_timeout
                .map(|t| (started + t, t, TimeoutPhase::Total))
                .unwrap_or_else(|| {
                    (
                        tokio::time::Instant::now() + ERROR_BODY_TIMEOUT,
                        ERROR_BODY_TIMEOUT,
                        TimeoutPhase::Total,
                    )
                }),
        };
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if !status.is_success() {
            let retry_after = retry_after(&response);
            let url = response.url().to_string();
            let body = read_bounded(response, body_limits).await?;
            return Err(status_error(ErrorReply {
                status: status.as_u16(),
                content_type: &content_type,
                url: &url,
                retry_after,
                body: &body,
                model,
            }));
        }
        if is_html(&content_type) {
            // A captive portal or a proxy page that answered 200: say so instead of
            // failing to decode its first line as JSON.
            let url = response.url().to_string();
            let body = read_bounded(response, body_limits).await?;
            return Err(Error::NotOllama {
                url,
                status: status.as_u16(),
                content_type,
                title: html_title(&body),
            });
        }
        let timeouts = BodyTimeouts {
            idle: self.idle_timeout,
            total: self.total_timeout.map(|t| (started, t)),
        };
        Ok((Box::pin(response.bytes_stream()), timeouts))
    }
}

/// How long reading a whole error body may take when no total timeout is set: error
/// bodies are a few hundred bytes, sent at once.
const ERROR_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The bound on a whole non-streaming call ([`OllamaClient::version`],
/// [`OllamaClient::context_length`]) when the client has no total timeout.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// `Retry-After` in seconds (the HTTP-date form is not used by Ollama or common
/// proxies in front of it, and is ignored).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// Limits on reading a non-streamed body.
#[derive(Clone, Copy)]
struct BodyLimits {
    idle: Option<Duration>,
    deadline: (tokio::time::Instant, Duration, TimeoutPhase),
}

/// Reads at most [`MAX_ERROR_BODY`] bytes of a body under `limits`. A body that fails
/// mid-way keeps what arrived (an error body cut short still says something).
async fn read_bounded(response: reqwest::Response, limits: BodyLimits) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    let (deadline, total, phase) = limits.deadline;
    loop {
        let next = tokio::time::timeout_at(deadline, async {
            match limits.idle {
                Some(idle) => tokio::time::timeout(idle, stream.next())
                    .await
                    .map_err(|_| (TimeoutPhase::Idle, idle)),
                None => Ok(stream.next().await),
            }
        });
        let chunk = match next.await {
            Err(_) => Err((phase, total)),
            Ok(r) => r,
        };
        match chunk {
            Err((phase, after)) => {
                return Err(Error::Timeout {
                    phase,
                    after,
                    partial: Partial::default(),
                })
            }
            Ok(Some(Ok(chunk))) => {
                let room = MAX_ERROR_BODY - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() >= MAX_ERROR_BODY {
                    break;
                }
            }
            Ok(Some(Err(_)) | None) => break,
        }
    }
    Ok(body)
}

fn is_html(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("text/html")
        || essence.eq_ignore_ascii_case("application/xhtml+xml")
}

/// The text of an HTML page's `<title>`, trimmed and bounded, if it has one.
fn html_title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let title: String = text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let title: String = title.chars().take(200).collect();
    (!title.is_empty()).then_some(title)
}

/// What an HTTP error reply consists of.
struct ErrorReply<'a> {
    status: u16,
    content_type: &'a str,
    url: &'a str,
    retry_after: Option<Duration>,
    body: &'a [u8],
    model: &'a str,
}

type BodyStream =
    std::pin::Pin<Box<dyn futures_core::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// Classifies an HTTP error reply (its body already read, bounded).
fn status_error(reply: ErrorReply<'_>) -> Error {
    let ErrorReply {
        status,
        content_type,
        url,
        retry_after,
        body,
        model,
    } = reply;
    let looks_html = is_html(content_type) || body.trim_ascii_start().starts_with(b"<");
    if looks_html {
        return Error::NotOllama {
            url: url.to_owned(),
            status,
            content_type: content_type.to_owned(),
            title: html_title(body),
        };
    }
    #[derive(serde::Deserialize)]
    struct OllamaError {
        error: Option<String>,
        // Ollama 0.11.3/0.11.4's misnamed key (ollama/ollama#11781): the JSON error only.
        #[serde(rename = "error parsing tool call")]
        tool_call: Option<String>,
        // Ollama's 401 for its cloud models says where to sign in.
        signin_url: Option<String>,
    }
    let (message, signin_url) = match serde_json::from_slice::<OllamaError>(body) {
        Ok(OllamaError {
            tool_call: Some(detail),
            error: None,
            ..
        }) => {
            return Error::ToolCallParse {
                raw: String::new(),
                detail,
                status: Some(status),
                partial: Partial::default(),
            }
        }
        Ok(OllamaError {
            error: Some(error),
            signin_url,
            ..
        }) => (error, signin_url),
        _ => (String::from_utf8_lossy(body).trim().to_owned(), None),
    };
    if let Some((raw, detail)) = parse_tool_call_error(&message) {
        return Error::ToolCallParse {
            raw: raw.to_owned(),
            detail: detail.to_owned(),
            status: Some(status),
            partial: Partial::default(),
        };
    }
    match status {
        // Both of Ollama's wordings: `model 'x' not found` (handlers) and `model "x"
        // not found, try pulling it first` (scheduler).
        404 if message.contains("not found") => Error::ModelNotFound {
            model: model.to_owned(),
            message,
        },
        401 | 403 => Error::Unauthorized {
            status,
            message,
            signin_url,
        },
        499 => Error::Canceled { message },
        503 => Error::Busy {
            message,
            retry_after,
        },
        _ => Error::Status { status, message },
    }
}
