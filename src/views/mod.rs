//! Wire formats of responses (and request bodies): database rows never leave `db`.

pub mod auth;
pub mod bookings;
pub mod campuses;
pub mod closures;
pub mod equipment;
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

/// Rows as a CSV document for French spreadsheets: UTF-8 with a byte-order mark (so that
/// Excel reads the accents) and `;` between fields (numbers carry decimal commas), which
/// French LibreOffice and Excel open with no import settings.
pub fn csv_document(
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<String, crate::error::ApiError> {
    let internal = |e: csv::Error| crate::error::ApiError::internal(e.to_string());
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    for row in rows {
        writer.write_record(&row).map_err(internal)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| crate::error::ApiError::internal(e.to_string()))?;
    Ok(format!("\u{feff}{}", String::from_utf8_lossy(&bytes)))
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
