//! Booking rules: what may be booked when, by whom, and in which initial state. Plain
//! functions over a `BookingContext` that the database layer fills.

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;

use super::notifications::Locale;
use super::opening_hours::WeeklyInterval;
use super::plural;
use super::time::{local, opening_spans, subtract, Span};
use super::{EquipmentStatus, Role, WhoMayBook};

super::text_enum! {
    /// Who a session serves.
    LearnerStatus {
        School => "school",
        Apprentice => "apprentice",
        ContinuingEducation => "continuing_education",
        HigherEducation => "higher_education",
        Company => "company",
        Research => "research",
    }
}

super::text_enum! {
    BookingStatus {
        Pending => "pending",
        Confirmed => "confirmed",
        Rejected => "rejected",
        Cancelled => "cancelled",
    }
}

super::text_enum! {
    /// What a series does with occurrences that break a rule (closures are always skipped).
    SeriesMode {
        AllOrNothing => "all_or_nothing",
        SkipConflicts => "skip_conflicts",
    }
}

impl BookingStatus {
    /// Pending and confirmed bookings hold their slot.
    pub fn is_live(self) -> bool {
        matches!(self, BookingStatus::Pending | BookingStatus::Confirmed)
    }
}

super::text_enum! {
    /// Which rule refuses a booking (or one occurrence of a series): the `code` of the
    /// refusal; `src/error.rs` gives each its HTTP status.
    RefusalKind {
        BookingConflict => "booking_conflict",
        NotEnoughStations => "not_enough_stations",
        Closed => "closed",
        EquipmentUnavailable => "equipment_unavailable",
        EquipmentInMaintenance => "equipment_in_maintenance",
        InvalidTimeRange => "invalid_time_range",
        InThePast => "in_the_past",
        NoticeTooShort => "notice_too_short",
        BeyondHorizon => "beyond_horizon",
        DurationTooLong => "duration_too_long",
        OutsideOpeningHours => "outside_opening_hours",
        QualificationMissing => "qualification_missing",
        BookingNotAllowed => "booking_not_allowed",
    }
}

impl PartialEq<&str> for RefusalKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Why a booking (or one occurrence of a series) cannot be made.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Refusal {
    /// Stable machine code, e.g. `booking_conflict`.
    pub code: RefusalKind,
    /// What is wrong and what to change (French).
    pub message: String,
}

impl Refusal {
    fn new(code: RefusalKind, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
        }
    }
}

pub struct PlatformRules {
    pub name: String,
    pub stations: i32,
    pub opening_hours: Vec<WeeklyInterval>,
    pub min_notice_hours: i32,
    pub max_horizon_days: i32,
    pub max_duration_minutes: i32,
}

