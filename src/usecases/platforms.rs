//! Technical platforms: read by every account, created by the director, changed by the
//! director and their managers.

use crate::access;
use crate::auth::CurrentUser;
use crate::db::platforms::{PlatformDetails, PlatformFilter, PlatformRow};
use crate::db::{self, DbConnection, Listed, Page};
use crate::domain::inventory::{BookingPolicy, PlatformChange, PlatformDraft};
use crate::domain::OrganisationKind;
use crate::error::{ApiError, ApiResult, ErrorCode};

pub fn list(
    conn: &mut DbConnection,
    filter: &PlatformFilter,
    page: &Page,
) -> ApiResult<Listed<PlatformDetails>> {
    db::platforms::list(conn, filter, page)?.try_map(|rows| db::platforms::with_details(conn, rows))
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<PlatformDetails> {
    let row = db::platforms::find(conn, id)?.ok_or_else(ApiError::not_found)?;
    db::completed(conn, row, db::platforms::with_details)
}

fn apply_policy(row: &mut PlatformRow, policy: &BookingPolicy) {
    row.who_may_book = policy.who_may_book.as_str().to_owned();
    row.outside_requires_approval = policy.outside_requires_approval;
    row.min_notice_hours = policy.min_notice_hours;
    row.max_horizon_days = policy.max_horizon_days;
    row.max_duration_minutes = policy.max_duration_minutes;
    row.bookers_record_usage = policy.bookers_record_usage;
}

fn name_taken() -> ApiError {
    ApiError::new(
        ErrorCode::AlreadyExists,
        "Cette organisation a déjà un plateau de ce nom.",
    )
}

pub fn create(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    draft: PlatformDraft,
) -> ApiResult<PlatformDetails> {
    access::require_director(actor)?;
    let mut row = PlatformRow {
        id: db::new_id(),
        campus_id: draft.campus_id,
        owner_organisation_id: draft.owner_organisation_id,
        name: draft.name,
        domain: draft.domain.as_str().to_owned(),
        description: draft.description,
        town: draft.town,
        stations: draft.stations,
        who_may_book: String::new(),
        outside_requires_approval: true,
        min_notice_hours: 0,
        max_horizon_days: 0,
        max_duration_minutes: 0,
        created_at: now,
        updated_at: now,
        bookers_record_usage: false,
    };
    apply_policy(&mut row, &draft.policy);
    db::write_transaction(conn, |conn| {
        db::campuses::find(conn, &row.campus_id)?
            .ok_or_else(|| ApiError::field("campus_id", "unknown_reference", "campus inconnu"))?;
        let owner =
            db::organisations::find(conn, &row.owner_organisation_id)?.ok_or_else(|| {
                ApiError::field(
                    "owner_organisation_id",
                    "unknown_reference",
                    "organisation inconnue",
                )
            })?;
        if OrganisationKind::from_db(&owner.kind)? == OrganisationKind::Company {
            return Err(ApiError::field(
                "owner_organisation_id",
                "not_allowed",
                "un plateau appartient à un membre du campus, pas à une entreprise",
            ));
        }
        if !db::organisations::is_member(conn, &owner.id, &row.campus_id)? {
            return Err(ApiError::field(
                "owner_organisation_id",
                "not_a_member",
                "cette organisation n'est pas membre de ce campus",
            ));
        }
        if db::platforms::find_by_owner_and_name(conn, &row.owner_organisation_id, &row.name)?
            .is_some()
        {
            return Err(name_taken());
        }
        db::platforms::insert(conn, &row, &draft.opening_hours)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "platform",
            &row.id,
            "created",
            serde_json::json!({
                "name": row.name, "domain": row.domain, "owner_organisation_id": row.owner_organisation_id,
                "stations": row.stations, "opening_hours": draft.opening_intervals, "booking_policy": draft.policy,
            }),
        )?;
        db::completed(conn, row, db::platforms::with_details)
    })
}

/// Changes a platform (the director, its managers). The change's own refusal is answered
/// once the caller is known to manage the platform.
pub fn update(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    id: &str,
    change: ApiResult<PlatformChange>,
) -> ApiResult<PlatformDetails> {
    db::write_transaction(conn, |conn| {
        let mut row = db::platforms::find(conn, id)?.ok_or_else(ApiError::not_found)?;
        access::require_manage_platform(conn, actor, &row.id)?;
        let change = change?;
        if let Some(name) = change.name.clone() {
            if name != row.name
                && db::platforms::find_by_owner_and_name(conn, &row.owner_organisation_id, &name)?
                    .is_some()
            {
                return Err(name_taken());
            }
            row.name = name;
        }
        if let Some(domain) = change.domain {
            row.domain = domain.as_str().to_owned();
        }
        if let Some(d) = change.description.clone() {
            row.description = d;
        }
        if let Some(t) = change.town.clone() {
            row.town = t;
        }
        if let Some(s) = change.stations {
            row.stations = s;
        }
        if let Some(policy) = &change.policy {
            apply_policy(&mut row, policy);
        }
        if let Some(hours) = &change.opening_hours {
            db::platforms::set_opening_hours(conn, &row.id, hours)?;
        }
        row.updated_at = now;
        db::platforms::update(conn, &row)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "platform",
            &row.id,
            "updated",
            serde_json::json!({
                "name": change.name, "domain": change.domain, "description": change.description, "town": change.town,
                "stations": change.stations, "opening_hours": change.opening_intervals, "booking_policy": change.policy,
            }),
        )?;
        db::completed(conn, row, db::platforms::with_details)
    })
}
