//! User administration in the console over real HTTP: creating users, roles at org nodes
//! within the admin's scope, password resets that force a change, unlocking, disabling,
//! revoking sessions and API tokens — each refused request changing nothing, each change in
//! the audit chain with the acting admin.

use super::*;
use chuishao_app::admin::accounts::{DEMO_PASSWORD, LOCKOUT_FAILURES};
use reqwest::header::{COOKIE, LOCATION};

const CSRF: &str = "fedcba9876543210fedcba9876543210";

/// A signed-in browser: the session cookie and the form token.
struct Staff {
    sid: String,
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Signs in; returns the response's status, where it sends the user and the session.
async fn sign_in(t: &TestApp, user: &str, password: &str) -> (StatusCode, String, Option<Staff>) {
    let res = browser()
        .post(t.url("/login"))
        .header(COOKIE, format!("csrf={CSRF}"))
        .form(&[("csrf", CSRF), ("username", user), ("password", password), ("next", "")])
        .send()
        .await
        .unwrap();
    let location = res.headers().get(LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let sid = super::residents::cookie_from(res.headers(), "sid");
    (res.status(), location, sid.map(|sid| Staff { sid }))
}

async fn staff(t: &TestApp, user: &str, password: &str) -> Staff {
    let (st, _, s) = sign_in(t, user, password).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{user} signs in");
    s.unwrap()
}

impl Staff {
    fn cookies(&self) -> String {
        format!("sid={}; csrf={CSRF}", self.sid)
    }

    /// GET a page: status, `Location` and body.
    async fn get(&self, t: &TestApp, path: &str) -> (StatusCode, String, String) {
        let res = browser().get(t.url(path)).header(COOKIE, self.cookies()).send().await.unwrap();
        let location = res.headers().get(LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        (res.status(), location, res.text().await.unwrap())
    }

    /// POST a form (with the CSRF token unless `csrf` is false): status, `Location`, body.
    async fn post(&self, t: &TestApp, path: &str, fields: &[(&str, &str)], csrf: bool) -> (StatusCode, String, String) {
        let mut form = fields.to_vec();
        if csrf {
            form.push(("csrf", CSRF));
        }
        let res = browser().post(t.url(path)).header(COOKIE, self.cookies()).form(&form).send().await.unwrap();
        let location = res.headers().get(LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        (res.status(), location, res.text().await.unwrap())
    }

    /// POST one of the user page's forms.
    async fn op(&self, t: &TestApp, user: i64, op: &str, fields: &[(&str, &str)]) -> (StatusCode, String, String) {
        self.post(t, &format!("/console/admin/users/{user}/{op}"), fields, true).await
    }
}

async fn user_id(t: &TestApp, username: &str) -> i64 {
    t.app.admin().actor_for(username).await.unwrap().user_id.0
}

/// Kinds and acting users of the account events about `user`, oldest first.
async fn account_events(t: &TestApp, user: i64) -> Vec<(String, Option<i64>)> {
    let events = t.store.stream_events("account", user).await.unwrap();
    events.into_iter().map(|e| (e.kind, e.actor_id)).collect()
}

/// The admin-made events only (sign-ins are the user's own).
async fn admin_events(t: &TestApp, user: i64) -> Vec<(String, Option<i64>)> {
    let mut e = account_events(t, user).await;
    e.retain(|(k, _)| !k.starts_with("login") && k != "logout" && k != "password_changed");
    e
}

/// The user's roles as `role@org code`, sorted.
async fn roles_of(t: &TestApp, username: &str) -> Vec<String> {
    let actor = t.app.admin().actor_for(username).await.unwrap();
    let mut out = vec![];
    for b in actor.bindings {
        let code = t.app.admin().org(b.org_id).await.unwrap().unwrap().code.clone();
        out.push(format!("{}@{code}", b.role.as_str()));
    }
    out.sort();
    out
}

/// The generated password a page shows once.
fn shown_password(html: &str) -> String {
    let start = html.find("id=\"new-password\">").expect("a generated password on the page") + 18;
    html[start..].split('<').next().unwrap().to_string()
}

fn assert_refused(res: &(StatusCode, String, String), status: StatusCode, zh: &str) {
    assert_eq!(res.0, status, "{}", res.2);
    assert!(res.2.contains(zh), "expected {zh:?} in {}", res.2);
}

/// Changes a forced password and checks the console opens up afterwards.
async fn change_forced_password(t: &TestApp, s: &Staff, current: &str, new: &str) {
    let (st, location, _) = s.get(t, "/console/inbox").await;
    assert_eq!((st, location.as_str()), (StatusCode::SEE_OTHER, "/console/password"), "sent to change it first");
    let (st, _, html) = s.get(t, "/console/password").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("管理员已重置您的密码"), "{html}");
    let form = [("current_password", current), ("new_password", new)];
    let (st, _, html) = s.post(t, "/console/password", &form, true).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    assert!(html.contains("密码已修改"));
    let (st, _, _) = s.get(t, "/console/inbox").await;
    assert_eq!(st, StatusCode::OK, "the console opens once the password is changed");
}

#[tokio::test]
async fn admin_creates_a_user_who_then_works_in_the_role() {
    let t = spawn_app().await;
    let admin = staff(&t, "admin", DEMO_PASSWORD).await;
    let admin_id = user_id(&t, "admin").await;

    let (st, _, html) = admin.get(&t, "/console/admin/users").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("href=\"/console/admin/users\" aria-current=\"page\""), "nav link");
    assert!(html.contains("data-username=\"dispatcher\"") && html.contains("data-role=\"dispatcher\""));
    // Paginated: every user exactly once over the pages, 25 a page.
    for i in 0..20 {
        t.app.admin().create_user(&format!("extra_{i:02}"), "临时", &[]).await.unwrap();
    }
    let (_, _, html) = admin.get(&t, "/console/admin/users").await;
    let all = t.store.list_users().await.unwrap().len();
    assert!(all > 25, "the demo fills more than one page");
    let names = |html: &str| -> Vec<String> {
        html.split("data-username=\"").skip(1).map(|p| p.split('"').next().unwrap().to_string()).collect()
    };
    let first = names(&html);
    assert!(html.contains(&format!("({all})")) && html.contains("rel=\"next\"") && !html.contains("rel=\"prev\""));
    let (_, _, page2) = admin.get(&t, "/console/admin/users?page=2").await;
    let second = names(&page2);
    assert!(page2.contains("rel=\"prev\""));
    assert_eq!(first.len(), 25);
    assert_eq!(first.len() + second.len(), all);
    assert!(second.iter().all(|n| !first.contains(n)));
    let (st, _, beyond) = admin.get(&t, "/console/admin/users?page=99").await;
    assert_eq!((st, names(&beyond)), (StatusCode::OK, second), "past the end shows the last page");
    let (st, _, html) = admin.get(&t, "/console/admin/users?q=heping").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("data-username=\"dispatcher_heping\"") && !html.contains("data-username=\"admin\""));
    let (st, _, html) = admin.get(&t, "/console/admin/users/new?lang=en").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("Department staff") && html.contains("value=\"CGZF\""));

