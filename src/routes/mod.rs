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
pub mod organisations;
pub mod platforms;
pub mod qualifications;
pub mod reports;
pub mod service_requests;
pub mod users;

use actix_web::{HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;

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
    cfg.service(health::openapi_json);
}

/// Operations endpoints outside the API base path.
pub fn configure_outside_api(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics);
}

pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "not_found",
        "Ressource introuvable",
        format!(
            "Aucune ressource à {} {} : voir /api/v1/openapi.json.",
            req.method(),
            req.path()
        ),
    ))
}

/// 201 with a `Location` header.
pub fn created(location: String, body: impl serde::Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((actix_web::http::header::LOCATION, location))
        .json(body)
}
