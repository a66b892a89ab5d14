//! The namespace a tool call addresses.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The namespace of a tool call's recipient: the caller's `functions`, or one of the
/// built-in tools gpt-oss knows without a declaration.
///
/// [`Namespace::split`] reads it from a recipient. It serializes as its lower-case name
/// (`"functions"`, `"browser"`, …), the word the model writes.
///
/// ```
/// use harmony_tools::Namespace;
///
/// assert_eq!(Namespace::split("functions.get_weather"), (Namespace::Functions, "get_weather"));
/// assert_eq!(Namespace::split("browser.search"), (Namespace::Browser, "browser.search"));
/// assert!(Namespace::Python.takes_code());
/// assert_eq!("container".parse::<Namespace>(), Ok(Namespace::Container));
/// assert_eq!(serde_json::to_string(&Namespace::Functions).unwrap(), "\"functions\"");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Namespace {
    /// The caller's functions (`functions.NAME`), and any recipient that is not a built-in:
    /// a bare or dotted name is a function the model forgot to prefix.
    #[default]
    Functions,
    /// The built-in browser tool (`browser.search`, `browser.open`, `browser.find`).
    Browser,
    /// The built-in Python tool (`python`); its bodies are code, not JSON.
    Python,
    /// The built-in container tool (`container.exec`); its bodies are code, not JSON.
    Container,
}

impl Namespace {
    /// The built-in namespaces, which need no declaration.
    pub const BUILTINS: [Namespace; 3] =
        [Namespace::Browser, Namespace::Python, Namespace::Container];

    /// The name the model writes (`functions`, `browser`, `python`, `container`).
    ///
    /// ```
    /// use harmony_tools::Namespace;
    /// assert_eq!(Namespace::Browser.as_str(), "browser");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Namespace::Functions => "functions",
            Namespace::Browser => "browser",
            Namespace::Python => "python",
            Namespace::Container => "container",
        }
    }

    /// Whether calls into this namespace carry code rather than JSON arguments
    /// (`python`, `container`).
    ///
    /// ```
    /// use harmony_tools::Namespace;
    /// assert!(Namespace::Container.takes_code());
    /// assert!(!Namespace::Functions.takes_code());
    /// ```
    pub const fn takes_code(self) -> bool {
        matches!(self, Namespace::Python | Namespace::Container)
    }

    /// Splits a recipient into its namespace and the tool's name.
    ///
    /// The name is the recipient without a leading `functions.`; built-ins keep their full
    /// names (`browser.search`, `container.exec`, `python`), so they never collide with a
    /// user function of the same last word. A bare name (`lookup_weather`) or another
    /// dotted name (`math.sum`) is a function the model forgot to prefix: namespace
    /// [`Functions`](Namespace::Functions), the name kept whole (as vLLM does).
    ///
    /// ```
    /// use harmony_tools::Namespace;
    ///
    /// assert_eq!(Namespace::split("functions.get_weather"), (Namespace::Functions, "get_weather"));
    /// assert_eq!(Namespace::split("container.exec"), (Namespace::Container, "container.exec"));
    /// assert_eq!(Namespace::split("python"), (Namespace::Python, "python"));
    /// assert_eq!(Namespace::split("math.sum"), (Namespace::Functions, "math.sum"));
    /// ```
    pub fn split(recipient: &str) -> (Namespace, &str) {
        if let Some(name) = recipient.strip_prefix("functions.") {
            return (Namespace::Functions, name);
        }
        let first = recipient.split_once('.').map_or(recipient, |(ns, _)| ns);
        match first.parse() {
            Ok(ns) if ns != Namespace::Functions => (ns, recipient),
            _ => (Namespace::Functions, recipient),
        }
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no namespace (see [`Namespace`]'s `FromStr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownNamespace(pub String);

impl fmt::Display for UnknownNamespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown tool namespace {:?} (expected functions, browser, python or container)",
            self.0
        )
    }
}

impl std::error::Error for UnknownNamespace {}

impl FromStr for Namespace {
    type Err = UnknownNamespace;

    /// Reads the exact lower-case name.
    ///
    /// ```
    /// use harmony_tools::Namespace;
    /// assert_eq!("browser".parse::<Namespace>(), Ok(Namespace::Browser));
    /// let err = "Browser".parse::<Namespace>().unwrap_err();
    /// assert!(err.to_string().contains("expected functions, browser, python or container"));
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "functions" => Ok(Namespace::Functions),
            "browser" => Ok(Namespace::Browser),
            "python" => Ok(Namespace::Python),
            "container" => Ok(Namespace::Container),
            other => Err(UnknownNamespace(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips_through_display_parse_and_serde() {
        for ns in [
            Namespace::Functions,
            Namespace::Browser,
            Namespace::Python,
            Namespace::Container,
        ] {
            assert_eq!(ns.to_string().parse::<Namespace>(), Ok(ns));
            let json = serde_json::to_string(&ns).unwrap();
            assert_eq!(json, format!("\"{ns}\""));
            assert_eq!(serde_json::from_str::<Namespace>(&json).unwrap(), ns);
        }
    }

    #[test]
    fn a_prefix_is_a_namespace_only_before_a_dot_or_alone() {
        assert_eq!(
            Namespace::split("pythonic"),
            (Namespace::Functions, "pythonic")
        );
        assert_eq!(
            Namespace::split("python.run"),
            (Namespace::Python, "python.run")
        );
        assert_eq!(
            Namespace::split("functions"),
            (Namespace::Functions, "functions")
        );
        assert_eq!(
            Namespace::split("functions.browser.x"),
            (Namespace::Functions, "browser.x")
        );
        assert_eq!(Namespace::split(""), (Namespace::Functions, ""));
    }
}
