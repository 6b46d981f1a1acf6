use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::instant;
use crate::db::organisations::{OrganisationDetails, OrganisationFilter};
use crate::domain::organisations::{check_identifiers, OrganisationChange, OrganisationDraft};
use crate::domain::validate::Checks;
use crate::domain::OrganisationKind;
use crate::error::ApiResult;

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
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    pub kind: OrganisationKind,
    #[schema(max_length = 200)]
    pub town: Option<String>,
    /// Seven digits and the check letter.
    #[schema(example = "0750655E", pattern = "^\\s*([0-9]{7}[A-Za-z])?\\s*$")]
    pub uai: Option<String>,
    /// Required for companies.
    #[schema(example = "73282932000074", pattern = "^\\s*(([0-9]\\s*){14})?$")]
    pub siret: Option<String>,
    /// At least one campus.
    #[schema(min_items = 1)]
    pub campus_ids: Vec<uuid::Uuid>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationChanges {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub town: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>, pattern = "^\\s*([0-9]{7}[A-Za-z])?\\s*$")]
    pub uai: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>, pattern = "^\\s*(([0-9]\\s*){14})?$")]
    pub siret: Option<Option<String>>,
    /// Replaces the memberships (at least one campus).
    #[schema(min_items = 1)]
    pub campus_ids: Option<Vec<uuid::Uuid>>,
}

impl OrganisationView {
    pub fn new(organisation: OrganisationDetails, tz: &Tz) -> ApiResult<Self> {
        let row = organisation.row;
        Ok(OrganisationView {
            kind: OrganisationKind::from_db(&row.kind)?,
            created_at: instant(row.created_at, tz),
            updated_at: instant(row.updated_at, tz),
            id: row.id,
            name: row.name,
            town: row.town,
            uai: row.uai,
            siret: row.siret,
            campus_ids: organisation.campus_ids,
        })
    }
}

impl NewOrganisation {
    pub fn draft(self) -> ApiResult<OrganisationDraft> {
        let mut checks = Checks::new();
        let name = checks.text("name", &self.name, 1, 200);
        let town = checks.optional_text("town", self.town.as_deref(), 200);
        let (uai, siret) = check_identifiers(
            &mut checks,
            self.kind,
            self.uai.as_deref(),
            self.siret.as_deref(),
        );
        checks.finish()?;
        Ok(OrganisationDraft {
            name,
            kind: self.kind,
            town,
            uai,
            siret,
            campus_ids: self.campus_ids,
        })
    }
}

impl OrganisationChanges {
    /// Checked by the use case, against the organisation as it stands (its kind, its
    /// identifiers).
    pub fn change(self) -> OrganisationChange {
        OrganisationChange {
            name: self.name,
            town: self.town,
            uai: self.uai,
            siret: self.siret,
            campus_ids: self.campus_ids,
        }
    }
}

super::list_query! {
    pub struct OrganisationQuery {
        pub kind: Option<OrganisationKind>,
        pub campus_id: Option<Uuid>,
        /// Part of the name.
        pub name: Option<String>,
    }
}

impl OrganisationQuery {
    /// The filter of the query; which companies the caller sees is for the use case.
    pub fn filter(&self) -> OrganisationFilter {
        OrganisationFilter {
            kind: self.kind.map(|k| k.as_str().to_owned()),
            campus_id: self.campus_id.map(|c| c.to_string()),
            name_contains: self
                .name
                .as_deref()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty()),
            ..OrganisationFilter::default()
        }
    }
}
