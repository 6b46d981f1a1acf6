//! `/auth/*` and `/me`: logging in, refreshing and closing sessions, one's own account.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};

use crate::app::AppState;
use crate::auth::{self, CurrentUser, TokenKeys, REFRESH_TOKEN_SECONDS};
use crate::db::{self, users::UserRow};
use crate::domain::accounts::{check_password, normalise_email};
use crate::domain::validate::Checks;
use crate::domain::Role;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::extract::JsonBody;
use crate::routes::users::{account_view, user_view};
use crate::views::auth::{LoginRequest, RefreshRequest, TokenView};
use crate::views::users::{OwnAccountChanges, UserView};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(login)
        .service(refresh)
        .service(logout)
        .service(show_me)
        .service(update_me);
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "Identifiants incorrects",
        "Adresse e-mail ou mot de passe incorrect.",
    )
}

fn invalid_refresh() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
        "Session expirée",
        "Ce jeton de renouvellement n'est plus valable : reconnectez-vous.",
    )
}

/// Issues an access token and a new refresh token of `family_id`.
fn issue_tokens(
    conn: &mut db::DbConnection,
    keys: &TokenKeys,
    user: &UserRow,
    family_id: &str,
    tz: &chrono_tz::Tz,
) -> ApiResult<TokenView> {
    let role = Role::from_db(&user.role)?;
    let caller = CurrentUser {
        id: user.id.clone(),
        role,
        organisation_id: user.organisation_id.clone(),
        session_id: family_id.to_owned(),
        awaiting_approval: user.awaiting_approval,
    };
    let now = db::now();
    let access_token = keys.issue(&caller, now)?;
    let refresh_token = auth::random_token();
    db::tokens::insert(
        conn,
        &user.id,
        family_id,
        &auth::token_hash(&refresh_token),
        now + REFRESH_TOKEN_SECONDS,
    )?;
    let managed = db::users::managed_platform_ids(conn, &user.id)?;
    Ok(TokenView {
        access_token,
        token_type: "Bearer".into(),
        expires_in: auth::ACCESS_TOKEN_SECONDS,
        refresh_token,
        refresh_expires_in: REFRESH_TOKEN_SECONDS,
        user: user_view(user.clone(), managed, tz)?,
    })
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
    let LoginRequest { email, password } = body.0;
    let email = normalise_email(&email);
    // The cheap refusals come first, before any database work or hashing.
    let client = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned());
    state.login_limiter.hit(&client).map_err(|wait| {
        ApiError::too_many(
            "rate_limited",
            format!("Trop de tentatives de connexion depuis cette adresse : réessayez dans {wait} secondes."),
            wait,
        )
    })?;
    let locked = |wait| {
        ApiError::too_many(
            "too_many_failures",
            format!("Trop d'échecs de connexion pour ce compte : réessayez dans {wait} secondes."),
            wait,
        )
    };
    state.login_throttle.check(&email).map_err(locked)?;

    // One turn of the password gate covers the look-up and the check; the connection is
    // given back before hashing.
    let turn = state.password_gate.admit().await?;
    let user = {
        let email = email.clone();
        state
            .db(move |conn| db::users::find_by_email(conn, &email))
            .await?
    };
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let matches = crate::passwords::verify(password, hash).await?;
    drop(turn);
    let user = match user {
        Some(user) if matches => user,
        _ => {
            state.login_throttle.failed(&email);
            return Err(invalid_credentials());
        }
    };
    state.login_throttle.succeeded(&email);
    if !user.active {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "account_inactive",
            "Compte inactif",
            "Ce compte n'est pas (ou plus) actif : contactez la direction du campus.",
        ));
    }
    let tz = state.timezone;
    let view = state
        .db(move |conn| issue_tokens(conn, &keys, &user, &db::new_id(), &tz))
        .await?;
    Ok(web::Json(view))
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
    let hash = auth::token_hash(body.0.refresh_token.trim());
    let tz = state.timezone;
    let outcome = state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let token = db::tokens::find_by_hash(conn, &hash)?.ok_or_else(invalid_refresh)?;
                // Used once, atomically: every other use, concurrent or later, is a reuse.
                if token.revoked_at.is_some() || !db::tokens::consume(conn, &token.id)? {
                    db::tokens::revoke_family(conn, &token.family_id)?;
                    return Ok(Err(ApiError::new(
                        actix_web::http::StatusCode::UNAUTHORIZED,
                        "session_closed",
                        "Session fermée",
                        "Cette session est fermée (déconnexion, ou jeton de renouvellement déjà utilisé, auquel cas elle est fermée par précaution) : reconnectez-vous.",
                    )));
                }
                if token.expires_at <= db::now() {
                    return Err(invalid_refresh());
                }
                let user = db::users::find(conn, &token.user_id)?.filter(|u| u.active).ok_or_else(invalid_refresh)?;
                issue_tokens(conn, &keys, &user, &token.family_id, &tz).map(Ok)
            })
        })
        .await?;
    // The family revocation above must be committed, so the refusal is returned afterwards.
    Ok(web::Json(outcome?))
}

