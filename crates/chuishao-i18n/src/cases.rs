//! Cases in words: a status, an event on the public timeline (plain words for residents,
//! naming handling units but never staff or reporters; internal steps left out) and on the
//! staff desk (every event, with the reasons, notes and days staff need). The matches are
//! exhaustive, so a new event kind cannot reach a page untranslated.

use crate::{Text, lookup, text};
use chuishao_domain::cases::{CaseEvent, CaseStatus};

/// A case status in both languages.
pub fn status(s: CaseStatus) -> (&'static str, &'static str) {
    lookup(&format!("status.{}", s.as_str())).unwrap_or((s.as_str(), s.as_str()))
}

/// A word of the catalogue in both languages (`{prefix}.{code}`).
fn word(prefix: &str, code: &str) -> Text {
    text(&format!("{prefix}.{code}"), &[])
}

/// `unit` as `(zh, en)`, or the generic "the handling unit".
fn unit_of(unit: Option<(&str, &str)>) -> Text {
    match unit {
        Some((zh, en)) => Text { zh: zh.to_string(), en: en.to_string() },
        None => text("unit.default", &[]),
    }
}

/// Fills `key` with per-language arguments: each is `(name, Text)` (a word that differs by
/// language) — plain values are given as the same text twice.
fn both(key: &str, args: &[(&str, Text)]) -> Text {
    let Some((zh, en)) = lookup(key) else { return text(key, &[]) };
    let zh_args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.zh.as_str())).collect();
    let en_args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.en.as_str())).collect();
    Text { zh: crate::fill(zh, &zh_args), en: crate::fill(en, &en_args) }
}

/// The same value in both languages (a number, a reason as typed, a code).
fn same(v: impl ToString) -> Text {
    let v = v.to_string();
    Text { zh: v.clone(), en: v }
}

/// Words an event for residents, or `None` when it is internal. `unit` names the handling
/// unit the event refers to, as `(zh, en)`.
pub fn public(event: &CaseEvent, unit: Option<(&str, &str)>) -> Option<Text> {
    let u = || ("unit", unit_of(unit));
    Some(match event {
        CaseEvent::Received { .. } => text("public.received", &[]),
        CaseEvent::Registered { .. } => text("public.registered", &[]),
        CaseEvent::Rejected { .. } => text("public.rejected", &[]),
        CaseEvent::Dispatched { .. } => both("public.dispatched", &[u()]),
        CaseEvent::Accepted { .. } => both("public.accepted", &[u()]),
        CaseEvent::Returned { .. } => text("public.returned", &[]),
        CaseEvent::ExtensionApproved { days } => both("public.extension_approved", &[("days", same(days))]),
        CaseEvent::Parked { .. } => text("public.parked", &[]),
        CaseEvent::Unparked => text("public.unparked", &[]),
        CaseEvent::Resolved { result, .. } => both("public.resolved", &[u(), ("result", same(result))]),
        CaseEvent::VerificationPassed { .. } => text("public.verification_passed", &[]),
        CaseEvent::Reopened { .. } => both("public.reopened", &[u()]),
        CaseEvent::Closed => text("public.closed", &[]),
        CaseEvent::MergedInto { primary_id } => both("public.merged_into", &[("primary", same(primary_id.0))]),
        CaseEvent::CallbackRecorded { .. } => text("public.callback_recorded", &[]),
        CaseEvent::ExtensionRequested { .. }
        | CaseEvent::ExtensionDenied { .. }
        | CaseEvent::VerificationFailed { .. }
        | CaseEvent::Supervised { .. }
        | CaseEvent::DuplicateMerged { .. }
        | CaseEvent::TierChanged { .. }
        | CaseEvent::DeadlineWarning { .. }
        | CaseEvent::DeadlineOverdue { .. }
        | CaseEvent::DeadlineRetimed { .. } => return None,
    })
}

/// A note or reason as each language shows it: the platform's own bilingual notes split
/// ([`crate::localise_note`]), typed ones as written.
fn note_text(n: &str) -> Text {
    Text { zh: crate::localise_note(n, crate::Lang::Zh), en: crate::localise_note(n, crate::Lang::En) }
}

/// `t` followed by a note, when there is one.
fn with_note(t: Text, note: &Option<String>) -> Text {
    match note {
        Some(n) if !n.trim().is_empty() => both("event.with_note", &[("text", t), ("note", note_text(n))]),
        _ => t,
    }
}

