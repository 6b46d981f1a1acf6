use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::booking::{BookingStatus, LearnerStatus, SeriesMode};

/// Headcount of one learner status in a group.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LearnerCount {
    pub status: LearnerStatus,
    /// 1 to 1000.
    #[schema(minimum = 1, maximum = 1000)]
    pub headcount: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingView {
    pub id: String,
    pub platform_id: String,
    /// Set for an equipment booking.
    pub equipment_id: Option<String>,
    /// Set for a booking of platform stations.
    pub stations: Option<i32>,
    #[schema(example = "2027-03-02T08:00:00+01:00")]
    pub starts_at: String,
    pub ends_at: String,
    pub status: BookingStatus,
    /// Why it was rejected or cancelled.
    pub status_reason: Option<String>,
    pub booker_id: String,
    /// The organisation the booking is made for.
    pub organisation_id: String,
    /// The staff member supervising the group (whose qualifications gate the equipment).
    pub supervisor_id: Option<String>,
    /// Headcount by learner status; several entries for a mixed group.
    pub learners: Vec<LearnerCount>,
    pub total_headcount: i32,
    /// Group label, e.g. "BTS CPRP 1".
    pub group_label: String,
    /// Diploma or level, e.g. "Bac Pro TCI".
    pub level: String,
    pub purpose: String,
    pub service_request_id: Option<String>,
    pub series_id: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// A session that happened without a booking, recorded afterwards (`POST /past-sessions`).
    pub recorded_after_the_fact: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBooking {
    /// The platform, for a booking of stations (may be omitted for an equipment booking).
    pub platform_id: Option<uuid::Uuid>,
    /// The equipment item, for an equipment booking.
    pub equipment_id: Option<uuid::Uuid>,
    /// Stations of the platform, for a booking of stations (1 to 1000).
    #[schema(minimum = 1, maximum = 1000)]
    pub stations: Option<i32>,
    /// RFC 3339 with an offset.
    #[schema(example = "2027-03-02T08:00:00+01:00")]
    pub starts_at: String,
    #[schema(example = "2027-03-02T12:00:00+01:00")]
    pub ends_at: String,
    /// Defaults to the booker's organisation; only admins and managers book for others.
    pub organisation_id: Option<uuid::Uuid>,
    /// Defaults to the booker.
    pub supervisor_id: Option<uuid::Uuid>,
    #[serde(default)]
    pub learners: Vec<LearnerCount>,
    #[serde(default)]
    pub group_label: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub purpose: String,
    pub service_request_id: Option<uuid::Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingChanges {
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    /// Another equipment item of the same platform.
    pub equipment_id: Option<uuid::Uuid>,
    #[schema(minimum = 1, maximum = 1000)]
    pub stations: Option<i32>,
    pub supervisor_id: Option<uuid::Uuid>,
    pub learners: Option<Vec<LearnerCount>>,
    pub group_label: Option<String>,
    pub level: Option<String>,
    pub purpose: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Required to reject or cancel.
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventView {
    pub id: String,
    pub at: String,
    pub actor_user_id: Option<String>,
    pub action: String,
    /// What was set, as given.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSeries {
    /// The first occurrence, with everything a single booking takes.
    pub first_occurrence: NewBooking,
    /// RFC 5545 recurrence rule, e.g. `FREQ=WEEKLY;UNTIL=20270701T000000Z` or
    /// `FREQ=WEEKLY;INTERVAL=2;COUNT=10`, read in the campus time zone.
    #[schema(example = "FREQ=WEEKLY;UNTIL=20270701T000000Z")]
    pub rrule: String,
    pub mode: SeriesMode,
}

/// An occurrence that was not booked, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedOccurrence {
    pub starts_at: String,
    pub ends_at: String,
    /// The rule's code, e.g. `closed`, `booking_conflict`.
    pub code: String,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesView {
    pub id: String,
    pub rrule: String,
    pub mode: SeriesMode,
    pub platform_id: String,
    pub equipment_id: Option<String>,
    pub booker_id: String,
    pub organisation_id: String,
    /// Every booking of the series, in time order, whatever its status.
    pub occurrences: Vec<BookingView>,
    /// Occurrences not booked when the series was created.
    pub skipped: Vec<SkippedOccurrence>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesCancellation {
    pub reason: String,
    /// Cancel the occurrences starting at or after this instant (this and following);
    /// without it, every occurrence still to come.
    pub from: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesChanges {
    /// Change the occurrences starting at or after this instant; without it, every
    /// occurrence still to come.
    pub from: Option<String>,
    /// New local start time, `HH:MM`.
    pub start_time: Option<String>,
    /// New local end time, `HH:MM`.
    pub end_time: Option<String>,
    pub supervisor_id: Option<uuid::Uuid>,
    pub group_label: Option<String>,
    pub level: Option<String>,
    pub purpose: Option<String>,
}
