//! The booking engine: each request is one write transaction that serialises bookings of a
//! platform, loads what the rules need, runs them (`domain::booking`) and writes the result.
//! The database constraints stay the last word against double booking.

use chrono_tz::Tz;

use crate::auth::CurrentUser;
use crate::db::bookings::BookingRow;
use crate::db::equipment::EquipmentRow;
use crate::db::platforms::PlatformRow;
use crate::db::{self, DbConnection};
use crate::domain::booking::{
    check, check_closure, initial_status, Ask, Booker, BookingContext, BookingStatus,
    EquipmentRules, LearnerStatus, LiveBooking, PlatformRules, Refusal, SeriesMode,
};
use crate::domain::opening_hours::WeeklyInterval;
use crate::domain::time::Span;
use crate::domain::{EquipmentStatus, OrganisationKind, Role, WhoMayBook};
use crate::error::{ApiError, ApiResult};
use crate::labels::Label;

mod batch;
pub use batch::{create_bookings, BookingRequest};

/// A checked booking request.
#[derive(Debug, Clone)]
pub struct BookingDraft {
    pub platform_id: Option<String>,
    pub equipment_id: Option<String>,
    pub stations: Option<i32>,
    pub span: Span,
    pub organisation_id: Option<String>,
    pub supervisor_id: Option<String>,
    pub learners: Vec<(LearnerStatus, i32)>,
    pub group_label: String,
    pub level: String,
    pub purpose: String,
    pub service_request_id: Option<String>,
}

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
        now: db::now(),
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
    // Booking in another organisation's name is for the director and the platform's own
    // managers; any other manager books for their own organisation, like everyone else.
    let may_book_for_others = actor.role == Role::Admin || manages;
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
    .map_err(Refusal::into_error)?;
    Ok(Grant {
        organisation_id: organisation_id.to_owned(),
        supervisor_id: supervisor_id.map(str::to_owned),
        status,
    })
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
    grant: &Grant,
    span: Span,
    series_id: Option<String>,
) -> BookingRow {
    let now = db::now();
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
    row: &BookingRow,
    draft: &BookingDraft,
) -> ApiResult<()> {
    db::audit::record(
        conn,
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
        crate::service_requests::check_bookable(conn, actor, request_id)?;
    }
    let ctx = load_context(conn, tz, &target, Some(&grant.holder(actor)), window)?;
    Ok((target, grant, ctx))
}

/// An occurrence that was not booked.
#[derive(Debug, Clone)]
pub struct Skip {
    pub span: Span,
    pub refusal: Refusal,
}

pub struct SeriesOutcome {
    pub series: db::series::SeriesRow,
    pub created: Vec<BookingRow>,
    pub skipped: Vec<Skip>,
}

