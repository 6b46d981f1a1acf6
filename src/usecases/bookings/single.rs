//! Single bookings, created together in batches (see `writer`): the requests of a batch share one write transaction,
//! one query for each kind of fact the rules read and one INSERT per table, and each still
//! gets its own answer. Requests are checked in order, each against the bookings accepted
//! before it in the batch as well as those in the database, so a batch books exactly what
//! the same requests one after the other would.

use std::collections::{HashMap, HashSet};

use chrono_tz::Tz;

use super::{
    check_shape, created_changes, decide_grant, new_row, platform_of, rules_context,
    unknown_equipment, unknown_platform, GrantFacts, RuleFacts, Target,
};
use crate::auth::CurrentUser;
use crate::db::bookings::{BookingRow, LiveTarget};
use crate::db::equipment::EquipmentRow;
use crate::db::organisations::OrganisationRow;
use crate::db::platforms::PlatformRow;
use crate::db::{self, DbConnection};
use crate::domain::booking::{check, Ask, BookingDraft, BookingStatus, LiveBooking};
use crate::domain::notifications::NotificationKind;
use crate::domain::opening_hours::WeeklyInterval;
use crate::domain::time::Span;
use crate::domain::Role;
use crate::error::{ApiError, ApiResult};

/// One caller's request for one booking.
#[derive(Debug, Clone)]
pub struct BookingRequest {
    pub actor: CurrentUser,
    pub draft: BookingDraft,
}

/// A request still standing, with its target once known.
struct Standing<'a> {
    index: usize,
    request: &'a BookingRequest,
    equipment: Option<EquipmentRow>,
    platform_id: String,
}

fn sorted_unique(ids: impl Iterator<Item = String>) -> Vec<String> {
    let mut ids: Vec<String> = ids.collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Creates the bookings of `requests` in one transaction and answers each request in order.
/// An `Err` for the whole batch means the transaction failed and nothing was written.
pub fn create_bookings(
    conn: &mut DbConnection,
    tz: Tz,
    now: i64,
    requests: &[BookingRequest],
) -> ApiResult<Vec<ApiResult<BookingRow>>> {
    db::write_transaction(conn, |conn| {
        let mut answers: Vec<Option<ApiResult<BookingRow>>> =
            requests.iter().map(|_| None).collect();
        let standing = lock_targets(conn, requests, &mut answers)?;
        let platforms = platforms_of(conn, &standing)?;
        let standing = refuse(standing, &mut answers, |s| {
            platforms
                .contains_key(&s.platform_id)
                .then_some(())
                .ok_or_else(unknown_platform)
        });
        let granted = grant_all(conn, standing, &platforms, &mut answers)?;
        let facts = BatchFacts::load(conn, &granted, &platforms)?;

        // The accepted bookings, and the index of the request of each.
        let mut rows: Vec<BookingRow> = Vec::new();
        let mut requested_by: Vec<usize> = Vec::new();
        let mut learners = Vec::new();
        // Bookings accepted earlier in this batch, by platform.
        let mut accepted: Vec<(String, LiveBooking)> = Vec::new();
        for (s, grant) in &granted {
            let draft = &s.request.draft;
            let (platform, hours) = &platforms[&s.platform_id];
            let target = Target {
                platform: platform.clone(),
                opening_hours: hours.clone(),
                equipment: s.equipment.clone(),
            };
            let holder_id = grant.holder(&s.request.actor);
            let outcome = rules_context(
                tz,
                now,
                &target,
                facts.required_of(s.equipment.as_ref()),
                facts.rule_facts(&target, &holder_id, &accepted),
            )
            .and_then(|ctx| {
                check(
                    &ctx,
                    &Ask {
                        span: draft.span,
                        stations: draft.stations,
                        ignore_booking_id: None,
                    },
                )
                .map_err(ApiError::from)
            });
            answers[s.index] = Some(outcome.map(|()| {
                let row = new_row(
                    draft,
                    &target,
                    &s.request.actor,
                    now,
                    grant,
                    draft.span,
                    None,
                );
                accepted.push((
                    row.platform_id.clone(),
                    LiveBooking {
                        id: row.id.clone(),
                        span: draft.span,
                        equipment_id: row.equipment_id.clone(),
                        stations: row.stations,
                    },
                ));
                learners.extend(
                    draft
                        .learners
                        .iter()
                        .map(|(status, n)| (row.id.clone(), status.as_str().to_owned(), *n)),
                );
                rows.push(row.clone());
                requested_by.push(s.index);
                row
            }));
        }

        db::bookings::insert_many(conn, &rows, &learners)?;
        let events: Vec<db::audit::NewEvent<'_>> = rows
            .iter()
            .zip(&requested_by)
            .map(|(row, &index)| db::audit::NewEvent {
                actor: Some(&requests[index].actor.id),
                entity_type: "booking",
                entity_id: &row.id,
                action: "created",
                changes: created_changes(row, &requests[index].draft),
            })
            .collect();
        db::audit::record_many(conn, now, &events)?;
        // The bookings to approve: their managers hear of them, in this transaction.
        let pending: Vec<BookingRow> = rows
            .iter()
            .filter(|r| r.status == BookingStatus::Pending.as_str())
            .cloned()
            .collect();
        // Several people's bookings: none of them manages the platform (theirs would be
        // confirmed at once), so nobody is told of their own.
        super::notify::notify(conn, now, NotificationKind::BookingPending, &pending, None)?;
        Ok(answers
            .into_iter()
            .map(|a| {
                a.unwrap_or_else(|| Err(ApiError::internal("booking request left unanswered")))
            })
            .collect())
    })
}

/// Keeps the requests `rule` accepts; the others get its error as their answer.
fn refuse<'a>(
    standing: Vec<Standing<'a>>,
    answers: &mut [Option<ApiResult<BookingRow>>],
    mut rule: impl FnMut(&Standing<'a>) -> ApiResult<()>,
) -> Vec<Standing<'a>> {
    standing
        .into_iter()
        .filter(|s| match rule(s) {
            Ok(()) => true,
            Err(e) => {
                answers[s.index] = Some(Err(e));
                false
            }
        })
        .collect()
}

