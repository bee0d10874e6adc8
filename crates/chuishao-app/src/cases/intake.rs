//! Intake: a new case is validated, located in the org tree, given a tracking code, and
//! written with its `received` event, its reporter (kept apart) and its idempotency key in
//! one transaction.

use crate::cases::Cases;
use crate::cases::view::CaseView;
use crate::error::FieldError;
use crate::{AppError, Result};
use chuishao_domain::access::{Actor, Role};
use chuishao_domain::cases::{CaseEvent, Source, Urgency};
use chuishao_domain::category::UrgencyTier;
use chuishao_domain::ids::{OrgId, TRACKING_ALPHABET, TRACKING_LEN, TrackingCode};
use chuishao_domain::org::{OrgKind, OrgNode, path_within};
use chuishao_store::{IntakeRecord, NewCaseRow, Store, StoreError};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Longest description accepted.
pub const MAX_DESCRIPTION: usize = 4000;

/// The body of `POST /api/v1/cases`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCaseInput {
    /// `web`, `open311`, `hotline`, `patrol` or `api` (default `api`; `patrol` for grid workers
    /// and street chiefs).
    #[serde(default)]
    pub source: Option<String>,
    /// A category code such as `E0101`; may be left for the dispatcher to set at registration.
    #[serde(default)]
    pub category_code: Option<String>,
    /// `urgent` or `normal`; defaults from the category's tier.
    #[serde(default)]
    pub urgency: Option<String>,
    pub description: String,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub subdistrict_code: Option<String>,
    #[serde(default)]
    pub community_code: Option<String>,
    #[serde(default)]
    pub grid_code: Option<String>,
    #[serde(default)]
    pub reporter: Option<ReporterInput>,
}

/// The reporter's identity and contact. Both optional: anonymous reports are welcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReporterInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// What intake returns: the case and whether it is a replay of an earlier identical request.
#[derive(Debug, Clone)]
pub struct SubmitOutcome {
    pub case: CaseView,
    pub replayed: bool,
}

