//! Model options (`"options"` in the request) and `keep_alive`.
//!
//! Every option is optional and an unset one is left out of the JSON, so Ollama keeps
//! its own default (or the Modelfile's) instead of receiving ours.

use std::time::Duration;

use serde::{Deserialize, Serialize, Serializer};

use crate::transport::error::ConfigError;

/// gpt-oss's context window; `num_ctx` above it is rejected before sending.
pub const MAX_NUM_CTX: u32 = 131_072;

/// Sampling and runtime options.
///
/// ```
/// use harmony_ollama::Options;
///
/// let options = Options::new().num_ctx(16_384).temperature(0.2).stop(["<|end|>"]);
/// assert_eq!(
///     serde_json::to_string(&options).unwrap(),
///     r#"{"num_ctx":16384,"temperature":0.2,"stop":["<|end|>"]}"#,
/// );
/// assert_eq!(serde_json::to_string(&Options::new()).unwrap(), "{}");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Options {
    /// Context window in tokens (1..=131072 for gpt-oss).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_ctx: Option<u32>,
    /// Maximum tokens to generate; -1 unlimited, -2 fill the context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_predict: Option<i32>,
    /// Sampling temperature (>= 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Top-k sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    /// Nucleus sampling (0..=1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    /// Min-p sampling (0..=1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_p: Option<f32>,
    /// Repetition penalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_penalty: Option<f32>,
    /// Tokens looked back for the repetition penalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_last_n: Option<i32>,
    /// Presence penalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f32>,
    /// Frequency penalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f32>,
    /// RNG seed, for reproducible sampling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Stop sequences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Vec<String>>,
    /// Prompt tokens kept when the context overflows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_keep: Option<i32>,
    /// Prompt batch size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_batch: Option<u32>,
    /// Layers offloaded to the GPU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_gpu: Option<i32>,
    /// CPU threads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_thread: Option<u32>,
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty;)*) => {$(
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Self {
            self.$name = Some(value);
            self
        }
    )*};
}

