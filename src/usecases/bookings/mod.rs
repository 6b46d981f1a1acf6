//! The booking engine: single bookings (`single`, written in batches by `writer`), series
//! (`series`), changes and decisions (`change`), usage records (`usage`) and availability
//! (`availability`). Each write is one transaction that serialises the bookings it could
//! conflict with (the equipment item's row, or the platform's for stations), loads what the
//! rules need, runs them (`domain::booking`) and writes the result. The database
//! constraints stay the last word against double booking.

use chrono_tz::Tz;

use crate::access;
use crate::auth::CurrentUser;
use crate::db::bookings::{BookingDetails, BookingFilter, BookingRow};
use crate::db::equipment::EquipmentRow;
use crate::db::platforms::PlatformRow;
use crate::db::{self, DbConnection, Listed, Page};
use crate::domain::booking::{
    initial_status, Booker, BookingContext, BookingDraft, BookingStatus, EquipmentRules,
    LearnerStatus, LiveBooking, PlatformRules, Refusal,
};
use crate::domain::opening_hours::WeeklyInterval;
use crate::domain::time::Span;
use crate::domain::{EquipmentStatus, OrganisationKind, Role, WhoMayBook};
use crate::error::{ApiError, ApiResult};

pub mod availability;
pub mod change;
pub mod series;
pub mod single;
pub mod usage;
pub mod writer;

/// The platform and equipment a draft is about, loaded and locked.
struct Target {
    platform: PlatformRow,
    opening_hours: Vec<WeeklyInterval>,
    equipment: Option<EquipmentRow>,
}

/// An equipment item or some stations, never both nor neither.
fn check_shape(equipment_id: Option<&str>, stations: Option<i32>) -> ApiResult<()> {
    match (equipment_id, stations) {
        (Some(_), Some(_)) => Err(ApiError::field(
            "stations",
            "not_allowed",
            "une réservation porte soit sur un équipement, soit sur des postes du plateau",
        )),
        (None, None) => Err(ApiError::field(
            "stations",
            "required",
            "indiquez un équipement (equipment_id) ou un nombre de postes (stations)",
        )),
        _ => Ok(()),
    }
}

/// The platform a booking is on: the equipment item's, which must agree with the one named.
fn platform_of(equipment: Option<&EquipmentRow>, platform_id: Option<&str>) -> ApiResult<String> {
    match (equipment, platform_id) {
        (Some(e), Some(p)) if e.platform_id != p => Err(ApiError::field(
            "platform_id",
            "mismatch",
            "cet équipement appartient à un autre plateau",
        )),
        (Some(e), _) => Ok(e.platform_id.clone()),
        (None, Some(p)) => Ok(p.to_owned()),
        (None, None) => Err(ApiError::field(
            "platform_id",
            "required",
            "plateau technique manquant",
        )),
    }
}

fn unknown_equipment() -> ApiError {
    ApiError::field("equipment_id", "unknown_reference", "équipement inconnu")
}

fn unknown_platform() -> ApiError {
    ApiError::field(
        "platform_id",
        "unknown_reference",
        "plateau technique inconnu",
    )
}

fn load_target(
    conn: &mut DbConnection,
    platform_id: Option<&str>,
    equipment_id: Option<&str>,
    stations: Option<i32>,
) -> ApiResult<Target> {
    check_shape(equipment_id, stations)?;
    // The row that serialises conflicting bookings is read and locked at once: the item
    // for an equipment booking, the platform for a station booking.
    let equipment = match equipment_id {
        Some(id) => Some(db::equipment::find_locked(conn, id)?.ok_or_else(unknown_equipment)?),
        None => None,
    };
    let platform_id = platform_of(equipment.as_ref(), platform_id)?;
    let (platform, opening_hours) = if equipment.is_some() {
        db::platforms::find_with_hours(conn, &platform_id)?.ok_or_else(unknown_platform)?
    } else {
        // PostgreSQL cannot lock a row through an outer join: the hours come apart.
        let platform =
            db::platforms::find_locked(conn, &platform_id)?.ok_or_else(unknown_platform)?;
        let hours = db::platforms::opening_hours_of(conn, std::slice::from_ref(&platform.id))?
            .into_iter()
            .map(|(_, interval)| interval)
            .collect();
        (platform, hours)
    };
    Ok(Target {
        platform,
        opening_hours,
        equipment,
    })
}

