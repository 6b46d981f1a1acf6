//! Report aggregations: the database sums the sessions of each group in one pass, so that
//! memory stays flat however many bookings there are.

use diesel::connection::SimpleConnection;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::Sqlite;

use super::schema::{closures, equipment, maintenance_windows as mw, organisations, platforms};
use super::DbConnection;
use crate::domain::booking::LearnerStatus;
use crate::domain::reports::{Bucket, Dimension};
use crate::error::ApiResult;

/// Which sessions a report covers. Every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    /// Sessions starting in `[from, to)`.
    pub from: i64,
    pub to: i64,
    /// Sessions ended before this instant without a record are unreported.
    pub now: i64,
    pub campus_id: Option<String>,
    pub platform_ids: Vec<String>,
    pub equipment_id: Option<String>,
    pub domain: Option<String>,
    /// The organisation a session was booked for.
    pub organisation_id: Option<String>,
    pub owner_organisation_id: Option<String>,
    pub learner_status: Option<String>,
    /// Platforms this manager is assigned to.
    pub managed_by: Option<String>,
}

/// A value bound to a `?` of a query.
#[derive(Debug, Clone)]
enum Bind {
    Text(String),
    Int(i64),
}

/// Runs the same SQL text on either backend, with `?` placeholders.
fn load<T>(conn: &mut DbConnection, sql: &str, binds: &[Bind]) -> ApiResult<Vec<T>>
where
    T: QueryableByName<Pg> + QueryableByName<Sqlite> + 'static,
{
    match conn {
        DbConnection::Postgresql(pg) => {
            let mut numbered = String::with_capacity(sql.len() + 16);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    numbered.push_str(&format!("${n}"));
                } else {
                    numbered.push(c);
                }
            }
            let mut query = diesel::sql_query(numbered).into_boxed::<Pg>();
            for bind in binds {
                query = match bind {
                    Bind::Text(v) => query.bind::<Text, _>(v.clone()),
                    Bind::Int(v) => query.bind::<BigInt, _>(*v),
                };
            }
            // Report queries cost enough for PostgreSQL to compile them (JIT), which takes
            // longer than running them: about a second per query on the bench data. They
            // also hash the usage records of a year: give them room to do it in memory.
            Ok(pg.transaction::<_, diesel::result::Error, _>(|pg| {
                pg.batch_execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")?;
                query.load(pg)
            })?)
        }
        DbConnection::Sqlite(lite) => {
            let mut query = diesel::sql_query(sql).into_boxed::<Sqlite>();
            for bind in binds {
                query = match bind {
                    Bind::Text(v) => query.bind::<Text, _>(v.clone()),
                    Bind::Int(v) => query.bind::<BigInt, _>(*v),
                };
            }
            Ok(query.load(lite)?)
        }
    }
}

/// The SQL expression a dimension groups sessions by. Periods of time become a balanced
/// tree of comparisons against the bucket boundaries (computed in the campus time zone,
/// which SQLite knows nothing of).
fn key_expression(dimension: Dimension, buckets: &[Bucket]) -> String {
    match dimension {
        Dimension::Platform => "b.platform_id".into(),
        Dimension::Equipment => format!("COALESCE(b.equipment_id, '{STATIONS}' || b.platform_id)"),
        Dimension::OwnerOrganisation => "p.owner_organisation_id".into(),
        Dimension::Organisation => "b.organisation_id".into(),
        Dimension::LearnerStatus => "bl.learner_status".into(),
        Dimension::Domain => "p.domain".into(),
        Dimension::Week | Dimension::Month | Dimension::SchoolYear => bucket_case(buckets),
    }
}

/// Prefix of the equipment key of a platform's stations taken together.
pub const STATIONS: &str = "stations:";

fn bucket_case(buckets: &[Bucket]) -> String {
    match buckets {
        [] => "''".into(),
        // Labels are made of digits, dashes and a W.
        [only] => format!("'{}'", only.label),
        _ => {
            let middle = buckets.len() / 2;
            format!(
                "CASE WHEN b.starts_at < {} THEN {} ELSE {} END",
                buckets[middle].span.start,
                bucket_case(&buckets[..middle]),
                bucket_case(&buckets[middle..])
            )
        }
    }
}

