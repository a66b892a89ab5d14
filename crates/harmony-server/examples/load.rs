//! The gateway under load, over loopback (docs/benchmarks.md, "Gateway"): the fake
//! Ollama with its scripted model, the gateway in front of it, and N concurrent
//! streamed requests (default 256), half Chat Completions and half Responses.
//!
//! - **None lost or mixed**: each request's user message carries its own number, the
//!   scripted model's answer quotes it, and every answer must be exactly its own.
//! - **Added latency per chunk**: the same N requests are first sent straight to the
//!   fake's raw `/api/generate` (the baseline), then through the gateway; the k-th text
//!   piece of request i arrives at `direct[i][k]` and `gateway[i][k]` after its request
//!   was sent, and `gateway - direct` over every piece gives p50 and p99.
//! - **Memory per open stream**: VmRSS (`/proc/self/status`) with N streams held open
//!   (all have their first chunk), minus VmRSS before, divided by N; for the gateway and
//!   for the direct baseline (the fake and the client are in this process too), and
//!   their difference, the gateway's own share.
//!
//! `cargo run --release -p harmony-server --example load [-- N]`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use harmony_ollama::testing::FakeOllama;
use harmony_ollama::NdjsonDecoder;
use harmony_server::SseDecoder;
use serde_json::{json, Value};
use tokio::sync::Notify;

// The integration tests' helpers: the gateway in-process on an ephemeral port.
#[path = "../tests/support/mod.rs"]
mod support;

use support::MODEL;

/// Tracks the live heap bytes, for the heap held per open stream (VmRSS also counts
/// what the allocator keeps after a free).
struct Tracking;

static LIVE: AtomicI64 = AtomicI64::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts bytes.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Tracking = Tracking;

/// The user message of request `i`; the scripted model answers `You said: <it>`.
fn message(i: usize) -> String {
    format!("request {i:04} asks about the weather in Paris tomorrow morning, please")
}

/// What one streamed request saw: its visible text (reasoning and answer apart) and
/// when each text piece arrived, after the request was sent.
#[derive(Debug, Default)]
struct Seen {
    reasoning: String,
    answer: String,
    pieces: Vec<Duration>,
}

/// Signals when a stream got its first piece (the memory phases hold streams open).
#[derive(Clone)]
struct FirstPiece {
    count: Arc<AtomicUsize>,
    notify: Arc<Notify>,
}

impl FirstPiece {
    fn new() -> Self {
        FirstPiece {
            count: Arc::default(),
            notify: Arc::default(),
        }
    }
    fn hit(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.notify.notify_waiters();
    }
    async fn wait(&self, n: usize) {
        while self.count.load(Ordering::SeqCst) < n {
            let _ = tokio::time::timeout(Duration::from_millis(20), self.notify.notified()).await;
        }
    }
}

/// Straight to the fake: raw `/api/generate`, the prompt the gateway would send for
/// a one-message conversation (the scripted model only reads its last message).
async fn direct(client: reqwest::Client, base: String, i: usize, first: FirstPiece) -> Seen {
    let prompt = format!(
        "<|start|>user<|message|>{}<|end|><|start|>assistant",
        message(i)
    );
    let sent = Instant::now();
    let resp = client
        .post(format!("{base}/api/generate"))
        .json(&json!({"model": MODEL, "prompt": prompt, "raw": true, "stream": true}))
        .send()
        .await
        .expect("the fake answers");
    assert_eq!(resp.status(), 200);
    let mut body = resp.bytes_stream();
    let mut decoder = NdjsonDecoder::new();
    let mut seen = Seen::default();
    // Which message the raw text is in: after `<|message|>`, text until the next marker.
    let (mut channel, mut in_text, mut after_channel) = (String::new(), false, false);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.expect("body");
        let at = sent.elapsed();
        let mut lines = decoder.feed(&chunk);
        while let Some(line) = lines.next_generate() {
            let line = line.expect("valid line");
            let text: &str = &line.response;
            if text.starts_with("<|") {
                in_text = text == "<|message|>";
                after_channel = text == "<|channel|>";
                continue;
            }
            if after_channel {
                channel = text.to_owned();
                after_channel = false;
                continue;
            }
            if in_text && !text.is_empty() {
                if seen.pieces.is_empty() {
                    first.hit();
                }
                seen.pieces.push(at);
                if channel == "analysis" {
                    seen.reasoning.push_str(text);
                } else {
                    seen.answer.push_str(text);
                }
            }
        }
    }
    seen
}

