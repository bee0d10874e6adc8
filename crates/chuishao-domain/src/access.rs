//! Users' roles and the scope rules that decide what each may see and do.
//!
//! A user holds roles, each bound to one organisation node. The binding's subtree is the
//! role's scope: a case is visible to a binding when the case's place or its current handler
//! lies in that subtree. So a district dispatcher sees everything, a department sees what is
//! dispatched to it (or to its stationed units), a community its own, a grid worker their grids.

use crate::ids::{OrgId, UserId};
use crate::org::path_within;
use serde::{Deserialize, Serialize};

/// A role a user can hold at an organisation node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Dispatcher,
    SubdistrictLeader,
    DepartmentStaff,
    GridWorker,
    StreetChief,
    CommunityWorker,
    Viewer,
    Integrator,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::Dispatcher,
        Role::SubdistrictLeader,
        Role::DepartmentStaff,
        Role::GridWorker,
        Role::StreetChief,
        Role::CommunityWorker,
        Role::Viewer,
        Role::Integrator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Dispatcher => "dispatcher",
            Role::SubdistrictLeader => "subdistrict_leader",
            Role::DepartmentStaff => "department_staff",
            Role::GridWorker => "grid_worker",
            Role::StreetChief => "street_chief",
            Role::CommunityWorker => "community_worker",
            Role::Viewer => "viewer",
            Role::Integrator => "integrator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Roles that may open a new case.
    pub fn may_report(self) -> bool {
        matches!(
            self,
            Role::Admin
                | Role::Dispatcher
                | Role::GridWorker
                | Role::StreetChief
                | Role::CommunityWorker
                | Role::Integrator
        )
    }

    /// Roles that may read reporters' identity and contact (masked unless revealed).
    pub fn may_see_reporter(self) -> bool {
        matches!(self, Role::Admin | Role::Dispatcher)
    }
}

/// One role held at one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleBinding {
    pub role: Role,
    pub org_id: OrgId,
    /// The bound node's materialised path (see `org::OrgNode::path`).
    pub org_path: String,
}

/// Who is acting: an authenticated user with their role bindings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: UserId,
    pub username: String,
    pub bindings: Vec<RoleBinding>,
}

/// Where a case sits, for scope checks: the path of its most specific place and, when it has
/// one, the path of its current handling unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseScope<'a> {
    pub location_path: &'a str,
    pub handler_path: Option<&'a str>,
}

impl Actor {
    /// Whether any binding with one of `roles` covers the case's place.
    pub fn covers_location(&self, roles: &[Role], scope: &CaseScope<'_>) -> bool {
        self.bindings.iter().any(|b| roles.contains(&b.role) && path_within(scope.location_path, &b.org_path))
    }

    /// Whether any binding with one of `roles` covers the case's handling unit.
    pub fn covers_handler(&self, roles: &[Role], scope: &CaseScope<'_>) -> bool {
        scope
            .handler_path
            .is_some_and(|h| self.bindings.iter().any(|b| roles.contains(&b.role) && path_within(h, &b.org_path)))
    }

    /// Whether any binding with one of `roles` covers the case by place or by handler.
    pub fn covers(&self, roles: &[Role], scope: &CaseScope<'_>) -> bool {
        self.covers_location(roles, scope) || self.covers_handler(roles, scope)
    }

    /// Read access: any role, by place or handler.
    pub fn can_see(&self, scope: &CaseScope<'_>) -> bool {
        self.covers(&Role::ALL, scope)
    }

    /// Whether the actor holds `role` anywhere.
    pub fn has_role(&self, role: Role) -> bool {
        self.bindings.iter().any(|b| b.role == role)
    }

    /// Paths of the subtrees this actor may read cases in (for list queries).
    pub fn read_paths(&self) -> Vec<&str> {
        let mut paths: Vec<&str> = self.bindings.iter().map(|b| b.org_path.as_str()).collect();
        paths.sort_unstable();
        paths.dedup();
        // A path inside another listed path adds nothing.
        let all = paths.clone();
        paths.retain(|p| !all.iter().any(|q| q != p && path_within(p, q)));
        paths
    }

    /// Whether the actor may see reporters' identity on a case in this scope.
    pub fn may_see_reporter(&self, scope: &CaseScope<'_>) -> bool {
        self.covers(&[Role::Admin, Role::Dispatcher], scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(bindings: &[(Role, &str)]) -> Actor {
        Actor {
            user_id: UserId(1),
            username: "u".into(),
            bindings: bindings
                .iter()
                .enumerate()
                .map(|(i, (role, path))| RoleBinding { role: *role, org_id: OrgId(i as i64), org_path: (*path).into() })
                .collect(),
        }
    }

    #[test]
    fn departments_see_only_what_is_dispatched_to_them() {
        let dept = actor(&[(Role::DepartmentStaff, "/1/50/")]);
        let theirs = CaseScope { location_path: "/1/2/3/", handler_path: Some("/1/50/51/") };
        let others = CaseScope { location_path: "/1/2/3/", handler_path: Some("/1/60/") };
        let nobody = CaseScope { location_path: "/1/2/3/", handler_path: None };
        assert!(dept.can_see(&theirs));
        assert!(!dept.can_see(&others));
        assert!(!dept.can_see(&nobody));
    }

    #[test]
    fn read_paths_drop_nested_bindings() {
        let a = actor(&[(Role::Viewer, "/1/2/"), (Role::GridWorker, "/1/2/3/"), (Role::Viewer, "/1/20/")]);
        assert_eq!(a.read_paths(), vec!["/1/2/", "/1/20/"]);
    }
}