/// The FROM and WHERE of every session query, with their binds.
fn sessions_from(
    filter: &ReportFilter,
    dimensions: &[Dimension],
    extra_joins: &str,
) -> (String, Vec<Bind>) {
    let mut sql = String::from(
        " FROM bookings b JOIN platforms p ON p.id = b.platform_id \
          JOIN organisations o ON o.id = b.organisation_id",
    );
    sql.push_str(extra_joins);
    if dimensions.contains(&Dimension::LearnerStatus) {
        sql.push_str(" JOIN booking_learners bl ON bl.booking_id = b.id");
    }
    sql.push_str(" WHERE b.starts_at >= ? AND b.starts_at < ?");
    let mut binds = vec![Bind::Int(filter.from), Bind::Int(filter.to)];
    let mut narrow = |condition: &str, value: &Option<String>| {
        if let Some(v) = value {
            sql.push_str(condition);
            binds.push(Bind::Text(v.clone()));
        }
    };
    narrow(" AND p.campus_id = ?", &filter.campus_id);
    narrow(" AND b.equipment_id = ?", &filter.equipment_id);
    narrow(" AND p.domain = ?", &filter.domain);
    narrow(" AND b.organisation_id = ?", &filter.organisation_id);
    narrow(
        " AND p.owner_organisation_id = ?",
        &filter.owner_organisation_id,
    );
    narrow(
        " AND EXISTS (SELECT 1 FROM booking_learners fl WHERE fl.booking_id = b.id AND fl.learner_status = ?)",
        &filter.learner_status,
    );
    narrow(
        " AND b.platform_id IN (SELECT pm.platform_id FROM platform_managers pm WHERE pm.user_id = ?)",
        &filter.managed_by,
    );
    if !filter.platform_ids.is_empty() {
        let marks = vec!["?"; filter.platform_ids.len()].join(", ");
        sql.push_str(&format!(" AND b.platform_id IN ({marks})"));
        binds.extend(filter.platform_ids.iter().cloned().map(Bind::Text));
    }
    (sql, binds)
}

fn select_keys(dimensions: &[Dimension], buckets: &[Bucket]) -> (String, String) {
    let mut select = String::new();
    let mut group = Vec::new();
    for slot in 0..crate::domain::reports::MAX_DIMENSIONS {
        match dimensions.get(slot) {
            Some(d) => {
                select.push_str(&format!("{} AS k{slot}, ", key_expression(*d, buckets)));
                group.push(format!("k{slot}"));
            }
            None => select.push_str(&format!("CAST(NULL AS TEXT) AS k{slot}, ")),
        }
    }
    let group = if group.is_empty() {
        String::new()
    } else {
        format!(" GROUP BY {}", group.join(", "))
    };
    (select, group)
}

/// Sums of the sessions of one group.
#[derive(Debug, QueryableByName)]
pub struct SessionSums {
    #[diesel(sql_type = Nullable<Text>)]
    pub k0: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub k1: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub k2: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub sessions_booked: i64,
    #[diesel(sql_type = BigInt)]
    pub sessions_cancelled: i64,
    #[diesel(sql_type = BigInt)]
    pub sessions_no_show: i64,
    #[diesel(sql_type = BigInt)]
    pub sessions_unreported: i64,
    #[diesel(sql_type = BigInt)]
    pub mixed_sessions: i64,
    #[diesel(sql_type = BigInt)]
    pub sessions_after_the_fact: i64,
    #[diesel(sql_type = BigInt)]
    pub seconds_after_the_fact: i64,
    #[diesel(sql_type = BigInt)]
    pub seconds_booked: i64,
    #[diesel(sql_type = BigInt)]
    pub seconds_used: i64,
    #[diesel(sql_type = BigInt)]
    pub unit_seconds_used: i64,
    #[diesel(sql_type = BigInt)]
    pub seconds_shared: i64,
    #[diesel(sql_type = BigInt)]
    pub seconds_company: i64,
    #[diesel(sql_type = BigInt)]
    pub school_seconds: i64,
    #[diesel(sql_type = BigInt)]
    pub apprentice_seconds: i64,
    #[diesel(sql_type = BigInt)]
    pub continuing_education_seconds: i64,
    #[diesel(sql_type = BigInt)]
    pub higher_education_seconds: i64,
    #[diesel(sql_type = BigInt)]
    pub company_seconds: i64,
    #[diesel(sql_type = BigInt)]
    pub research_seconds: i64,
}

