//! The limits per client address (public forms, logins) and the lock-out of accounts after
//! failed logins, counted in the database so that every instance of the service shares
//! them (`domain::rate_limits` says what they allow). Each count is its own short write
//! transaction, taken before any password is hashed; on SQLite it holds the write lock for
//! one statement only.

use crate::db::{self, DbConnection};
use crate::domain::rate_limits::{LoginBackoff, RateLimit};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

/// What a limit counts: each has its own counts per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Public service requests (the API's and the web form's).
    PublicForm,
    /// Password resets asked for (the API's and the web page's).
    PasswordReset,
    /// Login attempts (the API's and the web page's).
    Login,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::PublicForm => "public_form",
            Scope::PasswordReset => "password_reset",
            Scope::Login => "login",
        }
    }
}

/// Why a login attempt is refused before its password is checked, and for how many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefusal {
    /// Too many attempts from this client address.
    Address(u64),
    /// Too many failures in a row of this account.
    Account(u64),
}

/// Counts a request of `client` in `scope` at `now`; `Err(seconds)` when it is over `limit`.
pub fn count_request(
    conn: &mut DbConnection,
    now: i64,
    scope: Scope,
    limit: RateLimit,
    client: &str,
) -> ApiResult<Result<(), u64>> {
    let start = limit.window_start(now);
    let hits = db::write_transaction(conn, |conn| {
        db::rate_limits::count_hit(
            conn,
            scope.as_str(),
            client,
            start,
            start + limit.window_seconds,
        )
    })?;
    Ok(limit.judge(hits, start, now))
}

/// A public request (a form anyone may send) of `client` in `scope`, counted against the
/// public limit; past it, refused with 429 `rate_limited` and the wait in `Retry-After`.
pub async fn admit_public(state: &AppState, scope: Scope, client: &str) -> ApiResult<()> {
    let (now, limit, client) = (state.now(), state.public_limit, client.to_owned());
    state
        .db(move |conn| count_request(conn, now, scope, limit, &client))
        .await?
        .map_err(|wait| {
            ApiError::too_many(
                ErrorCode::RateLimited,
                format!("Trop de demandes depuis cette adresse : réessayez dans {wait} secondes."),
                wait,
            )
        })
}

/// Counts a login attempt from `client` against `limit`, then reads the failures of the
/// account `account_key` (`domain::rate_limits::account_key`). Answers whether the account
/// has failures to forget should this attempt succeed.
pub fn admit_login(
    conn: &mut DbConnection,
    now: i64,
    limit: RateLimit,
    backoff: LoginBackoff,
    client: &str,
    account_key: &str,
) -> ApiResult<Result<bool, LoginRefusal>> {
    if let Err(wait) = count_request(conn, now, Scope::Login, limit, client)? {
        return Ok(Err(LoginRefusal::Address(wait)));
    }
    Ok(account_failures(conn, now, backoff, account_key)?.map_err(LoginRefusal::Account))
}

/// Whether the account `account_key` may try its password at `now` (`Err(seconds)` while
/// it is locked out); answers whether it has failures to forget.
pub fn account_failures(
    conn: &mut DbConnection,
    now: i64,
    backoff: LoginBackoff,
    account_key: &str,
) -> ApiResult<Result<bool, u64>> {
    Ok(
        match db::rate_limits::login_failures(conn, account_key, now)? {
            None => Ok(false),
            Some((failures, last)) => backoff.judge(failures, last, now).map(|()| true),
        },
    )
}

/// Records a wrong password given for the account `account_key` at `now`.
pub fn login_failed(
    conn: &mut DbConnection,
    now: i64,
    backoff: LoginBackoff,
    account_key: &str,
) -> ApiResult<()> {
    db::write_transaction(conn, |conn| {
        db::rate_limits::record_login_failure(conn, account_key, now, backoff.forget_at(now))
    })
}

/// Forgets the failures of the account `account_key`: its password was just given right.
pub fn login_succeeded(conn: &mut DbConnection, account_key: &str) -> ApiResult<()> {
    db::write_transaction(conn, |conn| {
        db::rate_limits::forget_login_failures(conn, account_key)
    })
}

/// Deletes the counts no limit reads any more at `now` (ended windows, forgotten failures);
/// the scheduler runs it on each tick. Answers how many rows went.
pub fn prune(conn: &mut DbConnection, now: i64) -> ApiResult<usize> {
    db::write_transaction(conn, |conn| db::rate_limits::prune(conn, now))
}
