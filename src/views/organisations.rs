use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::OrganisationKind;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationView {
    pub id: String,
    pub name: String,
    pub kind: OrganisationKind,
    pub town: Option<String>,
    /// School identifier (UAI): seven digits and a check letter.
    pub uai: Option<String>,
    /// Establishment identifier (SIRET): fourteen digits, Luhn-checked.
    pub siret: Option<String>,
    /// Campuses the organisation is a member of.
    pub campus_ids: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    pub name: String,
    pub kind: OrganisationKind,
    pub town: Option<String>,
    #[schema(example = "0750655E")]
    pub uai: Option<String>,
    /// Required for companies.
    #[schema(example = "73282932000074")]
    pub siret: Option<String>,
    /// At least one campus.
    pub campus_ids: Vec<uuid::Uuid>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationChanges {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub town: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub uai: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub siret: Option<Option<String>>,
    /// Replaces the memberships (at least one campus).
    pub campus_ids: Option<Vec<uuid::Uuid>>,
}
