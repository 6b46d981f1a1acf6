//! `/platforms`: technical platforms, their opening hours and booking policy.

use std::collections::HashMap;

use actix_web::{get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::platforms::{PlatformFilter, PlatformRow};
use crate::db::{self, DbConnection};
use crate::domain::opening_hours::check_opening_hours;
use crate::domain::pagination::PageQuery;
use crate::domain::validate::Checks;
use crate::domain::{OrganisationKind, PlatformDomain, Role, WhoMayBook};
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::created;
use crate::routes::extract::JsonBody;
use crate::views::platforms::{BookingPolicy, NewPlatform, PlatformChanges, PlatformView};
use crate::views::{instant, Paged};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_platforms)
        .service(create_platform)
        .service(show_platform)
        .service(update_platform);
}

/// Admins manage every platform; managers those they are assigned to.
pub fn can_manage_platform(
    conn: &mut DbConnection,
    user: &CurrentUser,
    platform_id: &str,
) -> ApiResult<bool> {
    Ok(match user.role {
        Role::Admin => true,
        Role::Manager => db::platforms::is_manager(conn, &user.id, platform_id)?,
        _ => false,
    })
}

pub fn require_manage_platform(
    conn: &mut DbConnection,
    user: &CurrentUser,
    platform_id: &str,
) -> ApiResult<()> {
    if can_manage_platform(conn, user, platform_id)? {
        Ok(())
    } else {
        Err(ApiError::forbidden("Seuls l'administration du campus et les responsables de ce plateau peuvent faire cette modification."))
    }
}

fn views(
    conn: &mut DbConnection,
    rows: Vec<PlatformRow>,
    tz: &chrono_tz::Tz,
) -> ApiResult<Vec<PlatformView>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut hours: HashMap<String, Vec<_>> = HashMap::new();
    for (platform, interval) in db::platforms::opening_hours_of(conn, &ids)? {
        hours.entry(platform).or_default().push(interval.to_wire());
    }
    let mut managers: HashMap<String, Vec<String>> = HashMap::new();
    for (platform, user) in db::platforms::managers_of(conn, &ids)? {
        managers.entry(platform).or_default().push(user);
    }
    rows.into_iter()
        .map(|row| {
            Ok(PlatformView {
                domain: PlatformDomain::from_db(&row.domain)?,
                booking_policy: BookingPolicy {
                    who_may_book: WhoMayBook::from_db(&row.who_may_book)?,
                    outside_requires_approval: row.outside_requires_approval,
                    min_notice_hours: row.min_notice_hours,
                    max_horizon_days: row.max_horizon_days,
                    max_duration_minutes: row.max_duration_minutes,
                    bookers_record_usage: row.bookers_record_usage,
                },
                opening_hours: hours.remove(&row.id).unwrap_or_default(),
                manager_ids: managers.remove(&row.id).unwrap_or_default(),
                created_at: instant(row.created_at, tz),
                updated_at: instant(row.updated_at, tz),
                id: row.id,
                campus_id: row.campus_id,
                owner_organisation_id: row.owner_organisation_id,
                name: row.name,
                description: row.description,
                town: row.town,
                stations: row.stations,
            })
        })
        .collect()
}

fn one_view(
    conn: &mut DbConnection,
    row: PlatformRow,
    tz: &chrono_tz::Tz,
) -> ApiResult<PlatformView> {
    views(conn, vec![row], tz)?
        .pop()
        .ok_or_else(ApiError::not_found)
}

fn check_policy(checks: &mut Checks, policy: &BookingPolicy) {
    checks.range(
        "booking_policy.min_notice_hours",
        policy.min_notice_hours,
        0,
        8760,
    );
    checks.range(
        "booking_policy.max_horizon_days",
        policy.max_horizon_days,
        1,
        1095,
    );
    checks.range(
        "booking_policy.max_duration_minutes",
        policy.max_duration_minutes,
        15,
        10080,
    );
}

fn apply_policy(row: &mut PlatformRow, policy: &BookingPolicy) {
    row.who_may_book = policy.who_may_book.as_str().to_owned();
    row.outside_requires_approval = policy.outside_requires_approval;
    row.min_notice_hours = policy.min_notice_hours;
    row.max_horizon_days = policy.max_horizon_days;
    row.max_duration_minutes = policy.max_duration_minutes;
    row.bookers_record_usage = policy.bookers_record_usage;
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlatformQuery {
    pub campus_id: Option<Uuid>,
    pub domain: Option<PlatformDomain>,
    pub owner_organisation_id: Option<Uuid>,
    /// Part of the name.
    pub name: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(pattern = "^([0-9a-fA-F]{32})?$")]
    pub cursor: Option<String>,
}

