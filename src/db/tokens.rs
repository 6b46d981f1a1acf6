//! Refresh tokens, stored as hashes, rotated at each use.

use diesel::prelude::*;

use super::schema::refresh_tokens as rt;
use super::{new_id, DbConnection};
use crate::error::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rt)]
pub struct RefreshTokenRow {
    pub id: String,
    pub user_id: String,
    pub family_id: String,
    pub token_hash: String,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

pub fn insert(
    conn: &mut DbConnection,
    now: i64,
    user_id: &str,
    family_id: &str,
    token_hash: &str,
    expires_at: i64,
) -> ApiResult<()> {
    diesel::insert_into(rt::table)
        .values((
            rt::id.eq(new_id()),
            rt::user_id.eq(user_id),
            rt::family_id.eq(family_id),
            rt::token_hash.eq(token_hash),
            rt::expires_at.eq(expires_at),
            rt::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find_by_hash(
    conn: &mut DbConnection,
    token_hash: &str,
) -> ApiResult<Option<RefreshTokenRow>> {
    Ok(rt::table
        .filter(rt::token_hash.eq(token_hash))
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn revoke_family(conn: &mut DbConnection, now: i64, family_id: &str) -> ApiResult<()> {
    super::standing::changed();
    diesel::update(rt::table.filter(rt::family_id.eq(family_id).and(rt::revoked_at.is_null())))
        .set(rt::revoked_at.eq(now))
        .execute(conn)?;
    Ok(())
}

pub fn revoke_all_of_user(conn: &mut DbConnection, now: i64, user_id: &str) -> ApiResult<()> {
    super::standing::changed();
    diesel::update(rt::table.filter(rt::user_id.eq(user_id).and(rt::revoked_at.is_null())))
        .set(rt::revoked_at.eq(now))
        .execute(conn)?;
    super::web_sessions::revoke_of_user(conn, user_id, None, now)?;
    Ok(())
}

/// Uses a refresh token: one atomic statement, so that of several requests presenting the
/// same token at once exactly one wins. False when the token was already used or revoked.
pub fn consume(conn: &mut DbConnection, now: i64, id: &str) -> ApiResult<bool> {
    let changed = diesel::update(rt::table.find(id).filter(rt::revoked_at.is_null()))
        .set(rt::revoked_at.eq(now))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Closes every session of a user but `keep_family` (a password change keeps the session
/// that made it).
pub fn revoke_other_sessions(
    conn: &mut DbConnection,
    now: i64,
    user_id: &str,
    keep_family: &str,
) -> ApiResult<()> {
    super::standing::changed();
    diesel::update(
        rt::table.filter(
            rt::user_id
                .eq(user_id)
                .and(rt::family_id.ne(keep_family))
                .and(rt::revoked_at.is_null()),
        ),
    )
    .set(rt::revoked_at.eq(now))
    .execute(conn)?;
    // Browser sessions too, but the one that made the change when it is one.
    super::web_sessions::revoke_of_user(conn, user_id, Some(keep_family), now)?;
    Ok(())
}
