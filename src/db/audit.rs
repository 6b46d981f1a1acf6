//! The audit trail: who changed what, and when.

use diesel::prelude::*;

use super::schema::audit_events;
use super::{new_id, DbConnection};
use crate::error::ApiResult;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub id: String,
    pub at: i64,
    pub actor_user_id: Option<String>,
    pub entity_type: String,
    pub entity_id: String,
    pub action: String,
    pub changes: String,
}

/// Appends one event; `changes` is a JSON document of what was set.
pub fn record(
    conn: &mut DbConnection,
    now: i64,
    actor: Option<&str>,
    entity_type: &str,
    entity_id: &str,
    action: &str,
    changes: serde_json::Value,
) -> ApiResult<()> {
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::id.eq(new_id()),
            audit_events::at.eq(now),
            audit_events::actor_user_id.eq(actor),
            audit_events::entity_type.eq(entity_type),
            audit_events::entity_id.eq(entity_id),
            audit_events::action.eq(action),
            audit_events::changes.eq(changes.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}

/// An event to append with [`record_many`].
pub struct NewEvent<'a> {
    pub actor: Option<&'a str>,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub action: &'a str,
    pub changes: serde_json::Value,
}

/// Appends several events in one statement.
pub fn record_many(conn: &mut DbConnection, now: i64, events: &[NewEvent<'_>]) -> ApiResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let at = now;
    let rows: Vec<_> = events
        .iter()
        .map(|e| {
            (
                audit_events::id.eq(new_id()),
                audit_events::at.eq(at),
                audit_events::actor_user_id.eq(e.actor),
                audit_events::entity_type.eq(e.entity_type),
                audit_events::entity_id.eq(e.entity_id),
                audit_events::action.eq(e.action),
                audit_events::changes.eq(e.changes.to_string()),
            )
        })
        .collect();
    // Multi-row INSERTs exist on each backend but not through MultiConnection.
    match conn {
        DbConnection::Postgresql(pg) => {
            diesel::insert_into(audit_events::table)
                .values(&rows)
                .execute(pg)?;
        }
        DbConnection::Sqlite(lite) => {
            diesel::insert_into(audit_events::table)
                .values(&rows)
                .execute(lite)?;
        }
    }
    Ok(())
}

pub fn for_entity(
    conn: &mut DbConnection,
    entity_type: &str,
    entity_id: &str,
) -> ApiResult<Vec<AuditRow>> {
    Ok(audit_events::table
        .filter(
            audit_events::entity_type
                .eq(entity_type)
                .and(audit_events::entity_id.eq(entity_id)),
        )
        .order(audit_events::id)
        .select(AuditRow::as_select())
        .load(conn)?)
}
