//! Durations in words: the time left on boards and desks.

use crate::{Lang, Msgs};

/// Time left as `1小时05分` / `1h05m`, or `3天` / `3d` from two days on; `-` when past.
pub fn left(ms: i64, lang: Lang) -> String {
    let t = Msgs(lang);
    let m = ms.abs() / 60_000;
    let sign = if ms < 0 { "-" } else { "" };
    let body = if m >= 48 * 60 {
        t.f("duration.days", &[("n", &(m / (24 * 60)).to_string())])
    } else {
        t.f("duration.hours", &[("h", &(m / 60).to_string()), ("m", &format!("{:02}", m % 60))])
    };
    format!("{sign}{body}")
}
