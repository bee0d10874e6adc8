//! The report page, and the privacy scan: reporters with known names and phones are filed
//! through every channel, then every public page, public JSON, live stream and Open311
//! answer is searched for them.

use super::*;

pub(super) struct FormSession {
    pub(super) cookie: String,
    pub(super) csrf: String,
    pub(super) form_token: String,
}

impl TestApp {
    pub(super) async fn open_report_form(&self, query: &str) -> (FormSession, String) {
        let res = self.client.get(self.url(&format!("/report{query}"))).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = res
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("csrf="))
            .map(|v| v.split(';').next().unwrap().to_string())
            .unwrap();
        let html = res.text().await.unwrap();
        let field = |name: &str| {
            html.split(&format!("name=\"{name}\" value=\"")).nth(1).unwrap().split('"').next().unwrap().to_string()
        };
        (FormSession { cookie, csrf: field("csrf"), form_token: field("form_token") }, html)
    }

    pub(super) async fn submit_report(&self, f: &FormSession, extra: &[(&str, &str)]) -> (StatusCode, String) {
        let mut form: Vec<(&str, &str)> = vec![("csrf", &f.csrf), ("form_token", &f.form_token)];
        form.extend_from_slice(extra);
        let res = self
            .client
            .post(self.url("/report"))
            .header(reqwest::header::COOKIE, format!("csrf={}", f.cookie))
            .form(&form)
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    }
}

fn tracking_code_in(html: &str) -> String {
    html.split("id=\"tracking-code\"><b>").nth(1).unwrap().split('<').next().unwrap().to_string()
}

