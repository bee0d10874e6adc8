//! The message catalogue: every UI string in Chinese (the default) and English, by key.
//! Templates ask `t.t("key")`; a test checks every key a template uses exists here.

/// The page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// `zh-CN` or `en`: the `<html lang>` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The short code used in `?lang=`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The other language (for the switch).
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// Parses `zh`, `zh-CN`, `en`, `en-US` … (case-insensitive).
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// Picks between a Chinese and an English text.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// (key, 中文, English).
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("site.name", "吹哨", "Chuishao"),
    ("site.tagline", "接诉即办 · 过程直播", "Every report answered, every step shown"),
    ("lang.switch", "English", "中文"),
    ("nav.report", "我要反映", "Report a problem"),
    ("nav.report_cta", "发现问题？一键反映", "Seen a problem? Report it"),
    ("nav.track", "查询进度", "Track a report"),
    ("track.title", "诉求进度", "Report progress"),
    ("track.code", "查询码", "Tracking code"),
    ("track.status", "当前状态", "Status"),
    ("track.category", "问题类别", "Category"),
    ("track.place", "所在地区", "Area"),
    ("track.handler", "承办单位", "Handling unit"),
    ("track.created", "反映时间", "Reported"),
    ("track.closed", "结案时间", "Closed"),
    ("track.result", "办理结果", "Result"),
    ("track.timeline", "办理过程", "Timeline"),
    ("track.live", "页面会自动更新办理进展。", "This page updates itself as the case moves."),
    ("track.live_off", "刷新页面查看最新进展。", "Reload the page for the latest progress."),
    ("track.unknown", "未填写", "Not given"),
    (
        "track.privacy",
        "本页不显示反映人的姓名、电话，也不显示工作人员姓名。",
        "This page never shows the reporter's name or phone, nor staff names.",
    ),
    ("lookup.title", "查询诉求进度", "Track your report"),
    ("lookup.hint", "输入提交时获得的10位查询码。", "Enter the 10-character code you received when you reported."),
    ("lookup.submit", "查询", "Track"),
    (
        "lookup.not_found",
        "没有找到这个查询码对应的诉求，请核对后重试。",
        "No report has this tracking code. Please check it and try again.",
    ),
    ("callback.title", "回访：请评价办理结果", "Callback: how was it handled?"),
    ("callback.phone", "您留下的手机号码后四位", "Last four digits of the phone you left"),
    ("callback.solved", "问题解决了吗？", "Is the problem solved?"),
    ("callback.yes", "已解决", "Solved"),
    ("callback.no", "未解决", "Not solved"),
    ("callback.satisfaction", "您对办理结果满意吗？", "Are you satisfied with the result?"),
    ("callback.satisfied", "满意", "Satisfied"),
    ("callback.basically_satisfied", "基本满意", "Basically satisfied"),
    ("callback.dissatisfied", "不满意", "Dissatisfied"),
    ("callback.comment", "意见或建议（选填）", "Comment (optional)"),
    ("callback.submit", "提交回访", "Send"),
    ("callback.thanks", "感谢您的回访！", "Thank you for your answer!"),
    (
        "callback.reopened",
        "我们已将诉求重新交办，请继续关注进度。",
        "Your report has been sent back for more work; follow its progress here.",
    ),
    ("callback.done", "回访已记录。", "Your answer has been recorded."),
    ("report.title", "我要反映问题", "Report a problem"),
    ("report.category", "问题类别", "Category"),
    ("report.category_search", "搜索类别，例如：垃圾、井盖", "Search, e.g. rubbish, manhole"),
    ("report.category_unsure", "不确定（由工作人员分类）", "Not sure (staff will classify it)"),
    ("report.description", "问题描述", "What is the problem?"),
    ("report.location", "问题位置", "Where is it?"),
    ("report.locate", "使用我的当前位置", "Use my current location"),
    ("report.address", "地址或地标", "Address or landmark"),
    ("report.coordinates", "经纬度（选填）", "Coordinates (optional)"),
    ("report.lat", "纬度", "Latitude"),
    ("report.lon", "经度", "Longitude"),
    ("report.map", "在地图上点选位置", "Tap the map to choose the place"),
    ("report.map_chosen", "已选位置（纬度, 经度）：", "Chosen place (latitude, longitude):"),
    (
        "report.map_hint",
        "点击地图上问题所在的位置；选好后可继续填写并提交。",
        "Tap where the problem is; then finish the form and submit.",
    ),
    ("report.contact", "联系方式（选填）", "Contact (optional)"),
    (
        "report.contact_note",
        "姓名和电话只有负责派单和回访的工作人员能看到，且默认遮挡显示；公开页面和查询结果中永远不会出现。也可以匿名反映。",
        "Only the staff who dispatch your report and call you back can see your name and phone, masked by default; they never appear on public pages or in tracking. You may also report anonymously.",
    ),
    ("report.name", "称呼", "Name"),
    ("report.phone", "手机号码", "Phone"),
    ("report.anonymous", "匿名反映（不留姓名和电话）", "Report anonymously (no name or phone)"),
    ("report.submit", "提交", "Submit"),
    ("report.done", "已收到您的反映", "We have your report"),
    ("report.done_code", "您的查询码：", "Your tracking code:"),
    (
        "report.done_keep",
        "请记下查询码，用它查看办理进度和参加回访。",
        "Keep this code to follow progress and answer the callback.",
    ),
    ("report.done_track", "查看办理进度", "Follow its progress"),
    ("report.err.description", "请描述问题（最多4000字）。", "Describe the problem (at most 4,000 characters)."),
    ("report.err.location", "请给出位置：地址、或有效的经纬度。", "Give a place: an address or valid coordinates."),
    ("report.err.category", "请选择有效的问题类别。", "Choose a valid category."),
    ("report.err.name", "称呼最多100字。", "The name may have at most 100 characters."),
    ("report.err.phone", "请填写有效的电话号码。", "Enter a valid phone number."),
    (
        "report.photos",
        "照片（选填，最多4张，每张不超过10MB；位置等信息会被去除）",
        "Photos (optional, up to 4, 10 MB each; location and other metadata are removed)",
    ),
    ("report.done_photos", "已附照片（已去除位置等信息）：", "Photos attached (metadata removed):"),
    ("report.err.photo_type", "照片只能是JPEG、PNG或WebP图片。", "Photos must be JPEG, PNG or WebP images."),
    ("report.err.photo_size", "每张照片不能超过10MB。", "Each photo may be at most 10 MB."),
    ("report.err.photo_count", "最多上传4张照片。", "At most 4 photos."),
    ("nearby.title", "附近已有人反映过同类问题：", "Others nearby already reported this kind of problem:"),
    ("nearby.me_too", "我也遇到了", "Me too"),
    ("nearby.view", "查看进度", "View progress"),
    (
        "nearby.thanks",
        "已记录您的“我也遇到了”。可在进度页关注办理情况。",
        "Your \"me too\" is counted. Follow the progress on its page.",
    ),
    ("nearby.count", "表示也遇到了这个问题的人数：", "People who said \"me too\":"),
    (
        "nearby.keep",
        "请保存查询码：它的进度页会实时显示办理情况和结果，与最初反映的人看到的一样。",
        "Keep this code: its page shows the handling and the result live, as the first reporter sees them.",
    ),
    ("report.err.other", "有内容填写不正确。", "Something in the form is not right."),
    ("error.title", "出错了", "Something went wrong"),
    ("error.back", "返回", "Back"),
    ("error.phone_mismatch", "手机号码后四位不正确。", "The last four digits of the phone do not match."),
    ("error.invalid", "请检查填写的内容。", "Please check what you entered."),
    (
        "error.not_open",
        "这个诉求目前不需要回访，或已经回访过。",
        "This report is not waiting for a callback, or was already answered.",
    ),
    ("error.csrf", "页面已过期，请返回刷新后重试。", "The page has expired; go back, reload and try again."),
    ("error.rate_limited", "操作太频繁，请稍后再试。", "Too many attempts; please wait a moment and try again."),
    ("error.internal", "服务暂时不可用，请稍后再试。", "The service is unavailable; please try again later."),
];

