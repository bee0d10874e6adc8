//! Deadlines through the application on a real database (SQLite, or PostgreSQL when
//! `CHUISHAO_TEST_PG_URL` is set): the shared calendar, clocks on cases, the timer worker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chuishao_app::{App, Clock};
use chuishao_store::testing::{TestDb, default_engine};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// A clock the test moves by hand.
#[derive(Default)]
struct ManualClock(AtomicI64);

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Local (+08:00) RFC 3339 to milliseconds.
fn at(s: &str) -> i64 {
    chuishao_app::time::parse_rfc3339(s).unwrap()
}

async fn test_app() -> (App, Arc<ManualClock>, TestDb) {
    let db = TestDb::new(default_engine()).await.unwrap();
    let clock = Arc::new(ManualClock::default());
    clock.0.store(at("2026-02-13T10:00:00+08:00"), Ordering::SeqCst);
    let app = App::new(db.store.clone(), clock.clone());
    app.load_calendar().await.unwrap();
    (app, clock, db)
}

#[tokio::test]
async fn imported_years_are_shared_through_the_database() {
    let (app, _clock, db) = test_app().await;
    let past_2026 = chuishao_calendar::Allowance::WorkingDays(5);
    let from = at("2026-12-30T10:00:00+08:00");
    assert_eq!(app.calendar().due(from, past_2026).map_err(|e| e.code()), Err("calendar_beyond_loaded_years"));

    let bad = "year = 2028\n";
    let err = app.import_calendar_year(bad).await.unwrap_err();
    assert_eq!(err.code(), "calendar_missing_year");
    assert!(db.store.calendar_years().await.unwrap().is_empty(), "nothing written on a refused import");

    let y2027 = "year = 2027\n[[holiday]]\nname = \"元旦\"\nfrom = \"2027-01-01\"\nto = \"2027-01-01\"\n";
    assert_eq!(app.import_calendar_year(y2027).await.unwrap(), 2027);
    assert_eq!(
        app.calendar().due(from, past_2026).map(chuishao_app::time::rfc3339),
        Ok("2027-01-07T10:00:00+08:00".into())
    );

    // Another node on the same database loads the same calendar.
    let other = App::new(db.store.clone(), Arc::new(ManualClock::default()));
    other.load_calendar().await.unwrap();
    assert_eq!(other.calendar().years().len(), 3);
    assert_eq!(other.calendar().due(from, past_2026), app.calendar().due(from, past_2026));

    // Replacing a built-in year: 2026-03-02 becomes a holiday.
    let y2026 = "year = 2026\n[[holiday]]\nname = \"x\"\nfrom = \"2026-03-02\"\nto = \"2026-03-02\"\n";
    app.import_calendar_year(y2026).await.unwrap();
    let monday = at("2026-03-02T10:00:00+08:00");
    assert_eq!(app.calendar().is_working_day(monday), Ok(false));
    db.cleanup().await;
}
