//! The one error type of the API, rendered as an RFC 9457 problem document in one place.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

mod codes;

use crate::domain::booking::{Refusal, RefusalKind};
use crate::domain::error::DomainError;
pub use crate::domain::error::FieldError;
pub use codes::ErrorCode;

/// A problem document (`application/problem+json`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// URI naming the kind of problem: `urn:plateaux:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the kind of problem (French).
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What went wrong in this request and what to change (French).
    pub detail: String,
    /// Stable machine code, e.g. `validation_failed`, `not_found`.
    pub code: String,
    /// For `validation_failed`: every invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Further machine-readable facts about this problem (conflicts, allowed values...).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub extra: Option<serde_json::Value>,
}

/// An error answered as a problem document. Boxed: it travels through every `Result` of
/// the service, and a failure path can afford one allocation.
#[derive(Debug)]
pub struct ApiError(Box<ApiErrorBody>);

#[derive(Debug)]
pub struct ApiErrorBody {
    /// The code's status, except for the errors the framework answers by itself.
    pub status: StatusCode,
    pub code: ErrorCode,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub extra: Option<serde_json::Value>,
    /// Set for failures of the service itself: logged, never shown.
    pub internal: Option<String>,
    /// Seconds to send in `Retry-After` (refusals under a rate limit).
    pub retry_after: Option<u64>,
    /// The methods to send in `Allow` (405).
    pub allow: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl std::ops::Deref for ApiError {
    type Target = ApiErrorBody;
    fn deref(&self) -> &ApiErrorBody {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ApiErrorBody {
        &mut self.0
    }
}

impl ApiError {
    /// A problem of kind `code` (which gives the status and the title), with what went wrong
    /// in this request.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        ApiError(Box::new(ApiErrorBody {
            status: code.status(),
            code,
            detail: detail.into(),
            errors: Vec::new(),
            extra: None,
            internal: None,
            retry_after: None,
            allow: None,
        }))
    }

    /// The same problem under another status: only for the errors the framework answers by
    /// itself, whose status it has already chosen.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn with_extra(mut self, extra: serde_json::Value) -> Self {
        self.extra = Some(extra);
        self
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("Le champ « {} » est invalide : {}", one.field, one.message),
            many => format!("{} champs sont invalides ; voir « errors ».", many.len()),
        };
        let mut error = ApiError::new(ErrorCode::ValidationFailed, detail);
        error.errors = errors;
        error
    }

    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, code, message)])
    }

    pub fn not_found() -> Self {
        Self::new(
            ErrorCode::NotFound,
            "Cette ressource n'existe pas ou n'est pas accessible avec ce compte.",
        )
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, detail)
    }

    /// A company contact not yet approved tried what needs an approved contact.
    pub fn approval_pending(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::ApprovalPending, detail)
    }

    /// 429 with `Retry-After`: come back in `seconds` (at least one).
    pub fn too_many(code: ErrorCode, detail: impl Into<String>, seconds: u64) -> Self {
        let mut error = Self::new(code, detail);
        error.retry_after = Some(seconds.max(1));
        error
    }

    pub fn internal(message: impl Into<String>) -> Self {
        let mut error = Self::new(
            ErrorCode::InternalError,
            "Une erreur inattendue s'est produite ; rien n'a été modifié. Réessayez plus tard.",
        );
        error.internal = Some(message.into());
        error
    }

    pub fn method_not_allowed(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::MethodNotAllowed, detail)
    }

    /// A failure of the service or of the database rather than of the request.
    pub fn is_server_error(&self) -> bool {
        self.status.is_server_error()
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        let mut error = Self::new(
            ErrorCode::DatabaseUnavailable,
            "La base de données ne répond pas ; réessayez dans un instant.",
        );
        error.internal = Some(message.into());
        error
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_uri: format!("urn:plateaux:problem:{}", self.code),
            title: self.code.title().to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.as_str().to_owned(),
            errors: self.errors.clone(),
            extra: self.extra.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(internal) = &self.internal {
            tracing::error!(code = self.code.as_str(), error = %internal, "request failed");
        }
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(methods) = &self.allow {
            response.insert_header((header::ALLOW, methods.as_str()));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds));
        } else if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "1"));
        }
        response.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &error {
            // The last word against double booking: PostgreSQL's exclusion constraint or
            // SQLite's trigger refused an overlap the application did not see.
            Error::DatabaseError(_, info)
                if info.constraint_name() == Some("bookings_no_double_booking") || info.message().starts_with("booking_conflict") =>
            {
                ApiError::new(ErrorCode::BookingConflict, "Cet équipement vient d'être réservé sur ce créneau par une autre demande : choisissez un autre créneau.")
            }
            Error::NotFound => ApiError::not_found(),
            // Messages never name a table, column or constraint: they are the schema's words,
            // not the reader's.
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => ApiError::new(ErrorCode::AlreadyExists,
                format!("Un enregistrement avec {} existe déjà.", duplicated_value(info.as_ref())),
            ),
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => ApiError::new(ErrorCode::ReferenceConflict,
                "Cette opération contredit un lien avec un autre enregistrement (référence absente ou encore utilisée).",
            ),
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => ApiError::new(ErrorCode::ConcurrentUpdate,
                "Une autre modification simultanée a eu lieu ; réessayez.",
            ),
            Error::DatabaseError(DatabaseErrorKind::CheckViolation, _) => ApiError::new(ErrorCode::ValidationFailed,
                "Une règle de la base de données refuse ces valeurs.",
            ),
            // The database went away (restarted, or the connection was cut), or the
            // connection lost track of its transaction: its outcome is unknown.
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            )
            | Error::BrokenTransactionManager => ApiError::unavailable(error.to_string()),
            _ => ApiError::internal(error.to_string()),
        }
    }
}

