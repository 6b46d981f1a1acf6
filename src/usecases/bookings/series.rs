//! Recurring series: created from a first occurrence and an RFC 5545 rule, then changed or
//! cancelled from an occurrence on, all or nothing.

use chrono_tz::Tz;

use super::{
    audit_created, authorise, decide_row, learners_rows, load_context, load_target, new_row,
    prepare, set_group_texts, skip_json, Decision, Grant, Skip, Target,
};
use crate::access::{self, BookingAct};
use crate::auth::CurrentUser;
use crate::db::bookings::BookingRow;
use crate::db::series::SeriesDetails;
use crate::db::{self, DbConnection};
use crate::domain::booking::{
    check, check_closure, Ask, BookingContext, BookingDraft, BookingStatus, LiveBooking,
    SeriesChange, SeriesMode,
};
use crate::domain::notifications::{Locale, NotificationKind};
use crate::domain::plural::counted;
use crate::domain::time::Span;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::mail::content::Facts;
use crate::mail::notices::{SeriesFacts, SkippedDate};

/// The occurrences of a series once every rule has been run on each, in order: those to
/// book, those skipped (closures always; other refusals in `skip_conflicts`) and, in
/// `all_or_nothing`, those whose refusal refuses the whole series.
#[derive(Debug, Clone, Default)]
pub struct SeriesPlan {
    pub accepted: Vec<Span>,
    pub skipped: Vec<Skip>,
    pub conflicts: Vec<Skip>,
}

/// The planning rule of a series, the one both its creation and its preview run: each
/// occurrence is checked against the context and the occurrences accepted before it.
fn plan(
    ctx: &mut BookingContext,
    equipment_id: Option<&str>,
    stations: Option<i32>,
    occurrences: Vec<Span>,
    mode: SeriesMode,
) -> SeriesPlan {
    let mut plan = SeriesPlan::default();
    for span in occurrences {
        if let Err(refusal) = check_closure(ctx, span) {
            plan.skipped.push(Skip { span, refusal });
            continue;
        }
        match check(
            ctx,
            &Ask {
                span,
                stations,
                ignore_booking_id: None,
            },
        ) {
            Ok(()) => {
                ctx.live.push(LiveBooking {
                    id: format!("occurrence-{}", span.start),
                    span,
                    equipment_id: equipment_id.map(str::to_owned),
                    stations,
                });
                plan.accepted.push(span);
            }
            Err(refusal) if mode == SeriesMode::AllOrNothing => {
                plan.conflicts.push(Skip { span, refusal })
            }
            Err(refusal) => plan.skipped.push(Skip { span, refusal }),
        }
    }
    plan
}

/// A series planned inside the caller's transaction: its target, the caller's grant and
/// the plan of its occurrences.
struct Planned {
    target: Target,
    grant: Grant,
    plan: SeriesPlan,
}

fn plan_series(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    tz: Tz,
    now: i64,
    draft: &BookingDraft,
    rule: &str,
    mode: SeriesMode,
) -> ApiResult<Planned> {
    let occurrences = crate::domain::recurrence::expand(rule, draft.span, &tz)?;
    let window = crate::domain::recurrence::envelope(&occurrences).ok_or_else(|| {
        ApiError::field(
            "rrule",
            "invalid_rrule",
            "la règle ne produit aucune occurrence",
        )
    })?;
    let (target, grant, mut ctx) = prepare(conn, actor, tz, now, draft, window)?;
    let equipment_id = target.equipment.as_ref().map(|e| e.id.clone());
    let plan = plan(
        &mut ctx,
        equipment_id.as_deref(),
        draft.stations,
        occurrences,
        mode,
    );
    Ok(Planned {
        target,
        grant,
        plan,
    })
}

/// What creating a series would do now, written nowhere: the dates it would book, those it
/// would skip and why, and the conflicts that would refuse it in `all_or_nothing`. The same
/// planning as `create_series`, in a transaction that is rolled back.
pub struct SeriesPreview {
    pub plan: SeriesPlan,
    /// The status its occurrences would start in (pending for an outside booking that needs
    /// approval).
    pub status: BookingStatus,
}

