//! Sessions: opening one at login, refreshing it, closing it, and one's own account. The
//! password checks themselves run outside any connection (`passwords`), before these.

use crate::auth::{self, CurrentUser, TokenKeys, REFRESH_TOKEN_SECONDS};
use crate::db::{self, users::Account, users::UserRow, DbConnection};
use crate::domain::accounts::{normalise_email, OwnAccountChange};
use crate::domain::rate_limits::account_key;
use crate::domain::Role;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;
use crate::usecases::rate_limits::{self, LoginRefusal};

/// The tokens of a session just opened or refreshed, and whose they are.
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub account: Account,
}

pub fn invalid_credentials() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidCredentials,
        "Adresse e-mail ou mot de passe incorrect.",
    )
}

fn invalid_refresh() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidRefreshToken,
        "Ce jeton de renouvellement n'est plus valable : reconnectez-vous.",
    )
}

fn account_gone() -> ApiError {
    ApiError::unauthenticated("Ce compte n'existe plus.")
}

/// The account of an e-mail address, if any (its password is checked by the caller).
pub fn account_by_email(conn: &mut DbConnection, email: &str) -> ApiResult<Option<UserRow>> {
    db::users::find_by_email(conn, email)
}

/// Checks an e-mail and password, for the API's login and the web page's alike: the limits
/// per client address and per account, then one turn of the password gate for the look-up
/// and the check (the connection is given back before hashing). Answers the account, active.
pub async fn authenticate(
    state: &AppState,
    client: &str,
    email: &str,
    password: String,
) -> ApiResult<UserRow> {
    let email = normalise_email(email);
    let account_key = account_key(&email);
    // The cheap refusals come first, before any hashing: from memory when this instance
    // already knows the refusal or the password gate is full, else one short count on a
    // connection.
    let now = state.now();
    let backoff = state.login_backoff;
    let admitted = rate_limits::admit_login_attempt(state, now, client, &account_key).await?;
    let had_failures = admitted.map_err(|refusal| match refusal {
        LoginRefusal::Address(wait) => ApiError::too_many(ErrorCode::RateLimited,
            format!("Trop de tentatives de connexion depuis cette adresse : réessayez dans {wait} secondes."),
            wait,
        ),
        LoginRefusal::Account(wait) => ApiError::too_many(
            ErrorCode::TooManyFailures,
            format!("Trop d'échecs de connexion pour ce compte : réessayez dans {wait} secondes."),
            wait,
        ),
    })?;
    let turn = state.password_gate.admit().await?;
    let user = {
        let email = email.clone();
        state.db(move |conn| account_by_email(conn, &email)).await?
    };
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let matches = crate::passwords::verify(password, hash).await?;
    drop(turn);
    let user = match user {
        Some(user) if matches => user,
        _ => {
            let now = state.now();
            state
                .db(move |conn| rate_limits::login_failed(conn, now, backoff, &account_key))
                .await?;
            return Err(invalid_credentials());
        }
    };
    if had_failures {
        state
            .db(move |conn| rate_limits::login_succeeded(conn, &account_key))
            .await?;
    }
    require_active(&user)?;
    Ok(user)
}

/// Refuses an account that may not log in.
pub fn require_active(user: &UserRow) -> ApiResult<()> {
    if user.active {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::AccountInactive,
            "Ce compte n'est pas (ou plus) actif : contactez la direction du campus.",
        ))
    }
}

/// Opens a session for an account whose password was just checked.
pub fn open_session(
    conn: &mut DbConnection,
    now: i64,
    keys: &TokenKeys,
    user: UserRow,
) -> ApiResult<IssuedTokens> {
    issue_tokens(conn, now, keys, user, &db::new_id())
}

/// Issues an access token and a new refresh token of `family_id`.
fn issue_tokens(
    conn: &mut DbConnection,
    now: i64,
    keys: &TokenKeys,
    user: UserRow,
    family_id: &str,
) -> ApiResult<IssuedTokens> {
    let role = Role::from_db(&user.role)?;
    let caller = CurrentUser {
        id: user.id.clone(),
        role,
        organisation_id: user.organisation_id.clone(),
        session_id: family_id.to_owned(),
        awaiting_approval: user.awaiting_approval,
    };
    let access_token = keys.issue(&caller, now)?;
    let refresh_token = auth::random_token();
    db::tokens::insert(
        conn,
        now,
        &user.id,
        family_id,
        &auth::token_hash(&refresh_token),
        now + REFRESH_TOKEN_SECONDS,
    )?;
    Ok(IssuedTokens {
        access_token,
        refresh_token,
        account: db::users::account(conn, user)?,
    })
}

