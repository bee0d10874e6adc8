//! Time formatting: instants are stored as UTC milliseconds and shown as RFC 3339 in China
//! Standard Time (+08:00, no daylight saving), the zone every deployment works in.

use chrono::{DateTime, FixedOffset, Offset, TimeZone, Utc};

/// China Standard Time.
pub fn cst() -> FixedOffset {
    match FixedOffset::east_opt(8 * 3600) {
        Some(offset) => offset,
        None => Utc.fix(),
    }
}

/// `ms` as RFC 3339 with +08:00, to the second.
pub fn rfc3339(ms: i64) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.with_timezone(&cst()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        None => String::new(),
    }
}

/// Parses an RFC 3339 instant (any offset) to UTC milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis())
}

pub(crate) fn system_now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_in_china_standard_time() {
        assert_eq!(super::rfc3339(0), "1970-01-01T08:00:00+08:00");
        assert_eq!(super::parse_rfc3339("1970-01-01T08:00:00+08:00"), Some(0));
        assert_eq!(super::parse_rfc3339("yesterday"), None);
    }
}
