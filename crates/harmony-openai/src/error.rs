//! Errors: [`RequestError`] (why a request body was refused, always a 400) and
//! [`ApiError`], the OpenAI error object with its HTTP status, for every failure the
//! gateway reports on an OpenAI path.

use std::fmt;

use serde_json::{json, Value};

/// Why a request body could not be read or converted. Every variant is the client's
/// fault: [`ApiError::from`] turns it into a 400 `invalid_request_error` whose `param`
/// names the offending field.
///
/// ```
/// use harmony_openai::{ChatRequest, RequestError};
///
/// let err = ChatRequest::from_slice(br#"{"model": "m", "messages": [], "temperature": "hot"}"#)
///     .unwrap_err();
/// assert_eq!(err.param(), Some("temperature"));
/// assert!(matches!(err, RequestError::InvalidField { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The body is not JSON (or not a JSON object).
    #[error("the request body is not a JSON object: {message}")]
    InvalidJson {
        /// serde_json's message, with line and column.
        message: String,
    },
    /// A required field is absent.
    #[error("missing required parameter: '{param}'")]
    MissingField {
        /// The field (`model`, `messages[2].role`, ...).
        param: String,
    },
    /// A field has the wrong type or an unknown value.
    #[error("invalid value for '{param}': {message}")]
    InvalidField {
        /// The field (`temperature`, `messages[2].content`, `input[0].type`, ...).
        param: String,
        /// What is wrong with it.
        message: String,
    },
    /// `previous_response_id`: the gateway keeps no state between requests, so it has
    /// no earlier response to continue from.
    #[error("previous_response_id is not supported: this gateway stores no responses (send the whole conversation in `input`, with `store: false`)")]
    PreviousResponseId,
    /// An `encrypted_content` that this gateway did not write (or that was altered).
    #[error("invalid encrypted_content in '{param}': {reason}")]
    EncryptedContent {
        /// The field (`input[3].encrypted_content`).
        param: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The conversation cannot be rendered (e.g. a tool result for an unknown call).
    #[error("{0}")]
    Conversation(#[from] harmony_chat::RenderError),
}

impl RequestError {
    /// The request field the error is about, as OpenAI's `param`.
    ///
    /// ```
    /// use harmony_openai::RequestError;
    /// let e = RequestError::MissingField { param: "model".into() };
    /// assert_eq!(e.param(), Some("model"));
    /// assert_eq!(RequestError::PreviousResponseId.param(), Some("previous_response_id"));
    /// ```
    pub fn param(&self) -> Option<&str> {
        match self {
            RequestError::InvalidJson { .. } => None,
            RequestError::MissingField { param }
            | RequestError::InvalidField { param, .. }
            | RequestError::EncryptedContent { param, .. } => Some(param),
            RequestError::PreviousResponseId => Some("previous_response_id"),
            RequestError::Conversation(_) => Some("messages"),
        }
    }

    pub(crate) fn invalid(param: impl Into<String>, message: impl fmt::Display) -> Self {
        RequestError::InvalidField {
            param: param.into(),
            message: message.to_string(),
        }
    }
}

/// OpenAI's error `type` values.
///
/// ```
/// assert_eq!(harmony_openai::ErrorType::InvalidRequest.as_str(), "invalid_request_error");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorType {
    /// `invalid_request_error` (400, 404, 413).
    InvalidRequest,
    /// `authentication_error` (401).
    Authentication,
    /// `server_error` (5xx).
    Server,
}

impl ErrorType {
    /// The wire name.
    ///
    /// ```
    /// assert_eq!(harmony_openai::ErrorType::Server.as_str(), "server_error");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorType::InvalidRequest => "invalid_request_error",
            ErrorType::Authentication => "authentication_error",
            ErrorType::Server => "server_error",
        }
    }
}

