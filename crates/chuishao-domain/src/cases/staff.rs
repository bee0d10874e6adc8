//! How events read on the staff desk: every event in plain words, in Chinese and English,
//! with the details staff need (reasons, notes, days) that the public timeline leaves out.
//! The match is exhaustive, so a new event kind cannot reach the desk untranslated.

use crate::cases::{CaseEvent, PublicWording, Satisfaction, Source};
use crate::category::UrgencyTier;
use crate::deadlines::DeadlineKind;

fn deadline_words(k: DeadlineKind) -> (&'static str, &'static str) {
    match k {
        DeadlineKind::Acceptance => ("签收", "acceptance"),
        DeadlineKind::Resolution => ("办理", "resolution"),
        DeadlineKind::Verification => ("核查", "verification"),
    }
}

/// A supervision level in words: 1 the handling unit and its subdistrict, 2 the district, 3
/// listed (挂牌督办).
fn level_words(level: u8) -> (&'static str, &'static str) {
    match level {
        0 | 1 => ("一级", "level 1"),
        2 => ("二级，报区", "level 2, to the district"),
        _ => ("三级，挂牌督办", "level 3, listed"),
    }
}

/// `YYYY-MM-DD HH:MM` in China Standard Time.
fn local_minute(ms: i64) -> String {
    let local = ms + chuishao_calendar::CST_OFFSET_MS;
    let day = local.div_euclid(86_400_000);
    let minute = local.rem_euclid(86_400_000) / 60_000;
    let date = i32::try_from(day + 719_163).ok().and_then(chrono::NaiveDate::from_num_days_from_ce_opt);
    match date {
        Some(d) => format!("{d} {:02}:{:02}", minute / 60, minute % 60),
        None => ms.to_string(),
    }
}

fn source_words(s: Source) -> (&'static str, &'static str) {
    match s {
        Source::Web => ("网上反映", "the web form"),
        Source::Open311 => ("Open311接口", "Open311"),
        Source::Hotline => ("热线", "the hotline"),
        Source::Patrol => ("巡查上报", "a patrol"),
        Source::Api => ("系统接口", "the API"),
    }
}

fn tier_words(t: UrgencyTier) -> (&'static str, &'static str) {
    match t {
        UrgencyTier::Emergency => ("紧急（2小时）", "emergency (2 hours)"),
        UrgencyTier::Utilities => ("水电气热（24小时）", "utilities (24 hours)"),
        UrgencyTier::Normal => ("一般（7个工作日）", "normal (7 working days)"),
        UrgencyTier::Complex => ("复杂（15个工作日）", "complex (15 working days)"),
    }
}

fn satisfaction_words(s: Satisfaction) -> (&'static str, &'static str) {
    match s {
        Satisfaction::Satisfied => ("满意", "satisfied"),
        Satisfaction::BasicallySatisfied => ("基本满意", "basically satisfied"),
        Satisfaction::Dissatisfied => ("不满意", "dissatisfied"),
    }
}

