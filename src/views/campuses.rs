use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
    pub name: String,
    /// IANA time zone; the service's default (`PLATEAUX_TIMEZONE`) when absent.
    pub timezone: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampusChanges {
    pub name: Option<String>,
    pub timezone: Option<String>,
}
