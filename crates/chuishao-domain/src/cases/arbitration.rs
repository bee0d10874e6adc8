//! Arbitration of returns (退单仲裁). A handling unit that thinks a case is not its own returns
//! it with a reason — that return is its side of the ownership dispute — and the case goes
//! back to the dispatcher (first-receiver responsibility). The dispatcher then rules: send it
//! to another unit, or insist that the unit which returned it handles it after all. Insisting
//! overrides the unit's objection, so it needs a reason that unit will read.

use crate::DomainError;
use crate::access::Actor;
use crate::cases::{Case, CaseStatus, Command, HandlerRef, decide, text};
use crate::ids::OrgId;

/// What the dispatcher decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ruling {
    /// Another unit handles the case.
    Redispatch,
    /// The unit that returned the case handles it after all.
    Insist,
}

impl Ruling {
    pub fn as_str(self) -> &'static str {
        match self {
            Ruling::Redispatch => "redispatch",
            Ruling::Insist => "insist",
        }
    }
}

/// Checks an arbitration of a case `returned_by` a unit and answers with the ruling and the
/// dispatch command that carries it out (its note records the ruling and the reason). The
/// dispatch itself is checked by [`decide`] like any other.
pub fn arbitrate(
    case: &Case,
    actor: &Actor,
    returned_by: OrgId,
    handler: &HandlerRef,
    reason: &str,
    expected_version: i64,
) -> Result<(Ruling, Command), DomainError> {
    let ruling = if handler.id == returned_by { Ruling::Insist } else { Ruling::Redispatch };
    let reason = reason.trim();
    let note = match ruling {
        Ruling::Insist => format!("仲裁：维持原承办单位 / upheld: {reason}"),
        Ruling::Redispatch if reason.is_empty() => "仲裁：改派 / reassigned".to_string(),
        Ruling::Redispatch => format!("仲裁：改派 / reassigned: {reason}"),
    };
    let cmd = Command::Dispatch { handler: handler.clone(), note: Some(note) };
    // Version, permission and state first, as for every command.
    decide(case, actor, &cmd, expected_version)?;
    if case.status != CaseStatus::Registered {
        return Err(DomainError::IllegalTransition { action: "arbitrate".into(), state: case.status.as_str().into() });
    }
    if ruling == Ruling::Insist {
        text("reason", reason)?;
    }
    Ok((ruling, cmd))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::access::{Role, RoleBinding};
    use crate::cases::{Urgency, execute};
    use crate::ids::{CaseId, UserId};
    use crate::org::OrgKind;

    fn actor(role: Role, org: i64, path: &str) -> Actor {
        Actor {
            user_id: UserId(org),
            username: format!("{role:?}"),
            bindings: vec![RoleBinding { role, org_id: OrgId(org), org_path: path.into() }],
        }
    }

    fn unit(id: i64) -> HandlerRef {
        HandlerRef { id: OrgId(id), kind: OrgKind::Department, path: format!("/{id}/") }
    }

    /// A case dispatched to unit 50 and returned by it.
    fn returned_case() -> Case {
        let disp = actor(Role::Dispatcher, 1, "/1/");
        let dept = actor(Role::DepartmentStaff, 50, "/50/");
        let mut c = Case::received(CaseId(1), Some("E0101".into()), Urgency::Normal, "/1/2/".into());
        for (who, cmd) in [
            (&disp, Command::Register { category_code: None, urgency: None }),
            (&disp, Command::Dispatch { handler: unit(50), note: None }),
            (&dept, Command::Return { reason: "不属于本部门".into() }),
        ] {
            let v = c.version;
            execute(&mut c, who, &cmd, v).unwrap();
        }
        c
    }

    #[test]
    fn insisting_on_the_returning_unit_needs_a_reason() {
        let c = returned_case();
        let disp = actor(Role::Dispatcher, 1, "/1/");
        let err = arbitrate(&c, &disp, OrgId(50), &unit(50), "  ", c.version).unwrap_err();
        assert!(matches!(err, DomainError::Invalid { field: "reason", .. }), "{err:?}");
        let (ruling, cmd) = arbitrate(&c, &disp, OrgId(50), &unit(50), "属于占道经营，归城管", c.version).unwrap();
        assert_eq!(ruling, Ruling::Insist);
        assert!(matches!(&cmd, Command::Dispatch { note: Some(n), .. } if n.contains("归城管")));
        let (ruling, _) = arbitrate(&c, &disp, OrgId(50), &unit(60), "", c.version).unwrap();
        assert_eq!(ruling, Ruling::Redispatch);
        // Only a dispatcher rules, on the current version.
        let dept = actor(Role::DepartmentStaff, 50, "/50/");
        assert!(matches!(arbitrate(&c, &dept, OrgId(50), &unit(60), "x", c.version), Err(DomainError::Forbidden(_))));
        assert!(matches!(
            arbitrate(&c, &disp, OrgId(50), &unit(60), "x", c.version - 1),
            Err(DomainError::VersionConflict { .. })
        ));
    }

    proptest::proptest! {
        /// Arbitration is a dispatch with one extra rule: it succeeds exactly when the
        /// dispatch would, and, for the returning unit, a reason is given.
        #[test]
        fn arbitration_is_a_dispatch_plus_the_reason_rule(
            to in proptest::sample::select(vec![50i64, 60, 70]),
            reason in proptest::sample::select(vec!["", " ", "理由"]),
            stale in proptest::bool::ANY,
            dispatcher in proptest::bool::ANY,
        ) {
            let c = returned_case();
            let who = if dispatcher { actor(Role::Dispatcher, 1, "/1/") } else { actor(Role::DepartmentStaff, 50, "/50/") };
            let version = if stale { c.version - 1 } else { c.version };
            let got = arbitrate(&c, &who, OrgId(50), &unit(to), reason, version);
            let plain = decide(&c, &who, &Command::Dispatch { handler: unit(to), note: None }, version);
            let expect_ok = plain.is_ok() && (to != 50 || !reason.trim().is_empty());
            proptest::prop_assert_eq!(got.is_ok(), expect_ok, "{:?}", got);
            if let Ok((_, cmd)) = got {
                let mut probe = c.clone();
                proptest::prop_assert!(execute(&mut probe, &who, &cmd, version).is_ok());
                proptest::prop_assert_eq!(probe.handler.map(|h| h.id), Some(OrgId(to)));
            }
        }
    }
}
