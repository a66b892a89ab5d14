//! What the gateway sees of each turn, for the operator: every request's events as they
//! stream. The routes never talk to it directly: [`Turn`](crate::turn) hands every
//! event of every turn to a [`Recorder`].
//!
//! Each turn is kept grouped (messages by channel, tool calls with their arguments,
//! diagnostics where they happened) while it runs and, once finished, among the last
//! `history` ones; nothing is written anywhere. Watchers (the operator page's event
//! streams) get a snapshot and then the turn's changes over one broadcast channel; the
//! snapshot is taken and the subscription made under the turn's lock, the same lock
//! every change is published under, so a page opened mid-stream misses nothing and sees
//! nothing twice.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use harmony_ollama::StreamEvent;
use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::metrics::Metrics;
use crate::turn::Protocol;

/// What is known of a turn when it starts.
#[derive(Debug, Clone, Default)]
pub struct TurnInfo {
    /// The client's protocol.
    pub protocol: Protocol,
    /// The model asked for.
    pub model: String,
    /// Tokens in the rendered prompt.
    pub prompt_tokens: u32,
    /// Tool results the request brought, as `(call id or tool name, content)`: the
    /// answers to the previous turn's calls.
    pub tool_results: Vec<(String, String)>,
}

/// Who a published change is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// The list of turns (summaries and the at-a-glance figures).
    List,
    /// One turn's view.
    Turn(u64),
}

/// One change, already encoded as the JSON the page reads.
#[derive(Debug)]
pub(crate) struct Update {
    pub target: Target,
    pub json: String,
}

/// One part of a turn, in the order it happened.
#[derive(Debug, Clone)]
enum Item {
    Message {
        channel: String,
        recipient: String,
        text: String,
    },
    Call {
        index: usize,
        id: String,
        name: String,
        args: String,
        done: bool,
        error: Option<String>,
        failure: Option<&'static str>,
        repairs: Vec<String>,
        result: Option<String>,
    },
    Diagnostic {
        kind: String,
        detail: String,
        call: Option<usize>,
    },
    Error {
        message: String,
    },
}

impl Item {
    fn to_json(&self) -> Value {
        match self {
            Item::Message {
                channel,
                recipient,
                text,
            } => {
                json!({"type": "message", "channel": channel, "recipient": recipient, "text": text})
            }
            Item::Call {
                index,
                id,
                name,
                args,
                done,
                error,
                repairs,
                result,
                ..
            } => json!({"type": "call", "index": index, "id": id, "name": name, "args": args,
                "done": done, "error": error, "repairs": repairs, "result": result}),
            Item::Diagnostic { kind, detail, call } => {
                json!({"type": "diagnostic", "kind": kind, "detail": detail, "call": call})
            }
            Item::Error { message } => json!({"type": "error", "message": message}),
        }
    }
}

/// One turn as the operator sees it.
#[derive(Debug)]
struct Record {
    id: u64,
    protocol: &'static str,
    model: String,
    started_ms: u64,
    started: Instant,
    first_token: Option<Instant>,
    duration_ms: Option<u64>,
    prompt_tokens: u32,
    completion_tokens: u64,
    /// Text and argument pieces seen, the count when the upstream reports none.
    pieces: u64,
    status: &'static str,
    repairs: u32,
    saw_done: bool,
    failed: bool,
    tool_results: Vec<(String, String)>,
    items: Vec<Item>,
    /// Parser diagnostics since the last message end: a tool call that follows was
    /// repaired by them (its header was malformed).
    pending: Vec<String>,
}

impl Record {
    fn summary(&self) -> Value {
        let calls = self
            .items
            .iter()
            .filter(|i| matches!(i, Item::Call { .. }))
            .count();
        let duration = self
            .duration_ms
            .unwrap_or_else(|| ms(self.started.elapsed()));
        json!({"id": self.id, "protocol": self.protocol, "model": self.model,
            "status": self.status, "started_ms": self.started_ms, "duration_ms": duration,
            "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
            "repairs": self.repairs, "calls": calls})
    }

