//! A fake Ollama on loopback: real HTTP/1.1 over a real socket, scripted replies and
//! a scripted model.
//!
//! Hand-written on a plain `TcpListener` rather than a web framework, because the
//! faults under test live below a framework's API: bodies cut mid-chunk, connections
//! reset or dropped without a terminating chunk, writes split at arbitrary bytes,
//! error bodies that stall, idle keep-alive connections closed by the server, and
//! noticing that the client hung up.
//!
//! Two ways to start one:
//! - [`FakeOllama::start`]: one scripted [`Reply`] per connection, in order, each with
//!   `Connection: close`; then it stops accepting.
//! - [`FakeOllama::builder`]: keep-alive connections (any number of requests each);
//!   scripted replies answer requests in order, and once they are used up the built-in
//!   simulator answers like Ollama would: from the request (unknown model, empty
//!   prompt, raw mode with a system prompt) and with the scripted model ([`Agent`]) on
//!   `/api/generate`, `/api/chat` and OpenAI's `/v1/completions`, plus `/api/tags`,
//!   `/api/show`, `/api/version` and `/api/ps`.
//!
//! Status lines and bodies are those of Ollama's server (`server/routes.go`): 404
//! `model 'x' not found` from the handlers and `model "x" not found, try pulling it
//! first` from the scheduler, 499 `request canceled`, 503 `server busy, please try
//! again.  maximum pending requests exceeded`, 401 `unauthorized` with a `signin_url`,
//! 400 `raw mode does not support template, system, or context`, and the `load` /
//! `unload` answers to an empty prompt.
//!
//! Bounded by construction: it listens on 127.0.0.1 only, on an ephemeral port; it
//! reads at most 64 KiB of request head and 16 MiB of body; and it shuts down by
//! itself after [`FakeOllama::LIFETIME`] (or the builder's lifetime) or when dropped.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::agent::Agent;
use super::convert::chat_ndjson_from_generate;
use super::escape::write_go_json_string;
use super::ndjson_writer::{write_go_value, OllamaNdjson};

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Ollama's 503 text when its queue is full (`ErrMaxQueue`, two spaces included).
pub const SERVER_BUSY: &str = "server busy, please try again.  maximum pending requests exceeded";

/// The page nginx sends when Ollama behind it is down.
const NGINX_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n";

/// How a streamed body is cut into socket writes.
///
/// ```
/// use harmony_ollama::testing::{Chunking, Reply};
/// let reply = Reply::ndjson("{}\n").chunking(Chunking::Every(3));
/// assert_eq!(reply.body(), b"{}\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunking {
    /// One write per NDJSON line, as Ollama flushes them.
    Lines,
    /// Writes of this many bytes (splits lines, escapes and UTF-8 characters).
    Every(usize),
    /// Writes cut at these byte offsets.
    At(Vec<usize>),
}

/// How a reply's connection is broken, if it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Break {
    /// Close after this many body bytes, without the terminating chunk (a FIN).
    Cut(usize),
    /// Reset (RST) after this many body bytes.
    Reset(usize),
    /// Stop writing after this many body bytes and hold the connection.
    Stall(usize),
}

/// One scripted answer (to one request).
///
/// ```
/// use harmony_ollama::testing::{Chunking, Reply};
/// use std::time::Duration;
///
/// let reply = Reply::ndjson("{\"done\":true}\n").chunking(Chunking::Every(2)).delay(Duration::from_millis(1));
/// let not_found = Reply::model_not_found("gpt-oss:20b");
/// assert_eq!((reply.status(), not_found.status()), (200, 404));
/// ```
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    content_type: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    chunked: bool,
    chunking: Chunking,
    delay: Duration,
    brk: Option<Break>,
    close: bool,
}

impl Reply {
    fn new(status: u16, content_type: &str, body: Vec<u8>, chunked: bool) -> Reply {
        Reply {
            status,
            content_type: content_type.to_owned(),
            headers: Vec::new(),
            body,
            chunked,
            chunking: if chunked {
                Chunking::Lines
            } else {
                Chunking::Every(usize::MAX)
            },
            delay: Duration::ZERO,
            brk: None,
            close: false,
        }
    }

    /// A 200 `application/x-ndjson` stream of `body` (chunked), written one line at a
    /// time.
    ///
    /// ```
    /// let reply = harmony_ollama::testing::Reply::ndjson("{\"done\":true}\n");
    /// assert_eq!((reply.status(), reply.body()), (200, &b"{\"done\":true}\n"[..]));
    /// ```
    pub fn ndjson(body: impl Into<String>) -> Reply {
        Reply::new(200, "application/x-ndjson", body.into().into_bytes(), true)
    }

    /// A 200 `application/json` body with a `Content-Length`, as Ollama's non-streamed
    /// answers (`/api/tags`, `/api/show`, a `load` line).
    ///
    /// ```
    /// let reply = harmony_ollama::testing::Reply::json(&serde_json::json!({"version": "0.12.3"}));
    /// assert_eq!((reply.status(), reply.body()), (200, &br#"{"version":"0.12.3"}"#[..]));
    /// ```
    pub fn json(value: &Value) -> Reply {
        let mut body = String::new();
        write_go_value(&mut body, value);
        Reply::new(
            200,
            "application/json; charset=utf-8",
            body.into_bytes(),
            false,
        )
    }

    /// An HTTP error the way Ollama sends one: `status` with `{"error":"message"}`.
    ///
    /// ```
    /// let reply = harmony_ollama::testing::Reply::error(500, "boom \"x\"");
    /// assert_eq!((reply.status(), reply.body()), (500, &br#"{"error":"boom \"x\""}"#[..]));
    /// ```
    pub fn error(status: u16, message: &str) -> Reply {
        let mut body = String::from("{\"error\":");
        write_go_json_string(&mut body, message);
        body.push('}');
        Reply::new(
            status,
            "application/json; charset=utf-8",
            body.into_bytes(),
            false,
        )
    }

