//! Volunteers' accounts, separate from staff: self-registration with phone and password (the
//! community confirms), sign-in under the staff login's rules (argon2id, a throttle per phone
//! and client address with backoff and lockout, a slow-down per phone from everywhere, the
//! same answer whether or not the phone is registered), server-side sessions (only the token's
//! SHA-256 is kept), and a volunteer's own page (sign-ups, hours, history).

use super::registry::{DecisionInput, RegistryQuery};
use super::views::{ActivityView, VolunteerHome, VolunteerSignUp, VolunteerView, hours};
use super::{Community, LIST_LIMIT, Who};
use crate::admin::accounts::{LOCKOUT_FAILURES, NAME_FREE_FAILURES, SESSION_TTL_MS, SLOWDOWN_MS, backoff_ms};
use crate::admin::auth::{hash_password, token_hash};
use crate::{AppError, Result};
use chuishao_domain::access::Actor;
use chuishao_domain::community::{self, Activity, NewVolunteer, Volunteer};
use chuishao_domain::record::{Record, StreamKind};
use chuishao_store::{ServiceOf, ThrottleRow};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// Prefix of volunteers' session tokens (neither an API token nor a staff session).
pub const VOLUNTEER_SESSION_PREFIX: &str = "cvs_";

/// The body of `POST /api/v1/community/volunteers` (public).
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VolunteerRegistration {
    /// The community to serve in.
    pub community_code: String,
    #[schema(max_length = 200)]
    pub name: String,
    /// An 11-digit mobile number: the account's name.
    pub phone: String,
    /// 8+ characters, two of letters, digits and symbols.
    #[schema(max_length = 200)]
    pub password: String,
}

/// The body of `POST /api/v1/community/volunteers/login`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VolunteerLogin {
    #[schema(max_length = 64)]
    pub phone: String,
    #[schema(max_length = 200)]
    pub password: String,
}

/// The answer to a sign-in. `Failed` is the same whether the phone is registered or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VolunteerLoginOutcome {
    Ok { token: String, expires_at: i64 },
    Failed,
    Blocked { retry_after_ms: i64 },
}

/// A live volunteer session.
#[derive(Debug, Clone)]
pub struct VolunteerSession {
    pub volunteer: Volunteer,
    pub token_hash: String,
}

/// The throttle key of a phone as typed (trimmed, capped), apart from staff names.
fn throttle_key(phone: &str) -> String {
    format!("volunteer:{}", phone.trim().chars().take(40).collect::<String>())
}

/// A fixed argon2id hash, so an unknown phone costs what a known one does.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$Xb0Oj9xN4y4eQZbJ0a5GfZ4Z0mS9Tnq2o2bqf3s2Wm0";

fn verify(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|p| argon2::Argon2::default().verify_password(password.as_bytes(), &p).is_ok())
}

