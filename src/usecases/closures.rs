//! Closures (of a campus, an organisation's platforms, a platform), imported or not, and
//! maintenance windows of equipment. Who may close what is `access::require_closure_scope`.

use chrono_tz::Tz;

use crate::access::{self, BookingAct};
use crate::auth::CurrentUser;
use crate::db::closures::{ClosureFilter, ClosureRow, MaintenanceRow};
use crate::db::{self, DbConnection, Listed, Page};
use crate::domain::booking::BookingStatus;
use crate::domain::calendar::ImportedEvent;
use crate::domain::closures::{ClosureDraft, ClosureScope, MaintenanceDraft};
use crate::domain::notifications::NotificationKind;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::usecases::bookings::notify::notify;
use crate::usecases::bookings::{decide_row, Decision};

pub fn list(
    conn: &mut DbConnection,
    filter: &ClosureFilter,
    page: &Page,
) -> ApiResult<Listed<ClosureRow>> {
    db::closures::list(conn, filter, page)
}

pub fn create(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    draft: ClosureDraft,
) -> ApiResult<ClosureRow> {
    db::write_transaction(conn, |conn| {
        access::require_closure_scope(conn, actor, draft.scope, &draft.scope_id)?;
        let row = ClosureRow {
            id: db::new_id(),
            scope: draft.scope.as_str().to_owned(),
            scope_id: draft.scope_id.clone(),
            name: draft.name.clone(),
            starts_at: draft.span.start,
            ends_at: draft.span.end,
            source_uid: None,
            created_by: Some(actor.id.clone()),
            created_at: now,
        };
        db::closures::insert(conn, &row)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "closure",
            &row.id,
            "created",
            serde_json::json!({
                "scope": row.scope, "scope_id": row.scope_id, "name": row.name, "starts_at": draft.span.start, "ends_at": draft.span.end,
            }),
        )?;
        Ok(row)
    })
}

/// What an import wrote: the closures created, and the events imported before (same UID),
/// each with the closure holding it.
pub struct Import {
    pub created: Vec<ClosureRow>,
    pub already_present: Vec<(ImportedEvent, String)>,
}

/// Imports the events of a calendar as closures of one scope; an event imported before
/// (same UID) is kept as it is.
pub fn import(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    scope: ClosureScope,
    scope_id: &str,
    events: Vec<ImportedEvent>,
) -> ApiResult<Import> {
    db::write_transaction(conn, |conn| {
        access::require_closure_scope(conn, actor, scope, scope_id)?;
        let mut rows = Vec::new();
        let mut present = Vec::new();
        for event in events {
            if let Some(existing) =
                db::closures::find_imported(conn, scope.as_str(), scope_id, &event.uid)?
            {
                present.push((event, existing.id));
                continue;
            }
            let row = ClosureRow {
                id: db::new_id(),
                scope: scope.as_str().to_owned(),
                scope_id: scope_id.to_owned(),
                name: event.name,
                starts_at: event.span.start,
                ends_at: event.span.end,
                source_uid: Some(event.uid),
                created_by: Some(actor.id.clone()),
                created_at: now,
            };
            db::closures::insert(conn, &row)?;
            rows.push(row);
        }
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "closure_import",
            scope_id,
            "imported",
            serde_json::json!({
                "scope": scope, "imported": rows.len(), "already_present": present.len(),
            }),
        )?;
        Ok(Import {
            created: rows,
            already_present: present,
        })
    })
}

pub fn delete(conn: &mut DbConnection, actor: &CurrentUser, now: i64, id: &str) -> ApiResult<()> {
    db::write_transaction(conn, |conn| {
        let row = db::closures::find(conn, id)?.ok_or_else(ApiError::not_found)?;
        access::require_closure_scope(
            conn,
            actor,
            ClosureScope::from_db(&row.scope)?,
            &row.scope_id,
        )?;
        db::closures::delete(conn, id)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "closure",
            id,
            "deleted",
            serde_json::json!({
                "name": row.name, "starts_at": row.starts_at, "ends_at": row.ends_at,
            }),
        )
    })
}

