use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bookings::{check_learners, BookingView, LearnerCount};
use super::{check_instant, instant};
use crate::db::bookings::BookingDetails;
use crate::db::usage::UsageDetails;
use crate::domain::booking::BookingDraft;
use crate::domain::time::Span;
use crate::domain::usage::UsageDraft;
use crate::domain::validate::Checks;
use crate::error::{ApiError, ApiResult};

/// Machine time of one equipment item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MachineTime {
    pub equipment_id: uuid::Uuid,
    /// 1 to the length of the session.
    #[schema(minimum = 1, maximum = 10080)]
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
    #[schema(format = DateTime)]
    pub actual_start: Option<String>,
    #[schema(format = DateTime)]
    pub actual_end: Option<String>,
    /// Who really came, by learner status.
    #[serde(default)]
    pub learners: Vec<LearnerCount>,
    #[serde(default)]
    pub machine_time: Vec<MachineTime>,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub consumables: String,
    #[serde(default)]
    pub incident: bool,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub incident_note: String,
}

/// One record of a bulk request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkUsageRecord {
    pub booking_id: uuid::Uuid,
    #[serde(default)]
    pub no_show: bool,
    #[schema(format = DateTime)]
    pub actual_start: Option<String>,
    #[schema(format = DateTime)]
    pub actual_end: Option<String>,
    #[serde(default)]
    pub learners: Vec<LearnerCount>,
    #[serde(default)]
    pub machine_time: Vec<MachineTime>,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub consumables: String,
    #[serde(default)]
    pub incident: bool,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub incident_note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkUsage {
    /// 1 to 500 records, all written or none.
    #[schema(min_items = 1, max_items = 500)]
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

impl UsageRecord {
    /// The checked record; its fields are named after `prefix` (`records[3].`, `usage.`).
    pub fn draft(&self, prefix: &str) -> ApiResult<UsageDraft> {
        let UsageRecord {
            no_show,
            actual_start,
            actual_end,
            learners,
            machine_time,
            consumables,
            incident,
            incident_note,
        } = self;
        let (no_show, incident) = (*no_show, *incident);
        let (actual_start, actual_end) = (actual_start.as_deref(), actual_end.as_deref());
        let mut checks = Checks::new();
        let field = |name: &str| format!("{prefix}{name}");
        let actual = match (no_show, actual_start, actual_end) {
            (true, None, None) => None,
            (true, _, _) => {
                checks.fail(
                    field("no_show"),
                    "not_allowed",
                    "une absence n'a pas d'horaires réels",
                );
                None
            }
            (false, Some(s), Some(e)) => {
                let s = check_instant(&mut checks, &field("actual_start"), s);
                let e = check_instant(&mut checks, &field("actual_end"), e);
                if checks.is_empty() && (s >= e || e - s > crate::db::bookings::MAX_BOOKING_SECONDS)
                {
                    checks.fail(
                        field("actual_end"),
                        "before_start",
                        "la fin doit suivre le début, sept jours au plus après",
                    );
                }
                Some(Span::new(s, e))
            }
            (false, _, _) => {
                checks.fail(
                    field("actual_start"),
                    "required",
                    "indiquez le début et la fin réels, ou une absence (no_show)",
                );
                None
            }
        };
        if no_show && (!learners.is_empty() || !machine_time.is_empty()) {
            checks.fail(
                field("learners"),
                "not_allowed",
                "une absence n'a ni effectif ni temps machine",
            );
        }
        let learners = check_learners(&mut checks, learners);
        let mut machine = Vec::new();
        for (i, m) in machine_time.iter().enumerate() {
            checks.range(
                &field(&format!("machine_time[{i}].minutes")),
                m.minutes,
                1,
                10080,
            );
            let id = m.equipment_id.to_string();
            if machine.iter().any(|(e, _): &(String, i32)| *e == id) {
                checks.fail(
                    field(&format!("machine_time[{i}].equipment_id")),
                    "duplicate",
                    "chaque équipement n'apparaît qu'une fois",
                );
            }
            machine.push((id, m.minutes));
        }
        let consumables = checks.text(&field("consumables"), consumables, 0, 4000);
        let incident_note = checks.text(&field("incident_note"), incident_note, 0, 4000);
        if incident && incident_note.is_empty() {
            checks.fail(field("incident_note"), "required", "décrivez l'incident");
        }
        checks.finish()?;
        Ok(UsageDraft {
            no_show,
            actual,
            learners,
            machine_time: machine,
            consumables,
            incident,
            incident_note,
        })
    }
}

impl BulkUsage {
    /// Each record checked, with its booking; the first refusal names its record.
    pub fn drafts(self) -> ApiResult<Vec<(String, UsageDraft)>> {
        let records = self.records;
        if records.is_empty() || records.len() > 500 {
            return Err(ApiError::field(
                "records",
                "out_of_range",
                "de 1 à 500 séances",
            ));
        }
        let mut drafts = Vec::with_capacity(records.len());
        for (i, r) in records.into_iter().enumerate() {
            let (booking_id, record) = r.split();
            let draft = record.draft(&format!("records[{i}]."))?;
            drafts.push((booking_id.to_string(), draft));
        }
        Ok(drafts)
    }
}

impl PastSession {
    /// The booking (its fields named `booking.…`) and the usage record (`usage.…`).
    pub fn drafts(self) -> ApiResult<(BookingDraft, UsageDraft)> {
        let booking = self.booking.draft_within("booking")?;
        let usage = self.usage.draft("usage.")?;
        Ok((booking, usage))
    }
}

impl UsageView {
    pub fn new(usage: UsageDetails, tz: &Tz) -> ApiResult<Self> {
        let row = usage.row;
        let learners = LearnerCount::of(usage.learners)?;
        let machine_time = usage
            .machine_time
            .into_iter()
            .map(|(equipment_id, minutes)| {
                Ok(MachineTime {
                    equipment_id: uuid::Uuid::parse_str(&equipment_id)
                        .map_err(|e| ApiError::internal(e.to_string()))?,
                    minutes,
                })
            })
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(UsageView {
            hours_used: match (row.actual_start, row.actual_end) {
                (Some(s), Some(e)) => (e - s) as f64 / 3600.0,
                _ => 0.0,
            },
            actual_start: row.actual_start.map(|t| instant(t, tz)),
            actual_end: row.actual_end.map(|t| instant(t, tz)),
            recorded_at: instant(row.recorded_at, tz),
            updated_at: instant(row.updated_at, tz),
            booking_id: row.booking_id,
            no_show: row.no_show,
            learners,
            machine_time,
            consumables: row.consumables,
            incident: row.incident,
            incident_note: row.incident_note,
            recorded_by: row.recorded_by,
        })
    }
}

impl PastSessionView {
    pub fn new(booking: BookingDetails, usage: UsageDetails, tz: &Tz) -> ApiResult<Self> {
        Ok(PastSessionView {
            booking: BookingView::new(booking, tz)?,
            usage: UsageView::new(usage, tz)?,
        })
    }
}
