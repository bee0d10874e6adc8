//! Street people and patrols through the API: assigning chiefs, stewards and councils,
//! patrolling (track, checklist, problems as cases, finish), patrol history and the
//! unpatrolled flag.

use super::*;
use chuishao_domain::access::Role;

/// An east–west demo street and a north–south alley of 樱花园社区.
const STREET: &str = "110199001001-J01";
const ALLEY: &str = "110199001001-X01";
const COMMUNITY: &str = "110199001001";

impl TestApp {
    async fn put(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let res = self.client.put(self.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn street_json(&self, code: &str) -> Value {
        let (s, v) = self.get(&self.admin, &format!("/api/v1/geo/streets/{code}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    async fn patrol_json(&self, id: &Value) -> Value {
        let (s, v) = self.get(&self.admin, &format!("/api/v1/patrols/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    fn at(&self, minutes_ago: i64) -> String {
        chuishao_app::time::rfc3339(self.clock.now_ms() - minutes_ago * 60_000)
    }

    async fn user(&self, username: &str, role: Role, org: &str) -> String {
        self.app.admin().create_user(username, username, &[(role, org)]).await.unwrap();
        self.token(username).await
    }
}

/// The API test app with the demo streets.
async fn spawn_with_streets() -> TestApp {
    let t = spawn_app().await;
    assert_eq!(t.app.grids().seed_demo_streets().await.unwrap(), 28);
    t
}

fn usernames(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|p| p["username"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn street_people_are_set_by_admin_or_the_areas_dispatcher_and_checked() {
    let t = spawn_with_streets().await;
    t.user("steward_1", Role::Viewer, COMMUNITY).await;
    let people = json!({"chiefs": ["street_chief"], "stewards": ["steward_1", "community_worker"],
                        "council": {"chief": "street_chief", "secretary": "steward_1", "members": ["community_worker"]}});
    let (s, v) = t.put(&t.admin, &format!("/api/v1/geo/streets/{STREET}/people"), people.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(usernames(&v["chiefs"]), ["street_chief"]);
    assert_eq!(usernames(&v["stewards"]), ["steward_1", "community_worker"]);
    assert_eq!(v["council"]["chief"]["username"], "street_chief");
    assert_eq!(v["council"]["secretary"]["username"], "steward_1");
    assert_eq!(usernames(&v["council"]["members"]), ["community_worker"]);
    assert_eq!(v["community"]["code"], COMMUNITY);
    assert_eq!(t.street_json(STREET).await, v);

    // The subdistrict's dispatcher may replace them; a grid worker may not.
    let heping = t.token("dispatcher_heping").await;
    let (s, v) =
        t.put(&heping, &format!("/api/v1/geo/streets/{ALLEY}/people"), json!({"stewards": ["steward_1"]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["council"].is_null());
    let before = t.street_json(STREET).await;
    let grid_worker = t.token("grid_worker").await;
    let res = t.put(&grid_worker, &format!("/api/v1/geo/streets/{STREET}/people"), json!({})).await;
    assert_err(&res, StatusCode::FORBIDDEN, "forbidden");

    // Bad input: every problem at once, nothing written.
    let bad = json!({"chiefs": ["community_worker", "nobody"], "stewards": ["steward_1", "steward_1"],
                     "council": {"chief": "street_chief", "members": []}});
    let res = t.put(&t.admin, &format!("/api/v1/geo/streets/{STREET}/people"), bad).await;
    for field in ["chiefs", "stewards", "council.chief"] {
        assert_invalid(&res, field);
    }
    let msgs = res.1["error"]["details"].to_string();
    assert!(msgs.contains("no active user nobody") && msgs.contains("street_chief role"), "{msgs}");
    assert_eq!(t.street_json(STREET).await, before);
    let res = t.put(&t.admin, &format!("/api/v1/geo/streets/{STREET}/people"), json!({"chief": []})).await;
    assert_eq!(res.0, StatusCode::UNPROCESSABLE_ENTITY, "unknown field: {}", res.1);
    assert_eq!(t.street_json(STREET).await, before);
    let res = t.put(&t.admin, "/api/v1/geo/streets/NOPE/people", json!({})).await;
    assert_err(&res, StatusCode::NOT_FOUND, "not_found");

    // The streets of a community with their people.
    let (s, v) = t.get(&grid_worker, &format!("/api/v1/geo/streets?org={COMMUNITY}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let codes: Vec<&str> = v["streets"].as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap()).collect();
    assert_eq!(codes, [STREET, ALLEY]);
    assert_eq!(v["streets"][0], before);
    assert_eq!(usernames(&v["streets"][1]["stewards"]), ["steward_1"]);
    // Outside one's roles: not found.
    let donghu = t.user("gw_donghu", Role::GridWorker, GRID_DONGHU).await;
    assert_err(&t.get(&donghu, &format!("/api/v1/geo/streets/{STREET}")).await, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_patrol_records_its_track_ticks_the_checklist_reports_problems_and_finishes() {
    let t = spawn_with_streets().await;
    let gw = t.token("grid_worker").await;
    let (s, p) = t.post(&gw, "/api/v1/patrols", json!({"street_code": STREET})).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["status"], "ongoing");
    assert_eq!(p["patroller"]["username"], "grid_worker");
    assert_eq!(p["checklist"].as_array().unwrap().len(), 20, "the shipped 十有十无 list");
    assert_eq!(p["checklist"][0]["ok"], Value::Null);
    let id = p["id"].clone();
    let path = |tail: &str| format!("/api/v1/patrols/{id}/{tail}");
    // One patrol at a time.
    assert_err(
        &t.post(&gw, "/api/v1/patrols", json!({"street_code": ALLEY})).await,
        StatusCode::CONFLICT,
        "illegal_transition",
    );

    t.clock.advance_hours(1);
    let pts = json!({"points": [{"at": t.at(50), "lat": 39.9741, "lon": 116.3955},
                                {"at": t.at(40), "lat": IN_GRID_LAT, "lon": IN_GRID_LON}]});
    let (s, v) = t.post(&gw, &path("track"), pts).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["point_count"], 2);
    assert_eq!(v["track"].as_array().unwrap().len(), 2);

    // Bad points: nothing written.
    let before = t.patrol_json(&id).await;
    let many: Vec<Value> = (0..501).map(|_| json!({"at": t.at(1), "lat": 39.97, "lon": 116.39})).collect();
    for body in [
        json!({"points": [{"at": t.at(45), "lat": 39.97, "lon": 116.39}]}), // before the last point
        json!({"points": [{"at": t.at(120), "lat": 39.97, "lon": 116.39}]}), // before the start
        json!({"points": [{"at": t.at(-10), "lat": 39.97, "lon": 116.39}]}), // in the future
        json!({"points": [{"at": t.at(1), "lat": 91.0, "lon": 116.39}]}),
        json!({"points": [{"at": "yesterday", "lat": 39.97, "lon": 116.39}]}),
        json!({"points": []}),
        json!({"points": many}),
    ] {
        let res = t.post(&gw, &path("track"), body).await;
        assert_invalid(&res, "points");
    }
    // Only the patroller acts on the patrol.
    let chief = t.token("street_chief").await;
    let res = t.post(&chief, &path("track"), json!({"points": [{"at": t.at(1), "lat": 39.97, "lon": 116.39}]})).await;
    assert_err(&res, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(t.patrol_json(&id).await, before);

    // The checklist.
    let (s, v) = t.post(&gw, &path("checklist"), json!({"ticks": {"lighting": true, "no_litter": true}})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["checked_count"].as_i64(), v["problem_count"].as_i64()), (Some(2), Some(0)));
    assert_invalid(&t.post(&gw, &path("checklist"), json!({"ticks": {"unicorns": true}})).await, "ticks");

    // A problem becomes a case: source patrol, the patroller as finder, at the last point.
    let (s, case) = t
        .post(
            &gw,
            &path("problems"),
            json!({"description": "巷口暴露垃圾", "category_code": "E0101", "item": "no_litter"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{case}");
    assert_eq!(case["source"], "patrol");
    assert_eq!(case["grid"]["code"], GRID);
    let (_, events) = t.admin_view(&case).await;
    let gw_id = t.store.user_by_username("grid_worker").await.unwrap().unwrap().id;
    assert_eq!(events[0]["actor_id"], gw_id);
    let v = t.patrol_json(&id).await;
    assert_eq!(v["findings"][0]["case_id"], case["id"]);
    assert_eq!(v["problem_count"], 1, "no_litter ticked as a problem");
    assert_invalid(&t.post(&gw, &path("problems"), json!({"description": "x", "item": "nope"})).await, "item");

    // Finish: an event in the chain; afterwards the patrol is closed to changes.
    let (s, v) = t.post(&gw, &path("finish"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "finished");
    assert!(v["finished_at"].is_string());
    let kinds: Vec<String> =
        t.store.stream_events("patrol", id.as_i64().unwrap()).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["started", "finished"]);
    assert!(t.store.verify_chain().await.unwrap().first_break.is_none());
    for tail in ["finish", "checklist"] {
        let res = t.post(&gw, &path(tail), json!({"ticks": {"lighting": false}})).await;
        assert_err(&res, StatusCode::CONFLICT, "illegal_transition");
    }
    assert_eq!(t.patrol_json(&id).await["version"], v["version"]);

    // History per street and per person.
    let (s, by_street) = t.get(&chief, &format!("/api/v1/patrols?street={STREET}")).await;
    assert_eq!(s, StatusCode::OK, "{by_street}");
    assert_eq!(ids(&by_street), [id.as_i64().unwrap()]);
    assert!(by_street[0].get("track").is_none());
    let (_, by_user) = t.get(&t.admin, "/api/v1/patrols?user=grid_worker").await;
    assert_eq!(ids(&by_user), [id.as_i64().unwrap()]);
    let (_, none) = t.get(&t.admin, "/api/v1/patrols?user=street_chief").await;
    assert_eq!(none, json!([]));
    assert_invalid(&t.get(&t.admin, "/api/v1/patrols").await, "street");

    // Who may patrol: a grid worker or street chief of the street's branch.
    let cw = t.token("community_worker").await;
    assert_err(
        &t.post(&cw, "/api/v1/patrols", json!({"street_code": STREET})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let donghu = t.user("gw_donghu", Role::GridWorker, GRID_DONGHU).await;
    let res = t.post(&donghu, "/api/v1/patrols", json!({"street_code": STREET})).await;
    assert_err(&res, StatusCode::NOT_FOUND, "not_found");
    let (s, v) = t.post(&chief, "/api/v1/patrols", json!({"street_code": ALLEY})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

const IN_GRID_LAT: f64 = 39.9740;
const IN_GRID_LON: f64 = 116.3960;

#[tokio::test]
async fn streets_not_patrolled_within_the_period_are_flagged() {
    let t = spawn_with_streets().await;
    let gw = t.token("grid_worker").await;
    let unpatrolled = |q: &str| {
        let q = q.to_string();
        let t = &t;
        async move {
            let (s, v) = t.get(&t.admin, &format!("/api/v1/geo/streets?org=110199001&unpatrolled=true{q}")).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            let codes: Vec<String> =
                v["streets"].as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap().to_string()).collect();
            assert_eq!(v["unpatrolled_count"].as_u64().unwrap() as usize, codes.len());
            codes
        }
    };
    let all = unpatrolled("").await;
    assert_eq!(all.len(), 28, "two streets in each of Heping's communities");

    // A started but unfinished patrol does not count.
    let (_, p) = t.post(&gw, "/api/v1/patrols", json!({"street_code": STREET})).await;
    assert_eq!(unpatrolled("").await.len(), 28);
    let (s, _) = t.post(&gw, &format!("/api/v1/patrols/{}/finish", p["id"]), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let now = unpatrolled("").await;
    assert_eq!(now.len(), 27);
    assert!(!now.contains(&STREET.to_string()));
    let v = t.street_json(STREET).await;
    assert_eq!(v["unpatrolled"], false);
    assert!(v["last_patrolled_at"].is_string());

    // A day later it is flagged again, unless the period asked for is longer.
    t.clock.advance_hours(25);
    assert_eq!(unpatrolled("").await.len(), 28);
    assert_eq!(unpatrolled("&period_hours=48").await.len(), 27);
    assert_invalid(&t.get(&t.admin, "/api/v1/geo/streets?org=110199001&period_hours=0").await, "period_hours");
    let res = t.get(&gw, "/api/v1/geo/streets?org=110199002").await;
    assert_err(&res, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn the_demo_has_street_people_and_weeks_of_patrols_with_some_streets_left_out() {
    let t = spawn_with_streets().await;
    let written = t.app.grids().seed_demo_patrols().await.unwrap();
    assert_eq!(written, 5 * 21 + 16, "six streets, daily for three weeks, one stopping five days ago");
    assert_eq!(t.app.grids().seed_demo_patrols().await.unwrap(), 0, "idempotent");

    let v = t.street_json(STREET).await;
    assert_eq!(usernames(&v["chiefs"]), ["street_chief"]);
    assert_eq!(usernames(&v["stewards"]), ["steward_2"]);
    assert_eq!(v["council"]["chief"]["username"], "street_chief");
    assert_eq!(usernames(&v["council"]["members"]), ["community_worker"]);
    assert_eq!(v["unpatrolled"], false);

    let (_, list) = t.get(&t.admin, "/api/v1/geo/streets?org=110199001&unpatrolled=true").await;
    assert_eq!(list["unpatrolled_count"], 28 - 5, "{list}");
    let flagged: Vec<&str> = list["streets"].as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap()).collect();
    assert!(flagged.contains(&"110199001002-X01"), "the alley left five days ago");

    let (_, history) = t.get(&t.admin, &format!("/api/v1/patrols?street={STREET}&limit=200")).await;
    assert_eq!(history.as_array().unwrap().len(), 21);
    assert!(history.as_array().unwrap().iter().all(|p| p["status"] == "finished" && p["point_count"] == 6));
    let (_, mine) = t.get(&t.admin, "/api/v1/patrols?user=grid_worker_2&limit=200").await;
    assert!(!mine.as_array().unwrap().is_empty());
    assert!(t.store.verify_chain().await.unwrap().first_break.is_none());

    let (_, load) = t.get(&t.admin, "/api/v1/geo/workload?org=110199001").await;
    let workers: Vec<&str> =
        load["workers"].as_array().unwrap().iter().map(|w| w["username"].as_str().unwrap()).collect();
    assert!(workers.contains(&"grid_worker_2") && workers.contains(&"grid_worker_5"), "{workers:?}");
}

#[tokio::test]
async fn the_partition_advisor_proposes_balanced_grids_and_changes_nothing() {
    let t = spawn_app().await;
    let buildings: Vec<Value> = (0..48)
        .map(|i| {
            json!({"type": "Feature", "properties": {"households": 30},
                   "geometry": {"type": "Point", "coordinates": [116.3905 + (i % 8) as f64 * 0.0005, 39.9705 + (i / 8) as f64 * 0.0005]}})
        })
        .collect();
    let fc = json!({"type": "FeatureCollection", "features": buildings});
    let before = t.get(&t.admin, "/api/v1/geo/export").await.1;
    let (s, v) = t.post(&t.admin, &format!("/api/v1/geo/partition?community={COMMUNITY}&k=4"), fc.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["balanced"], true, "{v}");
    let features = v["features"].as_array().unwrap();
    assert_eq!(features.len(), 4);
    assert!(
        features.iter().all(|f| f["properties"]["households"] == 360 && f["properties"]["parent_code"] == COMMUNITY)
    );
    assert_eq!(t.get(&t.admin, "/api/v1/geo/export").await.1, before, "a proposal stores nothing");

    let bad = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"households": 3}, "geometry": {"type": "Point", "coordinates": [200.0, 39.9]}},
        {"type": "Feature", "properties": {"households": -1}, "geometry": {"type": "Point", "coordinates": [116.4, 39.9]}}]});
    let res = t.post(&t.admin, &format!("/api/v1/geo/partition?community={COMMUNITY}&k=2"), bad).await;
    assert_invalid(&res, "features[0]");
    assert_invalid(&res, "features[1]");
    assert_invalid(
        &t.post(&t.admin, &format!("/api/v1/geo/partition?community={COMMUNITY}&k=0"), fc.clone()).await,
        "k",
    );
    let gw = t.token("grid_worker").await;
    let res = t.post(&gw, &format!("/api/v1/geo/partition?community={COMMUNITY}&k=2"), fc).await;
    assert_eq!(res.0, StatusCode::NOT_FOUND, "a grid worker holds no role over the community: {}", res.1);
}
