//! User administration for admins: the user directory, creating users, granting and removing
//! roles at org nodes, password resets (the user must then choose a new password), unlocking,
//! disabling and enabling, revoking sessions and API tokens.
//!
//! Who may do what to whom is decided by `chuishao_domain::admin` (an admin scoped to a node
//! manages only users and roles inside that subtree); this module loads the facts, asks, and
//! writes. Every change is appended to the audit chain (stream `account`, the target user's
//! id, the acting admin as actor) in the same transaction as the change itself.

use crate::AppError;
use crate::admin::Admin;
use crate::admin::accounts::FREE_FAILURES;
use crate::admin::auth::hash_password;
use chuishao_domain::access::{Actor, Role, RoleBinding};
use chuishao_domain::admin::{self as rules, AdminRefusal, Target};
use chuishao_domain::ids::{OrgId, UserId};
use chuishao_domain::org::OrgNode;
use chuishao_store::{DirectoryRow, StoreError, TokenRow, Tx};
use rand::Rng;
use std::collections::HashMap;

/// A refused administrative request (a stable code, nothing changed) or a failure.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("refused: {0}")]
    Refused(AdminRefusal),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<AdminRefusal> for AdminError {
    fn from(r: AdminRefusal) -> Self {
        AdminError::Refused(r)
    }
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        AdminError::App(e.into())
    }
}

pub type AdminResult<T> = std::result::Result<T, AdminError>;

/// Users per directory page.
pub const PAGE_SIZE: usize = 25;
/// Length of generated passwords.
const GENERATED_LEN: usize = 14;

/// A role held at a node, with the node's names for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAt {
    pub role: Role,
    pub org_id: i64,
    pub org_code: String,
    pub org_name_zh: String,
    pub org_name_en: String,
}

/// One user in the directory.
#[derive(Debug, Clone)]
pub struct UserSummary {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub active: bool,
    pub must_change_password: bool,
    /// Locked out by the login throttle right now.
    pub locked: bool,
    /// Failed sign-ins in a row under the username.
    pub failures: i64,
    pub last_login: Option<i64>,
    pub live_sessions: i64,
    pub roles: Vec<RoleAt>,
}

/// A page of the directory.
#[derive(Debug, Clone)]
pub struct UserPage {
    pub items: Vec<UserSummary>,
    /// Users matching the search in the admin's scope.
    pub total: usize,
    /// 1-based.
    pub page: usize,
    pub pages: usize,
}

/// A node an admin may grant roles at.
#[derive(Debug, Clone)]
pub struct GrantableOrg {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Depth below the admin's topmost node, for indenting the picker.
    pub depth: usize,
}

/// Everything the user page shows.
#[derive(Debug, Clone)]
pub struct UserDetail {
    pub user: UserSummary,
    pub tokens: Vec<TokenRow>,
}

/// A new user as the admin fills it in.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    /// None: generate one (returned once).
    pub password: Option<String>,
    /// The first role, given as (role, org code), optional.
    pub role: Option<(String, String)>,
}

/// What a change did, for the page's confirmation (and a generated password, shown once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub what: &'static str,
    pub password: Option<String>,
}

async fn audit(
    tx: &mut Tx,
    admin: &Actor,
    user: UserId,
    kind: &str,
    payload: serde_json::Value,
    now: i64,
) -> AdminResult<()> {
    let mut payload = payload;
    payload["by"] = serde_json::Value::String(admin.username.clone());
    let account = chuishao_domain::record::StreamKind::Account;
    let actor_id = Some(admin.user_id.0);
    crate::record::log_fact(tx, account, user.0, 0, kind, payload.to_string(), actor_id, now).await?;
    Ok(())
}

/// A random password that meets the policy: letters and digits with a '-' in the middle.
fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let mut s: String = (0..GENERATED_LEN).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    s.insert(GENERATED_LEN / 2, '-');
    s
}

fn parse_role(s: &str) -> AdminResult<Role> {
    Role::parse(s.trim()).ok_or(AdminError::Refused(AdminRefusal::UnknownRole))
}

