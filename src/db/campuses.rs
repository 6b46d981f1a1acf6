use diesel::prelude::*;

use super::schema::campuses;
use super::{DbConnection, Listed, Page};
use crate::error::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = campuses)]
pub struct CampusRow {
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn insert(conn: &mut DbConnection, row: &CampusRow) -> ApiResult<()> {
    diesel::insert_into(campuses::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<CampusRow>> {
    Ok(campuses::table
        .find(id)
        .select(CampusRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_name(conn: &mut DbConnection, name: &str) -> ApiResult<Option<CampusRow>> {
    Ok(campuses::table
        .filter(campuses::name.eq(name))
        .select(CampusRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(conn: &mut DbConnection, page: &Page) -> ApiResult<Listed<CampusRow>> {
    let mut query = campuses::table
        .select(CampusRow::as_select())
        .order(campuses::id)
        .into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(campuses::id.gt(after.clone()));
    }
    Ok(Listed::of(
        query.limit(page.limit + 1).load(conn)?,
        page,
        |r| &r.id,
    ))
}

pub fn update(conn: &mut DbConnection, row: &CampusRow) -> ApiResult<()> {
    diesel::update(campuses::table.find(&row.id))
        .set((
            campuses::name.eq(&row.name),
            campuses::timezone.eq(&row.timezone),
            campuses::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn count_existing(conn: &mut DbConnection, ids: &[String]) -> ApiResult<i64> {
    Ok(campuses::table
        .filter(campuses::id.eq_any(ids))
        .count()
        .get_result(conn)?)
}
