//! Shared by the operator-page tests: the gateway against the fake Ollama on loopback,
//! and a small DevTools-protocol client for headless Chromium.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use harmony_ollama::testing::{FakeOllama, OllamaNdjson, Reply};
use harmony_server::{AppState, ServeConfig};
use serde_json::{json, Value};
use tokio::io::AsyncBufReadExt;
use tokio_tungstenite::tungstenite::Message;

/// `/api/show`'s answer: the gateway asks once per model for the context length.
pub fn show(context: u32) -> Reply {
    Reply::ndjson(json!({"model_info": {"gpt-oss.context_length": context}}).to_string())
}

/// A raw-mode completion streamed as these pieces, ended with `done_reason: stop`.
pub fn completion(pieces: &[&str]) -> Reply {
    let mut w = OllamaNdjson::new("gpt-oss:20b");
    for p in pieces {
        w.response(p);
    }
    w.generate_done("stop");
    Reply::ndjson(w.finish())
}

/// The gateway (with `config`'s upstream set to the fake) on 127.0.0.1:0; its base URL
/// and state.
pub async fn gateway(upstream: &FakeOllama, mut config: ServeConfig) -> (String, AppState) {
    config.upstream = upstream.url();
    let state = AppState::new(config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(harmony_server::serve_on(listener, state.clone()));
    (format!("http://{addr}"), state)
}

pub fn weather_tool() -> Value {
    json!([{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])
}

/// A Chat Completions request; the answer's body.
pub async fn chat(base: &str, body: Value) -> (u16, String) {
    let resp = reqwest::Client::new()
        .post(format!("{base}/v1/chat/completions"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// Chromium's binary, or `None` (the caller skips, unless `CI` is set: then missing
/// Chromium is a failure).
pub fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            ["chromium", "chromium-browser", "google-chrome"]
                .iter()
                .filter_map(|name| {
                    std::env::var_os("PATH").and_then(|paths| {
                        std::env::split_paths(&paths)
                            .map(|d| d.join(name))
                            .find(|p| p.is_file())
                    })
                }),
        )
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but chromium is missing (apt-get install -y chromium)"
        );
        eprintln!("skipped: chromium is not installed (apt-get install -y chromium)");
    }
    found
}

/// Headless Chromium and a DevTools connection to its page.
pub struct Browser {
    child: Child,
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next: u64,
    _profile: TempDir,
}

/// A directory removed on drop (the browser's profile).
pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    /// Starts Chromium headless with a fresh profile, `width` x `height`.
    pub async fn start(binary: &PathBuf, width: u32, height: u32) -> Browser {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let profile = std::env::temp_dir().join(format!(
            "harmony-ui-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        // A loaded machine (or a browser update mid-run) can make a start fail:
        // three tries, then the last one's output.
        let mut last = String::new();
        let mut started = None;
        for _ in 0..3 {
            let mut child = Command::new(binary)
                .args([
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--disable-extensions",
                    "--remote-debugging-port=0",
                    "--remote-allow-origins=*",
                    &format!("--window-size={width},{height}"),
                    &format!("--user-data-dir={}", profile.display()),
                    "about:blank",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start chromium");
            let stderr = child.stderr.take().unwrap();
            let stderr = tokio::process::ChildStderr::from_std(stderr).unwrap();
            let mut lines = tokio::io::BufReader::new(stderr).lines();
            let found = tokio::time::timeout(Duration::from_secs(30), async {
                let mut seen = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(url) = line.strip_prefix("DevTools listening on ") {
                        return Ok(url.trim().to_owned());
                    }
                    seen.push_str(&line);
                    seen.push('\n');
                }
                Err(seen)
            })
            .await
            .unwrap_or_else(|_| Err("no DevTools address within 30 s".to_owned()));
            match found {
                Ok(url) => {
                    started = Some((child, lines, url));
                    break;
                }
                Err(seen) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    last = seen;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        let Some((child, mut lines, browser_ws)) = started else {
            panic!("chromium did not start (3 tries); last output:\n{last}");
        };
        // Keep draining stderr so that Chromium never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let port = browser_ws
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let list: Vec<Value> = reqwest::get(format!("http://{port}/json/list"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let page = list
            .iter()
            .find(|t| t["type"] == "page")
            .expect("a page target");
        let url = page["webSocketDebuggerUrl"].as_str().unwrap();
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut b = Browser {
            child,
            ws,
            next: 0,
            _profile: TempDir(profile),
        };
        b.call("Page.enable", json!({})).await;
        b
    }

    /// One DevTools command; its result (events in between are skipped).
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws.send(Message::text(msg)).await.unwrap();
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(30), self.ws.next())
                .await
                .expect("DevTools answer within 30 s")
                .expect("DevTools connection open")
                .unwrap();
            let Message::Text(text) = msg else { continue };
            let v: Value = serde_json::from_str(text.as_str()).unwrap();
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    pub async fn goto(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url})).await;
    }

    /// The value of a JavaScript expression in the page.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            )
            .await;
        r["result"]["value"].clone()
    }

    /// Waits until `expression` is true in the page; fails after `secs`, showing
    /// `show` (an expression describing what the page has).
    pub async fn wait_for(&mut self, expression: &str, secs: u64) {
        let until = Instant::now() + Duration::from_secs(secs);
        loop {
            if self.eval(&format!("!!({expression})")).await == json!(true) {
                return;
            }
            if Instant::now() > until {
                let body = self
                    .eval("document.body ? document.body.innerText : '(no body)'")
                    .await;
                panic!("timed out waiting for `{expression}`; the page shows:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The text of the first element matching `selector` (`null` when none).
    pub async fn text(&mut self, selector: &str) -> Value {
        self.eval(&format!(
            "(() => {{ const e = document.querySelector({}); return e ? e.textContent : null; }})()",
            json!(selector)
        ))
        .await
    }

    /// A PNG of the page as it is.
    pub async fn screenshot(&mut self) -> Vec<u8> {
        let r = self
            .call("Page.captureScreenshot", json!({"format": "png"}))
            .await;
        base64_decode(r["data"].as_str().unwrap())
    }
}

/// Standard base64, as DevTools sends screenshots.
fn base64_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
