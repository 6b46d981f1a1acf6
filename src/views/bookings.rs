use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{check_instant, check_span, check_span_change, instant};
use crate::db::audit::AuditRow;
use crate::db::bookings::{BookingDetails, BookingFilter};
use crate::db::series::SeriesDetails;
use crate::domain::booking::{
    BookingChange, BookingDraft, BookingStatus, LearnerStatus, SeriesChange, SeriesMode,
};
use crate::domain::opening_hours::parse_minute;
use crate::domain::validate::Checks;
use crate::error::{ApiError, ApiResult};

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
    #[schema(example = "2027-03-02T08:00:00+01:00", format = DateTime)]
    pub starts_at: String,
    #[schema(example = "2027-03-02T12:00:00+01:00", format = DateTime)]
    pub ends_at: String,
    /// Defaults to the booker's organisation; only admins and managers book for others.
    pub organisation_id: Option<uuid::Uuid>,
    /// Defaults to the booker.
    pub supervisor_id: Option<uuid::Uuid>,
    #[serde(default)]
    pub learners: Vec<LearnerCount>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub group_label: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub level: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub purpose: String,
    pub service_request_id: Option<uuid::Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingChanges {
    #[schema(format = DateTime)]
    pub starts_at: Option<String>,
    #[schema(format = DateTime)]
    pub ends_at: Option<String>,
    /// Another equipment item of the same platform.
    pub equipment_id: Option<uuid::Uuid>,
    #[schema(minimum = 1, maximum = 1000)]
    pub stations: Option<i32>,
    pub supervisor_id: Option<uuid::Uuid>,
    pub learners: Option<Vec<LearnerCount>>,
    #[schema(max_length = 200)]
    pub group_label: Option<String>,
    #[schema(max_length = 200)]
    pub level: Option<String>,
    #[schema(max_length = 2000)]
    pub purpose: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Required to reject or cancel.
    #[schema(min_length = 1, max_length = 1000, pattern = "\\S")]
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

/// An occurrence a series would book.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlannedOccurrence {
    pub starts_at: String,
    pub ends_at: String,
}

/// What creating a series would do now; nothing is written.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesPreviewView {
    /// The occurrences it would book, in time order.
    pub occurrences: Vec<PlannedOccurrence>,
    /// The occurrences it would skip, and why: closures always, other refusals in
    /// `skip_conflicts`.
    pub skipped: Vec<SkippedOccurrence>,
    /// In `all_or_nothing`, the occurrences whose refusal would refuse the whole series
    /// (creating it would answer 409 `series_conflicts`).
    pub conflicts: Vec<SkippedOccurrence>,
    /// The status its occurrences would start in.
    pub status: BookingStatus,
}