/// Close the session of a refresh token (every token issued since its login).
#[utoipa::path(tag = "auth", security(()), request_body = RefreshRequest, responses(
    (status = 204, description = "session closed (also when the token was unknown)")))]
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    body: JsonBody<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let hash = auth::token_hash(body.0.refresh_token.trim());
    state
        .db(move |conn| {
            if let Some(token) = db::tokens::find_by_hash(conn, &hash)? {
                db::tokens::revoke_family(conn, &token.family_id)?;
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's own account.
#[utoipa::path(tag = "auth", responses(
    (status = 200, body = UserView),
    (status = 401, body = Problem, content_type = "application/problem+json")))]
#[get("/me")]
async fn show_me(state: web::Data<AppState>, user: CurrentUser) -> ApiResult<web::Json<UserView>> {
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            let row = db::users::find(conn, &user.id)?
                .ok_or_else(|| ApiError::unauthenticated("Ce compte n'existe plus."))?;
            account_view(conn, row, &tz)
        })
        .await?;
    Ok(web::Json(view))
}

/// Checks the current password and hashes the new one, through the password gate and
/// outside any database connection; answers the hash checked and the new one. Failures
/// count against the account as failed logins do, so a stolen access token does not open
/// a way around their limit.
async fn new_password_hash(
    state: &AppState,
    user_id: &str,
    current: &str,
    new_password: &str,
) -> ApiResult<(String, String)> {
    let turn = state.password_gate.admit().await?;
    let row = {
        let user_id = user_id.to_owned();
        state
            .db(move |conn| db::users::find(conn, &user_id))
            .await?
            .ok_or_else(|| ApiError::unauthenticated("Ce compte n'existe plus."))?
    };
    state.login_throttle.check(&row.email).map_err(|wait| {
        ApiError::too_many(
            "too_many_failures",
            format!(
                "Trop d'échecs de mot de passe pour ce compte : réessayez dans {wait} secondes."
            ),
            wait,
        )
    })?;
    if !crate::passwords::verify(current.to_owned(), Some(row.password_hash.clone())).await? {
        state.login_throttle.failed(&row.email);
        return Err(ApiError::field(
            "current_password",
            "incorrect",
            "mot de passe actuel incorrect",
        ));
    }
    let new_hash = crate::passwords::hash(new_password.to_owned()).await?;
    drop(turn);
    Ok((row.password_hash, new_hash))
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
    let changes = body.0;
    let mut checks = Checks::new();
    let display_name = changes
        .display_name
        .as_deref()
        .map(|n| checks.text("display_name", n, 1, 200));
    if let Some(new_password) = &changes.new_password {
        check_password(&mut checks, "new_password", new_password);
        if changes.current_password.is_none() {
            checks.fail(
                "current_password",
                "required",
                "le mot de passe actuel est nécessaire pour le changer",
            );
        }
    }
    checks.finish()?;
    let new_hash = match (&changes.new_password, &changes.current_password) {
        (Some(new_password), Some(current)) => {
            Some(new_password_hash(&state, &user.id, current, new_password).await?)
        }
        _ => None,
    };
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                let mut row = db::users::find(conn, &user.id)?.ok_or_else(|| ApiError::unauthenticated("Ce compte n'existe plus."))?;
                if let Some(name) = display_name.clone() {
                    row.display_name = name;
                }
                if let Some((checked, new_hash)) = &new_hash {
                    // Changed by another request since it was checked: that check no longer holds.
                    if &row.password_hash != checked {
                        return Err(ApiError::conflict("concurrent_update", "Le mot de passe vient d'être changé par une autre requête ; réessayez."));
                    }
                    row.password_hash = new_hash.clone();
                }
                row.updated_at = db::now();
                db::users::update(conn, &row)?;
                if changes.new_password.is_some() {
                    // Whoever else knew the old password is logged out; this session stays.
                    db::tokens::revoke_other_sessions(conn, &row.id, &user.session_id)?;
                }
                db::audit::record(conn, Some(&user.id), "user", &row.id, "updated",
                    serde_json::json!({ "display_name": display_name, "password_changed": changes.new_password.is_some() }))?;
                account_view(conn, row, &tz)
            })
        })
        .await?;
    Ok(web::Json(view))
}