    fn snapshot(&self) -> Value {
        let items: Vec<Value> = self.items.iter().map(Item::to_json).collect();
        let results: Vec<Value> = self
            .tool_results
            .iter()
            .map(|(name, content)| json!({"name": name, "content": content}))
            .collect();
        json!({"op": "snapshot", "summary": self.summary(), "items": items, "tool_results": results})
    }

    fn call_mut(&mut self, index: usize) -> Option<&mut Item> {
        self.items
            .iter_mut()
            .rev()
            .find(|i| matches!(i, Item::Call { index: n, .. } if *n == index))
    }

    fn open_call(&self) -> Option<usize> {
        self.items.iter().rev().find_map(|i| match i {
            Item::Call {
                index, done: false, ..
            } => Some(*index),
            _ => None,
        })
    }
}

fn ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, ms)
}

type Shared = Arc<Mutex<Record>>;

/// Seconds per bucket of the page's chart, and buckets kept (10 minutes).
const BUCKET_SECS: u64 = 10;
const BUCKETS: usize = 60;

/// Lifetime figures for the page's at-a-glance row.
#[derive(Debug, Default)]
struct Totals {
    turns: u64,
    calls_clean: u64,
    calls_repaired: u64,
    calls_failed: u64,
    repairs: u64,
    /// `(bucket start in unix seconds, turns, completion tokens, failed calls)`.
    buckets: VecDeque<(u64, u64, u64, u64)>,
}

#[derive(Debug, Default)]
struct Inner {
    live: Vec<Shared>,
    done: VecDeque<Shared>,
    totals: Totals,
}

/// Every turn through the gateway.
#[derive(Debug)]
pub struct Monitor {
    history: usize,
    next_id: AtomicU64,
    finished: AtomicU64,
    inner: Mutex<Inner>,
    tx: broadcast::Sender<Arc<Update>>,
    metrics: Metrics,
}

impl Default for Monitor {
    fn default() -> Self {
        Monitor::new(200)
    }
}

