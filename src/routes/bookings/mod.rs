//! `/bookings`: single bookings, their decisions and history.

use std::collections::HashMap;

use actix_web::{get, patch, post, put, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::booking_engine::{self, Action, BookingChange, BookingDraft};
use crate::db::bookings::{BookingFilter, BookingRow, Visibility};
use crate::db::{self, DbConnection};
use crate::domain::booking::{BookingStatus, LearnerStatus};
use crate::domain::pagination::PageQuery;
use crate::domain::time::{parse_instant, Span};
use crate::domain::validate::Checks;
use crate::domain::Role;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::created;
use crate::routes::extract::JsonBody;
use crate::views::bookings::{
    AuditEventView, BookingChanges, BookingView, Decision, LearnerCount, NewBooking,
};
use crate::views::{instant, Paged};

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

pub fn booking_views(
    conn: &mut DbConnection,
    rows: Vec<BookingRow>,
    tz: &chrono_tz::Tz,
) -> ApiResult<Vec<BookingView>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut learners: HashMap<String, Vec<LearnerCount>> = HashMap::new();
    for (booking, status, headcount) in db::bookings::learners_of(conn, &ids)? {
        learners.entry(booking).or_default().push(LearnerCount {
            status: LearnerStatus::from_db(&status)?,
            headcount,
        });
    }
    rows.into_iter()
        .map(|r| {
            let learners = learners.remove(&r.id).unwrap_or_default();
            view_of(r, learners, tz)
        })
        .collect()
}

/// The view of a booking whose learners are known.
pub fn view_of(
    r: BookingRow,
    learners: Vec<LearnerCount>,
    tz: &chrono_tz::Tz,
) -> ApiResult<BookingView> {
    Ok(BookingView {
        status: BookingStatus::from_db(&r.status)?,
        total_headcount: learners.iter().map(|l| l.headcount).sum(),
        learners,
        starts_at: instant(r.starts_at, tz),
        ends_at: instant(r.ends_at, tz),
        decided_at: r.decided_at.map(|t| instant(t, tz)),
        created_at: instant(r.created_at, tz),
        updated_at: instant(r.updated_at, tz),
        id: r.id,
        platform_id: r.platform_id,
        equipment_id: r.equipment_id,
        stations: r.stations,
        status_reason: r.status_reason,
        booker_id: r.booker_id,
        organisation_id: r.organisation_id,
        supervisor_id: r.supervisor_id,
        group_label: r.group_label,
        level: r.level,
        purpose: r.purpose,
        service_request_id: r.service_request_id,
        series_id: r.series_id,
        decided_by: r.decided_by,
        recorded_after_the_fact: r.recorded_after_the_fact,
    })
}

pub fn one_view(
    conn: &mut DbConnection,
    row: BookingRow,
    tz: &chrono_tz::Tz,
) -> ApiResult<BookingView> {
    booking_views(conn, vec![row], tz)?
        .pop()
        .ok_or_else(ApiError::not_found)
}

pub fn check_instant(checks: &mut Checks, field: &str, text: &str) -> i64 {
    parse_instant(text.trim()).unwrap_or_else(|| {
        checks.fail(
            field,
            "invalid_format",
            "date-heure RFC 3339 avec décalage attendue, par exemple 2027-03-02T08:00:00+01:00",
        );
        0
    })
}

/// Two instants that must be in order; the order is checked only when both are readable.
pub fn check_span(
    checks: &mut Checks,
    start_field: &str,
    start: &str,
    end_field: &str,
    end: &str,
) -> Span {
    let errors_before = checks.len();
    let s = check_instant(checks, start_field, start);
    let e = check_instant(checks, end_field, end);
    if checks.len() == errors_before && s >= e {
        checks.fail(end_field, "before_start", "la fin doit suivre le début");
    }
    Span::new(s, e)
}

pub fn check_learners(checks: &mut Checks, learners: &[LearnerCount]) -> Vec<(LearnerStatus, i32)> {
    let mut seen = Vec::new();
    for (i, l) in learners.iter().enumerate() {
        checks.range(&format!("learners[{i}].headcount"), l.headcount, 1, 1000);
        if seen.iter().any(|(s, _)| *s == l.status) {
            checks.fail(
                format!("learners[{i}].status"),
                "duplicate",
                "chaque statut n'apparaît qu'une fois",
            );
        }
        seen.push((l.status, l.headcount));
    }
    seen
}

