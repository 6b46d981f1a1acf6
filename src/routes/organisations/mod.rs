//! `/organisations`: member organisations of the campuses, companies included.

use actix_web::{get, patch, post, web, HttpResponse};
use uuid::Uuid;

use super::created;
use super::extract::JsonBody;
use crate::access;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use crate::usecases::organisations;
use crate::views::organisations::{
    NewOrganisation, OrganisationChanges, OrganisationQuery, OrganisationView,
};
use crate::views::Paged;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_organisations)
        .service(create_organisation)
        .service(show_organisation)
        .service(update_organisation);
}

/// List organisations (companies only for admins, managers and the company itself).
#[utoipa::path(tag = "campuses", params(OrganisationQuery), responses((status = 200, body = Paged<OrganisationView>)))]
#[get("/organisations")]
async fn list_organisations(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<OrganisationQuery>,
) -> ApiResult<web::Json<Paged<OrganisationView>>> {
    let page = query.page()?;
    let filter = query.filter();
    let listed = state
        .db(move |conn| organisations::list(conn, &user, filter, &page))
        .await?;
    let tz = state.timezone;
    Ok(web::Json(Paged::of(listed, |o| {
        OrganisationView::new(o, &tz)
    })?))
}

/// Create an organisation (admin; managers create companies).
#[utoipa::path(tag = "campuses", request_body = NewOrganisation, responses(
    (status = 201, body = OrganisationView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/organisations")]
async fn create_organisation(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<NewOrganisation>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    access::require_change_organisation(&user, body.0.kind, true)?;
    let draft = body.0.draft()?;
    let organisation = state
        .db(move |conn| organisations::create(conn, &user, now, draft))
        .await?;
    let view = OrganisationView::new(organisation, &state.timezone)?;
    Ok(created(format!("/api/v1/organisations/{}", view.id), view))
}

/// One organisation.
#[utoipa::path(tag = "campuses", responses(
    (status = 200, body = OrganisationView),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/organisations/{id}")]
async fn show_organisation(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<OrganisationView>> {
    let id = id.into_inner().to_string();
    let organisation = state
        .db(move |conn| organisations::find(conn, &user, &id))
        .await?;
    Ok(web::Json(OrganisationView::new(
        organisation,
        &state.timezone,
    )?))
}

/// Change an organisation (admin; managers change companies).
#[utoipa::path(tag = "campuses", request_body = OrganisationChanges, responses(
    (status = 200, body = OrganisationView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[patch("/organisations/{id}")]
async fn update_organisation(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<OrganisationChanges>,
) -> ApiResult<web::Json<OrganisationView>> {
    let now = state.now();
    let id = id.into_inner().to_string();
    let change = body.0.change();
    let organisation = state
        .db(move |conn| organisations::update(conn, &user, now, &id, change))
        .await?;
    Ok(web::Json(OrganisationView::new(
        organisation,
        &state.timezone,
    )?))
}
