//! How events read on the public tracking page: plain words for residents, in Chinese and
//! English, naming handling units but never staff or reporters. Internal steps (extension
//! requests, supervision, failed checks) are not shown; their visible effect is.

use crate::cases::CaseEvent;

/// One line of the public timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicWording {
    pub zh: String,
    pub en: String,
}

/// Words an event for residents, or `None` when it is internal. `unit` names the handling
/// unit the event refers to, as `(zh, en)`.
pub fn public_wording(event: &CaseEvent, unit: Option<(&str, &str)>) -> Option<PublicWording> {
    let (uz, ue) = unit.unwrap_or(("承办单位", "the handling unit"));
    let w = |zh: String, en: String| Some(PublicWording { zh, en });
    match event {
        CaseEvent::Received { .. } => w("诉求已受理".into(), "Your report has been received".into()),
        CaseEvent::Registered { .. } => w("已立案".into(), "Registered for action".into()),
        CaseEvent::Rejected { .. } => w("不予立案".into(), "Not accepted for action".into()),
        CaseEvent::Dispatched { .. } => w(format!("已派遣至{uz}"), format!("Dispatched to {ue}")),
        CaseEvent::Accepted { .. } => w(format!("{uz}已签收"), format!("Accepted by {ue}")),
        CaseEvent::Returned { .. } => w("正在重新派遣".into(), "Being dispatched again".into()),
        CaseEvent::ExtensionApproved { days } => {
            w(format!("办理时限延长{days}个工作日"), format!("Deadline extended by {days} working days"))
        }
        CaseEvent::Parked { .. } => w("需长期办理，已挂账".into(), "On hold for long-term work".into()),
        CaseEvent::Unparked => w("恢复办理".into(), "Work resumed".into()),
        CaseEvent::Resolved { result, .. } => w(format!("{uz}已办结：{result}"), format!("Resolved by {ue}: {result}")),
        CaseEvent::VerificationPassed { .. } => w("现场核查通过".into(), "Checked on site".into()),
        CaseEvent::Reopened { .. } => w(format!("重新交由{uz}办理"), format!("Sent back to {ue} for more work")),
        CaseEvent::Closed => w("已结案".into(), "Closed".into()),
        CaseEvent::MergedInto { primary_id } => w(
            format!("与同一问题合并办理（案件{primary_id}）"),
            format!("Merged with a report of the same problem (case {primary_id})"),
        ),
        CaseEvent::CallbackRecorded { .. } => w("已完成回访".into(), "Follow-up call completed".into()),
        CaseEvent::ExtensionRequested { .. }
        | CaseEvent::ExtensionDenied { .. }
        | CaseEvent::VerificationFailed { .. }
        | CaseEvent::Supervised { .. }
        | CaseEvent::DuplicateMerged { .. }
        | CaseEvent::TierChanged { .. }
        | CaseEvent::DeadlineWarning { .. }
        | CaseEvent::DeadlineOverdue { .. }
        | CaseEvent::DeadlineRetimed { .. } => None,
    }
}
