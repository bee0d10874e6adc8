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

/// Where a whistle sits, for scope checks: the raising organisation, the place it takes place
/// in (when located), and the summoned units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhistleScope<'a> {
    pub raiser_path: &'a str,
    pub place_path: Option<&'a str>,
    pub unit_paths: Vec<&'a str>,
}

impl Actor {
    /// Whether any of the actor's bindings (any role) covers `path`.
    fn within_reach(&self, path: &str) -> bool {
        self.bindings.iter().any(|b| path_within(path, &b.org_path))
    }

    /// Whether the actor sees the whole whistle, every unit included: by the raiser or by the
    /// place (a subdistrict sees what is whistled on its territory).
    pub fn sees_whole_whistle(&self, scope: &WhistleScope<'_>) -> bool {
        self.within_reach(scope.raiser_path) || scope.place_path.is_some_and(|p| self.within_reach(p))
    }

    /// Whether the actor sees the whistle at all: the whole of it, or as a summoned unit.
    pub fn can_see_whistle(&self, scope: &WhistleScope<'_>) -> bool {
        self.sees_whole_whistle(scope) || scope.unit_paths.iter().any(|u| self.within_reach(u))
    }

    /// Whether the actor sees the summoned unit at `unit_path` of the whistle: all units when
    /// they see the whole whistle, otherwise only their own.
    pub fn sees_whistle_unit(&self, scope: &WhistleScope<'_>, unit_path: &str) -> bool {
        self.sees_whole_whistle(scope) || self.within_reach(unit_path)
    }

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

    /// Whether the actor sees a community's mobilisation records (party organisations and
    /// members registered there, its posts and activities): any binding covering the
    /// community, so a community sees only its own, a subdistrict its communities, the
    /// district all.
    pub fn sees_community(&self, community_path: &str) -> bool {
        self.within_reach(community_path)
    }

    /// Whether the actor may change a community's mobilisation records (confirm
    /// registrations, define posts, publish activities, confirm attendance): a community
    /// worker, subdistrict leader or admin whose binding covers the community.
    pub fn manages_community(&self, community_path: &str) -> bool {
        const ROLES: &[Role] = &[Role::Admin, Role::SubdistrictLeader, Role::CommunityWorker];
        self.bindings.iter().any(|b| ROLES.contains(&b.role) && path_within(community_path, &b.org_path))
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
    fn whistles_are_seen_by_raiser_place_and_summoned_units() {
        let scope =
            WhistleScope { raiser_path: "/1/2/", place_path: Some("/1/2/3/"), unit_paths: vec!["/1/50/", "/1/60/"] };
        let community = actor(&[(Role::CommunityWorker, "/1/2/3/")]);
        let unit = actor(&[(Role::DepartmentStaff, "/1/50/")]);
        let other = actor(&[(Role::DepartmentStaff, "/1/70/")]);
        assert!(community.can_see_whistle(&scope) && community.sees_whole_whistle(&scope));
        assert!(unit.can_see_whistle(&scope) && !unit.sees_whole_whistle(&scope));
        assert!(unit.sees_whistle_unit(&scope, "/1/50/") && !unit.sees_whistle_unit(&scope, "/1/60/"));
        assert!(!other.can_see_whistle(&scope));
        let unplaced = WhistleScope { place_path: None, ..scope };
        assert!(!community.can_see_whistle(&unplaced));
    }

    proptest::proptest! {
        /// Whoever sees a whistle sees at least one of its parts; whoever sees the whole sees
        /// every unit; a unit-only viewer sees exactly the units in their reach.
        #[test]
        fn whistle_visibility_is_consistent(
            binding in proptest::sample::select(vec!["/1/", "/1/2/", "/1/2/3/", "/1/50/", "/1/60/", "/9/"]),
            raiser in proptest::sample::select(vec!["/1/", "/1/2/", "/1/50/"]),
            place in proptest::option::of(proptest::sample::select(vec!["/1/2/3/", "/1/2/4/", "/9/1/"])),
            units in proptest::sample::subsequence(vec!["/1/50/", "/1/60/", "/1/2/7/"], 0..=3),
        ) {
            let a = actor(&[(Role::Viewer, binding)]);
            let scope = WhistleScope { raiser_path: raiser, place_path: place, unit_paths: units.clone() };
            let seen_units = units.iter().filter(|u| a.sees_whistle_unit(&scope, u)).count();
            proptest::prop_assert_eq!(a.can_see_whistle(&scope), a.sees_whole_whistle(&scope) || seen_units > 0);
            if a.sees_whole_whistle(&scope) {
                proptest::prop_assert_eq!(seen_units, units.len());
            } else {
                let reach = units.iter().filter(|u| path_within(u, binding)).count();
                proptest::prop_assert_eq!(seen_units, reach);
            }
        }
    }

    #[test]
    fn a_community_sees_and_manages_only_its_own() {
        let own = actor(&[(Role::CommunityWorker, "/1/2/3/")]);
        let sub = actor(&[(Role::SubdistrictLeader, "/1/2/")]);
        let dept = actor(&[(Role::DepartmentStaff, "/1/2/")]);
        assert!(own.sees_community("/1/2/3/") && own.manages_community("/1/2/3/"));
        assert!(!own.sees_community("/1/2/4/") && !own.manages_community("/1/2/4/"));
        assert!(sub.manages_community("/1/2/4/"));
        assert!(dept.sees_community("/1/2/4/") && !dept.manages_community("/1/2/4/"));
    }

    #[test]
    fn read_paths_drop_nested_bindings() {
        let a = actor(&[(Role::Viewer, "/1/2/"), (Role::GridWorker, "/1/2/3/"), (Role::Viewer, "/1/20/")]);
        assert_eq!(a.read_paths(), vec!["/1/2/", "/1/20/"]);
    }
}
