//! The authorisation matrix: every route the router serves, who may use it, and what each
//! role gets for an object inside its scope and one outside it ([`MATRIX`]). Rendered into
//! `docs/authorisation.md` ([`markdown`]); `tests/api/authz.rs` fails when the router serves
//! a route the matrix lacks (naming it) and checks every row against a live server.
//!
//! The rule the matrix holds the routes to: **outside the scope and nonexistent answer alike**
//! (404, the same error code), so ids cannot be probed. A 403 is only ever given for an
//! object the role may see but not act on, or for a route its role may not use at all.
//!
//! Adding a route: add one `row!` line below (method, path, gate, object, one cell per role).

use chuishao_domain::access::Role;

/// How a request is let in, before any role is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Anyone (residents, health checks, the API document, assets).
    Public,
    /// A residents' form: its signed CSRF pair, else 403.
    PublicForm,
    /// Open311: reads public, writes with an integrator's `api_key`.
    Open311,
    /// The API: `Authorization: Bearer` token, else 401.
    Token,
    /// A console page: a session, else 303 to sign-in.
    Page,
    /// A console event stream: a session, else 401.
    Stream,
    /// A console form: the session's CSRF token, else 403; a session that ended, 401 (sign
    /// in and resubmit).
    Form,
    /// A volunteer's own API: a volunteer's session token (`cvs_…`), else 401; staff tokens
    /// are not volunteers' (no staff column applies).
    Volunteer,
}

impl Gate {
    pub fn as_str(self) -> &'static str {
        match self {
            Gate::Public => "public",
            Gate::PublicForm => "public form (CSRF)",
            Gate::Open311 => "Open311 (api_key to write)",
            Gate::Token => "API token",
            Gate::Page => "console session",
            Gate::Stream => "console session (stream)",
            Gate::Form => "console session + CSRF",
            Gate::Volunteer => "volunteer session token",
        }
    }
}

/// What a route addresses: the object whose scope decides, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    /// Nothing scoped (lists are filtered to the scope instead).
    None,
    Case,
    /// A case by its public tracking code.
    TrackingCode,
    Whistle,
    Patrol,
    Street,
    /// A staff user (user administration).
    User,
    /// A department (public reference data: its existence is no secret).
    Department,
    /// A notification delivery.
    Delivery,
    /// A calendar year.
    Year,
    /// A stored photo by name.
    Photo,
    /// A party organisation registered with its community (双报到).
    PartyOrg,
    /// A party member registered with the community where they live.
    Member,
    /// A community post (楼门长, 调解员…).
    Post,
    /// A community activity.
    Activity,
    /// A volunteer's account.
    Volunteer,
}

impl Object {
    pub fn as_str(self) -> &'static str {
        match self {
            Object::None => "—",
            Object::Case => "case",
            Object::TrackingCode => "tracking code",
            Object::Whistle => "whistle",
            Object::Patrol => "patrol",
            Object::Street => "street",
            Object::User => "user",
            Object::Department => "department",
            Object::Delivery => "delivery",
            Object::Year => "year",
            Object::Photo => "photo",
            Object::PartyOrg => "party organisation",
            Object::Member => "party member",
            Object::Post => "post",
            Object::Activity => "activity",
            Object::Volunteer => "volunteer",
        }
    }
}

/// One role's outcome for one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Let through (2xx, or 3xx for a console form that redirects after success).
    Ok,
    /// 403: the role may see the object but not do this, or may not use the route.
    Forbidden,
    /// 404: the object is outside the role's scope (answered as if it did not exist).
    NotFound,
    /// Not checked live (a write whose success would change the shared objects; its own
    /// behaviour tests cover it).
    Unchecked,
}

impl Outcome {
    fn parse(c: u8) -> Option<Outcome> {
        match c {
            b'Y' => Some(Outcome::Ok),
            b'F' => Some(Outcome::Forbidden),
            b'N' => Some(Outcome::NotFound),
            b'.' => Some(Outcome::Unchecked),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "✓",
            Outcome::Forbidden => "403",
            Outcome::NotFound => "404",
            Outcome::Unchecked => "·",
        }
    }
}

