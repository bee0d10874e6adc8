//! The public text policy over HTTP: personal data written into descriptions, addresses,
//! results and posted updates through every intake path never reaches a public answer;
//! hotline and staff-entered cases are not listed; a dispatcher edits, withholds and lists.

use super::*;

/// Personal data a resident (or a hurried operator) writes into free text.
const SEEDED: &str = "垃圾没人管，请联系张三 13800138000，身份证110101199003074258，\
                      邮箱a@b.cn，车牌京A12345，卡号6222021234567890123，座机010-62345678";
const NEEDLES: [&str; 8] =
    ["张三", "13800138000", "110101199003074258", "a@b.cn", "京A12345", "6222021234567890123", "62345678", "3单元502"];
const ADDRESS: &str = "和平路88号3单元502室";

impl TestApp {
    async fn o311_file(&self, key: &str, form: &[(&str, &str)]) -> String {
        let mut body: Vec<(&str, &str)> = vec![("api_key", key)];
        body.extend_from_slice(form);
        let res = self.client.post(self.url("/open311/v2/requests.json")).form(&body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let created: Value = res.json().await.unwrap();
        created[0]["service_request_id"].as_str().unwrap().to_string()
    }

    async fn text_of(&self, path: &str) -> String {
        let res = self.client.get(self.url(path)).send().await.unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.text().await.unwrap()
    }

    async fn put_public(&self, token: &str, id: i64, body: Value) -> (StatusCode, Value) {
        let req = self.client.put(self.url(&format!("/api/v1/cases/{id}/public-text"))).bearer_auth(token).json(&body);
        let (s, _, v) = self.send(req).await;
        (s, v)
    }
}

fn listed_codes(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn seeded_personal_data_never_reaches_a_public_answer() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let cgw = t.token("staff_cgw").await;
    let with_pii = |source: &str| {
        let mut b = case_body("E0101", GRID);
        b["description"] = json!(SEEDED);
        b["address"] = json!(ADDRESS);
        b["source"] = json!(source);
        b
    };
    // The API: a resident's web report relayed, a hotline call, a staff entry.
    let web = t.file(&integrator, with_pii("web")).await;
    let hotline = t.file(&integrator, with_pii("hotline")).await;
    let staff = t.file(&integrator, with_pii("api")).await;
    // A result written with personal data in it.
    let case = t.ok(&dispatcher, &web, "register", json!({})).await;
    let case = t.ok(&dispatcher, &case, "dispatch", json!({"handler_code": "CGW"})).await;
    let case = t.ok(&cgw, &case, "accept", json!({})).await;
    t.ok(&cgw, &case, "resolve", json!({"result": format!("已处理。{SEEDED}")})).await;
    // Open311, with a posted update carrying personal data.
    let o311 = t
        .o311_file(
            &integrator,
            &[
                ("service_code", "E0101"),
                ("lat", "39.974"),
                ("long", "116.396"),
                ("address_string", ADDRESS),
                ("description", SEEDED),
                ("first_name", "三"),
                ("last_name", "张"),
                ("phone", "13800138000"),
            ],
        )
        .await;
    let res = t
        .client
        .post(t.url("/open311/v2/servicerequestupdates.json"))
        .form(&[("api_key", integrator.as_str()), ("service_request_id", &o311), ("description", SEEDED)])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    // The report form.
    let form = t.text_of("/report").await;
    let field = |name: &str| {
        form.split(&format!("name=\"{name}\" value=\"")).nth(1).unwrap().split('"').next().unwrap().to_string()
    };
    let (csrf, token) = (field("csrf"), field("form_token"));
    let res = t
        .client
        .post(t.url("/report"))
        .header(reqwest::header::COOKIE, format!("csrf={csrf}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("form_token", token.as_str()),
            ("category_code", "E0101"),
            ("description", SEEDED),
            ("address", ADDRESS),
            ("name", "张三"),
            ("phone", "13800138000"),
        ])
        .send()
        .await
        .unwrap();
    let done = res.text().await.unwrap();
    let report = done.split("id=\"tracking-code\"><b>").nth(1).unwrap().split('<').next().unwrap().to_string();

    let code = |c: &Value| c["tracking_code"].as_str().unwrap().to_string();
    let codes = [code(&web), code(&hotline), code(&staff), o311.clone(), report.clone()];
    let mut paths = vec![
        "/open311/v2/requests.json".to_string(),
        "/open311/v2/requests.xml".into(),
        "/open311/v2/requests.json?locale=en".into(),
        format!("/open311/v2/requests.json?service_request_id={}", codes.join(",")),
        "/open311/v2/servicerequestupdates.json".into(),
        "/open311/v2/servicerequestupdates.xml".into(),
    ];
    for c in &codes {
        paths.push(format!("/t/{c}"));
        paths.push(format!("/t/{c}?lang=en"));
        paths.push(format!("/api/v1/public/cases/{c}"));
        paths.push(format!("/open311/v2/requests/{c}.json"));
        paths.push(format!("/open311/v2/requests/{c}.xml"));
    }
    for p in &paths {
        let text = t.text_of(p).await;
        for needle in NEEDLES {
            assert!(!text.contains(needle), "{p} shows {needle}");
        }
    }
    // What is left is still useful: the words around the data, the generalised place.
    let one: Value = serde_json::from_str(&t.text_of(&format!("/open311/v2/requests/{o311}.json")).await).unwrap();
    let description = one[0]["description"].as_str().unwrap();
    assert!(description.starts_with("垃圾没人管，请联系***"), "{description}");
    assert_eq!(one[0]["address"], "和平街道樱花园社区", "{one}");
    let public: Value = serde_json::from_str(&t.text_of(&format!("/api/v1/public/cases/{report}")).await).unwrap();
    assert!(public["description"].as_str().unwrap().contains("***"), "{public}");

    // Hotline and staff-entered cases are not listed; residents' cases are.
    let listed = listed_codes(&serde_json::from_str(&t.text_of("/open311/v2/requests.json").await).unwrap());
    for c in [code(&web), o311.clone(), report.clone()] {
        assert!(listed.contains(&c), "{c} should be listed: {listed:?}");
    }
    for c in [code(&hotline), code(&staff)] {
        assert!(!listed.contains(&c), "{c} should not be listed");
    }
    // Asked for by their codes, they are answered (the code is the resident's receipt).
    let by_code = t.text_of(&format!("/open311/v2/requests.json?service_request_id={}", code(&hotline))).await;
    assert_eq!(listed_codes(&serde_json::from_str(&by_code).unwrap()), [code(&hotline)]);
    t.stop().await;
}

#[tokio::test]
async fn a_dispatcher_edits_withholds_and_lists_what_the_public_sees() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let mut body = case_body("E0101", GRID);
    body["description"] = json!(SEEDED);
    body["source"] = json!("hotline");
    let case = t.file(&integrator, body).await;
    let (id, code) = (id_of(&case), case["tracking_code"].as_str().unwrap().to_string());
    let path = format!("/api/v1/cases/{id}/public-text");

