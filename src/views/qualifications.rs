use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub validity_months: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QualificationChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<i32>)]
    pub validity_months: Option<Option<i32>>,
}
