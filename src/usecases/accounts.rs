//! Accounts from creation to use: creating one (invitations by the staff, the command line,
//! the demo, the bench data, public sign-up), confirmation tokens, confirming an address,
//! and company contacts waiting for someone to vouch for them.

use uuid::Uuid;

use crate::access;
use crate::auth::{self, CurrentUser};
use crate::db::users::{Account, UserRow};
use crate::db::{self, confirmations::PendingRow, DbConnection};
use crate::domain::accounts::{
    check_email, check_password, check_role_fits_organisation, link_state_at, AccountDraft,
    LinkState,
};
use crate::domain::validate::Checks;
use crate::domain::{OrganisationKind, Role};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::mail::content::{AccountConfirmationFacts, Facts};
use crate::state::AppState;

/// Checks that the platforms exist; returns their ids as text.
pub(super) fn check_platforms(conn: &mut DbConnection, ids: &[Uuid]) -> ApiResult<Vec<String>> {
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

pub(super) fn organisation_kind(conn: &mut DbConnection, id: &str) -> ApiResult<OrganisationKind> {
    let kind = db::users::organisation_kind(conn, id)?.ok_or_else(|| {
        ApiError::field(
            "organisation_id",
            "unknown_reference",
            "organisation inconnue",
        )
    })?;
    Ok(OrganisationKind::from_db(&kind)?)
}

/// Creates an account: an invitation (no password) or, for the command line, the demo and
/// the bench data, an active account. `actor` is who creates it, for the audit trail.
pub fn create_account(
    conn: &mut DbConnection,
    actor: Option<&str>,
    now: i64,
    draft: AccountDraft,
) -> ApiResult<Account> {
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
            return Err(ApiError::new(
                ErrorCode::EmailTaken,
                "Un compte existe déjà avec cette adresse e-mail.",
            ));
        }
        let managed = check_platforms(conn, &draft.managed_platform_ids)?;
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
            open_confirmation(conn, now, &row.id)?;
        }
        db::audit::record(
            conn,
            now,
            actor,
            "user",
            &row.id,
            "created",
            serde_json::json!({
                "email": row.email, "role": row.role, "organisation_id": row.organisation_id, "managed_platform_ids": managed,
                "invitation": invitation,
            }),
        )?;
        Ok(Account {
            row,
            managed_platform_ids: managed,
        })
    })
}

/// Invites someone to an account (admin; managers invite company contacts): inactive until
/// its owner confirms the address and chooses a password.
pub fn invite(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    draft: AccountDraft,
) -> ApiResult<Account> {
    access::require_may_create_role(actor, draft.role)?;
    create_account(conn, Some(&actor.id), now, draft)
}

/// Opens a confirmation for an account not confirmed yet; returns its id, its token (kept
/// nowhere: only its hash is stored) and its expiry. A caller that does not give the token
/// out leaves a confirmation that an administrator, or later an e-mail, renews.
pub fn open_confirmation(
    conn: &mut DbConnection,
    now: i64,
    user_id: &str,
) -> ApiResult<(String, String, i64)> {
    let token = auth::random_token();
    let expires_at = now + auth::CONFIRMATION_SECONDS;
    let id = db::confirmations::insert(conn, now, user_id, &auth::token_hash(&token), expires_at)?;
    let user = db::users::find(conn, user_id)?.ok_or_else(ApiError::not_found)?;
    let organisation = db::organisations::find(conn, &user.organisation_id)?
        .map(|o| o.name)
        .unwrap_or_default();
    crate::usecases::outbox::enqueue(
        conn,
        now,
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
    access::require_account_administrator(actor)?;
    db::confirmations::pending(conn)
}

/// Replaces a pending confirmation with a fresh one and returns its token, which exists
/// nowhere else (only its hash is stored). Until the service sends e-mail, this is how an
/// administrator gets a token to the person.
pub fn issue_confirmation_token(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    confirmation_id: &str,
) -> ApiResult<(String, UserRow, String, i64)> {
    renew_confirmation(conn, actor, now, confirmation_id, "confirmation_issued")
}

/// "Send again": replaces a pending confirmation with a fresh one, whose token only the
/// e-mail queued to the person carries; returns the new confirmation's id, the account and
/// the expiry.
pub fn send_confirmation_again(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    confirmation_id: &str,
) -> ApiResult<(String, UserRow, i64)> {
    let (id, user, _token, expires_at) =
        renew_confirmation(conn, actor, now, confirmation_id, "confirmation_sent")?;
    Ok((id, user, expires_at))
}

fn renew_confirmation(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    confirmation_id: &str,
    action: &str,
) -> ApiResult<(String, UserRow, String, i64)> {
    access::require_account_administrator(actor)?;
    db::write_transaction(conn, |conn| {
        let confirmation = db::confirmations::find(conn, confirmation_id)?
            .filter(|c| c.consumed_at.is_none())
            .ok_or_else(ApiError::not_found)?;
        let user = db::users::find(conn, &confirmation.user_id)?
            .filter(|u| !u.active)
            .ok_or_else(ApiError::not_found)?;
        db::confirmations::consume_all_of_user(conn, now, &user.id)?;
        let (id, token, expires_at) = open_confirmation(conn, now, &user.id)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "user",
            &user.id,
            action,
            serde_json::json!({ "confirmation_id": id }),
        )?;
        Ok((id, user, token, expires_at))
    })
}

