//! Secret calendar feed tokens (stored as hashes).

use diesel::prelude::*;

use super::schema::calendar_tokens as ct;
use super::DbConnection;
use crate::error::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ct)]
pub struct CalendarTokenRow {
    pub id: String,
    pub user_id: String,
    pub feed: String,
    pub target_id: String,
    pub token_hash: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

pub fn insert(conn: &mut DbConnection, row: &CalendarTokenRow) -> ApiResult<()> {
    diesel::insert_into(ct::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find_live_by_hash(
    conn: &mut DbConnection,
    hash: &str,
) -> ApiResult<Option<CalendarTokenRow>> {
    Ok(ct::table
        .filter(ct::token_hash.eq(hash).and(ct::revoked_at.is_null()))
        .select(CalendarTokenRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn of_user(conn: &mut DbConnection, user_id: &str) -> ApiResult<Vec<CalendarTokenRow>> {
    Ok(ct::table
        .filter(ct::user_id.eq(user_id).and(ct::revoked_at.is_null()))
        .select(CalendarTokenRow::as_select())
        .order(ct::id)
        .load(conn)?)
}

pub fn revoke(conn: &mut DbConnection, id: &str, user_id: &str, at: i64) -> ApiResult<bool> {
    Ok(diesel::update(
        ct::table.filter(
            ct::id
                .eq(id)
                .and(ct::user_id.eq(user_id))
                .and(ct::revoked_at.is_null()),
        ),
    )
    .set(ct::revoked_at.eq(at))
    .execute(conn)?
        > 0)
}
