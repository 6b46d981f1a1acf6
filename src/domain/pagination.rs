//! `?limit=` and opaque `cursor` of list endpoints.

use serde::Deserialize;
use utoipa::IntoParams;

use super::error::DomainError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct PageQuery {
    /// How many items at most (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^([0-9a-fA-F]{32})?$")]
    pub cursor: Option<String>,
}

/// Where a page of a list starts (after the id `after`, or at the start) and how long it is.
#[derive(Debug, Clone)]
pub struct Page {
    pub after: Option<String>,
    pub limit: i64,
}

impl PageQuery {
    pub fn page(&self) -> Result<Page, DomainError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(DomainError::field(
                "limit",
                "out_of_range",
                format!("doit être compris entre 1 et {MAX_LIMIT}"),
            ));
        }
        let after = match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => None,
            Some(cursor) => Some(decode_cursor(cursor).ok_or_else(|| {
                DomainError::field(
                    "cursor",
                    "invalid_format",
                    "curseur inconnu : reprenez la valeur « next_cursor » d'une page précédente",
                )
            })?),
        };
        Ok(Page { after, limit })
    }
}

/// Cursors are the last id of a page in compact form; clients must treat them as opaque.
pub fn encode_cursor(last_id: &str) -> String {
    uuid::Uuid::parse_str(last_id)
        .map(|u| u.simple().to_string())
        .unwrap_or_else(|_| last_id.to_owned())
}

fn decode_cursor(cursor: &str) -> Option<String> {
    if cursor.len() != 32 {
        return None;
    }
    uuid::Uuid::try_parse(cursor).ok().map(|u| u.to_string())
}
