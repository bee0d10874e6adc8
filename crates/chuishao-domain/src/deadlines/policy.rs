//! The deadline policy: how much time each tier and each clock allows. The defaults are the
//! Beijing 接诉即办 tiers; a deployment may change them (see docs/operations.md).

use crate::category::UrgencyTier;
use crate::deadlines::{DeadlineKind, Escalation};
use chuishao_calendar::Allowance;

/// Allowances per tier and clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlinePolicy {
    /// Resolution allowance per tier.
    pub emergency: Allowance,
    pub utilities: Allowance,
    pub normal: Allowance,
    pub complex: Allowance,
    /// Acceptance (签收) allowance, and the one for emergencies.
    pub acceptance: Allowance,
    pub acceptance_emergency: Allowance,
    /// Verification (核查) allowance, from resolution.
    pub verification: Allowance,
    /// Share of the allowed time after which the warning fires, in percent (1–99).
    pub warning_percent: i64,
    /// When overdue work escalates to the district (level 2) and is listed (level 3).
    pub escalation: Escalation,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy {
            emergency: Allowance::hours(2),
            utilities: Allowance::hours(24),
            normal: Allowance::WorkingDays(7),
            complex: Allowance::WorkingDays(15),
            acceptance: Allowance::working_hours(2),
            acceptance_emergency: Allowance::WallMs(30 * 60_000),
            verification: Allowance::WorkingDays(1),
            warning_percent: 80,
            escalation: Escalation::default(),
        }
    }
}

impl DeadlinePolicy {
    /// The allowance of clock `kind` on a case of `tier`.
    pub fn allowance(&self, kind: DeadlineKind, tier: UrgencyTier) -> Allowance {
        match (kind, tier) {
            (DeadlineKind::Acceptance, UrgencyTier::Emergency) => self.acceptance_emergency,
            (DeadlineKind::Acceptance, _) => self.acceptance,
            (DeadlineKind::Verification, _) => self.verification,
            (DeadlineKind::Resolution, UrgencyTier::Emergency) => self.emergency,
            (DeadlineKind::Resolution, UrgencyTier::Utilities) => self.utilities,
            (DeadlineKind::Resolution, UrgencyTier::Normal) => self.normal,
            (DeadlineKind::Resolution, UrgencyTier::Complex) => self.complex,
        }
    }

    /// Reads `key = "allowance"` lines (TOML), e.g. `normal = "7wd"`, `acceptance = "2wh"`,
    /// `emergency = "2h"`, `acceptance_emergency = "30m"`, `warning_percent = 80`, and the
    /// escalation in working days: `district_after = "3wd"` (level 2 after that long overdue),
    /// `listed_after = "7wd"` (level 3 that long after level 2). Keys left out keep their
    /// defaults.
    pub fn parse(text: &str) -> Result<Self, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let mut p = DeadlinePolicy::default();
        for (key, value) in &table {
            if key == "warning_percent" {
                let v = value.as_integer().ok_or("warning_percent: write a whole number")?;
                if !(1..=99).contains(&v) {
                    return Err("warning_percent: must be 1–99".into());
                }
                p.warning_percent = v;
                continue;
            }
            let text = value.as_str().ok_or_else(|| format!("{key}: write a string like \"7wd\""))?;
            let a = parse_allowance(text).map_err(|e| format!("{key}: {e}"))?;
            if matches!(key.as_str(), "district_after" | "listed_after") {
                let Allowance::WorkingDays(days) = a else {
                    return Err(format!("{key}: write working days, e.g. \"3wd\""));
                };
                match key.as_str() {
                    "district_after" => p.escalation.district_after_days = days,
                    _ => p.escalation.listed_after_days = days,
                }
                continue;
            }
            let slot = match key.as_str() {
                "emergency" => &mut p.emergency,
                "utilities" => &mut p.utilities,
                "normal" => &mut p.normal,
                "complex" => &mut p.complex,
                "acceptance" => &mut p.acceptance,
                "acceptance_emergency" => &mut p.acceptance_emergency,
                "verification" => &mut p.verification,
                other => return Err(format!("unknown key {other:?}")),
            };
            *slot = a;
        }
        Ok(p)
    }
}

/// Parses an allowance: `7wd` (working days), `2wh` (working hours), `2h` (hours, wall
/// clock), `30m` (minutes, wall clock). Positive whole numbers only.
pub fn parse_allowance(s: &str) -> Result<Allowance, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().map_err(|_| format!("{s:?}: write a number and a unit (wd, wh, h, m)"))?;
    if n <= 0 || n > 100_000 {
        return Err(format!("{s:?}: must be positive"));
    }
    match unit {
        "wd" => Ok(Allowance::WorkingDays(n)),
        "wh" => Ok(Allowance::working_hours(n)),
        "h" => Ok(Allowance::hours(n)),
        "m" => Ok(Allowance::WallMs(n * 60_000)),
        _ => Err(format!("{s:?}: unknown unit {unit:?} (wd, wh, h, m)")),
    }
}
