//! Service requests, their quotes, messages and timeline.

use diesel::prelude::*;

use super::schema::{
    quote_lines, quotes, service_request_events as ev, service_request_messages as msg,
    service_requests as sr,
};
use super::{new_id, DbConnection, Listed, Page};
use crate::error::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = sr, treat_none_as_null = true)]
pub struct RequestRow {
    pub id: String,
    pub company_id: String,
    pub contact_user_id: Option<String>,
    pub title: String,
    pub description: String,
    pub domains: String,
    pub requested_platform_id: Option<String>,
    pub assigned_platform_id: Option<String>,
    pub assignee_id: Option<String>,
    pub wished_from: Option<chrono::NaiveDate>,
    pub wished_to: Option<chrono::NaiveDate>,
    pub budget_cents: Option<i64>,
    pub confidential: bool,
    pub links: String,
    pub state: String,
    pub agreement_reference: Option<String>,
    pub agreement_signed_on: Option<chrono::NaiveDate>,
    pub delivery_note: Option<String>,
    pub invoice_reference: Option<String>,
    pub invoice_amount_cents: Option<i64>,
    pub state_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn insert(conn: &mut DbConnection, row: &RequestRow) -> ApiResult<()> {
    diesel::insert_into(sr::table).values(row).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<RequestRow>> {
    Ok(sr::table
        .find(id)
        .select(RequestRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn update(conn: &mut DbConnection, row: &RequestRow) -> ApiResult<()> {
    diesel::update(sr::table.find(&row.id))
        .set(row)
        .execute(conn)?;
    Ok(())
}

/// Hours booked and used on one platform for a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlatformWork {
    pub seconds_booked: i64,
    pub bookings: i64,
    pub seconds_used: i64,
}

/// A request with the work linked to it, by platform.
#[derive(Debug, Clone)]
pub struct RequestDetails {
    pub row: RequestRow,
    pub work: std::collections::BTreeMap<String, PlatformWork>,
    /// Until when the current quote (the issued version) may be answered, if there is one.
    pub quote_valid_until: Option<chrono::NaiveDate>,
}

/// The requests with the work booked and used for each, and their current quote's validity
/// (three queries for the whole list).
pub fn with_work(conn: &mut DbConnection, rows: Vec<RequestRow>) -> ApiResult<Vec<RequestDetails>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut work: std::collections::HashMap<
        String,
        std::collections::BTreeMap<String, PlatformWork>,
    > = Default::default();
    for booking in linked_bookings(conn, &ids)? {
        let entry = work
            .entry(booking.request_id)
            .or_default()
            .entry(booking.platform_id)
            .or_default();
        entry.seconds_booked += booking.ends_at - booking.starts_at;
        entry.bookings += 1;
    }
    for (request, platform, seconds) in super::usage::used_for_requests(conn, &ids)? {
        work.entry(request)
            .or_default()
            .entry(platform)
            .or_default()
            .seconds_used += seconds;
    }
    let mut valid_until: std::collections::HashMap<String, chrono::NaiveDate> = quotes::table
        .filter(quotes::request_id.eq_any(&ids))
        .filter(quotes::status.eq("issued"))
        .select((quotes::request_id, quotes::valid_until))
        .load::<(String, chrono::NaiveDate)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| RequestDetails {
            work: work.remove(&row.id).unwrap_or_default(),
            quote_valid_until: valid_until.remove(&row.id),
            row,
        })
        .collect())
}

/// Which requests a caller may see.
#[derive(Debug, Clone)]
pub enum Scope {
    All,
    /// A platform manager (see `access::can_see_request` for the rule this mirrors).
    Manager {
        user_id: String,
        managed_platform_ids: Vec<String>,
        /// Manages a platform owned by a technology platform (PFT).
        pft_manager: bool,
    },
    Company {
        organisation_id: String,
    },
    /// A contact awaiting approval: the requests they submitted themselves.
    Contact {
        user_id: String,
    },
    /// Teachers and observers: no request at all.
    Nothing,
}

#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub state: Option<String>,
    pub platform_id: Option<String>,
    pub domain: Option<String>,
    pub company_id: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &RequestFilter,
    page: &Page,
) -> ApiResult<Listed<RequestRow>> {
    let mut query = sr::table
        .select(RequestRow::as_select())
        .order(sr::id)
        .into_boxed();
    match scope.clone() {
        Scope::All => {}
        Scope::Manager {
            user_id,
            managed_platform_ids,
            pft_manager,
        } => {
            // Not taken: every manager, or for a confidential request the managers of the
            // platform asked for (the PFTs' managers when none was); taken: the person in
            // charge and the managers of the platform handling it.
            let confidential_to_me = sr::requested_platform_id
                .eq_any(managed_platform_ids.clone())
                .or(sr::requested_platform_id
                    .is_null()
                    .and(pft_manager.into_sql::<diesel::sql_types::Bool>()));
            query = query.filter(
                sr::assigned_platform_id
                    .is_null()
                    .and(sr::confidential.eq(false).or(confidential_to_me))
                    .or(sr::assigned_platform_id.eq_any(managed_platform_ids))
                    .or(sr::assignee_id.eq(user_id)),
            );
        }
        Scope::Company { organisation_id } => {
            query = query.filter(sr::company_id.eq(organisation_id))
        }
        Scope::Contact { user_id } => query = query.filter(sr::contact_user_id.eq(user_id)),
        Scope::Nothing => query = query.filter(false.into_sql::<diesel::sql_types::Bool>()),
    }
    if let Some(v) = &filter.state {
        query = query.filter(sr::state.eq(v.clone()));
    }
    if let Some(v) = &filter.platform_id {
        query = query.filter(
            sr::assigned_platform_id
                .eq(v.clone())
                .or(sr::requested_platform_id.eq(v.clone())),
        );
    }
    if let Some(v) = &filter.domain {
        // Domains are stored as ",a,b," so that one domain matches exactly.
        query = query.filter(sr::domains.like(format!("%,{v},%")));
    }
    if let Some(v) = &filter.company_id {
        query = query.filter(sr::company_id.eq(v.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(sr::created_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(sr::created_at.lt(to));
    }
    if let Some(after) = &page.after {
        query = query.filter(sr::id.gt(after.clone()));
    }
    Ok(Listed::of(
        query.limit(page.limit + 1).load(conn)?,
        page,
        |r| &r.id,
    ))
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = quotes)]
pub struct QuoteRow {
    pub id: String,
    pub request_id: String,
    pub version: i32,
    pub status: String,
    pub valid_until: chrono::NaiveDate,
    pub total_excl_vat_cents: i64,
    pub total_vat_cents: i64,
    pub total_incl_vat_cents: i64,
    pub created_by: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = quote_lines)]
pub struct QuoteLineRow {
    pub id: String,
    pub quote_id: String,
    pub position: i32,
    pub label: String,
    pub quantity_milli: i64,
    pub unit: String,
    pub unit_price_cents: i64,
    pub vat_rate_bp: i32,
    pub total_excl_vat_cents: i64,
    pub vat_cents: i64,
}

pub fn quotes_of(conn: &mut DbConnection, request_id: &str) -> ApiResult<Vec<QuoteRow>> {
    Ok(quotes::table
        .filter(quotes::request_id.eq(request_id))
        .select(QuoteRow::as_select())
        .order(quotes::version)
        .load(conn)?)
}

/// The quotes of several requests, by request and version.
pub fn quotes_of_requests(
    conn: &mut DbConnection,
    request_ids: &[String],
) -> ApiResult<Vec<QuoteRow>> {
    Ok(quotes::table
        .filter(quotes::request_id.eq_any(request_ids))
        .select(QuoteRow::as_select())
        .order((quotes::request_id, quotes::version))
        .load(conn)?)
}

pub fn lines_of(conn: &mut DbConnection, quote_ids: &[String]) -> ApiResult<Vec<QuoteLineRow>> {
    Ok(quote_lines::table
        .filter(quote_lines::quote_id.eq_any(quote_ids))
        .select(QuoteLineRow::as_select())
        .order((quote_lines::quote_id, quote_lines::position))
        .load(conn)?)
}

pub fn insert_quote(
    conn: &mut DbConnection,
    quote: &QuoteRow,
    lines: &[QuoteLineRow],
) -> ApiResult<()> {
    diesel::insert_into(quotes::table)
        .values(quote)
        .execute(conn)?;
    crate::db::insert_many!(conn, quote_lines::table, lines)?;
    Ok(())
}

pub fn set_quote_status(conn: &mut DbConnection, quote_id: &str, status: &str) -> ApiResult<()> {
    diesel::update(quotes::table.find(quote_id))
        .set(quotes::status.eq(status))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = msg)]