fn blank_to_none(s: &Option<String>) -> Option<String> {
    s.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Normalises a phone number (digits, optional leading '+'; spaces and dashes dropped).
fn normalise_phone(p: &str) -> Option<String> {
    let s: String = p.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = s.strip_prefix('+').unwrap_or(&s);
    ((5..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

struct Located {
    path: String,
    subdistrict: Option<OrgId>,
    community: Option<OrgId>,
    grid: Option<OrgId>,
}

fn random_tracking_code() -> TrackingCode {
    let mut rng = rand::rng();
    let mut idx = [0usize; TRACKING_LEN];
    for i in idx.iter_mut() {
        *i = rng.random_range(0..TRACKING_ALPHABET.len());
    }
    TrackingCode::from_indices(&idx)
}

impl Cases<'_> {
    /// Validates and files a new case for `actor`. With an idempotency key, a repeat of the
    /// same request returns the case it created; a different request under the same key is
    /// refused with `IdempotencyKeyReused`.
    pub async fn submit_case(
        &self,
        actor: &Actor,
        input: &NewCaseInput,
        idempotency_key: Option<&str>,
    ) -> Result<SubmitOutcome> {
        let now = self.now_ms();
        self.submit_case_at(actor, input, idempotency_key, now).await
    }

    /// `submit_case` at a given instant (the demo backdates its cases).
    pub async fn submit_case_at(
        &self,
        actor: &Actor,
        input: &NewCaseInput,
        idempotency_key: Option<&str>,
        now: i64,
    ) -> Result<SubmitOutcome> {
        if let Some(k) = idempotency_key
            && (k.is_empty() || k.len() > 200 || !k.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(AppError::invalid("Idempotency-Key", "1–200 visible ASCII characters"));
        }
        let request_hash: String = {
            let canonical = serde_json::to_string(input).map_err(|e| AppError::Internal(e.to_string()))?;
            hex::encode(Sha256::digest(canonical.as_bytes()))
        };
        // One retry loop covers the rare races: a tracking-code collision, or a concurrent
        // request with the same idempotency key (the next round then finds its case).
        let mut attempt = 0;
        loop {
            attempt += 1;
            // A replay answers with the original case even if the rules have changed since.
            if let Some(key) = idempotency_key
                && let Some((hash, case_id)) = self.store.idempotent_case(actor.user_id.0, key).await?
            {
                if hash != request_hash {
                    return Err(AppError::IdempotencyKeyReused);
                }
                let case = self.case_view_by_id(actor, case_id).await?;
                return Ok(SubmitOutcome { case, replayed: true });
            }
            let p = self.prepare_case(actor, input, now).await?;
            let mut row = p.row;
            row.tracking_code = random_tracking_code().to_string();
            let (reporter_name, reporter_phone, reporter_key_id) =
                self.ops().seal_contact(p.reporter_name, p.reporter_phone);
            let record = IntakeRecord {
                row,
                reporter_name,
                reporter_phone,
                reporter_key_id,
                event_kind: p.event.kind(),
                event_payload: serde_json::to_string(&p.event).map_err(|e| AppError::Internal(e.to_string()))?,
                actor_id: Some(actor.user_id.0),
                idempotency: idempotency_key.map(|k| (k.to_string(), request_hash.clone())),
            };
            match self.intake.submit(&self.store, &self.notify.wake, record, p.event).await {
                Ok(id) => {
                    let case = self.case_view_by_id(actor, id).await?;
                    return Ok(SubmitOutcome { case, replayed: false });
                }
                Err(AppError::Store(StoreError::Conflict(_))) if attempt < 3 => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Validates the input (reporting every problem at once) and resolves its place.
    async fn prepare_case(&self, actor: &Actor, input: &NewCaseInput, now: i64) -> Result<Prepared> {
        let mut errors: Vec<FieldError> = Vec::new();
        let mut err =
            |field: &str, message: &str| errors.push(FieldError { field: field.into(), message: message.into() });

        let reporting: Vec<_> = actor.bindings.iter().filter(|b| b.role.may_report()).collect();
        if reporting.is_empty() {
            return Err(AppError::Forbidden(format!("{} holds no role that may report cases", actor.username)));
        }
        let is_field_worker = actor.has_role(Role::GridWorker) || actor.has_role(Role::StreetChief);
        let source = match blank_to_none(&input.source) {
            None if is_field_worker => Source::Patrol,
            None => Source::Api,
            Some(s) => Source::parse(&s).unwrap_or_else(|| {
                err("source", "one of web, open311, hotline, patrol, api");
                Source::Api
            }),
        };
        if source == Source::Patrol && !is_field_worker && !actor.has_role(Role::Admin) {
            err("source", "only grid workers and street chiefs report from patrol");
        }
        let description = input.description.trim();
        if description.is_empty() {
            err("description", "is required");
        } else if description.chars().count() > MAX_DESCRIPTION {
            err("description", "is longer than 4000 characters");
        }
        match (input.lat, input.lon) {
            (Some(lat), Some(lon)) => {
                if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
                    err("lat", "must be between -90 and 90");
                }
                if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
                    err("lon", "must be between -180 and 180");
                }
            }
            (None, None) => {}
            _ => err("lat", "lat and lon go together"),
        }
        let address = blank_to_none(&input.address);
        if address.as_ref().is_some_and(|a| a.chars().count() > 500) {
            err("address", "is longer than 500 characters");
        }
        let mut category = None;
        if let Some(code) = blank_to_none(&input.category_code) {
            match self.admin().category_with_status(&code).await? {
                Some((c, true)) => category = Some(c),
                Some((_, false)) => err("category_code", "this category is no longer in use"),
                None => err("category_code", "unknown category"),
            }
        }
        let urgency = match blank_to_none(&input.urgency) {
            Some(u) => Urgency::parse(&u).unwrap_or_else(|| {
                err("urgency", "urgent or normal");
                Urgency::Normal
            }),
            None if category.as_ref().is_some_and(|c| c.tier == UrgencyTier::Emergency) => Urgency::Urgent,
            None => Urgency::Normal,
        };
        let (reporter_name, reporter_phone) = match &input.reporter {
            Some(r) => {
                let name = blank_to_none(&r.name);
                if name.as_ref().is_some_and(|n| n.chars().count() > 100) {
                    err("reporter.name", "is longer than 100 characters");
                }
                let phone = match blank_to_none(&r.phone) {
                    Some(p) => normalise_phone(&p).or_else(|| {
                        err("reporter.phone", "5–20 digits, optionally with a leading +");
                        None
                    }),
                    None => None,
                };
                (name, phone)
            }
            None => (None, None),
        };
        // The place: the most specific org code given; its ancestors must agree with the others.
        let mut located: Option<Located> = None;
        let codes = [
            ("grid_code", &input.grid_code, OrgKind::Grid),
            ("community_code", &input.community_code, OrgKind::Community),
            ("subdistrict_code", &input.subdistrict_code, OrgKind::Subdistrict),
        ];
        let mut lineage: Vec<Arc<OrgNode>> = Vec::new();
        for (field, code, kind) in codes {
            let Some(code) = blank_to_none(code) else { continue };
            let node = self.admin().org_by_code(&code).await?;
            let fits = |n: &OrgNode| match kind {
                OrgKind::Grid => n.kind == OrgKind::Grid,
                OrgKind::Community => matches!(n.kind, OrgKind::Community | OrgKind::Village),
                _ => matches!(n.kind, OrgKind::Subdistrict | OrgKind::Township),
            };
            match node {
                Some(n) if fits(&n) => {
                    if lineage.is_empty() {
                        lineage = self.admin().org_lineage(n.id).await?;
                    } else if !lineage.iter().any(|a| a.id == n.id) {
                        err(field, "does not contain the more specific place given");
                    }
                }
                _ => err(field, &format!("no {} with code {code}", kind.as_str())),
            }
        }
        // No place given by hand: the coordinates decide, through the grid index. A place a
        // person chose (the codes above) is never replaced by a computed one.
        if lineage.is_empty()
            && let (Some(lat), Some(lon)) = (input.lat, input.lon)
            && lat.is_finite()
            && lon.is_finite()
            && let Some(node) = self.grids().locate_org(lon, lat).await?
        {
            lineage = self.admin().org_lineage(node.id).await?;
        }
        if let Some(most_specific) = lineage.last() {
            let find = |pred: fn(OrgKind) -> bool| lineage.iter().find(|n| pred(n.kind)).map(|n| n.id);
            located = Some(Located {
                path: most_specific.path.clone(),
                subdistrict: find(|k| matches!(k, OrgKind::Subdistrict | OrgKind::Township)),
                community: find(|k| matches!(k, OrgKind::Community | OrgKind::Village)),
                grid: find(|k| k == OrgKind::Grid),
            });
        }
        if located.is_none() && input.lat.is_none() && address.is_none() {
            err("location", "give coordinates, an address or the grid, community or subdistrict code");
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        // Scope: a reporter files within their own area.
        let located = match located {
            Some(l) => {
                if !reporting.iter().any(|b| path_within(&l.path, &b.org_path)) {
                    return Err(AppError::Forbidden(format!(
                        "{} may not report cases outside their area",
                        actor.username
                    )));
                }
                l
            }
            None => {
                // No place known yet ("needs location"): the case has no subdistrict, community
                // or grid, and sits at the reporter's own node (for visibility) until a
                // dispatcher places it.
                let b = reporting[0];
                let node = self.admin().org(b.org_id).await?.ok_or(AppError::NotFound("organisation"))?;
                let lineage = self.admin().org_lineage(node.id).await?;
                Located {
                    path: if node.kind.is_geographic() {
                        node.path.clone()
                    } else {
                        lineage.first().map(|n| n.path.clone()).unwrap_or_default()
                    },
                    subdistrict: None,
                    community: None,
                    grid: None,
                }
            }
        };
        let category_code = category.map(|c| c.code.clone());
        let event = CaseEvent::Received {
            source,
            category_code: category_code.clone(),
            urgency,
            description: description.to_string(),
            lat: input.lat,
            lon: input.lon,
            address: address.clone(),
            location_org_id: located.grid.or(located.community).or(located.subdistrict),
            location_path: Some(located.path.clone()),
        };
        Ok(Prepared {
            row: NewCaseRow {
                tracking_code: String::new(),
                source: source.as_str().into(),
                category_code,
                urgency: urgency.as_str().into(),
                description: description.to_string(),
                lat: input.lat,
                lon: input.lon,
                address,
                location_path: located.path,
                subdistrict_id: located.subdistrict.map(|o| o.0),
                community_id: located.community.map(|o| o.0),
                grid_id: located.grid.map(|o| o.0),
                created_by: Some(actor.user_id.0),
                created_at: now,
            },
            event,
            reporter_name,
            reporter_phone,
        })
    }
}

struct Prepared {
    row: NewCaseRow,
    event: CaseEvent,
    reporter_name: Option<String>,
    reporter_phone: Option<String>,
}

/// Group commit for intake. Submissions queue here; one task writes whatever has gathered
/// while the previous batch was committing, in one transaction with one fsync, and answers
/// every submitter only after that commit. Under light load a batch is one case and nothing
/// waits; under heavy load the per-case cost of the transaction falls with the batch size.
#[derive(Clone, Default)]
pub struct IntakeQueue {
    tx: std::sync::Arc<std::sync::OnceLock<tokio::sync::mpsc::Sender<IntakeJob>>>,
}

struct IntakeJob {
    record: IntakeRecord,
    /// The `received` event, for the notification outbox.
    event: CaseEvent,
    reply: tokio::sync::oneshot::Sender<Result<chuishao_domain::ids::CaseId>>,
}

/// Most cases written in one batch.
const MAX_BATCH: usize = 256;

impl IntakeQueue {
    fn sender(&self, store: &Store, wake: &Arc<tokio::sync::Notify>) -> tokio::sync::mpsc::Sender<IntakeJob> {
        self.tx
            .get_or_init(|| {
                let (tx, rx) = tokio::sync::mpsc::channel(4 * MAX_BATCH);
                tokio::spawn(run_intake(store.clone(), wake.clone(), rx));
                tx
            })
            .clone()
    }

    /// Queues one record and waits until it is durably committed. `wake` is the delivery
    /// worker's bell, rung after a batch that wrote outbox rows.
    pub(crate) async fn submit(
        &self,
        store: &Store,
        wake: &Arc<tokio::sync::Notify>,
        record: IntakeRecord,
        event: CaseEvent,
    ) -> Result<chuishao_domain::ids::CaseId> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.sender(store, wake)
            .send(IntakeJob { record, event, reply })
            .await
            .map_err(|_| AppError::Internal("the intake writer has stopped".into()))?;
        answer.await.map_err(|_| AppError::Internal("the intake writer dropped a submission".into()))?
    }
}

/// Writes a batch in one transaction: the cases, their reporters and `received` events, and
/// the outbox rows of subscriptions that want them; one commit for all.
async fn write_batch(store: &Store, jobs: &[IntakeJob]) -> Result<Vec<chuishao_domain::ids::CaseId>> {
    let records: Vec<IntakeRecord> = jobs.iter().map(|j| j.record.clone()).collect();
    let mut tx = store.begin().await?;
    let (ids, seqs) = tx.insert_intake_batch(&records).await?;
    let now = jobs.first().map(|j| j.record.row.created_at).unwrap_or_default();
    let mut announced = Vec::with_capacity(jobs.len());
    for ((seq, id), j) in seqs.iter().zip(&ids).zip(jobs) {
        announced.push(crate::record::Announced {
            seq: *seq,
            stream_id: id.0,
            kind: j.event.kind(),
            data: serde_json::to_value(&j.event).map_err(|e| AppError::Internal(e.to_string()))?,
            paths: vec![j.record.row.location_path.clone()],
        });
    }
    crate::record::announce(&mut tx, chuishao_domain::record::StreamKind::Case, &announced, now).await?;
    tx.commit().await?;
    for j in jobs {
        chuishao_metrics::metrics().cases_received.inc(&[j.record.row.source.as_str()]);
    }
    Ok(ids)
}

async fn run_intake(store: Store, wake: Arc<tokio::sync::Notify>, mut rx: tokio::sync::mpsc::Receiver<IntakeJob>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        match write_batch(&store, &jobs).await {
            Ok(ids) => {
                wake.notify_one();
                for (job, id) in jobs.drain(..).zip(ids) {
                    let _ = job.reply.send(Ok(id));
                }
            }
            Err(e) if jobs.len() == 1 => {
                if let Some(job) = jobs.pop() {
                    let _ = job.reply.send(Err(e));
                }
            }
            Err(_) => {
                // Something in the batch was refused: write each alone so only the culprit fails.
                for job in jobs.drain(..) {
                    let one = write_batch(&store, std::slice::from_ref(&job)).await;
                    if one.is_ok() {
                        wake.notify_one();
                    }
                    let answer = one.and_then(|ids| {
                        ids.first().copied().ok_or_else(|| AppError::Internal("a batch of one wrote nothing".into()))
                    });
                    let _ = job.reply.send(answer);
                }
            }
        }
    }
}
