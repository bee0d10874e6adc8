//! The store conformance suite: every check runs on SQLite, and on PostgreSQL when
//! `CHUISHAO_TEST_PG_URL` is set (CI sets it). Without it the PostgreSQL variants are reported
//! as ignored — not passed — so a developer without PostgreSQL can still run the suite and
//! see what it did not check.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chuishao_domain::access::Role;
use chuishao_domain::cases::{Case, CaseStatus, HandlerRef, Urgency};
use chuishao_domain::ids::CaseId;
use chuishao_domain::org::{NewOrgNode, OrgKind, OrgNode};
use chuishao_store::testing::{TestDb, pg_url};
use chuishao_store::{CaseFilter, Engine, IntakeRecord, NewCaseRow, NewEvent, StoreError};

#[path = "store/residents.rs"]
mod residents;
use residents::*;

#[path = "store/console.rs"]
mod console;
use console::*;

/// A check both engines must pass, given a fresh migrated database.
type Check = for<'a> fn(&'a TestDb) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>>;

/// Declares conformance checks (`async fn name(db: &TestDb)` in scope): `trials()` in the
/// calling module lists each as `sqlite::name` and `postgres::name`.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        $(
            /// Boxes the check's future, so all checks share one function type.
            #[allow(non_snake_case, dead_code)]
            mod $name {
                pub(super) fn boxed<'a>(
                    db: &'a super::TestDb,
                ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>> {
                    Box::pin(super::$name(db))
                }
            }
        )*

        /// This module's checks on both engines.
        pub(crate) fn trials() -> Vec<libtest_mimic::Trial> {
            let prefix = module_path!().split_once("::").map(|(_, m)| format!("{m}::")).unwrap_or_default();
            let mut out = Vec::new();
            $( out.extend(crate::on_both_engines(&prefix, stringify!($name), $name::boxed)); )*
            out
        }
    };
}

/// `check` as two trials: on SQLite, and on PostgreSQL — reported as ignored (not passed)
/// when `CHUISHAO_TEST_PG_URL` is not set.
fn on_both_engines(prefix: &str, name: &str, check: Check) -> [libtest_mimic::Trial; 2] {
    let run = move |engine: Engine| {
        move || {
            block_on(async move {
                let db = TestDb::new(engine).await.unwrap();
                check(&db).await;
                db.cleanup().await;
            })
        }
    };
    [
        libtest_mimic::Trial::test(format!("{prefix}sqlite::{name}"), run(Engine::Sqlite)),
        libtest_mimic::Trial::test(format!("{prefix}postgres::{name}"), run(Engine::Postgres))
            .with_ignored_flag(pg_url().is_none()),
    ]
}

/// Runs a test's future on a runtime of its own (as `#[tokio::test]` does).
fn block_on(f: impl std::future::Future<Output = ()>) -> Result<(), libtest_mimic::Failed> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(f);
    Ok(())
}

/// The suite runs under `libtest-mimic` (`harness = false`), so a PostgreSQL variant without a
/// database is counted as ignored rather than passed.
fn main() {
    let args = libtest_mimic::Arguments::from_args();
    if pg_url().is_none() {
        eprintln!("CHUISHAO_TEST_PG_URL not set: the PostgreSQL variants are reported as ignored");
    }
    let mut all = trials();
    all.extend(geo::trials());
    for (engine, name) in [(Engine::Sqlite, "sqlite"), (Engine::Postgres, "postgres")] {
        all.push(
            libtest_mimic::Trial::test(format!("{name}::whistle_case_lists_move_into_links"), move || {
                block_on(whistle_case_lists_move_into_links(engine))
            })
            .with_ignored_flag(engine == Engine::Postgres && pg_url().is_none()),
        );
    }
    all.push(
        libtest_mimic::Trial::test("sqlite_and_postgres_schemas_match", || {
            block_on(sqlite_and_postgres_schemas_match())
        })
        .with_ignored_flag(pg_url().is_none()),
    );
    libtest_mimic::run(&args, all).exit();
}

