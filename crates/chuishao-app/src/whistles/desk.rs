//! The console's whistle pages: one whistle with exactly the actions the user may take now
//! (found by asking the domain's `decide` with probe commands, so the rules exist once), the
//! whistles summoning the user's own unit, and the areas whose boards the user may watch.

use super::{WhistleEventView, WhistleView, parse_state, sees};
use crate::whistles::Whistles;
use crate::{AppError, Result};
use chuishao_domain::DomainError;
use chuishao_domain::access::{Actor, Role};
use chuishao_domain::ids::{OrgId, WhistleId};
use chuishao_domain::org::{OrgKind, OrgNode, path_within};
use chuishao_domain::whistle::{Whistle, WhistleCommand, WhistleStatus, decide};

/// One action the user may take on a whistle, for one summoned unit or for the raiser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhistleAction {
    /// `acknowledge`, `check_in`, `reply`, `report_done`, `confirm`, `rate` or `cancel`.
    pub action: &'static str,
    /// The unit acted for (or rated); none for confirm and cancel.
    pub unit_code: Option<String>,
}

/// Every command that could apply, with fields that pass the field checks (check-in at the
/// place itself, a top rating), so only version, permission and state decide.
fn probes(w: &Whistle) -> Vec<WhistleCommand> {
    let mut out = Vec::new();
    for u in &w.units {
        let unit = u.org.code.clone();
        out.push(WhistleCommand::Acknowledge { unit: unit.clone() });
        out.push(WhistleCommand::CheckIn { unit: unit.clone(), lat: w.lat, lon: w.lon, note: None });
        out.push(WhistleCommand::Reply { unit: unit.clone(), text: "-".into() });
        out.push(WhistleCommand::ReportDone { unit: unit.clone(), report: "-".into(), photos: vec![] });
        out.push(WhistleCommand::Rate { unit, score: 5, reason: None });
    }
    out.push(WhistleCommand::Confirm);
    out.push(WhistleCommand::Cancel { reason: "-".into() });
    out
}

fn unit_of(cmd: &WhistleCommand) -> Option<String> {
    match cmd {
        WhistleCommand::Acknowledge { unit }
        | WhistleCommand::CheckIn { unit, .. }
        | WhistleCommand::Reply { unit, .. }
        | WhistleCommand::ReportDone { unit, .. }
        | WhistleCommand::Rate { unit, .. } => Some(unit.clone()),
        WhistleCommand::Confirm | WhistleCommand::Cancel { .. } => None,
    }
}

/// The actions `actor` may take on `w` at `now`, as the domain decides them.
pub fn allowed_whistle_actions(w: &Whistle, actor: &Actor, now: i64) -> Vec<WhistleAction> {
    probes(w)
        .into_iter()
        .filter(|cmd| matches!(decide(w, actor, cmd, w.version, now), Ok(_) | Err(DomainError::Invalid { .. })))
        .map(|cmd| WhistleAction { action: cmd.action(), unit_code: unit_of(&cmd) })
        .collect()
}

/// A whistle as the console shows it.
#[derive(Debug, Clone)]
pub struct WhistleDesk {
    pub view: WhistleView,
    pub events: Vec<WhistleEventView>,
    pub actions: Vec<WhistleAction>,
}

impl Whistles<'_> {
    /// A whistle visible to `actor`, its history and the actions they may take now. A whistle
    /// that exists outside the actor's scope is `Forbidden` (staff are told it is not theirs).
    pub async fn whistle_desk(&self, actor: &Actor, id: WhistleId) -> Result<WhistleDesk> {
        let row = self.store.whistle(id.0).await?.ok_or(AppError::NotFound("whistle"))?;
        let w = parse_state(&row)?;
        if !sees(actor, &w, &row.place_path) {
            return Err(AppError::Forbidden(format!("whistle {id} does not concern {}", actor.username)));
        }
        let view = self.view_of(actor, &row, &w).await?;
        let events = self.whistle_events(actor, id).await?;
        let actions = allowed_whistle_actions(&w, actor, self.now_ms());
        Ok(WhistleDesk { view, events, actions })
    }

    /// The whistles summoning a unit the actor works for as department staff (their whistle
    /// inbox), open ones first, newest first; each shows only the actor's own units.
    pub async fn whistle_inbox(&self, actor: &Actor) -> Result<Vec<WhistleView>> {
        let paths: Vec<String> =
            actor.bindings.iter().filter(|b| b.role == Role::DepartmentStaff).map(|b| b.org_path.clone()).collect();
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self.store.list_whistles(&[], &paths, None, super::BOARD_LIMIT).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let w = parse_state(row)?;
            let mut v = self.view_of(actor, row, &w).await?;
            let mut mine = Vec::new();
            for u in v.units {
                let path = self.admin().org(OrgId(u.unit_id)).await?.map(|n| n.path.clone()).unwrap_or_default();
                if paths.iter().any(|p| path_within(&path, p)) {
                    mine.push(u);
                }
            }
            v.units = mine;
            if !v.units.is_empty() {
                out.push((w.status != WhistleStatus::Open, v));
            }
        }
        out.sort_by_key(|(closed, v)| (*closed, -v.id));
        Ok(out.into_iter().map(|(_, v)| v).collect())
    }

    /// The subdistricts and townships whose whistle boards `actor` may watch: those their
    /// bindings lie in or under; a user bound above or beside them (the district, a
    /// department) may watch every one (each board is still scoped to what they may see).
    pub async fn board_areas(&self, actor: &Actor) -> Result<Vec<OrgNode>> {
        let mut all = Vec::new();
        for kind in [OrgKind::Subdistrict, OrgKind::Township] {
            all.extend(self.store.list_orgs(Some(kind)).await?);
        }
        let own: Vec<OrgNode> =
            all.iter().filter(|s| actor.bindings.iter().any(|b| path_within(&b.org_path, &s.path))).cloned().collect();
        Ok(if own.is_empty() { all } else { own })
    }

    /// The areas (subdistricts, townships, communities, villages) `actor`'s roles cover: the
    /// maps a leader may open.
    pub async fn map_areas(&self, actor: &Actor) -> Result<Vec<OrgNode>> {
        let mut out = Vec::new();
        for kind in [OrgKind::Subdistrict, OrgKind::Township, OrgKind::Community, OrgKind::Village] {
            out.extend(
                self.store
                    .list_orgs(Some(kind))
                    .await?
                    .into_iter()
                    .filter(|o| actor.bindings.iter().any(|b| path_within(&o.path, &b.org_path))),
            );
        }
        Ok(out)
    }
}