pub fn preview_series(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    tz: Tz,
    now: i64,
    draft: &BookingDraft,
    rule: &str,
    mode: SeriesMode,
) -> ApiResult<SeriesPreview> {
    db::rolled_back(conn, |conn| {
        let planned = plan_series(conn, actor, tz, now, draft, rule, mode)?;
        Ok(SeriesPreview {
            plan: planned.plan,
            status: planned.grant.status,
        })
    })
}

/// Creates a recurring series. Occurrences in a closure are always skipped; any other broken
/// rule refuses the whole series (`all_or_nothing`) or skips that occurrence. Answers the
/// series as the caller sees it.
pub fn create_series(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    tz: Tz,
    now: i64,
    draft: BookingDraft,
    rule: &str,
    mode: SeriesMode,
) -> ApiResult<SeriesDetails> {
    let id = db::write_transaction(conn, |conn| {
        let Planned {
            target,
            grant,
            plan:
                SeriesPlan {
                    accepted,
                    skipped,
                    conflicts,
                },
        } = plan_series(conn, actor, tz, now, &draft, rule, mode)?;
        if !conflicts.is_empty() {
            let listed: Vec<_> = conflicts.iter().map(|s| skip_json(s, &tz)).collect();
            return Err(ApiError::new(ErrorCode::SeriesConflicts,
                format!("{} ; rien n'a été créé. Voir « extra.conflicts », ou choisissez le mode qui saute les occurrences en conflit.", counted(conflicts.len(), Locale::French, "occurrence de la série ne peut pas être réservée", "occurrences de la série ne peuvent pas être réservées")),
            )
            .with_extra(serde_json::json!({ "conflicts": listed, "skipped": skipped.iter().map(|s| skip_json(s, &tz)).collect::<Vec<_>>() })));
        }
        if accepted.is_empty() {
            return Err(ApiError::new(ErrorCode::SeriesEmpty, "Aucune occurrence de la série n'est réservable ; rien n'a été créé. Voir « extra.skipped ».")
                .with_extra(serde_json::json!({ "skipped": skipped.iter().map(|s| skip_json(s, &tz)).collect::<Vec<_>>() })));
        }
        let series = db::series::SeriesRow {
            id: db::new_id(),
            rrule: rule.trim().trim_start_matches("RRULE:").to_owned(),
            mode: mode.as_str().to_owned(),
            platform_id: target.platform.id.clone(),
            equipment_id: target.equipment.as_ref().map(|e| e.id.clone()),
            booker_id: actor.id.clone(),
            organisation_id: grant.organisation_id.clone(),
            created_at: now,
            updated_at: now,
        };
        db::series::insert(conn, &series)?;
        let mut created = Vec::with_capacity(accepted.len());
        for span in accepted {
            let row = new_row(
                &draft,
                &target,
                actor,
                now,
                &grant,
                span,
                Some(series.id.clone()),
            );
            db::bookings::insert(conn, &row, &learners_rows(&draft.learners))?;
            audit_created(conn, actor, now, &row, &draft)?;
            created.push(row);
        }
        for skip in &skipped {
            db::series::insert_skip(
                conn,
                &series.id,
                skip.span.start,
                skip.span.end,
                skip.refusal.code.as_str(),
                &skip.refusal.message,
            )?;
        }
        let pending: Vec<BookingRow> = created
            .iter()
            .filter(|r| r.status == BookingStatus::Pending.as_str())
            .cloned()
            .collect();
        // The platform's managers are asked once for the whole series.
        super::notify::notify_series(
            conn,
            now,
            NotificationKind::SeriesPending,
            &series.id,
            &pending,
            &actor.id,
        )?;
        if !skipped.is_empty() {
            // The booker learns which dates were left out, and why.
            let facts = Facts::SeriesSkippedDates(SeriesFacts {
                series_id: series.id.clone(),
                platform: target.platform.name.clone(),
                equipment: target.equipment.as_ref().map(|e| e.name.clone()),
                group_label: draft.group_label.clone(),
                created: created.len(),
                skipped: skipped
                    .iter()
                    .map(|s| SkippedDate {
                        starts_at: s.span.start,
                        ends_at: s.span.end,
                        reason: s.refusal.message.clone(),
                    })
                    .collect(),
            });
            crate::usecases::outbox::enqueue_many(conn, now, &[(actor.id.as_str(), facts)])?;
        }
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "booking_series",
            &series.id,
            "created",
            serde_json::json!({
                "rrule": series.rrule, "mode": series.mode, "created": created.len(), "skipped": skipped.len(),
            }),
        )?;
        Ok(series.id)
    })?;
    find(conn, actor, &id)
}

