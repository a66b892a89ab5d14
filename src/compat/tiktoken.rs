//! The tokenizer items of `openai_harmony::tiktoken` that callers use: [`CoreBPE`] and
//! [`Rank`].
//!
//! Decoding reads `harmony-stream`'s decode table (compiled in: nothing to build);
//! encoding is `tiktoken-rs`'s, the same BPE code the reference vendors, over its bundled
//! o200k vocabulary (built once per process, on first use). The vocabulary is the
//! reference's o200k_harmony, special tokens included up to `<|reserved_201088|>`, which
//! `tiktoken-rs` lacks and this type adds.
//!
//! ```
//! use harmony_kit::compat::{load_harmony_encoding, HarmonyEncodingName};
//!
//! let encoding = load_harmony_encoding(HarmonyEncodingName::HarmonyGptOss)?;
//! let bpe = encoding.tokenizer();
//! let ids = bpe.encode_with_special_tokens("<|start|>user<|message|>hello world<|end|>");
//! assert_eq!(ids[0], 200006);
//! assert_eq!(bpe.decode_utf8(&ids).unwrap(), "<|start|>user<|message|>hello world<|end|>");
//! assert_eq!(bpe.decode_utf8([201088]).unwrap(), "<|reserved_201088|>");
//! # Ok::<(), harmony_kit::compat::Error>(())
//! ```

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;

use harmony_stream::vocab::{ids::VOCAB_SIZE, token_bytes};

/// A token id.
pub type Rank = u32;

/// The first special token id of o200k_harmony (`<|startoftext|>`).
const FIRST_SPECIAL: Rank = 199_998;
/// The one reserved id the reference's vocabulary has beyond `tiktoken-rs`'s.
pub(crate) const RESERVED_201088: Rank = 201_088;
const RESERVED_201088_TEXT: &str = "<|reserved_201088|>";

/// The bytes of a token of the reference's vocabulary, or `None` outside it.
#[inline]
pub(crate) fn bytes_of(token: Rank) -> Option<&'static [u8]> {
    if token == RESERVED_201088 {
        return Some(RESERVED_201088_TEXT.as_bytes());
    }
    token_bytes(token)
}

/// A token id outside the vocabulary, met while decoding.
///
/// ```
/// use harmony_kit::compat::{load_harmony_encoding, HarmonyEncodingName};
/// let bpe = load_harmony_encoding(HarmonyEncodingName::HarmonyGptOss)?.tokenizer().clone();
/// assert_eq!(bpe.decode_bytes([99_999_999]).unwrap_err().token, 99_999_999);
/// # Ok::<(), harmony_kit::compat::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeKeyError {
    /// The offending id.
    pub token: Rank,
}

impl fmt::Display for DecodeKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Invalid token for decoding: {}", self.token)
    }
}

impl std::error::Error for DecodeKeyError {}

/// Decoding to a `String` failed: an id outside the vocabulary, or bytes that are not
/// UTF-8.
///
/// ```
/// use harmony_kit::compat::{load_harmony_encoding, HarmonyEncodingName};
/// let encoding = load_harmony_encoding(HarmonyEncodingName::HarmonyGptOss)?;
/// // 132990 and 9552 hold parts of characters that never complete.
/// let err = encoding.tokenizer().decode_utf8([132990, 9552]).unwrap_err();
/// assert!(err.message.starts_with("Invalid utf-8 sequence"));
/// # Ok::<(), harmony_kit::compat::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// What went wrong, in the reference's words.
    pub message: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Could not decode tokens: {}", self.message)
    }
}

impl std::error::Error for DecodeError {}

/// The o200k_harmony byte-pair encoder, with the reference's `CoreBPE` methods.
///
/// Cheap to create and to clone (it holds no tables of its own).
///
/// ```
/// use std::collections::HashSet;
/// use harmony_kit::compat::tiktoken::CoreBPE;
///
/// let bpe = CoreBPE::o200k_harmony();
/// assert_eq!(bpe.encode("hello world", &HashSet::new()).0, [24912, 2375]);
/// assert!(bpe.is_special_token(200006));
/// assert!(!bpe.is_special_token(24912));
/// ```
#[derive(Clone, Copy, Default)]
pub struct CoreBPE {
    _private: (),
}

impl fmt::Debug for CoreBPE {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CoreBPE(o200k_harmony)")
    }
}

impl CoreBPE {
    /// The o200k_harmony encoder (what `load_harmony_encoding` gives).
    ///
    /// ```
    /// let bpe = harmony_kit::compat::tiktoken::CoreBPE::o200k_harmony();
    /// assert_eq!(bpe.encode_ordinary("hello world"), [24912, 2375]);
    /// ```
    pub fn o200k_harmony() -> Self {
        CoreBPE { _private: () }
    }

