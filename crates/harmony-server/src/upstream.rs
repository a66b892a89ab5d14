//! Where completions come from: Ollama in raw mode, or any server with an OpenAI-style
//! `/v1/completions` endpoint that streams the harmony text with its special tokens
//! (vLLM and SGLang with `skip_special_tokens: false`, llama.cpp's server).
//!
//! Both give the same thing to the rest of the gateway: a stream of
//! [`GenerateEvent`]s (raw-text fragments, then `done`), which the mode engine parses.

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use harmony_ollama::{Done, Error as OllamaError, GenerateEvent, GenerateRequest, Options};
use serde_json::Value;

use crate::error::GatewayError;
use crate::sse::SseDecoder;

/// Which protocol the upstream speaks.
///
/// ```
/// use harmony_server::UpstreamKind;
/// assert_eq!("openai-completions".parse::<UpstreamKind>().unwrap(), UpstreamKind::OpenAiCompletions);
/// assert!("grpc".parse::<UpstreamKind>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpstreamKind {
    /// Ollama: raw `/api/generate`, `/api/show` for context lengths, the other `/api/*`
    /// routes passed through.
    #[default]
    Ollama,
    /// An OpenAI-style `/v1/completions` server fed the rendered prompt text.
    OpenAiCompletions,
}

impl std::str::FromStr for UpstreamKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ollama" => Ok(UpstreamKind::Ollama),
            "openai-completions" => Ok(UpstreamKind::OpenAiCompletions),
            other => Err(format!(
                "unknown upstream kind {other:?}; allowed: ollama, openai-completions"
            )),
        }
    }
}

/// One completion the gateway asks for: the whole prompt, prefill included.
#[derive(Debug, Clone, Default)]
pub struct CompletionRequest {
    /// The model name, as the client gave it.
    pub model: String,
    /// The rendered prompt text.
    pub prompt: String,
    /// Sampling and budget options (`num_ctx`, `num_predict`, temperature, ...).
    pub options: Options,
}

/// The events of one upstream completion.
pub type UpstreamEvents = Pin<Box<dyn Stream<Item = Result<GenerateEvent, OllamaError>> + Send>>;

/// A configured upstream.
#[derive(Debug, Clone)]
pub struct Upstream {
    kind: UpstreamKind,
    base: String,
    http: reqwest::Client,
    ollama: harmony_ollama::OllamaClient,
}

impl Upstream {
    /// An upstream at `base` (`http://127.0.0.1:11434`), with the connect timeout and
    /// the idle timeout between two pieces of a stream.
    ///
    /// # Errors
    /// The address is not an http(s) URL.
    ///
    /// ```
    /// use harmony_server::{Upstream, UpstreamKind};
    /// let up = Upstream::new(UpstreamKind::Ollama, "http://127.0.0.1:11434", Default::default()).unwrap();
    /// assert_eq!(up.base(), "http://127.0.0.1:11434");
    /// ```
    pub fn new(
        kind: UpstreamKind,
        base: &str,
        timeouts: crate::Timeouts,
    ) -> Result<Self, GatewayError> {
        let base = harmony_ollama::normalize_host(base)
            .map_err(|e| GatewayError::Config(e.to_string()))?;
        let http = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .build()
            .map_err(|e| GatewayError::Config(e.to_string()))?;
        let ollama = harmony_ollama::OllamaClient::builder()
            .host(base.clone())
            .mode(harmony_ollama::ChatMode::Harmony)
            .connect_timeout(Some(timeouts.connect))
            .headers_timeout(Some(timeouts.first_token))
            .idle_timeout(Some(timeouts.idle))
            .build()
            .map_err(|e| GatewayError::Config(e.to_string()))?;
        Ok(Upstream {
            kind,
            base,
            http,
            ollama,
        })
    }

    /// The upstream's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The protocol it speaks.
    pub fn kind(&self) -> UpstreamKind {
        self.kind
    }