/// The occurrences of a series the caller may act on: still to come, from `from` on.
fn upcoming(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    series_id: &str,
    from: Option<i64>,
) -> ApiResult<(db::series::SeriesRow, Vec<BookingRow>, bool)> {
    let series = db::series::find(conn, series_id)?.ok_or_else(ApiError::not_found)?;
    let all = db::bookings::in_series(conn, series_id)?;
    let Some(first) = all.first() else {
        return Err(ApiError::not_found());
    };
    if !access::can_see_booking(conn, actor, first)? {
        return Err(ApiError::not_found());
    }
    let is_manager = access::manages_platform(conn, actor, &series.platform_id)?;
    access::require_booking_act(
        BookingAct::ChangeSeries,
        is_manager,
        series.booker_id == actor.id,
    )?;
    let from = from.unwrap_or(i64::MIN).max(now);
    let rows = all
        .into_iter()
        .filter(|b| {
            b.starts_at >= from
                && BookingStatus::parse(&b.status).is_some_and(BookingStatus::is_live)
        })
        .collect();
    Ok((series, rows, is_manager))
}

/// Cancels the occurrences still to come (from `from` on); answers the series as the
/// caller sees it afterwards.
pub fn cancel_series(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    series_id: &str,
    from: Option<i64>,
    reason: &str,
) -> ApiResult<SeriesDetails> {
    db::write_transaction(conn, |conn| {
        let (series, rows, _) = upcoming(conn, actor, now, series_id, from)?;
        let decision = Decision {
            actor,
            action: "cancel",
            to: BookingStatus::Cancelled,
            reason: Some(reason.to_owned()),
            now,
        };
        let mut cancelled = Vec::with_capacity(rows.len());
        for mut row in rows.iter().cloned() {
            decide_row(
                conn,
                &mut row,
                &decision,
                serde_json::json!({ "series_id": series.id }),
            )?;
            cancelled.push(row);
        }
        // One message for the series, not one per occurrence.
        super::notify::notify_series(
            conn,
            now,
            NotificationKind::SeriesCancelled,
            &series.id,
            &cancelled,
            &actor.id,
        )?;
        db::series::touch(conn, &series.id, now)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "booking_series",
            &series.id,
            "cancelled",
            serde_json::json!({
                "from": from, "reason": reason, "cancelled": rows.len(),
            }),
        )
    })?;
    find(conn, actor, series_id)
}

