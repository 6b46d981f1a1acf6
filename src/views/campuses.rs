use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::instant;
use crate::db::campuses::CampusRow;
use crate::domain::inventory::{CampusChange, CampusDraft};
use crate::domain::validate::Checks;
use crate::error::ApiResult;

#[derive(Debug, Serialize, ToSchema)]
pub struct CampusView {
    pub id: String,
    pub name: String,
    /// IANA time zone in which opening hours, recurrences and closures are read.
    #[schema(example = "Europe/Paris")]
    pub timezone: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampus {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    /// IANA time zone; the service's default (`PLATEAUX_TIMEZONE`) when absent.
    #[schema(schema_with = super::timezone_schema)]
    pub timezone: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampusChanges {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    #[schema(schema_with = super::timezone_schema)]
    pub timezone: Option<String>,
}

impl CampusView {
    pub fn new(row: CampusRow, tz: &Tz) -> Self {
        CampusView {
            created_at: instant(row.created_at, tz),
            updated_at: instant(row.updated_at, tz),
            id: row.id,
            name: row.name,
            timezone: row.timezone,
        }
    }
}

fn check_timezone(checks: &mut Checks, tz: &str) -> String {
    if tz.parse::<Tz>().is_err() {
        checks.fail(
            "timezone",
            "unknown_value",
            "fuseau horaire IANA inconnu (par exemple Europe/Paris)",
        );
    }
    tz.to_owned()
}

impl NewCampus {
    /// A campus without a time zone gets the service's, `default_timezone`.
    pub fn draft(self, default_timezone: &Tz) -> ApiResult<CampusDraft> {
        let mut checks = Checks::new();
        let name = checks.text("name", &self.name, 1, 200);
        let timezone = check_timezone(
            &mut checks,
            self.timezone.as_deref().unwrap_or(default_timezone.name()),
        );
        checks.finish()?;
        Ok(CampusDraft { name, timezone })
    }
}

impl CampusChanges {
    pub fn draft(self) -> ApiResult<CampusChange> {
        let mut checks = Checks::new();
        let name = self.name.as_deref().map(|n| checks.text("name", n, 1, 200));
        let timezone = self
            .timezone
            .as_deref()
            .map(|t| check_timezone(&mut checks, t));
        checks.finish()?;
        Ok(CampusChange { name, timezone })
    }
}
