//! What really happened in booked sessions.

use diesel::prelude::*;

use super::schema::{
    booking_usage_equipment as ue, booking_usage_learners as ul, booking_usages as u,
};
use super::DbConnection;
use crate::error::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = u, treat_none_as_null = true)]
pub struct UsageRow {
    pub booking_id: String,
    pub no_show: bool,
    pub actual_start: Option<i64>,
    pub actual_end: Option<i64>,
    pub consumables: String,
    pub incident: bool,
    pub incident_note: String,
    pub recorded_by: Option<String>,
    pub recorded_at: i64,
    pub updated_at: i64,
}

/// A usage record with who came, by learner status, and the machine time of each item
/// (`(equipment_id, minutes)`).
#[derive(Debug, Clone)]
pub struct UsageDetails {
    pub row: UsageRow,
    pub learners: Vec<(String, i32)>,
    pub machine_time: Vec<(String, i32)>,
}

pub fn with_details(conn: &mut DbConnection, row: UsageRow) -> ApiResult<UsageDetails> {
    Ok(UsageDetails {
        learners: learners_of(conn, &row.booking_id)?,
        machine_time: machine_time_of(conn, &row.booking_id)?,
        row,
    })
}

pub fn find(conn: &mut DbConnection, booking_id: &str) -> ApiResult<Option<UsageRow>> {
    Ok(u::table
        .find(booking_id)
        .select(UsageRow::as_select())
        .first(conn)
        .optional()?)
}

/// Writes a record, replacing the one the booking had.
pub fn save(
    conn: &mut DbConnection,
    row: &UsageRow,
    learners: &[(String, i32)],
    machine: &[(String, i32)],
    exists: bool,
) -> ApiResult<()> {
    // The same headcount, by status, on the record itself: reports read it from there.
    let headcount = |status: &str| -> i32 {
        learners
            .iter()
            .filter(|(s, _)| s == status)
            .map(|(_, n)| *n)
            .sum()
    };
    let headcounts = (
        u::school_headcount.eq(headcount("school")),
        u::apprentice_headcount.eq(headcount("apprentice")),
        u::continuing_education_headcount.eq(headcount("continuing_education")),
        u::higher_education_headcount.eq(headcount("higher_education")),
        u::company_headcount.eq(headcount("company")),
        u::research_headcount.eq(headcount("research")),
        u::learner_statuses.eq(learners.len() as i32),
    );
    if exists {
        diesel::update(u::table.find(&row.booking_id))
            .set((row, headcounts))
            .execute(conn)?;
        diesel::delete(ul::table.filter(ul::booking_id.eq(&row.booking_id))).execute(conn)?;
        diesel::delete(ue::table.filter(ue::booking_id.eq(&row.booking_id))).execute(conn)?;
    } else {
        diesel::insert_into(u::table)
            .values((row, headcounts))
            .execute(conn)?;
    }
    let learner_rows: Vec<_> = learners
        .iter()
        .map(|(status, headcount)| {
            (
                ul::booking_id.eq(&row.booking_id),
                ul::learner_status.eq(status),
                ul::headcount.eq(headcount),
            )
        })
        .collect();
    crate::db::insert_many!(conn, ul::table, &learner_rows)?;
    let machine_rows: Vec<_> = machine
        .iter()
        .map(|(equipment_id, minutes)| {
            (
                ue::booking_id.eq(&row.booking_id),
                ue::equipment_id.eq(equipment_id),
                ue::machine_minutes.eq(minutes),
            )
        })
        .collect();
    crate::db::insert_many!(conn, ue::table, &machine_rows)?;
    Ok(())
}

pub fn learners_of(conn: &mut DbConnection, booking_id: &str) -> ApiResult<Vec<(String, i32)>> {
    Ok(ul::table
        .filter(ul::booking_id.eq(booking_id))
        .select((ul::learner_status, ul::headcount))
        .order(ul::learner_status)
        .load(conn)?)
}

pub fn machine_time_of(conn: &mut DbConnection, booking_id: &str) -> ApiResult<Vec<(String, i32)>> {
    Ok(ue::table
        .filter(ue::booking_id.eq(booking_id))
        .select((ue::equipment_id, ue::machine_minutes))
        .order(ue::equipment_id)
        .load(conn)?)
}

/// `(request_id, platform_id, seconds used)` of the recorded sessions of bookings linked
/// to requests.
pub fn used_for_requests(
    conn: &mut DbConnection,
    request_ids: &[String],
) -> ApiResult<Vec<(String, String, i64)>> {
    use super::schema::bookings;
    // (request, platform, actual start, actual end)
    type Used = (Option<String>, String, Option<i64>, Option<i64>);
    let rows: Vec<Used> = u::table
        .inner_join(bookings::table.on(bookings::id.eq(u::booking_id)))
        .filter(bookings::service_request_id.eq_any(request_ids))
        .filter(u::no_show.eq(false))
        .select((
            bookings::service_request_id,
            bookings::platform_id,
            u::actual_start,
            u::actual_end,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(request, platform, start, end)| Some((request?, platform, end? - start?)))
        .collect())
}