    /// Ollama's 404 from its handlers for a model it does not have: `model 'NAME' not
    /// found`.
    ///
    /// ```
    /// let reply = harmony_ollama::testing::Reply::model_not_found("gpt-oss:20b");
    /// assert_eq!((reply.status(), reply.body()), (404, &br#"{"error":"model 'gpt-oss:20b' not found"}"#[..]));
    /// ```
    pub fn model_not_found(model: &str) -> Reply {
        Reply::error(404, &format!("model '{model}' not found"))
    }

    /// Ollama's 404 from its scheduler: `model "NAME" not found, try pulling it first`.
    ///
    /// ```
    /// let reply = harmony_ollama::testing::Reply::model_not_pulled("gpt-oss:20b");
    /// assert_eq!(reply.body(), br#"{"error":"model \"gpt-oss:20b\" not found, try pulling it first"}"#);
    /// ```
    pub fn model_not_pulled(model: &str) -> Reply {
        let mut quoted = String::new();
        write_go_json_string(&mut quoted, model);
        Reply::error(
            404,
            &format!("model {quoted} not found, try pulling it first"),
        )
    }

    /// Ollama's 499 when the request's context ended before a runner was scheduled.
    ///
    /// ```
    /// let reply = harmony_ollama::testing::Reply::canceled();
    /// assert_eq!((reply.status(), reply.body()), (499, &br#"{"error":"request canceled"}"#[..]));
    /// ```
    pub fn canceled() -> Reply {
        Reply::error(499, "request canceled")
    }

    /// Ollama's 503 when its queue is full ([`SERVER_BUSY`]); add a `Retry-After`
    /// with [`header`](Self::header).
    ///
    /// ```
    /// let reply = harmony_ollama::testing::Reply::server_busy().header("Retry-After", "2");
    /// assert_eq!(reply.status(), 503);
    /// assert!(std::str::from_utf8(reply.body()).unwrap().contains("maximum pending requests exceeded"));
    /// ```
    pub fn server_busy() -> Reply {
        Reply::error(503, SERVER_BUSY)
    }

    /// Ollama's 401 for a cloud model when not signed in:
    /// `{"error":"unauthorized","signin_url":URL}`.
    ///
    /// ```
    /// let reply = harmony_ollama::testing::Reply::unauthorized("https://ollama.com/connect?x");
    /// assert_eq!(reply.body(), br#"{"error":"unauthorized","signin_url":"https://ollama.com/connect?x"}"#);
    /// ```
    pub fn unauthorized(signin_url: &str) -> Reply {
        Reply::json_error(
            401,
            &json!({"error": "unauthorized", "signin_url": signin_url}),
        )
    }

    /// A 403 with Ollama's error shape.
    ///
    /// ```
    /// assert_eq!(harmony_ollama::testing::Reply::forbidden("no").status(), 403);
    /// ```
    pub fn forbidden(message: &str) -> Reply {
        Reply::error(403, message)
    }

    fn json_error(status: u16, value: &Value) -> Reply {
        let mut r = Reply::json(value);
        r.status = status;
        r
    }

    /// An HTML page with `status` (`text/html`), as a proxy, a captive portal or
    /// another web server sends.
    ///
    /// ```
    /// let reply = harmony_ollama::testing::Reply::html(200, "<html><title>Wi-Fi login</title></html>");
    /// assert_eq!(reply.status(), 200);
    /// ```
    pub fn html(status: u16, page: &str) -> Reply {
        Reply::new(status, "text/html", page.as_bytes().to_vec(), false)
    }

    /// nginx's `502 Bad Gateway` page (Ollama behind it is down).
    ///
    /// ```
    /// let reply = harmony_ollama::testing::Reply::bad_gateway();
    /// assert_eq!(reply.status(), 502);
    /// assert!(reply.body().starts_with(b"<html>"));
    /// ```
    pub fn bad_gateway() -> Reply {
        Reply::html(502, NGINX_502)
    }

    /// Ollama's 500 when its tool-call parser fails on the model's output.
    ///
    /// ```
    /// let reply = harmony_ollama::testing::Reply::tool_call_parse_error("{\"a\":1]}", "invalid character ']' after object key:value pair");
    /// assert_eq!(reply.status(), 500);
    /// assert_eq!(
    ///     reply.body(),
    ///     br#"{"error":"error parsing tool call: raw='{\"a\":1]}', err=invalid character ']' after object key:value pair"}"#
    /// );
    /// ```
    pub fn tool_call_parse_error(raw: &str, detail: &str) -> Reply {
        Reply::error(
            500,
            &format!("error parsing tool call: raw='{raw}', err={detail}"),
        )
    }

    /// An HTTP error with `body` as is (for error bodies that are not `{"error": ...}`,
    /// such as the `{"error parsing tool call": ...}` of Ollama 0.11.3/0.11.4).
    ///
    /// ```
    /// let reply = harmony_ollama::testing::Reply::error_body(500, "{\"error parsing tool call\":\"x\"}");
    /// assert_eq!((reply.status(), reply.body()), (500, &br#"{"error parsing tool call":"x"}"#[..]));
    /// ```
    pub fn error_body(status: u16, body: &str) -> Reply {
        let mut r = Reply::error(status, "");
        r.body = body.as_bytes().to_vec();
        r
    }

    /// Reads the request and never answers, until the client gives up (for the
    /// headers timeout).
    ///
    /// ```
    /// let reply = harmony_ollama::testing::Reply::silent();
    /// assert_eq!((reply.status(), reply.body()), (0, &b""[..]));
    /// ```
    pub fn silent() -> Reply {
        let mut r = Reply::ndjson("");
        r.status = 0;
        r
    }