pub struct EquipmentRules {
    pub name: String,
    pub status: EquipmentStatus,
    /// `(id, name)` of every qualification the item requires.
    pub required_qualifications: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct HeldQualification {
    pub qualification_id: String,
    pub awarded_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
}

/// Another live booking of the same platform.
#[derive(Debug, Clone)]
pub struct LiveBooking {
    pub id: String,
    pub span: Span,
    pub equipment_id: Option<String>,
    pub stations: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct ClosureSpan {
    pub span: Span,
    pub name: String,
}

/// Everything the rules need about one platform (and equipment item) over a period.
pub struct BookingContext {
    pub tz: Tz,
    pub now: i64,
    pub platform: PlatformRules,
    pub equipment: Option<(String, EquipmentRules)>,
    pub closures: Vec<ClosureSpan>,
    pub maintenance: Vec<(Span, String)>,
    pub live: Vec<LiveBooking>,
    /// Name and qualifications of the person whose qualifications gate the booking.
    pub holder: Option<(String, Vec<HeldQualification>)>,
}

/// What is asked: a span, and either the equipment item of the context or some stations.
pub struct Ask {
    pub span: Span,
    pub stations: Option<i32>,
    /// When changing a booking, the booking itself does not conflict.
    pub ignore_booking_id: Option<String>,
}

fn fmt_local(seconds: i64, tz: &Tz) -> String {
    local(seconds, tz).format("%d/%m/%Y %H:%M").to_string()
}

pub fn check_closure(ctx: &BookingContext, span: Span) -> Result<(), Refusal> {
    if let Some(c) = ctx.closures.iter().find(|c| c.span.overlaps(&span)) {
        return Err(Refusal::new(
            RefusalKind::Closed,
            format!(
                "Le plateau est fermé du {} au {} ({}).",
                fmt_local(c.span.start, &ctx.tz),
                fmt_local(c.span.end, &ctx.tz),
                c.name
            ),
        ));
    }
    Ok(())
}

/// Every rule, in the order a person would want to hear about them.
pub fn check(ctx: &BookingContext, ask: &Ask) -> Result<(), Refusal> {
    let span = ask.span;
    let tz = &ctx.tz;
    if span.start >= span.end {
        return Err(Refusal::new(
            RefusalKind::InvalidTimeRange,
            "Le début doit précéder la fin.",
        ));
    }
    let p = &ctx.platform;
    let minutes = span.seconds() / 60;
    if minutes > i64::from(p.max_duration_minutes) {
        return Err(Refusal::new(
            RefusalKind::DurationTooLong,
            format!(
                "Une réservation de « {} » dure au plus {} minutes ; celle-ci en dure {minutes}.",
                p.name, p.max_duration_minutes
            ),
        ));
    }
    if span.start < ctx.now {
        return Err(Refusal::new(
            RefusalKind::InThePast,
            format!(
                "Le créneau du {} est déjà passé : choisissez un début après le {}.",
                fmt_local(span.start, tz),
                fmt_local(ctx.now + i64::from(p.min_notice_hours) * 3600, tz)
            ),
        ));
    }
    if span.start < ctx.now + i64::from(p.min_notice_hours) * 3600 {
        return Err(Refusal::new(
            RefusalKind::NoticeTooShort,
            format!(
                "« {} » se réserve au moins {} h à l'avance : choisissez un début après le {}.",
                p.name,
                p.min_notice_hours,
                fmt_local(ctx.now + i64::from(p.min_notice_hours) * 3600, tz)
            ),
        ));
    }
    if span.start > ctx.now + i64::from(p.max_horizon_days) * 86_400 {
        return Err(Refusal::new(
            RefusalKind::BeyondHorizon,
            format!(
                "« {} » se réserve au plus {} jours à l'avance.",
                p.name, p.max_horizon_days
            ),
        ));
    }
    let open = opening_spans(&p.opening_hours, tz, span);
    if !open.iter().any(|o| o.contains(&span)) {
        let day: Vec<String> =
            opening_spans(&p.opening_hours, tz, Span::new(span.start, span.start + 1))
                .iter()
                .filter(|o| local(o.start, tz).date_naive() == local(span.start, tz).date_naive())
                .map(|o| {
                    format!(
                        "{}–{}",
                        local(o.start, tz).format("%H:%M"),
                        local(o.end, tz).format("%H:%M")
                    )
                })
                .collect();
        let hours = if day.is_empty() {
            "fermé ce jour-là".to_owned()
        } else {
            format!("ouvert {}", day.join(", "))
        };
        return Err(Refusal::new(
            RefusalKind::OutsideOpeningHours,
            format!(
                "Le créneau du {} au {} sort des heures d'ouverture de « {} » ({hours}).",
                fmt_local(span.start, tz),
                fmt_local(span.end, tz),
                p.name
            ),
        ));
    }
    check_closure(ctx, span)?;
    if let Some((_, equipment)) = &ctx.equipment {
        if equipment.status != EquipmentStatus::Available {
            return Err(Refusal::new(
                RefusalKind::EquipmentUnavailable,
                format!(
                    "« {} » n'est pas disponible (état : {}).",
                    equipment.name,
                    crate::labels::Label::label(equipment.status)
                ),
            ));
        }
        if let Some((window, reason)) = ctx.maintenance.iter().find(|(m, _)| m.overlaps(&span)) {
            return Err(Refusal::new(
                RefusalKind::EquipmentInMaintenance,
                format!(
                    "« {} » est en maintenance du {} au {} ({reason}).",
                    equipment.name,
                    fmt_local(window.start, tz),
                    fmt_local(window.end, tz)
                ),
            ));
        }
        check_qualifications(ctx, equipment, span)?;
    }
    check_conflicts(ctx, ask)
}

/// The conflict rules alone: no other live booking of the same item, and stations within
/// the platform's count. Sessions recorded after the fact obey these and no others.
pub fn check_conflicts(ctx: &BookingContext, ask: &Ask) -> Result<(), Refusal> {
    let span = ask.span;
    let tz = &ctx.tz;
    let p = &ctx.platform;
    let others = ctx
        .live
        .iter()
        .filter(|b| b.span.overlaps(&span) && Some(&b.id) != ask.ignore_booking_id.as_ref());
    match (&ctx.equipment, ask.stations) {
        (Some((equipment_id, equipment)), _) => {
            if let Some(other) = others
                .clone()
                .find(|b| b.equipment_id.as_ref() == Some(equipment_id))
            {
                return Err(Refusal::new(
                    RefusalKind::BookingConflict,
                    format!(
                        "« {} » est déjà réservé du {} au {} : choisissez un autre créneau.",
                        equipment.name,
                        fmt_local(other.span.start, tz),
                        fmt_local(other.span.end, tz)
                    ),
                ));
            }
        }
        (None, Some(wanted)) => {
            let used = peak_stations(others, span);
            let free = p.stations - used;
            if wanted > free {
                let free = free.max(0);
                let left = match free {
                    0 => format!("Aucun poste libre sur {} à ce créneau", p.stations),
                    n => format!(
                        "Il reste {} sur {} à ce créneau",
                        plural::counted(n, Locale::French, "poste libre", "postes libres"),
                        p.stations
                    ),
                };
                return Err(Refusal::new(
                    RefusalKind::NotEnoughStations,
                    format!(
                        "{left} ; {wanted} {}.",
                        plural::french(wanted, "demandé", "demandés")
                    ),
                ));
            }
        }
        (None, None) => {}
    }
    Ok(())
}

fn check_qualifications(
    ctx: &BookingContext,
    equipment: &EquipmentRules,
    span: Span,
) -> Result<(), Refusal> {
    if equipment.required_qualifications.is_empty() {
        return Ok(());
    }
    let first_day = local(span.start, &ctx.tz).date_naive();
    let last_day = local(span.end - 1, &ctx.tz).date_naive();
    let (holder_name, held) = match &ctx.holder {
        Some((name, held)) => (name.as_str(), held.as_slice()),
        None => ("la personne responsable", &[][..]),
    };
    let missing: Vec<&str> = equipment
        .required_qualifications
        .iter()
        .filter(|(id, _)| {
            !held.iter().any(|h| {
                &h.qualification_id == id
                    && h.awarded_on <= first_day
                    && h.expires_on.is_none_or(|e| e >= last_day)
            })
        })
        .map(|(_, name)| name.as_str())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Refusal::new(
            RefusalKind::QualificationMissing,
        format!(
            "« {} » exige l'habilitation {} : {holder_name} n'en a pas de valide le {}. Choisissez un encadrant habilité ou faites renouveler l'habilitation.",
            equipment.name,
            missing.iter().map(|m| format!("« {m} »")).collect::<Vec<_>>().join(", "),
            first_day.format("%d/%m/%Y"),
        ),
    ))
}

/// The largest number of stations held at one time within `span` by station bookings.
pub fn peak_stations<'a>(bookings: impl IntoIterator<Item = &'a LiveBooking>, span: Span) -> i32 {
    let mut events: Vec<(i64, i32)> = Vec::new();
    for b in bookings {
        let Some(n) = b.stations else { continue };
        if !b.span.overlaps(&span) {
            continue;
        }
        events.push((b.span.start.max(span.start), n));
        events.push((b.span.end.min(span.end), -n));
    }
    // Ends sort before starts at the same instant: back-to-back bookings do not add up.
    events.sort_by_key(|&(t, delta)| (t, delta));
    let (mut current, mut peak) = (0, 0);
    for (_, delta) in events {
        current += delta;
        peak = peak.max(current);
    }
    peak
}

