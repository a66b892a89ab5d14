//! Configuration from the environment: `OLLAMA_HOST`, `HARMONY_MODE` (and the rollout
//! flag `ENABLE_HARMONY_FORMAT`), `HARMONY_CHANNELS`, `HARMONY_REASONING_EFFORT`.
//!
//! The environment is read through a lookup function so tests inject their own and
//! never mutate the process environment (which is racy across test threads). Builder
//! methods on [`ClientBuilder`](crate::ClientBuilder) override whatever was read.

use std::str::FromStr;

// One channel and one reasoning effort for the whole workspace: the parser's and the
// renderer's, re-exported by lib.rs.
use harmony_chat::ReasoningEffort;
use harmony_stream::Channel;

use crate::transport::error::ConfigError;

/// Where Ollama listens when `OLLAMA_HOST` is unset (Ollama's own default).
pub const DEFAULT_HOST: &str = "http://127.0.0.1:11434";

/// How a conversation is sent to Ollama.
///
/// ```
/// use harmony_ollama::ChatMode;
/// assert_eq!("enabled".parse::<ChatMode>().unwrap(), ChatMode::Harmony);
/// assert_eq!(ChatMode::default(), ChatMode::Standard);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChatMode {
    /// `/api/chat` with tools; Ollama parses the model's harmony output itself.
    #[default]
    Standard,
    /// The conversation is rendered here and sent raw to `/api/generate`; the harmony
    /// output is parsed here (tolerantly).
    Harmony,
}

impl FromStr for ChatMode {
    type Err = ConfigError;
    /// Accepts `enabled`/`disabled` (the `HARMONY_MODE` values), `harmony`/`standard`,
    /// and the booleans `true`/`false`/`1`/`0`, case-insensitively.
    fn from_str(s: &str) -> Result<Self, ConfigError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "enabled" | "harmony" | "true" | "1" => Ok(ChatMode::Harmony),
            "disabled" | "standard" | "false" | "0" => Ok(ChatMode::Standard),
            _ => Err(ConfigError::InvalidValue {
                what: "harmony mode",
                value: s.to_owned(),
                allowed: MODE_ALLOWED,
            }),
        }
    }
}

const MODE_ALLOWED: &str = "enabled, disabled";
const BOOL_ALLOWED: &str = "true, false";
const CHANNELS_ALLOWED: &str = "all, or a comma-separated list of analysis, commentary, final";
const EFFORT_ALLOWED: &str = "low, medium, high";

/// A channel's bit in a [`Channels`] set.
const fn bit(channel: Channel) -> u8 {
    match channel {
        Channel::Analysis => 1,
        Channel::Commentary => 2,
        Channel::Final => 4,
    }
}

/// A set of channels (`HARMONY_CHANNELS`): which channels are surfaced to the caller.
///
/// ```
/// use harmony_ollama::{Channel, Channels};
///
/// let c: Channels = "final, analysis".parse().unwrap();
/// assert!(c.contains(Channel::Final) && c.contains(Channel::Analysis));
/// assert!(!c.contains(Channel::Commentary));
/// assert_eq!("all".parse::<Channels>().unwrap(), Channels::ALL);
/// assert!("".parse::<Channels>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Channels(u8);

impl Channels {
    /// Every channel.
    pub const ALL: Channels = Channels(7);
    /// No channel.
    pub const NONE: Channels = Channels(0);

    /// The set with `channel` added.
    ///
    /// ```
    /// use harmony_ollama::{Channel, Channels};
    /// assert!(Channels::NONE.with(Channel::Final).contains(Channel::Final));
    /// ```
    pub const fn with(self, channel: Channel) -> Channels {
        Channels(self.0 | bit(channel))
    }

    /// Whether `channel` is in the set.
    ///
    /// ```
    /// use harmony_ollama::{Channel, Channels};
    /// assert!(Channels::ALL.contains(Channel::Commentary));
    /// ```
    pub const fn contains(self, channel: Channel) -> bool {
        self.0 & bit(channel) != 0
    }

