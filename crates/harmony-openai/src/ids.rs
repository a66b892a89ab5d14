//! Object ids (`chatcmpl-…`, `resp_…`, `rs_…`, `msg_…`, `fc_…`, `call_…`) and the
//! clock, kept out of the encoders so tests can fix them.

use std::hash::{BuildHasher, Hasher};

/// Makes unique ids: a prefix and 24 hex digits.
///
/// [`IdGen::random`] is seeded from the standard library's per-process random hash
/// keys (no dependency, no I/O); [`IdGen::from_seed`] is deterministic, for tests.
///
/// ```
/// use harmony_openai::IdGen;
/// let mut ids = IdGen::from_seed(7);
/// let a = ids.next("resp_");
/// let b = ids.next("resp_");
/// assert!(a.starts_with("resp_") && a.len() == 5 + 24);
/// assert_ne!(a, b);
/// assert_eq!(IdGen::from_seed(7).next("resp_"), a);
/// ```
#[derive(Debug, Clone)]
pub struct IdGen {
    state: u64,
}

impl IdGen {
    /// A generator with an unpredictable seed.
    ///
    /// ```
    /// let (mut a, mut b) = (harmony_openai::IdGen::random(), harmony_openai::IdGen::random());
    /// assert_ne!(a.next("x"), b.next("x"));
    /// ```
    pub fn random() -> Self {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x6861_726d_6f6e_7921);
        IdGen { state: h.finish() }
    }

    /// A deterministic generator.
    ///
    /// ```
    /// assert_eq!(harmony_openai::IdGen::from_seed(1).next("a"), harmony_openai::IdGen::from_seed(1).next("a"));
    /// ```
    pub fn from_seed(seed: u64) -> Self {
        IdGen { state: seed }
    }

    fn step(&mut self) -> u64 {
        // splitmix64: a good spread from a counter.
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The next id with this prefix.
    ///
    /// ```
    /// assert!(harmony_openai::IdGen::random().next("fc_").starts_with("fc_"));
    /// ```
    pub fn next(&mut self, prefix: &str) -> String {
        let (a, b) = (self.step(), self.step());
        format!("{prefix}{a:016x}{:08x}", b >> 32)
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
///
/// ```
/// assert!(harmony_openai::unix_now() > 1_700_000_000);
/// ```
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
