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
    CaseEvent::Dispatched { handler_id: OrgId(7), note: None, handler_kind: None, handler_path: None, ruling: None }
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
    assert_eq!(res.next_fire_at(&Calendar::builtin(), &Escalation::default()), None);
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
    assert_eq!(res.next_fire_at(&Calendar::builtin(), &Escalation::default()), None);
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
            (
                "2026-03-02 09:00",
                CaseEvent::Reopened {
                    reason: "y".into(),
                    handler_id: OrgId(7),
                    handler_kind: None,
                    handler_path: None,
                },
            ),
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
fn firing_warns_then_escalates_level_by_level() {
    let (cal, esc) = (Calendar::builtin(), Escalation::default());
    let mut clocks = run(&[("2026-02-13 10:00", dispatched())], UrgencyTier::Normal);
    let res = clocks.iter_mut().find(|d| d.kind == DeadlineKind::Resolution).unwrap_or_else(|| unreachable!());
    assert_eq!(res.next_fire_at(&cal, &esc), Some(at("2026-02-27 15:42")));
    assert_eq!(res.fire(at("2026-02-27 15:41"), &cal, &esc), vec![]);
    assert_eq!(res.fire(at("2026-02-27 15:42"), &cal, &esc), vec![Firing::Warning]);
    assert_eq!(res.next_fire_at(&cal, &esc), Some(at("2026-03-02 10:00")));
    assert_eq!(res.fire(at("2026-03-02 10:00"), &cal, &esc), vec![Firing::Overdue, Firing::Supervision { level: 1 }]);
    // Level 2 three working days overdue (Tue 3 – Thu 5 Mar), level 3 seven more.
    assert_eq!(res.next_fire_at(&cal, &esc), Some(at("2026-03-05 10:00")));
    assert_eq!(res.fire(at("2026-03-02 12:00"), &cal, &esc), vec![]);
    assert_eq!(res.fire(at("2026-03-05 10:00"), &cal, &esc), vec![Firing::Supervision { level: 2 }]);
    assert_eq!(res.next_fire_at(&cal, &esc), Some(at("2026-03-16 10:00")));
    assert_eq!(res.fire(at("2026-03-16 10:00"), &cal, &esc), vec![Firing::Supervision { level: 3 }]);
    // No per-period repetition: nothing more, however long it stays overdue.
    assert_eq!(res.next_fire_at(&cal, &esc), None);
    assert_eq!(res.fire(at("2026-03-31 10:00"), &cal, &esc), vec![]);
    assert_eq!(res.days_late(at("2026-03-31 10:00"), &cal), 21);
}

#[test]
fn catch_up_fires_the_current_state_only() {
    let (cal, esc) = (Calendar::builtin(), Escalation::default());
    // A clock never looked at until after its deadline: overdue and level 1, no warning.
    let mut clocks = run(&[("2026-02-13 10:00", dispatched())], UrgencyTier::Normal);
    let acc = clocks.iter_mut().find(|d| d.kind == DeadlineKind::Acceptance).unwrap_or_else(|| unreachable!());
    assert_eq!(acc.fire(at("2026-02-13 13:31"), &cal, &esc), vec![Firing::Overdue, Firing::Supervision { level: 1 }]);
    assert!(acc.warned_at.is_some(), "the overtaken warning counts as given");
    assert_eq!(acc.fire(at("2026-02-13 13:32"), &cal, &esc), vec![]);
    // After long downtime every level due fires once, lowest first.
    let mut clocks = run(&[("2026-02-13 10:00", dispatched())], UrgencyTier::Emergency);
    let res = clocks.iter_mut().find(|d| d.kind == DeadlineKind::Resolution).unwrap_or_else(|| unreachable!());
    let all = [
        Firing::Overdue,
        Firing::Supervision { level: 1 },
        Firing::Supervision { level: 2 },
        Firing::Supervision { level: 3 },
    ];
    assert_eq!(res.fire(at("2026-03-31 10:00"), &cal, &esc), all.to_vec());
    assert_eq!(res.fire(at("2026-03-31 12:00"), &cal, &esc), vec![]);
    assert_eq!(res.days_late(at("2026-03-31 10:00"), &cal), 46, "24-hour days for a wall-clock clock");
}