impl SeriesPreviewView {
    pub fn new(preview: &crate::usecases::bookings::series::SeriesPreview, tz: &Tz) -> Self {
        let skipped = |skips: &[crate::usecases::bookings::Skip]| {
            skips
                .iter()
                .map(|s| SkippedOccurrence {
                    starts_at: instant(s.span.start, tz),
                    ends_at: instant(s.span.end, tz),
                    code: s.refusal.code.as_str().to_owned(),
                    reason: s.refusal.message.clone(),
                })
                .collect()
        };
        SeriesPreviewView {
            occurrences: preview
                .plan
                .accepted
                .iter()
                .map(|s| PlannedOccurrence {
                    starts_at: instant(s.start, tz),
                    ends_at: instant(s.end, tz),
                })
                .collect(),
            skipped: skipped(&preview.plan.skipped),
            conflicts: skipped(&preview.plan.conflicts),
            status: preview.status,
        }
    }
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
    #[schema(min_length = 1, max_length = 1000, pattern = "\\S")]
    pub reason: String,
    /// Cancel the occurrences starting at or after this instant (this and following);
    /// without it, every occurrence still to come.
    #[schema(format = DateTime)]
    pub from: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesChanges {
    /// Change the occurrences starting at or after this instant; without it, every
    /// occurrence still to come.
    #[schema(format = DateTime)]
    pub from: Option<String>,
    /// New local start time, `HH:MM`.
    #[schema(pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
    pub start_time: Option<String>,
    /// New local end time, `HH:MM`.
    #[schema(pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
    pub end_time: Option<String>,
    pub supervisor_id: Option<uuid::Uuid>,
    #[schema(max_length = 200)]
    pub group_label: Option<String>,
    #[schema(max_length = 200)]
    pub level: Option<String>,
    #[schema(max_length = 2000)]
    pub purpose: Option<String>,
}

impl LearnerCount {
    /// Headcounts as stored, `(status, headcount)`.
    pub fn of(learners: Vec<(String, i32)>) -> ApiResult<Vec<LearnerCount>> {
        learners
            .into_iter()
            .map(|(status, headcount)| {
                Ok(LearnerCount {
                    status: LearnerStatus::from_db(&status)?,
                    headcount,
                })
            })
            .collect()
    }
}

impl BookingView {
    pub fn new(booking: BookingDetails, tz: &Tz) -> ApiResult<Self> {
        let r = booking.row;
        let learners = LearnerCount::of(booking.learners)?;
        Ok(BookingView {
            status: BookingStatus::from_db(&r.status)?,
            total_headcount: learners.iter().map(|l| l.headcount).sum(),
            learners,
            starts_at: instant(r.starts_at, tz),
            ends_at: instant(r.ends_at, tz),
            decided_at: r.decided_at.map(|t| instant(t, tz)),
            created_at: instant(r.created_at, tz),
            updated_at: instant(r.updated_at, tz),
            id: r.id,
            platform_id: r.platform_id,
            equipment_id: r.equipment_id,
            stations: r.stations,
            status_reason: r.status_reason,
            booker_id: r.booker_id,
            organisation_id: r.organisation_id,
            supervisor_id: r.supervisor_id,
            group_label: r.group_label,
            level: r.level,
            purpose: r.purpose,
            service_request_id: r.service_request_id,
            series_id: r.series_id,
            decided_by: r.decided_by,
            recorded_after_the_fact: r.recorded_after_the_fact,
        })
    }
}

/// Headcounts by learner status, each status once.
pub fn check_learners(checks: &mut Checks, learners: &[LearnerCount]) -> Vec<(LearnerStatus, i32)> {
    let mut seen = Vec::new();
    for (i, l) in learners.iter().enumerate() {
        checks.range(&format!("learners[{i}].headcount"), l.headcount, 1, 1000);
        if seen.iter().any(|(s, _)| *s == l.status) {
            checks.fail(
                format!("learners[{i}].status"),
                "duplicate",
                "chaque statut n'apparaît qu'une fois",
            );
        }
        seen.push((l.status, l.headcount));
    }
    seen
}

/// The texts that describe a group (its label, its level, the purpose), each checked when
/// given.
fn check_group_texts(
    checks: &mut Checks,
    group_label: Option<&str>,
    level: Option<&str>,
    purpose: Option<&str>,
) -> (Option<String>, Option<String>, Option<String>) {
    (
        group_label.map(|v| checks.text("group_label", v, 0, 200)),
        level.map(|v| checks.text("level", v, 0, 200)),
        purpose.map(|v| checks.text("purpose", v, 0, 2000)),
    )
}

impl NewBooking {
    pub fn draft(self) -> ApiResult<BookingDraft> {
        let mut checks = Checks::new();
        let span = check_span(
            &mut checks,
            "starts_at",
            &self.starts_at,
            "ends_at",
            &self.ends_at,
        );
        if let Some(s) = self.stations {
            checks.range("stations", s, 1, 1000);
        }
        let learners = check_learners(&mut checks, &self.learners);
        let (group_label, level, purpose) = check_group_texts(
            &mut checks,
            Some(&self.group_label),
            Some(&self.level),
            Some(&self.purpose),
        );
        checks.finish()?;
        Ok(BookingDraft {
            platform_id: self.platform_id.map(|u| u.to_string()),
            equipment_id: self.equipment_id.map(|u| u.to_string()),
            stations: self.stations,
            span,
            organisation_id: self.organisation_id.map(|u| u.to_string()),
            supervisor_id: self.supervisor_id.map(|u| u.to_string()),
            learners,
            group_label: group_label.unwrap_or_default(),
            level: level.unwrap_or_default(),
            purpose: purpose.unwrap_or_default(),
            service_request_id: self.service_request_id.map(|u| u.to_string()),
        })
    }

