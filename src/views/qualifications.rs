use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::instant;
use crate::db::qualifications::QualificationRow;
use crate::domain::inventory::{QualificationChange, QualificationDraft};
use crate::domain::validate::Checks;
use crate::error::ApiResult;

#[derive(Debug, Serialize, ToSchema)]
pub struct QualificationView {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Months a qualification stays valid after it is awarded; `null` when it never expires.
    pub validity_months: Option<i32>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQualification {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub description: String,
    #[schema(minimum = 1, maximum = 240)]
    pub validity_months: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QualificationChanges {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    #[schema(max_length = 4000)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 240)]
    pub validity_months: Option<Option<i32>>,
}

impl QualificationView {
    pub fn new(row: QualificationRow, tz: &Tz) -> Self {
        QualificationView {
            created_at: instant(row.created_at, tz),
            updated_at: instant(row.updated_at, tz),
            id: row.id,
            name: row.name,
            description: row.description,
            validity_months: row.validity_months,
        }
    }
}

fn check_validity(checks: &mut Checks, months: Option<i32>) -> Option<i32> {
    months.map(|m| checks.range("validity_months", m, 1, 240))
}

impl NewQualification {
    pub fn draft(self) -> ApiResult<QualificationDraft> {
        let mut checks = Checks::new();
        let name = checks.text("name", &self.name, 1, 200);
        let description = checks.text("description", &self.description, 0, 4000);
        let validity_months = check_validity(&mut checks, self.validity_months);
        checks.finish()?;
        Ok(QualificationDraft {
            name,
            description,
            validity_months,
        })
    }
}

impl QualificationChanges {
    pub fn draft(self) -> ApiResult<QualificationChange> {
        let mut checks = Checks::new();
        let name = self.name.as_deref().map(|n| checks.text("name", n, 1, 200));
        let description = self
            .description
            .as_deref()
            .map(|d| checks.text("description", d, 0, 4000));
        let validity_months = self.validity_months.map(|v| check_validity(&mut checks, v));
        checks.finish()?;
        Ok(QualificationChange {
            name,
            description,
            validity_months,
        })
    }
}
