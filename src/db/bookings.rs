//! Bookings, their learners, and the context the booking rules read.

use diesel::prelude::*;

use super::platforms::PlatformRow;
use super::schema::{
    booking_learners as bl, bookings, closures, equipment, equipment_qualifications as eq,
    maintenance_windows as mw, organisations, platform_managers, platforms, qualifications,
    user_qualifications as uq, users,
};
use super::{DbConnection, Listed, MultiBackend, Page};
use crate::domain::booking::{ClosureSpan, HeldQualification, LiveBooking};
use crate::domain::time::Span;
use crate::error::ApiResult;
use diesel::dsl;
use diesel::helper_types::{InnerJoinQuerySource, LeftJoinQuerySource};
use diesel::sql_types::{Bool, Nullable};

// None is written as NULL rather than DEFAULT (the same for these columns): diesel can then
// keep the INSERT prepared on PostgreSQL instead of parsing it for every booking.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bookings, treat_none_as_default_value = false)]
pub struct BookingRow {
    pub id: String,
    pub platform_id: String,
    pub equipment_id: Option<String>,
    pub stations: Option<i32>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub status: String,
    pub booker_id: String,
    pub organisation_id: String,
    pub supervisor_id: Option<String>,
    pub group_label: String,
    pub level: String,
    pub purpose: String,
    pub service_request_id: Option<String>,
    pub series_id: Option<String>,
    pub status_reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// A session that happened without a booking, recorded afterwards.
    pub recorded_after_the_fact: bool,
    /// The SEQUENCE of its calendar invitation: raised by each change and decision.
    pub sequence: i32,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = bookings)]
struct LiveRow {
    id: String,
    starts_at: i64,
    ends_at: i64,
    equipment_id: Option<String>,
    stations: Option<i32>,
}

impl LiveRow {
    fn into_live(self) -> LiveBooking {
        LiveBooking {
            id: self.id,
            span: Span::new(self.starts_at, self.ends_at),
            equipment_id: self.equipment_id,
            stations: self.stations,
        }
    }
}

const LIVE: [&str; 2] = ["pending", "confirmed"];

/// The longest a booking lasts (the database checks it): a booking overlapping a window
/// starts at most this long before it, which bounds every range scan of the time index.
pub const MAX_BOOKING_SECONDS: i64 = 7 * 86_400;

pub fn insert(
    conn: &mut DbConnection,
    row: &BookingRow,
    learners: &[(String, i32)],
) -> ApiResult<()> {
    diesel::insert_into(bookings::table)
        .values(row)
        .execute(conn)?;
    insert_learners(conn, &row.id, learners)
}

pub fn set_learners(
    conn: &mut DbConnection,
    booking_id: &str,
    learners: &[(String, i32)],
) -> ApiResult<()> {
    diesel::delete(bl::table.filter(bl::booking_id.eq(booking_id))).execute(conn)?;
    insert_learners(conn, booking_id, learners)
}