/// Creates a recurring series. Occurrences in a closure are always skipped; any other broken
/// rule refuses the whole series (`all_or_nothing`) or skips that occurrence.
pub fn create_series(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    tz: Tz,
    draft: BookingDraft,
    rule: &str,
    mode: SeriesMode,
) -> ApiResult<SeriesOutcome> {
    let occurrences = crate::domain::recurrence::expand(rule, draft.span, &tz)?;
    let window = crate::domain::recurrence::envelope(&occurrences).ok_or_else(|| {
        ApiError::field(
            "rrule",
            "invalid_rrule",
            "la règle ne produit aucune occurrence",
        )
    })?;
    db::write_transaction(conn, |conn| {
        let (target, grant, mut ctx) = prepare(conn, actor, tz, &draft, window)?;
        let mut accepted = Vec::new();
        let mut skipped = Vec::new();
        let mut conflicts = Vec::new();
        for span in occurrences {
            if let Err(refusal) = check_closure(&ctx, span) {
                skipped.push(Skip { span, refusal });
                continue;
            }
            match check(
                &ctx,
                &Ask {
                    span,
                    stations: draft.stations,
                    ignore_booking_id: None,
                },
            ) {
                Ok(()) => {
                    ctx.live.push(LiveBooking {
                        id: format!("occurrence-{}", span.start),
                        span,
                        equipment_id: target.equipment.as_ref().map(|e| e.id.clone()),
                        stations: draft.stations,
                    });
                    accepted.push(span);
                }
                Err(refusal) if mode == SeriesMode::AllOrNothing => {
                    conflicts.push(Skip { span, refusal })
                }
                Err(refusal) => skipped.push(Skip { span, refusal }),
            }
        }
        if !conflicts.is_empty() {
            let listed: Vec<_> = conflicts.iter().map(|s| skip_json(s, &tz)).collect();
            return Err(ApiError::conflict(
                "series_conflicts",
                format!("{} occurrence(s) de la série ne peuvent pas être réservées ; rien n'a été créé. Voir « extra.conflicts », ou choisissez le mode qui saute les occurrences en conflit.", conflicts.len()),
            )
            .with_extra(serde_json::json!({ "conflicts": listed, "skipped": skipped.iter().map(|s| skip_json(s, &tz)).collect::<Vec<_>>() })));
        }
        if accepted.is_empty() {
            return Err(ApiError::conflict("series_empty", "Aucune occurrence de la série n'est réservable ; rien n'a été créé. Voir « extra.skipped ».")
                .with_extra(serde_json::json!({ "skipped": skipped.iter().map(|s| skip_json(s, &tz)).collect::<Vec<_>>() })));
        }
        let now = db::now();
        let series = db::series::SeriesRow {
            id: db::new_id(),
            rrule: rule.trim().trim_start_matches("RRULE:").to_owned(),
            mode: mode.as_str().to_owned(),
            platform_id: target.platform.id.clone(),
            equipment_id: target.equipment.as_ref().map(|e| e.id.clone()),
            booker_id: actor.id.clone(),
            organisation_id: grant.organisation_id.clone(),
            created_at: now,
            updated_at: now,
        };
        db::series::insert(conn, &series)?;
        let mut created = Vec::with_capacity(accepted.len());
        for span in accepted {
            let row = new_row(
                &draft,
                &target,
                actor,
                &grant,
                span,
                Some(series.id.clone()),
            );
            db::bookings::insert(conn, &row, &learners_rows(&draft.learners))?;
            audit_created(conn, actor, &row, &draft)?;
            created.push(row);
        }
        for skip in &skipped {
            db::series::insert_skip(
                conn,
                &series.id,
                skip.span.start,
                skip.span.end,
                skip.refusal.code,
                &skip.refusal.message,
            )?;
        }
        db::audit::record(
            conn,
            Some(&actor.id),
            "booking_series",
            &series.id,
            "created",
            serde_json::json!({
                "rrule": series.rrule, "mode": series.mode, "created": created.len(), "skipped": skipped.len(),
            }),
        )?;
        Ok(SeriesOutcome {
            series,
            created,
            skipped,
        })
    })
}

fn skip_json(skip: &Skip, tz: &Tz) -> serde_json::Value {
    serde_json::json!({
        "starts_at": crate::views::instant(skip.span.start, tz),
        "ends_at": crate::views::instant(skip.span.end, tz),
        "code": skip.refusal.code,
        "reason": skip.refusal.message,
    })
}

/// Whether the caller may see a booking (404 otherwise).
pub fn can_see(conn: &mut DbConnection, actor: &CurrentUser, row: &BookingRow) -> ApiResult<bool> {
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

pub fn visible_booking(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    id: &str,
) -> ApiResult<BookingRow> {
    let row = db::bookings::find(conn, id)?.ok_or_else(ApiError::not_found)?;
    if can_see(conn, actor, &row)? {
        Ok(row)
    } else {
        Err(ApiError::not_found())
    }
}

fn manages(conn: &mut DbConnection, actor: &CurrentUser, platform_id: &str) -> ApiResult<bool> {
    Ok(actor.role == Role::Admin
        || (actor.role == Role::Manager
            && db::platforms::is_manager(conn, &actor.id, platform_id)?))
}

/// Actions on a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Approve,
    Reject,
    Cancel,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Cancel => "cancel",
        }
    }
}

/// Actions the state machine allows from a status (whoever asks).
pub fn allowed_actions(status: BookingStatus) -> &'static [Action] {
    match status {
        BookingStatus::Pending => &[Action::Approve, Action::Reject, Action::Cancel],
        BookingStatus::Confirmed => &[Action::Cancel],
        BookingStatus::Rejected | BookingStatus::Cancelled => &[],
    }
}

