//! `/organisations`: member organisations of the campuses, companies included.

use std::collections::HashMap;

use actix_web::{get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::organisations::{CompanyVisibility, OrganisationFilter, OrganisationRow};
use crate::db::{self, DbConnection};
use crate::domain::organisations::{
    can_change_organisation, can_see_organisation, check_identifiers,
};
use crate::domain::pagination::PageQuery;
use crate::domain::validate::Checks;
use crate::domain::{OrganisationKind, Role};
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::created;
use crate::routes::extract::JsonBody;
use crate::views::organisations::{NewOrganisation, OrganisationChanges, OrganisationView};
use crate::views::{instant, Paged};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_organisations)
        .service(create_organisation)
        .service(show_organisation)
        .service(update_organisation);
}

fn view(
    row: OrganisationRow,
    campus_ids: Vec<String>,
    tz: &chrono_tz::Tz,
) -> ApiResult<OrganisationView> {
    Ok(OrganisationView {
        kind: OrganisationKind::from_db(&row.kind)?,
        created_at: instant(row.created_at, tz),
        updated_at: instant(row.updated_at, tz),
        id: row.id,
        name: row.name,
        town: row.town,
        uai: row.uai,
        siret: row.siret,
        campus_ids,
    })
}

fn views(
    conn: &mut DbConnection,
    rows: Vec<OrganisationRow>,
    tz: &chrono_tz::Tz,
) -> ApiResult<Vec<OrganisationView>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut campuses: HashMap<String, Vec<String>> = HashMap::new();
    for (org, campus) in db::organisations::campus_ids_of(conn, &ids)? {
        campuses.entry(org).or_default().push(campus);
    }
    rows.into_iter()
        .map(|r| {
            let c = campuses.remove(&r.id).unwrap_or_default();
            view(r, c, tz)
        })
        .collect()
}

fn visible(conn: &mut DbConnection, viewer: &CurrentUser, id: &str) -> ApiResult<OrganisationRow> {
    let row = db::organisations::find(conn, id)?.ok_or_else(ApiError::not_found)?;
    if can_see_organisation(viewer, &row.id, OrganisationKind::from_db(&row.kind)?) {
        Ok(row)
    } else {
        Err(ApiError::not_found())
    }
}

fn check_campuses(conn: &mut DbConnection, ids: &[Uuid]) -> ApiResult<Vec<String>> {
    let mut ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Err(ApiError::field(
            "campus_ids",
            "required",
            "au moins un campus",
        ));
    }
    if db::campuses::count_existing(conn, &ids)? != ids.len() as i64 {
        return Err(ApiError::field(
            "campus_ids",
            "unknown_reference",
            "campus inconnu",
        ));
    }
    Ok(ids)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganisationQuery {
    pub kind: Option<OrganisationKind>,
    pub campus_id: Option<Uuid>,
    /// Part of the name.
    pub name: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(pattern = "^([0-9a-fA-F]{32})?$")]
    pub cursor: Option<String>,
}

/// List organisations (companies only for admins, managers and the company itself).
#[utoipa::path(tag = "campuses", params(OrganisationQuery), responses((status = 200, body = Paged<OrganisationView>)))]
#[get("/organisations")]
async fn list_organisations(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<OrganisationQuery>,
) -> ApiResult<web::Json<Paged<OrganisationView>>> {
    let query = query.into_inner();
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .page()?;
    let filter = OrganisationFilter {
        kind: query.kind.map(|k| k.as_str().to_owned()),
        campus_id: query.campus_id.map(|c| c.to_string()),
        name_contains: query
            .name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
        include_companies: match user.role {
            Role::Admin | Role::Manager => CompanyVisibility::All,
            Role::Company => CompanyVisibility::Only(user.organisation_id.clone()),
            Role::Teacher | Role::Observer => CompanyVisibility::None,
        },
    };
    let tz = state.timezone;
    let (items, last) = state
        .db(move |conn| {
            let (rows, more) = db::organisations::list(conn, &filter, &page)?;
            let last = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
            Ok((views(conn, rows, &tz)?, last))
        })
        .await?;
    Ok(web::Json(Paged::new(items, last.as_deref())))
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
    let body = body.0;
    if !can_change_organisation(&user, body.kind) {
        return Err(ApiError::forbidden(format!(
            "Le rôle « {} » ne permet pas de créer une organisation de ce type.",
            user.role
        )));
    }
    let mut checks = Checks::new();
    let name = checks.text("name", &body.name, 1, 200);
    let town = checks.optional_text("town", body.town.as_deref(), 200);
    let (uai, siret) = check_identifiers(
        &mut checks,
        body.kind,
        body.uai.as_deref(),
        body.siret.as_deref(),
    );
    checks.finish()?;
    let now = db::now();
    let row = OrganisationRow {
        id: db::new_id(),
        name,
        kind: body.kind.as_str().to_owned(),
        town,
        uai,
        siret,
        created_at: now,
        updated_at: now,
    };
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let campus_ids = check_campuses(conn, &body.campus_ids)?;
                db::organisations::insert(conn, &row, &campus_ids)?;
                db::audit::record(conn, Some(&user.id), "organisation", &row.id, "created", serde_json::json!({
                    "name": row.name, "kind": row.kind, "town": row.town, "uai": row.uai, "siret": row.siret, "campus_ids": campus_ids,
                }))?;
                view(row, campus_ids, &tz)
            })
        })
        .await?;
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
    let tz = state.timezone;
    let mut items = state
        .db(move |conn| {
            let row = visible(conn, &user, &id)?;
            views(conn, vec![row], &tz)
        })
        .await?;
    Ok(web::Json(items.pop().ok_or_else(ApiError::not_found)?))
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
    let id = id.into_inner().to_string();
    let changes = body.0;
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let mut row = visible(conn, &user, &id)?;
                let kind = OrganisationKind::from_db(&row.kind)?;
                if !can_change_organisation(&user, kind) {
                    return Err(ApiError::forbidden(format!("Le rôle « {} » ne permet pas de modifier cette organisation.", user.role)));
                }
                let mut checks = Checks::new();
                if let Some(name) = &changes.name {
                    row.name = checks.text("name", name, 1, 200);
                }
                if let Some(town) = &changes.town {
                    row.town = checks.optional_text("town", town.as_deref(), 200);
                }
                let uai = changes.uai.clone().unwrap_or(row.uai.clone());
                let siret = changes.siret.clone().unwrap_or(row.siret.clone());
                (row.uai, row.siret) = check_identifiers(&mut checks, kind, uai.as_deref(), siret.as_deref());
                checks.finish()?;
                let campus_ids = match &changes.campus_ids {
                    Some(ids) => {
                        let ids = check_campuses(conn, ids)?;
                        db::organisations::set_campuses(conn, &row.id, &ids)?;
                        Some(ids)
                    }
                    None => None,
                };
                row.updated_at = db::now();
                db::organisations::update(conn, &row)?;
                db::audit::record(conn, Some(&user.id), "organisation", &row.id, "updated", serde_json::json!({
                    "name": changes.name, "town": changes.town, "uai": changes.uai, "siret": changes.siret, "campus_ids": campus_ids,
                }))?;
                let mut items = views(conn, vec![row], &tz)?;
                items.pop().ok_or_else(ApiError::not_found)
            })
        })
        .await?;
    Ok(web::Json(view))
}