    /// The draft of a booking inside another body: its fields are named from `within`
    /// (`booking.starts_at`).
    pub fn draft_within(self, within: &str) -> ApiResult<BookingDraft> {
        self.draft().map_err(|e| {
            let errors = e.errors.iter().cloned().map(|mut error| {
                error.field = format!("{within}.{}", error.field);
                error
            });
            ApiError::validation(errors.collect())
        })
    }
}

impl BookingChanges {
    pub fn draft(self) -> ApiResult<BookingChange> {
        let mut checks = Checks::new();
        let span = check_span_change(
            &mut checks,
            "starts_at",
            self.starts_at.as_deref(),
            "ends_at",
            self.ends_at.as_deref(),
        );
        if let Some(s) = self.stations {
            checks.range("stations", s, 1, 1000);
        }
        let learners = self
            .learners
            .as_ref()
            .map(|l| check_learners(&mut checks, l));
        let (group_label, level, purpose) = check_group_texts(
            &mut checks,
            self.group_label.as_deref(),
            self.level.as_deref(),
            self.purpose.as_deref(),
        );
        checks.finish()?;
        Ok(BookingChange {
            span,
            equipment_id: self.equipment_id.map(|u| u.to_string()),
            stations: self.stations,
            supervisor_id: self.supervisor_id.map(|u| u.to_string()),
            learners,
            group_label,
            level,
            purpose,
        })
    }
}

impl NewSeries {
    /// The first occurrence (its fields named `first_occurrence.…`), the rule and the mode.
    pub fn draft(self) -> ApiResult<(BookingDraft, String, SeriesMode)> {
        let draft = self.first_occurrence.draft().map_err(|mut e| {
            for f in &mut e.errors {
                f.field = format!("first_occurrence.{}", f.field);
            }
            e
        })?;
        Ok((draft, self.rrule, self.mode))
    }
}

impl SeriesChanges {
    pub fn draft(self) -> ApiResult<SeriesChange> {
        let mut checks = Checks::new();
        let from = self
            .from
            .as_deref()
            .map(|t| check_instant(&mut checks, "from", t));
        let mut minute = |field: &str, value: &Option<String>| {
            value.as_deref().and_then(|v| {
                let m = parse_minute(v);
                if m.is_none() {
                    checks.fail(field, "invalid_format", "heure attendue au format HH:MM");
                }
                m
            })
        };
        let start_minute = minute("start_time", &self.start_time);
        let end_minute = minute("end_time", &self.end_time);
        if let (Some(s), Some(e)) = (start_minute, end_minute) {
            if s >= e {
                checks.fail("end_time", "before_start", "la fin doit suivre le début");
            }
        }
        let (group_label, level, purpose) = check_group_texts(
            &mut checks,
            self.group_label.as_deref(),
            self.level.as_deref(),
            self.purpose.as_deref(),
        );
        checks.finish()?;
        Ok(SeriesChange {
            from,
            start_minute,
            end_minute,
            supervisor_id: self.supervisor_id.map(|u| u.to_string()),
            group_label,
            level,
            purpose,
        })
    }
}

impl SeriesCancellation {
    /// From when (`None`: every occurrence still to come), and why.
    pub fn draft(self) -> ApiResult<(Option<i64>, String)> {
        let mut checks = Checks::new();
        let from = self
            .from
            .as_deref()
            .map(|t| check_instant(&mut checks, "from", t));
        let reason = checks.text("reason", &self.reason, 1, 1000);
        checks.finish()?;
        Ok((from, reason))
    }
}

impl SeriesView {
    pub fn new(details: SeriesDetails, tz: &Tz) -> ApiResult<Self> {
        let series = details.series;
        Ok(SeriesView {
            mode: SeriesMode::from_db(&series.mode)?,
            occurrences: details
                .occurrences
                .into_iter()
                .map(|b| BookingView::new(b, tz))
                .collect::<ApiResult<_>>()?,
            skipped: details
                .skipped
                .into_iter()
                .map(|s| SkippedOccurrence {
                    starts_at: instant(s.starts_at, tz),
                    ends_at: instant(s.ends_at, tz),
                    code: s.code,
                    reason: s.reason,
                })
                .collect(),
            created_at: instant(series.created_at, tz),
            updated_at: instant(series.updated_at, tz),
            id: series.id,
            rrule: series.rrule,
            platform_id: series.platform_id,
            equipment_id: series.equipment_id,
            booker_id: series.booker_id,
            organisation_id: series.organisation_id,
        })
    }
}

impl AuditEventView {
    pub fn new(event: AuditRow, tz: &Tz) -> Self {
        AuditEventView {
            at: instant(event.at, tz),
            changes: serde_json::from_str(&event.changes).unwrap_or(serde_json::Value::Null),
            id: event.id,
            actor_user_id: event.actor_user_id,
            action: event.action,
        }
    }
}

super::list_query! {
    pub struct BookingQuery {
        pub platform_id: Option<Uuid>,
        pub equipment_id: Option<Uuid>,
        pub organisation_id: Option<Uuid>,
        pub series_id: Option<Uuid>,
        pub service_request_id: Option<Uuid>,
        pub status: Option<BookingStatus>,
        /// Bookings made by this account: `me`, or the id of an account the caller may see.
        #[param(
            example = "me",
            pattern = "^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
        )]
        pub booked_by: Option<String>,
        /// Bookings supervised by this staff member: `me`, or the id of an account the caller
        /// may see.
        #[param(
            example = "me",
            pattern = "^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
        )]
        pub supervised_by: Option<String>,
        /// Bookings ending after this instant (RFC 3339).
        #[param(format = DateTime)]
        pub from: Option<String>,
        /// Bookings starting before this instant (RFC 3339).
        #[param(format = DateTime)]
        pub to: Option<String>,
    }
}