/// The catalogue in one language.
#[derive(Debug, Clone, Copy)]
pub struct Msgs(pub Lang);

impl Msgs {
    /// The text of `key`; the key itself when missing (a test keeps that from happening).
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match MESSAGES.iter().chain(super::console_i18n::MESSAGES).find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => self.0.pick(zh, en),
            None => key,
        }
    }

    pub fn lang(&self) -> Lang {
        self.0
    }

    /// The templates console.js formats countdowns with (see `web::clocks`).
    pub fn clock_words(&self) -> String {
        super::clocks::clock_words(*self)
    }

    /// The text of `key` with its `{}` replaced by `n`.
    pub fn fill(&self, key: &str, n: impl std::fmt::Display) -> String {
        self.t(key).replace("{}", &n.to_string())
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn every_key_used_by_a_template_is_in_the_catalogue_once() {
        let mut keys: Vec<&str> =
            MESSAGES.iter().chain(super::super::console_i18n::MESSAGES).map(|(k, _, _)| *k).collect();
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate keys");
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
            let path = entry.map(|e| e.path()).unwrap_or_default();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for part in text.split("t.t(\"").skip(1) {
                let key = part.split('"').next().unwrap_or_default();
                assert!(keys.binary_search(&key).is_ok(), "{}: key {key} missing from the catalogue", path.display());
            }
        }
    }

    #[test]
    fn languages_parse_and_switch() {
        assert_eq!(Lang::parse("en-US"), Some(Lang::En));
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::Zh.other().tag(), "en");
        assert_eq!(Msgs(Lang::En).t("track.status"), "Status");
        assert_eq!(Msgs(Lang::Zh).t("track.status"), "当前状态");
    }
}
