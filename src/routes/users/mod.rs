//! `/users` and `/users/{id}/qualifications`: accounts, roles and qualifications held.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use uuid::Uuid;

use super::created;
use super::extract::JsonBody;
use crate::access;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use crate::usecases::{accounts, users};
use crate::views::service_requests::ContactAwaitingApprovalView;
use crate::views::users::{
    AwardQualification, HeldQualificationView, NewUser, UserChanges, UserQuery, UserView,
};
use crate::views::Paged;

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
    access::require_account_reader(&user)?;
    let page = query.page()?;
    let Some(filter) = access::user_list_scope(&user, query.filter()) else {
        // Another organisation's accounts: nothing the caller may see.
        return Ok(web::Json(Paged {
            items: Vec::new(),
            next_cursor: None,
        }));
    };
    let listed = state
        .db(move |conn| users::list(conn, &filter, &page))
        .await?;
    let tz = state.timezone;
    Ok(web::Json(Paged::of(listed, |a| UserView::new(a, &tz))?))
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
    let now = state.now();
    let body = body.0;
    access::require_may_create_role(&user, body.role)?;
    let draft = body.draft();
    let account = state
        .db(move |conn| accounts::invite(conn, &user, now, draft))
        .await?;
    let view = UserView::new(account, &state.timezone)?;
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
    let rows = state
        .db(move |conn| accounts::contacts_awaiting_approval(conn, &user))
        .await?;
    let tz = state.timezone;
    Ok(web::Json(
        rows.into_iter()
            .map(|(row, company_name, siret)| {
                ContactAwaitingApprovalView::new(row, company_name, siret, &tz)
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
    let now = state.now();
    let id = id.into_inner().to_string();
    let account = state
        .db(move |conn| accounts::approve_contact(conn, &user, now, &id))
        .await?;
    Ok(web::Json(UserView::new(account, &state.timezone)?))
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
    let account = state.db(move |conn| users::find(conn, &user, &id)).await?;
    Ok(web::Json(UserView::new(account, &state.timezone)?))
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
    let now = state.now();
    let id = id.into_inner().to_string();
    // Refused only once the caller is known to see the account and to administer accounts.
    let change = body.0.draft(id == user.id);
    let account = state
        .db(move |conn| users::update(conn, &user, now, &id, change))
        .await?;
    Ok(web::Json(UserView::new(account, &state.timezone)?))
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
    let today = state.today();
    let rows = state
        .db(move |conn| users::held_qualifications(conn, &user, &id))
        .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|r| HeldQualificationView::new(r, today))
            .collect(),
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
    let now = state.now();
    let id = id.into_inner().to_string();
    let award = body.0.award();
    let today = state.today();
    let rows = state
        .db(move |conn| users::award_qualification(conn, &user, now, &id, award, today))
        .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|r| HeldQualificationView::new(r, today))
            .collect(),
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
    let now = state.now();
    let (id, qualification_id) = path.into_inner();
    let (id, qualification_id) = (id.to_string(), qualification_id.to_string());
    state
        .db(move |conn| users::withdraw_qualification(conn, &user, now, &id, &qualification_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
