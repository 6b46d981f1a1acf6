use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::instant;
use crate::db::equipment::{EquipmentDetails, EquipmentFilter};
use crate::domain::inventory::{EquipmentChange, EquipmentDraft};
use crate::domain::validate::Checks;
use crate::domain::EquipmentStatus;
use crate::error::ApiResult;

#[derive(Debug, Serialize, ToSchema)]
pub struct EquipmentView {
    pub id: String,
    pub platform_id: String,
    pub name: String,
    /// What the machine is, e.g. "centre d'usinage 5 axes".
    pub kind: String,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub serial_number: Option<String>,
    pub inventory_number: Option<String>,
    pub status: EquipmentStatus,
    /// Hourly rate in euro cents, excluding VAT.
    pub hourly_rate_cents: Option<i64>,
    /// Qualifications a user needs to work on it.
    pub required_qualification_ids: Vec<String>,
    pub notes: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEquipment {
    pub platform_id: uuid::Uuid,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub kind: String,
    #[schema(max_length = 200)]
    pub manufacturer: Option<String>,
    #[schema(max_length = 200)]
    pub model: Option<String>,
    #[schema(max_length = 200)]
    pub serial_number: Option<String>,
    /// Unique across the service.
    #[schema(max_length = 100)]
    pub inventory_number: Option<String>,
    /// Defaults to `available`.
    pub status: Option<EquipmentStatus>,
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub hourly_rate_cents: Option<i64>,
    #[serde(default)]
    pub required_qualification_ids: Vec<uuid::Uuid>,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub notes: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EquipmentChanges {
    /// Moves the item to another platform (the caller must manage both).
    pub platform_id: Option<uuid::Uuid>,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub manufacturer: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub model: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub serial_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub inventory_number: Option<Option<String>>,
    pub status: Option<EquipmentStatus>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 100_000_000)]
    pub hourly_rate_cents: Option<Option<i64>>,
    pub required_qualification_ids: Option<Vec<uuid::Uuid>>,
    #[schema(max_length = 4000)]
    pub notes: Option<String>,
}

/// The highest hourly rate an item may have, in cents.
const MAX_RATE_CENTS: i64 = 100_000_000;

impl EquipmentView {
    pub fn new(item: EquipmentDetails, tz: &Tz) -> ApiResult<Self> {
        let row = item.row;
        Ok(EquipmentView {
            status: EquipmentStatus::from_db(&row.status)?,
            required_qualification_ids: item.required_qualification_ids,
            created_at: instant(row.created_at, tz),
            updated_at: instant(row.updated_at, tz),
            id: row.id,
            platform_id: row.platform_id,
            name: row.name,
            kind: row.kind,
            manufacturer: row.manufacturer,
            model: row.model,
            serial_number: row.serial_number,
            inventory_number: row.inventory_number,
            hourly_rate_cents: row.hourly_rate_cents,
            notes: row.notes,
        })
    }
}

impl NewEquipment {
    /// The platform the item is added to, and the checked item: the use case answers its
    /// refusal only once the caller's right to change that platform is known.
    pub fn draft(self) -> (String, ApiResult<EquipmentDraft>) {
        let mut checks = Checks::new();
        let draft = EquipmentDraft {
            name: checks.text("name", &self.name, 1, 200),
            kind: checks.text("kind", &self.kind, 1, 200),
            manufacturer: checks.optional_text("manufacturer", self.manufacturer.as_deref(), 200),
            model: checks.optional_text("model", self.model.as_deref(), 200),
            serial_number: checks.optional_text(
                "serial_number",
                self.serial_number.as_deref(),
                200,
            ),
            inventory_number: checks.optional_text(
                "inventory_number",
                self.inventory_number.as_deref(),
                100,
            ),
            status: self.status.unwrap_or(EquipmentStatus::Available),
            hourly_rate_cents: self
                .hourly_rate_cents
                .map(|r| checks.range("hourly_rate_cents", r, 0, MAX_RATE_CENTS)),
            required_qualification_ids: self.required_qualification_ids,
            notes: checks.text("notes", &self.notes, 0, 4000),
        };
        (
            self.platform_id.to_string(),
            checks
                .finish()
                .map(|()| draft)
                .map_err(crate::error::ApiError::from),
        )
    }
}

impl EquipmentChanges {
    pub fn draft(self) -> ApiResult<EquipmentChange> {
        let as_given = serde_json::json!({
            "platform_id": self.platform_id, "name": self.name, "kind": self.kind,
            "manufacturer": self.manufacturer, "model": self.model, "serial_number": self.serial_number,
            "inventory_number": self.inventory_number, "status": self.status,
            "hourly_rate_cents": self.hourly_rate_cents, "notes": self.notes,
        });
        let mut checks = Checks::new();
        let change = EquipmentChange {
            platform_id: self.platform_id.map(|p| p.to_string()),
            name: self.name.as_deref().map(|v| checks.text("name", v, 1, 200)),
            kind: self.kind.as_deref().map(|v| checks.text("kind", v, 1, 200)),
            manufacturer: self
                .manufacturer
                .as_ref()
                .map(|v| checks.optional_text("manufacturer", v.as_deref(), 200)),
            model: self
                .model
                .as_ref()
                .map(|v| checks.optional_text("model", v.as_deref(), 200)),
            serial_number: self
                .serial_number
                .as_ref()
                .map(|v| checks.optional_text("serial_number", v.as_deref(), 200)),
            inventory_number: self
                .inventory_number
                .as_ref()
                .map(|v| checks.optional_text("inventory_number", v.as_deref(), 100)),
            status: self.status,
            hourly_rate_cents: self
                .hourly_rate_cents
                .map(|rate| rate.map(|r| checks.range("hourly_rate_cents", r, 0, MAX_RATE_CENTS))),
            required_qualification_ids: self.required_qualification_ids,
            notes: self
                .notes
                .as_deref()
                .map(|v| checks.text("notes", v, 0, 4000)),
            as_given,
        };
        checks.finish()?;
        Ok(change)
    }
}

super::list_query! {
    pub struct EquipmentQuery {
        pub platform_id: Option<Uuid>,
        pub status: Option<EquipmentStatus>,
        /// Items that require this qualification.
        pub qualification_id: Option<Uuid>,
        /// Part of the name.
        pub name: Option<String>,
    }
}

impl EquipmentQuery {
    pub fn filter(&self) -> EquipmentFilter {
        EquipmentFilter {
            platform_id: self.platform_id.map(|p| p.to_string()),
            status: self.status.map(|s| s.as_str().to_owned()),
            requires_qualification_id: self.qualification_id.map(|q| q.to_string()),
            name_contains: self
                .name
                .as_deref()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty()),
        }
    }
}