/// Free time of a platform (with free stations) or of an equipment item over `window`.
pub fn availability(ctx: &BookingContext, window: Span) -> Vec<(Span, i32)> {
    let open = opening_spans(&ctx.platform.opening_hours, &ctx.tz, window)
        .into_iter()
        .map(|s| Span::new(s.start.max(window.start), s.end.min(window.end)))
        .filter(|s| s.start < s.end)
        .collect::<Vec<_>>();
    let closed: Vec<Span> = ctx.closures.iter().map(|c| c.span).collect();
    let open = subtract(&open, &closed);
    match &ctx.equipment {
        Some((equipment_id, equipment)) => {
            if equipment.status != EquipmentStatus::Available {
                return Vec::new();
            }
            let mut busy: Vec<Span> = ctx.maintenance.iter().map(|(s, _)| *s).collect();
            busy.extend(
                ctx.live
                    .iter()
                    .filter(|b| b.equipment_id.as_ref() == Some(equipment_id))
                    .map(|b| b.span),
            );
            subtract(&open, &busy).into_iter().map(|s| (s, 1)).collect()
        }
        None => {
            let mut out: Vec<(Span, i32)> = Vec::new();
            for span in open {
                let within: Vec<&LiveBooking> = ctx
                    .live
                    .iter()
                    .filter(|b| b.stations.is_some() && b.span.overlaps(&span))
                    .collect();
                // Cut the open span at every start and end of a station booking.
                let mut cuts = vec![span.start, span.end];
                for b in &within {
                    cuts.push(b.span.start.clamp(span.start, span.end));
                    cuts.push(b.span.end.clamp(span.start, span.end));
                }
                cuts.sort_unstable();
                cuts.dedup();
                for pair in cuts.windows(2) {
                    let piece = Span::new(pair[0], pair[1]);
                    let free = ctx.platform.stations - peak_stations(within.iter().copied(), piece);
                    if free <= 0 {
                        continue;
                    }
                    match out.last_mut() {
                        Some((last, n)) if last.end == piece.start && *n == free => {
                            last.end = piece.end
                        }
                        _ => out.push((piece, free)),
                    }
                }
            }
            out
        }
    }
}

