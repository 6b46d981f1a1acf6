//! `/equipment`: machines of the platforms.

use std::collections::HashMap;

use actix_web::{get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::equipment::{EquipmentFilter, EquipmentRow};
use crate::db::{self, DbConnection};
use crate::domain::pagination::PageQuery;
use crate::domain::validate::Checks;
use crate::domain::EquipmentStatus;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::created;
use crate::routes::extract::JsonBody;
use crate::routes::platforms::require_manage_platform;
use crate::views::equipment::{EquipmentChanges, EquipmentView, NewEquipment};
use crate::views::{instant, Paged};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_equipment)
        .service(create_equipment)
        .service(show_equipment)
        .service(update_equipment);
}

const MAX_RATE_CENTS: i64 = 100_000_000;

fn views(
    conn: &mut DbConnection,
    rows: Vec<EquipmentRow>,
    tz: &chrono_tz::Tz,
) -> ApiResult<Vec<EquipmentView>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut required: HashMap<String, Vec<String>> = HashMap::new();
    for (item, qualification) in db::equipment::required_qualifications_of(conn, &ids)? {
        required.entry(item).or_default().push(qualification);
    }
    rows.into_iter()
        .map(|row| {
            Ok(EquipmentView {
                status: EquipmentStatus::from_db(&row.status)?,
                required_qualification_ids: required.remove(&row.id).unwrap_or_default(),
                created_at: instant(row.created_at, tz),
                updated_at: instant(row.updated_at, tz),
                id: row.id,
                platform_id: row.platform_id,
                name: row.name,
                kind: row.kind,
                manufacturer: row.manufacturer,
                model: row.model,
                serial_number: row.serial_number,
                inventory_number: row.inventory_number,
                hourly_rate_cents: row.hourly_rate_cents,
                notes: row.notes,
            })
        })
        .collect()
}

fn one_view(
    conn: &mut DbConnection,
    row: EquipmentRow,
    tz: &chrono_tz::Tz,
) -> ApiResult<EquipmentView> {
    views(conn, vec![row], tz)?
        .pop()
        .ok_or_else(ApiError::not_found)
}

fn check_qualifications(conn: &mut DbConnection, ids: &[Uuid]) -> ApiResult<Vec<String>> {
    let mut ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    ids.sort();
    ids.dedup();
    if db::qualifications::count_existing(conn, &ids)? != ids.len() as i64 {
        return Err(ApiError::field(
            "required_qualification_ids",
            "unknown_reference",
            "habilitation inconnue",
        ));
    }
    Ok(ids)
}

fn check_inventory_number_free(
    conn: &mut DbConnection,
    number: Option<&str>,
    own_id: &str,
) -> ApiResult<()> {
    if let Some(number) = number {
        if db::equipment::find_by_inventory_number(conn, number)?.is_some_and(|e| e.id != own_id) {
            return Err(ApiError::conflict(
                "already_exists",
                format!("Le numéro d'inventaire « {number} » est déjà attribué."),
            ));
        }
    }
    Ok(())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EquipmentQuery {
    pub platform_id: Option<Uuid>,
    pub status: Option<EquipmentStatus>,
    /// Items that require this qualification.
    pub qualification_id: Option<Uuid>,
    /// Part of the name.
    pub name: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(pattern = "^([0-9a-fA-F]{32})?$")]
    pub cursor: Option<String>,
}

/// List equipment.
#[utoipa::path(tag = "platforms", params(EquipmentQuery), responses((status = 200, body = Paged<EquipmentView>)))]
#[get("/equipment")]
async fn list_equipment(
    state: web::Data<AppState>,
    _user: CurrentUser,
    query: web::Query<EquipmentQuery>,
) -> ApiResult<web::Json<Paged<EquipmentView>>> {
    let query = query.into_inner();
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .page()?;
    let filter = EquipmentFilter {
        platform_id: query.platform_id.map(|p| p.to_string()),
        status: query.status.map(|s| s.as_str().to_owned()),
        requires_qualification_id: query.qualification_id.map(|q| q.to_string()),
        name_contains: query
            .name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
    };
    let tz = state.timezone;
    let (items, last) = state
        .db(move |conn| {
            let (rows, more) = db::equipment::list(conn, &filter, &page)?;
            let last = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
            Ok((views(conn, rows, &tz)?, last))
        })
        .await?;
    Ok(web::Json(Paged::new(items, last.as_deref())))
}