#[test]
fn an_official_year_retimes_without_refiring() {
    let provisional = Calendar::builtin();
    let policy = DeadlinePolicy::default();
    // 2027 as a made-up official schedule: 5–13 Feb off, Saturday 20 Feb worked.
    let mut years = chuishao_calendar::builtin_years();
    let mut y2027 = chuishao_calendar::provisional_year(2027).unwrap_or_else(|e| unreachable!("{e}"));
    y2027.holidays.retain(|h| chrono::Datelike::month(&h.from) != 2);
    let d = |s: &str| chrono_free_date(s);
    y2027
        .holidays
        .push(chuishao_calendar::Holiday { name: "春节".into(), from: d("2027-02-05"), to: d("2027-02-13") });
    let worked = chuishao_calendar::AdjustedDay { name: "调休".into(), date: d("2027-02-20") };
    years.push(
        chuishao_calendar::CalendarYear::new(2027, y2027.holidays, vec![worked])
            .unwrap_or_else(|e| unreachable!("{e}")),
    );
    let official = Calendar::with_provisional(years, chuishao_calendar::WorkingHours::default())
        .unwrap_or_else(|e| unreachable!("{e}"));
    let start = ms_of("2027-02-04 10:00");
    let mut clocks = Vec::new();
    react(&mut clocks, &dispatched(), UrgencyTier::Normal, start, &provisional, &policy)
        .unwrap_or_else(|e| unreachable!("{e}"));
    let res = clocks.iter_mut().find(|d| d.kind == DeadlineKind::Resolution).unwrap_or_else(|| unreachable!());
    // Provisional: 11, 12, 15–19 Feb.
    assert_eq!(res.due_at, ms_of("2027-02-19 10:00"));
    assert!(res.provisional(&provisional));
    let warned = res.fire(ms_of("2027-02-18 10:00"), &provisional, &policy.escalation);
    assert_eq!(warned, vec![Firing::Warning]);
    // Official: 15–19 Feb, Saturday 20, Monday 22 Feb.
    assert_eq!(res.retime(&official, &policy), Ok(Some((ms_of("2027-02-19 10:00"), ms_of("2027-02-22 10:00")))));
    assert!(!res.provisional(&official));
    assert!(res.warned_at.is_some(), "the warning is not re-armed");
    assert_eq!(res.retime(&official, &policy), Ok(None), "idempotent");
    assert_eq!(res.next_fire_at(&official, &policy.escalation), Some(ms_of("2027-02-22 10:00")));
    // A paused clock stays paused.
    let mut clocks = Vec::new();
    react(&mut clocks, &dispatched(), UrgencyTier::Normal, start, &provisional, &policy)
        .unwrap_or_else(|e| unreachable!("{e}"));
    react(
        &mut clocks,
        &CaseEvent::Parked { reason: "x".into() },
        UrgencyTier::Normal,
        start + HOUR,
        &provisional,
        &policy,
    )
    .unwrap_or_else(|e| unreachable!("{e}"));
    let res = clocks.iter_mut().find(|d| d.kind == DeadlineKind::Resolution).unwrap_or_else(|| unreachable!());
    assert!(res.retime(&official, &policy).is_ok_and(|m| m.is_some()));
    assert_eq!((res.state, res.next_fire_at(&official, &policy.escalation)), (ClockState::Paused, None));
}

/// "YYYY-MM-DD" as a date.
fn chrono_free_date(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

/// "YYYY-MM-DD HH:MM" in +08:00 to UTC milliseconds, any date.
fn ms_of(s: &str) -> i64 {
    let (date, time) = s.split_once(' ').unwrap_or((s, "00:00"));
    let mut p = date.split('-').map(|x| x.parse::<i64>().unwrap_or(0));
    let (y, m, d) = (p.next().unwrap_or(0), p.next().unwrap_or(0), p.next().unwrap_or(0));
    // Days from civil (proleptic Gregorian), 1970-01-01 = 0.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let (h, min) = time.split_once(':').unwrap_or(("0", "0"));
    days * 24 * HOUR + h.parse::<i64>().unwrap_or(0) * HOUR + min.parse::<i64>().unwrap_or(0) * 60_000 - 8 * HOUR
}

#[test]
fn an_extension_rearms_the_clock() {
    let cal = Calendar::builtin();
    let policy = DeadlinePolicy::default();
    let mut clocks = run(&[("2026-02-13 10:00", dispatched())], UrgencyTier::Normal);
    for d in clocks.iter_mut() {
        d.fire(at("2026-03-02 10:00"), &cal, &policy.escalation);
    }
    let ext = CaseEvent::ExtensionApproved { days: 5 };
    react(&mut clocks, &ext, UrgencyTier::Normal, at("2026-03-02 11:00"), &cal, &policy).unwrap_or_default();
    let res = clock(&clocks, DeadlineKind::Resolution);
    assert_eq!(res.due_at, at("2026-03-09 10:00"));
    // The overdue mark re-arms for the new deadline; level 1, already fired, stays fired.
    assert_eq!((res.overdue_at, res.supervisions), (None, 1));
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
    /// Whatever instants the worker happens to tick at: each firing at most once, never a
    /// warning once overdue, levels in order and only after the overdue mark.
    #[test]
    fn each_firing_happens_once_and_in_order(start in 0i64..300 * 24, gaps in proptest::collection::vec(0i64..400, 1..30), tier in 0usize..4) {
        let (cal, policy) = (Calendar::builtin(), DeadlinePolicy::default());
        let tier = [UrgencyTier::Emergency, UrgencyTier::Utilities, UrgencyTier::Normal, UrgencyTier::Complex][tier];
        let t0 = 1_735_660_800_000 + start * HOUR;
        let mut clocks = Vec::new();
        react(&mut clocks, &dispatched(), tier, t0, &cal, &policy)?;
        for d in clocks.iter_mut() {
            let (mut now, mut fired) = (t0, Vec::new());
            for g in &gaps {
                now += g * HOUR;
                fired.extend(d.fire(now, &cal, &policy.escalation));
            }
            let count = |f: Firing| fired.iter().filter(|x| **x == f).count();
            prop_assert!(count(Firing::Warning) <= 1 && count(Firing::Overdue) <= 1, "{fired:?}");
            let overdue = fired.iter().position(|f| *f == Firing::Overdue);
            if let (Some(o), Some(w)) = (overdue, fired.iter().position(|f| *f == Firing::Warning)) {
                prop_assert!(w < o, "warning after overdue: {fired:?}");
            }
            let levels: Vec<(usize, u8)> = fired.iter().enumerate().filter_map(|(i, f)| match f {
                Firing::Supervision { level } => Some((i, *level)),
                _ => None,
            }).collect();
            prop_assert!(levels.windows(2).all(|w| w[0].1 < w[1].1), "{fired:?}");
            prop_assert!(levels.iter().all(|(i, _)| overdue.is_some_and(|o| o < *i)), "{fired:?}");
        }
    }

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