/// What a unique violation was about, in the reader's words: the constraint or column name
/// (PostgreSQL) or the message (SQLite, `UNIQUE constraint failed: organisations.siret`)
/// only serves to pick the words.
fn duplicated_value(info: &dyn diesel::result::DatabaseErrorInformation) -> &'static str {
    let names = format!(
        "{} {} {}",
        info.constraint_name().unwrap_or_default(),
        info.column_name().unwrap_or_default(),
        info.message()
    )
    .to_lowercase();
    [
        ("siret", "ce numéro SIRET"),
        ("uai", "ce code UAI"),
        ("email", "cette adresse e-mail"),
        ("idempotency", "cette clé Idempotency-Key"),
        ("name", "ce nom"),
    ]
    .into_iter()
    .find(|(word, _)| names.contains(word))
    .map_or("ces valeurs", |(_, words)| words)
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Fields(errors) => ApiError::validation(errors),
            DomainError::Calendar(message) => ApiError::new(ErrorCode::InvalidCalendar, message),
            DomainError::Corrupt(message) => ApiError::internal(message),
        }
    }
}

impl From<RefusalKind> for ErrorCode {
    fn from(kind: RefusalKind) -> Self {
        match kind {
            RefusalKind::BookingConflict => ErrorCode::BookingConflict,
            RefusalKind::NotEnoughStations => ErrorCode::NotEnoughStations,
            RefusalKind::Closed => ErrorCode::Closed,
            RefusalKind::EquipmentUnavailable => ErrorCode::EquipmentUnavailable,
            RefusalKind::EquipmentInMaintenance => ErrorCode::EquipmentInMaintenance,
            RefusalKind::InvalidTimeRange => ErrorCode::InvalidTimeRange,
            RefusalKind::InThePast => ErrorCode::InThePast,
            RefusalKind::NoticeTooShort => ErrorCode::NoticeTooShort,
            RefusalKind::BeyondHorizon => ErrorCode::BeyondHorizon,
            RefusalKind::DurationTooLong => ErrorCode::DurationTooLong,
            RefusalKind::OutsideOpeningHours => ErrorCode::OutsideOpeningHours,
            RefusalKind::QualificationMissing => ErrorCode::QualificationMissing,
            RefusalKind::BookingNotAllowed => ErrorCode::BookingNotAllowed,
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        ApiError::new(refusal.code.into(), refusal.message)
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(error: r2d2::Error) -> Self {
        ApiError::unavailable(error.to_string())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ApiError::internal(error.to_string())
    }
}

impl ApiError {
    pub fn unavailable_from(error: impl std::fmt::Display) -> Self {
        ApiError::unavailable(error.to_string())
    }
}
