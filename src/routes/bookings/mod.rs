//! `/bookings`: single bookings, their decisions and history.

use actix_web::{get, patch, post, put, web, HttpResponse};
use uuid::Uuid;

use super::created;
use super::extract::JsonBody;
use crate::auth::CurrentUser;
use crate::db::bookings::BookingDetails;
use crate::domain::booking::Action;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use crate::usecases::bookings::{self, change, single::BookingRequest, usage};
use crate::views::bookings::{
    AuditEventView, BookingChanges, BookingQuery, BookingView, Decision, NewBooking,
};
use crate::views::usage::{BulkUsage, PastSession, PastSessionView, UsageRecord, UsageView};
use crate::views::Paged;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_bookings)
        .service(create_booking)
        .service(show_booking)
        .service(update_booking)
        .service(approve_booking)
        .service(reject_booking)
        .service(cancel_booking)
        .service(booking_history)
        .service(record_usage)
        .service(show_usage)
        .service(record_usage_in_bulk)
        .service(record_past_session);
}

/// List the bookings the caller may see; `booked_by=me` and `supervised_by=me` give one's
/// own.
#[utoipa::path(tag = "bookings", params(BookingQuery), responses(
    (status = 200, body = Paged<BookingView>),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/bookings")]
async fn list_bookings(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<BookingQuery>,
) -> ApiResult<web::Json<Paged<BookingView>>> {
    // Observers see no booking: refused before the query string is read.
    crate::access::booking_visibility(&user)?;
    let page = query.page()?;
    let filter = query.filter(&user.id)?;
    let listed = state
        .db(move |conn| bookings::list(conn, &user, &filter, &page))
        .await?;
    let tz = state.timezone;
    Ok(web::Json(Paged::of(listed, |b| BookingView::new(b, &tz))?))
}

