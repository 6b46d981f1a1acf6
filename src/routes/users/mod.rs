//! `/users` and `/users/{id}/qualifications`: accounts, roles and qualifications held.

use std::collections::HashMap;

use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{self, CurrentUser};
use crate::db::{self, users::UserFilter, users::UserRow, DbConnection};
use crate::domain::accounts::{
    can_see_user, check_email, check_password, check_role_fits_organisation, may_create_role,
};
use crate::domain::pagination::PageQuery;
use crate::domain::validate::Checks;
use crate::domain::{OrganisationKind, Role};
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::created;
use crate::routes::extract::JsonBody;
use crate::views::service_requests::ContactAwaitingApprovalView;
use crate::views::users::{
    AwardQualification, HeldQualificationView, NewUser, UserChanges, UserView,
};
use crate::views::{instant, Paged};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(list_contacts_awaiting_approval)
        .service(approve_user)
        .service(show_user)
        .service(update_user)
        .service(list_user_qualifications)
        .service(award_user_qualification)
        .service(withdraw_user_qualification);
}

pub fn user_view(
    row: UserRow,
    managed_platform_ids: Vec<String>,
    tz: &chrono_tz::Tz,
) -> ApiResult<UserView> {
    Ok(UserView {
        role: Role::from_db(&row.role)?,
        created_at: instant(row.created_at, tz),
        updated_at: instant(row.updated_at, tz),
        id: row.id,
        email: row.email,
        display_name: row.display_name,
        organisation_id: row.organisation_id,
        active: row.active,
        awaiting_approval: row.awaiting_approval,
        managed_platform_ids,
    })
}

/// The view of an account, with the platforms it manages read from the database.
pub fn account_view(
    conn: &mut DbConnection,
    row: UserRow,
    tz: &chrono_tz::Tz,
) -> ApiResult<UserView> {
    let managed = db::users::managed_platform_ids(conn, &row.id)?;
    user_view(row, managed, tz)
}

/// The account if the caller may see it; 404 otherwise, so that nothing leaks by existence.
fn visible_user(conn: &mut DbConnection, viewer: &CurrentUser, id: &str) -> ApiResult<UserRow> {
    db::users::find(conn, id)?
        .filter(|u| can_see_user(viewer, &u.id, &u.organisation_id))
        .ok_or_else(ApiError::not_found)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    pub organisation_id: Option<Uuid>,
    pub role: Option<Role>,
    /// Part of the e-mail address.
    pub email: Option<String>,
    /// Only company contacts waiting for approval (`true`), or only the others (`false`).
    pub awaiting_approval: Option<bool>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(pattern = "^([0-9a-fA-F]{32})?$")]
    pub cursor: Option<String>,
}

/// List the accounts the caller may see (observers see none).
#[utoipa::path(tag = "users", params(UserQuery), responses(
    (status = 200, body = Paged<UserView>),
    (status = 403, body = Problem, content_type = "application/problem+json")))]
#[get("/users")]
async fn list_users(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<UserQuery>,
) -> ApiResult<web::Json<Paged<UserView>>> {
    user.require(&[Role::Admin, Role::Manager, Role::Teacher, Role::Company])?;
    let query = query.into_inner();
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .page()?;
    let mut filter = UserFilter {
        organisation_id: query.organisation_id.map(|o| o.to_string()),
        role: query.role.map(|r| r.as_str().to_owned()),
        email_contains: query
            .email
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty()),
        awaiting_approval: query.awaiting_approval,
    };
    if matches!(user.role, Role::Teacher | Role::Company) {
        if filter
            .organisation_id
            .as_ref()
            .is_some_and(|o| *o != user.organisation_id)
        {
            return Ok(web::Json(Paged::new(Vec::new(), None)));
        }
        filter.organisation_id = Some(user.organisation_id.clone());
    }
    let tz = state.timezone;
    let (views, last) = state
        .db(move |conn| {
            let (rows, more) = db::users::list(conn, &filter, &page)?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            let mut managed: HashMap<String, Vec<String>> = HashMap::new();
            for (user_id, platform_id) in db::users::managed_platform_ids_of(conn, &ids)? {
                managed.entry(user_id).or_default().push(platform_id);
            }
            let last = more.then(|| ids.last().cloned()).flatten();
            let views = rows
                .into_iter()
                .map(|r| {
                    let m = managed.remove(&r.id).unwrap_or_default();
                    user_view(r, m, &tz)
                })
                .collect::<ApiResult<Vec<_>>>()?;
            Ok((views, last))
        })
        .await?;
    Ok(web::Json(Paged::new(views, last.as_deref())))
}

