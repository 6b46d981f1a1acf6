//! Calendar feeds: secret, revocable URLs that calendar applications subscribe to.

use actix_web::http::header;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::extract::JsonBody;
use crate::auth::{self, CurrentUser};
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use crate::usecases::calendar;
use crate::views::closures::{CalendarTokenView, NewCalendarToken};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_calendar_token)
        .service(list_calendar_tokens)
        .service(revoke_calendar_token)
        .service(calendar_feed);
}

/// Create a secret feed URL: one's own bookings, or a platform's or an equipment item's
/// (campus staff only, since those name other organisations' groups).
#[utoipa::path(tag = "bookings", request_body = NewCalendarToken, responses(
    (status = 201, body = CalendarTokenView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/calendar-tokens")]
async fn create_calendar_token(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<NewCalendarToken>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let body = body.0;
    let (row, token) = state
        .db(move |conn| calendar::create_token(conn, &user, now, body.feed, body.target_id))
        .await?;
    let view = CalendarTokenView::new(
        row,
        Some(format!("/api/v1/calendar/{token}.ics")),
        &state.timezone,
    )?;
    Ok(HttpResponse::Created().json(view))
}

/// One's calendar feeds (the secret URL is shown only at creation).
#[utoipa::path(tag = "bookings", responses((status = 200, body = Vec<CalendarTokenView>)))]
#[get("/calendar-tokens")]
async fn list_calendar_tokens(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> ApiResult<web::Json<Vec<CalendarTokenView>>> {
    let rows = state.db(move |conn| calendar::tokens(conn, &user)).await?;
    let tz = state.timezone;
    Ok(web::Json(
        rows.into_iter()
            .map(|r| CalendarTokenView::new(r, None, &tz))
            .collect::<ApiResult<_>>()?,
    ))
}

/// Revoke a feed URL.
#[utoipa::path(tag = "bookings", responses(
    (status = 204, description = "revoked"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[delete("/calendar-tokens/{id}")]
async fn revoke_calendar_token(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let id = id.into_inner().to_string();
    state
        .db(move |conn| calendar::revoke_token(conn, &user, now, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An iCalendar feed (RFC 5545, with the campus time zone). Authenticated by the secret
/// token in the URL; names groups and organisations, never people. Answers a weak `ETag`
/// that changes whenever the feed's content may: a request whose `If-None-Match` names it
/// gets `304 Not Modified`, with no body, without the feed being built.
#[utoipa::path(tag = "bookings", security(()),
    params(("If-None-Match" = Option<String>, Header, description = "the ETag of the copy held")),
    responses(
    (status = 200, description = "iCalendar feed", content_type = "text/calendar",
        headers(("ETag" = String, description = "version of the feed (weak)"))),
    (status = 304, description = "unchanged since the copy whose ETag was sent; no body",
        headers(("ETag" = String, description = "version of the feed (weak)"))),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/calendar/{token}.ics")]
async fn calendar_feed(
    state: web::Data<AppState>,
    token: web::Path<String>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let now = state.now();
    let hash = auth::token_hash(&token.into_inner());
    let tz = state.timezone;
    let uid_host = state.uid_host.clone();
    // A header that is not text cannot name our tag: it is as if absent.
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let answer = state
        .db(move |conn| {
            calendar::feed_if_changed(conn, now, &hash, tz, &uid_host, if_none_match.as_deref())
        })
        .await?;
    Ok(match answer {
        calendar::FeedAnswer::Unchanged { tag } => HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .insert_header(("Cache-Control", "private, max-age=300"))
            .finish(),
        calendar::FeedAnswer::Feed { tag, text } => HttpResponse::Ok()
            .content_type("text/calendar; charset=utf-8")
            .insert_header((header::ETAG, tag))
            .insert_header(("Cache-Control", "private, max-age=300"))
            .body(text),
    })
}
