//! The demo campus (Mecanic Vallée): members, platforms, equipment, qualifications, one
//! account per role, and a past term of activity (`history`). Loading it twice changes
//! nothing: every item is found by its natural key (name, inventory number, e-mail) before
//! it is created, and the past term is written once.

pub mod history;

use std::collections::HashMap;

use serde::Deserialize;

use crate::db::{self, DbConnection};
use crate::domain::accounts::AccountDraft;
use crate::domain::inventory::BookingPolicy;
use crate::domain::opening_hours::{check_opening_hours, OpeningInterval};
use crate::domain::validate::Checks;
use crate::domain::Role;
use crate::error::{ApiError, ApiResult};
use crate::usecases::accounts::create_account;

const CAMPUS_JSON: &str = include_str!("campus.json");

#[derive(Deserialize)]
struct DemoCampus {
    campus: DemoCampusHead,
    organisations: Vec<DemoOrganisation>,
    qualifications: Vec<DemoQualification>,
    platforms: Vec<DemoPlatform>,
    equipment: Vec<DemoEquipment>,
    users: Vec<DemoUser>,
}

#[derive(Deserialize)]
struct DemoCampusHead {
    name: String,
    timezone: String,
}

#[derive(Deserialize)]
struct DemoOrganisation {
    key: String,
    name: String,
    kind: String,
    town: Option<String>,
    uai: Option<String>,
    siret: Option<String>,
}

#[derive(Deserialize)]
struct DemoQualification {
    key: String,
    name: String,
    description: String,
    validity_months: Option<i32>,
}

#[derive(Deserialize)]
struct DemoPlatform {
    key: String,
    name: String,
    domain: String,
    owner: String,
    stations: i32,
    town: Option<String>,
    description: String,
    opening_hours: Vec<OpeningInterval>,
    policy: BookingPolicy,
}

#[derive(Deserialize)]
struct DemoEquipment {
    platform: String,
    name: String,
    kind: String,
    manufacturer: Option<String>,
    model: Option<String>,
    serial_number: Option<String>,
    inventory_number: String,
    status: String,
    hourly_rate_cents: Option<i64>,
    qualifications: Vec<String>,
}

#[derive(Deserialize)]
struct DemoUser {
    email: String,
    display_name: String,
    role: Role,
    organisation: String,
    password: String,
    manages: Vec<String>,
    qualifications: Vec<DemoHeld>,
}

#[derive(Deserialize)]
struct DemoHeld {
    qualification: String,
    awarded_on: chrono::NaiveDate,
}

/// A demo account, for the start-up banner.
pub struct DemoLogin {
    pub email: String,
    pub password: String,
    pub role: Role,
}

/// What a seeding run did.
pub struct SeedReport {
    /// Campus, members, qualifications, platforms, equipment and accounts created.
    pub created: usize,
    /// Rows of the past term written (none when it was there already).
    pub history: usize,
    /// Coming school holidays imported (none when they were there already).
    pub holidays: usize,
    pub logins: Vec<DemoLogin>,
}

fn lookup<'a>(map: &'a HashMap<String, String>, key: &str, what: &str) -> ApiResult<&'a String> {
    map.get(key)
        .ok_or_else(|| ApiError::internal(format!("demo data: unknown {what} key {key}")))
}