/// An OpenAI error object, `{"error": {"message", "type", "param", "code"}}`, with the
/// HTTP status to answer it with.
///
/// ```
/// use harmony_openai::ApiError;
///
/// let e = ApiError::model_not_found("gpt-oss:7b");
/// assert_eq!(e.status, 404);
/// assert_eq!(e.to_json()["error"]["code"], "model_not_found");
/// assert_eq!(e.to_json()["error"]["param"], "model");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// `type`.
    pub kind: ErrorType,
    /// `message`, for humans.
    pub message: String,
    /// `param`: the request field at fault, if any.
    pub param: Option<String>,
    /// `code`: a machine-readable reason (`model_not_found`, `context_length_exceeded`, ...).
    pub code: Option<String>,
}

impl ApiError {
    /// An error with every field given.
    ///
    /// ```
    /// use harmony_openai::{ApiError, ErrorType};
    /// let e = ApiError::new(429, ErrorType::Server, "slow down", None, Some("rate_limit_exceeded"));
    /// assert_eq!(e.to_json()["error"]["type"], "server_error");
    /// ```
    pub fn new(
        status: u16,
        kind: ErrorType,
        message: impl Into<String>,
        param: Option<&str>,
        code: Option<&str>,
    ) -> Self {
        ApiError {
            status,
            kind,
            message: message.into(),
            param: param.map(str::to_owned),
            code: code.map(str::to_owned),
        }
    }

    /// 400 `invalid_request_error`.
    ///
    /// ```
    /// let e = harmony_openai::ApiError::invalid_request("bad n", Some("n"));
    /// assert_eq!((e.status, e.param.as_deref()), (400, Some("n")));
    /// ```
    pub fn invalid_request(message: impl Into<String>, param: Option<&str>) -> Self {
        Self::new(400, ErrorType::InvalidRequest, message, param, None)
    }

    /// 401: missing or wrong API key.
    ///
    /// ```
    /// let e = harmony_openai::ApiError::unauthorized();
    /// assert_eq!(e.status, 401);
    /// assert_eq!(e.to_json()["error"]["code"], "invalid_api_key");
    /// ```
    pub fn unauthorized() -> Self {
        Self::new(
            401,
            ErrorType::Authentication,
            "Incorrect or missing API key (send it as `Authorization: Bearer <key>`).",
            None,
            Some("invalid_api_key"),
        )
    }

    /// 404 `model_not_found`, naming the model.
    ///
    /// ```
    /// let e = harmony_openai::ApiError::model_not_found("nope");
    /// assert!(e.message.contains("`nope`"));
    /// ```
    pub fn model_not_found(model: &str) -> Self {
        Self::new(
            404,
            ErrorType::InvalidRequest,
            format!("The model `{model}` does not exist on the upstream server."),
            Some("model"),
            Some("model_not_found"),
        )
    }

