//! Wire formats of responses (and request bodies): database rows never leave `db`.

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

use crate::domain::pagination::encode_cursor;

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
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> Paged<T> {
    /// `last_id` is the id of the last row of the page when another page follows.
    pub fn new(items: Vec<T>, last_id: Option<&str>) -> Self {
        Paged {
            items,
            next_cursor: last_id.map(encode_cursor),
        }
    }
}

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