/// Seeds the demonstration campus; `now` stamps what it creates.
pub fn seed(conn: &mut DbConnection, now: i64) -> ApiResult<SeedReport> {
    let demo: DemoCampus = serde_json::from_str(CAMPUS_JSON)
        .map_err(|e| ApiError::internal(format!("demo data: {e}")))?;
    db::write_transaction(conn, |conn| {
        let mut created = 0;
        let campus_id = match db::campuses::find_by_name(conn, &demo.campus.name)? {
            Some(c) => c.id,
            None => {
                let row = db::campuses::CampusRow {
                    id: db::new_id(),
                    name: demo.campus.name.clone(),
                    timezone: demo.campus.timezone.clone(),
                    created_at: now,
                    updated_at: now,
                };
                db::campuses::insert(conn, &row)?;
                created += 1;
                row.id
            }
        };

        let mut organisations = HashMap::new();
        for o in &demo.organisations {
            let id = match db::organisations::find_by_name(conn, &o.name)? {
                Some(existing) => existing.id,
                None => {
                    let row = db::organisations::OrganisationRow {
                        id: db::new_id(),
                        name: o.name.clone(),
                        kind: o.kind.clone(),
                        town: o.town.clone(),
                        uai: o.uai.clone(),
                        siret: o.siret.clone(),
                        created_at: now,
                        updated_at: now,
                    };
                    db::organisations::insert(conn, &row, std::slice::from_ref(&campus_id))?;
                    created += 1;
                    row.id
                }
            };
            organisations.insert(o.key.clone(), id);
        }

        let mut qualifications = HashMap::new();
        for q in &demo.qualifications {
            let id = match db::qualifications::find_by_name(conn, &q.name)? {
                Some(existing) => existing.id,
                None => {
                    let row = db::qualifications::QualificationRow {
                        id: db::new_id(),
                        name: q.name.clone(),
                        description: q.description.clone(),
                        validity_months: q.validity_months,
                        created_at: now,
                        updated_at: now,
                    };
                    db::qualifications::insert(conn, &row)?;
                    created += 1;
                    row.id
                }
            };
            qualifications.insert(q.key.clone(), id);
        }

        let mut platforms = HashMap::new();
        for p in &demo.platforms {
            let owner = lookup(&organisations, &p.owner, "organisation")?.clone();
            let id = match db::platforms::find_by_owner_and_name(conn, &owner, &p.name)? {
                Some(existing) => existing.id,
                None => {
                    let mut checks = Checks::new();
                    let hours = check_opening_hours(&mut checks, "opening_hours", &p.opening_hours);
                    checks.finish()?;
                    let row = db::platforms::PlatformRow {
                        id: db::new_id(),
                        campus_id: campus_id.clone(),
                        owner_organisation_id: owner,
                        name: p.name.clone(),
                        domain: p.domain.clone(),
                        description: p.description.clone(),
                        town: p.town.clone(),
                        stations: p.stations,
                        who_may_book: p.policy.who_may_book.as_str().to_owned(),
                        outside_requires_approval: p.policy.outside_requires_approval,
                        min_notice_hours: p.policy.min_notice_hours,
                        max_horizon_days: p.policy.max_horizon_days,
                        max_duration_minutes: p.policy.max_duration_minutes,
                        created_at: now,
                        updated_at: now,
                        bookers_record_usage: p.policy.bookers_record_usage,
                    };
                    db::platforms::insert(conn, &row, &hours)?;
                    created += 1;
                    row.id
                }
            };
            platforms.insert(p.key.clone(), id);
        }

        for e in &demo.equipment {
            if db::equipment::find_by_inventory_number(conn, &e.inventory_number)?.is_some() {
                continue;
            }
            let required = e
                .qualifications
                .iter()
                .map(|k| lookup(&qualifications, k, "qualification").cloned())
                .collect::<ApiResult<Vec<_>>>()?;
            let row = db::equipment::EquipmentRow {
                id: db::new_id(),
                platform_id: lookup(&platforms, &e.platform, "platform")?.clone(),
                name: e.name.clone(),
                kind: e.kind.clone(),
                manufacturer: e.manufacturer.clone(),
                model: e.model.clone(),
                serial_number: e.serial_number.clone(),
                inventory_number: Some(e.inventory_number.clone()),
                status: e.status.clone(),
                hourly_rate_cents: e.hourly_rate_cents,
                notes: String::new(),
                created_at: now,
                updated_at: now,
            };
            db::equipment::insert(conn, &row, &required)?;
            created += 1;
        }

        let mut logins = Vec::new();
        for u in &demo.users {
            logins.push(DemoLogin {
                email: u.email.clone(),
                password: u.password.clone(),
                role: u.role,
            });
            if db::users::find_by_email(conn, &u.email)?.is_some() {
                continue;
            }
            let managed = u
                .manages
                .iter()
                .map(|k| {
                    lookup(&platforms, k, "platform").and_then(|id| {
                        uuid::Uuid::parse_str(id).map_err(|e| ApiError::internal(e.to_string()))
                    })
                })
                .collect::<ApiResult<Vec<_>>>()?;
            let row = create_account(
                conn,
                None,
                now,
                AccountDraft {
                    email: u.email.clone(),
                    display_name: u.display_name.clone(),
                    password: Some(u.password.clone()),
                    role: u.role,
                    organisation_id: lookup(&organisations, &u.organisation, "organisation")?
                        .clone(),
                    managed_platform_ids: managed,
                },
            )?
            .row;
            for held in &u.qualifications {
                let qualification_id =
                    lookup(&qualifications, &held.qualification, "qualification")?;
                let validity = demo
                    .qualifications
                    .iter()
                    .find(|q| q.key == held.qualification)
                    .and_then(|q| q.validity_months);
                let expires_on = validity.and_then(|m| {
                    held.awarded_on
                        .checked_add_months(chrono::Months::new(m as u32))
                });
                db::users::award_qualification(
                    conn,
                    now,
                    &row.id,
                    qualification_id,
                    held.awarded_on,
                    expires_on,
                    None,
                )?;
            }
            created += 1;
        }
        let tz: chrono_tz::Tz = demo
            .campus
            .timezone
            .parse()
            .map_err(|_| ApiError::internal("demo data: unknown time zone"))?;
        let history = history::seed(
            conn,
            tz,
            now,
            &history::Keys {
                campus_id: &campus_id,
                organisations: &organisations,
                platforms: &platforms,
            },
        )?;
        let holidays = history::seed_coming_holidays(conn, tz, now, &campus_id)?;
        Ok(SeedReport {
            created,
            history,
            holidays,
            logins,
        })
    })
}