pub fn transition(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    id: &str,
    action: Action,
    reason: Option<String>,
) -> ApiResult<BookingRow> {
    db::write_transaction(conn, |conn| {
        let mut row = visible_booking(conn, actor, id)?;
        let is_manager = manages(conn, actor, &row.platform_id)?;
        let permitted = match action {
            Action::Approve | Action::Reject => is_manager,
            Action::Cancel => is_manager || row.booker_id == actor.id,
        };
        if !permitted {
            return Err(ApiError::forbidden(match action {
                Action::Cancel => "Seuls l'auteur de la réservation, les responsables du plateau et l'administration peuvent l'annuler.",
                _ => "Seuls les responsables du plateau et l'administration décident des réservations en attente.",
            }));
        }
        let status = BookingStatus::from_db(&row.status)?;
        let allowed = allowed_actions(status);
        if !allowed.contains(&action) {
            let names: Vec<&str> = allowed.iter().map(|a| a.name()).collect();
            return Err(ApiError::conflict(
                "invalid_transition",
                format!("L'action « {} » n'est pas possible sur une réservation « {} » ; actions possibles : {}.", action.label(), status.label(),
                    crate::labels::join(allowed)),
            )
            .with_extra(serde_json::json!({ "allowed_actions": names })));
        }
        let reason = reason
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        if matches!(action, Action::Reject | Action::Cancel) && reason.is_none() {
            return Err(ApiError::field("reason", "required", "indiquez le motif"));
        }
        if reason.as_ref().is_some_and(|r| r.chars().count() > 1000) {
            return Err(ApiError::field(
                "reason",
                "too_long",
                "1000 caractères au plus",
            ));
        }
        let new_status = match action {
            Action::Approve => BookingStatus::Confirmed,
            Action::Reject => BookingStatus::Rejected,
            Action::Cancel => BookingStatus::Cancelled,
        };
        let decision = Decision {
            actor,
            action: action.name(),
            to: new_status,
            reason,
            now: db::now(),
        };
        decide_row(conn, &mut row, &decision, serde_json::json!({}))?;
        Ok(row)
    })
}

/// A decision applied to bookings: approval, rejection or cancellation.
struct Decision<'a> {
    actor: &'a CurrentUser,
    /// The audit trail's name of the action.
    action: &'a str,
    to: BookingStatus,
    reason: Option<String>,
    now: i64,
}

/// Moves a booking to the decided status and records who did it, when and why; `context`
/// adds facts to the audit event (the series, the maintenance window).
fn decide_row(
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
        Some(&decision.actor.id),
        "booking",
        &row.id,
        decision.action,
        changes,
    )
}

/// A change to a booking; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct BookingChange {
    pub span: Option<Span>,
    pub equipment_id: Option<String>,
    pub stations: Option<i32>,
    pub supervisor_id: Option<String>,
    pub learners: Option<Vec<(LearnerStatus, i32)>>,
    pub group_label: Option<String>,
    pub level: Option<String>,
    pub purpose: Option<String>,
}

impl BookingChange {
    /// Changes of time, equipment, stations or supervisor re-run every rule.
    fn needs_rules(&self) -> bool {
        self.span.is_some()
            || self.equipment_id.is_some()
            || self.stations.is_some()
            || self.supervisor_id.is_some()
    }
}

