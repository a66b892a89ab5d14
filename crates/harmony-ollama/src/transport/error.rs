//! Error types: [`DecodeError`] (sans-IO decoder), [`ConfigError`] (environment and
//! builder), [`Error`] (the client). Client errors that happen after text started
//! arriving carry that text in a [`Partial`], so nothing already received is lost.

use std::time::Duration;

/// The NDJSON decoder could not produce a line.
///
/// ```
/// use harmony_ollama::{DecodeError, NdjsonDecoder};
///
/// let mut decoder = NdjsonDecoder::new();
/// let mut lines = decoder.feed(b"{\"done\":tru}\n");
/// let err = lines.next_generate().unwrap().unwrap_err();
/// assert!(matches!(err, DecodeError::Json { line: 1, .. }));
/// assert!(err.to_string().starts_with("NDJSON line 1, column"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A line exceeded the decoder's bound; its bytes were skipped.
    #[error("NDJSON line {line} is longer than the {limit}-byte limit")]
    LineTooLong {
        /// 1-based line number.
        line: u64,
        /// The bound, in bytes.
        limit: usize,
    },
    /// A `\uD800`–`\uDFFF` escape without its other half: not text in any
    /// encoding (Go's encoder never writes one; a broken proxy or a hand-made line
    /// can). serde_json calls this `unexpected end of hex escape`; this says what it is.
    #[error("NDJSON line {line}, column {column}: lone surrogate `\\u{escape}` in a string (a \\u escape of half a UTF-16 pair)")]
    LoneSurrogate {
        /// 1-based line number.
        line: u64,
        /// 1-based byte column of the escape's backslash.
        column: usize,
        /// The four hex digits, as written.
        escape: String,
        /// serde_json's own error, with its column.
        #[source]
        source: serde_json::Error,
    },
    /// A line was not the JSON object expected.
    #[error("NDJSON line {line}, column {column}: {source}")]
    Json {
        /// 1-based line number.
        line: u64,
        /// 1-based byte column within the line.
        column: usize,
        /// serde_json's description.
        #[source]
        source: serde_json::Error,
    },
}

/// Invalid configuration: an environment variable, a host, or an option.
///
/// ```
/// use harmony_ollama::{Config, ConfigError};
///
/// let err = Config::from_lookup(|k| (k == "HARMONY_REASONING_EFFORT").then(|| "max".into())).unwrap_err();
/// assert!(matches!(err, ConfigError::InvalidEnv { var: "HARMONY_REASONING_EFFORT", .. }));
/// assert_eq!(err.to_string(), r#"HARMONY_REASONING_EFFORT="max" is not valid; allowed: low, medium, high"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An environment variable held a value outside its allowed set.
    #[error("{var}={value:?} is not valid; allowed: {allowed}")]
    InvalidEnv {
        /// The variable.
        var: &'static str,
        /// What it held.
        value: String,
        /// The values it accepts.
        allowed: &'static str,
    },
    /// A value (from the builder or parsed from text) outside its allowed set.
    #[error("{value:?} is not a valid {what}; allowed: {allowed}")]
    InvalidValue {
        /// What was being parsed.
        what: &'static str,
        /// The input.
        value: String,
        /// The values accepted.
        allowed: &'static str,
    },
    /// `OLLAMA_HOST` or the builder's host could not be used.
    #[error("invalid Ollama host {value:?}: {reason}")]
    InvalidHost {
        /// The host as given.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A model option outside Ollama's accepted range.
    #[error("invalid option {name}: {reason}")]
    InvalidOption {
        /// The option's JSON name.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("building the HTTP client: {0}")]
    Http(String),
}

/// Text received before a stream failed.
///
/// For `/api/chat`, `content` and `thinking` are the concatenated `message.content` and
/// `message.thinking`. For `/api/generate` ([`GenerateStream`](crate::GenerateStream)),
/// `content` is the concatenated `response` fragments, raw harmony text in raw mode;
/// harmony mode over Ollama ([`OllamaClient::stream`](crate::OllamaClient::stream),
/// `complete`, the tool loop) parses that text, so
/// `content` is the answer so far and `thinking` the reasoning, never markup (the text
/// as streamed, markers included, stays readable as
/// [`ModeStream::raw_text`](crate::ModeStream::raw_text)).
///
/// ```
/// let partial = harmony_ollama::Partial::default();
/// assert!(partial.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Partial {
    /// Response or content text received.
    pub content: String,
    /// Thinking text received.
    pub thinking: String,
    /// NDJSON lines received.
    pub lines: u64,
}

