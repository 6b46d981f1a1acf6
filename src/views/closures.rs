use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{check_instant, check_span, instant};
use crate::db::calendar::CalendarTokenRow;
use crate::db::closures::{ClosureFilter, ClosureRow, MaintenanceRow};
use crate::db::platforms::PlatformRow;
use crate::domain::calendar::{CalendarFeed, SkippedEvent};
use crate::domain::closures::{ClosureDraft, ClosureScope, MaintenanceDraft};
use crate::domain::time::Span;
use crate::domain::validate::Checks;
use crate::error::ApiResult;
use crate::usecases::closures::Import;

#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureView {
    pub id: String,
    pub scope: ClosureScope,
    /// The campus, organisation or platform closed.
    pub scope_id: String,
    pub name: String,
    pub starts_at: String,
    pub ends_at: String,
    /// UID of the calendar event it was imported from.
    pub source_uid: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClosure {
    pub scope: ClosureScope,
    pub scope_id: uuid::Uuid,
    #[schema(
        example = "Vacances d'hiver",
        min_length = 1,
        max_length = 200,
        pattern = "\\S"
    )]
    pub name: String,
    #[schema(format = DateTime)]
    pub starts_at: String,
    #[schema(format = DateTime)]
    pub ends_at: String,
}

/// An event of an imported calendar that created nothing, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedEventNote {
    /// UID of the calendar event.
    pub uid: String,
    pub name: String,
    /// Its start and end as the file gives them, when readable.
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    /// The closure that already holds it (for events already imported).
    pub closure_id: Option<String>,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureImportView {
    /// Closures created by this import.
    pub imported: Vec<ClosureView>,
    /// How many events were already imported before (same UID), left as they were.
    pub already_present: usize,
    /// Those events, each with the closure that holds it.
    pub already_present_events: Vec<ImportedEventNote>,
    /// Events left out (a "rentrée" day, outside `only_matching`, no duration), with the reason.
    pub skipped: Vec<ImportedEventNote>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenanceView {
    pub id: String,
    pub equipment_id: String,
    pub starts_at: String,
    pub ends_at: String,
    pub reason: String,
    pub created_by: Option<String>,
    pub created_at: String,
    /// Bookings cancelled because the window was forced over them.
    pub cancelled_booking_ids: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMaintenance {
    pub equipment_id: uuid::Uuid,
    #[schema(format = DateTime)]
    pub starts_at: String,
    #[schema(format = DateTime)]
    pub ends_at: String,
    #[schema(min_length = 1, max_length = 1000, pattern = "\\S")]
    pub reason: String,
    /// Cancel the bookings it overlaps instead of refusing.
    #[serde(default)]
    pub force: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FreeSlot {
    pub starts_at: String,
    pub ends_at: String,
    /// Free stations throughout the slot (1 for an equipment item).
    pub free_stations: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityView {
    pub platform_id: String,
    pub equipment_id: Option<String>,
    /// Stations of the platform.
    pub stations: i32,
    pub from: String,
    pub to: String,
    /// Bookable slots: opening hours minus closures, maintenance and bookings.
    pub items: Vec<FreeSlot>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCalendarToken {
    pub feed: CalendarFeed,
    /// The platform or equipment item; omitted for `user` (one's own bookings).
    pub target_id: Option<uuid::Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarTokenView {
    pub id: String,
    pub feed: CalendarFeed,
    pub target_id: String,
    pub created_at: String,
    /// Subscription URL (path); shown only when the token is created.
    pub url: Option<String>,
}

impl ClosureView {
    pub fn new(row: ClosureRow, tz: &Tz) -> ApiResult<Self> {
        Ok(ClosureView {
            scope: ClosureScope::from_db(&row.scope)?,
            starts_at: instant(row.starts_at, tz),
            ends_at: instant(row.ends_at, tz),
            created_at: instant(row.created_at, tz),
            id: row.id,
            scope_id: row.scope_id,
            name: row.name,
            source_uid: row.source_uid,
        })
    }
}

impl NewClosure {
    pub fn draft(self) -> ApiResult<ClosureDraft> {
        let mut checks = Checks::new();
        let name = checks.text("name", &self.name, 1, 200);
        let span = check_span(
            &mut checks,
            "starts_at",
            &self.starts_at,
            "ends_at",
            &self.ends_at,
        );
        checks.finish()?;
        Ok(ClosureDraft {
            scope: self.scope,
            scope_id: self.scope_id.to_string(),
            name,
            span,
        })
    }
}

impl ImportedEventNote {
    fn new(
        uid: String,
        name: String,
        span: Option<Span>,
        closure_id: Option<String>,
        reason: String,
        tz: &Tz,
    ) -> Self {
        ImportedEventNote {
            uid,
            name,
            starts_at: span.map(|s| instant(s.start, tz)),
            ends_at: span.map(|s| instant(s.end, tz)),
            closure_id,
            reason,
        }
    }
}

impl ClosureImportView {
    /// What an import did: the closures created, the events already imported before (with
    /// the closure holding each) and the events skipped, with why.
    pub fn new(import: Import, skipped: Vec<SkippedEvent>, tz: &Tz) -> ApiResult<Self> {
        let already_present_events: Vec<ImportedEventNote> = import
            .already_present
            .into_iter()
            .map(|(event, closure_id)| {
                ImportedEventNote::new(
                    event.uid,
                    event.name,
                    Some(event.span),
                    Some(closure_id),
                    "déjà importé (même UID) : la fermeture existante est gardée telle quelle"
                        .to_owned(),
                    tz,
                )
            })
            .collect();
        Ok(ClosureImportView {
            imported: import
                .created
                .into_iter()
                .map(|r| ClosureView::new(r, tz))
                .collect::<ApiResult<Vec<_>>>()?,
            already_present: already_present_events.len(),
            already_present_events,
            skipped: skipped
                .into_iter()
                .map(|e| ImportedEventNote::new(e.uid, e.name, e.span, None, e.reason, tz))
                .collect(),
        })
    }
}

impl MaintenanceView {
    /// `cancelled` are the bookings the window cancelled when it was planned.
    pub fn new(row: MaintenanceRow, cancelled: Vec<String>, tz: &Tz) -> Self {
        MaintenanceView {
            starts_at: instant(row.starts_at, tz),
            ends_at: instant(row.ends_at, tz),
            created_at: instant(row.created_at, tz),
            id: row.id,
            equipment_id: row.equipment_id,
            reason: row.reason,
            created_by: row.created_by,
            cancelled_booking_ids: cancelled,
        }
    }
}

impl NewMaintenance {
    pub fn draft(self) -> ApiResult<MaintenanceDraft> {
        let mut checks = Checks::new();
        let reason = checks.text("reason", &self.reason, 1, 1000);
        let span = check_span(
            &mut checks,
            "starts_at",
            &self.starts_at,
            "ends_at",
            &self.ends_at,
        );
        checks.finish()?;
        Ok(MaintenanceDraft {
            equipment_id: self.equipment_id.to_string(),
            span,
            reason,
            force: self.force,
        })
    }
}

impl AvailabilityView {
    /// The free time of `platform` (or of `equipment_id` on it) over `window`.
    pub fn new(
        platform: PlatformRow,
        equipment_id: Option<String>,
        window: Span,
        free: Vec<(Span, i32)>,
        tz: &Tz,
    ) -> Self {
        AvailabilityView {
            platform_id: platform.id,
            equipment_id,
            stations: platform.stations,
            from: instant(window.start, tz),
            to: instant(window.end, tz),
            items: free
                .into_iter()
                .map(|(span, n)| FreeSlot {
                    starts_at: instant(span.start, tz),
                    ends_at: instant(span.end, tz),
                    free_stations: n,
                })
                .collect(),
        }
    }
}

impl CalendarTokenView {
    /// `url` is shown only at creation, the one time the token exists outside its hash.
    pub fn new(row: CalendarTokenRow, url: Option<String>, tz: &Tz) -> ApiResult<Self> {
        Ok(CalendarTokenView {
            feed: CalendarFeed::from_db(&row.feed)?,
            created_at: instant(row.created_at, tz),
            id: row.id,
            target_id: row.target_id,
            url,
        })
    }
}

/// The `from` and `to` of a list of periods, each an RFC 3339 instant.
fn check_bounds(from: Option<&str>, to: Option<&str>) -> ApiResult<(Option<i64>, Option<i64>)> {
    let mut checks = Checks::new();
    let from = from.map(|t| check_instant(&mut checks, "from", t));
    let to = to.map(|t| check_instant(&mut checks, "to", t));
    checks.finish()?;
    Ok((from, to))
}

super::list_query! {
    pub struct ClosureQuery {
        pub scope: Option<ClosureScope>,
        pub scope_id: Option<Uuid>,
        /// Closures ending after this instant (RFC 3339).
        #[param(format = DateTime)]
        pub from: Option<String>,
        /// Closures starting before this instant (RFC 3339).
        #[param(format = DateTime)]
        pub to: Option<String>,
    }
}

impl ClosureQuery {
    pub fn filter(&self) -> ApiResult<ClosureFilter> {
        let (from, to) = check_bounds(self.from.as_deref(), self.to.as_deref())?;
        Ok(ClosureFilter {
            scope: self.scope.map(|s| s.as_str().to_owned()),
            scope_id: self.scope_id.map(|s| s.to_string()),
            from,
            to,
        })
    }
}

super::list_query! {
    pub struct MaintenanceQuery {
        pub equipment_id: Option<Uuid>,
        /// Windows ending after this instant (RFC 3339).
        #[param(format = DateTime)]
        pub from: Option<String>,
        /// Windows starting before this instant (RFC 3339).
        #[param(format = DateTime)]
        pub to: Option<String>,
    }
}

impl MaintenanceQuery {
    /// The item and the bounds asked for.
    pub fn filter(&self) -> ApiResult<(Option<String>, Option<i64>, Option<i64>)> {
        let (from, to) = check_bounds(self.from.as_deref(), self.to.as_deref())?;
        Ok((self.equipment_id.map(|u| u.to_string()), from, to))
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    pub scope: ClosureScope,
    pub scope_id: Uuid,
    /// Narrow the import to the events whose summary contains this text (case-insensitive),
    /// e.g. `pont`. Without it every event is imported, the "rentrée" days of a school
    /// calendar excepted: its holidays and bridges.
    pub only_matching: Option<String>,
}

/// Longest period one availability request covers.
const MAX_AVAILABILITY_DAYS: i64 = 62;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityQuery {
    /// The platform, for its free stations; this or `equipment_id` (422 `required` on
    /// `platform_id` without either).
    pub platform_id: Option<Uuid>,
    /// The equipment item, for its free time; it wins over `platform_id`.
    pub equipment_id: Option<Uuid>,
    /// Start of the period (RFC 3339).
    #[param(format = DateTime)]
    pub from: String,
    /// End of the period (RFC 3339), at most 62 days after `from` (422 `period_too_long`);
    /// a `to` before `from` is an empty period, with no free time.
    #[param(format = DateTime)]
    pub to: String,
}

impl AvailabilityQuery {
    /// The platform, the item and the period asked for.
    pub fn window(&self) -> ApiResult<(Option<String>, Option<String>, Span)> {
        let mut checks = Checks::new();
        let from = check_instant(&mut checks, "from", &self.from);
        let to = check_instant(&mut checks, "to", &self.to);
        // A period that ends before it starts holds no free time: an empty list, as the other
        // lists filtered by `from` and `to` answer.
        let window = Span::new(from, to.max(from));
        if checks.is_empty() && window.seconds() > MAX_AVAILABILITY_DAYS * 86_400 {
            checks.fail(
                "to",
                "period_too_long",
                format!("une période de {MAX_AVAILABILITY_DAYS} jours au plus"),
            );
        }
        if self.platform_id.is_none() && self.equipment_id.is_none() {
            checks.fail(
                "platform_id",
                "required",
                "indiquez platform_id ou equipment_id",
            );
        }
        checks.finish()?;
        Ok((
            self.platform_id.map(|u| u.to_string()),
            self.equipment_id.map(|u| u.to_string()),
            window,
        ))
    }
}