/// A confirmation through either door, the API's `POST /public/account-confirmations` or
/// the page its e-mail links to: the password's length, its hash (outside any transaction:
/// on SQLite it would hold the write lock meanwhile), then `confirm_account`.
pub async fn confirm(state: &AppState, token: String, password: String) -> ApiResult<()> {
    let now = state.now();
    let mut checks = Checks::new();
    check_password(&mut checks, "password", &password);
    checks.finish()?;
    let hash = crate::passwords::hash(password).await?;
    state
        .db(move |conn| confirm_account(conn, now, &token, hash))
        .await
}

/// What a confirmation link is worth now, for the page it opens (which confirms nothing
/// by itself: mail scanners follow links).
#[derive(Debug, Clone)]
pub enum ConfirmationLink {
    /// Still to use: the account it confirms.
    Usable {
        email: String,
        display_name: String,
        role: Role,
        organisation: String,
        expires_at: i64,
    },
    /// Used or replaced by a newer link; `active` when the account is confirmed already.
    Used {
        active: bool,
    },
    Expired,
    Unknown,
}

/// Reads what a confirmation link is worth, without using it.
pub fn confirmation_link(
    conn: &mut DbConnection,
    now: i64,
    token: &str,
) -> ApiResult<ConfirmationLink> {
    let Some(confirmation) =
        db::confirmations::find_by_hash(conn, &auth::token_hash(token.trim()))?
    else {
        return Ok(ConfirmationLink::Unknown);
    };
    let Some(user) = db::users::find(conn, &confirmation.user_id)? else {
        return Ok(ConfirmationLink::Unknown);
    };
    match link_state_at(
        confirmation.consumed_at.is_some(),
        confirmation.expires_at,
        now,
    ) {
        LinkState::Used => {
            return Ok(ConfirmationLink::Used {
                active: user.active,
            })
        }
        LinkState::Expired => return Ok(ConfirmationLink::Expired),
        LinkState::Usable | LinkState::Unknown => {}
    }
    let organisation = db::organisations::find(conn, &user.organisation_id)?
        .map(|o| o.name)
        .unwrap_or_default();
    Ok(ConfirmationLink::Usable {
        role: Role::from_db(&user.role)?,
        email: user.email,
        display_name: user.display_name,
        organisation,
        expires_at: confirmation.expires_at,
    })
}

/// Confirms an address: the account becomes active with the password chosen now
/// (`password_hash`, computed by the caller outside any transaction).
pub fn confirm_account(
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
                "lien de confirmation inconnu, déjà utilisé ou expiré",
            )
        };
        let confirmation = db::confirmations::find_by_hash(conn, &auth::token_hash(token.trim()))?
            .ok_or_else(invalid)?;
        if link_state_at(
            confirmation.consumed_at.is_some(),
            confirmation.expires_at,
            now,
        ) != LinkState::Usable
        {
            return Err(invalid());
        }
        // Used once, atomically: a concurrent use of the same token loses here.
        if !db::confirmations::consume(conn, now, &confirmation.id)? {
            return Err(invalid());
        }
        let mut user = db::users::find(conn, &confirmation.user_id)?.ok_or_else(invalid)?;
        user.active = true;
        user.password_hash = password_hash.clone();
        user.updated_at = now;
        db::users::update(conn, &user)?;
        db::audit::record(
            conn,
            now,
            Some(&user.id),
            "user",
            &user.id,
            "confirmed",
            serde_json::json!({}),
        )
    })
}

/// Contacts waiting for approval that the caller may approve, with company name and SIRET.
pub fn contacts_awaiting_approval(
    conn: &mut DbConnection,
    actor: &CurrentUser,
) -> ApiResult<Vec<(UserRow, String, Option<String>)>> {
    let company = access::contacts_awaiting_approval_scope(actor)?;
    db::users::awaiting_approval(conn, company.as_deref())
}

/// Vouches for a contact awaiting approval: from now on they act for their company.
pub fn approve_contact(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    user_id: &str,
) -> ApiResult<Account> {
    db::write_transaction(conn, |conn| {
        let mut user = access::visible_user(conn, actor, user_id)?;
        if !user.awaiting_approval {
            return Err(ApiError::new(
                ErrorCode::NotAwaitingApproval,
                "Ce compte n'attend pas d'accord.",
            ));
        }
        access::require_may_approve(actor, &user)?;
        user.awaiting_approval = false;
        user.updated_at = now;
        db::users::update(conn, &user)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "user",
            &user.id,
            "approved",
            serde_json::json!({ "organisation_id": user.organisation_id }),
        )?;
        db::users::account(conn, user)
    })
}
