//! Hand-computed clocks across the 2026 Spring Festival, and the pause law as a property.

use super::*;
use crate::cases::CaseEvent;
use crate::category::UrgencyTier;
use crate::ids::OrgId;
use chuishao_calendar::Calendar;
use proptest::prelude::*;

const HOUR: i64 = 3_600_000;

/// "YYYY-MM-DD HH:MM" in +08:00 to UTC milliseconds (2026-02-13 00:00 +08:00 = 1770912000000).
fn at(s: &str) -> i64 {
    let (d, t) = s.split_once(' ').unwrap_or((s, "00:00"));
    let mut parts = d.split('-').map(|x| x.parse::<i64>().unwrap_or(0));
    let (y, m, day) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    assert!(y == 2026 && (2..=3).contains(&m), "helper covers Feb–Mar 2026 only");
    let doy = if m == 2 { day - 13 } else { 28 - 13 + day };
    let (h, min) = t.split_once(':').unwrap_or(("0", "0"));
    1_770_912_000_000
        + doy * 24 * HOUR
        + h.parse::<i64>().unwrap_or(0) * HOUR
        + min.parse::<i64>().unwrap_or(0) * 60_000
}

fn dispatched() -> CaseEvent {
    CaseEvent::Dispatched { handler_id: OrgId(7), note: None }
}

fn clock(clocks: &[Deadline], kind: DeadlineKind) -> &Deadline {
    clocks.iter().find(|d| d.kind == kind).unwrap_or_else(|| unreachable!("no {kind:?} clock"))
}

fn run(events: &[(&str, CaseEvent)], tier: UrgencyTier) -> Vec<Deadline> {
    let cal = Calendar::builtin();
    let policy = DeadlinePolicy::default();
    let mut clocks = Vec::new();
    for (when, e) in events {
        react(&mut clocks, e, tier, at(when), &cal, &policy).unwrap_or_else(|e| unreachable!("{e}"));
    }
    clocks
}

#[test]
fn dispatch_starts_acceptance_and_resolution() {
    let clocks = run(&[("2026-02-13 10:00", dispatched())], UrgencyTier::Normal);
    let acc = clock(&clocks, DeadlineKind::Acceptance);
    assert_eq!(acc.due_at, at("2026-02-13 12:00"));
    assert_eq!(acc.basis, Basis::Working);
    let res = clock(&clocks, DeadlineKind::Resolution);
    // Seven working days: Sat 14 Feb (make-up day), 24, 25, 26, 27, Sat 28 Feb, Mon 2 Mar.
    assert_eq!(res.due_at, at("2026-03-02 10:00"));
    assert_eq!(res.allowed_ms, 49 * HOUR);
    // 80% of 49 working hours = 39.2 h.
    assert_eq!(res.warn_at, at("2026-02-27 15:42"));
    assert_eq!(res.status(at("2026-02-27 15:41")), DeadlineStatus::Running);
    assert_eq!(res.status(at("2026-02-27 15:42")), DeadlineStatus::Warning);
    assert_eq!(res.status(at("2026-03-02 10:00")), DeadlineStatus::Overdue);
    assert_eq!(res.remaining_ms(at("2026-02-24 09:00"), &Calendar::builtin()), 5 * 7 * HOUR + HOUR);
}

#[test]
fn emergency_is_wall_clock() {
    let clocks = run(&[("2026-02-16 23:00", dispatched())], UrgencyTier::Emergency);
    assert_eq!(clock(&clocks, DeadlineKind::Acceptance).due_at, at("2026-02-16 23:30"));
    let res = clock(&clocks, DeadlineKind::Resolution);
    assert_eq!((res.due_at, res.warn_at), (at("2026-02-17 01:00"), at("2026-02-17 00:36")));
}

#[test]
fn accept_resolve_verify_meet_their_clocks() {
    let clocks = run(
        &[
            ("2026-02-13 10:00", dispatched()),
            ("2026-02-13 11:00", CaseEvent::Accepted { handler_id: OrgId(7) }),
            ("2026-02-24 10:00", CaseEvent::Resolved { handler_id: OrgId(7), result: "ok".into(), evidence: vec![] }),
        ],
        UrgencyTier::Normal,
    );
    assert_eq!(clock(&clocks, DeadlineKind::Acceptance).status(at("2026-03-30 10:00")), DeadlineStatus::Met);
    let res = clock(&clocks, DeadlineKind::Resolution);
    assert_eq!((res.state, res.met_at), (ClockState::Met, Some(at("2026-02-24 10:00"))));
    assert_eq!(res.next_fire_at(&Calendar::builtin()), None);
    let ver = clock(&clocks, DeadlineKind::Verification);
    assert_eq!(ver.due_at, at("2026-02-25 10:00"));
    let done = run(
        &[
            ("2026-02-13 10:00", dispatched()),
            ("2026-02-24 10:00", CaseEvent::Resolved { handler_id: OrgId(7), result: "ok".into(), evidence: vec![] }),
            ("2026-02-24 11:00", CaseEvent::VerificationPassed { note: None }),
        ],
        UrgencyTier::Normal,
    );
    assert!(done.iter().all(|d| d.state == ClockState::Met));
}