fn insert_learners(
    conn: &mut DbConnection,
    booking_id: &str,
    learners: &[(String, i32)],
) -> ApiResult<()> {
    let rows: Vec<_> = learners
        .iter()
        .map(|(status, headcount)| {
            (
                bl::booking_id.eq(booking_id),
                bl::learner_status.eq(status),
                bl::headcount.eq(headcount),
            )
        })
        .collect();
    crate::db::insert_many!(conn, bl::table, &rows)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<BookingRow>> {
    Ok(bookings::table
        .find(id)
        .select(BookingRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn update(conn: &mut DbConnection, row: &BookingRow) -> ApiResult<()> {
    diesel::update(bookings::table.find(&row.id))
        .set((
            bookings::platform_id.eq(&row.platform_id),
            bookings::equipment_id.eq(&row.equipment_id),
            bookings::stations.eq(row.stations),
            bookings::starts_at.eq(row.starts_at),
            bookings::ends_at.eq(row.ends_at),
            bookings::status.eq(&row.status),
            bookings::organisation_id.eq(&row.organisation_id),
            bookings::supervisor_id.eq(&row.supervisor_id),
            bookings::group_label.eq(&row.group_label),
            bookings::level.eq(&row.level),
            bookings::purpose.eq(&row.purpose),
            bookings::service_request_id.eq(&row.service_request_id),
            bookings::status_reason.eq(&row.status_reason),
            bookings::decided_by.eq(&row.decided_by),
            bookings::decided_at.eq(row.decided_at),
            bookings::updated_at.eq(row.updated_at),
            bookings::sequence.eq(row.sequence),
        ))
        .execute(conn)?;
    Ok(())
}

/// A booking with its group's headcount by learner status, `(status, headcount)`.
#[derive(Debug, Clone)]
pub struct BookingDetails {
    pub row: BookingRow,
    pub learners: Vec<(String, i32)>,
}

/// The bookings with their learners (one query for the whole list).
pub fn with_learners(
    conn: &mut DbConnection,
    rows: Vec<BookingRow>,
) -> ApiResult<Vec<BookingDetails>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut learners = super::grouped(
        learners_of(conn, &ids)?
            .into_iter()
            .map(|(booking, status, headcount)| (booking, (status, headcount))),
    );
    Ok(rows
        .into_iter()
        .map(|row| BookingDetails {
            learners: learners.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

pub fn learners_of(
    conn: &mut DbConnection,
    booking_ids: &[String],
) -> ApiResult<Vec<(String, String, i32)>> {
    Ok(bl::table
        .filter(bl::booking_id.eq_any(booking_ids))
        .select((bl::booking_id, bl::learner_status, bl::headcount))
        .order((bl::booking_id, bl::learner_status))
        .load(conn)?)
}

/// A closure or a live booking: (start, end, closure name, booking id, equipment id, stations).
type ObstacleRow = (
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i32>,
);

/// What stands in the way of booking `target` of `platform` within `window`, read in one
/// query: the closures of the platform (its own, its owner's and its campus's) and the live
/// bookings a booking of `target` may conflict with, those of its equipment item or the
/// station bookings of its platform. Each booking part is one indexed range scan
/// (`bookings_equipment_time`, or the partial `bookings_station_time`). Closures come in
/// order of their start.
pub fn obstacles(
    conn: &mut DbConnection,
    platform: &PlatformRow,
    target: &LiveTarget,
    window: Span,
) -> ApiResult<(Vec<ClosureSpan>, Vec<LiveBooking>)> {
    use diesel::sql_types::{Integer, Nullable, Text};
    // Typed NULLs for the columns one side of the union lacks; as parameters (rather than
    // SQL text) they leave the query cacheable, so that PostgreSQL plans it once.
    let no_text = || None::<String>.into_sql::<Nullable<Text>>();
    let no_integer = || None::<i32>.into_sql::<Nullable<Integer>>();

    let closures = closures::table
        .filter(
            closures::scope
                .eq("campus")
                .and(closures::scope_id.eq(&platform.campus_id))
                .or(closures::scope
                    .eq("organisation")
                    .and(closures::scope_id.eq(&platform.owner_organisation_id)))
                .or(closures::scope
                    .eq("platform")
                    .and(closures::scope_id.eq(&platform.id))),
        )
        .filter(
            closures::starts_at
                .lt(window.end)
                .and(closures::ends_at.gt(window.start)),
        )
        .select((
            closures::starts_at,
            closures::ends_at,
            closures::name.nullable(),
            no_text(),
            no_text(),
            no_integer(),
        ));
    let live = bookings::table
        .filter(bookings::status.eq_any(LIVE))
        .filter(bookings::starts_at.lt(window.end))
        .filter(bookings::ends_at.gt(window.start))
        .filter(bookings::starts_at.gt(window.start - MAX_BOOKING_SECONDS))
        .select((
            bookings::starts_at,
            bookings::ends_at,
            no_text(),
            bookings::id.nullable(),
            bookings::equipment_id,
            bookings::stations,
        ));
    let rows: Vec<ObstacleRow> = match target {
        LiveTarget::Equipment(id) => load_on_each_backend(
            conn,
            closures.union_all(live.filter(bookings::equipment_id.eq(id))),
        )?,
        LiveTarget::Stations(id) => load_on_each_backend(
            conn,
            closures.union_all(
                live.filter(bookings::platform_id.eq(id))
                    .filter(bookings::stations.is_not_null()),
            ),
        )?,
    };
    let (mut closed, mut booked) = (Vec::new(), Vec::new());
    for (start, end, name, booking_id, equipment_id, stations) in rows {
        let span = Span::new(start, end);
        match booking_id {
            Some(id) => booked.push(LiveBooking {
                id,
                span,
                equipment_id,
                stations,
            }),
            None => closed.push(ClosureSpan {
                span,
                name: name.unwrap_or_default(),
            }),
        }
    }
    closed.sort_by_key(|c| c.span.start);
    Ok((closed, booked))
}

/// Loads a query that diesel offers on each backend but not through `MultiConnection`
/// (`UNION ALL`).
fn load_on_each_backend<'query, Q, T>(
    conn: &mut DbConnection,
    query: Q,
) -> diesel::QueryResult<Vec<T>>
where
    Q: RunQueryDsl<diesel::PgConnection>
        + RunQueryDsl<diesel::SqliteConnection>
        + diesel::query_dsl::LoadQuery<'query, diesel::PgConnection, T>
        + diesel::query_dsl::LoadQuery<'query, diesel::SqliteConnection, T>,
{
    crate::db::db_run!(conn, c => query.load(c))
}

/// Live bookings of an equipment item overlapping `window` (for maintenance windows).
pub fn live_on_equipment(
    conn: &mut DbConnection,
    equipment_id: &str,
    window: Span,
) -> ApiResult<Vec<BookingRow>> {
    Ok(bookings::table
        .filter(bookings::equipment_id.eq(equipment_id))
        .filter(bookings::status.eq_any(LIVE))
        .filter(
            bookings::starts_at
                .lt(window.end)
                .and(bookings::ends_at.gt(window.start))
                .and(bookings::starts_at.gt(window.start - MAX_BOOKING_SECONDS)),
        )
        .select(BookingRow::as_select())
        .order(bookings::starts_at)
        .load(conn)?)
}

pub fn maintenance_for(
    conn: &mut DbConnection,
    equipment_id: &str,
    window: Span,
) -> ApiResult<Vec<(Span, String)>> {
    let rows: Vec<(i64, i64, String)> = mw::table
        .filter(mw::equipment_id.eq(equipment_id))
        .filter(
            mw::starts_at
                .lt(window.end)
                .and(mw::ends_at.gt(window.start)),
        )
        .select((mw::starts_at, mw::ends_at, mw::reason))
        .order(mw::starts_at)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(s, e, r)| (Span::new(s, e), r))
        .collect())
}

/// `(id, name)` of the qualifications an equipment item requires.
pub fn required_qualifications(
    conn: &mut DbConnection,
    equipment_id: &str,
) -> ApiResult<Vec<(String, String)>> {
    Ok(eq::table
        .inner_join(qualifications::table)
        .filter(eq::equipment_id.eq(equipment_id))
        .select((qualifications::id, qualifications::name))
        .order(qualifications::name)
        .load(conn)?)
}

/// Display name and qualifications held by a user.
pub fn holder(
    conn: &mut DbConnection,
    user_id: &str,
) -> ApiResult<Option<(String, Vec<HeldQualification>)>> {
    let Some(name) = users::table
        .find(user_id)
        .select(users::display_name)
        .first::<String>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let held: Vec<(String, chrono::NaiveDate, Option<chrono::NaiveDate>)> = uq::table
        .filter(uq::user_id.eq(user_id))
        .select((uq::qualification_id, uq::awarded_on, uq::expires_on))
        .load(conn)?;
    Ok(Some((
        name,
        held.into_iter()
            .map(
                |(qualification_id, awarded_on, expires_on)| HeldQualification {
                    qualification_id,
                    awarded_on,
                    expires_on,
                },
            )
            .collect(),
    )))
}

/// What a booking may conflict with: bookings of its equipment item, or the station
/// bookings of its platform.
#[derive(Debug, Clone)]
pub enum LiveTarget {
    Equipment(String),
    Stations(String),
}

/// Live bookings that may conflict with any of `asks`, each with its platform, in one query.
pub fn live_for(
    conn: &mut DbConnection,
    asks: &[(LiveTarget, Span)],
) -> ApiResult<Vec<(String, LiveBooking)>> {
    if asks.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = bookings::table
        .select((bookings::platform_id, LiveRow::as_select()))
        .into_boxed();
    for (target, window) in asks {
        let overlaps = bookings::status
            .eq_any(LIVE)
            .and(bookings::starts_at.lt(window.end))
            .and(bookings::ends_at.gt(window.start))
            .and(bookings::starts_at.gt(window.start - MAX_BOOKING_SECONDS));
        // Each ask adds its own condition: `… OR (…)`.
        query = match target {
            LiveTarget::Equipment(id) => {
                query.or_filter(bookings::equipment_id.eq(id.clone()).and(overlaps))
            }
            LiveTarget::Stations(id) => query.or_filter(
                bookings::platform_id
                    .eq(id.clone())
                    .and(bookings::stations.is_not_null())
                    .and(overlaps),
            ),
        };
    }
    let rows: Vec<(String, LiveRow)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(platform_id, r)| (platform_id, r.into_live()))
        .collect())
}

/// `(scope, scope_id, closure)` of the closures of any of `scope_ids` within `window`.
pub fn closures_of(
    conn: &mut DbConnection,
    scope_ids: &[String],
    window: Span,
) -> ApiResult<Vec<(String, String, ClosureSpan)>> {
    let rows: Vec<(String, String, i64, i64, String)> = closures::table
        .filter(closures::scope_id.eq_any(scope_ids))
        .filter(
            closures::starts_at
                .lt(window.end)
                .and(closures::ends_at.gt(window.start)),
        )
        .select((
            closures::scope,
            closures::scope_id,
            closures::starts_at,
            closures::ends_at,
            closures::name,
        ))
        .order(closures::starts_at)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(scope, scope_id, s, e, name)| {
            (
                scope,
                scope_id,
                ClosureSpan {
                    span: Span::new(s, e),
                    name,
                },
            )
        })
        .collect())
}

