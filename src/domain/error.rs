//! What the rules answer when they refuse, in the domain's words; `src/error.rs` turns each
//! into an HTTP status and a problem document.

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

/// Why a rule of the domain refuses its input.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainError {
    /// Fields of a request break a rule: every one of them.
    Fields(Vec<FieldError>),
    /// An imported iCalendar file cannot be read (what is wrong, in French).
    Calendar(String),
    /// A value read back from the database is outside its set: a fault of the service, not
    /// of the request.
    Corrupt(String),
}

impl DomainError {
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        DomainError::Fields(vec![FieldError::new(field, code, message)])
    }
}
