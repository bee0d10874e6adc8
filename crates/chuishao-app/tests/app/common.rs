//! Helpers shared by the application's integration tests.

use chuishao_app::cases::{CaseView, NewCaseInput, TransitionInput};
use chuishao_app::{App, Clock};
use chuishao_domain::ids::CaseId;
use std::sync::atomic::{AtomicI64, Ordering};

/// A clock the test moves by hand.
#[derive(Default)]
pub struct ManualClock(pub AtomicI64);

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl ManualClock {
    pub fn at(ms: i64) -> Self {
        ManualClock(AtomicI64::new(ms))
    }

    /// Sets the time from RFC 3339.
    pub fn set(&self, rfc: &str) {
        self.0.store(at(rfc), Ordering::SeqCst);
    }
}

/// RFC 3339 to milliseconds.
pub fn at(s: &str) -> i64 {
    chuishao_app::time::parse_rfc3339(s).unwrap_or_else(|| panic!("not RFC 3339: {s}"))
}

/// Organisations, categories and users of the demo district, no cases.
pub async fn district(app: &App) {
    app.admin().import_orgs(&chuishao_app::demo::demo_orgs()).await.unwrap();
    app.admin().import_catalogue(chuishao_app::admin::catalogue::DEMO_CATALOGUE).await.unwrap();
    app.ops().seed_demo_users().await.unwrap();
}

/// A normal-tier case (storm drain grate), registered and dispatched to the water authority
/// at the clock's time.
pub async fn dispatched_case(app: &App) -> CaseView {
    let integrator = app.admin().actor_for("integrator").await.unwrap();
    let dispatcher = app.admin().actor_for("dispatcher").await.unwrap();
    let input = NewCaseInput {
        category_code: Some("C0104".into()),
        description: "雨水篦子堵塞".into(),
        grid_code: Some("110199001001001".into()),
        ..NewCaseInput::default()
    };
    let case = app.cases().submit_case(&integrator, &input, None).await.unwrap().case;
    let id = CaseId(case.id);
    let step =
        |action: &str, version: i64| TransitionInput { action: action.into(), version, ..TransitionInput::default() };
    let v = app.cases().transition(&dispatcher, id, &step("register", case.version)).await.unwrap();
    let mut dispatch = step("dispatch", v.version);
    dispatch.handler_code = Some("SWJ".into());
    app.cases().transition(&dispatcher, id, &dispatch).await.unwrap()
}
