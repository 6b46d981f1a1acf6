//! What really happened in sessions: usage records, one or many at once, and sessions
//! recorded after the fact without a booking.

use chrono_tz::Tz;

use super::{created_changes, learners_rows, new_row, prepare, Grant};
use crate::access::{self, BookingAct};
use crate::auth::CurrentUser;
use crate::db::bookings::{BookingDetails, BookingRow};
use crate::db::usage::UsageDetails;
use crate::db::{self, DbConnection};
use crate::domain::booking::{Ask, BookingDraft, BookingStatus};
use crate::domain::time::Span;
use crate::domain::usage::UsageDraft;
use crate::error::{ApiError, ApiResult, ErrorCode};

/// Records a session that happened without a booking (a walk-in, a booking forgotten): its
/// confirmed booking, marked as recorded after the fact, and its usage record, in one
/// transaction. The platform's managers and the director only. The conflict rules hold (no
/// overlap on the same item, stations within the count); notice, horizon, opening hours
/// and the past do not, since the session already happened.
fn record_past_session(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    tz: Tz,
    now: i64,
    draft: &BookingDraft,
    usage: &UsageDraft,
) -> ApiResult<(BookingRow, db::usage::UsageRow)> {
    db::write_transaction(conn, |conn| {
        // Who may is settled first: the booking rules would refuse others for other reasons.
        let platform_id = match &draft.equipment_id {
            Some(id) => db::equipment::find(conn, id)?.map(|e| e.platform_id),
            None => draft.platform_id.clone(),
        };
        if let Some(platform_id) = platform_id {
            let manages = access::manages_platform(conn, actor, &platform_id)?;
            access::require_booking_act(BookingAct::RecordAfterTheFact, manages, false)?;
        }
        let (target, grant, ctx) = prepare(conn, actor, tz, now, draft, draft.span)?;
        if draft.span.end > now {
            return Err(ApiError::field(
                "booking.ends_at",
                "not_yet_past",
                "une séance s'enregistre après coup une fois terminée ; sinon, réservez-la",
            ));
        }
        let ask = Ask {
            span: draft.span,
            stations: draft.stations,
            ignore_booking_id: None,
        };
        crate::domain::booking::check_conflicts(&ctx, &ask).map_err(ApiError::from)?;
        let grant = Grant {
            status: BookingStatus::Confirmed,
            ..grant
        };
        let mut row = new_row(draft, &target, actor, now, &grant, draft.span, None);
        row.recorded_after_the_fact = true;
        row.decided_by = Some(actor.id.clone());
        row.decided_at = Some(row.created_at);
        db::bookings::insert(conn, &row, &learners_rows(&draft.learners))?;
        let mut changes = created_changes(&row, draft);
        changes["recorded_after_the_fact"] = serde_json::json!(true);
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "booking",
            &row.id,
            "created",
            changes,
        )?;
        let usage = record_usage(conn, actor, now, &row.id, usage)?;
        Ok((row, usage))
    })
}

