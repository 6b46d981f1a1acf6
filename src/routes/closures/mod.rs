//! `/closures`, `/maintenance-windows` and `/availability`.

use actix_web::{delete, get, post, web, HttpMessage, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::booking_engine;
use crate::db::closures::{ClosureFilter, ClosureRow, MaintenanceRow};
use crate::db::{self, DbConnection};
use crate::domain::calendar::parse_events;
use crate::domain::pagination::PageQuery;
use crate::domain::time::Span;
use crate::domain::validate::Checks;
use crate::domain::Role;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::bookings::{check_instant, check_span};
use crate::routes::created;
use crate::routes::extract::JsonBody;
use crate::routes::platforms::can_manage_platform;
use crate::views::closures::{
    AvailabilityView, ClosureImportView, ClosureScope, ClosureView, FreeSlot, ImportedEventNote,
    MaintenanceView, NewClosure, NewMaintenance,
};
use crate::views::{instant, Paged};

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

fn closure_view(row: ClosureRow, tz: &chrono_tz::Tz) -> ApiResult<ClosureView> {
    Ok(ClosureView {
        scope: ClosureScope::from_db(&row.scope)?,
        starts_at: instant(row.starts_at, tz),
        ends_at: instant(row.ends_at, tz),
        created_at: instant(row.created_at, tz),
        id: row.id,
        scope_id: row.scope_id,
        name: row.name,
        source_uid: row.source_uid,
    })
}

/// Campus and organisation closures are the director's; platform closures also its managers'.
fn require_closure_scope(
    conn: &mut DbConnection,
    user: &CurrentUser,
    scope: ClosureScope,
    scope_id: &str,
) -> ApiResult<()> {
    // Who may close what is decided by role first, so that a refusal never tells whether
    // the target exists.
    let role_may = match scope {
        ClosureScope::Platform => matches!(user.role, Role::Admin | Role::Manager),
        _ => user.role == Role::Admin,
    };
    if !role_may {
        return Err(ApiError::forbidden("Les fermetures d'un campus ou d'une organisation relèvent de l'administration ; celles d'un plateau, aussi de ses responsables."));
    }
    let exists = match scope {
        ClosureScope::Campus => db::campuses::find(conn, scope_id)?.is_some(),
        ClosureScope::Organisation => db::organisations::find(conn, scope_id)?.is_some(),
        ClosureScope::Platform => db::platforms::find(conn, scope_id)?.is_some(),
    };
    if !exists {
        return Err(ApiError::field(
            "scope_id",
            "unknown_reference",
            format!("{scope} inconnu(e)"),
        ));
    }
    let allowed = match scope {
        ClosureScope::Platform => can_manage_platform(conn, user, scope_id)?,
        _ => user.role == Role::Admin,
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::forbidden("Les fermetures d'un campus ou d'une organisation relèvent de l'administration ; celles d'un plateau, aussi de ses responsables."))
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClosureQuery {
    pub scope: Option<ClosureScope>,
    pub scope_id: Option<Uuid>,
    /// Closures ending after this instant (RFC 3339).
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Closures starting before this instant (RFC 3339).
    #[param(format = DateTime)]
    pub to: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(pattern = "^([0-9a-fA-F]{32})?$")]
    pub cursor: Option<String>,
}

/// List closures.
#[utoipa::path(tag = "bookings", params(ClosureQuery), responses((status = 200, body = Paged<ClosureView>)))]
#[get("/closures")]
async fn list_closures(
    state: web::Data<AppState>,
    _user: CurrentUser,
    query: web::Query<ClosureQuery>,
) -> ApiResult<web::Json<Paged<ClosureView>>> {
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    let mut checks = Checks::new();
    let filter = ClosureFilter {
        scope: q.scope.map(|s| s.as_str().to_owned()),
        scope_id: q.scope_id.map(|s| s.to_string()),
        from: q
            .from
            .as_deref()
            .map(|t| check_instant(&mut checks, "from", t)),
        to: q.to.as_deref().map(|t| check_instant(&mut checks, "to", t)),
    };
    checks.finish()?;
    let tz = state.timezone;
    let (rows, more) = state
        .db(move |conn| db::closures::list(conn, &filter, &page))
        .await?;
    let last = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
    let items = rows
        .into_iter()
        .map(|r| closure_view(r, &tz))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(web::Json(Paged::new(items, last.as_deref())))
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
    let body = body.0;
    let mut checks = Checks::new();
    let name = checks.text("name", &body.name, 1, 200);
    let span = check_span(
        &mut checks,
        "starts_at",
        &body.starts_at,
        "ends_at",
        &body.ends_at,
    );
    checks.finish()?;
    let tz = state.timezone;
    let row = state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let scope_id = body.scope_id.to_string();
                require_closure_scope(conn, &user, body.scope, &scope_id)?;
                let row = ClosureRow {
                    id: db::new_id(),
                    scope: body.scope.as_str().to_owned(),
                    scope_id,
                    name,
                    starts_at: span.start,
                    ends_at: span.end,
                    source_uid: None,
                    created_by: Some(user.id.clone()),
                    created_at: db::now(),
                };
                db::closures::insert(conn, &row)?;
                db::audit::record(conn, Some(&user.id), "closure", &row.id, "created", serde_json::json!({
                    "scope": row.scope, "scope_id": row.scope_id, "name": row.name, "starts_at": span.start, "ends_at": span.end,
                }))?;
                Ok(row)
            })
        })
        .await?;
    let view = closure_view(row, &tz)?;
    Ok(created(format!("/api/v1/closures/{}", view.id), view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    pub scope: ClosureScope,
    pub scope_id: Uuid,
    /// Narrow the import to the events whose summary contains this text (case-insensitive),
    /// e.g. `pont`. Without it every event is imported, the "rentrée" days of a school
    /// calendar excepted: its holidays and bridges.
    pub only_matching: Option<String>,
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
    let is_calendar = req
        .mime_type()
        .ok()
        .flatten()
        .is_some_and(|m| m.type_() == "text" && m.subtype() == "calendar");
    if !is_calendar {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Type de contenu non pris en charge",
            "Envoyez le fichier iCalendar avec l'en-tête « Content-Type: text/calendar ».",
        ));
    }
    let body = crate::routes::extract::read_limited(payload.into_inner()).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| {
            ApiError::bad_request("invalid_encoding", "Le fichier doit être encodé en UTF-8.")
        })?
        .to_owned();
    crate::routes::extract::refuse_nul_in_text(&text)?;
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
    let note = |uid: String, name: String, span: Option<Span>, closure_id, reason: String| {
        ImportedEventNote {
            uid,
            name,
            starts_at: span.map(|s| instant(s.start, &tz)),
            ends_at: span.map(|s| instant(s.end, &tz)),
            closure_id,
            reason,
        }
    };
    let skipped: Vec<ImportedEventNote> = parsed
        .skipped
        .into_iter()
        .map(|e| note(e.uid, e.name, e.span, None, e.reason))
        .collect();
    let events = parsed.events;
    let (rows, present) = state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let scope_id = query.scope_id.to_string();
                require_closure_scope(conn, &user, query.scope, &scope_id)?;
                let mut rows = Vec::new();
                let mut present = Vec::new();
                for event in events {
                    if let Some(existing) = db::closures::find_imported(
                        conn,
                        query.scope.as_str(),
                        &scope_id,
                        &event.uid,
                    )? {
                        present.push((event, existing.id));
                        continue;
                    }
                    let row = ClosureRow {
                        id: db::new_id(),
                        scope: query.scope.as_str().to_owned(),
                        scope_id: scope_id.clone(),
                        name: event.name,
                        starts_at: event.span.start,
                        ends_at: event.span.end,
                        source_uid: Some(event.uid),
                        created_by: Some(user.id.clone()),
                        created_at: db::now(),
                    };
                    db::closures::insert(conn, &row)?;
                    rows.push(row);
                }
                db::audit::record(
                    conn,
                    Some(&user.id),
                    "closure_import",
                    &scope_id,
                    "imported",
                    serde_json::json!({
                        "scope": query.scope, "imported": rows.len(), "already_present": present.len(),
                    }),
                )?;
                Ok((rows, present))
            })
        })
        .await?;
    let imported = rows
        .into_iter()
        .map(|r| closure_view(r, &tz))
        .collect::<ApiResult<Vec<_>>>()?;
    let already_present_events: Vec<ImportedEventNote> = present
        .into_iter()
        .map(|(event, closure_id)| {
            note(
                event.uid,
                event.name,
                Some(event.span),
                Some(closure_id),
                "déjà importé (même UID) : la fermeture existante est gardée telle quelle"
                    .to_owned(),
            )
        })
        .collect();
    Ok(HttpResponse::Created().json(ClosureImportView {
        imported,
        already_present: already_present_events.len(),
        already_present_events,
        skipped,
    }))
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
    let id = id.into_inner().to_string();
    state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let row = db::closures::find(conn, &id)?.ok_or_else(ApiError::not_found)?;
                require_closure_scope(
                    conn,
                    &user,
                    ClosureScope::from_db(&row.scope)?,
                    &row.scope_id,
                )?;
                db::closures::delete(conn, &id)?;
                db::audit::record(
                    conn,
                    Some(&user.id),
                    "closure",
                    &id,
                    "deleted",
                    serde_json::json!({
                        "name": row.name, "starts_at": row.starts_at, "ends_at": row.ends_at,
                    }),
                )
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn maintenance_view(
    row: MaintenanceRow,
    cancelled: Vec<String>,
    tz: &chrono_tz::Tz,
) -> MaintenanceView {
    MaintenanceView {
        starts_at: instant(row.starts_at, tz),
        ends_at: instant(row.ends_at, tz),
        created_at: instant(row.created_at, tz),
        id: row.id,
        equipment_id: row.equipment_id,
        reason: row.reason,
        created_by: row.created_by,
        cancelled_booking_ids: cancelled,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MaintenanceQuery {
    pub equipment_id: Option<Uuid>,
    /// Windows ending after this instant (RFC 3339).
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Windows starting before this instant (RFC 3339).
    #[param(format = DateTime)]
    pub to: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(pattern = "^([0-9a-fA-F]{32})?$")]
    pub cursor: Option<String>,
}

/// List maintenance windows.
#[utoipa::path(tag = "bookings", params(MaintenanceQuery), responses((status = 200, body = Paged<MaintenanceView>)))]
#[get("/maintenance-windows")]
async fn list_maintenance_windows(
    state: web::Data<AppState>,
    _user: CurrentUser,
    query: web::Query<MaintenanceQuery>,
) -> ApiResult<web::Json<Paged<MaintenanceView>>> {
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    let mut checks = Checks::new();
    let from = q
        .from
        .as_deref()
        .map(|t| check_instant(&mut checks, "from", t));
    let to = q.to.as_deref().map(|t| check_instant(&mut checks, "to", t));
    checks.finish()?;
    let equipment_id = q.equipment_id.map(|u| u.to_string());
    let tz = state.timezone;
    let (rows, more) = state
        .db(move |conn| {
            db::closures::list_maintenance(conn, equipment_id.as_deref(), from, to, &page)
        })
        .await?;
    let last = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
    Ok(web::Json(Paged::new(
        rows.into_iter()
            .map(|r| maintenance_view(r, Vec::new(), &tz))
            .collect(),
        last.as_deref(),
    )))
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
    let body = body.0;
    let mut checks = Checks::new();
    let reason = checks.text("reason", &body.reason, 1, 1000);
    let span = check_span(
        &mut checks,
        "starts_at",
        &body.starts_at,
        "ends_at",
        &body.ends_at,
    );
    checks.finish()?;
    let tz = state.timezone;
    let equipment_id = body.equipment_id.to_string();
    let (row, cancelled) = state
        .db(move |conn| {
            booking_engine::create_maintenance(
                conn,
                &user,
                tz,
                &equipment_id,
                span,
                &reason,
                body.force,
            )
        })
        .await?;
    let view = maintenance_view(row, cancelled, &tz);
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
    let id = id.into_inner().to_string();
    state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let row =
                    db::closures::find_maintenance(conn, &id)?.ok_or_else(ApiError::not_found)?;
                let equipment = db::equipment::find(conn, &row.equipment_id)?
                    .ok_or_else(ApiError::not_found)?;
                crate::routes::platforms::require_manage_platform(
                    conn,
                    &user,
                    &equipment.platform_id,
                )?;
                db::closures::delete_maintenance(conn, &id)?;
                db::audit::record(
                    conn,
                    Some(&user.id),
                    "maintenance_window",
                    &id,
                    "deleted",
                    serde_json::json!({ "equipment_id": row.equipment_id }),
                )
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Longest period one availability request covers.
const MAX_AVAILABILITY_DAYS: i64 = 62;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityQuery {
    /// The platform, for its free stations; this or `equipment_id` (422 `required` on
    /// `platform_id` without either).
    pub platform_id: Option<Uuid>,
    /// The equipment item, for its free time; it wins over `platform_id`.
    pub equipment_id: Option<Uuid>,
    /// Start of the period (RFC 3339).
    #[param(format = DateTime)]
    pub from: String,
    /// End of the period (RFC 3339), at most 62 days after `from` (422 `period_too_long`);
    /// a `to` before `from` is an empty period, with no free time.
    #[param(format = DateTime)]
    pub to: String,
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
    let q = query.into_inner();
    let mut checks = Checks::new();
    let from = check_instant(&mut checks, "from", &q.from);
    let to = check_instant(&mut checks, "to", &q.to);
    // A period that ends before it starts holds no free time: an empty list, as the other
    // lists filtered by `from` and `to` answer.
    let window = Span::new(from, to.max(from));
    if checks.is_empty() && window.seconds() > MAX_AVAILABILITY_DAYS * 86_400 {
        checks.fail(
            "to",
            "period_too_long",
            format!("une période de {MAX_AVAILABILITY_DAYS} jours au plus"),
        );
    }
    if q.platform_id.is_none() && q.equipment_id.is_none() {
        checks.fail(
            "platform_id",
            "required",
            "indiquez platform_id ou equipment_id",
        );
    }
    checks.finish()?;
    let tz = state.timezone;
    let platform_id = q.platform_id.map(|u| u.to_string());
    let equipment_id = q.equipment_id.map(|u| u.to_string());
    let (platform, free) = {
        let equipment_id = equipment_id.clone();
        state
            .db(move |conn| {
                booking_engine::availability(
                    conn,
                    tz,
                    platform_id.as_deref(),
                    equipment_id.as_deref(),
                    window,
                )
            })
            .await?
    };
    Ok(web::Json(AvailabilityView {
        platform_id: platform.id,
        equipment_id,
        stations: platform.stations,
        from: instant(from, &tz),
        to: instant(to, &tz),
        items: free
            .into_iter()
            .map(|(span, n)| FreeSlot {
                starts_at: instant(span.start, &tz),
                ends_at: instant(span.end, &tz),
                free_stations: n,
            })
            .collect(),
    }))
}
