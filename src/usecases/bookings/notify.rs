//! The messages bookings cause, queued in the transaction of the change that causes them
//! (`crate::usecases::outbox`): a booking to approve goes to the platform's managers, every other
//! event to the booker and the supervisor, with the booking's calendar invitation.
//!
//! Whoever caused the event saw it happen on screen and is not told of it, except by a
//! message that carries a calendar invitation: a booker who moves or cancels their own
//! booking gets its update, or the event their calendar holds stays at the old time.

use crate::db::bookings::{BookingNames, BookingRow};
use crate::db::{self, DbConnection};
use crate::domain::notifications::NotificationKind;
use crate::error::ApiResult;
use crate::mail::content::Facts;
use crate::mail::notices::{BookingFacts, SeriesEventFacts, SessionLine};

fn name(names: &std::collections::HashMap<String, String>, id: &str) -> String {
    names.get(id).cloned().unwrap_or_default()
}

/// What a message says of `row`, as it stands.
pub(crate) fn facts(row: &BookingRow, names: &BookingNames) -> BookingFacts {
    BookingFacts {
        booking_id: row.id.clone(),
        sequence: row.sequence,
        status: row.status.clone(),
        platform: name(&names.platforms, &row.platform_id),
        equipment: row
            .equipment_id
            .as_deref()
            .map(|id| name(&names.equipment, id)),
        stations: row.stations,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        group_label: row.group_label.clone(),
        organisation: name(&names.organisations, &row.organisation_id),
        booker: name(&names.people, &row.booker_id),
        reason: row.status_reason.clone(),
        same_day: false,
    }
}

/// `row` as a line of a list (a digest, a series).
pub(crate) fn session_line(row: &BookingRow, names: &BookingNames) -> SessionLine {
    SessionLine {
        booking_id: row.id.clone(),
        platform: name(&names.platforms, &row.platform_id),
        equipment: row
            .equipment_id
            .as_deref()
            .map(|id| name(&names.equipment, id)),
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        group_label: row.group_label.clone(),
        organisation: name(&names.organisations, &row.organisation_id),
    }
}

/// Queues the `kind` messages of `rows`, caused by `author` (none for a batch of several
/// people's bookings): a few reads for all of them (names, managers, recipients) and one
/// insert.
pub(crate) fn notify(
    conn: &mut DbConnection,
    now: i64,
    kind: NotificationKind,
    rows: &[BookingRow],
    author: Option<&str>,
) -> ApiResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    let names = db::bookings::names_for(conn, rows)?;
    let managers = if kind == NotificationKind::BookingPending {
        let mut platform_ids: Vec<String> = rows.iter().map(|r| r.platform_id.clone()).collect();
        platform_ids.sort_unstable();
        platform_ids.dedup();
        db::platforms::managers_of(conn, &platform_ids)?
    } else {
        Vec::new()
    };
    let mut messages: Vec<(&str, Facts)> = Vec::new();
    for row in rows {
        let mut recipients: Vec<&str> = if kind == NotificationKind::BookingPending {
            managers
                .iter()
                .filter(|(platform, _)| *platform == row.platform_id)
                .map(|(_, user)| user.as_str())
                .collect()
        } else {
            std::iter::once(row.booker_id.as_str())
                .chain(row.supervisor_id.as_deref())
                .collect()
        };
        if !kind.carries_invitation() {
            recipients.retain(|user| Some(*user) != author);
        }
        for user in recipients {
            messages.push((user, Facts::Booking(kind, facts(row, &names))));
        }
    }
    crate::usecases::outbox::enqueue_many(conn, now, &messages)
}

/// Queues one `kind` message (a series to approve, cancelled or changed) about the
/// occurrences `rows` of series `series_id`, whatever their number: to the platform's
/// managers for a series to approve, to the booker and the supervisors otherwise; never to
/// `author`, who caused it (it carries no invitation).
pub(crate) fn notify_series(
    conn: &mut DbConnection,
    now: i64,
    kind: NotificationKind,
    series_id: &str,
    rows: &[BookingRow],
    author: &str,
) -> ApiResult<usize> {
    let Some(first) = rows.first() else {
        return Ok(0);
    };
    let names = db::bookings::names_for(conn, rows)?;
    let series = SeriesEventFacts {
        series_id: series_id.to_owned(),
        platform: name(&names.platforms, &first.platform_id),
        equipment: first
            .equipment_id
            .as_deref()
            .map(|id| name(&names.equipment, id)),
        group_label: first.group_label.clone(),
        organisation: name(&names.organisations, &first.organisation_id),
        booker: name(&names.people, &first.booker_id),
        reason: first.status_reason.clone(),
        occurrences: rows.iter().map(|r| session_line(r, &names)).collect(),
    };
    let mut recipients: Vec<String> = if kind == NotificationKind::SeriesPending {
        db::platforms::managers_of(conn, std::slice::from_ref(&first.platform_id))?
            .into_iter()
            .map(|(_, user)| user)
            .collect()
    } else {
        std::iter::once(first.booker_id.clone())
            .chain(rows.iter().filter_map(|r| r.supervisor_id.clone()))
            .collect()
    };
    recipients.sort_unstable();
    recipients.dedup();
    recipients.retain(|user| user != author);
    let messages: Vec<(&str, Facts)> = recipients
        .iter()
        .map(|user| (user.as_str(), Facts::Series(kind, series.clone())))
        .collect();
    crate::usecases::outbox::enqueue_many(conn, now, &messages)
}
