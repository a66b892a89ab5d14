//! The operator page: `/ui` (HTML, CSS and JavaScript embedded at compile time, no
//! build step), its Server-Sent Event streams (`/ui/events` for the list,
//! `/ui/turns/{id}/events` for one turn), and `/metrics`.
//!
//! Every page response carries a Content-Security-Policy that allows nothing but the
//! gateway's own files (no inline script, no other origin); the page itself writes model
//! output with `textContent` only.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::sync::broadcast;

use crate::monitor::{Target, Update};
use crate::state::AppState;

const INDEX: &str = include_str!("../ui/index.html");
const APP_JS: &str = include_str!("../ui/app.js");
const STYLE: &str = include_str!("../ui/style.css");

/// Nothing but this origin's files; no framing, no plugins, no form posts.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/// A keep-alive comment this often, so that proxies do not close an idle stream.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// The page's static files, the only `/ui` paths served without the API key: they are
/// the repository's own source and hold no data (the page and its streams need the key).
pub(crate) fn is_public_asset(path: &str) -> bool {
    path == "/ui/app.js" || path == "/ui/style.css"
}

/// The routes, merged into the gateway's router when the page is on.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/ui", get(index))
        .route("/ui/", get(index))
        .route("/ui/app.js", get(app_js))
        .route("/ui/style.css", get(style))
        .route("/ui/events", get(list_events))
        .route("/ui/turns/{id}/events", get(turn_events))
}

fn page(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn index() -> Response {
    page("text/html; charset=utf-8", INDEX)
}

async fn app_js() -> Response {
    page("text/javascript; charset=utf-8", APP_JS)
}

async fn style() -> Response {
    page("text/css; charset=utf-8", STYLE)
}

/// What a stream forwards and when it ends.
struct Feed {
    first: std::vec::IntoIter<String>,
    rx: broadcast::Receiver<Arc<Update>>,
    target: Target,
    state: AppState,
    /// A turn's stream closes after its end.
    closing: bool,
    closed: bool,
}

fn frame(json: &str) -> Bytes {
    let mut s = String::with_capacity(json.len() + 8);
    s.push_str("data: ");
    s.push_str(json);
    s.push_str("\n\n");
    Bytes::from(s)
}

impl Feed {
    async fn next(&mut self) -> Option<Bytes> {
        if self.closed {
            return None;
        }
        if let Some(json) = self.first.next() {
            return Some(frame(&json));
        }
        if self.closing {
            self.closed = true;
            return None;
        }
        loop {
            match tokio::time::timeout(KEEPALIVE, self.rx.recv()).await {
                Err(_) => return Some(Bytes::from_static(b": keep-alive\n\n")),
                Ok(Ok(update)) if update.target == self.target => {
                    if update.json.starts_with("{\"op\":\"end\"") {
                        self.closing = true;
                    }
                    return Some(frame(&update.json));
                }
                Ok(Ok(_)) => {}
                // Fell behind: start over from a fresh snapshot (the page replaces
                // what it has), so that nothing is lost or shown twice.
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => {
                    let fresh = match self.target {
                        Target::List => Some(self.state.monitor.watch_list()),
                        Target::Turn(id) => self
                            .state
                            .monitor
                            .watch_turn(id)
                            .map(|(s, _, rx)| (vec![s], rx)),
                    };
                    let (first, rx) = fresh?;
                    self.first = first.into_iter();
                    self.rx = rx;
                    if let Some(json) = self.first.next() {
                        return Some(frame(&json));
                    }
                }
                Ok(Err(broadcast::error::RecvError::Closed)) => return None,
            }
        }
    }
}

fn sse(feed: Feed) -> Response {
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        feed.next()
            .await
            .map(|b| (Ok::<Bytes, Infallible>(b), feed))
    });
    let mut r = Body::from_stream(stream).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `GET /ui/events`: the list (newest first) and the figures, then their changes.
async fn list_events(State(state): State<AppState>) -> Response {
    let (first, rx) = state.monitor.watch_list();
    sse(Feed {
        first: first.into_iter(),
        rx,
        target: Target::List,
        state,
        closing: false,
        closed: false,
    })
}

/// `GET /ui/turns/{id}/events`: what the turn has generated so far, then the rest as
/// it comes; a finished turn's stream ends after its snapshot.
async fn turn_events(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let found = id
        .parse::<u64>()
        .ok()
        .and_then(|id| state.monitor.watch_turn(id).map(|w| (id, w)));
    let Some((id, (snapshot, streaming, rx))) = found else {
        return (
            StatusCode::NOT_FOUND,
            "no such turn (finished turns are kept in memory only, the last N)",
        )
            .into_response();
    };
    sse(Feed {
        first: vec![snapshot].into_iter(),
        rx,
        target: Target::Turn(id),
        state,
        closing: !streaming,
        closed: false,
    })
}

/// The `key` parameter of a query string, percent-decoded (the page passes the API key
/// this way because `EventSource` cannot set headers).
///
/// ```text
/// query_key("a=1&key=s%20t") == Some(b"s t")
/// ```
pub(crate) fn query_key(query: &str) -> Option<Vec<u8>> {
    let value = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("key="))?;
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::query_key;

    #[test]
    fn key_is_found_and_decoded() {
        assert_eq!(query_key("a=1&key=s%20t%2B").as_deref(), Some(&b"s t+"[..]));
        assert_eq!(query_key("key=abc").as_deref(), Some(&b"abc"[..]));
        assert_eq!(query_key("key=%").as_deref(), Some(&b"%"[..]));
        assert_eq!(query_key("key=%4").as_deref(), Some(&b"%4"[..]));
        assert_eq!(query_key("nokey=1"), None);
    }
}
