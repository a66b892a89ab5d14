//! One log line per request: method, path, model, status, tokens, duration, repairs.
//! Never prompt or answer text.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// What a handler reports about its request, for the log line (set in the response's
/// extensions; a streamed answer reports when its stream ends, see [`StreamLog`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestInfo {
    pub model: String,
}

/// Middleware: logs the request once its response head is ready.
pub(crate) async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let resp = next.run(req).await;
    let model = resp
        .extensions()
        .get::<RequestInfo>()
        .map_or("-", |i| i.model.as_str())
        .to_owned();
    eprintln!(
        "{method} {path} model={model} status={} head_ms={}",
        resp.status().as_u16(),
        started.elapsed().as_millis()
    );
    resp
}

/// Logs a streamed turn's totals when it ends (dropped).
#[derive(Debug)]
pub(crate) struct StreamLog {
    pub path: &'static str,
    pub model: String,
    pub started: Instant,
    pub completion_tokens: u64,
    pub prompt_tokens: u32,
    pub repairs: usize,
    pub outcome: &'static str,
    /// The answer's text, kept only when the operator asked for text in the log.
    pub text: Option<String>,
}

impl Drop for StreamLog {
    fn drop(&mut self) {
        eprintln!(
            "{} done model={} outcome={} prompt_tokens={} completion_tokens={} repairs={} ms={}",
            self.path,
            self.model,
            self.outcome,
            self.prompt_tokens,
            self.completion_tokens,
            self.repairs,
            self.started.elapsed().as_millis()
        );
        if let Some(text) = &self.text {
            eprintln!("{} text model={}: {text:?}", self.path, self.model);
        }
    }
}