/// Checks that the platforms exist; returns their ids as text.
fn check_platforms(conn: &mut DbConnection, ids: &[Uuid]) -> ApiResult<Vec<String>> {
    let mut ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    ids.sort();
    ids.dedup();
    if db::platforms::count_existing(conn, &ids)? != ids.len() as i64 {
        return Err(ApiError::field(
            "managed_platform_ids",
            "unknown_reference",
            "plateau technique inconnu",
        ));
    }
    Ok(ids)
}

fn organisation_kind(conn: &mut DbConnection, id: &str) -> ApiResult<OrganisationKind> {
    let kind = db::users::organisation_kind(conn, id)?.ok_or_else(|| {
        ApiError::field(
            "organisation_id",
            "unknown_reference",
            "organisation inconnue",
        )
    })?;
    OrganisationKind::from_db(&kind)
}

/// Everything needed to create an account, checked.
pub struct AccountDraft {
    pub email: String,
    pub display_name: String,
    /// `None` for an invitation: the account stays inactive until its owner confirms the
    /// address and chooses a password, so that nobody else ever knows it.
    pub password: Option<String>,
    pub role: Role,
    pub organisation_id: String,
    pub managed_platform_ids: Vec<Uuid>,
}

/// Creates an account (also used by `plateaux user add`).
pub fn create_account(
    conn: &mut DbConnection,
    actor: Option<&str>,
    draft: AccountDraft,
) -> ApiResult<(UserRow, Vec<String>)> {
    let mut checks = Checks::new();
    let email = check_email(&mut checks, "email", &draft.email);
    let display_name = checks.text("display_name", &draft.display_name, 1, 200);
    if let Some(password) = &draft.password {
        check_password(&mut checks, "password", password);
    }
    if draft.role != Role::Manager && !draft.managed_platform_ids.is_empty() {
        checks.fail(
            "managed_platform_ids",
            "not_allowed",
            "seuls les responsables de plateau gèrent des plateaux",
        );
    }
    checks.finish()?;
    let invitation = draft.password.is_none();
    // Hashed before the transaction: on SQLite it would hold the write lock meanwhile.
    let password_hash = match &draft.password {
        Some(password) => auth::hash_password(password)?,
        None => auth::unusable_password_hash()?,
    };
    db::write_transaction(conn, |conn| {
        let kind = organisation_kind(conn, &draft.organisation_id)?;
        let mut checks = Checks::new();
        check_role_fits_organisation(&mut checks, draft.role, kind);
        checks.finish()?;
        if db::users::find_by_email(conn, &email)?.is_some() {
            return Err(ApiError::conflict(
                "email_taken",
                "Un compte existe déjà avec cette adresse e-mail.",
            ));
        }
        let managed = check_platforms(conn, &draft.managed_platform_ids)?;
        let now = db::now();
        let row = UserRow {
            id: db::new_id(),
            email,
            display_name,
            password_hash,
            role: draft.role.as_str().to_owned(),
            organisation_id: draft.organisation_id.clone(),
            active: !invitation,
            created_at: now,
            updated_at: now,
            awaiting_approval: false,
        };
        db::users::insert(conn, &row)?;
        db::users::set_managed_platforms(conn, &row.id, &managed)?;
        if invitation {
            // The token goes out by e-mail only, queued in this transaction.
            crate::accounts::open_confirmation(conn, &row.id)?;
        }
        db::audit::record(
            conn,
            actor,
            "user",
            &row.id,
            "created",
            serde_json::json!({
                "email": row.email, "role": row.role, "organisation_id": row.organisation_id, "managed_platform_ids": managed,
                "invitation": invitation,
            }),
        )?;
        Ok((row, managed))
    })
}

/// Invite someone to an account (admin; managers invite company contacts). The account is
/// inactive until its owner confirms the address with the token e-mailed to it and chooses
/// a password: nobody else ever knows it.
#[utoipa::path(tag = "users", request_body = NewUser, responses(
    (status = 201, body = UserView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/users")]
async fn create_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<NewUser>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    if !may_create_role(user.role, body.role) {
        return Err(ApiError::forbidden(format!(
            "Le rôle « {} » ne permet pas de créer un compte « {} ».",
            user.role, body.role
        )));
    }
    let draft = AccountDraft {
        email: body.email,
        display_name: body.display_name,
        password: None,
        role: body.role,
        organisation_id: body.organisation_id.to_string(),
        managed_platform_ids: body.managed_platform_ids,
    };
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            let (row, managed) = create_account(conn, Some(&user.id), draft)?;
            user_view(row, managed, &tz)
        })
        .await?;
    Ok(created(format!("/api/v1/users/{}", view.id), view))
}