/// The rules' facts about `target` over `window`. `holder_id` is the person whose
/// qualifications gate a booking; availability, which gates nobody, passes `None` and reads
/// no qualifications.
fn load_context(
    conn: &mut DbConnection,
    tz: Tz,
    now: i64,
    target: &Target,
    holder_id: Option<&str>,
    window: Span,
) -> ApiResult<BookingContext> {
    let p = &target.platform;
    let required = match (&target.equipment, holder_id) {
        (Some(e), Some(_)) => db::bookings::required_qualifications(conn, &e.id)?,
        _ => Vec::new(),
    };
    let maintenance = match &target.equipment {
        Some(e) => db::bookings::maintenance_for(conn, &e.id, window)?,
        None => Vec::new(),
    };
    // Only the bookings the rules compare with: the item's, or the platform's station bookings.
    let live_target = match &target.equipment {
        Some(e) => db::bookings::LiveTarget::Equipment(e.id.clone()),
        None => db::bookings::LiveTarget::Stations(p.id.clone()),
    };
    let (closures, live) = db::bookings::obstacles(conn, p, &live_target, window)?;
    // Only equipment that requires qualifications needs the holder's.
    let holder = match holder_id {
        Some(id) if !required.is_empty() => db::bookings::holder(conn, id)?,
        _ => None,
    };
    rules_context(
        tz,
        now,
        target,
        required,
        RuleFacts {
            closures,
            maintenance,
            live,
            holder,
        },
    )
}

/// What the rules read that changes from one booking to the next.
struct RuleFacts {
    closures: Vec<crate::domain::booking::ClosureSpan>,
    maintenance: Vec<(Span, String)>,
    live: Vec<LiveBooking>,
    holder: Option<(String, Vec<crate::domain::booking::HeldQualification>)>,
}

/// The rules' view of a target, from facts already loaded.
fn rules_context(
    tz: Tz,
    now: i64,
    target: &Target,
    required_qualifications: Vec<(String, String)>,
    facts: RuleFacts,
) -> ApiResult<BookingContext> {
    let p = &target.platform;
    let equipment = match &target.equipment {
        Some(e) => Some((
            e.id.clone(),
            EquipmentRules {
                name: e.name.clone(),
                status: EquipmentStatus::from_db(&e.status)?,
                required_qualifications,
            },
        )),
        None => None,
    };
    Ok(BookingContext {
        tz,
        now,
        platform: PlatformRules {
            name: p.name.clone(),
            stations: p.stations,
            opening_hours: target.opening_hours.clone(),
            min_notice_hours: p.min_notice_hours,
            max_horizon_days: p.max_horizon_days,
            max_duration_minutes: p.max_duration_minutes,
        },
        equipment,
        closures: facts.closures,
        maintenance: facts.maintenance,
        live: facts.live,
        holder: facts.holder,
    })
}

/// What the caller is granted: booking for this organisation, with this supervisor, in
/// this initial status.
struct Grant {
    organisation_id: String,
    supervisor_id: Option<String>,
    status: BookingStatus,
}

impl Grant {
    /// Whose qualifications gate the equipment: the supervisor, or the booker.
    fn holder(&self, actor: &CurrentUser) -> String {
        self.supervisor_id
            .clone()
            .unwrap_or_else(|| actor.id.clone())
    }
}

/// Who books for whom, checked against the caller's scope.
fn authorise(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    platform: &PlatformRow,
    organisation_id: Option<&str>,
    supervisor_id: Option<&str>,
) -> ApiResult<Grant> {
    let organisation_id = organisation_id.unwrap_or(&actor.organisation_id);
    let facts = GrantFacts {
        manages: match actor.role {
            Role::Manager => db::platforms::is_manager(conn, &actor.id, &platform.id)?,
            _ => false,
        },
        organisation: db::organisations::find_with_membership(
            conn,
            organisation_id,
            &platform.campus_id,
        )?,
        supervisor: match supervisor_id {
            Some(id) => db::users::find(conn, id)?,
            None => None,
        },
    };
    decide_grant(actor, platform, organisation_id, supervisor_id, &facts)
}

/// What deciding a grant needs to know, loaded beforehand.
struct GrantFacts {
    /// Whether the caller (a manager) manages the platform.
    manages: bool,
    /// The organisation booked for, and whether it is a member of the platform's campus.
    organisation: Option<(db::organisations::OrganisationRow, bool)>,
    supervisor: Option<db::users::UserRow>,
}

