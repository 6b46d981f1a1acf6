//! `/auth/*` and `/me`: logging in, refreshing and closing sessions, one's own account.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};

use super::extract::JsonBody;
use crate::auth::{CurrentUser, TokenKeys};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use crate::usecases::auth as sessions;
use crate::views::auth::{LoginRequest, RefreshRequest, TokenView};
use crate::views::users::{OwnAccountChanges, UserView};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(login)
        .service(refresh)
        .service(logout)
        .service(show_me)
        .service(update_me);
}

/// Log in with e-mail and password.
///
/// Limited per client address (30 attempts a minute by default) and per account (after 5
/// failures in a row, refused for a minute, doubling up to 15 minutes; a success forgets
/// them); when too many password checks are already running or waiting, refused at once.
/// Every refusal is 429 with `Retry-After`.
#[utoipa::path(tag = "auth", security(()), request_body = LoginRequest, responses(
    (status = 200, body = TokenView),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json",
        description = "`account_inactive`: the account is deactivated or not confirmed yet"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 429, body = Problem, content_type = "application/problem+json",
        description = "`rate_limited` (this address), `too_many_failures` (this account) or `too_many_logins` (the service is busy checking passwords); see `Retry-After`",
        headers(("Retry-After" = u64, description = "seconds to wait")))))]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    keys: web::Data<TokenKeys>,
    req: HttpRequest,
    body: JsonBody<LoginRequest>,
) -> ApiResult<web::Json<TokenView>> {
    let now = state.now();
    let LoginRequest { email, password } = body.0;
    let client = super::client_address(&req);
    let user = sessions::authenticate(&state, &client, &email, password).await?;
    let tokens = state
        .db(move |conn| sessions::open_session(conn, now, &keys, user))
        .await?;
    Ok(web::Json(TokenView::new(tokens, &state.timezone)?))
}

/// Exchange a refresh token for a new access token and a new refresh token.
///
/// A refresh token works once. Presenting one that was already used closes the whole
/// session (every token issued since that login), since it may have been stolen.
#[utoipa::path(tag = "auth", security(()), request_body = RefreshRequest, responses(
    (status = 200, body = TokenView),
    (status = 401, body = Problem, content_type = "application/problem+json")))]
#[post("/auth/refresh")]
async fn refresh(
    state: web::Data<AppState>,
    keys: web::Data<TokenKeys>,
    body: JsonBody<RefreshRequest>,
) -> ApiResult<web::Json<TokenView>> {
    let now = state.now();
    let tokens = state
        .db(move |conn| sessions::refresh(conn, now, &keys, &body.0.refresh_token))
        .await?;
    Ok(web::Json(TokenView::new(tokens, &state.timezone)?))
}

/// Close the session of a refresh token (every token issued since its login).
#[utoipa::path(tag = "auth", security(()), request_body = RefreshRequest, responses(
    (status = 204, description = "session closed (also when the token was unknown)")))]
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    body: JsonBody<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    state
        .db(move |conn| sessions::logout(conn, now, &body.0.refresh_token))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's own account.
#[utoipa::path(tag = "auth", responses(
    (status = 200, body = UserView),
    (status = 401, body = Problem, content_type = "application/problem+json")))]
#[get("/me")]
async fn show_me(state: web::Data<AppState>, user: CurrentUser) -> ApiResult<web::Json<UserView>> {
    let account = state.db(move |conn| sessions::me(conn, &user)).await?;
    Ok(web::Json(UserView::new(account, &state.timezone)?))
}

/// Change one's display name or password.
#[utoipa::path(tag = "auth", request_body = OwnAccountChanges, responses(
    (status = 200, body = UserView),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 429, body = Problem, content_type = "application/problem+json",
        description = "`too_many_failures` (wrong current passwords) or `too_many_logins` (the service is busy checking passwords); see `Retry-After`",
        headers(("Retry-After" = u64, description = "seconds to wait")))))]
#[patch("/me")]
async fn update_me(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<OwnAccountChanges>,
) -> ApiResult<web::Json<UserView>> {
    let change = body.0.draft()?;
    let account = sessions::change_own_account(&state, &user, change).await?;
    Ok(web::Json(UserView::new(account, &state.timezone)?))
}
