//! What the scheduler reads (sessions to remind, what waits for managers, qualifications
//! about to expire) and the record of the messages it queued: one row per (kind, subject,
//! recipient, day), so that each goes out once whatever the ticks, restarts and instances.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::bookings::BookingRow;
use super::schema::{
    booking_usages, bookings, equipment, equipment_qualifications, notification_sends as ns,
    platform_managers, qualifications, user_qualifications as uq, users,
};
use super::DbConnection;
use crate::error::ApiResult;

/// The `(subject, recipient)` pairs already recorded for `kind` on `day`.
pub fn sent_on(
    conn: &mut DbConnection,
    kind: &str,
    day: NaiveDate,
) -> ApiResult<Vec<(String, String)>> {
    Ok(ns::table
        .filter(ns::kind.eq(kind).and(ns::day.eq(day)))
        .select((ns::subject_id, ns::user_id))
        .load(conn)?)
}

/// Records that the `kind` message about `subject_id` goes to `user_id` for `day`; false
/// when it already went (an earlier tick, another instance committing first: on
/// PostgreSQL the second insert waits for the first transaction, then does nothing).
pub fn record_send(
    conn: &mut DbConnection,
    now: i64,
    kind: &str,
    subject_id: &str,
    user_id: &str,
    day: NaiveDate,
) -> ApiResult<bool> {
    let row = (
        ns::kind.eq(kind),
        ns::subject_id.eq(subject_id),
        ns::user_id.eq(user_id),
        ns::day.eq(day),
        ns::created_at.eq(now),
    );
    let inserted = super::db_run!(conn, c => diesel::insert_into(ns::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Confirmed bookings starting in `[from, to)`; with `updated_before`, only those last
/// written (booked, approved, changed) before it.
pub fn confirmed_starting(
    conn: &mut DbConnection,
    from: i64,
    to: i64,
    updated_before: Option<i64>,
) -> ApiResult<Vec<BookingRow>> {
    let mut query = bookings::table
        .filter(bookings::status.eq("confirmed"))
        .filter(bookings::starts_at.ge(from).and(bookings::starts_at.lt(to)))
        .into_boxed();
    if let Some(before) = updated_before {
        query = query.filter(bookings::updated_at.lt(before));
    }
    Ok(query
        .order((bookings::starts_at, bookings::id))
        .select(BookingRow::as_select())
        .load(conn)?)
}

/// Bookings waiting for approval that have not ended at `now`.
pub fn pending_after(conn: &mut DbConnection, now: i64) -> ApiResult<Vec<BookingRow>> {
    Ok(bookings::table
        .filter(bookings::status.eq("pending"))
        .filter(bookings::ends_at.gt(now))
        .order((bookings::starts_at, bookings::id))
        .select(BookingRow::as_select())
        .load(conn)?)
}

/// Confirmed bookings ended in `[from, to)` that have no usage record yet.
pub fn unrecorded_between(
    conn: &mut DbConnection,
    from: i64,
    to: i64,
) -> ApiResult<Vec<BookingRow>> {
    Ok(bookings::table
        .filter(bookings::status.eq("confirmed"))
        .filter(bookings::ends_at.ge(from).and(bookings::ends_at.lt(to)))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            booking_usages::table.filter(booking_usages::booking_id.eq(bookings::id)),
        )))
        .order((bookings::starts_at, bookings::id))
        .select(BookingRow::as_select())
        .load(conn)?)
}

/// A qualification held that expires soon.
#[derive(Debug, Clone, Queryable)]
pub struct ExpiringRow {
    /// The award's id: the subject of its messages.
    pub id: String,
    pub user_id: String,
    pub holder: String,
    pub qualification_id: String,
    pub qualification: String,
    pub expires_on: NaiveDate,
    pub awarded_by: Option<String>,
}

/// Qualifications of active accounts expiring from `from` to `to` (both included).
pub fn expiring_between(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> ApiResult<Vec<ExpiringRow>> {
    Ok(uq::table
        .inner_join(users::table.on(users::id.eq(uq::user_id)))
        .inner_join(qualifications::table)
        .filter(users::active.eq(true))
        .filter(uq::expires_on.ge(from).and(uq::expires_on.le(to)))
        .order((uq::expires_on, uq::id))
        .select((
            uq::id,
            uq::user_id,
            users::display_name,
            uq::qualification_id,
            qualifications::name,
            uq::expires_on.assume_not_null(),
            uq::awarded_by,
        ))
        .load(conn)?)
}

/// The managers of the platforms whose equipment requires `qualification_id`, once each:
/// who is told of an award nobody is recorded as having made.
pub fn managers_requiring(
    conn: &mut DbConnection,
    qualification_id: &str,
) -> ApiResult<Vec<String>> {
    let platforms = equipment_qualifications::table
        .inner_join(equipment::table)
        .filter(equipment_qualifications::qualification_id.eq(qualification_id))
        .select(equipment::platform_id);
    Ok(platform_managers::table
        .filter(platform_managers::platform_id.eq_any(platforms))
        .select(platform_managers::user_id)
        .distinct()
        .order(platform_managers::user_id)
        .load(conn)?)
}