#[path = "store_geo/mod.rs"]
mod geo;

conformance!(
    migrations_are_idempotent,
    org_tree_paths_and_unique_codes,
    case_updates_are_version_checked,
    dropped_transactions_leave_nothing,
    audit_chain_detects_tampering,
    audit_chain_detects_removal_at_the_end,
    list_is_scoped_by_place_or_handler,
    intake_batches_are_all_or_nothing,
    role_bindings_and_tokens,
    residents_listing_extras_and_feeds,
    a_commit_on_one_store_wakes_listeners_of_another,
    staff_sessions_expire_and_revoke,
    login_throttle_counts_per_name,
    every_table_is_copied_or_named_as_left_behind,
);

/// `migrate-data` and `restore` copy tables they find in the schema. This fails when a
/// migration adds a table the copy would not carry (a name in `NOT_COPIED` that is no table),
/// or seeds rows the copy does not know to replace (add the table to `SEEDED`).
async fn every_table_is_copied_or_named_as_left_behind(db: &TestDb) {
    let tables = db.store.table_names().await.unwrap();
    for (t, why) in chuishao_store::NOT_COPIED {
        assert!(tables.iter().any(|n| n == t), "NOT_COPIED names {t} ({why}), which is no table");
    }
    let seeded: Vec<String> = db.store.nonempty_tables().await.unwrap().into_iter().map(|(t, _)| t).collect();
    assert_eq!(seeded, chuishao_store::SEEDED, "tables a fresh migration fills");
    // A fresh database into another: every table but those named is in the copy's report.
    let other = TestDb::new(db.store.engine()).await.unwrap();
    let report = db.store.copy_into(&other.store, &|_, _| {}).await.unwrap();
    let copied: Vec<&str> = report.tables.iter().map(|(t, _)| t.as_str()).collect();
    for t in &tables {
        let left = chuishao_store::NOT_COPIED.iter().any(|(n, _)| n == t);
        assert!(copied.contains(&t.as_str()) != left, "{t} must be either copied or named in NOT_COPIED");
    }
    // The copy refuses a target with data and changes nothing there.
    let err = db.store.copy_into(&other.store, &|_, _| {}).await;
    assert!(err.is_ok(), "only state rows so far: {err:?}");
    other
        .exec("insert into login_throttle (username, failures, blocked_until, updated_at) values ('x', 1, 0, 0)")
        .await
        .unwrap();
    assert!(matches!(db.store.copy_into(&other.store, &|_, _| {}).await, Err(StoreError::NotEmpty(_))));
    other.cleanup().await;
}

fn org(code: &str, kind: OrgKind, parent: Option<&str>) -> NewOrgNode {
    NewOrgNode {
        code: code.into(),
        kind,
        name_zh: format!("节点{code}"),
        name_en: format!("Node {code}"),
        parent_code: parent.map(String::from),
        households: Some(300),
        population: None,
        stationed_in_code: None,
        geometry: None,
    }
}

/// district 110199 → subdistrict 110199001 → community 110199001001 → grid …001, department
/// CGW → stationed unit CGW-HP, and a second subdistrict 110199002, in that order.
async fn tree(db: &TestDb) -> Vec<OrgNode> {
    let mut tx = db.store.begin().await.unwrap();
    let mut out: Vec<OrgNode> = Vec::new();
    for (n, parent_idx) in [
        (org("110199", OrgKind::District, None), None),
        (org("110199001", OrgKind::Subdistrict, Some("110199")), Some(0)),
        (org("110199001001", OrgKind::Community, Some("110199001")), Some(1)),
        (org("110199001001001", OrgKind::Grid, Some("110199001001")), Some(2)),
        (org("CGW", OrgKind::Department, Some("110199")), Some(0)),
        (org("CGW-HP", OrgKind::StationedUnit, Some("CGW")), Some(4)),
        (org("110199002", OrgKind::Subdistrict, Some("110199")), Some(0)),
    ] {
        let parent = parent_idx.map(|i: usize| out[i].clone());
        let node = tx.insert_org(&n, parent.as_ref(), None, 1).await.unwrap();
        out.push(node);
    }
    tx.commit().await.unwrap();
    out
}