pub fn change_booking(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    tz: Tz,
    id: &str,
    change: BookingChange,
) -> ApiResult<BookingRow> {
    db::write_transaction(conn, |conn| {
        let mut row = visible_booking(conn, actor, id)?;
        let is_manager = manages(conn, actor, &row.platform_id)?;
        if !(is_manager || row.booker_id == actor.id) {
            return Err(ApiError::forbidden("Seuls l'auteur de la réservation, les responsables du plateau et l'administration peuvent la modifier."));
        }
        let status = BookingStatus::from_db(&row.status)?;
        if !status.is_live() {
            return Err(ApiError::conflict(
                "booking_not_live",
                format!(
                    "Une réservation « {} » ne peut plus être modifiée.",
                    status.label()
                ),
            ));
        }
        if change.stations.is_some() && row.equipment_id.is_some() {
            return Err(ApiError::field(
                "stations",
                "not_allowed",
                "cette réservation porte sur un équipement",
            ));
        }
        if change.equipment_id.is_some() && row.equipment_id.is_none() {
            return Err(ApiError::field(
                "equipment_id",
                "not_allowed",
                "cette réservation porte sur des postes du plateau",
            ));
        }
        let before = row.clone();
        if change.needs_rules() {
            let equipment_id = change.equipment_id.clone().or(row.equipment_id.clone());
            let stations = change.stations.or(row.stations);
            let target = load_target(
                conn,
                Some(&row.platform_id),
                equipment_id.as_deref(),
                stations,
            )?;
            if let Some(supervisor) = &change.supervisor_id {
                authorise(
                    conn,
                    actor,
                    &target.platform,
                    Some(&row.organisation_id),
                    Some(supervisor),
                )?;
            }
            let supervisor = change.supervisor_id.clone().or(row.supervisor_id.clone());
            let holder = supervisor.clone().unwrap_or_else(|| row.booker_id.clone());
            let span = change.span.unwrap_or(Span::new(row.starts_at, row.ends_at));
            let ctx = load_context(conn, tz, &target, Some(&holder), span)?;
            check(
                &ctx,
                &Ask {
                    span,
                    stations,
                    ignore_booking_id: Some(row.id.clone()),
                },
            )
            .map_err(Refusal::into_error)?;
            row.starts_at = span.start;
            row.ends_at = span.end;
            row.equipment_id = equipment_id;
            row.stations = stations;
            row.supervisor_id = supervisor;
            // A booker outside the owning organisation who changes a confirmed booking that
            // needed approval asks for approval again.
            if !is_manager
                && status == BookingStatus::Confirmed
                && target.platform.outside_requires_approval
                && row.organisation_id != target.platform.owner_organisation_id
            {
                row.status = BookingStatus::Pending.as_str().to_owned();
                row.decided_by = None;
                row.decided_at = None;
            }
        }
        if let Some(v) = &change.group_label {
            row.group_label = v.clone();
        }
        if let Some(v) = &change.level {
            row.level = v.clone();
        }
        if let Some(v) = &change.purpose {
            row.purpose = v.clone();
        }
        if let Some(learners) = &change.learners {
            db::bookings::set_learners(conn, &row.id, &learners_rows(learners))?;
        }
        row.updated_at = db::now();
        db::bookings::update(conn, &row)?;
        db::audit::record(
            conn,
            Some(&actor.id),
            "booking",
            &row.id,
            "updated",
            serde_json::json!({
                "starts_at": (before.starts_at != row.starts_at).then_some([before.starts_at, row.starts_at]),
                "ends_at": (before.ends_at != row.ends_at).then_some([before.ends_at, row.ends_at]),
                "equipment_id": (before.equipment_id != row.equipment_id).then(|| [before.equipment_id.clone(), row.equipment_id.clone()]),
                "stations": (before.stations != row.stations).then_some([before.stations, row.stations]),
                "supervisor_id": (before.supervisor_id != row.supervisor_id).then(|| [before.supervisor_id.clone(), row.supervisor_id.clone()]),
                "status": (before.status != row.status).then(|| [before.status.clone(), row.status.clone()]),
                "learners": change.learners.as_ref().map(|l| learners_rows(l)),
                "group_label": change.group_label, "level": change.level, "purpose": change.purpose,
            }),
        )?;
        Ok(row)
    })
}

/// The occurrences of a series the caller may act on: still to come, from `from` on.
fn upcoming(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    series_id: &str,
    from: Option<i64>,
) -> ApiResult<(db::series::SeriesRow, Vec<BookingRow>, bool)> {
    let series = db::series::find(conn, series_id)?.ok_or_else(ApiError::not_found)?;
    let all = db::bookings::in_series(conn, series_id)?;
    let Some(first) = all.first() else {
        return Err(ApiError::not_found());
    };
    if !can_see(conn, actor, first)? {
        return Err(ApiError::not_found());
    }
    let is_manager = manages(conn, actor, &series.platform_id)?;
    if !(is_manager || series.booker_id == actor.id) {
        return Err(ApiError::forbidden("Seuls l'auteur de la série, les responsables du plateau et l'administration peuvent la modifier."));
    }
    let from = from.unwrap_or(i64::MIN).max(db::now());
    let rows = all
        .into_iter()
        .filter(|b| {
            b.starts_at >= from
                && BookingStatus::parse(&b.status).is_some_and(BookingStatus::is_live)
        })
        .collect();
    Ok((series, rows, is_manager))
}

