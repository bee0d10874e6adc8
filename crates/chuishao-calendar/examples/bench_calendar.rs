//! Deadline arithmetic throughput on one core: a mix of working-day, working-hour and
//! wall-clock allowances from start instants spread over 2025–2028 (official 2025–2026,
//! provisional 2027–2028), and how long building the calendar of all 101 supported years takes.
//! Run with `bash bench/calendar.sh` (release build); figures in docs/benchmarks.md.

use chuishao_calendar::{Allowance, Calendar};
use std::time::Instant;

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10_000_000);
    let built = Instant::now();
    let rounds = 20;
    let mut cal = Calendar::builtin();
    for _ in 1..rounds {
        cal = std::hint::black_box(Calendar::builtin());
    }
    let build_ms = built.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
    let first = 1_735_660_800_000i64; // 2025-01-01T00:00:00+08:00
    let span = 4 * 365 * 86_400_000u64;
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let inputs: Vec<(i64, Allowance)> = (0..1 << 16)
        .map(|_| {
            let from = first + (next() % span) as i64;
            let allowance = match next() % 4 {
                0 => Allowance::WorkingDays((next() % 16) as i64),
                1 => Allowance::WorkingMs((next() % (15 * 7 * 3_600_000)) as i64),
                2 => Allowance::working_hours(2),
                _ => Allowance::WallMs((next() % (24 * 3_600_000)) as i64),
            };
            (from, allowance)
        })
        .collect();
    let started = Instant::now();
    let mut checksum = 0i64;
    let mut errors = 0u64;
    for i in 0..n {
        let (from, allowance) = inputs[(i as usize) & 0xFFFF];
        match cal.due(std::hint::black_box(from), std::hint::black_box(allowance)) {
            Ok(t) => checksum = checksum.wrapping_add(t),
            Err(_) => errors += 1,
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{n} deadline computations in {secs:.3} s on one core: {:.0} per second ({errors} refused, checksum {checksum})",
        n as f64 / secs
    );
    println!("building the calendar (2000–2100, {} years): {build_ms:.2} ms", cal.years().len());
}