/// Locks the rows that serialise conflicting bookings (the equipment items, and the
/// platforms of station bookings), in id order, and finds each request's platform.
fn lock_targets<'a>(
    conn: &mut DbConnection,
    requests: &'a [BookingRequest],
    answers: &mut [Option<ApiResult<BookingRow>>],
) -> ApiResult<Vec<Standing<'a>>> {
    let mut shaped = Vec::new();
    for (index, request) in requests.iter().enumerate() {
        let d = &request.draft;
        match check_shape(d.equipment_id.as_deref(), d.stations) {
            Ok(()) => shaped.push((index, request)),
            Err(e) => answers[index] = Some(Err(e)),
        }
    }
    let equipment_ids = sorted_unique(
        shaped
            .iter()
            .filter_map(|(_, r)| r.draft.equipment_id.clone()),
    );
    let equipment: HashMap<String, EquipmentRow> = if equipment_ids.is_empty() {
        HashMap::new()
    } else {
        db::equipment::find_many_locked(conn, &equipment_ids)?
            .into_iter()
            .map(|e| (e.id.clone(), e))
            .collect()
    };
    let station_platforms = sorted_unique(
        shaped
            .iter()
            .filter(|(_, r)| r.draft.equipment_id.is_none())
            .filter_map(|(_, r)| r.draft.platform_id.clone()),
    );
    if !station_platforms.is_empty() {
        db::platforms::lock_many(conn, &station_platforms)?;
    }
    let mut standing = Vec::new();
    for (index, request) in shaped {
        let d = &request.draft;
        let item = match &d.equipment_id {
            Some(id) => match equipment.get(id) {
                Some(e) => Some(e.clone()),
                None => {
                    answers[index] = Some(Err(unknown_equipment()));
                    continue;
                }
            },
            None => None,
        };
        match platform_of(item.as_ref(), d.platform_id.as_deref()) {
            Ok(platform_id) => standing.push(Standing {
                index,
                request,
                equipment: item,
                platform_id,
            }),
            Err(e) => answers[index] = Some(Err(e)),
        }
    }
    Ok(standing)
}

type PlatformsById = HashMap<String, (PlatformRow, Vec<WeeklyInterval>)>;

