//! E-mail: one's notification settings (`/me/notifications`), the administrators' view of
//! the outbox (`/notifications`), a confirmation sent again, and password reset.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::db::outbox::{MessageFilter, MessageRow};
use crate::domain::notifications::{Locale, MessageState, NotificationKind};
use crate::domain::pagination::PageQuery;
use crate::error::{ApiResult, Problem};
use crate::labels::Label;
use crate::routes::extract::JsonBody;
use crate::state::AppState;
use crate::usecases::outbox::Preferences;
use crate::views::notifications::{
    ConfirmationSentView, NewPassword, NotificationKindSetting, NotificationPreferencesChanges,
    NotificationPreferencesView, NotificationQuery, NotificationView, PasswordResetRequest,
};
use crate::views::service_requests::PublicReceipt;
use crate::views::{instant, Paged};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(show_my_notifications)
        .service(change_my_notifications)
        .service(list_notifications)
        .service(retry_notification)
        .service(send_confirmation_again)
        .service(request_password_reset)
        .service(reset_password);
}

fn preferences_view(preferences: Preferences) -> NotificationPreferencesView {
    NotificationPreferencesView {
        locale: preferences.locale,
        kinds: preferences
            .kinds
            .into_iter()
            .map(|(kind, enabled)| NotificationKindSetting {
                kind,
                label: kind.label().to_owned(),
                enabled,
                can_be_turned_off: kind.can_be_turned_off(),
            })
            .collect(),
    }
}

/// Which e-mails the caller receives, and in which language.
#[utoipa::path(tag = "notifications", responses(
    (status = 200, body = NotificationPreferencesView)))]
#[get("/me/notifications")]
async fn show_my_notifications(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> ApiResult<web::Json<NotificationPreferencesView>> {
    let preferences = state
        .db(move |conn| crate::usecases::outbox::preferences(conn, &user))
        .await?;
    Ok(web::Json(preferences_view(preferences)))
}

/// Turn kinds of e-mail on or off, or change their language. Account confirmation and
/// password reset messages cannot be turned off (422 `cannot_be_turned_off` on
/// `kinds.<kind>`).
#[utoipa::path(tag = "notifications", request_body = NotificationPreferencesChanges, responses(
    (status = 200, body = NotificationPreferencesView),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[patch("/me/notifications")]
async fn change_my_notifications(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<NotificationPreferencesChanges>,
) -> ApiResult<web::Json<NotificationPreferencesView>> {
    let now = state.now();
    let changes = body.0;
    let kinds: Vec<(NotificationKind, bool)> =
        changes.kinds.iter().map(|c| (c.kind, c.enabled)).collect();
    let locale = changes.locale;
    let preferences = state
        .db(move |conn| {
            crate::usecases::outbox::change_preferences(conn, &user, now, locale, &kinds)
        })
        .await?;
    Ok(web::Json(preferences_view(preferences)))
}

fn notification_view(row: MessageRow, tz: &chrono_tz::Tz) -> ApiResult<NotificationView> {
    let state = MessageState::from_db(&row.state)?;
    let waiting = matches!(state, MessageState::Queued | MessageState::Failed);
    Ok(NotificationView {
        kind: NotificationKind::from_db(&row.kind)?,
        state,
        locale: Locale::parse(&row.locale).unwrap_or(Locale::French),
        next_attempt_at: waiting.then(|| instant(row.next_attempt_at_ms.div_euclid(1000), tz)),
        created_at: instant(row.created_at, tz),
        updated_at: instant(row.updated_at, tz),
        sent_at: row.sent_at.map(|at| instant(at, tz)),
        id: row.id,
        recipient: row.recipient,
        user_id: row.user_id,
        subject: row.subject,
        attempts: row.attempts,
        last_error: row.last_error,
    })
}

/// The e-mail outbox (administrators), newest first: each message with its state
/// (`queued`, `sent`, `failed`, `dead`), attempts and last error; filtered by state, kind,
/// account or part of the recipient's address.
#[utoipa::path(tag = "notifications", params(NotificationQuery), responses(
    (status = 200, body = Paged<NotificationView>),
    (status = 403, body = Problem, content_type = "application/problem+json")))]
