use diesel::prelude::*;

use super::schema::{platform_managers, platform_opening_intervals as poi, platforms};
use super::{new_id, DbConnection, Listed, Page};
use crate::domain::opening_hours::WeeklyInterval;
use crate::domain::Weekday;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = platforms)]
pub struct PlatformRow {
    pub id: String,
    pub campus_id: String,
    pub owner_organisation_id: String,
    pub name: String,
    pub domain: String,
    pub description: String,
    pub town: Option<String>,
    pub stations: i32,
    pub who_may_book: String,
    pub outside_requires_approval: bool,
    pub min_notice_hours: i32,
    pub max_horizon_days: i32,
    pub max_duration_minutes: i32,
    pub created_at: i64,
    pub updated_at: i64,
    pub bookers_record_usage: bool,
}

/// A platform with what its view shows besides its row.
#[derive(Debug, Clone)]
pub struct PlatformDetails {
    pub row: PlatformRow,
    pub opening_hours: Vec<WeeklyInterval>,
    pub manager_ids: Vec<String>,
}

/// The platforms with their opening hours and managers (two queries for the whole list).
pub fn with_details(
    conn: &mut DbConnection,
    rows: Vec<PlatformRow>,
) -> ApiResult<Vec<PlatformDetails>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut hours = super::grouped(opening_hours_of(conn, &ids)?);
    let mut managers = super::grouped(managers_of(conn, &ids)?);
    Ok(rows
        .into_iter()
        .map(|row| PlatformDetails {
            opening_hours: hours.remove(&row.id).unwrap_or_default(),
            manager_ids: managers.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

#[derive(Debug, Default, Clone)]
pub struct PlatformFilter {
    pub campus_id: Option<String>,
    pub domain: Option<String>,
    pub owner_organisation_id: Option<String>,
    pub name_contains: Option<String>,
}

pub fn insert(
    conn: &mut DbConnection,
    row: &PlatformRow,
    hours: &[WeeklyInterval],
) -> ApiResult<()> {
    diesel::insert_into(platforms::table)
        .values(row)
        .execute(conn)?;
    set_opening_hours(conn, &row.id, hours)
}

pub fn set_opening_hours(
    conn: &mut DbConnection,
    platform_id: &str,
    hours: &[WeeklyInterval],
) -> ApiResult<()> {
    diesel::delete(poi::table.filter(poi::platform_id.eq(platform_id))).execute(conn)?;
    let rows: Vec<_> = hours
        .iter()
        .map(|h| {
            (
                poi::id.eq(new_id()),
                poi::platform_id.eq(platform_id),
                poi::weekday.eq(h.weekday.number()),
                poi::opens_minute.eq(h.opens_minute),
                poi::closes_minute.eq(h.closes_minute),
            )
        })
        .collect();
    crate::db::insert_many!(conn, poi::table, &rows)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<PlatformRow>> {
    Ok(platforms::table
        .find(id)
        .select(PlatformRow::as_select())
        .first(conn)
        .optional()?)
}

/// Reads a platform and, on PostgreSQL, locks its row until the end of the transaction:
/// the station bookings of one platform are written one at a time.
pub fn find_locked(conn: &mut DbConnection, id: &str) -> ApiResult<Option<PlatformRow>> {
    Ok(match conn {
        DbConnection::Postgresql(pg) => platforms::table
            .find(id)
            .select(PlatformRow::as_select())
            .for_update()
            .first(pg)
            .optional()?,
        DbConnection::Sqlite(lite) => platforms::table
            .find(id)
            .select(PlatformRow::as_select())
            .first(lite)
            .optional()?,
    })
}

/// Several platforms, read and (on PostgreSQL) locked in id order.
pub fn lock_many(conn: &mut DbConnection, ids: &[String]) -> ApiResult<()> {
    match conn {
        DbConnection::Postgresql(pg) => {
            platforms::table
                .filter(platforms::id.eq_any(ids))
                .select(platforms::id)
                .order(platforms::id)
                .for_update()
                .load::<String>(pg)?;
        }
        // SQLite's `BEGIN IMMEDIATE` already serialises every writer.
        DbConnection::Sqlite(_) => {}
    }
    Ok(())
}

/// Several platforms with their opening hours. Two queries, each answered from an index: a
/// join would read the opening hours of every platform.
pub fn find_many_with_hours(
    conn: &mut DbConnection,
    ids: &[String],
) -> ApiResult<Vec<(PlatformRow, Vec<WeeklyInterval>)>> {
    let platforms: Vec<PlatformRow> = platforms::table
        .filter(platforms::id.eq_any(ids))
        .select(PlatformRow::as_select())
        .load(conn)?;
    let hours = opening_hours_of(conn, ids)?;
    Ok(platforms
        .into_iter()
        .map(|platform| {
            let mine = hours
                .iter()
                .filter(|(id, _)| *id == platform.id)
                .map(|(_, interval)| *interval)
                .collect();
            (platform, mine)
        })
        .collect())
}

/// A platform with its opening hours, in one query. (On the shared pool's sessions this join
/// measured faster than `find_many_with_hours`'s two queries, which suit the booking writer's.)
pub fn find_with_hours(
    conn: &mut DbConnection,
    id: &str,
) -> ApiResult<Option<(PlatformRow, Vec<WeeklyInterval>)>> {
    // (weekday, opens, closes) of each interval; none for a platform without hours.
    type Interval = Option<(i16, i32, i32)>;
    let rows: Vec<(PlatformRow, Interval)> = platforms::table
        .left_join(poi::table)
        .filter(platforms::id.eq(id))
        .select((
            PlatformRow::as_select(),
            (poi::weekday, poi::opens_minute, poi::closes_minute).nullable(),
        ))
        .order((poi::weekday, poi::opens_minute))
        .load(conn)?;
    let mut rows = rows.into_iter().peekable();
    let Some((platform, _)) = rows.peek().cloned() else {
        return Ok(None);
    };
    let hours = rows
        .filter_map(|(_, interval)| interval)
        .map(|(day, opens, closes)| {
            Ok(WeeklyInterval {
                weekday: Weekday::from_number(day)
                    .ok_or_else(|| ApiError::internal(format!("weekday {day} in the database")))?,
                opens_minute: opens,
                closes_minute: closes,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Some((platform, hours)))
}

pub fn find_by_owner_and_name(
    conn: &mut DbConnection,
    owner: &str,
    name: &str,
) -> ApiResult<Option<PlatformRow>> {
    Ok(platforms::table
        .filter(
            platforms::owner_organisation_id
                .eq(owner)
                .and(platforms::name.eq(name)),
        )
        .select(PlatformRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(
    conn: &mut DbConnection,
    filter: &PlatformFilter,
    page: &Page,
) -> ApiResult<Listed<PlatformRow>> {
    let mut query = platforms::table
        .select(PlatformRow::as_select())
        .order(platforms::id)
        .into_boxed();
    if let Some(campus) = &filter.campus_id {
        query = query.filter(platforms::campus_id.eq(campus.clone()));
    }
    if let Some(domain) = &filter.domain {
        query = query.filter(platforms::domain.eq(domain.clone()));
    }
    if let Some(owner) = &filter.owner_organisation_id {
        query = query.filter(platforms::owner_organisation_id.eq(owner.clone()));
    }
    if let Some(text) = &filter.name_contains {
        query = query.filter(
            super::lower(platforms::name)
                .like(format!(
                    "%{}%",
                    super::users::escape_like(&text.to_lowercase())
                ))
                .escape('\\'),
        );
    }
    if let Some(after) = &page.after {
        query = query.filter(platforms::id.gt(after.clone()));
    }
    Ok(Listed::of(
        query.limit(page.limit + 1).load(conn)?,
        page,
        |r| &r.id,
    ))
}

pub fn update(conn: &mut DbConnection, row: &PlatformRow) -> ApiResult<()> {
    diesel::update(platforms::table.find(&row.id))
        .set((
            platforms::name.eq(&row.name),
            platforms::domain.eq(&row.domain),
            platforms::description.eq(&row.description),
            platforms::town.eq(&row.town),
            platforms::stations.eq(row.stations),
            platforms::who_may_book.eq(&row.who_may_book),
            platforms::outside_requires_approval.eq(row.outside_requires_approval),
            platforms::min_notice_hours.eq(row.min_notice_hours),
            platforms::max_horizon_days.eq(row.max_horizon_days),
            platforms::max_duration_minutes.eq(row.max_duration_minutes),
            platforms::bookers_record_usage.eq(row.bookers_record_usage),
            platforms::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Opening intervals of several platforms, as `(platform_id, interval)`.
pub fn opening_hours_of(
    conn: &mut DbConnection,
    platform_ids: &[String],
) -> ApiResult<Vec<(String, WeeklyInterval)>> {
    let rows: Vec<(String, i16, i32, i32)> = poi::table
        .filter(poi::platform_id.eq_any(platform_ids))
        .select((
            poi::platform_id,
            poi::weekday,
            poi::opens_minute,
            poi::closes_minute,
        ))
        .order((poi::platform_id, poi::weekday, poi::opens_minute))
        .load(conn)?;
    rows.into_iter()
        .map(|(p, day, opens, closes)| {
            let weekday = Weekday::from_number(day)
                .ok_or_else(|| ApiError::internal(format!("weekday {day} in the database")))?;
            Ok((
                p,
                WeeklyInterval {
                    weekday,
                    opens_minute: opens,
                    closes_minute: closes,
                },
            ))
        })
        .collect()
}

pub fn managers_of(
    conn: &mut DbConnection,
    platform_ids: &[String],
) -> ApiResult<Vec<(String, String)>> {
    Ok(platform_managers::table
        .filter(platform_managers::platform_id.eq_any(platform_ids))
        .select((platform_managers::platform_id, platform_managers::user_id))
        .order((platform_managers::platform_id, platform_managers::user_id))
        .load(conn)?)
}

/// Every platform manager, once each: who hears of a service request with no platform
/// chosen.
pub fn all_managers(conn: &mut DbConnection) -> ApiResult<Vec<String>> {
    Ok(platform_managers::table
        .select(platform_managers::user_id)
        .distinct()
        .order(platform_managers::user_id)
        .load(conn)?)
}

pub fn is_manager(conn: &mut DbConnection, user_id: &str, platform_id: &str) -> ApiResult<bool> {
    let n: i64 = platform_managers::table
        .filter(
            platform_managers::user_id
                .eq(user_id)
                .and(platform_managers::platform_id.eq(platform_id)),
        )
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Which of these users manage which of these platforms, as `(user, platform)` pairs.
pub fn managed_pairs(
    conn: &mut DbConnection,
    user_ids: &[String],
    platform_ids: &[String],
) -> ApiResult<Vec<(String, String)>> {
    Ok(platform_managers::table
        .filter(platform_managers::user_id.eq_any(user_ids))
        .filter(platform_managers::platform_id.eq_any(platform_ids))
        .select((platform_managers::user_id, platform_managers::platform_id))
        .load(conn)?)
}

pub fn count_existing(conn: &mut DbConnection, ids: &[String]) -> ApiResult<i64> {
    Ok(platforms::table
        .filter(platforms::id.eq_any(ids))
        .count()
        .get_result(conn)?)
}

/// The platforms a user manages, each with whether its owner is a technology platform
/// (PFT): confidential requests with no platform chosen go to the PFTs' managers.
pub fn managed_with_pft_flag(
    conn: &mut DbConnection,
    user_id: &str,
) -> ApiResult<Vec<(String, bool)>> {
    use super::schema::organisations;
    let rows: Vec<(String, String)> = platform_managers::table
        .inner_join(platforms::table.inner_join(organisations::table))
        .filter(platform_managers::user_id.eq(user_id))
        .select((platforms::id, organisations::kind))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, kind)| {
            let pft = kind == crate::domain::OrganisationKind::TechnologyPlatform.as_str();
            (id, pft)
        })
        .collect())
}