    // Bad input: each refusal names its reason and creates nothing.
    let good = [
        ("username", "zhang.wei"),
        ("display_name", "张伟"),
        ("password", "Start-2026"),
        ("role", "department_staff"),
        ("org", "CGZF"),
    ];
    let with = |k: &str, v: &'static str| -> Vec<(&'static str, &'static str)> {
        good.iter().map(|(gk, gv)| if *gk == k { (*gk, v) } else { (*gk, *gv) }).collect()
    };
    for (form, status, zh) in [
        (with("username", "dispatcher"), StatusCode::UNPROCESSABLE_ENTITY, "该用户名已被使用"),
        (with("username", "a b"), StatusCode::UNPROCESSABLE_ENTITY, "用户名须为2至64位"),
        (with("password", "short"), StatusCode::UNPROCESSABLE_ENTITY, "密码不符合要求"),
        (with("password", "zhang.wei-2026"), StatusCode::UNPROCESSABLE_ENTITY, "密码不符合要求"),
        (with("org", "NOPE"), StatusCode::UNPROCESSABLE_ENTITY, "请选择一个存在的单位"),
        (with("role", "mayor"), StatusCode::UNPROCESSABLE_ENTITY, "请选择一个角色"),
        (with("display_name", ""), StatusCode::UNPROCESSABLE_ENTITY, "请填写姓名"),
    ] {
        let res = admin.post(&t, "/console/admin/users", &form, true).await;
        assert_refused(&res, status, zh);
        assert!(res.2.contains("value=\"张伟\"") || form.iter().any(|(k, v)| *k == "display_name" && v.is_empty()));
    }
    assert!(t.store.user_by_username("zhang.wei").await.unwrap().is_none());
    let (st, _, _) = admin.post(&t, "/console/admin/users", &good, false).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "no CSRF token, no user");
    assert!(t.store.user_by_username("zhang.wei").await.unwrap().is_none());

    let (st, _, html) = admin.post(&t, "/console/admin/users", &good, true).await;
    assert_eq!(st, StatusCode::CREATED, "{html}");
    assert!(html.contains("用户已创建") && html.contains("data-role=\"department_staff\""));
    assert!(!html.contains("id=\"new-password\""), "a given password is not echoed");
    let zhang = user_id(&t, "zhang.wei").await;
    assert_eq!(roles_of(&t, "zhang.wei").await, ["department_staff@CGZF"]);
    assert_eq!(admin_events(&t, zhang).await, [("user_created".to_string(), Some(admin_id))]);

    // A case dispatched to CGZF: the new user sees it once the first password is changed.
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let case = t.new_case(&integrator, "E0101").await;
    let case = t.ok(&dispatcher, &case, "register", json!({"category_code": "E0101"})).await;
    t.ok(&dispatcher, &case, "dispatch", json!({"handler_code": "CGZF"})).await;
    let (st, location, user) = sign_in(&t, "zhang.wei", "Start-2026").await;
    assert_eq!((st, location.as_str()), (StatusCode::SEE_OTHER, "/console/password"));
    let user = user.unwrap();
    let (st, _, _) = user.get(&t, &format!("/console/cases/{}", id_of(&case))).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "nothing but the password page before the change");
    change_forced_password(&t, &user, "Start-2026", "Mine-2026!").await;
    let (_, _, inbox) = user.get(&t, "/console/inbox").await;
    assert!(inbox.contains(&format!("id=\"case-{}\"", id_of(&case))), "the role shows CGZF's case");
    let (st, _, desk) = user.get(&t, &format!("/console/cases/{}", id_of(&case))).await;
    assert_eq!(st, StatusCode::OK);
    assert!(desk.contains("data-action=\"accept\""), "and offers what department staff may do");
    let (st, _, _) = user.get(&t, "/console/admin/users").await;
    assert_eq!(st, StatusCode::FORBIDDEN, "but no administration");

    // A generated password is shown once and works.
    let gen_form = [("username", "li.na"), ("display_name", "李娜"), ("password", ""), ("role", ""), ("org", "")];
    let (st, _, html) = admin.post(&t, "/console/admin/users", &gen_form, true).await;
    assert_eq!(st, StatusCode::CREATED);
    let generated = shown_password(&html);
    assert!(chuishao_domain::admin::check_password("li.na", &generated).is_ok(), "{generated}");
    let (st, location, _) = sign_in(&t, "li.na", &generated).await;
    assert_eq!((st, location.as_str()), (StatusCode::SEE_OTHER, "/console/password"));
    let li = user_id(&t, "li.na").await;
    let (_, _, page) = admin.get(&t, &format!("/console/admin/users/{li}")).await;
    assert!(!page.contains(&generated), "shown only once");
    assert!(page.contains("data-flag=\"must_change\""));
    assert!(t.store.verify_chain().await.unwrap().first_break.is_none(), "audit chain intact");
    t.stop().await;
}

