//! The public text policy: the one place that decides what the public sees of a case — in
//! Open311 (`requests`, `requests/{id}`, `servicerequestupdates`), on the tracking page and in
//! every public JSON.
//!
//! - **Listing.** Only cases from the residents' own channels (`web`, `open311` by default;
//!   configurable) are listed publicly; hotline and staff-entered cases are not, unless a
//!   dispatcher lists them. A case looked up by its tracking code is always answered (the code
//!   is the resident's receipt).
//! - **Text.** Descriptions, resolution results and posted updates pass the [`Redactor`]
//!   (mobile and landline numbers, ID-card numbers, e-mail addresses, plate numbers, bank
//!   cards, a name after 联系/联系人/找, the reporter's own name, plus configured patterns).
//!   A dispatcher may replace the description (`edited`, still redacted) or withhold it
//!   (`withheld`: the category's name stands in); each change is an event (`case_public`).
//! - **Place.** The address is generalised to the subdistrict (街道) and community (社区);
//!   coordinates are rounded to about 100 m by the callers that show them.

use crate::residents::Residents;
use crate::{AppError, Result};
use chuishao_domain::access::{Actor, Role};
use chuishao_domain::ids::CaseId;
use chuishao_store::{CaseRow, PublicTextRow};
use regex::Regex;
use serde::{Deserialize, Serialize};

/// What replaces a redacted span.
pub const MASK: &str = "***";
/// The event stream of public text changes.
pub const STREAM: &str = chuishao_domain::record::StreamKind::CasePublic.as_str();
/// Longest public text a dispatcher may write.
pub const MAX_PUBLIC_TEXT: usize = 4000;

/// The sources listed publicly by default.
pub const DEFAULT_LISTED_SOURCES: [&str; 2] = ["web", "open311"];

/// A digit, ASCII or full-width.
const D: &str = "[0-9０-９]";

/// The built-in patterns, most specific first.
fn builtin_patterns() -> Vec<String> {
    let sep = "[ \\-－]?";
    vec![
        // E-mail addresses.
        "[A-Za-z0-9._%+\\-]+(?:@|＠)[A-Za-z0-9\\-]+(?:\\.[A-Za-z0-9\\-]+)+".to_string(),
        // 18-digit ID-card numbers (last character may be X) and 15-digit old ones.
        format!("{D}{{17}}[0-9０-９Xx]|{D}{{15}}"),
        // Bank cards: 13–19 digits, optionally in groups of four.
        format!("{D}{{4}}(?:{sep}{D}{{4}}){{2,3}}(?:{sep}{D}{{1,3}})?|{D}{{13,19}}"),
        // Mobile numbers, with or without +86 and separators.
        format!("(?:\\+?86{sep})?1[3-9３-９]{D}(?:{sep}{D}){{8}}"),
        // Landlines: area code and number, or a bare 7–8 digit number; extensions too.
        format!("\\(?0{D}{{2,3}}\\)?{sep}{D}{{7,8}}(?:{sep}{D}{{1,4}})?|{D}{{7,12}}"),
        // Chinese plate numbers (including new-energy ones).
        "[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-Za-z][ ·・\\-]?[A-Za-z0-9]{0,2}[0-9]{3,5}[A-Za-z0-9]{0,2}[挂学警港澳]?"
            .to_string(),
        // A name given as whom to contact: keep the words, hide the name.
        "(?:联系人|联系|姓名)[:：\\s]*(\\p{Han}{2,3})".to_string(),
    ]
}

/// Hides personal data in free text.
#[derive(Debug, Clone)]
pub struct Redactor {
    patterns: Vec<Regex>,
}

impl Default for Redactor {
    fn default() -> Self {
        Redactor::new(&[]).unwrap_or(Redactor { patterns: Vec::new() })
    }
}

impl Redactor {
    /// The built-in patterns plus `extra` (regular expressions); an invalid extra pattern is
    /// refused with its index and the parser's message.
    pub fn new(extra: &[String]) -> std::result::Result<Redactor, String> {
        let mut patterns = Vec::new();
        for p in builtin_patterns() {
            patterns.push(Regex::new(&p).map_err(|e| format!("built-in pattern: {e}"))?);
        }
        for (i, p) in extra.iter().enumerate() {
            let r = Regex::new(p).map_err(|e| format!("pattern {i} ({p:?}): {e}"))?;
            if r.is_match("") {
                return Err(format!("pattern {i} ({p:?}) matches empty text"));
            }
            patterns.push(r);
        }
        Ok(Redactor { patterns })
    }

