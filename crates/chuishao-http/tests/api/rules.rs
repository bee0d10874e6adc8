//! The domain's rules beyond the transition table, through the API: a dispatch of a returned
//! case is the dispatcher's ruling (as on the console), whoever resolved a case may not verify
//! it, a duplicate merges only into an open case, and a whistle is seen by its raiser, its
//! place and its summoned units.

use super::*;

/// The community of `GRID` (樱花园社区), which handles cases on its own territory.
const COMMUNITY: &str = "110199001001";

#[tokio::test]
async fn a_plain_dispatch_of_a_returned_case_is_a_ruling() {
    let t = spawn_app().await;
    let (integrator, dispatcher, cgw) =
        (t.token("integrator").await, t.token("dispatcher").await, t.token("staff_cgw").await);
    let c = t.new_case(&integrator, "E0101").await;
    let c = t.ok(&dispatcher, &c, "register", json!({})).await;
    let c = t.ok(&dispatcher, &c, "dispatch", json!({"handler_code": "CGW"})).await;
    let (_, events) = t.admin_view(&c).await;
    assert!(events.last().unwrap()["data"].get("ruling").is_none(), "a first dispatch rules on nothing");
    let c = t.ok(&cgw, &c, "return", json!({"reason": "不属于本单位职责"})).await;

    // Back to the unit that returned it without a reason: refused, as the console refuses it.
    let before = t.snapshot(&c).await;
    for body in [json!({"handler_code": "CGW"}), json!({"handler_code": "CGW", "reason": "  "})] {
        let res = t.act(&dispatcher, &c, "dispatch", body).await;
        assert_invalid(&res, "reason");
        assert_eq!(t.snapshot(&c).await, before, "the refusal changed nothing");
    }
    // With a reason it is upheld; the event keeps the ruling and the platform's note.
    let c = t.ok(&dispatcher, &c, "dispatch", json!({"handler_code": "CGW", "reason": "占道经营属城管职责"})).await;
    assert_eq!((c["status"].as_str(), c["handler"]["code"].as_str()), (Some("dispatched"), Some("CGW")));
    let (_, events) = t.admin_view(&c).await;
    let last = &events.last().unwrap()["data"];
    assert_eq!(last["ruling"], "insist");
    assert_eq!(last["note"], "仲裁：维持原承办单位 / upheld: 占道经营属城管职责");

    // Returned again and sent elsewhere: a reassignment needs no reason.
    let c = t.ok(&cgw, &c, "return", json!({"reason": "现场核实属水务"})).await;
    let c = t.ok(&dispatcher, &c, "dispatch", json!({"handler_code": "SWJ"})).await;
    let (_, events) = t.admin_view(&c).await;
    let last = &events.last().unwrap()["data"];
    assert_eq!((last["ruling"].as_str(), last["note"].as_str()), (Some("redispatch"), Some("仲裁：改派 / reassigned")));
    t.stop().await;
}

#[tokio::test]
async fn whoever_resolved_a_case_may_not_verify_it() {
    let t = spawn_app().await;
    let (integrator, dispatcher) = (t.token("integrator").await, t.token("dispatcher").await);
    let (worker, grid) = (t.token("community_worker").await, t.token("grid_worker").await);
    let c = t.new_case(&integrator, "E0101").await;
    let c = t.ok(&dispatcher, &c, "register", json!({})).await;
    let c = t.ok(&dispatcher, &c, "dispatch", json!({"handler_code": COMMUNITY})).await;
    let c = t.ok(&worker, &c, "accept", json!({})).await;
    let c = t.ok(&worker, &c, "resolve", json!({"result": "已清理楼道堆物"})).await;
    let before = t.snapshot(&c).await;
    for passed in [true, false] {
        let res = t.act(&worker, &c, "verify", json!({"passed": passed})).await;
        let body = t.refused(res, StatusCode::FORBIDDEN, "separation_of_duties", &c, &before).await;
        assert_eq!(body["error"]["message"], "whoever resolved this case may not verify their own result");
    }
    // Someone else verifies the result on site.
    let c = t.ok(&grid, &c, "verify", json!({"passed": true})).await;
    assert_eq!(c["status"], "verified");
    t.stop().await;
}

#[tokio::test]
async fn a_duplicate_merges_only_into_an_open_case() {
    let t = spawn_app().await;
    let (integrator, dispatcher) = (t.token("integrator").await, t.token("dispatcher").await);
    let rejected = t.new_case(&integrator, "E0101").await;
    let rejected = t.ok(&dispatcher, &rejected, "reject", json!({"reason": "不属于受理范围"})).await;
    let dup = t.new_case(&integrator, "E0101").await;
    let before = t.snapshot(&dup).await;
    for primary in [rejected["id"].clone(), dup["id"].clone(), json!(999_999)] {
        let res = t.act(&dispatcher, &dup, "merge", json!({"primary_id": primary})).await;
        assert_invalid(&res, "primary_id");
        assert_eq!(t.snapshot(&dup).await, before);
    }
    t.stop().await;
}

#[tokio::test]
async fn a_whistle_is_seen_by_its_raiser_its_place_and_its_units() {
    let t = spawn_app().await;
    let leader = t.token("subdistrict_leader").await;
    let body = json!({"kind": "routine", "title": "樱花园小区停车治理", "lat": 39.974, "lon": 116.396,
        "address": "樱花园小区东门",
        "units": [{"unit_code": "CGZF", "task": "清理违停"}, {"unit_code": "ZJW", "task": "规划停车位"}]});
    let (s, w) = t.post(&leader, "/api/v1/whistles", body).await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let path = format!("/api/v1/whistles/{}", w["id"]);
    let units = |v: &Value| v["units"].as_array().unwrap().iter().map(|u| u["unit_code"].clone()).collect::<Vec<_>>();
    // The place's community sees the whole whistle; a summoned unit only its own task.
    for (user, expected) in [
        ("subdistrict_leader", vec![json!("CGZF"), json!("ZJW")]),
        ("community_worker", vec![json!("CGZF"), json!("ZJW")]),
        ("staff_zjw", vec![json!("ZJW")]),
    ] {
        let (s, v) = t.get(&t.token(user).await, &path).await;
        assert_eq!(s, StatusCode::OK, "{user}: {v}");
        assert_eq!(units(&v), expected, "{user}");
    }
    // A department not summoned, elsewhere, does not see it at all.
    let (s, _) = t.get(&t.token("staff_gaj").await, &path).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    t.stop().await;
}
