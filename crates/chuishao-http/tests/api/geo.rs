//! Geography through the API: locating points, intake placing cases by their coordinates,
//! GeoJSON import (all or nothing, every problem listed) and export.

use super::*;

/// Inside 樱花园第1网格 (the demo's north-west grid).
const IN_GRID: (f64, f64) = (39.9740, 116.3960);
/// About 55 m north of 樱花园社区, in no grid.
const NEAR_COMMUNITY: (f64, f64) = (39.9755, 116.3960);

fn rect(w: f64, s: f64, e: f64, n: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]})
}

fn feature(level: &str, code: &str, parent: Option<&str>, geometry: Value) -> Value {
    json!({"type": "Feature", "geometry": geometry,
           "properties": {"level": level, "code": code, "name": format!("测试{code}"), "parent_code": parent,
                          "households": if level == "grid" { json!(320) } else { Value::Null }}})
}

fn collection(features: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features})).unwrap()
}

impl TestApp {
    async fn locate(&self, token: &str, lat: f64, lon: f64) -> (StatusCode, Value) {
        self.get(token, &format!("/api/v1/geo/locate?lat={lat}&lon={lon}")).await
    }

    async fn import_geo(&self, token: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let (s, _, v) = self.post_raw(Some(token), "/api/v1/geo/import", Some("application/geo+json"), body).await;
        (s, v)
    }

    async fn export_geo(&self) -> Value {
        let (s, v) = self.get(&self.admin, "/api/v1/geo/export").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }
}