impl Admin<'_> {
    fn role_at(&self, b: &RoleBinding, orgs: &HashMap<i64, &OrgNode>) -> RoleAt {
        let node = orgs.get(&b.org_id.0);
        RoleAt {
            role: b.role,
            org_id: b.org_id.0,
            org_code: node.map(|n| n.code.clone()).unwrap_or_default(),
            org_name_zh: node.map(|n| n.name_zh.clone()).unwrap_or_default(),
            org_name_en: node.map(|n| n.name_en.clone()).unwrap_or_default(),
        }
    }

    fn summary(
        &self,
        row: DirectoryRow,
        bindings: &[RoleBinding],
        orgs: &HashMap<i64, &OrgNode>,
        now: i64,
    ) -> UserSummary {
        UserSummary {
            locked: row.blocked_until > now && row.failures >= FREE_FAILURES,
            failures: row.failures,
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            active: row.active,
            must_change_password: row.must_change_password,
            last_login: row.last_login,
            live_sessions: row.live_sessions,
            roles: bindings.iter().map(|b| self.role_at(b, orgs)).collect(),
        }
    }

    /// The directory as `admin` may see it: users it may manage whose username or display
    /// name contains `q` (case-insensitive), `PAGE_SIZE` a page.
    pub async fn admin_users(&self, admin: &Actor, q: &str, page: usize) -> AdminResult<UserPage> {
        rules::require_admin(admin)?;
        let now = self.now_ms();
        let rows = self.store.user_directory(now).await?;
        let mut bindings: HashMap<i64, Vec<RoleBinding>> = HashMap::new();
        for (user, b) in self.store.all_role_bindings().await? {
            bindings.entry(user).or_default().push(b);
        }
        let nodes = self.store.list_orgs(None).await?;
        let orgs: HashMap<i64, &OrgNode> = nodes.iter().map(|n| (n.id.0, n)).collect();
        let q = q.trim().to_lowercase();
        let none = Vec::new();
        let matching: Vec<(DirectoryRow, &Vec<RoleBinding>)> = rows
            .into_iter()
            .map(|r| {
                let b = bindings.get(&r.id).unwrap_or(&none);
                (r, b)
            })
            .filter(|(_, b)| rules::may_manage(admin, b).is_ok())
            .filter(|(r, _)| {
                q.is_empty() || r.username.to_lowercase().contains(&q) || r.display_name.to_lowercase().contains(&q)
            })
            .collect();
        let total = matching.len();
        let pages = total.div_ceil(PAGE_SIZE).max(1);
        let page = page.clamp(1, pages);
        let items = matching
            .into_iter()
            .skip((page - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .map(|(r, b)| self.summary(r, b, &orgs, now))
            .collect();
        Ok(UserPage { items, total, page, pages })
    }

    /// The target's directory row and bindings, if `admin` may manage it.
    async fn managed(&self, admin: &Actor, user: UserId) -> AdminResult<(DirectoryRow, Vec<RoleBinding>)> {
        rules::require_admin(admin)?;
        let row = self.store.directory_entry(user, self.now_ms()).await?.ok_or(AdminRefusal::UnknownUser)?;
        let bindings = self.store.role_bindings(user).await?;
        rules::may_manage(admin, &bindings)?;
        Ok((row, bindings))
    }

    /// One user, with tokens, if `admin` may manage it.
    pub async fn admin_user(&self, admin: &Actor, user: UserId) -> AdminResult<UserDetail> {
        let (row, bindings) = self.managed(admin, user).await?;
        let nodes = self.store.list_orgs(None).await?;
        let orgs: HashMap<i64, &OrgNode> = nodes.iter().map(|n| (n.id.0, n)).collect();
        let tokens = self.store.user_tokens(user).await?;
        Ok(UserDetail { user: self.summary(row, &bindings, &orgs, self.now_ms()), tokens })
    }

    /// The nodes `admin` may grant roles at, in tree order.
    pub async fn grantable_orgs(&self, admin: &Actor) -> AdminResult<Vec<GrantableOrg>> {
        rules::require_admin(admin)?;
        let top = rules::admin_paths(admin).iter().map(|p| p.matches('/').count()).min().unwrap_or(0);
        let mut nodes = self.store.list_orgs(None).await?;
        nodes.retain(|n| rules::covers_org(admin, &n.path));
        nodes.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(nodes
            .into_iter()
            .map(|n| GrantableOrg {
                depth: n.path.matches('/').count().saturating_sub(top),
                id: n.id.0,
                code: n.code,
                name_zh: n.name_zh,
                name_en: n.name_en,
            })
            .collect())
    }

    async fn org_for_grant(&self, code: &str) -> AdminResult<std::sync::Arc<OrgNode>> {
        Ok(self.org_by_code(code.trim()).await?.ok_or(AdminRefusal::UnknownOrg)?)
    }

    /// Creates a user (who must change the password at first sign-in), optionally with a first
    /// role. Returns the new id and the generated password when none was given.
    pub async fn admin_create_user(&self, admin: &Actor, new: &NewUser) -> AdminResult<(UserId, Done)> {
        rules::require_admin(admin)?;
        let username = new.username.trim();
        rules::check_username(username)?;
        rules::check_display_name(&new.display_name)?;
        let generated = new.password.is_none().then(generate_password);
        let password = new.password.as_deref().or(generated.as_deref()).unwrap_or_default();
        rules::check_password(username, password)?;
        let grant = match &new.role {
            Some((role, code)) => {
                let role = parse_role(role)?;
                let org = self.org_for_grant(code).await?;
                rules::check_grant(admin, &[], role, &org.path)?;
                Some((role, org))
            }
            None => None,
        };
        if self.store.user_by_username(username).await?.is_some() {
            return Err(AdminRefusal::UsernameTaken.into());
        }
        let hash = hash_password(password)?;
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        let id = match tx.insert_user(username, new.display_name.trim(), now).await {
            Ok(id) => id,
            Err(StoreError::Conflict(_)) => return Err(AdminRefusal::UsernameTaken.into()),
            Err(e) => return Err(e.into()),
        };
        tx.set_password_hash(id, &hash).await?;
        tx.set_must_change_password(id, true).await?;
        let mut payload = serde_json::json!({ "username": username, "display_name": new.display_name.trim() });
        if let Some((role, org)) = &grant {
            tx.grant_role(id, *role, org.id, now).await?;
            payload["role"] = role.as_str().into();
            payload["org"] = org.code.clone().into();
        }
        audit(&mut tx, admin, id, "user_created", payload, now).await?;
        tx.commit().await?;
        Ok((id, Done { what: "created", password: generated }))
    }

    /// Grants `role` at the node with `org_code`.
    pub async fn admin_grant_role(&self, admin: &Actor, user: UserId, role: &str, org_code: &str) -> AdminResult<Done> {
        let (_, bindings) = self.managed(admin, user).await?;
        let role = parse_role(role)?;
        let org = self.org_for_grant(org_code).await?;
        rules::check_grant(admin, &bindings, role, &org.path)?;
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        tx.grant_role(user, role, org.id, now).await?;
        let payload = serde_json::json!({ "role": role.as_str(), "org": org.code });
        audit(&mut tx, admin, user, "role_granted", payload, now).await?;
        tx.commit().await?;
        Ok(Done { what: "role_granted", password: None })
    }

    async fn other_active_admins(&self, user: UserId) -> AdminResult<usize> {
        Ok(self.store.active_admin_ids().await?.into_iter().filter(|id| *id != user.0).count())
    }

    /// Removes `role` at the node `org_id`.
    pub async fn admin_remove_role(&self, admin: &Actor, user: UserId, role: &str, org_id: i64) -> AdminResult<Done> {
        let (row, bindings) = self.managed(admin, user).await?;
        let role = parse_role(role)?;
        let org = self.org(OrgId(org_id)).await?.ok_or(AdminRefusal::UnknownOrg)?;
        let target = Target { user_id: user, active: row.active, bindings: &bindings };
        let others = self.other_active_admins(user).await?;
        rules::check_remove(admin, &target, role, &org.path, others)?;
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        if !tx.revoke_role(user, role, org.id).await? {
            return Err(AdminRefusal::RoleNotHeld.into());
        }
        let payload = serde_json::json!({ "role": role.as_str(), "org": org.code });
        audit(&mut tx, admin, user, "role_removed", payload, now).await?;
        tx.commit().await?;
        Ok(Done { what: "role_removed", password: None })
    }

    /// Sets a new password (given, or generated and returned once); the user must change it
    /// at the next sign-in and every session of theirs ends now.
    pub async fn admin_reset_password(&self, admin: &Actor, user: UserId, password: Option<&str>) -> AdminResult<Done> {
        let (row, _) = self.managed(admin, user).await?;
        let generated = password.is_none().then(generate_password);
        let password = password.or(generated.as_deref()).unwrap_or_default();
        rules::check_password(&row.username, password)?;
        let hash = hash_password(password)?;
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        tx.set_password_hash(user, &hash).await?;
        tx.set_must_change_password(user, true).await?;
        let revoked = tx.revoke_user_sessions(user, None, now).await?;
        tx.clear_login_throttle(&row.username, None).await?;
        let payload = serde_json::json!({ "generated": generated.is_some(), "sessions_revoked": revoked });
        audit(&mut tx, admin, user, "password_reset", payload, now).await?;
        tx.commit().await?;
        Ok(Done { what: "password_reset", password: generated })
    }

    /// Clears the login throttle under the user's name.
    pub async fn admin_unlock(&self, admin: &Actor, user: UserId) -> AdminResult<Done> {
        let (row, _) = self.managed(admin, user).await?;
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        tx.clear_login_throttle(&row.username, None).await?;
        audit(&mut tx, admin, user, "account_unlocked", serde_json::json!({ "failures": row.failures }), now).await?;
        tx.commit().await?;
        Ok(Done { what: "unlocked", password: None })
    }

    /// Disables (no sign-in, no session, no API token works) or enables a user.
    pub async fn admin_set_active(&self, admin: &Actor, user: UserId, active: bool) -> AdminResult<Done> {
        let (row, bindings) = self.managed(admin, user).await?;
        if !active {
            let target = Target { user_id: user, active: row.active, bindings: &bindings };
            rules::check_disable(admin, &target, self.other_active_admins(user).await?)?;
        }
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        tx.set_user_active(user, active).await?;
        let revoked = if active { 0 } else { tx.revoke_user_sessions(user, None, now).await? };
        let kind = if active { "user_enabled" } else { "user_disabled" };
        audit(&mut tx, admin, user, kind, serde_json::json!({ "sessions_revoked": revoked }), now).await?;
        tx.commit().await?;
        Ok(Done { what: if active { "enabled" } else { "disabled" }, password: None })
    }

    /// Ends every browser session of the user: each is refused at its next request.
    pub async fn admin_revoke_sessions(&self, admin: &Actor, user: UserId) -> AdminResult<Done> {
        self.managed(admin, user).await?;
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        let revoked = tx.revoke_user_sessions(user, None, now).await?;
        audit(&mut tx, admin, user, "sessions_revoked", serde_json::json!({ "count": revoked }), now).await?;
        tx.commit().await?;
        Ok(Done { what: "sessions_revoked", password: None })
    }

    /// Revokes one of the user's API tokens: refused at its next API call.
    pub async fn admin_revoke_token(&self, admin: &Actor, user: UserId, token_id: i64) -> AdminResult<Done> {
        self.managed(admin, user).await?;
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        if !tx.revoke_token(user, token_id, now).await? {
            return Err(AdminRefusal::UnknownToken.into());
        }
        audit(&mut tx, admin, user, "token_revoked", serde_json::json!({ "token_id": token_id }), now).await?;
        tx.commit().await?;
        Ok(Done { what: "token_revoked", password: None })
    }
}
