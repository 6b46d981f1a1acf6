//! Confirmation tokens of accounts created by a public service request.

use diesel::prelude::*;

use super::schema::{account_confirmations as ac, users};
use super::{new_id, now, DbConnection};
use crate::error::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ac)]
pub struct ConfirmationRow {
    pub id: String,
    pub user_id: String,
    pub token: String,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    pub created_at: i64,
}

pub fn insert(
    conn: &mut DbConnection,
    user_id: &str,
    token: &str,
    expires_at: i64,
) -> ApiResult<()> {
    diesel::insert_into(ac::table)
        .values((
            ac::id.eq(new_id()),
            ac::user_id.eq(user_id),
            ac::token.eq(token),
            ac::expires_at.eq(expires_at),
            ac::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find_by_token(conn: &mut DbConnection, token: &str) -> ApiResult<Option<ConfirmationRow>> {
    Ok(ac::table
        .filter(ac::token.eq(token))
        .select(ConfirmationRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn consume(conn: &mut DbConnection, id: &str) -> ApiResult<()> {
    diesel::update(ac::table.find(id))
        .set(ac::consumed_at.eq(now()))
        .execute(conn)?;
    Ok(())
}

/// Confirmations still waiting, with the e-mail they confirm.
pub fn pending(conn: &mut DbConnection) -> ApiResult<Vec<(ConfirmationRow, String)>> {
    Ok(ac::table
        .inner_join(users::table)
        .filter(ac::consumed_at.is_null().and(ac::expires_at.gt(now())))
        .select((ConfirmationRow::as_select(), users::email))
        .order(ac::id)
        .load(conn)?)
}
