//! The OpenAI side of the gateway: `POST /v1/chat/completions`, `POST /v1/responses`,
//! `GET /v1/models`. Requests are read and answers written by `harmony-openai`; this
//! module only moves bytes between it, the turn and the client.

use std::convert::Infallible;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use harmony_ollama::StreamEvent;
use harmony_openai::{
    ApiError, ChatCompletionBuilder, ChatEncoder, ChatEncoderOptions, ChatRequest, ConvertOptions,
    Prepared, ResponseBuilder, ResponsesEncoder, ResponsesOptions, ResponsesRequest,
};

use crate::error::GatewayError;
use crate::log::{RequestInfo, StreamLog};
use crate::sse::{SseFramer, StreamEncoder};
use crate::state::AppState;
use crate::turn::{Protocol, Turn, TurnSpec};

fn json_response(status: u16, body: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn api_error(e: &ApiError) -> Response {
    json_response(e.status, e.to_body())
}

fn sse_response<S>(body: S, model: &str, left_out: &[String]) -> Response
where
    S: futures_util::Stream<Item = Result<Bytes, Infallible>> + Send + 'static,
{
    let mut resp = Response::new(Body::from_stream(body));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    left_out_header(&mut resp, left_out);
    resp.extensions_mut().insert(RequestInfo {
        model: model.to_owned(),
    });
    resp
}

/// Tools the model cannot use here are left out of the prompt and named in
/// `x-harmony-tools-left-out`, never a failure.
fn left_out_header(resp: &mut Response, left_out: &[String]) {
    if left_out.is_empty() {
        return;
    }
    if let Ok(v) = HeaderValue::from_str(&left_out.join(", ")) {
        resp.headers_mut().insert("x-harmony-tools-left-out", v);
    }
}

/// The turn for a prepared request: the prefill (a forced tool call, a JSON answer)
/// follows the model's own reasoning (see `Turn::start`).
fn spec(protocol: Protocol, prepared: Prepared) -> TurnSpec {
    let s = &prepared.sampling;
    let mut options = harmony_ollama::Options::default();
    options.num_predict = s.max_tokens.and_then(|n| i32::try_from(n).ok());
    options.temperature = s.temperature.map(|t| t as f32);
    options.top_p = s.top_p.map(|t| t as f32);
    options.seed = s.seed;
    if !s.stop.is_empty() {
        options.stop = Some(s.stop.clone());
    }
    TurnSpec {
        protocol,
        model: prepared.model,
        prefill: prepared.prefill,
        conversation: prepared.conversation,
        prompt: prepared.prompt,
        tools: prepared.declared_tools,
        options,
    }
}

fn gateway_error(e: &GatewayError) -> ApiError {
    e.to_api_error()
}

/// `POST /v1/chat/completions`.
pub(crate) async fn chat(State(state): State<AppState>, body: Bytes) -> Response {
    let req = match ChatRequest::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return api_error(&ApiError::from(e)),
    };
    let prepared = match Prepared::from_chat(&req, &ConvertOptions::default()) {
        Ok(p) => p,
        Err(e) => return api_error(&ApiError::from(e)),
    };
    let left_out = prepared.left_out_tools.clone();
    let model = req.model.clone();
    let turn = match Turn::start(&state, spec(Protocol::Chat, prepared)).await {
        Ok(t) => t,
        Err(e) => return api_error(&gateway_error(&e)),
    };
    let mut options = ChatEncoderOptions::new(&model);
    options.reasoning_field = state.config.reasoning_field;
    options.include_usage = req.include_usage;
    options.prompt_tokens = u64::from(turn.prompt_tokens);
    let mut log = StreamLog::new(&state, "/v1/chat/completions", &model, turn.prompt_tokens);
    if !req.stream {
        let mut builder = ChatCompletionBuilder::new(options);
        let mut events = turn.events;
        while let Some(e) = events.next().await {
            match e {
                Ok(e) => {
                    log.observe(&e);
                    builder.event(&e);
                }
                Err(e) => {
                    log.outcome = "upstream_error";
                    // What was generated so far is kept in the answer.
                    builder.error(upstream_api_error(&state, e, &model));
                }
            }
        }
        let mut resp = match builder.failure() {
            Some(f) if builder.usage().completion_tokens == 0 => api_error(f),
            _ => json_response(
                200,
                serde_json::to_vec(&builder.finish()).unwrap_or_default(),
            ),
        };
        left_out_header(&mut resp, &left_out);
        resp.extensions_mut().insert(RequestInfo { model });
        return resp;
    }
    let body = sse_body(
        &state,
        turn,
        SseFramer::new(ChatEncoder::new(options)),
        log,
        &model,
    );
    sse_response(body, &model, &left_out)
}

fn upstream_api_error(state: &AppState, e: harmony_ollama::Error, model: &str) -> ApiError {
    GatewayError::from_upstream(e, state.upstream.base(), model).to_api_error()
}