/// Through the gateway: request `i` on Chat Completions (even) or Responses (odd).
async fn gateway(client: reqwest::Client, base: String, i: usize, first: FirstPiece) -> Seen {
    let chat = i % 2 == 0;
    let (path, body) = if chat {
        (
            "/v1/chat/completions",
            json!({"model": MODEL, "stream": true,
                   "messages": [{"role": "user", "content": message(i)}]}),
        )
    } else {
        (
            "/v1/responses",
            json!({"model": MODEL, "stream": true, "input": message(i)}),
        )
    };
    let sent = Instant::now();
    let resp = client
        .post(format!("{base}{path}"))
        .json(&body)
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(resp.status(), 200, "request {i}");
    let mut stream = resp.bytes_stream();
    let mut decoder = SseDecoder::new();
    let mut seen = Seen::default();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("body");
        let at = sent.elapsed();
        decoder.feed(&chunk);
        while let Some(data) = decoder.next_data() {
            if data == "[DONE]" {
                continue;
            }
            let v: Value = serde_json::from_str(&data).expect("SSE data is JSON");
            let (reasoning, answer) = if chat {
                let d = &v["choices"][0]["delta"];
                (
                    d["reasoning_content"].as_str().map(str::to_owned),
                    d["content"].as_str().map(str::to_owned),
                )
            } else {
                let delta = v["delta"].as_str().map(str::to_owned);
                match v["type"].as_str() {
                    Some("response.reasoning_text.delta") => (delta, None),
                    Some("response.output_text.delta") => (None, delta),
                    _ => (None, None),
                }
            };
            let piece = reasoning.is_some_and(|t| {
                seen.reasoning.push_str(&t);
                !t.is_empty()
            }) | answer.is_some_and(|t| {
                seen.answer.push_str(&t);
                !t.is_empty()
            });
            if piece {
                if seen.pieces.is_empty() {
                    first.hit();
                }
                seen.pieces.push(at);
            }
        }
    }
    seen
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time this process used so far (user + system), in ms; `/proc/self/stat`
/// counts in clock ticks, 100 per second on Linux.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) end with `)`.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after `)`.
    (tick(11) + tick(12)) * 10.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// Runs `n` requests of `kind` at once; returns what each saw, in request order.
async fn all<F, Fut>(n: usize, first: &FirstPiece, run: F) -> Vec<Seen>
where
    F: Fn(usize, FirstPiece) -> Fut,
    Fut: std::future::Future<Output = Seen> + Send + 'static,
{
    let tasks: Vec<_> = (0..n)
        .map(|i| tokio::spawn(run(i, first.clone())))
        .collect();
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.expect("request task"));
    }
    out
}

/// Memory per open stream, in bytes: VmRSS and live heap with `n` streams open (each
/// has its first piece) minus before, per stream.
async fn memory<F, Fut>(n: usize, run: F) -> (f64, f64)
where
    F: Fn(usize, FirstPiece) -> Fut,
    Fut: std::future::Future<Output = Seen> + Send + 'static,
{
    let first = FirstPiece::new();
    let (rss, heap) = (rss_kib(), LIVE.load(Ordering::Relaxed));
    let tasks: Vec<_> = (0..n)
        .map(|i| tokio::spawn(run(i, first.clone())))
        .collect();
    first.wait(n).await;
    let (rss_open, heap_open) = (rss_kib(), LIVE.load(Ordering::Relaxed));
    for t in tasks {
        t.await.expect("request task");
    }
    (
        (rss_open.saturating_sub(rss) * 1024) as f64 / n as f64,
        (heap_open - heap) as f64 / n as f64,
    )
}

