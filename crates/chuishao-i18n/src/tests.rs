//! The catalogue's own checks: unique keys, each language in its own script, the same
//! placeholders in both, and the wording of every event kind.

use super::*;
use chuishao_domain::cases::{CaseEvent, Satisfaction, Source, Urgency};
use chuishao_domain::category::UrgencyTier;
use chuishao_domain::deadlines::DeadlineKind;
use chuishao_domain::ids::{CaseId, OrgId};

/// Latin words allowed in Chinese lines: names of standards, formats and units.
const ZH_LATIN: &[&str] =
    &["Open", "API", "JPEG", "PNG", "WebP", "MB", "YYYY", "MM", "m", "chuishao", "calendar", "import"];

fn all() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    catalogue::PARTS.iter().flat_map(|p| p.iter())
}

fn placeholders(s: &str) -> Vec<&str> {
    let mut out: Vec<&str> = s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(n, _)| n)).collect();
    out.sort_unstable();
    out
}

fn latin_words(s: &str) -> Vec<String> {
    let mut s = s.to_string();
    for p in placeholders(&s.clone()) {
        s = s.replace(&format!("{{{p}}}"), " ");
    }
    s.split(|c: char| !c.is_ascii_alphabetic()).filter(|w| !w.is_empty()).map(String::from).collect()
}

#[test]
fn keys_are_unique_and_each_language_is_in_its_own_script() {
    let mut keys: Vec<&str> = all().map(|(k, _, _)| *k).collect();
    let n = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), n, "duplicate keys");
    for (k, zh, en) in all() {
        if *k == "lang.switch" {
            continue; // the switch is written in the language it switches to
        }
        assert!(!zh.is_empty() && !en.is_empty(), "{k}");
        for w in latin_words(zh) {
            assert!(ZH_LATIN.contains(&w.as_str()), "{k}: English in the Chinese line: {w:?} in {zh}");
        }
        assert!(!en.chars().any(is_han), "{k}: Chinese in the English line: {en}");
        assert_eq!(placeholders(zh), placeholders(en), "{k}: placeholders differ");
    }
}

#[test]
fn languages_parse_switch_and_look_up() {
    assert_eq!(Lang::parse("en-US"), Some(Lang::En));
    assert_eq!(Lang::parse("zh-CN"), Some(Lang::Zh));
    assert_eq!(Lang::parse("fr"), None);
    assert_eq!(Lang::Zh.other().tag(), "en");
    assert_eq!(Msgs(Lang::En).t("track.status"), "Status");
    assert_eq!(Msgs(Lang::Zh).t("track.status"), "当前状态");
    assert_eq!(Msgs(Lang::Zh).t("no.such.key"), "no.such.key");
    assert_eq!(key("status", "closed"), Some("status.closed"));
    assert_eq!(key("status", "nope"), None);
}

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
            location_path: None,
        },
        CaseEvent::Registered { category_code: Some("E0101".into()), urgency: Urgency::Urgent },
        CaseEvent::Rejected { reason: s() },
        CaseEvent::Dispatched { handler_id: h, note: Some(s()), handler_kind: None, handler_path: None, ruling: None },
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
        CaseEvent::Reopened { reason: s(), handler_id: h, handler_kind: None, handler_path: None },
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
        let w = cases::staff(e, Some(("城管执法队", "the enforcement team")));
        for text in [&w.zh, &w.en] {
            assert!(!text.is_empty(), "{e:?}");
            assert!(!text.contains('_') && !text.contains('{'), "a raw kind or key in {text}");
        }
        assert!(w.zh.chars().any(is_han), "{}", w.zh);
        assert!(w.en.is_ascii() || w.en.contains("理由"), "{}", w.en);
        if e.handler_id().is_some() {
            assert!(w.zh.contains("城管执法队") && w.en.contains("the enforcement team"), "{w:?}");
        }
        if let Some(p) = cases::public(e, None) {
            assert!(!p.zh.contains('{') && !p.en.contains('{'), "{p:?}");
        }
    }
}

#[test]
fn reasons_and_notes_are_shown_to_staff() {
    let e = CaseEvent::Returned { handler_id: OrgId(1), reason: "不属于本部门职责".into() };
    let w = cases::staff(&e, Some(("水务局", "the water authority")));
    assert_eq!(w.zh, "水务局退单：不属于本部门职责");
    assert_eq!(w.en, "Returned by the water authority: 不属于本部门职责");
    let e = CaseEvent::DeadlineOverdue { deadline: DeadlineKind::Acceptance, due_at: 0, period: 1 };
    assert_eq!(cases::staff(&e, None).en, "The acceptance deadline has passed");
    // 2027-02-19 10:00 and 2027-02-22 10:00 in China Standard Time.
    let e = CaseEvent::DeadlineRetimed {
        deadline: DeadlineKind::Resolution,
        from_due_at: 1_803_002_400_000,
        due_at: 1_803_261_600_000,
    };
    assert_eq!(cases::staff(&e, None).zh, "放假安排更新，办理时限由2027-02-19 10:00调整为2027-02-22 10:00");
    let e = CaseEvent::Supervised { note: "x".into(), count: 1, to_org_id: Some(OrgId(2)), level: Some(3) };
    assert_eq!(
        cases::staff(&e, Some(("区指挥中心", "the district"))).zh,
        "超期自动督办（三级，挂牌督办），提交区指挥中心：x"
    );
}

