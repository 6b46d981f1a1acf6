//! Who may see or do what: every scope and permission rule of the service, each once.
//!
//! Out of one's scope, a thing answers 404, as if it did not exist; an action the role may
//! never do on something it can see answers 403. Where a list filters in SQL what a rule
//! decides for one row, the rule builds the scope value (`db::bookings::Visibility`,
//! `db::service_requests::Scope`...) right next to itself, and `db/` turns that value into
//! its `WHERE` clause; `tests/api/authorisation.rs` keeps each pair in step.

use crate::auth::CurrentUser;
use crate::db::bookings::{BookingRow, Visibility};
use crate::db::organisations::{CompanyVisibility, OrganisationRow};
use crate::db::reports::ReportFilter;
use crate::db::service_requests::{self as requests, RequestRow, Scope};
use crate::db::users::{UserFilter, UserRow};
use crate::db::{self, DbConnection};
use crate::domain::calendar::CalendarFeed;
use crate::domain::closures::ClosureScope;
use crate::domain::service_request::{side_of, Side};
use crate::domain::{OrganisationKind, Role};
use crate::error::{ApiError, ApiResult};

/// Refuses the action unless the caller has one of `roles`.
fn require_role(actor: &CurrentUser, roles: &[Role]) -> ApiResult<()> {
    if roles.contains(&actor.role) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "Le rôle « {} » ne permet pas cette action.",
            crate::labels::Label::label(actor.role)
        )))
    }
}

/// `row` if it exists and the caller sees it; 404 otherwise, as if it did not exist, so that
/// nothing leaks by existence.
fn seen<T>(row: Option<T>, sees: impl FnOnce(&T) -> ApiResult<bool>) -> ApiResult<T> {
    match row {
        Some(row) if sees(&row)? => Ok(row),
        _ => Err(ApiError::not_found()),
    }
}

// Campuses, platforms, equipment, qualifications.

/// Campuses are created and changed, and platforms created, by the director alone.
pub fn require_director(actor: &CurrentUser) -> ApiResult<()> {
    require_role(actor, &[Role::Admin])
}

/// Qualifications are defined, changed, awarded and withdrawn by the director and the
/// platform managers; only the director deletes one.
pub fn require_qualification_keeper(actor: &CurrentUser) -> ApiResult<()> {
    require_role(actor, &[Role::Admin, Role::Manager])
}

/// Admins manage every platform; managers those they are assigned to.
pub fn manages_platform(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    platform_id: &str,
) -> ApiResult<bool> {
    Ok(match actor.role {
        Role::Admin => true,
        Role::Manager => db::platforms::is_manager(conn, &actor.id, platform_id)?,
        _ => false,
    })
}

/// A platform, its equipment, maintenance windows and booking history are changed (and
/// read) by the director and the platform's managers.
pub fn require_manage_platform(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    platform_id: &str,
) -> ApiResult<()> {
    if manages_platform(conn, actor, platform_id)? {
        Ok(())
    } else {
        Err(ApiError::forbidden("Seuls l'administration du campus et les responsables de ce plateau peuvent faire cette modification."))
    }
}

