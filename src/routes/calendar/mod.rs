//! Calendar feeds: secret, revocable URLs that calendar applications subscribe to.

use std::collections::HashMap;

use actix_web::{delete, get, post, web, HttpResponse};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{self, CurrentUser};
use crate::db::calendar::CalendarTokenRow;
use crate::db::{self, DbConnection};
use crate::domain::booking::BookingStatus;
use crate::domain::calendar::{feed, FeedEvent};
use crate::domain::time::Span;
use crate::domain::{OrganisationKind, Role};
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::extract::JsonBody;
use crate::views::closures::{CalendarFeed, CalendarTokenView, NewCalendarToken};
use crate::views::instant;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_calendar_token)
        .service(list_calendar_tokens)
        .service(revoke_calendar_token)
        .service(calendar_feed);
}

fn token_view(
    row: CalendarTokenRow,
    url: Option<String>,
    tz: &chrono_tz::Tz,
) -> ApiResult<CalendarTokenView> {
    Ok(CalendarTokenView {
        feed: CalendarFeed::from_db(&row.feed)?,
        created_at: instant(row.created_at, tz),
        id: row.id,
        target_id: row.target_id,
        url,
    })
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
    let body = body.0;
    let tz = state.timezone;
    let (row, token) = state
        .db(move |conn| {
            let target_id = match (body.feed, body.target_id) {
                (CalendarFeed::User, None) => user.id.clone(),
                (CalendarFeed::User, Some(_)) => return Err(ApiError::field("target_id", "not_allowed", "le flux « mes réservations » n'a pas de cible : c'est celui de vos propres réservations")),
                (_, None) => return Err(ApiError::field("target_id", "required", "indiquez le plateau ou l'équipement")),
                (feed, Some(id)) => {
                    if !matches!(user.role, Role::Admin | Role::Manager | Role::Teacher) {
                        return Err(ApiError::forbidden("Les flux d'un plateau ou d'un équipement sont réservés au personnel du campus."));
                    }
                    let id = id.to_string();
                    let exists = match feed {
                        CalendarFeed::Platform => db::platforms::find(conn, &id)?.is_some(),
                        _ => db::equipment::find(conn, &id)?.is_some(),
                    };
                    if !exists {
                        return Err(ApiError::field("target_id", "unknown_reference", "plateau ou équipement inconnu"));
                    }
                    id
                }
            };
            let token = auth::random_token();
            let row = CalendarTokenRow {
                id: db::new_id(),
                user_id: user.id.clone(),
                feed: body.feed.as_str().to_owned(),
                target_id,
                token_hash: auth::token_hash(&token),
                created_at: db::now(),
                revoked_at: None,
            };
            db::calendar::insert(conn, &row)?;
            Ok((row, token))
        })
        .await?;
    let view = token_view(row, Some(format!("/api/v1/calendar/{token}.ics")), &tz)?;
    Ok(HttpResponse::Created().json(view))
}

/// One's calendar feeds (the secret URL is shown only at creation).
#[utoipa::path(tag = "bookings", responses((status = 200, body = Vec<CalendarTokenView>)))]
#[get("/calendar-tokens")]
async fn list_calendar_tokens(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> ApiResult<web::Json<Vec<CalendarTokenView>>> {
    let tz = state.timezone;
    let rows = state
        .db(move |conn| db::calendar::of_user(conn, &user.id))
        .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|r| token_view(r, None, &tz))
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
    let id = id.into_inner().to_string();
    let revoked = state
        .db(move |conn| db::calendar::revoke(conn, &id, &user.id, db::now()))
        .await?;
    if revoked {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found())
    }
}

/// Feeds cover three months back and a year ahead.
const FEED_PAST_DAYS: i64 = 92;
const FEED_FUTURE_DAYS: i64 = 366;

