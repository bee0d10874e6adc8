//! The live whistle board (吹哨看板) of a subdistrict: the open whistles taking place in it and, per summoned
//! unit, whether it has checked in and how late, as of the app clock. The HTTP layer pushes a
//! fresh board over server-sent events whenever a whistle of the subdistrict changes (the
//! residents' live hub tails the event log for both).

use super::{UnitView, WhistleView, parse_state, sees};
use crate::residents::live::WhistleChange;
use crate::time::rfc3339;
use crate::whistles::Whistles;
use crate::{AppError, Result};
use chuishao_domain::access::Actor;
use chuishao_domain::org::{OrgKind, path_within};
use chuishao_domain::whistle::WhistleStatus;
use serde::{Deserialize, Serialize};

/// At most this many open whistles on one board.
pub const BOARD_LIMIT: i64 = 500;

/// Query of the board and its stream.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// The subdistrict's (or township's) code.
    pub subdistrict: String,
}

/// One summoned unit on the board.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct BoardUnit {
    pub unit_code: String,
    pub unit_name: String,
    pub status: String,
    /// The required check-in time.
    pub due_at: String,
    /// Checked in on site or replied in writing.
    pub checked_in: bool,
    pub checked_in_at: Option<String>,
    /// Minutes past the required check-in time: still out (as of the board), or how late
    /// the check-in was; 0 when on time or not yet due.
    pub minutes_late: i64,
    pub late: bool,
    pub overdue: bool,
    pub supervisions: u32,
}

/// One open whistle on the board.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct BoardWhistle {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub address: String,
    pub raised_by_code: String,
    pub raised_at: String,
    pub version: i64,
    /// Units not yet checked in.
    pub units_out: usize,
    pub units: Vec<BoardUnit>,
}

/// A subdistrict's live board.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct WhistleBoard {
    pub subdistrict_code: String,
    pub subdistrict_name: String,
    /// The instant lateness is computed at.
    pub as_of: String,
    pub open_whistles: usize,
    /// Summoned units (visible to the caller) not yet checked in.
    pub units_out: usize,
    /// Of those, units past their check-in time.
    pub units_overdue: usize,
    pub whistles: Vec<BoardWhistle>,
    /// The subdistrict's org path (which changes concern this board).
    #[serde(skip)]
    pub path: String,
}

impl WhistleBoard {
    /// Whether a committed whistle change concerns this board.
    pub fn concerns(&self, change: &WhistleChange) -> bool {
        path_within(&change.place_path, &self.path)
    }
}

fn board_unit(u: &UnitView) -> BoardUnit {
    BoardUnit {
        unit_code: u.unit_code.clone(),
        unit_name: u.unit_name.clone(),
        status: u.status.clone(),
        due_at: u.due_at.clone(),
        checked_in: u.checked_in_at.is_some(),
        checked_in_at: u.checked_in_at.clone(),
        minutes_late: u.minutes_late,
        late: u.late,
        overdue: u.overdue,
        supervisions: u.supervisions,
    }
}

fn board_whistle(v: &WhistleView) -> BoardWhistle {
    let units: Vec<BoardUnit> = v.units.iter().map(board_unit).collect();
    BoardWhistle {
        id: v.id,
        kind: v.kind.clone(),
        title: v.title.clone(),
        address: v.address.clone(),
        raised_by_code: v.raised_by_code.clone(),
        raised_at: v.raised_at.clone(),
        version: v.version,
        units_out: units.iter().filter(|u| !u.checked_in).count(),
        units,
    }
}

impl Whistles<'_> {
    /// The board of subdistrict `code`: the open whistles taking place in it (wherever the
    /// raiser sits; see `whistle_place`), scoped like the other whistle reads: the subdistrict sees its own, the district
    /// all, a department only the whistles summoning it and only its own unit.
    pub async fn whistle_board(&self, actor: &Actor, code: &str) -> Result<WhistleBoard> {
        let sub = self
            .admin()
            .org_by_code(code)
            .await?
            .filter(|n| matches!(n.kind, OrgKind::Subdistrict | OrgKind::Township))
            .ok_or_else(|| AppError::invalid("subdistrict", format!("no subdistrict or township {code:?}")))?;
        let now = self.now_ms();
        let rows = self.store.whistles_placed_under(&sub.path, Some(WhistleStatus::Open.as_str()), BOARD_LIMIT).await?;
        let mut whistles = Vec::with_capacity(rows.len());
        for row in &rows {
            let w = parse_state(row)?;
            if !sees(actor, &w, &row.place_path) {
                continue;
            }
            let v = self.view_of(actor, row, &w).await?;
            if !v.units.is_empty() {
                whistles.push(board_whistle(&v));
            }
        }
        let units_out = whistles.iter().map(|w| w.units_out).sum();
        let units_overdue =
            whistles.iter().flat_map(|w| &w.units).filter(|u| !u.checked_in && u.minutes_late > 0).count();
        Ok(WhistleBoard {
            subdistrict_code: sub.code.clone(),
            subdistrict_name: sub.name_zh.clone(),
            as_of: rfc3339(now),
            open_whistles: whistles.len(),
            units_out,
            units_overdue,
            whistles,
            path: sub.path.clone(),
        })
    }
}