    let (s, v) = t.get(&dispatcher, &path).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["mode"], "auto");
    assert_eq!(v["listed"], false);
    assert_eq!(v["listed_override"], Value::Null);
    assert!(!v["description"].as_str().unwrap().contains("13800138000"), "{v}");

    // Rewritten and listed: the listing and every view follow at once.
    let (s, v) = t
        .put_public(
            &dispatcher,
            id,
            json!({"mode": "edited", "text": "东门垃圾待清运 电话13912345678", "listed": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["description"], "东门垃圾待清运 电话***");
    assert_eq!(v["listed"], true);
    let listed = listed_codes(&serde_json::from_str(&t.text_of("/open311/v2/requests.json").await).unwrap());
    assert!(listed.contains(&code));
    let public: Value = serde_json::from_str(&t.text_of(&format!("/api/v1/public/cases/{code}")).await).unwrap();
    assert_eq!(public["description"], "东门垃圾待清运 电话***");
    assert!(t.text_of(&format!("/t/{code}")).await.contains("东门垃圾待清运"));

    // Withheld: the category's name stands in.
    let (s, v) = t.put_public(&dispatcher, id, json!({"mode": "withheld"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let one: Value = serde_json::from_str(&t.text_of(&format!("/open311/v2/requests/{code}.json")).await).unwrap();
    assert_eq!(one[0]["description"], one[0]["service_name"], "{one}");
    assert_eq!(
        listed_codes(&serde_json::from_str(&t.text_of("/open311/v2/requests.json").await).unwrap()),
        Vec::<String>::new()
    );

    // Refusals change nothing.
    assert_invalid(&t.put_public(&dispatcher, id, json!({"mode": "edited"})).await, "text");
    assert_invalid(&t.put_public(&dispatcher, id, json!({"mode": "auto", "text": "x"})).await, "text");
    let res = t.put_public(&dispatcher, id, json!({"mode": "edited", "text": "a\u{0}b"})).await;
    assert_eq!(res.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.1);
    assert_eq!(res.1["error"]["code"], "control_characters", "{}", res.1);
    let res = t.put_public(&dispatcher, id, json!({"mode": "shown"})).await;
    assert_eq!(res.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.1);
    let cgw = t.token("staff_cgw").await;
    let res = t.put_public(&cgw, id, json!({"mode": "auto"})).await;
    assert!(matches!(res.0, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", res.1);
    let (_, v) = t.get(&dispatcher, &path).await;
    assert_eq!(v["mode"], "withheld");

    // Every change is in the audit chain, with who made it.
    let events = t.store.stream_events("case_public", id).await.unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.kind == "public_text_set" && e.actor_id.is_some()));
    t.stop().await;
}
