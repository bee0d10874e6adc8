//! The desk: the dispatcher's queue (received and returned cases, most urgent and least time
//! left first), bulk actions, rulings on returns, the handler suggested by the category's
//! ownership rule, what the case desk shows (timeline in plain words, photos, linked
//! whistles, supervision, a map snippet), and the actions a user may take on a case. Those are found by asking the domain's `decide` with a probe of
//! each command: no second copy of the rules lives here or in the web layer.

use crate::cases::Cases;
use crate::cases::{CaseView, TransitionInput};
use crate::{AppError, Result};
use chuishao_domain::DomainError;
use chuishao_domain::access::Actor;
use chuishao_domain::cases::{Action, Case, CaseEvent, Command, HandlerRef, Ruling, Satisfaction, arbitrate, decide};
use chuishao_domain::category::{UrgencyTier, suggested_handler};
use chuishao_domain::deadlines::DeadlineKind;
use chuishao_domain::ids::{CaseId, OrgId, UserId};
use chuishao_domain::org::{OrgKind, OrgNode};
use chuishao_geo::Level;
use chuishao_geo::svg::{MapArea, MapPin, MapSpec, render_snippet};
use chuishao_store::CaseFilter;
use std::collections::HashMap;
use std::sync::Arc;

/// Filters of the dispatcher's board.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct BoardQuery {
    /// `incoming` (received and returned, the default), `returns`, `working` (dispatched and
    /// accepted), `overdue` or `supervised`.
    pub queue: Option<String>,
    pub category: Option<String>,
    /// `urgent` or `normal`.
    pub urgency: Option<String>,
    /// Free text in the description or address.
    pub q: Option<String>,
}

/// One row of a board.
#[derive(Debug, Clone)]
pub struct BoardItem {
    pub case: CaseView,
    pub due_at: i64,
    /// Negative when overdue.
    pub left_ms: i64,
    pub returned: bool,
    /// For a returned case: who returned it and why.
    pub return_info: Option<ReturnInfo>,
}

/// Every action, probed with placeholder fields. Field errors come after the permission
/// and state checks in `decide`, so an `Invalid` answer still means "allowed here".
fn probes(case: &Case) -> Vec<Command> {
    let any_unit = HandlerRef { id: OrgId(0), kind: OrgKind::Department, path: String::new() };
    let r = String::new;
    vec![
        Command::Register { category_code: None, urgency: None },
        Command::Reject { reason: r() },
        Command::Dispatch { handler: any_unit, note: None },
        Command::Accept,
        Command::Return { reason: r() },
        Command::RequestExtension { days: 1, reason: r() },
        Command::ApproveExtension { days: None },
        Command::DenyExtension { reason: r() },
        Command::Park { reason: r() },
        Command::Unpark,
        Command::Resolve { result: r(), evidence: vec![] },
        Command::Verify { passed: true, note: None },
        Command::Reopen { reason: r(), handler: None },
        Command::Close,
        Command::Supervise { note: r(), level: 1 },
        Command::Merge { primary: CaseId(case.id.0 + 1) },
        Command::Callback { solved: true, satisfaction: Satisfaction::Satisfied, comment: None },
        Command::SetTier { tier: chuishao_domain::category::UrgencyTier::Normal, reason: r() },
    ]
}

/// The actions `actor` may take on `case` now, as the domain decides them.
pub fn allowed_actions(case: &Case, actor: &Actor) -> Vec<Action> {
    probes(case)
        .into_iter()
        .filter(|cmd| matches!(decide(case, actor, cmd, case.version), Ok(_) | Err(DomainError::Invalid { .. })))
        .map(|cmd| cmd.action())
        .collect()
}

/// A return awaiting the dispatcher's ruling: which unit returned the case, why, and when.
#[derive(Debug, Clone)]
pub struct ReturnInfo {
    pub unit_id: OrgId,
    pub unit_zh: String,
    pub unit_en: String,
    pub reason: String,
    pub at: String,
}

/// Most cases one bulk action may carry.
pub const MAX_BULK: usize = 100;

/// What a bulk action on the board does to each selected case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    /// Register (立案) with the given category.
    Classify,
    /// Dispatch (registering first when still received) to the given unit, or to each
    /// case's suggested unit.
    Dispatch,
    /// Reject with the given reason.
    Reject,
}