pub struct MessageRow {
    pub id: String,
    pub request_id: String,
    pub author_id: Option<String>,
    pub visibility: String,
    pub body: String,
    pub created_at: i64,
}

pub fn insert_message(conn: &mut DbConnection, row: &MessageRow) -> ApiResult<()> {
    diesel::insert_into(msg::table).values(row).execute(conn)?;
    Ok(())
}

/// Messages of a request; `with_internal` false keeps only those shared with the company.
pub fn messages_of(
    conn: &mut DbConnection,
    request_id: &str,
    with_internal: bool,
) -> ApiResult<Vec<MessageRow>> {
    let mut query = msg::table
        .filter(msg::request_id.eq(request_id))
        .select(MessageRow::as_select())
        .order(msg::id)
        .into_boxed();
    if !with_internal {
        query = query.filter(msg::visibility.eq("shared"));
    }
    Ok(query.load(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ev)]
pub struct EventRow {
    pub id: String,
    pub request_id: String,
    pub at: i64,
    pub actor_id: Option<String>,
    pub kind: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub internal: bool,
    pub details: String,
}

/// One step of the timeline.
pub struct Event<'a> {
    pub kind: &'a str,
    pub action: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: Option<&'a str>,
    pub internal: bool,
    pub details: serde_json::Value,
}

