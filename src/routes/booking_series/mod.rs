//! `/booking-series`: recurring bookings.

use actix_web::{get, patch, post, web, HttpResponse};
use uuid::Uuid;

use super::created;
use super::extract::JsonBody;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use crate::usecases::bookings::series;
use crate::views::bookings::{
    NewSeries, SeriesCancellation, SeriesChanges, SeriesPreviewView, SeriesView,
};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // Before `/booking-series/{id}`, whose path it would match.
    cfg.service(preview_series)
        .service(create_series)
        .service(show_series)
        .service(update_series)
        .service(cancel_series);
}

/// Book a recurring series from a first occurrence and an RFC 5545 rule.
///
/// Occurrences are computed in the campus time zone. Occurrences inside a closure are
/// always skipped and listed; other refusals either refuse the whole series
/// (`all_or_nothing`, 409 `series_conflicts` listing every conflict) or skip that
/// occurrence (`skip_conflicts`).
#[utoipa::path(tag = "bookings", request_body = NewSeries, responses(
    (status = 201, body = SeriesView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/booking-series")]
async fn create_series(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<NewSeries>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let (draft, rrule, mode) = body.0.draft()?;
    let tz = state.timezone;
    let details = state
        .db(move |conn| series::create_series(conn, &user, tz, now, draft, &rrule, mode))
        .await?;
    let view = SeriesView::new(details, &tz)?;
    Ok(created(format!("/api/v1/booking-series/{}", view.id), view))
}

/// Preview a series: the occurrences creating it would book now, those it would skip and
/// why, and in `all_or_nothing` those that would refuse it, by the same planning as
/// `POST /booking-series`. Nothing is written.
#[utoipa::path(tag = "bookings", request_body = NewSeries, responses(
    (status = 200, body = SeriesPreviewView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/booking-series/preview")]
async fn preview_series(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<NewSeries>,
) -> ApiResult<web::Json<SeriesPreviewView>> {
    let now = state.now();
    let (draft, rrule, mode) = body.0.draft()?;
    let tz = state.timezone;
    let preview = state
        .db(move |conn| series::preview_series(conn, &user, tz, now, &draft, &rrule, mode))
        .await?;
    Ok(web::Json(SeriesPreviewView::new(&preview, &tz)))
}

/// One series with all its occurrences and the skipped dates.
#[utoipa::path(tag = "bookings", responses(
    (status = 200, body = SeriesView),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/booking-series/{id}")]
async fn show_series(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<SeriesView>> {
    let id = id.into_inner().to_string();
    let details = state.db(move |conn| series::find(conn, &user, &id)).await?;
    Ok(web::Json(SeriesView::new(details, &state.timezone)?))
}

/// Change the occurrences still to come (all of them, or this and following with `from`):
/// times re-run every rule on every occurrence, all or nothing.
#[utoipa::path(tag = "bookings", request_body = SeriesChanges, responses(
    (status = 200, body = SeriesView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[patch("/booking-series/{id}")]
async fn update_series(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<SeriesChanges>,
) -> ApiResult<web::Json<SeriesView>> {
    let now = state.now();
    let id = id.into_inner().to_string();
    let change = body.0.draft()?;
    let tz = state.timezone;
    let details = state
        .db(move |conn| series::change_series(conn, &user, tz, now, &id, change))
        .await?;
    Ok(web::Json(SeriesView::new(details, &tz)?))
}

/// Cancel the occurrences still to come (all, or this and following with `from`).
#[utoipa::path(tag = "bookings", request_body = SeriesCancellation, responses(
    (status = 200, body = SeriesView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/booking-series/{id}/cancel")]
async fn cancel_series(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<SeriesCancellation>,
) -> ApiResult<web::Json<SeriesView>> {
    let now = state.now();
    let id = id.into_inner().to_string();
    let (from, reason) = body.0.draft()?;
    let details = state
        .db(move |conn| series::cancel_series(conn, &user, now, &id, from, &reason))
        .await?;
    Ok(web::Json(SeriesView::new(details, &state.timezone)?))
}