fn new_case(code: &str, path: &str, grid: Option<i64>) -> NewCaseRow {
    NewCaseRow {
        tracking_code: code.into(),
        source: "api".into(),
        category_code: None,
        urgency: "normal".into(),
        description: "井盖缺失".into(),
        lat: Some(39.9),
        lon: Some(116.4),
        address: None,
        location_path: path.into(),
        subdistrict_id: None,
        community_id: None,
        grid_id: grid,
        created_by: None,
        created_at: 1_000,
    }
}

async fn migrations_are_idempotent(db: &TestDb) {
    assert_eq!(db.store.migrate(5).await.unwrap(), 0);
    assert_eq!(db.store.schema_version().await.unwrap(), chuishao_store::latest_schema_version());
}

async fn org_tree_paths_and_unique_codes(db: &TestDb) {
    let t = tree(db).await;
    assert_eq!(t[0].path, format!("/{}/", t[0].id));
    assert_eq!(t[3].path, format!("/{}/{}/{}/{}/", t[0].id, t[1].id, t[2].id, t[3].id));
    assert_eq!(t[5].parent_id, Some(t[4].id));
    let lineage = db.store.org_lineage(t[3].id).await.unwrap();
    assert_eq!(
        lineage.iter().map(|n| n.code.as_str()).collect::<Vec<_>>(),
        ["110199", "110199001", "110199001001", "110199001001001"]
    );
    assert_eq!(db.store.list_orgs(Some(OrgKind::Grid)).await.unwrap().len(), 1);
    let mut tx = db.store.begin().await.unwrap();
    let dup = tx.insert_org(&org("CGW", OrgKind::Department, Some("110199")), Some(&t[0]), None, 2).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    drop(tx);
    assert_eq!(db.store.count_orgs().await.unwrap(), 7);
}

async fn case_updates_are_version_checked(db: &TestDb) {
    let t = tree(db).await;
    let mut tx = db.store.begin().await.unwrap();
    let id = tx.insert_case(&new_case("ABCDEFGHJK", &t[3].path, Some(t[3].id.0))).await.unwrap();
    tx.commit().await.unwrap();
    let row = db.store.case_by_id(id).await.unwrap().unwrap();
    let mut case = row.to_domain().unwrap();
    assert_eq!((case.status, case.version), (CaseStatus::Received, 1));
    case.status = CaseStatus::Dispatched;
    case.handler = Some(HandlerRef { id: t[5].id, kind: OrgKind::StationedUnit, path: t[5].path.clone() });
    case.version = 2;
    let mut tx = db.store.begin().await.unwrap();
    assert!(!tx.update_case_state(&case, 7, 2_000).await.unwrap(), "a stale version must not write");
    assert!(tx.update_case_state(&case, 1, 2_000).await.unwrap());
    tx.commit().await.unwrap();
    let back = db.store.case_by_id(id).await.unwrap().unwrap();
    assert_eq!(back.to_domain().unwrap(), case);
    assert_eq!(back.updated_at, 2_000);
    // A duplicate tracking code is a conflict, not a crash.
    let mut tx = db.store.begin().await.unwrap();
    let dup = tx.insert_case(&new_case("ABCDEFGHJK", &t[3].path, None)).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))));
}

async fn dropped_transactions_leave_nothing(db: &TestDb) {
    let t = tree(db).await;
    {
        let mut tx = db.store.begin().await.unwrap();
        tx.insert_case(&new_case("ZZZZZZZZZZ", &t[3].path, None)).await.unwrap();
        tx.append_events(&[NewEvent {
            stream: "case",
            stream_id: 1,
            stream_version: 1,
            kind: "received",
            payload: "{}".into(),
            actor_id: None,
            created_at: 1,
        }])
        .await
        .unwrap();
        // dropped without commit
    }
    assert!(db.store.case_by_tracking_code("ZZZZZZZZZZ").await.unwrap().is_none());
    let report = db.store.verify_chain().await.unwrap();
    assert_eq!((report.events_checked, report.first_break), (0, None));
    // The writer is free again.
    let mut tx = db.store.begin().await.unwrap();
    tx.insert_case(&new_case("YYYYYYYYYY", &t[3].path, None)).await.unwrap();
    tx.commit().await.unwrap();
}