    /// The HTTP status (0 for [`silent`](Self::silent)).
    ///
    /// ```
    /// assert_eq!(harmony_ollama::testing::Reply::model_not_found("x").status(), 404);
    /// ```
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body as written (before chunked framing).
    ///
    /// ```
    /// let reply = harmony_ollama::testing::Reply::model_not_found("x");
    /// assert_eq!(reply.body(), br#"{"error":"model 'x' not found"}"#);
    /// ```
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// An extra response header.
    ///
    /// ```
    /// use std::time::Duration;
    /// use harmony_ollama::testing::{FakeOllama, Reply};
    /// use harmony_ollama::OllamaClient;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = FakeOllama::start([Reply::server_busy().header("Retry-After", "5")]).await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).build().unwrap();
    /// let err = client.version().await.unwrap_err();
    /// assert_eq!(err.retry_after(), Some(Duration::from_secs(5)));
    /// # });
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The `Content-Type` header.
    ///
    /// ```
    /// use harmony_ollama::testing::{FakeOllama, Reply};
    /// use harmony_ollama::{Error, OllamaClient};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let page = Reply::html(200, "<title>Login</title>").content_type("text/html; charset=utf-8");
    /// let server = FakeOllama::start([page]).await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).build().unwrap();
    /// let err = client.version().await.unwrap_err();
    /// assert!(matches!(err, Error::NotOllama { ref content_type, .. } if content_type == "text/html; charset=utf-8"), "{err:?}");
    /// # });
    /// ```
    pub fn content_type(mut self, content_type: &str) -> Reply {
        self.content_type = content_type.to_owned();
        self
    }

    /// How the body is split into writes.
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// use harmony_ollama::testing::{Chunking, FakeOllama, OllamaNdjson, Reply};
    /// use harmony_ollama::{GenerateEvent, GenerateRequest, OllamaClient};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let mut w = OllamaNdjson::new("m");
    /// w.response("é<|end|>").generate_done("stop");
    /// // One byte per write: escapes, UTF-8 characters and lines all split.
    /// let server = FakeOllama::start([Reply::ndjson(w.finish()).chunking(Chunking::Every(1))]).await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).build().unwrap();
    /// let mut stream = client.generate_raw(&GenerateRequest::new("m", "hi")).await.unwrap();
    /// let first = stream.next().await.unwrap().unwrap();
    /// assert_eq!(first, GenerateEvent::Response("é<|end|>".into()));
    /// # });
    /// ```
    pub fn chunking(mut self, chunking: Chunking) -> Reply {
        self.chunking = chunking;
        self
    }

    /// Pause before each write (pacing, or to give a client time to hang up).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use harmony_ollama::testing::{FakeOllama, Reply};
    /// use harmony_ollama::OllamaClient;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let version = Reply::json(&serde_json::json!({"version": "0.12.3"})).delay(Duration::from_millis(50));
    /// let server = FakeOllama::start([version]).await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).build().unwrap();
    /// let started = Instant::now();
    /// assert_eq!(client.version().await.unwrap(), "0.12.3");
    /// assert!(started.elapsed() >= Duration::from_millis(50));
    /// # });
    /// ```
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    /// Close the connection after `bytes` of body, without the terminating chunk.
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// use harmony_ollama::testing::{FakeOllama, OllamaNdjson, Reply};
    /// use harmony_ollama::{Error, GenerateRequest, OllamaClient};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let mut w = OllamaNdjson::new("m");
    /// w.response("Hi");
    /// let line = w.finish();
    /// let server = FakeOllama::start([Reply::ndjson(line.clone()).cut_after(line.len() - 1)]).await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).build().unwrap();
    /// let mut stream = client.generate_raw(&GenerateRequest::new("m", "hi")).await.unwrap();
    /// let mut last = None;
    /// while let Some(event) = stream.next().await {
    ///     last = Some(event);
    /// }
    /// assert!(matches!(last, Some(Err(Error::Disconnected { .. }))), "{last:?}");
    /// # });
    /// ```
    pub fn cut_after(mut self, bytes: usize) -> Reply {
        self.brk = Some(Break::Cut(bytes));
        self
    }

    /// Reset the connection (TCP RST) after `bytes` of body: a peer that crashed or a
    /// middlebox that gave up.
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// use harmony_ollama::testing::{FakeOllama, OllamaNdjson, Reply};
    /// use harmony_ollama::{Error, GenerateRequest, OllamaClient};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let mut w = OllamaNdjson::new("m");
    /// w.response("Hi");
    /// let line = w.finish();
    /// let server = FakeOllama::start([Reply::ndjson(line.clone()).reset_after(line.len() - 1)]).await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).build().unwrap();
    /// let mut stream = client.generate_raw(&GenerateRequest::new("m", "hi")).await.unwrap();
    /// let mut last = None;
    /// while let Some(event) = stream.next().await {
    ///     last = Some(event);
    /// }
    /// assert!(matches!(last, Some(Err(Error::Disconnected { .. }))), "{last:?}");
    /// # });
    /// ```
    pub fn reset_after(mut self, bytes: usize) -> Reply {
        self.brk = Some(Break::Reset(bytes));
        self
    }

    /// Stop writing after `bytes` of body (streamed or not: an error body with its
    /// full `Content-Length` stalls too) and keep the connection open until the
    /// client goes away (for timeouts).
    ///
    /// ```
    /// use std::time::Duration;
    /// use harmony_ollama::testing::{FakeOllama, Reply};
    /// use harmony_ollama::{Error, OllamaClient, TimeoutPhase};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// // The headers and three bytes of the error body, then nothing.
    /// let server = FakeOllama::start([Reply::error(500, "boom").stall_after(3)]).await.unwrap();
    /// let client = OllamaClient::builder()
    ///     .host(server.url())
    ///     .total_timeout(Some(Duration::from_millis(100)))
    ///     .build()
    ///     .unwrap();
    /// let err = client.version().await.unwrap_err();
    /// assert!(matches!(err, Error::Timeout { phase: TimeoutPhase::Total, .. }), "{err:?}");
    /// # });
    /// ```
    pub fn stall_after(mut self, bytes: usize) -> Reply {
        self.brk = Some(Break::Stall(bytes));
        self
    }

