//! The e-mail outbox as the use cases see it: `enqueue` writes a message in the caller's
//! transaction, so that it exists if and only if the change that causes it is committed;
//! the mail worker (`crate::mail`) sends it afterwards. Also what people do with their
//! notifications: their preferences, and the administrators' view of the queue.

use crate::auth::CurrentUser;
use crate::db::{self, outbox::MessageFilter, outbox::MessageRow, DbConnection, Listed, Page};
use crate::domain::notifications::{Locale, NotificationKind};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::labels::Label;
use crate::mail::content::{Facts, RECIPIENT_NAME};

/// Queues a message to the account `user_id`, at its address and in its language as they
/// are now, inside the caller's transaction. Nothing is queued when the account turned this
/// kind of message off; returns the message's id otherwise.
pub fn enqueue(
    conn: &mut DbConnection,
    now: i64,
    user_id: &str,
    facts: &Facts,
) -> ApiResult<Option<String>> {
    let kind = facts.kind();
    let user = db::users::find(conn, user_id)?.ok_or_else(|| {
        ApiError::internal(format!("a {kind} message for an unknown account {user_id}"))
    })?;
    if kind.can_be_turned_off() && db::outbox::has_opted_out(conn, user_id, kind.as_str())? {
        return Ok(None);
    }
    let locale = Locale::parse(&db::users::locale(conn, user_id)?).unwrap_or(Locale::French);
    let id = db::outbox::insert(
        conn,
        now,
        &db::outbox::NewMessage {
            kind: kind.as_str(),
            user_id: Some(user_id),
            recipient: &user.email,
            locale: locale.as_str(),
            subject: &facts.subject(locale),
            payload: &facts.to_json(),
        },
    )?;
    crate::mail::nudge();
    Ok(Some(id))
}

/// Queues messages to several accounts inside the caller's transaction: two reads for all
/// of them (addresses and languages, kinds turned off) and one insert. Inactive accounts,
/// and kinds turned off, get nothing; the same message to the same account (a booker who
/// supervises) is queued once. Returns how many were queued.
pub fn enqueue_many(
    conn: &mut DbConnection,
    now: i64,
    messages: &[(&str, Facts)],
) -> ApiResult<usize> {
    if messages.is_empty() {
        return Ok(0);
    }
    let mut ids: Vec<&str> = messages.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    let db::outbox::Recipients {
        accounts,
        turned_off: off,
    } = db::outbox::recipients(conn, &ids)?;
    let mut seen = std::collections::HashSet::new();
    let mut prepared = Vec::new();
    for (user_id, facts) in messages {
        let kind = facts.kind();
        let Some(account) = accounts.iter().find(|a| a.id == *user_id && a.active) else {
            continue;
        };
        if kind.can_be_turned_off() && off.iter().any(|(u, k)| u == user_id && k == kind.as_str()) {
            continue;
        }
        let mut payload: serde_json::Value =
            serde_json::from_str(&facts.to_json()).expect("facts are JSON");
        if !seen.insert((*user_id, kind, payload.to_string())) {
            continue;
        }
        if let serde_json::Value::Object(map) = &mut payload {
            map.insert(RECIPIENT_NAME.into(), account.display_name.clone().into());
        }
        let locale = Locale::parse(&account.locale).unwrap_or(Locale::French);
        prepared.push((
            kind,
            *user_id,
            account.email.clone(),
            locale,
            facts.subject(locale),
            payload.to_string(),
        ));
    }
    let rows: Vec<db::outbox::NewMessage> = prepared
        .iter()
        .map(
            |(kind, user_id, email, locale, subject, payload)| db::outbox::NewMessage {
                kind: kind.as_str(),
                user_id: Some(user_id),
                recipient: email,
                locale: locale.as_str(),
                subject,
                payload,
            },
        )
        .collect();
    let queued = db::outbox::insert_many(conn, now, &rows)?.len();
    if queued > 0 {
        crate::mail::nudge();
    }
    Ok(queued)
}

