//! Changes to a booking once made: decisions (approve, reject, cancel) and edits.

use chrono_tz::Tz;

use super::notify::notify;
use super::{
    authorise, decide_row, learners_rows, load_context, load_target, set_group_texts, Decision,
};
use crate::access::{self, BookingAct};
use crate::auth::CurrentUser;
use crate::db::{self, bookings::BookingDetails, DbConnection};
use crate::domain::booking::{allowed_actions, check, Action, Ask, BookingChange, BookingStatus};
use crate::domain::notifications::NotificationKind;
use crate::domain::time::Span;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::labels::Label;

/// Approves, rejects or cancels a booking (with a reason to reject or cancel).
pub fn transition(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    id: &str,
    action: Action,
    reason: Option<String>,
) -> ApiResult<BookingDetails> {
    let row = db::write_transaction(conn, |conn| {
        let mut row = access::visible_booking(conn, actor, id)?;
        let is_manager = access::manages_platform(conn, actor, &row.platform_id)?;
        let act = match action {
            Action::Approve => BookingAct::Approve,
            Action::Reject => BookingAct::Reject,
            Action::Cancel => BookingAct::Cancel,
        };
        access::require_booking_act(act, is_manager, row.booker_id == actor.id)?;
        let status = BookingStatus::from_db(&row.status)?;
        let allowed = allowed_actions(status);
        if !allowed.contains(&action) {
            let names: Vec<&str> = allowed.iter().map(|a| a.name()).collect();
            return Err(ApiError::new(ErrorCode::InvalidTransition,
                format!("L'action « {} » n'est pas possible sur une réservation « {} » ; actions possibles : {}.", action.label(), status.label(),
                    crate::labels::join(allowed)),
            )
            .with_extra(serde_json::json!({ "allowed_actions": names })));
        }
        let reason = reason
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        if matches!(action, Action::Reject | Action::Cancel) && reason.is_none() {
            return Err(ApiError::field("reason", "required", "indiquez le motif"));
        }
        if reason.as_ref().is_some_and(|r| r.chars().count() > 1000) {
            return Err(ApiError::field(
                "reason",
                "too_long",
                "1000 caractères au plus",
            ));
        }
        let new_status = match action {
            Action::Approve => BookingStatus::Confirmed,
            Action::Reject => BookingStatus::Rejected,
            Action::Cancel => BookingStatus::Cancelled,
        };
        let decision = Decision {
            actor,
            action: action.name(),
            to: new_status,
            reason,
            now,
        };
        decide_row(conn, &mut row, &decision, serde_json::json!({}))?;
        let kind = match action {
            Action::Approve => NotificationKind::BookingApproved,
            Action::Reject => NotificationKind::BookingRejected,
            Action::Cancel => NotificationKind::BookingCancelled,
        };
        notify(conn, now, kind, std::slice::from_ref(&row), Some(&actor.id))?;
        Ok(row)
    })?;
    db::completed(conn, row, db::bookings::with_learners)
}

/// Changes a booking; a new time, equipment item, station count or supervisor re-runs every
/// rule, and a change by an outside booker to a confirmed booking that needed approval
/// asks for it again.
pub fn change_booking(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    tz: Tz,
    now: i64,
    id: &str,
    change: BookingChange,
) -> ApiResult<BookingDetails> {
    let row = db::write_transaction(conn, |conn| {
        let mut row = access::visible_booking(conn, actor, id)?;
        let is_manager = access::manages_platform(conn, actor, &row.platform_id)?;
        access::require_booking_act(BookingAct::Change, is_manager, row.booker_id == actor.id)?;
        let status = BookingStatus::from_db(&row.status)?;
        if !status.is_live() {
            return Err(ApiError::new(
                ErrorCode::BookingNotLive,
                format!(
                    "Une réservation « {} » ne peut plus être modifiée.",
                    status.label()
                ),
            ));
        }
        if change.stations.is_some() && row.equipment_id.is_some() {
            return Err(ApiError::field(
                "stations",
                "not_allowed",
                "cette réservation porte sur un équipement",
            ));
        }
        if change.equipment_id.is_some() && row.equipment_id.is_none() {
            return Err(ApiError::field(
                "equipment_id",
                "not_allowed",
                "cette réservation porte sur des postes du plateau",
            ));
        }
        let before = row.clone();
        if change.needs_rules() {
            let equipment_id = change.equipment_id.clone().or(row.equipment_id.clone());
            let stations = change.stations.or(row.stations);
            let target = load_target(
                conn,
                Some(&row.platform_id),
                equipment_id.as_deref(),
                stations,
            )?;
            if let Some(supervisor) = &change.supervisor_id {
                authorise(
                    conn,
                    actor,
                    &target.platform,
                    Some(&row.organisation_id),
                    Some(supervisor),
                )?;
            }
            let supervisor = change.supervisor_id.clone().or(row.supervisor_id.clone());
            let holder = supervisor.clone().unwrap_or_else(|| row.booker_id.clone());
            let span = change.span.unwrap_or(Span::new(row.starts_at, row.ends_at));
            let ctx = load_context(conn, tz, now, &target, Some(&holder), span)?;
            check(
                &ctx,
                &Ask {
                    span,
                    stations,
                    ignore_booking_id: Some(row.id.clone()),
                },
            )
            .map_err(ApiError::from)?;
            row.starts_at = span.start;
            row.ends_at = span.end;
            row.equipment_id = equipment_id;
            row.stations = stations;
            row.supervisor_id = supervisor;
            // A booker outside the owning organisation who changes a confirmed booking that
            // needed approval asks for approval again.
            if !is_manager
                && status == BookingStatus::Confirmed
                && target.platform.outside_requires_approval
                && row.organisation_id != target.platform.owner_organisation_id
            {
                row.status = BookingStatus::Pending.as_str().to_owned();
                row.decided_by = None;
                row.decided_at = None;
            }
        }
        set_group_texts(
            &mut row,
            &change.group_label,
            &change.level,
            &change.purpose,
        );
        if let Some(learners) = &change.learners {
            db::bookings::set_learners(conn, &row.id, &learners_rows(learners))?;
        }
        row.updated_at = now;
        row.sequence += 1;
        db::bookings::update(conn, &row)?;
        notify(
            conn,
            now,
            NotificationKind::BookingChanged,
            std::slice::from_ref(&row),
            Some(&actor.id),
        )?;
        if row.status == BookingStatus::Pending.as_str() && before.status != row.status {
            // Approval asked again: the managers hear of it as of a new request.
            notify(
                conn,
                now,
                NotificationKind::BookingPending,
                std::slice::from_ref(&row),
                Some(&actor.id),
            )?;
        }
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "booking",
            &row.id,
            "updated",
            serde_json::json!({
                "starts_at": (before.starts_at != row.starts_at).then_some([before.starts_at, row.starts_at]),
                "ends_at": (before.ends_at != row.ends_at).then_some([before.ends_at, row.ends_at]),
                "equipment_id": (before.equipment_id != row.equipment_id).then(|| [before.equipment_id.clone(), row.equipment_id.clone()]),
                "stations": (before.stations != row.stations).then_some([before.stations, row.stations]),
                "supervisor_id": (before.supervisor_id != row.supervisor_id).then(|| [before.supervisor_id.clone(), row.supervisor_id.clone()]),
                "status": (before.status != row.status).then(|| [before.status.clone(), row.status.clone()]),
                "learners": change.learners.as_ref().map(|l| learners_rows(l)),
                "group_label": change.group_label, "level": change.level, "purpose": change.purpose,
            }),
        )?;
        Ok(row)
    })?;
    db::completed(conn, row, db::bookings::with_learners)
}
