//! Robot and webhook texts. A group chat has no page language, so a robot message carries
//! both: `吹哨 Chuishao：案件 case 42 督办 supervised`.

use crate::lookup;
use chuishao_domain::record::StreamKind;

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
    record_title(StreamKind::Case, case_id, kind)
}

/// The title of a message about `kind` on record `id` of stream `stream`: the record is named
/// by its kind (`案件 case 42`, `吹哨 whistle 7`).
pub fn record_title(stream: StreamKind, id: i64, kind: &str) -> String {
    let (site_zh, site_en) = lookup("site.name").unwrap_or(("吹哨", "Chuishao"));
    let record = format!("notify.record.{}", stream.as_str());
    let (rec_zh, rec_en) = lookup(&record).unwrap_or((stream.as_str(), stream.as_str()));
    format!("{site_zh} {site_en}：{rec_zh} {rec_en} {id} {}", kind_words(kind))
}

/// The detail line of a deadline event: `时限 deadline: resolution`.
pub fn deadline_detail(clock: &str) -> String {
    format!("{}: {clock}", pair("notify.deadline"))
}