/// Everything a report sums, by group, in one pass over the sessions: booked, cancelled,
/// not shown, unreported; hours booked and used; learner-seconds (recorded headcount × hours
/// used) by status. Only confirmed sessions count as booked; a record of use exists only
/// for those.
pub fn session_sums(
    conn: &mut DbConnection,
    filter: &ReportFilter,
    dimensions: &[Dimension],
    buckets: &[Bucket],
) -> ApiResult<Vec<SessionSums>> {
    let (keys, group) = select_keys(dimensions, buckets);
    let (from, mut where_binds) = sessions_from(
        filter,
        dimensions,
        " LEFT JOIN booking_usages u ON u.booking_id = b.id AND b.status = 'confirmed'",
    );
    let used = "(u.actual_end - u.actual_start)";
    // One column a status, named after it: `school_seconds`, `apprentice_seconds`…
    let learners: String = LearnerStatus::ALL
        .iter()
        .map(|status| {
            format!(
            ", CAST(COALESCE(SUM(u.{status}_headcount * {used}), 0) AS BIGINT) AS {status}_seconds"
        )
        })
        .collect();
    let sql = format!(
        "SELECT {keys}\
         CAST(COUNT(CASE WHEN b.status = 'confirmed' THEN 1 END) AS BIGINT) AS sessions_booked, \
         CAST(COUNT(CASE WHEN b.status = 'cancelled' THEN 1 END) AS BIGINT) AS sessions_cancelled, \
         CAST(COUNT(CASE WHEN u.no_show THEN 1 END) AS BIGINT) AS sessions_no_show, \
         CAST(COUNT(CASE WHEN b.status = 'confirmed' AND u.booking_id IS NULL AND b.ends_at <= ? THEN 1 END) AS BIGINT) AS sessions_unreported, \
         CAST(COUNT(CASE WHEN NOT u.no_show AND u.learner_statuses > 1 THEN 1 END) AS BIGINT) AS mixed_sessions, \
         CAST(COUNT(CASE WHEN b.status = 'confirmed' AND b.recorded_after_the_fact THEN 1 END) AS BIGINT) AS sessions_after_the_fact, \
         CAST(COALESCE(SUM(CASE WHEN b.recorded_after_the_fact THEN {used} END), 0) AS BIGINT) AS seconds_after_the_fact, \
         CAST(COALESCE(SUM(CASE WHEN b.status = 'confirmed' THEN b.ends_at - b.starts_at END), 0) AS BIGINT) AS seconds_booked, \
         CAST(COALESCE(SUM({used}), 0) AS BIGINT) AS seconds_used, \
         CAST(COALESCE(SUM({used} * COALESCE(b.stations, 1)), 0) AS BIGINT) AS unit_seconds_used, \
         CAST(COALESCE(SUM(CASE WHEN b.organisation_id <> p.owner_organisation_id THEN {used} END), 0) AS BIGINT) AS seconds_shared, \
         CAST(COALESCE(SUM(CASE WHEN o.kind = 'company' THEN {used} END), 0) AS BIGINT) AS seconds_company\
         {learners}{from} AND b.status IN ('confirmed', 'cancelled'){group}"
    );
    let mut binds = vec![Bind::Int(filter.now)];
    binds.append(&mut where_binds);
    load(conn, &sql, &binds)
}

/// A platform in the scope of a report, with what it offers.
#[derive(Debug, Clone, Queryable)]
pub struct PlatformSummary {
    pub id: String,
    pub campus_id: String,
    pub owner_organisation_id: String,
    pub name: String,
    pub domain: String,
    pub stations: i32,
}

/// The platforms a report measures open time on.
pub fn platforms_in_scope(
    conn: &mut DbConnection,
    filter: &ReportFilter,
) -> ApiResult<Vec<PlatformSummary>> {
    use super::schema::platform_managers as pm;
    let mut query = platforms::table
        .select((
            platforms::id,
            platforms::campus_id,
            platforms::owner_organisation_id,
            platforms::name,
            platforms::domain,
            platforms::stations,
        ))
        .order(platforms::id)
        .into_boxed();
    if let Some(v) = &filter.campus_id {
        query = query.filter(platforms::campus_id.eq(v.clone()));
    }
    if let Some(v) = &filter.domain {
        query = query.filter(platforms::domain.eq(v.clone()));
    }
    if let Some(v) = &filter.owner_organisation_id {
        query = query.filter(platforms::owner_organisation_id.eq(v.clone()));
    }
    if !filter.platform_ids.is_empty() {
        query = query.filter(platforms::id.eq_any(filter.platform_ids.clone()));
    }
    if let Some(v) = &filter.equipment_id {
        query = query.filter(
            platforms::id.eq_any(
                equipment::table
                    .filter(equipment::id.eq(v.clone()))
                    .select(equipment::platform_id),
            ),
        );
    }
    if let Some(v) = &filter.managed_by {
        query = query.filter(
            platforms::id.eq_any(
                pm::table
                    .filter(pm::user_id.eq(v.clone()))
                    .select(pm::platform_id),
            ),
        );
    }
    Ok(query.load(conn)?)
}

/// `(id, platform, name)` of the equipment items in service (not retired).
pub fn equipment_in_service(
    conn: &mut DbConnection,
    platform_ids: &[String],
) -> ApiResult<Vec<(String, String, String)>> {
    Ok(equipment::table
        .filter(equipment::platform_id.eq_any(platform_ids))
        .filter(equipment::status.ne("retired"))
        .select((equipment::id, equipment::platform_id, equipment::name))
        .order(equipment::id)
        .load(conn)?)
}

