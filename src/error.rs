//! The one error type of the API, rendered as an RFC 9457 problem document in one place.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FieldError {
    /// Path of the field in the request, e.g. `opening_hours[2].opens`.
    pub field: String,
    /// Stable machine code, e.g. `required`, `invalid_format`, `out_of_range`.
    pub code: String,
    /// Human-readable explanation (French).
    pub message: String,
    /// For `unknown_value`: the values the field accepts (the message gives their French
    /// labels).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_values: Option<Vec<String>>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
            allowed_values: None,
        }
    }

    pub fn with_allowed_values(mut self, values: Vec<String>) -> Self {
        self.allowed_values = Some(values);
        self
    }
}

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
    pub status: StatusCode,
    pub code: &'static str,
    pub title: &'static str,
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
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        ApiError(Box::new(ApiErrorBody {
            status,
            code,
            title,
            detail: detail.into(),
            errors: Vec::new(),
            extra: None,
            internal: None,
            retry_after: None,
            allow: None,
        }))
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
        let mut error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "Données invalides",
            detail,
        );
        error.errors = errors;
        error
    }

    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, code, message)])
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "Requête incorrecte", detail)
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Ressource introuvable",
            "Cette ressource n'existe pas ou n'est pas accessible avec ce compte.",
        )
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Authentification requise",
            detail,
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Action non autorisée",
            detail,
        )
    }

    /// A company contact not yet approved tried what needs an approved contact.
    pub fn approval_pending(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "approval_pending",
            "Compte en attente d'accord",
            detail,
        )
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, "Conflit", detail)
    }

    /// 429 with `Retry-After`: come back in `seconds` (at least one).
    pub fn too_many(code: &'static str, detail: impl Into<String>, seconds: u64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            code,
            "Trop de demandes",
            detail,
        );
        error.retry_after = Some(seconds.max(1));
        error
    }

    pub fn internal(message: impl Into<String>) -> Self {
        let mut error = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Erreur interne",
            "Une erreur inattendue s'est produite ; rien n'a été modifié. Réessayez plus tard.",
        );
        error.internal = Some(message.into());
        error
    }

    pub fn method_not_allowed(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Méthode non permise",
            detail,
        )
    }

    /// A failure of the service or of the database rather than of the request.
    pub fn is_server_error(&self) -> bool {
        self.status.is_server_error()
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "Service indisponible",
            "La base de données ne répond pas ; réessayez dans un instant.",
        );
        error.internal = Some(message.into());
        error
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_uri: format!("urn:plateaux:problem:{}", self.code),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_owned(),
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
            tracing::error!(code = self.code, error = %internal, "request failed");
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
                ApiError::conflict("booking_conflict", "Cet équipement vient d'être réservé sur ce créneau par une autre demande : choisissez un autre créneau.")
            }
            Error::NotFound => ApiError::not_found(),
            // Messages never name a table, column or constraint: they are the schema's words,
            // not the reader's.
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => ApiError::conflict(
                "already_exists",
                format!("Un enregistrement avec {} existe déjà.", duplicated_value(info.as_ref())),
            ),
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => ApiError::conflict(
                "reference_conflict",
                "Cette opération contredit un lien avec un autre enregistrement (référence absente ou encore utilisée).",
            ),
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => ApiError::conflict(
                "concurrent_update",
                "Une autre modification simultanée a eu lieu ; réessayez.",
            ),
            Error::DatabaseError(DatabaseErrorKind::CheckViolation, _) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "Données invalides",
                "Une règle de la base de données refuse ces valeurs.",
            ),
            // The database went away (restarted, or the connection was cut).
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                ApiError::unavailable(error.to_string())
            }
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
