//! The gateway's Prometheus metrics, kept in a [`prometheus_client`] registry (no global
//! state: each [`AppState`](crate::AppState) has its own, so tests in one process do
//! not see each other's counts) and encoded by that crate for `GET /metrics`.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::state::AppState;

/// Label sets: a few fixed keys with owned values (kinds and routes are bounded sets,
/// so the families stay small).
type Labels = Vec<(&'static str, String)>;

/// Every metric the gateway exports.
///
/// ```
/// let m = harmony_server::Metrics::new();
/// m.tool_call("clean", "");
/// let text = m.encode();
/// assert!(text.contains("harmony_tool_calls_total{outcome=\"clean\",kind=\"\"} 1"));
/// ```
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    prompt_tokens: Counter,
    completion_tokens: Counter,
    ttft: Histogram,
    time_per_token: Histogram,
    tool_calls: Family<Labels, Counter>,
    diagnostics: Family<Labels, Counter>,
    upstream_errors: Family<Labels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric at zero.
    ///
    /// ```
    /// assert!(harmony_server::Metrics::new().encode().ends_with("# EOF\n"));
    /// ```
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("harmony");
        let requests = Family::<Labels, Counter>::default();
        registry.register(
            "requests",
            "HTTP requests by route, client protocol and status",
            requests.clone(),
        );
        let prompt_tokens = Counter::default();
        registry.register(
            "prompt_tokens",
            "Tokens of rendered prompts",
            prompt_tokens.clone(),
        );
        let completion_tokens = Counter::default();
        registry.register(
            "completion_tokens",
            "Tokens the upstream generated",
            completion_tokens.clone(),
        );
        // 5 ms .. ~40 s: a loaded model answers in tens of ms, a cold load takes seconds.
        let ttft = Histogram::new(exponential_buckets(0.005, 2.0, 14));
        registry.register(
            "time_to_first_token_seconds",
            "From the upstream request to the first generated text",
            ttft.clone(),
        );
        // 1 ms .. ~1 s per token.
        let time_per_token = Histogram::new(exponential_buckets(0.001, 2.0, 11));
        registry.register(
            "time_per_token_seconds",
            "Mean time per completion token after the first, per turn",
            time_per_token.clone(),
        );
        let tool_calls = Family::<Labels, Counter>::default();
        registry.register(
            "tool_calls",
            "Tool calls by outcome (clean, repaired, failed) and the repair's kind or failure's reason",
            tool_calls.clone(),
        );
        let diagnostics = Family::<Labels, Counter>::default();
        registry.register(
            "parser_diagnostics",
            "Malformed output the parser tolerated, by kind (docs/design.md, tolerance policy)",
            diagnostics.clone(),
        );
        let upstream_errors = Family::<Labels, Counter>::default();
        registry.register(
            "upstream_errors",
            "Upstream failures by kind",
            upstream_errors.clone(),
        );
        Metrics {
            registry,
            requests,
            prompt_tokens,
            completion_tokens,
            ttft,
            time_per_token,
            tool_calls,
            diagnostics,
            upstream_errors,
        }
    }

    /// The registry in Prometheus' text format (OpenMetrics flavour, `# EOF` last).
    ///
    /// ```
    /// let m = harmony_server::Metrics::new();
    /// m.tokens(100, 7);
    /// assert!(m.encode().contains("harmony_prompt_tokens_total 100\n"));
    /// ```
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }

    /// One HTTP request answered.
    ///
    /// ```
    /// let m = harmony_server::Metrics::new();
    /// m.request("/v1/responses", "responses", 200);
    /// assert!(m.encode().contains(r#"harmony_requests_total{route="/v1/responses",protocol="responses",status="200"} 1"#));
    /// ```
    pub fn request(&self, route: &str, protocol: &str, status: u16) {
        self.requests
            .get_or_create(&vec![
                ("route", route.to_owned()),
                ("protocol", protocol.to_owned()),
                ("status", status.to_string()),
            ])
            .inc();
    }

    /// A turn's token counts.
    ///
    /// ```
    /// let m = harmony_server::Metrics::new();
    /// m.tokens(10, 3);
    /// m.tokens(5, 2);
    /// assert!(m.encode().contains("harmony_completion_tokens_total 5\n"));
    /// ```
    pub fn tokens(&self, prompt: u64, completion: u64) {
        self.prompt_tokens.inc_by(prompt);
        self.completion_tokens.inc_by(completion);
    }

    /// A turn's latencies, in seconds.
    ///
    /// ```
    /// let m = harmony_server::Metrics::new();
    /// m.latency(Some(0.2), None);
    /// let text = m.encode();
    /// assert!(text.contains("harmony_time_to_first_token_seconds_count 1\n"));
    /// assert!(text.contains("harmony_time_per_token_seconds_count 0\n"));
    /// ```
    pub fn latency(&self, first_token: Option<f64>, per_token: Option<f64>) {
        if let Some(s) = first_token {
            self.ttft.observe(s);
        }
        if let Some(s) = per_token {
            self.time_per_token.observe(s);
        }
    }

    /// A tool call ended: `outcome` is `clean`, `repaired` or `failed`; `kind` the
    /// repair's kind or the failure's reason (empty when clean).
    ///
    /// ```
    /// let m = harmony_server::Metrics::new();
    /// m.tool_call("failed", "invalid_json");
    /// assert!(m.encode().contains(r#"harmony_tool_calls_total{outcome="failed",kind="invalid_json"} 1"#));
    /// ```
    pub fn tool_call(&self, outcome: &str, kind: &str) {
        self.tool_calls
            .get_or_create(&vec![
                ("outcome", outcome.to_owned()),
                ("kind", kind.to_owned()),
            ])
            .inc();
    }

    /// A parser diagnostic or a response repair, by kind.
    ///
    /// ```
    /// let m = harmony_server::Metrics::new();
    /// m.diagnostic("stray_stop");
    /// m.diagnostic("stray_stop");
    /// assert!(m.encode().contains(r#"harmony_parser_diagnostics_total{kind="stray_stop"} 2"#));
    /// ```
    pub fn diagnostic(&self, kind: &str) {
        self.diagnostics
            .get_or_create(&vec![("kind", kind.to_owned())])
            .inc();
    }

    /// An upstream failure, by kind.
    ///
    /// ```
    /// let m = harmony_server::Metrics::new();
    /// m.upstream_error("timeout");
    /// assert!(m.encode().contains(r#"harmony_upstream_errors_total{kind="timeout"} 1"#));
    /// ```
    pub fn upstream_error(&self, kind: &str) {
        self.upstream_errors
            .get_or_create(&vec![("kind", kind.to_owned())])
            .inc();
    }
}

/// The client protocol a path belongs to.
fn protocol_of(path: &str) -> &'static str {
    match path {
        "/v1/chat/completions" => "chat",
        "/v1/responses" => "responses",
        "/api/chat" => "ollama",
        p if p.starts_with("/api/") => "ollama_passthrough",
        p if p.starts_with("/v1/") => "openai",
        _ => "other",
    }
}

/// Middleware: counts every request by its route (the matched pattern, so that ids in
/// paths and unknown paths do not grow the label set), protocol and status.
pub(crate) async fn count_requests(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let route = matched.map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let protocol = protocol_of(req.uri().path());
    let response = next.run(req).await;
    state
        .monitor
        .metrics()
        .request(&route, protocol, response.status().as_u16());
    response
}

/// `GET /metrics`.
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.monitor.metrics().encode(),
    )
        .into_response()
}