/// `POST /v1/responses`.
pub(crate) async fn responses(State(state): State<AppState>, body: Bytes) -> Response {
    let req = match ResponsesRequest::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return api_error(&ApiError::from(e)),
    };
    let prepared = match Prepared::from_responses(&req, &ConvertOptions::default()) {
        Ok(p) => p,
        Err(e) => return api_error(&ApiError::from(e)),
    };
    let left_out = prepared.left_out_tools.clone();
    let model = req.model.clone();
    let mut options = ResponsesOptions::from_request(&req);
    let turn = match Turn::start(&state, spec(Protocol::Responses, prepared)).await {
        Ok(t) => t,
        Err(e) => return api_error(&gateway_error(&e)),
    };
    options.prompt_tokens = u64::from(turn.prompt_tokens);
    let mut log = StreamLog::new(&state, "/v1/responses", &model, turn.prompt_tokens);
    if !req.stream {
        let mut builder = ResponseBuilder::new(options);
        let mut events = turn.events;
        while let Some(e) = events.next().await {
            match e {
                Ok(e) => {
                    log.observe(&e);
                    builder.event(&e);
                }
                Err(e) => {
                    log.outcome = "upstream_error";
                    builder.error(&upstream_api_error(&state, e, &model));
                }
            }
        }
        let mut resp = json_response(
            200,
            serde_json::to_vec(&builder.finish()).unwrap_or_default(),
        );
        left_out_header(&mut resp, &left_out);
        resp.extensions_mut().insert(RequestInfo { model });
        return resp;
    }
    let body = sse_body(
        &state,
        turn,
        SseFramer::new(ResponsesEncoder::new(options)),
        log,
        &model,
    );
    sse_response(body, &model, &left_out)
}

/// The turn's events through the SSE framer, one body chunk per event (events this
/// protocol shows nothing of send nothing); an upstream failure becomes the protocol's
/// own mid-stream error.
fn sse_body<E: StreamEncoder>(
    state: &AppState,
    turn: Turn,
    mut sse: SseFramer<E>,
    mut log: StreamLog,
    model: &str,
) -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    let upstream = state.upstream.base().to_owned();
    let model = model.to_owned();
    let head = sse.start();
    let events = turn.events.filter_map(move |e| {
        let chunk = match e {
            Ok(e) => {
                log.observe(&e);
                sse.event(&e)
            }
            Err(e) => {
                log.outcome = "upstream_error";
                let err = GatewayError::from_upstream(e, &upstream, &model).to_api_error();
                sse.error(&err)
            }
        };
        std::future::ready((!chunk.is_empty()).then_some(Ok(chunk)))
    });
    futures_util::stream::iter((!head.is_empty()).then_some(Ok(head))).chain(events)
}

/// `GET /v1/models`: the upstream's models, in OpenAI's list shape.
pub(crate) async fn models(State(state): State<AppState>) -> Response {
    match state.upstream.models().await {
        Ok(names) => {
            let created = harmony_openai::unix_now();
            let data: Vec<_> = names
                .iter()
                .map(|n| serde_json::json!({"id": n, "object": "model", "created": created, "owned_by": "harmony"}))
                .collect();
            axum::Json(serde_json::json!({"object": "list", "data": data})).into_response()
        }
        Err(e) => api_error(&e.to_api_error()),
    }
}

/// Any other path: OpenAI's 404 shape on `/v1/*`, Ollama's elsewhere.
pub(crate) async fn not_found(uri: axum::http::Uri) -> Response {
    let message = format!("no route {}", uri.path());
    if uri.path().starts_with("/v1/") {
        api_error(&ApiError::new(
            404,
            harmony_openai::ErrorType::InvalidRequest,
            message,
            None,
            Some("not_found"),
        ))
    } else {
        (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({ "error": message })),
        )
            .into_response()
    }
}

impl StreamLog {
    pub(crate) fn new(
        state: &AppState,
        path: &'static str,
        model: &str,
        prompt_tokens: u32,
    ) -> Self {
        StreamLog {
            path,
            model: model.to_owned(),
            started: Instant::now(),
            completion_tokens: 0,
            prompt_tokens,
            repairs: 0,
            outcome: "incomplete",
            text: state.config.log_text.then(String::new),
        }
    }

    pub(crate) fn observe(&mut self, e: &StreamEvent) {
        match e {
            StreamEvent::Diagnostic(_) | StreamEvent::ResponseDiagnostic(_) => self.repairs += 1,
            StreamEvent::Delta { text, .. } | StreamEvent::ToolCallArgs { delta: text, .. } => {
                if let Some(log) = &mut self.text {
                    log.push_str(text);
                }
            }
            StreamEvent::Done(d) => {
                self.completion_tokens = d.metrics.eval_count.unwrap_or(0);
                self.outcome = "ok";
            }
            _ => {}
        }
    }
}
