//! A fake Ollama on loopback: real HTTP/1.1 over a real socket, scripted replies.
//!
//! Hand-written on a plain `TcpListener` rather than a web framework, because the
//! faults under test live below a framework's API: bodies cut mid-chunk, connections
//! dropped without a terminating chunk, writes split at arbitrary bytes, and noticing
//! that the client hung up.
//!
//! Bounded by construction: it listens on 127.0.0.1 only, on an ephemeral port; it
//! serves exactly one connection per scripted reply and then stops accepting; it reads
//! at most 64 KiB of request head and 16 MiB of body; and it shuts down by itself after
//! [`FakeOllama::LIFETIME`] or when dropped.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 16 * 1024 * 1024;

/// How a streamed body is cut into socket writes.
///
/// ```
/// use harmony_ollama::testing::Chunking;
/// let _ = Chunking::Every(3);
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

/// One scripted answer, used for one connection.
///
/// ```
/// use harmony_ollama::testing::{Chunking, Reply};
/// use std::time::Duration;
///
/// let reply = Reply::ndjson("{\"done\":true}\n").chunking(Chunking::Every(2)).delay(Duration::from_millis(1));
/// let not_found = Reply::model_not_found("gpt-oss:20b");
/// # let _ = (reply, not_found);
/// ```
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    chunking: Chunking,
    delay: Duration,
    cut_after: Option<usize>,
    stall_after: Option<usize>,
}

impl Reply {
    /// A 200 `application/x-ndjson` stream of `body`, written one line at a time.
    ///
    /// ```
    /// let _ = harmony_ollama::testing::Reply::ndjson("{}\n");
    /// ```
    pub fn ndjson(body: impl Into<String>) -> Reply {
        Reply {
            status: 200,
            content_type: "application/x-ndjson",
            body: body.into().into_bytes(),
            chunking: Chunking::Lines,
            delay: Duration::ZERO,
            cut_after: None,
            stall_after: None,
        }
    }

    /// An HTTP error the way Ollama sends one: `status` with `{"error":"message"}`.
    ///
    /// ```
    /// let _ = harmony_ollama::testing::Reply::error(500, "boom");
    /// ```
    pub fn error(status: u16, message: &str) -> Reply {
        let mut body = String::from("{\"error\":");
        super::escape::write_go_json_string(&mut body, message);
        body.push('}');
        Reply {
            status,
            content_type: "application/json; charset=utf-8",
            body: body.into_bytes(),
            chunking: Chunking::Every(usize::MAX),
            delay: Duration::ZERO,
            cut_after: None,
            stall_after: None,
        }
    }

    /// Ollama's 404 for a model it does not have: `model 'NAME' not found`.
    ///
    /// ```
    /// let _ = harmony_ollama::testing::Reply::model_not_found("gpt-oss:20b");
    /// ```
    pub fn model_not_found(model: &str) -> Reply {
        Reply::error(404, &format!("model '{model}' not found"))
    }

    /// Ollama's 500 when its tool-call parser fails on the model's output.
    ///
    /// ```
    /// let _ = harmony_ollama::testing::Reply::tool_call_parse_error("{\"a\":1]}", "invalid character ']' after object key:value pair");
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
    /// let _ = harmony_ollama::testing::Reply::error_body(500, "{\"error parsing tool call\":\"x\"}");
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
    /// let _ = harmony_ollama::testing::Reply::silent();
    /// ```
    pub fn silent() -> Reply {
        let mut r = Reply::ndjson("");
        r.status = 0;
        r
    }

    /// How the body is split into writes.
    ///
    /// ```
    /// let _ = harmony_ollama::testing::Reply::ndjson("{}\n").chunking(harmony_ollama::testing::Chunking::Every(1));
    /// ```
    pub fn chunking(mut self, chunking: Chunking) -> Reply {
        self.chunking = chunking;
        self
    }

    /// Pause before each write (pacing, or to give a client time to hang up).
    ///
    /// ```
    /// let _ = harmony_ollama::testing::Reply::ndjson("{}\n").delay(std::time::Duration::from_millis(5));
    /// ```
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    /// Drop the connection after `bytes` of body, without the terminating chunk.
    ///
    /// ```
    /// let _ = harmony_ollama::testing::Reply::ndjson("{}\n").cut_after(1);
    /// ```
    pub fn cut_after(mut self, bytes: usize) -> Reply {
        self.cut_after = Some(bytes);
        self
    }

    /// Stop writing after `bytes` of body and keep the connection open until the
    /// client goes away (for timeouts).
    ///
    /// ```
    /// let _ = harmony_ollama::testing::Reply::ndjson("{}\n").stall_after(0);
    /// ```
    pub fn stall_after(mut self, bytes: usize) -> Reply {
        self.stall_after = Some(bytes);
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
}

/// How a served connection ended.
///
/// ```
/// use harmony_ollama::testing::Ended;
/// assert_ne!(Ended::Completed, Ended::ClientClosed { body_bytes_sent: 0 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The whole scripted reply was written.
    Completed,
    /// The script dropped the connection mid-body.
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
    changed: Notify,
}