/// `(equipment_id, window, reason)` of the maintenance of any of these items within `window`.
pub fn maintenance_of(
    conn: &mut DbConnection,
    equipment_ids: &[String],
    window: Span,
) -> ApiResult<Vec<(String, Span, String)>> {
    let rows: Vec<(String, i64, i64, String)> = mw::table
        .filter(mw::equipment_id.eq_any(equipment_ids))
        .filter(
            mw::starts_at
                .lt(window.end)
                .and(mw::ends_at.gt(window.start)),
        )
        .select((mw::equipment_id, mw::starts_at, mw::ends_at, mw::reason))
        .order(mw::starts_at)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, s, e, r)| (id, Span::new(s, e), r))
        .collect())
}

/// A qualification an equipment item requires, with its name for the refusal's message.
#[derive(Debug, Clone, Queryable)]
pub struct Requirement {
    pub equipment_id: String,
    pub qualification_id: String,
    pub qualification_name: String,
}

/// What these items require, for the booking rules.
pub fn requirements_of(
    conn: &mut DbConnection,
    equipment_ids: &[String],
) -> ApiResult<Vec<Requirement>> {
    Ok(eq::table
        .inner_join(qualifications::table)
        .filter(eq::equipment_id.eq_any(equipment_ids))
        .select((eq::equipment_id, qualifications::id, qualifications::name))
        .order((eq::equipment_id, qualifications::name))
        .load(conn)?)
}

