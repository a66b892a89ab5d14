//! Calendar dates for the system message's `Current date:` line, without a date crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// The UTC calendar date of `unix_secs` seconds after the Unix epoch, as
/// `(year, month, day)`.
///
/// ```
/// assert_eq!(harmony_chat::utc_date(0), (1970, 1, 1));
/// assert_eq!(harmony_chat::utc_date(1_754_475_330), (2025, 8, 6));
/// assert_eq!(harmony_chat::utc_date(951_782_400), (2000, 2, 29));
/// ```
pub fn utc_date(unix_secs: u64) -> (i64, u32, u32) {
    // Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
    let z = (unix_secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Today's UTC date as `YYYY-MM-DD`, the form Ollama's gpt-oss template writes after
/// `Current date:` (see [`SystemContent::with_current_date`](crate::SystemContent::with_current_date)).
///
/// ```
/// let today = harmony_chat::today_utc();
/// assert_eq!(today.len(), 10);
/// assert!(today.as_str() > "2025-01-01");
/// ```
pub fn today_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = utc_date(secs);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_follows_the_one_before() {
        // Walk 1970..2100 a day at a time: the date advances by exactly one day, months
        // have their lengths, and leap years are the Gregorian ones.
        let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let len = |y, m| match m {
            2 if leap(y) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let mut prev = utc_date(0);
        for day in 1..(130 * 366) {
            let next = utc_date(day * 86_400 + 86_399);
            let (y, m, d) = prev;
            let expected = if d < len(y, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
            assert_eq!(next, expected, "day {day}");
            prev = next;
        }
    }
}
