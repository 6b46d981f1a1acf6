//! Wire types: what requests carry (bodies, query strings) and what responses answer.
//! Each view is built from what the use cases return by its `new` (rows become views
//! here and nowhere else), and each body is checked into its draft (`domain`) by its
//! `draft`, collecting every invalid field before answering.

pub mod auth;
pub mod bookings;
pub mod campuses;
pub mod closures;
pub mod equipment;
pub mod notifications;
pub mod organisations;
pub mod platforms;
pub mod qualifications;
pub mod reports;
pub mod service_requests;
pub mod usage;
pub mod users;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::db::Listed;
use crate::domain::pagination::encode_cursor;
use crate::domain::time::{parse_instant, Span};
use crate::domain::validate::Checks;
use crate::error::ApiResult;

/// One cell of a CSV document. Text (names, titles, anything a person typed) is neutralised
/// so that a spreadsheet never runs it as a formula; numbers the service wrote itself
/// (`-12,50`) are left as they are, so that they stay numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Number(String),
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::Text(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::Text(text.to_owned())
    }
}

impl Cell {
    /// An amount of money in euros, with two decimals and a decimal comma (`333,00`,
    /// `-12,50`): every CSV the service writes gives money so; blank when there is none.
    pub fn euros(cents: Option<i64>) -> Cell {
        Cell::Number(
            cents
                .map(|c| {
                    let sign = if c < 0 { "-" } else { "" };
                    let abs = c.unsigned_abs();
                    format!("{sign}{},{:02}", abs / 100, abs % 100)
                })
                .unwrap_or_default(),
        )
    }

    /// What is written: text that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`,
    /// tab, carriage return first) gets an apostrophe before it, which Excel and LibreOffice
    /// take as "this is text" and do not show.
    pub fn written(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Cell::Number(n) => n.into(),
            Cell::Text(t) if t.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
                format!("'{t}").into()
            }
            Cell::Text(t) => t.into(),
        }
    }
}

/// Rows as CSV lines, without the byte-order mark (see `csv_document`): a document written in
/// several parts (an export streamed page by page) starts with `csv_document`.
pub fn csv_rows(
    rows: impl IntoIterator<Item = Vec<Cell>>,
) -> Result<String, crate::error::ApiError> {
    let internal = |e: csv::Error| crate::error::ApiError::internal(e.to_string());
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    for row in rows {
        writer
            .write_record(row.iter().map(|cell| cell.written().into_owned()))
            .map_err(internal)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| crate::error::ApiError::internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| crate::error::ApiError::internal(e.to_string()))
}

/// Rows as a CSV document for French spreadsheets: UTF-8 with a byte-order mark (so that
/// Excel reads the accents) and `;` between fields (numbers carry decimal commas), which
/// French LibreOffice and Excel open with no import settings.
pub fn csv_document(
    rows: impl IntoIterator<Item = Vec<Cell>>,
) -> Result<String, crate::error::ApiError> {
    Ok(format!("\u{feff}{}", csv_rows(rows)?))
}

#[cfg(test)]
mod csv_tests {
    use super::*;

    #[test]
    fn text_that_looks_like_a_formula_is_neutralised_numbers_are_not() {
        let text = csv_rows([vec![
            Cell::from("=HYPERLINK(\"http://x\")"),
            Cell::from("+33"),
            Cell::from("-x"),
            Cell::from("@SUM(A1)"),
            Cell::from("\tx"),
            Cell::from("\rx"),
            Cell::from("Soudure = TIG"),
            Cell::Number("-12,50".into()),
        ]])
        .unwrap();
        assert_eq!(
            text,
            "\"'=HYPERLINK(\"\"http://x\"\")\";'+33;'-x;'@SUM(A1);'\tx;\"'\rx\";Soudure = TIG;-12,50\n"
        );
    }

    #[test]
    fn money_is_written_in_euros_with_two_decimals() {
        let written = |cents| Cell::euros(cents).written().into_owned();
        assert_eq!(written(Some(33_300)), "333,00");
        assert_eq!(written(Some(45_000)), "450,00");
        assert_eq!(written(Some(5)), "0,05");
        assert_eq!(written(Some(-1_250)), "-12,50");
        assert_eq!(written(None), "");
    }
}