    fn bpe() -> &'static tiktoken_rs::CoreBPE {
        tiktoken_rs::o200k_harmony_singleton()
    }

    /// The bytes of `tokens`, concatenated (not necessarily UTF-8: a token may hold part
    /// of a character).
    ///
    /// # Errors
    /// [`DecodeKeyError`] for an id outside the vocabulary.
    ///
    /// ```
    /// let bpe = harmony_kit::compat::tiktoken::CoreBPE::o200k_harmony();
    /// assert_eq!(bpe.decode_bytes([24912, 2375]).unwrap(), b"hello world");
    /// ```
    pub fn decode_bytes<S, E>(&self, tokens: S) -> Result<Vec<u8>, DecodeKeyError>
    where
        S: IntoIterator<Item = E>,
        E: Borrow<Rank>,
    {
        let tokens = tokens.into_iter();
        let mut out = Vec::with_capacity(tokens.size_hint().0 * 4);
        for token in tokens {
            let token = *token.borrow();
            out.extend_from_slice(bytes_of(token).ok_or(DecodeKeyError { token })?);
        }
        Ok(out)
    }

    /// The text of `tokens`.
    ///
    /// # Errors
    /// [`DecodeError`] for an id outside the vocabulary or bytes that are not UTF-8 (as
    /// the reference: no replacement characters here; the parser is the lenient one).
    ///
    /// ```
    /// let bpe = harmony_kit::compat::tiktoken::CoreBPE::o200k_harmony();
    /// assert_eq!(bpe.decode_utf8([200014]).unwrap(), "<|reserved_200014|>");
    /// assert!(bpe.decode_utf8([99_999_999]).is_err());
    /// ```
    pub fn decode_utf8<S, E>(&self, tokens: S) -> Result<String, DecodeError>
    where
        S: IntoIterator<Item = E>,
        E: Borrow<Rank>,
    {
        let bytes = self.decode_bytes(tokens).map_err(|e| DecodeError {
            message: format!("Invalid token error: {e}"),
        })?;
        String::from_utf8(bytes).map_err(|e| DecodeError {
            message: format!("Invalid utf-8 sequence: {e}"),
        })
    }

    /// Encodes `text` with no special tokens (marker text is ordinary text).
    ///
    /// ```
    /// let bpe = harmony_kit::compat::tiktoken::CoreBPE::o200k_harmony();
    /// assert!(!bpe.encode_ordinary("<|end|>").contains(&200007));
    /// ```
    pub fn encode_ordinary(&self, text: &str) -> Vec<Rank> {
        Self::bpe().encode_ordinary(text)
    }

    /// Encodes `text`, reading the special tokens named in `allowed_special` as such
    /// (others are ordinary text). The second value is the number of tokens the last
    /// pre-tokenizer piece produced (0 when `text` ends with a special token), as in
    /// tiktoken.
    ///
    /// ```
    /// use std::collections::HashSet;
    /// let bpe = harmony_kit::compat::tiktoken::CoreBPE::o200k_harmony();
    /// let allowed = HashSet::from(["<|start|>"]);
    /// assert_eq!(bpe.encode("<|start|>", &allowed).0, [200006]);
    /// assert_ne!(bpe.encode("<|start|>", &HashSet::new()).0, [200006]);
    /// ```
    pub fn encode(&self, text: &str, allowed_special: &HashSet<&str>) -> (Vec<Rank>, usize) {
        // tiktoken-rs knows every special token but the last reserved one: split on that
        // one here (when allowed) and let tiktoken-rs do the rest, so the ids and the
        // last-piece count are tiktoken's own.
        let mut out = Vec::new();
        let mut last = 0;
        let split_reserved = allowed_special.contains(RESERVED_201088_TEXT);
        let mut rest = text;
        loop {
            let (segment, tail) = match split_reserved.then(|| rest.find(RESERVED_201088_TEXT)) {
                Some(Some(at)) => (&rest[..at], Some(&rest[at + RESERVED_201088_TEXT.len()..])),
                _ => (rest, None),
            };
            if !segment.is_empty() {
                last = self.encode_segment(segment, allowed_special, &mut out);
            }
            match tail {
                Some(t) => {
                    out.push(RESERVED_201088);
                    last = 0;
                    rest = t;
                }
                None => break,
            }
        }
        (out, last)
    }

    fn encode_segment(&self, text: &str, allowed: &HashSet<&str>, out: &mut Vec<Rank>) -> usize {
        match Self::bpe().encode(text, allowed) {
            Ok((ids, last)) => {
                out.extend_from_slice(&ids);
                last
            }
            // tiktoken-rs fails only when its backtracking regex gives up on a
            // pathological input; harmony-chat's DFA pre-tokenizer produces the same ids
            // and cannot fail. Special tokens are not split out on this path.
            Err(_) => {
                let ids = harmony_chat::Renderer::new().encode(text);
                out.extend_from_slice(&ids);
                ids.len().min(1)
            }
        }
    }

    /// Encodes `text` reading every special token as such.
    ///
    /// ```
    /// let bpe = harmony_kit::compat::tiktoken::CoreBPE::o200k_harmony();
    /// assert_eq!(bpe.encode_with_special_tokens("<|end|>"), [200007]);
    /// ```
    pub fn encode_with_special_tokens(&self, text: &str) -> Vec<Rank> {
        self.encode(text, &self.special_tokens()).0
    }

    /// The text of every special token (`<|start|>`, `<|reserved_200014|>`, ...).
    ///
    /// ```
    /// let bpe = harmony_kit::compat::tiktoken::CoreBPE::o200k_harmony();
    /// let specials = bpe.special_tokens();
    /// assert!(specials.contains("<|call|>") && specials.contains("<|reserved_201088|>"));
    /// assert_eq!(specials.len(), 201_089 - 199_998);
    /// ```
    pub fn special_tokens(&self) -> HashSet<&'static str> {
        (FIRST_SPECIAL..=RESERVED_201088)
            .filter_map(|id| bytes_of(id).and_then(|b| std::str::from_utf8(b).ok()))
            .collect()
    }

    /// Whether `token` is a special token (formatting or reserved).
    ///
    /// ```
    /// let bpe = harmony_kit::compat::tiktoken::CoreBPE::o200k_harmony();
    /// assert!(bpe.is_special_token(201088) && !bpe.is_special_token(201089));
    /// ```
    pub fn is_special_token(&self, token: Rank) -> bool {
        (FIRST_SPECIAL..VOCAB_SIZE).contains(&token) || token == RESERVED_201088
    }
}
