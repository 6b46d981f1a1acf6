//! Builds the HTTP application: shared state, middleware, routes and the OpenAPI document.
//! The one place outside `routes/` that names the routes.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, App, HttpMessage, ResponseError};
use tracing::Instrument;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::auth::TokenKeys;
use crate::error::{ApiError, ErrorCode};
use crate::routes;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Plateaux",
        description = "Plateaux techniques partagés d'un Campus des Métiers et des Qualifications : inventaire, réservations, demandes de prestation et indicateurs.\n\nErreurs : documents `application/problem+json` (RFC 9457) avec un `code` stable. Listes : `?limit=` (1 à 500, 50 par défaut) et `cursor` opaque ; réponse `{ items, next_cursor }`. Horodatages RFC 3339 ; le service raisonne dans le fuseau du campus (`Europe/Paris` par défaut).",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Connexion et jetons"),
        (name = "campuses", description = "Campus et organisations membres"),
        (name = "platforms", description = "Plateaux techniques et équipements"),
        (name = "users", description = "Comptes, rôles et habilitations"),
        (name = "bookings", description = "Réservations, séries, fermetures, maintenance, disponibilités, agendas"),
        (name = "service_requests", description = "Demandes de prestation des entreprises"),
        (name = "reports", description = "Usage réel, taux d'occupation et indicateurs du comité de pilotage"),
        (name = "notifications", description = "Courriels : préférences de chacun, file d'envoi (outbox) pour la direction"),
        (name = "operations", description = "Santé du service")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

/// The refusals any operation may answer, whatever its handler: added to every operation
/// here, once, rather than by hand on each route (an operation's own description of the
/// same status wins). A route added later gets them too.
struct CommonResponses;

/// Status, name of the shared response and its description; the `bool`s say whether the
/// status applies only to operations with a request body, and only to those behind the
/// bearer token.
const COMMON_RESPONSES: &[(&str, &str, &str, bool, bool)] = &[
    ("400", "BadRequest", "Requête mal formée : JSON illisible (`malformed_json`), identifiant du chemin qui n'est pas un UUID (`invalid_path_parameter`), paramètre de requête inconnu (`unknown_query_parameter`) ou illisible (`invalid_query`).", false, false),
    ("401", "Unauthorized", "Jeton d'accès absent, expiré ou révoqué (`unauthorized`).", false, true),
    ("413", "PayloadTooLarge", "Corps de plus de 256 Kio (`payload_too_large`).", true, false),
    ("415", "UnsupportedMediaType", "Corps d'un autre type que celui attendu (`unsupported_media_type`).", true, false),
    ("422", "ValidationFailed", "Données invalides (`validation_failed`), champ par champ dans `errors` : corps, paramètres de requête, caractère NUL dans le chemin.", false, false),
    ("429", "TooManyRequests", "Trop de requêtes (`rate_limited`) ; réessayer après `Retry-After`.", false, false),
    ("503", "ServiceUnavailable", "Base de données injoignable (`database_unavailable`) ; réessayer après `Retry-After`.", false, false),
];

impl utoipa::Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let components = openapi.components.get_or_insert_with(Default::default);
        for (_, name, description, _, _) in COMMON_RESPONSES {
            let response = ResponseBuilder::new()
                .description(*description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build();
            components
                .responses
                .insert((*name).to_owned(), RefOr::T(response));
        }
        components.responses.insert(
            "ApprovalPending".to_owned(),
            RefOr::T(
                ResponseBuilder::new()
                    .description("Compte d'un contact d'entreprise en attente d'accord (`approval_pending`) : il ne voit que son compte et ses propres demandes.")
                    .content(
                        "application/problem+json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            ),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let has_body = operation.request_body.is_some();
                // `security(())` makes an operation public; the others inherit the bearer token.
                let needs_token = operation.security.is_none();
                for (status, name, _, body_only, token_only) in COMMON_RESPONSES {
                    if (*body_only && !has_body) || (*token_only && !needs_token) {
                        continue;
                    }
                    operation
                        .responses
                        .responses
                        .entry((*status).to_owned())
                        .or_insert_with(|| {
                            RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
                        });
                }
                // A company contact awaiting approval reaches only their account and requests.
                if needs_token && !crate::access::open_to_contacts_awaiting_approval(path) {
                    operation
                        .responses
                        .responses
                        .entry("403".to_owned())
                        .or_insert_with(|| {
                            RefOr::Ref(Ref::new("#/components/responses/ApprovalPending"))
                        });
                }
            }
        }
    }
}

fn utoipa_app() -> utoipa_actix_web::UtoipaApp<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(utoipa_actix_web::scope("/api/v1").configure(routes::configure_api))
        .configure(routes::configure_outside_api)
}

