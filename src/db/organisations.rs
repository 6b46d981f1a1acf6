use diesel::prelude::*;

use super::schema::{campus_memberships, organisations};
use super::{DbConnection, Listed, Page};
use crate::error::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = organisations)]
pub struct OrganisationRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub town: Option<String>,
    pub uai: Option<String>,
    pub siret: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An organisation with the campuses it is a member of.
#[derive(Debug, Clone)]
pub struct OrganisationDetails {
    pub row: OrganisationRow,
    pub campus_ids: Vec<String>,
}

/// The organisations with their campuses (one query for the whole list).
pub fn with_details(
    conn: &mut DbConnection,
    rows: Vec<OrganisationRow>,
) -> ApiResult<Vec<OrganisationDetails>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut campuses = super::grouped(campus_ids_of(conn, &ids)?);
    Ok(rows
        .into_iter()
        .map(|row| OrganisationDetails {
            campus_ids: campuses.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

#[derive(Debug, Default, Clone)]
pub struct OrganisationFilter {
    pub kind: Option<String>,
    pub campus_id: Option<String>,
    pub name_contains: Option<String>,
    /// Companies are listed only when this is set, and then only this one (if any).
    pub include_companies: CompanyVisibility,
}

#[derive(Debug, Default, Clone)]
pub enum CompanyVisibility {
    #[default]
    All,
    None,
    Only(String),
}

pub fn insert(
    conn: &mut DbConnection,
    row: &OrganisationRow,
    campus_ids: &[String],
) -> ApiResult<()> {
    diesel::insert_into(organisations::table)
        .values(row)
        .execute(conn)?;
    set_campuses(conn, &row.id, campus_ids)
}

pub fn set_campuses(
    conn: &mut DbConnection,
    organisation_id: &str,
    campus_ids: &[String],
) -> ApiResult<()> {
    diesel::delete(
        campus_memberships::table.filter(campus_memberships::organisation_id.eq(organisation_id)),
    )
    .execute(conn)?;
    let rows: Vec<_> = campus_ids
        .iter()
        .map(|c| {
            (
                campus_memberships::campus_id.eq(c),
                campus_memberships::organisation_id.eq(organisation_id),
            )
        })
        .collect();
    crate::db::insert_many!(conn, campus_memberships::table, &rows)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<OrganisationRow>> {
    Ok(organisations::table
        .find(id)
        .select(OrganisationRow::as_select())
        .first(conn)
        .optional()?)
}

/// `(id, name)` of each of `ids` that exists.
pub fn names_of(conn: &mut DbConnection, ids: &[String]) -> ApiResult<Vec<(String, String)>> {
    Ok(organisations::table
        .filter(organisations::id.eq_any(ids))
        .select((organisations::id, organisations::name))
        .load(conn)?)
}

/// An organisation and whether it is a member of `campus_id`, in one query.
pub fn find_with_membership(
    conn: &mut DbConnection,
    id: &str,
    campus_id: &str,
) -> ApiResult<Option<(OrganisationRow, bool)>> {
    let row: Option<(OrganisationRow, Option<String>)> = organisations::table
        .left_join(
            campus_memberships::table.on(campus_memberships::organisation_id
                .eq(organisations::id)
                .and(campus_memberships::campus_id.eq(campus_id))),
        )
        .filter(organisations::id.eq(id))
        .select((
            OrganisationRow::as_select(),
            campus_memberships::campus_id.nullable(),
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(organisation, membership)| (organisation, membership.is_some())))
}

/// Several organisations, each with the campuses it is a member of (one row per campus).
pub fn find_many_with_memberships(
    conn: &mut DbConnection,
    ids: &[String],
) -> ApiResult<Vec<(OrganisationRow, Option<String>)>> {
    Ok(organisations::table
        .left_join(
            campus_memberships::table.on(campus_memberships::organisation_id.eq(organisations::id)),
        )
        .filter(organisations::id.eq_any(ids))
        .select((
            OrganisationRow::as_select(),
            campus_memberships::campus_id.nullable(),
        ))
        .load(conn)?)
}

pub fn find_by_siret(conn: &mut DbConnection, siret: &str) -> ApiResult<Option<OrganisationRow>> {
    Ok(organisations::table
        .filter(organisations::siret.eq(siret))
        .select(OrganisationRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_name(conn: &mut DbConnection, name: &str) -> ApiResult<Option<OrganisationRow>> {
    Ok(organisations::table
        .filter(organisations::name.eq(name))
        .select(OrganisationRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(
    conn: &mut DbConnection,
    filter: &OrganisationFilter,
    page: &Page,
) -> ApiResult<Listed<OrganisationRow>> {
    let mut query = organisations::table
        .select(OrganisationRow::as_select())
        .order(organisations::id)
        .into_boxed();
    if let Some(kind) = &filter.kind {
        query = query.filter(organisations::kind.eq(kind.clone()));
    }
    if let Some(campus) = &filter.campus_id {
        query = query.filter(
            organisations::id.eq_any(
                campus_memberships::table
                    .filter(campus_memberships::campus_id.eq(campus.clone()))
                    .select(campus_memberships::organisation_id),
            ),
        );
    }
    if let Some(text) = &filter.name_contains {
        query = query.filter(
            super::lower(organisations::name)
                .like(format!(
                    "%{}%",
                    super::users::escape_like(&text.to_lowercase())
                ))
                .escape('\\'),
        );
    }
    match &filter.include_companies {
        CompanyVisibility::All => {}
        CompanyVisibility::None => query = query.filter(organisations::kind.ne("company")),
        CompanyVisibility::Only(id) => {
            query = query.filter(
                organisations::kind
                    .ne("company")
                    .or(organisations::id.eq(id.clone())),
            )
        }
    }
    if let Some(after) = &page.after {
        query = query.filter(organisations::id.gt(after.clone()));
    }
    Ok(Listed::of(
        query.limit(page.limit + 1).load(conn)?,
        page,
        |r| &r.id,
    ))
}

pub fn campus_ids_of(
    conn: &mut DbConnection,
    organisation_ids: &[String],
) -> ApiResult<Vec<(String, String)>> {
    Ok(campus_memberships::table
        .filter(campus_memberships::organisation_id.eq_any(organisation_ids))
        .select((
            campus_memberships::organisation_id,
            campus_memberships::campus_id,
        ))
        .order((
            campus_memberships::organisation_id,
            campus_memberships::campus_id,
        ))
        .load(conn)?)
}

pub fn is_member(
    conn: &mut DbConnection,
    organisation_id: &str,
    campus_id: &str,
) -> ApiResult<bool> {
    let n: i64 = campus_memberships::table
        .filter(
            campus_memberships::organisation_id
                .eq(organisation_id)
                .and(campus_memberships::campus_id.eq(campus_id)),
        )
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn update(conn: &mut DbConnection, row: &OrganisationRow) -> ApiResult<()> {
    diesel::update(organisations::table.find(&row.id))
        .set((
            organisations::name.eq(&row.name),
            organisations::town.eq(&row.town),
            organisations::uai.eq(&row.uai),
            organisations::siret.eq(&row.siret),
            organisations::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}
