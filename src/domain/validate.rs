//! Collects every invalid field of a request before answering, so that one round trip
//! tells the client everything to fix.

use super::error::{DomainError, FieldError};

#[derive(Default, Debug)]
pub struct Checks {
    errors: Vec<FieldError>,
}

impl Checks {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn fail(&mut self, field: impl Into<String>, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, code, message));
    }

    /// Records a field error built by the caller (one with `allowed_values`).
    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// Trims `value` and checks its length in characters.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> String {
        let trimmed = value.trim();
        let len = trimmed.chars().count();
        if len < min {
            if min == 1 {
                self.fail(field, "required", "ne doit pas être vide");
            } else {
                self.fail(
                    field,
                    "too_short",
                    format!("doit compter au moins {min} caractères"),
                );
            }
        } else if len > max {
            self.fail(
                field,
                "too_long",
                format!("doit compter au plus {max} caractères"),
            );
        }
        trimmed.to_owned()
    }

    /// Optional text: blank becomes `None`.
    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        let value = value.map(str::trim).filter(|v| !v.is_empty())?;
        Some(self.text(field, value, 1, max))
    }

    pub fn range<T: PartialOrd + std::fmt::Display + Copy>(
        &mut self,
        field: &str,
        value: T,
        min: T,
        max: T,
    ) -> T {
        if value < min || value > max {
            self.fail(
                field,
                "out_of_range",
                format!("doit être compris entre {min} et {max}"),
            );
        }
        value
    }

    /// How many invalid fields so far.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn finish(self) -> Result<(), DomainError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Fields(self.errors))
        }
    }
}