impl Options {
    /// No option set: Ollama's defaults apply.
    ///
    /// ```
    /// assert!(harmony_ollama::Options::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// Sets `num_ctx`.
        ///
        /// ```
        /// assert_eq!(harmony_ollama::Options::new().num_ctx(8192).num_ctx, Some(8192));
        /// ```
        num_ctx: u32;
        /// Sets `num_predict`.
        ///
        /// ```
        /// assert_eq!(harmony_ollama::Options::new().num_predict(256).num_predict, Some(256));
        /// ```
        num_predict: i32;
        /// Sets `temperature`.
        ///
        /// ```
        /// assert_eq!(harmony_ollama::Options::new().temperature(1.0).temperature, Some(1.0));
        /// ```
        temperature: f32;
        /// Sets `top_k`.
        ///
        /// ```
        /// assert_eq!(harmony_ollama::Options::new().top_k(40).top_k, Some(40));
        /// ```
        top_k: u32;
        /// Sets `top_p`.
        ///
        /// ```
        /// assert_eq!(harmony_ollama::Options::new().top_p(0.9).top_p, Some(0.9));
        /// ```
        top_p: f32;
        /// Sets `min_p`.
        ///
        /// ```
        /// assert_eq!(harmony_ollama::Options::new().min_p(0.05).min_p, Some(0.05));
        /// ```
        min_p: f32;
        /// Sets `repeat_penalty`.
        ///
        /// ```
        /// assert_eq!(harmony_ollama::Options::new().repeat_penalty(1.1).repeat_penalty, Some(1.1));
        /// ```
        repeat_penalty: f32;
        /// Sets `repeat_last_n`.
        ///
        /// ```
        /// assert_eq!(harmony_ollama::Options::new().repeat_last_n(64).repeat_last_n, Some(64));
        /// ```
        repeat_last_n: i32;
        /// Sets `presence_penalty`.
        ///
        /// ```
        /// assert_eq!(harmony_ollama::Options::new().presence_penalty(0.5).presence_penalty, Some(0.5));
        /// ```
        presence_penalty: f32;
        /// Sets `frequency_penalty`.
        ///
        /// ```
        /// assert_eq!(harmony_ollama::Options::new().frequency_penalty(0.5).frequency_penalty, Some(0.5));
        /// ```
        frequency_penalty: f32;
        /// Sets `seed`.
        ///
        /// ```
        /// assert_eq!(harmony_ollama::Options::new().seed(42).seed, Some(42));
        /// ```
        seed: i64;
        /// Sets `num_keep`.
        ///
        /// ```
        /// assert_eq!(harmony_ollama::Options::new().num_keep(4).num_keep, Some(4));
        /// ```
        num_keep: i32;
        /// Sets `num_batch`.
        ///
        /// ```
        /// assert_eq!(harmony_ollama::Options::new().num_batch(512).num_batch, Some(512));
        /// ```
        num_batch: u32;
        /// Sets `num_gpu`.
        ///
        /// ```
        /// assert_eq!(harmony_ollama::Options::new().num_gpu(99).num_gpu, Some(99));
        /// ```
        num_gpu: i32;
        /// Sets `num_thread`.
        ///
        /// ```
        /// assert_eq!(harmony_ollama::Options::new().num_thread(8).num_thread, Some(8));
        /// ```
        num_thread: u32;
    }

    /// Sets the stop sequences.
    ///
    /// ```
    /// let o = harmony_ollama::Options::new().stop(["a", "b"]);
    /// assert_eq!(o.stop.unwrap(), ["a", "b"]);
    /// ```
    pub fn stop<I, S>(mut self, stops: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.stop = Some(stops.into_iter().map(Into::into).collect());
        self
    }

    /// Whether no option is set.
    ///
    /// ```
    /// assert!(!harmony_ollama::Options::new().seed(1).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        *self == Options::default()
    }

    /// Checks ranges Ollama would otherwise reject late or silently clamp.
    ///
    /// ```
    /// use harmony_ollama::Options;
    /// assert!(Options::new().num_ctx(131_072).validate().is_ok());
    /// assert!(Options::new().num_ctx(131_073).validate().is_err());
    /// assert!(Options::new().temperature(f32::NAN).validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |name, reason: String| Err(ConfigError::InvalidOption { name, reason });
        if let Some(n) = self.num_ctx {
            if n == 0 || n > MAX_NUM_CTX {
                return bad("num_ctx", format!("{n} is outside 1..={MAX_NUM_CTX}"));
            }
        }
        if let Some(n) = self.num_predict {
            if n < -2 {
                return bad(
                    "num_predict",
                    format!("{n}: use -1 (unlimited), -2 (fill the context) or a count"),
                );
            }
        }
        for (name, v, max) in [
            ("temperature", self.temperature, f32::MAX),
            ("top_p", self.top_p, 1.0),
            ("min_p", self.min_p, 1.0),
            ("repeat_penalty", self.repeat_penalty, f32::MAX),
        ] {
            if let Some(v) = v {
                if !v.is_finite() || v < 0.0 || v > max {
                    return bad(name, format!("{v} is outside 0..={max}"));
                }
            }
        }
        for (name, v) in [
            ("presence_penalty", self.presence_penalty),
            ("frequency_penalty", self.frequency_penalty),
        ] {
            if let Some(v) = v {
                if !v.is_finite() {
                    return bad(name, format!("{v} is not a finite number"));
                }
            }
        }
        Ok(())
    }
}

/// How long Ollama keeps the model loaded after the request (`keep_alive`).
///
/// ```
/// use std::time::Duration;
/// use harmony_ollama::KeepAlive;
///
/// assert_eq!(serde_json::to_string(&KeepAlive::For(Duration::from_secs(300))).unwrap(), r#""300000ms""#);
/// assert_eq!(serde_json::to_string(&KeepAlive::Forever).unwrap(), "-1");
/// assert_eq!(serde_json::to_string(&KeepAlive::UnloadNow).unwrap(), "0");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepAlive {
    /// Keep it loaded this long.
    For(Duration),
    /// Never unload.
    Forever,
    /// Unload as soon as the request finishes.
    UnloadNow,
}

impl Serialize for KeepAlive {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            // Go's time.ParseDuration accepts "ms"; milliseconds keep sub-second values.
            KeepAlive::For(d) => s.collect_str(&format_args!("{}ms", d.as_millis())),
            // Ollama reads a bare number as seconds; negative means forever.
            KeepAlive::Forever => s.serialize_i64(-1),
            KeepAlive::UnloadNow => s.serialize_i64(0),
        }
    }
}