impl BulkAction {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "classify" => Some(BulkAction::Classify),
            "dispatch" => Some(BulkAction::Dispatch),
            "reject" => Some(BulkAction::Reject),
            _ => None,
        }
    }
}

/// The fields of a bulk action (empty ones are `None`).
#[derive(Debug, Clone)]
pub struct BulkInput {
    pub action: BulkAction,
    pub category_code: Option<String>,
    pub urgency: Option<String>,
    /// `None`: each case goes to the unit the ownership rule suggests for it.
    pub handler_code: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
}

/// What happened to one case of a bulk action.
#[derive(Debug)]
pub struct BulkOutcome {
    pub id: CaseId,
    pub result: Result<CaseView>,
}

/// One line of the desk's timeline: the event and the unit it names, for the page to word
/// in its language (`chuishao_i18n::cases::staff`).
#[derive(Debug, Clone)]
pub struct DeskEvent {
    pub at: String,
    pub kind: String,
    pub event: CaseEvent,
    /// The unit the event names (handler, or where an escalation went) as (zh, en).
    pub unit: Option<(String, String)>,
    /// The acting user's unit as (zh, en); `None` when the system (a timer) wrote it.
    pub actor_unit: Option<(String, String)>,
}

/// A linked whistle, as the desk lists it.
#[derive(Debug, Clone)]
pub struct LinkedWhistle {
    pub id: i64,
    pub title: String,
    pub status: String,
}

/// What the case desk shows beside the case itself.
#[derive(Debug, Clone, Default)]
pub struct DeskDetails {
    pub timeline: Vec<DeskEvent>,
    /// The `supervised` lines of the timeline.
    pub supervision: Vec<DeskEvent>,
    pub reporter_photos: Vec<String>,
    /// The photos of the latest resolution.
    pub result_photos: Vec<String>,
    pub whistles: Vec<LinkedWhistle>,
    /// A small SVG map around the case with its grid outlined, when it can be placed.
    pub map_svg: Option<String>,
    /// The return awaiting a ruling, if any.
    pub returned: Option<ReturnInfo>,
}

/// Half the side of the snippet's view when the case has a point but no grid, in degrees.
const SNIPPET_HALF_DEG: f64 = 0.002;