    /// `text` with every match replaced by [`MASK`] (for a pattern with a capture group, only
    /// the group), and each of `names` (at least two characters) hidden too.
    pub fn redact(&self, text: &str, names: &[&str]) -> String {
        let mut out = text.to_string();
        for name in names.iter().map(|n| n.trim()).filter(|n| n.chars().count() >= 2) {
            out = out.replace(name, MASK);
        }
        for re in &self.patterns {
            if re.captures_len() > 1 {
                out = re
                    .replace_all(&out, |c: &regex::Captures<'_>| {
                        let all = c.get(0).map_or("", |m| m.as_str());
                        match c.get(1) {
                            Some(g) => all.replacen(g.as_str(), MASK, 1),
                            None => all.to_string(),
                        }
                    })
                    .into_owned();
            } else {
                out = re.replace_all(&out, MASK).into_owned();
            }
        }
        out
    }
}

/// The deployment's policy.
#[derive(Debug, Clone)]
pub struct PublicPolicy {
    pub redactor: Redactor,
    /// Sources whose cases are listed publicly.
    pub listed_sources: Vec<String>,
}

impl Default for PublicPolicy {
    fn default() -> Self {
        PublicPolicy {
            redactor: Redactor::default(),
            listed_sources: DEFAULT_LISTED_SOURCES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// How a dispatcher set a case's public description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PublicTextMode {
    /// The resident's description, redacted.
    Auto,
    /// A dispatcher's text (redacted too).
    Edited,
    /// No description: the category's name stands in.
    Withheld,
}

impl PublicTextMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PublicTextMode::Auto => "auto",
            PublicTextMode::Edited => "edited",
            PublicTextMode::Withheld => "withheld",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [PublicTextMode::Auto, PublicTextMode::Edited, PublicTextMode::Withheld].into_iter().find(|m| m.as_str() == s)
    }
}

/// A dispatcher's change of the public text.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicTextInput {
    pub mode: PublicTextMode,
    /// Required for `edited`, refused otherwise.
    #[serde(default)]
    pub text: Option<String>,
    /// Whether the case is listed publicly; absent or null: as its source decides.
    #[serde(default)]
    pub listed: Option<bool>,
}

/// What the public sees of a case, as staff are shown it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct PublicTextView {
    pub mode: PublicTextMode,
    /// The description as the public sees it (redacted; the category's name when withheld).
    pub description: String,
    /// The generalised place (subdistrict and community), if known.
    pub address: Option<String>,
    /// Whether Open311's listing shows the case.
    pub listed: bool,
    /// The dispatcher's choice of listing, if any (null: as the source decides).
    pub listed_override: Option<bool>,
}

/// A case's public text in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicText {
    pub mode: PublicTextMode,
    pub description_zh: String,
    pub description_en: String,
    pub address_zh: Option<String>,
    pub address_en: Option<String>,
    pub listed: bool,
    pub listed_override: Option<bool>,
}

impl PublicText {
    pub fn description(&self, en: bool) -> &str {
        if en { &self.description_en } else { &self.description_zh }
    }
    pub fn address(&self, en: bool) -> Option<&str> {
        if en { self.address_en.as_deref() } else { self.address_zh.as_deref() }
    }
}

