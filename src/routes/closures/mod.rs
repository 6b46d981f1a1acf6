//! `/closures`, `/maintenance-windows` and `/availability`.

use actix_web::{delete, get, post, web, HttpMessage, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::created;
use super::extract::{read_limited, refuse_nul_in_text, JsonBody};
use crate::auth::CurrentUser;
use crate::domain::calendar::parse_events;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::state::AppState;
use crate::usecases::bookings::availability;
use crate::usecases::closures;
use crate::views::closures::{
    AvailabilityQuery, AvailabilityView, ClosureImportView, ClosureQuery, ClosureView, ImportQuery,
    MaintenanceQuery, MaintenanceView, NewClosure, NewMaintenance,
};
use crate::views::Paged;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_closures)
        .service(create_closure)
        .service(import_closures)
        .service(delete_closure)
        .service(list_maintenance_windows)
        .service(create_maintenance_window)
        .service(delete_maintenance_window)
        .service(show_availability);
}

/// List closures.
#[utoipa::path(tag = "bookings", params(ClosureQuery), responses((status = 200, body = Paged<ClosureView>)))]
#[get("/closures")]
async fn list_closures(
    state: web::Data<AppState>,
    _user: CurrentUser,
    query: web::Query<ClosureQuery>,
) -> ApiResult<web::Json<Paged<ClosureView>>> {
    let page = query.page()?;
    let filter = query.filter()?;
    let listed = state
        .db(move |conn| closures::list(conn, &filter, &page))
        .await?;
    let tz = state.timezone;
    Ok(web::Json(Paged::of(listed, |r| ClosureView::new(r, &tz))?))
}

/// Close a campus, an organisation's platforms or one platform for a period.
#[utoipa::path(tag = "bookings", request_body = NewClosure, responses(
    (status = 201, body = ClosureView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/closures")]
async fn create_closure(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<NewClosure>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let draft = body.0.draft()?;
    let row = state
        .db(move |conn| closures::create(conn, &user, now, draft))
        .await?;
    let view = ClosureView::new(row, &state.timezone)?;
    Ok(created(format!("/api/v1/closures/{}", view.id), view))
}

/// Import closures from an iCalendar file (`Content-Type: text/calendar`), e.g. the French
/// school holidays of zone C as the ministry publishes them. Events are recognised by their
/// UID: importing the same file twice adds nothing and lists them as already present. The
/// zero-length "Début des Vacances d'Été" marker closes until 31 August; "rentrée" days and
/// other zero-length events are skipped, each listed with the reason.
#[utoipa::path(tag = "bookings", params(ImportQuery), request_body(content = String, content_type = "text/calendar"), responses(
    (status = 201, body = ClosureImportView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 415, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/closures/import")]
async fn import_closures(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let is_calendar = req
        .mime_type()
        .ok()
        .flatten()
        .is_some_and(|m| m.type_() == "text" && m.subtype() == "calendar");
    if !is_calendar {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "Envoyez le fichier iCalendar avec l'en-tête « Content-Type: text/calendar ».",
        ));
    }
    let body = read_limited(payload.into_inner()).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidEncoding,
                "Le fichier doit être encodé en UTF-8.",
            )
        })?
        .to_owned();
    refuse_nul_in_text(&text)?;
    let query = query.into_inner();
    let tz = state.timezone;
    let parsed = parse_events(
        &text,
        &tz,
        query
            .only_matching
            .as_deref()
            .filter(|s| !s.trim().is_empty()),
    )?;
    let events = parsed.events;
    let import = state
        .db(move |conn| {
            let scope_id = query.scope_id.to_string();
            closures::import(conn, &user, now, query.scope, &scope_id, events)
        })
        .await?;
    Ok(HttpResponse::Created().json(ClosureImportView::new(import, parsed.skipped, &tz)?))
}

/// Delete a closure.
#[utoipa::path(tag = "bookings", responses(
    (status = 204, description = "deleted"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[delete("/closures/{id}")]
async fn delete_closure(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let id = id.into_inner().to_string();
    state
        .db(move |conn| closures::delete(conn, &user, now, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List maintenance windows.
#[utoipa::path(tag = "bookings", params(MaintenanceQuery), responses((status = 200, body = Paged<MaintenanceView>)))]
#[get("/maintenance-windows")]
async fn list_maintenance_windows(
    state: web::Data<AppState>,
    _user: CurrentUser,
    query: web::Query<MaintenanceQuery>,
) -> ApiResult<web::Json<Paged<MaintenanceView>>> {
    let page = query.page()?;
    let (equipment_id, from, to) = query.filter()?;
    let listed = state
        .db(move |conn| closures::list_maintenance(conn, equipment_id.as_deref(), from, to, &page))
        .await?;
    let tz = state.timezone;
    Ok(web::Json(Paged::of(listed, |r| {
        Ok(MaintenanceView::new(r, Vec::new(), &tz))
    })?))
}

/// Plan a maintenance window on an equipment item (the platform's managers, admin).
///
/// Overlapping bookings refuse it (409 `maintenance_conflicts`, listing them) unless
/// `force` is true, which cancels them with the maintenance as reason.
#[utoipa::path(tag = "bookings", request_body = NewMaintenance, responses(
    (status = 201, body = MaintenanceView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/maintenance-windows")]
async fn create_maintenance_window(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<NewMaintenance>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let draft = body.0.draft()?;
    let tz = state.timezone;
    let (row, cancelled) = state
        .db(move |conn| closures::create_maintenance(conn, &user, now, tz, draft))
        .await?;
    let view = MaintenanceView::new(row, cancelled, &tz);
    Ok(created(
        format!("/api/v1/maintenance-windows/{}", view.id),
        view,
    ))
}

/// Delete a maintenance window (the platform's managers, admin).
#[utoipa::path(tag = "bookings", responses(
    (status = 204, description = "deleted"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[delete("/maintenance-windows/{id}")]
async fn delete_maintenance_window(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let id = id.into_inner().to_string();
    state
        .db(move |conn| closures::delete_maintenance(conn, &user, now, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Bookable time of a platform (with free stations) or of an equipment item: opening hours
/// minus closures, maintenance windows and live bookings.
#[utoipa::path(tag = "bookings", params(AvailabilityQuery), responses(
    (status = 200, body = AvailabilityView),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/availability")]
async fn show_availability(
    state: web::Data<AppState>,
    _user: CurrentUser,
    query: web::Query<AvailabilityQuery>,
) -> ApiResult<web::Json<AvailabilityView>> {
    let now = state.now();
    let (platform_id, equipment_id, window) = query.window()?;
    let tz = state.timezone;
    let (platform, free) = {
        let equipment_id = equipment_id.clone();
        state
            .db(move |conn| {
                availability::availability(
                    conn,
                    tz,
                    now,
                    equipment_id.as_deref(),
                    platform_id.as_deref(),
                    window,
                )
            })
            .await?
    };
    Ok(web::Json(AvailabilityView::new(
        platform,
        equipment_id,
        window,
        free,
        &tz,
    )))
}