impl Cases<'_> {
    /// The desk's timeline, photos, linked whistles, supervision records and map snippet.
    pub async fn desk_details(&self, actor: &Actor, view: &CaseView) -> Result<DeskDetails> {
        let id = CaseId(view.id);
        let events = self.case_events(actor, id).await?;
        let result_photos = super::evidence::result_photo_keys(&events);
        let mut units: HashMap<i64, Option<(String, String)>> = HashMap::new();
        let mut timeline = Vec::with_capacity(events.len());
        for e in &events {
            let Ok(event) = serde_json::from_value::<CaseEvent>(e.data.clone()) else { continue };
            let named = match &event {
                CaseEvent::Supervised { to_org_id: Some(o), .. } => Some(*o),
                other => other.handler_id(),
            };
            let unit = match named {
                Some(o) => self.admin().org(o).await?,
                None => None,
            };
            let unit = unit.as_deref().map(|u| (u.name_zh.clone(), u.name_en.clone()));
            let actor_unit = match e.actor_id {
                Some(uid) => match units.get(&uid) {
                    Some(u) => u.clone(),
                    None => {
                        let u = self.user_unit(UserId(uid)).await?;
                        units.insert(uid, u.clone());
                        u
                    }
                },
                None => None,
            };
            timeline.push(DeskEvent { at: e.at.clone(), kind: e.kind.clone(), event, unit, actor_unit });
        }
        let supervision = timeline.iter().filter(|e| e.kind == "supervised").cloned().collect();
        let whistles = self
            .store
            .whistles_for_case(view.id)
            .await?
            .into_iter()
            .map(|(id, title, status)| LinkedWhistle { id, title, status })
            .collect();
        Ok(DeskDetails {
            timeline,
            supervision,
            reporter_photos: self.store.case_photo_keys(view.id).await?,
            result_photos,
            whistles,
            map_svg: self.case_snippet(view).await,
            returned: if view.status == "registered" { self.pending_return(id).await? } else { None },
        })
    }

    /// The latest return of a case not dispatched since: the return awaiting a ruling.
    pub async fn pending_return(&self, id: CaseId) -> Result<Option<ReturnInfo>> {
        let events = self.store.stream_events("case", id.0).await?;
        let Some(last) = events.iter().rev().find(|e| e.kind == "returned" || e.kind == "dispatched") else {
            return Ok(None);
        };
        let Ok(CaseEvent::Returned { handler_id, reason }) = serde_json::from_str::<CaseEvent>(&last.payload) else {
            return Ok(None);
        };
        let unit = self.admin().org(handler_id).await?;
        Ok(Some(ReturnInfo {
            unit_id: handler_id,
            unit_zh: unit.as_ref().map_or_else(String::new, |u| u.name_zh.clone()),
            unit_en: unit.as_ref().map_or_else(String::new, |u| u.name_en.clone()),
            reason,
            at: crate::time::rfc3339(last.created_at),
        }))
    }

    /// The dispatcher's ruling on a returned case: to another unit, or back to the unit that
    /// returned it (which needs a reason) — the domain's dispatch rule decides (the same for a
    /// plain API `dispatch` of a returned case); [`arbitrate`] only adds that a return must
    /// await a ruling.
    pub async fn arbitrate(
        &self,
        actor: &Actor,
        id: CaseId,
        version: i64,
        handler_code: &str,
        reason: &str,
    ) -> Result<(Ruling, CaseView)> {
        let row = self.visible_case(actor, id).await?;
        let mut case = row.to_domain()?;
        self.store.recall_case(&mut case).await?;
        if case.returned_by.is_none() {
            return Err(AppError::invalid("case", "this case has no return awaiting a ruling"));
        }
        let node = self
            .admin()
            .org_by_code(handler_code)
            .await?
            .ok_or_else(|| AppError::invalid("handler_code", "unknown organisation"))?;
        let handler = HandlerRef { id: node.id, kind: node.kind, path: node.path.clone() };
        let (ruling, _) = arbitrate(&case, actor, &handler, reason, version)?;
        // The ruling is a dispatch like any other: the domain's dispatch rule applies it.
        let input = TransitionInput {
            action: "dispatch".into(),
            version,
            handler_code: Some(node.code.clone()),
            reason: Some(reason.to_string()),
            ..TransitionInput::default()
        };
        let view = self.transition_steps(actor, id, version, std::slice::from_ref(&input)).await?;
        Ok((ruling, view))
    }

    /// The unit a user acts for: the organisation of their first role binding.
    async fn user_unit(&self, user: UserId) -> Result<Option<(String, String)>> {
        let bindings = self.store.role_bindings(user).await?;
        Ok(match bindings.first() {
            Some(b) => self.admin().org(b.org_id).await?.map(|o| (o.name_zh.clone(), o.name_en.clone())),
            None => None,
        })
    }

    /// A small map around the case point with its grid outlined (`None` when the case has
    /// neither a grid with geometry nor a point, or no geometry is loaded).
    async fn case_snippet(&self, view: &CaseView) -> Option<String> {
        let ix = self.grids().geo_index().await.ok()?;
        let grid = view.grid.as_ref().and_then(|g| ix.by_code(&g.code));
        let point = view.lat.zip(view.lon);
        let (mut min, mut max) = match (grid.and_then(|g| ix.shape(g).bbox()), point) {
            (Some(bb), _) => ([bb.min().x, bb.min().y], [bb.max().x, bb.max().y]),
            (None, Some((lat, lon))) => ([lon, lat], [lon, lat]),
            (None, None) => return None,
        };
        if let Some((lat, lon)) = point {
            (min, max) = ([min[0].min(lon), min[1].min(lat)], [max[0].max(lon), max[1].max(lat)]);
        }
        let pad_x = ((max[0] - min[0]) * 0.3).max(SNIPPET_HALF_DEG);
        let pad_y = ((max[1] - min[1]) * 0.3).max(SNIPPET_HALF_DEG);
        let (min, max) = ([min[0] - pad_x, min[1] - pad_y], [max[0] + pad_x, max[1] + pad_y]);
        let areas = ix
            .in_view(Level::Grid, min, max)
            .into_iter()
            .map(|g| {
                let p = ix.place(g);
                MapArea { code: &p.code, name: &p.name, shape: ix.shape(g), value: None }
            })
            .collect();
        let streets =
            ix.in_view(Level::Street, min, max).into_iter().map(|s| (ix.place(s).name.as_str(), ix.shape(s))).collect();
        let pins = point
            .map(|(lat, lon)| MapPin { lon, lat, label: view.tracking_code.clone(), overdue: false })
            .into_iter()
            .collect();
        let title =
            view.grid.as_ref().map_or_else(|| view.tracking_code.clone(), |g| format!("{} {}", g.name_zh, g.code));
        let spec = MapSpec {
            title,
            metric_label: String::new(),
            no_data_label: String::new(),
            min,
            max,
            width_px: 320.0,
            outline: grid.map(|g| ix.shape(g)),
            areas,
            streets,
            pins,
        };
        Some(render_snippet(&spec))
    }

    /// A case visible to `actor` with the actions they may take on it. A case that exists
    /// but lies outside the actor's scope is `Forbidden` (staff are told it is not theirs).
    pub async fn desk_case(&self, actor: &Actor, id: CaseId) -> Result<(CaseView, Vec<Action>)> {
        match self.case_view_and_case(actor, id).await {
            Ok((view, mut case)) => {
                self.store.recall_case(&mut case).await?;
                Ok((view, allowed_actions(&case, actor)))
            }
            Err(AppError::NotFound(_)) if self.store.case_by_id(id).await?.is_some() => {
                Err(AppError::Forbidden(format!("case {} is outside {}'s scope", id.0, actor.username)))
            }
            Err(e) => Err(e),
        }
    }

    /// The unit the ownership rule suggests for a case (the rule itself is the domain's
    /// [`suggested_handler`]); the territory is the case's subdistrict.
    pub async fn suggest_handler(&self, view: &CaseView) -> Result<Option<Arc<OrgNode>>> {
        let category = view.category.as_ref().map(|c| c.code.as_str());
        self.suggest_handler_for(category, view.subdistrict.as_ref().map(|s| s.code.as_str())).await
    }

    /// [`App::suggest_handler`] for a category and a subdistrict given by code.
    pub async fn suggest_handler_for(
        &self,
        category_code: Option<&str>,
        subdistrict_code: Option<&str>,
    ) -> Result<Option<Arc<OrgNode>>> {
        let category = match category_code {
            Some(code) => self.admin().category(code).await?,
            None => None,
        };
        let code = suggested_handler(
            category.as_ref().map(|c| c.ownership),
            category.as_ref().and_then(|c| c.department_code.as_deref()),
            subdistrict_code,
        );
        match code {
            Some(code) => self.admin().org_by_code(code).await,
            None => Ok(None),
        }
    }

    /// Applies one bulk action to several cases, each as its own change through the same
    /// domain rules as a single action (a received case being dispatched is registered and
    /// dispatched in one change). One outcome per case, in the order given; a case that
    /// fails is left exactly as it was.
    pub async fn bulk(&self, actor: &Actor, input: &BulkInput, items: &[(CaseId, i64)]) -> Result<Vec<BulkOutcome>> {
        if items.is_empty() {
            return Err(AppError::invalid("case", "select at least one case"));
        }
        if items.len() > MAX_BULK {
            return Err(AppError::invalid("case", format!("at most {MAX_BULK} cases at once")));
        }
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(items.len());
        for &(id, version) in items.iter().filter(|(id, _)| seen.insert(*id)) {
            let result = self.bulk_one(actor, input, id, version).await;
            out.push(BulkOutcome { id, result });
        }
        Ok(out)
    }

    async fn bulk_one(&self, actor: &Actor, input: &BulkInput, id: CaseId, version: i64) -> Result<CaseView> {
        let view = self.case_view_by_id(actor, id).await?;
        let step = |action: &str, handler_code: Option<String>| TransitionInput {
            action: action.to_string(),
            version,
            reason: input.reason.clone(),
            category_code: input.category_code.clone(),
            urgency: input.urgency.clone(),
            handler_code,
            note: input.note.clone(),
            ..TransitionInput::default()
        };
        let steps = match input.action {
            BulkAction::Classify => vec![step("register", None)],
            BulkAction::Reject => vec![step("reject", None)],
            BulkAction::Dispatch => {
                let handler = match &input.handler_code {
                    Some(code) => code.clone(),
                    None => {
                        let category =
                            input.category_code.as_deref().or(view.category.as_ref().map(|c| c.code.as_str()));
                        let subdistrict = view.subdistrict.as_ref().map(|s| s.code.as_str());
                        match self.suggest_handler_for(category, subdistrict).await? {
                            Some(node) => node.code.clone(),
                            None => return Err(AppError::invalid("handler_code", "no unit is suggested; choose one")),
                        }
                    }
                };
                if view.status == "received" {
                    vec![step("register", None), step("dispatch", Some(handler))]
                } else {
                    vec![step("dispatch", Some(handler))]
                }
            }
        };
        self.transition_steps(actor, id, version, &steps).await
    }

    /// When a case is due: its earliest running clock, or (no clock yet) what the deadline
    /// policy allows its tier from receipt.
    pub async fn due_at(&self, view: &CaseView) -> Result<i64> {
        // A case with running clocks is due when its earliest running clock is.
        use chuishao_domain::deadlines::DeadlineStatus as S;
        let running = view
            .deadlines
            .iter()
            .filter(|d| matches!(d.state, S::Running | S::Warning | S::Overdue))
            .filter_map(|d| crate::time::parse_rfc3339(&d.due_at))
            .min();
        if let Some(due) = running {
            return Ok(due);
        }
        // Not dispatched yet (no clock): what the deadline policy will allow from receipt,
        // on the working-day calendar, for the category's tier (an emergency when urgent).
        let created_at = crate::time::parse_rfc3339(&view.created_at).unwrap_or(0);
        let tier = match &view.category {
            Some(c) => self.admin().category(&c.code).await?.map_or(UrgencyTier::Normal, |c| c.tier),
            None => UrgencyTier::Normal,
        };
        let (policy, calendar) = (self.calendar().deadline_policy(), self.calendar().current());
        let mut due = calendar.due(created_at, policy.allowance(DeadlineKind::Resolution, tier))?;
        if view.urgency == "urgent" {
            due =
                due.min(calendar.due(created_at, policy.allowance(DeadlineKind::Resolution, UrgencyTier::Emergency))?);
        }
        Ok(due)
    }

    /// A board for `actor`: the chosen queue, urgent first, then least time left.
    pub async fn board(&self, actor: &Actor, q: &BoardQuery) -> Result<Vec<BoardItem>> {
        let queue = q.queue.as_deref().unwrap_or("incoming");
        let statuses: &[&str] = match queue {
            "incoming" => &["received", "registered"],
            "returns" => &["registered"],
            "working" | "supervised" | "overdue" => &["registered", "dispatched", "accepted"],
            _ => return Err(AppError::invalid("queue", "incoming, returns, working, overdue or supervised")),
        };
        if let Some(u) = q.urgency.as_deref().filter(|u| !u.is_empty())
            && !matches!(u, "urgent" | "normal")
        {
            return Err(AppError::invalid("urgency", "urgent or normal"));
        }
        let f = CaseFilter {
            scope_paths: actor.read_paths().into_iter().map(String::from).collect(),
            statuses: statuses.iter().map(|s| s.to_string()).collect(),
            category_code: q.category.clone().filter(|c| !c.is_empty()),
            limit: 500,
            ..CaseFilter::default()
        };
        let rows = self.store.list_cases(&f).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let returned = self.store.returned_case_ids(&ids).await?;
        let now = self.now_ms();
        let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let marks: Vec<(bool, bool)> = rows
            .iter()
            .map(|row| (row.status == "registered" && returned.contains(&row.id), row.supervision_count > 0))
            .collect();
        let views = self.case_views(rows).await?;
        let mut items = Vec::with_capacity(views.len());
        for ((was_returned, supervised), view) in marks.into_iter().zip(views) {
            if let Some(u) = q.urgency.as_deref().filter(|u| !u.is_empty())
                && view.urgency != u
            {
                continue;
            }
            if let Some(t) = text
                && !view.description.contains(t)
                && !view.address.as_deref().unwrap_or("").contains(t)
                && view.tracking_code != t
            {
                continue;
            }
            let due_at = self.due_at(&view).await?;
            // The return note is read only where the dispatcher acts on returns.
            let return_info = if was_returned && matches!(queue, "incoming" | "returns") {
                self.pending_return(CaseId(view.id)).await?
            } else {
                None
            };
            let item = BoardItem { left_ms: due_at - now, due_at, returned: was_returned, return_info, case: view };
            let keep = match queue {
                "returns" => item.returned,
                "overdue" => item.left_ms < 0,
                "supervised" => supervised,
                _ => true,
            };
            if keep {
                items.push(item);
            }
        }
        items.sort_by_key(|i| (i.case.urgency != "urgent", i.left_ms, i.case.id));
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chuishao_domain::access::{Role, RoleBinding};
    use chuishao_domain::cases::{Urgency, execute};
    use chuishao_domain::ids::UserId;

    const DEPT_A_PATH: &str = "/50/";

    fn actor(i: usize) -> Actor {
        let (role, org, path) = [
            (Role::Dispatcher, 1, "/1/"),
            (Role::DepartmentStaff, 50, DEPT_A_PATH),
            (Role::DepartmentStaff, 60, "/60/"),
            (Role::GridWorker, 4, "/1/2/3/4/"),
            (Role::SubdistrictLeader, 2, "/1/2/"),
            (Role::Viewer, 1, "/1/"),
        ][i % 6];
        Actor {
            user_id: UserId(i as i64 + 1),
            username: format!("u{i}"),
            bindings: vec![RoleBinding { role, org_id: OrgId(org), org_path: path.into() }],
        }
    }

    /// A well-formed command for each action (the fields a user would fill in).
    fn filled(action: Action, case: &Case) -> Command {
        let dept = HandlerRef { id: OrgId(50), kind: OrgKind::Department, path: DEPT_A_PATH.into() };
        let r = || "理由".to_string();
        match action {
            Action::Register => Command::Register { category_code: Some("E0101".into()), urgency: None },
            Action::Reject => Command::Reject { reason: r() },
            Action::Dispatch => Command::Dispatch { handler: dept, note: Some(r()) },
            Action::Accept => Command::Accept,
            Action::Return => Command::Return { reason: r() },
            Action::RequestExtension => Command::RequestExtension { days: 2, reason: r() },
            Action::ApproveExtension => Command::ApproveExtension { days: None },
            Action::DenyExtension => Command::DenyExtension { reason: r() },
            Action::Park => Command::Park { reason: r() },
            Action::Unpark => Command::Unpark,
            Action::Resolve => Command::Resolve { result: r(), evidence: vec!["photo:1".into()] },
            Action::Verify => Command::Verify { passed: true, note: None },
            Action::Reopen => Command::Reopen { reason: r(), handler: None },
            Action::Close => Command::Close,
            Action::Supervise => Command::Supervise { note: r(), level: 1 },
            Action::Merge => Command::Merge { primary: CaseId(case.id.0 + 1) },
            Action::Callback => {
                Command::Callback { solved: true, satisfaction: Satisfaction::Satisfied, comment: None }
            }
            Action::SetTier => {
                Command::SetTier { tier: chuishao_domain::category::UrgencyTier::Emergency, reason: r() }
            }
        }
    }

    proptest::proptest! {
        /// Through any history, what the desk offers is exactly what the domain accepts:
        /// an offered action, filled in, succeeds; one not offered is refused.
        #[test]
        fn offered_actions_are_exactly_the_accepted_ones(
            steps in proptest::collection::vec((0usize..6, 0usize..Action::ALL.len()), 0..40)
        ) {
            let mut case = Case::received(CaseId(7), Some("E0101".into()), Urgency::Normal, "/1/2/3/4/".into());
            for (who, a) in steps {
                for i in 0..6 {
                    let user = actor(i);
                    let offered = allowed_actions(&case, &user);
                    for action in Action::ALL {
                        let mut probe = case.clone();
                        let ok = execute(&mut probe, &user, &filled(action, &case), case.version).is_ok();
                        proptest::prop_assert_eq!(ok, offered.contains(&action), "{:?} by u{} in {:?}", action, i, case.status);
                    }
                }
                // Walk deep: mostly take one of the chosen user's offered actions.
                let theirs = allowed_actions(&case, &actor(who));
                let action = if theirs.is_empty() || a == 0 { Action::ALL[a] } else { theirs[a % theirs.len()] };
                let (cmd, version) = (filled(action, &case), case.version);
                let _ = execute(&mut case, &actor(who), &cmd, version);
            }
        }
    }
}
