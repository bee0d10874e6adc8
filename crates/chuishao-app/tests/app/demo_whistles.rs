//! The demo district's whistles: every state, and scorecards for the last three months.

use super::common::{ManualClock, at};
use chuishao_app::App;
use chuishao_store::testing::{TestDb, default_engine};
use std::collections::BTreeSet;
use std::sync::Arc;

#[tokio::test]
async fn the_demo_has_whistles_in_every_state_and_three_months_of_scorecards() {
    let db = TestDb::new(default_engine()).await.unwrap();
    let app = App::new(db.store.clone(), Arc::new(ManualClock::at(at("2026-11-29T12:00:00+08:00"))));
    let report = app.ops().seed_demo().await.unwrap();
    assert_eq!(report.whistles_created, 17);
    let admin = app.admin().actor_for("admin").await.unwrap();
    let all = app.whistles().list_whistles(&admin, None).await.unwrap();
    assert_eq!(all.len(), 17);

    let whistle_states: BTreeSet<&str> = all.iter().map(|w| w.status.as_str()).collect();
    assert_eq!(whistle_states, BTreeSet::from(["cancelled", "closed", "open"]));
    let units: Vec<_> = all.iter().filter(|w| w.status != "cancelled").flat_map(|w| &w.units).collect();
    let unit_states: BTreeSet<&str> = units.iter().map(|u| u.status.as_str()).collect();
    assert_eq!(unit_states, BTreeSet::from(["acknowledged", "checked_in", "done", "replied", "summoned"]));
    // Done but not yet confirmed, confirmed without ratings, and rated.
    assert!(all.iter().any(|w| w.status == "open" && w.units.iter().all(|u| u.status == "done")));
    assert!(all.iter().any(|w| w.status == "closed" && w.units.iter().all(|u| u.rating.is_none())));
    assert!(all.iter().any(|w| w.status == "closed" && w.units.iter().all(|u| u.rating.is_some())));
    // One overdue (supervised), late check-ins.
    let overdue: Vec<_> = units.iter().filter(|u| u.overdue).collect();
    assert_eq!(overdue.len(), 2, "both units of the emergency nobody answered");
    assert!(overdue.iter().all(|u| u.supervisions >= 1 && u.checked_in_at.is_none()));
    let late: Vec<_> =
        units.iter().filter(|u| u.late).map(|u| (&u.unit_code, u.minutes_late, &u.due_at, &u.checked_in_at)).collect();
    assert!(late.iter().all(|u| u.1 == 40), "{late:?}");
    assert_eq!(units.iter().filter(|u| u.late).count(), 3);

    for month in ["2026-09", "2026-10", "2026-11"] {
        let page = app.whistles().scorecards(&admin, month).await.unwrap();
        let received: i64 = page.departments.iter().map(|d| d.whistles_received).sum();
        assert!(received >= 4, "{month}: {received}");
        assert!(page.departments.iter().any(|d| d.mean_rating.is_some()), "{month}: no ratings");
        assert!(
            page.departments.iter().any(|d| d.on_time_check_in_rate.is_some_and(|r| r < 1.0)),
            "{month}: none late"
        );
    }

    // Seeding again adds nothing.
    assert_eq!(app.ops().seed_demo().await.unwrap().whistles_created, 0);
    assert_eq!(app.whistles().list_whistles(&admin, None).await.unwrap().len(), 17);
    db.cleanup().await;
}
