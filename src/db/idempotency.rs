//! Stored first responses of idempotent POST requests.

use diesel::prelude::*;
use diesel::result::DatabaseErrorKind;

use super::schema::idempotency_records as ir;
use super::DbConnection;
use crate::error::ApiResult;

pub struct StoredResponse {
    pub status_code: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: String,
}

pub enum Claim {
    /// This request is the first with its key: go on and save the response.
    Claimed,
    Replay(StoredResponse),
    /// The key was used for a different request.
    Mismatch,
    /// The first request with this key has not finished.
    InProgress,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = ir)]
struct RecordRow {
    request_hash: String,
    status_code: Option<i32>,
    content_type: Option<String>,
    location: Option<String>,
    body: Option<String>,
}

/// Records kept longer than this are forgotten and the key may be used again.
const RETENTION_SECONDS: i64 = 24 * 3600;

pub fn claim(
    conn: &mut DbConnection,
    now: i64,
    scope: &str,
    key: &str,
    request_hash: &str,
) -> ApiResult<Claim> {
    diesel::delete(ir::table.filter(ir::created_at.lt(now - RETENTION_SECONDS))).execute(conn)?;
    // The insert decides, atomically: of concurrent requests with one key exactly one
    // inserts; the others meet the unique key and read what the first holds. Read-then-insert
    // let two requests both see nothing and the second fail on the key.
    for _ in 0..3 {
        let inserted = diesel::insert_into(ir::table)
            .values((
                ir::scope.eq(scope),
                ir::idempotency_key.eq(key),
                ir::request_hash.eq(request_hash),
                ir::created_at.eq(now),
            ))
            .execute(conn);
        match inserted {
            Ok(_) => return Ok(Claim::Claimed),
            Err(diesel::result::Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
            Err(e) => return Err(e.into()),
        }
        let existing: Option<RecordRow> = ir::table
            .filter(ir::scope.eq(scope).and(ir::idempotency_key.eq(key)))
            .select(RecordRow::as_select())
            .first(conn)
            .optional()?;
        match existing {
            // Released (the first request was refused) in between: claim it again.
            None => continue,
            Some(r) if r.request_hash != request_hash => return Ok(Claim::Mismatch),
            Some(RecordRow {
                status_code: None, ..
            }) => return Ok(Claim::InProgress),
            Some(RecordRow {
                status_code: Some(status),
                content_type,
                location,
                body,
                ..
            }) => {
                return Ok(Claim::Replay(StoredResponse {
                    status_code: status as u16,
                    content_type,
                    location,
                    body: body.unwrap_or_default(),
                }))
            }
        }
    }
    Ok(Claim::InProgress)
}

pub fn complete(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    status: u16,
    content_type: Option<String>,
    location: Option<String>,
    body: String,
) -> ApiResult<()> {
    diesel::update(ir::table.filter(ir::scope.eq(scope).and(ir::idempotency_key.eq(key))))
        .set((
            ir::status_code.eq(i32::from(status)),
            ir::content_type.eq(content_type),
            ir::location.eq(location),
            ir::body.eq(body),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn release(conn: &mut DbConnection, scope: &str, key: &str) -> ApiResult<()> {
    diesel::delete(ir::table.filter(ir::scope.eq(scope).and(ir::idempotency_key.eq(key))))
        .execute(conn)?;
    Ok(())
}