#[tokio::test]
async fn non_admins_get_403_on_every_admin_page_and_form() {
    let t = spawn_app().await;
    let target = user_id(&t, "grid_worker").await;
    let before = (roles_of(&t, "grid_worker").await, account_events(&t, target).await);
    for who in ["dispatcher", "subdistrict_leader", "viewer", "department_staff"] {
        let s = staff(&t, who, DEMO_PASSWORD).await;
        let (_, _, board) = s.get(&t, "/console/inbox").await;
        assert!(!board.contains("/console/admin/users"), "{who} sees no admin link");
        for path in ["/console/admin/users", "/console/admin/users/new", &format!("/console/admin/users/{target}")] {
            let (st, _, body) = s.get(&t, path).await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{who} GET {path}");
            assert!(body.contains("您没有用户管理权限"));
        }
        let create = [("username", "x.y"), ("display_name", "X"), ("password", "Start-2026")];
        assert_eq!(s.post(&t, "/console/admin/users", &create, true).await.0, StatusCode::FORBIDDEN, "{who}");
        for (op, fields) in [
            ("grant", vec![("role", "admin"), ("org", "110199")]),
            ("remove-role", vec![("role", "grid_worker"), ("org_id", "1")]),
            ("reset-password", vec![("password", "Taken-2026")]),
            ("unlock", vec![]),
            ("disable", vec![]),
            ("enable", vec![]),
            ("revoke-sessions", vec![]),
            ("revoke-token", vec![("token_id", "1")]),
        ] {
            let (st, _, _) = s.op(&t, target, op, &fields).await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{who} POST {op}");
        }
    }
    // Signed out: pages send to sign-in, forms too; nothing changed.
    let (st, location, _) = Staff { sid: "css_none".into() }.get(&t, "/console/admin/users").await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/login?next="), "{location}");
    assert!(t.store.user_by_username("x.y").await.unwrap().is_none());
    assert_eq!((roles_of(&t, "grid_worker").await, account_events(&t, target).await), before);
    t.stop().await;
}