impl<'a> Residents<'a> {
    /// The deployment's public text policy.
    pub fn public_policy(&self) -> &'a PublicPolicy {
        &self.app.public_policy
    }

    /// Redacts a line meant for the public (timeline words, posted updates).
    pub fn public_line(&self, text: &str) -> String {
        self.public_policy.redactor.redact(text, &[])
    }

    /// An event worded for the public timeline (Open311 updates, the tracking page, live
    /// updates), redacted; `None` for an internal event.
    pub(crate) async fn public_event_words(
        &self,
        event: &chuishao_domain::cases::CaseEvent,
    ) -> Result<Option<chuishao_i18n::Text>> {
        let unit = match event.handler_id() {
            Some(h) => self.admin().org(h).await?,
            None => None,
        };
        let words =
            chuishao_i18n::cases::public(event, unit.as_deref().map(|u| (u.name_zh.as_str(), u.name_en.as_str())));
        Ok(words.map(|w| chuishao_i18n::Text { zh: self.public_line(&w.zh), en: self.public_line(&w.en) }))
    }

    /// What the public sees of `row`.
    pub async fn public_text(&self, row: &CaseRow) -> Result<PublicText> {
        let setting = self.store.public_text(row.id).await?;
        let mode = setting.as_ref().and_then(|s| PublicTextMode::parse(&s.mode)).unwrap_or(PublicTextMode::Auto);
        let reporter_name = self.cases().reporter_name(CaseId(row.id)).await?;
        let names: Vec<&str> = reporter_name.iter().map(String::as_str).collect();
        let category = match &row.category_code {
            Some(c) => self.admin().category(c).await?,
            None => None,
        };
        let category_name = |en: bool| match &category {
            Some(c) => {
                if en {
                    c.name_en.clone()
                } else {
                    c.name_zh.clone()
                }
            }
            None => String::new(),
        };
        let redact = |t: &str| self.public_policy.redactor.redact(t, &names);
        let (zh, en) = match (mode, setting.as_ref().and_then(|s| s.text.as_deref())) {
            (PublicTextMode::Withheld, _) => (category_name(false), category_name(true)),
            (PublicTextMode::Edited, Some(t)) => (redact(t), redact(t)),
            _ => {
                let d = redact(&row.description);
                (d.clone(), d)
            }
        };
        let (sub, com) =
            (self.cases().org_ref(row.subdistrict_id).await?, self.cases().org_ref(row.community_id).await?);
        let place = |en: bool| {
            let parts: Vec<&str> = [&sub, &com]
                .into_iter()
                .flatten()
                .map(|o| if en { o.name_en.as_str() } else { o.name_zh.as_str() })
                .collect();
            (!parts.is_empty()).then(|| parts.join(if en { ", " } else { "" }))
        };
        let listed_override = setting.as_ref().and_then(|s| s.listed);
        let listed = listed_override.unwrap_or_else(|| self.public_policy.listed_sources.contains(&row.source));
        Ok(PublicText {
            mode,
            description_zh: zh,
            description_en: en,
            address_zh: place(false),
            address_en: place(true),
            listed,
            listed_override,
        })
    }

    /// The sources listed publicly, for the listing's query.
    pub(crate) fn listed_sources(&self) -> Vec<String> {
        self.public_policy.listed_sources.clone()
    }

    fn may_edit_public_text(actor: &Actor, row: &CaseRow) -> Result<()> {
        let case = row.to_domain()?;
        let scope = case.scope();
        if (actor.has_role(Role::Dispatcher) || actor.has_role(Role::Admin)) && actor.may_see_reporter(&scope) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("{} may not change what the public sees", actor.username)))
        }
    }

    /// The public text of a case, for staff who may change it.
    pub async fn public_text_view(&self, actor: &Actor, id: CaseId, en: bool) -> Result<PublicTextView> {
        let row = self.cases().visible_case(actor, id).await?;
        Self::may_edit_public_text(actor, &row)?;
        let p = self.public_text(&row).await?;
        Ok(PublicTextView {
            mode: p.mode,
            description: p.description(en).to_string(),
            address: p.address(en).map(str::to_string),
            listed: p.listed,
            listed_override: p.listed_override,
        })
    }

    /// A dispatcher edits, withholds or restores the public description, or lists/unlists the
    /// case. Recorded as a `case_public` event (the old and new setting) in the audit chain.
    pub async fn set_public_text(
        &self,
        actor: &Actor,
        id: CaseId,
        input: &PublicTextInput,
        en: bool,
    ) -> Result<PublicTextView> {
        let row = self.cases().visible_case(actor, id).await?;
        Self::may_edit_public_text(actor, &row)?;
        let text = input.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
        match (input.mode, text) {
            (PublicTextMode::Edited, None) => return Err(AppError::invalid("text", "required when mode is edited")),
            (PublicTextMode::Edited, Some(t)) if t.chars().count() > MAX_PUBLIC_TEXT => {
                return Err(AppError::invalid("text", "at most 4000 characters"));
            }
            (PublicTextMode::Edited, Some(t)) if t.chars().any(|c| c.is_control() && c != '\n') => {
                return Err(AppError::invalid("text", "control characters are not allowed"));
            }
            (PublicTextMode::Auto | PublicTextMode::Withheld, Some(_)) => {
                return Err(AppError::invalid("text", "only with mode edited"));
            }
            _ => {}
        }
        let now = self.now_ms();
        let new = PublicTextRow {
            case_id: row.id,
            mode: input.mode.as_str().to_string(),
            text: text.map(str::to_string),
            listed: input.listed,
            updated_by: Some(actor.user_id.0),
            updated_at: now,
        };
        let old = self.store.public_text(row.id).await?;
        let payload = serde_json::json!({
            "mode": new.mode,
            "text": new.text,
            "listed": new.listed,
            "previous_mode": old.as_ref().map(|o| o.mode.clone()),
            "previous_text": old.as_ref().and_then(|o| o.text.clone()),
            "previous_listed": old.as_ref().and_then(|o| o.listed),
        });
        let mut tx = self.store.begin().await?;
        tx.put_public_text(&new).await?;
        let stream = chuishao_domain::record::StreamKind::CasePublic;
        let actor_id = Some(actor.user_id.0);
        crate::record::log_fact(&mut tx, stream, row.id, 0, "public_text_set", payload.to_string(), actor_id, now)
            .await?;
        tx.commit().await?;
        self.cases().public_views_changed([row.id]);
        self.public_text_view(actor, id, en).await
    }
}

