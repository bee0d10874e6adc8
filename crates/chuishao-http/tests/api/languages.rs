//! One language per page: every console page and every residents' page, rendered in Chinese
//! and in English, must show no words of the other language — only names (of people, places,
//! units), codes and what people typed may differ. The data typed here is digits only, so any
//! Chinese left on an English page (or English prose on a Chinese page) came from the platform.

use super::*;
use reqwest::header::COOKIE;

const CSRF: &str = "0123456789abcdef0123456789abcdef";

fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Signs `user` in; the session cookie's value.
async fn sign_in(t: &TestApp, user: &str) -> String {
    let res = browser()
        .post(t.url("/login"))
        .header(COOKIE, format!("csrf={CSRF}"))
        .form(&[
            ("csrf", CSRF),
            ("username", user),
            ("password", chuishao_app::admin::accounts::DEMO_PASSWORD),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{user} signs in");
    super::residents::cookie_from(res.headers(), "sid").unwrap()
}

/// `path` with `lang=` added to its query.
fn in_lang(path: &str, lang: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}lang={lang}")
}

/// Removes every `<open …>…</close>` block (case-sensitive, non-nested).
fn drop_blocks(html: &str, open: &str, close: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find(open) {
        out.push_str(&rest[..i]);
        match rest[i..].find(close) {
            Some(j) => rest = &rest[i + j + close.len()..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// What a person reads on the page: text between tags and the attributes a browser shows
/// (placeholder, title, aria-label, alt), without scripts, styles, the language switch (it
/// is written in the other language on purpose) and the names drawn into map images.
fn visible_text(html: &str) -> String {
    let mut h = drop_blocks(html, "<script", "</script>");
    h = drop_blocks(&h, "<style", "</style>");
    h = drop_blocks(&h, "<a class=\"lang\"", "</a>");
    // Inside inline SVG maps, <title> elements carry place names (tooltips).
    let mut kept = String::new();
    let mut rest = h.as_str();
    while let Some(i) = rest.find("<svg") {
        kept.push_str(&rest[..i]);
        let end = rest[i..].find("</svg>").map_or(rest.len(), |j| i + j + 6);
        kept.push_str(&drop_blocks(&rest[i..end], "<title>", "</title>"));
        rest = &rest[end..];
    }
    kept.push_str(rest);
    let mut text = String::new();
    let mut in_tag = false;
    let mut tag = String::new();
    for c in kept.chars() {
        match (in_tag, c) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                for attr in ["placeholder=\"", "title=\"", "aria-label=\"", "alt=\""] {
                    for part in tag.split(attr).skip(1) {
                        text.push(' ');
                        text.push_str(part.split('"').next().unwrap_or(""));
                    }
                }
                text.push(' ');
            }
            (true, c) => tag.push(c),
            (false, c) => text.push(c),
        }
    }
    text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
}

/// The first English in `text`: a run of two or more words, or one lower-case word of three
/// letters or more (codes and tracking codes are upper case or digits), if any.
fn english(text: &str) -> Option<String> {
    if let Some(w) = text
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .find(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_lowercase()))
    {
        return Some(w.to_string());
    }
    english_prose(text)
}

/// The first run of English prose (two or more words in a row) in `text`, if any.
fn english_prose(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split(|c: char| !(c.is_ascii_alphabetic() || c == ' ' || c == '\'')).collect();
    words
        .iter()
        .flat_map(|run| run.split("  "))
        .map(str::trim)
        .find(|run| {
            let w: Vec<&str> = run.split(' ').filter(|w| !w.is_empty()).collect();
            w.len() >= 2 && w.iter().all(|x| x.chars().any(|c| c.is_ascii_alphabetic()))
        })
        .map(String::from)
}

/// Chinese characters with some context, if any.
fn chinese(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let i = chars.iter().position(|c| chuishao_i18n::is_han(*c))?;
    Some(chars[i.saturating_sub(30)..(i + 30).min(chars.len())].iter().collect())
}

/// Checks one page in both languages; `names` may appear on either.
async fn check(t: &TestApp, sid: Option<&str>, path: &str, names: &[String], failures: &mut Vec<String>) {
    for lang in ["zh", "en"] {
        let mut req = browser().get(t.url(&in_lang(path, lang)));
        let cookie = match sid {
            Some(sid) => format!("sid={sid}; csrf={CSRF}"),
            None => format!("csrf={CSRF}"),
        };
        req = req.header(COOKIE, cookie);
        let res = req.send().await.unwrap();
        let status = res.status();
        let html = res.text().await.unwrap();
        assert!(status.is_success() || status.is_client_error(), "{path} ({lang}): {status}");
        check_html(&format!("GET {path} ({lang}, {status})"), lang, &html, names, failures);
    }
}

fn check_html(what: &str, lang: &str, html: &str, names: &[String], failures: &mut Vec<String>) {
    if html.contains("<html") {
        let tag = if lang == "zh" { "zh-CN" } else { "en" };
        assert!(html.contains(&format!("<html lang=\"{tag}\"")), "{what} declares its language");
    }
    let mut text = visible_text(html);
    for n in names {
        text = text.replace(n.as_str(), " ");
    }
    let found = if lang == "zh" { english(&text) } else { chinese(&text) };
    if let Some(s) = found {
        failures.push(format!("{what}: {s:?}"));
    }
}

/// Display names and usernames of every user: names may appear in either language.
async fn user_names(t: &TestApp) -> Vec<String> {
    let admin = t.app.admin().actor_for("admin").await.unwrap();
    let mut names = Vec::new();
    for page in 1..=10 {
        let list = t.app.admin().admin_users(&admin, "", page).await.unwrap();
        names.extend(list.items.iter().flat_map(|u| [u.display_name.clone(), u.username.clone()]));
        if page >= list.pages {
            break;
        }
    }
    names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    names
}

#[test]
fn the_checks_see_the_other_language() {
    assert_eq!(english("仲裁：改派 / reassigned: 1").as_deref(), Some("reassigned"));
    assert_eq!(english("无数据 no data").as_deref(), Some("data"));
    assert_eq!(english("案件 E0101 XGGAEW4HSS · 1小时05分 · Open311"), None);
    assert!(english_prose("督办 (Did Not check)").is_some());
    assert!(chinese("Area 和平街道").is_some());
    assert!(visible_text("<a class=\"lang\" href=\"?\">中文</a><p title=\"提示\">x</p>").contains("提示"));
    assert!(!visible_text("<a class=\"lang\" href=\"?\">中文</a>").contains("中文"));
}

/// A note over the longest text a command takes.
static LONG: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| "9".repeat(4001));

#[tokio::test]
async fn every_page_speaks_one_language() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let cgw = t.token("staff_cgw").await;
    let body = |d: &str| {
        json!({"description": d, "category_code": "E0101", "grid_code": GRID, "lat": 39.974, "lon": 116.396,
               "address": "101", "reporter": {"name": "1", "phone": "13812341234"}})
    };
    // A case just received; one resolved (supervised on the way); one returned; one left to
    // go overdue (the timer then supervises it in the platform's own words).
    let received = t.file(&integrator, body("1001")).await;
    let resolved = t.file(&integrator, body("2001")).await;
    let resolved = t.ok(&dispatcher, &resolved, "register", json!({})).await;
    let resolved = t.ok(&dispatcher, &resolved, "dispatch", json!({"handler_code": "CGW", "note": "2002"})).await;
    let resolved = t.ok(&cgw, &resolved, "accept", json!({})).await;
    let resolved = t.ok(&dispatcher, &resolved, "supervise", json!({"note": "2003"})).await;
    let resolved = t.ok(&cgw, &resolved, "resolve", json!({"result": "2004", "evidence": ["2005"]})).await;
    let returned = t.file(&integrator, body("3001")).await;
    let returned = t.ok(&dispatcher, &returned, "register", json!({})).await;
    let returned = t.ok(&dispatcher, &returned, "dispatch", json!({"handler_code": "CGW"})).await;
    let returned = t.ok(&cgw, &returned, "return", json!({"reason": "3002"})).await;
    let late = t.file(&integrator, body("4001")).await;
    let late = t.ok(&dispatcher, &late, "register", json!({})).await;
    let late = t.ok(&dispatcher, &late, "dispatch", json!({"handler_code": "CGW"})).await;
    // A ruling on a return: the dispatch note the domain writes.
    let ruled = t.file(&integrator, body("5001")).await;
    let ruled = t.ok(&dispatcher, &ruled, "register", json!({})).await;
    let ruled = t.ok(&dispatcher, &ruled, "dispatch", json!({"handler_code": "CGW"})).await;
    t.ok(&cgw, &ruled, "return", json!({"reason": "5002"})).await;
    let disp_actor = t.app.admin().actor_for("dispatcher").await.unwrap();
    let v = t.admin_view(&ruled).await.0["version"].as_i64().unwrap();
    t.app.cases().arbitrate(&disp_actor, chuishao_domain::ids::CaseId(id_of(&ruled)), v, "SWJ", "").await.unwrap();
    // A whistle whose unit does not check in: the timer supervises it.
    let leader = t.token("subdistrict_leader").await;
    let (s, w) = t
        .post(
            &leader,
            "/api/v1/whistles",
            json!({"kind": "routine", "title": "7001", "case_ids": [id_of(&late)], "lat": 39.974, "lon": 116.396,
                   "address": "7002", "units": [{"unit_code": "CGZF", "task": "7003"}, {"unit_code": "ZJW", "task": "7004"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let whistle = w["id"].as_i64().unwrap();
    t.clock.advance_hours(24 * 12);
    t.app.calendar().timer_tick(t.app.now_ms()).await.unwrap();
    t.clock.advance_hours(24 * 12);
    t.app.calendar().timer_tick(t.app.now_ms()).await.unwrap();
    let (_, desk_events) = t.admin_view(&late).await;
    assert!(desk_events.iter().any(|e| e["kind"] == "supervised"), "the late case was supervised");

    let mut names = user_names(&t).await;
    names.push("test".into()); // the label `t.token` gives API tokens, typed like a name
    names.push("chuishao calendar import".into()); // a command line, quoted as it is typed
    let mut failures = Vec::new();
    let (disp, admin) = (sign_in(&t, "dispatcher").await, sign_in(&t, "admin").await);
    let (dept, lead, cgzf) =
        (sign_in(&t, "staff_cgw").await, sign_in(&t, "subdistrict_leader").await, sign_in(&t, "staff_cgzf").await);
    let cases: Vec<String> = [&received, &resolved, &returned, &late, &ruled]
        .iter()
        .map(|c| format!("/console/cases/{}", id_of(c)))
        .collect();
    let mut pages: Vec<(&str, String)> = vec![
        (&disp, "/console/board".into()),
        (&disp, "/console/board?queue=returns".into()),
        (&disp, "/console/board?queue=working".into()),
        (&disp, "/console/board?fragment=1".into()),
        (&disp, "/console/overdue".into()),
        (&disp, "/console/overdue?queue=supervised".into()),
        (&disp, "/console/password".into()),
        (&disp, "/console/whistles".into()),
        (&disp, format!("/console/whistles/{whistle}")),
        (&disp, "/console/scorecards".into()),
        (&disp, "/console/cases/999999".into()),
        (&dept, "/console/inbox".into()),
        (&dept, "/console/scorecards".into()),
        (&cgzf, "/console/whistles".into()),
        (&cgzf, format!("/console/whistles/{whistle}")),
        (&lead, "/console/overdue".into()),
        (&lead, "/console/map".into()),
        (&lead, "/console/map?metric=open_cases".into()),
        (&admin, "/console/admin/users".into()),
        (&admin, "/console/admin/users/new".into()),
        (&admin, format!("/console/admin/users/{}", t.app.admin().actor_for("dispatcher").await.unwrap().user_id.0)),
    ];
    pages.extend(cases.iter().map(|c| (disp.as_str(), c.clone())));
    pages.extend(cases.iter().map(|c| (dept.as_str(), c.clone())));
    for (sid, path) in &pages {
        check(&t, Some(sid), path, &names, &mut failures).await;
    }
    // The residents' pages and the sign-in page.
    let code = |c: &Value| c["tracking_code"].as_str().unwrap().to_string();
    for path in [
        "/login".to_string(),
        "/report".into(),
        "/t".into(),
        format!("/t/{}", code(&received)),
        format!("/t/{}", code(&resolved)),
        format!("/t/{}", code(&late)),
    ] {
        check(&t, None, &path, &names, &mut failures).await;
    }
    // Pages answering posts: a bulk result, a refused form, and an expired session.
    for lang in ["zh", "en"] {
        let item = format!("{}:{}", id_of(&received), received["version"]);
        let res = browser()
            .post(t.url(&in_lang("/console/board/bulk", lang)))
            .header(COOKIE, format!("sid={disp}; csrf={CSRF}"))
            .form(&[("csrf", CSRF), ("bulk_action", "dispatch"), ("case", item.as_str()), ("case", "999999:1")])
            .send()
            .await
            .unwrap();
        let html = res.text().await.unwrap();
        assert!(html.contains("id=\"bulk-results\""), "{html}");
        check_html(&format!("bulk result ({lang})"), lang, &html, &names, &mut failures);
        let path = in_lang(&format!("/console/cases/{}/act", id_of(&received)), lang);
        for (what, cookie, fields) in [
            ("no CSRF token", format!("sid={disp}; csrf={CSRF}"), vec![("action", "register")]),
            ("expired session", format!("sid=css_gone; csrf={CSRF}"), vec![("csrf", CSRF), ("action", "register")]),
        ] {
            let res = browser().post(t.url(&path)).header(COOKIE, cookie).form(&fields).send().await.unwrap();
            let html = res.text().await.unwrap();
            check_html(&format!("{what} ({lang})"), lang, &html, &names, &mut failures);
        }
        // Refused fields, the domain's (a missing reason, an over-long note) and the
        // application's (an unknown unit), worded in the page's language.
        let (now, _) = t.admin_view(&returned).await;
        let version = now["version"].to_string();
        let on_returned = in_lang(&format!("/console/cases/{}/act", id_of(&returned)), lang);
        for (what, fields) in [
            ("missing reason", vec![("action", "reject")]),
            ("unknown unit", vec![("action", "dispatch"), ("handler_code", "NOPE")]),
            ("over-long note", vec![("action", "dispatch"), ("handler_code", "SWJ"), ("note", LONG.as_str())]),
        ] {
            let mut form = vec![("csrf", CSRF), ("version", version.as_str())];
            form.extend(fields);
            let res = browser()
                .post(t.url(&on_returned))
                .header(COOKIE, format!("sid={disp}; csrf={CSRF}"))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
            let html = res.text().await.unwrap();
            assert!(html.contains("<p class=\"error\">"), "{what}: {html}");
            check_html(&format!("{what} ({lang})"), lang, &html, &names, &mut failures);
        }
    }
    // Signing in again from that page: the carried form, labelled, ready to resubmit.
    for lang in ["zh", "en"] {
        let next = format!("/console/cases/{}/act", id_of(&received));
        let res = browser()
            .post(t.url(&in_lang("/login", lang)))
            .header(COOKIE, format!("csrf={CSRF}"))
            .form(&[
                ("csrf", CSRF),
                ("username", "dispatcher"),
                ("password", chuishao_app::admin::accounts::DEMO_PASSWORD),
                ("next", next.as_str()),
                ("carry.action", "reject"),
                ("carry.version", "1"),
                ("carry.reason", "6001"),
                ("carry.handler_code", "CGW"),
            ])
            .send()
            .await
            .unwrap();
        let html = res.text().await.unwrap();
        assert!(html.contains("id=\"resubmit\"") && html.contains("value=\"6001\""), "{html}");
        check_html(&format!("resubmit ({lang})"), lang, &html, &names, &mut failures);
    }
    assert!(failures.is_empty(), "pages in the wrong language:\n{}", failures.join("\n"));
    t.stop().await;
}