#[test]
fn public_words_name_the_unit_and_leave_internal_steps_out() {
    let e = CaseEvent::Dispatched {
        handler_id: OrgId(1),
        note: Some("内部说明".into()),
        handler_kind: None,
        handler_path: None,
        ruling: None,
    };
    let w = cases::public(&e, Some(("水务局", "the water authority"))).unwrap_or_default();
    assert_eq!((w.zh.as_str(), w.en.as_str()), ("已派遣至水务局", "Dispatched to the water authority"));
    assert_eq!(cases::public(&every_kind()[0], None).unwrap_or_default().zh, "诉求已受理");
    assert!(cases::public(&CaseEvent::ExtensionDenied { reason: "x".into() }, None).is_none());
}

#[test]
fn stored_notes_keep_their_text_and_pages_show_their_half() {
    let note = cases::level_supervision_note(DeadlineKind::Resolution, 1, 0);
    assert_eq!(note, "办理超时，自动督办（一级） (the resolution deadline has passed: supervision level 1)");
    assert_eq!(
        cases::level_supervision_note(DeadlineKind::Acceptance, 2, 5),
        "签收超期5个工作日，报区督办（二级） (the acceptance deadline is 5 working days overdue: level 2, to the district)"
    );
    assert_eq!(cases::callback_reopen_reason(true), "回访：群众不满意 (callback: dissatisfied)");
    assert_eq!(localise_note(&note, Lang::Zh), "办理超时，自动督办（一级）");
    assert_eq!(localise_note(&note, Lang::En), "the resolution deadline has passed: supervision level 1");
    let older = "办理超时，自动督办 (the resolution deadline has passed)";
    assert_eq!(localise_note(older, Lang::En), "the resolution deadline has passed", "notes stored before");
    let ruling = "仲裁：改派 / reassigned: 属于占道经营";
    assert_eq!(localise_note(ruling, Lang::Zh), "仲裁：改派：属于占道经营");
    assert_eq!(localise_note(ruling, Lang::En), "reassigned: 属于占道经营");
    assert_eq!(localise_note("仲裁：改派 / reassigned", Lang::En), "reassigned");
    // Whistle supervisions and rulings are worded from the catalogue now, in the same form.
    let w = whistles::supervision_note("CGZF", 1);
    assert_eq!(w, "CGZF 未按时报到，自动督办 (CGZF did not check in by the deadline: supervision level 1)");
    assert_eq!(localise_note(&w, Lang::Zh), "CGZF 未按时报到，自动督办");
    let older = "CGZF 未按时报到，自动督办 (did not check in by the deadline: supervision level 1)";
    assert_eq!(localise_note(older, Lang::Zh), "CGZF 未按时报到，自动督办", "notes stored before");
    use chuishao_domain::cases::Ruling;
    assert_eq!(cases::ruling_note(Ruling::Redispatch, Some("属于占道经营")), ruling);
    assert_eq!(cases::ruling_note(Ruling::Redispatch, Some(" ")), "仲裁：改派 / reassigned");
    let upheld = cases::ruling_note(Ruling::Insist, Some("归城管"));
    assert_eq!(upheld, "仲裁：维持原承办单位 / upheld: 归城管");
    assert_eq!(localise_note(&upheld, Lang::En), "upheld: 归城管");
    assert_eq!(localise_note("请今日处置 (急)", Lang::En), "请今日处置 (急)", "a typed note stays as written");
}

#[test]
fn robot_titles_carry_both_languages() {
    assert_eq!(notify::title(42, "supervised"), "吹哨 Chuishao：案件 case 42 督办 supervised");
    assert!(notify::title(42, "received").contains("案件 case 42"));
    assert_eq!(notify::kind_words("something_new"), "something_new");
    // Other records are named by their kind, not as a case.
    let whistle = notify::record_title(chuishao_domain::record::StreamKind::Whistle, 7, "whistle_raised");
    assert_eq!(whistle, "吹哨 Chuishao：吹哨 whistle 7 已吹哨 whistle raised");
    assert_eq!(notify::deadline_detail("resolution"), "时限 deadline: resolution");
}

#[test]
fn refused_fields_are_worded_from_the_problem() {
    use chuishao_domain::error::Problem;
    assert_eq!(field_error(Lang::Zh, "reason", Problem::Required), "理由：必须填写");
    assert_eq!(field_error(Lang::En, "reason", Problem::Required), "Reason: is required");
    assert_eq!(field_error(Lang::Zh, "note", Problem::TooLong { max: 4000 }), "说明：不能超过4000个字");
    assert_eq!(field_error(Lang::En, "days", Problem::OutOfRange { min: 1, max: 30 }), "Days: must be from 1 to 30");
    assert_eq!(field_error(Lang::Zh, "no_such_field", Problem::Rule("no_such_rule")), "填写内容：填写有误");
    // Every rule the case lifecycle hands over has its line.
    for code in ["not_a_handler", "unclassified", "self_merge", "primary_not_open", "no_such_case", "ruling_reason"] {
        assert!(key("problem", code).is_some(), "problem.{code}");
    }
}

#[test]
fn every_community_refusal_default_skill_and_activity_kind_is_worded() {
    use chuishao_domain::community::{ACTIVITY_KINDS, DEFAULT_SKILLS, REFUSAL_CODES};
    for code in REFUSAL_CODES {
        assert!(lookup(&format!("refusal.{code}")).is_some(), "refusal.{code} has no words");
    }
    for code in DEFAULT_SKILLS {
        assert!(lookup(&format!("skill.{code}")).is_some(), "skill.{code} has no words");
    }
    for code in ACTIVITY_KINDS {
        assert!(lookup(&format!("activity_kind.{code}")).is_some(), "activity_kind.{code} has no words");
    }
    for kind in chuishao_domain::record::StreamKind::ALL.into_iter().skip(8) {
        assert!(lookup(&format!("notify.record.{}", kind.as_str())).is_some(), "{kind:?} has no name");
    }
}
