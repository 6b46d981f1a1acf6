use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::instant;
use crate::db::users::{Account, HeldQualificationRow, UserFilter};
use crate::domain::accounts::{
    check_password, AccountChange, AccountDraft, OwnAccountChange, PasswordChange,
    QualificationAward,
};
use crate::domain::validate::Checks;
use crate::domain::Role;
use crate::error::ApiResult;

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
    #[schema(
        max_length = 254,
        pattern = "^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$"
    )]
    pub email: String,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
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
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
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
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
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

impl UserView {
    pub fn new(account: Account, tz: &Tz) -> ApiResult<Self> {
        let row = account.row;
        Ok(UserView {
            role: Role::from_db(&row.role)?,
            created_at: instant(row.created_at, tz),
            updated_at: instant(row.updated_at, tz),
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            organisation_id: row.organisation_id,
            active: row.active,
            awaiting_approval: row.awaiting_approval,
            managed_platform_ids: account.managed_platform_ids,
        })
    }
}

impl NewUser {
    /// An invitation: no password, which only its owner chooses.
    pub fn draft(self) -> AccountDraft {
        AccountDraft {
            email: self.email,
            display_name: self.display_name,
            password: None,
            role: self.role,
            organisation_id: self.organisation_id.to_string(),
            managed_platform_ids: self.managed_platform_ids,
        }
    }
}

impl UserChanges {
    /// `own_account`: the administrator changes their own account, which they may not lock
    /// themselves out of.
    pub fn draft(self, own_account: bool) -> ApiResult<AccountChange> {
        let mut checks = Checks::new();
        let display_name = self
            .display_name
            .as_deref()
            .map(|n| checks.text("display_name", n, 1, 200));
        if let Some(p) = &self.password {
            check_password(&mut checks, "password", p);
        }
        if own_account && self.active == Some(false) {
            checks.fail(
                "active",
                "self_lockout",
                "un administrateur ne peut pas désactiver son propre compte",
            );
        }
        if own_account && self.role.is_some_and(|r| r != Role::Admin) {
            checks.fail(
                "role",
                "self_lockout",
                "un administrateur ne peut pas se retirer son propre rôle",
            );
        }
        checks.finish()?;
        Ok(AccountChange {
            display_name,
            password: self.password,
            role: self.role,
            organisation_id: self.organisation_id.map(|o| o.to_string()),
            active: self.active,
            managed_platform_ids: self.managed_platform_ids,
        })
    }
}

impl OwnAccountChanges {
    pub fn draft(self) -> ApiResult<OwnAccountChange> {
        let mut checks = Checks::new();
        let display_name = self
            .display_name
            .as_deref()
            .map(|n| checks.text("display_name", n, 1, 200));
        if let Some(new_password) = &self.new_password {
            check_password(&mut checks, "new_password", new_password);
            if self.current_password.is_none() {
                checks.fail(
                    "current_password",
                    "required",
                    "le mot de passe actuel est nécessaire pour le changer",
                );
            }
        }
        checks.finish()?;
        Ok(OwnAccountChange {
            display_name,
            passwords: match (self.new_password, self.current_password) {
                (Some(new), Some(current)) => Some(PasswordChange { current, new }),
                _ => None,
            },
        })
    }
}

impl HeldQualificationView {
    pub fn new(row: HeldQualificationRow, today: chrono::NaiveDate) -> Self {
        HeldQualificationView {
            valid_today: row.awarded_on <= today && row.expires_on.is_none_or(|e| e >= today),
            qualification_id: row.qualification_id,
            name: row.name,
            awarded_on: row.awarded_on,
            expires_on: row.expires_on,
        }
    }
}

impl AwardQualification {
    pub fn award(self) -> QualificationAward {
        QualificationAward {
            qualification_id: self.qualification_id.to_string(),
            awarded_on: self.awarded_on,
            expires_on: self.expires_on,
        }
    }
}

super::list_query! {
    pub struct UserQuery {
        pub organisation_id: Option<Uuid>,
        pub role: Option<Role>,
        /// Part of the e-mail address.
        pub email: Option<String>,
        /// Only company contacts waiting for approval (`true`), or only the others (`false`).
        pub awaiting_approval: Option<bool>,
    }
}

impl UserQuery {
    /// The filter of the query; which accounts the caller sees is for the use case.
    pub fn filter(&self) -> UserFilter {
        UserFilter {
            organisation_id: self.organisation_id.map(|o| o.to_string()),
            role: self.role.map(|r| r.as_str().to_owned()),
            email_contains: self
                .email
                .as_deref()
                .map(|e| e.trim().to_lowercase())
                .filter(|e| !e.is_empty()),
            awaiting_approval: self.awaiting_approval,
        }
    }
}
