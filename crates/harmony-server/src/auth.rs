//! The API key check: `Authorization: Bearer KEY` (what the openai SDKs and Codex
//! send) or `x-api-key: KEY`, compared in constant time.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::GatewayError;
use crate::state::AppState;

/// Equal in time that depends only on the lengths, not on where the bytes differ.
///
/// ```
/// assert!(harmony_server::constant_time_eq(b"secret", b"secret"));
/// assert!(!harmony_server::constant_time_eq(b"secret", b"secreT"));
/// assert!(!harmony_server::constant_time_eq(b"secret", b"secret2"));
/// ```
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn presented(req: &Request) -> Option<&[u8]> {
    let headers = req.headers();
    if let Some(v) = headers.get(axum::http::header::AUTHORIZATION) {
        let v = v.as_bytes();
        let scheme = b"Bearer ";
        if v.len() > scheme.len() && v[..scheme.len()].eq_ignore_ascii_case(scheme) {
            return Some(&v[scheme.len()..]);
        }
    }
    headers.get("x-api-key").map(|v| v.as_bytes())
}

/// Middleware: every route answers 401 without the key, in its protocol's shape.
pub(crate) async fn require_key(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let Some(key) = state.config.api_key.as_deref() else {
        return next.run(req).await;
    };
    if presented(&req).is_some_and(|p| constant_time_eq(p, key.as_bytes())) {
        return next.run(req).await;
    }
    // The operator page: a browser cannot send a header on navigation or from
    // EventSource, so /ui paths also take `?key=`; its two static files hold no data.
    let path = req.uri().path();
    if path == "/ui" || path.starts_with("/ui/") {
        let from_query = req.uri().query().and_then(crate::ui::query_key);
        if crate::ui::is_public_asset(path)
            || from_query.is_some_and(|p| constant_time_eq(&p, key.as_bytes()))
        {
            return next.run(req).await;
        }
    }
    let err = GatewayError::Unauthorized;
    if req.uri().path().starts_with("/api/") {
        err.into_ollama()
    } else {
        err.into_openai().into_response()
    }
}