impl Partial {
    /// Whether no text was received.
    ///
    /// ```
    /// assert!(harmony_ollama::Partial::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.content.is_empty() && self.thinking.is_empty()
    }
}

/// Where a [`Error::Timeout`] happened.
///
/// ```
/// assert_eq!(harmony_ollama::TimeoutPhase::Idle.to_string(), "waiting for the next chunk");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Connecting or waiting for the response headers.
    Headers,
    /// Waiting for the next body chunk.
    Idle,
    /// The whole request exceeded its deadline.
    Total,
}

impl std::fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimeoutPhase::Headers => "waiting for the response headers",
            TimeoutPhase::Idle => "waiting for the next chunk",
            TimeoutPhase::Total => "for the whole request",
        })
    }
}

/// A client error.
///
/// ```
/// use harmony_ollama::{Error, Partial};
///
/// let err = Error::Incomplete { partial: Partial::default() };
/// assert!(err.partial().is_some());
/// assert_eq!(err.to_string(), "the stream ended before Ollama sent its `done` line");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Invalid configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Nothing listens at the host (or it could not be reached). The message carries
    /// the whole cause chain (`tcp connect error: Connection refused`), not only
    /// reqwest's outer `error sending request`.
    #[error("could not connect to Ollama at {host}: {}", Chain(.source))]
    Connect {
        /// The base URL used.
        host: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// Ollama does not have the model (HTTP 404, either of its wordings: `model 'x'
    /// not found` from the handlers, `model "x" not found, try pulling it first` from
    /// the scheduler). The message says it once; Ollama's own text is kept in
    /// `message`.
    #[error("model {model:?} not found on Ollama (pull it with `ollama pull {model}`)")]
    ModelNotFound {
        /// The requested model.
        model: String,
        /// Ollama's error text.
        message: String,
    },
    /// Ollama (or a proxy in front of it) refused the request: HTTP 401 (Ollama's
    /// `unauthorized`, with a `signin_url` for its cloud models) or 403.
    #[error("{}", auth_message(*.status, .message, .signin_url.as_deref()))]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// The `error` text (or the body).
        message: String,
        /// Where to sign in, when Ollama sent one.
        signin_url: Option<String>,
    },
    /// HTTP 499 `request canceled`: Ollama saw the request's context end (a proxy or
    /// load balancer gave up on it) before a model was scheduled.
    #[error("{}", once("Ollama canceled the request (HTTP 499)", "request canceled", .message))]
    Canceled {
        /// Ollama's error text.
        message: String,
    },
    /// HTTP 503: Ollama's queue is full (`server busy, please try again.  maximum
    /// pending requests exceeded`, see `OLLAMA_MAX_QUEUE`) or the service is otherwise
    /// unavailable. Worth retrying, after `retry_after` when the server sent one.
    #[error("{}", busy_message(.message, *.retry_after))]
    Busy {
        /// Ollama's error text (or the body).
        message: String,
        /// The `Retry-After` header, when sent as seconds.
        retry_after: Option<Duration>,
    },
    /// The peer answered with an HTML page instead of Ollama's JSON: a proxy's error
    /// page (a 502 from nginx), a captive portal, a login page, or another web server
    /// on Ollama's port. Tells where it came from.
    #[error("{}", html_message(.url, *.status, .title.as_deref()))]
    NotOllama {
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The `Content-Type` received.
        content_type: String,
        /// The page's `<title>`, when it has one.
        title: Option<String>,
    },
    /// Ollama answered with an HTTP error status before streaming.
    #[error("Ollama returned HTTP {status}: {message}")]
    Status {
        /// HTTP status code.
        status: u16,
        /// Ollama's `error` text (or the body, when it was not Ollama's JSON).
        message: String,
    },
    /// Ollama's own tool-call parser rejected the model's output
    /// (`error parsing tool call: raw='...', err=...`), as an HTTP error or a
    /// mid-stream line. `raw` is the model's text, for salvaging: the tool-call
    /// message's content (the arguments), without the tool's name. It is empty when
    /// Ollama did not send it (0.11.3/0.11.4 put the JSON error alone under the key
    /// `"error parsing tool call"`, ollama/ollama#11781).
    ///
    /// The chat modes ([`OllamaClient::complete_with_mode`](crate::OllamaClient::complete_with_mode),
    /// [`stream_with_mode`](crate::OllamaClient::stream_with_mode)) salvage it into a
    /// tool call instead of returning it; only the raw streams return it.
    #[error("Ollama could not parse a tool call ({detail}); raw arguments kept")]
    ToolCallParse {
        /// The model's tool-call text that Ollama failed to parse.
        raw: String,
        /// Ollama's JSON error.
        detail: String,
        /// The HTTP status when it came as an HTTP error; `None` for a stream line.
        status: Option<u16>,
        /// Text received before it.
        partial: Partial,
    },
    /// A `{"error": "..."}` line mid-stream (HTTP status was already 200).
    #[error("Ollama reported an error mid-stream: {message}")]
    Stream {
        /// Ollama's error text.
        message: String,
        /// Text received before it.
        partial: Partial,
    },
    /// The body ended cleanly but without a `done: true` line.
    #[error("the stream ended before Ollama sent its `done` line")]
    Incomplete {
        /// Text received.
        partial: Partial,
    },
    /// The connection failed mid-stream (reset, dropped, truncated chunk). The message
    /// carries the cause chain (`connection reset by peer`, `end of file before message
    /// length reached`), not only reqwest's `error decoding response body`.
    #[error("the connection to Ollama failed mid-stream: {}", Chain(.source))]
    Disconnected {
        /// The transport error.
        #[source]
        source: reqwest::Error,
        /// Text received before it.
        partial: Partial,
    },
    /// A configured timeout expired.
    #[error("timed out after {after:?} {phase}")]
    Timeout {
        /// Which timeout.
        phase: TimeoutPhase,
        /// Its length.
        after: Duration,
        /// Text received before it.
        partial: Partial,
    },
    /// A stream line could not be decoded.
    #[error("undecodable response from Ollama: {source}")]
    Decode {
        /// What was wrong.
        #[source]
        source: DecodeError,
        /// Text received before it.
        partial: Partial,
    },
    /// Any other HTTP-level failure (request could not be sent, bad headers).
    #[error("HTTP request to Ollama failed: {}", Chain(.0))]
    Http(#[source] reqwest::Error),
}