    /// Send `Connection: close` and close after this reply, even on a keep-alive
    /// server.
    ///
    /// ```
    /// use harmony_ollama::testing::{FakeOllama, Reply};
    /// use harmony_ollama::OllamaClient;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let version = || Reply::json(&serde_json::json!({"version": "0.12.3"}));
    /// // A keep-alive server whose first reply closes its connection: the client reconnects.
    /// let server = FakeOllama::builder().replies([version().close(), version()]).start().await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).build().unwrap();
    /// assert_eq!(client.version().await.unwrap(), "0.12.3");
    /// assert_eq!(client.version().await.unwrap(), "0.12.3");
    /// assert_eq!(server.connections(), 2);
    /// # });
    /// ```
    pub fn close(mut self) -> Reply {
        self.close = true;
        self
    }

    fn writes(&self) -> Vec<(usize, usize)> {
        let len = self.body.len();
        let mut cuts: Vec<usize> = match &self.chunking {
            Chunking::Lines => self
                .body
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1)
                .collect(),
            Chunking::Every(n) => {
                let n = (*n).max(1);
                (1..=len.div_ceil(n)).map(|i| (i * n).min(len)).collect()
            }
            Chunking::At(at) => at.iter().map(|&c| c.min(len)).collect(),
        };
        if let Some(Break::Cut(b) | Break::Reset(b) | Break::Stall(b)) = self.brk {
            cuts.push(b.min(len));
        }
        cuts.push(len);
        cuts.sort_unstable();
        cuts.dedup();
        let mut out = Vec::with_capacity(cuts.len());
        let mut prev = 0;
        for c in cuts {
            if c > prev {
                out.push((prev, c));
                prev = c;
            }
        }
        out
    }
}

/// A request the fake server received.
///
/// ```
/// let r = harmony_ollama::testing::Received::default();
/// assert!(r.path.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Received {
    /// HTTP method.
    pub method: String,
    /// Request path, e.g. `/api/generate`.
    pub path: String,
    /// The body as text.
    pub body: String,
    /// Request headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// Which connection it came on (0 for the first accepted), to see keep-alive.
    pub connection: usize,
}

impl Received {
    /// The body's `prompt` (`/api/generate`, `/v1/completions`), if any.
    ///
    /// ```
    /// let mut r = harmony_ollama::testing::Received::default();
    /// r.body = r#"{"prompt":"<|start|>user"}"#.into();
    /// assert_eq!(r.prompt().as_deref(), Some("<|start|>user"));
    /// ```
    pub fn prompt(&self) -> Option<String> {
        let v: Value = serde_json::from_str(&self.body).ok()?;
        v.get("prompt")?.as_str().map(str::to_owned)
    }

    /// The value of a header (name case-insensitive).
    ///
    /// ```
    /// let mut r = harmony_ollama::testing::Received::default();
    /// r.headers.push(("connection".into(), "keep-alive".into()));
    /// assert_eq!(r.header("Connection"), Some("keep-alive"));
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How a served reply ended.
///
/// ```
/// use harmony_ollama::testing::Ended;
/// assert_ne!(Ended::Completed, Ended::ClientClosed { body_bytes_sent: 0 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The whole scripted reply was written.
    Completed,
    /// The script dropped (or reset) the connection mid-body.
    Cut,
    /// The client closed the connection before the reply was finished.
    ClientClosed {
        /// Body bytes written before the client went away.
        body_bytes_sent: usize,
    },
    /// The request could not be read (malformed, too large, or the client left).
    BadRequest,
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    ended: Mutex<Vec<Ended>>,
    replies: Mutex<VecDeque<Reply>>,
    connections: AtomicUsize,
    changed: Notify,
}

/// What the server does besides replaying its script.
#[derive(Debug, Clone)]
struct Plan {
    /// Keep-alive connections, answered by the simulator after the script.
    simulate: bool,
    keep_alive: bool,
    close_idle_after: Option<Duration>,
    models: Vec<String>,
    context_length: u64,
    version: String,
    line_delay: Duration,
    agent: Agent,
    lifetime: Duration,
}

/// Builds a keep-alive [`FakeOllama`] that simulates Ollama once its script is used
/// up. See the [module docs](self).
///
/// ```
/// use harmony_ollama::testing::{Agent, FakeOllama};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let server = FakeOllama::builder()
///     .models(["gpt-oss:20b", "gpt-oss:120b"])
///     .agent(Agent::new().command("echo hi"))
///     .line_delay(std::time::Duration::from_millis(1))
///     .start()
///     .await
///     .unwrap();
/// assert!(server.url().starts_with("http://127.0.0.1:"));
/// # });
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct FakeOllamaBuilder {
    replies: Vec<Reply>,
    plan: Plan,
}

impl FakeOllamaBuilder {
    /// Scripted replies, answering the first requests in order (across connections).
    ///
    /// ```
    /// use harmony_ollama::testing::{FakeOllama, Reply};
    /// use harmony_ollama::OllamaClient;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = FakeOllama::builder().replies([Reply::canceled()]).start().await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).build().unwrap();
    /// assert!(client.version().await.is_err(), "the scripted reply comes first");
    /// assert_eq!(client.version().await.unwrap(), "0.12.3", "then the simulator answers");
    /// # });
    /// ```
    pub fn replies(mut self, replies: impl IntoIterator<Item = Reply>) -> Self {
        self.replies.extend(replies);
        self
    }

    /// Models the simulator has (default `gpt-oss:20b`); others get Ollama's 404.
    ///
    /// ```
    /// use harmony_ollama::testing::{FakeOllama, Reply};
    /// use harmony_ollama::OllamaClient;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = FakeOllama::builder().models(["gpt-oss:120b"]).start().await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).build().unwrap();
    /// assert!(client.context_length("gpt-oss:120b").await.is_ok());
    /// assert!(client.context_length("gpt-oss:20b").await.is_err());
    /// # });
    /// ```
    pub fn models<I, S>(mut self, models: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.plan.models = models.into_iter().map(Into::into).collect();
        self
    }

