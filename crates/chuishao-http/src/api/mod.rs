//! The REST API v1. Each handler carries its OpenAPI description; `routes()` registers the
//! handler and its description together, so the document cannot miss a route.

pub mod calendar;
pub mod cases;
pub mod community;
pub mod geo;
pub mod health;
pub mod notifications;
pub mod patrol;
pub mod public;
pub mod reference;
pub mod whistle_board;
pub mod whistles;

use crate::AppState;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The error body every failing call returns.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// Stable snake_case code: malformed_json, invalid_body, invalid_query, validation_failed,
    /// unauthenticated, forbidden, not_found, illegal_transition, version_conflict,
    /// idempotency_key_reused, payload_too_large, unsupported_media_type, internal.
    code: String,
    message: String,
    /// Present only where there is more to say, and always an object: `fields` (a list of
    /// `{field, message}`) on `validation_failed`, `problems` on `invalid_geometry`,
    /// `expected_version`/`current_version` on `version_conflict`, `action`/`state` on
    /// `illegal_transition`, `bytes`/`max_bytes` on `file_too_large`.
    #[schema(value_type = Object, required = false)]
    details: Option<serde_json::Value>,
}

/// Adds to every operation the refusals its extractors and middleware can give, so the
/// document lists every status a route returns: 400 on any route (`untrusted_forwarded_for`
/// when proxies are configured; `malformed_json` with a body), 401 with bearer security, 404
/// with a path parameter (an id that is not a number, or not visible), 413/415/422 with a
/// JSON body, 422 with query parameters (`invalid_query`).
pub fn complete_document(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = |what: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(what)
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                )
                .build(),
        )
    };
    for item in doc.paths.paths.values_mut() {
        let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in ops.into_iter().flatten() {
            let mut codes = vec![("400", "malformed request")];
            if op.security.is_some() {
                codes.push(("401", "no or unknown token"));
            }
            let params = op.parameters.as_deref().unwrap_or(&[]);
            if params.iter().any(|p| p.parameter_in == ParameterIn::Path) {
                codes.push(("404", "not found, or not visible to the caller"));
            }
            if params.iter().any(|p| p.parameter_in == ParameterIn::Query) {
                codes.push(("422", "invalid query or input"));
            }
            if op.request_body.is_some() {
                codes.extend([("413", "body too large"), ("415", "not JSON"), ("422", "invalid input")]);
            }
            for (code, what) in codes {
                op.responses.responses.entry(code.to_string()).or_insert_with(|| error(what));
            }
        }
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components.add_security_scheme("volunteer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chuishao API",
        description = "吹哨 — urban grassroots governance: cases from receipt to closure. \
                       Authenticate with `Authorization: Bearer <token>` (`chuishao users create-token USERNAME`).",
        license(name = "AGPL-3.0-or-later")
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// Every documented route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(cases::create_case, cases::list_cases))
        .routes(routes!(cases::get_case))
        .routes(routes!(cases::case_events))
        .routes(routes!(cases::transition))
        .routes(routes!(cases::reveal_reporter))
        .routes(routes!(cases::public_text, cases::set_public_text))
        .routes(routes!(reference::orgs))
        .routes(routes!(reference::departments))
        .routes(routes!(reference::categories))
        .routes(routes!(public::public_case))
        .routes(routes!(geo::locate))
        .routes(routes!(geo::import))
        .routes(routes!(geo::export))
        .routes(routes!(geo::map_svg))
        .routes(routes!(geo::workload))
        .routes(routes!(geo::partition))
        .routes(routes!(patrol::streets))
        .routes(routes!(patrol::street))
        .routes(routes!(patrol::set_people))
        .routes(routes!(patrol::start, patrol::list))
        .routes(routes!(patrol::get))
        .routes(routes!(patrol::track))
        .routes(routes!(patrol::checklist))
        .routes(routes!(patrol::problem))
        .routes(routes!(patrol::finish))
        .routes(routes!(calendar::calendar))
        .routes(routes!(calendar::due))
        .routes(routes!(calendar::year, calendar::import_year))
        .routes(routes!(notifications::deliveries))
        .routes(routes!(notifications::retry))
        .routes(routes!(notifications::subscriptions, notifications::create_subscription))
        .routes(routes!(whistles::create_whistle, whistles::list_whistles))
        .routes(routes!(whistles::scorecards))
        .routes(routes!(whistles::get_whistle))
        .routes(routes!(whistles::whistle_events))
        .routes(routes!(whistles::whistle_transition))
        .routes(routes!(whistles::department_scorecard))
        .routes(routes!(whistle_board::board))
        .routes(routes!(whistle_board::board_stream))
        .routes(routes!(community::skills, community::set_skills))
        .routes(routes!(community::register_party_org, community::party_orgs))
        .routes(routes!(community::party_org))
        .routes(routes!(community::decide_party_org))
        .routes(routes!(community::party_org_year))
        .routes(routes!(community::register_member, community::members))
        .routes(routes!(community::member))
        .routes(routes!(community::decide_member))
        .routes(routes!(community::member_year))
        .routes(routes!(community::create_post, community::posts))
        .routes(routes!(community::post))
        .routes(routes!(community::assign))
        .routes(routes!(community::publish_activity, community::activities))
        .routes(routes!(community::activity))
        .routes(routes!(community::qr))
        .routes(routes!(community::transition))
        .routes(routes!(community::public_activities))
        .routes(routes!(community::public_activity))
        .routes(routes!(community::sign_up))
        .routes(routes!(community::withdraw))
        .routes(routes!(community::check_in))
        .routes(routes!(community::check_out))
        .routes(routes!(community::register_volunteer, community::volunteers))
        .routes(routes!(community::decide_volunteer))
        .routes(routes!(community::login))
        .routes(routes!(community::logout))
        .routes(routes!(community::me))
}
