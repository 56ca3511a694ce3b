//! The OpenAPI document of `/api/v1`: its header, the bearer scheme, and what every operation may
//! answer.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Cordon API", description = "The operations system of an outbreak-containment command."),
    modifiers(&BearerAuth),
    tags((name = "auth"), (name = "areas"), (name = "people"), (name = "zones"), (name = "cases"), (name = "testing"), (name = "gates"), (name = "workforce"), (name = "needs"), (name = "isolation"), (name = "supplies"), (name = "sanitation"), (name = "dashboard"), (name = "audit"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Any operation can be sent a request that does not parse (a path segment that is no number,
/// a query string or a body that is not what it takes): each answers 400 with the error body;
/// and any operation with a body can be refused a field by the input guard (422). Said once here, after the routes are in the document, rather than on every route.
pub fn document_bad_requests(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let bad = ResponseBuilder::new()
        .description("The request does not parse: a path segment, the query string or the body")
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
        )
        .build();
    // Every body passes `guard::inputs` first, which refuses a field by name.
    let refused = ResponseBuilder::new()
        .description(
            "A field of the body is refused: a control or invisible formatting character in text, \
             or a time before the deployment's records or more than a year ahead",
        )
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
        )
        .build();
    for item in openapi.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in operations.into_iter().flatten() {
            op.responses.responses.entry("400".to_owned()).or_insert_with(|| RefOr::T(bad.clone()));
            if op.request_body.is_some() {
                op.responses.responses.entry("422".to_owned()).or_insert_with(|| RefOr::T(refused.clone()));
            }
        }
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
}
