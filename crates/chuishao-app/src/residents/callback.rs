//! Callback by the reporter (回访): once a case is resolved, whoever holds its tracking code —
//! and, if the reporter left a phone, its last four digits — answers: solved or not, how
//! satisfied, a comment. The answer is recorded as the `callback` transition by the residents'
//! channel (a system user), and an unsolved or dissatisfied answer reopens the case: the
//! policy every callback follows, so the answers feed the three rates like a hotline callback.

use crate::cases::TransitionInput;
use crate::residents::Residents;
use crate::{AppError, Result};
use chuishao_domain::access::{Actor, Role};
use chuishao_domain::cases::CaseStatus;
use chuishao_domain::ids::{CaseId, TrackingCode};

/// The system user the residents' channel acts as. It never gets a token.
pub const CHANNEL_USERNAME: &str = "residents-channel";

/// The reporter's answers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallbackForm {
    pub phone_last4: Option<String>,
    pub solved: Option<bool>,
    /// `satisfied`, `basically_satisfied` or `dissatisfied`.
    pub satisfaction: Option<String>,
    pub comment: Option<String>,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackOutcome {
    pub reopened: bool,
}

/// The reopen policy: an unsolved problem or a dissatisfied reporter sends the case back.
pub fn callback_reopens(solved: bool, satisfaction: &str) -> bool {
    !solved || satisfaction == "dissatisfied"
}

impl Residents<'_> {
    /// The residents' channel as an actor: created on first use with the integrator and
    /// dispatcher roles on every root of the org tree.
    pub(crate) async fn channel_actor(&self) -> Result<Actor> {
        if let Some(u) = self.store.user_by_username(CHANNEL_USERNAME).await? {
            let bindings = self.store.role_bindings(chuishao_domain::ids::UserId(u.id)).await?;
            return Ok(Actor { user_id: chuishao_domain::ids::UserId(u.id), username: u.username, bindings });
        }
        let roots: Vec<String> =
            self.store.list_orgs(None).await?.into_iter().filter(|o| o.parent_id.is_none()).map(|o| o.code).collect();
        let roles: Vec<(Role, &str)> =
            roots.iter().flat_map(|c| [(Role::Integrator, c.as_str()), (Role::Dispatcher, c.as_str())]).collect();
        match self.admin().create_user(CHANNEL_USERNAME, "居民渠道 Residents' channel", &roles).await {
            Ok(_) | Err(AppError::AlreadyExists(_)) => {}
            Err(e) => return Err(e),
        }
        let u = self.store.user_by_username(CHANNEL_USERNAME).await?.ok_or(AppError::NotFound("user"))?;
        let bindings = self.store.role_bindings(chuishao_domain::ids::UserId(u.id)).await?;
        Ok(Actor { user_id: chuishao_domain::ids::UserId(u.id), username: u.username, bindings })
    }

    /// Whether the case behind a tracking code is waiting for the reporter's callback, and
    /// whether the reporter must prove the phone's last four digits.
    pub async fn callback_state(&self, tracking_code: &str) -> Result<(bool, bool)> {
        let code = TrackingCode::parse(tracking_code).ok_or(AppError::NotFound("case"))?;
        let row = self.store.case_by_tracking_code(code.as_str()).await?.ok_or(AppError::NotFound("case"))?;
        let open = self.callback_open(row.id, &row.status).await?;
        let needs_phone = self.ops().reporter_contact(CaseId(row.id)).await?.and_then(|(_, p)| p).is_some();
        Ok((open, needs_phone))
    }

    /// A callback is open when the case is resolved, verified or closed and no callback was
    /// recorded since the last resolution.
    async fn callback_open(&self, case_id: i64, status: &str) -> Result<bool> {
        let status = CaseStatus::parse(status).ok_or_else(|| AppError::Internal("status".into()))?;
        if !matches!(status, CaseStatus::Resolved | CaseStatus::Verified | CaseStatus::Closed) {
            return Ok(false);
        }
        let events = self.store.stream_events("case", case_id).await?;
        let last_resolved = events.iter().filter(|e| e.kind == "resolved").map(|e| e.seq).max();
        let last_callback = events.iter().filter(|e| e.kind == "callback_recorded").map(|e| e.seq).max();
        Ok(match (last_resolved, last_callback) {
            (Some(r), Some(c)) => c < r,
            (Some(_), None) => true,
            _ => false,
        })
    }

    /// Records the reporter's callback. A wrong tracking code is `NotFound`; a wrong or
    /// missing phone check is `Forbidden`; a case not awaiting a callback is refused.
    pub async fn resident_callback(&self, tracking_code: &str, form: &CallbackForm) -> Result<CallbackOutcome> {
        let code = TrackingCode::parse(tracking_code).ok_or(AppError::NotFound("case"))?;
        let row = self.store.case_by_tracking_code(code.as_str()).await?.ok_or(AppError::NotFound("case"))?;
        let mut errors = Vec::new();
        let solved = form.solved;
        if solved.is_none() {
            errors.push(crate::FieldError { field: "solved".into(), message: "answer yes or no".into() });
        }
        let satisfaction = form.satisfaction.as_deref().unwrap_or("");
        if !matches!(satisfaction, "satisfied" | "basically_satisfied" | "dissatisfied") {
            errors.push(crate::FieldError {
                field: "satisfaction".into(),
                message: "satisfied, basically_satisfied or dissatisfied".into(),
            });
        }
        let comment = form.comment.as_ref().map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        if comment.as_ref().is_some_and(|c| c.chars().count() > 1000) {
            errors.push(crate::FieldError { field: "comment".into(), message: "at most 1000 characters".into() });
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        if let Some((_, Some(phone))) = self.ops().reporter_contact(CaseId(row.id)).await? {
            let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
            let given = form.phone_last4.as_deref().unwrap_or("").trim();
            if given.len() != 4 || !digits.ends_with(given) {
                return Err(AppError::Forbidden("the last four digits of the phone do not match".into()));
            }
        }
        if !self.callback_open(row.id, &row.status).await? {
            return Err(AppError::Domain(chuishao_domain::DomainError::IllegalTransition {
                action: "callback".into(),
                state: row.status.clone(),
            }));
        }
        let actor = self.channel_actor().await?;
        let solved = solved.unwrap_or(false);
        let input = TransitionInput {
            action: "callback".into(),
            version: row.version,
            solved: Some(solved),
            satisfaction: Some(satisfaction.to_string()),
            comment,
            ..Default::default()
        };
        let view = self.cases().transition(&actor, CaseId(row.id), &input).await?;
        let reopened = callback_reopens(solved, satisfaction);
        if reopened {
            let reason = chuishao_i18n::cases::callback_reopen_reason(solved);
            let input = TransitionInput {
                action: "reopen".into(),
                version: view.version,
                reason: Some(reason),
                ..Default::default()
            };
            self.cases().transition(&actor, CaseId(row.id), &input).await?;
        }
        Ok(CallbackOutcome { reopened })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsolved_or_dissatisfied_reopens() {
        assert!(!callback_reopens(true, "satisfied"));
        assert!(!callback_reopens(true, "basically_satisfied"));
        assert!(callback_reopens(true, "dissatisfied"));
        assert!(callback_reopens(false, "satisfied"));
    }
}
