//! What the web pages read about the inventory: the public portal, the catalogue's choices
//! and a platform's week. Reads only, over the same functions as the API's reads, with the
//! same rules (`access`).

use chrono_tz::Tz;

use crate::access;
use crate::auth::CurrentUser;
use crate::db::bookings::BookingFilter;
use crate::db::campuses::CampusRow;
use crate::db::equipment::{EquipmentDetails, EquipmentFilter};
use crate::db::organisations::{CompanyVisibility, OrganisationFilter, OrganisationRow};
use crate::db::platforms::{PlatformDetails, PlatformFilter, PlatformRow};
use crate::db::qualifications::QualificationRow;
use crate::db::{self, bookings::BookingRow, DbConnection, Page};
use crate::domain::booking::BookingStatus;
use crate::domain::pagination::MAX_LIMIT;
use crate::domain::time::Span;
use crate::error::ApiResult;

fn everything() -> Page {
    Page {
        after: None,
        limit: MAX_LIMIT,
    }
}

/// The campus's member organisations (never a company) and every platform: the public
/// portal, which anyone may read.
pub struct Portal {
    pub members: Vec<OrganisationRow>,
    pub platforms: Vec<PlatformRow>,
}

pub fn portal(conn: &mut DbConnection) -> ApiResult<Portal> {
    let members = db::organisations::list(
        conn,
        &OrganisationFilter {
            include_companies: CompanyVisibility::None,
            ..Default::default()
        },
        &everything(),
    )?
    .rows;
    let platforms = db::platforms::list(conn, &PlatformFilter::default(), &everything())?.rows;
    Ok(Portal { members, platforms })
}

/// The catalogue: the platforms matching `filter`, and the campuses and members it may be
/// filtered by.
pub struct Catalogue {
    pub platforms: Vec<PlatformRow>,
    pub campuses: Vec<CampusRow>,
    pub members: Vec<OrganisationRow>,
}

pub fn catalogue(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    filter: &PlatformFilter,
) -> ApiResult<Catalogue> {
    access::require_inventory_reader(actor)?;
    let mut platforms = db::platforms::list(conn, filter, &everything())?.rows;
    platforms.sort_by(|a, b| a.name.cmp(&b.name));
    let campuses = db::campuses::list(conn, &everything())?.rows;
    let mut members = db::organisations::list(
        conn,
        &OrganisationFilter {
            include_companies: CompanyVisibility::None,
            ..Default::default()
        },
        &everything(),
    )?
    .rows;
    members.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Catalogue {
        platforms,
        campuses,
        members,
    })
}

/// A platform's week: its details and owner, its equipment with the qualifications they
/// require, its free stations, and the live bookings of the week that the caller may see.
pub struct PlatformWeek {
    pub platform: PlatformDetails,
    pub owner: Option<OrganisationRow>,
    pub equipment: Vec<EquipmentDetails>,
    pub qualifications: Vec<QualificationRow>,
    pub free_stations: Vec<(Span, i32)>,
    pub bookings: Vec<BookingRow>,
    /// Whether the caller manages it (`access::manages_platform`).
    pub manages: bool,
}

pub fn platform_week(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    tz: Tz,
    now: i64,
    platform_id: &str,
    window: Span,
) -> ApiResult<PlatformWeek> {
    access::require_inventory_reader(actor)?;
    let platform = super::platforms::find(conn, platform_id)?;
    let manages = access::manages_platform(conn, actor, &platform.row.id)?;
    let owner = db::organisations::find(conn, &platform.row.owner_organisation_id)?;
    let mut equipment = super::equipment::list(
        conn,
        &EquipmentFilter {
            platform_id: Some(platform_id.to_owned()),
            ..Default::default()
        },
        &everything(),
    )?
    .rows;
    equipment.sort_by(|a, b| a.row.name.cmp(&b.row.name));
    let qualifications = db::qualifications::list(conn, &everything())?.rows;
    let (_, free_stations) = super::bookings::availability::availability(
        conn,
        tz,
        now,
        Some(platform_id),
        None,
        window,
    )?;
    // Observers see no booking, as in the API: their week shows free stations only.
    let bookings = match access::booking_visibility(actor) {
        Ok(_) => {
            let filter = BookingFilter {
                platform_id: Some(platform_id.to_owned()),
                from: Some(window.start),
                to: Some(window.end),
                ..Default::default()
            };
            let mut rows: Vec<BookingRow> =
                super::bookings::list(conn, actor, &filter, &everything())?
                    .rows
                    .into_iter()
                    .map(|b| b.row)
                    .filter(|b| BookingStatus::parse(&b.status).is_some_and(|s| s.is_live()))
                    .collect();
            rows.sort_by_key(|b| b.starts_at);
            rows
        }
        Err(_) => Vec::new(),
    };
    Ok(PlatformWeek {
        platform,
        owner,
        equipment,
        qualifications,
        free_stations,
        bookings,
        manages,
    })
}