pub fn record(
    conn: &mut DbConnection,
    now: i64,
    request_id: &str,
    actor: Option<&str>,
    event: Event,
) -> ApiResult<()> {
    diesel::insert_into(ev::table)
        .values((
            ev::id.eq(new_id()),
            ev::request_id.eq(request_id),
            ev::at.eq(now),
            ev::actor_id.eq(actor),
            ev::kind.eq(event.kind),
            ev::action.eq(event.action),
            ev::from_state.eq(event.from_state),
            ev::to_state.eq(event.to_state),
            ev::internal.eq(event.internal),
            ev::details.eq(event.details.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn timeline(
    conn: &mut DbConnection,
    request_id: &str,
    with_internal: bool,
) -> ApiResult<Vec<EventRow>> {
    let mut query = ev::table
        .filter(ev::request_id.eq(request_id))
        .select(EventRow::as_select())
        .order(ev::id)
        .into_boxed();
    if !with_internal {
        query = query.filter(ev::internal.eq(false));
    }
    Ok(query.load(conn)?)
}

/// A live booking made for a service request.
pub struct LinkedBooking {
    pub request_id: String,
    pub platform_id: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

/// The live bookings linked to these requests.
pub fn linked_bookings(
    conn: &mut DbConnection,
    request_ids: &[String],
) -> ApiResult<Vec<LinkedBooking>> {
    use super::schema::bookings;
    let rows: Vec<(Option<String>, String, i64, i64)> = bookings::table
        .filter(bookings::service_request_id.eq_any(request_ids))
        .filter(bookings::status.eq_any(["pending", "confirmed"]))
        .select((
            bookings::service_request_id,
            bookings::platform_id,
            bookings::starts_at,
            bookings::ends_at,
        ))
        .order(bookings::platform_id)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(request_id, platform_id, starts_at, ends_at)| {
            Some(LinkedBooking {
                request_id: request_id?,
                platform_id,
                starts_at,
                ends_at,
            })
        })
        .collect())
}

/// The timeline events of several requests (for the CSV export's dates of each step).
pub fn transitions_of(conn: &mut DbConnection, request_ids: &[String]) -> ApiResult<Vec<EventRow>> {
    Ok(ev::table
        .filter(ev::request_id.eq_any(request_ids))
        .filter(ev::internal.eq(false))
        .select(EventRow::as_select())
        .order(ev::id)
        .load(conn)?)
}
