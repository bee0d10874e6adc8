//! Open311 GeoReport v2 through real HTTP: discovery, services, filing with every way of
//! sending the api_key, the request listing and its filters, tokens, XML, the error arrays,
//! and the `servicerequestupdates` extension. Refusals are followed by a count of cases.

use super::*;

impl TestApp {
    /// GET an Open311 path; (status, JSON or null, raw text).
    async fn o311_get(&self, path: &str) -> (StatusCode, Value, String) {
        let res = self.client.get(self.url(path)).send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null), text)
    }

    /// POST a form to an Open311 path.
    async fn o311_post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value, String) {
        let res = self.client.post(self.url(path)).form(form).send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null), text)
    }
}

/// Asserts the spec's error array with one error of `status`.
#[track_caller]
fn assert_o311_err(res: &(StatusCode, Value, String), status: u16) {
    assert_eq!(res.0.as_u16(), status, "{}", res.2);
    assert_eq!(res.1[0]["code"], status, "{}", res.2);
    assert!(res.1[0]["description"].as_str().is_some_and(|d| !d.is_empty()), "{}", res.2);
    assert_eq!(res.1.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn open311_discovery_services_and_definitions() {
    let t = spawn_app().await;
    let (s, d, _) = t.o311_get("/open311/v2/discovery.json").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(d["endpoints"][0]["specification"], "http://wiki.open311.org/GeoReport_v2");
    assert!(d["endpoints"][0]["url"].as_str().unwrap().ends_with("/open311/v2"));
    let (s, _, xml) = t.o311_get("/open311/v2/discovery.xml").await;
    assert_eq!(s, StatusCode::OK);
    assert!(xml.contains("<discovery>") && xml.contains("<format>text/xml</format>"), "{xml}");

    let (s, services, _) = t.o311_get("/open311/v2/services.json").await;
    assert_eq!(s, StatusCode::OK);
    let list = services.as_array().unwrap();
    assert!(list.len() > 50, "the demo catalogue has 83 categories");
    let e0101 = list.iter().find(|s| s["service_code"] == "E0101").unwrap();
    assert_eq!(e0101["metadata"], true);
    assert_eq!(e0101["type"], "realtime");
    assert!(!e0101["service_name"].as_str().unwrap().is_ascii(), "Chinese by default");
    let (_, en, _) = t.o311_get("/open311/v2/services.json?locale=en").await;
    let e = en.as_array().unwrap().iter().find(|s| s["service_code"] == "E0101").unwrap().clone();
    assert!(e["service_name"].as_str().unwrap().is_ascii(), "{e}");
    let (_, _, xml) = t.o311_get("/open311/v2/services.xml").await;
    assert!(xml.starts_with("<?xml") && xml.contains("<services><service>"), "{}", &xml[..200]);
    assert!(xml.contains("<service_code>E0101</service_code>"));

    // Definitions, with the /service/ alias, doubled slashes and empty parameters.
    for path in [
        "/open311/v2/services/E0101.json",
        "/open311/v2/service/E0101.json",
        "/open311/v2//services/E0101.json",
        "//open311/v2/services/E0101.json?jurisdiction_id=",
    ] {
        let (s, def, text) = t.o311_get(path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {text}");
        assert_eq!(def["service_code"], "E0101");
        let codes: Vec<&str> =
            def["attributes"].as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["HAZARD", "LANDMARK"]);
        assert_eq!(def["attributes"][0]["values"][0]["key"], "yes");
    }
    let (_, _, xml) = t.o311_get("/open311/v2/services/E0101.xml").await;
    assert!(xml.contains("<service_definition>"), "{xml}");
    assert!(xml.contains("<attributes><attribute>") && xml.contains("<code>HAZARD</code>"), "{xml}");

    assert_o311_err(&t.o311_get("/open311/v2/services/Z9999.json").await, 404);
    assert_o311_err(&t.o311_get("/open311/v2/services.yaml").await, 404);
    assert_o311_err(&t.o311_get("/open311/v2/nothing.json").await, 404);
    let (s, _, xml) = t.o311_get("/open311/v2/services/Z9999.xml").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(xml.contains("<errors><error><code>404</code>"), "{xml}");
    t.stop().await;
}

#[tokio::test]
async fn open311_post_requests_and_refusals() {
    let t = spawn_app().await;
    let key = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let base = [("service_code", "E0101"), ("lat", "39.974"), ("long", "116.396"), ("description", "垃圾桶满溢")];

    // Refusals: each is an error array and stores nothing.
    let long = "长".repeat(5000);
    let cases: Vec<(Vec<(&str, &str)>, u16)> = vec![
        (base.to_vec(), 403),                                             // no api_key
        ([&base[..], &[("api_key", "csk_nope")]].concat(), 403),          // unknown key
        ([&base[..], &[("api_key", dispatcher.as_str())]].concat(), 403), // not an integrator
        (vec![("api_key", &key), ("service_code", "Z9999"), ("lat", "39.9"), ("long", "116.4")], 400),
        (vec![("api_key", &key), ("service_code", "E0101"), ("description", "x")], 400), // no location
        (vec![("api_key", &key), ("service_code", "E0101"), ("lat", "91"), ("long", "116.4")], 400),
        (vec![("api_key", &key), ("service_code", "E0101"), ("lat", "abc"), ("long", "116.4")], 400),
        ([&base[..], &[("api_key", &key), ("attribute[HAZARD]", "maybe")]].concat(), 400),
        ([&base[..], &[("api_key", &key), ("attribute[COLOUR]", "red")]].concat(), 400),
        ([&base[..], &[("api_key", &key), ("media_url", "javascript:alert(1)")]].concat(), 400),
        (vec![("api_key", &key), ("service_code", "E0101"), ("address_string", "东门"), ("description", &long)], 400),
    ];
    for (form, status) in &cases {
        let res = t.o311_post("/open311/v2/requests.json", form).await;
        assert_o311_err(&res, *status);
    }
    let res = t.o311_post("/open311/v2/requests.xml", &base).await;
    assert_eq!(res.0, StatusCode::FORBIDDEN);
    assert!(res.2.contains("<errors><error><code>403</code>"), "{}", res.2);
    assert_eq!(t.case_count().await, 0, "refusals stored nothing");

    // api_key in the form body, with attributes and media.
    let form = [
        &base[..],
        &[
            ("api_key", key.as_str()),
            ("attribute[HAZARD]", "yes"),
            ("attribute[LANDMARK]", "樱花园东门"),
            ("media_url", "https://example.org/photo.jpg"),
            ("first_name", "三"),
            ("last_name", "张"),
            ("phone", "13812341234"),
            ("email", ""),
        ],
    ]
    .concat();
    let (s, created, text) = t.o311_post("/open311/v2/requests.json", &form).await;
    assert_eq!(s, StatusCode::CREATED, "{text}");
    assert_eq!(created.as_array().unwrap().len(), 1, "a bare one-element array");
    let id = created[0]["service_request_id"].as_str().unwrap().to_string();
    assert_eq!(created[0]["token"], id.as_str());

    // api_key in the query string, and as a bearer token; address only.
    let res = t
        .o311_post(
            &format!("/open311/v2/requests.json?api_key={key}"),
            &[("service_code", "E0102"), ("address_string", "青年湖北街")],
        )
        .await;
    assert_eq!(res.0, StatusCode::CREATED, "{}", res.2);
    let res = t
        .client
        .post(t.url("/open311/v2/requests.xml"))
        .bearer_auth(&key)
        .form(&[("service_code", "C0101"), ("lat", "39.97"), ("long", "116.39")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let xml = res.text().await.unwrap();
    assert!(xml.contains("<service_requests><request>") && xml.contains("<service_request_id>"), "{xml}");
    // A multipart body with text fields works; a file part that is not an image is refused.
    let mp = reqwest::multipart::Form::new()
        .text("api_key", key.clone())
        .text("service_code", "E0101")
        .text("address_string", "樱花园南门");
    let res = t.client.post(t.url("/open311/v2/requests.json")).multipart(mp).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let mp = reqwest::multipart::Form::new()
        .text("api_key", key.clone())
        .text("service_code", "E0101")
        .text("address_string", "樱花园南门")
        .part("media", reqwest::multipart::Part::bytes(b"#!/bin/sh\nrm -rf /".to_vec()).file_name("x.jpg"));
    let res = t.client.post(t.url("/open311/v2/requests.json")).multipart(mp).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(t.case_count().await, 4);
    assert!(!std::path::Path::new("chuishao-photos").exists(), "nothing written to the default photo dir");

    // The request as the public sees it: no reporter data, source open311.
    let (s, one, text) = t.o311_get(&format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let r = &one[0];
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(r["service_request_id"], id.as_str());
    assert_eq!(r["service_code"], "E0101");
    assert_eq!(r["status"], "open");
    assert_eq!(r["description"], "垃圾桶满溢");
    assert_eq!(r["media_url"], "https://example.org/photo.jpg");
    assert_eq!(r["expected_datetime"], Value::Null);
    assert_eq!(r["agency_responsible"], Value::Null);
    assert!(!text.contains("13812341234") && !text.contains("张三") && !text.contains("1234"), "{text}");
    let staff = t.list_ids(&t.admin, "").await;
    let (_, case) = t.get(&t.admin, &format!("/api/v1/cases/{}", staff.iter().min().unwrap())).await;
    assert_eq!(case["source"], "open311");
    assert_eq!(case["tracking_code"], id.as_str());
    assert_eq!(case["reporter"]["phone"], "138****1234");

    // Lifecycle: dispatched → agency_responsible; rejected → closed.
    let case = t.ok(&dispatcher, &case, "register", json!({})).await;
    let dispatched = t.ok(&dispatcher, &case, "dispatch", json!({"handler_code": "CGW"})).await;
    let due = dispatched["deadlines"].as_array().unwrap().iter().find(|d| d["kind"] == "resolution").unwrap()["due_at"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, one, _) = t.o311_get(&format!("/open311/v2/requests/{id}.json?locale=en")).await;
    assert!(one[0]["agency_responsible"].as_str().unwrap().contains("City Management"), "{one}");
    assert_eq!(one[0]["expected_datetime"], due.as_str(), "the promise is the resolution deadline");
    assert_o311_err(&t.o311_get("/open311/v2/requests/AAAAAAAAAA.json").await, 404);
    assert_o311_err(&t.o311_get("/open311/v2/requests/not-a-code.json").await, 404);

    // Tokens are tracking codes.
    let (s, tok, _) = t.o311_get(&format!("/open311/v2/tokens/{id}.json")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(tok[0]["service_request_id"], id.as_str());
    assert_o311_err(&t.o311_get("/open311/v2/tokens/AAAAAAAAAA.json").await, 404);
    let (_, _, xml) = t.o311_get(&format!("/open311/v2/requests/{id}.xml")).await;
    assert!(xml.contains(&format!("<service_request_id>{id}</service_request_id>")), "{xml}");
    assert!(xml.contains(&format!("<expected_datetime>{due}</expected_datetime>")), "{xml}");
    t.stop().await;
}

#[tokio::test]
async fn open311_get_requests_filters_and_pages() {
    let t = spawn_app().await;
    let key = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let mut ids = Vec::new();
    for (i, code) in ["E0101", "E0101", "E0102", "C0101", "E0101"].iter().enumerate() {
        let lat = format!("39.97{i}");
        let (s, c, text) = t
            .o311_post(
                "/open311/v2/requests.json",
                &[("api_key", &key), ("service_code", code), ("lat", &lat), ("long", "116.39")],
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{text}");
        ids.push(c[0]["service_request_id"].as_str().unwrap().to_string());
        t.clock.advance_hours(1);
    }
    // Reject the second: closed.
    let staff = t.list_ids(&t.admin, "").await;
    let second = staff[staff.len() - 2];
    let (_, case) = t.get(&t.admin, &format!("/api/v1/cases/{second}")).await;
    t.ok(&dispatcher, &case, "reject", json!({"reason": "重复"})).await;

    let get_ids = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap().to_string()).collect()
    };
    let (s, all, _) = t.o311_get("/open311/v2/requests.json").await;
    assert_eq!(s, StatusCode::OK);
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(get_ids(&all), newest_first);
    // Empty parameters are absent.
    let (_, same, _) = t.o311_get("/open311/v2/requests.json?service_code=&status=&start_date=&page_size=").await;
    assert_eq!(get_ids(&same), newest_first);
    let (_, e0101, _) = t.o311_get("/open311/v2/requests.json?service_code=E0101").await;
    assert_eq!(get_ids(&e0101), [ids[4].clone(), ids[1].clone(), ids[0].clone()]);
    let (_, two, _) = t.o311_get("/open311/v2/requests.json?service_code=E0102,C0101").await;
    assert_eq!(get_ids(&two), [ids[3].clone(), ids[2].clone()]);
    let (_, closed, _) = t.o311_get("/open311/v2/requests.json?status=closed").await;
    assert_eq!(get_ids(&closed), [ids[1].clone()]);
    assert_eq!(closed[0]["status"], "closed");
    let (_, open, _) = t.o311_get("/open311/v2/requests.json?status=open&service_code=E0101").await;
    assert_eq!(get_ids(&open), [ids[4].clone(), ids[0].clone()]);
    // service_request_id overrides every other filter.
    let (_, by_id, _) = t
        .o311_get(&format!(
            "/open311/v2/requests.json?service_request_id={},{}&service_code=C0101&status=closed",
            ids[0], ids[2]
        ))
        .await;
    assert_eq!(get_ids(&by_id), [ids[2].clone(), ids[0].clone()]);
    // Pages.
    let (_, p1, _) = t.o311_get("/open311/v2/requests.json?page_size=2").await;
    let (_, p3, _) = t.o311_get("/open311/v2/requests.json?page_size=2&page=3").await;
    assert_eq!(get_ids(&p1), [ids[4].clone(), ids[3].clone()]);
    assert_eq!(get_ids(&p3), [ids[0].clone()]);
    // Dates: requested_datetime of the third bounds the window.
    let third = all[2]["requested_datetime"].as_str().unwrap().replace('+', "%2B");
    let (_, since, _) = t.o311_get(&format!("/open311/v2/requests.json?start_date={third}")).await;
    assert_eq!(get_ids(&since), [ids[4].clone(), ids[3].clone(), ids[2].clone()]);
    let (_, until, _) = t.o311_get(&format!("/open311/v2/requests.json?end_date={third}")).await;
    assert_eq!(get_ids(&until), [ids[2].clone(), ids[1].clone(), ids[0].clone()]);
    // The default window is 90 days: 91 days later nothing is listed unless asked.
    t.clock.advance_hours(91 * 24);
    let (_, later, _) = t.o311_get("/open311/v2/requests.json").await;
    assert_eq!(later, json!([]));
    let (_, asked, _) = t.o311_get("/open311/v2/requests.json?start_date=2000-01-01").await;
    assert_eq!(get_ids(&asked).len(), 5);
    // Bad parameters.
    for q in ["status=pending", "start_date=yesterday", "page_size=1001", "page=0", "service_request_id=!!"] {
        assert_o311_err(&t.o311_get(&format!("/open311/v2/requests.json?{q}")).await, 400);
    }
    let (_, _, xml) = t.o311_get("/open311/v2/requests.xml?start_date=2000-01-01&page_size=1").await;
    assert!(xml.contains("<service_requests><request>") && xml.matches("<request>").count() == 1, "{xml}");
    t.stop().await;
}

#[tokio::test]
async fn open311_service_request_updates_both_ways() {
    let t = spawn_app().await;
    let key = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let (_, c, _) = t
        .o311_post(
            "/open311/v2/requests.json",
            &[("api_key", &key), ("service_code", "E0101"), ("address_string", "东门")],
        )
        .await;
    let id = c[0]["service_request_id"].as_str().unwrap().to_string();
    let staff = t.list_ids(&t.admin, "").await;
    let (_, case) = t.get(&t.admin, &format!("/api/v1/cases/{}", staff[0])).await;
    let case = t.ok(&dispatcher, &case, "register", json!({})).await;
    t.ok(&dispatcher, &case, "dispatch", json!({"handler_code": "CGW"})).await;

    // POST: a public note from the outside system; names and e-mail are not kept.
    let refused = t
        .o311_post("/open311/v2/servicerequestupdates.json", &[("service_request_id", &id), ("description", "x")])
        .await;
    assert_o311_err(&refused, 403);
    let missing = t
        .o311_post(
            "/open311/v2/servicerequestupdates.json",
            &[("api_key", &key), ("service_request_id", "AAAAAAAAAA"), ("description", "x")],
        )
        .await;
    assert_o311_err(&missing, 404);
    let (s, posted, text) = t
        .o311_post(
            "/open311/v2/servicerequestupdates.json",
            &[
                ("api_key", &key),
                ("service_request_id", &id),
                ("description", "居民补充：垃圾已堆到路中间"),
                ("update_id", "fms-77"),
                ("first_name", "王"),
                ("email", "wang@example.org"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert_eq!(posted[0]["service_request_id"], id.as_str());
    assert!(posted[0]["update_id"].as_str().is_some_and(|u| !u.is_empty()));

    // GET: the public timeline and the posted note, oldest first.
    let (s, updates, text) = t.o311_get("/open311/v2/servicerequestupdates.json").await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let statuses: Vec<&str> = updates.as_array().unwrap().iter().map(|u| u["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["OPEN", "OPEN", "ACTION_SCHEDULED", "ACTION_SCHEDULED"], "{text}");
    assert!(updates[2]["description"].as_str().unwrap().contains("城市管理"), "{text}");
    assert_eq!(updates[3]["description"], "居民补充：垃圾已堆到路中间");
    assert!(!text.contains("wang@example.org"));
    let (_, _, xml) = t.o311_get("/open311/v2/servicerequestupdates.xml").await;
    assert!(xml.contains("<service_request_updates><request_update>"), "{xml}");
    let (_, none, _) =
        t.o311_get("/open311/v2/servicerequestupdates.json?start_date=2000-01-01&end_date=2000-01-02").await;
    assert_eq!(none, json!([]));
    t.stop().await;
}

#[tokio::test]
async fn open311_media_uploads_go_through_the_photo_pipeline() {
    let t = spawn_app_with(Options { photos: true, ..Options::default() }).await;
    let base = t.base.clone();
    let key = t.token("integrator").await;
    let (jpeg, png) = super::report::dirty_jpeg_and_png();
    let send = |files: Vec<(&'static str, Vec<u8>)>| {
        let (client, url, key) = (t.client.clone(), format!("{base}/open311/v2/requests.json"), key.clone());
        async move {
            let mut form = reqwest::multipart::Form::new()
                .text("api_key", key)
                .text("service_code", "E0101")
                .text("lat", "39.974")
                .text("long", "116.396")
                .text("description", "井盖缺失（附照片）");
            for (name, bytes) in files {
                form = form.part("media", reqwest::multipart::Part::bytes(bytes).file_name(name));
            }
            let res = client.post(url).multipart(form).send().await.unwrap();
            let status = res.status();
            let text = res.text().await.unwrap_or_default();
            (status, serde_json::from_str::<Value>(&text).unwrap_or(Value::Null), text)
        }
    };
    let files_stored = || t.photos_stored();

    // Refusals: a script named .jpg, a file over 10 MB, five files, a body over the limit.
    let mut big = jpeg.clone();
    big.resize(11 * 1024 * 1024, 0);
    let five: Vec<(&'static str, Vec<u8>)> = (0..5).map(|_| ("p.png", png.clone())).collect();
    for (files, status, words) in [
        (vec![("evil.jpg", b"<script>alert(1)</script>".to_vec())], 400, "not a JPEG, PNG or WebP"),
        (vec![("big.jpg", big)], 400, "larger than 10 MB"),
        (five, 400, "at most 4"),
        (vec![("huge.jpg", vec![0xFF; 50 * 1024 * 1024])], 413, "too large"),
    ] {
        let res = send(files).await;
        assert_o311_err(&res, status);
        assert!(res.1[0]["description"].as_str().unwrap().contains(words), "{}", res.2);
    }
    assert_eq!(t.case_count().await, 0, "refusals stored nothing");
    assert_eq!(files_stored(), 0);

    // Two photos: filed once, stored cleaned, served back as the request's media_url.
    let (s, created, text) = send(vec![("a.jpg", jpeg), ("b.png", png)]).await;
    assert_eq!(s, StatusCode::CREATED, "{text}");
    let id = created[0]["service_request_id"].as_str().unwrap().to_string();
    assert_eq!(files_stored(), 4, "two photos and their thumbnails");
    for f in std::fs::read_dir(t.photo_dir()).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert!(!bytes.windows(4).any(|w| w == b"Exif") && !bytes.windows(3).any(|w| w == b"GPS"));
    }
    let res = t.client.get(format!("{base}/open311/v2/requests/{id}.json")).send().await.unwrap();
    let one: Value = res.json().await.unwrap();
    let media = one[0]["media_url"].as_str().unwrap().to_string();
    assert!(media.starts_with(&format!("{base}/photos/")) && media.ends_with(".jpg"), "{one}");
    let res = t.client.get(&media).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CONTENT_TYPE], "image/jpeg");
    let res = t.client.get(format!("{base}/open311/v2/requests.xml?service_request_id={id}")).send().await.unwrap();
    let xml = res.text().await.unwrap();
    assert!(xml.contains(&format!("<media_url>{media}</media_url>")), "{xml}");
    let case = t.store.case_by_tracking_code(&id).await.unwrap().unwrap();
    assert_eq!(t.store.case_photo_keys(case.id).await.unwrap().len(), 2);
    assert_eq!(t.case_count().await, 1);
    t.stop().await;
}
