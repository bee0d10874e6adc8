//! User administration: who may manage which accounts and grant which roles, the password
//! policy, and the guards that keep the system administrable.
//!
//! An admin binding's subtree is the admin's scope. An admin may manage a user only when every
//! role the user holds lies inside that scope (a user with no role yet is manageable by any
//! admin), so a subdistrict admin can never reset the password of a district-level account.
//! Roles may be granted or removed only at nodes inside the scope. Two guards keep at least one
//! way back in: nobody removes their own last admin role or disables themselves, and the last
//! active admin cannot lose that role or be disabled.

use crate::access::{Actor, Role, RoleBinding};
use crate::org::path_within;

/// Why an administrative request was refused. Each has a stable snake_case code that the
/// console translates; nothing is changed when one is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdminRefusal {
    /// The actor holds no admin role.
    NotAdmin,
    /// The user holds a role outside the admin's scope.
    UserOutsideScope,
    /// The node where a role would be granted or removed is outside the admin's scope.
    RoleOutsideScope,
    UnknownUser,
    UnknownOrg,
    UnknownRole,
    UnknownToken,
    /// Username not 2–64 of ASCII letters, digits, '.', '_' or '-'.
    BadUsername,
    UsernameTaken,
    /// Display name empty or longer than 100 characters.
    BadDisplayName,
    /// The password does not meet [`check_password`].
    WeakPassword,
    /// The user already holds this role at this node.
    RoleHeld,
    /// The user does not hold this role at this node.
    RoleNotHeld,
    /// Removing one's own last admin role.
    OwnAdminRole,
    /// Disabling one's own account.
    DisableSelf,
    /// The change would leave no active admin.
    LastAdmin,
}

impl AdminRefusal {
    pub const ALL: [AdminRefusal; 16] = [
        AdminRefusal::NotAdmin,
        AdminRefusal::UserOutsideScope,
        AdminRefusal::RoleOutsideScope,
        AdminRefusal::UnknownUser,
        AdminRefusal::UnknownOrg,
        AdminRefusal::UnknownRole,
        AdminRefusal::UnknownToken,
        AdminRefusal::BadUsername,
        AdminRefusal::UsernameTaken,
        AdminRefusal::BadDisplayName,
        AdminRefusal::WeakPassword,
        AdminRefusal::RoleHeld,
        AdminRefusal::RoleNotHeld,
        AdminRefusal::OwnAdminRole,
        AdminRefusal::DisableSelf,
        AdminRefusal::LastAdmin,
    ];

    /// Stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            AdminRefusal::NotAdmin => "not_admin",
            AdminRefusal::UserOutsideScope => "user_outside_scope",
            AdminRefusal::RoleOutsideScope => "role_outside_scope",
            AdminRefusal::UnknownUser => "unknown_user",
            AdminRefusal::UnknownOrg => "unknown_org",
            AdminRefusal::UnknownRole => "unknown_role",
            AdminRefusal::UnknownToken => "unknown_token",
            AdminRefusal::BadUsername => "bad_username",
            AdminRefusal::UsernameTaken => "username_taken",
            AdminRefusal::BadDisplayName => "bad_display_name",
            AdminRefusal::WeakPassword => "weak_password",
            AdminRefusal::RoleHeld => "role_held",
            AdminRefusal::RoleNotHeld => "role_not_held",
            AdminRefusal::OwnAdminRole => "own_admin_role",
            AdminRefusal::DisableSelf => "disable_self",
            AdminRefusal::LastAdmin => "last_admin",
        }
    }

    /// Whether the refusal is about permission (403) rather than the input (422).
    pub fn is_permission(self) -> bool {
        matches!(self, AdminRefusal::NotAdmin | AdminRefusal::UserOutsideScope | AdminRefusal::RoleOutsideScope)
    }
}

impl std::fmt::Display for AdminRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::error::Error for AdminRefusal {}

pub type AdminResult<T = ()> = Result<T, AdminRefusal>;

/// Shortest acceptable password, in characters.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest acceptable password, in bytes (bounds the hashing work).
pub const PASSWORD_MAX_BYTES: usize = 1024;