/// Display name and qualifications of each of these users.
pub fn holders(
    conn: &mut DbConnection,
    user_ids: &[String],
) -> ApiResult<Vec<(String, String, Vec<HeldQualification>)>> {
    let names: Vec<(String, String)> = users::table
        .filter(users::id.eq_any(user_ids))
        .select((users::id, users::display_name))
        .load(conn)?;
    let held: Vec<(String, String, chrono::NaiveDate, Option<chrono::NaiveDate>)> = uq::table
        .filter(uq::user_id.eq_any(user_ids))
        .select((
            uq::user_id,
            uq::qualification_id,
            uq::awarded_on,
            uq::expires_on,
        ))
        .load(conn)?;
    Ok(names
        .into_iter()
        .map(|(id, name)| {
            let mine = held
                .iter()
                .filter(|(user, ..)| *user == id)
                .map(|(_, q, awarded_on, expires_on)| HeldQualification {
                    qualification_id: q.clone(),
                    awarded_on: *awarded_on,
                    expires_on: *expires_on,
                })
                .collect();
            (id, name, mine)
        })
        .collect())
}

/// Writes several new bookings and their learners: one statement per table.
pub fn insert_many(
    conn: &mut DbConnection,
    rows: &[BookingRow],
    learners: &[(String, String, i32)],
) -> ApiResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let learner_rows: Vec<_> = learners
        .iter()
        .map(|(booking_id, status, headcount)| {
            (
                bl::booking_id.eq(booking_id),
                bl::learner_status.eq(status),
                bl::headcount.eq(*headcount),
            )
        })
        .collect();
    crate::db::insert_many!(conn, bookings::table, rows)?;
    crate::db::insert_many!(conn, bl::table, &learner_rows)?;
    Ok(())
}

