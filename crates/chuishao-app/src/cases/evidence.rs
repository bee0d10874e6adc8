//! Evidence of a resolution: the handling unit's result photos. They pass the residents' photo
//! pipeline unchanged (recognised by content, decoded and re-encoded, no metadata survives)
//! and are named in the `Resolved` event as `photo:{key}`, so the event log stays the one
//! record of what the unit reported. Files are written before the transition and removed
//! again if it fails, so a refused resolution leaves nothing behind.

use crate::cases::Cases;
use crate::cases::{CaseView, EventView, TransitionInput};
use crate::residents::photos::{
    CleanPhoto, MAX_PHOTOS_PER_CASE, remove_photo_files, valid_file_name, write_photo_files,
};
use crate::{AppError, Result};
use chuishao_domain::access::Actor;
use chuishao_domain::cases::CaseEvent;
use chuishao_domain::ids::CaseId;
use std::path::Path;

/// How an evidence item names a stored photo.
pub const PHOTO_REF: &str = "photo:";

/// The stored photo keys among evidence references (anything else is left out).
pub fn photo_keys(evidence: &[String]) -> Vec<String> {
    evidence
        .iter()
        .filter_map(|e| e.strip_prefix(PHOTO_REF))
        .filter(|k| valid_file_name(&format!("{k}.jpg")))
        .map(String::from)
        .collect()
}

/// The photo keys of the latest resolution in a staff timeline.
pub fn result_photo_keys(timeline: &[EventView]) -> Vec<String> {
    timeline
        .iter()
        .rev()
        .find(|e| e.kind == "resolved")
        .and_then(|e| serde_json::from_value::<CaseEvent>(e.data.clone()).ok())
        .map_or_else(Vec::new, |e| resolution_photos(&e))
}

/// The photo keys named by a resolution event (none for any other event).
pub(crate) fn resolution_photos(e: &CaseEvent) -> Vec<String> {
    match e {
        CaseEvent::Resolved { evidence, .. } => photo_keys(evidence),
        _ => vec![],
    }
}

impl Cases<'_> {
    /// Resolves a case with result photos (already cleaned) added to its evidence. At most
    /// [`MAX_PHOTOS_PER_CASE`] photos; nothing is kept when the transition is refused.
    pub async fn resolve_with_photos(
        &self,
        actor: &Actor,
        id: CaseId,
        input: &TransitionInput,
        photos: &[CleanPhoto],
        dir: &Path,
    ) -> Result<CaseView> {
        if input.action != "resolve" {
            return Err(AppError::invalid("photo", "only a resolution carries photos"));
        }
        if photos.len() > MAX_PHOTOS_PER_CASE {
            return Err(AppError::invalid("photo", format!("at most {MAX_PHOTOS_PER_CASE} photos")));
        }
        let mut keys = Vec::with_capacity(photos.len());
        for p in photos {
            match write_photo_files(p, dir).await {
                Ok(k) => keys.push(k),
                Err(e) => {
                    for k in &keys {
                        remove_photo_files(k, dir).await;
                    }
                    return Err(e);
                }
            }
        }
        let mut input = input.clone();
        let mut evidence = input.evidence.take().unwrap_or_default();
        evidence.extend(keys.iter().map(|k| format!("{PHOTO_REF}{k}")));
        input.evidence = Some(evidence);
        let result = self.transition(actor, id, &input).await;
        if result.is_err() {
            for k in &keys {
                remove_photo_files(k, dir).await;
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_photo_references_count() {
        let ev = vec![
            "photo:0123456789abcdef0123456789abcdef".to_string(),
            "photo:../../etc/passwd".to_string(),
            "https://example.org/a.jpg".to_string(),
            "photo:0123456789ABCDEF0123456789ABCDEF".to_string(),
        ];
        assert_eq!(photo_keys(&ev), vec!["0123456789abcdef0123456789abcdef".to_string()]);
    }
}
