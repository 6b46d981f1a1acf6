//! The limits per client address (public forms, logins) and the lock-out of accounts after
//! failed logins, counted in the database so that every instance of the service shares
//! them (`domain::rate_limits` says what they allow). Each count is its own short write
//! transaction, taken before any password is hashed; on SQLite it holds the write lock for
//! one statement only. A refusal this instance has read is then remembered in memory
//! (`KnownRefusals`) until it ends, so that a flood from a client over its limit, or on a
//! locked account, is answered without a connection or the write lock.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::db::{self, DbConnection};
use crate::domain::rate_limits::{LoginBackoff, RateLimit};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

/// What a limit counts: each has its own counts per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Public service requests (the API's and the web form's).
    PublicForm,
    /// Password resets asked for (the API's and the web page's).
    PasswordReset,
    /// Login attempts (the API's and the web page's).
    Login,
    /// Codes of the confirmation and reset e-mails typed on their pages.
    TypedCode,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::PublicForm => "public_form",
            Scope::PasswordReset => "password_reset",
            Scope::Login => "login",
            Scope::TypedCode => "typed_code",
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

/// Whose refusal is remembered: a client address in one scope, or an account (under its
/// `domain::rate_limits::account_key`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Refused {
    Client(Scope, String),
    Account(String),
}

/// The refusals this instance has already read from the database, each until it ends.
/// Answering them from memory gives the same answer the database would: within a window a
/// client's count only grows, and a locked account can neither fail nor succeed before its
/// lock ends (both are refused before the password), so no instance can lift either sooner.
/// Bounded: past `capacity` the ended ones are dropped, and if none has ended a new refusal
/// is simply not remembered (it is then read from the database, as before).
pub struct KnownRefusals {
    until: Mutex<HashMap<Refused, i64>>,
    capacity: usize,
}

impl Default for KnownRefusals {
    fn default() -> Self {
        KnownRefusals::new(10_000)
    }
}

impl KnownRefusals {
    pub fn new(capacity: usize) -> Self {
        KnownRefusals {
            until: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The seconds left of a remembered refusal of `who` at `now`; an ended one is dropped.
    fn left(&self, who: &Refused, now: i64) -> Option<u64> {
        // A panic elsewhere while holding the lock leaves the map usable: it only caches.
        let mut until = self.until.lock().unwrap_or_else(|e| e.into_inner());
        match until.get(who) {
            Some(&end) if end > now => Some((end - now) as u64),
            Some(_) => {
                until.remove(who);
                None
            }
            None => None,
        }
    }

    /// Remembers that `who`, refused at `now` for `wait` seconds, stays refused until then.
    fn remember(&self, who: Refused, now: i64, wait: u64) {
        let end = now.saturating_add(wait as i64);
        let mut until = self.until.lock().unwrap_or_else(|e| e.into_inner());
        if until.len() >= self.capacity && !until.contains_key(&who) {
            until.retain(|_, &mut end| end > now);
            if until.len() >= self.capacity {
                return;
            }
        }
        until.insert(who, end);
    }
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
    let (now, limit) = (state.now(), state.public_limit);
    let who = Refused::Client(scope, client.to_owned());
    let judged = match state.known_refusals.left(&who, now) {
        Some(wait) => Err(wait),
        None => {
            let client = client.to_owned();
            let judged = state
                .db(move |conn| count_request(conn, now, scope, limit, &client))
                .await?;
            if let Err(wait) = judged {
                state.known_refusals.remember(who, now, wait);
            }
            judged
        }
    };
    judged.map_err(|wait| {
        ApiError::too_many(
            ErrorCode::RateLimited,
            format!("Trop de demandes depuis cette adresse : réessayez dans {wait} secondes."),
            wait,
        )
    })
}

/// Whether a login attempt from `client` on the account `account_key` may go on to its
/// password at `now`: refused from memory when this instance already knows the address
/// over its limit or the account locked, refused as busy (429 `too_many_logins`) when the
/// password gate is full (`PasswordGate::refuse_when_full`), else counted and read in the database
/// (`admit_login`), a refusal then remembered until it ends. Answers whether the account
/// has failures to forget should this attempt succeed.
pub async fn admit_login_attempt(
    state: &AppState,
    now: i64,
    client: &str,
    account_key: &str,
) -> ApiResult<Result<bool, LoginRefusal>> {
    let address = Refused::Client(Scope::Login, client.to_owned());
    if let Some(wait) = state.known_refusals.left(&address, now) {
        return Ok(Err(LoginRefusal::Address(wait)));
    }
    let account = Refused::Account(account_key.to_owned());
    if let Some(wait) = state.known_refusals.left(&account, now) {
        return Ok(Err(LoginRefusal::Account(wait)));
    }
    // An attempt the gate would turn away is not counted: it checks no password.
    state.password_gate.refuse_when_full()?;
    let (limit, backoff) = (state.login_limit, state.login_backoff);
    let admitted = {
        let (client, account_key) = (client.to_owned(), account_key.to_owned());
        state
            .db(move |conn| admit_login(conn, now, limit, backoff, &client, &account_key))
            .await?
    };
    match admitted {
        Err(LoginRefusal::Address(wait)) => state.known_refusals.remember(address, now, wait),
        Err(LoginRefusal::Account(wait)) => state.known_refusals.remember(account, now, wait),
        Ok(_) => {}
    }
    Ok(admitted)
}

/// Whether the account `account_key` may try its password at `now` (`Err(seconds)` while
/// it is locked out), from memory when this instance already knows it locked, else read in
/// the database (`account_failures`). Answers whether it has failures to forget.
pub async fn account_lock(
    state: &AppState,
    now: i64,
    account_key: &str,
) -> ApiResult<Result<bool, u64>> {
    let account = Refused::Account(account_key.to_owned());
    if let Some(wait) = state.known_refusals.left(&account, now) {
        return Ok(Err(wait));
    }
    let backoff = state.login_backoff;
    let judged = {
        let account_key = account_key.to_owned();
        state
            .db(move |conn| account_failures(conn, now, backoff, &account_key))
            .await?
    };
    if let Err(wait) = judged {
        state.known_refusals.remember(account, now, wait);
    }
    Ok(judged)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_refusals_end_with_their_window_and_stay_bounded() {
        let known = KnownRefusals::new(2);
        let client = |address: &str| Refused::Client(Scope::Login, address.to_owned());
        known.remember(client("a"), 100, 20);
        assert_eq!(known.left(&client("a"), 110), Some(10));
        assert_eq!(known.left(&client("a"), 120), None, "ended with its window");
        known.remember(client("a"), 120, 5);
        known.remember(Refused::Account("k".into()), 120, 60);
        // Full of refusals still running: a new one is not remembered, the others stay.
        known.remember(client("b"), 121, 30);
        assert_eq!(known.left(&client("b"), 121), None);
        assert_eq!(known.left(&client("a"), 121), Some(4));
        // Once one has ended, a new one takes its place.
        known.remember(client("b"), 125, 30);
        assert_eq!(known.left(&client("b"), 125), Some(30));
        assert_eq!(known.left(&Refused::Account("k".into()), 125), Some(55));
        assert_eq!(known.until.lock().unwrap().len(), 2);
    }
}
