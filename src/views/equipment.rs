use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::EquipmentStatus;

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
    pub name: String,
    pub kind: String,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub serial_number: Option<String>,
    /// Unique across the service.
    pub inventory_number: Option<String>,
    /// Defaults to `available`.
    pub status: Option<EquipmentStatus>,
    pub hourly_rate_cents: Option<i64>,
    #[serde(default)]
    pub required_qualification_ids: Vec<uuid::Uuid>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EquipmentChanges {
    /// Moves the item to another platform (the caller must manage both).
    pub platform_id: Option<uuid::Uuid>,
    pub name: Option<String>,
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub manufacturer: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub model: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub serial_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub inventory_number: Option<Option<String>>,
    pub status: Option<EquipmentStatus>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<i64>)]
    pub hourly_rate_cents: Option<Option<i64>>,
    pub required_qualification_ids: Option<Vec<uuid::Uuid>>,
    pub notes: Option<String>,
}