#[test]
fn parking_pauses_and_unparking_resumes_with_the_time_left() {
    let clocks = run(
        &[("2026-02-13 10:00", dispatched()), ("2026-02-24 10:00", CaseEvent::Parked { reason: "施工".into() })],
        UrgencyTier::Normal,
    );
    let res = clock(&clocks, DeadlineKind::Resolution);
    assert_eq!(res.status(at("2026-03-20 10:00")), DeadlineStatus::Paused);
    assert_eq!(res.next_fire_at(&Calendar::builtin()), None);
    assert_eq!(res.remaining_ms(at("2026-03-20 10:00"), &Calendar::builtin()), 35 * HOUR);
    let clocks = run(
        &[
            ("2026-02-13 10:00", dispatched()),
            ("2026-02-24 10:00", CaseEvent::Parked { reason: "施工".into() }),
            ("2026-03-02 10:00", CaseEvent::Unparked),
        ],
        UrgencyTier::Normal,
    );
    let res = clock(&clocks, DeadlineKind::Resolution);
    // 35 working hours were left; resumed on Mon 2 Mar 10:00 they run out on Mon 9 Mar 10:00.
    assert_eq!(res.due_at, at("2026-03-09 10:00"));
    assert_eq!(res.allowed_ms, 49 * HOUR);
    assert_eq!(res.state, ClockState::Running);
}

#[test]
fn extension_and_tier_change_move_the_deadline() {
    let extended = run(
        &[("2026-02-13 10:00", dispatched()), ("2026-02-24 10:00", CaseEvent::ExtensionApproved { days: 3 })],
        UrgencyTier::Normal,
    );
    assert_eq!(clock(&extended, DeadlineKind::Resolution).due_at, at("2026-03-05 10:00"));
    let complex = run(
        &[
            ("2026-02-13 10:00", dispatched()),
            ("2026-02-24 10:00", CaseEvent::TierChanged { tier: UrgencyTier::Complex, reason: "涉及多部门".into() }),
        ],
        UrgencyTier::Normal,
    );
    let res = clock(&complex, DeadlineKind::Resolution);
    assert_eq!((res.tier, res.due_at), (UrgencyTier::Complex, at("2026-03-12 10:00")));
    let urgent = run(
        &[
            ("2026-02-13 10:00", dispatched()),
            ("2026-02-13 10:30", CaseEvent::TierChanged { tier: UrgencyTier::Emergency, reason: "燃气泄漏".into() }),
        ],
        UrgencyTier::Normal,
    );
    let res = clock(&urgent, DeadlineKind::Resolution);
    assert_eq!((res.basis, res.due_at), (Basis::Wall, at("2026-02-13 12:00")));
    // A reopen keeps the changed tier.
    let reopened = run(
        &[
            ("2026-02-13 10:00", dispatched()),
            ("2026-02-13 10:30", CaseEvent::TierChanged { tier: UrgencyTier::Emergency, reason: "x".into() }),
            ("2026-03-02 09:00", CaseEvent::Reopened { reason: "y".into(), handler_id: OrgId(7) }),
        ],
        UrgencyTier::Normal,
    );
    assert_eq!(clock(&reopened, DeadlineKind::Resolution).due_at, at("2026-03-02 11:00"));
}

#[test]
fn a_return_drops_the_handlers_clocks() {
    let clocks = run(
        &[
            ("2026-02-13 10:00", dispatched()),
            ("2026-02-13 11:00", CaseEvent::Returned { handler_id: OrgId(7), reason: "非本单位职责".into() }),
        ],
        UrgencyTier::Normal,
    );
    assert!(clocks.is_empty());
}

