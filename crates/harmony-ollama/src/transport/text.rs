//! [`Text`]: a JSON string value borrowed from the input line when it can be.
//!
//! serde's `#[serde(borrow)]` only borrows a field typed exactly `Cow<'a, str>`; an
//! `Option<Cow<'a, str>>` or a `Cow` inside a `Vec` silently allocates for every value.
//! Ollama lines are mostly optional fields, so this newtype carries the borrow through
//! `Option` and containers: serde_json hands us a borrowed `&'a str` when the string has
//! no escape in it, and an owned, unescaped `String` only when it has one (Go escapes
//! `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026`, so every harmony marker takes the
//! owned path; plain words do not).

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A string field of an Ollama NDJSON line, JSON escapes already decoded.
///
/// Borrowed from the line when the JSON string had no escape sequence, owned otherwise.
/// Dereferences to `str`.
///
/// ```
/// use harmony_ollama::GenerateLine;
///
/// let line: GenerateLine = serde_json::from_str(r#"{"response":"plain"}"#).unwrap();
/// assert!(line.response.is_borrowed());
/// let line: GenerateLine = serde_json::from_str(r#"{"response":"\u003c|end|\u003e"}"#).unwrap();
/// assert_eq!(&*line.response, "<|end|>");
/// assert!(!line.response.is_borrowed());
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text<'a>(Cow<'a, str>);

impl<'a> Text<'a> {
    /// Wraps a borrowed string.
    ///
    /// ```
    /// let t = harmony_ollama::Text::borrowed("hi");
    /// assert_eq!(t.as_str(), "hi");
    /// ```
    pub const fn borrowed(s: &'a str) -> Self {
        Text(Cow::Borrowed(s))
    }

    /// The text.
    ///
    /// ```
    /// assert_eq!(harmony_ollama::Text::borrowed("x").as_str(), "x");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the text points into the input line (no escape had to be decoded).
    ///
    /// ```
    /// assert!(harmony_ollama::Text::borrowed("x").is_borrowed());
    /// ```
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Cow::Borrowed(_))
    }

    /// Detaches the text from the input line.
    ///
    /// ```
    /// let owned: String = harmony_ollama::Text::borrowed("x").into_owned();
    /// assert_eq!(owned, "x");
    /// ```
    pub fn into_owned(self) -> String {
        self.0.into_owned()
    }

    /// The underlying `Cow`.
    ///
    /// ```
    /// use std::borrow::Cow;
    /// assert_eq!(harmony_ollama::Text::borrowed("x").into_cow(), Cow::Borrowed("x"));
    /// ```
    pub fn into_cow(self) -> Cow<'a, str> {
        self.0
    }
}

impl Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Text<'_> {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(s: &'a str) -> Self {
        Text(Cow::Borrowed(s))
    }
}

impl From<String> for Text<'_> {
    fn from(s: String) -> Self {
        Text(Cow::Owned(s))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            // serde_json calls this when the string has no escape: zero copy.
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            // The string had escapes: serde_json decoded it into its scratch buffer.
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}