    /// Whether the set is empty.
    ///
    /// ```
    /// assert!(harmony_ollama::Channels::NONE.is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl Default for Channels {
    fn default() -> Self {
        Channels::ALL
    }
}

impl FromStr for Channels {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, ConfigError> {
        let err = || ConfigError::InvalidValue {
            what: "channel list",
            value: s.to_owned(),
            allowed: CHANNELS_ALLOWED,
        };
        if s.trim().eq_ignore_ascii_case("all") {
            return Ok(Channels::ALL);
        }
        let mut set = Channels::NONE;
        // Empty items (`analysis,,final`, a trailing comma) are tolerated.
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let channel = match item.to_ascii_lowercase().as_str() {
                "analysis" => Channel::Analysis,
                "commentary" => Channel::Commentary,
                "final" => Channel::Final,
                _ => return Err(err()),
            };
            set = set.with(channel);
        }
        if set.is_empty() {
            return Err(err());
        }
        Ok(set)
    }
}

/// Settings read from the environment (or built by hand).
///
/// ```
/// use harmony_ollama::{ChatMode, Config};
///
/// let env = |k: &str| match k {
///     "OLLAMA_HOST" => Some("gpu-box:11500".to_string()),
///     "ENABLE_HARMONY_FORMAT" => Some("true".to_string()),
///     _ => None,
/// };
/// let config = Config::from_lookup(env).unwrap();
/// assert_eq!(config.host, "http://gpu-box:11500");
/// assert_eq!(config.mode, ChatMode::Harmony);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Base URL of Ollama, normalised (scheme, host and port; no trailing slash).
    pub host: String,
    /// Standard or harmony mode.
    pub mode: ChatMode,
    /// Channels surfaced to the caller.
    pub channels: Channels,
    /// Reasoning effort; `None` leaves the model's default.
    pub reasoning_effort: Option<ReasoningEffort>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: DEFAULT_HOST.to_owned(),
            mode: ChatMode::Standard,
            channels: Channels::ALL,
            reasoning_effort: None,
        }
    }
}

impl Config {
    /// Reads the process environment.
    ///
    /// ```no_run
    /// let config = harmony_ollama::Config::from_env()?;
    /// # Ok::<(), harmony_ollama::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<Config, ConfigError> {
        // A variable that is not valid Unicode cannot hold any allowed value; reading
        // it as a lossy string makes it fail validation with its name in the error.
        Config::from_lookup(|k| std::env::var_os(k).map(|v| v.to_string_lossy().into_owned()))
    }

    /// Reads variables through `lookup` (for tests, or a configuration file).
    ///
    /// Empty values count as unset. `HARMONY_MODE` takes precedence over
    /// `ENABLE_HARMONY_FORMAT`. Invalid values are an error naming the variable and
    /// the values it accepts.
    ///
    /// ```
    /// use harmony_ollama::{Channel, Config};
    ///
    /// let config = Config::from_lookup(|k| (k == "HARMONY_CHANNELS").then(|| "final".into())).unwrap();
    /// assert!(!config.channels.contains(Channel::Analysis));
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        let mut config = Config::default();
        if let Some(host) = get("OLLAMA_HOST") {
            config.host = normalize_host(&host)?;
        }
        if let Some(v) = get("HARMONY_MODE") {
            config.mode = v
                .parse()
                .map_err(|_| env_err("HARMONY_MODE", &v, MODE_ALLOWED))?;
        } else if let Some(v) = get("ENABLE_HARMONY_FORMAT") {
            config.mode = match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => ChatMode::Harmony,
                "false" | "0" => ChatMode::Standard,
                _ => return Err(env_err("ENABLE_HARMONY_FORMAT", &v, BOOL_ALLOWED)),
            };
        }
        if let Some(v) = get("HARMONY_CHANNELS") {
            config.channels = v
                .parse()
                .map_err(|_| env_err("HARMONY_CHANNELS", &v, CHANNELS_ALLOWED))?;
        }
        if let Some(v) = get("HARMONY_REASONING_EFFORT") {
            config.reasoning_effort = Some(
                v.trim()
                    .parse::<ReasoningEffort>()
                    .map_err(|_| env_err("HARMONY_REASONING_EFFORT", &v, EFFORT_ALLOWED))?,
            );
        }
        Ok(config)
    }
}

