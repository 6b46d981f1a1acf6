use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bookings::LearnerCount;

/// Machine time of one equipment item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MachineTime {
    pub equipment_id: uuid::Uuid,
    /// 1 to the length of the session.
    pub minutes: i32,
}

/// What really happened in a session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageRecord {
    /// Nobody came: no times, headcount or machine time then.
    #[serde(default)]
    pub no_show: bool,
    /// RFC 3339; required unless `no_show`.
    pub actual_start: Option<String>,
    pub actual_end: Option<String>,
    /// Who really came, by learner status.
    #[serde(default)]
    pub learners: Vec<LearnerCount>,
    #[serde(default)]
    pub machine_time: Vec<MachineTime>,
    #[serde(default)]
    pub consumables: String,
    #[serde(default)]
    pub incident: bool,
    #[serde(default)]
    pub incident_note: String,
}

/// One record of a bulk request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkUsageRecord {
    pub booking_id: uuid::Uuid,
    #[serde(default)]
    pub no_show: bool,
    pub actual_start: Option<String>,
    pub actual_end: Option<String>,
    #[serde(default)]
    pub learners: Vec<LearnerCount>,
    #[serde(default)]
    pub machine_time: Vec<MachineTime>,
    #[serde(default)]
    pub consumables: String,
    #[serde(default)]
    pub incident: bool,
    #[serde(default)]
    pub incident_note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkUsage {
    /// 1 to 500 records, all written or none.
    pub records: Vec<BulkUsageRecord>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageView {
    pub booking_id: String,
    pub no_show: bool,
    pub actual_start: Option<String>,
    pub actual_end: Option<String>,
    /// Hours really used (0 for a no-show).
    pub hours_used: f64,
    pub learners: Vec<LearnerCount>,
    pub machine_time: Vec<MachineTime>,
    pub consumables: String,
    pub incident: bool,
    pub incident_note: String,
    pub recorded_by: Option<String>,
    pub recorded_at: String,
    pub updated_at: String,
}

impl BulkUsageRecord {
    /// The booking and its record.
    pub fn split(self) -> (uuid::Uuid, UsageRecord) {
        (
            self.booking_id,
            UsageRecord {
                no_show: self.no_show,
                actual_start: self.actual_start,
                actual_end: self.actual_end,
                learners: self.learners,
                machine_time: self.machine_time,
                consumables: self.consumables,
                incident: self.incident,
                incident_note: self.incident_note,
            },
        )
    }
}

/// A session that happened without a booking (a walk-in, a booking forgotten): the booking
/// it would have had and what really happened.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PastSession {
    /// As for `POST /bookings`; the session must be over.
    pub booking: super::bookings::NewBooking,
    pub usage: UsageRecord,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PastSessionView {
    /// Confirmed, with `recorded_after_the_fact` set.
    pub booking: super::bookings::BookingView,
    pub usage: UsageView,
}