/// Who is booking, as the policy sees it.
pub struct Booker<'a> {
    pub role: Role,
    pub organisation_id: &'a str,
    pub organisation_is_company: bool,
    pub member_of_platform_campus: bool,
    pub manages_platform: bool,
}

/// Whether the booker may book this platform, and whether the booking waits for approval.
pub fn initial_status(
    booker: &Booker,
    owner_organisation_id: &str,
    who_may_book: WhoMayBook,
    outside_requires_approval: bool,
) -> Result<BookingStatus, Refusal> {
    if booker.role == Role::Admin || booker.manages_platform {
        return Ok(BookingStatus::Confirmed);
    }
    if booker.role == Role::Observer {
        return Err(Refusal::new(
            RefusalKind::BookingNotAllowed,
            "Le comité de pilotage consulte les indicateurs mais ne réserve pas.",
        ));
    }
    let insider = booker.organisation_id == owner_organisation_id;
    let allowed = match who_may_book {
        WhoMayBook::OwnerOnly => insider,
        WhoMayBook::CampusMembers => {
            insider || (booker.member_of_platform_campus && !booker.organisation_is_company)
        }
        WhoMayBook::Anyone => true,
    };
    if !allowed {
        let who = match who_may_book {
            WhoMayBook::OwnerOnly => "au personnel de l'établissement qui le possède",
            WhoMayBook::CampusMembers => "aux membres du campus",
            WhoMayBook::Anyone => "à tous",
        };
        return Err(Refusal::new(
            RefusalKind::BookingNotAllowed,
            format!("Ce plateau n'est ouvert à la réservation qu'{who}."),
        ));
    }
    Ok(if !insider && outside_requires_approval {
        BookingStatus::Pending
    } else {
        BookingStatus::Confirmed
    })
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
    pub fn needs_rules(&self) -> bool {
        self.span.is_some()
            || self.equipment_id.is_some()
            || self.stations.is_some()
            || self.supervisor_id.is_some()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn b(start: i64, end: i64, stations: i32) -> LiveBooking {
        LiveBooking {
            id: format!("{start}-{end}"),
            span: Span::new(start, end),
            equipment_id: None,
            stations: Some(stations),
        }
    }

    #[test]
    fn peak_counts_only_simultaneous_bookings() {
        let bookings = vec![b(0, 10, 5), b(10, 20, 5), b(5, 15, 3)];
        assert_eq!(peak_stations(&bookings, Span::new(0, 20)), 8);
        assert_eq!(peak_stations(&bookings, Span::new(16, 20)), 5);
    }

    #[test]
    fn outsiders_wait_for_approval() {
        let teacher = Booker {
            role: Role::Teacher,
            organisation_id: "b",
            organisation_is_company: false,
            member_of_platform_campus: true,
            manages_platform: false,
        };
        assert_eq!(
            initial_status(&teacher, "a", WhoMayBook::CampusMembers, true),
            Ok(BookingStatus::Pending)
        );
        assert_eq!(
            initial_status(&teacher, "b", WhoMayBook::CampusMembers, true),
            Ok(BookingStatus::Confirmed)
        );
        assert_eq!(
            initial_status(&teacher, "a", WhoMayBook::OwnerOnly, true)
                .unwrap_err()
                .code,
            "booking_not_allowed"
        );
        let company = Booker {
            role: Role::Company,
            organisation_id: "c",
            organisation_is_company: true,
            member_of_platform_campus: true,
            manages_platform: false,
        };
        assert_eq!(
            initial_status(&company, "a", WhoMayBook::CampusMembers, true)
                .unwrap_err()
                .code,
            "booking_not_allowed"
        );
        assert_eq!(
            initial_status(&company, "a", WhoMayBook::Anyone, false),
            Ok(BookingStatus::Confirmed)
        );
    }
}