/// Maintenance windows of one item (or of all), between two instants.
pub fn list_maintenance(
    conn: &mut DbConnection,
    equipment_id: Option<&str>,
    from: Option<i64>,
    to: Option<i64>,
    page: &Page,
) -> ApiResult<Listed<MaintenanceRow>> {
    db::closures::list_maintenance(conn, equipment_id, from, to, page)
}

/// Plans a maintenance window (the platform's managers, the director); overlapping live
/// bookings refuse it unless `force`, which cancels them. Answers the window and the
/// bookings cancelled.
pub fn create_maintenance(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    tz: Tz,
    draft: MaintenanceDraft,
) -> ApiResult<(MaintenanceRow, Vec<String>)> {
    let MaintenanceDraft {
        equipment_id,
        span,
        reason,
        force,
    } = draft;
    let (equipment_id, reason) = (equipment_id.as_str(), reason.as_str());
    db::write_transaction(conn, |conn| {
        // Locked like a booking of the item, so that no booking slips in meanwhile.
        let equipment = db::equipment::find_locked(conn, equipment_id)?.ok_or_else(|| {
            ApiError::field("equipment_id", "unknown_reference", "équipement inconnu")
        })?;
        let manages = access::manages_platform(conn, actor, &equipment.platform_id)?;
        access::require_booking_act(BookingAct::PlanMaintenance, manages, false)?;
        let overlapping = db::bookings::live_on_equipment(conn, equipment_id, span)?;
        if !overlapping.is_empty() && !force {
            let listed: Vec<_> = overlapping
                .iter()
                .map(|b| serde_json::json!({
                    "booking_id": b.id, "status": b.status, "organisation_id": b.organisation_id,
                    "starts_at": crate::views::instant(b.starts_at, &tz), "ends_at": crate::views::instant(b.ends_at, &tz),
                }))
                .collect();
            return Err(ApiError::new(ErrorCode::MaintenanceConflicts,
                match overlapping.len() {
                    1 => "Une réservation tombe dans cette période ; rien n'a été créé. Renvoyez la demande avec « force: true » pour l'annuler.".to_owned(),
                    n => format!("{n} réservations tombent dans cette période ; rien n'a été créé. Renvoyez la demande avec « force: true » pour les annuler."),
                },
            )
            .with_extra(serde_json::json!({ "bookings": listed })));
        }
        let row = db::closures::MaintenanceRow {
            id: db::new_id(),
            equipment_id: equipment_id.to_owned(),
            starts_at: span.start,
            ends_at: span.end,
            reason: reason.to_owned(),
            created_by: Some(actor.id.clone()),
            created_at: now,
        };
        let decision = Decision {
            actor,
            action: "cancel",
            to: BookingStatus::Cancelled,
            reason: Some(format!("Maintenance de l'équipement : {reason}")),
            now,
        };
        let mut cancelled = Vec::new();
        let mut cancelled_rows = Vec::new();
        for mut booking in overlapping {
            decide_row(
                conn,
                &mut booking,
                &decision,
                serde_json::json!({ "maintenance_window_id": row.id }),
            )?;
            cancelled.push(booking.id.clone());
            cancelled_rows.push(booking);
        }
        notify(
            conn,
            now,
            NotificationKind::BookingCancelledByUnavailability,
            &cancelled_rows,
            Some(&actor.id),
        )?;
        db::closures::insert_maintenance(conn, &row)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "maintenance_window",
            &row.id,
            "created",
            serde_json::json!({
                "equipment_id": equipment_id, "starts_at": span.start, "ends_at": span.end, "reason": reason, "cancelled_bookings": cancelled,
            }),
        )?;
        Ok((row, cancelled))
    })
}

/// Deletes a maintenance window (the managers of its item's platform, the director).
pub fn delete_maintenance(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    id: &str,
) -> ApiResult<()> {
    db::write_transaction(conn, |conn| {
        let row = db::closures::find_maintenance(conn, id)?.ok_or_else(ApiError::not_found)?;
        let equipment =
            db::equipment::find(conn, &row.equipment_id)?.ok_or_else(ApiError::not_found)?;
        access::require_manage_platform(conn, actor, &equipment.platform_id)?;
        db::closures::delete_maintenance(conn, id)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "maintenance_window",
            id,
            "deleted",
            serde_json::json!({ "equipment_id": row.equipment_id }),
        )
    })
}