/// Company contacts waiting for approval: all of them for the staff, those of one's own
/// company for its approved contacts. Each shows the company and its SIRET.
#[utoipa::path(tag = "users", responses(
    (status = 200, body = Vec<ContactAwaitingApprovalView>),
    (status = 403, body = Problem, content_type = "application/problem+json")))]
#[get("/contacts-awaiting-approval")]
async fn list_contacts_awaiting_approval(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> ApiResult<web::Json<Vec<ContactAwaitingApprovalView>>> {
    let tz = state.timezone;
    let rows = state
        .db(move |conn| crate::accounts::contacts_awaiting_approval(conn, &user))
        .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|(row, company_name, siret)| ContactAwaitingApprovalView {
                created_at: instant(row.created_at, &tz),
                address_confirmed: row.active,
                user_id: row.id,
                email: row.email,
                display_name: row.display_name,
                company_id: row.organisation_id,
                company_name,
                siret,
            })
            .collect(),
    ))
}

/// Approve a company contact who signed up alone for a company that already existed (an
/// approved contact of that company, a manager or the director): from then on they act
/// for the company and see its requests and quotes.
#[utoipa::path(tag = "users", responses(
    (status = 200, body = UserView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json")))]
#[post("/users/{id}/approve")]
async fn approve_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<UserView>> {
    let id = id.into_inner().to_string();
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            let row = crate::accounts::approve_contact(conn, &user, &id)?;
            account_view(conn, row, &tz)
        })
        .await?;
    Ok(web::Json(view))
}

/// One account.
#[utoipa::path(tag = "users", responses(
    (status = 200, body = UserView),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/users/{id}")]
async fn show_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<UserView>> {
    let id = id.into_inner().to_string();
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            let row = visible_user(conn, &user, &id)?;
            account_view(conn, row, &tz)
        })
        .await?;
    Ok(web::Json(view))
}

/// Change an account: role, organisation, activation, managed platforms, password (admin).
#[utoipa::path(tag = "users", request_body = UserChanges, responses(
    (status = 200, body = UserView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[patch("/users/{id}")]
async fn update_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<UserChanges>,
) -> ApiResult<web::Json<UserView>> {
    let id = id.into_inner().to_string();
    let changes = body.0;
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            visible_user(conn, &user, &id)?;
            user.require(&[Role::Admin])?;
            let mut checks = Checks::new();
            let display_name = changes.display_name.as_deref().map(|n| checks.text("display_name", n, 1, 200));
            if let Some(p) = &changes.password {
                check_password(&mut checks, "password", p);
            }
            if id == user.id && changes.active == Some(false) {
                checks.fail("active", "self_lockout", "un administrateur ne peut pas désactiver son propre compte");
            }
            if id == user.id && changes.role.is_some_and(|r| r != Role::Admin) {
                checks.fail("role", "self_lockout", "un administrateur ne peut pas se retirer son propre rôle");
            }
            checks.finish()?;
            let password_hash = changes.password.as_deref().map(auth::hash_password).transpose()?;
            db::write_transaction(conn, |conn| {
                let mut row = db::users::find(conn, &id)?.ok_or_else(ApiError::not_found)?;
                let before = (row.role.clone(), row.organisation_id.clone(), row.active);
                if let Some(name) = display_name.clone() {
                    row.display_name = name;
                }
                if let Some(role) = changes.role {
                    row.role = role.as_str().to_owned();
                }
                if let Some(org) = changes.organisation_id {
                    row.organisation_id = org.to_string();
                }
                if let Some(active) = changes.active {
                    row.active = active;
                }
                if let Some(hash) = password_hash {
                    row.password_hash = hash;
                }
                let role = Role::from_db(&row.role)?;
                let kind = organisation_kind(conn, &row.organisation_id)?;
                let mut checks = Checks::new();
                check_role_fits_organisation(&mut checks, role, kind);
                checks.finish()?;
                let mut managed = match &changes.managed_platform_ids {
                    Some(ids) => check_platforms(conn, ids)?,
                    None => db::users::managed_platform_ids(conn, &row.id)?,
                };
                if role != Role::Manager {
                    if changes.managed_platform_ids.as_ref().is_some_and(|ids| !ids.is_empty()) {
                        return Err(ApiError::field("managed_platform_ids", "not_allowed", "seuls les responsables de plateau gèrent des plateaux"));
                    }
                    managed.clear();
                }
                row.updated_at = db::now();
                db::users::update(conn, &row)?;
                db::users::set_managed_platforms(conn, &row.id, &managed)?;
                // A changed password, role or deactivation closes the account's sessions; an
                // administrator changing their own account keeps the session that made the
                // change, as with `PATCH /me`.
                let after = (row.role.clone(), row.organisation_id.clone(), row.active);
                let deactivated = before.2 && !after.2;
                if changes.password.is_some() || deactivated || after.0 != before.0 || after.1 != before.1 {
                    if row.id == user.id {
                        db::tokens::revoke_other_sessions(conn, &row.id, &user.session_id)?;
                    } else {
                        db::tokens::revoke_all_of_user(conn, &row.id)?;
                    }
                }
                db::audit::record(conn, Some(&user.id), "user", &row.id, "updated", serde_json::json!({
                    "display_name": display_name, "role": changes.role, "organisation_id": changes.organisation_id,
                    "active": changes.active, "managed_platform_ids": changes.managed_platform_ids.as_ref().map(|_| &managed),
                    "password_changed": changes.password.is_some(),
                }))?;
                user_view(row, managed, &tz)
            })
        })
        .await?;
    Ok(web::Json(view))
}