    /// The scripted model.
    ///
    /// ```
    /// use harmony_chat::{ChatMessage, ChatRole};
    /// use harmony_ollama::testing::{Agent, FakeOllama};
    /// use harmony_ollama::OllamaClient;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = FakeOllama::builder().agent(Agent::new()).start().await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).build().unwrap();
    /// let hi = [ChatMessage::new(ChatRole::User, "Hi")];
    /// let response = client.complete("gpt-oss:20b", &hi, &[]).await.unwrap();
    /// assert!(response.final_content.is_some());
    /// # });
    /// ```
    pub fn agent(mut self, agent: Agent) -> Self {
        self.plan.agent = agent;
        self
    }

    /// Pause before each simulated NDJSON line or SSE event (default none).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use harmony_chat::{ChatMessage, ChatRole};
    /// use harmony_ollama::testing::FakeOllama;
    /// use harmony_ollama::OllamaClient;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = FakeOllama::builder().line_delay(Duration::from_millis(20)).start().await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).build().unwrap();
    /// let started = Instant::now();
    /// let hi = [ChatMessage::new(ChatRole::User, "Hi")];
    /// client.complete("gpt-oss:20b", &hi, &[]).await.unwrap();
    /// assert!(started.elapsed() >= Duration::from_millis(40), "at least two lines, 20 ms apart");
    /// # });
    /// ```
    pub fn line_delay(mut self, delay: Duration) -> Self {
        self.plan.line_delay = delay;
        self
    }

    /// Whether connections stay open between requests (default true; false sends
    /// `Connection: close` on every reply).
    ///
    /// ```
    /// use harmony_ollama::testing::{FakeOllama, Reply};
    /// use harmony_ollama::OllamaClient;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = FakeOllama::builder().keep_alive(false).start().await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).build().unwrap();
    /// client.version().await.unwrap();
    /// client.version().await.unwrap();
    /// assert_eq!(server.connections(), 2, "a new connection per request");
    /// # });
    /// ```
    pub fn keep_alive(mut self, keep_alive: bool) -> Self {
        self.plan.keep_alive = keep_alive;
        self
    }

    /// Close a kept-alive connection that stays idle this long, without warning the
    /// client (as proxies and Go's `IdleTimeout` do).
    ///
    /// ```
    /// use std::time::Duration;
    /// use harmony_ollama::testing::{FakeOllama, Reply};
    /// use harmony_ollama::OllamaClient;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = FakeOllama::builder().close_idle_after(Duration::from_millis(50)).start().await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).build().unwrap();
    /// client.version().await.unwrap();
    /// tokio::time::sleep(Duration::from_millis(150)).await;
    /// // The pooled connection was closed under the client; the request still succeeds.
    /// assert_eq!(client.version().await.unwrap(), "0.12.3");
    /// # });
    /// ```
    pub fn close_idle_after(mut self, idle: Duration) -> Self {
        self.plan.close_idle_after = Some(idle);
        self
    }

    /// `model_info["gpt-oss.context_length"]` in `/api/show` (default 131072).
    ///
    /// ```
    /// use harmony_ollama::testing::{FakeOllama, Reply};
    /// use harmony_ollama::OllamaClient;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = FakeOllama::builder().context_length(8192).start().await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).build().unwrap();
    /// assert_eq!(client.context_length("gpt-oss:20b").await.unwrap(), Some(8192));
    /// # });
    /// ```
    pub fn context_length(mut self, n: u64) -> Self {
        self.plan.context_length = n;
        self
    }

    /// The `/api/version` answer (default `0.12.3`).
    ///
    /// ```
    /// use harmony_ollama::testing::{FakeOllama, Reply};
    /// use harmony_ollama::OllamaClient;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = FakeOllama::builder().version("0.11.4").start().await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).build().unwrap();
    /// assert_eq!(client.version().await.unwrap(), "0.11.4");
    /// # });
    /// ```
    pub fn version(mut self, version: &str) -> Self {
        self.plan.version = version.to_owned();
        self
    }

    /// How long the server lives at most (default [`FakeOllama::LIFETIME`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use harmony_ollama::testing::{FakeOllama, Reply};
    /// use harmony_ollama::OllamaClient;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = FakeOllama::builder().lifetime(Duration::from_millis(100)).start().await.unwrap();
    /// let client = OllamaClient::builder().host(server.url()).build().unwrap();
    /// client.version().await.unwrap();
    /// tokio::time::sleep(Duration::from_millis(300)).await;
    /// // It no longer accepts connections (one already open may linger).
    /// let fresh = OllamaClient::builder().host(server.url()).build().unwrap();
    /// assert!(fresh.version().await.is_err(), "the server is gone");
    /// # });
    /// ```
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.plan.lifetime = lifetime;
        self
    }

    /// Binds 127.0.0.1 on an ephemeral port and serves. Must be called inside a Tokio
    /// runtime.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = harmony_ollama::testing::FakeOllama::builder().start().await.unwrap();
    /// assert_ne!(server.addr().port(), 0);
    /// # });
    /// ```
    pub async fn start(self) -> io::Result<FakeOllama> {
        FakeOllama::spawn(self.replies, self.plan).await
    }
}

/// The fake Ollama: loopback only, scripted replies, bounded lifetime.
///
/// ```
/// use harmony_ollama::testing::{FakeOllama, Reply};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let server = FakeOllama::start([Reply::model_not_found("x")]).await.unwrap();
/// assert!(server.url().starts_with("http://127.0.0.1:"));
/// # });
/// ```
#[derive(Debug)]
pub struct FakeOllama {
    addr: SocketAddr,
    shared: Arc<SharedDebug>,
    task: JoinHandle<()>,
}

// `Notify` is not `Debug`; keep the public type printable.
struct SharedDebug(Shared);

impl std::fmt::Debug for SharedDebug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl FakeOllama {
    /// How long a server lives at most.
    pub const LIFETIME: Duration = Duration::from_secs(30);

    /// Binds 127.0.0.1 on an ephemeral port and serves `replies`, one per connection,
    /// in order, each with `Connection: close`; then stops accepting. Must be called
    /// inside a Tokio runtime.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = harmony_ollama::testing::FakeOllama::start([]).await.unwrap();
    /// assert_eq!(server.addr().ip(), std::net::Ipv4Addr::LOCALHOST);
    /// # });
    /// ```
    pub async fn start(replies: impl IntoIterator<Item = Reply>) -> io::Result<FakeOllama> {
        let mut plan = FakeOllama::builder().plan;
        plan.simulate = false;
        plan.keep_alive = false;
        FakeOllama::spawn(replies.into_iter().collect(), plan).await
    }