async fn append(db: &TestDb, n: i64) {
    let mut tx = db.store.begin().await.unwrap();
    let events: Vec<NewEvent<'_>> = (1..=n)
        .map(|i| NewEvent {
            stream: "case",
            stream_id: 1 + i % 3,
            stream_version: i,
            kind: "supervised",
            payload: format!("{{\"note\":\"第{i}次督办\"}}"),
            actor_id: Some(i),
            created_at: 1_000 + i,
        })
        .collect();
    let seqs = tx.append_events(&events).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(seqs.len() as i64, n);
}

async fn audit_chain_detects_tampering(db: &TestDb) {
    append(db, 5).await;
    append(db, 3).await;
    let ok = db.store.verify_chain().await.unwrap();
    assert_eq!((ok.events_checked, ok.first_break.clone()), (8, None));
    let events = db.store.stream_events("case", 2).await.unwrap();
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
    db.exec("update events set payload = '{\"note\":\"改过了\"}' where seq = 4").await.unwrap();
    let broken = db.store.verify_chain().await.unwrap();
    assert_eq!(broken.first_break.as_ref().map(|b| b.0), Some(4), "{broken:?}");
    assert_eq!(broken.events_checked, 3);
}

async fn audit_chain_detects_removal_at_the_end(db: &TestDb) {
    append(db, 4).await;
    assert_eq!(db.store.verify_chain().await.unwrap().first_break, None);
    db.exec("delete from events where seq = 4").await.unwrap();
    let broken = db.store.verify_chain().await.unwrap();
    assert!(broken.first_break.is_some(), "{broken:?}");
}

async fn list_is_scoped_by_place_or_handler(db: &TestDb) {
    let t = tree(db).await;
    let (grid, dept, stationed, other_sub) = (&t[3], &t[4], &t[5], &t[6]);
    let mut tx = db.store.begin().await.unwrap();
    let in_grid = tx.insert_case(&new_case("AAAAAAAAAA", &grid.path, Some(grid.id.0))).await.unwrap();
    let elsewhere = tx.insert_case(&new_case("BBBBBBBBBB", &other_sub.path, None)).await.unwrap();
    tx.commit().await.unwrap();
    // Dispatch the second case to CGW's stationed unit.
    let mut c = Case::received(elsewhere, None, Urgency::Normal, other_sub.path.clone());
    c.status = CaseStatus::Dispatched;
    c.handler = Some(HandlerRef { id: stationed.id, kind: OrgKind::StationedUnit, path: stationed.path.clone() });
    c.version = 2;
    let mut tx = db.store.begin().await.unwrap();
    assert!(tx.update_case_state(&c, 1, 5).await.unwrap());
    tx.commit().await.unwrap();

    let ids = |f: CaseFilter| async move {
        db.store.list_cases(&f).await.unwrap().into_iter().map(|r| CaseId(r.id)).collect::<Vec<_>>()
    };
    let scoped = |p: &str| CaseFilter { scope_paths: vec![p.to_string()], limit: 50, ..CaseFilter::default() };
    assert_eq!(ids(scoped(&t[0].path)).await, vec![elsewhere, in_grid], "district sees all, newest first");
    assert_eq!(ids(scoped(&grid.path)).await, vec![in_grid]);
    assert_eq!(ids(scoped(&t[1].path)).await, vec![in_grid], "the subdistrict sees its grid's case");
    assert_eq!(ids(scoped(&dept.path)).await, vec![elsewhere], "a department sees what its unit handles");
    assert_eq!(ids(CaseFilter { limit: 50, ..CaseFilter::default() }).await, Vec::<CaseId>::new(), "no scope, nothing");
    let f = CaseFilter { statuses: vec!["dispatched".into()], ..scoped(&t[0].path) };
    assert_eq!(ids(f).await, vec![elsewhere]);
    let f = CaseFilter { before_id: Some(elsewhere.0), ..scoped(&t[0].path) };
    assert_eq!(ids(f).await, vec![in_grid]);
    let f = CaseFilter { grid_id: Some(grid.id.0), limit: 1, ..scoped(&t[0].path) };
    assert_eq!(ids(f).await, vec![in_grid]);
    let f = CaseFilter { created_from: Some(1_001), ..scoped(&t[0].path) };
    assert_eq!(ids(f).await, Vec::<CaseId>::new());
}

