//! `/platforms`: technical platforms, their opening hours and booking policy.

use actix_web::{get, patch, post, web, HttpResponse};
use uuid::Uuid;

use super::created;
use super::extract::JsonBody;
use crate::access;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use crate::usecases::platforms;
use crate::views::platforms::{NewPlatform, PlatformChanges, PlatformQuery, PlatformView};
use crate::views::Paged;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_platforms)
        .service(create_platform)
        .service(show_platform)
        .service(update_platform);
}

/// List platforms.
#[utoipa::path(tag = "platforms", params(PlatformQuery), responses((status = 200, body = Paged<PlatformView>)))]
#[get("/platforms")]
async fn list_platforms(
    state: web::Data<AppState>,
    _user: CurrentUser,
    query: web::Query<PlatformQuery>,
) -> ApiResult<web::Json<Paged<PlatformView>>> {
    let page = query.page()?;
    let filter = query.filter();
    let listed = state
        .db(move |conn| platforms::list(conn, &filter, &page))
        .await?;
    let tz = state.timezone;
    Ok(web::Json(Paged::of(listed, |p| PlatformView::new(p, &tz))?))
}

/// Create a platform (admin).
#[utoipa::path(tag = "platforms", request_body = NewPlatform, responses(
    (status = 201, body = PlatformView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/platforms")]
async fn create_platform(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<NewPlatform>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    access::require_director(&user)?;
    let draft = body.0.draft()?;
    let platform = state
        .db(move |conn| platforms::create(conn, &user, now, draft))
        .await?;
    let view = PlatformView::new(platform, &state.timezone)?;
    Ok(created(format!("/api/v1/platforms/{}", view.id), view))
}

/// One platform.
#[utoipa::path(tag = "platforms", responses(
    (status = 200, body = PlatformView),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/platforms/{id}")]
async fn show_platform(
    state: web::Data<AppState>,
    _user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<PlatformView>> {
    let id = id.into_inner().to_string();
    let platform = state.db(move |conn| platforms::find(conn, &id)).await?;
    Ok(web::Json(PlatformView::new(platform, &state.timezone)?))
}

/// Change a platform: description, stations, opening hours, booking policy (admin, its managers).
#[utoipa::path(tag = "platforms", request_body = PlatformChanges, responses(
    (status = 200, body = PlatformView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json",
        description = "`already_exists`: the owner organisation has another platform of that name"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[patch("/platforms/{id}")]
async fn update_platform(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<PlatformChanges>,
) -> ApiResult<web::Json<PlatformView>> {
    let now = state.now();
    let id = id.into_inner().to_string();
    // Refused only once the caller is known to manage the platform.
    let change = body.0.draft();
    let platform = state
        .db(move |conn| platforms::update(conn, &user, now, &id, change))
        .await?;
    Ok(web::Json(PlatformView::new(platform, &state.timezone)?))
}
