//! Importing places and streets from GeoJSON: parse, check everything against the file and
//! the database, then write all of it in one transaction — or nothing.

use crate::AppError;
use crate::grids::Grids;
use crate::grids::geo::row_to_feature;
use chuishao_domain::org::{NewOrgNode, OrgKind, validate_node};
use chuishao_geo::{Feature, GeoError, Level, Limits, Problem, Shape};
use chuishao_store::{GeoNodeWrite, StreetWrite};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Why an import was refused. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum GeoImportError {
    /// The file itself: too large, not a FeatureCollection, or problems in its features.
    #[error(transparent)]
    Geo(#[from] GeoError),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<chuishao_store::StoreError> for GeoImportError {
    fn from(e: chuishao_store::StoreError) -> Self {
        GeoImportError::App(e.into())
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub features: usize,
    pub places_created: usize,
    pub places_updated: usize,
    pub streets: usize,
}

/// The shape of a place the database knows without geometry.
fn empty_area() -> Shape {
    Shape::Area(chuishao_geo::MultiPolygon(vec![]))
}

fn org_kind(level: Level) -> Option<OrgKind> {
    Some(match level {
        Level::District => OrgKind::District,
        Level::Subdistrict => OrgKind::Subdistrict,
        Level::Township => OrgKind::Township,
        Level::Community => OrgKind::Community,
        Level::Village => OrgKind::Village,
        Level::Grid => OrgKind::Grid,
        Level::Street => return None,
    })
}

fn level_of(kind: OrgKind) -> Option<Level> {
    Level::parse(kind.as_str())
}

impl Grids<'_> {
    /// The limits imports run under.
    pub fn geo_limits(&self) -> Limits {
        (*self.geo.limits).clone()
    }

    /// Imports a GeoJSON FeatureCollection (all or nothing). `progress` hears each phase.
    pub async fn import_geo(
        &self,
        bytes: &[u8],
        progress: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<ImportReport, GeoImportError> {
        let limits = self.geo_limits();
        let parsed = chuishao_geo::parse_features(bytes, &limits)?;
        let features = parsed.features;
        progress(&format!("parsed {} features", features.len() + parsed.failed_codes.len()));

        // What the database holds: every geographic node (with an empty shape when it has no
        // geometry yet) and every street.
        let mut existing: Vec<Feature> = Vec::new();
        let mut existing_parent: HashMap<String, Option<String>> = HashMap::new();
        let mut with_geometry = HashSet::new();
        for row in self.store.geo_rows().await? {
            with_geometry.insert(row.code.clone());
            existing_parent.insert(row.code.clone(), row.parent_code.clone());
            if let Some(f) = row_to_feature(row) {
                existing.push(f);
            }
        }
        for n in self.admin().list_orgs(None).await? {
            let Some(kind) = OrgKind::parse(n.kind) else { continue };
            if !with_geometry.contains(&n.code) {
                existing_parent.insert(n.code.clone(), n.parent_code.clone());
                if let Some(level) = level_of(kind) {
                    existing.push(Feature {
                        index: 0,
                        level,
                        code: n.code,
                        name: n.name_zh,
                        name_en: Some(n.name_en),
                        parent_code: n.parent_code,
                        households: n.households,
                        population: n.population,
                        shape: empty_area(),
                    });
                }
            }
        }
        let mut problems = parsed.problems;
        problems.extend(chuishao_geo::validate_partial(&features, &existing, &parsed.failed_codes, &limits));

        // The organisation rules (code digits and prefixes, allowed parents) and no moves.
        let levels: HashMap<&str, Level> = existing
            .iter()
            .map(|f| (f.code.as_str(), f.level))
            .chain(features.iter().map(|f| (f.code.as_str(), f.level)))
            .collect();
        let existing_names: HashMap<&str, &Feature> = existing.iter().map(|f| (f.code.as_str(), f)).collect();
        for f in &features {
            let problem = |reason: String| Problem::new(Some(f.index), Some(&f.code), reason);
            if let Some(Some(old_parent)) = existing_parent.get(&f.code)
                && f.parent_code.as_deref() != Some(old_parent.as_str())
            {
                problems.push(problem(format!("already sits under {old_parent}; moving a place is not supported")));
            }
            let Some(kind) = org_kind(f.level) else {
                if f.code.chars().count() > 64 {
                    problems.push(problem("a street code is at most 64 characters".into()));
                }
                continue;
            };
            let node = NewOrgNode {
                code: f.code.clone(),
                kind,
                name_zh: f.name.clone(),
                name_en: f.name_en.clone().unwrap_or_else(|| f.name.clone()),
                parent_code: f.parent_code.clone(),
                households: f.households,
                population: f.population,
                stationed_in_code: None,
                geometry: None,
            };
            let parent = f.parent_code.as_deref().and_then(|p| {
                levels.get(p).filter(|l| f.level.parent_ok(**l)).and_then(|l| org_kind(*l)).map(|k| (p, k))
            });
            // A missing or ill-levelled parent was already reported by the geometry checks.
            if (parent.is_some() || f.level == Level::District)
                && let Err(e) = validate_node(&node, parent)
            {
                problems.push(problem(e.to_string()));
            }
        }
        if !problems.is_empty() {
            problems.sort_by(|a, b| a.index.cmp(&b.index).then_with(|| a.reason.cmp(&b.reason)));
            problems.dedup();
            return Err(GeoError::Invalid(problems).into());
        }
        progress("validated");

        let mut places: Vec<&Feature> = features.iter().filter(|f| f.level.is_area()).collect();
        places.sort_by_key(|f| (f.level.tier(), f.level));
        let geometry_text = |s: &Shape| chuishao_geo::export::geometry_json(s).to_string();
        let nodes: Vec<GeoNodeWrite> = places
            .iter()
            .map(|f| {
                let old = existing_names.get(f.code.as_str());
                GeoNodeWrite {
                    code: f.code.clone(),
                    kind: org_kind(f.level).map(|k| k.as_str()).unwrap_or_default().to_string(),
                    name_zh: f.name.clone(),
                    name_en: f
                        .name_en
                        .clone()
                        .or_else(|| old.and_then(|o| o.name_en.clone()))
                        .unwrap_or_else(|| f.name.clone()),
                    parent_code: f.parent_code.clone(),
                    households: f.households,
                    population: f.population,
                    geometry: geometry_text(&f.shape),
                    exists: old.is_some(),
                }
            })
            .collect();
        let streets: Vec<StreetWrite> = features
            .iter()
            .filter(|f| f.level == Level::Street)
            .map(|f| StreetWrite {
                code: f.code.clone(),
                name_zh: f.name.clone(),
                name_en: f.name_en.clone().unwrap_or_else(|| f.name.clone()),
                community_code: f.parent_code.clone().unwrap_or_default(),
                geometry: geometry_text(&f.shape),
            })
            .collect();
        let report = ImportReport {
            features: features.len(),
            places_created: nodes.iter().filter(|n| !n.exists).count(),
            places_updated: nodes.iter().filter(|n| n.exists).count(),
            streets: streets.len(),
        };
        progress(&format!("writing {} places and {} streets", nodes.len(), streets.len()));
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        tx.write_geo(&nodes, &streets, now).await?;
        tx.commit().await?;
        self.admin().reload_orgs().await?;
        self.rebuild_geo_index().await?;
        progress("done");
        Ok(report)
    }
}