fn decide_grant(
    actor: &CurrentUser,
    platform: &PlatformRow,
    organisation_id: &str,
    supervisor_id: Option<&str>,
    facts: &GrantFacts,
) -> ApiResult<Grant> {
    let manages = facts.manages;
    let may_book_for_others = access::may_book_for_others(actor, manages);
    if organisation_id != actor.organisation_id && !may_book_for_others {
        return Err(ApiError::forbidden(
            "Vous ne pouvez réserver que pour votre propre organisation.",
        ));
    }
    let (organisation, member_of_platform_campus) =
        facts.organisation.as_ref().ok_or_else(|| {
            ApiError::field(
                "organisation_id",
                "unknown_reference",
                "organisation inconnue",
            )
        })?;
    if supervisor_id.is_some() {
        let user = facts
            .supervisor
            .as_ref()
            .filter(|u| u.active)
            .ok_or_else(|| {
                ApiError::field(
                    "supervisor_id",
                    "unknown_reference",
                    "encadrant inconnu ou inactif",
                )
            })?;
        if !may_book_for_others && user.id != actor.id && user.organisation_id != organisation_id {
            return Err(ApiError::field(
                "supervisor_id",
                "not_allowed",
                "l'encadrant doit appartenir à l'organisation pour laquelle vous réservez",
            ));
        }
    }
    let booker = Booker {
        role: actor.role,
        organisation_id,
        organisation_is_company: OrganisationKind::from_db(&organisation.kind)?
            == OrganisationKind::Company,
        member_of_platform_campus: *member_of_platform_campus,
        manages_platform: manages,
    };
    let status = initial_status(
        &booker,
        &platform.owner_organisation_id,
        WhoMayBook::from_db(&platform.who_may_book)?,
        platform.outside_requires_approval,
    )
    .map_err(ApiError::from)?;
    Ok(Grant {
        organisation_id: organisation_id.to_owned(),
        supervisor_id: supervisor_id.map(str::to_owned),
        status,
    })
}

/// Sets the texts that describe the group (its label, its level, the purpose) where a
/// change gives them.
fn set_group_texts(
    row: &mut BookingRow,
    group_label: &Option<String>,
    level: &Option<String>,
    purpose: &Option<String>,
) {
    if let Some(v) = group_label {
        row.group_label = v.clone();
    }
    if let Some(v) = level {
        row.level = v.clone();
    }
    if let Some(v) = purpose {
        row.purpose = v.clone();
    }
}

fn learners_rows(learners: &[(LearnerStatus, i32)]) -> Vec<(String, i32)> {
    learners
        .iter()
        .map(|(s, n)| (s.as_str().to_owned(), *n))
        .collect()
}

fn new_row(
    draft: &BookingDraft,
    target: &Target,
    actor: &CurrentUser,
    now: i64,
    grant: &Grant,
    span: Span,
    series_id: Option<String>,
) -> BookingRow {
    BookingRow {
        id: db::new_id(),
        platform_id: target.platform.id.clone(),
        equipment_id: target.equipment.as_ref().map(|e| e.id.clone()),
        stations: draft.stations,
        starts_at: span.start,
        ends_at: span.end,
        status: grant.status.as_str().to_owned(),
        booker_id: actor.id.clone(),
        organisation_id: grant.organisation_id.clone(),
        supervisor_id: grant.supervisor_id.clone(),
        group_label: draft.group_label.clone(),
        level: draft.level.clone(),
        purpose: draft.purpose.clone(),
        service_request_id: draft.service_request_id.clone(),
        series_id,
        status_reason: None,
        decided_by: None,
        decided_at: None,
        created_at: now,
        updated_at: now,
        recorded_after_the_fact: false,
    }
}

fn audit_created(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    row: &BookingRow,
    draft: &BookingDraft,
) -> ApiResult<()> {
    db::audit::record(
        conn,
        now,
        Some(&actor.id),
        "booking",
        &row.id,
        "created",
        created_changes(row, draft),
    )
}

