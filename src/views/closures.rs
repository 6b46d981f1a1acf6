use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

crate::domain::text_enum! {
    /// What a closure covers: a whole campus, one organisation's platforms, or one platform.
    ClosureScope {
        Campus => "campus",
        Organisation => "organisation",
        Platform => "platform",
    }
}

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
    #[schema(example = "Vacances d'hiver")]
    pub name: String,
    pub starts_at: String,
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
    pub starts_at: String,
    pub ends_at: String,
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

crate::domain::text_enum! {
    /// What a calendar feed shows.
    CalendarFeed {
        User => "user",
        Platform => "platform",
        Equipment => "equipment",
    }
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