fn held_view(
    row: db::users::HeldQualificationRow,
    today: chrono::NaiveDate,
) -> HeldQualificationView {
    HeldQualificationView {
        valid_today: row.awarded_on <= today && row.expires_on.is_none_or(|e| e >= today),
        qualification_id: row.qualification_id,
        name: row.name,
        awarded_on: row.awarded_on,
        expires_on: row.expires_on,
    }
}

fn today(tz: &chrono_tz::Tz) -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(tz).date_naive()
}

/// Qualifications an account holds, with their expiry.
#[utoipa::path(tag = "users", responses(
    (status = 200, body = Vec<HeldQualificationView>),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/users/{id}/qualifications")]
async fn list_user_qualifications(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Vec<HeldQualificationView>>> {
    let id = id.into_inner().to_string();
    let today = today(&state.timezone);
    let rows = state
        .db(move |conn| {
            visible_user(conn, &user, &id)?;
            db::users::held_qualifications(conn, &id)
        })
        .await?;
    Ok(web::Json(
        rows.into_iter().map(|r| held_view(r, today)).collect(),
    ))
}

/// Award (or renew) a qualification (admin, manager).
#[utoipa::path(tag = "users", request_body = AwardQualification, responses(
    (status = 200, body = Vec<HeldQualificationView>),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/users/{id}/qualifications")]
async fn award_user_qualification(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<AwardQualification>,
) -> ApiResult<web::Json<Vec<HeldQualificationView>>> {
    let id = id.into_inner().to_string();
    let award = body.0;
    let today = today(&state.timezone);
    let rows = state
        .db(move |conn| {
            visible_user(conn, &user, &id)?;
            user.require(&[Role::Admin, Role::Manager])?;
            let qualification_id = award.qualification_id.to_string();
            db::write_transaction(conn, |conn| {
                let qualification = db::qualifications::find(conn, &qualification_id)?
                    .ok_or_else(|| ApiError::field("qualification_id", "unknown_reference", "habilitation inconnue"))?;
                let expires_on = match award.expires_on {
                    Some(date) => Some(date),
                    None => qualification.validity_months.and_then(|m| {
                        award.awarded_on.checked_add_months(chrono::Months::new(m as u32))
                    }),
                };
                if expires_on.is_some_and(|e| e <= award.awarded_on) {
                    return Err(ApiError::field("expires_on", "before_start", "l'échéance doit suivre la date d'obtention"));
                }
                if award.awarded_on > today {
                    return Err(ApiError::field("awarded_on", "in_future", "la date d'obtention ne peut pas être dans le futur"));
                }
                db::users::award_qualification(conn, &id, &qualification_id, award.awarded_on, expires_on)?;
                db::audit::record(conn, Some(&user.id), "user", &id, "qualification_awarded", serde_json::json!({
                    "qualification_id": qualification_id, "awarded_on": award.awarded_on, "expires_on": expires_on,
                }))?;
                db::users::held_qualifications(conn, &id)
            })
        })
        .await?;
    Ok(web::Json(
        rows.into_iter().map(|r| held_view(r, today)).collect(),
    ))
}

/// Withdraw a qualification (admin, manager).
#[utoipa::path(tag = "users", responses(
    (status = 204, description = "withdrawn"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[delete("/users/{id}/qualifications/{qualification_id}")]
async fn withdraw_user_qualification(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (id, qualification_id) = path.into_inner();
    let (id, qualification_id) = (id.to_string(), qualification_id.to_string());
    state
        .db(move |conn| {
            visible_user(conn, &user, &id)?;
            user.require(&[Role::Admin, Role::Manager])?;
            db::write_transaction(conn, |conn| {
                if !db::users::withdraw_qualification(conn, &id, &qualification_id)? {
                    return Err(ApiError::not_found());
                }
                db::audit::record(
                    conn,
                    Some(&user.id),
                    "user",
                    &id,
                    "qualification_withdrawn",
                    serde_json::json!({ "qualification_id": qualification_id }),
                )
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