/// List platforms.
#[utoipa::path(tag = "platforms", params(PlatformQuery), responses((status = 200, body = Paged<PlatformView>)))]
#[get("/platforms")]
async fn list_platforms(
    state: web::Data<AppState>,
    _user: CurrentUser,
    query: web::Query<PlatformQuery>,
) -> ApiResult<web::Json<Paged<PlatformView>>> {
    let query = query.into_inner();
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .page()?;
    let filter = PlatformFilter {
        campus_id: query.campus_id.map(|c| c.to_string()),
        domain: query.domain.map(|d| d.as_str().to_owned()),
        owner_organisation_id: query.owner_organisation_id.map(|o| o.to_string()),
        name_contains: query
            .name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
    };
    let tz = state.timezone;
    let (items, last) = state
        .db(move |conn| {
            let (rows, more) = db::platforms::list(conn, &filter, &page)?;
            let last = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
            Ok((views(conn, rows, &tz)?, last))
        })
        .await?;
    Ok(web::Json(Paged::new(items, last.as_deref())))
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
    user.require(&[Role::Admin])?;
    let body = body.0;
    let policy = body.booking_policy.clone().unwrap_or_default();
    let mut checks = Checks::new();
    let name = checks.text("name", &body.name, 1, 200);
    let description = checks.text("description", &body.description, 0, 4000);
    let town = checks.optional_text("town", body.town.as_deref(), 200);
    let stations = checks.range("stations", body.stations, 1, 1000);
    let hours = check_opening_hours(&mut checks, "opening_hours", &body.opening_hours);
    check_policy(&mut checks, &policy);
    checks.finish()?;
    let now = db::now();
    let mut row = PlatformRow {
        id: db::new_id(),
        campus_id: body.campus_id.to_string(),
        owner_organisation_id: body.owner_organisation_id.to_string(),
        name,
        domain: body.domain.as_str().to_owned(),
        description,
        town,
        stations,
        who_may_book: String::new(),
        outside_requires_approval: true,
        min_notice_hours: 0,
        max_horizon_days: 0,
        max_duration_minutes: 0,
        created_at: now,
        updated_at: now,
        bookers_record_usage: false,
    };
    apply_policy(&mut row, &policy);
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                db::campuses::find(conn, &row.campus_id)?
                    .ok_or_else(|| ApiError::field("campus_id", "unknown_reference", "campus inconnu"))?;
                let owner = db::organisations::find(conn, &row.owner_organisation_id)?
                    .ok_or_else(|| ApiError::field("owner_organisation_id", "unknown_reference", "organisation inconnue"))?;
                if OrganisationKind::from_db(&owner.kind)? == OrganisationKind::Company {
                    return Err(ApiError::field("owner_organisation_id", "not_allowed", "un plateau appartient à un membre du campus, pas à une entreprise"));
                }
                if !db::organisations::is_member(conn, &owner.id, &row.campus_id)? {
                    return Err(ApiError::field("owner_organisation_id", "not_a_member", "cette organisation n'est pas membre de ce campus"));
                }
                if db::platforms::find_by_owner_and_name(conn, &row.owner_organisation_id, &row.name)?.is_some() {
                    return Err(ApiError::conflict("already_exists", "Cette organisation a déjà un plateau de ce nom."));
                }
                db::platforms::insert(conn, &row, &hours)?;
                db::audit::record(conn, Some(&user.id), "platform", &row.id, "created", serde_json::json!({
                    "name": row.name, "domain": row.domain, "owner_organisation_id": row.owner_organisation_id,
                    "stations": row.stations, "opening_hours": body.opening_hours, "booking_policy": policy,
                }))?;
                one_view(conn, row, &tz)
            })
        })
        .await?;
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
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            let row = db::platforms::find(conn, &id)?.ok_or_else(ApiError::not_found)?;
            one_view(conn, row, &tz)
        })
        .await?;
    Ok(web::Json(view))
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
    let town = changes
        .town
        .as_ref()
        .map(|t| checks.optional_text("town", t.as_deref(), 200));
    let stations = changes
        .stations
        .map(|s| checks.range("stations", s, 1, 1000));
    let hours = changes
        .opening_hours
        .as_ref()
        .map(|h| check_opening_hours(&mut checks, "opening_hours", h));
    if let Some(policy) = &changes.booking_policy {
        check_policy(&mut checks, policy);
    }
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let mut row = db::platforms::find(conn, &id)?.ok_or_else(ApiError::not_found)?;
                require_manage_platform(conn, &user, &row.id)?;
                checks.finish()?;
                if let Some(name) = name.clone() {
                    if name != row.name && db::platforms::find_by_owner_and_name(conn, &row.owner_organisation_id, &name)?.is_some() {
                        return Err(ApiError::conflict("already_exists", "Cette organisation a déjà un plateau de ce nom."));
                    }
                    row.name = name;
                }
                if let Some(domain) = changes.domain {
                    row.domain = domain.as_str().to_owned();
                }
                if let Some(d) = description.clone() {
                    row.description = d;
                }
                if let Some(t) = town.clone() {
                    row.town = t;
                }
                if let Some(s) = stations {
                    row.stations = s;
                }
                if let Some(policy) = &changes.booking_policy {
                    apply_policy(&mut row, policy);
                }
                if let Some(hours) = &hours {
                    db::platforms::set_opening_hours(conn, &row.id, hours)?;
                }
                row.updated_at = db::now();
                db::platforms::update(conn, &row)?;
                db::audit::record(conn, Some(&user.id), "platform", &row.id, "updated", serde_json::json!({
                    "name": name, "domain": changes.domain, "description": description, "town": town, "stations": stations,
                    "opening_hours": changes.opening_hours, "booking_policy": changes.booking_policy,
                }))?;
                one_view(conn, row, &tz)
            })
        })
        .await?;
    Ok(web::Json(view))
}
