//! How a case's clocks read on the staff console: each clock named (签收 / 办理 / 延期 / 核查),
//! the resolution deadline always labelled as such, a stopped clock's outcome (on time, or N
//! working days late) instead of a countdown, a mark on deadlines computed on a provisional
//! year, and durations in the page language ("剩余 2天3小时", "超期 55天"; "2 d 3 h left",
//! "55 d overdue"). The words come from the catalogue; console.js rewrites the countdowns with
//! the same templates (`data-clock-words` on the page).

use super::Msgs;
use chuishao_app::calendar::DeadlineView;
use chuishao_app::cases::CaseView;
use chuishao_domain::deadlines::DeadlineStatus as S;

const MINUTE: i64 = 60_000;

fn fill(template: &str, values: &[i64]) -> String {
    let mut out = String::with_capacity(template.len() + 8);
    let mut rest = template;
    for v in values {
        match rest.split_once("{}") {
            Some((head, tail)) => {
                out.push_str(head);
                out.push_str(&v.to_string());
                rest = tail;
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

/// A length of time: days past ten days, days and hours past a day, hours and minutes past an
/// hour, else minutes.
pub(crate) fn span_text(t: Msgs, ms: i64) -> String {
    let m = ms.abs() / MINUTE;
    let (d, h, min) = (m / 1440, (m / 60) % 24, m % 60);
    if d >= 10 {
        fill(t.t("clock.days"), &[d])
    } else if d >= 1 {
        fill(t.t("clock.days_hours"), &[d, h])
    } else if m >= 60 {
        fill(t.t("clock.hours_minutes"), &[m / 60, min])
    } else {
        fill(t.t("clock.minutes"), &[m])
    }
}

/// Time left until a deadline `ms` away ("剩余 2天3小时"), or past it ("超期 55天").
pub(crate) fn left_text(t: Msgs, ms: i64) -> String {
    let key = if ms < 0 { "clock.overdue" } else { "clock.left" };
    t.t(key).replace("{}", &span_text(t, ms))
}

/// The templates console.js formats countdowns with, `|`-separated.
#[cfg(test)]
pub(crate) fn clock_words(t: Msgs) -> String {
    t.clock_words()
}

/// One clock as the case page shows it.
pub(crate) struct ClockRow {
    /// Catalogue key of its name.
    pub(crate) label: &'static str,
    /// `acceptance`, `resolution`, `extension` or `verification`.
    pub(crate) name: &'static str,
    /// `running`, `warning`, `overdue`, `paused` or `met`.
    pub(crate) state: &'static str,
    pub(crate) due_at: i64,
    pub(crate) due_text: String,
    /// The countdown, the pause, or the outcome, in the page language.
    pub(crate) text: String,
    /// Counts down (running), so console.js keeps it current.
    pub(crate) countdown: bool,
    pub(crate) overdue: bool,
    pub(crate) provisional: bool,
}

fn label(name: &str) -> &'static str {
    match name {
        "acceptance" => "deadline.acceptance",
        "extension" => "deadline.extension",
        "verification" => "deadline.verification",
        _ => "deadline.resolution",
    }
}

fn state_code(s: S) -> &'static str {
    match s {
        S::Running => "running",
        S::Warning => "warning",
        S::Overdue => "overdue",
        S::Paused => "paused",
        S::Met => "met",
    }
}

/// A met clock's outcome: on time, or how late.
fn outcome_text(t: Msgs, d: &DeadlineView) -> String {
    match (d.outcome, d.basis) {
        (Some("late"), "working") => fill(t.t("clock.met_late"), &[d.days_late]),
        (Some("late"), _) => fill(t.t("clock.met_late_days"), &[d.days_late]),
        _ => t.t("clock.met_on_time").to_string(),
    }
}

fn row(t: Msgs, d: &DeadlineView, now: i64) -> Option<ClockRow> {
    let due = chuishao_app::time::parse_rfc3339(&d.due_at)?;
    let countdown = matches!(d.state, S::Running | S::Warning | S::Overdue);
    let text = match d.state {
        S::Met => outcome_text(t, d),
        S::Paused => t.t("case.paused").to_string(),
        _ => left_text(t, due - now),
    };
    Some(ClockRow {
        label: label(d.name),
        name: d.name,
        state: state_code(d.state),
        due_at: due,
        due_text: d.due_at.clone(),
        text,
        countdown,
        overdue: countdown && due <= now,
        provisional: d.provisional && d.state != S::Met,
    })
}

/// Every clock of a case, running ones first, each named and read in the page language.
pub(crate) fn clock_rows(t: Msgs, c: &CaseView, now: i64) -> Vec<ClockRow> {
    let mut rows: Vec<ClockRow> = c.deadlines.iter().filter_map(|d| row(t, d, now)).collect();
    rows.sort_by_key(|r| (r.state == "met", r.due_at));
    rows
}

/// The case's headline deadline: always the resolution deadline (办理时限), running,
/// paused or met; before dispatch, the deadline expected from receipt (`expected`).
pub(crate) fn headline(t: Msgs, c: &CaseView, expected: Option<i64>, now: i64) -> Option<ClockRow> {
    if let Some(d) = c.deadlines.iter().find(|d| d.kind == "resolution") {
        return row(t, d, now);
    }
    let due = expected?;
    Some(ClockRow {
        label: "case.due_expected",
        name: "resolution",
        state: "expected",
        due_at: due,
        due_text: chuishao_app::time::rfc3339(due),
        text: left_text(t, due - now),
        countdown: true,
        overdue: due <= now,
        provisional: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;

    const H: i64 = 3_600_000;

    #[test]
    fn durations_read_in_the_page_language() {
        let (zh, en) = (Msgs(Lang::Zh), Msgs(Lang::En));
        assert_eq!(left_text(zh, 2 * 24 * H + 3 * H + 5 * MINUTE), "剩余 2天3小时");
        assert_eq!(left_text(en, 2 * 24 * H + 3 * H + 5 * MINUTE), "2 d 3 h left");
        assert_eq!(left_text(zh, -55 * 24 * H - 7 * H), "超期 55天");
        assert_eq!(left_text(en, -55 * 24 * H - 7 * H), "55 d overdue");
        assert_eq!(left_text(zh, 90 * MINUTE), "剩余 1小时30分");
        assert_eq!(left_text(en, -20 * MINUTE), "20 min overdue");
        assert_eq!(clock_words(en).split('|').count(), 6);
    }
}
