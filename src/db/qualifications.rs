use diesel::prelude::*;

use super::schema::{equipment_qualifications, qualifications, user_qualifications};
use super::{DbConnection, Listed, Page};
use crate::error::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = qualifications)]
pub struct QualificationRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub validity_months: Option<i32>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn insert(conn: &mut DbConnection, row: &QualificationRow) -> ApiResult<()> {
    diesel::insert_into(qualifications::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<QualificationRow>> {
    Ok(qualifications::table
        .find(id)
        .select(QualificationRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_name(conn: &mut DbConnection, name: &str) -> ApiResult<Option<QualificationRow>> {
    Ok(qualifications::table
        .filter(qualifications::name.eq(name))
        .select(QualificationRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(conn: &mut DbConnection, page: &Page) -> ApiResult<Listed<QualificationRow>> {
    let mut query = qualifications::table
        .select(QualificationRow::as_select())
        .order(qualifications::id)
        .into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(qualifications::id.gt(after.clone()));
    }
    Ok(Listed::of(
        query.limit(page.limit + 1).load(conn)?,
        page,
        |r| &r.id,
    ))
}

pub fn update(conn: &mut DbConnection, row: &QualificationRow) -> ApiResult<()> {
    diesel::update(qualifications::table.find(&row.id))
        .set((
            qualifications::name.eq(&row.name),
            qualifications::description.eq(&row.description),
            qualifications::validity_months.eq(row.validity_months),
            qualifications::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether equipment requires it or someone holds it.
pub fn in_use(conn: &mut DbConnection, id: &str) -> ApiResult<bool> {
    let required: i64 = equipment_qualifications::table
        .filter(equipment_qualifications::qualification_id.eq(id))
        .count()
        .get_result(conn)?;
    let held: i64 = user_qualifications::table
        .filter(user_qualifications::qualification_id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(required + held > 0)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> ApiResult<bool> {
    Ok(diesel::delete(qualifications::table.find(id)).execute(conn)? > 0)
}

pub fn count_existing(conn: &mut DbConnection, ids: &[String]) -> ApiResult<i64> {
    Ok(qualifications::table
        .filter(qualifications::id.eq_any(ids))
        .count()
        .get_result(conn)?)
}
