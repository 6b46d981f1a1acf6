//! `/qualifications`: safety trainings and certifications that gate equipment.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::{self, qualifications::QualificationRow};
use crate::domain::pagination::PageQuery;
use crate::domain::validate::Checks;
use crate::domain::Role;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::created;
use crate::routes::extract::JsonBody;
use crate::views::qualifications::{NewQualification, QualificationChanges, QualificationView};
use crate::views::{instant, Paged};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_qualifications)
        .service(create_qualification)
        .service(show_qualification)
        .service(update_qualification)
        .service(delete_qualification);
}

fn view(row: QualificationRow, tz: &chrono_tz::Tz) -> QualificationView {
    QualificationView {
        created_at: instant(row.created_at, tz),
        updated_at: instant(row.updated_at, tz),
        id: row.id,
        name: row.name,
        description: row.description,
        validity_months: row.validity_months,
    }
}

fn check_validity(checks: &mut Checks, months: Option<i32>) -> Option<i32> {
    months.map(|m| checks.range("validity_months", m, 1, 240))
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
    let (rows, more) = state
        .db(move |conn| db::qualifications::list(conn, &page))
        .await?;
    let last = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
    Ok(web::Json(Paged::new(
        rows.into_iter().map(|r| view(r, &state.timezone)).collect(),
        last.as_deref(),
    )))
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
    user.require(&[Role::Admin, Role::Manager])?;
    let body = body.0;
    let mut checks = Checks::new();
    let name = checks.text("name", &body.name, 1, 200);
    let description = checks.text("description", &body.description, 0, 4000);
    let validity_months = check_validity(&mut checks, body.validity_months);
    checks.finish()?;
    let now = db::now();
    let row = QualificationRow {
        id: db::new_id(),
        name,
        description,
        validity_months,
        created_at: now,
        updated_at: now,
    };
    let inserted = row.clone();
    state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                if db::qualifications::find_by_name(conn, &inserted.name)?.is_some() {
                    return Err(ApiError::conflict("already_exists", "Une habilitation porte déjà ce nom."));
                }
                db::qualifications::insert(conn, &inserted)?;
                db::audit::record(conn, Some(&user.id), "qualification", &inserted.id, "created",
                    serde_json::json!({ "name": inserted.name, "validity_months": inserted.validity_months }))
            })
        })
        .await?;
    Ok(created(
        format!("/api/v1/qualifications/{}", row.id),
        view(row, &state.timezone),
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
        .db(move |conn| db::qualifications::find(conn, &id))
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(web::Json(view(row, &state.timezone)))
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
    user.require(&[Role::Admin, Role::Manager])?;
    let id = id.into_inner().to_string();
    let changes = body.0;
    let mut checks = Checks::new();
    let name = changes
        .name
        .as_deref()
        .map(|n| checks.text("name", n, 1, 200));
    let description = changes
        .description
        .as_deref()
        .map(|d| checks.text("description", d, 0, 4000));
    let validity = changes
        .validity_months
        .map(|v| check_validity(&mut checks, v));
    checks.finish()?;
    let row = state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let mut row = db::qualifications::find(conn, &id)?.ok_or_else(ApiError::not_found)?;
                if let Some(name) = name.clone() {
                    if name != row.name && db::qualifications::find_by_name(conn, &name)?.is_some() {
                        return Err(ApiError::conflict("already_exists", "Une habilitation porte déjà ce nom."));
                    }
                    row.name = name;
                }
                if let Some(d) = description.clone() {
                    row.description = d;
                }
                if let Some(v) = validity {
                    row.validity_months = v;
                }
                row.updated_at = db::now();
                db::qualifications::update(conn, &row)?;
                db::audit::record(conn, Some(&user.id), "qualification", &row.id, "updated",
                    serde_json::json!({ "name": name, "description": description, "validity_months": validity }))?;
                Ok(row)
            })
        })
        .await?;
    Ok(web::Json(view(row, &state.timezone)))
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
    user.require(&[Role::Admin])?;
    let id = id.into_inner().to_string();
    state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                db::qualifications::find(conn, &id)?.ok_or_else(ApiError::not_found)?;
                if db::qualifications::in_use(conn, &id)? {
                    return Err(ApiError::conflict(
                        "in_use",
                        "Cette habilitation est exigée par un équipement ou détenue par un compte : retirez-la d'abord.",
                    ));
                }
                db::qualifications::delete(conn, &id)?;
                db::audit::record(conn, Some(&user.id), "qualification", &id, "deleted", serde_json::json!({}))
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
