//! Notifications: who is told about which case events, how a delivery is laid out for each
//! channel (generic webhook, WeCom and DingTalk group robots), and the retry schedule. Pure:
//! the words come from the catalogue (`chuishao_i18n::notify`); the application sends, signs
//! and stores.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Attempts before a delivery is dead-lettered.
pub const MAX_ATTEMPTS: u32 = 8;

/// Where a delivery goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Any HTTP endpoint: a JSON body signed with HMAC-SHA256.
    Webhook,
    /// A WeCom (企业微信) group robot.
    Wecom,
    /// A DingTalk (钉钉) group robot.
    Dingtalk,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Webhook => "webhook",
            Channel::Wecom => "wecom",
            Channel::Dingtalk => "dingtalk",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Channel::Webhook, Channel::Wecom, Channel::Dingtalk].into_iter().find(|c| c.as_str() == s)
    }
}

/// How a robot message is written (webhooks are always JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Json,
    Text,
    Markdown,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Text => "text",
            Format::Markdown => "markdown",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Format::Json, Format::Text, Format::Markdown].into_iter().find(|c| c.as_str() == s)
    }
}

/// A subscription: a channel, the event kinds it wants (empty: all) and the part of the org
/// tree whose cases it follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: i64,
    pub name: String,
    pub channel: Channel,
    pub url: String,
    pub secret: Option<String>,
    pub event_kinds: Vec<String>,
    pub org_path: String,
    pub format: Format,
    pub active: bool,
}

impl Subscription {
    /// Whether an event of `kind` on a case placed or handled under one of `paths` is wanted.
    pub fn matches(&self, kind: &str, paths: &[&str]) -> bool {
        self.active
            && (self.event_kinds.is_empty() || self.event_kinds.iter().any(|k| k == kind))
            && paths.iter().any(|p| p.starts_with(&self.org_path))
    }
}

/// What happened, as every channel is told.
#[derive(Debug, Clone, PartialEq)]
pub struct Announcement<'a> {
    pub seq: i64,
    /// The record the event belongs to.
    pub stream: crate::record::StreamKind,
    pub stream_id: i64,
    pub kind: &'a str,
    /// The event's JSON.
    pub data: &'a Value,
    /// RFC 3339.
    pub at: &'a str,
}

/// A message's words, from the catalogue (`chuishao_i18n::notify`): the title and the
/// detail line (a note, a reason or the deadline; empty when there is none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Wording {
    pub title: String,
    pub detail: String,
}

impl Announcement<'_> {
    /// The note or reason the event carries, or the deadline it is about (`Err`), if any.
    pub fn detail_source(&self) -> Option<Result<&str, &str>> {
        match (self.data.get("note"), self.data.get("reason"), self.data.get("due_at")) {
            (Some(Value::String(n)), _, _) => Some(Ok(n)),
            (_, Some(Value::String(r)), _) => Some(Ok(r)),
            (_, _, Some(Value::Number(_))) => Some(Err(self.data["deadline"].as_str().unwrap_or(""))),
            _ => None,
        }
    }
}

/// The request body for `sub`, worded by `words`.
pub fn render(sub: &Subscription, a: &Announcement<'_>, words: &Wording) -> String {
    let (title, detail) = (&words.title, &words.detail);
    let text = if detail.is_empty() { format!("{title}\n{}", a.at) } else { format!("{title}\n{detail}\n{}", a.at) };
    let markdown = format!("### {title}\n> {}\n\n{}", if detail.is_empty() { "—" } else { detail.as_str() }, a.at);
    let body = match (sub.channel, sub.format) {
        (Channel::Webhook, _) if a.stream == crate::record::StreamKind::Case => json!({
            "seq": a.seq, "case_id": a.stream_id, "kind": a.kind, "at": a.at, "data": a.data,
            "subscription": sub.name,
        }),
        (Channel::Webhook, _) => json!({
            "seq": a.seq, "stream": a.stream.as_str(), "stream_id": a.stream_id, "kind": a.kind, "at": a.at,
            "data": a.data, "subscription": sub.name,
        }),
        (Channel::Wecom, Format::Markdown) => json!({"msgtype": "markdown", "markdown": {"content": markdown}}),
        (Channel::Wecom, _) => json!({"msgtype": "text", "text": {"content": text}}),
        (Channel::Dingtalk, Format::Markdown) => {
            json!({"msgtype": "markdown", "markdown": {"title": title, "text": markdown}})
        }
        (Channel::Dingtalk, _) => json!({"msgtype": "text", "text": {"content": text}}),
    };
    body.to_string()
}

