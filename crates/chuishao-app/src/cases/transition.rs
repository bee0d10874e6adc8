//! Transitions: `{"action": …, "version": N, …fields}` turned into a domain command, decided,
//! and persisted — the folded case row and the new events in one transaction.

use crate::cases::Cases;
use crate::cases::view::CaseView;
use crate::record::{Change, Stored, append};
use crate::{AppError, Result};
use chuishao_domain::access::Actor;
use chuishao_domain::cases::Case;
use chuishao_domain::cases::{Action, CaseEvent, Command, HandlerRef, Satisfaction, Urgency, execute};
use chuishao_domain::category::UrgencyTier;
use chuishao_domain::ids::{CaseId, OrgId};
use chuishao_domain::record::Record;
use chuishao_store::Tx;
use serde::{Deserialize, Serialize};

/// The body of `POST /api/v1/cases/{id}/transitions`: the action, the version the client
/// last saw, and the fields that action takes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    pub action: String,
    pub version: i64,
    /// reject, return, request_extension, deny_extension, park, reopen, set_tier; dispatch of
    /// a returned case back to the unit that returned it (the ruling's reason).
    #[serde(default)]
    pub reason: Option<String>,
    /// register: reclassify.
    #[serde(default)]
    pub category_code: Option<String>,
    /// register: `urgent` or `normal`.
    #[serde(default)]
    pub urgency: Option<String>,
    /// dispatch, reopen: the handling unit by code (or `handler_id`).
    #[serde(default)]
    pub handler_code: Option<String>,
    #[serde(default)]
    pub handler_id: Option<i64>,
    /// dispatch, verify, supervise.
    #[serde(default)]
    pub note: Option<String>,
    /// supervise: the supervision level recorded, 1 (default) to 3 (挂牌督办, listed).
    #[serde(default)]
    pub level: Option<u8>,
    /// request_extension, approve_extension: working days.
    #[serde(default)]
    pub days: Option<u32>,
    /// resolve: what was done.
    #[serde(default)]
    pub result: Option<String>,
    /// resolve: references to evidence (photo ids, URLs).
    #[serde(default)]
    pub evidence: Option<Vec<String>>,
    /// verify: whether the result holds on site.
    #[serde(default)]
    pub passed: Option<bool>,
    /// merge: the case this one duplicates.
    #[serde(default)]
    pub primary_id: Option<i64>,
    /// callback: solved yes/no.
    #[serde(default)]
    pub solved: Option<bool>,
    /// callback: satisfied / basically_satisfied / dissatisfied.
    #[serde(default)]
    pub satisfaction: Option<String>,
    /// callback: the reporter's words.
    #[serde(default)]
    pub comment: Option<String>,
    /// set_tier: `emergency`, `utilities`, `normal` or `complex` (with a `reason`).
    #[serde(default)]
    pub tier: Option<String>,
}

impl Stored for Case {
    async fn save<'a>(tx: &'a mut Tx, changes: &'a [Change<Case>], now: i64) -> Result<Option<&'a Change<Case>>> {
        // The timer's events (system events at an unchanged version) only ever move the
        // supervision count: one batched update, versions untouched.
        let mut supervised = Vec::new();
        for c in changes {
            let system = c.expected == c.state.version && c.events.iter().all(|(_, e)| e.is_system());
            if system {
                if c.events.iter().any(|(_, e)| matches!(e, CaseEvent::Supervised { .. })) {
                    supervised.push((c.state.id.0, c.state.supervision_count));
                }
            } else if !tx.update_case_state(&c.state, c.expected, now).await? {
                return Ok(Some(c));
            }
        }
        if !supervised.is_empty() {
            tx.set_case_supervision_counts(&supervised, now).await?;
        }
        Ok(None)
    }

    fn scope_paths(case: &Case, _event: &CaseEvent) -> Vec<String> {
        let mut paths = vec![case.location_path.clone()];
        if let Some(h) = &case.handler {
            paths.push(h.path.clone());
        }
        paths
    }
}

/// A ruling on a return keeps, besides the ruling as data, the platform's note in both
/// languages from the catalogue (`仲裁：维持原承办单位 / upheld: reason`), as rulings always
/// have for API clients; pages word the ruling in their own language.
fn word_rulings(events: &mut [CaseEvent]) {
    for e in events {
        if let CaseEvent::Dispatched { note, ruling: Some(r), .. } = e {
            *note = Some(chuishao_i18n::cases::ruling_note(*r, note.as_deref()));
        }
    }
}