#[tokio::test]
async fn locate_answers_grid_community_subdistrict_or_nulls() {
    let t = spawn_app().await;
    let viewer = t.token("viewer").await;

    let (s, v) = t.locate(&viewer, IN_GRID.0, IN_GRID.1).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["grid"]["code"], GRID);
    assert_eq!(v["grid"]["name"], "樱花园第1网格");
    assert_eq!(v["community"]["code"], "110199001001");
    assert_eq!(v["subdistrict"]["code"], "110199001");
    assert_eq!(v["needs_location"], false);

    // On the edge shared by grids 1 and 2: the smaller code, every time.
    let edge_lon = 116.395 + 0.0022;
    for _ in 0..3 {
        let (_, v) = t.locate(&viewer, IN_GRID.0, edge_lon).await;
        assert_eq!(v["grid"]["code"], GRID, "{v}");
    }

    // Just outside every grid: the nearest community within the fallback distance (属地兜底).
    let (_, v) = t.locate(&viewer, NEAR_COMMUNITY.0, NEAR_COMMUNITY.1).await;
    assert!(v["grid"].is_null(), "{v}");
    assert_eq!(v["community"]["code"], "110199001001", "{v}");
    assert_eq!(v["subdistrict"]["code"], "110199001", "{v}");
    let d = v["fallback_distance_m"].as_f64().unwrap();
    assert!((40.0..70.0).contains(&d), "{v}");

    // Far away: nulls, flagged for a dispatcher.
    let (s, v) = t.locate(&viewer, 31.2, 121.5).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v,
        json!({"grid": null, "community": null, "subdistrict": null,
                         "fallback_distance_m": null, "needs_location": true})
    );

    // Bad input.
    assert_invalid(&t.locate(&viewer, 91.0, 116.0).await, "lat");
    assert_invalid(&t.locate(&viewer, 39.0, -180.5).await, "lon");
    assert_err(&t.get(&viewer, "/api/v1/geo/locate?lat=39.9").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_query");
    assert_err(
        &t.get(&viewer, "/api/v1/geo/locate?lat=39.9&lon=116.4&x=1").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_query",
    );
    assert_err(
        &t.get("nope", "/api/v1/geo/locate?lat=39.9&lon=116.4").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    t.stop().await;
}

#[tokio::test]
async fn intake_locates_by_coordinates_but_never_overrides_a_chosen_place() {
    let t = spawn_app().await;
    let dispatcher = t.token("dispatcher").await;
    let body = |extra: Value| patched(&json!({"description": "井盖缺失", "category_code": "E0101"}), extra);

    let located = t.file(&dispatcher, body(json!({"lat": IN_GRID.0, "lon": IN_GRID.1}))).await;
    assert_eq!(located["grid"]["code"], GRID, "{located}");
    assert_eq!(located["community"]["code"], "110199001001");
    assert_eq!(located["subdistrict"]["code"], "110199001");
    assert_eq!(located["needs_location"], false);

    // The dispatcher's choice stands, even against the coordinates.
    let chosen =
        t.file(&dispatcher, body(json!({"lat": IN_GRID.0, "lon": IN_GRID.1, "grid_code": GRID_OTHER_COMMUNITY}))).await;
    assert_eq!(chosen["grid"]["code"], GRID_OTHER_COMMUNITY, "{chosen}");
    let chosen =
        t.file(&dispatcher, body(json!({"lat": IN_GRID.0, "lon": IN_GRID.1, "community_code": "110199001002"}))).await;
    assert_eq!(chosen["community"]["code"], "110199001002", "{chosen}");
    assert!(chosen["grid"].is_null(), "{chosen}");
    assert_eq!(chosen["needs_location"], false);

    // Near a community: placed by the fallback, at community level.
    let near = t.file(&dispatcher, body(json!({"lat": NEAR_COMMUNITY.0, "lon": NEAR_COMMUNITY.1}))).await;
    assert_eq!(near["community"]["code"], "110199001001", "{near}");
    assert!(near["grid"].is_null());

    // An address only, or coordinates outside every place: flagged "needs location".
    let address_only = t.file(&dispatcher, body(json!({"address": "和平街道某小区3号楼"}))).await;
    assert_eq!(address_only["needs_location"], true, "{address_only}");
    assert!(
        address_only["grid"].is_null() && address_only["community"].is_null() && address_only["subdistrict"].is_null()
    );
    let far = t.file(&dispatcher, body(json!({"lat": 31.2, "lon": 121.5}))).await;
    assert_eq!(far["needs_location"], true, "{far}");
    // Still visible to the dispatcher who filed them.
    for c in [&address_only, &far] {
        let (s, _) = t.get(&dispatcher, &format!("/api/v1/cases/{}", c["id"])).await;
        assert_eq!(s, StatusCode::OK);
    }
    t.stop().await;
}

#[tokio::test]
async fn geo_import_lists_every_problem_and_writes_nothing() {
    let t = spawn_app().await;
    let before = t.export_geo().await;
    let (_, orgs_before) = t.get(&t.admin, "/api/v1/orgs").await;

    let bad = collection(vec![
        // Covers 樱花园第1网格 entirely.
        feature("grid", "110199001001009", Some("110199001001"), rect(116.395, 39.9734, 116.3972, 39.975)),
        feature("grid", "110199001099001", Some("110199001099"), rect(116.5, 39.9, 116.501, 39.901)),
        feature(
            "grid",
            "110199001001010",
            Some("110199001001"),
            json!({"type": "Polygon", "coordinates": [[[116.395, 39.9734], [116.396, 39.9734], [116.396, 39.974]]]}),
        ),
        feature("grid", "110199001001011", Some("110199001001"), rect(116.395, 89.0, 116.396, 95.0)),
        feature("grid", "110199001099001", Some("110199001099"), rect(116.6, 39.9, 116.601, 39.901)),
        feature("street", "S-1", Some("110199001001"), json!({"type": "Point", "coordinates": [116.4, 39.9]})),
    ]);
    let admin = t.admin.clone();
    let (s, v) = t.import_geo(&admin, bad).await;
    assert_err(&(s, v.clone()), StatusCode::UNPROCESSABLE_ENTITY, "invalid_geometry");
    let details = v["error"]["details"]["problems"].as_array().unwrap();
    let has = |index: i64, code: &str, words: &str| {
        details
            .iter()
            .any(|d| d["index"] == index && d["code"] == code && d["reason"].as_str().unwrap().contains(words))
    };
    assert!(has(0, "110199001001009", "overlaps grid 110199001001001"), "{v}");
    assert!(has(1, "110199001099001", "unknown parent code 110199001099"), "{v}");
    assert!(has(2, "110199001001010", "at least 4"), "{v}");
    assert!(has(3, "110199001001011", "out of range"), "{v}");
    assert!(has(4, "110199001099001", "duplicate code (also feature 1)"), "{v}");
    assert!(has(5, "S-1", "\"Point\" is not supported"), "{v}");

    let (s, v) = t.import_geo(&admin, b"{\"type\":\"FeatureCollection\",\"features\":[".to_vec()).await;
    assert_err(&(s, v), StatusCode::UNPROCESSABLE_ENTITY, "invalid_geojson");
    let dispatcher = t.token("dispatcher").await;
    let (s, v) = t.import_geo(&dispatcher, collection(vec![])).await;
    assert_err(&(s, v), StatusCode::FORBIDDEN, "forbidden");

    assert_eq!(t.export_geo().await, before, "a refused import changed the geometry");
    assert_eq!(t.get(&t.admin, "/api/v1/orgs").await.1, orgs_before);
    t.stop().await;
}

#[tokio::test]
async fn geo_import_adds_places_and_streets_and_export_reimports() {
    let t = spawn_app().await;
    let admin = t.admin.clone();
    let viewer = t.token("viewer").await;
    // A new subdistrict east of the demo district, children listed before their parents.
    let (w, m, e, s, n) = (116.4214, 116.4236, 116.4258, 39.9718, 39.975);
    let file = collection(vec![
        feature("grid", "110199004001002", Some("110199004001"), rect(m, s, e, n)),
        feature("grid", "110199004001001", Some("110199004001"), rect(w, s, m, n)),
        feature("community", "110199004001", Some("110199004"), rect(w, s, e, n)),
        feature("subdistrict", "110199004", Some("110199"), rect(w, s, e, n)),
        feature(
            "street",
            "110199001001-S01",
            Some("110199001001"),
            json!({"type": "LineString", "coordinates": [[116.3955, 39.9742], [116.401, 39.9742]]}),
        ),
    ]);
    let (st, report) = t.import_geo(&admin, file).await;
    assert_eq!(st, StatusCode::OK, "{report}");
    assert_eq!(report, json!({"features": 5, "places_created": 4, "places_updated": 0, "streets": 1}));

    // This node's index was rebuilt: the new grid is found at once.
    let (_, v) = t.locate(&viewer, 39.973, 116.424).await;
    assert_eq!(v["grid"]["code"], "110199004001002", "{v}");
    assert_eq!(v["subdistrict"]["code"], "110199004", "{v}");
    let (_, grids) = t.get(&admin, "/api/v1/orgs?kind=grid").await;
    let new = grids.as_array().unwrap().iter().find(|g| g["code"] == "110199004001001").unwrap();
    assert_eq!(new["households"], 320);
    assert_eq!(new["parent_code"], "110199004001");

    // A case at the new place is located there.
    let dispatcher = t.token("dispatcher").await;
    let case = t.file(&dispatcher, json!({"description": "路灯不亮", "lat": 39.973, "lon": 116.422})).await;
    assert_eq!(case["grid"]["code"], "110199004001001", "{case}");

    // Export → import again: everything updated, nothing created, the same geometry back.
    let exported = t.export_geo().await;
    let features = exported["features"].as_array().unwrap();
    assert!(features.iter().any(|f| f["properties"]["level"] == "street"));
    assert_eq!(features.iter().filter(|f| f["properties"]["level"] == "grid").count(), 60 + 2);
    let (st, report) = t.import_geo(&admin, serde_json::to_vec(&exported).unwrap()).await;
    assert_eq!(st, StatusCode::OK, "{report}");
    assert_eq!(report["places_created"], 0);
    assert_eq!(report["streets"], 1);
    assert_eq!(t.export_geo().await, exported);

    // The OpenAPI document covers the geo routes.
    let (_, _, doc) = t.send(t.client.get(t.url("/api/v1/openapi.json"))).await;
    for (method, path) in [("get", "/api/v1/geo/locate"), ("post", "/api/v1/geo/import"), ("get", "/api/v1/geo/export")]
    {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is not documented");
    }
    t.stop().await;
}

#[tokio::test]
async fn map_svg_shades_grids_draws_pins_and_respects_scope() {
    let t = spawn_app().await;
    let dispatcher = t.token("dispatcher").await;
    for _ in 0..2 {
        t.file(
            &dispatcher,
            json!({"description": "暴露垃圾", "category_code": "E0101", "lat": IN_GRID.0, "lon": IN_GRID.1}),
        )
        .await;
    }
    let (s, headers, body) = {
        let res = t
            .client
            .get(t.url("/api/v1/geo/map.svg?org=110199001001&metric=open_cases&width=600"))
            .bearer_auth(&dispatcher)
            .send()
            .await
            .unwrap();
        (res.status(), res.headers().clone(), res.text().await.unwrap())
    };
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(headers[CONTENT_TYPE].to_str().unwrap().starts_with("image/svg+xml"));
    assert!(body.starts_with("<svg") && body.contains("lang=\"zh-CN\""));
    for g in [GRID, GRID_2, "110199001001003"] {
        assert!(body.contains(&format!("data-code=\"{g}\"")), "{g} missing");
    }
    assert!(!body.contains(&format!("data-code=\"{GRID_QINGSHAN}\"")), "a grid far out of view was drawn");
    // The grid with both cases is the darkest; both pins are drawn.
    assert!(body.contains(&format!("fill=\"#b30000\" data-code=\"{GRID}\"")), "{body}");
    assert_eq!(body.matches("<circle").count(), 2);

    // Overdue follows the cases' real clocks: nothing is overdue until a dispatched case's
    // acceptance deadline (2 working hours) has passed.
    let svg_of = |q: &'static str| {
        let req = t.client.get(t.url(q)).bearer_auth(&dispatcher);
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    let overdue_map = "/api/v1/geo/map.svg?org=110199001001&metric=overdue_cases&width=600";
    let before = svg_of(overdue_map).await;
    assert!(!before.contains("r=\"4\" fill=\"#b30000\""), "no overdue pin yet: {before}");
    assert!(!before.contains(&format!("fill=\"#b30000\" data-code=\"{GRID}\"")), "{before}");
    let case = t
        .file(
            &dispatcher,
            json!({"description": "井盖缺失", "category_code": "C0101", "lat": IN_GRID.0, "lon": IN_GRID.1}),
        )
        .await;
    let case = t.ok(&dispatcher, &case, "register", json!({})).await;
    t.ok(&dispatcher, &case, "dispatch", json!({"handler_code": "SWJ"})).await;
    t.clock.advance_hours(4);
    let after = svg_of(overdue_map).await;
    assert!(after.contains(&format!("fill=\"#b30000\" data-code=\"{GRID}\"")), "{after}");
    assert_eq!(after.matches("<circle cx").count(), 3);
    assert_eq!(after.matches("r=\"4\" fill=\"#b30000\"").count(), 1, "one overdue pin: {after}");

    // Households per worker: the 2,880-household estate stands out.
    let (s, _, body) = t
        .send(
            t.client
                .get(t.url("/api/v1/geo/map.svg?org=110199001003&metric=households_per_worker"))
                .bearer_auth(&dispatcher),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.is_null(), "SVG, not JSON");
    let res = t
        .client
        .get(t.url("/api/v1/geo/map.svg?org=110199001003&metric=households_per_worker"))
        .bearer_auth(&dispatcher)
        .send()
        .await
        .unwrap();
    let svg = res.text().await.unwrap();
    assert!(svg.contains("110199001003002 · 2880"), "{svg}");

    // Scope, and bad input.
    let grid_worker = t.token("grid_worker").await;
    assert_err(&t.get(&grid_worker, "/api/v1/geo/map.svg?org=110199001").await, StatusCode::NOT_FOUND, "not_found");
    assert_invalid(&t.get(&dispatcher, "/api/v1/geo/map.svg?org=110199001&metric=joy").await, "metric");
    assert_invalid(&t.get(&dispatcher, &format!("/api/v1/geo/map.svg?org={GRID}")).await, "org");
    assert_err(&t.get(&dispatcher, "/api/v1/geo/map.svg?org=999999999").await, StatusCode::NOT_FOUND, "not_found");
    t.stop().await;
}

#[tokio::test]
async fn demo_streets_are_imported_inside_their_communities_and_drawn() {
    let t = spawn_app().await;
    assert_eq!(t.app.grids().seed_demo_streets().await.unwrap(), 28);
    assert_eq!(t.app.grids().seed_demo_streets().await.unwrap(), 28, "idempotent");
    let fc = t.export_geo().await;
    let streets: Vec<&Value> =
        fc["features"].as_array().unwrap().iter().filter(|f| f["properties"]["level"] == "street").collect();
    assert_eq!(streets.len(), 28);
    // Each street's points locate in its own community.
    let viewer = t.token("viewer").await;
    for s in streets.iter().take(4) {
        for p in s["geometry"]["coordinates"].as_array().unwrap() {
            let (_, v) = t.locate(&viewer, p[1].as_f64().unwrap(), p[0].as_f64().unwrap()).await;
            assert_eq!(v["community"]["code"], s["properties"]["parent_code"], "{s}");
        }
    }
    let res = t.client.get(t.url("/api/v1/geo/map.svg?org=110199001001")).bearer_auth(&t.admin).send().await.unwrap();
    let svg = res.text().await.unwrap();
    assert!(svg.contains("<title>樱花园街</title>") && svg.contains("<title>樱花园胡同</title>"), "{svg}");
    t.stop().await;
}

#[tokio::test]
async fn workload_flags_overloaded_and_unstaffed_grids() {
    let t = spawn_app().await;
    let dispatcher = t.token("dispatcher").await;
    t.file(&dispatcher, json!({"description": "违章停车", "lat": IN_GRID.0, "lon": IN_GRID.1})).await;

    let (s, w) = t.get(&dispatcher, "/api/v1/geo/workload?org=110199001").await;
    assert_eq!(s, StatusCode::OK, "{w}");
    assert_eq!(w["households_target"], 300);
    let grids = w["grids"].as_array().unwrap();
    assert_eq!(grids.len(), 42, "14 communities × 3 grids");
    let grid = |code: &str| grids.iter().find(|g| g["code"] == code).unwrap().clone();
    let estate = grid("110199001003002");
    assert_eq!((estate["households"].as_i64(), estate["over_target"].as_bool()), (Some(2880), Some(true)));
    let mine = grid(GRID);
    assert_eq!(mine["workers"], json!(["grid_worker"]));
    assert_eq!(mine["open_cases"], 1);
    assert_eq!(mine["no_worker"], false);
    assert_eq!(mine["households_per_worker"].as_f64(), mine["households"].as_f64());
    assert_eq!(w["grids_without_worker"], 41);
    let over = grids.iter().filter(|g| g["households"].as_i64().unwrap() > 300).count();
    assert_eq!(w["grids_over_target"], over);
    let worker = &w["workers"][0];
    assert_eq!((worker["username"].as_str(), worker["open_cases"].as_i64()), (Some("grid_worker"), Some(1)));
    assert_eq!(worker["grids"], json!([GRID]));

    let (_, w) = t.get(&dispatcher, "/api/v1/geo/workload?org=110199001003&target=3000").await;
    assert_eq!(w["grids"].as_array().unwrap().len(), 3);
    assert_eq!(w["grids_over_target"], 0);

    let grid_worker = t.token("grid_worker").await;
    assert_err(&t.get(&grid_worker, "/api/v1/geo/workload?org=110199001001").await, StatusCode::NOT_FOUND, "not_found");
    assert_invalid(&t.get(&dispatcher, "/api/v1/geo/workload?org=110199001&target=0").await, "target");
    t.stop().await;
}