/// Renders a source chain on one line, `outer: inner: innermost`, skipping a cause
/// whose text its parent already ends with (hyper and reqwest often repeat it).
struct Chain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut last = self.0.to_string();
        f.write_str(&last)?;
        let mut next = self.0.source();
        // Bounded: a cyclic chain (not possible with std's types, but cheap to guard).
        for _ in 0..16 {
            let Some(cause) = next else { break };
            let text = cause.to_string();
            if !last.ends_with(&text) {
                write!(f, ": {text}")?;
            }
            last = text;
            next = cause.source();
        }
        Ok(())
    }
}

/// `what`, then `: message` unless the message only restates `canonical`.
fn once(what: &str, canonical: &str, message: &str) -> String {
    let m = message.trim();
    if m.is_empty() || m.eq_ignore_ascii_case(canonical) {
        what.to_owned()
    } else {
        format!("{what}: {m}")
    }
}

fn auth_message(status: u16, message: &str, signin_url: Option<&str>) -> String {
    let what = if status == 403 {
        "Ollama refused access (HTTP 403 Forbidden)".to_owned()
    } else {
        format!("Ollama requires authorization (HTTP {status} Unauthorized)")
    };
    let canonical = if status == 403 {
        "forbidden"
    } else {
        "unauthorized"
    };
    let mut out = once(&what, canonical, message);
    if let Some(url) = signin_url {
        out.push_str("; sign in at ");
        out.push_str(url);
    }
    out
}