/// A poisoned lock only means a panic elsewhere mid-update; the data is still the
/// best there is, and the operator view must not take the gateway down.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Monitor {
    /// A monitor keeping the last `history` finished turns.
    ///
    /// ```
    /// let m = harmony_server::Monitor::new(100);
    /// assert_eq!(m.finished(), 0);
    /// ```
    pub fn new(history: usize) -> Self {
        // Watchers that fall this far behind get a fresh snapshot instead.
        let (tx, _) = broadcast::channel(4096);
        Monitor {
            history,
            next_id: AtomicU64::new(1),
            finished: AtomicU64::new(0),
            inner: Mutex::default(),
            tx,
            metrics: Metrics::new(),
        }
    }

    /// The gateway's Prometheus metrics.
    ///
    /// ```
    /// let m = harmony_server::Monitor::new(10);
    /// assert!(m.metrics().encode().contains("harmony_prompt_tokens_total 0\n"));
    /// ```
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// A turn starts: its recorder gets every event.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let m = Arc::new(harmony_server::Monitor::new(10));
    /// let r = m.begin(harmony_server::TurnInfo::default());
    /// assert_eq!(m.in_flight(), 1);
    /// drop(r);
    /// assert_eq!((m.in_flight(), m.finished()), (0, 1));
    /// ```
    pub fn begin(self: &Arc<Self>, info: TurnInfo) -> Recorder {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.attach_results(&info.tool_results);
        let record = Record {
            id,
            protocol: info.protocol.as_str(),
            model: info.model,
            started_ms: now_ms(),
            started: Instant::now(),
            first_token: None,
            duration_ms: None,
            prompt_tokens: info.prompt_tokens,
            completion_tokens: 0,
            pieces: 0,
            status: "streaming",
            repairs: 0,
            saw_done: false,
            failed: false,
            tool_results: info.tool_results,
            items: Vec::new(),
            pending: Vec::new(),
        };
        let summary = json!({"op": "turn", "summary": record.summary()});
        let shared = Arc::new(Mutex::new(record));
        {
            let mut inner = lock(&self.inner);
            inner.live.push(Arc::clone(&shared));
            self.publish(Target::List, || summary);
            // The in-flight figure changed.
            self.publish(Target::List, || self.stats(&inner));
        }
        Recorder {
            id,
            monitor: Arc::clone(self),
            record: shared,
        }
    }

    /// The next request brings the results of the previous turn's calls: shown on the
    /// newest finished turn whose call of that name (or id) has none yet.
    fn attach_results(&self, results: &[(String, String)]) {
        if results.is_empty() {
            return;
        }
        let inner = lock(&self.inner);
        for (name, content) in results {
            for shared in inner.done.iter().rev() {
                let mut rec = lock(shared);
                let turn = rec.id;
                let hit = rec.items.iter_mut().find_map(|i| match i {
                    Item::Call {
                        index,
                        id,
                        name: n,
                        result,
                        ..
                    } if result.is_none()
                        && (n == name
                            || id == name
                            || name.strip_prefix("functions.") == Some(n.as_str())) =>
                    {
                        *result = Some(content.clone());
                        Some(*index)
                    }
                    _ => None,
                });
                if let Some(index) = hit {
                    self.publish(
                        Target::Turn(turn),
                        || json!({"op": "result", "index": index, "content": content}),
                    );
                    // A finished turn's own stream is closed: a page showing it
                    // hears of the result on the list's stream.
                    self.publish(Target::List, || {
                        json!({"op": "result", "turn": turn, "index": index, "content": content})
                    });
                    break;
                }
            }
        }
    }

    /// Turns finished so far.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let m = Arc::new(harmony_server::Monitor::new(1));
    /// drop(m.begin(harmony_server::TurnInfo::default()));
    /// drop(m.begin(harmony_server::TurnInfo::default()));
    /// assert_eq!(m.finished(), 2); // counted, though only the last one is kept
    /// ```
    pub fn finished(&self) -> u64 {
        self.finished.load(Ordering::Relaxed)
    }

    /// Turns streaming now.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let m = Arc::new(harmony_server::Monitor::new(10));
    /// let (a, b) = (m.begin(Default::default()), m.begin(Default::default()));
    /// assert_eq!(m.in_flight(), 2);
    /// drop((a, b));
    /// assert_eq!(m.in_flight(), 0);
    /// ```
    pub fn in_flight(&self) -> usize {
        lock(&self.inner).live.len()
    }

    /// Sends a change to the watchers. `value` is only built when someone watches, so
    /// an unwatched gateway encodes nothing per token.
    fn publish(&self, target: Target, value: impl FnOnce() -> Value) {
        if self.tx.receiver_count() == 0 {
            return;
        }
        let _ = self.tx.send(Arc::new(Update {
            target,
            json: value().to_string(),
        }));
    }

    /// The list as the page first gets it (newest first: in flight, then finished),
    /// then the at-a-glance figures, and a subscription to what follows.
    pub(crate) fn watch_list(&self) -> (Vec<String>, broadcast::Receiver<Arc<Update>>) {
        let inner = lock(&self.inner);
        let turns: Vec<Value> = inner
            .live
            .iter()
            .rev()
            .chain(inner.done.iter().rev())
            .map(|s| lock(s).summary())
            .collect();
        let first = vec![
            json!({"op": "list", "turns": turns}).to_string(),
            self.stats(&inner).to_string(),
        ];
        (first, self.tx.subscribe())
    }

    /// One turn's snapshot and a subscription to its changes; `None` for an unknown
    /// (or forgotten) turn. The bool says whether it is still streaming.
    pub(crate) fn watch_turn(
        &self,
        id: u64,
    ) -> Option<(String, bool, broadcast::Receiver<Arc<Update>>)> {
        let shared = {
            let inner = lock(&self.inner);
            inner
                .live
                .iter()
                .chain(inner.done.iter())
                .find(|s| lock(s).id == id)
                .cloned()?
        };
        let rec = lock(&shared);
        Some((
            rec.snapshot().to_string(),
            rec.status == "streaming",
            self.tx.subscribe(),
        ))
    }

    fn stats(&self, inner: &Inner) -> Value {
        let mut durations: Vec<u64> = inner
            .done
            .iter()
            .filter_map(|s| lock(s).duration_ms)
            .collect();
        durations.sort_unstable();
        let pct = |p: f64| -> Option<u64> {
            if durations.is_empty() {
                return None;
            }
            // Nearest rank.
            let rank = (p * durations.len() as f64).ceil() as usize;
            durations.get(rank.clamp(1, durations.len()) - 1).copied()
        };
        let t = &inner.totals;
        let calls = t.calls_clean + t.calls_repaired + t.calls_failed;
        let buckets: Vec<Value> = t
            .buckets
            .iter()
            .map(|(at, turns, tokens, failed)| json!([at, turns, tokens, failed]))
            .collect();
        json!({"op": "stats", "turns": t.turns, "in_flight": inner.live.len(),
            "calls": calls, "calls_clean": t.calls_clean, "calls_repaired": t.calls_repaired,
            "calls_failed": t.calls_failed, "repairs": t.repairs,
            "p50_ms": pct(0.5), "p99_ms": pct(0.99), "bucket_secs": BUCKET_SECS,
            "buckets": buckets, "now_s": now_ms() / 1000})
    }

    /// A turn ended: metrics, totals, from live to finished, and the list told.
    fn end(&self, shared: &Shared) {
        let (summary, outcomes, completion) = {
            let mut rec = lock(shared);
            let elapsed = rec.started.elapsed();
            rec.duration_ms = Some(ms(elapsed));
            if rec.status == "streaming" {
                rec.status = if rec.failed {
                    "error"
                } else if rec.saw_done {
                    "done"
                } else {
                    // The client hung up (or the stream ended without Ollama's `done`).
                    "cancelled"
                };
            }
            if rec.completion_tokens == 0 {
                rec.completion_tokens = rec.pieces;
            }
            let ttft = rec
                .first_token
                .map(|t| t.duration_since(rec.started).as_secs_f64());
            let per_token = match (rec.first_token, rec.completion_tokens) {
                (Some(t), n) if n > 1 => Some(t.elapsed().as_secs_f64() / (n - 1) as f64),
                _ => None,
            };
            self.metrics.latency(ttft, per_token);
            self.metrics
                .tokens(u64::from(rec.prompt_tokens), rec.completion_tokens);
            let mut outcomes = Vec::new();
            for item in &rec.items {
                if let Item::Call {
                    failure, repairs, ..
                } = item
                {
                    let outcome = match (failure, repairs.first()) {
                        (Some(reason), _) => ("failed", (*reason).to_owned()),
                        (None, Some(kind)) => ("repaired", kind.clone()),
                        (None, None) => ("clean", String::new()),
                    };
                    self.metrics.tool_call(outcome.0, &outcome.1);
                    outcomes.push(outcome.0);
                }
            }
            let summary = json!({"op": "turn", "summary": rec.summary()});
            self.publish(
                Target::Turn(rec.id),
                || json!({"op": "end", "summary": rec.summary()}),
            );
            (summary, outcomes, rec.completion_tokens)
        };
        let mut inner = lock(&self.inner);
        inner.live.retain(|s| !Arc::ptr_eq(s, shared));
        inner.done.push_back(Arc::clone(shared));
        while inner.done.len() > self.history {
            inner.done.pop_front();
        }
        let repairs = u64::from(lock(shared).repairs);
        let t = &mut inner.totals;
        t.turns += 1;
        t.repairs += repairs;
        let mut failed = 0;
        for o in &outcomes {
            match *o {
                "clean" => t.calls_clean += 1,
                "repaired" => t.calls_repaired += 1,
                _ => {
                    t.calls_failed += 1;
                    failed += 1;
                }
            }
        }
        let at = now_ms() / 1000 / BUCKET_SECS * BUCKET_SECS;
        match t.buckets.back_mut() {
            Some(b) if b.0 == at => {
                b.1 += 1;
                b.2 += completion;
                b.3 += failed;
            }
            _ => t.buckets.push_back((at, 1, completion, failed)),
        }
        while t.buckets.len() > BUCKETS {
            t.buckets.pop_front();
        }
        self.finished.fetch_add(1, Ordering::Relaxed);
        self.publish(Target::List, || summary);
        self.publish(Target::List, || self.stats(&inner));
    }
}