/// The OpenAPI document as the code describes it (compared with the committed file by a test).
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let mut document = utoipa_app().split_for_parts().1;
    // After the routes: `ApiDoc`'s own modifiers run before they add their operations.
    utoipa::Modify::modify(&CommonResponses, &mut document);
    utoipa::Modify::modify(&routes::reports::SchoolYearPattern, &mut document);
    utoipa::Modify::modify(&NoNulInRequests, &mut document);
    document
}

/// The service refuses a NUL character in any text it is sent (`nul_character`: PostgreSQL
/// cannot store one), so every text of a request body says so in its pattern. A text of
/// its own pattern keeps it: those patterns (`^…$`) already list the characters allowed,
/// except `\S` (not blank), which is widened to "not blank, and no NUL".
struct NoNulInRequests;

impl utoipa::Modify for NoNulInRequests {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut names = Vec::new();
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let contents = operation
                    .request_body
                    .iter_mut()
                    .flat_map(|b| b.content.values_mut());
                for schema in contents.filter_map(|c| c.schema.as_mut()) {
                    forbid_nul(schema, &mut names);
                }
            }
        }
        // Then the named schemas they use, and those these use in turn, each once.
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let mut done = std::collections::BTreeSet::new();
        while let Some(name) = names.pop() {
            if !done.insert(name.clone()) {
                continue;
            }
            if let Some(schema) = components.schemas.get_mut(&name) {
                forbid_nul(schema, &mut names);
            }
        }
    }
}

/// Text without NUL: the pattern of a text with none of its own.
const NO_NUL: &str = "^[^\\x00]*$";
/// Not blank, and no NUL.
const NOT_BLANK_NO_NUL: &str = "^[^\\x00]*[^\\s\\x00][^\\x00]*$";

fn forbid_nul(
    schema: &mut utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    refs: &mut Vec<String>,
) {
    use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
    use utoipa::openapi::RefOr;
    match schema {
        RefOr::Ref(reference) => {
            if let Some(name) = reference.ref_location.strip_prefix("#/components/schemas/") {
                refs.push(name.to_owned());
            }
        }
        RefOr::T(Schema::Object(object)) => {
            let text = match &object.schema_type {
                SchemaType::Type(t) => *t == Type::String,
                SchemaType::Array(types) => types.contains(&Type::String),
                SchemaType::AnyValue => false,
            };
            if text && object.enum_values.is_none() && object.format.is_none() {
                match object.pattern.as_deref() {
                    None => object.pattern = Some(NO_NUL.to_owned()),
                    Some("\\S") => object.pattern = Some(NOT_BLANK_NO_NUL.to_owned()),
                    Some(_) => {}
                }
            }
            for property in object.properties.values_mut() {
                forbid_nul(property, refs);
            }
        }
        RefOr::T(Schema::Array(array)) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                forbid_nul(items, refs);
            }
        }
        RefOr::T(Schema::OneOf(one_of)) => {
            one_of.items.iter_mut().for_each(|s| forbid_nul(s, refs));
        }
        RefOr::T(Schema::AllOf(all_of)) => {
            all_of.items.iter_mut().for_each(|s| forbid_nul(s, refs));
        }
        RefOr::T(Schema::AnyOf(any_of)) => {
            any_of.items.iter_mut().for_each(|s| forbid_nul(s, refs));
        }
        _ => {}
    }
}

pub fn openapi_json() -> String {
    let mut text = openapi_document()
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    text.push('\n');
    text
}

/// The whole application.
pub fn build(
    state: AppState,
    keys: TokenKeys,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let metrics = state.metrics.clone();
    let cors = cors(&state.cors_origins);
    let cors_enabled = !state.cors_origins.is_empty();
    utoipa_app()
        .into_app()
        .configure(routes::web::configure)
        .app_data(web::Data::new(state))
        .app_data(web::Data::new(keys))
        .app_data(web::PathConfig::default().error_handler(routes::extract::path_error))
        .app_data(web::QueryConfig::default().error_handler(routes::extract::query_error))
        .app_data(web::PayloadConfig::default().limit(routes::extract::JSON_LIMIT))
        .default_service(web::to(routes::not_found))
        .wrap(ErrorHandlers::new().default_handler(problem_for_bare_errors))
        .wrap(actix_web::middleware::from_fn(routes::idempotency::middleware))
        .wrap(actix_web::middleware::from_fn(
            routes::extract::refuse_unknown_query_parameters,
        ))
        .wrap(actix_web::middleware::from_fn(
            routes::extract::refuse_nul_in_url,
        ))
        .wrap(actix_web::middleware::from_fn(
            routes::web::refuse_unreadable_query,
        ))
        .wrap_fn(move |req, srv| {
            let metrics = metrics.clone();
            let request_id = uuid::Uuid::now_v7().to_string();
            req.extensions_mut().insert(RequestId(request_id.clone()));
            let span = tracing::info_span!("request", id = %request_id, method = %req.method(), path = %req.path());
            let started = std::time::Instant::now();
            let fut = actix_web::dev::Service::call(srv, req);
            async move {
                let mut response = fut.await?;
                let elapsed = started.elapsed();
                let status = response.status().as_u16();
                let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
                metrics.observe(response.request().method().as_str(), &route, status, elapsed.as_secs_f64());
                tracing::info!(status, elapsed_ms = elapsed.as_millis() as u64, "handled");
                if let Ok(value) = HeaderValue::from_str(&request_id) {
                    response.headers_mut().insert(HeaderName::from_static("x-request-id"), value);
                }
                Ok(response)
            }
            .instrument(span)
        })
        .wrap(actix_web::middleware::Condition::new(cors_enabled, cors))
        // gzip for clients that accept it (the portal's HTML shrinks threefold); brotli
        // would add its own crate for a few more per cent.
        .wrap(actix_web::middleware::Compress::default())
        .wrap(actix_web::middleware::from_fn(security_headers))
        .wrap(actix_web::middleware::from_fn(close_while_stopping))
}

