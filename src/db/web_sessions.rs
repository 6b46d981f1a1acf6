//! Browser sessions of the web interface (`usecases::web_sessions`): the cookie's random id
//! is stored only as its hash.

use diesel::prelude::*;

use super::schema::{users, web_sessions as ws};
use super::{new_id, DbConnection};
use crate::error::ApiResult;

/// An open session with what its caller needs: the account as it stands now.
#[derive(Debug, Clone, Queryable)]
pub struct OpenSession {
    pub id: String,
    pub user_id: String,
    pub last_seen_at: i64,
    pub display_name: String,
    pub role: String,
    pub organisation_id: String,
    pub awaiting_approval: bool,
}

pub fn insert(
    conn: &mut DbConnection,
    user_id: &str,
    id_hash: &str,
    now: i64,
    expires_at: i64,
    user_agent: Option<&str>,
) -> ApiResult<String> {
    let id = new_id();
    diesel::insert_into(ws::table)
        .values((
            ws::id.eq(&id),
            ws::user_id.eq(user_id),
            ws::id_hash.eq(id_hash),
            ws::created_at.eq(now),
            ws::last_seen_at.eq(now),
            ws::expires_at.eq(expires_at),
            ws::user_agent.eq(user_agent),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The session of a cookie if it is open at `now`, not idle since `idle_since`, and its
/// account active (one indexed query).
pub fn find_open(
    conn: &mut DbConnection,
    id_hash: &str,
    now: i64,
    idle_since: i64,
) -> ApiResult<Option<OpenSession>> {
    Ok(ws::table
        .inner_join(users::table)
        .filter(ws::id_hash.eq(id_hash))
        .filter(ws::revoked_at.is_null())
        .filter(ws::expires_at.gt(now))
        .filter(ws::last_seen_at.gt(idle_since))
        .filter(users::active.eq(true))
        .select((
            ws::id,
            ws::user_id,
            ws::last_seen_at,
            users::display_name,
            users::role,
            users::organisation_id,
            users::awaiting_approval,
        ))
        .first(conn)
        .optional()?)
}

pub fn touch(conn: &mut DbConnection, id: &str, now: i64) -> ApiResult<()> {
    diesel::update(ws::table.find(id))
        .set(ws::last_seen_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Ends the session of a cookie (logging out, or a new login in the same browser).
pub fn revoke_by_hash(conn: &mut DbConnection, id_hash: &str, now: i64) -> ApiResult<()> {
    diesel::update(ws::table.filter(ws::id_hash.eq(id_hash).and(ws::revoked_at.is_null())))
        .set(ws::revoked_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Ends every browser session of an account but `keep` (a deactivated account, a changed
/// password).
pub fn revoke_of_user(
    conn: &mut DbConnection,
    user_id: &str,
    keep: Option<&str>,
    now: i64,
) -> ApiResult<()> {
    let open = ws::user_id
        .eq(user_id.to_owned())
        .and(ws::revoked_at.is_null());
    match keep {
        Some(keep) => diesel::update(ws::table.filter(open.and(ws::id.ne(keep.to_owned()))))
            .set(ws::revoked_at.eq(now))
            .execute(conn)?,
        None => diesel::update(ws::table.filter(open))
            .set(ws::revoked_at.eq(now))
            .execute(conn)?,
    };
    Ok(())
}

/// A browser session as its owner sees it in their list.
#[derive(Debug, Clone, Queryable)]
pub struct SessionRow {
    pub id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// The browser's `User-Agent` at login, if it sent one.
    pub user_agent: Option<String>,
}

/// The open sessions of an account (not revoked, not expired at `now`, not idle since
/// `idle_since`), the most recently seen first.
pub fn open_of_user(
    conn: &mut DbConnection,
    user_id: &str,
    now: i64,
    idle_since: i64,
) -> ApiResult<Vec<SessionRow>> {
    Ok(ws::table
        .filter(ws::user_id.eq(user_id))
        .filter(ws::revoked_at.is_null())
        .filter(ws::expires_at.gt(now))
        .filter(ws::last_seen_at.gt(idle_since))
        .select((
            ws::id,
            ws::created_at,
            ws::last_seen_at,
            ws::expires_at,
            ws::user_agent,
        ))
        .order((ws::last_seen_at.desc(), ws::id.desc()))
        .load(conn)?)
}

/// Ends one session of an account; false when it has none open of that id.
pub fn revoke_of_user_by_id(
    conn: &mut DbConnection,
    user_id: &str,
    id: &str,
    now: i64,
) -> ApiResult<bool> {
    let changed = diesel::update(
        ws::table.filter(
            ws::id
                .eq(id.to_owned())
                .and(ws::user_id.eq(user_id.to_owned()))
                .and(ws::revoked_at.is_null()),
        ),
    )
    .set(ws::revoked_at.eq(now))
    .execute(conn)?;
    Ok(changed == 1)
}