/// Words an event for staff. `unit` names the unit the event refers to (the handling unit,
/// or the organisation an escalation went to), as `(zh, en)`.
pub fn staff(event: &CaseEvent, unit: Option<(&str, &str)>) -> Text {
    let u = || ("unit", unit_of(unit));
    let reason = |r: &String| ("reason", note_text(r));
    match event {
        CaseEvent::Received { source, .. } => both("event.received", &[("source", word("source", source.as_str()))]),
        CaseEvent::Registered { category_code, .. } => match category_code {
            Some(c) => both("event.registered_as", &[("category", same(c))]),
            None => text("event.registered", &[]),
        },
        CaseEvent::Rejected { reason: r } => both("event.rejected", &[reason(r)]),
        CaseEvent::Dispatched { note, .. } => with_note(both("event.dispatched", &[u()]), note),
        CaseEvent::Accepted { .. } => both("event.accepted", &[u()]),
        CaseEvent::Returned { reason: r, .. } => both("event.returned", &[u(), reason(r)]),
        CaseEvent::ExtensionRequested { days, reason: r } => {
            both("event.extension_requested", &[("days", same(days)), reason(r)])
        }
        CaseEvent::ExtensionApproved { days } => both("event.extension_approved", &[("days", same(days))]),
        CaseEvent::ExtensionDenied { reason: r } => both("event.extension_denied", &[reason(r)]),
        CaseEvent::Parked { reason: r } => both("event.parked", &[reason(r)]),
        CaseEvent::Unparked => text("event.unparked", &[]),
        CaseEvent::Resolved { result, evidence, .. } => {
            let n = evidence.len();
            let evidence = if n == 0 { Text::default() } else { text("event.evidence", &[("n", &n.to_string())]) };
            both("event.resolved", &[u(), ("result", same(result)), ("evidence", evidence)])
        }
        CaseEvent::VerificationPassed { note } => with_note(text("event.verification_passed", &[]), note),
        CaseEvent::VerificationFailed { note } => with_note(text("event.verification_failed", &[]), note),
        CaseEvent::Reopened { reason: r, .. } => both("event.reopened", &[u(), reason(r)]),
        CaseEvent::Closed => text("event.closed", &[]),
        CaseEvent::Supervised { note, count, to_org_id, level } => {
            let (count, note) = (("count", same(count)), ("note", note_text(note)));
            let level_words = |l: u8| ("level", word("level", &l.clamp(1, 3).to_string()));
            match (to_org_id, level) {
                (Some(_), Some(l)) => both("event.escalated_level", &[u(), level_words(*l), note]),
                (Some(_), None) => both("event.escalated", &[u(), count, note]),
                (None, Some(l)) if *l >= 2 => both("event.supervised_level", &[count, level_words(*l), note]),
                (None, _) => both("event.supervised", &[count, note]),
            }
        }
        CaseEvent::MergedInto { primary_id } => both("event.merged_into", &[("primary", same(primary_id.0))]),
        CaseEvent::DuplicateMerged { duplicate_id } => {
            both("event.duplicate_merged", &[("duplicate", same(duplicate_id.0))])
        }
        CaseEvent::CallbackRecorded { solved, satisfaction, comment } => {
            let solved = word("solved", if *solved { "yes" } else { "no" });
            let args = [("solved", solved), ("satisfaction", word("satisfaction", satisfaction.as_str()))];
            with_note(both("event.callback", &args), comment)
        }
        CaseEvent::TierChanged { tier, reason: r } => {
            both("event.tier_changed", &[("tier", word("tierw", tier.as_str())), reason(r)])
        }
        CaseEvent::DeadlineWarning { deadline, .. } => {
            both("event.deadline_warning", &[("clock", word("clock", deadline.as_str()))])
        }
        CaseEvent::DeadlineRetimed { deadline, from_due_at, due_at } => {
            let clock = ("clock", word("clock", deadline.as_str()));
            let (from, to) = (same(local_minute(*from_due_at)), same(local_minute(*due_at)));
            both("event.deadline_retimed", &[clock, ("from", from), ("to", to)])
        }
        CaseEvent::DeadlineOverdue { deadline, period, .. } => {
            let clock = ("clock", word("clock", deadline.as_str()));
            if *period <= 1 {
                both("event.deadline_overdue", &[clock])
            } else {
                both("event.deadline_overdue_again", &[clock, ("period", same(period))])
            }
        }
    }
}

/// `YYYY-MM-DD HH:MM` in China Standard Time (UTC+8, no daylight saving).
fn local_minute(ms: i64) -> String {
    let local = ms + 8 * 3_600_000;
    let (days, minute) = (local.div_euclid(86_400_000), local.rem_euclid(86_400_000) / 60_000);
    // Days since 1970-01-01 to a civil date (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}", minute / 60, minute % 60)
}

/// A note the platform writes into an event in both languages, `中文 (English)`, so the API
/// keeps its text while pages show their half ([`crate::localise_note`]).
pub fn stored_note(key: &str, args: &[(&str, Text)]) -> String {
    let t = both(key, args);
    format!("{} ({})", t.zh, t.en)
}

/// The deadline worker's note for an automatic supervision at `level` (1 to 3) of a clock
/// `days` working days overdue (levels 2 and 3).
pub fn level_supervision_note(
    clock: chuishao_domain::deadlines::DeadlineKind,
    level: u8,
    days: impl ToString,
) -> String {
    let c = ("clock", word("clock", clock.as_str()));
    match level {
        0 | 1 => stored_note("note.supervised_level1", &[c]),
        2 => stored_note("note.supervised_level2", &[c, ("days", same(days.to_string()))]),
        _ => stored_note("note.supervised_level3", &[c, ("days", same(days.to_string()))]),
    }
}

/// The reason a resident's callback reopens a case with.
pub fn callback_reopen_reason(solved: bool) -> String {
    stored_note(if solved { "note.callback_dissatisfied" } else { "note.callback_not_solved" }, &[])
}

/// The note a ruling on a return is recorded with, `中文 / English: reason` (the form
/// [`crate::localise_note`] splits for pages); the reason is as the dispatcher typed it.
pub fn ruling_note(ruling: chuishao_domain::cases::Ruling, reason: Option<&str>) -> String {
    let t = text(&format!("note.ruling_{}", ruling.as_str()), &[]);
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => format!("{} / {}: {r}", t.zh, t.en),
        None => format!("{} / {}", t.zh, t.en),
    }
}