impl crate::App {
    /// Sets the public text policy (from the configuration).
    pub fn with_public_policy(mut self, policy: PublicPolicy) -> Self {
        self.public_policy = std::sync::Arc::new(policy);
        self
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    fn r(t: &str) -> String {
        Redactor::default().redact(t, &[])
    }

    #[test]
    fn personal_data_is_hidden() {
        for (input, secret) in [
            ("请联系张三 13800138000", "13800138000"),
            ("请联系张三 13800138000", "张三"),
            ("电话 138-0013-8000 谢谢", "0013"),
            ("+86 13800138000", "13800138000"),
            ("身份证110101199003074258", "110101199003074258"),
            ("身份证11010119900307425X号", "11010119900307425"),
            ("邮箱 a@b.cn 联系", "a@b.cn"),
            ("车牌京A12345停了三天", "京A12345"),
            ("车牌京A·D12345", "D12345"),
            ("卡号6222021234567890123", "6222021234567890123"),
            ("卡号 6222 0212 3456 7890", "3456"),
            ("座机010-62345678", "62345678"),
            ("座机62345678", "62345678"),
            ("全角１３８００１３８０００", "１３８００１３８０００"),
            ("联系人：李四娟", "李四娟"),
        ] {
            let out = r(input);
            assert!(!out.contains(secret), "{input:?} → {out:?} still has {secret:?}");
            assert!(out.contains(MASK), "{input:?} → {out:?}");
        }
    }

    #[test]
    fn ordinary_text_is_kept() {
        for t in ["3号楼2单元门口垃圾堆了三天", "路灯坏了，2024年10月起", "Streetlight out near No. 12"]
        {
            assert_eq!(r(t), t);
        }
    }

    #[test]
    fn the_reporters_name_and_extra_patterns_are_hidden() {
        let red = Redactor::new(&["微信号?[:：]?\\s*[A-Za-z0-9_]{5,}".into()]).expect("valid");
        assert_eq!(red.redact("王小明说微信 wxid_abc123", &["王小明"]), "***说***");
        assert!(Redactor::new(&["(".into()]).is_err());
        assert!(Redactor::new(&["a*".into()]).is_err());
    }

    #[test]
    fn modes_round_trip() {
        for m in [PublicTextMode::Auto, PublicTextMode::Edited, PublicTextMode::Withheld] {
            assert_eq!(PublicTextMode::parse(m.as_str()), Some(m));
        }
    }
}
