//! Cases through the REST API: the lifecycle from receipt to closure, every action, refusals
//! that change nothing, intake validation and idempotency, scope, listing and pagination,
//! reference data, the OpenAPI document, concurrent writers, deadlines and notifications.

use super::*;

#[tokio::test]
async fn a_case_goes_from_receipt_to_closure() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let dept = t.token("staff_cgw").await;
    let case = t.new_case(&integrator, "E0101").await;
    assert_eq!(case["status"], "received");
    assert_eq!(case["version"], 1);
    assert_eq!(case["grid"]["code"], "110199001001001");
    assert_eq!(case["community"]["code"], "110199001001");
    assert_eq!(case["subdistrict"]["code"], "110199001");
    let code = case["tracking_code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 10);

    let case = t.ok(&dispatcher, &case, "register", json!({})).await;
    let case = t.ok(&dispatcher, &case, "dispatch", json!({"handler_code": "CGW"})).await;
    assert_eq!(case["handler"]["code"], "CGW");
    let case = t.ok(&dept, &case, "accept", json!({})).await;
    let case = t.ok(&dept, &case, "resolve", json!({"result": "已清运", "evidence": ["photo-1.jpg"]})).await;
    let case = t.ok(&dispatcher, &case, "verify", json!({"passed": true})).await;
    let case = t.ok(&dispatcher, &case, "callback", json!({"solved": true, "satisfaction": "satisfied"})).await;
    let case = t.ok(&dispatcher, &case, "close", json!({})).await;
    assert_eq!(case["status"], "closed");
    assert_eq!(case["version"], 8);
    assert!(case["closed_at"].is_string());

    let (s, events) = t.get(&dispatcher, &format!("/api/v1/cases/{}/events", case["id"])).await;
    assert_eq!(s, StatusCode::OK);
    let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "received",
            "registered",
            "dispatched",
            "accepted",
            "resolved",
            "verification_passed",
            "callback_recorded",
            "closed"
        ]
    );

    // The public view: plain words, the unit's name, nobody's personal data.
    let res = t.client.get(t.url(&format!("/api/v1/public/cases/{code}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert!(text.contains("区城市管理委员会"), "{text}");
    assert!(!text.contains("张三") && !text.contains("1234"), "reporter leaked: {text}");
    assert!(!text.contains("staff_cgw") && !text.contains("dispatcher"), "staff leaked: {text}");
    let public: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(public["status"], "closed");
    assert_eq!(public["timeline"][0]["text_zh"], "诉求已受理");
    t.stop().await;
}

/// All 17 actions, each succeeding at least once with the change the lifecycle rules promise.
#[tokio::test]
async fn every_action_changes_the_case_as_the_rules_say() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let cgw = t.token("staff_cgw").await;
    let swj = t.token("staff_swj").await;
    let cgzf = t.token("department_staff").await;
    let grid_worker = t.token("grid_worker").await;

    // register, reclassifying the category and the urgency.
    let a = t.new_case(&integrator, "E0101").await;
    assert_eq!(a["urgency"], "normal");
    assert_eq!(a["source"], "api");
    let a = t.ok(&dispatcher, &a, "register", json!({"category_code": "E0103", "urgency": "urgent"})).await;
    assert_eq!(a["status"], "registered");
    assert_eq!(a["category"]["code"], "E0103");
    assert_eq!(a["urgency"], "urgent");
    // dispatch by code.
    let a = t.ok(&dispatcher, &a, "dispatch", json!({"handler_code": "CGW", "note": "请今日处置"})).await;
    assert_eq!(a["status"], "dispatched");
    assert_eq!(a["handler"]["code"], "CGW");
    // accept.
    let a = t.ok(&cgw, &a, "accept", json!({})).await;
    assert_eq!(a["status"], "accepted");
    // request_extension → approve_extension (fewer days than asked): extension_days grows.
    let a = t.ok(&cgw, &a, "request_extension", json!({"days": 5, "reason": "需协调产权单位"})).await;
    assert_eq!(a["extension_pending_days"], 5);
    assert_eq!(a["extension_days"], 0);
    let a = t.ok(&dispatcher, &a, "approve_extension", json!({"days": 3})).await;
    assert_eq!(a["extension_pending_days"], Value::Null);
    assert_eq!(a["extension_days"], 3);
    // request_extension → deny_extension: nothing granted.
    let a = t.ok(&cgw, &a, "request_extension", json!({"days": 4, "reason": "仍需协调"})).await;
    assert_eq!(a["extension_pending_days"], 4);
    let a = t.ok(&dispatcher, &a, "deny_extension", json!({"reason": "时限内可办结"})).await;
    assert_eq!(a["extension_pending_days"], Value::Null);
    assert_eq!(a["extension_days"], 3);
    // park / unpark.
    let a = t.ok(&dispatcher, &a, "park", json!({"reason": "结合春季施工统一解决"})).await;
    assert_eq!(a["parked"], true);
    assert_eq!(a["status"], "accepted");
    let a = t.ok(&dispatcher, &a, "unpark", json!({})).await;
    assert_eq!(a["parked"], false);
    // supervise: counted, the status unchanged.
    assert_eq!(a["supervised"], false);
    let a = t.ok(&dispatcher, &a, "supervise", json!({"note": "群众多次反映，请重点督办"})).await;
    assert_eq!(a["supervised"], true);
    assert_eq!(a["supervision_count"], 1);
    assert_eq!(a["status"], "accepted");
    // resolve.
    let a = t.ok(&cgw, &a, "resolve", json!({"result": "已清运", "evidence": ["photo-1.jpg", "photo-2.jpg"]})).await;
    assert_eq!(a["status"], "resolved");
    // verify failed: back to the same handler, counted as a reopening.
    let a = t.ok(&dispatcher, &a, "verify", json!({"passed": false, "note": "现场仍有垃圾"})).await;
    assert_eq!(a["status"], "dispatched");
    assert_eq!(a["reopen_count"], 1);
    assert_eq!(a["handler"]["code"], "CGW");
    // reopen from resolved, to the same handler.
    let a = t.ok(&cgw, &a, "accept", json!({})).await;
    let a = t.ok(&cgw, &a, "resolve", json!({"result": "再次清运"})).await;
    let a = t.ok(&dispatcher, &a, "reopen", json!({"reason": "群众反映仍未解决"})).await;
    assert_eq!(a["status"], "dispatched");
    assert_eq!(a["reopen_count"], 2);
    assert_eq!(a["handler"]["code"], "CGW");
    // verify passed (by the grid worker on site), then reopen from verified.
    let a = t.ok(&cgw, &a, "accept", json!({})).await;
    let a = t.ok(&cgw, &a, "resolve", json!({"result": "彻底清理"})).await;
    let a = t.ok(&grid_worker, &a, "verify", json!({"passed": true, "note": "现场已整改"})).await;
    assert_eq!(a["status"], "verified");
    let a = t.ok(&dispatcher, &a, "reopen", json!({"reason": "复查发现反弹"})).await;
    assert_eq!(a["status"], "dispatched");
    assert_eq!(a["reopen_count"], 3);
    // callback and close.
    let a = t.ok(&cgw, &a, "accept", json!({})).await;
    let a = t.ok(&cgw, &a, "resolve", json!({"result": "已建立长效保洁"})).await;
    let a = t.ok(&dispatcher, &a, "verify", json!({"passed": true})).await;
    assert_eq!(a["last_callback"], Value::Null);
    let a = t
        .ok(
            &integrator,
            &a,
            "callback",
            json!({"solved": true, "satisfaction": "basically_satisfied", "comment": "还行"}),
        )
        .await;
    assert_eq!(a["last_callback"], json!({"solved": true, "satisfaction": "basically_satisfied"}));
    assert_eq!(a["status"], "verified");
    assert_eq!(a["closed_at"], Value::Null);
    let a = t.ok(&dispatcher, &a, "close", json!({})).await;
    assert_eq!(a["status"], "closed");
    assert!(a["closed_at"].is_string());
    assert_eq!(a["version"], 25);

    // merge into a closed case is refused, and neither case changes.
    let dup = t.new_case(&integrator, "E0101").await;
    let (dup_before, a_before) = (t.snapshot(&dup).await, t.snapshot(&a).await);
    let res = t.act(&dispatcher, &dup, "merge", json!({"primary_id": a["id"]})).await;
    assert_invalid(&res, "primary_id");
    t.refused(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", &dup, &dup_before).await;
    assert_eq!(t.snapshot(&a).await, a_before);

    // reopen from closed, to another handler: the new handler works it, the old loses sight.
    let a = t.ok(&dispatcher, &a, "reopen", json!({"reason": "属执法范畴，改派", "handler_code": "CGZF"})).await;
    assert_eq!(a["status"], "dispatched");
    assert_eq!(a["handler"]["code"], "CGZF");
    assert_eq!(a["reopen_count"], 4);
    let a = t.ok(&cgzf, &a, "accept", json!({})).await;
    assert_eq!(a["status"], "accepted");
    let (s, _) = t.get(&cgw, &format!("/api/v1/cases/{}", a["id"])).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        t.event_kinds(&a).await,
        [
            "received",
            "registered",
            "dispatched",
            "accepted",
            "extension_requested",
            "extension_approved",
            "extension_requested",
            "extension_denied",
            "parked",
            "unparked",
            "supervised",
            "resolved",
            "verification_failed",
            "reopened",
            "accepted",
            "resolved",
            "reopened",
            "accepted",
            "resolved",
            "verification_passed",
            "reopened",
            "accepted",
            "resolved",
            "verification_passed",
            "callback_recorded",
            "closed",
            "reopened",
            "accepted"
        ]
    );

    // register without fields keeps the category and its default urgency; dispatch by id.
    let (s, departments) = t.get(&dispatcher, "/api/v1/departments").await;
    assert_eq!(s, StatusCode::OK);
    let swj_id = departments.as_array().unwrap().iter().find(|d| d["code"] == "SWJ").unwrap()["id"].clone();
    let b = t.new_case(&integrator, "C0101").await;
    assert_eq!(b["urgency"], "urgent", "an emergency-tier category defaults to urgent");
    let b = t.ok(&dispatcher, &b, "register", json!({})).await;
    assert_eq!(b["category"]["code"], "C0101");
    assert_eq!(b["urgency"], "urgent");
    let b = t.ok(&dispatcher, &b, "dispatch", json!({"handler_id": swj_id})).await;
    assert_eq!(b["handler"]["code"], "SWJ");
    assert_eq!(b["handler"]["id"], swj_id);
    let b = t.ok(&swj, &b, "accept", json!({})).await;
    assert_eq!(b["status"], "accepted");

    // return, from dispatched and from accepted: back to registered, handler cleared, and the
    // returning department still gets its answer (without the reporter) though it loses sight.
    let c = t.new_case(&integrator, "E0101").await;
    let c = t.ok(&dispatcher, &c, "register", json!({})).await;
    let c = t.ok(&dispatcher, &c, "dispatch", json!({"handler_code": "CGW"})).await;
    let c = t.ok(&cgw, &c, "return", json!({"reason": "不属于本单位职责"})).await;
    assert_eq!(c["status"], "registered");
    assert_eq!(c["handler"], Value::Null);
    assert!(c.get("reporter").is_none(), "{c}");
    // Sending it back to the unit that returned it is a ruling on the return: it needs a reason.
    let c = t.ok(&dispatcher, &c, "dispatch", json!({"handler_code": "CGW", "reason": "经核实属城管职责"})).await;
    let c = t.ok(&cgw, &c, "accept", json!({})).await;
    let c = t.ok(&cgw, &c, "request_extension", json!({"days": 2, "reason": "待定"})).await;
    let c = t.ok(&cgw, &c, "return", json!({"reason": "现场核实属水务"})).await;
    assert_eq!(c["status"], "registered");
    assert_eq!(c["handler"], Value::Null);
    assert_eq!(c["extension_pending_days"], Value::Null, "a return drops the pending extension");
    assert!(c.get("reporter").is_none(), "{c}");
    assert_err(&t.get(&cgw, &format!("/api/v1/cases/{}", c["id"])).await, StatusCode::NOT_FOUND, "not_found");
    let (view, _) = t.admin_view(&c).await;
    assert_eq!((view["status"].clone(), view["version"].clone()), (json!("registered"), c["version"].clone()));

    // reject, from received and from registered.
    let d = t.new_case(&integrator, "E0101").await;
    let d = t.ok(&dispatcher, &d, "reject", json!({"reason": "不属于受理范围"})).await;
    assert_eq!(d["status"], "rejected");
    let e = t.new_case(&integrator, "E0101").await;
    let e = t.ok(&dispatcher, &e, "register", json!({})).await;
    let e = t.ok(&dispatcher, &e, "reject", json!({"reason": "重复反映"})).await;
    assert_eq!(e["status"], "rejected");

    // merge: the duplicate is merged, the primary counts it and moves one version on.
    let primary = t.new_case(&integrator, "E0101").await;
    let primary = t.ok(&dispatcher, &primary, "register", json!({})).await;
    let dup = t.ok(&dispatcher, &dup, "merge", json!({"primary_id": primary["id"]})).await;
    assert_eq!(dup["status"], "merged");
    assert_eq!(dup["merged_into"], primary["id"]);
    let (p, p_events) = t.admin_view(&primary).await;
    assert_eq!(p["duplicate_count"], 1);
    assert_eq!(p["version"], primary["version"].as_i64().unwrap() + 1);
    assert_eq!(p["status"], "registered");
    assert_eq!(p_events.last().unwrap()["kind"], "duplicate_merged");
    assert_eq!(t.event_kinds(&dup).await.last().unwrap(), "merged_into");
    t.stop().await;
}

/// Bodies the API cannot read, callers it does not know: refused before anything changes.
#[tokio::test]
async fn unreadable_requests_and_unknown_callers_change_nothing() {
    let t = spawn_app().await;
    let dispatcher = t.token("dispatcher").await;
    let case = t.new_case(&dispatcher, "E0101").await;
    let before = t.snapshot(&case).await;
    let transitions = format!("/api/v1/cases/{}/transitions", case["id"]);
    let json_ct = Some("application/json");
    let auth = Some(dispatcher.as_str());
    let valid_case = serde_json::to_vec(&case_body("E0101", GRID)).unwrap();
    let valid_transition = serde_json::to_vec(&json!({"action": "register", "version": 1})).unwrap();

    // 400 malformed_json: not JSON at all, cut short, empty, trailing garbage.
    let broken: [&[u8]; 5] = [b"{", b"not json", b"", b"{'a': 1}", b"{\"urgency\" 1}"];
    for body in broken {
        let (s, _, b) = t.post_raw(auth, &transitions, json_ct, body.to_vec()).await;
        t.refused((s, b), StatusCode::BAD_REQUEST, "malformed_json", &case, &before).await;
        let (s, _, b) = t.post_raw(auth, "/api/v1/cases", json_ct, body.to_vec()).await;
        assert_err(&(s, b), StatusCode::BAD_REQUEST, "malformed_json");
    }
    // A body cut short, and a valid body followed by more text.
    let (s, _, b) = t.post_raw(auth, &transitions, json_ct, b"{\"action\": \"register\", ".to_vec()).await;
    t.refused((s, b), StatusCode::BAD_REQUEST, "malformed_json", &case, &before).await;
    let (s, _, b) = t.post_raw(auth, "/api/v1/cases", json_ct, b"{\"description\": \"x\", ".to_vec()).await;
    assert_err(&(s, b), StatusCode::BAD_REQUEST, "malformed_json");
    let (s, _, b) = t.post_raw(auth, &transitions, json_ct, [&valid_transition[..], b" x"].concat()).await;
    t.refused((s, b), StatusCode::BAD_REQUEST, "malformed_json", &case, &before).await;
    let (s, _, b) = t.post_raw(auth, "/api/v1/cases", json_ct, [&valid_case[..], b"}"].concat()).await;
    assert_err(&(s, b), StatusCode::BAD_REQUEST, "malformed_json");
    assert_eq!(t.case_count().await, 1);

    // 422 invalid_body: valid JSON of the wrong shape.
    for body in [
        json!({"action": "register", "version": 1, "colour": "red"}),
        json!({"action": "register", "version": "x"}),
        json!({"action": "register"}),
        json!({"action": 7, "version": 1}),
        json!([1, 2]),
    ] {
        let res = t.post(&dispatcher, &transitions, body).await;
        t.refused(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", &case, &before).await;
    }
    for body in [
        patched(&case_body("E0101", GRID), json!({"colour": "red"})),
        patched(&case_body("E0101", GRID), json!({"lat": "39.9"})),
        patched(&case_body("E0101", GRID), json!({"reporter": {"email": "a@example.com"}})),
        json!({"grid_code": GRID}),
    ] {
        assert_err(&t.post(&dispatcher, "/api/v1/cases", body).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    }
    assert_eq!(t.case_count().await, 1);

    // 415 unsupported_media_type: a JSON body sent as text, or with no Content-Type.
    for ct in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
        let (s, _, b) = t.post_raw(auth, &transitions, ct, valid_transition.clone()).await;
        t.refused((s, b), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", &case, &before).await;
        let (s, _, b) = t.post_raw(auth, "/api/v1/cases", ct, valid_case.clone()).await;
        assert_err(&(s, b), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    }
    assert_eq!(t.case_count().await, 1);

    // 413 payload_too_large: a 10 MB JSON body.
    let huge = serde_json::to_vec(&patched(&case_body("E0101", GRID), json!({"description": "垃".repeat(3_500_000)})))
        .unwrap();
    assert!(huge.len() > 10_000_000);
    let (s, _, b) = t.post_raw(auth, "/api/v1/cases", json_ct, huge.clone()).await;
    assert_err(&(s, b), StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_eq!(t.case_count().await, 1, "no case may come of a refused body");
    let huge_transition =
        serde_json::to_vec(&json!({"action": "reject", "version": 1, "reason": "x".repeat(10_500_000)})).unwrap();
    let (s, _, b) = t.post_raw(auth, &transitions, json_ct, huge_transition).await;
    t.refused((s, b), StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", &case, &before).await;

    // 401 unauthenticated: no header, an unknown token, another scheme; with WWW-Authenticate.
    let unknown = format!("Bearer csk_{}", "0".repeat(48));
    let bad_auth: [Option<&str>; 4] = [None, Some("Bearer nonsense"), Some(&unknown), Some("Basic YTpi")];
    for header in bad_auth {
        let with = |req: reqwest::RequestBuilder| match header {
            Some(h) => req.header("Authorization", h),
            None => req,
        };
        let requests = [
            with(t.client.get(t.url("/api/v1/cases"))),
            with(t.client.get(t.url(&format!("/api/v1/cases/{}", case["id"])))),
            with(t.client.get(t.url(&format!("/api/v1/cases/{}/events", case["id"])))),
            with(t.client.get(t.url(&format!("/api/v1/cases/{}/reporter", case["id"])))),
            with(t.client.get(t.url("/api/v1/orgs"))),
            with(t.client.get(t.url("/api/v1/departments"))),
            with(t.client.post(t.url("/api/v1/cases")).json(&case_body("E0101", GRID))),
            with(t.client.post(t.url(&transitions)).json(&json!({"action": "register", "version": 1}))),
        ];
        for req in requests {
            let (s, h, b) = t.send(req).await;
            let challenge = h.get(WWW_AUTHENTICATE).map(|v| v.to_str().unwrap().to_string());
            assert!(challenge.as_deref().is_some_and(|c| c.starts_with("Bearer")), "{header:?}: {challenge:?}");
            assert_err(&(s, b), StatusCode::UNAUTHORIZED, "unauthenticated");
        }
    }
    assert_eq!(t.snapshot(&case).await, before);
    assert_eq!(t.case_count().await, 1);

    // 422 invalid_query: unknown parameters and wrong types in a query string.
    for q in ["/api/v1/cases?colour=red", "/api/v1/cases?limit=abc", "/api/v1/orgs?planet=mars"] {
        assert_err(&t.get(&dispatcher, q).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_query");
    }

    // A media type with parameters is still JSON.
    let (s, _, b) = t.post_raw(auth, &transitions, Some("application/json; charset=utf-8"), valid_transition).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "registered");
    t.stop().await;
}

/// Refusals of a well-formed transition: not allowed, not visible, not now, not that version,
/// not those fields. Each leaves the case exactly as it was.
#[tokio::test]
async fn refused_transitions_leave_the_case_untouched() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let viewer = t.token("viewer").await;
    let grid_worker = t.token("grid_worker").await;
    let cgw = t.token("staff_cgw").await;
    let swj = t.token("staff_swj").await;
    const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

    let case = t.new_case(&integrator, "E0101").await;
    let before = t.snapshot(&case).await;

    // 403: the viewer sees the case but may not register it.
    assert_eq!(t.get(&viewer, &format!("/api/v1/cases/{}", case["id"])).await.0, StatusCode::OK);
    let res = t.act(&viewer, &case, "register", json!({})).await;
    t.refused(res, StatusCode::FORBIDDEN, "forbidden", &case, &before).await;

    // 409 illegal_transition: close a received case.
    let res = t.act(&dispatcher, &case, "close", json!({})).await;
    let body = t.refused(res, StatusCode::CONFLICT, "illegal_transition", &case, &before).await;
    assert_eq!(body["error"]["details"], json!({"action": "close", "state": "received"}));
    for (action, fields) in [
        ("verify", json!({"passed": true})),
        ("reopen", json!({"reason": "x"})),
        ("callback", json!({"solved": true, "satisfaction": "satisfied"})),
        ("unpark", json!({})),
        ("approve_extension", json!({})),
        ("deny_extension", json!({"reason": "x"})),
    ] {
        let res = t.act(&dispatcher, &case, action, fields).await;
        t.refused(res, StatusCode::CONFLICT, "illegal_transition", &case, &before).await;
    }

    // 409 version_conflict: a version that never was, and (below) a stale one.
    let res = t
        .post(
            &dispatcher,
            &format!("/api/v1/cases/{}/transitions", case["id"]),
            json!({"action": "register", "version": 7}),
        )
        .await;
    let body = t.refused(res, StatusCode::CONFLICT, "version_conflict", &case, &before).await;
    assert_eq!(body["error"]["details"]["current_version"], 1);
    assert_eq!(body["error"]["details"]["expected_version"], 7);

    // 422 validation_failed on the fields an action takes.
    for (action, fields, field) in [
        ("reject", json!({}), "reason"),
        ("reject", json!({"reason": "   "}), "reason"),
        ("fly", json!({}), "action"),
        ("register", json!({"category_code": "Z9999"}), "category_code"),
        ("register", json!({"urgency": "asap"}), "urgency"),
        ("merge", json!({}), "primary_id"),
        ("merge", json!({"primary_id": case["id"]}), "primary_id"),
        ("merge", json!({"primary_id": 999_999_999}), "primary_id"),
        ("verify", json!({}), "passed"),
        ("callback", json!({"solved": true, "satisfaction": "meh"}), "satisfaction"),
        ("callback", json!({"satisfaction": "satisfied"}), "solved"),
        ("supervise", json!({}), "note"),
        ("request_extension", json!({"reason": "x"}), "days"),
    ] {
        let res = t.act(&dispatcher, &case, action, fields).await;
        assert_invalid(&res, field);
        t.refused(res, UNPROCESSABLE, "validation_failed", &case, &before).await;
    }

    let case = t.ok(&dispatcher, &case, "register", json!({})).await;
    let before = t.snapshot(&case).await;
    let id = case["id"].clone();
    // A stale version: the one before the registration.
    let res = t
        .post(
            &dispatcher,
            &format!("/api/v1/cases/{id}/transitions"),
            json!({"action": "dispatch", "version": 1, "handler_code": "CGW"}),
        )
        .await;
    let body = t.refused(res, StatusCode::CONFLICT, "version_conflict", &case, &before).await;
    assert_eq!(body["error"]["details"]["current_version"], 2);
    // The version is checked before anything else, even the caller's rights.
    let res = t
        .post(
            &viewer,
            &format!("/api/v1/cases/{id}/transitions"),
            json!({"action": "dispatch", "version": 1, "handler_code": "CGW"}),
        )
        .await;
    t.refused(res, StatusCode::CONFLICT, "version_conflict", &case, &before).await;
    // A grid worker sees a case in their grid but may not dispatch it.
    assert_eq!(t.get(&grid_worker, &format!("/api/v1/cases/{id}")).await.0, StatusCode::OK);
    let res = t.act(&grid_worker, &case, "dispatch", json!({"handler_code": "CGW"})).await;
    t.refused(res, StatusCode::FORBIDDEN, "forbidden", &case, &before).await;
    for (fields, field) in [
        (json!({}), "handler_code"),
        (json!({"handler_code": "NOPE"}), "handler_code"),
        (json!({"handler_id": 999_999_999}), "handler_id"),
        (json!({"handler_code": GRID}), "handler"),
        (json!({"handler_code": "110199"}), "handler"),
        (json!({"handler_code": "CGW", "note": "长".repeat(4001)}), "note"),
    ] {
        let res = t.act(&dispatcher, &case, "dispatch", fields).await;
        assert_invalid(&res, field);
        t.refused(res, UNPROCESSABLE, "validation_failed", &case, &before).await;
    }
    // A case without a category cannot be dispatched.
    let unclassified = t.file(&integrator, json!({"description": "有人反映问题", "grid_code": GRID})).await;
    assert_eq!(unclassified["category"], Value::Null);
    let unclassified = t.ok(&dispatcher, &unclassified, "register", json!({})).await;
    let un_before = t.snapshot(&unclassified).await;
    let res = t.act(&dispatcher, &unclassified, "dispatch", json!({"handler_code": "CGW"})).await;
    assert_invalid(&res, "category_code");
    t.refused(res, UNPROCESSABLE, "validation_failed", &unclassified, &un_before).await;

    let case = t.ok(&dispatcher, &case, "dispatch", json!({"handler_code": "CGW"})).await;
    let before = t.snapshot(&case).await;
    let id = case["id"].clone();
    // 404: another department cannot see the case, so for it the case does not exist.
    for path in
        [format!("/api/v1/cases/{id}"), format!("/api/v1/cases/{id}/events"), format!("/api/v1/cases/{id}/reporter")]
    {
        assert_err(&t.get(&swj, &path).await, StatusCode::NOT_FOUND, "not_found");
    }
    let res = t.act(&swj, &case, "accept", json!({})).await;
    t.refused(res, StatusCode::NOT_FOUND, "not_found", &case, &before).await;
    // 403: the department the case went to sees it but may not dispatch, close or supervise it.
    for (action, fields) in [
        ("close", json!({})),
        ("supervise", json!({"note": "催办"})),
        ("reopen", json!({"reason": "x"})),
        ("park", json!({"reason": "x"})),
    ] {
        let res = t.act(&cgw, &case, action, fields).await;
        t.refused(res, StatusCode::FORBIDDEN, "forbidden", &case, &before).await;
    }
    // Nor may a dispatcher accept on the department's behalf.
    let res = t.act(&dispatcher, &case, "accept", json!({})).await;
    t.refused(res, StatusCode::FORBIDDEN, "forbidden", &case, &before).await;

    let case = t.ok(&cgw, &case, "accept", json!({})).await;
    let before = t.snapshot(&case).await;
    for (action, fields, field) in [
        ("request_extension", json!({"days": 0, "reason": "x"}), "days"),
        ("request_extension", json!({"days": 31, "reason": "x"}), "days"),
        ("request_extension", json!({"days": 3, "reason": ""}), "reason"),
        ("resolve", json!({"result": " "}), "result"),
        ("resolve", json!({"result": "ok", "evidence": [""]}), "evidence"),
        ("resolve", json!({"result": "ok", "evidence": vec!["p.jpg"; 21]}), "evidence"),
        ("return", json!({}), "reason"),
    ] {
        let res = t.act(&cgw, &case, action, fields).await;
        assert_invalid(&res, field);
        t.refused(res, UNPROCESSABLE, "validation_failed", &case, &before).await;
    }
    for (action, fields) in [
        ("approve_extension", json!({})),
        ("deny_extension", json!({"reason": "x"})),
        ("unpark", json!({})),
        ("close", json!({})),
        ("register", json!({})),
        ("merge", json!({"primary_id": 1})),
    ] {
        let res = t.act(&dispatcher, &case, action, fields).await;
        let body = t.refused(res, StatusCode::CONFLICT, "illegal_transition", &case, &before).await;
        assert_eq!(body["error"]["details"]["state"], "accepted");
        assert_eq!(body["error"]["details"]["action"], action);
    }
    // More days than asked for.
    let case = t.ok(&cgw, &case, "request_extension", json!({"days": 5, "reason": "协调中"})).await;
    let before = t.snapshot(&case).await;
    let res = t.act(&dispatcher, &case, "approve_extension", json!({"days": 6})).await;
    assert_invalid(&res, "days");
    t.refused(res, UNPROCESSABLE, "validation_failed", &case, &before).await;
    let res = t.act(&cgw, &case, "request_extension", json!({"days": 2, "reason": "再申请"})).await;
    t.refused(res, StatusCode::CONFLICT, "illegal_transition", &case, &before).await;
    // A parked case says so in the state it reports.
    let case = t.ok(&dispatcher, &case, "deny_extension", json!({"reason": "不予延期"})).await;
    let case = t.ok(&dispatcher, &case, "park", json!({"reason": "挂账"})).await;
    let before = t.snapshot(&case).await;
    for (token, action, fields) in [
        (&cgw, "resolve", json!({"result": "ok"})),
        (&dispatcher, "park", json!({"reason": "again"})),
        (&cgw, "return", json!({"reason": "x"})),
    ] {
        let res = t.act(token, &case, action, fields).await;
        let body = t.refused(res, StatusCode::CONFLICT, "illegal_transition", &case, &before).await;
        assert_eq!(body["error"]["details"]["state"], "accepted (parked)");
    }

    // 404 for ids that are not case ids, for unknown cases, and for unknown routes.
    for path in [
        "/api/v1/cases/999999999".to_string(),
        "/api/v1/cases/999999999/events".into(),
        "/api/v1/cases/999999999/reporter".into(),
        "/api/v1/cases/abc".into(),
        "/api/v1/cases/0".into(),
        "/api/v1/cases/-1".into(),
        "/api/v1/cases/1.5".into(),
        "/api/v1/cases/abc/events".into(),
        "/api/v1/nothing".into(),
        "/api/v2/cases".into(),
        format!("/api/v1/cases/{id}/nothing"),
        "/".into(),
    ] {
        assert_err(&t.get(&t.admin, &path).await, StatusCode::NOT_FOUND, "not_found");
    }
    for id in ["999999999", "abc", "0"] {
        let res = t
            .post(&t.admin, &format!("/api/v1/cases/{id}/transitions"), json!({"action": "unpark", "version": 1}))
            .await;
        assert_err(&res, StatusCode::NOT_FOUND, "not_found");
    }
    assert_eq!(t.snapshot(&case).await, before);
    t.stop().await;
}

/// Intake checks every field (reporting all problems at once) and makes retries safe.
#[tokio::test]
async fn intake_validates_its_input_and_honours_idempotency_keys() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let viewer = t.token("viewer").await;
    let base = case_body("E0101", GRID);

    for (patch, field) in [
        (json!({"lat": 91.0}), "lat"),
        (json!({"lat": -90.5}), "lat"),
        (json!({"lon": 200.0}), "lon"),
        (json!({"lon": -180.01}), "lon"),
        (json!({"lon": null}), "lat"),
        (json!({"lat": null}), "lat"),
        (json!({"description": ""}), "description"),
        (json!({"description": "   "}), "description"),
        (json!({"description": "长".repeat(4001)}), "description"),
        (json!({"category_code": "Z9999"}), "category_code"),
        (json!({"grid_code": "110199001001099"}), "grid_code"),
        (json!({"grid_code": "110199001001"}), "grid_code"),
        (json!({"community_code": "110199001002"}), "community_code"),
        (json!({"community_code": "110199001099"}), "community_code"),
        (json!({"subdistrict_code": "110199002"}), "subdistrict_code"),
        (json!({"source": "fax"}), "source"),
        (json!({"source": "patrol"}), "source"),
        (json!({"urgency": "asap"}), "urgency"),
        (json!({"reporter": {"phone": "call me"}}), "reporter.phone"),
        (json!({"reporter": {"name": "名".repeat(101)}}), "reporter.name"),
        (json!({"address": "址".repeat(501)}), "address"),
        (json!({"grid_code": null, "lat": null, "lon": null}), "location"),
    ] {
        let res = t.post(&integrator, "/api/v1/cases", patched(&base, patch.clone())).await;
        assert_invalid(&res, field);
        assert_eq!(t.case_count().await, 0, "{patch}");
    }
    // All problems at once.
    let res =
        t.post(&integrator, "/api/v1/cases", patched(&base, json!({"lat": 91, "lon": 200, "description": ""}))).await;
    for field in ["lat", "lon", "description"] {
        assert_invalid(&res, field);
    }
    // A viewer may not report; a dispatcher of Heping may not report in Donghu.
    let res = t.post(&viewer, "/api/v1/cases", base.clone()).await;
    assert_err(&res, StatusCode::FORBIDDEN, "forbidden");
    let heping = t.token("dispatcher_heping").await;
    let res = t.post(&heping, "/api/v1/cases", case_body("E0101", GRID_DONGHU)).await;
    assert_err(&res, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(t.case_count().await, 0);

    // A grid code with its own community is fine, and places the case completely.
    let placed = t
        .file(&integrator, patched(&base, json!({"community_code": "110199001001", "subdistrict_code": "110199001"})))
        .await;
    assert_eq!(placed["community"]["code"], "110199001001");
    assert_eq!(placed["subdistrict"]["code"], "110199001");
    assert_eq!(t.case_count().await, 1);

    // Idempotency: the same key and body replay the case; another body under it is refused.
    let (s, h, first) = t.post_keyed(&integrator, "order-42", &base).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert!(h.get("idempotent-replayed").is_none());
    let (s, h, again) = t.post_keyed(&integrator, "order-42", &base).await;
    assert_eq!(s, StatusCode::CREATED, "{again}");
    assert_eq!(h.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["tracking_code"], first["tracking_code"]);
    assert_eq!(t.case_count().await, 2);
    assert_eq!(t.event_kinds(&first).await, ["received"]);
    let other = patched(&base, json!({"description": "另一件事"}));
    let (s, _, body) = t.post_keyed(&integrator, "order-42", &other).await;
    assert_err(&(s, body), StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
    assert_eq!(t.case_count().await, 2);
    // Keys belong to their caller.
    let (s, h, theirs) = t.post_keyed(&dispatcher, "order-42", &base).await;
    assert_eq!(s, StatusCode::CREATED, "{theirs}");
    assert!(h.get("idempotent-replayed").is_none());
    assert_ne!(theirs["id"], first["id"]);
    assert_eq!(t.case_count().await, 3);
    // Keys must be 1–200 visible ASCII characters.
    for key in [String::new(), "k".repeat(201), "two words".into()] {
        let (s, _, body) = t.post_keyed(&integrator, &key, &base).await;
        assert_invalid(&(s, body), "Idempotency-Key");
    }
    let non_ascii = reqwest::header::HeaderValue::from_bytes("订单-42".as_bytes()).unwrap();
    let req = t.client.post(t.url("/api/v1/cases")).bearer_auth(&integrator).header("Idempotency-Key", non_ascii);
    let (s, _, body) = t.send(req.json(&base)).await;
    assert_invalid(&(s, body), "Idempotency-Key");
    assert_eq!(t.case_count().await, 3);
    t.stop().await;
}

/// Who sees what: departments what was sent to them, field staff their area, and reporters'
/// identity only dispatchers (masked unless revealed).
#[tokio::test]
async fn scope_limits_what_each_role_sees() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;

    let a1 = t.new_case_in(&integrator, "E0101", GRID).await;
    assert!(a1.get("reporter").is_none(), "the integrator's own view has no reporter: {a1}");
    let a1 = t.ok(&dispatcher, &a1, "register", json!({})).await;
    let a1 = t.ok(&dispatcher, &a1, "dispatch", json!({"handler_code": "CGW"})).await;
    let a2 = t.new_case_in(&integrator, "C0101", GRID_2).await;
    let a2 = t.ok(&dispatcher, &a2, "register", json!({})).await;
    let a2 = t.ok(&dispatcher, &a2, "dispatch", json!({"handler_code": "SWJ"})).await;
    let a3 = t.new_case_in(&integrator, "E0101", GRID_OTHER_COMMUNITY).await;
    let a4 = t.new_case_in(&integrator, "E0101", GRID_DONGHU).await;
    assert_eq!(a4["subdistrict"]["code"], "110199002");
    let all = [&a1, &a2, &a3, &a4];

    let expected: [(&str, Vec<&Value>); 12] = [
        ("admin", vec![&a1, &a2, &a3, &a4]),
        ("dispatcher", vec![&a1, &a2, &a3, &a4]),
        ("viewer", vec![&a1, &a2, &a3, &a4]),
        ("integrator", vec![&a1, &a2, &a3, &a4]),
        ("dispatcher_heping", vec![&a1, &a2, &a3]),
        ("subdistrict_leader", vec![&a1, &a2, &a3]),
        ("community_worker", vec![&a1, &a2]),
        ("street_chief", vec![&a1, &a2]),
        ("grid_worker", vec![&a1]),
        ("staff_cgw", vec![&a1]),
        ("staff_swj", vec![&a2]),
        ("department_staff", vec![]),
    ];
    for (user, visible) in &expected {
        let token = t.token(user).await;
        let mut want: Vec<i64> = visible.iter().map(|c| id_of(c)).collect();
        want.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(t.list_ids(&token, "").await, want, "{user} lists");
        for case in all {
            let sees = visible.iter().any(|v| v["id"] == case["id"]);
            for path in [format!("/api/v1/cases/{}", case["id"]), format!("/api/v1/cases/{}/events", case["id"])] {
                let res = t.get(&token, &path).await;
                if sees {
                    assert_eq!(res.0, StatusCode::OK, "{user} {path}: {}", res.1);
                } else {
                    assert_err(&res, StatusCode::NOT_FOUND, "not_found");
                }
            }
        }
    }

    // Acting on a case out of sight is acting on nothing.
    let cgw = t.token("staff_cgw").await;
    let heping = t.token("dispatcher_heping").await;
    let grid_worker = t.token("grid_worker").await;
    for (token, case, action, fields) in [
        (&cgw, &a2, "accept", json!({})),
        (&cgw, &a2, "return", json!({"reason": "x"})),
        (&heping, &a4, "register", json!({})),
        (&heping, &a4, "reject", json!({"reason": "x"})),
        (&grid_worker, &a2, "verify", json!({"passed": true})),
    ] {
        let before = t.snapshot(case).await;
        let res = t.act(token, case, action, fields).await;
        t.refused(res, StatusCode::NOT_FOUND, "not_found", case, &before).await;
    }
    // The Heping dispatcher works Heping cases, including direct dispatch.
    let a3 = t.ok(&heping, &a3, "register", json!({})).await;
    assert_eq!(a3["status"], "registered");

    // The reporter: masked for dispatchers, absent for everyone else.
    let masked = json!({"name": "张*", "phone": "138****1234", "masked": true});
    for token in [&dispatcher, &heping, &t.admin] {
        let (s, view) = t.get(token, &format!("/api/v1/cases/{}", a1["id"])).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(view["reporter"], masked);
    }
    for user in ["staff_cgw", "viewer", "grid_worker", "community_worker", "integrator", "subdistrict_leader"] {
        let token = t.token(user).await;
        let (s, view) = t.get(&token, &format!("/api/v1/cases/{}", a1["id"])).await;
        assert_eq!(s, StatusCode::OK);
        assert!(view.get("reporter").is_none(), "{user} sees the reporter: {view}");
        let (_, page) = t.get(&token, "/api/v1/cases").await;
        assert!(page["items"].as_array().unwrap().iter().all(|c| c.get("reporter").is_none()), "{user}: {page}");
    }

    // Revealing the reporter: dispatchers only, and each reveal is audited.
    let (store, a1_id) = (&t.store, id_of(&a1));
    let reveals = || async move { store.stream_events("access", a1_id).await.unwrap().len() };
    assert_eq!(reveals().await, 0);
    let (s, who) = t.get(&dispatcher, &format!("/api/v1/cases/{}/reporter", a1["id"])).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(who, json!({"name": "张三", "phone": "13812341234", "masked": false}));
    assert_eq!(t.get(&heping, &format!("/api/v1/cases/{}/reporter", a1["id"])).await.0, StatusCode::OK);
    assert_eq!(reveals().await, 2);
    let before = t.snapshot(&a1).await;
    for user in ["staff_cgw", "viewer", "grid_worker", "integrator"] {
        let token = t.token(user).await;
        let res = t.get(&token, &format!("/api/v1/cases/{}/reporter", a1["id"])).await;
        t.refused(res, StatusCode::FORBIDDEN, "forbidden", &a1, &before).await;
    }
    assert_eq!(reveals().await, 2, "a refused reveal is not a reveal");
    assert_err(
        &t.get(&heping, &format!("/api/v1/cases/{}/reporter", a4["id"])).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_err(&t.get(&cgw, &format!("/api/v1/cases/{}/reporter", a2["id"])).await, StatusCode::NOT_FOUND, "not_found");
    t.stop().await;
}

/// Every filter of the case list, and cursor pagination without duplicates or gaps.
#[tokio::test]
async fn list_filters_and_cursor_pagination() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let file =
        |category: &str, grid: &str, source: &str| patched(&case_body(category, grid), json!({"source": source}));

    // Six cases an hour apart, in different places, states and channels.
    let c1 = t.file(&integrator, file("E0101", GRID, "hotline")).await;
    let c1 = t.ok(&dispatcher, &c1, "register", json!({})).await;
    let c1 = t.ok(&dispatcher, &c1, "dispatch", json!({"handler_code": "CGW"})).await;
    t.clock.advance_hours(1);
    let c2 = t.file(&integrator, file("C0101", GRID_2, "web")).await;
    let c2 = t.ok(&dispatcher, &c2, "register", json!({})).await;
    t.clock.advance_hours(1);
    let c3 = t.file(&integrator, file("E0101", GRID_DONGHU, "api")).await;
    t.clock.advance_hours(1);
    let c4 = t.file(&integrator, file("E0101", GRID_OTHER_COMMUNITY, "hotline")).await;
    let c4 = t.ok(&dispatcher, &c4, "reject", json!({"reason": "重复"})).await;
    t.clock.advance_hours(1);
    let c5 = t.file(&integrator, file("C0101", GRID_QINGSHAN, "open311")).await;
    let c5 = t.ok(&dispatcher, &c5, "register", json!({})).await;
    let c5 = t.ok(&dispatcher, &c5, "dispatch", json!({"handler_code": "SWJ"})).await;
    t.clock.advance_hours(1);
    let c6 = t.file(&integrator, file("E0102", "110199001003001", "web")).await;
    let [c1, c2, c3, c4, c5, c6] = [&c1, &c2, &c3, &c4, &c5, &c6].map(id_of);
    assert!(c1 < c2 && c2 < c3 && c3 < c4 && c4 < c5 && c5 < c6);
    let all = vec![c6, c5, c4, c3, c2, c1];

    let tr = &t;
    let created = |id: i64| async move {
        let (_, v) = tr.get(&tr.admin, &format!("/api/v1/cases/{id}")).await;
        query_time(&v["created_at"])
    };
    let (t2, t3, t5) = (created(c2).await, created(c3).await, created(c5).await);
    let checks: Vec<(String, Vec<i64>)> = vec![
        (String::new(), all.clone()),
        ("status=received".into(), vec![c6, c3]),
        ("status=dispatched,rejected".into(), vec![c5, c4, c1]),
        ("status=registered,%20received".into(), vec![c6, c3, c2]),
        ("category=C0101".into(), vec![c5, c2]),
        ("category=E0102".into(), vec![c6]),
        ("category=E0409".into(), vec![]),
        (format!("grid={GRID}"), vec![c1]),
        (format!("grid={GRID_QINGSHAN}"), vec![c5]),
        ("community=110199001001".into(), vec![c2, c1]),
        ("community=110199003001".into(), vec![c5]),
        ("subdistrict=110199001".into(), vec![c6, c4, c2, c1]),
        ("subdistrict=110199002".into(), vec![c3]),
        ("handler=CGW".into(), vec![c1]),
        ("handler=SWJ".into(), vec![c5]),
        ("handler=GAJ".into(), vec![]),
        ("source=hotline".into(), vec![c4, c1]),
        ("source=web".into(), vec![c6, c2]),
        ("source=open311".into(), vec![c5]),
        ("source=api".into(), vec![c3]),
        (format!("created_from={t3}"), vec![c6, c5, c4, c3]),
        (format!("created_to={t3}"), vec![c2, c1]),
        (format!("created_from={t2}&created_to={t5}"), vec![c4, c3, c2]),
        ("created_from=2000-01-01T00:00:00Z&created_to=2000-01-02T00:00:00Z".into(), vec![]),
        ("status=received&subdistrict=110199001".into(), vec![c6]),
        ("category=E0101&source=hotline&status=rejected".into(), vec![c4]),
        ("category=E0101&handler=SWJ".into(), vec![]),
        ("status=&category=".into(), all.clone()),
    ];
    for (query, want) in &checks {
        assert_eq!(&t.list_ids(&dispatcher, query).await, want, "?{query}");
    }

    // Bad filters are refused with the field named.
    for (query, field) in [
        ("status=received,bogus", "status"),
        ("limit=0", "limit"),
        ("limit=1000", "limit"),
        ("limit=-5", "limit"),
        ("cursor=abc", "cursor"),
        ("cursor=0", "cursor"),
        ("created_from=yesterday", "created_from"),
        ("created_to=2026-13-01", "created_to"),
        ("grid=999", "grid"),
        ("community=nope", "community"),
        ("subdistrict=nope", "subdistrict"),
        ("handler=NOPE", "handler"),
        ("source=fax", "source"),
    ] {
        assert_invalid(&t.get(&dispatcher, &format!("/api/v1/cases?{query}")).await, field);
    }

    // Pagination at every page size, including an exact multiple of the total.
    for limit in [1, 2, 3, 4, 5, 6, 7] {
        assert_eq!(t.walk(&dispatcher, "", limit).await, all, "limit={limit}");
    }
    assert_eq!(t.walk(&dispatcher, "status=received,registered", 1).await, vec![c6, c3, c2]);
    let (_, page) = t.get(&dispatcher, "/api/v1/cases?limit=2").await;
    assert_eq!(ids(&page["items"]), vec![c6, c5]);
    assert_eq!(page["next_cursor"], c5.to_string());
    // Pages stay within scope.
    let heping = t.token("dispatcher_heping").await;
    assert_eq!(t.walk(&heping, "", 2).await, vec![c6, c4, c2, c1]);
    let cgw = t.token("staff_cgw").await;
    assert_eq!(t.walk(&cgw, "", 1).await, vec![c1]);
    t.stop().await;
}

/// Reference data, health checks and the public tracking view.
#[tokio::test]
async fn reference_data_health_and_public_tracking() {
    let t = spawn_app().await;
    let viewer = t.token("viewer").await;

    let (s, orgs) = t.get(&viewer, "/api/v1/orgs").await;
    assert_eq!(s, StatusCode::OK);
    let orgs = orgs.as_array().unwrap().clone();
    assert_eq!(orgs[0]["code"], "110199");
    let by_code: std::collections::HashMap<&str, &Value> =
        orgs.iter().map(|o| (o["code"].as_str().unwrap(), o)).collect();
    let (s, grids) = t.get(&viewer, "/api/v1/orgs?kind=grid").await;
    assert_eq!(s, StatusCode::OK);
    let grids = grids.as_array().unwrap();
    assert_eq!(grids.len(), 60);
    for g in grids {
        let code = g["code"].as_str().unwrap();
        let parent = g["parent_code"].as_str().unwrap();
        assert_eq!(g["kind"], "grid");
        assert!(code.len() == 15 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        assert!(code.starts_with(parent) && parent.len() == 12, "{code} under {parent}");
        assert!(matches!(by_code[parent]["kind"].as_str(), Some("community" | "village")), "{parent}");
    }
    for (kind, n) in [("subdistrict", 2), ("township", 1), ("community", 17), ("village", 3), ("district", 1)] {
        let (s, list) = t.get(&viewer, &format!("/api/v1/orgs?kind={kind}")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(list.as_array().unwrap().len(), n, "{kind}");
    }
    assert_invalid(&t.get(&viewer, "/api/v1/orgs?kind=planet").await, "kind");

    let (s, departments) = t.get(&viewer, "/api/v1/departments").await;
    assert_eq!(s, StatusCode::OK);
    let departments = departments.as_array().unwrap();
    let codes: BTreeSet<&str> = departments.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(codes.iter().filter(|c| !c.contains('-')).count() >= 8, "{codes:?}");
    for code in ["CGW", "CGZF", "ZJW", "SCJG", "SHJ", "JTW", "SWJ", "YLJ", "GAJ", "GHZR", "CGZF-HP"] {
        assert!(codes.contains(code), "{code} missing from {codes:?}");
    }
    assert!(departments.iter().all(|d| matches!(d["kind"].as_str(), Some("department" | "stationed_unit"))));

    // The catalogue is public.
    let (s, _, categories) = t.send(t.client.get(t.url("/api/v1/categories"))).await;
    assert_eq!(s, StatusCode::OK);
    let categories = categories.as_array().unwrap();
    assert!(categories.len() >= 40, "{}", categories.len());
    assert!(categories.iter().any(|c| c["code"] == "E0101"));

    let (s, _, health) = t.send(t.client.get(t.url("/healthz"))).await;
    assert_eq!((s, health), (StatusCode::OK, json!({"status": "ok"})));
    let (s, _, ready) = t.send(t.client.get(t.url("/readyz"))).await;
    // 2 November 2026 and 2027 has no official schedule yet: still ready, but it says so.
    let calendar = json!({"status": "provisional", "year": 2027});
    assert_eq!((s, ready), (StatusCode::OK, json!({"status": "ok", "database": "ok", "calendar": calendar})));
    t.app
        .calendar()
        .import_calendar_year(include_str!("../../../chuishao-app/tests/fixtures/2027-example.toml"))
        .await
        .unwrap();
    let (_, _, ready) = t.send(t.client.get(t.url("/readyz"))).await;
    assert_eq!(ready["calendar"], json!({"status": "ok"}));

    // Public tracking: the code as given, lower-case, or dashed and spaced.
    let integrator = t.token("integrator").await;
    let case = t.new_case(&integrator, "E0101").await;
    let code = case["tracking_code"].as_str().unwrap().to_string();
    let lower = code.to_lowercase();
    for given in [
        code.clone(),
        lower.clone(),
        format!("{}-{}", &lower[..5], &lower[5..]),
        format!("{} {}", &code[..3], &code[3..]),
    ] {
        let (s, _, view) =
            t.send(t.client.get(t.url(&format!("/api/v1/public/cases/{}", given.replace(' ', "%20"))))).await;
        assert_eq!(s, StatusCode::OK, "{given}: {view}");
        assert_eq!(view["tracking_code"], code.as_str());
        assert_eq!(view["status"], "received");
        assert!(view.get("reporter").is_none(), "{view}");
        // The description as the public text policy shows it (nothing to hide in this one).
        assert_eq!(view["description"], "小区东门暴露垃圾", "{view}");
    }
    let unknown = if code == "2222222222" { "3333333333" } else { "2222222222" };
    for given in [unknown, "0000000000", "ABC", "ABCDEFGHJKMN"] {
        let (s, _, body) = t.send(t.client.get(t.url(&format!("/api/v1/public/cases/{given}")))).await;
        assert_err(&(s, body), StatusCode::NOT_FOUND, "not_found");
    }
    t.stop().await;
}

/// The OpenAPI document describes every route, and every route it describes is served.
#[tokio::test]
async fn openapi_documents_every_route_and_each_is_served() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;

    let (s, _, doc) = t.send(t.client.get(t.url("/api/v1/openapi.json"))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let routes = [
        ("post", "/api/v1/cases"),
        ("get", "/api/v1/cases"),
        ("get", "/api/v1/cases/{id}"),
        ("get", "/api/v1/cases/{id}/events"),
        ("post", "/api/v1/cases/{id}/transitions"),
        ("get", "/api/v1/cases/{id}/reporter"),
        ("get", "/api/v1/cases/{id}/public-text"),
        ("get", "/api/v1/orgs"),
        ("get", "/api/v1/departments"),
        ("get", "/api/v1/categories"),
        ("get", "/api/v1/public/cases/{tracking_code}"),
    ];
    for (method, path) in routes {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is not documented");
    }
    for (method, path) in [
        ("get", "/api/v1/calendar"),
        ("get", "/api/v1/calendar/due"),
        ("put", "/api/v1/calendar/{year}"),
        ("get", "/api/v1/notifications/deliveries"),
        ("post", "/api/v1/notifications/deliveries/{id}/retry"),
        ("get", "/api/v1/notifications/subscriptions"),
        ("post", "/api/v1/notifications/subscriptions"),
        ("put", "/api/v1/cases/{id}/public-text"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is not documented");
    }

    // Each documented route answers as itself, not with the fallback for unknown routes.
    let case = t.new_case(&integrator, "E0101").await;
    let (id, code) = (case["id"].to_string(), case["tracking_code"].as_str().unwrap().to_string());
    for (method, path) in routes {
        let concrete = path.replace("{id}", &id).replace("{tracking_code}", &code);
        let req = match method {
            "get" => t.client.request(Method::GET, t.url(&concrete)),
            _ => t.client.request(Method::POST, t.url(&concrete)),
        };
        let body = if path.ends_with("transitions") {
            json!({"action": "supervise", "version": 1, "note": "核实进度"})
        } else {
            case_body("E0101", GRID)
        };
        let req = if method == "post" { req.json(&body) } else { req };
        let (s, _, res) = t.send(req.bearer_auth(&dispatcher)).await;
        assert_ne!(s, StatusCode::NOT_FOUND, "{method} {concrete}: {res}");
        let want = if path == "/api/v1/cases" && method == "post" { StatusCode::CREATED } else { StatusCode::OK };
        assert_eq!(s, want, "{method} {concrete}: {res}");
    }
    // The fallback itself, for contrast.
    let (s, _, res) = t.send(t.client.get(t.url("/api/v1/casez")).bearer_auth(&dispatcher)).await;
    assert_err(&(s, res), StatusCode::NOT_FOUND, "not_found");
    t.stop().await;
}

/// Two writers with the same version: one wins, the other learns of the conflict, and the
/// log records one event. Concurrent retries of one submission create one case.
#[tokio::test]
async fn concurrent_writers_commit_exactly_once() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let heping = t.token("dispatcher_heping").await;

    // The same action twice.
    let case = t.new_case(&integrator, "E0101").await;
    let case = t.ok(&dispatcher, &case, "register", json!({})).await;
    let (_, events_before) = t.snapshot(&case).await;
    let (r1, r2) = tokio::join!(
        t.act(&dispatcher, &case, "supervise", json!({"note": "第一次督办"})),
        t.act(&heping, &case, "supervise", json!({"note": "第二次督办"})),
    );
    let mut statuses = [r1.0, r2.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{} / {}", r1.1, r2.1);
    let loser = if r1.0 == StatusCode::CONFLICT { &r1 } else { &r2 };
    assert_err(loser, StatusCode::CONFLICT, "version_conflict");
    let (view, events_after) = t.snapshot(&case).await;
    assert_eq!(events_after, events_before + 1);
    assert_eq!(view["version"], 3);
    assert_eq!(view["supervision_count"], 1);

    // Two different actions: the case ends in the winner's state.
    let case = t.new_case(&integrator, "E0101").await;
    let (r1, r2) = tokio::join!(
        t.act(&dispatcher, &case, "register", json!({})),
        t.act(&heping, &case, "reject", json!({"reason": "重复"})),
    );
    assert_eq!([r1.0, r2.0].iter().filter(|s| **s == StatusCode::OK).count(), 1, "{} / {}", r1.1, r2.1);
    let (winner, loser) = if r1.0 == StatusCode::OK { (&r1, &r2) } else { (&r2, &r1) };
    assert_err(loser, StatusCode::CONFLICT, "version_conflict");
    let (view, events) = t.snapshot(&case).await;
    assert_eq!(view["status"], winner.1["status"]);
    assert_eq!((view["version"].as_i64(), events), (Some(2), 2));

    // Five at once.
    let case = t.new_case(&integrator, "E0101").await;
    let (_, events_before) = t.snapshot(&case).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..5 {
        let req = t
            .client
            .post(t.url(&format!("/api/v1/cases/{}/transitions", case["id"])))
            .bearer_auth(&dispatcher)
            .json(&json!({"action": "supervise", "version": case["version"], "note": format!("督办{i}")}));
        tasks.spawn(async move {
            let res = req.send().await.unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap())
        });
    }
    let results = tasks.join_all().await;
    assert_eq!(results.iter().filter(|r| r.0 == StatusCode::OK).count(), 1, "{results:?}");
    for r in results.iter().filter(|r| r.0 != StatusCode::OK) {
        assert_err(r, StatusCode::CONFLICT, "version_conflict");
    }
    let (view, events_after) = t.snapshot(&case).await;
    assert_eq!(events_after, events_before + 1);
    assert_eq!(view["version"], case["version"].as_i64().unwrap() + 1);

    // The same submission retried concurrently under one key: one case.
    let count = t.case_count().await;
    let body = case_body("E0101", GRID);
    let (r1, r2) =
        tokio::join!(t.post_keyed(&integrator, "retry-1", &body), t.post_keyed(&integrator, "retry-1", &body));
    assert_eq!((r1.0, r2.0), (StatusCode::CREATED, StatusCode::CREATED), "{} / {}", r1.2, r2.2);
    assert_eq!(r1.2["id"], r2.2["id"]);
    let replayed = [&r1.1, &r2.1].iter().filter(|h| h.get("idempotent-replayed").is_some()).count();
    assert_eq!(replayed, 1);
    assert_eq!(t.case_count().await, count + 1);
    t.stop().await;
}

/// Deadlines through HTTP: clocks on the case view, a tier change, the overdue filter, the
/// calendar endpoints and an admin's import.
#[tokio::test]
async fn deadlines_and_the_calendar() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let case = t.new_case(&integrator, "E0101").await;
    assert_eq!(case["deadlines"], json!([]), "no clock before dispatch");
    let case = t.ok(&dispatcher, &case, "register", json!({})).await;
    let case = t.ok(&dispatcher, &case, "dispatch", json!({"handler_code": "CGW"})).await;
    let kinds: Vec<&str> = case["deadlines"].as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["acceptance", "resolution"]);
    assert!(case["deadlines"][1]["due_at"].as_str().unwrap().ends_with("+08:00"));
    assert_eq!(case["deadlines"][1]["state"], "running");

    // A tier change needs a reason and a known tier; refused, it changes nothing.
    let before = t.snapshot(&case).await;
    assert_invalid(&t.act(&dispatcher, &case, "set_tier", json!({"tier": "emergency"})).await, "reason");
    assert_invalid(&t.act(&dispatcher, &case, "set_tier", json!({"tier": "soon", "reason": "x"})).await, "tier");
    assert_eq!(t.snapshot(&case).await, before);
    let case = t.ok(&dispatcher, &case, "set_tier", json!({"tier": "emergency", "reason": "燃气泄漏"})).await;
    assert_eq!(case["deadlines"][1]["tier"], "emergency");
    assert_eq!(case["deadlines"][1]["basis"], "wall");
    assert!(t.event_kinds(&case).await.contains(&"tier_changed".to_string()));

    // Three hours later the 2-hour emergency deadline has passed.
    assert_eq!(t.list_ids(&dispatcher, "overdue=true").await, Vec::<i64>::new());
    t.clock.advance_hours(3);
    assert_eq!(t.list_ids(&dispatcher, "overdue=true").await, vec![id_of(&case)]);
    let (s, page) = t.get(&dispatcher, "/api/v1/cases?due_before=yesterday").await;
    assert_invalid(&(s, page), "due_before");
    let r = t.app.calendar().timer_tick(t.app.now_ms()).await.unwrap();
    assert_eq!(r.supervisions, 1, "one supervision per case and level, though both clocks are overdue");
    let kinds = t.event_kinds(&case).await;
    assert!(kinds.contains(&"deadline_overdue".to_string()) && kinds.contains(&"supervised".to_string()), "{kinds:?}");
    let (_, now) = t.get(&dispatcher, &format!("/api/v1/cases/{}", id_of(&case))).await;
    assert_eq!(now["version"], case["version"], "system events do not bump the version");
    assert_eq!(now["deadlines"][1]["state"], "overdue");

    // The calendar.
    let (s, cal) = t.get(&dispatcher, "/api/v1/calendar").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cal["working_hours"], "09:00-12:00,13:30-17:30");
    assert_eq!(cal["years"][1]["year"], 2026);
    let q = "/api/v1/calendar/due?from=2026-09-30T11:00:00%2B08:00&working_days=3";
    let (s, due) = t.get(&dispatcher, q).await;
    assert_eq!((s, due["due_at"].as_str()), (StatusCode::OK, Some("2026-10-10T11:00:00+08:00")));
    assert_eq!(due["provisional"], false);
    // 2027 is provisional until its official schedule is imported.
    assert_eq!(cal["provisional_years"].as_array().map(|a| a.len()), Some(99));
    let (s, y) = t.get(&dispatcher, "/api/v1/calendar/2027").await;
    assert_eq!((s, &y["provisional"], &y["holidays"][1]["from"]), (StatusCode::OK, &json!(true), &json!("2027-02-05")));
    // Found by Schemathesis: the lowest year number once overflowed and dropped the connection.
    for year in ["2101", "-2147483647", "-2147483648", "2147483647"] {
        assert_err(
            &t.get(&dispatcher, &format!("/api/v1/calendar/{year}")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "calendar_year_out_of_range",
        );
    }
    let q = "/api/v1/calendar/due?from=2027-02-04T10:00:00%2B08:00&working_days=2";
    let (s, due) = t.get(&dispatcher, q).await;
    assert_eq!(
        (s, &due["due_at"], &due["provisional"]),
        (StatusCode::OK, &json!("2027-02-12T10:00:00+08:00"), &json!(true))
    );
    let q = "/api/v1/calendar/due?from=2100-12-30T10:00:00%2B08:00&working_days=5";
    assert_err(&t.get(&dispatcher, q).await, StatusCode::UNPROCESSABLE_ENTITY, "calendar_beyond_loaded_years");
    let q = "/api/v1/calendar/due?from=2026-12-30T10:00:00%2B08:00&working_days=5&hours=2";
    assert_invalid(&t.get(&dispatcher, q).await, "working_days");

    let y2027 = include_str!("../../../chuishao-app/tests/fixtures/2027-example.toml");
    let put = |token: &str, year: &str, source: &str| {
        t.client.put(t.url(&format!("/api/v1/calendar/{year}"))).bearer_auth(token).json(&json!({"source": source}))
    };
    let (s, _, res) = t.send(put(&dispatcher, "2027", y2027)).await;
    assert_err(&(s, res), StatusCode::FORBIDDEN, "forbidden");
    let (s, _, res) = t.send(put(&t.admin, "2028", y2027)).await;
    assert_invalid(&(s, res), "source");
    let overlap = "year = 2027\n[[holiday]]\nname = \"a\"\nfrom = \"2027-01-01\"\nto = \"2027-01-03\"\n\
                   [[holiday]]\nname = \"b\"\nfrom = \"2027-01-03\"\nto = \"2027-01-04\"\n";
    let (s, _, res) = t.send(put(&t.admin, "2027", overlap)).await;
    assert_err(&(s, res), StatusCode::UNPROCESSABLE_ENTITY, "calendar_overlap");
    let only_new_year = "year = 2027\n[[holiday]]\nname = \"元旦\"\nfrom = \"2027-01-01\"\nto = \"2027-01-01\"\n";
    let (s, _, res) = t.send(put(&t.admin, "2027", only_new_year)).await;
    assert_err(&(s, res), StatusCode::UNPROCESSABLE_ENTITY, "calendar_statutory_day_worked");
    let (s, _, res) = t.send(put(&t.admin, "2027", y2027)).await;
    assert_eq!((s, res["year"].as_i64(), &res["provisional"]), (StatusCode::OK, Some(2027), &json!(false)));
    let q = "/api/v1/calendar/due?from=2026-12-30T10:00:00%2B08:00&working_days=5";
    let (_, due) = t.get(&dispatcher, q).await;
    assert_eq!((&due["due_at"], &due["provisional"]), (&json!("2027-01-07T10:00:00+08:00"), &json!(false)));
    t.stop().await;
}

/// Notification subscriptions and deliveries through HTTP (admin only); the delivery worker
/// itself is tested against a real receiver in chuishao-app's tests/notifications.rs.
#[tokio::test]
async fn notification_subscriptions_and_deliveries() {
    let t = spawn_app().await;
    let dispatcher = t.token("dispatcher").await;
    let body = json!({"name": "运维群", "channel": "wecom", "url": "http://127.0.0.1:9/robot",
                      "event_kinds": ["deadline_overdue", "supervised"], "org_code": "110199001", "format": "markdown"});
    assert_err(
        &t.post(&dispatcher, "/api/v1/notifications/subscriptions", body.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_invalid(
        &t.post(&t.admin, "/api/v1/notifications/subscriptions", patched(&body, json!({"channel": "fax"}))).await,
        "channel",
    );
    assert_invalid(
        &t.post(&t.admin, "/api/v1/notifications/subscriptions", patched(&body, json!({"org_code": "nowhere"}))).await,
        "org_code",
    );
    let (s, created) = t.post(&t.admin, "/api/v1/notifications/subscriptions", body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!((created["channel"].as_str(), created["format"].as_str()), (Some("wecom"), Some("markdown")));
    let (s, list) = t.get(&t.admin, "/api/v1/notifications/subscriptions").await;
    assert_eq!((s, list.as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    assert!(list[0].get("secret").is_none());
    let (s, deliveries) = t.get(&t.admin, "/api/v1/notifications/deliveries?state=dead").await;
    assert_eq!((s, deliveries), (StatusCode::OK, json!([])));
    assert_invalid(&t.get(&t.admin, "/api/v1/notifications/deliveries?state=lost").await, "state");
    assert_err(&t.get(&dispatcher, "/api/v1/notifications/deliveries").await, StatusCode::FORBIDDEN, "forbidden");
    let (s, res) = t.post(&t.admin, "/api/v1/notifications/deliveries/999/retry", json!({})).await;
    assert_err(&(s, res), StatusCode::NOT_FOUND, "not_found");
    t.stop().await;
}