/// The columns of the matrix: the nine roles as the demo binds them (district-wide where
/// the role allows it), then an admin scoped to one subdistrict.
pub const COLUMNS: [(&str, Option<Role>); 10] = [
    ("admin", Some(Role::Admin)),
    ("dispatcher", Some(Role::Dispatcher)),
    ("subdistrict_leader", Some(Role::SubdistrictLeader)),
    ("department_staff", Some(Role::DepartmentStaff)),
    ("grid_worker", Some(Role::GridWorker)),
    ("street_chief", Some(Role::StreetChief)),
    ("community_worker", Some(Role::CommunityWorker)),
    ("viewer", Some(Role::Viewer)),
    ("integrator", Some(Role::Integrator)),
    ("heping_admin", Some(Role::Admin)),
];

/// One route: who gets in and what each column gets.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub method: &'static str,
    pub path: &'static str,
    pub gate: Gate,
    pub object: Object,
    /// One cell per column of [`COLUMNS`], space-separated, each two letters: the outcome for
    /// an object inside the column's scope, then for one outside it (`Y` let through, `F`
    /// 403, `N` 404, `.` unchecked). Ignored for public gates.
    pub cells: &'static str,
}

impl Row {
    /// The (inside, outside) outcomes of each column.
    pub fn outcomes(&self) -> Vec<(Outcome, Outcome)> {
        let cells: Vec<&str> = self.cells.split_whitespace().collect();
        assert_eq!(cells.len(), COLUMNS.len(), "{} {}: one cell per column", self.method, self.path);
        cells
            .iter()
            .map(|c| {
                let b = c.as_bytes();
                let at = |i: usize| b.get(i).copied().and_then(Outcome::parse);
                let (inside, outside) = (at(0), at(1));
                assert!(
                    b.len() == 2 && inside.is_some() && outside.is_some(),
                    "{} {}: cell {c:?}: two of Y, F, N and .",
                    self.method,
                    self.path
                );
                (inside.unwrap_or(Outcome::Unchecked), outside.unwrap_or(Outcome::Unchecked))
            })
            .collect()
    }
}

macro_rules! row {
    ($method:literal $path:literal, $gate:ident, $object:ident, $cells:literal) => {
        Row { method: $method, path: $path, gate: Gate::$gate, object: Object::$object, cells: $cells }
    };
    ($method:literal $path:literal, $gate:ident) => {
        Row { method: $method, path: $path, gate: Gate::$gate, object: Object::None, cells: ALL_OK }
    };
}

/// Every column let through, for routes without roles.
const ALL_OK: &str = "YY YY YY YY YY YY YY YY YY YY";