/// Words an event for staff. `unit` names the unit the event refers to (the handling unit,
/// or the organisation an escalation went to), as `(zh, en)`.
pub fn staff_wording(event: &CaseEvent, unit: Option<(&str, &str)>) -> PublicWording {
    let (uz, ue) = unit.unwrap_or(("承办单位", "the handling unit"));
    let w = |zh: String, en: String| PublicWording { zh, en };
    let with_note = |zh: &str, en: &str, note: &Option<String>| match note {
        Some(n) if !n.trim().is_empty() => w(format!("{zh}：{n}"), format!("{en}: {n}")),
        _ => w(zh.to_string(), en.to_string()),
    };
    match event {
        CaseEvent::Received { source, .. } => {
            let (sz, se) = source_words(*source);
            w(format!("经{sz}受理"), format!("Received through {se}"))
        }
        CaseEvent::Registered { category_code, .. } => match category_code {
            Some(c) => w(format!("立案，类别{c}"), format!("Registered as category {c}")),
            None => w("立案".into(), "Registered".into()),
        },
        CaseEvent::Rejected { reason } => w(format!("不予受理：{reason}"), format!("Rejected: {reason}")),
        CaseEvent::Dispatched { note, .. } => with_note(&format!("派遣至{uz}"), &format!("Dispatched to {ue}"), note),
        CaseEvent::Accepted { .. } => w(format!("{uz}签收"), format!("Accepted by {ue}")),
        CaseEvent::Returned { reason, .. } => w(format!("{uz}退单：{reason}"), format!("Returned by {ue}: {reason}")),
        CaseEvent::ExtensionRequested { days, reason } => {
            w(format!("申请延期{days}个工作日：{reason}"), format!("Asked for {days} more working days: {reason}"))
        }
        CaseEvent::ExtensionApproved { days } => {
            w(format!("批准延期{days}个工作日"), format!("Extension of {days} working days approved"))
        }
        CaseEvent::ExtensionDenied { reason } => {
            w(format!("驳回延期申请：{reason}"), format!("Extension denied: {reason}"))
        }
        CaseEvent::Parked { reason } => w(format!("挂账：{reason}"), format!("Parked: {reason}")),
        CaseEvent::Unparked => w("取消挂账，恢复办理".into(), "Unparked; work resumed".into()),
        CaseEvent::Resolved { result, evidence, .. } => {
            let n = evidence.len();
            let (z, e) = if n == 0 {
                (String::new(), String::new())
            } else {
                (format!("（佐证{n}项）"), format!(" ({n} evidence items)"))
            };
            w(format!("{uz}办结：{result}{z}"), format!("Resolved by {ue}: {result}{e}"))
        }
        CaseEvent::VerificationPassed { note } => with_note("现场核查通过", "Verified on site", note),
        CaseEvent::VerificationFailed { note } => with_note("现场核查未通过", "Failed the on-site check", note),
        CaseEvent::Reopened { reason, .. } => {
            w(format!("重办，交由{uz}：{reason}"), format!("Reopened and sent to {ue}: {reason}"))
        }
        CaseEvent::Closed => w("结案".into(), "Closed".into()),
        CaseEvent::Supervised { note, count, to_org_id, level } => match (to_org_id, level) {
            (Some(_), Some(l)) => w(
                format!("超期自动督办（{}），提交{uz}：{note}", level_words(*l).0),
                format!("Escalated as overdue ({}) to {ue}: {note}", level_words(*l).1),
            ),
            (Some(_), None) => w(
                format!("超期自动督办（第{count}次），提交{uz}：{note}"),
                format!("Escalated as overdue (supervision {count}) to {ue}: {note}"),
            ),
            (None, Some(l)) if *l >= 2 => w(
                format!("督办（第{count}次，{}）：{note}", level_words(*l).0),
                format!("Supervised (time {count}, {}): {note}", level_words(*l).1),
            ),
            (None, _) => w(format!("督办（第{count}次）：{note}"), format!("Supervised (time {count}): {note}")),
        },
        CaseEvent::MergedInto { primary_id } => {
            w(format!("作为重复件并入案件{primary_id}"), format!("Merged as a duplicate into case {primary_id}"))
        }
        CaseEvent::DuplicateMerged { duplicate_id } => {
            w(format!("并入重复件：案件{duplicate_id}"), format!("Case {duplicate_id} merged in as a duplicate"))
        }
        CaseEvent::CallbackRecorded { solved, satisfaction, comment } => {
            let (sz, se) = satisfaction_words(*satisfaction);
            let (dz, de) = if *solved { ("已解决", "solved") } else { ("未解决", "not solved") };
            with_note(&format!("回访：{dz}，{sz}"), &format!("Callback: {de}, {se}"), comment)
        }
        CaseEvent::TierChanged { tier, reason } => {
            let (tz, te) = tier_words(*tier);
            w(format!("时限等级调整为{tz}：{reason}"), format!("Deadline tier changed to {te}: {reason}"))
        }
        CaseEvent::DeadlineWarning { deadline, .. } => {
            let (dz, de) = deadline_words(*deadline);
            w(format!("{dz}时限即将到期（已用80%）"), format!("The {de} deadline is near (80% used)"))
        }
        CaseEvent::DeadlineOverdue { deadline, period, .. } => {
            let (dz, de) = deadline_words(*deadline);
            if *period <= 1 {
                w(format!("{dz}已超期"), format!("The {de} deadline has passed"))
            } else {
                w(format!("{dz}超期第{period}个周期"), format!("The {de} deadline is {period} periods overdue"))
            }
        }
        CaseEvent::DeadlineRetimed { deadline, from_due_at, due_at } => {
            let (dz, de) = deadline_words(*deadline);
            let (a, b) = (local_minute(*from_due_at), local_minute(*due_at));
            w(
                format!("放假安排更新，{dz}时限由{a}调整为{b}"),
                format!("Holiday schedule updated: the {de} deadline moved from {a} to {b}"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::Urgency;
    use crate::ids::{CaseId, OrgId};

    /// One event of every kind.
    fn every_kind() -> Vec<CaseEvent> {
        let s = || "理由 reason".to_string();
        let h = OrgId(5);
        vec![
            CaseEvent::Received {
                source: Source::Hotline,
                category_code: None,
                urgency: Urgency::Normal,
                description: s(),
                lat: None,
                lon: None,
                address: None,
                location_org_id: None,
            },
            CaseEvent::Registered { category_code: Some("E0101".into()), urgency: Urgency::Urgent },
            CaseEvent::Rejected { reason: s() },
            CaseEvent::Dispatched { handler_id: h, note: Some(s()) },
            CaseEvent::Accepted { handler_id: h },
            CaseEvent::Returned { handler_id: h, reason: s() },
            CaseEvent::ExtensionRequested { days: 3, reason: s() },
            CaseEvent::ExtensionApproved { days: 2 },
            CaseEvent::ExtensionDenied { reason: s() },
            CaseEvent::Parked { reason: s() },
            CaseEvent::Unparked,
            CaseEvent::Resolved { handler_id: h, result: s(), evidence: vec!["photo:x".into()] },
            CaseEvent::VerificationPassed { note: None },
            CaseEvent::VerificationFailed { note: Some(s()) },
            CaseEvent::Reopened { reason: s(), handler_id: h },
            CaseEvent::Closed,
            CaseEvent::Supervised { note: s(), count: 2, to_org_id: Some(h), level: Some(2) },
            CaseEvent::MergedInto { primary_id: CaseId(9) },
            CaseEvent::DuplicateMerged { duplicate_id: CaseId(10) },
            CaseEvent::CallbackRecorded { solved: false, satisfaction: Satisfaction::Dissatisfied, comment: None },
            CaseEvent::TierChanged { tier: UrgencyTier::Complex, reason: s() },
            CaseEvent::DeadlineWarning { deadline: DeadlineKind::Acceptance, due_at: 0 },
            CaseEvent::DeadlineOverdue { deadline: DeadlineKind::Resolution, due_at: 0, period: 3 },
            CaseEvent::DeadlineRetimed { deadline: DeadlineKind::Resolution, from_due_at: 0, due_at: 86_400_000 },
        ]
    }

    #[test]
    fn every_event_reads_in_plain_words_in_both_languages() {
        let events = every_kind();
        let kinds: std::collections::HashSet<&str> = events.iter().map(CaseEvent::kind).collect();
        assert_eq!(kinds.len(), events.len(), "one event of each kind");
        for e in &events {
            let w = staff_wording(e, Some(("城管执法队", "the enforcement team")));
            for text in [&w.zh, &w.en] {
                assert!(!text.is_empty(), "{e:?}");
                assert!(!text.contains('_'), "a raw kind in {text}");
            }
            assert!(w.zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{}", w.zh);
            assert!(w.en.is_ascii() || w.en.contains("理由"), "{}", w.en);
            if e.handler_id().is_some() {
                assert!(w.zh.contains("城管执法队") && w.en.contains("the enforcement team"), "{w:?}");
            }
        }
    }

    #[test]
    fn reasons_and_notes_are_shown_to_staff() {
        let e = CaseEvent::Returned { handler_id: OrgId(1), reason: "不属于本部门职责".into() };
        let w = staff_wording(&e, Some(("水务局", "the water authority")));
        assert_eq!(w.zh, "水务局退单：不属于本部门职责");
        assert_eq!(w.en, "Returned by the water authority: 不属于本部门职责");
        let e = CaseEvent::DeadlineOverdue { deadline: DeadlineKind::Acceptance, due_at: 0, period: 1 };
        assert_eq!(staff_wording(&e, None).en, "The acceptance deadline has passed");
        // 2027-02-19 10:00 and 2027-02-22 10:00 in China Standard Time.
        let e = CaseEvent::DeadlineRetimed {
            deadline: DeadlineKind::Resolution,
            from_due_at: 1_803_002_400_000,
            due_at: 1_803_261_600_000,
        };
        assert_eq!(staff_wording(&e, None).zh, "放假安排更新，办理时限由2027-02-19 10:00调整为2027-02-22 10:00");
        let e = CaseEvent::Supervised { note: "x".into(), count: 1, to_org_id: Some(OrgId(2)), level: Some(3) };
        assert_eq!(
            staff_wording(&e, Some(("区指挥中心", "the district"))).zh,
            "超期自动督办（三级，挂牌督办），提交区指挥中心：x"
        );
    }
}
