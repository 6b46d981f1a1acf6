//! The e-mail outbox, the kinds of notification each account turned off, and password
//! resets.
//!
//! A message is claimed by a worker with a lease (`lease_id`, `leased_until_ms`) so that
//! no other worker takes it meanwhile, sent outside any transaction, then marked. A sent
//! message never goes back to a state a worker claims.

use diesel::prelude::*;

use super::schema::{
    notification_opt_outs as opt, outbox_messages as om, password_resets as pr, users,
};
use super::{new_id, DbConnection, Listed, Page};
use crate::error::ApiResult;

/// The states a worker claims from.
const WAITING: [&str; 2] = ["queued", "failed"];

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = om)]
pub struct MessageRow {
    pub id: String,
    pub kind: String,
    pub user_id: Option<String>,
    pub recipient: String,
    pub locale: String,
    pub subject: String,
    pub payload: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at_ms: i64,
    pub lease_id: Option<String>,
    pub leased_until_ms: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub sent_at: Option<i64>,
}

/// A message to queue.
pub struct NewMessage<'a> {
    pub kind: &'a str,
    pub user_id: Option<&'a str>,
    pub recipient: &'a str,
    pub locale: &'a str,
    pub subject: &'a str,
    pub payload: &'a str,
}

/// Queues a message, due at once; returns its id.
pub fn insert(conn: &mut DbConnection, now: i64, message: &NewMessage) -> ApiResult<String> {
    let mut ids = insert_many(conn, now, std::slice::from_ref(message))?;
    Ok(ids.remove(0))
}

/// An account as messages address it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct RecipientRow {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub locale: String,
    pub active: bool,
}

/// Accounts as messages address them.
#[derive(Debug, Default)]
pub struct Recipients {
    pub accounts: Vec<RecipientRow>,
    /// The kinds each turned off, `(user, kind)`.
    pub turned_off: Vec<(String, String)>,
}

/// The accounts `ids` as messages address them, with the kinds each turned off: one query
/// for any number of them (an account once for each kind turned off).
pub fn recipients(conn: &mut DbConnection, ids: &[&str]) -> ApiResult<Recipients> {
    if ids.is_empty() {
        return Ok(Recipients::default());
    }
    let rows: Vec<(RecipientRow, Option<String>)> = users::table
        .left_join(opt::table)
        .filter(users::id.eq_any(ids))
        .select((RecipientRow::as_select(), opt::kind.nullable()))
        .load(conn)?;
    let mut found = Recipients::default();
    for (account, off) in rows {
        if let Some(kind) = off {
            found.turned_off.push((account.id.clone(), kind));
        }
        if !found.accounts.iter().any(|a| a.id == account.id) {
            found.accounts.push(account);
        }
    }
    Ok(found)
}

/// Queues messages, due at once, in one statement; returns their ids.
pub fn insert_many(
    conn: &mut DbConnection,
    now: i64,
    messages: &[NewMessage],
) -> ApiResult<Vec<String>> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = messages.iter().map(|_| new_id()).collect();
    let rows: Vec<_> = messages
        .iter()
        .zip(&ids)
        .map(|(message, id)| {
            (
                om::id.eq(id),
                om::kind.eq(message.kind),
                om::user_id.eq(message.user_id),
                om::recipient.eq(message.recipient),
                om::locale.eq(message.locale),
                om::subject.eq(message.subject),
                om::payload.eq(message.payload),
                om::state.eq("queued"),
                om::attempts.eq(0),
                om::next_attempt_at_ms.eq(now * 1000),
                om::created_at.eq(now),
                om::updated_at.eq(now),
            )
        })
        .collect();
    super::insert_many!(conn, om::table, &rows)?;
    Ok(ids)
}

