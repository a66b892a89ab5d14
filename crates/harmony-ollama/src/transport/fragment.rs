//! [`Fragment`]: an owned piece of streamed text that shares the network buffer.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;

/// Owned UTF-8 text backed by [`Bytes`].
///
/// A fragment whose JSON string had no escape is a slice of the very buffer the
/// socket read into (a reference count bump, no copy, no allocation); an escaped one
/// owns its decoded text. Either way it can outlive the stream and cross threads.
///
/// ```
/// let f = harmony_ollama::Fragment::from("Hello");
/// assert_eq!(f.as_str(), "Hello");
/// assert_eq!(&*f, "Hello");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Fragment(Bytes);

impl Fragment {
    /// Slices `text` out of `chunk` when it was borrowed from it; takes an owned
    /// (unescaped) string without copying; copies text borrowed from elsewhere (the
    /// decoder's buffer for a line that straddled chunks).
    pub(crate) fn from_chunk(chunk: &Bytes, text: Cow<'_, str>) -> Fragment {
        match text {
            Cow::Owned(s) => Fragment(Bytes::from(s)),
            Cow::Borrowed(s) => {
                let (start, end) = (
                    chunk.as_ptr() as usize,
                    chunk.as_ptr() as usize + chunk.len(),
                );
                let p = s.as_ptr() as usize;
                // The range check is what makes `slice_ref` (which panics on a foreign
                // slice) safe to call.
                if !s.is_empty() && p >= start && p + s.len() <= end {
                    Fragment(chunk.slice_ref(s.as_bytes()))
                } else {
                    Fragment(Bytes::copy_from_slice(s.as_bytes()))
                }
            }
        }
    }

    /// The text.
    ///
    /// ```
    /// assert_eq!(harmony_ollama::Fragment::from("x").as_str(), "x");
    /// ```
    pub fn as_str(&self) -> &str {
        // Fragments are only built from `&str`/`String`, so this cannot fail; the
        // check keeps the crate free of `unsafe` for a linear scan of a few bytes.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The underlying bytes (UTF-8).
    ///
    /// ```
    /// assert_eq!(&harmony_ollama::Fragment::from("x").into_bytes()[..], b"x");
    /// ```
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl std::ops::Deref for Fragment {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Fragment {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Fragment {
    fn from(s: &str) -> Self {
        Fragment(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<String> for Fragment {
    fn from(s: String) -> Self {
        Fragment(Bytes::from(s))
    }
}

impl fmt::Debug for Fragment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Fragment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for Fragment {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Fragment {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