    /// 413: the request body is larger than `limit` bytes.
    ///
    /// ```
    /// let e = harmony_openai::ApiError::payload_too_large(1024);
    /// assert_eq!(e.status, 413);
    /// assert!(e.message.contains("1024"));
    /// ```
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            413,
            ErrorType::InvalidRequest,
            format!("The request body is larger than the limit of {limit} bytes."),
            None,
            Some("request_too_large"),
        )
    }

    /// 400 `context_length_exceeded`: the prompt and the completion budget do not fit.
    ///
    /// ```
    /// let e = harmony_openai::ApiError::context_length_exceeded(9000, 1000, 8192);
    /// assert_eq!(e.to_json()["error"]["code"], "context_length_exceeded");
    /// assert!(e.message.contains("9000") && e.message.contains("8192"));
    /// ```
    pub fn context_length_exceeded(prompt_tokens: u64, completion_tokens: u64, limit: u64) -> Self {
        Self::new(
            400,
            ErrorType::InvalidRequest,
            format!(
                "This model's maximum context length is {limit} tokens, but the request needs \
                 {} tokens ({prompt_tokens} in the prompt, {completion_tokens} for the completion).",
                prompt_tokens.saturating_add(completion_tokens)
            ),
            Some("messages"),
            Some("context_length_exceeded"),
        )
    }

    /// 502: the upstream could not be reached (or answered garbage); names its address.
    ///
    /// ```
    /// let e = harmony_openai::ApiError::upstream_unreachable("http://127.0.0.1:11434", "connection refused");
    /// assert_eq!(e.status, 502);
    /// assert!(e.message.contains("127.0.0.1:11434"));
    /// ```
    pub fn upstream_unreachable(upstream: &str, detail: &str) -> Self {
        Self::new(
            502,
            ErrorType::Server,
            format!("The upstream server at {upstream} could not be reached: {detail}"),
            None,
            Some("upstream_unreachable"),
        )
    }

    /// 502: the upstream failed while generating (mid-stream, or an error status).
    ///
    /// ```
    /// let e = harmony_openai::ApiError::upstream_error("out of memory");
    /// assert_eq!(e.to_json()["error"]["code"], "upstream_error");
    /// ```
    pub fn upstream_error(detail: &str) -> Self {
        Self::new(
            502,
            ErrorType::Server,
            format!("The upstream server failed: {detail}"),
            None,
            Some("upstream_error"),
        )
    }

    /// 503: the gateway is overloaded or shutting down.
    ///
    /// ```
    /// assert_eq!(harmony_openai::ApiError::unavailable("busy").status, 503);
    /// ```
    pub fn unavailable(detail: &str) -> Self {
        Self::new(
            503,
            ErrorType::Server,
            detail,
            None,
            Some("service_unavailable"),
        )
    }

    /// 504: the upstream timed out (`phase`: `connect`, `first token`, `idle`).
    ///
    /// ```
    /// let e = harmony_openai::ApiError::timeout("first token");
    /// assert_eq!(e.status, 504);
    /// assert!(e.message.contains("first token"));
    /// ```
    pub fn timeout(phase: &str) -> Self {
        Self::new(
            504,
            ErrorType::Server,
            format!("The upstream server timed out ({phase})."),
            None,
            Some("timeout"),
        )
    }

    /// The inner object, `{"message", "type", "param", "code"}` (what `response.failed`
    /// and a mid-stream chat error carry).
    ///
    /// ```
    /// let v = harmony_openai::ApiError::timeout("idle").to_inner_json();
    /// assert_eq!(v["type"], "server_error");
    /// assert!(v["param"].is_null());
    /// ```
    pub fn to_inner_json(&self) -> Value {
        json!({
            "message": self.message,
            "type": self.kind.as_str(),
            "param": self.param,
            "code": self.code,
        })
    }

    /// The whole body, `{"error": {...}}`.
    ///
    /// ```
    /// let v = harmony_openai::ApiError::unauthorized().to_json();
    /// assert_eq!(v["error"]["type"], "authentication_error");
    /// ```
    pub fn to_json(&self) -> Value {
        json!({ "error": self.to_inner_json() })
    }

    /// The body as JSON bytes, ready to send.
    ///
    /// ```
    /// let body = harmony_openai::ApiError::unavailable("x").to_body();
    /// assert!(body.starts_with(b"{\"error\":{"));
    /// ```
    pub fn to_body(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_json()).unwrap_or_default()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status,
            self.kind.as_str(),
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl From<&RequestError> for ApiError {
    fn from(e: &RequestError) -> Self {
        let code = match e {
            RequestError::PreviousResponseId => Some("previous_response_not_found"),
            RequestError::EncryptedContent { .. } => Some("invalid_encrypted_content"),
            RequestError::MissingField { .. } => Some("missing_required_parameter"),
            RequestError::InvalidJson { .. } => Some("invalid_json"),
            RequestError::InvalidField { .. } => Some("invalid_value"),
            RequestError::Conversation(_) => None,
        };
        ApiError::new(
            400,
            ErrorType::InvalidRequest,
            e.to_string(),
            e.param(),
            code,
        )
    }
}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        ApiError::from(&e)
    }
}