/// A platform's week follow-up (usage to record, maintenance to plan) is for its managers
/// and the director; to anyone else it does not exist.
pub fn require_follow_up(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    platform_id: &str,
) -> ApiResult<()> {
    if manages_platform(conn, actor, platform_id)? {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

// Closures.

/// Campus and organisation closures are the director's; platform closures also its
/// managers'.
pub fn require_closure_scope(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    scope: ClosureScope,
    scope_id: &str,
) -> ApiResult<()> {
    // Who may close what is decided by role first, so that a refusal never tells whether
    // the target exists.
    let role_may = match scope {
        ClosureScope::Platform => matches!(actor.role, Role::Admin | Role::Manager),
        _ => actor.role == Role::Admin,
    };
    if !role_may {
        return Err(ApiError::forbidden("Les fermetures d'un campus ou d'une organisation relèvent de l'administration ; celles d'un plateau, aussi de ses responsables."));
    }
    let exists = match scope {
        ClosureScope::Campus => db::campuses::find(conn, scope_id)?.is_some(),
        ClosureScope::Organisation => db::organisations::find(conn, scope_id)?.is_some(),
        ClosureScope::Platform => db::platforms::find(conn, scope_id)?.is_some(),
    };
    if !exists {
        return Err(ApiError::field(
            "scope_id",
            "unknown_reference",
            format!("{scope} inconnu(e)"),
        ));
    }
    let allowed = match scope {
        ClosureScope::Platform => manages_platform(conn, actor, scope_id)?,
        _ => actor.role == Role::Admin,
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::forbidden("Les fermetures d'un campus ou d'une organisation relèvent de l'administration ; celles d'un plateau, aussi de ses responsables."))
    }
}

// Bookings.

/// Which bookings a caller sees: the director all; a manager the platforms they manage,
/// plus their organisation's and their own; a teacher their organisation's and those they
/// made or supervise; a company its own. Observers see no booking: they read indicators.
/// `can_see_booking` is the same rule for one booking.
pub fn booking_visibility(actor: &CurrentUser) -> ApiResult<Visibility> {
    Ok(match actor.role {
        Role::Admin => Visibility::All,
        Role::Manager => Visibility::Manager {
            user_id: actor.id.clone(),
            organisation_id: actor.organisation_id.clone(),
        },
        Role::Teacher => Visibility::Staff {
            user_id: actor.id.clone(),
            organisation_id: actor.organisation_id.clone(),
        },
        Role::Company => Visibility::Organisation {
            organisation_id: actor.organisation_id.clone(),
        },
        Role::Observer => {
            return Err(ApiError::forbidden(
                "Le comité de pilotage consulte les indicateurs, pas les réservations nominatives.",
            ))
        }
    })
}

/// Whether the caller may see a booking (`booking_visibility` for one row).
pub fn can_see_booking(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    row: &BookingRow,
) -> ApiResult<bool> {
    Ok(match actor.role {
        Role::Admin => true,
        Role::Manager => {
            row.organisation_id == actor.organisation_id
                || row.booker_id == actor.id
                || db::platforms::is_manager(conn, &actor.id, &row.platform_id)?
        }
        Role::Teacher => {
            row.organisation_id == actor.organisation_id
                || row.booker_id == actor.id
                || row.supervisor_id.as_deref() == Some(&actor.id)
        }
        Role::Company => row.organisation_id == actor.organisation_id,
        Role::Observer => false,
    })
}

/// The booking if the caller may see it; 404 otherwise.
pub fn visible_booking(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    id: &str,
) -> ApiResult<BookingRow> {
    seen(db::bookings::find(conn, id)?, |row| {
        can_see_booking(conn, actor, row)
    })
}

/// Booking in another organisation's name (or with a supervisor of another organisation)
/// is for the director and the platform's own managers; any other manager books for their
/// own organisation, like everyone else.
pub fn may_book_for_others(actor: &CurrentUser, manages_platform: bool) -> bool {
    actor.role == Role::Admin || manages_platform
}

/// What is done to a booking or a series once it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingAct {
    Approve,
    Reject,
    Cancel,
    Change,
    ChangeSeries,
    /// Recording what really happened; the platform's policy may let bookers do it.
    RecordUsage {
        bookers_record_usage: bool,
    },
    /// Recording a session that had no booking.
    RecordAfterTheFact,
    PlanMaintenance,
}

/// Who may do `act`: the platform's managers and the director always; the booker (or the
/// series' booker) may cancel and change, and record usage where the platform lets them.
/// `manages` is `manages_platform` for the booking's platform.
pub fn require_booking_act(act: BookingAct, manages: bool, is_booker: bool) -> ApiResult<()> {
    let allowed = manages
        || match act {
            BookingAct::Cancel | BookingAct::Change | BookingAct::ChangeSeries => is_booker,
            BookingAct::RecordUsage {
                bookers_record_usage,
            } => bookers_record_usage && is_booker,
            BookingAct::Approve
            | BookingAct::Reject
            | BookingAct::RecordAfterTheFact
            | BookingAct::PlanMaintenance => false,
        };
    if allowed {
        return Ok(());
    }
    Err(ApiError::forbidden(match act {
        BookingAct::Cancel => "Seuls l'auteur de la réservation, les responsables du plateau et l'administration peuvent l'annuler.",
        BookingAct::Approve | BookingAct::Reject => "Seuls les responsables du plateau et l'administration décident des réservations en attente.",
        BookingAct::Change => "Seuls l'auteur de la réservation, les responsables du plateau et l'administration peuvent la modifier.",
        BookingAct::ChangeSeries => "Seuls l'auteur de la série, les responsables du plateau et l'administration peuvent la modifier.",
        BookingAct::RecordUsage { .. } => "Seuls les responsables du plateau (et l'auteur de la réservation si le plateau le permet) renseignent l'usage réel.",
        BookingAct::RecordAfterTheFact => "Seuls les responsables du plateau et l'administration enregistrent une séance après coup.",
        BookingAct::PlanMaintenance => "Seuls les responsables du plateau et l'administration planifient la maintenance.",
    }))
}