/// Checks the fields of a booking request.
pub fn draft_of(body: NewBooking) -> ApiResult<BookingDraft> {
    let mut checks = Checks::new();
    let span = check_span(
        &mut checks,
        "starts_at",
        &body.starts_at,
        "ends_at",
        &body.ends_at,
    );
    if let Some(s) = body.stations {
        checks.range("stations", s, 1, 1000);
    }
    let learners = check_learners(&mut checks, &body.learners);
    let group_label = checks.text("group_label", &body.group_label, 0, 200);
    let level = checks.text("level", &body.level, 0, 200);
    let purpose = checks.text("purpose", &body.purpose, 0, 2000);
    checks.finish()?;
    Ok(BookingDraft {
        platform_id: body.platform_id.map(|u| u.to_string()),
        equipment_id: body.equipment_id.map(|u| u.to_string()),
        stations: body.stations,
        span,
        organisation_id: body.organisation_id.map(|u| u.to_string()),
        supervisor_id: body.supervisor_id.map(|u| u.to_string()),
        learners,
        group_label,
        level,
        purpose,
        service_request_id: body.service_request_id.map(|u| u.to_string()),
    })
}

pub fn visibility(user: &CurrentUser) -> ApiResult<Visibility> {
    Ok(match user.role {
        Role::Admin => Visibility::All,
        Role::Manager => Visibility::Manager {
            user_id: user.id.clone(),
            organisation_id: user.organisation_id.clone(),
        },
        Role::Teacher => Visibility::Staff {
            user_id: user.id.clone(),
            organisation_id: user.organisation_id.clone(),
        },
        Role::Company => Visibility::Organisation {
            organisation_id: user.organisation_id.clone(),
        },
        Role::Observer => {
            return Err(ApiError::forbidden(
                "Le comité de pilotage consulte les indicateurs, pas les réservations nominatives.",
            ))
        }
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BookingQuery {
    pub platform_id: Option<Uuid>,
    pub equipment_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
    pub series_id: Option<Uuid>,
    pub service_request_id: Option<Uuid>,
    pub status: Option<BookingStatus>,
    /// Bookings made by this account: `me`, or the id of an account the caller may see.
    #[param(
        example = "me",
        pattern = "^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub booked_by: Option<String>,
    /// Bookings supervised by this staff member: `me`, or the id of an account the caller
    /// may see.
    #[param(
        example = "me",
        pattern = "^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub supervised_by: Option<String>,
    /// Bookings ending after this instant (RFC 3339).
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Bookings starting before this instant (RFC 3339).
    #[param(format = DateTime)]
    pub to: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(pattern = "^([0-9a-fA-F]{32})?$")]
    pub cursor: Option<String>,
}

/// `me` or an account id, as `booked_by` and `supervised_by` take it.
fn check_person(checks: &mut Checks, field: &str, value: &str, me: &str) -> Option<String> {
    if value == "me" {
        return Some(me.to_owned());
    }
    match Uuid::parse_str(value) {
        Ok(id) => Some(id.to_string()),
        Err(_) => {
            checks.fail(field, "invalid", "« me » ou l'identifiant d'un compte");
            None
        }
    }
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
    let visibility = visibility(&user)?;
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    let mut checks = Checks::new();
    let from = q
        .from
        .as_deref()
        .map(|t| check_instant(&mut checks, "from", t));
    let to = q.to.as_deref().map(|t| check_instant(&mut checks, "to", t));
    let booker_id = q
        .booked_by
        .as_deref()
        .and_then(|v| check_person(&mut checks, "booked_by", v, &user.id));
    let supervisor_id = q
        .supervised_by
        .as_deref()
        .and_then(|v| check_person(&mut checks, "supervised_by", v, &user.id));
    checks.finish()?;
    let filter = BookingFilter {
        platform_id: q.platform_id.map(|v| v.to_string()),
        equipment_id: q.equipment_id.map(|v| v.to_string()),
        organisation_id: q.organisation_id.map(|v| v.to_string()),
        series_id: q.series_id.map(|v| v.to_string()),
        service_request_id: q.service_request_id.map(|v| v.to_string()),
        status: q.status.map(|s| s.as_str().to_owned()),
        booker_id,
        supervisor_id,
        from,
        to,
    };
    let tz = state.timezone;
    let (items, last) = state
        .db(move |conn| {
            // An account the caller cannot see filters their visible bookings down to none,
            // like any other filter: nothing is revealed, and nothing is refused.
            let (rows, more) = db::bookings::list(conn, &visibility, &filter, &page)?;
            let last = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
            Ok((booking_views(conn, rows, &tz)?, last))
        })
        .await?;
    Ok(web::Json(Paged::new(items, last.as_deref())))
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
    let draft = draft_of(body.0)?;
    let tz = state.timezone;
    // The learners are about to be written: no need to read them back.
    let learners = draft
        .learners
        .iter()
        .map(|(status, headcount)| LearnerCount {
            status: *status,
            headcount: *headcount,
        })
        .collect();
    let row = state
        .booking_writer
        .create(booking_engine::BookingRequest { actor: user, draft })
        .await?;
    let view = view_of(row, learners, &tz)?;
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
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            let row = booking_engine::visible_booking(conn, &user, &id)?;
            one_view(conn, row, &tz)
        })
        .await?;
    Ok(web::Json(view))
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
    let id = id.into_inner().to_string();
    let body = body.0;
    let mut checks = Checks::new();
    let start = body
        .starts_at
        .as_deref()
        .map(|t| check_instant(&mut checks, "starts_at", t));
    let end = body
        .ends_at
        .as_deref()
        .map(|t| check_instant(&mut checks, "ends_at", t));
    if start.is_some() != end.is_some() {
        checks.fail(
            if start.is_some() {
                "ends_at"
            } else {
                "starts_at"
            },
            "required",
            "changez le début et la fin ensemble",
        );
    }
    if let (Some(s), Some(e)) = (start, end) {
        if checks.is_empty() && s >= e {
            checks.fail("ends_at", "before_start", "la fin doit suivre le début");
        }
    }
    if let Some(s) = body.stations {
        checks.range("stations", s, 1, 1000);
    }
    let learners = body
        .learners
        .as_ref()
        .map(|l| check_learners(&mut checks, l));
    let change = BookingChange {
        span: start.zip(end).map(|(s, e)| Span::new(s, e)),
        equipment_id: body.equipment_id.map(|u| u.to_string()),
        stations: body.stations,
        supervisor_id: body.supervisor_id.map(|u| u.to_string()),
        learners,
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
            let row = booking_engine::change_booking(conn, &user, tz, &id, change)?;
            one_view(conn, row, &tz)
        })
        .await?;
    Ok(web::Json(view))
}

