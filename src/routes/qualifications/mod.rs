//! `/qualifications`: safety trainings and certifications that gate equipment.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use uuid::Uuid;

use super::created;
use super::extract::JsonBody;
use crate::access;
use crate::auth::CurrentUser;
use crate::domain::pagination::PageQuery;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use crate::usecases::qualifications;
use crate::views::qualifications::{NewQualification, QualificationChanges, QualificationView};
use crate::views::Paged;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_qualifications)
        .service(create_qualification)
        .service(show_qualification)
        .service(update_qualification)
        .service(delete_qualification);
}

/// List qualifications.
#[utoipa::path(tag = "users", params(PageQuery), responses((status = 200, body = Paged<QualificationView>)))]
#[get("/qualifications")]
async fn list_qualifications(
    state: web::Data<AppState>,
    _user: CurrentUser,
    query: web::Query<PageQuery>,
) -> ApiResult<web::Json<Paged<QualificationView>>> {
    let page = query.page()?;
    let listed = state
        .db(move |conn| qualifications::list(conn, &page))
        .await?;
    let tz = state.timezone;
    Ok(web::Json(Paged::of(listed, |r| {
        Ok(QualificationView::new(r, &tz))
    })?))
}

/// Create a qualification (admin, manager).
#[utoipa::path(tag = "users", request_body = NewQualification, responses(
    (status = 201, body = QualificationView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/qualifications")]
async fn create_qualification(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<NewQualification>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    access::require_qualification_keeper(&user)?;
    let draft = body.0.draft()?;
    let row = state
        .db(move |conn| qualifications::create(conn, &user, now, draft))
        .await?;
    Ok(created(
        format!("/api/v1/qualifications/{}", row.id),
        QualificationView::new(row, &state.timezone),
    ))
}

/// One qualification.
#[utoipa::path(tag = "users", responses(
    (status = 200, body = QualificationView),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/qualifications/{id}")]
async fn show_qualification(
    state: web::Data<AppState>,
    _user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<QualificationView>> {
    let id = id.into_inner().to_string();
    let row = state
        .db(move |conn| qualifications::find(conn, &id))
        .await?;
    Ok(web::Json(QualificationView::new(row, &state.timezone)))
}

/// Change a qualification (admin, manager).
#[utoipa::path(tag = "users", request_body = QualificationChanges, responses(
    (status = 200, body = QualificationView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json",
        description = "`already_exists`: another qualification has that name"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[patch("/qualifications/{id}")]
async fn update_qualification(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<QualificationChanges>,
) -> ApiResult<web::Json<QualificationView>> {
    let now = state.now();
    access::require_qualification_keeper(&user)?;
    let id = id.into_inner().to_string();
    let change = body.0.draft()?;
    let row = state
        .db(move |conn| qualifications::update(conn, &user, now, &id, change))
        .await?;
    Ok(web::Json(QualificationView::new(row, &state.timezone)))
}

/// Delete a qualification that no equipment requires and nobody holds (admin).
#[utoipa::path(tag = "users", responses(
    (status = 204, description = "deleted"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json")))]
#[delete("/qualifications/{id}")]
async fn delete_qualification(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    access::require_director(&user)?;
    let id = id.into_inner().to_string();
    state
        .db(move |conn| qualifications::delete(conn, &user, now, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
