//! Member organisations of the campuses, companies included: companies are seen only by
//! the staff and their own people (`access`), and brought in by managers.

use uuid::Uuid;

use crate::access;
use crate::auth::CurrentUser;
use crate::db::organisations::{OrganisationDetails, OrganisationFilter, OrganisationRow};
use crate::db::{self, DbConnection, Listed, Page};
use crate::domain::organisations::{check_identifiers, OrganisationChange, OrganisationDraft};
use crate::domain::validate::Checks;
use crate::domain::OrganisationKind;
use crate::error::{ApiError, ApiResult};

/// The organisations the caller may see that match `filter`.
pub fn list(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    mut filter: OrganisationFilter,
    page: &Page,
) -> ApiResult<Listed<OrganisationDetails>> {
    filter.include_companies = access::company_visibility(actor);
    db::organisations::list(conn, &filter, page)?
        .try_map(|rows| db::organisations::with_details(conn, rows))
}

pub fn find(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    id: &str,
) -> ApiResult<OrganisationDetails> {
    let row = access::visible_organisation(conn, actor, id)?;
    db::completed(conn, row, db::organisations::with_details)
}

fn check_campuses(conn: &mut DbConnection, ids: &[Uuid]) -> ApiResult<Vec<String>> {
    let mut ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Err(ApiError::field(
            "campus_ids",
            "required",
            "au moins un campus",
        ));
    }
    if db::campuses::count_existing(conn, &ids)? != ids.len() as i64 {
        return Err(ApiError::field(
            "campus_ids",
            "unknown_reference",
            "campus inconnu",
        ));
    }
    Ok(ids)
}

pub fn create(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    draft: OrganisationDraft,
) -> ApiResult<OrganisationDetails> {
    access::require_change_organisation(actor, draft.kind, true)?;
    let row = OrganisationRow {
        id: db::new_id(),
        name: draft.name,
        kind: draft.kind.as_str().to_owned(),
        town: draft.town,
        uai: draft.uai,
        siret: draft.siret,
        created_at: now,
        updated_at: now,
    };
    db::write_transaction(conn, |conn| {
        let campus_ids = check_campuses(conn, &draft.campus_ids)?;
        db::organisations::insert(conn, &row, &campus_ids)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "organisation",
            &row.id,
            "created",
            serde_json::json!({
                "name": row.name, "kind": row.kind, "town": row.town, "uai": row.uai, "siret": row.siret, "campus_ids": campus_ids,
            }),
        )?;
        Ok(OrganisationDetails { row, campus_ids })
    })
}

pub fn update(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    id: &str,
    change: OrganisationChange,
) -> ApiResult<OrganisationDetails> {
    db::write_transaction(conn, |conn| {
        let mut row = access::visible_organisation(conn, actor, id)?;
        let kind = OrganisationKind::from_db(&row.kind)?;
        access::require_change_organisation(actor, kind, false)?;
        let mut checks = Checks::new();
        if let Some(name) = &change.name {
            row.name = checks.text("name", name, 1, 200);
        }
        if let Some(town) = &change.town {
            row.town = checks.optional_text("town", town.as_deref(), 200);
        }
        let uai = change.uai.clone().unwrap_or(row.uai.clone());
        let siret = change.siret.clone().unwrap_or(row.siret.clone());
        (row.uai, row.siret) =
            check_identifiers(&mut checks, kind, uai.as_deref(), siret.as_deref());
        checks.finish()?;
        let campus_ids = match &change.campus_ids {
            Some(ids) => {
                let ids = check_campuses(conn, ids)?;
                db::organisations::set_campuses(conn, &row.id, &ids)?;
                Some(ids)
            }
            None => None,
        };
        row.updated_at = now;
        db::organisations::update(conn, &row)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "organisation",
            &row.id,
            "updated",
            serde_json::json!({
                "name": change.name, "town": change.town, "uai": change.uai, "siret": change.siret, "campus_ids": campus_ids,
            }),
        )?;
        db::completed(conn, row, db::organisations::with_details)
    })
}
