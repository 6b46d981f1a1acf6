//! Password reset by e-mail: a single-use token valid one hour, stored only as its SHA-256,
//! e-mailed through the outbox in the transaction that records it.

use crate::auth;
use crate::db::{self, DbConnection};
use crate::domain::accounts::{
    check_email, check_password, link_state_at, may_send_reset, LinkState, RESET_SECONDS,
};
use crate::domain::validate::Checks;
use crate::error::{ApiError, ApiResult};
use crate::mail::content::{Facts, PasswordResetFacts};
use crate::state::AppState;
use crate::usecases::rate_limits::Scope;

/// The answer to every reset asked for, whether or not the address has an account.
pub const RESET_RECEIPT: &str = "Demande reçue. Si un compte actif utilise cette adresse, un e-mail vient d'y partir avec un lien valable une heure pour choisir un nouveau mot de passe.";

/// A reset asked for through either door, the API's `POST /public/password-resets` or the
/// page « Mot de passe oublié »: the address's shape, then the limit per client address
/// (shared by both doors), then `request`. Answers the same whether or not the address has
/// an account.
pub async fn ask(state: &AppState, client: &str, email: &str) -> ApiResult<()> {
    let now = state.now();
    let mut checks = Checks::new();
    let email = check_email(&mut checks, "email", email);
    checks.finish()?;
    crate::usecases::rate_limits::admit_public(state, Scope::PasswordReset, client).await?;
    state.db(move |conn| request(conn, now, &email)).await
}

/// A new password chosen through a reset link, by either door: its length, its hash
/// (computed outside any transaction: on SQLite it would hold the write lock meanwhile),
/// then `reset`.
pub async fn choose(state: &AppState, token: String, password: String) -> ApiResult<()> {
    let now = state.now();
    let mut checks = Checks::new();
    check_password(&mut checks, "password", &password);
    checks.finish()?;
    let hash = crate::passwords::hash(password).await?;
    state.db(move |conn| reset(conn, now, &token, hash)).await
}

/// Reads what a reset link is worth, without using it.
pub fn link_state(conn: &mut DbConnection, now: i64, token: &str) -> ApiResult<LinkState> {
    let Some(reset) = db::outbox::find_password_reset(conn, &auth::token_hash(token.trim()))?
    else {
        return Ok(LinkState::Unknown);
    };
    Ok(link_state_at(
        reset.consumed_at.is_some(),
        reset.expires_at,
        now,
    ))
}

/// Asks for a reset of the account of `email` (normalised). Only an active account gets an
/// e-mail; the caller answers the same whatever happened, so that the form tells nobody
/// which addresses have an account.
pub fn request(conn: &mut DbConnection, now: i64, email: &str) -> ApiResult<()> {
    db::write_transaction(conn, |conn| {
        let Some(user) = db::users::find_by_email(conn, email)?.filter(|u| u.active) else {
            return Ok(());
        };
        if !may_send_reset(db::outbox::latest_password_reset_at(conn, &user.id)?, now) {
            return Ok(());
        }
        // A new link replaces the earlier ones.
        db::outbox::consume_password_resets(conn, now, &user.id, None)?;
        let token = auth::random_token();
        let expires_at = now + RESET_SECONDS;
        let id = db::outbox::insert_password_reset(
            conn,
            now,
            &user.id,
            &auth::token_hash(&token),
            expires_at,
        )?;
        super::outbox::enqueue(
            conn,
            now,
            &user.id,
            &Facts::PasswordReset(PasswordResetFacts {
                display_name: user.display_name.clone(),
                token,
                expires_at,
            }),
        )?;
        db::audit::record(
            conn,
            now,
            None,
            "user",
            &user.id,
            "password_reset_requested",
            serde_json::json!({ "password_reset_id": id }),
        )
    })
}

/// Sets the password of the account a reset token was sent to (`password_hash`, computed
/// by the caller outside any transaction) and closes all its sessions. The token works
/// once, within the hour.
pub fn reset(
    conn: &mut DbConnection,
    now: i64,
    token: &str,
    password_hash: String,
) -> ApiResult<()> {
    db::write_transaction(conn, |conn| {
        let invalid = || {
            ApiError::field(
                "token",
                "invalid_token",
                "lien de changement de mot de passe inconnu, déjà utilisé ou expiré",
            )
        };
        let reset = db::outbox::find_password_reset(conn, &auth::token_hash(token.trim()))?
            .ok_or_else(invalid)?;
        if link_state_at(reset.consumed_at.is_some(), reset.expires_at, now) != LinkState::Usable {
            return Err(invalid());
        }
        // Used once, atomically: of two uses at once, one loses here.
        if !db::outbox::consume_password_resets(conn, now, &reset.user_id, Some(&reset.id))? {
            return Err(invalid());
        }
        let mut user = db::users::find(conn, &reset.user_id)?
            .filter(|u| u.active)
            .ok_or_else(invalid)?;
        user.password_hash = password_hash;
        user.updated_at = now;
        db::users::update(conn, &user)?;
        // Whoever knew the old password, or holds a session opened with it, is out.
        db::tokens::revoke_all_of_user(conn, now, &user.id)?;
        db::audit::record(
            conn,
            now,
            Some(&user.id),
            "user",
            &user.id,
            "password_reset",
            serde_json::json!({ "password_reset_id": reset.id }),
        )
    })
}
