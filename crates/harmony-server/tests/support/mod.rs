//! Shared by the integration tests that drive the gateway over loopback: a fake
//! upstream, the gateway in-process on an ephemeral port, and external clients run as
//! subprocesses.

#![allow(dead_code)] // each test file uses its own subset

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use harmony_ollama::testing::{FakeOllama, FakeOllamaBuilder};
use harmony_server::{AppState, ServeConfig};
use serde_json::Value;

/// The model the fake upstream has.
pub const MODEL: &str = "gpt-oss:20b";

/// A keep-alive fake Ollama with the scripted agent, alive long enough for a slow
/// client (Codex starts in a few seconds on a cold cache).
pub fn fake() -> FakeOllamaBuilder {
    FakeOllama::builder().lifetime(Duration::from_secs(180))
}

/// Starts the gateway on 127.0.0.1:0 in front of `upstream`, with `tune` applied to
/// the default settings; returns `http://127.0.0.1:PORT`.
pub async fn gateway_with(upstream: &str, tune: impl FnOnce(&mut ServeConfig)) -> String {
    let mut config = ServeConfig {
        upstream: upstream.to_owned(),
        ..ServeConfig::default()
    };
    tune(&mut config);
    let state = AppState::new(config).expect("gateway state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(harmony_server::serve_on(listener, state));
    format!("http://{addr}")
}

/// The gateway with its default settings in front of `upstream`.
pub async fn gateway(upstream: &FakeOllama) -> String {
    gateway_with(&upstream.url(), |_| {}).await
}

/// Whether this run must have every external client (CI sets `CI`).
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// Called when `client` is not installed: a failure under CI, else a skip that says
/// what to install. Returns so the caller can `return` from the test.
pub fn missing(client: &str, install: &str) {
    assert!(
        !in_ci(),
        "{client} is not installed, and CI is set: install it with `{install}` (.ci/run does)"
    );
    eprintln!(
        "SKIPPED: {client} is not installed (install it with `{install}`); CI would fail here"
    );
}

/// The folder of the client scripts.
pub fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Whether `python3` can import `module`.
pub async fn python_has(module: &str) -> bool {
    tokio::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

/// The result of a finished subprocess.
#[derive(Debug)]
pub struct Ran {
    /// Exit status code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

/// Runs `cmd` to completion, killed after `limit` (the test then fails with what it
/// printed so far).
pub async fn run(mut cmd: tokio::process::Command, limit: Duration) -> Ran {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().expect("spawn the client");
    match tokio::time::timeout(limit, child.wait_with_output()).await {
        Ok(Ok(out)) => Ran {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        },
        Ok(Err(e)) => panic!("waiting for the client failed: {e}"),
        Err(_) => panic!("the client ran longer than {limit:?}"),
    }
}

/// Runs `tests/clients/SCRIPT` with `args` and parses the JSON object it prints last.
pub async fn python_json(script: &str, args: &[&str]) -> Value {
    let mut cmd = tokio::process::Command::new("python3");
    cmd.arg(clients_dir().join(script)).args(args);
    let ran = run(cmd, Duration::from_secs(120)).await;
    assert_eq!(
        ran.code,
        Some(0),
        "{script} failed\nstdout: {}\nstderr: {}",
        ran.stdout,
        ran.stderr
    );
    let last = ran.stdout.lines().last().unwrap_or("");
    serde_json::from_str(last).unwrap_or_else(|e| {
        panic!(
            "{script} printed no JSON ({e})\nstdout: {}\nstderr: {}",
            ran.stdout, ran.stderr
        )
    })
}

/// The prompts of the `/api/generate` requests the fake received, in order.
pub fn prompts(upstream: &FakeOllama) -> Vec<String> {
    upstream
        .received()
        .iter()
        .filter(|r| r.path == "/api/generate")
        .filter_map(|r| r.prompt())
        .collect()
}

/// POSTs `body` as JSON; the status and the body text.
pub async fn post(url: &str, body: Value) -> (u16, String) {
    let resp = reqwest::Client::new()
        .post(url)
        .json(&body)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("the gateway answers");
    (resp.status().as_u16(), resp.text().await.expect("a body"))
}