/// Book an equipment item or stations of a platform.
///
/// Refusals name their rule in `code`: `booking_conflict`, `not_enough_stations`,
/// `outside_opening_hours`, `closed`, `equipment_in_maintenance`, `equipment_unavailable`,
/// `notice_too_short`, `in_the_past`, `beyond_horizon`, `duration_too_long`,
/// `qualification_missing`, `booking_not_allowed`. Bookings by people outside the owning
/// organisation start `pending` when the platform's policy asks for approval.
#[utoipa::path(tag = "bookings", request_body = NewBooking, params(("Idempotency-Key" = Option<String>, Header, description = "Retrying with the same key and body returns the first response", pattern = "^[!-~]{1,200}$")), responses(
    (status = 201, body = BookingView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/bookings")]
async fn create_booking(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<NewBooking>,
) -> ApiResult<HttpResponse> {
    let draft = body.0.draft()?;
    // The learners are about to be written: no need to read them back.
    let learners = draft
        .learners
        .iter()
        .map(|(status, headcount)| (status.as_str().to_owned(), *headcount))
        .collect();
    let row = state
        .booking_writer
        .create(BookingRequest { actor: user, draft })
        .await?;
    let view = BookingView::new(BookingDetails { row, learners }, &state.timezone)?;
    Ok(created(format!("/api/v1/bookings/{}", view.id), view))
}

/// One booking.
#[utoipa::path(tag = "bookings", responses(
    (status = 200, body = BookingView),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/bookings/{id}")]
async fn show_booking(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<BookingView>> {
    let id = id.into_inner().to_string();
    let booking = state
        .db(move |conn| bookings::find(conn, &user, &id))
        .await?;
    Ok(web::Json(BookingView::new(booking, &state.timezone)?))
}

/// Change a booking; a new time, equipment item, station count or supervisor re-runs every
/// rule. A change by an outside booker to a confirmed booking makes it pending again.
#[utoipa::path(tag = "bookings", request_body = BookingChanges, responses(
    (status = 200, body = BookingView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[patch("/bookings/{id}")]
async fn update_booking(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<BookingChanges>,
) -> ApiResult<web::Json<BookingView>> {
    let now = state.now();
    let id = id.into_inner().to_string();
    let change = body.0.draft()?;
    let tz = state.timezone;
    let booking = state
        .db(move |conn| change::change_booking(conn, &user, tz, now, &id, change))
        .await?;
    Ok(web::Json(BookingView::new(booking, &tz)?))
}

async fn decide(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Uuid,
    action: Action,
    reason: Option<String>,
) -> ApiResult<web::Json<BookingView>> {
    let now = state.now();
    let id = id.to_string();
    let booking = state
        .db(move |conn| change::transition(conn, &user, now, &id, action, reason))
        .await?;
    Ok(web::Json(BookingView::new(booking, &state.timezone)?))
}

/// Approve a pending booking (the platform's managers, admin).
#[utoipa::path(tag = "bookings", responses(
    (status = 200, body = BookingView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json")))]
#[post("/bookings/{id}/approve")]
async fn approve_booking(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<BookingView>> {
    decide(state, user, id.into_inner(), Action::Approve, None).await
}

/// Reject a pending booking, with a reason (the platform's managers, admin).
#[utoipa::path(tag = "bookings", request_body = Decision, responses(
    (status = 200, body = BookingView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/bookings/{id}/reject")]
async fn reject_booking(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<Decision>,
) -> ApiResult<web::Json<BookingView>> {
    decide(state, user, id.into_inner(), Action::Reject, body.0.reason).await
}

/// Cancel a pending or confirmed booking, with a reason (its booker, the platform's managers, admin).
#[utoipa::path(tag = "bookings", request_body = Decision, responses(
    (status = 200, body = BookingView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/bookings/{id}/cancel")]
async fn cancel_booking(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<Decision>,
) -> ApiResult<web::Json<BookingView>> {
    decide(state, user, id.into_inner(), Action::Cancel, body.0.reason).await
}

/// Audit trail of a booking: who changed what, when (the platform's managers, admin).
#[utoipa::path(tag = "bookings", responses(
    (status = 200, body = Vec<AuditEventView>),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/bookings/{id}/history")]
async fn booking_history(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Vec<AuditEventView>>> {
    let id = id.into_inner().to_string();
    let events = state
        .db(move |conn| bookings::history(conn, &user, &id))
        .await?;
    let tz = state.timezone;
    Ok(web::Json(
        events
            .into_iter()
            .map(|e| AuditEventView::new(e, &tz))
            .collect(),
    ))
}

/// Record, or correct, what really happened in a past confirmed session (the platform's
/// managers; the booker too where the platform allows it). Corrections are kept in the
/// booking's history.
#[utoipa::path(tag = "bookings", request_body = UsageRecord, responses(
    (status = 200, body = UsageView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[put("/bookings/{id}/usage")]
async fn record_usage(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<UsageRecord>,
) -> ApiResult<web::Json<UsageView>> {
    let now = state.now();
    let draft = body.0.draft("")?;
    let id = id.into_inner().to_string();
    let record = state
        .db(move |conn| usage::record(conn, &user, now, &id, &draft))
        .await?;
    Ok(web::Json(UsageView::new(record, &state.timezone)?))
}

/// What was recorded for a session; 404 while it is unreported.
#[utoipa::path(tag = "bookings", responses(
    (status = 200, body = UsageView),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/bookings/{id}/usage")]
async fn show_usage(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<UsageView>> {
    let id = id.into_inner().to_string();
    let record = state.db(move |conn| usage::find(conn, &user, &id)).await?;
    Ok(web::Json(UsageView::new(record, &state.timezone)?))
}

/// Record many sessions at once (a week of a platform): all or nothing.
#[utoipa::path(tag = "bookings", request_body = BulkUsage, responses(
    (status = 200, body = Vec<UsageView>),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/usage-records")]
async fn record_usage_in_bulk(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<BulkUsage>,
) -> ApiResult<web::Json<Vec<UsageView>>> {
    let now = state.now();
    let drafts = body.0.drafts()?;
    let records = state
        .db(move |conn| usage::record_many(conn, &user, now, &drafts))
        .await?;
    let tz = state.timezone;
    Ok(web::Json(
        records
            .into_iter()
            .map(|r| UsageView::new(r, &tz))
            .collect::<ApiResult<_>>()?,
    ))
}

/// Record a session that happened without a booking (a walk-in, a booking forgotten): its
/// booking, confirmed and marked `recorded_after_the_fact`, and its usage record, at once.
/// The platform's managers and the director only; the session must not overlap a live
/// booking of the same item nor exceed the platform's stations, but notice, horizon and
/// opening hours do not apply.
#[utoipa::path(tag = "bookings", request_body = PastSession, responses(
    (status = 201, body = PastSessionView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/past-sessions")]
async fn record_past_session(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<PastSession>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let (draft, record) = body.0.drafts()?;
    let tz = state.timezone;
    let (booking, record) = state
        .db(move |conn| usage::record_after_the_fact(conn, &user, tz, now, &draft, &record))
        .await?;
    let view = PastSessionView::new(booking, record, &tz)?;
    Ok(created(
        format!("/api/v1/bookings/{}", view.booking.id),
        view,
    ))
}