/// An iCalendar feed (RFC 5545, with the campus time zone). Authenticated by the secret
/// token in the URL; names groups and organisations, never people.
#[utoipa::path(tag = "bookings", security(()), responses(
    (status = 200, description = "iCalendar feed", content_type = "text/calendar"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/calendar/{token}.ics")]
async fn calendar_feed(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let hash = auth::token_hash(&token.into_inner());
    let tz = state.timezone;
    let text = state.db(move |conn| build_feed(conn, &hash, tz)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header(("Cache-Control", "private, max-age=300"))
        .body(text))
}

fn build_feed(conn: &mut DbConnection, hash: &str, tz: chrono_tz::Tz) -> ApiResult<String> {
    let token = db::calendar::find_live_by_hash(conn, hash)?.ok_or_else(ApiError::not_found)?;
    let owner = db::users::find(conn, &token.user_id)?
        .filter(|u| u.active)
        .ok_or_else(ApiError::not_found)?;
    let owner_role = Role::from_db(&owner.role)?;
    let now = db::now();
    let window = Span::new(
        now - FEED_PAST_DAYS * 86_400,
        now + FEED_FUTURE_DAYS * 86_400,
    );
    let rows = db::bookings::for_feed(conn, &token.feed, &token.target_id, window)?;
    let mut organisations: HashMap<String, (String, bool)> = HashMap::new();
    let mut platforms: HashMap<String, (String, String)> = HashMap::new();
    let mut equipment: HashMap<String, String> = HashMap::new();
    for row in &rows {
        if !organisations.contains_key(&row.organisation_id) {
            if let Some(o) = db::organisations::find(conn, &row.organisation_id)? {
                let is_company = OrganisationKind::from_db(&o.kind)? == OrganisationKind::Company;
                organisations.insert(o.id, (o.name, is_company));
            }
        }
        if !platforms.contains_key(&row.platform_id) {
            if let Some(p) = db::platforms::find(conn, &row.platform_id)? {
                platforms.insert(p.id, (p.name, p.town.unwrap_or_default()));
            }
        }
        if let Some(e) = &row.equipment_id {
            if !equipment.contains_key(e) {
                if let Some(item) = db::equipment::find(conn, e)? {
                    equipment.insert(item.id, item.name);
                }
            }
        }
    }
    let learners =
        db::bookings::learners_of(conn, &rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>())?;
    let title = match token.feed.as_str() {
        "platform" => platforms
            .get(&token.target_id)
            .map(|(n, _)| n.clone())
            .or(db::platforms::find(conn, &token.target_id)?.map(|p| p.name)),
        "equipment" => db::equipment::find(conn, &token.target_id)?.map(|e| e.name),
        // Feeds never name people, not even their owner.
        _ => Some("Mes réservations".to_owned()),
    }
    .unwrap_or_else(|| "Plateaux".to_owned());
    // Company bookings are shown in full only where the feed's owner may see them through
    // the API: the director, the platform's managers, and the company itself.
    let managed: Vec<String> = match owner_role {
        Role::Manager => db::users::managed_platform_ids(conn, &owner.id)?,
        _ => Vec::new(),
    };
    let sees_companies_on =
        |platform_id: &str| owner_role == Role::Admin || managed.iter().any(|m| m == platform_id);
    let events: Vec<FeedEvent> = rows
        .iter()
        .map(|row| {
            let (org_name, is_company) = organisations
                .get(&row.organisation_id)
                .cloned()
                .unwrap_or_default();
            let hidden = is_company
                && !sees_companies_on(&row.platform_id)
                && row.organisation_id != owner.organisation_id;
            let (platform_name, town) =
                platforms.get(&row.platform_id).cloned().unwrap_or_default();
            let what = match &row.equipment_id {
                Some(e) => format!(
                    "{} ({platform_name})",
                    equipment.get(e).cloned().unwrap_or_default()
                ),
                None => format!("{platform_name} – {} poste(s)", row.stations.unwrap_or(0)),
            };
            let (summary, description) = if hidden {
                (
                    format!("Réservé – {what}"),
                    "Réservation d'une entreprise".to_owned(),
                )
            } else {
                let group = if row.group_label.is_empty() {
                    org_name.clone()
                } else {
                    format!("{} – {org_name}", row.group_label)
                };
                let counts: Vec<String> = learners
                    .iter()
                    .filter(|(b, _, _)| *b == row.id)
                    .map(|(_, status, n)| {
                        format!(
                            "{} : {n}",
                            crate::labels::label_of(
                                status,
                                crate::domain::booking::LearnerStatus::parse
                            )
                        )
                    })
                    .collect();
                let mut description = format!(
                    "{org_name}\nStatut : {}",
                    crate::labels::label_of(&row.status, BookingStatus::parse)
                );
                if !row.level.is_empty() {
                    description.push_str(&format!("\nNiveau : {}", row.level));
                }
                if !counts.is_empty() {
                    description.push_str(&format!("\nEffectifs : {}", counts.join(", ")));
                }
                (format!("{group} – {what}"), description)
            };
            FeedEvent {
                uid: format!("{}@plateaux", row.id),
                span: Span::new(row.starts_at, row.ends_at),
                summary,
                description,
                location: town,
                tentative: BookingStatus::parse(&row.status) == Some(BookingStatus::Pending),
                updated_at: row.updated_at,
            }
        })
        .collect();
    Ok(feed(&title, &tz, window, &events, now))
}
