//! Calendar feeds: secret, revocable URLs that calendar applications subscribe to, and the
//! feeds themselves.

use std::collections::HashMap;

use chrono_tz::Tz;

use crate::access;
use crate::auth::{self, CurrentUser};
use crate::db::calendar::CalendarTokenRow;
use crate::db::users::UserRow;
use crate::db::{self, DbConnection};
use crate::domain::booking::BookingStatus;
use crate::domain::calendar::{feed, feed_tag, tag_matches, CalendarFeed, FeedEvent, FeedVersion};
use crate::domain::notifications::Locale;
use crate::domain::time::Span;
use crate::domain::{OrganisationKind, Role};
use crate::error::{ApiError, ApiResult};
use crate::mail::notices::stations_words;

/// Creates a feed of one's own bookings (`target_id` none), or of a platform or an
/// equipment item; answers the token, which exists nowhere else (only its hash is stored).
pub fn create_token(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    feed: CalendarFeed,
    target_id: Option<uuid::Uuid>,
) -> ApiResult<(CalendarTokenRow, String)> {
    let target_id = match (feed, target_id) {
        (CalendarFeed::User, None) => actor.id.clone(),
        (CalendarFeed::User, Some(_)) => return Err(ApiError::field("target_id", "not_allowed", "le flux « mes réservations » n'a pas de cible : c'est celui de vos propres réservations")),
        (_, None) => return Err(ApiError::field("target_id", "required", "indiquez le plateau ou l'équipement")),
        (feed, Some(id)) => {
            access::require_feed(actor, feed)?;
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
        user_id: actor.id.clone(),
        feed: feed.as_str().to_owned(),
        target_id,
        token_hash: auth::token_hash(&token),
        created_at: now,
        revoked_at: None,
    };
    db::calendar::insert(conn, &row)?;
    Ok((row, token))
}

/// One's feeds (their secret URLs are not shown again).
pub fn tokens(conn: &mut DbConnection, actor: &CurrentUser) -> ApiResult<Vec<CalendarTokenRow>> {
    db::calendar::of_user(conn, &actor.id)
}

/// Revokes one of one's feeds; 404 for any other.
pub fn revoke_token(
    conn: &mut DbConnection,
    actor: &CurrentUser,
    now: i64,
    id: &str,
) -> ApiResult<()> {
    if db::calendar::revoke(conn, id, &actor.id, now)? {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

/// Feeds cover three months back and a year ahead.
const FEED_PAST_DAYS: i64 = 92;
const FEED_FUTURE_DAYS: i64 = 366;

/// A feed's answer: unchanged since the client's copy, or the feed; either way its tag.
#[derive(Debug)]
pub enum FeedAnswer {
    Unchanged { tag: String },
    Feed { tag: String, text: String },
}

/// The feed whose token hashes to `hash`, unless `if_none_match` already names its current
/// version: that is read in one aggregate query over the window, much cheaper than the feed.
pub fn feed_if_changed(
    conn: &mut DbConnection,
    now: i64,
    hash: &str,
    tz: Tz,
    uid_host: &str,
    if_none_match: Option<&str>,
) -> ApiResult<FeedAnswer> {
    let token = db::calendar::find_live_by_hash(conn, hash)?.ok_or_else(ApiError::not_found)?;
    let owner = db::users::find(conn, &token.user_id)?
        .filter(|u| u.active)
        .ok_or_else(ApiError::not_found)?;
    let window = Span::new(
        now - FEED_PAST_DAYS * 86_400,
        now + FEED_FUTURE_DAYS * 86_400,
    );
    let state = db::bookings::feed_version(conn, &token.feed, &token.target_id, window)?;
    let tag = feed_tag(&FeedVersion {
        token_id: &token.id,
        owner_role: &owner.role,
        owner_changed: owner.updated_at,
        day: crate::domain::time::local(now, &tz).date_naive(),
        bookings: state.bookings,
        latest_change: state.latest_change,
        sequences: state.sequences,
        names_changed: [
            state.organisations_changed,
            state.platforms_changed,
            state.equipment_changed,
            state.target_platform_changed,
            state.target_equipment_changed,
        ],
    });
    if if_none_match.is_some_and(|header| tag_matches(header, &tag)) {
        return Ok(FeedAnswer::Unchanged { tag });
    }
    let text = build_feed(conn, now, &token, &owner, window, tz, uid_host)?;
    Ok(FeedAnswer::Feed { tag, text })
}

/// The iCalendar text of `token`'s feed. It names groups and
/// organisations, never people; each booking's UID is `<id>@<uid_host>`, as in its
/// e-mailed invitations.
fn build_feed(
    conn: &mut DbConnection,
    now: i64,
    token: &CalendarTokenRow,
    owner: &UserRow,
    window: Span,
    tz: Tz,
    uid_host: &str,
) -> ApiResult<String> {
    let owner_role = Role::from_db(&owner.role)?;
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
    let learner_rows =
        db::bookings::learners_of(conn, &rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>())?;
    // By booking: looking each booking's counts up in the whole list was quadratic, most of
    // a platform feed's time (thousands of bookings).
    let mut learners: HashMap<&str, Vec<(&str, i32)>> = HashMap::with_capacity(rows.len());
    for (booking, status, n) in &learner_rows {
        learners
            .entry(booking.as_str())
            .or_default()
            .push((status.as_str(), *n));
    }
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
    let managed: Vec<String> = match owner_role {
        Role::Manager => db::users::managed_platform_ids(conn, &owner.id)?,
        _ => Vec::new(),
    };
    let events: Vec<FeedEvent> = rows
        .iter()
        .map(|row| {
            let (org_name, is_company) = organisations
                .get(&row.organisation_id)
                .cloned()
                .unwrap_or_default();
            let hidden = !access::feed_shows_booking(owner, owner_role, &managed, row, is_company);
            let (platform_name, town) =
                platforms.get(&row.platform_id).cloned().unwrap_or_default();
            let what = match &row.equipment_id {
                Some(e) => format!(
                    "{} ({platform_name})",
                    equipment.get(e).cloned().unwrap_or_default()
                ),
                None => format!(
                    "{platform_name} – {}",
                    stations_words(row.stations.unwrap_or(0), Locale::French)
                ),
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
                    .get(row.id.as_str())
                    .into_iter()
                    .flatten()
                    .map(|(status, n)| {
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
                uid: format!("{}@{uid_host}", row.id),
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