/// Why a call's arguments failed, as a bounded label.
fn failure_reason(error: &harmony_tools::ArgsError) -> &'static str {
    match error {
        harmony_tools::ArgsError::Empty => "empty",
        harmony_tools::ArgsError::InvalidJson { .. } => "invalid_json",
        harmony_tools::ArgsError::Truncated { .. } => "truncated",
        harmony_tools::ArgsError::NotAnObject { .. } => "not_an_object",
        harmony_tools::ArgsError::Code => "code",
    }
}

/// The upstream failure's kind, as a bounded label.
fn error_kind(error: &harmony_ollama::Error) -> &'static str {
    use harmony_ollama::Error as E;
    match error {
        E::Config(_) => "config",
        E::Connect { .. } => "connect",
        E::ModelNotFound { .. } => "model_not_found",
        E::Status { .. } => "status",
        E::ToolCallParse { .. } => "tool_call_parse",
        E::Stream { .. } => "stream",
        E::Incomplete { .. } => "incomplete",
        E::Disconnected { .. } => "disconnected",
        E::Timeout { .. } => "timeout",
        E::Decode { .. } => "decode",
        _ => "other",
    }
}

/// One turn's events, on their way to the [`Monitor`]. Dropping it ends the turn.
#[derive(Debug)]
pub struct Recorder {
    id: u64,
    monitor: Arc<Monitor>,
    record: Shared,
}