    /// A keep-alive server with the simulator; see [`FakeOllamaBuilder`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = harmony_ollama::testing::FakeOllama::builder().start().await.unwrap();
    /// let client = harmony_ollama::OllamaClient::builder().host(server.url()).build().unwrap();
    /// assert_eq!(client.version().await.unwrap(), "0.12.3");
    /// # });
    /// ```
    pub fn builder() -> FakeOllamaBuilder {
        FakeOllamaBuilder {
            replies: Vec::new(),
            plan: Plan {
                simulate: true,
                keep_alive: true,
                close_idle_after: None,
                models: vec!["gpt-oss:20b".to_owned()],
                context_length: 131_072,
                version: "0.12.3".to_owned(),
                line_delay: Duration::ZERO,
                agent: Agent::new(),
                lifetime: FakeOllama::LIFETIME,
            },
        }
    }

    async fn spawn(replies: Vec<Reply>, plan: Plan) -> io::Result<FakeOllama> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(SharedDebug(Shared::default()));
        // Without the simulator, each scripted reply takes one connection.
        let accept_limit = (!plan.simulate).then_some(replies.len());
        *lock(&shared.0.replies) = replies.into();
        let task_shared = Arc::clone(&shared);
        let plan = Arc::new(plan);
        let task = tokio::spawn(async move {
            let lifetime = plan.lifetime;
            let serve = async {
                let mut conns = Vec::new();
                loop {
                    if accept_limit.is_some_and(|n| conns.len() >= n) {
                        break;
                    }
                    let Ok((stream, _)) = listener.accept().await else {
                        break;
                    };
                    let id = task_shared.0.connections.fetch_add(1, Ordering::SeqCst);
                    let shared = Arc::clone(&task_shared);
                    let plan = Arc::clone(&plan);
                    conns.push(tokio::spawn(async move {
                        serve_connection(stream, id, &plan, &shared.0).await;
                    }));
                }
                drop(listener);
                for c in conns {
                    let _ = c.await;
                }
            };
            let _ = tokio::time::timeout(lifetime, serve).await;
        });
        Ok(FakeOllama { addr, shared, task })
    }

    /// The socket address.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = harmony_ollama::testing::FakeOllama::start([]).await.unwrap();
    /// assert_ne!(server.addr().port(), 0);
    /// # });
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, for `OLLAMA_HOST` or the client builder.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = harmony_ollama::testing::FakeOllama::start([]).await.unwrap();
    /// assert_eq!(server.url(), format!("http://{}", server.addr()));
    /// # });
    /// ```
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests received so far.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = harmony_ollama::testing::FakeOllama::start([]).await.unwrap();
    /// assert!(server.received().is_empty());
    /// # });
    /// ```
    pub fn received(&self) -> Vec<Received> {
        lock(&self.shared.0.received).clone()
    }

    /// The prompts received (`/api/generate` and `/v1/completions`), in order.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = harmony_ollama::testing::FakeOllama::builder().start().await.unwrap();
    /// assert!(server.prompts().is_empty());
    /// # });
    /// ```
    pub fn prompts(&self) -> Vec<String> {
        self.received()
            .iter()
            .filter_map(Received::prompt)
            .collect()
    }

    /// How many connections were accepted so far.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = harmony_ollama::testing::FakeOllama::builder().start().await.unwrap();
    /// assert_eq!(server.connections(), 0);
    /// # });
    /// ```
    pub fn connections(&self) -> usize {
        self.shared.0.connections.load(Ordering::SeqCst)
    }

    /// Waits until `n` replies have ended (or `timeout` passes) and returns how every
    /// reply so far ended.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = harmony_ollama::testing::FakeOllama::start([]).await.unwrap();
    /// assert!(server.wait_ended(0, std::time::Duration::from_millis(1)).await.is_empty());
    /// # });
    /// ```
    pub async fn wait_ended(&self, n: usize, timeout: Duration) -> Vec<Ended> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.0.changed.notified();
            {
                let ended = lock(&self.shared.0.ended);
                if ended.len() >= n {
                    return ended.clone();
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return lock(&self.shared.0.ended).clone();
            }
        }
    }
}

impl Drop for FakeOllama {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicking test thread must not turn every later assertion into a poison error.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn record(shared: &Shared, ended: Ended) {
    lock(&shared.ended).push(ended);
    shared.changed.notify_waiters();
}

/// Serves requests on one connection until it closes, the plan says close, or a reply
/// breaks it.
async fn serve_connection(mut stream: TcpStream, id: usize, plan: &Plan, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    loop {
        // Only between requests: the first request of a connection is awaited.
        let between = buf.is_empty() && id_has_served(shared, id);
        let read = read_request(&mut stream, &mut buf);
        let request = match plan.close_idle_after {
            Some(idle) if between => {
                match tokio::time::timeout(idle, read).await {
                    Ok(r) => r,
                    // Idle too long: close without a word, as a proxy does.
                    Err(_) => return,
                }
            }
            _ => read.await,
        };
        let Some(mut received) = request else {
            if !buf.is_empty() {
                record(shared, Ended::BadRequest);
            }
            return;
        };
        received.connection = id;
        let scripted = lock(&shared.replies).pop_front();
        let reply = match scripted {
            Some(r) => r,
            None if plan.simulate => simulate(plan, &received),
            None => {
                lock(&shared.received).push(received);
                record(shared, Ended::BadRequest);
                return;
            }
        };
        lock(&shared.received).push(received);
        let keep = plan.keep_alive && !reply.close;
        let ended = serve_reply(&mut stream, &reply, keep).await;
        record(shared, ended);
        if ended != Ended::Completed || !keep {
            return;
        }
    }
}

/// Whether connection `id` already answered a request (so the next read is an idle
/// wait between requests).
fn id_has_served(shared: &Shared, id: usize) -> bool {
    lock(&shared.received).iter().any(|r| r.connection == id)
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        // Go writes `status code N` for codes it has no text for (499).
        _ => "",
    }
}