#[test]
fn firing_warns_then_escalates_each_period() {
    let cal = Calendar::builtin();
    let mut clocks = run(&[("2026-02-13 10:00", dispatched())], UrgencyTier::Normal);
    let res = clocks.iter_mut().find(|d| d.kind == DeadlineKind::Resolution).unwrap_or_else(|| unreachable!());
    assert_eq!(res.next_fire_at(&cal), Some(at("2026-02-27 15:42")));
    assert_eq!(res.fire(at("2026-02-27 15:41"), &cal), vec![]);
    assert_eq!(res.fire(at("2026-02-27 15:42"), &cal), vec![Firing::Warning]);
    assert_eq!(res.next_fire_at(&cal), Some(at("2026-03-02 10:00")));
    assert_eq!(res.fire(at("2026-03-02 10:00"), &cal), vec![Firing::Overdue { period: 1 }]);
    // The next period of 7 working days ends on Wed 11 Mar 10:00.
    assert_eq!(res.next_fire_at(&cal), Some(at("2026-03-11 10:00")));
    assert_eq!(res.fire(at("2026-03-02 12:00"), &cal), vec![]);
    // After downtime, missed periods collapse into one firing naming the latest.
    assert_eq!(res.fire(at("2026-03-20 10:00"), &cal), vec![Firing::Overdue { period: 3 }]);
    assert_eq!(res.next_fire_at(&cal), Some(at("2026-03-31 10:00")));
    // Catch-up of a clock never looked at: warning and overdue at once.
    let mut clocks = run(&[("2026-02-13 10:00", dispatched())], UrgencyTier::Normal);
    let acc = clocks.iter_mut().find(|d| d.kind == DeadlineKind::Acceptance).unwrap_or_else(|| unreachable!());
    assert_eq!(acc.fire(at("2026-02-13 13:31"), &cal), vec![Firing::Warning, Firing::Overdue { period: 1 }]);
}

#[test]
fn an_extension_rearms_the_clock() {
    let cal = Calendar::builtin();
    let policy = DeadlinePolicy::default();
    let mut clocks = run(&[("2026-02-13 10:00", dispatched())], UrgencyTier::Normal);
    for d in clocks.iter_mut() {
        d.fire(at("2026-03-02 10:00"), &cal);
    }
    let ext = CaseEvent::ExtensionApproved { days: 5 };
    react(&mut clocks, &ext, UrgencyTier::Normal, at("2026-03-02 11:00"), &cal, &policy).unwrap_or_default();
    let res = clock(&clocks, DeadlineKind::Resolution);
    assert_eq!(res.due_at, at("2026-03-09 10:00"));
    assert_eq!((res.overdue_at, res.supervisions), (None, 0));
    // 84 working hours allowed now; the warning re-arms 16.8 h before the new deadline.
    assert_eq!((res.warn_at, res.warned_at), (at("2026-03-04 15:42"), None));
    assert_eq!(res.status(at("2026-03-02 11:00")), DeadlineStatus::Running);
}

#[test]
fn policy_parses_and_refuses() {
    let p = DeadlinePolicy::parse("normal = \"5wd\"\nacceptance = \"1wh\"\nwarning_percent = 75\n");
    let p = p.unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(p.normal, chuishao_calendar::Allowance::WorkingDays(5));
    assert_eq!(p.acceptance, chuishao_calendar::Allowance::working_hours(1));
    assert_eq!(p.warning_percent, 75);
    for bad in ["normal = \"-5wd\"", "normal = \"5y\"", "other = \"5wd\"", "warning_percent = 100", "normal = 5"] {
        assert!(DeadlinePolicy::parse(bad).is_err(), "{bad}");
    }
}

proptest! {
    #[test]
    fn parking_keeps_the_time_left(start in 0i64..300 * 24, park in 0i64..600, length in 0i64..2000, tier in 0usize..4) {
        let cal = Calendar::builtin();
        let policy = DeadlinePolicy::default();
        let tier = [UrgencyTier::Emergency, UrgencyTier::Utilities, UrgencyTier::Normal, UrgencyTier::Complex][tier];
        // Hours from 2025-01-01 00:00 +08:00.
        let t0 = 1_735_660_800_000 + start * HOUR;
        let (tp, tu) = (t0 + park * 60_000 * 7, t0 + park * 60_000 * 7 + length * HOUR);
        let mut clocks = Vec::new();
        react(&mut clocks, &dispatched(), tier, t0, &cal, &policy)?;
        let before: Vec<i64> = clocks.iter().map(|d| d.remaining_ms(tp, &cal)).collect();
        react(&mut clocks, &CaseEvent::Parked { reason: "x".into() }, tier, tp, &cal, &policy)?;
        react(&mut clocks, &CaseEvent::Unparked, tier, tu, &cal, &policy)?;
        for (d, left) in clocks.iter().zip(before) {
            if left <= 0 {
                continue;
            }
            let now_left = d.remaining_ms(tu, &cal);
            // Resuming outside working hours, a working clock's count starts at the next
            // working-hours start: the same working time is left.
            prop_assert_eq!(now_left, left, "{:?}", d.kind);
        }
    }
}