/// Cancels the occurrences still to come (from `from` on); returns how many.
pub fn cancel_series(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    series_id: &str,
    from: Option<i64>,
    reason: &str,
) -> ApiResult<usize> {
    db::write_transaction(conn, |conn| {
        let (series, rows, _) = upcoming(conn, actor, series_id, from)?;
        let now = db::now();
        let decision = Decision {
            actor,
            action: "cancel",
            to: BookingStatus::Cancelled,
            reason: Some(reason.to_owned()),
            now,
        };
        for mut row in rows.iter().cloned() {
            decide_row(
                conn,
                &mut row,
                &decision,
                serde_json::json!({ "series_id": series.id }),
            )?;
        }
        db::series::touch(conn, &series.id, now)?;
        db::audit::record(
            conn,
            Some(&actor.id),
            "booking_series",
            &series.id,
            "cancelled",
            serde_json::json!({
                "from": from, "reason": reason, "cancelled": rows.len(),
            }),
        )?;
        Ok(rows.len())
    })
}

/// A change to the occurrences of a series still to come.
#[derive(Debug, Default)]
pub struct SeriesChange {
    pub from: Option<i64>,
    /// New local start and end times, in minutes since midnight.
    pub start_minute: Option<i32>,
    pub end_minute: Option<i32>,
    pub supervisor_id: Option<String>,
    pub group_label: Option<String>,
    pub level: Option<String>,
    pub purpose: Option<String>,
}

/// Changes the occurrences still to come, all or none: a changed time or supervisor re-runs
/// every rule on every occurrence, and one refusal refuses the whole change.
pub fn change_series(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    tz: Tz,
    series_id: &str,
    change: SeriesChange,
) -> ApiResult<usize> {
    use crate::domain::time::{date_at_minute, local};
    db::write_transaction(conn, |conn| {
        let (series, rows, _) = upcoming(conn, actor, series_id, change.from)?;
        let mut conflicts = Vec::new();
        let mut changed = Vec::with_capacity(rows.len());
        let rules = change.start_minute.is_some()
            || change.end_minute.is_some()
            || change.supervisor_id.is_some();
        let target = if rules {
            Some(load_target(
                conn,
                Some(&series.platform_id),
                series.equipment_id.as_deref(),
                rows.first()
                    .and_then(|r| r.stations)
                    .or(series.equipment_id.is_none().then_some(1)),
            )?)
        } else {
            None
        };
        if let (Some(target), Some(supervisor)) = (&target, &change.supervisor_id) {
            authorise(
                conn,
                actor,
                &target.platform,
                Some(&series.organisation_id),
                Some(supervisor),
            )?;
        }
        for row in &rows {
            let day = local(row.starts_at, &tz).date_naive();
            let start_minute = change
                .start_minute
                .unwrap_or_else(|| minute_of(row.starts_at, &tz));
            let end_minute = change
                .end_minute
                .unwrap_or_else(|| minute_of(row.ends_at, &tz));
            let span = Span::new(
                date_at_minute(day, start_minute, &tz),
                date_at_minute(day, end_minute, &tz),
            );
            let supervisor = change.supervisor_id.clone().or(row.supervisor_id.clone());
            if let Some(target) = &target {
                let holder = supervisor.clone().unwrap_or_else(|| row.booker_id.clone());
                let mut ctx = load_context(conn, tz, target, Some(&holder), span)?;
                // The series' own occurrences move together.
                ctx.live.retain(|b| !rows.iter().any(|r| r.id == b.id));
                if let Err(refusal) = check(
                    &ctx,
                    &Ask {
                        span,
                        stations: row.stations,
                        ignore_booking_id: Some(row.id.clone()),
                    },
                ) {
                    conflicts.push(skip_json(&Skip { span, refusal }, &tz));
                    continue;
                }
            }
            let mut updated = row.clone();
            updated.starts_at = span.start;
            updated.ends_at = span.end;
            updated.supervisor_id = supervisor;
            if let Some(v) = &change.group_label {
                updated.group_label = v.clone();
            }
            if let Some(v) = &change.level {
                updated.level = v.clone();
            }
            if let Some(v) = &change.purpose {
                updated.purpose = v.clone();
            }
            updated.updated_at = db::now();
            changed.push(updated);
        }
        if !conflicts.is_empty() {
            return Err(ApiError::conflict(
                "series_conflicts",
                format!("{} occurrence(s) ne peuvent pas être modifiées ainsi ; rien n'a été changé. Voir « extra.conflicts ».", conflicts.len()),
            )
            .with_extra(serde_json::json!({ "conflicts": conflicts })));
        }
        for row in &changed {
            db::bookings::update(conn, row)?;
            db::audit::record(
                conn,
                Some(&actor.id),
                "booking",
                &row.id,
                "updated",
                serde_json::json!({
                    "starts_at": row.starts_at, "ends_at": row.ends_at, "supervisor_id": change.supervisor_id,
                    "group_label": change.group_label, "level": change.level, "purpose": change.purpose, "series_id": series.id,
                }),
            )?;
        }
        db::series::touch(conn, &series.id, db::now())?;
        Ok(changed.len())
    })
}

