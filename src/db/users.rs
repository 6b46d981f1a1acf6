use diesel::prelude::*;

use super::schema::{organisations, platform_managers, qualifications, user_qualifications, users};
use super::{DbConnection, Listed, Page};
use crate::error::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub organisation_id: String,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// A contact of an existing company who signed up alone: sees only their own requests
    /// until an active contact of the company or the staff approves them.
    pub awaiting_approval: bool,
}

/// An account with the platforms it manages.
#[derive(Debug, Clone)]
pub struct Account {
    pub row: UserRow,
    pub managed_platform_ids: Vec<String>,
}

/// The accounts with the platforms each manages (one query for the whole list).
pub fn with_details(conn: &mut DbConnection, rows: Vec<UserRow>) -> ApiResult<Vec<Account>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut managed = super::grouped(managed_platform_ids_of(conn, &ids)?);
    Ok(rows
        .into_iter()
        .map(|row| Account {
            managed_platform_ids: managed.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

/// One account with the platforms it manages.
pub fn account(conn: &mut DbConnection, row: UserRow) -> ApiResult<Account> {
    Ok(Account {
        managed_platform_ids: managed_platform_ids(conn, &row.id)?,
        row,
    })
}

#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub organisation_id: Option<String>,
    pub role: Option<String>,
    pub email_contains: Option<String>,
    pub awaiting_approval: Option<bool>,
}

pub fn insert(conn: &mut DbConnection, row: &UserRow) -> ApiResult<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<UserRow>> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_many(conn: &mut DbConnection, ids: &[String]) -> ApiResult<Vec<UserRow>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select(UserRow::as_select())
        .load(conn)?)
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> ApiResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(
    conn: &mut DbConnection,
    filter: &UserFilter,
    page: &Page,
) -> ApiResult<Listed<UserRow>> {
    let mut query = users::table
        .select(UserRow::as_select())
        .order(users::id)
        .into_boxed();
    if let Some(org) = &filter.organisation_id {
        query = query.filter(users::organisation_id.eq(org.clone()));
    }
    if let Some(role) = &filter.role {
        query = query.filter(users::role.eq(role.clone()));
    }
    if let Some(text) = &filter.email_contains {
        query = query.filter(
            users::email
                .like(format!("%{}%", escape_like(text)))
                .escape('\\'),
        );
    }
    if let Some(waiting) = filter.awaiting_approval {
        query = query.filter(users::awaiting_approval.eq(waiting));
    }
    if let Some(after) = &page.after {
        query = query.filter(users::id.gt(after.clone()));
    }
    Ok(Listed::of(
        query.limit(page.limit + 1).load(conn)?,
        page,
        |r| &r.id,
    ))
}

pub fn update(conn: &mut DbConnection, row: &UserRow) -> ApiResult<()> {
    super::standing::changed();
    diesel::update(users::table.find(&row.id))
        .set((
            users::display_name.eq(&row.display_name),
            users::password_hash.eq(&row.password_hash),
            users::role.eq(&row.role),
            users::organisation_id.eq(&row.organisation_id),
            users::active.eq(row.active),
            users::awaiting_approval.eq(row.awaiting_approval),
            users::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// What a request needs to know of its caller, read at every request so that a
/// deactivation, a role change or a closed session takes effect at once.
#[derive(Debug, Clone, Queryable)]
pub struct Standing {
    pub role: String,
    pub organisation_id: String,
    pub active: bool,
    pub awaiting_approval: bool,
    /// Whether the session (refresh-token family) of the access token is still open.
    pub session_open: bool,
}

pub fn standing(
    conn: &mut DbConnection,
    user_id: &str,
    session_id: &str,
) -> ApiResult<Option<Standing>> {
    use super::schema::refresh_tokens as rt;
    let open = diesel::dsl::exists(
        rt::table.filter(
            rt::family_id
                .eq(session_id.to_owned())
                .and(rt::user_id.eq(user_id.to_owned()))
                .and(rt::revoked_at.is_null()),
        ),
    );
    Ok(users::table
        .find(user_id)
        .select((
            users::role,
            users::organisation_id,
            users::active,
            users::awaiting_approval,
            open,
        ))
        .first(conn)
        .optional()?)
}

/// Company contacts waiting for approval, with their company's name and SIRET, and
/// whether they confirmed their address; only those of `company_id` when given.
pub fn awaiting_approval(
    conn: &mut DbConnection,
    company_id: Option<&str>,
) -> ApiResult<Vec<(UserRow, String, Option<String>)>> {
    let mut query = users::table
        .inner_join(organisations::table)
        .filter(users::awaiting_approval.eq(true))
        .select((
            UserRow::as_select(),
            organisations::name,
            organisations::siret,
        ))
        .order(users::id)
        .into_boxed();
    if let Some(company) = company_id {
        query = query.filter(users::organisation_id.eq(company.to_owned()));
    }
    Ok(query.load(conn)?)
}

pub fn organisation_kind(
    conn: &mut DbConnection,
    organisation_id: &str,
) -> ApiResult<Option<String>> {
    Ok(organisations::table
        .find(organisation_id)
        .select(organisations::kind)
        .first(conn)
        .optional()?)
}

/// Platforms managed by a user.
pub fn managed_platform_ids(conn: &mut DbConnection, user_id: &str) -> ApiResult<Vec<String>> {
    Ok(platform_managers::table
        .filter(platform_managers::user_id.eq(user_id))
        .select(platform_managers::platform_id)
        .order(platform_managers::platform_id)
        .load(conn)?)
}

pub fn managed_platform_ids_of(
    conn: &mut DbConnection,
    user_ids: &[String],
) -> ApiResult<Vec<(String, String)>> {
    Ok(platform_managers::table
        .filter(platform_managers::user_id.eq_any(user_ids))
        .select((platform_managers::user_id, platform_managers::platform_id))
        .order((platform_managers::user_id, platform_managers::platform_id))
        .load(conn)?)
}

pub fn set_managed_platforms(
    conn: &mut DbConnection,
    user_id: &str,
    platform_ids: &[String],
) -> ApiResult<()> {
    diesel::delete(platform_managers::table.filter(platform_managers::user_id.eq(user_id)))
        .execute(conn)?;
    let rows: Vec<_> = platform_ids
        .iter()
        .map(|p| {
            (
                platform_managers::platform_id.eq(p),
                platform_managers::user_id.eq(user_id),
            )
        })
        .collect();
    crate::db::insert_many!(conn, platform_managers::table, &rows)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable)]
pub struct HeldQualificationRow {
    pub qualification_id: String,
    pub name: String,
    pub awarded_on: chrono::NaiveDate,
    pub expires_on: Option<chrono::NaiveDate>,
}

pub fn held_qualifications(
    conn: &mut DbConnection,
    user_id: &str,
) -> ApiResult<Vec<HeldQualificationRow>> {
    Ok(user_qualifications::table
        .inner_join(qualifications::table)
        .filter(user_qualifications::user_id.eq(user_id))
        .select((
            user_qualifications::qualification_id,
            qualifications::name,
            user_qualifications::awarded_on,
            user_qualifications::expires_on,
        ))
        .order(qualifications::name)
        .load(conn)?)
}

/// Awards a qualification, or renews it when the user already holds it; `awarded_by` is
/// told, with the holder, when it is about to expire.
pub fn award_qualification(
    conn: &mut DbConnection,
    now: i64,
    user_id: &str,
    qualification_id: &str,
    awarded_on: chrono::NaiveDate,
    expires_on: Option<chrono::NaiveDate>,
    awarded_by: Option<&str>,
) -> ApiResult<()> {
    let existing: Option<String> = user_qualifications::table
        .filter(
            user_qualifications::user_id
                .eq(user_id)
                .and(user_qualifications::qualification_id.eq(qualification_id)),
        )
        .select(user_qualifications::id)
        .first(conn)
        .optional()?;
    match existing {
        Some(id) => {
            diesel::update(user_qualifications::table.find(id))
                .set((
                    user_qualifications::awarded_on.eq(awarded_on),
                    user_qualifications::expires_on.eq(expires_on),
                    user_qualifications::awarded_by.eq(awarded_by),
                ))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(user_qualifications::table)
                .values((
                    user_qualifications::id.eq(super::new_id()),
                    user_qualifications::user_id.eq(user_id),
                    user_qualifications::qualification_id.eq(qualification_id),
                    user_qualifications::awarded_on.eq(awarded_on),
                    user_qualifications::expires_on.eq(expires_on),
                    user_qualifications::created_at.eq(now),
                    user_qualifications::awarded_by.eq(awarded_by),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Returns whether the user held it.
pub fn withdraw_qualification(
    conn: &mut DbConnection,
    user_id: &str,
    qualification_id: &str,
) -> ApiResult<bool> {
    let deleted = diesel::delete(
        user_qualifications::table.filter(
            user_qualifications::user_id
                .eq(user_id)
                .and(user_qualifications::qualification_id.eq(qualification_id)),
        ),
    )
    .execute(conn)?;
    Ok(deleted > 0)
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `\` as escape character.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The language of an account's e-mails (`fr` when the account is unknown).
pub fn locale(conn: &mut DbConnection, user_id: &str) -> ApiResult<String> {
    Ok(users::table
        .find(user_id)
        .select(users::locale)
        .first(conn)
        .optional()?
        .unwrap_or_else(|| "fr".to_owned()))
}

pub fn set_locale(conn: &mut DbConnection, user_id: &str, locale: &str) -> ApiResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::locale.eq(locale))
        .execute(conn)?;
    Ok(())
}