fn busy_message(message: &str, retry_after: Option<Duration>) -> String {
    let m = message.trim();
    let mut out = if m.starts_with("server busy") {
        // Ollama's text, once, without its "please try again" (the hint follows).
        let detail = m
            .split_once("maximum pending requests exceeded")
            .map_or("", |_| ": maximum pending requests exceeded");
        format!("Ollama is busy (HTTP 503){detail}")
    } else {
        once(
            "Ollama is unavailable (HTTP 503)",
            "service unavailable",
            message,
        )
    };
    match retry_after {
        Some(d) => out.push_str(&format!("; retry after {} s", d.as_secs().max(1))),
        None => out.push_str("; retry later"),
    }
    out
}

fn html_message(url: &str, status: u16, title: Option<&str>) -> String {
    let mut out = format!("{url} answered HTTP {status} with an HTML page, not Ollama's JSON");
    if let Some(title) = title {
        out.push_str(&format!(" (page title {title:?})"));
    }
    out.push_str(": a proxy, captive portal or other web server is in the way");
    out
}

/// The [`Partial`] of the errors that can happen mid-stream, borrowed as the error is
/// (shared or mutable): one list of those variants for [`Error::partial`] and
/// [`Error::partial_mut`].
macro_rules! partial_of {
    ($error:expr) => {
        match $error {
            Error::ToolCallParse { partial, .. }
            | Error::Stream { partial, .. }
            | Error::Incomplete { partial }
            | Error::Disconnected { partial, .. }
            | Error::Timeout { partial, .. }
            | Error::Decode { partial, .. } => Some(partial),
            _ => None,
        }
    };
}

impl Error {
    /// How long the server asked to wait before retrying, for [`Error::Busy`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let err = harmony_ollama::Error::Busy { message: "server busy".into(), retry_after: Some(Duration::from_secs(2)) };
    /// assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
    /// assert!(err.is_retryable());
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Busy { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether sending the same request again later may succeed: a busy server, a
    /// canceled request, a connection that could not be made or failed before any text.
    ///
    /// ```
    /// let err = harmony_ollama::Error::ModelNotFound { model: "x".into(), message: String::new() };
    /// assert!(!err.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Busy { .. } | Error::Canceled { .. } | Error::Connect { .. } => true,
            Error::NotOllama { status, .. } => matches!(status, 502..=504),
            Error::Disconnected { partial, .. } => partial.is_empty(),
            _ => false,
        }
    }

    /// Text received before the error, for the errors that can happen mid-stream.
    ///
    /// ```
    /// use harmony_ollama::Error;
    ///
    /// let err = Error::Status { status: 500, message: "boom".into() };
    /// assert!(err.partial().is_none());
    /// ```
    pub fn partial(&self) -> Option<&Partial> {
        partial_of!(self)
    }

    /// [`partial`](Self::partial), mutable.
    ///
    /// ```
    /// use harmony_ollama::{Error, Partial};
    ///
    /// let mut err = Error::Incomplete { partial: Partial::default() };
    /// err.partial_mut().unwrap().content.push_str("Hi");
    /// assert_eq!(err.partial().unwrap().content, "Hi");
    /// ```
    pub fn partial_mut(&mut self) -> Option<&mut Partial> {
        partial_of!(self)
    }
}

/// Splits Ollama's `error parsing tool call: raw='<raw>', err=<detail>` message.
///
/// The raw text may itself contain `', err=`, so the last occurrence is the separator
/// (Ollama's Go `%w` error text never contains a quote followed by `, err=`).
///
/// ```
/// let (raw, detail) = harmony_ollama::parse_tool_call_error(
///     "error parsing tool call: raw='{\"a\":1]}', err=invalid character ']' after object key:value pair",
/// ).unwrap();
/// assert_eq!(raw, "{\"a\":1]}");
/// assert_eq!(detail, "invalid character ']' after object key:value pair");
/// assert!(harmony_ollama::parse_tool_call_error("model not found").is_none());
/// ```
pub fn parse_tool_call_error(message: &str) -> Option<(&str, &str)> {
    const PREFIX: &str = "error parsing tool call: raw='";
    const SEP: &str = "', err=";
    let start = message.find(PREFIX)? + PREFIX.len();
    let body = &message[start..];
    match body.rfind(SEP) {
        Some(i) => Some((&body[..i], &body[i + SEP.len()..])),
        // Truncated message: keep everything after the prefix, minus a closing quote.
        None => Some((body.strip_suffix('\'').unwrap_or(body), "")),
    }
}
