//! Accounts as the staff see and change them, and the qualifications they hold.

use crate::access;
use crate::auth::{self, CurrentUser};
use crate::db::users::{Account, HeldQualificationRow, UserFilter};
use crate::db::{self, DbConnection, Listed, Page};
use crate::domain::accounts::{check_role_fits_organisation, AccountChange, QualificationAward};
use crate::domain::validate::Checks;
use crate::domain::Role;
use crate::error::{ApiError, ApiResult};

use super::accounts::{check_platforms, organisation_kind};

/// The accounts of `filter`, already narrowed to the caller's scope
/// (`access::user_list_scope`).
pub fn list(
    conn: &mut DbConnection,
    filter: &UserFilter,
    page: &Page,
) -> ApiResult<Listed<Account>> {
    db::users::list(conn, filter, page)?.try_map(|rows| db::users::with_details(conn, rows))
}

pub fn find(conn: &mut DbConnection, actor: &CurrentUser, id: &str) -> ApiResult<Account> {
    let row = access::visible_user(conn, actor, id)?;
    db::users::account(conn, row)
}

/// Changes an account (administrators): role, organisation, activation, managed platforms,
/// password. A changed password, role or organisation, or a deactivation, closes the
/// account's sessions. The change's own refusal is answered once the caller is known to
/// see the account and to be an administrator.
pub fn update(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    id: &str,
    change: ApiResult<AccountChange>,
) -> ApiResult<Account> {
    access::visible_user(conn, actor, id)?;
    access::require_account_administrator(actor)?;
    let change = change?;
    // Hashed before the transaction: on SQLite it would hold the write lock meanwhile.
    let password_hash = change
        .password
        .as_deref()
        .map(auth::hash_password)
        .transpose()?;
    db::write_transaction(conn, |conn| {
        let mut row = db::users::find(conn, id)?.ok_or_else(ApiError::not_found)?;
        let before = (row.role.clone(), row.organisation_id.clone(), row.active);
        if let Some(name) = change.display_name.clone() {
            row.display_name = name;
        }
        if let Some(role) = change.role {
            row.role = role.as_str().to_owned();
        }
        if let Some(org) = change.organisation_id.clone() {
            row.organisation_id = org;
        }
        if let Some(active) = change.active {
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
        let mut managed = match &change.managed_platform_ids {
            Some(ids) => check_platforms(conn, ids)?,
            None => db::users::managed_platform_ids(conn, &row.id)?,
        };
        if role != Role::Manager {
            if change
                .managed_platform_ids
                .as_ref()
                .is_some_and(|ids| !ids.is_empty())
            {
                return Err(ApiError::field(
                    "managed_platform_ids",
                    "not_allowed",
                    "seuls les responsables de plateau gèrent des plateaux",
                ));
            }
            managed.clear();
        }
        row.updated_at = now;
        db::users::update(conn, &row)?;
        db::users::set_managed_platforms(conn, &row.id, &managed)?;
        let after = (row.role.clone(), row.organisation_id.clone(), row.active);
        let deactivated = before.2 && !after.2;
        // A changed password, role or deactivation closes the account's sessions; an
        // administrator changing their own account keeps the session that made the change,
        // as with `PATCH /me`.
        if change.password.is_some() || deactivated || after.0 != before.0 || after.1 != before.1 {
            if row.id == actor.id {
                db::tokens::revoke_other_sessions(conn, now, &row.id, &actor.session_id)?;
            } else {
                db::tokens::revoke_all_of_user(conn, now, &row.id)?;
            }
        }
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "user",
            &row.id,
            "updated",
            serde_json::json!({
                "display_name": change.display_name, "role": change.role, "organisation_id": change.organisation_id,
                "active": change.active, "managed_platform_ids": change.managed_platform_ids.as_ref().map(|_| &managed),
                "password_changed": change.password.is_some(),
            }),
        )?;
        Ok(Account {
            row,
            managed_platform_ids: managed,
        })
    })
}

/// The qualifications an account the caller sees holds, with their expiry.
pub fn held_qualifications(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    id: &str,
) -> ApiResult<Vec<HeldQualificationRow>> {
    access::visible_user(conn, actor, id)?;
    db::users::held_qualifications(conn, id)
}

/// Awards (or renews) a qualification (the director, managers); `today` bounds the award
/// date. Answers what the account holds afterwards.
pub fn award_qualification(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    id: &str,
    award: QualificationAward,
    today: chrono::NaiveDate,
) -> ApiResult<Vec<HeldQualificationRow>> {
    access::visible_user(conn, actor, id)?;
    access::require_qualification_keeper(actor)?;
    let qualification_id = award.qualification_id;
    db::write_transaction(conn, |conn| {
        let qualification =
            db::qualifications::find(conn, &qualification_id)?.ok_or_else(|| {
                ApiError::field(
                    "qualification_id",
                    "unknown_reference",
                    "habilitation inconnue",
                )
            })?;
        let expires_on = match award.expires_on {
            Some(date) => Some(date),
            None => qualification.validity_months.and_then(|m| {
                award
                    .awarded_on
                    .checked_add_months(chrono::Months::new(m as u32))
            }),
        };
        if expires_on.is_some_and(|e| e <= award.awarded_on) {
            return Err(ApiError::field(
                "expires_on",
                "before_start",
                "l'échéance doit suivre la date d'obtention",
            ));
        }
        if award.awarded_on > today {
            return Err(ApiError::field(
                "awarded_on",
                "in_future",
                "la date d'obtention ne peut pas être dans le futur",
            ));
        }
        db::users::award_qualification(
            conn,
            now,
            id,
            &qualification_id,
            award.awarded_on,
            expires_on,
            Some(&actor.id),
        )?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "user",
            id,
            "qualification_awarded",
            serde_json::json!({
                "qualification_id": qualification_id, "awarded_on": award.awarded_on, "expires_on": expires_on,
            }),
        )?;
        db::users::held_qualifications(conn, id)
    })
}

/// Withdraws a qualification (the director, managers).
pub fn withdraw_qualification(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    id: &str,
    qualification_id: &str,
) -> ApiResult<()> {
    access::visible_user(conn, actor, id)?;
    access::require_qualification_keeper(actor)?;
    db::write_transaction(conn, |conn| {
        if !db::users::withdraw_qualification(conn, id, qualification_id)? {
            return Err(ApiError::not_found());
        }
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "user",
            id,
            "qualification_withdrawn",
            serde_json::json!({ "qualification_id": qualification_id }),
        )
    })
}
