use diesel::prelude::*;

use super::schema::{equipment, equipment_qualifications as eq};
use super::{DbConnection, Listed, Page};
use crate::error::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = equipment)]
pub struct EquipmentRow {
    pub id: String,
    pub platform_id: String,
    pub name: String,
    pub kind: String,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub serial_number: Option<String>,
    pub inventory_number: Option<String>,
    pub status: String,
    pub hourly_rate_cents: Option<i64>,
    pub notes: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An equipment item with the qualifications it requires.
#[derive(Debug, Clone)]
pub struct EquipmentDetails {
    pub row: EquipmentRow,
    pub required_qualification_ids: Vec<String>,
}

/// The items with the qualifications each requires (one query for the whole list).
pub fn with_details(
    conn: &mut DbConnection,
    rows: Vec<EquipmentRow>,
) -> ApiResult<Vec<EquipmentDetails>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut required = super::grouped(required_qualification_ids_of(conn, &ids)?);
    Ok(rows
        .into_iter()
        .map(|row| EquipmentDetails {
            required_qualification_ids: required.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

#[derive(Debug, Default, Clone)]
pub struct EquipmentFilter {
    pub platform_id: Option<String>,
    pub status: Option<String>,
    pub requires_qualification_id: Option<String>,
    pub name_contains: Option<String>,
}

pub fn insert(
    conn: &mut DbConnection,
    row: &EquipmentRow,
    qualification_ids: &[String],
) -> ApiResult<()> {
    diesel::insert_into(equipment::table)
        .values(row)
        .execute(conn)?;
    set_required_qualifications(conn, &row.id, qualification_ids)
}

pub fn set_required_qualifications(
    conn: &mut DbConnection,
    equipment_id: &str,
    qualification_ids: &[String],
) -> ApiResult<()> {
    diesel::delete(eq::table.filter(eq::equipment_id.eq(equipment_id))).execute(conn)?;
    let rows: Vec<_> = qualification_ids
        .iter()
        .map(|q| {
            (
                eq::equipment_id.eq(equipment_id),
                eq::qualification_id.eq(q),
            )
        })
        .collect();
    crate::db::insert_many!(conn, eq::table, &rows)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<EquipmentRow>> {
    Ok(equipment::table
        .find(id)
        .select(EquipmentRow::as_select())
        .first(conn)
        .optional()?)
}

/// Reads an item and, on PostgreSQL, locks its row until the end of the transaction: the
/// bookings of one item are written one at a time. (SQLite's `BEGIN IMMEDIATE` already
/// serialises every writer.)
pub fn find_locked(conn: &mut DbConnection, id: &str) -> ApiResult<Option<EquipmentRow>> {
    Ok(match conn {
        DbConnection::Postgresql(pg) => equipment::table
            .find(id)
            .select(EquipmentRow::as_select())
            .for_update()
            .first(pg)
            .optional()?,
        DbConnection::Sqlite(lite) => equipment::table
            .find(id)
            .select(EquipmentRow::as_select())
            .first(lite)
            .optional()?,
    })
}

/// Several items, read and (on PostgreSQL) locked in id order, so that two batches of
/// bookings never wait on each other in a cycle.
pub fn find_many_locked(conn: &mut DbConnection, ids: &[String]) -> ApiResult<Vec<EquipmentRow>> {
    Ok(match conn {
        DbConnection::Postgresql(pg) => equipment::table
            .filter(equipment::id.eq_any(ids))
            .select(EquipmentRow::as_select())
            .order(equipment::id)
            .for_update()
            .load(pg)?,
        DbConnection::Sqlite(lite) => equipment::table
            .filter(equipment::id.eq_any(ids))
            .select(EquipmentRow::as_select())
            .load(lite)?,
    })
}

pub fn find_by_inventory_number(
    conn: &mut DbConnection,
    number: &str,
) -> ApiResult<Option<EquipmentRow>> {
    Ok(equipment::table
        .filter(equipment::inventory_number.eq(number))
        .select(EquipmentRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(
    conn: &mut DbConnection,
    filter: &EquipmentFilter,
    page: &Page,
) -> ApiResult<Listed<EquipmentRow>> {
    let mut query = equipment::table
        .select(EquipmentRow::as_select())
        .order(equipment::id)
        .into_boxed();
    if let Some(platform) = &filter.platform_id {
        query = query.filter(equipment::platform_id.eq(platform.clone()));
    }
    if let Some(status) = &filter.status {
        query = query.filter(equipment::status.eq(status.clone()));
    }
    if let Some(q) = &filter.requires_qualification_id {
        query = query.filter(
            equipment::id.eq_any(
                eq::table
                    .filter(eq::qualification_id.eq(q.clone()))
                    .select(eq::equipment_id),
            ),
        );
    }
    if let Some(text) = &filter.name_contains {
        query = query.filter(
            super::lower(equipment::name)
                .like(format!(
                    "%{}%",
                    super::users::escape_like(&text.to_lowercase())
                ))
                .escape('\\'),
        );
    }
    if let Some(after) = &page.after {
        query = query.filter(equipment::id.gt(after.clone()));
    }
    Ok(Listed::of(
        query.limit(page.limit + 1).load(conn)?,
        page,
        |r| &r.id,
    ))
}

pub fn update(conn: &mut DbConnection, row: &EquipmentRow) -> ApiResult<()> {
    diesel::update(equipment::table.find(&row.id))
        .set((
            equipment::platform_id.eq(&row.platform_id),
            equipment::name.eq(&row.name),
            equipment::kind.eq(&row.kind),
            equipment::manufacturer.eq(&row.manufacturer),
            equipment::model.eq(&row.model),
            equipment::serial_number.eq(&row.serial_number),
            equipment::inventory_number.eq(&row.inventory_number),
            equipment::status.eq(&row.status),
            equipment::hourly_rate_cents.eq(row.hourly_rate_cents),
            equipment::notes.eq(&row.notes),
            equipment::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// `(equipment_id, qualification_id)` of what these items require, for their views.
pub fn required_qualification_ids_of(
    conn: &mut DbConnection,
    equipment_ids: &[String],
) -> ApiResult<Vec<(String, String)>> {
    Ok(eq::table
        .filter(eq::equipment_id.eq_any(equipment_ids))
        .select((eq::equipment_id, eq::qualification_id))
        .order((eq::equipment_id, eq::qualification_id))
        .load(conn)?)
}