#[tokio::test]
async fn a_scoped_admin_manages_only_its_subtree() {
    let t = spawn_app().await;
    let heping = format!("{}001", chuishao_app::demo::DISTRICT_CODE);
    let community = format!("{heping}001");
    let donghu = format!("{}002", chuishao_app::demo::DISTRICT_CODE);
    t.app
        .admin()
        .create_user("heping_admin", "和平街道管理员", &[(chuishao_domain::access::Role::Admin, heping.as_str())])
        .await
        .unwrap();
    t.app.admin().set_password("heping_admin", DEMO_PASSWORD).await.unwrap();
    let admin = staff(&t, "heping_admin", DEMO_PASSWORD).await;
    let admin_id = user_id(&t, "heping_admin").await;

    let (st, _, list) = admin.get(&t, "/console/admin/users").await;
    assert_eq!(st, StatusCode::OK);
    for inside in ["grid_worker", "street_chief", "community_worker", "subdistrict_leader", "dispatcher_heping"] {
        assert!(list.contains(&format!("data-username=\"{inside}\"")), "{inside} listed");
    }
    for outside in ["admin", "dispatcher", "department_staff", "viewer"] {
        assert!(!list.contains(&format!("data-username=\"{outside}\"")), "{outside} not listed");
    }
    let (_, _, new) = admin.get(&t, "/console/admin/users/new").await;
    assert!(new.contains(&format!("value=\"{community}\"")) && !new.contains(&format!("value=\"{donghu}\"")));

    // Users outside: not even readable, let alone changed.
    let dispatcher = user_id(&t, "dispatcher").await;
    let before = (roles_of(&t, "dispatcher").await, account_events(&t, dispatcher).await);
    assert_eq!(admin.get(&t, &format!("/console/admin/users/{dispatcher}")).await.0, StatusCode::FORBIDDEN);
    let res = admin.op(&t, dispatcher, "reset-password", &[("password", "Taken-2026")]).await;
    assert_refused(&res, StatusCode::FORBIDDEN, "该用户不在您的管理范围内");
    let res = admin.op(&t, dispatcher, "revoke-sessions", &[]).await;
    assert_eq!(res.0, StatusCode::FORBIDDEN);
    assert_eq!((roles_of(&t, "dispatcher").await, account_events(&t, dispatcher).await), before);

    // A user inside: roles only within Heping.
    let grid = user_id(&t, "grid_worker").await;
    let before = roles_of(&t, "grid_worker").await;
    for org in [donghu.as_str(), chuishao_app::demo::DISTRICT_CODE, "CGZF"] {
        let res = admin.op(&t, grid, "grant", &[("role", "viewer"), ("org", org)]).await;
        assert_refused(&res, StatusCode::FORBIDDEN, "不能在您管理范围以外的单位");
    }
    assert_eq!(roles_of(&t, "grid_worker").await, before);
    let create = [
        ("username", "wang.fang"),
        ("display_name", "王芳"),
        ("password", ""),
        ("role", "dispatcher"),
        ("org", donghu.as_str()),
    ];
    let res = admin.post(&t, "/console/admin/users", &create, true).await;
    assert_refused(&res, StatusCode::FORBIDDEN, "不能在您管理范围以外的单位");
    assert!(t.store.user_by_username("wang.fang").await.unwrap().is_none());

    let (st, location, _) = admin.op(&t, grid, "grant", &[("role", "viewer"), ("org", community.as_str())]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("/console/admin/users/{grid}?done=role_granted"));
    assert!(roles_of(&t, "grid_worker").await.contains(&format!("viewer@{community}")));
    let res = admin.op(&t, grid, "grant", &[("role", "viewer"), ("org", community.as_str())]).await;
    assert_refused(&res, StatusCode::UNPROCESSABLE_ENTITY, "该用户已拥有此角色");
    // Granting the district admin role to oneself is outside the scope too.
    let res = admin.op(&t, admin_id, "grant", &[("role", "admin"), ("org", chuishao_app::demo::DISTRICT_CODE)]).await;
    assert_eq!(res.0, StatusCode::FORBIDDEN);
    assert_eq!(admin_events(&t, grid).await, [("role_granted".to_string(), Some(admin_id))]);
    t.stop().await;
}