/// Which bookings a caller may see.
#[derive(Debug, Clone)]
pub enum Visibility {
    All,
    /// A platform manager: the managed platforms, plus the organisation's and own bookings.
    Manager {
        user_id: String,
        organisation_id: String,
    },
    /// A teacher: the organisation's bookings and those one made or supervises.
    Staff {
        user_id: String,
        organisation_id: String,
    },
    /// A company contact: the company's bookings only.
    Organisation {
        organisation_id: String,
    },
}

#[derive(Debug, Clone, Default)]
pub struct BookingFilter {
    pub platform_id: Option<String>,
    pub equipment_id: Option<String>,
    pub organisation_id: Option<String>,
    pub series_id: Option<String>,
    pub service_request_id: Option<String>,
    pub status: Option<String>,
    pub booker_id: Option<String>,
    pub supervisor_id: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

pub fn list(
    conn: &mut DbConnection,
    visibility: &Visibility,
    filter: &BookingFilter,
    page: &Page,
) -> ApiResult<Listed<BookingRow>> {
    let mut query = bookings::table
        .select(BookingRow::as_select())
        .order(bookings::id)
        .into_boxed();
    match visibility.clone() {
        Visibility::All => {}
        Visibility::Manager {
            user_id,
            organisation_id,
        } => {
            let managed = platform_managers::table
                .filter(platform_managers::user_id.eq(user_id.clone()))
                .select(platform_managers::platform_id);
            query = query.filter(
                bookings::platform_id
                    .eq_any(managed)
                    .or(bookings::organisation_id.eq(organisation_id))
                    .or(bookings::booker_id.eq(user_id)),
            );
        }
        Visibility::Staff {
            user_id,
            organisation_id,
        } => {
            query = query.filter(
                bookings::organisation_id
                    .eq(organisation_id)
                    .or(bookings::booker_id.eq(user_id.clone()))
                    .or(bookings::supervisor_id.eq(user_id)),
            );
        }
        Visibility::Organisation { organisation_id } => {
            query = query.filter(bookings::organisation_id.eq(organisation_id));
        }
    }
    if let Some(v) = &filter.platform_id {
        query = query.filter(bookings::platform_id.eq(v.clone()));
    }
    if let Some(v) = &filter.equipment_id {
        query = query.filter(bookings::equipment_id.eq(v.clone()));
    }
    if let Some(v) = &filter.organisation_id {
        query = query.filter(bookings::organisation_id.eq(v.clone()));
    }
    if let Some(v) = &filter.series_id {
        query = query.filter(bookings::series_id.eq(v.clone()));
    }
    if let Some(v) = &filter.service_request_id {
        query = query.filter(bookings::service_request_id.eq(v.clone()));
    }
    if let Some(v) = &filter.status {
        query = query.filter(bookings::status.eq(v.clone()));
    }
    if let Some(v) = &filter.booker_id {
        query = query.filter(bookings::booker_id.eq(v.clone()));
    }
    if let Some(v) = &filter.supervisor_id {
        query = query.filter(bookings::supervisor_id.eq(v.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(
            bookings::ends_at
                .gt(from)
                .and(bookings::starts_at.gt(from - MAX_BOOKING_SECONDS)),
        );
    }
    if let Some(to) = filter.to {
        query = query.filter(bookings::starts_at.lt(to));
    }
    if let Some(after) = &page.after {
        query = query.filter(bookings::id.gt(after.clone()));
    }
    Ok(Listed::of(
        query.limit(page.limit + 1).load(conn)?,
        page,
        |r| &r.id,
    ))
}

/// Bookings joined to the organisation, platform and equipment item each names: what a
/// feed shows of them, and what its tag must follow.
type FeedSource = LeftJoinQuerySource<
    InnerJoinQuerySource<
        InnerJoinQuerySource<bookings::table, organisations::table, OrganisationOn>,
        platforms::table,
        PlatformOn,
    >,
    equipment::table,
    EquipmentOn,
>;
type OrganisationOn = dsl::Eq<organisations::id, bookings::organisation_id>;
type PlatformOn = dsl::Eq<platforms::id, bookings::platform_id>;
type EquipmentOn = dsl::Eq<dsl::Nullable<equipment::id>, bookings::equipment_id>;

/// The query over `FeedSource`.
type FeedQuery = dsl::LeftJoinOn<
    dsl::InnerJoinOn<
        dsl::InnerJoinOn<bookings::table, organisations::table, OrganisationOn>,
        platforms::table,
        PlatformOn,
    >,
    equipment::table,
    EquipmentOn,
>;

/// The filter of a feed's bookings over `FeedSource`.
type FeedFilter<'a> =
    Box<dyn BoxableExpression<FeedSource, MultiBackend, SqlType = Nullable<Bool>> + 'a>;

fn feed_source() -> FeedQuery {
    bookings::table
        .inner_join(organisations::table.on(organisations::id.eq(bookings::organisation_id)))
        .inner_join(platforms::table.on(platforms::id.eq(bookings::platform_id)))
        .left_join(equipment::table.on(equipment::id.nullable().eq(bookings::equipment_id)))
}

/// The bookings a calendar feed covers: those of its target (a platform, an equipment item,
/// or a person as booker or supervisor) overlapping `window`. `for_feed` and `feed_version`
/// both read through it, so that a feed and its tag never cover different bookings.
fn in_feed<'a>(feed: &str, target_id: &'a str, window: Span) -> FeedFilter<'a> {
    // The lower bound on the start keeps it one range scan of the target's time index.
    let in_window = bookings::starts_at
        .lt(window.end)
        .and(bookings::ends_at.gt(window.start))
        .and(bookings::starts_at.gt(window.start - MAX_BOOKING_SECONDS))
        .nullable();
    match feed {
        "platform" => Box::new(in_window.and(bookings::platform_id.eq(target_id).nullable())),
        "equipment" => Box::new(in_window.and(bookings::equipment_id.eq(target_id))),
        _ => Box::new(
            in_window.and(
                bookings::booker_id
                    .eq(target_id)
                    .nullable()
                    .or(bookings::supervisor_id.eq(target_id)),
            ),
        ),
    }
}

/// Live bookings for a calendar feed, in time order.
pub fn for_feed(
    conn: &mut DbConnection,
    feed: &str,
    target_id: &str,
    window: Span,
) -> ApiResult<Vec<BookingRow>> {
    Ok(feed_source()
        .filter(in_feed(feed, target_id, window))
        .filter(bookings::status.eq_any(LIVE))
        .select(BookingRow::as_select())
        .order(bookings::starts_at)
        .limit(5000)
        .load(conn)?)
}

/// What a feed's text depends on in the database, read by `feed_version`.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct FeedState {
    /// Bookings of the feed (`in_feed`), of every status: one made adds one.
    pub bookings: i64,
    pub latest_change: Option<i64>,
    /// Any change to a booking, a cancellation included, raises its sequence, so the sum
    /// moves even when two changes fall within the same second.
    pub sequences: Option<i64>,
    /// The latest change of the organisations, platforms and equipment items these
    /// bookings name (their names and towns are in the events).
    pub organisations_changed: Option<i64>,
    pub platforms_changed: Option<i64>,
    pub equipment_changed: Option<i64>,
    /// The latest change of the feed's target, whose name is the feed's title even when
    /// no booking falls in the window (none for a personal feed).
    pub target_platform_changed: Option<i64>,
    pub target_equipment_changed: Option<i64>,
}

