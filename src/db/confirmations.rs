//! Confirmation tokens of accounts not yet confirmed: public sign-ups and invitations by
//! the staff. Stored as SHA-256 hashes, like refresh tokens; the token itself is shown once.

use diesel::prelude::*;

use super::schema::{account_confirmations as ac, organisations, users};
use super::{new_id, DbConnection};
use crate::error::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ac)]
pub struct ConfirmationRow {
    pub id: String,
    pub user_id: String,
    pub token_hash: String,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    pub created_at: i64,
}

/// Stores a confirmation for `user_id`; `token_hash` is the SHA-256 of the token given out.
pub fn insert(
    conn: &mut DbConnection,
    now: i64,
    user_id: &str,
    token_hash: &str,
    expires_at: i64,
) -> ApiResult<String> {
    let id = new_id();
    diesel::insert_into(ac::table)
        .values((
            ac::id.eq(&id),
            ac::user_id.eq(user_id),
            ac::token_hash.eq(token_hash),
            ac::expires_at.eq(expires_at),
            ac::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<ConfirmationRow>> {
    Ok(ac::table
        .find(id)
        .select(ConfirmationRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_hash(
    conn: &mut DbConnection,
    token_hash: &str,
) -> ApiResult<Option<ConfirmationRow>> {
    Ok(ac::table
        .filter(ac::token_hash.eq(token_hash))
        .select(ConfirmationRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a confirmation used; false when it was already used (a concurrent use won).
pub fn consume(conn: &mut DbConnection, now: i64, id: &str) -> ApiResult<bool> {
    let changed = diesel::update(ac::table.find(id).filter(ac::consumed_at.is_null()))
        .set(ac::consumed_at.eq(now))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Ends every unused confirmation of an account (a fresh one replaces them).
pub fn consume_all_of_user(conn: &mut DbConnection, now: i64, user_id: &str) -> ApiResult<()> {
    diesel::update(ac::table.filter(ac::user_id.eq(user_id).and(ac::consumed_at.is_null())))
        .set(ac::consumed_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// A confirmation still waiting, with what the staff need to recognise it.
#[derive(Debug, Clone, Queryable)]
pub struct PendingRow {
    pub confirmation: ConfirmationRow,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub siret: Option<String>,
    pub awaiting_approval: bool,
}

/// Confirmations still waiting (not used; expired ones too, so that a fresh token can be
/// issued for them), newest first.
pub fn pending(conn: &mut DbConnection) -> ApiResult<Vec<PendingRow>> {
    Ok(ac::table
        .inner_join(users::table.inner_join(organisations::table))
        .filter(ac::consumed_at.is_null().and(users::active.eq(false)))
        .select((
            ConfirmationRow::as_select(),
            users::email,
            users::display_name,
            users::role,
            users::organisation_id,
            organisations::name,
            organisations::siret,
            users::awaiting_approval,
        ))
        .order(ac::id.desc())
        .load(conn)?)
}

/// Whether the account has a confirmation not used yet (an address awaiting confirmation).
pub fn has_unused(conn: &mut DbConnection, user_id: &str) -> ApiResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        ac::table.filter(ac::user_id.eq(user_id).and(ac::consumed_at.is_null())),
    ))
    .get_result(conn)?)
}
