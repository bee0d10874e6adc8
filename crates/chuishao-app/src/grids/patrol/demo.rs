//! Street people and patrol history for the demo district: grid workers on more grids, a
//! street chief and an alley steward for each of the first communities of 和平街道, a street
//! council, and three weeks of daily patrols — with some streets left unpatrolled so the
//! flag has something to show. Idempotent: users and people are set again, history is
//! written only when there is none.

use super::patrols::{finished_payload, patrol_event, started_payload};
use crate::Result;
use crate::grids::Grids;
use chuishao_domain::access::Role;
use chuishao_domain::patrol::TrackPoint;
use std::collections::BTreeMap;

/// The first communities of 和平街道 get people; the first three get patrols.
const COMMUNITIES: [&str; 4] = ["110199001001", "110199001002", "110199001003", "110199001004"];
const PATROLLED: usize = 3;
const DAYS: i64 = 21;
const DAY: i64 = 86_400_000;

impl Grids<'_> {
    /// Seeds the demo's street people and patrol history; returns how many patrols it wrote.
    pub async fn seed_demo_patrols(&self) -> Result<usize> {
        let now = self.now_ms();
        // Grid workers on the second grid of each community, street chiefs and stewards.
        for (i, community) in COMMUNITIES.iter().enumerate() {
            let n = i + 2;
            let grid = format!("{community}002");
            if self.admin().org_by_code(&grid).await?.is_none() {
                continue;
            }
            let people = [
                (format!("grid_worker_{n}"), format!("第{n}网格员"), Role::GridWorker, grid),
                (format!("street_chief_{n}"), format!("街巷长{n}"), Role::StreetChief, community.to_string()),
                (format!("steward_{n}"), format!("巷管家{n}"), Role::Viewer, community.to_string()),
            ];
            for (username, display, role, org) in people {
                if self.store.user_by_username(&username).await?.is_none() {
                    self.admin().create_user(&username, &display, &[(role, org.as_str())]).await?;
                }
            }
        }
        let mut streets = Vec::new();
        for (i, community) in COMMUNITIES.iter().enumerate() {
            let n = i + 2;
            for suffix in ["J01", "X01"] {
                let Some(s) = self.store.street_by_code(&format!("{community}-{suffix}")).await? else { continue };
                let chief = if i == 0 { "street_chief".to_string() } else { format!("street_chief_{n}") };
                let steward = self.store.user_by_username(&format!("steward_{n}")).await?;
                let chief_id = self.store.user_by_username(&chief).await?;
                let mut rows: Vec<(i64, &str)> = Vec::new();
                if let Some(c) = &chief_id {
                    rows.push((c.id, "chief"));
                }
                if let Some(st) = &steward {
                    rows.push((st.id, "steward"));
                }
                // The first street has a council: its chief in the chair, the steward as
                // secretary, the community worker as member.
                if i == 0 && suffix == "J01" {
                    if let Some(c) = &chief_id {
                        rows.push((c.id, "council_chief"));
                    }
                    if let Some(st) = &steward {
                        rows.push((st.id, "council_secretary"));
                    }
                    if let Some(cw) = self.store.user_by_username("community_worker").await? {
                        rows.push((cw.id, "council_member"));
                    }
                }
                let mut tx = self.store.begin().await?;
                tx.replace_street_people(s.id, &rows, now).await?;
                tx.commit().await?;
                streets.push((i, suffix, s, chief));
            }
        }
        if !self.store.list_patrols(&chuishao_store::PatrolFilter { limit: 1, ..Default::default() }).await?.is_empty()
        {
            return Ok(0);
        }
        let ix = self.geo_index().await?;
        let items: Vec<String> = self.patrol.checklist.items.iter().map(|i| i.id.clone()).collect();
        let mut written = 0;
        for (i, suffix, street, chief) in streets.iter().filter(|(i, ..)| *i < PATROLLED) {
            let worker = format!("grid_worker_{}", i + 2);
            // The alley of the second community was last patrolled five days ago.
            let stop = if *i == 1 && *suffix == "X01" { 5 } else { 0 };
            let ends = ix.by_code(&street.code).and_then(|id| ix.shape(id).bbox()).map(|b| (b.min(), b.max()));
            for day in (stop + 1..=DAYS).rev() {
                // The community's grid worker most days, the street chief every third, and on
                // the first community the first grid's worker every other day.
                let who = match day {
                    d if d % 3 == 0 => chief.as_str(),
                    d if *i == 0 && d % 2 == 0 => "grid_worker",
                    _ => worker.as_str(),
                };
                let Some(user) = self.store.user_by_username(who).await? else { continue };
                let start = now - day * DAY + (9 * 60 + (day * 7) % 50) * 60_000;
                let track: Vec<TrackPoint> = match ends {
                    Some((a, b)) => (0..6)
                        .map(|k| {
                            let f = k as f64 / 5.0;
                            TrackPoint {
                                at: start + k * 4 * 60_000,
                                lat: a.y + (b.y - a.y) * f,
                                lon: a.x + (b.x - a.x) * f,
                            }
                        })
                        .collect(),
                    None => vec![],
                };
                // Most items fine; now and then one is a problem.
                let ticks: BTreeMap<String, bool> =
                    items.iter().enumerate().map(|(k, id)| (id.clone(), (k as i64 + day) % 17 != 0)).collect();
                let end = start + 25 * 60_000;
                let mut tx = self.store.begin().await?;
                let id = tx.insert_patrol(street.id, user.id, start).await?;
                let pts: Vec<(i64, f64, f64)> = track.iter().map(|t| (t.at, t.lat, t.lon)).collect();
                tx.append_patrol_points(id, 0, &pts).await?;
                let text = serde_json::to_string(&ticks).unwrap_or_else(|_| "{}".into());
                tx.set_patrol_checklist(id, &text).await?;
                tx.finish_patrol(id, end).await?;
                patrol_event(&mut tx, id, 1, "started", started_payload(&street.code, &user.username), user.id, start)
                    .await?;
                let finished = finished_payload(&street.code, &user.username, pts.len() as i64, &ticks);
                patrol_event(&mut tx, id, 2, "finished", finished, user.id, end).await?;
                tx.commit().await?;
                written += 1;
            }
        }
        Ok(written)
    }
}