#[tokio::test]
async fn reset_forces_a_change_and_revocations_apply_at_the_next_request() {
    let t = spawn_app().await;
    let admin = staff(&t, "admin", DEMO_PASSWORD).await;
    let admin_id = user_id(&t, "admin").await;
    let dept = user_id(&t, "department_staff").await;

    // Revoke sessions: both of the user's browsers are out at their next request.
    let one = staff(&t, "department_staff", DEMO_PASSWORD).await;
    let two = staff(&t, "department_staff", DEMO_PASSWORD).await;
    assert_eq!(one.get(&t, "/console/inbox").await.0, StatusCode::OK);
    let (_, _, page) = admin.get(&t, &format!("/console/admin/users/{dept}")).await;
    assert!(page.contains("<span id=\"sessions\">2</span>"), "two live sessions listed");
    let (st, location, _) = admin.op(&t, dept, "revoke-sessions", &[]).await;
    assert_eq!((st, location), (StatusCode::SEE_OTHER, format!("/console/admin/users/{dept}?done=sessions_revoked")));
    for s in [&one, &two] {
        let (st, location, _) = s.get(&t, "/console/inbox").await;
        assert_eq!(st, StatusCode::SEE_OTHER);
        assert!(location.starts_with("/login"), "{location}");
    }

    // API tokens: listed, revoked one by one, refused at the next call.
    let token = t.token("department_staff").await;
    let other = t.token("department_staff").await;
    assert_eq!(t.get(&token, "/api/v1/cases").await.0, StatusCode::OK);
    let tokens = t.store.user_tokens(chuishao_domain::ids::UserId(dept)).await.unwrap();
    let (_, _, page) = admin.get(&t, &format!("/console/admin/users/{dept}")).await;
    for k in &tokens {
        assert!(page.contains(&format!("id=\"token-{}\"", k.id)), "token {} listed", k.id);
    }
    let newest = tokens[0].id.to_string();
    let (st, _, _) = admin.op(&t, dept, "revoke-token", &[("token_id", newest.as_str())]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (st, body) = t.get(&other, "/api/v1/cases").await;
    assert_err(&(st, body), StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(t.get(&token, "/api/v1/cases").await.0, StatusCode::OK, "the other token still works");
    let res = admin.op(&t, dept, "revoke-token", &[("token_id", newest.as_str())]).await;
    assert_refused(&res, StatusCode::UNPROCESSABLE_ENTITY, "没有这个有效的令牌");
    // Another user's token id is not this user's.
    let admins_token = t.store.user_tokens(chuishao_domain::ids::UserId(admin_id)).await.unwrap()[0].id.to_string();
    let res = admin.op(&t, dept, "revoke-token", &[("token_id", admins_token.as_str())]).await;
    assert_refused(&res, StatusCode::UNPROCESSABLE_ENTITY, "没有这个有效的令牌");
    assert_eq!(t.get(&t.admin, "/api/v1/cases").await.0, StatusCode::OK);

    // Reset: a weak password is refused; a generated one ends every session and forces a change.
    let three = staff(&t, "department_staff", DEMO_PASSWORD).await;
    let res = admin.op(&t, dept, "reset-password", &[("password", "password")]).await;
    assert_refused(&res, StatusCode::UNPROCESSABLE_ENTITY, "密码不符合要求");
    assert_eq!(three.get(&t, "/console/inbox").await.0, StatusCode::OK, "a refused reset changes nothing");
    let (st, _, html) = admin.op(&t, dept, "reset-password", &[("password", "")]).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("密码已重置"));
    let generated = shown_password(&html);
    assert_eq!(three.get(&t, "/console/inbox").await.0, StatusCode::SEE_OTHER, "signed out by the reset");
    let (st, _, _) = sign_in(&t, "department_staff", DEMO_PASSWORD).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "the old password is gone");
    let (st, location, s) = sign_in(&t, "department_staff", &generated).await;
    assert_eq!((st, location.as_str()), (StatusCode::SEE_OTHER, "/console/password"));
    let s = s.unwrap();
    // Until changed, the session holds no role: the API-equivalent actions are refused too.
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let case = t.new_case(&integrator, "E0101").await;
    let case = t.ok(&dispatcher, &case, "register", json!({"category_code": "E0101"})).await;
    let case = t.ok(&dispatcher, &case, "dispatch", json!({"handler_code": "CGZF"})).await;
    let v = case["version"].to_string();
    let form = [("action", "accept"), ("version", v.as_str())];
    let (st, _, _) = s.post(&t, &format!("/console/cases/{}/act", id_of(&case)), &form, true).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(t.admin_view(&case).await.0["status"], "dispatched");
    change_forced_password(&t, &s, &generated, "Fresh-2026!").await;
    let (st, _, _) = s.post(&t, &format!("/console/cases/{}/act", id_of(&case)), &form, true).await;
    assert_eq!(st, StatusCode::SEE_OTHER);

    assert_eq!(
        admin_events(&t, dept).await,
        ["sessions_revoked", "token_revoked", "password_reset"].map(|k| (k.to_string(), Some(admin_id)))
    );
    assert!(t.store.verify_chain().await.unwrap().first_break.is_none());
    t.stop().await;
}

