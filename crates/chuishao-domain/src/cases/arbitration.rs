//! Arbitration of returns (退单仲裁). A handling unit that thinks a case is not its own returns
//! it with a reason — that return is its side of the ownership dispute — and the case goes
//! back to the dispatcher (first-receiver responsibility). The dispatcher then rules: send it
//! to another unit, or insist that the unit which returned it handles it after all. Insisting
//! overrides the unit's objection, so it needs a reason that unit will read.
//!
//! The rule lives in [`decide`]'s `Dispatch`: any dispatch of a case whose return awaits a
//! ruling is that ruling, whether it comes from the console's ruling form or a plain API
//! `dispatch`; the event records the [`Ruling`] as data (the words come from the catalogue).

use crate::DomainError;
use crate::access::Actor;
use crate::cases::{Case, Command, HandlerRef, decide};
use serde::{Deserialize, Serialize};

/// What the dispatcher decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

/// Checks a ruling on a case whose return awaits one and answers with the ruling and the
/// dispatch command that carries it out (the reason is its note). A case with no return
/// awaiting a ruling is refused; everything else is [`decide`]'s, as for any dispatch.
pub fn arbitrate(
    case: &Case,
    actor: &Actor,
    handler: &HandlerRef,
    reason: &str,
    expected_version: i64,
) -> Result<(Ruling, Command), DomainError> {
    let reason = reason.trim();
    let cmd = Command::Dispatch { handler: handler.clone(), note: (!reason.is_empty()).then(|| reason.to_string()) };
    // Version, permission, state and fields first, as for every command.
    decide(case, actor, &cmd, expected_version)?;
    let ruling = case
        .ruling_for(handler)
        .ok_or_else(|| DomainError::invalid("case", "this case has no return awaiting a ruling"))?;
    Ok((ruling, cmd))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::access::{Role, RoleBinding};
    use crate::cases::{CaseEvent, Urgency, execute};
    use crate::ids::OrgId;
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
        let err = arbitrate(&c, &disp, &unit(50), "  ", c.version).unwrap_err();
        assert!(matches!(err, DomainError::Invalid { field: "reason", .. }), "{err:?}");
        let (ruling, cmd) = arbitrate(&c, &disp, &unit(50), "属于占道经营，归城管", c.version).unwrap();
        assert_eq!(ruling, Ruling::Insist);
        assert!(matches!(&cmd, Command::Dispatch { note: Some(n), .. } if n.contains("归城管")));
        let (ruling, _) = arbitrate(&c, &disp, &unit(60), "", c.version).unwrap();
        assert_eq!(ruling, Ruling::Redispatch);
        // Only a dispatcher rules, on the current version.
        let dept = actor(Role::DepartmentStaff, 50, "/50/");
        assert!(matches!(arbitrate(&c, &dept, &unit(60), "x", c.version), Err(DomainError::Forbidden(_))));
        assert!(matches!(
            arbitrate(&c, &disp, &unit(60), "x", c.version - 1),
            Err(DomainError::VersionConflict { .. })
        ));
    }

    #[test]
    fn only_a_pending_return_is_ruled_on() {
        let disp = actor(Role::Dispatcher, 1, "/1/");
        let mut c = Case::received(CaseId(1), Some("E0101".into()), Urgency::Normal, "/1/2/".into());
        execute(&mut c, &disp, &Command::Register { category_code: None, urgency: None }, 1).unwrap();
        let err = arbitrate(&c, &disp, &unit(50), "x", c.version).unwrap_err();
        assert!(matches!(err, DomainError::Invalid { field: "case", .. }), "{err:?}");
        // A plain first dispatch records no ruling.
        let events = decide(&c, &disp, &Command::Dispatch { handler: unit(50), note: None }, c.version).unwrap();
        assert!(matches!(events.as_slice(), [CaseEvent::Dispatched { ruling: None, .. }]));
        // Once ruled on, the return no longer awaits a ruling; a second return by another
        // unit is the one the next dispatch rules on.
        let mut c = returned_case();
        let v = c.version;
        execute(&mut c, &disp, &Command::Dispatch { handler: unit(60), note: None }, v).unwrap();
        assert_eq!(c.returned_by, None);
        let v = c.version;
        execute(&mut c, &actor(Role::DepartmentStaff, 60, "/60/"), &Command::Return { reason: "非本单位".into() }, v)
            .unwrap();
        assert_eq!(c.returned_by, Some(OrgId(60)));
        assert_eq!(c.ruling_for(&unit(50)), Some(Ruling::Redispatch));
    }

    proptest::proptest! {
        /// Every dispatch of a returned case is a ruling, whichever route it takes (the
        /// console's ruling form or a plain `dispatch`): to the unit that returned it only
        /// with a reason, to another unit without; the event records the ruling; and the
        /// ruling form answers exactly as the plain dispatch does.
        #[test]
        fn every_dispatch_of_a_returned_case_is_a_ruling(
            to in proptest::sample::select(vec![50i64, 60, 70]),
            note in proptest::sample::select(vec![None, Some(""), Some(" "), Some("理由")]),
            stale in proptest::bool::ANY,
            dispatcher in proptest::bool::ANY,
        ) {
            let c = returned_case();
            let who = if dispatcher { actor(Role::Dispatcher, 1, "/1/") } else { actor(Role::DepartmentStaff, 50, "/50/") };
            let version = if stale { c.version - 1 } else { c.version };
            let cmd = Command::Dispatch { handler: unit(to), note: note.map(String::from) };
            let got = decide(&c, &who, &cmd, version);
            let reason = note.map(str::trim).filter(|n| !n.is_empty());
            let expect_ok = dispatcher && !stale && (to != 50 || reason.is_some());
            proptest::prop_assert_eq!(got.is_ok(), expect_ok, "{:?}", got);
            let ruled = arbitrate(&c, &who, &unit(to), note.unwrap_or(""), version);
            proptest::prop_assert_eq!(ruled.is_ok(), expect_ok, "{:?}", ruled);
            if let Ok(events) = got {
                let ruling = if to == 50 { Ruling::Insist } else { Ruling::Redispatch };
                let want = CaseEvent::Dispatched {
                    handler_id: OrgId(to),
                    note: reason.map(String::from),
                    handler_kind: Some(OrgKind::Department),
                    handler_path: Some(format!("/{to}/")),
                    ruling: Some(ruling),
                };
                proptest::prop_assert_eq!(events, vec![want]);
                let mut probe = c.clone();
                proptest::prop_assert!(execute(&mut probe, &who, &cmd, version).is_ok());
                proptest::prop_assert_eq!(probe.handler.map(|h| h.id), Some(OrgId(to)));
                proptest::prop_assert_eq!(probe.returned_by, None);
            }
        }
    }
}
