//! Qualifications: safety trainings and certifications that gate equipment, read by every
//! account and kept by the director and the platform managers.

use crate::access;
use crate::auth::CurrentUser;
use crate::db::{self, qualifications::QualificationRow, DbConnection, Listed, Page};
use crate::domain::inventory::{QualificationChange, QualificationDraft};
use crate::error::{ApiError, ApiResult, ErrorCode};

pub fn list(conn: &mut DbConnection, page: &Page) -> ApiResult<Listed<QualificationRow>> {
    db::qualifications::list(conn, page)
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<QualificationRow> {
    db::qualifications::find(conn, id)?.ok_or_else(ApiError::not_found)
}

fn name_taken() -> ApiError {
    ApiError::new(
        ErrorCode::AlreadyExists,
        "Une habilitation porte déjà ce nom.",
    )
}

pub fn create(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    draft: QualificationDraft,
) -> ApiResult<QualificationRow> {
    access::require_qualification_keeper(actor)?;
    let row = QualificationRow {
        id: db::new_id(),
        name: draft.name,
        description: draft.description,
        validity_months: draft.validity_months,
        created_at: now,
        updated_at: now,
    };
    db::write_transaction(conn, |conn| {
        if db::qualifications::find_by_name(conn, &row.name)?.is_some() {
            return Err(name_taken());
        }
        db::qualifications::insert(conn, &row)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "qualification",
            &row.id,
            "created",
            serde_json::json!({ "name": row.name, "validity_months": row.validity_months }),
        )
    })?;
    Ok(row)
}

pub fn update(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    id: &str,
    change: QualificationChange,
) -> ApiResult<QualificationRow> {
    access::require_qualification_keeper(actor)?;
    db::write_transaction(conn, |conn| {
        let mut row = db::qualifications::find(conn, id)?.ok_or_else(ApiError::not_found)?;
        if let Some(name) = change.name.clone() {
            if name != row.name && db::qualifications::find_by_name(conn, &name)?.is_some() {
                return Err(name_taken());
            }
            row.name = name;
        }
        if let Some(d) = change.description.clone() {
            row.description = d;
        }
        if let Some(v) = change.validity_months {
            row.validity_months = v;
        }
        row.updated_at = now;
        db::qualifications::update(conn, &row)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "qualification",
            &row.id,
            "updated",
            serde_json::json!({
                "name": change.name, "description": change.description, "validity_months": change.validity_months,
            }),
        )?;
        Ok(row)
    })
}

/// Deletes a qualification that no equipment requires and nobody holds (the director).
pub fn delete(conn: &mut DbConnection, actor: &CurrentUser, now: i64, id: &str) -> ApiResult<()> {
    access::require_director(actor)?;
    db::write_transaction(conn, |conn| {
        db::qualifications::find(conn, id)?.ok_or_else(ApiError::not_found)?;
        if db::qualifications::in_use(conn, id)? {
            return Err(ApiError::new(ErrorCode::InUse,
                "Cette habilitation est exigée par un équipement ou détenue par un compte : retirez-la d'abord.",
            ));
        }
        db::qualifications::delete(conn, id)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "qualification",
            id,
            "deleted",
            serde_json::json!({}),
        )
    })
}