fn minute_of(seconds: i64, tz: &Tz) -> i32 {
    use chrono::Timelike;
    let t = crate::domain::time::local(seconds, tz);
    (t.hour() * 60 + t.minute()) as i32
}

/// A maintenance window; overlapping live bookings refuse it unless `force`, which cancels them.
pub fn create_maintenance(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    tz: Tz,
    equipment_id: &str,
    span: Span,
    reason: &str,
    force: bool,
) -> ApiResult<(db::closures::MaintenanceRow, Vec<String>)> {
    db::write_transaction(conn, |conn| {
        // Locked like a booking of the item, so that no booking slips in meanwhile.
        let equipment = db::equipment::find_locked(conn, equipment_id)?.ok_or_else(|| {
            ApiError::field("equipment_id", "unknown_reference", "équipement inconnu")
        })?;
        if !manages(conn, actor, &equipment.platform_id)? {
            return Err(ApiError::forbidden(
                "Seuls les responsables du plateau et l'administration planifient la maintenance.",
            ));
        }
        let overlapping = db::bookings::live_on_equipment(conn, equipment_id, span)?;
        if !overlapping.is_empty() && !force {
            let listed: Vec<_> = overlapping
                .iter()
                .map(|b| serde_json::json!({
                    "booking_id": b.id, "status": b.status, "organisation_id": b.organisation_id,
                    "starts_at": crate::views::instant(b.starts_at, &tz), "ends_at": crate::views::instant(b.ends_at, &tz),
                }))
                .collect();
            return Err(ApiError::conflict(
                "maintenance_conflicts",
                format!("{} réservation(s) tombent dans cette période ; rien n'a été créé. Renvoyez la demande avec « force: true » pour les annuler.", overlapping.len()),
            )
            .with_extra(serde_json::json!({ "bookings": listed })));
        }
        let now = db::now();
        let row = db::closures::MaintenanceRow {
            id: db::new_id(),
            equipment_id: equipment_id.to_owned(),
            starts_at: span.start,
            ends_at: span.end,
            reason: reason.to_owned(),
            created_by: Some(actor.id.clone()),
            created_at: now,
        };
        let decision = Decision {
            actor,
            action: "cancel",
            to: BookingStatus::Cancelled,
            reason: Some(format!("Maintenance de l'équipement : {reason}")),
            now,
        };
        let mut cancelled = Vec::new();
        for mut booking in overlapping {
            decide_row(
                conn,
                &mut booking,
                &decision,
                serde_json::json!({ "maintenance_window_id": row.id }),
            )?;
            cancelled.push(booking.id);
        }
        db::closures::insert_maintenance(conn, &row)?;
        db::audit::record(
            conn,
            Some(&actor.id),
            "maintenance_window",
            &row.id,
            "created",
            serde_json::json!({
                "equipment_id": equipment_id, "starts_at": span.start, "ends_at": span.end, "reason": reason, "cancelled_bookings": cancelled,
            }),
        )?;
        Ok((row, cancelled))
    })
}

