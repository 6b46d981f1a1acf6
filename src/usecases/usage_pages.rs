//! What the manager's week follow-up page (`/plateaux/{id}/suivi`) reads: the platform's
//! sessions of a week with their usage records, its equipment and maintenance windows.
//! Reads only, through the same rules as the API (`access`); the writes are the usage and
//! maintenance use cases themselves.

use crate::access;
use crate::auth::CurrentUser;
use crate::db::bookings::{BookingDetails, BookingFilter};
use crate::db::closures::MaintenanceRow;
use crate::db::equipment::{EquipmentFilter, EquipmentRow};
use crate::db::platforms::PlatformRow;
use crate::db::usage::UsageDetails;
use crate::db::{self, DbConnection};
use crate::domain::booking::BookingStatus;
use crate::domain::pagination::{Page, MAX_LIMIT};
use crate::domain::time::Span;
use crate::error::{ApiError, ApiResult};
use crate::usecases::bookings;

fn everything() -> Page {
    Page {
        after: None,
        limit: MAX_LIMIT,
    }
}

/// A session (booking) with the names the page shows and its usage record, if any.
pub struct SessionEntry {
    pub booking: BookingDetails,
    pub equipment: Option<String>,
    pub organisation: String,
    pub booker: String,
    pub usage: Option<UsageDetails>,
}

/// A maintenance window with its item's name.
pub struct MaintenanceEntry {
    pub row: MaintenanceRow,
    pub equipment: String,
}

pub struct UsageWeek {
    pub platform: PlatformRow,
    pub equipment: Vec<EquipmentRow>,
    /// The week's live sessions (pending or confirmed), by start.
    pub sessions: Vec<SessionEntry>,
    /// The maintenance windows of the platform's items overlapping the week, by start.
    pub maintenance: Vec<MaintenanceEntry>,
}

/// Bookings with their names and usage records, in the order given.
fn entries(conn: &mut DbConnection, list: Vec<BookingDetails>) -> ApiResult<Vec<SessionEntry>> {
    let rows: Vec<_> = list.iter().map(|b| b.row.clone()).collect();
    let names = db::bookings::names_for(conn, &rows)?;
    list.into_iter()
        .map(|booking| {
            let row = &booking.row;
            let usage = match db::usage::find(conn, &row.id)? {
                Some(record) => Some(db::usage::with_details(conn, record)?),
                None => None,
            };
            Ok(SessionEntry {
                equipment: row
                    .equipment_id
                    .as_ref()
                    .and_then(|id| names.equipment.get(id).cloned()),
                organisation: names
                    .organisations
                    .get(&row.organisation_id)
                    .cloned()
                    .unwrap_or_default(),
                booker: names
                    .people
                    .get(&row.booker_id)
                    .cloned()
                    .unwrap_or_default(),
                usage,
                booking,
            })
        })
        .collect()
}

/// A platform's week as its managers follow it up; 404 for anyone else.
pub fn usage_week(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    platform_id: &str,
    window: Span,
) -> ApiResult<UsageWeek> {
    let platform = db::platforms::find(conn, platform_id)?.ok_or_else(ApiError::not_found)?;
    access::require_follow_up(conn, actor, &platform.id)?;
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
    let filter = BookingFilter {
        platform_id: Some(platform.id.clone()),
        from: Some(window.start),
        to: Some(window.end),
        ..Default::default()
    };
    let mut list: Vec<BookingDetails> = bookings::list(conn, actor, &filter, &everything())?
        .rows
        .into_iter()
        .filter(|b| BookingStatus::parse(&b.row.status).is_some_and(|s| s.is_live()))
        .collect();
    list.sort_by_key(|b| (b.row.starts_at, b.row.id.clone()));
    let sessions = entries(conn, list)?;
    let mut maintenance = Vec::new();
    for item in &equipment {
        let rows = db::closures::list_maintenance(
            conn,
            Some(&item.id),
            Some(window.start),
            Some(window.end),
            &everything(),
        )?
        .rows;
        maintenance.extend(rows.into_iter().map(|row| MaintenanceEntry {
            row,
            equipment: item.name.clone(),
        }));
    }
    maintenance.sort_by_key(|m| (m.row.starts_at, m.row.id.clone()));
    Ok(UsageWeek {
        platform,
        equipment,
        sessions,
        maintenance,
    })
}

/// Bookings named by id (those a maintenance window cancelled or would cancel), each as the
/// caller may see it; those it may not see are left out.
pub fn sessions(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    ids: &[String],
) -> ApiResult<Vec<SessionEntry>> {
    let mut list = Vec::new();
    for id in ids {
        match bookings::find(conn, actor, id) {
            Ok(booking) => list.push(booking),
            Err(error) if error.status.is_client_error() => {}
            Err(error) => return Err(error),
        }
    }
    list.sort_by_key(|b| (b.row.starts_at, b.row.id.clone()));
    entries(conn, list)
}