    /// The HTTP client used for pass-through routes.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Starts a completion; returns once the upstream answered with a stream.
    ///
    /// # Errors
    /// The upstream is unreachable (502), does not know the model (404), or answered
    /// with an error status.
    pub async fn complete(&self, req: &CompletionRequest) -> Result<UpstreamEvents, GatewayError> {
        match self.kind {
            UpstreamKind::Ollama => {
                let request = GenerateRequest::new(req.model.clone(), req.prompt.clone())
                    .options(req.options.clone());
                let stream = self
                    .ollama
                    .generate_raw(&request)
                    .await
                    .map_err(|e| GatewayError::from_upstream(e, &self.base, &req.model))?;
                Ok(Box::pin(stream))
            }
            UpstreamKind::OpenAiCompletions => self.complete_openai(req).await,
        }
    }

    async fn complete_openai(
        &self,
        req: &CompletionRequest,
    ) -> Result<UpstreamEvents, GatewayError> {
        let mut body = serde_json::json!({
            "model": req.model,
            "prompt": req.prompt,
            "stream": true,
            "skip_special_tokens": false,
            "spaces_between_special_tokens": false,
        });
        let o = &req.options;
        if let Some(n) = o.num_predict.filter(|n| *n > 0) {
            body["max_tokens"] = n.into();
        }
        if let Some(t) = o.temperature {
            body["temperature"] = t.into();
        }
        if let Some(p) = o.top_p {
            body["top_p"] = p.into();
        }
        if let Some(s) = o.seed {
            body["seed"] = s.into();
        }
        if let Some(stop) = &o.stop {
            body["stop"] = stop.clone().into();
        }
        let url = format!("{}/v1/completions", self.base);
        let resp = self.http.post(&url).json(&body).send().await.map_err(|e| {
            GatewayError::Unreachable {
                upstream: self.base.clone(),
                detail: error_chain(&e),
            }
        })?;
        let status = resp.status();
        if !status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| {
                    v.pointer("/error/message")
                        .or_else(|| v.get("error"))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or(text);
            return Err(if status.as_u16() == 404 {
                GatewayError::ModelNotFound(req.model.clone())
            } else {
                GatewayError::UpstreamStatus {
                    status: status.as_u16(),
                    message,
                }
            });
        }
        let model = req.model.clone();
        let bytes = resp.bytes_stream();
        Ok(Box::pin(completions_events(bytes, model)))
    }

    /// The model's context length, from Ollama's `/api/show` (`None` when the upstream
    /// does not say).
    pub async fn context_length(&self, model: &str) -> Option<u32> {
        if self.kind != UpstreamKind::Ollama {
            return None;
        }
        let url = format!("{}/api/show", self.base);
        let resp = self
            .http
            .post(url)
            .json(&serde_json::json!({ "model": model }))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .ok()?;
        let v: Value = resp.json().await.ok()?;
        let info = v.get("model_info")?.as_object()?;
        info.iter()
            .find(|(k, _)| k.ends_with(".context_length"))
            .and_then(|(_, v)| v.as_u64())
            .and_then(|n| u32::try_from(n).ok())
    }