/// What the audit trail keeps of a new booking.
fn created_changes(row: &BookingRow, draft: &BookingDraft) -> serde_json::Value {
    serde_json::json!({
        "platform_id": row.platform_id, "equipment_id": row.equipment_id, "stations": row.stations,
        "starts_at": row.starts_at, "ends_at": row.ends_at, "status": row.status, "organisation_id": row.organisation_id,
        "supervisor_id": row.supervisor_id, "learners": learners_rows(&draft.learners), "group_label": row.group_label,
        "series_id": row.series_id,
    })
}

/// What creating a booking or a series needs, inside its transaction: the target locked,
/// the caller's grant, the link to a service request checked, and the rules' context over
/// `window`.
fn prepare(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    tz: Tz,
    now: i64,
    draft: &BookingDraft,
    window: Span,
) -> ApiResult<(Target, Grant, BookingContext)> {
    let target = load_target(
        conn,
        draft.platform_id.as_deref(),
        draft.equipment_id.as_deref(),
        draft.stations,
    )?;
    let grant = authorise(
        conn,
        actor,
        &target.platform,
        draft.organisation_id.as_deref(),
        draft.supervisor_id.as_deref(),
    )?;
    if let Some(request_id) = &draft.service_request_id {
        crate::usecases::service_requests::check_bookable(conn, actor, request_id)?;
    }
    let ctx = load_context(conn, tz, now, &target, Some(&grant.holder(actor)), window)?;
    Ok((target, grant, ctx))
}

/// An occurrence that was not booked.
#[derive(Debug, Clone)]
pub struct Skip {
    pub span: Span,
    pub refusal: Refusal,
}

fn skip_json(skip: &Skip, tz: &Tz) -> serde_json::Value {
    serde_json::json!({
        "starts_at": crate::views::instant(skip.span.start, tz),
        "ends_at": crate::views::instant(skip.span.end, tz),
        "code": skip.refusal.code,
        "reason": skip.refusal.message,
    })
}

/// A decision applied to bookings: approval, rejection or cancellation.
pub(super) struct Decision<'a> {
    pub(super) actor: &'a CurrentUser,
    /// The audit trail's name of the action.
    pub(super) action: &'a str,
    pub(super) to: BookingStatus,
    pub(super) reason: Option<String>,
    pub(super) now: i64,
}

/// Moves a booking to the decided status and records who did it, when and why; `context`
/// adds facts to the audit event (the series, the maintenance window).
pub(super) fn decide_row(
    conn: &mut DbConnection,
    row: &mut BookingRow,
    decision: &Decision,
    context: serde_json::Value,
) -> ApiResult<()> {
    let before = std::mem::replace(&mut row.status, decision.to.as_str().to_owned());
    row.status_reason = decision.reason.clone();
    row.decided_by = Some(decision.actor.id.clone());
    row.decided_at = Some(decision.now);
    row.updated_at = decision.now;
    db::bookings::update(conn, row)?;
    let mut changes = serde_json::json!({ "from": before, "to": decision.to.as_str(), "reason": decision.reason });
    if let (Some(changes), serde_json::Value::Object(extra)) = (changes.as_object_mut(), context) {
        changes.extend(extra);
    }
    db::audit::record(
        conn,
        decision.now,
        Some(&decision.actor.id),
        "booking",
        &row.id,
        decision.action,
        changes,
    )
}

/// The bookings the caller may see (`access::booking_visibility`) that match `filter`, with
/// their learners. An account the caller cannot see filters their visible bookings down to
/// none, like any other filter: nothing is revealed, and nothing is refused.
pub fn list(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    filter: &BookingFilter,
    page: &Page,
) -> ApiResult<Listed<BookingDetails>> {
    let visibility = access::booking_visibility(actor)?;
    db::bookings::list(conn, &visibility, filter, page)?
        .try_map(|rows| db::bookings::with_learners(conn, rows))
}

/// One booking the caller may see, with its learners.
pub fn find(conn: &mut DbConnection, actor: &CurrentUser, id: &str) -> ApiResult<BookingDetails> {
    let row = access::visible_booking(conn, actor, id)?;
    db::completed(conn, row, db::bookings::with_learners)
}

/// The audit trail of a booking (the platform's managers, the director).
pub fn history(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    id: &str,
) -> ApiResult<Vec<db::audit::AuditRow>> {
    let row = access::visible_booking(conn, actor, id)?;
    access::require_manage_platform(conn, actor, &row.platform_id)?;
    db::audit::for_entity(conn, "booking", &row.id)
}