/// Exchanges a refresh token for new tokens. A token works once: presenting one already
/// used closes its whole session, which stays closed even though the answer is a refusal.
pub fn refresh(
    conn: &mut DbConnection,
    now: i64,
    keys: &TokenKeys,
    token: &str,
) -> ApiResult<IssuedTokens> {
    let hash = auth::token_hash(token.trim());
    // A reuse commits the closing of the session, then answers its refusal.
    db::write_transaction(conn, |conn| {
        let token = db::tokens::find_by_hash(conn, &hash)?.ok_or_else(invalid_refresh)?;
        // Used once, atomically: every other use, concurrent or later, is a reuse.
        if token.revoked_at.is_some() || !db::tokens::consume(conn, now, &token.id)? {
            db::tokens::revoke_family(conn, now, &token.family_id)?;
            return Ok(Err(ApiError::new(ErrorCode::SessionClosed,
                "Cette session est fermée (déconnexion, ou jeton de renouvellement déjà utilisé, auquel cas elle est fermée par précaution) : reconnectez-vous.",
            )));
        }
        if token.expires_at <= now {
            return Err(invalid_refresh());
        }
        let user = db::users::find(conn, &token.user_id)?
            .filter(|u| u.active)
            .ok_or_else(invalid_refresh)?;
        issue_tokens(conn, now, keys, user, &token.family_id).map(Ok)
    })?
}

/// Closes the session of a refresh token (every token issued since its login); an unknown
/// token closes nothing.
pub fn logout(conn: &mut DbConnection, now: i64, token: &str) -> ApiResult<()> {
    let hash = auth::token_hash(token.trim());
    if let Some(token) = db::tokens::find_by_hash(conn, &hash)? {
        db::tokens::revoke_family(conn, now, &token.family_id)?;
    }
    Ok(())
}

/// The caller's own account.
pub fn me(conn: &mut DbConnection, actor: &CurrentUser) -> ApiResult<Account> {
    let row = db::users::find(conn, &actor.id)?.ok_or_else(account_gone)?;
    db::users::account(conn, row)
}

/// The caller's account for a password change: the hash to check the current password
/// against.
pub fn own_password_hash(conn: &mut DbConnection, actor: &CurrentUser) -> ApiResult<UserRow> {
    db::users::find(conn, &actor.id)?.ok_or_else(account_gone)
}

/// Checks the current password and hashes the new one, through the password gate and
/// outside any database connection; answers the hash checked and the new one. Failures
/// count against the account as failed logins do, so a stolen access token does not open
/// a way around their limit.
async fn new_password_hash(
    state: &AppState,
    user: &CurrentUser,
    current: &str,
    new_password: &str,
) -> ApiResult<(String, String)> {
    let turn = state.password_gate.admit().await?;
    let row = {
        let user = user.clone();
        state.db(move |conn| own_password_hash(conn, &user)).await?
    };
    let account_key = account_key(&row.email);
    let now = state.now();
    let backoff = state.login_backoff;
    let locked = rate_limits::account_lock(state, now, &account_key).await?;
    locked.map_err(|wait| {
        ApiError::too_many(
            ErrorCode::TooManyFailures,
            format!(
                "Trop d'échecs de mot de passe pour ce compte : réessayez dans {wait} secondes."
            ),
            wait,
        )
    })?;
    if !crate::passwords::verify(current.to_owned(), Some(row.password_hash.clone())).await? {
        let now = state.now();
        state
            .db(move |conn| rate_limits::login_failed(conn, now, backoff, &account_key))
            .await?;
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

/// A change to one's own account through either door, the API's `PATCH /me` or the page
/// « Mon compte »: a new password is checked against the current one and hashed first
/// (`new_password_hash`), then `update_me`.
pub async fn change_own_account(
    state: &AppState,
    actor: &CurrentUser,
    change: OwnAccountChange,
) -> ApiResult<Account> {
    let new_password = match &change.passwords {
        Some(passwords) => {
            Some(new_password_hash(state, actor, &passwords.current, &passwords.new).await?)
        }
        None => None,
    };
    let now = state.now();
    let display_name = change.display_name;
    let actor = actor.clone();
    state
        .db(move |conn| update_me(conn, &actor, now, display_name, new_password))
        .await
}

/// Changes one's display name or password. `new_password` holds the hash the current
/// password was checked against and the new hash, both computed outside any connection; a
/// password changed meanwhile by another request refuses the change. A new password closes
/// every other session of the account.
pub fn update_me(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    display_name: Option<String>,
    new_password: Option<(String, String)>,
) -> ApiResult<Account> {
    db::write_transaction(conn, |conn| {
        let mut row = db::users::find(conn, &actor.id)?.ok_or_else(account_gone)?;
        if let Some(name) = display_name.clone() {
            row.display_name = name;
        }
        if let Some((checked, new_hash)) = &new_password {
            // Changed by another request since it was checked: that check no longer holds.
            if &row.password_hash != checked {
                return Err(ApiError::new(
                    ErrorCode::ConcurrentUpdate,
                    "Le mot de passe vient d'être changé par une autre requête ; réessayez.",
                ));
            }
            row.password_hash = new_hash.clone();
        }
        row.updated_at = now;
        db::users::update(conn, &row)?;
        if new_password.is_some() {
            // Whoever else knew the old password is logged out; this session stays.
            db::tokens::revoke_other_sessions(conn, now, &row.id, &actor.session_id)?;
        }
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "user",
            &row.id,
            "updated",
            serde_json::json!({ "display_name": display_name, "password_changed": new_password.is_some() }),
        )?;
        db::users::account(conn, row)
    })
}