#[tokio::test]
async fn a_resident_reports_through_the_form_once_even_when_submitting_twice() {
    let t = spawn_app().await;
    let (f, html) = t.open_report_form("").await;
    assert!(html.contains("<html lang=\"zh-CN\">") && html.contains("<optgroup") && html.contains("value=\"E0101\""));
    assert!(html.contains("只有负责派单和回访的工作人员能看到"), "the note on who sees contact details");
    let (_, en) = t.open_report_form("?lang=en").await;
    assert!(en.contains("<html lang=\"en\">") && en.contains("Report anonymously"));

    let body: Vec<(&str, &str)> = vec![
        ("category_code", "E0101"),
        ("description", "小区东门垃圾桶满溢"),
        ("address", "樱花园社区东门"),
        ("lat", "39.974"),
        ("lon", "116.396"),
        ("name", "赵六"),
        ("phone", "13900001111"),
    ];
    let (s, done) = t.submit_report(&f, &body).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    let code = tracking_code_in(&done);
    assert!(done.contains(&format!("href=\"/t/{code}?lang=zh\"")));
    // The same form sent again (double tap, back and resubmit): the same case, not a second.
    let (s, again) = t.submit_report(&f, &body).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(tracking_code_in(&again), code);
    assert_eq!(t.case_count().await, 1);
    let ids = t.list_ids(&t.admin, "").await;
    let (_, case) = t.get(&t.admin, &format!("/api/v1/cases/{}", ids[0])).await;
    assert_eq!(case["source"], "web");
    assert_eq!(case["reporter"]["phone"], "139****1111");

    // Anonymous: name and phone typed but not kept.
    let (f2, _) = t.open_report_form("").await;
    let (s, _) = t
        .submit_report(
            &f2,
            &[
                ("description", "路灯不亮"),
                ("address", "青年湖北街"),
                ("name", "钱七"),
                ("phone", "13900002222"),
                ("anonymous", "1"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let ids = t.list_ids(&t.admin, "").await;
    let (_, anon) = t.get(&t.admin, &format!("/api/v1/cases/{}", ids[0])).await;
    assert!(anon.get("reporter").is_none() || anon["reporter"]["phone"].is_null(), "{anon}");

    // Bad input: translated errors, the form kept, nothing stored.
    let long = "长".repeat(5000);
    for (fields, needle) in [
        (vec![("description", long.as_str()), ("address", "东门")], "最多4000字"),
        (vec![("description", "x"), ("lat", "abc"), ("lon", "1")], "请给出位置"),
        (vec![("description", "x"), ("lat", "95"), ("lon", "116")], "请给出位置"),
        (vec![("description", "x")], "请给出位置"),
        (vec![("description", "x"), ("address", "东门"), ("category_code", "Z9999")], "有效的问题类别"),
    ] {
        let (f3, _) = t.open_report_form("").await;
        let (s, page) = t.submit_report(&f3, &fields).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains(needle), "expected {needle}");
    }
    // Without the CSRF cookie: refused.
    let res =
        t.client.post(t.url("/report")).form(&[("csrf", f.csrf.as_str()), ("description", "x")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(t.case_count().await, 2, "refusals stored nothing");
    t.stop().await;
}

#[tokio::test]
async fn no_public_answer_ever_carries_a_reporter() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let people = [("欧阳明远", "13957608246"), ("司马青衫", "18622334455"), ("Zhuge Kongming", "+8613700137000")];
    let mut codes = Vec::new();
    // Through the API, Open311 and the web form.
    let mut body = case_body("E0101", GRID);
    body["reporter"] = json!({"name": people[0].0, "phone": people[0].1});
    let c = t.file(&integrator, body).await;
    codes.push(c["tracking_code"].as_str().unwrap().to_string());
    let case = t.ok(&dispatcher, &c, "register", json!({})).await;
    t.ok(&dispatcher, &case, "dispatch", json!({"handler_code": "CGW"})).await;
    let res = t
        .client
        .post(t.url("/open311/v2/requests.json"))
        .form(&[
            ("api_key", integrator.as_str()),
            ("service_code", "E0101"),
            ("address_string", "东门"),
            ("first_name", "青衫"),
            ("last_name", "司马"),
            ("phone", people[1].1),
        ])
        .send()
        .await
        .unwrap();
    let created: Value = res.json().await.unwrap();
    codes.push(created[0]["service_request_id"].as_str().unwrap().to_string());
    let (f, _) = t.open_report_form("").await;
    let (_, done) = t
        .submit_report(
            &f,
            &[("description", "井盖缺失"), ("address", "南门"), ("name", people[2].0), ("phone", people[2].1)],
        )
        .await;
    codes.push(tracking_code_in(&done));

    let mut paths = vec![
        "/t".to_string(),
        "/report".into(),
        "/api/v1/categories".into(),
        "/open311/v2/requests.json".into(),
        "/open311/v2/requests.xml".into(),
        "/open311/v2/servicerequestupdates.json".into(),
        "/open311/v2/servicerequestupdates.xml".into(),
        "/open311/v2/services.json".into(),
    ];
    for c in &codes {
        paths.push(format!("/t/{c}"));
        paths.push(format!("/t/{c}?lang=en"));
        paths.push(format!("/api/v1/public/cases/{c}"));
        paths.push(format!("/open311/v2/requests/{c}.json"));
        paths.push(format!("/open311/v2/requests/{c}.xml"));
        paths.push(format!("/open311/v2/tokens/{c}.json"));
    }
    let mut scanned = 0;
    for p in &paths {
        let res = t.client.get(t.url(p)).send().await.unwrap();
        assert!(res.status().is_success(), "{p}: {}", res.status());
        let text = res.text().await.unwrap();
        for (name, phone) in &people {
            let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
            let masked = format!("{}****{}", &digits[..3], &digits[digits.len() - 4..]);
            for needle in
                [*name, phone, digits.as_str(), masked.as_str(), &name[..name.char_indices().nth(2).unwrap().0]]
            {
                assert!(!text.contains(needle), "{p} shows {needle}");
            }
        }
        scanned += 1;
    }
    // The live stream's backlog too.
    for c in &codes {
        let mut res = t.client.get(t.url(&format!("/t/{c}/events"))).send().await.unwrap();
        let chunk =
            tokio::time::timeout(std::time::Duration::from_secs(30), res.chunk()).await.unwrap().unwrap().unwrap();
        let text = String::from_utf8_lossy(&chunk).to_string();
        assert!(text.contains("event: update"), "{text}");
        for (name, phone) in &people {
            assert!(!text.contains(name) && !text.contains(phone), "stream of {c} shows a reporter");
        }
        scanned += 1;
    }
    assert_eq!(scanned, paths.len() + codes.len());
    t.stop().await;
}

/// A JPEG carrying an Exif segment with a GPS marker, and a PNG.
pub(super) fn dirty_jpeg_and_png() -> (Vec<u8>, Vec<u8>) {
    let img = image::DynamicImage::new_rgb8(80, 60);
    let mut plain = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut plain), image::ImageFormat::Jpeg).unwrap();
    let payload = b"Exif\0\0MM\0*GPSLatitude=39.9745;GPSLongitude=116.3961";
    let len = (payload.len() + 2) as u16;
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1, (len >> 8) as u8, (len & 0xFF) as u8];
    jpeg.extend_from_slice(payload);
    jpeg.extend_from_slice(&plain[2..]);
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    (jpeg, png)
}