impl Recorder {
    /// The turn's id (rising).
    ///
    /// ```
    /// use std::sync::Arc;
    /// let m = Arc::new(harmony_server::Monitor::new(10));
    /// let (a, b) = (m.begin(Default::default()), m.begin(Default::default()));
    /// assert!(b.id() > a.id());
    /// ```
    pub fn id(&self) -> u64 {
        self.id
    }

    /// An event of the turn, as the client gets it.
    ///
    /// Text is appended to the turn's open message (amortised growth, no allocation
    /// per token); a change is encoded only when a page is watching.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use harmony_ollama::{Channel, StreamEvent};
    /// let m = Arc::new(harmony_server::Monitor::new(10));
    /// let mut r = m.begin(harmony_server::TurnInfo::default());
    /// r.event(&StreamEvent::Delta { channel: Some(Channel::Final), text: "Hi".into() });
    /// drop(r);
    /// assert!(m.metrics().encode().contains("harmony_completion_tokens_total 1"));
    /// ```
    pub fn event(&mut self, event: &StreamEvent) {
        let monitor = &self.monitor;
        let mut rec = lock(&self.record);
        let turn = Target::Turn(rec.id);
        match event {
            StreamEvent::MessageStart(header) => {
                if header.is_tool_call() {
                    return;
                }
                let item = Item::Message {
                    channel: header.channel().unwrap_or("").to_owned(),
                    recipient: header.recipient().unwrap_or("").to_owned(),
                    text: String::new(),
                };
                monitor.publish(turn, || json!({"op": "item", "item": item.to_json()}));
                rec.items.push(item);
            }
            StreamEvent::Delta { channel, text } => {
                rec.first_token.get_or_insert_with(Instant::now);
                rec.pieces += 1;
                let name = channel.map_or("", |c| c.as_str());
                let appended = match rec.items.last_mut() {
                    Some(Item::Message {
                        channel, text: t, ..
                    }) if channel == name => {
                        t.push_str(text);
                        true
                    }
                    _ => false,
                };
                if !appended {
                    let item = Item::Message {
                        channel: name.to_owned(),
                        recipient: String::new(),
                        text: String::new(),
                    };
                    monitor.publish(turn, || json!({"op": "item", "item": item.to_json()}));
                    rec.items.push(Item::Message {
                        channel: name.to_owned(),
                        recipient: String::new(),
                        text: text.clone(),
                    });
                }
                monitor.publish(turn, || json!({"op": "text", "text": text}));
            }
            // Header diagnostics come before the message they concern: kept from
            // here until the next call starts (it was repaired) or a message ends.
            StreamEvent::MessageEnd(_) => rec.pending.clear(),
            StreamEvent::ToolCallStart(start) => {
                rec.first_token.get_or_insert_with(Instant::now);
                let repairs = std::mem::take(&mut rec.pending);
                let item = Item::Call {
                    index: start.index,
                    id: start.id.clone(),
                    name: start.name.clone(),
                    args: String::new(),
                    done: false,
                    error: None,
                    failure: None,
                    repairs,
                    result: None,
                };
                monitor.publish(turn, || json!({"op": "item", "item": item.to_json()}));
                rec.items.push(item);
            }
            StreamEvent::ToolCallArgs { index, delta } => {
                rec.first_token.get_or_insert_with(Instant::now);
                rec.pieces += 1;
                if let Some(Item::Call { args, .. }) = rec.call_mut(*index) {
                    args.push_str(delta);
                }
                monitor.publish(
                    turn,
                    || json!({"op": "args", "index": index, "text": delta}),
                );
            }
            StreamEvent::ToolCallEnd(end) => {
                if let Some(Item::Call {
                    done,
                    error,
                    failure,
                    args,
                    ..
                }) = rec.call_mut(end.index)
                {
                    *done = true;
                    *error = end.error.as_ref().map(ToString::to_string);
                    *failure = end.error.as_ref().map(failure_reason);
                    // The raw arguments as checked (they may differ from the streamed
                    // pieces when the engine salvaged them).
                    if !end.raw.is_empty() {
                        args.clone_from(&end.raw);
                    }
                }
                let error = end.error.as_ref().map(ToString::to_string);
                monitor.publish(
                    turn,
                    || json!({"op": "call_end", "index": end.index, "error": error, "raw": end.raw}),
                );
            }
            StreamEvent::Diagnostic(d) => {
                let kind = d.kind.as_str();
                monitor.metrics.diagnostic(kind);
                rec.repairs += 1;
                let call = rec.open_call();
                match call.and_then(|i| rec.call_mut(i)) {
                    Some(Item::Call { repairs, .. }) => repairs.push(kind.to_owned()),
                    _ => rec.pending.push(kind.to_owned()),
                }
                let item = Item::Diagnostic {
                    kind: kind.to_owned(),
                    detail: d.detail.clone(),
                    call,
                };
                monitor.publish(turn, || json!({"op": "item", "item": item.to_json()}));
                rec.items.push(item);
            }
            StreamEvent::ResponseDiagnostic(d) => {
                let kind = d.kind.as_str();
                monitor.metrics.diagnostic(kind);
                rec.repairs += 1;
                if let Some(Item::Call { repairs, .. }) = d.call.and_then(|i| rec.call_mut(i)) {
                    repairs.push(kind.to_owned());
                }
                let item = Item::Diagnostic {
                    kind: kind.to_owned(),
                    detail: d.message.clone(),
                    call: d.call,
                };
                monitor.publish(turn, || json!({"op": "item", "item": item.to_json()}));
                rec.items.push(item);
            }
            StreamEvent::Done(done) => {
                rec.saw_done = true;
                if let Some(n) = done.metrics.eval_count {
                    rec.completion_tokens = n;
                }
                if done.is_truncated() {
                    rec.status = "length";
                }
            }
            // Kinds of event added later are not shown until this view learns them.
            _ => {}
        }
    }

    /// The upstream failed mid-turn.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let m = Arc::new(harmony_server::Monitor::new(10));
    /// let mut r = m.begin(harmony_server::TurnInfo::default());
    /// r.upstream_error(&harmony_ollama::Error::Incomplete { partial: Default::default() });
    /// drop(r);
    /// assert!(m.metrics().encode().contains("harmony_upstream_errors_total{kind=\"incomplete\"} 1"));
    /// ```
    pub fn upstream_error(&mut self, error: &harmony_ollama::Error) {
        self.monitor.metrics.upstream_error(error_kind(error));
        let mut rec = lock(&self.record);
        rec.failed = true;
        let item = Item::Error {
            message: error.to_string(),
        };
        self.monitor.publish(
            Target::Turn(rec.id),
            || json!({"op": "item", "item": item.to_json()}),
        );
        rec.items.push(item);
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.monitor.end(&self.record);
    }
}
