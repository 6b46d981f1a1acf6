//! HTTP handlers, one thin function per endpoint: extract, authorise, call the domain and the
//! database, map to a view.

pub mod auth;
pub mod booking_series;
pub mod bookings;
pub mod calendar;
pub mod campuses;
pub mod closures;
pub mod equipment;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod notifications;
pub mod organisations;
pub mod platforms;
pub mod qualifications;
pub mod reports;
pub mod service_requests;
pub mod users;
pub mod web;

use actix_web::{HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ErrorCode};

/// Everything under `/api/v1`.
pub fn configure_api(cfg: &mut ServiceConfig) {
    auth::configure(cfg);
    campuses::configure(cfg);
    organisations::configure(cfg);
    platforms::configure(cfg);
    equipment::configure(cfg);
    qualifications::configure(cfg);
    users::configure(cfg);
    bookings::configure(cfg);
    booking_series::configure(cfg);
    closures::configure(cfg);
    calendar::configure(cfg);
    service_requests::configure(cfg);
    reports::configure(cfg);
    notifications::configure(cfg);
    cfg.service(health::openapi_json);
}

/// Operations endpoints outside the API base path.
pub fn configure_outside_api(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics);
}

/// What no route answers: a documented path asked with a method it does not offer (405,
/// with the methods it does offer in `Allow`), or a path that does not exist (404).
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if let Some(error) = method_not_allowed(&req, path_fits) {
        return Err(error);
    }
    // Outside the API and the operations' paths, people read the answer: a page.
    if web::is_web_path(req.path()) {
        return Ok(web::not_found(req).await);
    }
    Err(ApiError::new(
        ErrorCode::NotFound,
        format!(
            "Aucune ressource à {} {} : voir /api/v1/openapi.json.",
            req.method(),
            req.path()
        ),
    ))
}

/// 405 with `Allow` when a documented path template that `fits` the request's path offers
/// other methods than the request's.
fn method_not_allowed(req: &HttpRequest, fits: impl Fn(&str, &str) -> bool) -> Option<ApiError> {
    let (_, methods) = documented_paths()
        .iter()
        .find(|(template, _)| fits(template, req.path()))?;
    let allowed = methods.join(", ");
    let mut error = ApiError::method_not_allowed(format!(
        "{} n'accepte pas la méthode {} ; méthodes possibles : {allowed}.",
        req.path(),
        req.method()
    ));
    error.allow = Some(allowed);
    Some(error)
}

/// A path such as `/closures/import` that a route with a placeholder (`/closures/{id}`)
/// caught for another method: when the literal path is documented, the answer is its 405,
/// not a complaint about the identifier.
pub fn literal_path_refused(req: &HttpRequest) -> Option<ApiError> {
    method_not_allowed(req, |template, path| template == path)
}

/// Every documented path template with the methods of its operations, from the OpenAPI
/// document the routes themselves describe.
fn documented_paths() -> &'static [(String, Vec<&'static str>)] {
    static PATHS: std::sync::OnceLock<Vec<(String, Vec<&'static str>)>> =
        std::sync::OnceLock::new();
    PATHS.get_or_init(|| {
        crate::app::openapi_document()
            .paths
            .paths
            .into_iter()
            .map(|(template, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, offered)| offered.then_some(method))
                .collect();
                (template, methods)
            })
            .collect()
    })
}

/// Whether `path` is an instance of `template` (`/api/v1/bookings/{id}`,
/// `/api/v1/calendar/{token}.ics`): one non-empty value per placeholder, within a segment.
fn path_fits(template: &str, path: &str) -> bool {
    let (mut wanted, mut given) = (template.split('/'), path.split('/'));
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return true,
            (Some(pattern), Some(segment)) => {
                let fits = match (pattern.find('{'), pattern.rfind('}')) {
                    (Some(open), Some(close)) if open < close => {
                        let (prefix, suffix) = (&pattern[..open], &pattern[close + 1..]);
                        segment.len() > prefix.len() + suffix.len()
                            && segment.starts_with(prefix)
                            && segment.ends_with(suffix)
                    }
                    _ => pattern == segment,
                };
                if !fits {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// 201 with a `Location` header.
/// The client's address, the key of the per-client limits (logins, public forms): the
/// peer's, or behind a trusted proxy the one its `X-Forwarded-For` names.
fn client_address(req: &HttpRequest) -> String {
    client_ip(req).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// The client's address as `client_address` finds it; none without a peer address.
fn client_ip(req: &HttpRequest) -> Option<std::net::IpAddr> {
    let peer = req.peer_addr()?;
    let trusted = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .map(|state| state.trusted_proxies.clone())
        .unwrap_or_default();
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    Some(crate::domain::network::client_address(
        peer.ip(),
        &forwarded,
        &trusted,
    ))
}

pub fn created(location: String, body: impl serde::Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, location))
        .json(body)
}