#[tokio::test]
async fn photos_are_recognised_by_content_cleaned_and_capped() {
    let t = spawn_app_with(Options { photos: true, ..Options::default() }).await;
    let base = t.base.clone();
    let (jpeg, png) = dirty_jpeg_and_png();
    let tr = &t;
    let send = |files: Vec<(&'static str, Vec<u8>)>| {
        let client = tr.client.clone();
        let base = base.clone();
        async move {
            let (f, html) = tr.open_report_form("").await;
            assert!(html.contains("enctype=\"multipart/form-data\"") && html.contains("type=\"file\""));
            let mut form = reqwest::multipart::Form::new()
                .text("csrf", f.csrf.clone())
                .text("form_token", f.form_token.clone())
                .text("description", "井盖缺失，附照片")
                .text("address", "樱花园东门");
            for (name, bytes) in files {
                form = form.part("photo", reqwest::multipart::Part::bytes(bytes).file_name(name));
            }
            let res = client
                .post(format!("{base}/report"))
                .header(reqwest::header::COOKIE, format!("csrf={}", f.cookie))
                .multipart(form)
                .send()
                .await
                .unwrap();
            let status = res.status();
            (status, res.text().await.unwrap_or_default())
        }
    };
    // Refusals first: nothing is stored.
    let (s, page) = send(vec![("evil.jpg", b"#!/bin/sh\nrm -rf /\n".to_vec())]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("JPEG、PNG或WebP"), "{page}");
    let five: Vec<(&'static str, Vec<u8>)> = (0..5).map(|_| ("p.png", png.clone())).collect();
    let (s, page) = send(five).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("最多上传4张"), "{page}");
    let mut big = jpeg.clone();
    big.resize(11 * 1024 * 1024, 0);
    let (s, page) = send(vec![("big.jpg", big)]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("不能超过10MB"), "{page}");
    let (s, _) = send(vec![("huge.jpg", vec![0u8; 50 * 1024 * 1024])]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(t.case_count().await, 0, "refusals stored nothing");
    assert_eq!(t.photos_stored(), 0);

    // Two good photos: stored cleaned, with thumbnails.
    let (s, done) = send(vec![("a.jpg", jpeg), ("b.png", png)]).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done.matches(".thumb.jpg").count(), 2, "{done}");
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(t.photo_dir()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 4);
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]), "{f:?} is a JPEG");
        assert!(
            !bytes.windows(4).any(|w| w == b"Exif") && !bytes.windows(3).any(|w| w == b"GPS"),
            "{f:?} has metadata"
        );
    }
    let key = done.split("/photos/").nth(1).unwrap().split('"').next().unwrap().to_string();
    let res = t.client.get(format!("{base}/photos/{key}")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CONTENT_TYPE], "image/jpeg");
    let res = t.client.get(format!("{base}/photos/..%2F..%2Fetc%2Fpasswd")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let code = tracking_code_in(&done);
    let case = t.store.case_by_tracking_code(&code).await.unwrap().unwrap();
    assert_eq!(t.store.case_photo_keys(case.id).await.unwrap().len(), 2);
    t.stop().await;
}