fn env_err(var: &'static str, value: &str, allowed: &'static str) -> ConfigError {
    ConfigError::InvalidEnv {
        var,
        value: value.to_owned(),
        allowed,
    }
}

/// Normalises an Ollama host the way Ollama's own client reads `OLLAMA_HOST`
/// (`envconfig.Host`): no scheme means `http` and port 11434; an explicit `http://` or
/// `https://` without a port means 80 or 443; a path is kept (reverse proxies).
/// Differences, on purpose: an invalid port is an error rather than silently replaced,
/// and the wildcard addresses `0.0.0.0` / `::` (often set for the *server* to listen
/// on all interfaces, and inherited by clients) are dialled as loopback.
///
/// ```
/// use harmony_ollama::normalize_host;
///
/// assert_eq!(normalize_host("").unwrap(), "http://127.0.0.1:11434");
/// assert_eq!(normalize_host("example.com").unwrap(), "http://example.com:11434");
/// assert_eq!(normalize_host("example.com:8080").unwrap(), "http://example.com:8080");
/// assert_eq!(normalize_host("http://example.com").unwrap(), "http://example.com:80");
/// assert_eq!(normalize_host("https://example.com/ollama/").unwrap(), "https://example.com:443/ollama");
/// assert_eq!(normalize_host("[::1]:11434").unwrap(), "http://[::1]:11434");
/// assert_eq!(normalize_host("0.0.0.0").unwrap(), "http://127.0.0.1:11434");
/// assert!(normalize_host("ftp://x").is_err());
/// assert!(normalize_host("x:99999").is_err());
/// ```
pub fn normalize_host(input: &str) -> Result<String, ConfigError> {
    let bad = |reason| ConfigError::InvalidHost {
        value: input.to_owned(),
        reason,
    };
    let s = input.trim();
    if s.is_empty() {
        return Ok(DEFAULT_HOST.to_owned());
    }
    let (scheme, rest, default_port) = match s.split_once("://") {
        None => ("http", s, 11434),
        Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
            "http" => ("http", rest, 80),
            "https" => ("https", rest, 443),
            _ => return Err(bad("the scheme must be http or https")),
        },
    };
    let (hostport, path) = match rest.split_once('/') {
        Some((hp, path)) => (hp, path.trim_end_matches('/')),
        None => (rest, ""),
    };
    if hostport.contains(['@', '?', '#', ' ']) {
        return Err(bad(
            "expected host[:port], without credentials, query or spaces",
        ));
    }
    let (host, port) = if let Some(after) = hostport.strip_prefix('[') {
        let (h, tail) = after
            .split_once(']')
            .ok_or_else(|| bad("unclosed '[' in IPv6 address"))?;
        match tail {
            "" => (h, None),
            _ => match tail.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None => return Err(bad("unexpected text after ']'")),
            },
        }
    } else if hostport.matches(':').count() > 1 {
        (hostport, None) // a bare IPv6 address
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let port: u16 = match port {
        None | Some("") => default_port,
        Some(p) => p
            .parse()
            .map_err(|_| bad("the port must be a number from 0 to 65535"))?,
    };
    let host = match host {
        "" | "0.0.0.0" => "127.0.0.1",
        "::" => "::1",
        h => h,
    };
    let mut url = String::with_capacity(scheme.len() + host.len() + path.len() + 12);
    url.push_str(scheme);
    url.push_str("://");
    if host.contains(':') {
        url.push('[');
        url.push_str(host);
        url.push(']');
    } else {
        url.push_str(host);
    }
    url.push(':');
    url.push_str(&port.to_string());
    if !path.is_empty() {
        url.push('/');
        url.push_str(path);
    }
    Ok(url)
}