// Calendar feeds.

/// One's own bookings for everyone; a platform's or an equipment item's feed for the
/// campus staff only, since those name other organisations' groups.
pub fn require_feed(actor: &CurrentUser, feed: CalendarFeed) -> ApiResult<()> {
    if feed == CalendarFeed::User
        || matches!(actor.role, Role::Admin | Role::Manager | Role::Teacher)
    {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Les flux d'un plateau ou d'un équipement sont réservés au personnel du campus.",
        ))
    }
}

/// Company bookings are shown in full in a feed only where its owner may see them through
/// the API: the director, the platform's managers (`managed` are the owner's platforms),
/// and the company itself; others see that the slot is taken.
pub fn feed_shows_booking(
    owner: &UserRow,
    owner_role: Role,
    managed: &[String],
    booking: &BookingRow,
    booked_by_company: bool,
) -> bool {
    !booked_by_company
        || owner_role == Role::Admin
        || managed.contains(&booking.platform_id)
        || booking.organisation_id == owner.organisation_id
}

// Service requests.

/// Which side of a service request the caller is on; teachers and observers are on none.
pub fn request_side(actor: &CurrentUser) -> ApiResult<Side> {
    side_of(actor.role).ok_or_else(|| {
        ApiError::forbidden(
            "Les demandes de prestation concernent les entreprises et les équipes des plateaux.",
        )
    })
}

/// Whether the caller may see a request. A company sees its own (a contact awaiting
/// approval only those they submitted); the director everything. A manager sees a request
/// nobody has taken yet (a confidential one only when it asks for a platform they manage,
/// or for no platform and they manage one of a PFT), and once taken, the requests they are
/// in charge of or that a platform of theirs handles. Teachers and observers see none.
/// `request_scope` mirrors this in SQL.
pub fn can_see_request(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    row: &RequestRow,
) -> ApiResult<bool> {
    Ok(match actor.role {
        Role::Admin => true,
        Role::Company if actor.awaiting_approval => {
            row.contact_user_id.as_deref() == Some(actor.id.as_str())
        }
        Role::Company => row.company_id == actor.organisation_id,
        Role::Manager => {
            if row.assignee_id.as_deref() == Some(actor.id.as_str()) {
                return Ok(true);
            }
            let managed = db::platforms::managed_with_pft_flag(conn, &actor.id)?;
            let manages = |p: &str| managed.iter().any(|(id, _)| id == p);
            match (&row.assigned_platform_id, &row.requested_platform_id) {
                (Some(assigned), _) => manages(assigned),
                (None, _) if !row.confidential => true,
                (None, Some(requested)) => manages(requested),
                (None, None) => managed.iter().any(|(_, pft)| *pft),
            }
        }
        Role::Teacher | Role::Observer => false,
    })
}

/// The requests a caller may list: `can_see_request` as a query scope.
pub fn request_scope(conn: &mut DbConnection, actor: &CurrentUser) -> ApiResult<Scope> {
    Ok(match actor.role {
        Role::Admin => Scope::All,
        Role::Manager => {
            let managed = db::platforms::managed_with_pft_flag(conn, &actor.id)?;
            Scope::Manager {
                user_id: actor.id.clone(),
                pft_manager: managed.iter().any(|(_, pft)| *pft),
                managed_platform_ids: managed.into_iter().map(|(id, _)| id).collect(),
            }
        }
        Role::Company if actor.awaiting_approval => Scope::Contact {
            user_id: actor.id.clone(),
        },
        Role::Company => Scope::Company {
            organisation_id: actor.organisation_id.clone(),
        },
        Role::Teacher | Role::Observer => Scope::Nothing,
    })
}

/// The request if the caller may see it; 404 otherwise.
pub fn visible_request(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    id: &str,
) -> ApiResult<RequestRow> {
    seen(requests::find(conn, id)?, |row| {
        can_see_request(conn, actor, row)
    })
}

/// Internal messages and timeline entries are for the campus staff, never the company.
pub fn sees_internal_messages(actor: &CurrentUser) -> ApiResult<bool> {
    Ok(request_side(actor)? == Side::Campus)
}

/// A request is handed to a platform the caller manages (the director: any).
pub fn require_hand_to_platform(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    platform_id: &str,
) -> ApiResult<()> {
    if manages_platform(conn, actor, platform_id)? {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Vous ne pouvez confier une demande qu'à un plateau que vous gérez.",
        ))
    }
}

