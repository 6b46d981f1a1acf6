use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::opening_hours::OpeningInterval;
use crate::domain::{PlatformDomain, WhoMayBook};

/// How a platform may be booked.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingPolicy {
    pub who_may_book: WhoMayBook,
    /// Bookings by people outside the owning organisation wait for a manager's approval.
    pub outside_requires_approval: bool,
    /// Hours between booking and start, at least (0 to 8760).
    pub min_notice_hours: i32,
    /// Days ahead a booking may start, at most (1 to 1095).
    pub max_horizon_days: i32,
    /// Longest booking, in minutes (15 to 10080).
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

#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformView {
    pub id: String,
    pub campus_id: String,
    pub owner_organisation_id: String,
    pub name: String,
    pub domain: PlatformDomain,
    pub description: String,
    pub town: Option<String>,
    /// Work stations: how many people or groups can work at once.
    pub stations: i32,
    /// Weekly opening hours, local time of the campus.
    pub opening_hours: Vec<OpeningInterval>,
    pub booking_policy: BookingPolicy,
    /// Accounts managing this platform.
    pub manager_ids: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlatform {
    pub campus_id: uuid::Uuid,
    /// A member of the campus, not a company.
    pub owner_organisation_id: uuid::Uuid,
    pub name: String,
    pub domain: PlatformDomain,
    #[serde(default)]
    pub description: String,
    pub town: Option<String>,
    #[schema(minimum = 1, maximum = 1000)]
    pub stations: i32,
    #[serde(default)]
    pub opening_hours: Vec<OpeningInterval>,
    /// Defaults: campus members, approval for outsiders, 24 h notice, 365 days ahead, 8 h.
    pub booking_policy: Option<BookingPolicy>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformChanges {
    pub name: Option<String>,
    pub domain: Option<PlatformDomain>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub town: Option<Option<String>>,
    #[schema(minimum = 1, maximum = 1000)]
    pub stations: Option<i32>,
    /// Replaces the whole week.
    pub opening_hours: Option<Vec<OpeningInterval>>,
    /// Replaces the whole policy.
    pub booking_policy: Option<BookingPolicy>,
}
