//! The pages about bookings: « Mes réservations » (with cancelling and the calendar feed)
//! and the manager's « Validations ».

use askama::Template;
use askama_web::WebTemplate;
use chrono_tz::Tz;

use super::{format, Layout};
use crate::domain::booking::BookingStatus;
use crate::labels::label_of;
use crate::usecases::booking_pages::{BookingEntry, MyBookings};

/// A booking as a line of a page.
pub struct BookingLine {
    pub id: String,
    pub platform_id: String,
    pub platform: String,
    /// `mardi 2 mars 2027, 08:00 – 10:00`.
    pub when: String,
    /// The equipment item, or `4 postes`.
    pub what: String,
    pub group: String,
    pub level: String,
    pub purpose: String,
    pub learners: String,
    pub organisation: String,
    pub booker: String,
    pub status: String,
    pub pending: bool,
    pub may_cancel: bool,
    /// What was typed in the reason field, kept when the form is refused.
    pub reason: String,
    /// The refusal of the form, next to its field.
    pub error: Option<String>,
}

impl BookingLine {
    pub fn new(entry: BookingEntry, tz: &Tz) -> Self {
        let row = &entry.booking.row;
        let day = crate::domain::time::local(row.starts_at, tz).date_naive();
        let learners: Vec<String> = entry
            .booking
            .learners
            .iter()
            .map(|(status, count)| super::format::headcount(*count, status))
            .collect();
        BookingLine {
            id: row.id.clone(),
            platform_id: row.platform_id.clone(),
            platform: entry.platform.clone(),
            when: format!(
                "{}, {} – {}",
                format::long_date(day),
                format::time_of(row.starts_at, tz),
                format::time_of(row.ends_at, tz)
            ),
            what: match (&entry.equipment, row.stations) {
                (Some(name), _) => name.clone(),
                (None, Some(1)) => "1 poste".to_owned(),
                (None, Some(n)) => format!("{n} postes"),
                (None, None) => String::new(),
            },
            group: row.group_label.clone(),
            level: row.level.clone(),
            purpose: row.purpose.clone(),
            learners: learners.join(", "),
            organisation: entry.organisation.clone(),
            booker: entry.booker.clone(),
            status: label_of(&row.status, BookingStatus::parse),
            pending: row.status == BookingStatus::Pending.as_str(),
            may_cancel: entry.may_cancel,
            reason: String::new(),
            error: None,
        }
    }
}

/// A form refused: what was typed and why, for the line it concerns.
pub struct Refused {
    pub booking_id: String,
    pub reason: String,
    pub error: String,
}

fn lines(entries: Vec<BookingEntry>, tz: &Tz, refused: Option<&Refused>) -> Vec<BookingLine> {
    entries
        .into_iter()
        .map(|e| {
            let mut line = BookingLine::new(e, tz);
            if let Some(refused) = refused.filter(|r| r.booking_id == line.id) {
                line.reason = refused.reason.clone();
                line.error = Some(refused.error.clone());
            }
            line
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "web/bookings.html")]
pub struct BookingsPage {
    pub layout: Layout,
    pub csrf: String,
    pub mine: Vec<BookingLine>,
    pub organisation: Vec<BookingLine>,
    pub is_manager: bool,
    /// The feed's address, shown once, right after it is created.
    pub feed_url: Option<String>,
    /// A message after an action (« Réservation annulée. »).
    pub notice: Option<String>,
}

impl BookingsPage {
    pub fn new(layout: Layout, data: MyBookings, tz: &Tz, refused: Option<&Refused>) -> Self {
        BookingsPage {
            csrf: layout.csrf.clone(),
            layout,
            mine: lines(data.mine, tz, refused),
            organisation: lines(data.organisation, tz, refused),
            is_manager: data.is_manager,
            feed_url: None,
            notice: None,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "web/approvals.html")]
pub struct ApprovalsPage {
    pub layout: Layout,
    pub csrf: String,
    pub rows: Vec<BookingLine>,
}

impl ApprovalsPage {
    pub fn new(
        layout: Layout,
        entries: Vec<BookingEntry>,
        tz: &Tz,
        refused: Option<&Refused>,
    ) -> Self {
        ApprovalsPage {
            csrf: layout.csrf.clone(),
            layout,
            rows: lines(entries, tz, refused),
        }
    }
}

/// One approval as htmx swaps it in place: the pending line (with its refusal) or what was
/// decided.
#[derive(Template, WebTemplate)]
#[template(path = "web/approval_row.html")]
pub struct ApprovalRow {
    pub csrf: String,
    pub row: BookingLine,
}