/// `me` or an account id, as `booked_by` and `supervised_by` take it.
fn check_person(checks: &mut Checks, field: &str, value: &str, me: &str) -> Option<String> {
    if value == "me" {
        return Some(me.to_owned());
    }
    match Uuid::parse_str(value) {
        Ok(id) => Some(id.to_string()),
        Err(_) => {
            checks.fail(field, "invalid", "« me » ou l'identifiant d'un compte");
            None
        }
    }
}

impl BookingQuery {
    /// The filter of the query; `me` is the caller's id.
    pub fn filter(&self, me: &str) -> ApiResult<BookingFilter> {
        let mut checks = Checks::new();
        let from = self
            .from
            .as_deref()
            .map(|t| check_instant(&mut checks, "from", t));
        let to = self
            .to
            .as_deref()
            .map(|t| check_instant(&mut checks, "to", t));
        let booker_id = self
            .booked_by
            .as_deref()
            .and_then(|v| check_person(&mut checks, "booked_by", v, me));
        let supervisor_id = self
            .supervised_by
            .as_deref()
            .and_then(|v| check_person(&mut checks, "supervised_by", v, me));
        checks.finish()?;
        Ok(BookingFilter {
            platform_id: self.platform_id.map(|v| v.to_string()),
            equipment_id: self.equipment_id.map(|v| v.to_string()),
            organisation_id: self.organisation_id.map(|v| v.to_string()),
            series_id: self.series_id.map(|v| v.to_string()),
            service_request_id: self.service_request_id.map(|v| v.to_string()),
            status: self.status.map(|s| s.as_str().to_owned()),
            booker_id,
            supervisor_id,
            from,
            to,
        })
    }
}
