//! Hostile text and the headers every answer carries: control characters are refused with
//! the stable code `control_characters` on every intake path (API, Open311, report form, the
//! console's forms); every answer carries the security headers and every cookie is `Secure`.

use super::*;
use reqwest::header::{COOKIE, SET_COOKIE};

#[tokio::test]
async fn a_nul_in_a_description_is_refused_on_every_intake_path() {
    let t = spawn_app().await;
    // The API: 422 control_characters naming the field; nested fields too.
    let body = patched(&case_body("E0101", GRID), json!({"description": "井盖\u{0}缺失"}));
    let res = t.post(&t.admin, "/api/v1/cases", body).await;
    assert_err(&res, StatusCode::UNPROCESSABLE_ENTITY, "control_characters");
    assert_eq!(res.1["error"]["details"]["field"], "description", "{}", res.1);
    let body =
        patched(&case_body("E0101", GRID), json!({"reporter": {"name": "张\u{1b}[31m三", "phone": "13812341234"}}));
    let res = t.post(&t.admin, "/api/v1/cases", body).await;
    assert_eq!(res.1["error"]["details"]["field"], "reporter.name", "{}", res.1);
    let (s, _) = t.get(&t.admin, "/api/v1/cases?q=%00").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // Line breaks and tabs are text.
    let body = patched(&case_body("E0101", GRID), json!({"description": "第一行\r\n第二行\t完"}));
    let (s, created) = t.post(&t.admin, "/api/v1/cases", body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");

    // Open311, urlencoded and multipart.
    let key = t.token("integrator").await;
    let form = [("api_key", key.as_str()), ("service_code", "E0101"), ("lat", "39.974"), ("long", "116.396")];
    let mut with_nul = form.to_vec();
    with_nul.push(("description", "井盖\u{0}缺失"));
    let res = t.client.post(t.url("/open311/v2/requests.json")).form(&with_nul).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let text = res.text().await.unwrap();
    assert!(text.contains("description: control_characters"), "{text}");
    let mp = form
        .iter()
        .fold(reqwest::multipart::Form::new(), |f, (k, v)| f.text(*k, v.to_string()))
        .text("description", "井盖\u{7f}缺失");
    let res = t.client.post(t.url("/open311/v2/requests.json")).multipart(mp).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // The report form, urlencoded and multipart.
    let (f, _) = t.open_report_form("").await;
    let (s, page) = t.submit_report(&f, &[("description", "井盖\u{0}缺失"), ("address", "樱花园东门")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("控制字符"), "{page}");
    let mp = reqwest::multipart::Form::new()
        .text("csrf", f.csrf.clone())
        .text("form_token", f.form_token.clone())
        .text("description", "井盖\u{0}缺失")
        .text("address", "樱花园东门");
    let res = t
        .client
        .post(t.url("/report"))
        .header(COOKIE, format!("csrf={}", f.cookie))
        .multipart(mp)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.case_count().await, 1, "only the case with line breaks was filed");
    t.stop().await;
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_every_cookie_is_secure() {
    let t = spawn_app().await;
    for path in ["/report", "/login", "/t", "/api/v1/openapi.json", "/open311/v2/services.json", "/nowhere"] {
        let res = t.client.get(t.url(path)).send().await.unwrap();
        let h = res.headers();
        let csp = h.get("content-security-policy").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self';"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-eval") && !csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        for c in h.get_all(SET_COOKIE) {
            let c = c.to_str().unwrap();
            assert!(c.ends_with("; Secure"), "{path}: {c}");
        }
    }
    // The language cookie too.
    let res = t.client.get(t.url("/report?lang=en")).send().await.unwrap();
    let cookies: Vec<_> = res.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect();
    assert!(cookies.iter().any(|c| c.starts_with("lang=en")) && cookies.iter().all(|c| c.contains("; Secure")));
    t.stop().await;
}

#[tokio::test]
async fn a_plain_http_deployment_may_drop_secure() {
    let t = spawn_app_with(Options { plain_http: true, ..Options::default() }).await;
    let res = t.client.get(t.url("/login")).send().await.unwrap();
    let cookies: Vec<_> = res.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect();
    assert!(!cookies.is_empty() && cookies.iter().all(|c| !c.contains("Secure")), "{cookies:?}");
    assert!(cookies.iter().all(|c| c.contains("HttpOnly") && c.contains("SameSite=Strict")), "{cookies:?}");
    t.stop().await;
}