/// Records (or corrects) what really happened in a past confirmed booking: its platform's
/// managers and the director, or its booker where the platform lets bookers report.
/// Corrections keep the previous record in the audit trail.
fn record_usage(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    booking_id: &str,
    draft: &UsageDraft,
) -> ApiResult<db::usage::UsageRow> {
    db::write_transaction(conn, |conn| {
        let booking = access::visible_booking(conn, actor, booking_id)?;
        let platform =
            db::platforms::find(conn, &booking.platform_id)?.ok_or_else(ApiError::not_found)?;
        let manages = access::manages_platform(conn, actor, &booking.platform_id)?;
        access::require_booking_act(
            BookingAct::RecordUsage {
                bookers_record_usage: platform.bookers_record_usage,
            },
            manages,
            booking.booker_id == actor.id,
        )?;
        if BookingStatus::from_db(&booking.status)? != BookingStatus::Confirmed {
            return Err(ApiError::new(
                ErrorCode::NotReportable,
                format!(
                    "Une réservation « {} » n'a pas d'usage à renseigner.",
                    crate::labels::label_of(&booking.status, BookingStatus::parse)
                ),
            ));
        }
        if booking.ends_at > now {
            return Err(ApiError::new(
                ErrorCode::NotYetPast,
                "L'usage se renseigne une fois la séance terminée.",
            ));
        }
        if let Some(actual) = draft.actual {
            let booked = Span::new(booking.starts_at, booking.ends_at);
            let errors = crate::domain::usage::outside_booking(booked, actual);
            if !errors.is_empty() {
                return Err(ApiError::validation(errors));
            }
            for (equipment_id, minutes) in &draft.machine_time {
                let item = db::equipment::find(conn, equipment_id)?
                    .filter(|e| e.platform_id == booking.platform_id)
                    .ok_or_else(|| {
                        ApiError::field(
                            "machine_time",
                            "unknown_reference",
                            "équipement inconnu sur ce plateau",
                        )
                    })?;
                if i64::from(*minutes) * 60 > actual.seconds() {
                    return Err(ApiError::field(
                        "machine_time",
                        "out_of_range",
                        format!(
                            "« {} » ne peut pas tourner plus longtemps que la séance",
                            item.name
                        ),
                    ));
                }
            }
        }
        let before = db::usage::find(conn, &booking.id)?;
        let previous_learners = match &before {
            Some(_) => db::usage::learners_of(conn, &booking.id)?,
            None => Vec::new(),
        };
        let row = db::usage::UsageRow {
            booking_id: booking.id.clone(),
            no_show: draft.no_show,
            actual_start: draft.actual.map(|a| a.start),
            actual_end: draft.actual.map(|a| a.end),
            consumables: draft.consumables.clone(),
            incident: draft.incident,
            incident_note: draft.incident_note.clone(),
            recorded_by: Some(actor.id.clone()),
            recorded_at: before.as_ref().map(|b| b.recorded_at).unwrap_or(now),
            updated_at: now,
        };
        let learners = learners_rows(&draft.learners);
        db::usage::save(conn, &row, &learners, &draft.machine_time, before.is_some())?;
        let record = serde_json::json!({
            "no_show": row.no_show, "actual_start": row.actual_start, "actual_end": row.actual_end,
            "learners": learners, "machine_time": draft.machine_time, "consumables": row.consumables,
            "incident": row.incident, "incident_note": row.incident_note,
        });
        let (action, changes) = match &before {
            None => ("usage_recorded", serde_json::json!({ "record": record })),
            Some(previous) => (
                "usage_corrected",
                serde_json::json!({
                    "record": record,
                    "previous": {
                        "no_show": previous.no_show, "actual_start": previous.actual_start, "actual_end": previous.actual_end,
                        "learners": previous_learners,
                        "consumables": previous.consumables, "incident": previous.incident, "incident_note": previous.incident_note,
                        "recorded_by": previous.recorded_by,
                    },
                }),
            ),
        };
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "booking",
            &booking.id,
            action,
            changes,
        )?;
        Ok(row)
    })
}

/// Records many sessions at once (a week of a platform): all or none. A refusal names the
/// record at fault (`records[3].actual_end`).
pub fn record_many(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    drafts: &[(String, UsageDraft)],
) -> ApiResult<Vec<UsageDetails>> {
    db::write_transaction(conn, |conn| {
        let mut records = Vec::with_capacity(drafts.len());
        for (i, (booking_id, draft)) in drafts.iter().enumerate() {
            let row = record_usage(conn, actor, now, booking_id, draft).map_err(|mut e| {
                e.detail = format!("Séance n° {} ({booking_id}) : {}", i + 1, e.detail);
                // The rules name a record's fields; say which record.
                for error in &mut e.errors {
                    error.field = format!("records[{i}].{}", error.field);
                }
                e
            })?;
            records.push(db::usage::with_details(conn, row)?);
        }
        Ok(records)
    })
}

/// Records (or corrects) the usage of one session; answers the record as stored.
pub fn record(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    booking_id: &str,
    draft: &UsageDraft,
) -> ApiResult<UsageDetails> {
    let row = record_usage(conn, actor, now, booking_id, draft)?;
    db::usage::with_details(conn, row)
}

/// What was recorded for a session the caller may see; 404 while it is unreported.
pub fn find(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    booking_id: &str,
) -> ApiResult<UsageDetails> {
    let booking = access::visible_booking(conn, actor, booking_id)?;
    let row = db::usage::find(conn, &booking.id)?.ok_or_else(ApiError::not_found)?;
    db::usage::with_details(conn, row)
}

/// A session recorded after the fact: its booking and its usage record.
pub fn record_after_the_fact(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    tz: Tz,
    now: i64,
    draft: &BookingDraft,
    usage: &UsageDraft,
) -> ApiResult<(BookingDetails, UsageDetails)> {
    let (booking, record) = record_past_session(conn, actor, tz, now, draft, usage)?;
    Ok((
        db::completed(conn, booking, db::bookings::with_learners)?,
        db::usage::with_details(conn, record)?,
    ))
}