/// Add an equipment item to a platform (admin, the platform's managers).
#[utoipa::path(tag = "platforms", request_body = NewEquipment, responses(
    (status = 201, body = EquipmentView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/equipment")]
async fn create_equipment(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<NewEquipment>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let mut checks = Checks::new();
    let now = db::now();
    let row = EquipmentRow {
        id: db::new_id(),
        platform_id: body.platform_id.to_string(),
        name: checks.text("name", &body.name, 1, 200),
        kind: checks.text("kind", &body.kind, 1, 200),
        manufacturer: checks.optional_text("manufacturer", body.manufacturer.as_deref(), 200),
        model: checks.optional_text("model", body.model.as_deref(), 200),
        serial_number: checks.optional_text("serial_number", body.serial_number.as_deref(), 200),
        inventory_number: checks.optional_text(
            "inventory_number",
            body.inventory_number.as_deref(),
            100,
        ),
        status: body
            .status
            .unwrap_or(EquipmentStatus::Available)
            .as_str()
            .to_owned(),
        hourly_rate_cents: body
            .hourly_rate_cents
            .map(|r| checks.range("hourly_rate_cents", r, 0, MAX_RATE_CENTS)),
        notes: checks.text("notes", &body.notes, 0, 4000),
        created_at: now,
        updated_at: now,
    };
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                if db::platforms::find(conn, &row.platform_id)?.is_none() {
                    return Err(ApiError::field("platform_id", "unknown_reference", "plateau technique inconnu"));
                }
                require_manage_platform(conn, &user, &row.platform_id)?;
                checks.finish()?;
                let qualifications = check_qualifications(conn, &body.required_qualification_ids)?;
                check_inventory_number_free(conn, row.inventory_number.as_deref(), &row.id)?;
                db::equipment::insert(conn, &row, &qualifications)?;
                db::audit::record(conn, Some(&user.id), "equipment", &row.id, "created", serde_json::json!({
                    "platform_id": row.platform_id, "name": row.name, "kind": row.kind, "status": row.status,
                    "inventory_number": row.inventory_number, "hourly_rate_cents": row.hourly_rate_cents,
                    "required_qualification_ids": qualifications,
                }))?;
                one_view(conn, row, &tz)
            })
        })
        .await?;
    Ok(created(format!("/api/v1/equipment/{}", view.id), view))
}

/// One equipment item.
#[utoipa::path(tag = "platforms", responses(
    (status = 200, body = EquipmentView),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/equipment/{id}")]
async fn show_equipment(
    state: web::Data<AppState>,
    _user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<EquipmentView>> {
    let id = id.into_inner().to_string();
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            let row = db::equipment::find(conn, &id)?.ok_or_else(ApiError::not_found)?;
            one_view(conn, row, &tz)
        })
        .await?;
    Ok(web::Json(view))
}

/// Change an equipment item: inventory data, status, rate, required qualifications (admin, the platform's managers).
#[utoipa::path(tag = "platforms", request_body = EquipmentChanges, responses(
    (status = 200, body = EquipmentView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[patch("/equipment/{id}")]
async fn update_equipment(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<EquipmentChanges>,
) -> ApiResult<web::Json<EquipmentView>> {
    let id = id.into_inner().to_string();
    let changes = body.0;
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let mut row = db::equipment::find(conn, &id)?.ok_or_else(ApiError::not_found)?;
                require_manage_platform(conn, &user, &row.platform_id)?;
                let mut checks = Checks::new();
                if let Some(v) = &changes.name {
                    row.name = checks.text("name", v, 1, 200);
                }
                if let Some(v) = &changes.kind {
                    row.kind = checks.text("kind", v, 1, 200);
                }
                if let Some(v) = &changes.manufacturer {
                    row.manufacturer = checks.optional_text("manufacturer", v.as_deref(), 200);
                }
                if let Some(v) = &changes.model {
                    row.model = checks.optional_text("model", v.as_deref(), 200);
                }
                if let Some(v) = &changes.serial_number {
                    row.serial_number = checks.optional_text("serial_number", v.as_deref(), 200);
                }
                if let Some(v) = &changes.inventory_number {
                    row.inventory_number = checks.optional_text("inventory_number", v.as_deref(), 100);
                }
                if let Some(status) = changes.status {
                    row.status = status.as_str().to_owned();
                }
                if let Some(rate) = changes.hourly_rate_cents {
                    row.hourly_rate_cents = rate.map(|r| checks.range("hourly_rate_cents", r, 0, MAX_RATE_CENTS));
                }
                if let Some(notes) = &changes.notes {
                    row.notes = checks.text("notes", notes, 0, 4000);
                }
                checks.finish()?;
                if let Some(platform) = changes.platform_id {
                    let platform = platform.to_string();
                    if db::platforms::find(conn, &platform)?.is_none() {
                        return Err(ApiError::field("platform_id", "unknown_reference", "plateau technique inconnu"));
                    }
                    require_manage_platform(conn, &user, &platform)?;
                    row.platform_id = platform;
                }
                let qualifications = match &changes.required_qualification_ids {
                    Some(ids) => {
                        let ids = check_qualifications(conn, ids)?;
                        db::equipment::set_required_qualifications(conn, &row.id, &ids)?;
                        Some(ids)
                    }
                    None => None,
                };
                check_inventory_number_free(conn, row.inventory_number.as_deref(), &row.id)?;
                row.updated_at = db::now();
                db::equipment::update(conn, &row)?;
                db::audit::record(conn, Some(&user.id), "equipment", &row.id, "updated", serde_json::json!({
                    "platform_id": changes.platform_id, "name": changes.name, "kind": changes.kind,
                    "manufacturer": changes.manufacturer, "model": changes.model, "serial_number": changes.serial_number,
                    "inventory_number": changes.inventory_number, "status": changes.status,
                    "hourly_rate_cents": changes.hourly_rate_cents, "required_qualification_ids": qualifications,
                    "notes": changes.notes,
                }))?;
                one_view(conn, row, &tz)
            })
        })
        .await?;
    Ok(web::Json(view))
}
