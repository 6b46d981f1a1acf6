//! `/campuses`: read by every account, changed by the campus director.

use actix_web::{get, patch, post, web, HttpResponse};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::{self, campuses::CampusRow};
use crate::domain::pagination::PageQuery;
use crate::domain::validate::Checks;
use crate::domain::Role;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::created;
use crate::routes::extract::JsonBody;
use crate::views::campuses::{CampusChanges, CampusView, NewCampus};
use crate::views::{instant, Paged};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_campuses)
        .service(create_campus)
        .service(show_campus)
        .service(update_campus);
}

fn view(row: CampusRow, tz: &chrono_tz::Tz) -> CampusView {
    CampusView {
        created_at: instant(row.created_at, tz),
        updated_at: instant(row.updated_at, tz),
        id: row.id,
        name: row.name,
        timezone: row.timezone,
    }
}

fn check_timezone(checks: &mut Checks, tz: &str) -> String {
    if tz.parse::<chrono_tz::Tz>().is_err() {
        checks.fail(
            "timezone",
            "unknown_value",
            "fuseau horaire IANA inconnu (par exemple Europe/Paris)",
        );
    }
    tz.to_owned()
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
    let (rows, more) = state
        .db(move |conn| db::campuses::list(conn, &page))
        .await?;
    let last = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
    Ok(web::Json(Paged::new(
        rows.into_iter().map(|r| view(r, &state.timezone)).collect(),
        last.as_deref(),
    )))
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
    user.require(&[Role::Admin])?;
    let body = body.0;
    let mut checks = Checks::new();
    let name = checks.text("name", &body.name, 1, 200);
    let timezone = check_timezone(
        &mut checks,
        body.timezone.as_deref().unwrap_or(state.timezone.name()),
    );
    checks.finish()?;
    let now = db::now();
    let row = CampusRow {
        id: db::new_id(),
        name,
        timezone,
        created_at: now,
        updated_at: now,
    };
    let inserted = row.clone();
    state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                db::campuses::insert(conn, &inserted)?;
                db::audit::record(
                    conn,
                    Some(&user.id),
                    "campus",
                    &inserted.id,
                    "created",
                    serde_json::json!({ "name": inserted.name, "timezone": inserted.timezone }),
                )
            })
        })
        .await?;
    Ok(created(
        format!("/api/v1/campuses/{}", row.id),
        view(row, &state.timezone),
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
    let row = state
        .db(move |conn| db::campuses::find(conn, &id))
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(web::Json(view(row, &state.timezone)))
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
    user.require(&[Role::Admin])?;
    let id = id.into_inner().to_string();
    let changes = body.0;
    let mut checks = Checks::new();
    let name = changes
        .name
        .as_deref()
        .map(|n| checks.text("name", n, 1, 200));
    let timezone = changes
        .timezone
        .as_deref()
        .map(|t| check_timezone(&mut checks, t));
    checks.finish()?;
    let row = state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let mut row = db::campuses::find(conn, &id)?.ok_or_else(ApiError::not_found)?;
                if let Some(name) = name.clone() {
                    row.name = name;
                }
                if let Some(tz) = timezone.clone() {
                    row.timezone = tz;
                }
                row.updated_at = db::now();
                db::campuses::update(conn, &row)?;
                db::audit::record(
                    conn,
                    Some(&user.id),
                    "campus",
                    &row.id,
                    "updated",
                    serde_json::json!({ "name": name, "timezone": timezone }),
                )?;
                Ok(row)
            })
        })
        .await?;
    Ok(web::Json(view(row, &state.timezone)))
}
