//! Every `code` a problem document may carry, with its HTTP status and its French title, in
//! one table. The README lists the same codes (a test compares them).

use actix_web::http::StatusCode;

macro_rules! error_codes {
    ($($variant:ident => $code:literal, $status:ident, $title:literal;)+) => {
        /// Stable machine code of a problem document (`code`, and the end of `type`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($variant),+
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code),+ }
            }

            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status),+ }
            }

            /// Short summary of the kind of problem, the same at every occurrence.
            pub fn title(self) -> &'static str {
                match self { $(ErrorCode::$variant => $title),+ }
            }
        }
    };
}

error_codes! {
    // Requests the service cannot read.
    BadRequest => "bad_request", BAD_REQUEST, "Requête incorrecte";
    MalformedJson => "malformed_json", BAD_REQUEST, "Requête incorrecte";
    UnreadableBody => "unreadable_body", BAD_REQUEST, "Requête incorrecte";
    InvalidPathParameter => "invalid_path_parameter", BAD_REQUEST, "Requête incorrecte";
    InvalidQuery => "invalid_query", BAD_REQUEST, "Requête incorrecte";
    UnknownQueryParameter => "unknown_query_parameter", BAD_REQUEST, "Requête incorrecte";
    InvalidIdempotencyKey => "invalid_idempotency_key", BAD_REQUEST, "Requête incorrecte";
    InvalidEncoding => "invalid_encoding", BAD_REQUEST, "Requête incorrecte";
    MethodNotAllowed => "method_not_allowed", METHOD_NOT_ALLOWED, "Méthode non permise";
    PayloadTooLarge => "payload_too_large", PAYLOAD_TOO_LARGE, "Corps trop volumineux";
    UnsupportedMediaType => "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "Type de contenu non pris en charge";
    ValidationFailed => "validation_failed", UNPROCESSABLE_ENTITY, "Données invalides";
    InvalidCalendar => "invalid_calendar", UNPROCESSABLE_ENTITY, "Calendrier invalide";
    IdempotencyKeyReused => "idempotency_key_reused", UNPROCESSABLE_ENTITY, "Clé d'idempotence réutilisée";
    // Who is asking, and what they may do.
    Unauthenticated => "unauthenticated", UNAUTHORIZED, "Authentification requise";
    InvalidCredentials => "invalid_credentials", UNAUTHORIZED, "Identifiants incorrects";
    InvalidRefreshToken => "invalid_refresh_token", UNAUTHORIZED, "Session expirée";
    SessionClosed => "session_closed", UNAUTHORIZED, "Session fermée";
    Forbidden => "forbidden", FORBIDDEN, "Action non autorisée";
    ApprovalPending => "approval_pending", FORBIDDEN, "Compte en attente d'accord";
    AccountInactive => "account_inactive", FORBIDDEN, "Compte inactif";
    NotFound => "not_found", NOT_FOUND, "Ressource introuvable";
    RateLimited => "rate_limited", TOO_MANY_REQUESTS, "Trop de demandes";
    TooManyFailures => "too_many_failures", TOO_MANY_REQUESTS, "Trop de demandes";
    TooManyLogins => "too_many_logins", TOO_MANY_REQUESTS, "Trop de demandes";
    // The state of the data forbids the change.
    AlreadyExists => "already_exists", CONFLICT, "Conflit";
    EmailTaken => "email_taken", CONFLICT, "Conflit";
    ReferenceConflict => "reference_conflict", CONFLICT, "Conflit";
    ConcurrentUpdate => "concurrent_update", CONFLICT, "Conflit";
    InUse => "in_use", CONFLICT, "Conflit";
    NotAwaitingApproval => "not_awaiting_approval", CONFLICT, "Conflit";
    IdempotencyInProgress => "idempotency_in_progress", CONFLICT, "Conflit";
    InvalidTransition => "invalid_transition", CONFLICT, "Conflit";
    BookingNotLive => "booking_not_live", CONFLICT, "Conflit";
    SeriesConflicts => "series_conflicts", CONFLICT, "Conflit";
    SeriesEmpty => "series_empty", CONFLICT, "Conflit";
    MaintenanceConflicts => "maintenance_conflicts", CONFLICT, "Conflit";
    NotReportable => "not_reportable", CONFLICT, "Conflit";
    NotYetPast => "not_yet_past", CONFLICT, "Conflit";
    QuoteNotCurrent => "quote_not_current", CONFLICT, "Conflit";
    QuoteExpired => "quote_expired", CONFLICT, "Conflit";
    NotDead => "not_dead", CONFLICT, "Conflit";
    // The booking rules (`domain::booking::RefusalKind`).
    BookingConflict => "booking_conflict", CONFLICT, "Réservation impossible";
    NotEnoughStations => "not_enough_stations", CONFLICT, "Réservation impossible";
    Closed => "closed", CONFLICT, "Réservation impossible";
    EquipmentUnavailable => "equipment_unavailable", CONFLICT, "Réservation impossible";
    EquipmentInMaintenance => "equipment_in_maintenance", CONFLICT, "Réservation impossible";
    InvalidTimeRange => "invalid_time_range", UNPROCESSABLE_ENTITY, "Réservation refusée";
    InThePast => "in_the_past", UNPROCESSABLE_ENTITY, "Réservation refusée";
    NoticeTooShort => "notice_too_short", UNPROCESSABLE_ENTITY, "Réservation refusée";
    BeyondHorizon => "beyond_horizon", UNPROCESSABLE_ENTITY, "Réservation refusée";
    DurationTooLong => "duration_too_long", UNPROCESSABLE_ENTITY, "Réservation refusée";
    OutsideOpeningHours => "outside_opening_hours", UNPROCESSABLE_ENTITY, "Réservation refusée";
    QualificationMissing => "qualification_missing", UNPROCESSABLE_ENTITY, "Réservation refusée";
    BookingNotAllowed => "booking_not_allowed", FORBIDDEN, "Réservation non autorisée";
    // Failures of the service itself.
    InternalError => "internal_error", INTERNAL_SERVER_ERROR, "Erreur interne";
    DatabaseUnavailable => "database_unavailable", SERVICE_UNAVAILABLE, "Service indisponible";
    ShuttingDown => "shutting_down", SERVICE_UNAVAILABLE, "Service indisponible";
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
