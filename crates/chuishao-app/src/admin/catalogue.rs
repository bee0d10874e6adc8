//! The category catalogue: imported from the operator's TOML file, listed for clients.

use crate::admin::Admin;
use crate::{AppError, Result};
use chuishao_domain::category::{Catalogue, Category};
use chuishao_domain::org::OrgKind;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// A category and whether it is active.
type CachedCategory = (Arc<Category>, bool);

/// Categories by code, active or retired; reloaded on import and on a miss.
#[derive(Clone, Default)]
pub struct CategoryCache {
    inner: Arc<RwLock<HashMap<String, CachedCategory>>>,
}

/// The catalogue the demo district ships with (and a starting point for operators).
pub const DEMO_CATALOGUE: &str = include_str!("../../../../data/categories.toml");

/// A category as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryView {
    pub code: String,
    pub class: &'static str,
    pub major_code: String,
    pub minor_code: String,
    pub major_name_zh: String,
    pub major_name_en: String,
    pub name_zh: String,
    pub name_en: String,
    pub description_zh: String,
    pub description_en: String,
    pub department_code: Option<String>,
    pub tier: &'static str,
    pub ownership: &'static str,
}

impl From<Category> for CategoryView {
    fn from(c: Category) -> Self {
        CategoryView {
            class: c.class.as_str(),
            tier: c.tier.as_str(),
            ownership: c.ownership.as_str(),
            code: c.code,
            major_code: c.major_code,
            minor_code: c.minor_code,
            major_name_zh: c.major_name_zh,
            major_name_en: c.major_name_en,
            name_zh: c.name_zh,
            name_en: c.name_en,
            description_zh: c.description_zh,
            description_en: c.description_en,
            department_code: c.department_code,
        }
    }
}

/// Parses and validates a catalogue file's text.
pub fn parse_catalogue(text: &str) -> Result<Vec<Category>> {
    let cat: Catalogue = toml::from_str(text).map_err(|e| AppError::invalid("catalogue", e.to_string()))?;
    Ok(cat.flatten()?)
}

impl Admin<'_> {
    /// Replaces the active catalogue. Every named department must exist. Returns (active,
    /// deactivated) counts.
    pub async fn import_catalogue(&self, text: &str) -> Result<(usize, u64)> {
        let cats = parse_catalogue(text)?;
        let mut errors = Vec::new();
        for c in &cats {
            if let Some(d) = &c.department_code {
                match self.org_by_code(d).await? {
                    Some(o) if o.kind == OrgKind::Department => {}
                    _ => errors.push(crate::error::FieldError {
                        field: c.code.clone(),
                        message: format!("department {d} does not exist"),
                    }),
                }
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let mut tx = self.store.begin().await?;
        let gone = tx.replace_categories(&cats).await?;
        tx.commit().await?;
        self.reload_categories().await?;
        Ok((cats.len(), gone))
    }

    pub(crate) async fn reload_categories(&self) -> Result<()> {
        let all = self.store.list_all_categories().await?;
        let map = all.into_iter().map(|(c, active)| (c.code.clone(), (Arc::new(c), active))).collect();
        if let Ok(mut g) = self.categories.inner.write() {
            *g = map;
        }
        Ok(())
    }

    /// A category by code with whether it is active, through the cache.
    pub async fn category_with_status(&self, code: &str) -> Result<Option<(Arc<Category>, bool)>> {
        let hit = self.categories.inner.read().ok().and_then(|g| g.get(code).cloned());
        if hit.is_some() {
            return Ok(hit);
        }
        self.reload_categories().await?;
        Ok(self.categories.inner.read().ok().and_then(|g| g.get(code).cloned()))
    }

    /// A category by code (active or retired), through the cache.
    pub async fn category(&self, code: &str) -> Result<Option<Arc<Category>>> {
        Ok(self.category_with_status(code).await?.map(|(c, _)| c))
    }

    pub async fn list_categories(&self) -> Result<Vec<CategoryView>> {
        Ok(self.store.list_categories().await?.into_iter().map(Into::into).collect())
    }
}
