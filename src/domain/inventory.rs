//! The inventory (campuses, platforms and their booking policy, equipment, qualifications)
//! as checked requests make it: the drafts its use cases write. `None` in a change leaves
//! a field as it is.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::opening_hours::{OpeningInterval, WeeklyInterval};
use super::{EquipmentStatus, PlatformDomain, WhoMayBook};

pub struct CampusDraft {
    pub name: String,
    pub timezone: String,
}

pub struct CampusChange {
    pub name: Option<String>,
    pub timezone: Option<String>,
}

pub struct QualificationDraft {
    pub name: String,
    pub description: String,
    pub validity_months: Option<i32>,
}

pub struct QualificationChange {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `Some(None)` clears the validity: the qualification never expires.
    pub validity_months: Option<Option<i32>>,
}

/// How a platform may be booked.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingPolicy {
    pub who_may_book: WhoMayBook,
    /// Bookings by people outside the owning organisation wait for a manager's approval.
    pub outside_requires_approval: bool,
    /// Hours between booking and start, at least (0 to 8760).
    #[schema(minimum = 0, maximum = 8760)]
    pub min_notice_hours: i32,
    /// Days ahead a booking may start, at most (1 to 1095).
    #[schema(minimum = 1, maximum = 1095)]
    pub max_horizon_days: i32,
    /// Longest booking, in minutes (15 to 10080).
    #[schema(minimum = 15, maximum = 10080)]
    pub max_duration_minutes: i32,
    /// Bookers may record what really happened in their sessions (otherwise only the
    /// platform's managers do). Default false.
    #[serde(default)]
    pub bookers_record_usage: bool,
}

impl Default for BookingPolicy {
    fn default() -> Self {
        BookingPolicy {
            who_may_book: WhoMayBook::CampusMembers,
            outside_requires_approval: true,
            min_notice_hours: 24,
            max_horizon_days: 365,
            max_duration_minutes: 480,
            bookers_record_usage: false,
        }
    }
}

pub struct PlatformDraft {
    pub campus_id: String,
    pub owner_organisation_id: String,
    pub name: String,
    pub domain: PlatformDomain,
    pub description: String,
    pub town: Option<String>,
    pub stations: i32,
    /// The opening hours as given (kept in the audit trail) and as the rules read them.
    pub opening_intervals: Vec<OpeningInterval>,
    pub opening_hours: Vec<WeeklyInterval>,
    pub policy: BookingPolicy,
}

pub struct PlatformChange {
    pub name: Option<String>,
    pub domain: Option<PlatformDomain>,
    pub description: Option<String>,
    /// `Some(None)` clears the town.
    pub town: Option<Option<String>>,
    pub stations: Option<i32>,
    /// As given (kept in the audit trail) and as the rules read them.
    pub opening_intervals: Option<Vec<OpeningInterval>>,
    pub opening_hours: Option<Vec<WeeklyInterval>>,
    pub policy: Option<BookingPolicy>,
}

pub struct EquipmentDraft {
    pub name: String,
    pub kind: String,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub serial_number: Option<String>,
    pub inventory_number: Option<String>,
    pub status: EquipmentStatus,
    pub hourly_rate_cents: Option<i64>,
    pub required_qualification_ids: Vec<uuid::Uuid>,
    pub notes: String,
}

pub struct EquipmentChange {
    pub platform_id: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    /// For each optional field, `Some(None)` clears it.
    pub manufacturer: Option<Option<String>>,
    pub model: Option<Option<String>>,
    pub serial_number: Option<Option<String>>,
    pub inventory_number: Option<Option<String>>,
    pub status: Option<EquipmentStatus>,
    pub hourly_rate_cents: Option<Option<i64>>,
    pub required_qualification_ids: Option<Vec<uuid::Uuid>>,
    pub notes: Option<String>,
    /// The change as it was asked, for the audit trail.
    pub as_given: serde_json::Value,
}
