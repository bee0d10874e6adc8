//! Robot and webhook texts. A group chat has no page language, so a robot message carries
//! both: `吹哨 Chuishao：案件 case 42 督办 supervised`.

use crate::lookup;

/// `中文 English` of a catalogue line (the key itself when missing).
fn pair(key: &str) -> String {
    match lookup(key) {
        Some((zh, en)) => format!("{zh} {en}"),
        None => key.to_string(),
    }
}

/// The words of an event kind (the kind's code for a kind the catalogue does not word).
pub fn kind_words(kind: &str) -> String {
    match lookup(&format!("notify.{kind}")) {
        Some((zh, en)) => format!("{zh} {en}"),
        None => kind.to_string(),
    }
}

/// The title of a message about `kind` on case `case_id`.
pub fn title(case_id: i64, kind: &str) -> String {
    let (site_zh, site_en) = lookup("site.name").unwrap_or(("吹哨", "Chuishao"));
    let (case_zh, case_en) = lookup("notify.case").unwrap_or(("案件", "case"));
    format!("{site_zh} {site_en}：{case_zh} {case_en} {case_id} {}", kind_words(kind))
}

/// The detail line of a deadline event: `时限 deadline: resolution`.
pub fn deadline_detail(clock: &str) -> String {
    format!("{}: {clock}", pair("notify.deadline"))
}