fn record(code: &str, path: &str, key: Option<&str>, actor: i64) -> IntakeRecord {
    IntakeRecord {
        row: new_case(code, path, None),
        reporter_name: Some("张三".into()),
        reporter_phone: Some("13812341234".into()),
        reporter_key_id: None,
        event_kind: "received",
        event_payload: "{}".into(),
        actor_id: Some(actor),
        idempotency: key.map(|k| (k.to_string(), format!("hash-of-{code}"))),
    }
}

async fn intake_batches_are_all_or_nothing(db: &TestDb) {
    let t = tree(db).await;
    let mut tx = db.store.begin().await.unwrap();
    let u = tx.insert_user("integrator", "系统", 1).await.unwrap();
    tx.commit().await.unwrap();
    let p = &t[3].path;
    let ids = db
        .store
        .insert_intake_batch(&[record("AAAAAAAAA1", p, Some("k-1"), u.0), record("AAAAAAAAA2", p, None, u.0)])
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(db.store.idempotent_case(u.0, "k-1").await.unwrap(), Some(("hash-of-AAAAAAAAA1".to_string(), ids[0])));
    assert_eq!(db.store.idempotent_case(u.0, "k-2").await.unwrap(), None);
    assert_eq!(db.store.reporter(ids[1]).await.unwrap(), Some((Some("张三".into()), Some("13812341234".into()))));
    assert_eq!(db.store.stream_events("case", ids[1].0).await.unwrap().len(), 1);
    // A reused key (or tracking code) anywhere in a batch refuses the whole batch.
    for bad in [
        vec![record("BBBBBBBBB1", p, None, u.0), record("BBBBBBBBB2", p, Some("k-1"), u.0)],
        vec![record("BBBBBBBBB1", p, None, u.0), record("AAAAAAAAA2", p, None, u.0)],
    ] {
        let r = db.store.insert_intake_batch(&bad).await;
        assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
        assert!(db.store.case_by_tracking_code("BBBBBBBBB1").await.unwrap().is_none());
    }
    let report = db.store.verify_chain().await.unwrap();
    assert_eq!((report.events_checked, report.first_break), (2, None));
}

async fn role_bindings_and_tokens(db: &TestDb) {
    let t = tree(db).await;
    let mut tx = db.store.begin().await.unwrap();
    let u = tx.insert_user("dispatcher", "调度员", 1).await.unwrap();
    assert!(tx.grant_role(u, Role::Dispatcher, t[0].id, 1).await.unwrap());
    assert!(!tx.grant_role(u, Role::Dispatcher, t[0].id, 1).await.unwrap(), "granting twice is a no-op");
    tx.insert_token(u, "hash-of-token", "cli", 1).await.unwrap();
    drop(tx);
    // Dropped: nothing of it exists.
    assert!(db.store.token_owner("hash-of-token").await.unwrap().is_none());
    let mut tx = db.store.begin().await.unwrap();
    let u = tx.insert_user("dispatcher", "调度员", 1).await.unwrap();
    tx.grant_role(u, Role::Dispatcher, t[0].id, 1).await.unwrap();
    tx.grant_role(u, Role::Viewer, t[3].id, 1).await.unwrap();
    tx.insert_token(u, "hash-of-token", "cli", 1).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.store.begin().await.unwrap();
    assert!(matches!(tx.insert_user("dispatcher", "again", 1).await, Err(StoreError::Conflict(_))));
    drop(tx);
    let owner = db.store.token_owner("hash-of-token").await.unwrap().unwrap();
    assert_eq!(owner.username, "dispatcher");
    assert_eq!(owner.bindings.len(), 2);
    assert_eq!((owner.bindings[0].role, owner.bindings[0].org_path.as_str()), (Role::Dispatcher, t[0].path.as_str()));
    db.exec("update api_tokens set revoked_at = 5").await.unwrap();
    assert!(db.store.token_owner("hash-of-token").await.unwrap().is_none(), "revoked tokens do not authenticate");
}