/// Only an approved contact commits the company on a quote.
pub fn require_approved_contact(actor: &CurrentUser) -> ApiResult<()> {
    if actor.awaiting_approval {
        return Err(ApiError::approval_pending(
            "Seul un contact approuvé de l'entreprise engage celle-ci sur un devis : demandez à un contact de votre entreprise ou à l'équipe du campus d'approuver votre compte.",
        ));
    }
    Ok(())
}

// Accounts.

/// What a contact awaiting approval may reach: their own account and service requests.
pub fn open_to_contacts_awaiting_approval(path: &str) -> bool {
    path == "/api/v1/me"
        || path == "/api/v1/service-requests"
        || path.starts_with("/api/v1/service-requests/")
}

/// The inventory (platforms, equipment) is read by every account but a company contact
/// awaiting approval, as `open_to_contacts_awaiting_approval` says of the API; out of
/// scope, the web pages answer 404 like any other.
pub fn require_inventory_reader(actor: &CurrentUser) -> ApiResult<()> {
    if actor.awaiting_approval && !open_to_contacts_awaiting_approval("/api/v1/platforms") {
        Err(ApiError::not_found())
    } else {
        Ok(())
    }
}

/// Whether `viewer` may see the account `(user_id, organisation_id)`: one's own; the staff
/// every account; teachers and companies those of their organisation; observers none.
/// `user_list_scope` mirrors this for lists.
pub fn can_see_user(viewer: &CurrentUser, user_id: &str, organisation_id: &str) -> bool {
    if viewer.id == user_id {
        return true;
    }
    match viewer.role {
        Role::Admin | Role::Manager => true,
        Role::Teacher | Role::Company => viewer.organisation_id == organisation_id,
        Role::Observer => false,
    }
}

/// The account if the caller may see it; 404 otherwise.
pub fn visible_user(conn: &mut DbConnection, viewer: &CurrentUser, id: &str) -> ApiResult<UserRow> {
    seen(db::users::find(conn, id)?, |u| {
        Ok(can_see_user(viewer, &u.id, &u.organisation_id))
    })
}

/// Accounts are listed by everyone but observers, who see no personal data.
pub fn require_account_reader(actor: &CurrentUser) -> ApiResult<()> {
    require_role(
        actor,
        &[Role::Admin, Role::Manager, Role::Teacher, Role::Company],
    )
}

/// Narrows a list of accounts to what the caller may see (`can_see_user`); `None` when the
/// filter asks for another organisation than the caller may see, which lists nothing.
pub fn user_list_scope(actor: &CurrentUser, mut filter: UserFilter) -> Option<UserFilter> {
    if matches!(actor.role, Role::Teacher | Role::Company) {
        if filter
            .organisation_id
            .as_ref()
            .is_some_and(|o| *o != actor.organisation_id)
        {
            return None;
        }
        filter.organisation_id = Some(actor.organisation_id.clone());
    }
    Some(filter)
}

/// Which accounts a new account's creator may create: the director any; platform managers
/// bring in company contacts for service requests.
pub fn require_may_create_role(creator: &CurrentUser, role: Role) -> ApiResult<()> {
    let allowed = match creator.role {
        Role::Admin => true,
        Role::Manager => role == Role::Company,
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "Le rôle « {} » ne permet pas de créer un compte « {} ».",
            creator.role, role
        )))
    }
}

/// The e-mail outbox is read, and its dead messages retried, by the director.
pub fn require_outbox_administrator(actor: &CurrentUser) -> ApiResult<()> {
    require_role(actor, &[Role::Admin])
}

/// Accounts are changed, and pending confirmations read and renewed, by the director.
pub fn require_account_administrator(actor: &CurrentUser) -> ApiResult<()> {
    require_role(actor, &[Role::Admin])
}

/// The company whose waiting contacts the caller sees: every company for the staff
/// (`None`), their own for an approved contact; nobody else sees them.
pub fn contacts_awaiting_approval_scope(actor: &CurrentUser) -> ApiResult<Option<String>> {
    match actor.role {
        Role::Admin | Role::Manager => Ok(None),
        Role::Company if !actor.awaiting_approval => Ok(Some(actor.organisation_id.clone())),
        _ => Err(ApiError::forbidden(
            "Seuls les contacts approuvés d'une entreprise et l'équipe du campus approuvent des contacts.",
        )),
    }
}