    /// The names of the upstream's models.
    ///
    /// # Errors
    /// The upstream is unreachable or answered with an error.
    pub async fn models(&self) -> Result<Vec<String>, GatewayError> {
        let (path, pointer, key) = match self.kind {
            UpstreamKind::Ollama => ("/api/tags", "/models", "name"),
            UpstreamKind::OpenAiCompletions => ("/v1/models", "/data", "id"),
        };
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| GatewayError::Unreachable {
                upstream: self.base.clone(),
                detail: error_chain(&e),
            })?;
        let v: Value = resp
            .json()
            .await
            .map_err(|e| GatewayError::UpstreamStatus {
                status: 502,
                message: format!("the upstream's model list is not JSON: {e}"),
            })?;
        Ok(v.pointer(pointer)
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|m| m.get(key).and_then(Value::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// An error and its causes, joined: reqwest's own message rarely says what failed.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

/// `/v1/completions` SSE bytes -> raw-text events.
fn completions_events<S>(
    bytes: S,
    model: String,
) -> impl Stream<Item = Result<GenerateEvent, OllamaError>> + Send
where
    S: Stream<Item = reqwest::Result<Bytes>> + Send + 'static,
{
    struct State<S> {
        bytes: Pin<Box<S>>,
        decoder: SseDecoder,
        model: String,
        /// The `done` a chunk carried after its text, given out next.
        done: Option<Done>,
        ended: bool,
    }
    let state = State {
        bytes: Box::pin(bytes),
        decoder: SseDecoder::new(),
        model,
        done: None,
        ended: false,
    };
    futures_util::stream::unfold(state, |mut st| async move {
        if let Some(done) = st.done.take() {
            st.ended = true;
            return Some((Ok(GenerateEvent::Done(done)), st));
        }
        if st.ended {
            return None;
        }
        loop {
            if let Some(data) = st.decoder.next_data() {
                let chunk = completion_chunk(&data, &st.model);
                if let Some(message) = chunk.error {
                    st.ended = true;
                    let e = OllamaError::Stream {
                        message,
                        partial: Default::default(),
                    };
                    return Some((Err(e), st));
                }
                st.done = chunk.done;
                if !chunk.text.is_empty() {
                    return Some((Ok(GenerateEvent::Response(chunk.text.into())), st));
                }
                if let Some(done) = st.done.take() {
                    st.ended = true;
                    return Some((Ok(GenerateEvent::Done(done)), st));
                }
                continue;
            }
            match st.bytes.next().await {
                Some(Ok(bytes)) => st.decoder.feed(&bytes),
                Some(Err(source)) => {
                    st.ended = true;
                    let e = OllamaError::Disconnected {
                        source,
                        partial: Default::default(),
                    };
                    return Some((Err(e), st));
                }
                None => {
                    st.ended = true;
                    let e = OllamaError::Incomplete {
                        partial: Default::default(),
                    };
                    return Some((Err(e), st));
                }
            }
        }
    })
}

/// What one `data:` payload holds.
#[derive(Default)]
struct Chunk {
    text: String,
    done: Option<Done>,
    error: Option<String>,
}

/// One `data:` payload of a completions stream.
fn completion_chunk(data: &str, model: &str) -> Chunk {
    let done = |reason: &str| {
        let mut done = Done::default();
        done.model = model.to_owned();
        done.reason = harmony_ollama::DoneReason::from_wire(Some(reason));
        done
    };
    if data.trim() == "[DONE]" {
        return Chunk {
            done: Some(done("stop")),
            ..Chunk::default()
        };
    }
    let Ok(v) = serde_json::from_str::<Value>(data) else {
        return Chunk {
            error: Some(format!(
                "the upstream sent an event that is not JSON: {data}"
            )),
            ..Chunk::default()
        };
    };
    if let Some(e) = v.get("error") {
        let message = e
            .get("message")
            .and_then(Value::as_str)
            .or_else(|| e.as_str())
            .unwrap_or("upstream error");
        return Chunk {
            error: Some(message.to_owned()),
            ..Chunk::default()
        };
    }
    let choice = v.pointer("/choices/0");
    let text = choice
        .and_then(|c| c.get("text"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let finish = choice
        .and_then(|c| c.get("finish_reason"))
        .and_then(Value::as_str);
    let done = finish.map(|reason| {
        let mut d = done(reason);
        if let Some(u) = v.get("usage") {
            d.metrics.prompt_eval_count = u.get("prompt_tokens").and_then(Value::as_u64);
            d.metrics.eval_count = u.get("completion_tokens").and_then(Value::as_u64);
        }
        d
    });
    Chunk {
        text,
        done,
        error: None,
    }
}