async fn decide(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Uuid,
    action: Action,
    reason: Option<String>,
) -> ApiResult<web::Json<BookingView>> {
    let id = id.to_string();
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            let row = booking_engine::transition(conn, &user, &id, action, reason)?;
            one_view(conn, row, &tz)
        })
        .await?;
    Ok(web::Json(view))
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
    let tz = state.timezone;
    let events = state
        .db(move |conn| {
            let row = booking_engine::visible_booking(conn, &user, &id)?;
            crate::routes::platforms::require_manage_platform(conn, &user, &row.platform_id)?;
            db::audit::for_entity(conn, "booking", &row.id)
        })
        .await?;
    Ok(web::Json(
        events
            .into_iter()
            .map(|e| AuditEventView {
                at: instant(e.at, &tz),
                changes: serde_json::from_str(&e.changes).unwrap_or(serde_json::Value::Null),
                id: e.id,
                actor_user_id: e.actor_user_id,
                action: e.action,
            })
            .collect(),
    ))
}

/// Checks a usage record's fields.
fn usage_draft(
    record: &crate::views::usage::UsageRecord,
    prefix: &str,
) -> ApiResult<booking_engine::UsageDraft> {
    let crate::views::usage::UsageRecord {
        no_show,
        actual_start,
        actual_end,
        learners,
        machine_time,
        consumables,
        incident,
        incident_note,
    } = record;
    let (no_show, incident) = (*no_show, *incident);
    let (actual_start, actual_end) = (actual_start.as_deref(), actual_end.as_deref());
    let mut checks = Checks::new();
    let field = |name: &str| format!("{prefix}{name}");
    let actual = match (no_show, actual_start, actual_end) {
        (true, None, None) => None,
        (true, _, _) => {
            checks.fail(
                field("no_show"),
                "not_allowed",
                "une absence n'a pas d'horaires réels",
            );
            None
        }
        (false, Some(s), Some(e)) => {
            let s = check_instant(&mut checks, &field("actual_start"), s);
            let e = check_instant(&mut checks, &field("actual_end"), e);
            if checks.is_empty() && (s >= e || e - s > crate::db::bookings::MAX_BOOKING_SECONDS) {
                checks.fail(
                    field("actual_end"),
                    "before_start",
                    "la fin doit suivre le début, sept jours au plus après",
                );
            }
            Some(Span::new(s, e))
        }
        (false, _, _) => {
            checks.fail(
                field("actual_start"),
                "required",
                "indiquez le début et la fin réels, ou une absence (no_show)",
            );
            None
        }
    };
    if no_show && (!learners.is_empty() || !machine_time.is_empty()) {
        checks.fail(
            field("learners"),
            "not_allowed",
            "une absence n'a ni effectif ni temps machine",
        );
    }
    let learners = check_learners(&mut checks, learners);
    let mut machine = Vec::new();
    for (i, m) in machine_time.iter().enumerate() {
        checks.range(
            &field(&format!("machine_time[{i}].minutes")),
            m.minutes,
            1,
            10080,
        );
        let id = m.equipment_id.to_string();
        if machine.iter().any(|(e, _): &(String, i32)| *e == id) {
            checks.fail(
                field(&format!("machine_time[{i}].equipment_id")),
                "duplicate",
                "chaque équipement n'apparaît qu'une fois",
            );
        }
        machine.push((id, m.minutes));
    }
    let consumables = checks.text(&field("consumables"), consumables, 0, 4000);
    let incident_note = checks.text(&field("incident_note"), incident_note, 0, 4000);
    if incident && incident_note.is_empty() {
        checks.fail(field("incident_note"), "required", "décrivez l'incident");
    }
    checks.finish()?;
    Ok(booking_engine::UsageDraft {
        no_show,
        actual,
        learners,
        machine_time: machine,
        consumables,
        incident,
        incident_note,
    })
}