/// Free time of a platform or equipment item.
pub fn availability(
    conn: &mut DbConnection,
    tz: Tz,
    platform_id: Option<&str>,
    equipment_id: Option<&str>,
    window: Span,
) -> ApiResult<(PlatformRow, Vec<(Span, i32)>)> {
    let equipment = match equipment_id {
        Some(id) => Some(db::equipment::find(conn, id)?.ok_or_else(ApiError::not_found)?),
        None => None,
    };
    let platform_id = match (&equipment, platform_id) {
        (Some(e), _) => e.platform_id.clone(),
        (None, Some(p)) => p.to_owned(),
        (None, None) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "Indiquez platform_id ou equipment_id.",
            ))
        }
    };
    let (platform, opening_hours) =
        db::platforms::find_with_hours(conn, &platform_id)?.ok_or_else(ApiError::not_found)?;
    let target = Target {
        platform,
        opening_hours,
        equipment,
    };
    // Nobody's qualifications matter here.
    let ctx = load_context(conn, tz, &target, None, window)?;
    let free = crate::domain::booking::availability(&ctx, window);
    Ok((target.platform, free))
}

/// A checked usage record.
#[derive(Debug, Clone)]
pub struct UsageDraft {
    pub no_show: bool,
    pub actual: Option<Span>,
    pub learners: Vec<(LearnerStatus, i32)>,
    pub machine_time: Vec<(String, i32)>,
    pub consumables: String,
    pub incident: bool,
    pub incident_note: String,
}

/// Records a session that happened without a booking (a walk-in, a booking forgotten): its
/// confirmed booking, marked as recorded after the fact, and its usage record, in one
/// transaction. The platform's managers and the director only. The conflict rules hold (no
/// overlap on the same item, stations within the count); notice, horizon, opening hours
/// and the past do not, since the session already happened.
pub fn record_past_session(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    tz: Tz,
    draft: &BookingDraft,
    usage: &UsageDraft,
) -> ApiResult<(BookingRow, db::usage::UsageRow)> {
    db::write_transaction(conn, |conn| {
        // Who may is settled first: the booking rules would refuse others for other reasons.
        let platform_id = match &draft.equipment_id {
            Some(id) => db::equipment::find(conn, id)?.map(|e| e.platform_id),
            None => draft.platform_id.clone(),
        };
        if let Some(platform_id) = platform_id {
            if !manages(conn, actor, &platform_id)? {
                return Err(ApiError::forbidden(
                    "Seuls les responsables du plateau et l'administration enregistrent une séance après coup.",
                ));
            }
        }
        let (target, grant, ctx) = prepare(conn, actor, tz, draft, draft.span)?;
        if draft.span.end > db::now() {
            return Err(ApiError::field(
                "booking.ends_at",
                "not_yet_past",
                "une séance s'enregistre après coup une fois terminée ; sinon, réservez-la",
            ));
        }
        let ask = Ask {
            span: draft.span,
            stations: draft.stations,
            ignore_booking_id: None,
        };
        crate::domain::booking::check_conflicts(&ctx, &ask).map_err(Refusal::into_error)?;
        let grant = Grant {
            status: BookingStatus::Confirmed,
            ..grant
        };
        let mut row = new_row(draft, &target, actor, &grant, draft.span, None);
        row.recorded_after_the_fact = true;
        row.decided_by = Some(actor.id.clone());
        row.decided_at = Some(row.created_at);
        db::bookings::insert(conn, &row, &learners_rows(&draft.learners))?;
        let mut changes = created_changes(&row, draft);
        changes["recorded_after_the_fact"] = serde_json::json!(true);
        db::audit::record(
            conn,
            Some(&actor.id),
            "booking",
            &row.id,
            "created",
            changes,
        )?;
        let usage = record_usage(conn, actor, &row.id, usage)?;
        Ok((row, usage))
    })
}