/// The feed's state, in one query: a range scan of the target's time index (as for
/// `for_feed`), each booking joined by primary key to what it names (PostgreSQL hashes
/// these small tables), and the target's own row.
pub fn feed_version(
    conn: &mut DbConnection,
    feed: &str,
    target_id: &str,
    window: Span,
) -> ApiResult<FeedState> {
    use diesel::dsl::{count_star, max, sum};
    let (target_platform, target_equipment) =
        diesel::alias!(platforms as target_platform, equipment as target_equipment);
    let target_platform_changed = target_platform
        .filter(target_platform.field(platforms::id).eq(target_id))
        .select(target_platform.field(platforms::updated_at))
        .single_value();
    let target_equipment_changed = target_equipment
        .filter(target_equipment.field(equipment::id).eq(target_id))
        .select(target_equipment.field(equipment::updated_at))
        .single_value();
    Ok(feed_source()
        .filter(in_feed(feed, target_id, window))
        .select((
            count_star(),
            max(bookings::updated_at),
            sum(bookings::sequence),
            max(organisations::updated_at),
            max(platforms::updated_at),
            max(equipment::updated_at.nullable()),
            target_platform_changed,
            target_equipment_changed,
        ))
        .first(conn)?)
}

pub fn in_series(conn: &mut DbConnection, series_id: &str) -> ApiResult<Vec<BookingRow>> {
    Ok(bookings::table
        .filter(bookings::series_id.eq(series_id))
        .select(BookingRow::as_select())
        .order(bookings::starts_at)
        .load(conn)?)
}