fn required<T: Clone>(field: &'static str, v: &Option<T>) -> Result<T> {
    v.clone().ok_or_else(|| missing(field))
}

/// A field the action needs but the request lacks (the domain's `required` problem, so pages
/// word it).
fn missing(field: &'static str) -> AppError {
    let problem = chuishao_domain::error::Problem::Required;
    AppError::Domain(chuishao_domain::DomainError::refused(field, problem, "is required for this action"))
}

impl Cases<'_> {
    async fn resolve_handler(&self, input: &TransitionInput) -> Result<Option<HandlerRef>> {
        let node = match (&input.handler_code, input.handler_id) {
            (Some(code), _) => Some(
                self.admin()
                    .org_by_code(code)
                    .await?
                    .ok_or_else(|| AppError::invalid("handler_code", "unknown organisation"))?,
            ),
            (None, Some(id)) => Some(
                self.admin()
                    .org(OrgId(id))
                    .await?
                    .ok_or_else(|| AppError::invalid("handler_id", "unknown organisation"))?,
            ),
            (None, None) => None,
        };
        Ok(node.map(|n| HandlerRef { id: n.id, kind: n.kind, path: n.path.clone() }))
    }

    async fn to_command(self, input: &TransitionInput) -> Result<Command> {
        let action = Action::parse(&input.action).ok_or_else(|| {
            AppError::invalid(
                "action",
                format!("unknown action; one of {}", Action::ALL.map(|a| a.as_str()).join(", ")),
            )
        })?;
        let reason = || required("reason", &input.reason);
        Ok(match action {
            Action::Register => Command::Register {
                category_code: match &input.category_code {
                    Some(code) => match self.admin().category_with_status(code).await? {
                        Some((c, true)) => Some(c.code.clone()),
                        _ => return Err(AppError::invalid("category_code", "unknown or retired category")),
                    },
                    None => None,
                },
                urgency: match &input.urgency {
                    Some(u) => Some(Urgency::parse(u).ok_or_else(|| AppError::invalid("urgency", "urgent or normal"))?),
                    None => None,
                },
            },
            Action::Reject => Command::Reject { reason: reason()? },
            Action::Dispatch => Command::Dispatch {
                handler: self.resolve_handler(input).await?.ok_or_else(|| missing("handler_code"))?,
                // A ruling on a return gives its reason as `reason` (or `note`).
                note: input.note.clone().or_else(|| input.reason.clone()),
            },
            Action::Accept => Command::Accept,
            Action::Return => Command::Return { reason: reason()? },
            Action::RequestExtension => {
                Command::RequestExtension { days: required("days", &input.days)?, reason: reason()? }
            }
            Action::ApproveExtension => Command::ApproveExtension { days: input.days },
            Action::DenyExtension => Command::DenyExtension { reason: reason()? },
            Action::Park => Command::Park { reason: reason()? },
            Action::Unpark => Command::Unpark,
            Action::Resolve => Command::Resolve {
                result: required("result", &input.result)?,
                evidence: input.evidence.clone().unwrap_or_default(),
            },
            Action::Verify => Command::Verify { passed: required("passed", &input.passed)?, note: input.note.clone() },
            Action::Reopen => Command::Reopen { reason: reason()?, handler: self.resolve_handler(input).await? },
            Action::Close => Command::Close,
            Action::Supervise => {
                Command::Supervise { note: required("note", &input.note)?, level: input.level.unwrap_or(1) }
            }
            Action::Merge => Command::Merge { primary: CaseId(required("primary_id", &input.primary_id)?) },
            Action::SetTier => Command::SetTier {
                tier: {
                    let t = required("tier", &input.tier)?;
                    UrgencyTier::parse(&t)
                        .ok_or_else(|| AppError::invalid("tier", "emergency, utilities, normal or complex"))?
                },
                reason: reason()?,
            },
            Action::Callback => Command::Callback {
                solved: required("solved", &input.solved)?,
                satisfaction: match required("satisfaction", &input.satisfaction)?.as_str() {
                    "satisfied" => Satisfaction::Satisfied,
                    "basically_satisfied" => Satisfaction::BasicallySatisfied,
                    "dissatisfied" => Satisfaction::Dissatisfied,
                    _ => {
                        return Err(AppError::invalid(
                            "satisfaction",
                            "satisfied, basically_satisfied or dissatisfied",
                        ));
                    }
                },
                comment: input.comment.clone(),
            },
        })
    }

    /// Applies a transition for `actor`. A case the actor cannot see is `NotFound`.
    pub async fn transition(&self, actor: &Actor, id: CaseId, input: &TransitionInput) -> Result<CaseView> {
        let now = self.now_ms();
        self.transition_at(actor, id, input, now).await
    }

    /// `transition` at a given instant (the demo replays history).
    pub async fn transition_at(
        &self,
        actor: &Actor,
        id: CaseId,
        input: &TransitionInput,
        now: i64,
    ) -> Result<CaseView> {
        self.transition_steps_at(actor, id, input.version, std::slice::from_ref(input), now).await
    }

    /// Several transitions of one case as one change (e.g. register, then dispatch): each is
    /// decided by the domain on the state the previous one left, and either all are committed
    /// or none is. `version` is the one the client last saw; the steps' own are ignored.
    pub async fn transition_steps(
        &self,
        actor: &Actor,
        id: CaseId,
        version: i64,
        steps: &[TransitionInput],
    ) -> Result<CaseView> {
        let now = self.now_ms();
        self.transition_steps_at(actor, id, version, steps, now).await
    }

    async fn transition_steps_at(
        &self,
        actor: &Actor,
        id: CaseId,
        version: i64,
        steps: &[TransitionInput],
        now: i64,
    ) -> Result<CaseView> {
        // Fields are parsed before the transaction: lookups stay out of the write lock.
        let mut cmds = Vec::with_capacity(steps.len());
        for input in steps {
            cmds.push(self.to_command(input).await?);
        }
        let mut tx = self.store.begin().await?;
        let row = tx.case_for_update(id).await?.ok_or(AppError::NotFound("case"))?;
        let mut case = row.to_domain()?;
        if !actor.can_see(&case.scope()) {
            return Err(AppError::NotFound("case"));
        }
        tx.recall_case(&mut case).await?;
        let before = case.version;
        let mut clocks_changed = false;
        let mut events: Vec<(i64, CaseEvent)> = Vec::new();
        let mut primaries: Vec<Change<Case>> = Vec::new();
        for (i, cmd) in cmds.iter().enumerate() {
            let expected = if i == 0 { version } else { case.version };
            let mut decided = execute(&mut case, actor, cmd, expected)?;
            word_rulings(&mut decided);
            clocks_changed |= self.calendar().react_clocks(&mut tx, &case, &decided, now).await?;
            events.extend(decided.into_iter().map(|e| (case.version, e)));
            if let Command::Merge { primary } = cmd {
                let prow = tx
                    .case_for_update(*primary)
                    .await?
                    .ok_or_else(|| AppError::invalid("primary_id", "no such case"))?;
                let pcase = prow.to_domain()?;
                let ev = chuishao_domain::cases::merge_into(&case, &pcase, actor)?;
                let pbefore = pcase.version;
                let pcase = Case::fold_onto(pcase, std::slice::from_ref(&ev), pbefore + 1, now);
                primaries.push(Change::at_version(pcase, pbefore, vec![ev]));
            }
        }
        let touched: Vec<i64> = std::iter::once(id.0).chain(primaries.iter().map(|p| p.state.id.0)).collect();
        let mut changes = vec![Change { state: case, expected: before, events }];
        changes.extend(primaries);
        append(&mut tx, &changes, Some(actor.user_id.0), now).await?;
        tx.commit().await?;
        for cmd in &cmds {
            chuishao_metrics::metrics().case_transitions.inc(&[cmd.action().as_str()]);
        }
        self.public_views_changed(touched);
        if clocks_changed {
            self.calendar().wake_timer();
        }
        self.ops().wake_delivery();
        // An actor may lose sight of a case by acting on it (a department returning it): they
        // still get the result of what they did, without the reporter.
        match self.case_view_by_id(actor, id).await {
            Err(AppError::NotFound(_)) => {
                let row = self.store.case_by_id(id).await?.ok_or(AppError::NotFound("case"))?;
                self.case_view(row, None).await
            }
            other => other,
        }
    }
}