/// Claims up to `limit` messages due at `now_ms` that no live lease holds: they are leased
/// to `lease_id` until `now_ms + lease_ms` and their attempt counted (an attempt that
/// crashes the process counts too). Run inside a write transaction: on PostgreSQL the rows
/// are locked with `SKIP LOCKED`, so that concurrent workers claim different messages
/// without waiting for each other; on SQLite `BEGIN IMMEDIATE` serialises the claims.
pub fn claim(
    conn: &mut DbConnection,
    lease_id: &str,
    now_ms: i64,
    lease_ms: i64,
    limit: i64,
) -> ApiResult<Vec<MessageRow>> {
    let due = om::table
        .filter(om::state.eq_any(WAITING))
        .filter(om::next_attempt_at_ms.le(now_ms))
        .filter(
            om::leased_until_ms
                .is_null()
                .or(om::leased_until_ms.le(now_ms)),
        )
        .order((om::next_attempt_at_ms, om::id))
        .select(om::id)
        .limit(limit);
    let ids: Vec<String> = match conn {
        DbConnection::Postgresql(pg) => due.for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(lite) => due.load(lite)?,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(om::table.filter(om::id.eq_any(&ids)))
        .set((
            om::lease_id.eq(lease_id),
            om::leased_until_ms.eq(now_ms + lease_ms),
            om::attempts.eq(om::attempts + 1),
        ))
        .execute(conn)?;
    Ok(om::table
        .filter(om::id.eq_any(&ids))
        .order((om::next_attempt_at_ms, om::id))
        .select(MessageRow::as_select())
        .load(conn)?)
}

/// Marks a message sent and forgets its payload (links and tokens are no longer needed).
/// Whatever lease holds it: a worker whose lease expired still sent it, and saying so
/// spares a second copy when no other worker took it yet.
pub fn mark_sent(conn: &mut DbConnection, now: i64, id: &str) -> ApiResult<bool> {
    Ok(mark_sent_many(conn, now, &[id.to_owned()])? == 1)
}

/// Marks messages sent in one statement (as `mark_sent`); answers how many were not yet.
pub fn mark_sent_many(conn: &mut DbConnection, now: i64, ids: &[String]) -> ApiResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    let changed = diesel::update(
        om::table
            .filter(om::id.eq_any(ids))
            .filter(om::state.ne("sent")),
    )
    .set((
        om::state.eq("sent"),
        om::sent_at.eq(now),
        om::updated_at.eq(now),
        om::payload.eq("{}"),
        om::lease_id.eq(None::<String>),
        om::leased_until_ms.eq(None::<i64>),
    ))
    .execute(conn)?;
    Ok(changed)
}

/// Marks sent, all at once, the messages still queued that were created in `[from, to)`:
/// the demo's past term, whose e-mails went out at the time.
pub fn mark_sent_created_between(
    conn: &mut DbConnection,
    from: i64,
    to: i64,
    now: i64,
) -> ApiResult<usize> {
    Ok(diesel::update(
        om::table
            .filter(om::state.eq("queued"))
            .filter(om::created_at.ge(from))
            .filter(om::created_at.lt(to)),
    )
    .set((
        om::state.eq("sent"),
        om::sent_at.eq(now),
        om::updated_at.eq(now),
        om::payload.eq("{}"),
    ))
    .execute(conn)?)
}