impl Community<'_> {
    /// Registers a volunteer (pending until the community confirms). A phone registers once; a
    /// phone that is a registered party member's links the account to that member.
    pub async fn register_volunteer(&self, input: &VolunteerRegistration) -> Result<VolunteerView> {
        let community = self.community_ref("community_code", &input.community_code).await?;
        let phone = community::phone("phone", &input.phone)?;
        if chuishao_domain::admin::check_password(&phone, &input.password).is_err() {
            return Err(AppError::invalid(
                "password",
                "8+ characters, two of letters, digits and symbols, not containing the phone number",
            ));
        }
        let member = self.member_by_phone(&phone).await?;
        let event = community::register_volunteer(&NewVolunteer {
            community: community.clone(),
            name: input.name.clone(),
            phone: phone.clone(),
            member_id: member.as_ref().map(|m| m.id),
            party_org_id: member.as_ref().and_then(|m| m.party_org_id),
        })?;
        let hash = hash_password(&input.password)?;
        let v: Volunteer = self.create(&community, Some(&phone), event, None, Some((&phone, &hash))).await?;
        Ok(VolunteerView::from(&v))
    }

    /// The community confirms or declines a volunteer.
    pub async fn decide_volunteer(&self, actor: &Actor, id: i64, input: &DecisionInput) -> Result<VolunteerView> {
        let d = input.decision()?;
        let v: Volunteer = self.change(Who::Staff(actor), id, Some(input.version), |_| Ok(d)).await?;
        Ok(VolunteerView::from(&v))
    }

    pub async fn volunteers(&self, actor: &Actor, q: &RegistryQuery) -> Result<Vec<VolunteerView>> {
        let status = super::registry::status_filter(q.status.as_deref())?;
        let list: Vec<Volunteer> = self.list(actor, q.community_code.as_deref(), status, true).await?;
        Ok(list.iter().map(VolunteerView::from).collect())
    }

    /// Signs a volunteer in by phone and password under the staff login's throttle rules.
    pub async fn login(&self, phone: &str, password: &str, from: &str) -> Result<VolunteerLoginOutcome> {
        let key = throttle_key(phone);
        let from: String = from.chars().take(64).collect();
        let now = self.now();
        let blocked = |pair: &ThrottleRow, name: &ThrottleRow| {
            let until = pair.blocked_until.max(name.blocked_until);
            (now < until).then(|| VolunteerLoginOutcome::Blocked { retry_after_ms: until - now })
        };
        {
            let mut tx = self.app.store.begin().await?;
            let (pair, name) = (tx.login_throttle_pair(&key, &from).await?, tx.login_throttle(&key).await?);
            tx.commit().await?;
            if let Some(b) = blocked(&pair, &name) {
                return Ok(b);
            }
        }
        let digits = community::phone("phone", phone).ok();
        let stored = match &digits {
            Some(p) => self.app.store.volunteer_credentials(p).await?,
            None => None,
        };
        let ok = verify(stored.as_ref().map_or(DUMMY_HASH, |(_, h)| h.as_str()), password) && stored.is_some();
        let mut tx = self.app.store.begin().await?;
        let (pair, name) = (tx.login_throttle_pair(&key, &from).await?, tx.login_throttle(&key).await?);
        if let Some(b) = blocked(&pair, &name) {
            return Ok(b);
        }
        let account = StreamKind::Account;
        if ok && let Some((id, _)) = stored {
            tx.clear_login_throttle(&key, Some(&from)).await?;
            let token = new_token();
            let expires_at = now + SESSION_TTL_MS;
            tx.insert_volunteer_session(&token_hash(&token), id, now, expires_at).await?;
            let payload = serde_json::json!({ "volunteer_id": id });
            crate::record::log_fact(&mut tx, account, 0, 0, "volunteer_login", payload.to_string(), None, now).await?;
            tx.commit().await?;
            return Ok(VolunteerLoginOutcome::Ok { token, expires_at });
        }
        let failures = pair.failures + 1;
        tx.set_login_throttle_pair(
            &key,
            &from,
            ThrottleRow { failures, blocked_until: now + backoff_ms(failures) },
            now,
        )
        .await?;
        let everywhere = name.failures + 1;
        let slow = if everywhere >= NAME_FREE_FAILURES { now + SLOWDOWN_MS } else { 0 };
        tx.set_login_throttle(&key, ThrottleRow { failures: everywhere, blocked_until: slow }, now).await?;
        let kind = if failures == LOCKOUT_FAILURES { "volunteer_login_locked" } else { "volunteer_login_failed" };
        let payload = serde_json::json!({ "throttle_key": key, "failures": failures, "address": from });
        crate::record::log_fact(&mut tx, account, 0, 0, kind, payload.to_string(), None, now).await?;
        tx.commit().await?;
        Ok(VolunteerLoginOutcome::Failed)
    }

    /// The volunteer behind a session token, if it is live.
    pub async fn session(&self, token: &str) -> Result<Option<VolunteerSession>> {
        if !token.starts_with(VOLUNTEER_SESSION_PREFIX) || token.len() > 128 {
            return Ok(None);
        }
        let hash = token_hash(token);
        let Some(id) = self.app.store.live_volunteer_session(&hash, self.now()).await? else { return Ok(None) };
        let Some(volunteer) = self.any::<Volunteer>(id).await? else { return Ok(None) };
        Ok(Some(VolunteerSession { volunteer, token_hash: hash }))
    }

    pub async fn logout(&self, s: &VolunteerSession) -> Result<()> {
        let mut tx = self.app.store.begin().await?;
        tx.revoke_volunteer_session(&s.token_hash, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A volunteer's own page: their account, every sign-up (newest first) and total hours.
    pub async fn home(&self, v: &Volunteer) -> Result<VolunteerHome> {
        let ids = self.app.store.volunteer_activity_ids(v.id.0, LIST_LIMIT).await?;
        let rows = self.app.store.community_records_by_id(StreamKind::Activity.as_str(), &ids).await?;
        let mut activities: Vec<Activity> = rows.iter().map(super::parse_state).collect::<Result<_>>()?;
        activities.sort_by_key(|a| std::cmp::Reverse((a.starts_at, a.id())));
        let sign_ups = activities
            .iter()
            .filter_map(|a| {
                let x = a.attendance(v.id)?;
                Some(VolunteerSignUp {
                    activity: ActivityView::public(a),
                    status: x.status.as_str().into(),
                    half_hours: x.half_hours,
                    hours: hours(i64::from(x.half_hours)),
                })
            })
            .collect();
        let service = self.app.store.service(ServiceOf::Volunteer(v.id.0), i64::MIN, i64::MAX).await?;
        let total: i64 = service.iter().map(|r| r.half_hours).sum();
        Ok(VolunteerHome {
            volunteer: VolunteerView::from(v),
            sign_ups,
            total_half_hours: total,
            total_hours: hours(total),
        })
    }
}

fn new_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("{VOLUNTEER_SESSION_PREFIX}{}", hex::encode(bytes))
}
