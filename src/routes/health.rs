//! Liveness, readiness and the API description.

use actix_web::{get, web, HttpRequest, HttpResponse};
use diesel::connection::SimpleConnection;

use crate::error::{ApiResult, Problem};
use crate::state::AppState;

/// The committed OpenAPI document (a test keeps it equal to what the code describes).
pub const OPENAPI_JSON: &str = include_str!("../../openapi/openapi.json");

/// Liveness: the process answers.
#[utoipa::path(tag = "operations", security(()), responses((status = 200, description = "alive", body = String)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

/// Readiness: the database answers and the service is not stopping.
#[utoipa::path(tag = "operations", security(()), responses(
    (status = 200, description = "ready", body = String),
    (status = 503, description = "database unreachable (`database_unavailable`) or service stopping (`shutting_down`)", body = Problem, content_type = "application/problem+json")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    if state.is_stopping() {
        return Err(crate::error::ApiError::new(
            crate::error::ErrorCode::ShuttingDown,
            "Le service s'arrête : adressez vos requêtes à une autre instance.",
        ));
    }
    state
        .db(|conn| {
            conn.batch_execute("SELECT 1")
                .map_err(crate::error::ApiError::unavailable_from)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ready"))
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(tag = "operations", security(()), responses((status = 200, description = "OpenAPI document", content_type = "application/json")))]
#[get("/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI_JSON)
}

/// Prometheus metrics: requests by route and status, durations, database pool. Only for
/// clients in `PLATEAUX_METRICS_ALLOW` (loopback by default) or showing
/// `PLATEAUX_METRICS_TOKEN` as a bearer token.
#[utoipa::path(tag = "operations", security(()), responses(
    (status = 200, description = "OpenMetrics text exposition", content_type = "application/openmetrics-text"),
    (status = 403, description = "Not a monitoring client", body = Problem, content_type = "application/problem+json"),
))]
#[get("/metrics")]
pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let bearer = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    crate::access::may_read_metrics(&state.metrics_access, super::client_ip(&req), bearer)?;
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(state.metrics.render(&state.pool)))
}
