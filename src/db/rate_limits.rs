//! The counts behind the limits per client address and the lock-out of accounts after failed
//! logins (`domain::rate_limits`), shared by every instance of the service. Each count is
//! one statement that increments and answers at once, so that concurrent requests on any
//! instance never read the same count.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::schema::{login_failures as lf, rate_limit_hits as rh};
use super::DbConnection;
use crate::error::ApiResult;

/// `sql` (written with PostgreSQL's `$1` placeholders) for the connection's backend: SQLite
/// reads the same numbered placeholders written `?1`.
fn for_backend(conn: &DbConnection, sql: &'static str) -> std::borrow::Cow<'static, str> {
    match conn {
        DbConnection::Postgresql(_) => sql.into(),
        DbConnection::Sqlite(_) => sql.replace('$', "?").into(),
    }
}

#[derive(QueryableByName)]
struct Hits {
    #[diesel(sql_type = BigInt)]
    hits: i64,
}

/// Counts one request of `client_key` in `scope` in the window starting at `window_start`
/// (ending at `expires_at`); answers the requests of that window, this one included.
pub fn count_hit(
    conn: &mut DbConnection,
    scope: &str,
    client_key: &str,
    window_start: i64,
    expires_at: i64,
) -> ApiResult<i64> {
    let sql = for_backend(
        conn,
        "INSERT INTO rate_limit_hits (scope, client_key, window_start, expires_at, hits) \
         VALUES ($1, $2, $3, $4, 1) \
         ON CONFLICT (scope, client_key, window_start) \
         DO UPDATE SET hits = rate_limit_hits.hits + 1 \
         RETURNING hits",
    );
    let counted = super::db_run!(conn, c => diesel::sql_query(sql.as_ref())
        .bind::<Text, _>(scope)
        .bind::<Text, _>(client_key)
        .bind::<BigInt, _>(window_start)
        .bind::<BigInt, _>(expires_at)
        .get_result::<Hits>(c))?;
    Ok(counted.hits)
}

/// The failed logins in a row of `account_key` not yet forgotten at `now`, and when the
/// last was.
pub fn login_failures(
    conn: &mut DbConnection,
    account_key: &str,
    now: i64,
) -> ApiResult<Option<(i64, i64)>> {
    Ok(lf::table
        .filter(lf::account_key.eq(account_key).and(lf::forget_at.gt(now)))
        .select((lf::failures, lf::last_failure_at))
        .first(conn)
        .optional()?)
}

/// Records a failed login of `account_key` at `now`, forgotten at `forget_at`: one more in a
/// row, or the first of a new series when the earlier ones were already forgotten.
pub fn record_login_failure(
    conn: &mut DbConnection,
    account_key: &str,
    now: i64,
    forget_at: i64,
) -> ApiResult<()> {
    let sql = for_backend(
        conn,
        "INSERT INTO login_failures (account_key, failures, last_failure_at, forget_at) \
         VALUES ($1, 1, $2, $3) \
         ON CONFLICT (account_key) DO UPDATE SET \
         failures = CASE WHEN login_failures.forget_at <= excluded.last_failure_at THEN 1 \
                         ELSE login_failures.failures + 1 END, \
         last_failure_at = excluded.last_failure_at, \
         forget_at = excluded.forget_at",
    );
    super::db_run!(conn, c => diesel::sql_query(sql.as_ref())
        .bind::<Text, _>(account_key)
        .bind::<BigInt, _>(now)
        .bind::<BigInt, _>(forget_at)
        .execute(c))?;
    Ok(())
}

/// Forgets the failed logins of `account_key` (it just logged in).
pub fn forget_login_failures(conn: &mut DbConnection, account_key: &str) -> ApiResult<()> {
    diesel::delete(lf::table.filter(lf::account_key.eq(account_key))).execute(conn)?;
    Ok(())
}

/// Deletes the windows that ended and the failures forgotten by `now`; answers how many
/// rows went.
pub fn prune(conn: &mut DbConnection, now: i64) -> ApiResult<usize> {
    let windows = diesel::delete(rh::table.filter(rh::expires_at.le(now))).execute(conn)?;
    let failures = diesel::delete(lf::table.filter(lf::forget_at.le(now))).execute(conn)?;
    Ok(windows + failures)
}
