use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::instant;
use crate::db::platforms::{PlatformDetails, PlatformFilter};
use crate::domain::inventory::{BookingPolicy, PlatformChange, PlatformDraft};
use crate::domain::opening_hours::{check_opening_hours, OpeningInterval};
use crate::domain::validate::Checks;
use crate::domain::{PlatformDomain, WhoMayBook};
use crate::error::ApiResult;

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
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    pub domain: PlatformDomain,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub description: String,
    #[schema(max_length = 200)]
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
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    pub domain: Option<PlatformDomain>,
    #[schema(max_length = 4000)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub town: Option<Option<String>>,
    #[schema(minimum = 1, maximum = 1000)]
    pub stations: Option<i32>,
    /// Replaces the whole week.
    pub opening_hours: Option<Vec<OpeningInterval>>,
    /// Replaces the whole policy.
    pub booking_policy: Option<BookingPolicy>,
}

impl PlatformView {
    pub fn new(platform: PlatformDetails, tz: &Tz) -> ApiResult<Self> {
        let row = platform.row;
        Ok(PlatformView {
            domain: PlatformDomain::from_db(&row.domain)?,
            booking_policy: BookingPolicy {
                who_may_book: WhoMayBook::from_db(&row.who_may_book)?,
                outside_requires_approval: row.outside_requires_approval,
                min_notice_hours: row.min_notice_hours,
                max_horizon_days: row.max_horizon_days,
                max_duration_minutes: row.max_duration_minutes,
                bookers_record_usage: row.bookers_record_usage,
            },
            opening_hours: platform
                .opening_hours
                .iter()
                .map(|interval| interval.to_wire())
                .collect(),
            manager_ids: platform.manager_ids,
            created_at: instant(row.created_at, tz),
            updated_at: instant(row.updated_at, tz),
            id: row.id,
            campus_id: row.campus_id,
            owner_organisation_id: row.owner_organisation_id,
            name: row.name,
            description: row.description,
            town: row.town,
            stations: row.stations,
        })
    }
}

fn check_policy(checks: &mut Checks, policy: &BookingPolicy) {
    checks.range(
        "booking_policy.min_notice_hours",
        policy.min_notice_hours,
        0,
        8760,
    );
    checks.range(
        "booking_policy.max_horizon_days",
        policy.max_horizon_days,
        1,
        1095,
    );
    checks.range(
        "booking_policy.max_duration_minutes",
        policy.max_duration_minutes,
        15,
        10080,
    );
}

impl NewPlatform {
    pub fn draft(self) -> ApiResult<PlatformDraft> {
        let policy = self.booking_policy.unwrap_or_default();
        let mut checks = Checks::new();
        let name = checks.text("name", &self.name, 1, 200);
        let description = checks.text("description", &self.description, 0, 4000);
        let town = checks.optional_text("town", self.town.as_deref(), 200);
        let stations = checks.range("stations", self.stations, 1, 1000);
        let opening_hours = check_opening_hours(&mut checks, "opening_hours", &self.opening_hours);
        check_policy(&mut checks, &policy);
        checks.finish()?;
        Ok(PlatformDraft {
            campus_id: self.campus_id.to_string(),
            owner_organisation_id: self.owner_organisation_id.to_string(),
            name,
            domain: self.domain,
            description,
            town,
            stations,
            opening_intervals: self.opening_hours,
            opening_hours,
            policy,
        })
    }
}

impl PlatformChanges {
    pub fn draft(self) -> ApiResult<PlatformChange> {
        let mut checks = Checks::new();
        let name = self.name.as_deref().map(|n| checks.text("name", n, 1, 200));
        let description = self
            .description
            .as_deref()
            .map(|d| checks.text("description", d, 0, 4000));
        let town = self
            .town
            .as_ref()
            .map(|t| checks.optional_text("town", t.as_deref(), 200));
        let stations = self.stations.map(|s| checks.range("stations", s, 1, 1000));
        let opening_hours = self
            .opening_hours
            .as_ref()
            .map(|h| check_opening_hours(&mut checks, "opening_hours", h));
        if let Some(policy) = &self.booking_policy {
            check_policy(&mut checks, policy);
        }
        checks.finish()?;
        Ok(PlatformChange {
            name,
            domain: self.domain,
            description,
            town,
            stations,
            opening_intervals: self.opening_hours,
            opening_hours,
            policy: self.booking_policy,
        })
    }
}

super::list_query! {
    pub struct PlatformQuery {
        pub campus_id: Option<Uuid>,
        pub domain: Option<PlatformDomain>,
        pub owner_organisation_id: Option<Uuid>,
        /// Part of the name.
        pub name: Option<String>,
    }
}

impl PlatformQuery {
    pub fn filter(&self) -> PlatformFilter {
        PlatformFilter {
            campus_id: self.campus_id.map(|c| c.to_string()),
            domain: self.domain.map(|d| d.as_str().to_owned()),
            owner_organisation_id: self.owner_organisation_id.map(|o| o.to_string()),
            name_contains: self
                .name
                .as_deref()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty()),
        }
    }
}