/// Cross-origin calls from the pages of `origins` (`PLATEAUX_CORS_ORIGINS`), with bearer
/// tokens only: never credentials, so the browser sessions of the web pages stay
/// same-origin. A request from any other origin goes through without CORS headers, and the
/// browser keeps its answer from the calling page.
fn cors(origins: &[String]) -> actix_cors::Cors {
    use actix_web::http::{header, Method};
    origins
        .iter()
        .fold(actix_cors::Cors::default(), |cors, origin| {
            cors.allowed_origin(origin)
        })
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            header::LOCATION,
            header::RETRY_AFTER,
            header::LINK,
            HeaderName::from_static("x-request-id"),
        ])
        .max_age(3600)
        .block_on_origin_mismatch(false)
}

/// Once the service is stopping, every answer closes its connection, so that a client or
/// proxy holding one open sends its next request elsewhere rather than into the stop.
async fn close_while_stopping(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> actix_web::Result<ServiceResponse<impl MessageBody>> {
    let stopping = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.is_stopping());
    let mut response = next.call(req).await?;
    if stopping {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
    Ok(response)
}

/// Whether a response to this request may carry tokens (access, refresh, calendar or
/// confirmation), which no cache may keep.
fn carries_tokens(method: &actix_web::http::Method, path: &str) -> bool {
    let Some(path) = path.strip_prefix("/api/v1/") else {
        return false;
    };
    path.starts_with("auth/")
        || path == "account-confirmations"
        || path.starts_with("account-confirmations/")
        || (method == actix_web::http::Method::POST
            && matches!(path, "calendar-tokens" | "public/account-confirmations"))
}

/// What pages of this service may load and who may frame them: only this origin, no inline
/// script or style, no framing at all (the web pages are built to fit it).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Browsers that reached the service over https keep to https for a year.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// Outermost layer, the one place of the security headers, for the API and the web pages
/// alike: every response, error or not, tells browsers not to guess its type, to send
/// the referrer only to this origin, and what its pages may load (and, when the public URL
/// is https, to keep to https); those that may carry tokens forbid caching.
async fn security_headers(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> actix_web::Result<ServiceResponse<actix_web::body::BoxBody>> {
    use actix_web::http::header;
    let no_store = carries_tokens(req.method(), req.path());
    let strict_transport = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.strict_transport_security);
    let add = move |headers: &mut actix_web::http::header::HeaderMap| {
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        if strict_transport {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
            );
        }
        if no_store {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    };
    match next.call(req).await {
        Ok(mut response) => {
            add(response.headers_mut());
            Ok(response.map_into_boxed_body())
        }
        // Some middleware answers a refusal as an error, rendered by the server once it is
        // out of the application: render it here, with the headers.
        Err(error) => {
            let mut response = error.error_response();
            add(response.headers_mut());
            Err(actix_web::error::InternalError::from_response(error.to_string(), response).into())
        }
    }
}

/// Identifier of one request, echoed in `X-Request-Id` and in every log line.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Safety net: an error answered by the framework itself (not by a handler) becomes a
/// problem document too, so that clients never have to parse another error format.
fn problem_for_bare_errors<B>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    // Web pages answer their refusals as pages.
    let is_page = res
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_problem || is_page {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let error = match status.as_u16() {
        405 => {
            ApiError::method_not_allowed("Cette méthode HTTP n'existe pas pour cette ressource.")
        }
        413 => ApiError::new(
            ErrorCode::PayloadTooLarge,
            "Le corps de la requête est trop volumineux.",
        ),
        // The framework has chosen the status (404, 406...): keep it.
        400..=499 => {
            ApiError::new(ErrorCode::BadRequest, "La requête est mal formée.").with_status(status)
        }
        _ => ApiError::internal(format!("framework error {status}")),
    };
    let (req, _) = res.into_parts();
    let res = ServiceResponse::new(req, error.error_response()).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}