/// Changes the occurrences still to come, all or none: a changed time or supervisor re-runs
/// every rule on every occurrence, and one refusal refuses the whole change. Answers the
/// series as the caller sees it afterwards.
pub fn change_series(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    tz: Tz,
    now: i64,
    series_id: &str,
    change: SeriesChange,
) -> ApiResult<SeriesDetails> {
    use crate::domain::time::{date_at_minute, local};
    db::write_transaction(conn, |conn| {
        let (series, rows, _) = upcoming(conn, actor, now, series_id, change.from)?;
        let mut conflicts = Vec::new();
        let mut changed = Vec::with_capacity(rows.len());
        let rules = change.start_minute.is_some()
            || change.end_minute.is_some()
            || change.supervisor_id.is_some();
        let target = if rules {
            Some(load_target(
                conn,
                Some(&series.platform_id),
                series.equipment_id.as_deref(),
                rows.first()
                    .and_then(|r| r.stations)
                    .or(series.equipment_id.is_none().then_some(1)),
            )?)
        } else {
            None
        };
        if let (Some(target), Some(supervisor)) = (&target, &change.supervisor_id) {
            authorise(
                conn,
                actor,
                &target.platform,
                Some(&series.organisation_id),
                Some(supervisor),
            )?;
        }
        for row in &rows {
            let day = local(row.starts_at, &tz).date_naive();
            let start_minute = change
                .start_minute
                .unwrap_or_else(|| minute_of(row.starts_at, &tz));
            let end_minute = change
                .end_minute
                .unwrap_or_else(|| minute_of(row.ends_at, &tz));
            let span = Span::new(
                date_at_minute(day, start_minute, &tz),
                date_at_minute(day, end_minute, &tz),
            );
            let supervisor = change.supervisor_id.clone().or(row.supervisor_id.clone());
            if let Some(target) = &target {
                let holder = supervisor.clone().unwrap_or_else(|| row.booker_id.clone());
                let mut ctx = load_context(conn, tz, now, target, Some(&holder), span)?;
                // The series' own occurrences move together.
                ctx.live.retain(|b| !rows.iter().any(|r| r.id == b.id));
                if let Err(refusal) = check(
                    &ctx,
                    &Ask {
                        span,
                        stations: row.stations,
                        ignore_booking_id: Some(row.id.clone()),
                    },
                ) {
                    conflicts.push(skip_json(&Skip { span, refusal }, &tz));
                    continue;
                }
            }
            let mut updated = row.clone();
            updated.starts_at = span.start;
            updated.ends_at = span.end;
            updated.supervisor_id = supervisor;
            set_group_texts(
                &mut updated,
                &change.group_label,
                &change.level,
                &change.purpose,
            );
            updated.updated_at = now;
            changed.push(updated);
        }
        if !conflicts.is_empty() {
            return Err(ApiError::new(
                ErrorCode::SeriesConflicts,
                format!(
                    "{} ; rien n'a été changé. Voir « extra.conflicts ».",
                    counted(
                        conflicts.len(),
                        Locale::French,
                        "occurrence ne peut pas être modifiée ainsi",
                        "occurrences ne peuvent pas être modifiées ainsi"
                    )
                ),
            )
            .with_extra(serde_json::json!({ "conflicts": conflicts })));
        }
        for row in &changed {
            db::bookings::update(conn, row)?;
            db::audit::record(
                conn,
                now,
                Some(&actor.id),
                "booking",
                &row.id,
                "updated",
                serde_json::json!({
                    "starts_at": row.starts_at, "ends_at": row.ends_at, "supervisor_id": change.supervisor_id,
                    "group_label": change.group_label, "level": change.level, "purpose": change.purpose, "series_id": series.id,
                }),
            )?;
        }
        super::notify::notify_series(
            conn,
            now,
            NotificationKind::SeriesChanged,
            &series.id,
            &changed,
            &actor.id,
        )?;
        db::series::touch(conn, &series.id, now)?;
        Ok(())
    })?;
    find(conn, actor, series_id)
}

fn minute_of(seconds: i64, tz: &Tz) -> i32 {
    use chrono::Timelike;
    let t = crate::domain::time::local(seconds, tz);
    (t.hour() * 60 + t.minute()) as i32
}

/// A series the caller may see: one whose first occurrence they may see.
pub fn find(conn: &mut DbConnection, actor: &CurrentUser, id: &str) -> ApiResult<SeriesDetails> {
    let series = db::series::find(conn, id)?.ok_or_else(ApiError::not_found)?;
    let rows = db::bookings::in_series(conn, id)?;
    match rows.first() {
        Some(first) if access::can_see_booking(conn, actor, first)? => {}
        _ => return Err(ApiError::not_found()),
    }
    Ok(SeriesDetails {
        skipped: db::series::skips_of(conn, id)?,
        occurrences: db::bookings::with_learners(conn, rows)?,
        series,
    })
}