#[get("/notifications")]
async fn list_notifications(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<NotificationQuery>,
) -> ApiResult<web::Json<Paged<NotificationView>>> {
    let query = query.into_inner();
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .page()?;
    let filter = MessageFilter {
        state: query.state.map(|s| s.as_str().to_owned()),
        kind: query.kind.map(|k| k.as_str().to_owned()),
        user_id: query.user_id.map(|u| u.to_string()),
        recipient_contains: query
            .recipient
            .map(|r| r.trim().to_lowercase())
            .filter(|r| !r.is_empty()),
    };
    let tz = state.timezone;
    let listed = state
        .db(move |conn| crate::usecases::outbox::messages(conn, &user, &filter, &page))
        .await?;
    Ok(web::Json(Paged::of(listed, |r| notification_view(r, &tz))?))
}

/// Put a dead message back in the queue (administrators): it is tried again at once, its
/// attempts counted afresh. Any other state answers 409 `not_dead`.
#[utoipa::path(tag = "notifications", responses(
    (status = 200, body = NotificationView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json")))]
#[post("/notifications/{id}/retry")]
async fn retry_notification(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<NotificationView>> {
    let now = state.now();
    let id = id.into_inner().to_string();
    let tz = state.timezone;
    let row = state
        .db(move |conn| crate::usecases::outbox::retry(conn, &user, now, &id))
        .await?;
    Ok(web::Json(notification_view(row, &tz)?))
}

/// "Send again" (administrators): a fresh confirmation replaces the pending one and its
/// link is e-mailed to the person (the earlier links stop working). The token is shown to
/// nobody.
#[utoipa::path(tag = "notifications", responses(
    (status = 202, body = ConfirmationSentView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[post("/account-confirmations/{id}/send")]
async fn send_confirmation_again(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let id = id.into_inner().to_string();
    let tz = state.timezone;
    let (confirmation_id, account, expires_at) = state
        .db(move |conn| crate::usecases::accounts::send_confirmation_again(conn, &user, now, &id))
        .await?;
    Ok(HttpResponse::Accepted().json(ConfirmationSentView {
        confirmation_id,
        user_id: account.id,
        email: account.email,
        expires_at: instant(expires_at, &tz),
    }))
}

use crate::usecases::password_resets::RESET_RECEIPT;

/// Ask for a password reset link. The answer is the same whether or not the address has an
/// account: only an active account gets the e-mail, with a single-use link valid one hour
/// (at most one e-mail a minute per address). Limited to 5 requests per client address
/// every 10 minutes (429 `rate_limited`, with `Retry-After`).
#[utoipa::path(tag = "auth", security(()), request_body = PasswordResetRequest, responses(
    (status = 202, body = PublicReceipt),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 429, body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u64, description = "seconds to wait")))))]
#[post("/public/password-resets")]
async fn request_password_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<PasswordResetRequest>,
) -> ApiResult<HttpResponse> {
    let client = super::client_address(&req);
    crate::usecases::password_resets::ask(&state, &client, &body.0.email).await?;
    Ok(HttpResponse::Accepted().json(PublicReceipt {
        message: RESET_RECEIPT.into(),
    }))
}

/// Choose a new password with the token of a reset link. The token works once, within the
/// hour; every session of the account is closed. An unknown, used or expired token answers
/// 422 `invalid_token` on `token`.
#[utoipa::path(tag = "auth", security(()), request_body = NewPassword,
    params(("token" = String, Path, description = "the token of the e-mailed link", pattern = "^[0-9a-f]{64}$")),
    responses(
        (status = 200, body = PublicReceipt),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/public/password-resets/{token}")]
async fn reset_password(
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: JsonBody<NewPassword>,
) -> ApiResult<web::Json<PublicReceipt>> {
    let NewPassword { password } = body.0;
    crate::usecases::password_resets::choose(&state, token.into_inner(), password).await?;
    Ok(web::Json(PublicReceipt {
        message: "Mot de passe changé : connectez-vous avec le nouveau. Toutes les sessions ouvertes ont été fermées.".into(),
    }))
}