fn platforms_of(conn: &mut DbConnection, standing: &[Standing<'_>]) -> ApiResult<PlatformsById> {
    let ids = sorted_unique(standing.iter().map(|s| s.platform_id.clone()));
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(db::platforms::find_many_with_hours(conn, &ids)?
        .into_iter()
        .map(|(platform, hours)| (platform.id.clone(), (platform, hours)))
        .collect())
}

/// Who books for whom, for every request, from one query per kind of fact; then the links
/// to service requests, one by one (few bookings have one).
fn grant_all<'a>(
    conn: &mut DbConnection,
    standing: Vec<Standing<'a>>,
    platforms: &PlatformsById,
    answers: &mut [Option<ApiResult<BookingRow>>],
) -> ApiResult<Vec<(Standing<'a>, super::Grant)>> {
    if standing.is_empty() {
        return Ok(Vec::new());
    }
    let organisation_of = |s: &Standing<'_>| {
        s.request
            .draft
            .organisation_id
            .clone()
            .unwrap_or_else(|| s.request.actor.organisation_id.clone())
    };
    let managers = sorted_unique(
        standing
            .iter()
            .filter(|s| s.request.actor.role == Role::Manager)
            .map(|s| s.request.actor.id.clone()),
    );
    let managed: HashSet<(String, String)> = if managers.is_empty() {
        HashSet::new()
    } else {
        let platform_ids = sorted_unique(standing.iter().map(|s| s.platform_id.clone()));
        db::platforms::managed_pairs(conn, &managers, &platform_ids)?
            .into_iter()
            .collect()
    };
    let organisation_ids = sorted_unique(standing.iter().map(organisation_of));
    let mut organisations: HashMap<String, (OrganisationRow, Vec<String>)> = HashMap::new();
    for (organisation, campus) in
        db::organisations::find_many_with_memberships(conn, &organisation_ids)?
    {
        let entry = organisations
            .entry(organisation.id.clone())
            .or_insert_with(|| (organisation, Vec::new()));
        entry.1.extend(campus);
    }
    let supervisor_ids = sorted_unique(
        standing
            .iter()
            .filter_map(|s| s.request.draft.supervisor_id.clone()),
    );
    let supervisors: HashMap<String, db::users::UserRow> = if supervisor_ids.is_empty() {
        HashMap::new()
    } else {
        db::users::find_many(conn, &supervisor_ids)?
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect()
    };

    let mut granted = Vec::new();
    for s in standing {
        let actor = &s.request.actor;
        let draft = &s.request.draft;
        let (platform, _) = &platforms[&s.platform_id];
        let organisation_id = organisation_of(&s);
        let facts = GrantFacts {
            manages: actor.role == Role::Manager
                && managed.contains(&(actor.id.clone(), platform.id.clone())),
            organisation: organisations
                .get(&organisation_id)
                .map(|(o, campuses)| (o.clone(), campuses.contains(&platform.campus_id))),
            supervisor: draft
                .supervisor_id
                .as_ref()
                .and_then(|id| supervisors.get(id).cloned()),
        };
        let grant = decide_grant(
            actor,
            platform,
            &organisation_id,
            draft.supervisor_id.as_deref(),
            &facts,
        )
        .and_then(|grant| {
            if let Some(request_id) = &draft.service_request_id {
                crate::usecases::service_requests::check_bookable(conn, actor, request_id)?;
            }
            Ok(grant)
        });
        match grant {
            Ok(grant) => granted.push((s, grant)),
            Err(e) => answers[s.index] = Some(Err(e)),
        }
    }
    Ok(granted)
}

/// What the rules read, for every request of a batch: one query per kind of fact.
struct BatchFacts {
    required: Vec<db::bookings::Requirement>,
    holders: HashMap<String, (String, Vec<crate::domain::booking::HeldQualification>)>,
    /// `(scope, scope_id, closure)`.
    closures: Vec<(String, String, crate::domain::booking::ClosureSpan)>,
    maintenance: Vec<(String, Span, String)>,
    /// Live bookings in the database, by platform.
    live: Vec<(String, LiveBooking)>,
}