async fn serve_reply(stream: &mut TcpStream, reply: &Reply, keep_alive: bool) -> Ended {
    let mut probe = [0u8; 64];
    if reply.status == 0 {
        loop {
            match stream.read(&mut probe).await {
                Ok(0) | Err(_) => return Ended::ClientClosed { body_bytes_sent: 0 },
                Ok(_) => {}
            }
        }
    }
    let phrase = reason_phrase(reply.status);
    let phrase = if phrase.is_empty() {
        format!("status code {}", reply.status)
    } else {
        phrase.to_owned()
    };
    let mut head = format!(
        "HTTP/1.1 {} {phrase}\r\nContent-Type: {}\r\nDate: Wed, 06 Aug 2025 10:15:30 GMT\r\n",
        reply.status, reply.content_type
    );
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !keep_alive {
        head.push_str("Connection: close\r\n");
    }
    // Ollama streams with chunked transfer encoding; errors have a Content-Length.
    if reply.chunked {
        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
    } else {
        head.push_str(&format!("Content-Length: {}\r\n\r\n", reply.body.len()));
    }
    if stream.write_all(head.as_bytes()).await.is_err() {
        return Ended::ClientClosed { body_bytes_sent: 0 };
    }
    let mut sent = 0;
    for (from, to) in reply.writes() {
        match reply.brk {
            Some(Break::Cut(at)) if from >= at => return Ended::Cut,
            Some(Break::Reset(at)) if from >= at => {
                reset(stream);
                return Ended::Cut;
            }
            Some(Break::Stall(at)) if from >= at => loop {
                match stream.read(&mut probe).await {
                    Ok(0) | Err(_) => {
                        return Ended::ClientClosed {
                            body_bytes_sent: sent,
                        }
                    }
                    Ok(_) => {}
                }
            },
            _ => {}
        }
        if !reply.delay.is_zero() {
            // Watch the socket while waiting, so a client hang-up is seen even before
            // the next write would fail.
            tokio::select! {
                r = stream.read(&mut probe) => {
                    if matches!(r, Ok(0) | Err(_)) {
                        return Ended::ClientClosed { body_bytes_sent: sent };
                    }
                }
                _ = tokio::time::sleep(reply.delay) => {}
            }
        }
        let data = &reply.body[from..to];
        let written = if reply.chunked {
            write_chunk(stream, data).await
        } else {
            stream.write_all(data).await
        };
        if written.is_err() {
            return Ended::ClientClosed {
                body_bytes_sent: sent,
            };
        }
        sent = to;
    }
    if let Some(Break::Cut(_) | Break::Reset(_)) = reply.brk {
        // A break at the very end: the body is whole but its terminator never comes.
        if matches!(reply.brk, Some(Break::Reset(_))) {
            reset(stream);
        }
        return Ended::Cut;
    }
    if let Some(Break::Stall(_)) = reply.brk {
        loop {
            match stream.read(&mut probe).await {
                Ok(0) | Err(_) => {
                    return Ended::ClientClosed {
                        body_bytes_sent: sent,
                    }
                }
                Ok(_) => {}
            }
        }
    }
    if reply.chunked && stream.write_all(b"0\r\n\r\n").await.is_err() {
        return Ended::ClientClosed {
            body_bytes_sent: sent,
        };
    }
    let _ = stream.flush().await;
    if !keep_alive {
        let _ = stream.shutdown().await;
    }
    Ended::Completed
}

/// Makes closing the socket send a RST instead of a FIN (SO_LINGER 0).
#[allow(deprecated)]
fn reset(stream: &TcpStream) {
    // Deprecated because a non-zero linger blocks the thread on drop; a zero linger
    // never waits: the kernel drops the send buffer and resets at once.
    let _ = stream.set_linger(Some(Duration::ZERO));
}

async fn write_chunk(wr: &mut (impl AsyncWriteExt + Unpin), data: &[u8]) -> io::Result<()> {
    let mut buf = Vec::with_capacity(data.len() + 12);
    buf.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    buf.extend_from_slice(data);
    buf.extend_from_slice(b"\r\n");
    wr.write_all(&buf).await?;
    wr.flush().await
}

/// Reads one request from `stream`; `buf` carries bytes read past its end to the next
/// call (it is empty between requests from a client that does not pipeline).
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Received> {
    let mut tmp = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = stream.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let mut content_length = 0usize;
    let mut headers = Vec::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
            if k == "content-length" {
                content_length = v.parse().ok()?;
            }
            headers.push((k, v));
        }
    }
    if content_length > MAX_BODY {
        return None;
    }
    while buf.len() < head_end + content_length {
        let n = stream.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + content_length]).into_owned();
    buf.drain(..head_end + content_length);
    Some(Received {
        method,
        path,
        body,
        headers,
        connection: 0,
    })
}

