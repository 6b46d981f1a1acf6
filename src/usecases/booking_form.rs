//! What the booking form, a booking's page and a series' page read: the platform with its
//! machines and the people who may supervise, one booking with its history, one series,
//! and the next free slot to suggest after a refusal. Reads only, through the API's own
//! reads and rules (`access`, `bookings::find`, `series::find`, `availability`); the
//! writes are the booking use cases themselves.

use chrono_tz::Tz;

use crate::access::{self, BookingAct};
use crate::auth::CurrentUser;
use crate::db::equipment::{EquipmentFilter, EquipmentRow};
use crate::db::platforms::PlatformRow;
use crate::db::series::SeriesDetails;
use crate::db::users::UserFilter;
use crate::db::{self, DbConnection, Page};
use crate::domain::booking::{BookingStatus, ClosureSpan};
use crate::domain::pagination::MAX_LIMIT;
use crate::domain::time::{local, local_to_instant, Span};
use crate::domain::Role;
use crate::error::ApiResult;
use crate::usecases::booking_pages::{self, BookingEntry};
use crate::usecases::bookings;

fn everything() -> Page {
    Page {
        after: None,
        limit: MAX_LIMIT,
    }
}

/// What the booking form offers: the platform, its machines, and who may supervise.
pub struct BookingForm {
    pub platform: PlatformRow,
    pub owner: String,
    pub equipment: Vec<EquipmentRow>,
    /// `(id, name)` of the other active accounts of the caller's organisation.
    pub supervisors: Vec<(String, String)>,
    /// The closures ahead that the platform's bookings skip (holidays of the campus or of
    /// its owner, the platform's own), within its horizon, in time order: the ends of the
    /// terms a series may run to.
    pub closures: Vec<ClosureSpan>,
}

/// The form for booking `platform_id`. Those who see no bookings (observers) book none:
/// refused as the API refuses them.
pub fn booking_form(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    platform_id: &str,
) -> ApiResult<BookingForm> {
    access::booking_visibility(actor)?;
    access::require_inventory_reader(actor)?;
    let platform = super::platforms::find(conn, platform_id)?.row;
    let owner = db::organisations::find(conn, &platform.owner_organisation_id)?
        .map(|o| o.name)
        .unwrap_or_default();
    let mut equipment: Vec<EquipmentRow> = super::equipment::list(
        conn,
        &EquipmentFilter {
            platform_id: Some(platform.id.clone()),
            ..Default::default()
        },
        &everything(),
    )?
    .rows
    .into_iter()
    .map(|e| e.row)
    .collect();
    equipment.sort_by(|a, b| a.name.cmp(&b.name));
    // The supervisor is someone of the booker's organisation (`decide_grant`), as the
    // accounts list shows them to the caller.
    let filter = access::user_list_scope(
        actor,
        UserFilter {
            organisation_id: Some(actor.organisation_id.clone()),
            ..Default::default()
        },
    );
    let mut supervisors: Vec<(String, String)> = match filter {
        Some(filter) => super::users::list(conn, &filter, &everything())?
            .rows
            .into_iter()
            .map(|a| a.row)
            .filter(|u| u.active && u.id != actor.id && u.role != Role::Observer.as_str())
            .map(|u| (u.id, u.display_name))
            .collect(),
        None => Vec::new(),
    };
    supervisors.sort_by(|a, b| a.1.cmp(&b.1));
    // The closures the rules read for the platform's stations (`load_context`).
    let ahead = Span::new(
        now,
        now + i64::from(platform.max_horizon_days.max(1)) * 86_400,
    );
    let (mut closures, _) = db::bookings::obstacles(
        conn,
        &platform,
        &db::bookings::LiveTarget::Stations(platform.id.clone()),
        ahead,
    )?;
    closures.retain(|c| c.span.start >= now);
    closures.sort_by(|a, b| (a.span.start, &a.name).cmp(&(b.span.start, &b.name)));
    closures.dedup_by(|a, b| a.span.start == b.span.start && a.name == b.name);
    Ok(BookingForm {
        platform,
        owner,
        equipment,
        supervisors,
        closures,
    })
}

/// A past change of a booking, as its page shows it.
pub struct HistoryEvent {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub reason: Option<String>,
}

/// One booking with what its page says of it.
pub struct BookingSheet {
    pub entry: BookingEntry,
    pub supervisor: Option<String>,
    pub decided_by: Option<String>,
    /// Whether the caller may change its times (`access::require_booking_act`, live only).
    pub may_change: bool,
    /// The audit trail, for those who may read it (the platform's managers, the director).
    pub history: Option<Vec<HistoryEvent>>,
}

fn name_of(conn: &mut DbConnection, id: Option<&str>) -> ApiResult<Option<String>> {
    Ok(match id {
        Some(id) => db::users::find(conn, id)?.map(|u| u.display_name),
        None => None,
    })
}

