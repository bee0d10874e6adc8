//! Chuishao's one message catalogue. Every word a person reads — page text, statuses, event
//! wording, refusals, durations, robot and webhook texts — is a line `(key, 中文, English)` in
//! one of the tables under [`catalogue`], looked up here in the page's [`Lang`]. The domain
//! and the application hand over codes, enums and structured events; the functions in
//! [`cases`] and [`notify`] turn those into words through the catalogue (durations and clocks
//! are worded by the console's `web::clocks` from the `clock.*` lines).
//!
//! It is a crate of its own (not part of the HTTP layer) because the application renders text
//! too: the notification worker words robot messages, and the public API carries the
//! timeline's `text_zh`/`text_en`. It depends on the pure domain only.
//!
//! Placeholders are written `{name}` and filled by [`Msgs::f`] / [`text`] (a few console lines
//! take positional `{}`, filled by [`Msgs::fill`]); a test checks that both languages of a line
//! name the same placeholders.

pub mod cases;
pub mod catalogue;
pub mod notify;
pub mod whistles;

use std::collections::HashMap;
use std::sync::LazyLock;

/// The page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// `zh-CN` or `en`: the `<html lang>` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The short code used in `?lang=`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The other language (for the switch).
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// Parses `zh`, `zh-CN`, `en`, `en-US` … (case-insensitive).
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// Picks between a Chinese and an English text (names stored in both languages).
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// Every line of the catalogue by key.
static INDEX: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> = LazyLock::new(|| {
    catalogue::PARTS.iter().flat_map(|part| part.iter()).map(|(k, zh, en)| (*k, (*zh, *en))).collect()
});

/// The line of `key`, if the catalogue has it.
pub fn lookup(key: &str) -> Option<(&'static str, &'static str)> {
    INDEX.get(key).copied()
}

/// The catalogue key `{prefix}.{name}` if it exists (for codes turned into keys, such as a
/// status or an action name).
pub fn key(prefix: &str, name: &str) -> Option<&'static str> {
    let k = format!("{prefix}.{name}");
    INDEX.get_key_value(k.as_str()).map(|(k, _)| *k)
}

/// Fills `{name}` placeholders of `template` from `args`.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// One text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    /// The text in `lang`.
    pub fn pick(&self, lang: Lang) -> &str {
        lang.pick(&self.zh, &self.en)
    }
}

/// The line of `key` in both languages, placeholders filled (the key itself when missing).
pub fn text(key: &str, args: &[(&str, &str)]) -> Text {
    match lookup(key) {
        Some((zh, en)) => Text { zh: fill(zh, args), en: fill(en, args) },
        None => Text { zh: key.to_string(), en: key.to_string() },
    }
}

/// The catalogue in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Msgs(pub Lang);

impl Msgs {
    /// The text of `key`; the key itself when missing (a test keeps that from happening).
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match lookup(key) {
            Some((zh, en)) => self.0.pick(zh, en),
            None => key,
        }
    }

    /// The text of `key` with its placeholders filled.
    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.t(key), args)
    }

    pub fn lang(&self) -> Lang {
        self.0
    }

    /// The text of `key` with its `{}` replaced by `n`.
    pub fn fill(&self, key: &str, n: impl std::fmt::Display) -> String {
        self.t(key).replace("{}", &n.to_string())
    }

    /// The templates the console's script formats countdowns with, `|`-separated (in the
    /// order `web::clocks` reads them).
    pub fn clock_words(&self) -> String {
        ["clock.left", "clock.overdue", "clock.days", "clock.days_hours", "clock.hours_minutes", "clock.minutes"]
            .iter()
            .map(|k| self.t(k))
            .collect::<Vec<_>>()
            .join("|")
    }
}

/// Notes the platform itself wrote into events before wording moved to the catalogue are
/// stored in both languages, `中文 (English)` or `中文 / English: reason`, so API clients keep
/// reading the same text. A page shows only its language's half; other notes (typed by people)
/// are shown as written.
pub fn localise_note(note: &str, lang: Lang) -> String {
    let has_han = |s: &str| s.chars().any(is_han);
    // `中文 (English)`: a Chinese part and an English part in the last parentheses.
    if let Some(body) = note.strip_suffix(')')
        && let Some(i) = body.rfind(" (")
    {
        let (zh, en) = (&body[..i], &body[i + 2..]);
        if has_han(zh) && !en.is_empty() && !has_han(en) {
            return lang.pick(zh, en).to_string();
        }
    }
    // `中文 / English` or `中文 / English: reason`.
    if let Some((zh, rest)) = note.split_once(" / ") {
        let (en, reason) = match rest.split_once(": ") {
            Some((en, reason)) => (en, Some(reason)),
            None => (rest, None),
        };
        if has_han(zh) && !en.is_empty() && !has_han(en) {
            let sep = lang.pick("：", ": ");
            let head = lang.pick(zh, en);
            return match reason {
                Some(r) => format!("{head}{sep}{r}"),
                None => head.to_string(),
            };
        }
    }
    note.to_string()
}

/// A refused form field in `lang`: its label (`errfield.{field}`, or a generic one) and the
/// problem as the domain handed it over (`problem.{code}` with its values).
pub fn field_error(lang: Lang, field: &str, problem: chuishao_domain::error::Problem) -> String {
    let m = Msgs(lang);
    let label = key("errfield", field).map_or_else(|| m.t("errfield.other"), |k| m.t(k));
    let values = problem.args();
    let args: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let message = match key("problem", problem.code()) {
        Some(k) => m.f(k, &args),
        None => m.t("problem.invalid").to_string(),
    };
    format!("{label}{}{message}", lang.pick("：", ": "))
}

/// A Chinese (Han) character.
pub fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

#[cfg(test)]
mod tests;