/// Records (or corrects) what really happened in a past confirmed booking: its platform's
/// managers and the director, or its booker where the platform lets bookers report.
/// Corrections keep the previous record in the audit trail.
pub fn record_usage(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    booking_id: &str,
    draft: &UsageDraft,
) -> ApiResult<db::usage::UsageRow> {
    db::write_transaction(conn, |conn| {
        let booking = visible_booking(conn, actor, booking_id)?;
        let platform =
            db::platforms::find(conn, &booking.platform_id)?.ok_or_else(ApiError::not_found)?;
        let allowed = manages(conn, actor, &booking.platform_id)?
            || (platform.bookers_record_usage && booking.booker_id == actor.id);
        if !allowed {
            return Err(ApiError::forbidden("Seuls les responsables du plateau (et l'auteur de la réservation si le plateau le permet) renseignent l'usage réel."));
        }
        if BookingStatus::from_db(&booking.status)? != BookingStatus::Confirmed {
            return Err(ApiError::conflict(
                "not_reportable",
                format!(
                    "Une réservation « {} » n'a pas d'usage à renseigner.",
                    crate::labels::label_of(&booking.status, BookingStatus::parse)
                ),
            ));
        }
        if booking.ends_at > db::now() {
            return Err(ApiError::conflict(
                "not_yet_past",
                "L'usage se renseigne une fois la séance terminée.",
            ));
        }
        if let Some(actual) = draft.actual {
            let booked = Span::new(booking.starts_at, booking.ends_at);
            let errors = crate::domain::usage::outside_booking(booked, actual);
            if !errors.is_empty() {
                return Err(ApiError::validation(errors));
            }
            for (equipment_id, minutes) in &draft.machine_time {
                let item = db::equipment::find(conn, equipment_id)?
                    .filter(|e| e.platform_id == booking.platform_id)
                    .ok_or_else(|| {
                        ApiError::field(
                            "machine_time",
                            "unknown_reference",
                            "équipement inconnu sur ce plateau",
                        )
                    })?;
                if i64::from(*minutes) * 60 > actual.seconds() {
                    return Err(ApiError::field(
                        "machine_time",
                        "out_of_range",
                        format!(
                            "« {} » ne peut pas tourner plus longtemps que la séance",
                            item.name
                        ),
                    ));
                }
            }
        }
        let before = db::usage::find(conn, &booking.id)?;
        let previous_learners = match &before {
            Some(_) => db::usage::learners_of(conn, &booking.id)?,
            None => Vec::new(),
        };
        let now = db::now();
        let row = db::usage::UsageRow {
            booking_id: booking.id.clone(),
            no_show: draft.no_show,
            actual_start: draft.actual.map(|a| a.start),
            actual_end: draft.actual.map(|a| a.end),
            consumables: draft.consumables.clone(),
            incident: draft.incident,
            incident_note: draft.incident_note.clone(),
            recorded_by: Some(actor.id.clone()),
            recorded_at: before.as_ref().map(|b| b.recorded_at).unwrap_or(now),
            updated_at: now,
        };
        let learners = learners_rows(&draft.learners);
        db::usage::save(conn, &row, &learners, &draft.machine_time, before.is_some())?;
        let record = serde_json::json!({
            "no_show": row.no_show, "actual_start": row.actual_start, "actual_end": row.actual_end,
            "learners": learners, "machine_time": draft.machine_time, "consumables": row.consumables,
            "incident": row.incident, "incident_note": row.incident_note,
        });
        let (action, changes) = match &before {
            None => ("usage_recorded", serde_json::json!({ "record": record })),
            Some(previous) => (
                "usage_corrected",
                serde_json::json!({
                    "record": record,
                    "previous": {
                        "no_show": previous.no_show, "actual_start": previous.actual_start, "actual_end": previous.actual_end,
                        "learners": previous_learners,
                        "consumables": previous.consumables, "incident": previous.incident, "incident_note": previous.incident_note,
                        "recorded_by": previous.recorded_by,
                    },
                }),
            ),
        };
        db::audit::record(
            conn,
            Some(&actor.id),
            "booking",
            &booking.id,
            action,
            changes,
        )?;
        Ok(row)
    })
}
