//! Timestamps for Ollama's `created_at` and OpenAI's `created`, without a date crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now as RFC 3339 in UTC with nanoseconds, the way Ollama writes `created_at`.
///
/// ```
/// let t = harmony_server::rfc3339_now();
/// assert_eq!(t.len(), 30);
/// assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T');
/// ```
pub fn rfc3339_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339(now.as_secs(), now.subsec_nanos())
}

/// `secs` since the Unix epoch (plus `nanos`) as RFC 3339 in UTC.
///
/// ```
/// assert_eq!(harmony_server::rfc3339(0, 0), "1970-01-01T00:00:00.000000000Z");
/// assert_eq!(harmony_server::rfc3339(1_754_475_330, 5), "2025-08-06T10:15:30.000000005Z");
/// ```
pub fn rfc3339(secs: u64, nanos: u32) -> String {
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let (year, month, d) = harmony_chat::utc_date(secs);
    format!("{year:04}-{month:02}-{d:02}T{h:02}:{m:02}:{s:02}.{nanos:09}Z")
}
