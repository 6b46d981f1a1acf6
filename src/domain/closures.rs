//! Closures (of a campus, an organisation's platforms, a platform) and maintenance windows
//! of equipment, as checked requests make them.

use super::time::Span;

super::text_enum! {
    /// What a closure covers: a whole campus, one organisation's platforms, or one platform.
    ClosureScope {
        Campus => "campus",
        Organisation => "organisation",
        Platform => "platform",
    }
}

pub struct ClosureDraft {
    pub scope: ClosureScope,
    pub scope_id: String,
    pub name: String,
    pub span: Span,
}

pub struct MaintenanceDraft {
    pub equipment_id: String,
    pub span: Span,
    pub reason: String,
    /// Cancels the live bookings in the window instead of refusing it.
    pub force: bool,
}