/// The password policy: 8 characters or more (at most 1024 bytes), at least two of letters,
/// digits and other characters, and not containing the username.
pub fn check_password(username: &str, password: &str) -> AdminResult {
    let classes = [
        password.chars().any(char::is_alphabetic),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    let contains_name = username.len() >= 3 && password.to_lowercase().contains(&username.to_lowercase());
    let ok = password.chars().count() >= PASSWORD_MIN_CHARS
        && password.len() <= PASSWORD_MAX_BYTES
        && classes.iter().filter(|c| **c).count() >= 2
        && !contains_name;
    if ok { Ok(()) } else { Err(AdminRefusal::WeakPassword) }
}

/// Username: 2–64 ASCII letters, digits, '.', '_' or '-'.
pub fn check_username(username: &str) -> AdminResult {
    let ok = (2..=64).contains(&username.len())
        && username.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok { Ok(()) } else { Err(AdminRefusal::BadUsername) }
}

/// Display name: 1–100 characters after trimming.
pub fn check_display_name(name: &str) -> AdminResult {
    let n = name.trim().chars().count();
    if (1..=100).contains(&n) { Ok(()) } else { Err(AdminRefusal::BadDisplayName) }
}

/// The subtrees an actor administers (paths of its admin bindings, nested ones dropped).
pub fn admin_paths(actor: &Actor) -> Vec<&str> {
    let mut paths: Vec<&str> =
        actor.bindings.iter().filter(|b| b.role == Role::Admin).map(|b| b.org_path.as_str()).collect();
    paths.sort_unstable();
    paths.dedup();
    let all = paths.clone();
    paths.retain(|p| !all.iter().any(|q| q != p && path_within(p, q)));
    paths
}

/// The actor may open the administration pages at all.
pub fn require_admin(actor: &Actor) -> AdminResult {
    if actor.has_role(Role::Admin) { Ok(()) } else { Err(AdminRefusal::NotAdmin) }
}

/// Whether the node at `org_path` lies in the actor's admin scope.
pub fn covers_org(actor: &Actor, org_path: &str) -> bool {
    admin_paths(actor).iter().any(|a| path_within(org_path, a))
}

/// The actor may manage a user holding `bindings`: every binding inside its scope.
pub fn may_manage(actor: &Actor, bindings: &[RoleBinding]) -> AdminResult {
    require_admin(actor)?;
    let scope = admin_paths(actor);
    if bindings.iter().all(|b| scope.iter().any(|a| path_within(&b.org_path, a))) {
        Ok(())
    } else {
        Err(AdminRefusal::UserOutsideScope)
    }
}

/// The actor may grant `role` at the node `org_path` to a user holding `bindings`.
pub fn check_grant(actor: &Actor, bindings: &[RoleBinding], role: Role, org_path: &str) -> AdminResult {
    may_manage(actor, bindings)?;
    if !covers_org(actor, org_path) {
        return Err(AdminRefusal::RoleOutsideScope);
    }
    if bindings.iter().any(|b| b.role == role && b.org_path == org_path) {
        return Err(AdminRefusal::RoleHeld);
    }
    Ok(())
}

/// What the guards need to know about the user a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    pub user_id: crate::ids::UserId,
    pub active: bool,
    pub bindings: &'a [RoleBinding],
}

impl Target<'_> {
    fn admin_bindings(&self) -> usize {
        self.bindings.iter().filter(|b| b.role == Role::Admin).count()
    }
}

/// The actor may remove `role` at `org_path` from the target. `other_active_admins` counts
/// active users other than the target holding an admin role anywhere.
pub fn check_remove(
    actor: &Actor,
    target: &Target<'_>,
    role: Role,
    org_path: &str,
    other_active_admins: usize,
) -> AdminResult {
    may_manage(actor, target.bindings)?;
    if !target.bindings.iter().any(|b| b.role == role && b.org_path == org_path) {
        return Err(AdminRefusal::RoleNotHeld);
    }
    if role == Role::Admin && target.admin_bindings() == 1 {
        if target.user_id == actor.user_id {
            return Err(AdminRefusal::OwnAdminRole);
        }
        if target.active && other_active_admins == 0 {
            return Err(AdminRefusal::LastAdmin);
        }
    }
    Ok(())
}

