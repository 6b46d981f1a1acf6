//! Campuses: read by every account, created and changed by the director.

use crate::access;
use crate::auth::CurrentUser;
use crate::db::{self, campuses::CampusRow, DbConnection, Listed, Page};
use crate::domain::inventory::{CampusChange, CampusDraft};
use crate::error::{ApiError, ApiResult};

pub fn list(conn: &mut DbConnection, page: &Page) -> ApiResult<Listed<CampusRow>> {
    db::campuses::list(conn, page)
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<CampusRow> {
    db::campuses::find(conn, id)?.ok_or_else(ApiError::not_found)
}

pub fn create(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    draft: CampusDraft,
) -> ApiResult<CampusRow> {
    access::require_director(actor)?;
    let row = CampusRow {
        id: db::new_id(),
        name: draft.name,
        timezone: draft.timezone,
        created_at: now,
        updated_at: now,
    };
    db::write_transaction(conn, |conn| {
        db::campuses::insert(conn, &row)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "campus",
            &row.id,
            "created",
            serde_json::json!({ "name": row.name, "timezone": row.timezone }),
        )
    })?;
    Ok(row)
}

pub fn update(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    id: &str,
    change: CampusChange,
) -> ApiResult<CampusRow> {
    access::require_director(actor)?;
    db::write_transaction(conn, |conn| {
        let mut row = db::campuses::find(conn, id)?.ok_or_else(ApiError::not_found)?;
        if let Some(name) = change.name.clone() {
            row.name = name;
        }
        if let Some(tz) = change.timezone.clone() {
            row.timezone = tz;
        }
        row.updated_at = now;
        db::campuses::update(conn, &row)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "campus",
            &row.id,
            "updated",
            serde_json::json!({ "name": change.name, "timezone": change.timezone }),
        )?;
        Ok(row)
    })
}
