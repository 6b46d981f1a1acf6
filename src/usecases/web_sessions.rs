//! Browser sessions of the web interface: opened at login (after the same credential check
//! as the API's, `auth::authenticate`), found again from the cookie at each request, closed
//! at logout. The cookie holds a random id; the database keeps only its hash.

use crate::auth::{self, CurrentUser};
use crate::db::{self, users::UserRow, DbConnection};
use crate::domain::Role;
use crate::error::{ApiError, ApiResult};

/// A session lasts at most this long after login...
pub const SESSION_SECONDS: i64 = 12 * 3600;
/// ...and ends after this long without a request.
pub const IDLE_SECONDS: i64 = 2 * 3600;
/// `last_seen_at` is written at most this often, so that browsing stays read-only.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// The caller of a web request and the name the pages greet them with.
#[derive(Debug, Clone)]
pub struct WebCaller {
    pub user: CurrentUser,
    pub display_name: String,
}

/// The longest `User-Agent` kept with a session: enough to name the browser and system.
const USER_AGENT_CHARS: usize = 300;

/// Opens a session for an account whose password was just checked, ending the browser's
/// previous one if any (a new id at every login: a session id planted before login is
/// worth nothing after it). `user_agent` is kept (cut short) so that the account's owner
/// recognises the session in their list. Answers the new cookie value.
pub fn open(
    conn: &mut DbConnection,
    now: i64,
    user: &UserRow,
    previous_cookie: Option<&str>,
    user_agent: Option<&str>,
) -> ApiResult<String> {
    let user_agent: Option<String> = user_agent
        .map(|ua| {
            ua.chars()
                .filter(|c| !c.is_control())
                .take(USER_AGENT_CHARS)
                .collect::<String>()
        })
        .filter(|ua| !ua.trim().is_empty());
    let cookie = auth::random_token();
    db::write_transaction(conn, |conn| {
        if let Some(previous) = previous_cookie {
            db::web_sessions::revoke_by_hash(conn, &auth::token_hash(previous), now)?;
        }
        db::web_sessions::insert(
            conn,
            &user.id,
            &auth::token_hash(&cookie),
            now,
            now + SESSION_SECONDS,
            user_agent.as_deref(),
        )
    })?;
    Ok(cookie)
}

/// The caller of a session cookie, if its session is open and its account active.
pub fn find(conn: &mut DbConnection, now: i64, cookie: &str) -> ApiResult<Option<WebCaller>> {
    let Some(open) =
        db::web_sessions::find_open(conn, &auth::token_hash(cookie), now, now - IDLE_SECONDS)?
    else {
        return Ok(None);
    };
    if now - open.last_seen_at >= TOUCH_EVERY_SECONDS {
        db::web_sessions::touch(conn, &open.id, now)?;
    }
    Ok(Some(WebCaller {
        user: CurrentUser {
            id: open.user_id,
            role: Role::from_db(&open.role)?,
            organisation_id: open.organisation_id,
            session_id: open.id,
            awaiting_approval: open.awaiting_approval,
        },
        display_name: open.display_name,
    }))
}

/// Ends the session of a cookie; an unknown or closed one ends nothing.
pub fn close(conn: &mut DbConnection, now: i64, cookie: &str) -> ApiResult<()> {
    db::web_sessions::revoke_by_hash(conn, &auth::token_hash(cookie), now)
}

/// The caller's open browser sessions, the most recently seen first (the caller's own
/// among them: `CurrentUser::session_id`).
pub fn list(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
) -> ApiResult<Vec<db::web_sessions::SessionRow>> {
    db::web_sessions::open_of_user(conn, &actor.id, now, now - IDLE_SECONDS)
}

/// Ends one of the caller's browser sessions (a browser left open elsewhere). Another
/// account's session, or one already over, answers 404.
pub fn revoke(conn: &mut DbConnection, actor: &CurrentUser, now: i64, id: &str) -> ApiResult<()> {
    db::write_transaction(conn, |conn| {
        if !db::web_sessions::revoke_of_user_by_id(conn, &actor.id, id, now)? {
            return Err(ApiError::not_found());
        }
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "user",
            &actor.id,
            "web_session_revoked",
            serde_json::json!({ "web_session_id": id }),
        )
    })
}

/// Ends every browser session of the caller but the one making the request.
pub fn revoke_others(conn: &mut DbConnection, actor: &CurrentUser, now: i64) -> ApiResult<()> {
    db::write_transaction(conn, |conn| {
        db::web_sessions::revoke_of_user(conn, &actor.id, Some(&actor.session_id), now)?;
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "user",
            &actor.id,
            "other_web_sessions_revoked",
            serde_json::json!({ "kept": actor.session_id }),
        )
    })
}