fn usage_view(
    conn: &mut DbConnection,
    row: crate::db::usage::UsageRow,
    tz: &chrono_tz::Tz,
) -> ApiResult<crate::views::usage::UsageView> {
    let learners = crate::db::usage::learners_of(conn, &row.booking_id)?
        .into_iter()
        .map(|(status, headcount)| {
            Ok(LearnerCount {
                status: LearnerStatus::from_db(&status)?,
                headcount,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let machine_time = crate::db::usage::machine_time_of(conn, &row.booking_id)?
        .into_iter()
        .map(|(equipment_id, minutes)| {
            Ok(crate::views::usage::MachineTime {
                equipment_id: Uuid::parse_str(&equipment_id)
                    .map_err(|e| ApiError::internal(e.to_string()))?,
                minutes,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(crate::views::usage::UsageView {
        hours_used: match (row.actual_start, row.actual_end) {
            (Some(s), Some(e)) => (e - s) as f64 / 3600.0,
            _ => 0.0,
        },
        actual_start: row.actual_start.map(|t| instant(t, tz)),
        actual_end: row.actual_end.map(|t| instant(t, tz)),
        recorded_at: instant(row.recorded_at, tz),
        updated_at: instant(row.updated_at, tz),
        booking_id: row.booking_id,
        no_show: row.no_show,
        learners,
        machine_time,
        consumables: row.consumables,
        incident: row.incident,
        incident_note: row.incident_note,
        recorded_by: row.recorded_by,
    })
}

/// Record, or correct, what really happened in a past confirmed session (the platform's
/// managers; the booker too where the platform allows it). Corrections are kept in the
/// booking's history.
#[utoipa::path(tag = "bookings", request_body = crate::views::usage::UsageRecord, responses(
    (status = 200, body = crate::views::usage::UsageView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[put("/bookings/{id}/usage")]
async fn record_usage(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<crate::views::usage::UsageRecord>,
) -> ApiResult<web::Json<crate::views::usage::UsageView>> {
    let draft = usage_draft(&body.0, "")?;
    let id = id.into_inner().to_string();
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            let row = booking_engine::record_usage(conn, &user, &id, &draft)?;
            usage_view(conn, row, &tz)
        })
        .await?;
    Ok(web::Json(view))
}

/// What was recorded for a session; 404 while it is unreported.
#[utoipa::path(tag = "bookings", responses(
    (status = 200, body = crate::views::usage::UsageView),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/bookings/{id}/usage")]
async fn show_usage(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<crate::views::usage::UsageView>> {
    let id = id.into_inner().to_string();
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            let booking = booking_engine::visible_booking(conn, &user, &id)?;
            let row = crate::db::usage::find(conn, &booking.id)?.ok_or_else(ApiError::not_found)?;
            usage_view(conn, row, &tz)
        })
        .await?;
    Ok(web::Json(view))
}

/// Record many sessions at once (a week of a platform): all or nothing.
#[utoipa::path(tag = "bookings", request_body = crate::views::usage::BulkUsage, responses(
    (status = 200, body = Vec<crate::views::usage::UsageView>),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/usage-records")]
async fn record_usage_in_bulk(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<crate::views::usage::BulkUsage>,
) -> ApiResult<web::Json<Vec<crate::views::usage::UsageView>>> {
    let records = body.0.records;
    if records.is_empty() || records.len() > 500 {
        return Err(ApiError::field(
            "records",
            "out_of_range",
            "de 1 à 500 séances",
        ));
    }
    let mut drafts = Vec::with_capacity(records.len());
    for (i, r) in records.into_iter().enumerate() {
        let (booking_id, record) = r.split();
        let draft = usage_draft(&record, &format!("records[{i}]."))?;
        drafts.push((booking_id.to_string(), draft));
    }
    let tz = state.timezone;
    let views = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let mut views = Vec::with_capacity(drafts.len());
                for (i, (booking_id, draft)) in drafts.iter().enumerate() {
                    let row = booking_engine::record_usage(conn, &user, booking_id, draft)
                        .map_err(|mut e| {
                            e.detail = format!("Séance n° {} ({booking_id}) : {}", i + 1, e.detail);
                            // The rules name a record's fields; say which record.
                            for error in &mut e.errors {
                                error.field = format!("records[{i}].{}", error.field);
                            }
                            e
                        })?;
                    views.push(usage_view(conn, row, &tz)?);
                }
                Ok(views)
            })
        })
        .await?;
    Ok(web::Json(views))
}

/// Record a session that happened without a booking (a walk-in, a booking forgotten): its
/// booking, confirmed and marked `recorded_after_the_fact`, and its usage record, at once.
/// The platform's managers and the director only; the session must not overlap a live
/// booking of the same item nor exceed the platform's stations, but notice, horizon and
/// opening hours do not apply.
#[utoipa::path(tag = "bookings", request_body = crate::views::usage::PastSession, responses(
    (status = 201, body = crate::views::usage::PastSessionView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/past-sessions")]
async fn record_past_session(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<crate::views::usage::PastSession>,
) -> ApiResult<HttpResponse> {
    let crate::views::usage::PastSession { booking, usage } = body.0;
    // The fields are named within the body: `booking.starts_at`.
    let draft = draft_of(booking).map_err(|e| {
        let errors = e.errors.iter().cloned().map(|mut error| {
            error.field = format!("booking.{}", error.field);
            error
        });
        ApiError::validation(errors.collect())
    })?;
    let usage = usage_draft(&usage, "usage.")?;
    let tz = state.timezone;
    let view = state
        .db(move |conn| {
            let (row, record) =
                booking_engine::record_past_session(conn, &user, tz, &draft, &usage)?;
            Ok(crate::views::usage::PastSessionView {
                booking: one_view(conn, row, &tz)?,
                usage: usage_view(conn, record, &tz)?,
            })
        })
        .await?;
    Ok(created(
        format!("/api/v1/bookings/{}", view.booking.id),
        view,
    ))
}
