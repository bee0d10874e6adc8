//! Fuzz harness (stable Rust, proptest) over calendar files and working hours: arbitrary
//! text and mutated shipped schedules parse or are refused — never a panic or a hang — and a
//! year that parses exports to text that parses to the same year. `bench/fuzz.sh` runs it for
//! minutes (`CHUISHAO_FUZZ_CASES`); the normal test run does a short pass.

#![allow(clippy::unwrap_used)]

use crate::{BUILTIN_YEARS, CalendarYear, WorkingHours};
use proptest::prelude::*;

/// Cases per harness: `CHUISHAO_FUZZ_CASES`, else a short pass.
fn cases() -> u32 {
    std::env::var("CHUISHAO_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
}

/// `base` with characters replaced, inserted or removed at the given places.
fn mutate(base: &str, edits: &[(usize, u8, char)]) -> String {
    let mut chars: Vec<char> = base.chars().collect();
    for &(pos, kind, c) in edits {
        if chars.is_empty() {
            chars.push(c);
            continue;
        }
        let i = pos % chars.len();
        match kind % 3 {
            0 => chars[i] = c,
            1 => chars.insert(i, c),
            _ => {
                chars.remove(i);
            }
        }
    }
    chars.into_iter().collect()
}

fn check_year(text: &str) {
    if let Ok(y) = CalendarYear::parse(text) {
        let again = CalendarYear::parse(&y.export());
        assert_eq!(again.as_ref().ok(), Some(&y), "export of a parsed year parses back");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        check_year(&text);
        let _ = WorkingHours::parse(&text);
    }

    #[test]
    fn mutated_schedules_never_panic(
        which in 0usize..BUILTIN_YEARS.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), prop_oneof![Just('9'), Just('-'), Just('"'), Just('\n'), Just('['), Just('='), any::<char>()]), 1..8),
    ) {
        check_year(&mutate(BUILTIN_YEARS[which], &edits));
    }

    #[test]
    fn any_year_number_is_answered_or_refused(year in any::<i32>()) {
        // A year from a URL path (`/api/v1/calendar/{year}`) reaches these directly.
        let cal = crate::Calendar::builtin();
        let _ = cal.year(year);
        let _ = cal.is_provisional_year(year);
        let _ = crate::festivals(year);
        let _ = crate::provisional_year(year);
        for y in [i32::MIN, i32::MAX, -1, 0, 1999, 2101] {
            prop_assert!(cal.year(y).is_none() && crate::festivals(y).is_none());
        }
    }

    #[test]
    fn hour_ranges_never_panic(a in 0u32..30, b in 0u32..70, c in 0u32..30, d in 0u32..70, sep in prop_oneof![Just(","), Just(";"), Just(" , ")]) {
        let _ = WorkingHours::parse(&format!("{a:02}:{b:02}-{c:02}:{d:02}{sep}{c}:{b}-{a}:{d}"));
    }
}
