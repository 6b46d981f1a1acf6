use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Role;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: String,
    /// Inactive accounts cannot log in (invited accounts are inactive until confirmed).
    pub active: bool,
    /// A company contact who signed up alone for a company that already existed: sees only
    /// their own requests until an active contact of the company or the staff approves them.
    pub awaiting_approval: bool,
    /// For managers: the platforms they manage.
    pub managed_platform_ids: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: uuid::Uuid,
    /// Only for managers.
    #[serde(default)]
    pub managed_platform_ids: Vec<uuid::Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChanges {
    pub display_name: Option<String>,
    /// A new password (at least 12 characters); every session of the user is closed.
    #[schema(min_length = 12, max_length = 256)]
    pub password: Option<String>,
    pub role: Option<Role>,
    pub organisation_id: Option<uuid::Uuid>,
    pub active: Option<bool>,
    pub managed_platform_ids: Option<Vec<uuid::Uuid>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnAccountChanges {
    pub display_name: Option<String>,
    /// New password (at least 12 characters); needs `current_password`.
    #[schema(min_length = 12, max_length = 256)]
    pub new_password: Option<String>,
    pub current_password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HeldQualificationView {
    pub qualification_id: String,
    pub name: String,
    pub awarded_on: chrono::NaiveDate,
    /// `null` when it never expires.
    pub expires_on: Option<chrono::NaiveDate>,
    /// Whether it is valid today (not yet expired).
    pub valid_today: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardQualification {
    pub qualification_id: uuid::Uuid,
    pub awarded_on: chrono::NaiveDate,
    /// Defaults to the award date plus the qualification's validity, if it has one.
    pub expires_on: Option<chrono::NaiveDate>,
}
