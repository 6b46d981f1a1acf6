//! Accounts between creation and use: confirmation tokens issued by the staff, and company
//! contacts waiting for someone to vouch for them. Each write is one transaction here.

use crate::auth::{self, CurrentUser};
use crate::db::{self, confirmations::PendingRow, users::UserRow, DbConnection};
use crate::domain::Role;
use crate::error::{ApiError, ApiResult};
use crate::mail::content::{AccountConfirmationFacts, Facts};

/// Opens a confirmation for an account not confirmed yet and queues the e-mail that carries
/// its token to the account's address, in the caller's transaction; returns its id, its
/// token (only its hash is stored, and the outbox forgets it once the e-mail is sent) and
/// its expiry.
pub fn open_confirmation(
    conn: &mut DbConnection,
    user_id: &str,
) -> ApiResult<(String, String, i64)> {
    let token = auth::random_token();
    let expires_at = db::now() + auth::CONFIRMATION_SECONDS;
    let id = db::confirmations::insert(conn, user_id, &auth::token_hash(&token), expires_at)?;
    let user = db::users::find(conn, user_id)?.ok_or_else(ApiError::not_found)?;
    let organisation = db::organisations::find(conn, &user.organisation_id)?
        .map(|o| o.name)
        .unwrap_or_default();
    crate::outbox::enqueue(
        conn,
        user_id,
        &Facts::AccountConfirmation(AccountConfirmationFacts {
            display_name: user.display_name,
            organisation,
            token: token.clone(),
            expires_at,
        }),
    )?;
    Ok((id, token, expires_at))
}

/// Confirmations not used yet (administrators only).
pub fn pending_confirmations(
    conn: &mut DbConnection,
    actor: &CurrentUser,
) -> ApiResult<Vec<PendingRow>> {
    actor.require(&[Role::Admin])?;
    db::confirmations::pending(conn)
}

/// Replaces a pending confirmation with a fresh one and returns its token (only its hash is
/// stored); the fresh token is also e-mailed to the person. For an administrator who passes
/// the token on by other means.
pub fn issue_confirmation_token(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    confirmation_id: &str,
) -> ApiResult<(String, UserRow, String, i64)> {
    renew_confirmation(conn, actor, confirmation_id, "confirmation_issued")
}

/// "Send again": replaces a pending confirmation with a fresh one, whose token only the
/// e-mail queued to the person carries; returns the new confirmation's id, the account and
/// the expiry.
pub fn send_confirmation_again(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    confirmation_id: &str,
) -> ApiResult<(String, UserRow, i64)> {
    let (id, user, _token, expires_at) =
        renew_confirmation(conn, actor, confirmation_id, "confirmation_sent")?;
    Ok((id, user, expires_at))
}

fn renew_confirmation(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    confirmation_id: &str,
    action: &str,
) -> ApiResult<(String, UserRow, String, i64)> {
    actor.require(&[Role::Admin])?;
    db::write_transaction(conn, |conn| {
        let confirmation = db::confirmations::find(conn, confirmation_id)?
            .filter(|c| c.consumed_at.is_none())
            .ok_or_else(ApiError::not_found)?;
        let user = db::users::find(conn, &confirmation.user_id)?
            .filter(|u| !u.active)
            .ok_or_else(ApiError::not_found)?;
        db::confirmations::consume_all_of_user(conn, &user.id)?;
        let (id, token, expires_at) = open_confirmation(conn, &user.id)?;
        db::audit::record(
            conn,
            Some(&actor.id),
            "user",
            &user.id,
            action,
            serde_json::json!({ "confirmation_id": id }),
        )?;
        Ok((id, user, token, expires_at))
    })
}

/// Who may vouch for contacts of `company_id`: the staff, or an approved contact of it.
fn may_approve_for(actor: &CurrentUser, company_id: &str) -> bool {
    match actor.role {
        Role::Admin | Role::Manager => true,
        Role::Company => !actor.awaiting_approval && actor.organisation_id == company_id,
        Role::Teacher | Role::Observer => false,
    }
}

/// Contacts waiting for approval that the caller may approve, with company name and SIRET.
pub fn contacts_awaiting_approval(
    conn: &mut DbConnection,
    actor: &CurrentUser,
) -> ApiResult<Vec<(UserRow, String, Option<String>)>> {
    match actor.role {
        Role::Admin | Role::Manager => db::users::awaiting_approval(conn, None),
        Role::Company if !actor.awaiting_approval => {
            db::users::awaiting_approval(conn, Some(&actor.organisation_id))
        }
        _ => Err(ApiError::forbidden(
            "Seuls les contacts approuvés d'une entreprise et l'équipe du campus approuvent des contacts.",
        )),
    }
}

/// Vouches for a contact awaiting approval: from now on they act for their company.
pub fn approve_contact(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    user_id: &str,
) -> ApiResult<UserRow> {
    db::write_transaction(conn, |conn| {
        let mut user = db::users::find(conn, user_id)?
            .filter(|u| crate::domain::accounts::can_see_user(actor, &u.id, &u.organisation_id))
            .ok_or_else(ApiError::not_found)?;
        if !user.awaiting_approval {
            return Err(ApiError::conflict(
                "not_awaiting_approval",
                "Ce compte n'attend pas d'accord.",
            ));
        }
        if !may_approve_for(actor, &user.organisation_id) || actor.id == user.id {
            return Err(ApiError::forbidden(
                "Seuls un contact approuvé de cette entreprise et l'équipe du campus approuvent ce compte.",
            ));
        }
        user.awaiting_approval = false;
        user.updated_at = db::now();
        db::users::update(conn, &user)?;
        db::audit::record(
            conn,
            Some(&actor.id),
            "user",
            &user.id,
            "approved",
            serde_json::json!({ "organisation_id": user.organisation_id }),
        )?;
        Ok(user)
    })
}