/// Both engines, migrated, have the same tables, columns and nullability (PostgreSQL only:
/// ignored without it).
async fn sqlite_and_postgres_schemas_match() {
    let lite = TestDb::new(Engine::Sqlite).await.unwrap();
    let pg = TestDb::new(Engine::Postgres).await.unwrap();
    let a = lite.store.schema_summary().await.unwrap();
    let b = pg.store.schema_summary().await.unwrap();
    assert!(a.len() > 50, "{a:?}");
    let only_lite: Vec<_> = a.iter().filter(|x| !b.contains(x)).collect();
    let only_pg: Vec<_> = b.iter().filter(|x| !a.contains(x)).collect();
    assert!(
        only_lite.is_empty() && only_pg.is_empty(),
        "only in SQLite: {only_lite:?}\nonly in PostgreSQL: {only_pg:?}"
    );
    lite.cleanup().await;
    pg.cleanup().await;
}

/// Migration 14 turns each whistle's comma-separated case list into link rows, in order,
/// dropping ids of cases that do not exist, and the case's whistles are found through them.
async fn whistle_case_lists_move_into_links(engine: Engine) {
    let db = TestDb::unmigrated(engine).await.unwrap();
    db.store.migrate_up_to(13, 0).await.unwrap();
    db.exec("insert into org_nodes (id, code, kind, name_zh, name_en, path, created_at) values (1, '110199', 'district', '区', 'District', '/1/', 0)")
        .await
        .unwrap();
    for id in [1, 2, 3] {
        db.exec(&format!(
            "insert into cases (id, tracking_code, source, urgency, status, description, location_path, parked,
                 extension_days, supervision_count, reopen_count, duplicate_count, version, created_at, updated_at)
             values ({id}, 'T{id}', 'web', 'normal', 'received', 'x', '/1/', false, 0, 0, 0, 0, 1, 0, 0)"
        ))
        .await
        .unwrap();
    }
    for (id, list) in [(1, "3,1,999"), (2, ""), (3, "2")] {
        db.exec(&format!(
            "insert into whistles (id, kind, status, raised_by_org_id, raised_by_path, title, description, address,
                 lat, lon, case_ids, state, version, raised_at, updated_at, place_path)
             values ({id}, 'routine', 'open', 1, '/1/', 't', '', 'a', 0, 0, '{list}', '{{}}', 1, 0, 0, '/1/')"
        ))
        .await
        .unwrap();
    }
    db.store.migrate(0).await.unwrap();
    assert_eq!(db.store.whistle_case_ids(1).await.unwrap(), vec![3, 1], "in order, unknown ids dropped");
    assert_eq!(db.store.whistle_case_ids(2).await.unwrap(), Vec::<i64>::new());
    assert_eq!(db.store.whistle_case_ids(3).await.unwrap(), vec![2]);
    let of = |rows: Vec<(i64, String, String)>| rows.into_iter().map(|(id, _, _)| id).collect::<Vec<_>>();
    assert_eq!(of(db.store.whistles_for_case(1).await.unwrap()), vec![1]);
    assert_eq!(of(db.store.whistles_for_case(2).await.unwrap()), vec![3]);
    assert_eq!(of(db.store.whistles_for_case(999).await.unwrap()), Vec::<i64>::new());
    db.cleanup().await;
}