pub fn booking_sheet(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    id: &str,
) -> ApiResult<BookingSheet> {
    let entry = booking_pages::approval(conn, actor, id)?;
    let row = &entry.booking.row;
    let manages = access::manages_platform(conn, actor, &row.platform_id)?;
    let may_change = BookingStatus::from_db(&row.status)?.is_live()
        && access::require_booking_act(BookingAct::Change, manages, row.booker_id == actor.id)
            .is_ok();
    let history = match bookings::history(conn, actor, id) {
        Ok(events) => {
            let mut lines = Vec::with_capacity(events.len());
            for event in events {
                let changes: serde_json::Value =
                    serde_json::from_str(&event.changes).unwrap_or_default();
                lines.push(HistoryEvent {
                    at: event.at,
                    actor: name_of(conn, event.actor_user_id.as_deref())?.unwrap_or_default(),
                    action: event.action,
                    reason: changes["reason"].as_str().map(str::to_owned),
                });
            }
            Some(lines)
        }
        Err(error) if error.status == actix_web::http::StatusCode::FORBIDDEN => None,
        Err(error) => return Err(error),
    };
    Ok(BookingSheet {
        supervisor: name_of(conn, row.supervisor_id.as_deref())?,
        decided_by: name_of(conn, row.decided_by.as_deref())?,
        may_change,
        history,
        entry,
    })
}

/// One series with what its page says of it.
pub struct SeriesSheet {
    pub details: SeriesDetails,
    pub platform: String,
    pub equipment: Option<String>,
    pub booker: String,
    /// Whether the caller may cancel what remains (`BookingAct::ChangeSeries`) and something
    /// remains to cancel.
    pub may_cancel: bool,
}

pub fn series_sheet(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    id: &str,
) -> ApiResult<SeriesSheet> {
    let details = bookings::series::find(conn, actor, id)?;
    let series = &details.series;
    let platform = db::platforms::find(conn, &series.platform_id)?
        .map(|p| p.name)
        .unwrap_or_default();
    let equipment = match &series.equipment_id {
        Some(id) => db::equipment::find(conn, id)?.map(|e| e.name),
        None => None,
    };
    let booker = name_of(conn, Some(&series.booker_id))?.unwrap_or_default();
    let manages = access::manages_platform(conn, actor, &series.platform_id)?;
    let remaining = details.occurrences.iter().any(|b| {
        b.row.starts_at >= now && BookingStatus::parse(&b.row.status).is_some_and(|s| s.is_live())
    });
    let may_cancel = remaining
        && access::require_booking_act(
            BookingAct::ChangeSeries,
            manages,
            series.booker_id == actor.id,
        )
        .is_ok();
    Ok(SeriesSheet {
        platform,
        equipment,
        booker,
        may_cancel,
        details,
    })
}

/// What a refused booking asked for: its platform (or equipment item), stations and time.
#[derive(Debug, Clone)]
pub struct SlotAsked {
    pub platform_id: Option<String>,
    pub equipment_id: Option<String>,
    pub stations: Option<i32>,
    pub span: Span,
}

/// How far the next free slot is looked for.
const SUGGESTION_DAYS: i64 = 28;

/// The first free slot as long as `wanted`, from the start of its day on (and never before
/// the platform's notice), for `stations` stations of the platform or for the equipment
/// item: what the availability use case gives, over the next four weeks. `None` when there
/// is none.
pub fn next_free_slot(
    conn: &mut DbConnection,
    tz: Tz,
    now: i64,
    asked: &SlotAsked,
) -> ApiResult<Option<Span>> {
    let SlotAsked {
        platform_id,
        equipment_id,
        stations,
        span: wanted,
    } = asked;
    let (platform_id, equipment_id, stations, wanted) = (
        platform_id.as_deref(),
        equipment_id.as_deref(),
        *stations,
        *wanted,
    );
    let length = wanted.seconds();
    if length <= 0 {
        return Ok(None);
    }
    let day_start = local(wanted.start, &tz)
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|midnight| local_to_instant(midnight, &tz))
        .unwrap_or(wanted.start);
    let from = day_start.max(now);
    let window = Span::new(from, from + SUGGESTION_DAYS * 86_400);
    let (platform, free) = match bookings::availability::availability(
        conn,
        tz,
        now,
        platform_id,
        equipment_id,
        window,
    ) {
        Ok(found) => found,
        Err(error) if error.status.is_client_error() => return Ok(None),
        Err(error) => return Err(error),
    };
    // On the quarter hour, after the notice the platform asks for.
    let earliest = (now + i64::from(platform.min_notice_hours) * 3600).max(from);
    let earliest = (earliest + 899) / 900 * 900;
    let needed = if equipment_id.is_some() {
        1
    } else {
        stations.unwrap_or(1)
    };
    // Adjacent pieces with enough free stations make one run.
    let mut runs: Vec<Span> = Vec::new();
    for (span, count) in free {
        if count < needed {
            continue;
        }
        match runs.last_mut() {
            Some(last) if last.end == span.start => last.end = span.end,
            _ => runs.push(span),
        }
    }
    Ok(runs.into_iter().find_map(|run| {
        let start = run.start.max(earliest);
        (start + length <= run.end).then(|| Span::new(start, start + length))
    }))
}