/// The names messages about bookings show, by id: platforms, equipment items,
/// organisations and people.
#[derive(Debug, Default)]
pub struct BookingNames {
    pub platforms: std::collections::HashMap<String, String>,
    pub equipment: std::collections::HashMap<String, String>,
    pub organisations: std::collections::HashMap<String, String>,
    pub people: std::collections::HashMap<String, String>,
}

/// The names of what `rows` refer to, in one query (each kind of name tagged), since the
/// booking writer asks for them inside its transaction for every batch that notifies.
pub fn names_for(conn: &mut DbConnection, rows: &[BookingRow]) -> ApiResult<BookingNames> {
    use diesel::sql_types::Integer;
    fn ids<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
        let mut ids: Vec<&str> = values.collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
    if rows.is_empty() {
        return Ok(BookingNames::default());
    }
    let platform_ids = ids(rows.iter().map(|r| r.platform_id.as_str()));
    let equipment_ids = ids(rows.iter().filter_map(|r| r.equipment_id.as_deref()));
    let organisation_ids = ids(rows.iter().map(|r| r.organisation_id.as_str()));
    let people_ids = ids(rows.iter().map(|r| r.booker_id.as_str()));
    const PLATFORM: i32 = 0;
    const EQUIPMENT: i32 = 1;
    const ORGANISATION: i32 = 2;
    const PERSON: i32 = 3;
    let named: Vec<(i32, String, String)> = load_on_each_backend(
        conn,
        platforms::table
            .filter(platforms::id.eq_any(&platform_ids))
            .select((
                PLATFORM.into_sql::<Integer>(),
                platforms::id,
                platforms::name,
            ))
            .union_all(
                equipment::table
                    .filter(equipment::id.eq_any(&equipment_ids))
                    .select((
                        EQUIPMENT.into_sql::<Integer>(),
                        equipment::id,
                        equipment::name,
                    )),
            )
            .union_all(
                organisations::table
                    .filter(organisations::id.eq_any(&organisation_ids))
                    .select((
                        ORGANISATION.into_sql::<Integer>(),
                        organisations::id,
                        organisations::name,
                    )),
            )
            .union_all(users::table.filter(users::id.eq_any(&people_ids)).select((
                PERSON.into_sql::<Integer>(),
                users::id,
                users::display_name,
            ))),
    )?;
    let mut names = BookingNames::default();
    for (kind, id, name) in named {
        let map = match kind {
            PLATFORM => &mut names.platforms,
            EQUIPMENT => &mut names.equipment,
            ORGANISATION => &mut names.organisations,
            _ => &mut names.people,
        };
        map.insert(id, name);
    }
    Ok(names)
}
