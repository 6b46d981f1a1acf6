//! What the page « Mon compte » reads: the account, its open browser sessions and its
//! e-mail preferences, each through the use case the API reads it with.

use crate::auth::CurrentUser;
use crate::db::{self, web_sessions::SessionRow, DbConnection};
use crate::error::ApiResult;
use crate::usecases::outbox::Preferences;

pub struct AccountOverview {
    pub email: String,
    pub display_name: String,
    pub organisation: String,
    pub sessions: Vec<SessionRow>,
    pub preferences: Preferences,
}

/// The caller's own account as « Mon compte » shows it.
pub fn overview(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
) -> ApiResult<AccountOverview> {
    let account = super::auth::me(conn, actor)?;
    let organisation = db::organisations::find(conn, &account.row.organisation_id)?
        .map(|o| o.name)
        .unwrap_or_default();
    Ok(AccountOverview {
        email: account.row.email,
        display_name: account.row.display_name,
        organisation,
        sessions: super::web_sessions::list(conn, actor, now)?,
        preferences: crate::usecases::outbox::preferences(conn, actor)?,
    })
}
