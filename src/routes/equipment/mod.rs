//! `/equipment`: machines of the platforms.

use actix_web::{get, patch, post, web, HttpResponse};
use uuid::Uuid;

use super::created;
use super::extract::JsonBody;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use crate::usecases::equipment;
use crate::views::equipment::{EquipmentChanges, EquipmentQuery, EquipmentView, NewEquipment};
use crate::views::Paged;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_equipment)
        .service(create_equipment)
        .service(show_equipment)
        .service(update_equipment);
}

/// List equipment.
#[utoipa::path(tag = "platforms", params(EquipmentQuery), responses((status = 200, body = Paged<EquipmentView>)))]
#[get("/equipment")]
async fn list_equipment(
    state: web::Data<AppState>,
    _user: CurrentUser,
    query: web::Query<EquipmentQuery>,
) -> ApiResult<web::Json<Paged<EquipmentView>>> {
    let page = query.page()?;
    let filter = query.filter();
    let listed = state
        .db(move |conn| equipment::list(conn, &filter, &page))
        .await?;
    let tz = state.timezone;
    Ok(web::Json(Paged::of(listed, |e| {
        EquipmentView::new(e, &tz)
    })?))
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
    let now = state.now();
    // Refused only once the caller is known to manage the platform.
    let (platform_id, draft) = body.0.draft();
    let item = state
        .db(move |conn| equipment::create(conn, &user, now, &platform_id, draft))
        .await?;
    let view = EquipmentView::new(item, &state.timezone)?;
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
    let item = state.db(move |conn| equipment::find(conn, &id)).await?;
    Ok(web::Json(EquipmentView::new(item, &state.timezone)?))
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
    let now = state.now();
    let id = id.into_inner().to_string();
    // Refused only once the caller is known to manage the item's platform.
    let change = body.0.draft();
    let item = state
        .db(move |conn| equipment::update(conn, &user, now, &id, change))
        .await?;
    Ok(web::Json(EquipmentView::new(item, &state.timezone)?))
}
