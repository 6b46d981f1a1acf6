//! Equipment items of the platforms: read by every account, added and changed by the
//! director and the platform's managers.

use uuid::Uuid;

use crate::access;
use crate::auth::CurrentUser;
use crate::db::equipment::{EquipmentDetails, EquipmentFilter, EquipmentRow};
use crate::db::{self, DbConnection, Listed, Page};
use crate::domain::inventory::{EquipmentChange, EquipmentDraft};
use crate::error::{ApiError, ApiResult, ErrorCode};

pub fn list(
    conn: &mut DbConnection,
    filter: &EquipmentFilter,
    page: &Page,
) -> ApiResult<Listed<EquipmentDetails>> {
    db::equipment::list(conn, filter, page)?.try_map(|rows| db::equipment::with_details(conn, rows))
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<EquipmentDetails> {
    let row = db::equipment::find(conn, id)?.ok_or_else(ApiError::not_found)?;
    db::completed(conn, row, db::equipment::with_details)
}

fn check_qualifications(conn: &mut DbConnection, ids: &[Uuid]) -> ApiResult<Vec<String>> {
    let mut ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    ids.sort();
    ids.dedup();
    if db::qualifications::count_existing(conn, &ids)? != ids.len() as i64 {
        return Err(ApiError::field(
            "required_qualification_ids",
            "unknown_reference",
            "habilitation inconnue",
        ));
    }
    Ok(ids)
}

fn check_inventory_number_free(
    conn: &mut DbConnection,
    number: Option<&str>,
    own_id: &str,
) -> ApiResult<()> {
    if let Some(number) = number {
        if db::equipment::find_by_inventory_number(conn, number)?.is_some_and(|e| e.id != own_id) {
            return Err(ApiError::new(
                ErrorCode::AlreadyExists,
                format!("Le numéro d'inventaire « {number} » est déjà attribué."),
            ));
        }
    }
    Ok(())
}

/// A platform the item may be put on: it exists, and the caller manages it.
fn require_platform(conn: &mut DbConnection, actor: &CurrentUser, id: &str) -> ApiResult<()> {
    if db::platforms::find(conn, id)?.is_none() {
        return Err(ApiError::field(
            "platform_id",
            "unknown_reference",
            "plateau technique inconnu",
        ));
    }
    access::require_manage_platform(conn, actor, id)
}

/// Adds an item to `platform_id`. The draft's own refusal is answered once the caller is
/// known to manage that platform.
pub fn create(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    platform_id: &str,
    draft: ApiResult<EquipmentDraft>,
) -> ApiResult<EquipmentDetails> {
    db::write_transaction(conn, |conn| {
        require_platform(conn, actor, platform_id)?;
        let draft = draft?;
        let row = EquipmentRow {
            id: db::new_id(),
            platform_id: platform_id.to_owned(),
            name: draft.name,
            kind: draft.kind,
            manufacturer: draft.manufacturer,
            model: draft.model,
            serial_number: draft.serial_number,
            inventory_number: draft.inventory_number,
            status: draft.status.as_str().to_owned(),
            hourly_rate_cents: draft.hourly_rate_cents,
            notes: draft.notes,
            created_at: now,
            updated_at: now,
        };
        let qualifications = check_qualifications(conn, &draft.required_qualification_ids)?;
        check_inventory_number_free(conn, row.inventory_number.as_deref(), &row.id)?;
        db::equipment::insert(conn, &row, &qualifications)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "equipment",
            &row.id,
            "created",
            serde_json::json!({
                "platform_id": row.platform_id, "name": row.name, "kind": row.kind, "status": row.status,
                "inventory_number": row.inventory_number, "hourly_rate_cents": row.hourly_rate_cents,
                "required_qualification_ids": qualifications,
            }),
        )?;
        db::completed(conn, row, db::equipment::with_details)
    })
}

/// Changes an item (the director, the managers of its platform and, when it moves, of the
/// new one). The change's own refusal is answered once the caller is known to manage it.
pub fn update(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    id: &str,
    change: ApiResult<EquipmentChange>,
) -> ApiResult<EquipmentDetails> {
    db::write_transaction(conn, |conn| {
        let mut row = db::equipment::find(conn, id)?.ok_or_else(ApiError::not_found)?;
        access::require_manage_platform(conn, actor, &row.platform_id)?;
        let change = change?;
        if let Some(v) = change.name {
            row.name = v;
        }
        if let Some(v) = change.kind {
            row.kind = v;
        }
        if let Some(v) = change.manufacturer {
            row.manufacturer = v;
        }
        if let Some(v) = change.model {
            row.model = v;
        }
        if let Some(v) = change.serial_number {
            row.serial_number = v;
        }
        if let Some(v) = change.inventory_number {
            row.inventory_number = v;
        }
        if let Some(status) = change.status {
            row.status = status.as_str().to_owned();
        }
        if let Some(rate) = change.hourly_rate_cents {
            row.hourly_rate_cents = rate;
        }
        if let Some(notes) = change.notes {
            row.notes = notes;
        }
        if let Some(platform) = change.platform_id {
            require_platform(conn, actor, &platform)?;
            row.platform_id = platform;
        }
        let qualifications = match &change.required_qualification_ids {
            Some(ids) => {
                let ids = check_qualifications(conn, ids)?;
                db::equipment::set_required_qualifications(conn, &row.id, &ids)?;
                Some(ids)
            }
            None => None,
        };
        check_inventory_number_free(conn, row.inventory_number.as_deref(), &row.id)?;
        row.updated_at = now;
        db::equipment::update(conn, &row)?;
        let mut audit = change.as_given;
        audit["required_qualification_ids"] = serde_json::json!(qualifications);
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "equipment",
            &row.id,
            "updated",
            audit,
        )?;
        db::completed(conn, row, db::equipment::with_details)
    })
}