/// The fake Ollama: loopback only, one scripted reply per connection, bounded lifetime.
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
    /// in order. Must be called inside a Tokio runtime.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = harmony_ollama::testing::FakeOllama::start([]).await.unwrap();
    /// assert_eq!(server.addr().ip(), std::net::Ipv4Addr::LOCALHOST);
    /// # });
    /// ```
    pub async fn start(replies: impl IntoIterator<Item = Reply>) -> io::Result<FakeOllama> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(SharedDebug(Shared::default()));
        let replies: Vec<Reply> = replies.into_iter().collect();
        let task_shared = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            let serve = async {
                let mut conns = Vec::new();
                for reply in replies {
                    let Ok((stream, _)) = listener.accept().await else {
                        break;
                    };
                    let shared = Arc::clone(&task_shared);
                    conns.push(tokio::spawn(async move {
                        let ended = serve_one(stream, &reply, &shared.0).await;
                        shared
                            .0
                            .ended
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(ended);
                        shared.0.changed.notify_waiters();
                    }));
                }
                drop(listener);
                for c in conns {
                    let _ = c.await;
                }
            };
            let _ = tokio::time::timeout(Self::LIFETIME, serve).await;
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

    /// Waits until `n` connections have ended (or `timeout` passes) and returns how
    /// every connection so far ended.
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

async fn serve_one(mut stream: TcpStream, reply: &Reply, shared: &Shared) -> Ended {
    let _ = stream.set_nodelay(true);
    let Some(received) = read_request(&mut stream).await else {
        return Ended::BadRequest;
    };
    lock(&shared.received).push(received);
    if reply.status == 0 {
        let mut probe = [0u8; 64];
        loop {
            match stream.read(&mut probe).await {
                Ok(0) | Err(_) => return Ended::ClientClosed { body_bytes_sent: 0 },
                Ok(_) => {}
            }
        }
    }

    let reason = match reply.status {
        200 => "OK",
        404 => "Not Found",
        400 => "Bad Request",
        500 => "Internal Server Error",
        _ => "Status",
    };
    // Ollama streams with chunked transfer encoding; errors have a Content-Length.
    let streamed = reply.status == 200;
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nDate: Wed, 06 Aug 2025 10:15:30 GMT\r\nConnection: close\r\n",
        reply.status, reply.content_type
    );
    if streamed {
        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
    } else {
        head.push_str(&format!("Content-Length: {}\r\n\r\n", reply.body.len()));
    }
    if stream.write_all(head.as_bytes()).await.is_err() {
        return Ended::ClientClosed { body_bytes_sent: 0 };
    }
    if !streamed {
        let _ = stream.write_all(&reply.body).await;
        let _ = stream.shutdown().await;
        return Ended::Completed;
    }

    let (mut rd, mut wr) = stream.split();
    let mut sent = 0;
    let mut probe = [0u8; 64];
    for (from, to) in reply.writes() {
        if let Some(stall) = reply.stall_after {
            if to > stall {
                let to = stall.max(from);
                if to > from && write_chunk(&mut wr, &reply.body[from..to]).await.is_err() {
                    return Ended::ClientClosed {
                        body_bytes_sent: sent,
                    };
                }
                sent = to;
                // Hold the connection until the client gives up.
                loop {
                    match rd.read(&mut probe).await {
                        Ok(0) | Err(_) => {
                            return Ended::ClientClosed {
                                body_bytes_sent: sent,
                            }
                        }
                        Ok(_) => {}
                    }
                }
            }
        }
        let to = match reply.cut_after {
            Some(cut) if to >= cut => {
                let cut = cut.max(from);
                if cut > from {
                    let _ = write_chunk(&mut wr, &reply.body[from..cut]).await;
                }
                // Close without the terminating chunk: an abrupt end of body.
                return Ended::Cut;
            }
            _ => to,
        };
        if !reply.delay.is_zero() {
            // Watch the socket while waiting, so a client hang-up is seen even before
            // the next write would fail.
            tokio::select! {
                r = rd.read(&mut probe) => {
                    if matches!(r, Ok(0) | Err(_)) {
                        return Ended::ClientClosed { body_bytes_sent: sent };
                    }
                }
                _ = tokio::time::sleep(reply.delay) => {}
            }
        }
        if write_chunk(&mut wr, &reply.body[from..to]).await.is_err() {
            return Ended::ClientClosed {
                body_bytes_sent: sent,
            };
        }
        sent = to;
    }
    if wr.write_all(b"0\r\n\r\n").await.is_err() {
        return Ended::ClientClosed {
            body_bytes_sent: sent,
        };
    }
    let _ = wr.shutdown().await;
    Ended::Completed
}

async fn write_chunk(wr: &mut (impl AsyncWriteExt + Unpin), data: &[u8]) -> io::Result<()> {
    let mut buf = Vec::with_capacity(data.len() + 12);
    buf.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    buf.extend_from_slice(data);
    buf.extend_from_slice(b"\r\n");
    wr.write_all(&buf).await?;
    wr.flush().await
}

async fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let mut buf = Vec::with_capacity(4096);
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
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                content_length = v.trim().parse().ok()?;
            }
        }
    }
    if content_length > MAX_BODY {
        return None;
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < content_length {
        let n = stream.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&tmp[..n]);
    }
    body.truncate(content_length);
    Some(Received {
        method,
        path,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}