impl BatchFacts {
    fn load(
        conn: &mut DbConnection,
        granted: &[(Standing<'_>, super::Grant)],
        platforms: &PlatformsById,
    ) -> ApiResult<BatchFacts> {
        let mut facts = BatchFacts {
            required: Vec::new(),
            holders: HashMap::new(),
            closures: Vec::new(),
            maintenance: Vec::new(),
            live: Vec::new(),
        };
        if granted.is_empty() {
            return Ok(facts);
        }
        let spans = granted.iter().map(|(s, _)| s.request.draft.span);
        let envelope = Span::new(
            spans.clone().map(|s| s.start).min().unwrap_or(0),
            spans.map(|s| s.end).max().unwrap_or(0),
        );
        let equipment_ids = sorted_unique(
            granted
                .iter()
                .filter_map(|(s, _)| s.equipment.as_ref().map(|e| e.id.clone())),
        );
        if !equipment_ids.is_empty() {
            facts.required = db::bookings::requirements_of(conn, &equipment_ids)?;
            facts.maintenance = db::bookings::maintenance_of(conn, &equipment_ids, envelope)?;
        }
        // Only equipment that requires qualifications needs the holder's.
        let holder_ids = sorted_unique(
            granted
                .iter()
                .filter(|(s, _)| {
                    s.equipment
                        .as_ref()
                        .is_some_and(|e| facts.required.iter().any(|r| r.equipment_id == e.id))
                })
                .map(|(s, grant)| grant.holder(&s.request.actor)),
        );
        if !holder_ids.is_empty() {
            facts.holders = db::bookings::holders(conn, &holder_ids)?
                .into_iter()
                .map(|(id, name, held)| (id, (name, held)))
                .collect();
        }
        let scope_ids = sorted_unique(granted.iter().flat_map(|(s, _)| {
            let (p, _) = &platforms[&s.platform_id];
            [
                p.campus_id.clone(),
                p.owner_organisation_id.clone(),
                p.id.clone(),
            ]
        }));
        facts.closures = db::bookings::closures_of(conn, &scope_ids, envelope)?;
        let asks: Vec<(LiveTarget, Span)> = granted
            .iter()
            .map(|(s, _)| {
                let target = match &s.equipment {
                    Some(e) => LiveTarget::Equipment(e.id.clone()),
                    None => LiveTarget::Stations(s.platform_id.clone()),
                };
                (target, s.request.draft.span)
            })
            .collect();
        facts.live = db::bookings::live_for(conn, &asks)?;
        Ok(facts)
    }

    fn required_of(&self, equipment: Option<&EquipmentRow>) -> Vec<(String, String)> {
        match equipment {
            Some(e) => self
                .required
                .iter()
                .filter(|r| r.equipment_id == e.id)
                .map(|r| (r.qualification_id.clone(), r.qualification_name.clone()))
                .collect(),
            None => Vec::new(),
        }
    }

    /// The facts of one target, with the bookings accepted earlier in the batch.
    fn rule_facts(
        &self,
        target: &Target,
        holder_id: &str,
        accepted: &[(String, LiveBooking)],
    ) -> RuleFacts {
        let p = &target.platform;
        let closures = self
            .closures
            .iter()
            .filter(|(scope, id, _)| match scope.as_str() {
                "campus" => *id == p.campus_id,
                "organisation" => *id == p.owner_organisation_id,
                "platform" => *id == p.id,
                _ => false,
            })
            .map(|(_, _, c)| c.clone())
            .collect();
        let maintenance = match &target.equipment {
            Some(e) => self
                .maintenance
                .iter()
                .filter(|(id, ..)| *id == e.id)
                .map(|(_, span, reason)| (*span, reason.clone()))
                .collect(),
            None => Vec::new(),
        };
        let live = self
            .live
            .iter()
            .chain(accepted)
            .filter(|(platform_id, b)| match &target.equipment {
                Some(e) => b.equipment_id.as_ref() == Some(&e.id),
                None => *platform_id == p.id && b.stations.is_some(),
            })
            .map(|(_, b)| b.clone())
            .collect();
        RuleFacts {
            closures,
            maintenance,
            live,
            holder: self.holders.get(holder_id).cloned(),
        }
    }
}
