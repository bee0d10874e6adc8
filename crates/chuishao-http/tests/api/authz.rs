//! The authorisation matrix (`chuishao_http::authz::MATRIX`, rendered in
//! docs/authorisation.md) against the router and a live server: every route the router serves
//! has a row, and every row's outcomes hold for a real token or session of each role, with an
//! object inside and one outside its scope; outside the scope answers exactly as an id that
//! does not exist.

use super::*;
use chuishao_http::authz::{COLUMNS, Gate, MATRIX, Object, Outcome, Row, served_routes};

#[tokio::test]
async fn every_route_the_router_serves_is_in_the_matrix() {
    let t = spawn_app().await;
    let served = served_routes(&chuishao_http::router(t.app.clone()));
    assert!(served.len() > 50, "the router walk found only {served:?}");
    let listed = |m: &str, p: &str| MATRIX.iter().any(|r| r.method == m && r.path == p);
    let missing: Vec<String> = served
        .iter()
        .filter(|(m, p)| !listed(m, p))
        .map(|(m, p)| format!("  row!(\"{m}\" \"{p}\", <Gate>, <Object>, \"<one cell per column>\"),"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes served but missing from chuishao_http::authz::MATRIX (add a row for each):\n{}",
        missing.join("\n")
    );
    let stale: Vec<String> = MATRIX
        .iter()
        .filter(|r| !served.iter().any(|(m, p)| m == r.method && p == r.path))
        .map(|r| format!("  {} {}", r.method, r.path))
        .collect();
    assert!(stale.is_empty(), "matrix rows for routes the router does not serve (remove them):\n{}", stale.join("\n"));
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/authorisation.md")).unwrap();
    let table = chuishao_http::authz::markdown();
    assert!(
        doc.contains(&table),
        "docs/authorisation.md does not hold the current matrix; replace its table with:\n{table}"
    );
    t.stop().await;
}

/// The ids a row's path is filled with: one object inside the columns' scope (樱花园社区 of
/// 和平街道, department CGZF), one outside (东湖街道, or 青年湖社区 for streets and patrols,
/// department SWJ), and one that does not exist.
struct Objects {
    inside: Vec<(Object, String)>,
    outside: Vec<(Object, String)>,
    tracking_code: String,
}

const NONE_ID: &str = "987654";
/// 东湖街道's first community.
const COMMUNITY_DONGHU: &str = "110199002001";

impl Objects {
    fn of(&self, object: Object, inside: bool) -> String {
        let list = if inside { &self.inside } else { &self.outside };
        list.iter().find(|(o, _)| *o == object).map(|(_, v)| v.clone()).unwrap_or_else(|| NONE_ID.to_string())
    }
}

/// `path` with its parameters filled for `object` = `id`, and the query a GET needs.
fn fill(row: &Row, id: &str, tracking_code: &str) -> String {
    let mut p = row
        .path
        .replace("{id}", id)
        .replace("{code}", if row.object == Object::TrackingCode { tracking_code } else { id })
        .replace("{tracking_code}", tracking_code)
        .replace("{year}", if row.object == Object::Year { id } else { "2026" })
        .replace("{name}", "no-such-photo.jpg")
        .replace("{op}", "unlock")
        .replace("{*rest}", "services.json");
    let query = match row.path {
        "/api/v1/geo/locate" => "?lat=39.974&lon=116.396",
        "/report/nearby.json" => "?lat=39.974&lon=116.396&category=E0101",
        "/api/v1/departments/{id}/scorecard" | "/api/v1/whistles/scorecards" | "/console/scorecards" => {
            "?month=2026-11"
        }
        "/api/v1/calendar/due" => "?from=2026-11-02T09:00:00%2B08:00&working_days=3",
        "/api/v1/geo/map.svg" | "/api/v1/geo/streets" | "/api/v1/geo/workload" => "?org=110199001",
        "/api/v1/patrols" => "?street=110199001001-J01",
        "/api/v1/whistles/board" | "/api/v1/whistles/board/stream" | "/console/whistles/events" => {
            "?subdistrict=110199001"
        }
        _ => "",
    };
    p.push_str(query);
    p
}

/// A column's credentials: an API token and a console session with its form token.
struct Creds {
    token: String,
    sid: String,
    csrf: String,
}

async fn send(t: &TestApp, row: &Row, path: &str, creds: Option<&Creds>) -> (StatusCode, String) {
    let client = super::console::browser();
    let mut req = client.request(Method::from_bytes(row.method.as_bytes()).unwrap(), t.url(path));
    match (row.gate, creds) {
        (Gate::Token | Gate::Volunteer, Some(c)) => req = req.bearer_auth(&c.token),
        (Gate::Page | Gate::Stream | Gate::Form, Some(c)) => {
            req = req.header(reqwest::header::COOKIE, format!("sid={}", c.sid))
        }
        _ => {}
    }
    if row.method != "GET" {
        req = match row.gate {
            Gate::Form | Gate::PublicForm => {
                let csrf = creds.map(|c| c.csrf.clone()).unwrap_or_default();
                let action = if row.object == Object::Whistle { "acknowledge" } else { "register" };
                req.form(&[("csrf", csrf.as_str()), ("action", action), ("version", "1")])
            }
            _ => req.json(&body_of(row.path)),
        };
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    // Streams stay open: only refusals are read.
    let body = if status.is_client_error() { res.text().await.unwrap_or_default() } else { String::new() };
    (status, body)
}

/// A well-formed body for a write, so the request gets past the body's shape to the scope.
fn body_of(path: &str) -> Value {
    match path {
        "/api/v1/patrols/{id}/checklist" => json!({"ticks": {}}),
        "/api/v1/patrols/{id}/problems" => json!({"description": "井盖缺失", "category_code": "E0101"}),
        "/api/v1/patrols/{id}/track" => json!({"points": []}),
        "/api/v1/patrols/{id}/finish" => json!({}),
        "/api/v1/whistles/{id}/transitions" => json!({"action": "acknowledge", "version": 1}),
        "/api/v1/cases/{id}/public-text" => json!({"mode": "edited"}),
        "/api/v1/geo/streets/{code}/people" => json!({"chiefs": []}),
        "/api/v1/calendar/{year}" => json!({"source": ""}),
        "/api/v1/notifications/deliveries/{id}/retry" => json!({}),
        "/api/v1/community/posts/{id}/holders" => json!({"action": "assign", "member_id": 987654, "version": 1}),
        "/api/v1/community/activities/{id}/transitions" => json!({"action": "close", "version": 1}),
        "/api/v1/community/party-orgs/{id}/decision"
        | "/api/v1/community/members/{id}/decision"
        | "/api/v1/community/volunteers/{id}/decision" => json!({"action": "confirm", "version": 1}),
        _ => json!({"action": "register", "version": 1}),
    }
}

/// What a status says about the scope: let through (whatever the request then met: a
/// stale version, a refused field), 403 or 404; `None` for an answer that proves nothing
/// (401, a body refused for its shape, a server error).
fn outcome(status: StatusCode, body: &str) -> Option<Outcome> {
    match status.as_u16() {
        403 => Some(Outcome::Forbidden),
        404 => Some(Outcome::NotFound),
        401 | 500..=599 => None,
        400..=499 if ["invalid_body", "invalid_query", "malformed_json"].contains(&refusal(body).as_str()) => None,
        200..=499 => Some(Outcome::Ok),
        _ => None,
    }
}

fn letter(o: Option<Outcome>) -> char {
    match o {
        Some(Outcome::Ok) => 'Y',
        Some(Outcome::Forbidden) => 'F',
        Some(Outcome::NotFound) => 'N',
        Some(Outcome::Unchecked) => '.',
        None => '?',
    }
}

/// The error code of a refusal (JSON API) or the page's heading (console), for comparing
/// an answer outside the scope with one for an id that does not exist.
fn refusal(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        return v["error"]["code"].as_str().unwrap_or("").to_string();
    }
    body.split("<h1").nth(1).and_then(|s| s.split("</h1>").next()).unwrap_or("").to_string()
}

#[tokio::test]
async fn every_row_of_the_matrix_holds_on_a_live_server() {
    use chuishao_domain::access::Role;
    let t = spawn_app().await;
    assert_eq!(t.app.grids().seed_demo_streets().await.unwrap(), 28);
    let heping = "110199001";
    t.app.admin().create_user("heping_admin", "和平街道管理员", &[(Role::Admin, heping)]).await.unwrap();
    t.app.admin().set_password("heping_admin", chuishao_app::admin::accounts::DEMO_PASSWORD).await.unwrap();
    t.app.admin().create_user("donghu_worker", "东湖网格员", &[(Role::GridWorker, GRID_DONGHU)]).await.unwrap();
    t.app
        .admin()
        .create_user("qingnian_worker", "青年湖网格员", &[(Role::GridWorker, GRID_OTHER_COMMUNITY)])
        .await
        .unwrap();
    t.app
        .admin()
        .create_user("donghu_leader", "东湖街道负责人", &[(Role::SubdistrictLeader, "110199002")])
        .await
        .unwrap();

    // Objects inside and outside the scope.
    let integrator = t.token("integrator").await;
    let (_, case_in) = t.post(&integrator, "/api/v1/cases", case_body("E0101", GRID)).await;
    let case_in = t.ok(&t.admin, &case_in, "register", json!({})).await;
    let case_in = t.ok(&t.admin, &case_in, "dispatch", json!({"handler_code": "CGZF"})).await;
    let (_, case_out) = t.post(&integrator, "/api/v1/cases", case_body("E0101", GRID_DONGHU)).await;
    let case_out = t.ok(&t.admin, &case_out, "register", json!({})).await;
    let case_out = t.ok(&t.admin, &case_out, "dispatch", json!({"handler_code": "SWJ"})).await;
    let raise = |unit: &str| {
        json!({"kind": "routine", "title": "停车治理", "lat": 39.974, "lon": 116.396, "address": "樱花园小区",
               "units": [{"unit_code": unit, "task": "疏导"}]})
    };
    let (s, w_in) = t.post(&t.token("subdistrict_leader").await, "/api/v1/whistles", raise("CGZF")).await;
    assert_eq!(s, StatusCode::CREATED, "{w_in}");
    // A point in 东湖街道's first grid.
    let mut out_body = raise("SWJ");
    out_body["lon"] = json!(116.4093);
    out_body["address"] = json!("东湖街道");
    let (s, w_out) = t.post(&t.token("donghu_leader").await, "/api/v1/whistles", out_body).await;
    assert_eq!(s, StatusCode::CREATED, "{w_out}");
    let (s, p_in) =
        t.post(&t.token("grid_worker").await, "/api/v1/patrols", json!({"street_code": "110199001001-J01"})).await;
    assert_eq!(s, StatusCode::CREATED, "{p_in}");
    let (s, p_out) =
        t.post(&t.token("qingnian_worker").await, "/api/v1/patrols", json!({"street_code": "110199001002-J01"})).await;
    assert_eq!(s, StatusCode::CREATED, "{p_out}");
    // Community records in 樱花园社区 (inside) and in 东湖街道's first community (outside).
    let admin = t.admin.clone();
    let community = |code: &'static str, n: u32| {
        let t = &t;
        let admin = admin.clone();
        async move {
            let (s, org) = t
                .post(
                    &admin,
                    "/api/v1/community/party-orgs",
                    json!({"community_code": code, "unit_name": "区医院",
                    "org_name": "区医院党委", "contact_name": "赵敏", "contact_phone": "13700000000",
                    "commitment_per_year": 2}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{org}");
            let (s, member) = t
                .post(
                    &admin,
                    "/api/v1/community/members",
                    json!({"community_code": code, "name": "李医生",
                    "phone": format!("1380000000{n}"), "unit_name": "区医院", "skills": ["medical"],
                    "availability": "周末", "commitment_per_year": 2}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{member}");
            let (s, post) = t
                .post(
                    &admin,
                    "/api/v1/community/posts",
                    json!({"community_code": code, "name": "调解员", "skill": "mediation", "seats": 1}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{post}");
            let now = t.app.now_ms();
            let (s, activity) = t
                .post(
                    &admin,
                    "/api/v1/community/activities",
                    json!({"community_code": code, "kind": "cleanup",
                    "title": "周末大扫除", "address": "小区东门", "lat": 39.974, "lon": 116.396,
                    "starts_at": chuishao_app::time::rfc3339(now + 86_400_000),
                    "ends_at": chuishao_app::time::rfc3339(now + 90_000_000), "capacity": 10, "skills": ["other"]}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{activity}");
            let (s, volunteer) = t
                .post(
                    "",
                    "/api/v1/community/volunteers",
                    json!({"community_code": code, "name": "志愿者",
                    "phone": format!("1390000000{n}"), "password": "serve-2026!"}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{volunteer}");
            [
                (Object::PartyOrg, org["id"].to_string()),
                (Object::Member, member["id"].to_string()),
                (Object::Post, post["id"].to_string()),
                (Object::Activity, activity["id"].to_string()),
                (Object::Volunteer, volunteer["id"].to_string()),
            ]
        }
    };
    let community_in = community("110199001001", 1).await;
    let community_out = community(COMMUNITY_DONGHU, 2).await;
    let user = |name: &'static str| {
        let app = t.app.clone();
        async move { app.admin().actor_for(name).await.unwrap().user_id.0.to_string() }
    };
    let dept = |code: &'static str| {
        let store = t.store.clone();
        async move { store.org_by_code(code).await.unwrap().unwrap().id.0.to_string() }
    };
    let objects = Objects {
        inside: vec![
            (Object::Case, id_of(&case_in).to_string()),
            (Object::Whistle, w_in["id"].to_string()),
            (Object::Patrol, p_in["id"].to_string()),
            (Object::Street, "110199001001-J01".into()),
            (Object::User, user("grid_worker").await),
            (Object::Department, dept("CGZF").await),
            (Object::Year, "2026".into()),
        ]
        .into_iter()
        .chain(community_in)
        .collect(),
        outside: vec![
            (Object::Case, id_of(&case_out).to_string()),
            (Object::Whistle, w_out["id"].to_string()),
            (Object::Patrol, p_out["id"].to_string()),
            (Object::Street, "110199001002-J01".into()),
            (Object::User, user("donghu_worker").await),
            (Object::Department, dept("SWJ").await),
            (Object::Year, "2026".into()),
        ]
        .into_iter()
        .chain(community_out)
        .collect(),
        tracking_code: case_in["tracking_code"].as_str().unwrap_or("").to_string(),
    };

    // Each column's token and console session.
    let mut creds = Vec::new();
    for (name, _) in COLUMNS {
        let token = t.token(name).await;
        let sid = super::console::signed_in(&t, name).await;
        let csrf = super::console::csrf_of(&t, &sid).await;
        creds.push(Creds { token, sid, csrf });
    }

    let mut observed = Vec::new();
    let mut failures = Vec::new();
    for row in MATRIX {
        let what = format!("{} {}", row.method, row.path);
        let inside_path = fill(row, &objects.of(row.object, true), &objects.tracking_code);
        // Without credentials: the gate answers.
        let (anon, _) = send(&t, row, &inside_path, None).await;
        let gate_ok = match row.gate {
            Gate::Token => anon == StatusCode::UNAUTHORIZED,
            Gate::Page => anon == StatusCode::SEE_OTHER,
            Gate::Stream => anon == StatusCode::UNAUTHORIZED,
            Gate::Form => anon == StatusCode::FORBIDDEN,
            Gate::Volunteer => anon == StatusCode::UNAUTHORIZED,
            Gate::PublicForm => anon == StatusCode::FORBIDDEN || row.method == "GET",
            Gate::Public | Gate::Open311 => !anon.is_server_error(),
        };
        if !gate_ok {
            failures.push(format!("{what}: without credentials {anon} (gate {:?})", row.gate));
        }
        if matches!(row.gate, Gate::Public | Gate::PublicForm | Gate::Open311) {
            observed.push((row, ALL_OK.to_string()));
            continue;
        }
        if row.gate == Gate::Volunteer {
            // No staff column is a volunteer: a staff token is refused like none at all.
            let (s, _) = send(&t, row, &inside_path, Some(&creds[0])).await;
            if s != StatusCode::UNAUTHORIZED {
                failures.push(format!("{what}: a staff token got {s}, not 401"));
            }
            observed.push((row, row.cells.to_string()));
            continue;
        }
        let mut cells = Vec::new();
        for (col, c) in creds.iter().enumerate() {
            let write = row.method != "GET";
            let mut cell = String::new();
            for inside in [true, false] {
                if write && (inside || row.object == Object::None) {
                    cell.push('.');
                    continue;
                }
                let path = fill(row, &objects.of(row.object, inside), &objects.tracking_code);
                let (status, body) = send(&t, row, &path, Some(c)).await;
                let got = outcome(status, &body);
                if got.is_none() {
                    let short: String = body.chars().take(160).collect();
                    failures.push(format!("{what} as {}: {status} for {path}: {short}", COLUMNS[col].0));
                }
                cell.push(letter(got));
                // Outside the scope answers exactly as nothing at all: every route on an
                // object the column cannot see (its GET says 404) or that answered 404.
                let blind = MATRIX
                    .iter()
                    .any(|r| r.method == "GET" && r.object == row.object && r.outcomes()[col].1 == Outcome::NotFound);
                if !inside && row.object != Object::None && (blind || got == Some(Outcome::NotFound)) {
                    let none = fill(row, NONE_ID, "NOSUCHCODE");
                    let (s, b) = send(&t, row, &none, Some(c)).await;
                    if s != status || refusal(&b) != refusal(&body) {
                        failures.push(format!(
                            "{what} as {}: outside the scope {status} {:?}, nonexistent {s} {:?}",
                            COLUMNS[col].0,
                            refusal(&body),
                            refusal(&b)
                        ));
                    }
                }
            }
            cells.push(cell);
        }
        observed.push((row, cells.join(" ")));
    }
    let mut differ = Vec::new();
    for (row, cells) in &observed {
        let expected: Vec<(Outcome, Outcome)> = row.outcomes();
        let got: Vec<&str> = cells.split_whitespace().collect();
        let mismatch = expected.iter().zip(&got).any(|((i, o), g)| {
            let g = g.as_bytes();
            (g[0] != b'.' && letter(Some(*i)) != g[0] as char && *i != Outcome::Unchecked)
                || (g[1] != b'.' && letter(Some(*o)) != g[1] as char && *o != Outcome::Unchecked)
        });
        if mismatch {
            differ.push(format!("  {} {}: matrix \"{}\", server \"{}\"", row.method, row.path, row.cells, cells));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(differ.is_empty(), "rows the live server does not answer as the matrix says:\n{}", differ.join("\n"));
    t.stop().await;
}

const ALL_OK: &str = "YY YY YY YY YY YY YY YY YY YY";