/// Every route the router serves.
pub const MATRIX: &[Row] = &[
    row!("ANY" "/open311/v2", Open311),
    row!("ANY" "/open311/v2/", Open311),
    row!("ANY" "/open311/v2/{*rest}", Open311),
    row!("GET" "/api/v1/calendar", Token, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/api/v1/calendar/due", Token, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/api/v1/calendar/{year}", Token, Year, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/api/v1/cases", Token, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/api/v1/cases/{id}", Token, Case, "YY YY YN YN YN YN YN YY YY YN"),
    row!("GET" "/api/v1/cases/{id}/events", Token, Case, "YY YY YN YN YN YN YN YY YY YN"),
    row!("GET" "/api/v1/cases/{id}/public-text", Token, Case, "YY YY FN FN FN FN FN FF FF YN"),
    row!("GET" "/api/v1/cases/{id}/reporter", Token, Case, "YY YY FN FN FN FN FN FF FF YN"),
    row!("GET" "/api/v1/categories", Public),
    row!("GET" "/api/v1/departments", Token, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/api/v1/departments/{id}/scorecard", Token, Department, "YY YY FF YF FF FF FF YY YY FF"),
    row!("GET" "/api/v1/geo/export", Token, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/api/v1/geo/locate", Token, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/api/v1/geo/map.svg", Token, None, "YY YY YY NN NN NN NN YY YY YY"),
    row!("GET" "/api/v1/geo/streets", Token, None, "YY YY YY NN YY YY YY YY YY YY"),
    row!("GET" "/api/v1/geo/streets/{code}", Token, Street, "YY YY YY NN YN YN YN YY YY YY"),
    row!("GET" "/api/v1/geo/workload", Token, None, "YY YY YY NN NN NN NN YY YY YY"),
    row!("GET" "/api/v1/notifications/deliveries", Token, None, "YY FF FF FF FF FF FF FF FF YY"),
    row!("GET" "/api/v1/notifications/subscriptions", Token, None, "YY FF FF FF FF FF FF FF FF YY"),
    row!("GET" "/api/v1/orgs", Token, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/api/v1/patrols", Token, None, "YY YY YY NN YY YY YY YY YY YY"),
    row!("GET" "/api/v1/patrols/{id}", Token, Patrol, "YY YY YY NN YN YN YN YY YY YY"),
    row!("GET" "/api/v1/public/cases/{tracking_code}", Public, TrackingCode, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/api/v1/whistles", Token, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/api/v1/whistles/board", Token, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/api/v1/whistles/board/stream", Token, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/api/v1/whistles/scorecards", Token, None, "YY YY FF FF FF FF FF YY YY FF"),
    row!("GET" "/api/v1/whistles/{id}", Token, Whistle, "YY YY YN YN YN YN YN YY YY YN"),
    row!("GET" "/api/v1/whistles/{id}/events", Token, Whistle, "YY YY YN YN YN YN YN YY YY YN"),
    row!("GET" "/console", Page, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/console/admin", Page, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/console/admin/users", Page, None, "YY FF FF FF FF FF FF FF FF YY"),
    row!("GET" "/console/admin/users/new", Page, None, "YY FF FF FF FF FF FF FF FF YY"),
    row!("GET" "/console/admin/users/{id}", Page, User, "YY FF FF FF FF FF FF FF FF YN"),
    row!("GET" "/console/board", Page, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/console/board/events", Stream, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/console/cases/{id}", Page, Case, "YY YY YN YN YN YN YN YY YY YN"),
    row!("GET" "/console/inbox", Page, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/console/map", Page, None, "YY YY YY FF FF YY YY YY YY YY"),
    row!("GET" "/console/overdue", Page, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/console/password", Page, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/console/scorecards", Page, None, "YY YY FF YY FF FF FF YY YY FF"),
    row!("GET" "/console/whistles", Page, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/console/whistles/events", Stream, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/console/whistles/{id}", Page, Whistle, "YY YY YN YN YN YN YN YY YY YN"),
    row!("GET" "/login", Public),
    row!("GET" "/photos/{name}", Public, Photo, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/report", Public),
    row!("GET" "/report/map.svg", Public),
    row!("GET" "/report/nearby.json", Public),
    row!("GET" "/t", Public),
    row!("GET" "/t/{code}", Public, TrackingCode, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/t/{code}/events", Public, TrackingCode, "YY YY YY YY YY YY YY YY YY YY"),
    row!("POST" "/api/v1/cases", Token, None, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/api/v1/cases/{id}/transitions", Token, Case, ".Y .Y .N .N .N .N .N .Y .Y .N"),
    row!("POST" "/api/v1/geo/import", Token, None, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/api/v1/geo/partition", Token, None, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/api/v1/notifications/deliveries/{id}/retry", Token, Delivery, ".N .F .F .F .F .F .F .F .F .N"),
    row!("POST" "/api/v1/notifications/subscriptions", Token, None, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/api/v1/patrols", Token, None, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/api/v1/patrols/{id}/checklist", Token, Patrol, ".F .F .F .N .N .N .N .F .F .F"),
    row!("POST" "/api/v1/patrols/{id}/finish", Token, Patrol, ".F .F .F .N .N .N .N .F .F .F"),
    row!("POST" "/api/v1/patrols/{id}/problems", Token, Patrol, ".F .F .F .N .N .N .N .F .F .F"),
    row!("POST" "/api/v1/patrols/{id}/track", Token, Patrol, ".F .F .F .N .N .N .N .F .F .F"),
    row!("POST" "/api/v1/whistles", Token, None, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/api/v1/whistles/{id}/transitions", Token, Whistle, ".Y .Y .Y .Y .Y .Y .Y .Y .Y .Y"),
    row!("POST" "/console/admin/users", Form, None, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/console/admin/users/{id}/{op}", Form, User, ".Y .F .F .F .F .F .F .F .F .N"),
    row!("POST" "/console/board/bulk", Form, None, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/console/cases/{id}/act", Form, Case, ".Y .Y .N .N .N .N .N .Y .Y .N"),
    row!("POST" "/console/cases/{id}/public-text", Form, Case, ".Y .Y .N .N .N .N .N .Y .Y .N"),
    row!("POST" "/console/password", Form, None, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/console/whistles/{id}/act", Form, Whistle, ".Y .Y .N .N .N .N .N .Y .Y .N"),
    row!("POST" "/login", PublicForm),
    row!("POST" "/logout", Form, None, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/report", PublicForm),
    row!("POST" "/t/{code}/callback", PublicForm, TrackingCode, ".Y .Y .Y .Y .Y .Y .Y .Y .Y .Y"),
    row!("POST" "/t/{code}/me-too", PublicForm, TrackingCode, ".Y .Y .Y .Y .Y .Y .Y .Y .Y .Y"),
    row!("PUT" "/api/v1/calendar/{year}", Token, Year, ".Y .F .F .F .F .F .F .F .F .Y"),
    row!("PUT" "/api/v1/cases/{id}/public-text", Token, Case, ".Y .Y .N .N .N .N .N .F .F .N"),
    row!("PUT" "/api/v1/geo/streets/{code}/people", Token, Street, ".Y .Y .F .N .N .N .N .F .F .Y"),
    row!("GET" "/activities", Public),
    row!("GET" "/activities/{id}", Public),
    row!("GET" "/api/v1/community/public/activities", Public),
    row!("GET" "/api/v1/community/public/activities/{id}", Public),
    row!("POST" "/api/v1/community/volunteers", Public),
    row!("POST" "/api/v1/community/volunteers/login", Public),
    row!("GET" "/api/v1/community/volunteers/me", Volunteer, None, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/api/v1/community/volunteers/logout", Volunteer, None, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/api/v1/community/activities/{id}/sign-up", Volunteer, Activity, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/api/v1/community/activities/{id}/withdraw", Volunteer, Activity, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/api/v1/community/activities/{id}/check-in", Volunteer, Activity, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/api/v1/community/activities/{id}/check-out", Volunteer, Activity, ".. .. .. .. .. .. .. .. .. .."),
    row!("GET" "/api/v1/community/skills", Public),
    row!("GET" "/api/v1/community/party-orgs", Token, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/api/v1/community/party-orgs/{id}", Token, PartyOrg, "YY YY YN NN NN YN YN YY YY YN"),
    row!("GET" "/api/v1/community/party-orgs/{id}/year", Token, PartyOrg, "YY YY YN NN NN YN YN YY YY YN"),
    row!("GET" "/api/v1/community/members", Token, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/api/v1/community/members/{id}", Token, Member, "YY YY YN NN NN YN YN YY YY YN"),
    row!("GET" "/api/v1/community/members/{id}/year", Token, Member, "YY YY YN NN NN YN YN YY YY YN"),
    row!("GET" "/api/v1/community/posts", Token, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/api/v1/community/posts/{id}", Token, Post, "YY YY YN NN NN YN YN YY YY YN"),
    row!("GET" "/api/v1/community/activities", Token, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("GET" "/api/v1/community/activities/{id}", Token, Activity, "YY YY YN NN NN YN YN YY YY YN"),
    row!("GET" "/api/v1/community/activities/{id}/qr", Token, Activity, "YY FF YN NN NN FN YN FF FF YN"),
    row!("GET" "/api/v1/community/volunteers", Token, None, "YY YY YY YY YY YY YY YY YY YY"),
    row!("POST" "/api/v1/community/party-orgs", Token, None, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/api/v1/community/party-orgs/{id}/decision", Token, PartyOrg, ".Y .Y .N .N .N .N .N .Y .Y .N"),
    row!("POST" "/api/v1/community/members", Token, None, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/api/v1/community/members/{id}/decision", Token, Member, ".Y .Y .N .N .N .N .N .Y .Y .N"),
    row!("POST" "/api/v1/community/posts", Token, None, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/api/v1/community/posts/{id}/holders", Token, Post, ".Y .Y .Y .Y .Y .Y .Y .Y .Y .Y"),
    row!("POST" "/api/v1/community/activities", Token, None, ".. .. .. .. .. .. .. .. .. .."),
    row!("POST" "/api/v1/community/activities/{id}/transitions", Token, Activity, ".Y .F .N .N .N .N .N .F .F .N"),
    row!("POST" "/api/v1/community/volunteers/{id}/decision", Token, Volunteer, ".Y .Y .N .N .N .N .N .Y .Y .N"),
    row!("PUT" "/api/v1/community/skills", Token, None, ".. .. .. .. .. .. .. .. .. .."),
    row!("GET" "/healthz", Public),
    row!("GET" "/readyz", Public),
    row!("GET" "/api/v1/openapi.json", Public),
    row!("GET" "/assets/site.css", Public),
    row!("GET" "/assets/track.js", Public),
    row!("GET" "/assets/report.js", Public),
    row!("GET" "/assets/console.js", Public),
];

/// The rows as a Markdown table (docs/authorisation.md).
pub fn markdown() -> String {
    let mut out = String::from("| method | path | gate | object |");
    for (name, _) in COLUMNS {
        out.push_str(&format!(" {name} |"));
    }
    out.push_str("\n|---|---|---|---|");
    for _ in COLUMNS {
        out.push_str("---|");
    }
    out.push('\n');
    for r in MATRIX {
        out.push_str(&format!("| {} | `{}` | {} | {} |", r.method, r.path, r.gate.as_str(), r.object.as_str()));
        for (inside, outside) in r.outcomes() {
            if matches!(r.gate, Gate::Public | Gate::PublicForm | Gate::Open311) {
                out.push_str(" ✓ |");
            } else if r.object == Object::None || inside == outside {
                out.push_str(&format!(" {} |", inside.as_str()));
            } else {
                out.push_str(&format!(" {} / {} |", inside.as_str(), outside.as_str()));
            }
        }
        out.push('\n');
    }
    out
}

/// The route id a chunk of the router's `Debug` form starts with, and the rest of it.
fn id_of(chunk: &str) -> Option<(u64, &str)> {
    let (n, rest) = chunk.split_once(')')?;
    Some((n.parse().ok()?, rest))
}

/// Every (method, path) a router serves, read from its structure (`ANY` for a route that
/// takes every method). The router is walked through its `Debug` form, the only view axum
/// gives of its table; a change in that form fails the walking test loudly (no routes).
pub fn served_routes<S>(router: &axum::Router<S>) -> Vec<(String, String)> {
    let text = format!("{router:?}");
    // Only the path router (the fallback router holds no routes of ours).
    let text = text.split("fallback_router:").next().unwrap_or("");
    let Some((routes, node)) = text.split_once("node: Node") else { return vec![] };
    let mut paths = std::collections::HashMap::new();
    for chunk in node.split("RouteId(").skip(1) {
        if let Some((id, rest)) = id_of(chunk) {
            let path = rest.split('"').nth(1).unwrap_or("").to_string();
            paths.insert(id, path);
        }
    }
    const METHODS: [&str; 9] = ["get", "head", "delete", "options", "patch", "post", "put", "trace", "connect"];
    let mut out = Vec::new();
    for chunk in routes.split("RouteId(").skip(1) {
        let Some((id, rest)) = id_of(chunk) else { continue };
        let Some(path) = paths.get(&id) else { continue };
        let field = |name: &str| {
            rest.split_once(&format!(" {name}: "))
                .map(|(_, v)| v.split([',', ' ', '}']).next().unwrap_or("").to_string())
        };
        let methods: Vec<&str> = METHODS.iter().copied().filter(|m| field(m).is_some_and(|v| v != "None")).collect();
        let any = !rest.trim_start().starts_with(": MethodRouter")
            || field("fallback").is_some_and(|v| !v.starts_with("Default"));
        if methods.is_empty() && any {
            out.push(("ANY".to_string(), path.clone()));
        }
        for m in methods {
            out.push((m.to_uppercase(), path.clone()));
        }
    }
    out.sort();
    out
}