#[tokio::test]
async fn the_duplicate_hint_finds_open_cases_nearby_and_counts_me_too() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let at = |lat: f64, lon: f64, cat: &str| {
        let mut b = case_body(cat, GRID);
        b["lat"] = json!(lat);
        b["lon"] = json!(lon);
        b
    };
    let a = t.file(&integrator, at(39.9740, 116.3960, "E0101")).await;
    let b = t.file(&integrator, at(39.9746, 116.3960, "E0101")).await; // ~67 m north of a
    t.file(&integrator, at(39.9740, 116.3960, "E0102")).await; // another category
    let closed = t.file(&integrator, at(39.9741, 116.3960, "E0101")).await;
    t.ok(&dispatcher, &closed, "reject", json!({"reason": "重复"})).await;

    let hint = |lat: &str| {
        let url = t.url(&format!("/report/nearby.json?category=E0101&lat={lat}&lon=116.3960"));
        let client = t.client.clone();
        async move { client.get(url).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let codes = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|c| c["tracking_code"].as_str().unwrap().to_string()).collect()
    };
    let here = hint("39.9740").await;
    assert_eq!(codes(&here), [a["tracking_code"].as_str().unwrap()]);
    assert_eq!(here[0]["distance_m"], 0.0);
    let between = hint("39.9743").await;
    let mut both = codes(&between);
    both.sort();
    let mut want =
        vec![a["tracking_code"].as_str().unwrap().to_string(), b["tracking_code"].as_str().unwrap().to_string()];
    want.sort();
    assert_eq!(both, want);
    let text = between.to_string();
    assert!(!text.contains("13812341234") && !text.contains("张三") && !text.contains("description"), "{text}");
    let res = t.client.get(t.url("/report/nearby.json?category=E0101&lat=95&lon=1")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // "Me too" on a, through the form with its CSRF pair.
    let (f, _) = t.open_report_form("").await;
    let post_page = |code: String| {
        let req = t
            .client
            .post(t.url(&format!("/t/{code}/me-too")))
            .header(reqwest::header::COOKIE, format!("csrf={}", f.cookie))
            .form(&[("csrf", f.csrf.clone())]);
        async move {
            let res = req.send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let post = |code: String| {
        let page = post_page(code);
        async move { page.await.0 }
    };
    // The me-too reporter is told what the first reporter was: the code and its live page.
    let a_code = a["tracking_code"].as_str().unwrap().to_string();
    let (s, page) = post_page(a_code.to_lowercase()).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(tracking_code_in(&page), a_code);
    assert!(page.contains(&format!("href=\"/t/{a_code}?lang=zh\"")), "{page}");
    assert!(page.contains("id=\"me-too-count\">1<"), "{page}");
    assert!(!page.contains("13812341234") && !page.contains("张三"), "{page}");
    assert_eq!(post(a["tracking_code"].as_str().unwrap().to_string()).await, StatusCode::OK);
    assert_eq!(post(a["tracking_code"].as_str().unwrap().to_string()).await, StatusCode::OK);
    assert_eq!(post(closed["tracking_code"].as_str().unwrap().to_string()).await, StatusCode::CONFLICT);
    assert_eq!(post("AAAAAAAAAA".into()).await, StatusCode::NOT_FOUND);
    let here = hint("39.9740").await;
    assert_eq!(here[0]["me_too"], 3);
    t.stop().await;
}

#[tokio::test]
async fn without_script_a_tap_on_the_map_chooses_the_place() {
    let t = spawn_app().await;
    let (f, html) = t.open_report_form("").await;
    assert!(html.contains(r#"type="image" name="map""#) && html.contains(r#"src="/report/map.svg""#), "{html}");
    let attr = |html: &str, name: &str| -> f64 {
        html.split(&format!("data-{name}=\"")).nth(1).unwrap().split('"').next().unwrap().parse().unwrap()
    };
    let (min_lon, max_lat, kx, ky) =
        (attr(&html, "min-lon"), attr(&html, "max-lat"), attr(&html, "kx"), attr(&html, "ky"));
    let (width, height) = (attr(&html, "width"), attr(&html, "height"));
    assert_eq!(width, 300.0);
    let res = t.client.get(t.url("/report/map.svg")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("image/svg+xml"));
    let svg = res.text().await.unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("樱花园第1网格") && !svg.contains("marker"), "{svg}");

    // The tap: the form comes back with the point filled in and marked; nothing is filed.
    let (x, y) = ((width / 3.0).round(), (height / 4.0).round());
    let (xs, ys) = (x.to_string(), y.to_string());
    let typed = [("description", "路灯不亮"), ("address", "樱花园北门")];
    let (s, page) =
        t.submit_report(&f, &[&typed[..], &[("map.x", xs.as_str()), ("map.y", ys.as_str())]].concat()).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let (lat, lon) = (format!("{:.6}", max_lat - y / ky), format!("{:.6}", min_lon + x / kx));
    assert!(page.contains(&format!("{lat}, {lon}")), "the chosen point is shown: {page}");
    assert!(page.contains(&format!(r#"id="lat" inputmode="decimal" value="{lat}""#)), "{page}");
    assert!(page.contains(&format!("/report/map.svg?lat={lat}&#38;lon={lon}")), "the map marks it: {page}");
    assert!(page.contains("路灯不亮") && page.contains(&f.form_token), "the rest of the form is kept");
    assert_eq!(t.case_count().await, 0);
    let marked = t.client.get(t.url(&format!("/report/map.svg?lat={lat}&lon={lon}"))).send().await.unwrap();
    assert!(marked.text().await.unwrap().contains("class=\"marker\""));

    // Off the map, or Enter pressed (the browser sends 0, 0): no point is made up.
    let (s, page) = t.submit_report(&f, &[&typed[..], &[("map.x", "5000"), ("map.y", "10")]].concat()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("role=\"alert\""), "{page}");
    assert_eq!(t.case_count().await, 0);

    // Then the resident submits: the case is filed at the tapped point.
    let (s, done) = t.submit_report(&f, &[&typed[..], &[("lat", lat.as_str()), ("lon", lon.as_str())]].concat()).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    let code = tracking_code_in(&done);
    let case = t.store.case_by_tracking_code(&code).await.unwrap().unwrap();
    assert_eq!(format!("{:.6}", case.lat.unwrap()), lat);
    assert_eq!(format!("{:.6}", case.lon.unwrap()), lon);
    t.stop().await;
}
