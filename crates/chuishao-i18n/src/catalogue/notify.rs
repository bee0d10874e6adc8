//! Robot and webhook texts (WeCom, DingTalk): group chats have no page language, so a message
//! carries both, `中文 English`, built from these lines.

pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("notify.case", "案件", "case"),
    ("notify.deadline", "时限", "deadline"),
    ("notify.received", "已受理", "received"),
    ("notify.registered", "已立案", "registered"),
    ("notify.dispatched", "已派遣", "dispatched"),
    ("notify.accepted", "已签收", "accepted"),
    ("notify.returned", "被退单", "returned"),
    ("notify.extension_requested", "申请延期", "extension requested"),
    ("notify.extension_approved", "延期获批", "extension approved"),
    ("notify.parked", "已挂账", "parked"),
    ("notify.unparked", "恢复办理", "unparked"),
    ("notify.resolved", "已办结", "resolved"),
    ("notify.verification_failed", "核查未通过", "verification failed"),
    ("notify.reopened", "重办", "reopened"),
    ("notify.closed", "已结案", "closed"),
    ("notify.supervised", "督办", "supervised"),
    ("notify.deadline_warning", "临期预警", "deadline warning"),
    ("notify.deadline_overdue", "已超期", "deadline overdue"),
    ("notify.tier_changed", "时限等级变更", "tier changed"),
];