#[tokio::test]
async fn unlock_disable_guards_and_csrf() {
    let t = spawn_app().await;
    let admin = staff(&t, "admin", DEMO_PASSWORD).await;
    let admin_id = user_id(&t, "admin").await;
    let viewer = user_id(&t, "viewer").await;

    // Locked out by failures: the directory says so, unlocking lets the right password in.
    for _ in 0..LOCKOUT_FAILURES {
        sign_in(&t, "viewer", "wrong-password").await;
        t.clock.offset_ms.fetch_add(70_000, Ordering::SeqCst);
    }
    assert_eq!(sign_in(&t, "viewer", DEMO_PASSWORD).await.0, StatusCode::TOO_MANY_REQUESTS);
    let (_, _, list) = admin.get(&t, "/console/admin/users?q=viewer").await;
    assert!(list.contains("data-flag=\"locked\""), "{list}");
    let (st, _, _) = admin.post(&t, &format!("/console/admin/users/{viewer}/unlock"), &[], false).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "no CSRF token, still locked");
    assert_eq!(sign_in(&t, "viewer", DEMO_PASSWORD).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(admin.op(&t, viewer, "unlock", &[]).await.0, StatusCode::SEE_OTHER);
    let viewer_session = staff(&t, "viewer", DEMO_PASSWORD).await;

    // Disabled: the session, sign-in and API tokens stop at once; enabling restores sign-in.
    let token = t.token("viewer").await;
    assert_eq!(admin.op(&t, viewer, "disable", &[]).await.0, StatusCode::SEE_OTHER);
    assert_eq!(viewer_session.get(&t, "/console/overdue").await.0, StatusCode::SEE_OTHER);
    assert_eq!(sign_in(&t, "viewer", DEMO_PASSWORD).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(t.get(&token, "/api/v1/cases").await.0, StatusCode::UNAUTHORIZED);
    let (_, _, page) = admin.get(&t, &format!("/console/admin/users/{viewer}")).await;
    assert!(page.contains("data-flag=\"disabled\"") && page.contains("id=\"enable\""));
    assert_eq!(admin.op(&t, viewer, "enable", &[]).await.0, StatusCode::SEE_OTHER);
    assert_eq!(sign_in(&t, "viewer", DEMO_PASSWORD).await.0, StatusCode::SEE_OTHER);

    // The guards: not one's own last admin role, not oneself, not the last admin.
    let district =
        t.app.admin().org_by_code(chuishao_app::demo::DISTRICT_CODE).await.unwrap().unwrap().id.0.to_string();
    let before = account_events(&t, admin_id).await.len();
    let res = admin.op(&t, admin_id, "remove-role", &[("role", "admin"), ("org_id", district.as_str())]).await;
    assert_refused(&res, StatusCode::UNPROCESSABLE_ENTITY, "不能移除您自己唯一的管理员角色");
    let res = admin.op(&t, admin_id, "disable", &[]).await;
    assert_refused(&res, StatusCode::UNPROCESSABLE_ENTITY, "不能停用您自己的账号");
    t.app
        .admin()
        .create_user(
            "second_admin",
            "第二管理员",
            &[(chuishao_domain::access::Role::Admin, chuishao_app::demo::DISTRICT_CODE)],
        )
        .await
        .unwrap();
    t.app.admin().set_password("second_admin", DEMO_PASSWORD).await.unwrap();
    let second = staff(&t, "second_admin", DEMO_PASSWORD).await;
    // The second admin disables the first; then the first cannot be the one to remove the last.
    assert_eq!(second.op(&t, admin_id, "disable", &[]).await.0, StatusCode::SEE_OTHER);
    let second_id = user_id(&t, "second_admin").await;
    let res = second.op(&t, second_id, "remove-role", &[("role", "admin"), ("org_id", district.as_str())]).await;
    assert_refused(&res, StatusCode::UNPROCESSABLE_ENTITY, "不能移除您自己唯一的管理员角色");
    assert_eq!(second.op(&t, admin_id, "enable", &[]).await.0, StatusCode::SEE_OTHER);
    // With the first admin enabled again, the second's admin role may be removed by the first.
    let admin = staff(&t, "admin", DEMO_PASSWORD).await;
    let res = admin.op(&t, second_id, "remove-role", &[("role", "admin"), ("org_id", district.as_str())]).await;
    assert_eq!(res.0, StatusCode::SEE_OTHER, "{}", res.2);
    assert!(roles_of(&t, "second_admin").await.is_empty());
    assert_eq!(second.get(&t, "/console/admin/users").await.0, StatusCode::FORBIDDEN, "at the very next request");
    assert_eq!(account_events(&t, admin_id).await.len(), before + 3, "refusals left no trace; disable, enable did");

    assert_eq!(
        admin_events(&t, viewer).await,
        ["account_unlocked", "user_disabled", "user_enabled"].map(|k| (k.to_string(), Some(admin_id)))
    );
    assert!(t.store.verify_chain().await.unwrap().first_break.is_none());
    t.stop().await;
}