/// The actor may disable the target (see [`check_remove`] for `other_active_admins`).
pub fn check_disable(actor: &Actor, target: &Target<'_>, other_active_admins: usize) -> AdminResult {
    may_manage(actor, target.bindings)?;
    if target.user_id == actor.user_id {
        return Err(AdminRefusal::DisableSelf);
    }
    if target.active && target.admin_bindings() > 0 && other_active_admins == 0 {
        return Err(AdminRefusal::LastAdmin);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{OrgId, UserId};

    fn b(role: Role, path: &str) -> RoleBinding {
        RoleBinding { role, org_id: OrgId(path.len() as i64), org_path: path.into() }
    }

    fn actor(id: i64, bindings: Vec<RoleBinding>) -> Actor {
        Actor { user_id: UserId(id), username: format!("u{id}"), bindings }
    }

    #[test]
    fn codes_are_distinct() {
        let mut codes: Vec<_> = AdminRefusal::ALL.iter().map(|r| r.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), AdminRefusal::ALL.len());
    }

    #[test]
    fn scoped_admin_manages_only_users_wholly_inside() {
        let heping = actor(1, vec![b(Role::Admin, "/1/2/")]);
        let inside = [b(Role::GridWorker, "/1/2/3/4/")];
        let straddling = [b(Role::GridWorker, "/1/2/3/4/"), b(Role::Viewer, "/1/")];
        let outside = [b(Role::Dispatcher, "/1/")];
        assert_eq!(may_manage(&heping, &inside), Ok(()));
        assert_eq!(may_manage(&heping, &[]), Ok(()));
        assert_eq!(may_manage(&heping, &straddling), Err(AdminRefusal::UserOutsideScope));
        assert_eq!(may_manage(&heping, &outside), Err(AdminRefusal::UserOutsideScope));
        let dispatcher = actor(2, vec![b(Role::Dispatcher, "/1/")]);
        assert_eq!(may_manage(&dispatcher, &inside), Err(AdminRefusal::NotAdmin));
    }

    #[test]
    fn grants_stay_inside_the_subtree() {
        let heping = actor(1, vec![b(Role::Admin, "/1/2/")]);
        assert_eq!(check_grant(&heping, &[], Role::Dispatcher, "/1/2/"), Ok(()));
        assert_eq!(check_grant(&heping, &[], Role::Admin, "/1/2/3/"), Ok(()));
        assert_eq!(check_grant(&heping, &[], Role::Dispatcher, "/1/"), Err(AdminRefusal::RoleOutsideScope));
        assert_eq!(check_grant(&heping, &[], Role::Dispatcher, "/1/20/"), Err(AdminRefusal::RoleOutsideScope));
        let held = [b(Role::Viewer, "/1/2/")];
        assert_eq!(check_grant(&heping, &held, Role::Viewer, "/1/2/"), Err(AdminRefusal::RoleHeld));
    }

    #[test]
    fn guards_keep_an_admin() {
        let me = actor(1, vec![b(Role::Admin, "/1/")]);
        let mine = me.bindings.clone();
        let myself = Target { user_id: UserId(1), active: true, bindings: &mine };
        assert_eq!(check_remove(&me, &myself, Role::Admin, "/1/", 5), Err(AdminRefusal::OwnAdminRole));
        assert_eq!(check_disable(&me, &myself, 5), Err(AdminRefusal::DisableSelf));
        let theirs = [b(Role::Admin, "/1/2/")];
        let other = Target { user_id: UserId(2), active: true, bindings: &theirs };
        assert_eq!(check_remove(&me, &other, Role::Admin, "/1/2/", 0), Err(AdminRefusal::LastAdmin));
        assert_eq!(check_disable(&me, &other, 0), Err(AdminRefusal::LastAdmin));
        assert_eq!(check_remove(&me, &other, Role::Admin, "/1/2/", 1), Ok(()));
        assert_eq!(check_remove(&me, &other, Role::Viewer, "/1/2/", 1), Err(AdminRefusal::RoleNotHeld));
        // A second admin role of one's own may go.
        let two = vec![b(Role::Admin, "/1/"), b(Role::Admin, "/1/2/")];
        let me2 = actor(1, two.clone());
        let myself2 = Target { user_id: UserId(1), active: true, bindings: &two };
        assert_eq!(check_remove(&me2, &myself2, Role::Admin, "/1/2/", 0), Ok(()));
    }

    #[test]
    fn password_policy() {
        assert_eq!(check_password("zhang", "chuishao-demo"), Ok(()));
        assert_eq!(check_password("zhang", "abc12345"), Ok(()));
        for weak in ["short1!", "allletters", "12345678901", "xxzhang2026"] {
            assert_eq!(check_password("zhang", weak), Err(AdminRefusal::WeakPassword), "{weak}");
        }
        assert_eq!(check_password("z", &"a1".repeat(600)), Err(AdminRefusal::WeakPassword));
    }

    proptest::proptest! {
        /// Whatever a scoped admin grants lies inside its subtree.
        #[test]
        fn granted_nodes_are_in_scope(a in 1u8..6, b_ in 1u8..6, c in 1u8..6) {
            let admin = actor(1, vec![b(Role::Admin, &format!("/1/{a}/"))]);
            let node = format!("/1/{b_}/{c}/");
            let ok = check_grant(&admin, &[], Role::Viewer, &node).is_ok();
            proptest::prop_assert_eq!(ok, a == b_);
        }
    }
}