/// The schema of an optional IANA time zone: the names the service knows (`chrono-tz`), so
/// that a client following the document never sends one it refuses, or `null`, read as the
/// field left out (the service's zone for a new campus, no change for an edit).
pub fn timezone_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .description(Some(
            "Fuseau horaire IANA, par exemple `Europe/Paris` ; `null` vaut l'absence du champ.",
        ))
        .enum_values(Some(
            chrono_tz::TZ_VARIANTS
                .iter()
                .map(|tz| serde_json::Value::from(tz.name()))
                .chain([serde_json::Value::Null]),
        ))
        .build()
}

/// An RFC 3339 instant with its offset, read into Unix seconds.
pub fn check_instant(checks: &mut Checks, field: &str, text: &str) -> i64 {
    parse_instant(text.trim()).unwrap_or_else(|| {
        checks.fail(
            field,
            "invalid_format",
            "date-heure RFC 3339 avec décalage attendue, par exemple 2027-03-02T08:00:00+01:00",
        );
        0
    })
}

/// Two instants that must be in order; the order is checked only when both are readable.
pub fn check_span(
    checks: &mut Checks,
    start_field: &str,
    start: &str,
    end_field: &str,
    end: &str,
) -> Span {
    let errors_before = checks.len();
    let s = check_instant(checks, start_field, start);
    let e = check_instant(checks, end_field, end);
    if checks.len() == errors_before && s >= e {
        checks.fail(end_field, "before_start", "la fin doit suivre le début");
    }
    Span::new(s, e)
}

/// A span that a change may move: both ends together (`check_span`), or neither.
pub fn check_span_change(
    checks: &mut Checks,
    start_field: &str,
    start: Option<&str>,
    end_field: &str,
    end: Option<&str>,
) -> Option<Span> {
    let missing = match (start, end) {
        (Some(start), Some(end)) => {
            return Some(check_span(checks, start_field, start, end_field, end))
        }
        (None, None) => return None,
        (Some(start), None) => {
            check_instant(checks, start_field, start);
            end_field
        }
        (None, Some(end)) => {
            check_instant(checks, end_field, end);
            start_field
        }
    };
    checks.fail(missing, "required", "changez le début et la fin ensemble");
    None
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> Paged<T> {
    /// The answer to a list: each row of the page read, as its view.
    pub fn of<R>(listed: Listed<R>, view: impl FnMut(R) -> ApiResult<T>) -> ApiResult<Self> {
        Ok(Paged {
            items: listed
                .rows
                .into_iter()
                .map(view)
                .collect::<ApiResult<_>>()?,
            next_cursor: listed.next_after.as_deref().map(encode_cursor),
        })
    }
}

/// Declares the query string of a list: its filters, then the page asked for (`limit` and
/// `cursor`, read by `page()`), so that every list takes its page alike.
macro_rules! list_query {
    ($(#[$meta:meta])* pub struct $name:ident {
        $($(#[$field_meta:meta])* pub $field:ident : $type:ty,)*
    }) => {
        $(#[$meta])*
        #[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            $($(#[$field_meta])* pub $field: $type,)*
            #[param(minimum = 1, maximum = 500)]
            pub limit: Option<i64>,
            #[param(pattern = "^([0-9a-fA-F]{32})?$")]
            pub cursor: Option<String>,
        }

        impl $name {
            /// The page asked for.
            pub fn page(&self) -> crate::error::ApiResult<crate::db::Page> {
                crate::domain::pagination::PageQuery {
                    limit: self.limit,
                    cursor: self.cursor.clone(),
                }
                .page()
                .map_err(crate::error::ApiError::from)
            }
        }
    };
}
pub(crate) use list_query;

/// An instant rendered in RFC 3339 with the campus offset.
pub fn instant(seconds: i64, tz: &Tz) -> String {
    tz.timestamp_opt(seconds, 0)
        .single()
        .map(|t| t.to_rfc3339())
        .unwrap_or_else(|| {
            DateTime::<Utc>::from_timestamp(seconds, 0)
                .unwrap_or_default()
                .to_rfc3339()
        })
}

/// For PATCH bodies: distinguishes an absent field (`None`) from an explicit `null`
/// (`Some(None)`), which clears an optional value.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
pub mod web;