/// A closure of a campus, an organisation or a platform (`scope`, `scope_id`).
#[derive(Debug, Clone, Queryable)]
pub struct ClosureWindow {
    pub scope: String,
    pub scope_id: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

/// The closures overlapping `[from, to)`.
pub fn closures_between(
    conn: &mut DbConnection,
    from: i64,
    to: i64,
) -> ApiResult<Vec<ClosureWindow>> {
    Ok(closures::table
        .filter(closures::starts_at.lt(to).and(closures::ends_at.gt(from)))
        .select((
            closures::scope,
            closures::scope_id,
            closures::starts_at,
            closures::ends_at,
        ))
        .load(conn)?)
}

/// `(equipment, start, end)` of the maintenance windows overlapping `[from, to)`.
pub fn maintenance_between(
    conn: &mut DbConnection,
    equipment_ids: &[String],
    from: i64,
    to: i64,
) -> ApiResult<Vec<(String, i64, i64)>> {
    Ok(mw::table
        .filter(mw::equipment_id.eq_any(equipment_ids))
        .filter(mw::starts_at.lt(to).and(mw::ends_at.gt(from)))
        .select((mw::equipment_id, mw::starts_at, mw::ends_at))
        .load(conn)?)
}

/// `(id, name, kind)` of organisations.
pub fn organisation_names(
    conn: &mut DbConnection,
    ids: &[String],
) -> ApiResult<Vec<(String, String, String)>> {
    Ok(organisations::table
        .filter(organisations::id.eq_any(ids))
        .select((organisations::id, organisations::name, organisations::kind))
        .load(conn)?)
}

/// `(id, name)` of equipment items, retired ones included.
pub fn equipment_names(
    conn: &mut DbConnection,
    ids: &[String],
) -> ApiResult<Vec<(String, String)>> {
    Ok(equipment::table
        .filter(equipment::id.eq_any(ids))
        .select((equipment::id, equipment::name))
        .load(conn)?)
}

/// `(id, name, kind)` of the member organisations of a campus (of any campus without one),
/// companies left out: they use the platforms, they do not run them.
pub fn members(
    conn: &mut DbConnection,
    campus_id: Option<&str>,
) -> ApiResult<Vec<(String, String, String)>> {
    use super::schema::campus_memberships as cm;
    let mut query = organisations::table
        .filter(organisations::kind.ne("company"))
        .select((organisations::id, organisations::name, organisations::kind))
        .order(organisations::name)
        .into_boxed();
    query = match campus_id {
        Some(campus) => query.filter(
            organisations::id.eq_any(
                cm::table
                    .filter(cm::campus_id.eq(campus.to_owned()))
                    .select(cm::organisation_id),
            ),
        ),
        None => query.filter(organisations::id.eq_any(cm::table.select(cm::organisation_id))),
    };
    Ok(query.load(conn)?)
}

/// One service request of a cohort: when it was submitted, first quoted, accepted and
/// delivered, its latest quote and its invoice.
#[derive(Debug, QueryableByName)]
pub struct RequestMilestones {
    #[diesel(sql_type = BigInt)]
    pub submitted_at: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub quoted_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub accepted_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub delivered_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub quoted_cents: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub invoiced_cents: Option<i64>,
}

/// The milestones of the requests submitted in `[from, to)`; with a campus, those whose
/// platform (assigned, else requested) is on it.
pub fn request_milestones(
    conn: &mut DbConnection,
    from: i64,
    to: i64,
    campus_id: Option<&str>,
) -> ApiResult<Vec<RequestMilestones>> {
    let reached = |state: &str| {
        format!(
            "(SELECT MIN(e.at) FROM service_request_events e \
              WHERE e.request_id = r.id AND e.to_state = '{state}')"
        )
    };
    let mut sql = format!(
        "SELECT r.created_at AS submitted_at, \
         (SELECT MIN(q.created_at) FROM quotes q WHERE q.request_id = r.id) AS quoted_at, \
         {} AS accepted_at, {} AS delivered_at, \
         (SELECT q.total_excl_vat_cents FROM quotes q WHERE q.request_id = r.id \
            AND q.status <> 'superseded' ORDER BY q.version DESC LIMIT 1) AS quoted_cents, \
         r.invoice_amount_cents AS invoiced_cents \
         FROM service_requests r WHERE r.created_at >= ? AND r.created_at < ?",
        reached("accepted"),
        reached("delivered"),
    );
    let mut binds = vec![Bind::Int(from), Bind::Int(to)];
    if let Some(campus) = campus_id {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM platforms rp WHERE rp.campus_id = ? \
               AND rp.id = COALESCE(r.assigned_platform_id, r.requested_platform_id))",
        );
        binds.push(Bind::Text(campus.to_owned()));
    }
    load(conn, &sql, &binds)
}