/// An account's e-mail settings: the language, and whether each kind is on.
pub struct Preferences {
    pub locale: Locale,
    pub kinds: Vec<(NotificationKind, bool)>,
}

fn preferences_of(conn: &mut DbConnection, user_id: &str) -> ApiResult<Preferences> {
    let off = db::outbox::opt_outs(conn, user_id)?;
    let locale = Locale::parse(&db::users::locale(conn, user_id)?).unwrap_or(Locale::French);
    Ok(Preferences {
        locale,
        kinds: NotificationKind::ALL
            .iter()
            .map(|k| (*k, !off.iter().any(|o| o == k.as_str())))
            .collect(),
    })
}

/// The caller's e-mail settings.
pub fn preferences(conn: &mut DbConnection, actor: &CurrentUser) -> ApiResult<Preferences> {
    preferences_of(conn, &actor.id)
}

/// Changes the caller's e-mail settings: the language, and kinds turned on or off (the
/// others stay as they were). Account and password messages cannot be turned off.
pub fn change_preferences(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    locale: Option<Locale>,
    kinds: &[(NotificationKind, bool)],
) -> ApiResult<Preferences> {
    let refused: Vec<_> = kinds
        .iter()
        .filter(|(kind, enabled)| !enabled && !kind.can_be_turned_off())
        .map(|(kind, _)| {
            crate::error::FieldError::new(
                format!("kinds.{}", kind.as_str()),
                "cannot_be_turned_off",
                format!(
                    "les messages « {} » sont toujours envoyés : ils donnent accès au compte",
                    kind.label()
                ),
            )
        })
        .collect();
    if !refused.is_empty() {
        return Err(ApiError::validation(refused));
    }
    db::write_transaction(conn, |conn| {
        if let Some(locale) = locale {
            db::users::set_locale(conn, &actor.id, locale.as_str())?;
        }
        for (kind, enabled) in kinds {
            db::outbox::set_opt_out(conn, &actor.id, kind.as_str(), *enabled)?;
        }
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "user",
            &actor.id,
            "notification_preferences_changed",
            serde_json::json!({
                "locale": locale.map(Locale::as_str),
                "kinds": kinds.iter().map(|(k, on)| (k.as_str(), *on)).collect::<std::collections::BTreeMap<_, _>>(),
            }),
        )?;
        preferences_of(conn, &actor.id)
    })
}

/// The outbox, newest first (administrators only).
pub fn messages(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    filter: &MessageFilter,
    page: &Page,
) -> ApiResult<Listed<MessageRow>> {
    crate::access::require_outbox_administrator(actor)?;
    db::outbox::list(conn, filter, page)
}

/// Puts a dead message back in the queue (administrators only): it is tried again at once,
/// with its attempts counted afresh.
pub fn retry(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    id: &str,
) -> ApiResult<MessageRow> {
    crate::access::require_outbox_administrator(actor)?;
    db::write_transaction(conn, |conn| {
        let message = db::outbox::find(conn, id)?.ok_or_else(ApiError::not_found)?;
        if !db::outbox::requeue_dead(conn, now, id)? {
            let state = crate::labels::label_of(
                &message.state,
                crate::domain::notifications::MessageState::parse,
            );
            return Err(ApiError::new(
                ErrorCode::NotDead,
                format!("Seul un message abandonné peut être relancé ; celui-ci est « {state} »."),
            )
            .with_extra(serde_json::json!({ "state": message.state })));
        }
        db::audit::record(
            conn,
            now,
            Some(&actor.id),
            "notification",
            id,
            "retried",
            serde_json::json!({ "attempts_before": message.attempts, "last_error": message.last_error }),
        )?;
        crate::mail::nudge();
        db::outbox::find(conn, id)?.ok_or_else(ApiError::not_found)
    })
}