/// Ollama's answer to a request the script does not cover.
fn simulate(plan: &Plan, req: &Received) -> Reply {
    let body: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
    let model = body
        .get("model")
        .or_else(|| body.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let known = plan.models.contains(&model);
    let delay = plan.line_delay;
    match (req.method.as_str(), req.path.as_str()) {
        ("GET" | "HEAD", "/") => Reply::new(
            200,
            "text/plain; charset=utf-8",
            b"Ollama is running".to_vec(),
            false,
        ),
        ("GET", "/api/version") => Reply::json(&json!({"version": plan.version})),
        ("GET", "/api/tags") => Reply::json(&json!({
            "models": plan.models.iter().map(|m| model_entry(m)).collect::<Vec<_>>()
        })),
        ("GET", "/api/ps") => Reply::json(&json!({
            "models": plan.models.iter().map(|m| {
                let mut e = model_entry(m);
                e["expires_at"] = json!("2025-08-06T10:20:30.000000000Z");
                e["size_vram"] = json!(13_780_173_839u64);
                e["context_length"] = json!(plan.context_length.min(8192));
                e
            }).collect::<Vec<_>>()
        })),
        ("POST", "/api/show") if !known => Reply::model_not_found(&model),
        ("POST", "/api/show") => Reply::json(&json!({
            "license": "Apache License 2.0",
            "modelfile": format!("FROM {model}\n"),
            "parameters": "temperature 1",
            "template": "{{ .Prompt }}",
            "details": details(),
            "model_info": {
                "general.architecture": "gpt-oss",
                "general.parameter_count": 20_914_757_184u64,
                "gpt-oss.context_length": plan.context_length,
                "gpt-oss.embedding_length": 2880,
            },
            "capabilities": ["completion", "tools", "thinking"],
            "modified_at": "2025-08-06T10:15:30.000000000Z",
        })),
        ("POST", "/api/generate") if !known => Reply::model_not_found(&model),
        ("POST", "/api/generate") => {
            let prompt = body.get("prompt").and_then(Value::as_str).unwrap_or("");
            let raw = body.get("raw").and_then(Value::as_bool).unwrap_or(false);
            let system = body.get("system").and_then(Value::as_str).unwrap_or("");
            if prompt.is_empty() {
                return load_reply(&model, &body, "response\":\"\",");
            }
            if raw && !system.is_empty() {
                return Reply::error(
                    400,
                    "raw mode does not support template, system, or context",
                );
            }
            let mut w = OllamaNdjson::new(&model);
            for f in plan.agent.reply_to_prompt(prompt) {
                w.response(&f);
            }
            w.generate_done("stop");
            Reply::ndjson(w.finish()).delay(delay)
        }
        ("POST", "/api/chat") if !known => Reply::model_not_found(&model),
        ("POST", "/api/chat") => {
            let empty = body
                .get("messages")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty);
            if empty {
                return load_reply(
                    &model,
                    &body,
                    "message\":{\"role\":\"assistant\",\"content\":\"\"},",
                );
            }
            let mut w = OllamaNdjson::new(&model);
            for f in plan.agent.reply_to_chat(&body) {
                w.response(&f);
            }
            w.generate_done("stop");
            Reply::ndjson(chat_ndjson_from_generate(&w.finish())).delay(delay)
        }
        ("POST", "/v1/completions") if !known => {
            let mut r = Reply::json(&json!({"error": {
                "message": format!("model \"{model}\" not found, try pulling it first"),
                "type": "api_error", "param": null, "code": null
            }}));
            r.status = 404;
            r
        }
        ("POST", "/v1/completions") => completions(plan, &model, &body),
        _ => Reply::new(404, "text/plain", b"404 page not found".to_vec(), false),
    }
}

/// The `load` (or, with `keep_alive: 0`, `unload`) answer to an empty prompt: one
/// non-streamed JSON object with `done: true` and no metrics.
fn load_reply(model: &str, body: &Value, empty_field: &str) -> Reply {
    let unload = match body.get("keep_alive") {
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        // Go durations: "0", "0s", "0ms", "0m" ...
        Some(Value::String(s)) => s
            .trim_end_matches(|c: char| c.is_ascii_alphabetic())
            .parse::<f64>()
            .is_ok_and(|n| n == 0.0),
        _ => false,
    };
    let mut out = String::from("{\"model\":");
    write_go_json_string(&mut out, model);
    out.push_str(",\"created_at\":\"2025-08-06T10:15:30.000000000Z\",\"");
    out.push_str(empty_field);
    out.push_str("\"done\":true,\"done_reason\":");
    out.push_str(if unload { "\"unload\"}" } else { "\"load\"}" });
    Reply::new(
        200,
        "application/json; charset=utf-8",
        out.into_bytes(),
        false,
    )
}

fn details() -> Value {
    json!({
        "parent_model": "", "format": "gguf", "family": "gptoss", "families": ["gptoss"],
        "parameter_size": "20.9B", "quantization_level": "MXFP4"
    })
}

fn model_entry(name: &str) -> Value {
    json!({
        "name": name, "model": name,
        "modified_at": "2025-08-06T10:15:30.000000000Z",
        "size": 13_780_173_839u64,
        "digest": "aa4295ac10c3afb60e6d711289fc6896f5aef82258997b9efdaed6d0cc4cd8b8",
        "details": details(),
    })
}

/// OpenAI's `/v1/completions` over the same scripted model: SSE events of
/// `{"choices":[{"text":...,"index":0,"finish_reason":null}]}`, special tokens kept,
/// then `finish_reason: "stop"` and `data: [DONE]` (or one JSON object when
/// `stream` is not true).
fn completions(plan: &Plan, model: &str, body: &Value) -> Reply {
    let prompt = body.get("prompt").and_then(Value::as_str).unwrap_or("");
    let fragments = plan.agent.reply_to_prompt(prompt);
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let chunk = |text: &str, finish: Value| {
        json!({
            "id": "cmpl-fake", "object": "text_completion", "created": 1_754_475_330,
            "model": model, "system_fingerprint": "fp_ollama",
            "choices": [{"text": text, "index": 0, "finish_reason": finish}]
        })
    };
    if !stream {
        let mut r = Reply::json(&chunk(&fragments.concat(), json!("stop")));
        r.content_type = "application/json".to_owned();
        return r;
    }
    let mut out = String::new();
    for f in fragments
        .iter()
        .map(|f| chunk(f, Value::Null))
        .chain([chunk("", json!("stop"))])
    {
        out.push_str("data: ");
        write_go_value(&mut out, &f);
        out.push_str("\n\n");
    }
    out.push_str("data: [DONE]\n\n");
    let mut r = Reply::new(200, "text/event-stream", out.into_bytes(), true);
    // One event per write.
    let mut cuts = Vec::new();
    let bytes = r.body.clone();
    for (i, w) in bytes.windows(2).enumerate() {
        if w == b"\n\n" {
            cuts.push(i + 2);
        }
    }
    r.chunking = Chunking::At(cuts);
    r.delay(plan.line_delay)
}
