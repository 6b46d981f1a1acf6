//! `/campuses`: read by every account, changed by the campus director.

use actix_web::{get, patch, post, web, HttpResponse};
use uuid::Uuid;

use super::created;
use super::extract::JsonBody;
use crate::access;
use crate::auth::CurrentUser;
use crate::domain::pagination::PageQuery;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use crate::usecases::campuses;
use crate::views::campuses::{CampusChanges, CampusView, NewCampus};
use crate::views::Paged;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_campuses)
        .service(create_campus)
        .service(show_campus)
        .service(update_campus);
}

/// List campuses.
#[utoipa::path(tag = "campuses", params(PageQuery), responses(
    (status = 200, body = Paged<CampusView>),
    (status = 401, body = Problem, content_type = "application/problem+json")))]
#[get("/campuses")]
async fn list_campuses(
    state: web::Data<AppState>,
    _user: CurrentUser,
    query: web::Query<PageQuery>,
) -> ApiResult<web::Json<Paged<CampusView>>> {
    let page = query.page()?;
    let listed = state.db(move |conn| campuses::list(conn, &page)).await?;
    let tz = state.timezone;
    Ok(web::Json(Paged::of(listed, |r| {
        Ok(CampusView::new(r, &tz))
    })?))
}

/// Create a campus (admin).
#[utoipa::path(tag = "campuses", request_body = NewCampus, responses(
    (status = 201, body = CampusView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/campuses")]
async fn create_campus(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<NewCampus>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    access::require_director(&user)?;
    let draft = body.0.draft(&state.timezone)?;
    let row = state
        .db(move |conn| campuses::create(conn, &user, now, draft))
        .await?;
    Ok(created(
        format!("/api/v1/campuses/{}", row.id),
        CampusView::new(row, &state.timezone),
    ))
}

/// One campus.
#[utoipa::path(tag = "campuses", responses(
    (status = 200, body = CampusView),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/campuses/{id}")]
async fn show_campus(
    state: web::Data<AppState>,
    _user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<CampusView>> {
    let id = id.into_inner().to_string();
    let row = state.db(move |conn| campuses::find(conn, &id)).await?;
    Ok(web::Json(CampusView::new(row, &state.timezone)))
}

/// Rename a campus or change its time zone (admin).
#[utoipa::path(tag = "campuses", request_body = CampusChanges, responses(
    (status = 200, body = CampusView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[patch("/campuses/{id}")]
async fn update_campus(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<CampusChanges>,
) -> ApiResult<web::Json<CampusView>> {
    let now = state.now();
    access::require_director(&user)?;
    let id = id.into_inner().to_string();
    let change = body.0.draft()?;
    let row = state
        .db(move |conn| campuses::update(conn, &user, now, &id, change))
        .await?;
    Ok(web::Json(CampusView::new(row, &state.timezone)))
}
