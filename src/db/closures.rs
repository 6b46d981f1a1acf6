//! Closures (holidays, site closures) and maintenance windows.

use diesel::prelude::*;

use super::schema::{closures, maintenance_windows as mw};
use super::{DbConnection, Listed, Page};
use crate::error::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = closures)]
pub struct ClosureRow {
    pub id: String,
    pub scope: String,
    pub scope_id: String,
    pub name: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub source_uid: Option<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ClosureFilter {
    pub scope: Option<String>,
    pub scope_id: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

pub fn insert(conn: &mut DbConnection, row: &ClosureRow) -> ApiResult<()> {
    diesel::insert_into(closures::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<ClosureRow>> {
    Ok(closures::table
        .find(id)
        .select(ClosureRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_imported(
    conn: &mut DbConnection,
    scope: &str,
    scope_id: &str,
    uid: &str,
) -> ApiResult<Option<ClosureRow>> {
    Ok(closures::table
        .filter(
            closures::scope
                .eq(scope)
                .and(closures::scope_id.eq(scope_id))
                .and(closures::source_uid.eq(uid)),
        )
        .select(ClosureRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> ApiResult<()> {
    diesel::delete(closures::table.find(id)).execute(conn)?;
    Ok(())
}

pub fn list(
    conn: &mut DbConnection,
    filter: &ClosureFilter,
    page: &Page,
) -> ApiResult<Listed<ClosureRow>> {
    let mut query = closures::table
        .select(ClosureRow::as_select())
        .order(closures::id)
        .into_boxed();
    if let Some(v) = &filter.scope {
        query = query.filter(closures::scope.eq(v.clone()));
    }
    if let Some(v) = &filter.scope_id {
        query = query.filter(closures::scope_id.eq(v.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(closures::ends_at.gt(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(closures::starts_at.lt(to));
    }
    if let Some(after) = &page.after {
        query = query.filter(closures::id.gt(after.clone()));
    }
    Ok(Listed::of(
        query.limit(page.limit + 1).load(conn)?,
        page,
        |r| &r.id,
    ))
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mw)]
pub struct MaintenanceRow {
    pub id: String,
    pub equipment_id: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub reason: String,
    pub created_by: Option<String>,
    pub created_at: i64,
}

pub fn insert_maintenance(conn: &mut DbConnection, row: &MaintenanceRow) -> ApiResult<()> {
    diesel::insert_into(mw::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find_maintenance(conn: &mut DbConnection, id: &str) -> ApiResult<Option<MaintenanceRow>> {
    Ok(mw::table
        .find(id)
        .select(MaintenanceRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn delete_maintenance(conn: &mut DbConnection, id: &str) -> ApiResult<()> {
    diesel::delete(mw::table.find(id)).execute(conn)?;
    Ok(())
}

pub fn list_maintenance(
    conn: &mut DbConnection,
    equipment_id: Option<&str>,
    from: Option<i64>,
    to: Option<i64>,
    page: &Page,
) -> ApiResult<Listed<MaintenanceRow>> {
    let mut query = mw::table
        .select(MaintenanceRow::as_select())
        .order(mw::id)
        .into_boxed();
    if let Some(v) = equipment_id {
        query = query.filter(mw::equipment_id.eq(v.to_owned()));
    }
    if let Some(from) = from {
        query = query.filter(mw::ends_at.gt(from));
    }
    if let Some(to) = to {
        query = query.filter(mw::starts_at.lt(to));
    }
    if let Some(after) = &page.after {
        query = query.filter(mw::id.gt(after.clone()));
    }
    Ok(Listed::of(
        query.limit(page.limit + 1).load(conn)?,
        page,
        |r| &r.id,
    ))
}