/// Who vouches for a contact of a company: the staff, or an approved contact of it; never
/// the contact themselves.
pub fn require_may_approve(actor: &CurrentUser, contact: &UserRow) -> ApiResult<()> {
    let may = match actor.role {
        Role::Admin | Role::Manager => true,
        Role::Company => {
            !actor.awaiting_approval && actor.organisation_id == contact.organisation_id
        }
        Role::Teacher | Role::Observer => false,
    };
    if may && actor.id != contact.id {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Seuls un contact approuvé de cette entreprise et l'équipe du campus approuvent ce compte.",
        ))
    }
}

// Organisations.

/// Companies are visible only to campus staff who work with them and to their own people;
/// every other member organisation is visible to all accounts. `company_visibility`
/// mirrors this for lists.
pub fn can_see_organisation(viewer: &CurrentUser, id: &str, kind: OrganisationKind) -> bool {
    kind != OrganisationKind::Company
        || matches!(viewer.role, Role::Admin | Role::Manager)
        || viewer.organisation_id == id
}

/// Which companies a list of organisations shows the caller.
pub fn company_visibility(viewer: &CurrentUser) -> CompanyVisibility {
    match viewer.role {
        Role::Admin | Role::Manager => CompanyVisibility::All,
        Role::Company => CompanyVisibility::Only(viewer.organisation_id.clone()),
        Role::Teacher | Role::Observer => CompanyVisibility::None,
    }
}

/// The organisation if the caller may see it; 404 otherwise.
pub fn visible_organisation(
    conn: &mut DbConnection,
    viewer: &CurrentUser,
    id: &str,
) -> ApiResult<OrganisationRow> {
    seen(db::organisations::find(conn, id)?, |row| {
        Ok(can_see_organisation(
            viewer,
            &row.id,
            OrganisationKind::from_db(&row.kind)?,
        ))
    })
}

/// Admins create (`creating`) and change any organisation; managers bring in and maintain
/// companies.
pub fn require_change_organisation(
    actor: &CurrentUser,
    kind: OrganisationKind,
    creating: bool,
) -> ApiResult<()> {
    if actor.role == Role::Admin
        || (actor.role == Role::Manager && kind == OrganisationKind::Company)
    {
        return Ok(());
    }
    let what = if creating {
        "créer une organisation de ce type"
    } else {
        "modifier cette organisation"
    };
    Err(ApiError::forbidden(format!(
        "Le rôle « {} » ne permet pas de {what}.",
        actor.role
    )))
}

// Reports.

/// What a usage report covers for the caller: the director and observers the whole
/// campus; a manager the platforms they run; teachers and companies the sessions of their
/// own organisation (another organisation's answers 404).
pub fn report_scope(actor: &CurrentUser, filter: &mut ReportFilter) -> ApiResult<()> {
    match actor.role {
        Role::Admin | Role::Observer => {}
        Role::Manager => filter.managed_by = Some(actor.id.clone()),
        Role::Teacher | Role::Company => {
            if filter
                .organisation_id
                .as_ref()
                .is_some_and(|o| *o != actor.organisation_id)
            {
                return Err(ApiError::not_found());
            }
            filter.organisation_id = Some(actor.organisation_id.clone());
        }
    }
    Ok(())
}

/// A platform named in a report is within a manager's reach only if they run it.
pub fn may_report_on_platform(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    platform_id: &str,
) -> ApiResult<bool> {
    Ok(actor.role != Role::Manager || db::platforms::is_manager(conn, &actor.id, platform_id)?)
}

/// The campus indicators are for the director and the steering committee.
pub fn require_indicators_reader(actor: &CurrentUser) -> ApiResult<()> {
    if matches!(actor.role, Role::Admin | Role::Observer) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Les indicateurs du campus sont réservés à la direction et au comité de pilotage.",
        ))
    }
}

/// `/metrics` answers the monitoring only: a client in `PLATEAUX_METRICS_ALLOW`, or one
/// showing `PLATEAUX_METRICS_TOKEN` as a bearer token (compared as digests, so that the time
/// taken tells nothing of the token).
pub fn may_read_metrics(
    access: &crate::state::MetricsAccess,
    client: Option<std::net::IpAddr>,
    bearer: Option<&str>,
) -> ApiResult<()> {
    use sha2::{Digest, Sha256};
    if client.is_some_and(|address| access.allow.iter().any(|block| block.contains(address))) {
        return Ok(());
    }
    if let (Some(token), Some(shown)) = (&access.token, bearer) {
        if Sha256::digest(token.as_bytes()) == Sha256::digest(shown.as_bytes()) {
            return Ok(());
        }
    }
    Err(ApiError::forbidden(
        "Les métriques ne sont lisibles que depuis les adresses de PLATEAUX_METRICS_ALLOW ou avec le jeton PLATEAUX_METRICS_TOKEN.",
    ))
}
