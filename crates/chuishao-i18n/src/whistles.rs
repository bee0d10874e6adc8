//! Whistles in words: the notes the platform itself records on a whistle's events.

use crate::text;

/// The timer worker's note for supervision `level` (1 to 3) of summoned unit `unit` (its
/// code) that has not checked in, stored in both languages, `中文 (English)`, so the API's
/// event data keeps its text while pages show their half ([`crate::localise_note`]).
pub fn supervision_note(unit: &str, level: u8) -> String {
    let t = text(&format!("wnote.supervised_level{}", level.clamp(1, 3)), &[("unit", unit)]);
    format!("{} ({})", t.zh, t.en)
}
