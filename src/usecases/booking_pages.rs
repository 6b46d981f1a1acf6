//! What the web pages about bookings read: one's upcoming bookings (and one's organisation's
//! for managers) and a manager's pending approvals, with the names the pages show. Reads
//! only, through the same visibility rule as the API (`bookings::list`); the writes are the
//! booking use cases themselves.

use std::collections::HashMap;

use crate::access;
use crate::auth::CurrentUser;
use crate::db::bookings::{BookingDetails, BookingFilter};
use crate::db::{self, DbConnection};
use crate::domain::booking::BookingStatus;
use crate::domain::pagination::Page;
use crate::domain::Role;
use crate::error::{ApiError, ApiResult};
use crate::usecases::bookings;

/// A page shows at most this many bookings of a kind; the API pages through the rest.
pub const SHOWN: i64 = 200;

/// A booking with what a page says of it.
pub struct BookingEntry {
    pub booking: BookingDetails,
    pub platform: String,
    pub equipment: Option<String>,
    pub organisation: String,
    pub booker: String,
    /// Whether the caller may cancel it (`access::require_booking_act`).
    pub may_cancel: bool,
}

pub struct MyBookings {
    pub mine: Vec<BookingEntry>,
    /// The organisation's other bookings (managers only; empty for others).
    pub organisation: Vec<BookingEntry>,
    pub is_manager: bool,
}

/// Names read once per page.
#[derive(Default)]
struct Names {
    platforms: HashMap<String, String>,
    equipment: HashMap<String, String>,
    organisations: HashMap<String, String>,
    users: HashMap<String, String>,
    managed: HashMap<String, bool>,
}

impl Names {
    fn entry(
        &mut self,
        conn: &mut DbConnection,
        actor: &CurrentUser,
        booking: BookingDetails,
    ) -> ApiResult<BookingEntry> {
        let row = &booking.row;
        if !self.platforms.contains_key(&row.platform_id) {
            let name = db::platforms::find(conn, &row.platform_id)?
                .map(|p| p.name)
                .unwrap_or_default();
            self.platforms.insert(row.platform_id.clone(), name);
            let managed = access::manages_platform(conn, actor, &row.platform_id)?;
            self.managed.insert(row.platform_id.clone(), managed);
        }
        if let Some(id) = &row.equipment_id {
            if !self.equipment.contains_key(id) {
                let name = db::equipment::find(conn, id)?
                    .map(|e| e.name)
                    .unwrap_or_default();
                self.equipment.insert(id.clone(), name);
            }
        }
        if !self.organisations.contains_key(&row.organisation_id) {
            let name = db::organisations::find(conn, &row.organisation_id)?
                .map(|o| o.name)
                .unwrap_or_default();
            self.organisations.insert(row.organisation_id.clone(), name);
        }
        if !self.users.contains_key(&row.booker_id) {
            let name = db::users::find(conn, &row.booker_id)?
                .map(|u| u.display_name)
                .unwrap_or_default();
            self.users.insert(row.booker_id.clone(), name);
        }
        let status = BookingStatus::from_db(&row.status)?;
        let is_manager = self.managed[&row.platform_id];
        let may_cancel = crate::domain::booking::allowed_actions(status)
            .contains(&crate::domain::booking::Action::Cancel)
            && access::require_booking_act(
                access::BookingAct::Cancel,
                is_manager,
                row.booker_id == actor.id,
            )
            .is_ok();
        Ok(BookingEntry {
            platform: self.platforms[&row.platform_id].clone(),
            equipment: row
                .equipment_id
                .as_ref()
                .map(|id| self.equipment[id].clone()),
            organisation: self.organisations[&row.organisation_id].clone(),
            booker: self.users[&row.booker_id].clone(),
            may_cancel,
            booking,
        })
    }

    fn entries(
        &mut self,
        conn: &mut DbConnection,
        actor: &CurrentUser,
        mut list: Vec<BookingDetails>,
    ) -> ApiResult<Vec<BookingEntry>> {
        list.sort_by_key(|b| (b.row.starts_at, b.row.id.clone()));
        list.into_iter()
            .map(|b| self.entry(conn, actor, b))
            .collect()
    }
}

fn page() -> Page {
    Page {
        after: None,
        limit: SHOWN,
    }
}

/// The caller's bookings ending after `now`, and, for a platform manager, the other
/// upcoming bookings of their organisation. Observers have none to see (`booking_visibility`).
pub fn my_bookings(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
) -> ApiResult<MyBookings> {
    let mine = bookings::list(
        conn,
        actor,
        &BookingFilter {
            booker_id: Some(actor.id.clone()),
            from: Some(now),
            ..BookingFilter::default()
        },
        &page(),
    )?
    .rows;
    let is_manager = actor.role == Role::Manager;
    let organisation = if is_manager {
        bookings::list(
            conn,
            actor,
            &BookingFilter {
                organisation_id: Some(actor.organisation_id.clone()),
                from: Some(now),
                ..BookingFilter::default()
            },
            &page(),
        )?
        .rows
        .into_iter()
        .filter(|b| b.row.booker_id != actor.id)
        .collect()
    } else {
        Vec::new()
    };
    let mut names = Names::default();
    Ok(MyBookings {
        mine: names.entries(conn, actor, mine)?,
        organisation: names.entries(conn, actor, organisation)?,
        is_manager,
    })
}

/// The pending bookings the caller may approve: those of the platforms they manage (all of
/// them for the director). Others have no approvals to give: not found, as the page is.
pub fn pending_approvals(
    conn: &mut DbConnection,
    actor: &CurrentUser,
) -> ApiResult<Vec<BookingEntry>> {
    let platforms = match actor.role {
        Role::Admin => vec![None],
        Role::Manager => db::users::managed_platform_ids(conn, &actor.id)?
            .into_iter()
            .map(Some)
            .collect(),
        _ => return Err(ApiError::not_found()),
    };
    let mut pending = Vec::new();
    for platform_id in platforms {
        pending.extend(
            bookings::list(
                conn,
                actor,
                &BookingFilter {
                    platform_id,
                    status: Some(BookingStatus::Pending.as_str().to_owned()),
                    ..BookingFilter::default()
                },
                &page(),
            )?
            .rows,
        );
    }
    Names::default().entries(conn, actor, pending)
}

/// One pending booking the caller may decide on, as the approvals page shows it.
pub fn approval(conn: &mut DbConnection, actor: &CurrentUser, id: &str) -> ApiResult<BookingEntry> {
    let booking = bookings::find(conn, actor, id)?;
    Names::default().entry(conn, actor, booking)
}
