//! The gateway's errors, and how each protocol spells them: OpenAI's
//! `{"error": {"message", "type", "param", "code"}}` on `/v1/*`, Ollama's
//! `{"error": "..."}` on `/api/*`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Something the gateway could not do, with the HTTP status it answers.
///
/// ```
/// use harmony_server::GatewayError;
/// let e = GatewayError::ModelNotFound("gpt-oss:7b".into());
/// assert_eq!(e.status(), 404);
/// assert_eq!(e.to_string(), "model \"gpt-oss:7b\" not found");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The gateway's own settings are wrong (at start-up).
    #[error("{0}")]
    Config(String),
    /// The request is malformed or asks for something unsupported.
    #[error("{message}")]
    BadRequest {
        /// What was wrong.
        message: String,
        /// The offending field (`messages[2].content`), when one is to blame.
        param: Option<String>,
    },
    /// No or a wrong API key.
    #[error("invalid or missing API key")]
    Unauthorized,
    /// The upstream does not have the model.
    #[error("model {0:?} not found")]
    ModelNotFound(String),
    /// The request body is over the limit.
    #[error("request body is larger than the {limit}-byte limit")]
    PayloadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Prompt plus completion budget do not fit the model's context.
    #[error("this model's maximum context length is {context_length} tokens; the prompt is {prompt_tokens} tokens and {completion_tokens} more were requested for the completion")]
    ContextLengthExceeded {
        /// Tokens in the rendered prompt.
        prompt_tokens: u32,
        /// The completion budget asked for.
        completion_tokens: u32,
        /// The model's context length.
        context_length: u32,
    },
    /// The upstream could not be reached.
    #[error("upstream {upstream} is unreachable: {detail}")]
    Unreachable {
        /// The upstream's address.
        upstream: String,
        /// The cause.
        detail: String,
    },
    /// The upstream is overloaded (HTTP 503).
    #[error("upstream is busy: {0}")]
    Busy(String),
    /// The upstream did not answer in time.
    #[error("upstream timed out: {0}")]
    Timeout(String),
    /// The upstream answered with an error.
    #[error("upstream error (HTTP {status}): {message}")]
    UpstreamStatus {
        /// The upstream's status code.
        status: u16,
        /// Its message.
        message: String,
    },
}

impl GatewayError {
    /// A 400 naming the field at fault.
    ///
    /// ```
    /// let e = harmony_server::GatewayError::bad_request("messages is empty", Some("messages"));
    /// assert_eq!(e.status(), 400);
    /// ```
    pub fn bad_request(message: impl Into<String>, param: Option<&str>) -> Self {
        GatewayError::BadRequest {
            message: message.into(),
            param: param.map(str::to_owned),
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            GatewayError::Config(_) => 500,
            GatewayError::BadRequest { .. } | GatewayError::ContextLengthExceeded { .. } => 400,
            GatewayError::Unauthorized => 401,
            GatewayError::ModelNotFound(_) => 404,
            GatewayError::PayloadTooLarge { .. } => 413,
            GatewayError::Unreachable { .. } | GatewayError::UpstreamStatus { .. } => 502,
            GatewayError::Busy(_) => 503,
            GatewayError::Timeout(_) => 504,
        }
    }

    /// OpenAI's error `code`.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            GatewayError::ModelNotFound(_) => Some("model_not_found"),
            GatewayError::ContextLengthExceeded { .. } => Some("context_length_exceeded"),
            GatewayError::Unauthorized => Some("invalid_api_key"),
            GatewayError::PayloadTooLarge { .. } => Some("request_too_large"),
            GatewayError::Unreachable { .. } => Some("upstream_unreachable"),
            GatewayError::Busy(_) => Some("server_busy"),
            GatewayError::Timeout(_) => Some("upstream_timeout"),
            GatewayError::UpstreamStatus { .. } => Some("upstream_error"),
            _ => None,
        }
    }

    /// The field at fault, for OpenAI's `param`.
    pub fn param(&self) -> Option<&str> {
        match self {
            GatewayError::BadRequest { param, .. } => param.as_deref(),
            GatewayError::ContextLengthExceeded { .. } => Some("messages"),
            GatewayError::ModelNotFound(_) => Some("model"),
            _ => None,
        }
    }

    /// The OpenAI error object for this error.
    ///
    /// ```
    /// let e = harmony_server::GatewayError::ModelNotFound("x".into());
    /// assert_eq!(e.to_api_error().to_json()["error"]["code"], "model_not_found");
    /// ```
    pub fn to_api_error(&self) -> harmony_openai::ApiError {
        use harmony_openai::ErrorType;
        let kind = match self {
            GatewayError::Unauthorized => ErrorType::Authentication,
            GatewayError::BadRequest { .. }
            | GatewayError::ContextLengthExceeded { .. }
            | GatewayError::ModelNotFound(_)
            | GatewayError::PayloadTooLarge { .. } => ErrorType::InvalidRequest,
            _ => ErrorType::Server,
        };
        harmony_openai::ApiError::new(
            self.status(),
            kind,
            self.to_string(),
            self.param(),
            self.code(),
        )
    }

    /// Ollama's error body, `{"error": "..."}`.
    pub fn ollama_body(&self) -> serde_json::Value {
        serde_json::json!({ "error": self.to_string() })
    }

    /// The error as the answer to an OpenAI route.
    pub fn into_openai(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::BAD_GATEWAY);
        let body = self.to_api_error().to_json();
        (status, axum::Json(body)).into_response()
    }

    /// The error as the answer to an Ollama route.
    pub fn into_ollama(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::BAD_GATEWAY);
        (status, axum::Json(self.ollama_body())).into_response()
    }

    /// Maps a transport error of the Ollama client.
    pub fn from_upstream(e: harmony_ollama::Error, upstream: &str, model: &str) -> Self {
        use harmony_ollama::Error as E;
        match e {
            E::Connect { source, .. } => GatewayError::Unreachable {
                upstream: upstream.to_owned(),
                detail: crate::upstream::error_chain(&source),
            },
            E::ModelNotFound { .. } => GatewayError::ModelNotFound(model.to_owned()),
            E::Timeout { .. } => GatewayError::Timeout(e.to_string()),
            E::Status { status: 404, .. } => GatewayError::ModelNotFound(model.to_owned()),
            E::Status {
                status: 503,
                message,
            } => GatewayError::Busy(message),
            E::Status { status, message } => GatewayError::UpstreamStatus { status, message },
            other => GatewayError::UpstreamStatus {
                status: 502,
                message: crate::upstream::error_chain(&other),
            },
        }
    }
}