/// A keep-alive fake Ollama with the scripted model, `delay` between its lines.
async fn fake_with_delay(delay: Duration) -> FakeOllama {
    FakeOllama::builder()
        .models([MODEL])
        .line_delay(delay)
        .lifetime(Duration::from_secs(600))
        .start()
        .await
        .expect("fake Ollama")
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(256);
    // 10 ms between upstream lines: a 100 token/s model.
    let fake = fake_with_delay(Duration::from_millis(10)).await;
    let base = support::gateway_with(&fake.url(), |_| {}).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(n)
        .build()
        .expect("client");
    let up = fake.url();
    let nobody = FirstPiece::new();

    // Warm-up, n wide: connection pools on both hops, the context-length lookup,
    // lazy tables; what is measured next is streaming, not connection set-up.
    let c = client.clone();
    let (b, u) = (base.clone(), up.clone());
    all(n, &nobody, move |i, f| gateway(c.clone(), b.clone(), i, f)).await;
    let c = client.clone();
    all(n, &nobody, move |i, f| direct(c.clone(), u.clone(), i, f)).await;

    // Memory, with streams held open: a slow upstream (200 ms per line).
    let slow = fake_with_delay(Duration::from_millis(200)).await;
    let slow_base = support::gateway_with(&slow.url(), |_| {}).await;
    let c = client.clone();
    let sb = slow_base.clone();
    all(4, &nobody, move |i, f| gateway(c.clone(), sb.clone(), i, f)).await;
    let c = client.clone();
    let sb = slow_base.clone();
    let mem_gateway = memory(n, move |i, f| gateway(c.clone(), sb.clone(), i, f)).await;
    let c = client.clone();
    let su = slow.url();
    let mem_direct = memory(n, move |i, f| direct(c.clone(), su.clone(), i, f)).await;

    // Latency: the baseline, then the gateway, n at once each.
    let c = client.clone();
    let u = up.clone();
    let started = Instant::now();
    let cpu_before_direct = cpu_ms();
    let direct_seen = all(n, &nobody, move |i, f| direct(c.clone(), u.clone(), i, f)).await;
    let direct_wall = started.elapsed();
    let direct_cpu = cpu_ms() - cpu_before_direct;
    let c = client.clone();
    let b = base.clone();
    let started = Instant::now();
    let gateway_seen = all(n, &nobody, move |i, f| gateway(c.clone(), b.clone(), i, f)).await;
    let gateway_wall = started.elapsed();
    let gateway_cpu = cpu_ms() - cpu_before_direct - direct_cpu;

    // None lost or mixed: every answer is its own request's, whole.
    let mut added = Vec::new();
    let mut ttft = Vec::new();
    // After the first piece: what each later piece adds beyond what the first did.
    let mut steady = Vec::new();
    for (i, (d, g)) in direct_seen.iter().zip(&gateway_seen).enumerate() {
        let want = format!("You said: {}", message(i));
        assert_eq!(g.answer, want, "gateway request {i}");
        assert_eq!(d.answer, want, "direct request {i}");
        assert_eq!(g.reasoning, d.reasoning, "request {i}");
        assert_eq!(g.pieces.len(), d.pieces.len(), "request {i}: pieces");
        for (k, (dt, gt)) in d.pieces.iter().zip(&g.pieces).enumerate() {
            let ms = (gt.as_secs_f64() - dt.as_secs_f64()) * 1e3;
            if k == 0 {
                ttft.push(ms);
            } else {
                let (d0, g0) = (d.pieces[0], g.pieces[0]);
                let rel = ((*gt - g0).as_secs_f64() - (*dt - d0).as_secs_f64()) * 1e3;
                steady.push(rel);
            }
            added.push(ms);
        }
    }
    added.sort_by(f64::total_cmp);
    ttft.sort_by(f64::total_cmp);
    steady.sort_by(f64::total_cmp);
    let pieces_per = gateway_seen[0].pieces.len();
    println!("requests: {n} concurrent, half chat completions, half responses, streamed");
    println!("checked: {n} answers, each exactly its own request's ({pieces_per} text pieces each), none lost or mixed");
    println!(
        "wall time: direct {:.0} ms, gateway {:.0} ms (10 ms per upstream line)",
        direct_wall.as_secs_f64() * 1e3,
        gateway_wall.as_secs_f64() * 1e3
    );
    let pieces = (n * pieces_per) as f64;
    println!(
        "CPU (the whole process: fake, gateway, clients): direct {direct_cpu:.0} ms, gateway {gateway_cpu:.0} ms; the gateway's share {:.1} us per text piece",
        (gateway_cpu - direct_cpu) * 1e3 / pieces
    );
    println!(
        "added latency per chunk (gateway - direct, {} pieces): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        added.len(),
        percentile(&added, 0.5),
        percentile(&added, 0.99),
        added.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "added latency of the first piece: p50 {:.2} ms, p99 {:.2} ms",
        percentile(&ttft, 0.5),
        percentile(&ttft, 0.99)
    );
    println!(
        "added latency per later piece, relative to the first (the first's offset removed): p50 {:.2} ms, p99 {:.2} ms",
        percentile(&steady, 0.5),
        percentile(&steady, 0.99)
    );
    for (what, g, d) in [
        ("VmRSS", mem_gateway.0, mem_direct.0),
        ("live heap", mem_gateway.1, mem_direct.1),
    ] {
        println!(
            "memory per open stream ({what} delta / {n}): through the gateway {:.1} KiB, direct {:.1} KiB, the gateway's share {:.1} KiB",
            g / 1024.0,
            d / 1024.0,
            (g - d) / 1024.0
        );
    }
}