/// Records a failed attempt of a message still leased to `lease_id`: `failed` until
/// `next_attempt_at_ms`, or `dead`. False when the lease was lost meanwhile.
pub fn mark_failed(
    conn: &mut DbConnection,
    now: i64,
    id: &str,
    lease_id: &str,
    dead: bool,
    next_attempt_at_ms: i64,
    error: &str,
) -> ApiResult<bool> {
    let changed = diesel::update(
        om::table
            .find(id)
            .filter(om::lease_id.eq(lease_id))
            .filter(om::state.ne("sent")),
    )
    .set((
        om::state.eq(if dead { "dead" } else { "failed" }),
        om::next_attempt_at_ms.eq(next_attempt_at_ms),
        om::last_error.eq(error),
        om::updated_at.eq(now),
        om::lease_id.eq(None::<String>),
        om::leased_until_ms.eq(None::<i64>),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Gives back messages claimed but not tried (the mail server could not be reached for an
/// earlier one of the batch): their attempt is not counted, and they wait until
/// `next_attempt_at_ms`.
pub fn release(
    conn: &mut DbConnection,
    ids: &[String],
    lease_id: &str,
    next_attempt_at_ms: i64,
) -> ApiResult<()> {
    diesel::update(
        om::table
            .filter(om::id.eq_any(ids))
            .filter(om::lease_id.eq(lease_id))
            .filter(om::state.ne("sent")),
    )
    .set((
        om::attempts.eq(om::attempts - 1),
        om::next_attempt_at_ms.eq(next_attempt_at_ms),
        om::lease_id.eq(None::<String>),
        om::leased_until_ms.eq(None::<i64>),
    ))
    .execute(conn)?;
    Ok(())
}

/// Messages waiting to be sent (queued or failed): the length of the queue.
pub fn count_waiting(conn: &mut DbConnection) -> ApiResult<i64> {
    Ok(om::table
        .filter(om::state.eq_any(WAITING))
        .count()
        .get_result(conn)?)
}

#[derive(Debug, Default, Clone)]
pub struct MessageFilter {
    pub state: Option<String>,
    pub kind: Option<String>,
    pub user_id: Option<String>,
    /// Part of the recipient's address (lower case).
    pub recipient_contains: Option<String>,
}

/// Messages, newest first.
pub fn list(
    conn: &mut DbConnection,
    filter: &MessageFilter,
    page: &Page,
) -> ApiResult<Listed<MessageRow>> {
    let mut query = om::table
        .select(MessageRow::as_select())
        .order(om::id.desc())
        .into_boxed();
    if let Some(state) = &filter.state {
        query = query.filter(om::state.eq(state.clone()));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(om::kind.eq(kind.clone()));
    }
    if let Some(user) = &filter.user_id {
        query = query.filter(om::user_id.eq(user.clone()));
    }
    if let Some(text) = &filter.recipient_contains {
        query = query.filter(
            super::lower(om::recipient)
                .like(format!("%{}%", super::users::escape_like(text)))
                .escape('\\'),
        );
    }
    if let Some(after) = &page.after {
        query = query.filter(om::id.lt(after.clone()));
    }
    Ok(Listed::of(
        query.limit(page.limit + 1).load(conn)?,
        page,
        |r| &r.id,
    ))
}

pub fn find(conn: &mut DbConnection, id: &str) -> ApiResult<Option<MessageRow>> {
    Ok(om::table
        .find(id)
        .select(MessageRow::as_select())
        .first(conn)
        .optional()?)
}

/// Puts a dead message back in the queue, due now, with its attempts counted afresh.
/// False when it is not dead.
pub fn requeue_dead(conn: &mut DbConnection, now: i64, id: &str) -> ApiResult<bool> {
    let changed = diesel::update(om::table.find(id).filter(om::state.eq("dead")))
        .set((
            om::state.eq("queued"),
            om::attempts.eq(0),
            om::next_attempt_at_ms.eq(now * 1000),
            om::updated_at.eq(now),
            om::lease_id.eq(None::<String>),
            om::leased_until_ms.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// The kinds of notification an account turned off.
pub fn opt_outs(conn: &mut DbConnection, user_id: &str) -> ApiResult<Vec<String>> {
    Ok(opt::table
        .filter(opt::user_id.eq(user_id))
        .select(opt::kind)
        .order(opt::kind)
        .load(conn)?)
}

pub fn has_opted_out(conn: &mut DbConnection, user_id: &str, kind: &str) -> ApiResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        opt::table.filter(opt::user_id.eq(user_id).and(opt::kind.eq(kind))),
    ))
    .get_result(conn)?)
}

/// Turns a kind off (`enabled` false) or on again for an account.
pub fn set_opt_out(
    conn: &mut DbConnection,
    user_id: &str,
    kind: &str,
    enabled: bool,
) -> ApiResult<()> {
    diesel::delete(opt::table.filter(opt::user_id.eq(user_id).and(opt::kind.eq(kind))))
        .execute(conn)?;
    if !enabled {
        diesel::insert_into(opt::table)
            .values((opt::user_id.eq(user_id), opt::kind.eq(kind)))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pr)]
pub struct PasswordResetRow {
    pub id: String,
    pub user_id: String,
    pub token_hash: String,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    pub created_at: i64,
}

/// Stores a password reset; `token_hash` is the SHA-256 of the token e-mailed.
pub fn insert_password_reset(
    conn: &mut DbConnection,
    now: i64,
    user_id: &str,
    token_hash: &str,
    expires_at: i64,
) -> ApiResult<String> {
    let id = new_id();
    diesel::insert_into(pr::table)
        .values((
            pr::id.eq(&id),
            pr::user_id.eq(user_id),
            pr::token_hash.eq(token_hash),
            pr::expires_at.eq(expires_at),
            pr::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn find_password_reset(
    conn: &mut DbConnection,
    token_hash: &str,
) -> ApiResult<Option<PasswordResetRow>> {
    Ok(pr::table
        .filter(pr::token_hash.eq(token_hash))
        .select(PasswordResetRow::as_select())
        .first(conn)
        .optional()?)
}

/// When the account's latest password reset was asked for.
pub fn latest_password_reset_at(conn: &mut DbConnection, user_id: &str) -> ApiResult<Option<i64>> {
    Ok(pr::table
        .filter(pr::user_id.eq(user_id))
        .select(diesel::dsl::max(pr::created_at))
        .first(conn)?)
}

/// Ends every unused reset of an account (a new one or a password change replaces them);
/// true when `only` (if given) was among them, i.e. was still unused.
pub fn consume_password_resets(
    conn: &mut DbConnection,
    now: i64,
    user_id: &str,
    only: Option<&str>,
) -> ApiResult<bool> {
    let at = now;
    let used = match only {
        Some(id) => {
            diesel::update(pr::table.find(id).filter(pr::consumed_at.is_null()))
                .set(pr::consumed_at.eq(at))
                .execute(conn)?
                == 1
        }
        None => false,
    };
    diesel::update(pr::table.filter(pr::user_id.eq(user_id).and(pr::consumed_at.is_null())))
        .set(pr::consumed_at.eq(at))
        .execute(conn)?;
    Ok(used)
}
