//! The demo district's community mobilisation: registered organisations and members with
//! skills, posts with holders, past activities with attendance and hours, upcoming ones with
//! sign-ups — made through the use cases, and not again on a second seeding.

use super::common::{ManualClock, at};
use chuishao_app::App;
use chuishao_app::community::{ActivityListQuery, RegistryQuery, YearQuery};
use chuishao_store::testing::{TestDb, default_engine};
use std::sync::Arc;

#[tokio::test]
async fn the_demo_has_registrations_posts_and_activities_with_attendance() {
    let db = TestDb::new(default_engine()).await.unwrap();
    let app = App::new(db.store.clone(), Arc::new(ManualClock::at(at("2026-11-29T12:00:00+08:00"))));
    let report = app.ops().seed_demo().await.unwrap();
    assert_eq!(report.community_records, 28);
    let c = app.community();
    let leader = app.admin().actor_for("subdistrict_leader").await.unwrap();
    let worker = app.admin().actor_for("community_worker").await.unwrap();

    let members = c.members(&leader, &RegistryQuery::default()).await.unwrap();
    assert_eq!(members.len(), 7);
    assert!(members.iter().any(|m| m.status == "pending"));
    assert!(members.iter().all(|m| !m.skills.is_empty()));
    // A community worker sees only their own community's.
    let own = c.members(&worker, &RegistryQuery::default()).await.unwrap();
    assert_eq!(own.len(), 5);
    assert!(own.iter().all(|m| m.community_code == "110199001001"));

    let all = c.activities(&leader, &ActivityListQuery::default()).await.unwrap();
    assert_eq!(all.iter().filter(|a| a.status == "closed").count(), 3);
    assert_eq!(all.iter().filter(|a| a.status == "published").count(), 2);
    let mut statuses = std::collections::BTreeSet::new();
    for a in &all {
        let full = c.activity(&leader, a.id).await.unwrap();
        assert!(!full.attendances.is_empty(), "{}: nobody signed up", full.title);
        statuses.extend(full.attendances.iter().map(|x| x.status.clone()));
    }
    assert_eq!(statuses, ["confirmed", "no_show", "signed_up"].map(String::from).into());
    let public = c.public_activities(None).await.unwrap();
    assert_eq!(public.len(), 2, "the upcoming ones");

    // The hospital's members served: a yearly count against its commitment.
    let orgs = c.party_orgs(&leader, &RegistryQuery::default()).await.unwrap();
    let hospital = orgs.iter().find(|o| o.unit_name == "区人民医院").unwrap();
    let year = c.party_org_year(&leader, hospital.id, &YearQuery { year: Some(2026) }).await.unwrap();
    assert!(year.services >= 2 && year.half_hours > 0 && !year.met, "{year:?}");
    assert_eq!(year.remaining, 12 - year.services);

    assert_eq!(app.ops().seed_demo().await.unwrap().community_records, 0);
    db.cleanup().await;
}