/// Milliseconds to wait after failed attempt number `attempts` (1-based): 10 s, 20 s, 40 s…
/// capped at one hour.
pub fn backoff_ms(attempts: u32) -> i64 {
    let exp = attempts.saturating_sub(1).min(20);
    (10_000i64 << exp).min(3_600_000)
}

/// Whether a response means delivered. Robots answer 200 with `{"errcode": 0}` on success and
/// a non-zero `errcode` otherwise; anything unreadable from them is a failure.
pub fn judge(channel: Channel, status: u16, body: &str) -> Result<(), String> {
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}"));
    }
    match channel {
        Channel::Webhook => Ok(()),
        Channel::Wecom | Channel::Dingtalk => match serde_json::from_str::<Value>(body) {
            Ok(v) if v["errcode"].as_i64() == Some(0) => Ok(()),
            Ok(v) => Err(format!("robot refused: errcode {} {}", v["errcode"], v["errmsg"])),
            Err(_) => Err("robot answered something that is not JSON".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(channel: Channel, format: Format) -> Subscription {
        Subscription {
            id: 1,
            name: "ops".into(),
            channel,
            url: "http://x".into(),
            secret: None,
            event_kinds: vec!["deadline_overdue".into()],
            org_path: "/1/4/".into(),
            format,
            active: true,
        }
    }

    #[test]
    fn matching_by_kind_and_scope() {
        let s = sub(Channel::Webhook, Format::Json);
        assert!(s.matches("deadline_overdue", &["/1/4/9/", "/1/50/"]));
        assert!(s.matches("deadline_overdue", &["/1/2/", "/1/4/"]));
        assert!(!s.matches("deadline_overdue", &["/1/2/"]));
        assert!(!s.matches("accepted", &["/1/4/9/"]));
        let all = Subscription { event_kinds: vec![], ..s.clone() };
        assert!(all.matches("accepted", &["/1/4/9/"]));
        assert!(!Subscription { active: false, ..s }.matches("deadline_overdue", &["/1/4/"]));
    }

    #[test]
    fn robot_formats() {
        let data = json!({"type": "supervised", "note": "办理超时，自动督办", "count": 1});
        let a = Announcement {
            seq: 7,
            stream: crate::record::StreamKind::Case,
            stream_id: 42,
            kind: "supervised",
            data: &data,
            at: "2026-03-02T10:00:00+08:00",
        };
        assert_eq!(a.detail_source(), Some(Ok("办理超时，自动督办")));
        let words = Wording {
            title: "吹哨 Chuishao：案件 case 42 督办 supervised".into(),
            detail: "办理超时，自动督办".into(),
        };
        let render = |s: &Subscription, a: &Announcement<'_>| render(s, a, &words);
        let wecom: Value =
            serde_json::from_str(&render(&sub(Channel::Wecom, Format::Markdown), &a)).unwrap_or_default();
        assert_eq!(wecom["msgtype"], "markdown");
        assert!(wecom["markdown"]["content"].as_str().unwrap_or("").contains("办理超时，自动督办"));
        let ding: Value = serde_json::from_str(&render(&sub(Channel::Dingtalk, Format::Text), &a)).unwrap_or_default();
        assert_eq!(ding["msgtype"], "text");
        assert!(ding["text"]["content"].as_str().unwrap_or("").contains("案件 case 42"));
        let hook: Value = serde_json::from_str(&render(&sub(Channel::Webhook, Format::Json), &a)).unwrap_or_default();
        assert_eq!((hook["seq"].as_i64(), hook["kind"].as_str()), (Some(7), Some("supervised")));
    }

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!([1, 2, 3, 4].map(backoff_ms), [10_000, 20_000, 40_000, 80_000]);
        assert_eq!(backoff_ms(30), 3_600_000);
    }

    #[test]
    fn judging_answers() {
        assert_eq!(judge(Channel::Webhook, 204, ""), Ok(()));
        assert!(judge(Channel::Webhook, 500, "").is_err());
        assert_eq!(judge(Channel::Wecom, 200, r#"{"errcode":0,"errmsg":"ok"}"#), Ok(()));
        assert!(judge(Channel::Dingtalk, 200, r#"{"errcode":310000,"errmsg":"sign not match"}"#).is_err());
        assert!(judge(Channel::Wecom, 200, "<html>").is_err());
    }
}
