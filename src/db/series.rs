//! Recurring series and the occurrences they skipped.

use diesel::prelude::*;

use super::schema::{booking_series, booking_series_skips as skips};
use super::{new_id, DbConnection};
use crate::error::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = booking_series)]
pub struct SeriesRow {
    pub id: String,
    pub rrule: String,
    pub mode: String,
    pub platform_id: String,
    pub equipment_id: Option<String>,
    pub booker_id: String,
    pub organisation_id: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = skips)]
pub struct SkipRow {
    pub id: String,
    pub series_id: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub code: String,
    pub reason: String,
}

/// A series with every occurrence (with its learners) and the dates skipped at creation.
#[derive(Debug, Clone)]
pub struct SeriesDetails {
    pub series: SeriesRow,
    pub occurrences: Vec<super::bookings::BookingDetails>,
    pub skipped: Vec<SkipRow>,
}

pub fn insert(conn: &mut DbConnection, row: &SeriesRow) -> ApiResult<()> {
    diesel::insert_into(booking_series::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<SeriesRow>> {
    Ok(booking_series::table
        .find(id)
        .select(SeriesRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn touch(conn: &mut DbConnection, id: &str, at: i64) -> ApiResult<()> {
    diesel::update(booking_series::table.find(id))
        .set(booking_series::updated_at.eq(at))
        .execute(conn)?;
    Ok(())
}

pub fn insert_skip(
    conn: &mut DbConnection,
    series_id: &str,
    starts_at: i64,
    ends_at: i64,
    code: &str,
    reason: &str,
) -> ApiResult<()> {
    diesel::insert_into(skips::table)
        .values((
            skips::id.eq(new_id()),
            skips::series_id.eq(series_id),
            skips::starts_at.eq(starts_at),
            skips::ends_at.eq(ends_at),
            skips::code.eq(code),
            skips::reason.eq(reason),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn skips_of(conn: &mut DbConnection, series_id: &str) -> ApiResult<Vec<SkipRow>> {
    Ok(skips::table
        .filter(skips::series_id.eq(series_id))
        .select(SkipRow::as_select())
        .order(skips::starts_at)
        .load(conn)?)
}
