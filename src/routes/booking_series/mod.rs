//! `/booking-series`: recurring bookings.

use actix_web::{get, patch, post, web, HttpResponse};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::booking_engine::{self, SeriesChange};
use crate::db::{self, DbConnection};
use crate::domain::booking::SeriesMode;
use crate::domain::opening_hours::parse_minute;
use crate::domain::validate::Checks;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::bookings::{booking_views, check_instant, draft_of};
use crate::routes::created;
use crate::routes::extract::JsonBody;
use crate::views::bookings::{
    NewSeries, SeriesCancellation, SeriesChanges, SeriesView, SkippedOccurrence,
};
use crate::views::instant;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_series)
        .service(show_series)
        .service(update_series)
        .service(cancel_series);
}

fn series_view(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: &str,
    tz: &chrono_tz::Tz,
) -> ApiResult<SeriesView> {
    let series = db::series::find(conn, id)?.ok_or_else(ApiError::not_found)?;
    let rows = db::bookings::in_series(conn, id)?;
    match rows.first() {
        Some(first) if booking_engine::can_see(conn, user, first)? => {}
        _ => return Err(ApiError::not_found()),
    }
    let skipped = db::series::skips_of(conn, id)?
        .into_iter()
        .map(|s| SkippedOccurrence {
            starts_at: instant(s.starts_at, tz),
            ends_at: instant(s.ends_at, tz),
            code: s.code,
            reason: s.reason,
        })
        .collect();
    Ok(SeriesView {
        mode: SeriesMode::from_db(&series.mode)?,
        occurrences: booking_views(conn, rows, tz)?,
        skipped,
        created_at: instant(series.created_at, tz),
        updated_at: instant(series.updated_at, tz),
        id: series.id,
        rrule: series.rrule,
        platform_id: series.platform_id,
        equipment_id: series.equipment_id,
        booker_id: series.booker_id,
        organisation_id: series.organisation_id,
    })
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
    let NewSeries {
        first_occurrence,
        rrule,
        mode,
    } = body.0;
    let draft = draft_of(first_occurrence).map_err(|mut e| {
        for f in &mut e.errors {
            f.field = format!("first_occurrence.{}", f.field);
        }
        e
    })?;
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            let outcome = booking_engine::create_series(conn, &user, tz, draft, &rrule, mode)?;
            series_view(conn, &user, &outcome.series.id, &tz)
        })
        .await?;
    Ok(created(format!("/api/v1/booking-series/{}", view.id), view))
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
    let tz = state.timezone;
    Ok(web::Json(
        state
            .db(move |conn| series_view(conn, &user, &id, &tz))
            .await?,
    ))
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
    let id = id.into_inner().to_string();
    let body = body.0;
    let mut checks = Checks::new();
    let from = body
        .from
        .as_deref()
        .map(|t| check_instant(&mut checks, "from", t));
    let mut minute = |field: &str, value: &Option<String>| {
        value.as_deref().and_then(|v| {
            let m = parse_minute(v);
            if m.is_none() {
                checks.fail(field, "invalid_format", "heure attendue au format HH:MM");
            }
            m
        })
    };
    let start_minute = minute("start_time", &body.start_time);
    let end_minute = minute("end_time", &body.end_time);
    if let (Some(s), Some(e)) = (start_minute, end_minute) {
        if s >= e {
            checks.fail("end_time", "before_start", "la fin doit suivre le début");
        }
    }
    let change = SeriesChange {
        from,
        start_minute,
        end_minute,
        supervisor_id: body.supervisor_id.map(|u| u.to_string()),
        group_label: body
            .group_label
            .as_deref()
            .map(|v| checks.text("group_label", v, 0, 200)),
        level: body
            .level
            .as_deref()
            .map(|v| checks.text("level", v, 0, 200)),
        purpose: body
            .purpose
            .as_deref()
            .map(|v| checks.text("purpose", v, 0, 2000)),
    };
    checks.finish()?;
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            booking_engine::change_series(conn, &user, tz, &id, change)?;
            series_view(conn, &user, &id, &tz)
        })
        .await?;
    Ok(web::Json(view))
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
    let id = id.into_inner().to_string();
    let body = body.0;
    let mut checks = Checks::new();
    let from = body
        .from
        .as_deref()
        .map(|t| check_instant(&mut checks, "from", t));
    let reason = checks.text("reason", &body.reason, 1, 1000);
    checks.finish()?;
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            booking_engine::cancel_series(conn, &user, &id, from, &reason)?;
            series_view(conn, &user, &id, &tz)
        })
        .await?;
    Ok(web::Json(view))
}
