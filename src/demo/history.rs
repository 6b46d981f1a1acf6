//! A past term for the demo campus, so that its indicators, week views and requests have
//! something to show: twelve weeks before the current one of weekly class sessions (lycées,
//! mixed groups, apprentices, continuing education), SME work on the PFTs, a holiday
//! import, a maintenance window, cancellations, no-shows, usage records (some left
//! unreported, last week's especially) and service requests at every stage.
//!
//! Dates follow the service's clock, so the demo never goes stale. Everything is written by
//! the API's own use cases, run with the clock set back to the moment each act happened.
//! The e-mails those acts queued went out back then: they are marked sent.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;
use serde_json::json;

use crate::auth::CurrentUser;
use crate::db::bookings::BookingRow;
use crate::db::{self, DbConnection};
use crate::domain::booking::{Action, BookingDraft, LearnerStatus, SeriesMode};
use crate::domain::closures::{ClosureScope, MaintenanceDraft};
use crate::domain::time::{date_at_minute, local, Span};
use crate::domain::usage::UsageDraft;
use crate::domain::Role;
use crate::error::{ApiError, ApiResult};
use crate::usecases::bookings::{change, series, single, usage};
use crate::usecases::{closures, service_requests};

/// The weeks of the term, before the current one.
const WEEKS: i64 = 12;
/// The school holiday: this many weeks before the current one.
const HOLIDAY_WEEK: i64 = 6;
/// The holiday's UID: once imported, the history is there.
const HOLIDAY_UID: &str = "vacances-demo-plateaux@mecanic-vallee";

/// Ids the history refers to, by the demo's keys.
pub struct Keys<'a> {
    pub campus_id: &'a str,
    pub organisations: &'a HashMap<String, String>,
    pub platforms: &'a HashMap<String, String>,
}

fn caller(conn: &mut DbConnection, email: &str) -> ApiResult<CurrentUser> {
    let user = db::users::find_by_email(conn, email)?
        .ok_or_else(|| ApiError::internal(format!("demo history: no account {email}")))?;
    Ok(CurrentUser {
        role: Role::from_db(&user.role)?,
        id: user.id,
        organisation_id: user.organisation_id,
        session_id: "demo".to_owned(),
        awaiting_approval: user.awaiting_approval,
    })
}

fn key<'a>(map: &'a HashMap<String, String>, key: &str) -> ApiResult<&'a str> {
    map.get(key)
        .map(String::as_str)
        .ok_or_else(|| ApiError::internal(format!("demo history: unknown key {key}")))
}

fn equipment_id(conn: &mut DbConnection, inventory_number: &str) -> ApiResult<String> {
    db::equipment::find_by_inventory_number(conn, inventory_number)?
        .map(|e| e.id)
        .ok_or_else(|| ApiError::internal(format!("demo history: no item {inventory_number}")))
}

/// Minutes after midnight of `HH:MM`.
fn minute(text: &str) -> i32 {
    let (h, m) = text.split_once(':').expect("HH:MM");
    h.parse::<i32>().expect("hour") * 60 + m.parse::<i32>().expect("minute")
}

/// A weekly class session across the term.
struct Weekly {
    booker: &'static str,
    platform: &'static str,
    /// The days of the week it takes place, 0 for Monday: one series each.
    days: &'static [i64],
    from: &'static str,
    to: &'static str,
    stations: i32,
    group: &'static str,
    level: &'static str,
    learners: &'static [(LearnerStatus, i32)],
    purpose: &'static str,
}

use LearnerStatus::{Apprentice, ContinuingEducation, HigherEducation, School};

const TEACHER_MONTEIL: &str = "enseignant.soudage@demo.plateaux.test";
const TEACHER_FIGEAC: &str = "enseignante.figeac@demo.plateaux.test";
const TRAINER_CFAI: &str = "formateur.cfai@demo.plateaux.test";
const TRAINER_GRETA: &str = "formatrice.greta@demo.plateaux.test";
const MACHINING_MANAGER: &str = "responsable.usinage@demo.plateaux.test";
const ROBOTICS_MANAGER: &str = "responsable.robotique@demo.plateaux.test";
const DIRECTOR: &str = "directeur@demo.plateaux.test";
const CELE: &str = "contact@usinages-cele.demo.plateaux.test";
const STRATIFORME: &str = "contact@stratiforme.demo.plateaux.test";

const WEEKLY: &[Weekly] = &[
    Weekly {
        booker: TEACHER_MONTEIL,
        platform: "mon_soudage",
        days: &[1, 4],
        from: "08:00",
        to: "12:00",
        stations: 12,
        group: "CAP Réalisations industrielles en chaudronnerie 1",
        level: "CAP",
        learners: &[(School, 12)],
        purpose: "Soudage TIG : cordons à plat et en angle",
    },
    Weekly {
        booker: TEACHER_MONTEIL,
        platform: "mon_usinage",
        days: &[3, 1],
        from: "13:30",
        to: "17:30",
        stations: 14,
        group: "Bac Pro TRPM 2 (classe mixte)",
        level: "Bac Pro",
        learners: &[(School, 10), (Apprentice, 4)],
        purpose: "Tournage et fraisage CN : pièces de la série de l'atelier",
    },
    Weekly {
        booker: TEACHER_FIGEAC,
        platform: "cha_usinage",
        days: &[0, 2],
        from: "08:00",
        to: "12:00",
        stations: 12,
        group: "1re STI2D",
        level: "STI2D",
        learners: &[(School, 12)],
        purpose: "Projet : du modèle numérique à la pièce",
    },
    Weekly {
        booker: TEACHER_FIGEAC,
        platform: "dec_usinage",
        days: &[2],
        from: "13:30",
        to: "17:30",
        stations: 8,
        group: "BTS CPRP 2 (classe mixte)",
        level: "BTS",
        learners: &[(School, 6), (Apprentice, 2)],
        purpose: "Usinage 5 axes sur le plateau de La Découverte",
    },
    Weekly {
        booker: MACHINING_MANAGER,
        platform: "dec_composites",
        days: &[1, 3],
        from: "13:30",
        to: "17:30",
        stations: 10,
        group: "BTS Europlastics et composites 1",
        level: "BTS",
        learners: &[(School, 10)],
        purpose: "Drapage et cuisson en autoclave",
    },
    Weekly {
        booker: MACHINING_MANAGER,
        platform: "dec_usinage",
        days: &[4, 0],
        from: "08:00",
        to: "12:00",
        stations: 12,
        group: "Bac Pro Technicien en usinage 1",
        level: "Bac Pro",
        learners: &[(School, 12)],
        purpose: "Prise en main du tour CN",
    },
    Weekly {
        booker: TRAINER_CFAI,
        platform: "mon_usinage",
        days: &[0],
        from: "13:30",
        to: "17:30",
        stations: 10,
        group: "Apprentis CAP Conducteur d'installations de production",
        level: "CAP",
        learners: &[(Apprentice, 10)],
        purpose: "Réglage et conduite de machines CN",
    },
    Weekly {
        booker: TRAINER_CFAI,
        platform: "per_usinage",
        days: &[2],
        from: "07:30",
        to: "12:00",
        stations: 8,
        group: "Apprentis BTS CPRP 1",
        level: "BTS",
        learners: &[(Apprentice, 8)],
        purpose: "Usinage grande vitesse de pièces aéronautiques",
    },
    Weekly {
        booker: TRAINER_GRETA,
        platform: "mon_soudage",
        days: &[3, 2],
        from: "08:00",
        to: "12:00",
        stations: 8,
        group: "Titre professionnel soudeur (demandeurs d'emploi)",
        level: "Titre professionnel",
        learners: &[(ContinuingEducation, 8)],
        purpose: "Préparation aux qualifications de soudeur",
    },
    Weekly {
        booker: TRAINER_GRETA,
        platform: "mnv_maintenance",
        days: &[4, 0],
        from: "13:30",
        to: "17:30",
        stations: 6,
        group: "Technicien de maintenance (reconversion)",
        level: "Titre professionnel",
        learners: &[(ContinuingEducation, 6)],
        purpose: "Maintenance des systèmes hydrauliques",
    },
    Weekly {
        booker: ROBOTICS_MANAGER,
        platform: "ras_robotique",
        days: &[0, 1],
        from: "08:00",
        to: "12:00",
        stations: 6,
        group: "BTS CRSA 2",
        level: "BTS",
        learners: &[(School, 6)],
        purpose: "Programmation de la cellule de manutention",
    },
    Weekly {
        booker: ROBOTICS_MANAGER,
        platform: "ras_cobotique",
        days: &[3],
        from: "13:30",
        to: "17:30",
        stations: 6,
        group: "Licence pro robotique (IUT de Figeac)",
        level: "Licence professionnelle",
        learners: &[(HigherEducation, 6)],
        purpose: "Cobotique et vision",
    },
];

/// An SME's session on a PFT's machine: (booker, inventory number, weeks before the
/// current one, weekday, from, to, purpose).
type MachineSession = (
    &'static str,
    &'static str,
    &'static [i64],
    i64,
    &'static str,
    &'static str,
    &'static str,
);

const MACHINE_SESSIONS: &[MachineSession] = &[
    (
        STRATIFORME,
        "CON-COM-003",
        &[10, 7, 4, 2],
        1,
        "09:00",
        "12:00",
        "Essais de flexion sur stratifiés verre-époxy",
    ),
    (
        CELE,
        "CON-SOU-001",
        &[9, 5, 3],
        2,
        "14:00",
        "17:00",
        "Essais de traction sur éprouvettes soudées",
    ),
    (
        STRATIFORME,
        "RAS-FAB-001",
        &[8, 1],
        0,
        "10:00",
        "16:00",
        "Impression de gabarits de drapage",
    ),
];

/// The Monday of the week `weeks_before` the current one.
fn monday(today: NaiveDate, weeks_before: i64) -> NaiveDate {
    today
        - Duration::days(i64::from(today.weekday().num_days_from_monday()))
        - Duration::weeks(weeks_before)
}

/// The coming school holidays recur every `HOLIDAY_CYCLE_WEEKS` weeks from this Monday, as
/// the zone's calendar roughly does (seven weeks of classes, two of holidays). A fixed grid,
/// not an offset from today: loaded again on a later day, the demo finds the same periods
/// by their UIDs and only adds the ones that came into view.
const HOLIDAY_GRID_START: (i32, u32, u32) = (2024, 1, 1);
const HOLIDAY_CYCLE_WEEKS: i64 = 9;
const HOLIDAY_LENGTH_WEEKS: i64 = 2;
/// How many holiday periods ahead the demo holds.
const COMING_HOLIDAYS: i64 = 2;

/// The Mondays on which the next `COMING_HOLIDAYS` holiday periods start, all after the
/// current week (the demo's future is free of bookings, so no closure falls on one).
fn coming_holiday_mondays(today: NaiveDate) -> Vec<NaiveDate> {
    let (y, m, d) = HOLIDAY_GRID_START;
    let grid = NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN);
    let this_monday = monday(today, 0);
    let cycles = (this_monday - grid)
        .num_weeks()
        .div_euclid(HOLIDAY_CYCLE_WEEKS)
        + 1;
    (0..COMING_HOLIDAYS)
        .map(|i| grid + Duration::weeks((cycles + i) * HOLIDAY_CYCLE_WEEKS))
        .collect()
}

/// Imports the coming school holidays of the campus's zone, as the director would import
/// the ministry's calendar; a period imported before is left alone. Answers how many
/// closures it wrote.
pub fn seed_coming_holidays(
    conn: &mut DbConnection,
    tz: Tz,
    now: i64,
    campus_id: &str,
) -> ApiResult<usize> {
    let today = local(now, &tz).date_naive();
    let mut calendar =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Plateaux//Démonstration//FR\r\n".to_owned();
    for start in coming_holiday_mondays(today) {
        // From the Saturday before to the Sunday ending the second week (DTEND excluded).
        calendar.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:vacances-{}@mecanic-vallee\r\nDTSTART;VALUE=DATE:{}\r\nDTEND;VALUE=DATE:{}\r\nSUMMARY:Vacances scolaires\r\nEND:VEVENT\r\n",
            start.format("%Y%m%d"),
            (start - Duration::days(2)).format("%Y%m%d"),
            (start + Duration::weeks(HOLIDAY_LENGTH_WEEKS)).format("%Y%m%d"),
        ));
    }
    calendar.push_str("END:VCALENDAR\r\n");
    let parsed = crate::domain::calendar::parse_events(&calendar, &tz, None)?;
    let mut new = Vec::new();
    for event in parsed.events {
        if db::closures::find_imported(conn, "campus", campus_id, &event.uid)?.is_none() {
            new.push(event);
        }
    }
    // Nothing new: no import at all, so a second load writes not even an audit line.
    if new.is_empty() {
        return Ok(0);
    }
    let director = caller(conn, DIRECTOR)?;
    let import = closures::import(conn, &director, now, ClosureScope::Campus, campus_id, new)?;
    Ok(import.created.len())
}

/// A booking as one past moment's use case writes it.
struct Written {
    row: BookingRow,
    /// Weeks before the current one.
    week: i64,
    /// Index in `WEEKLY`, or `None` for an SME's session.
    weekly: Option<usize>,
}

/// Writes the past term, unless it is there already; answers how many rows of history it
/// wrote (bookings, usage records, closures, windows, requests).
pub fn seed(conn: &mut DbConnection, tz: Tz, now: i64, keys: &Keys) -> ApiResult<usize> {
    if db::closures::find_imported(conn, "campus", keys.campus_id, HOLIDAY_UID)?.is_some() {
        return Ok(0);
    }
    let today = local(now, &tz).date_naive();
    let at = |day: NaiveDate, hhmm: &str| date_at_minute(day, minute(hhmm), &tz);
    let first_monday = monday(today, WEEKS);
    // Plans are made a week before the term starts.
    let planned = at(first_monday - Duration::days(7), "09:00");
    let mut written = 0;

    let director = caller(conn, DIRECTOR)?;

    // The school holidays, imported as the ministry publishes them.
    let holiday = monday(today, HOLIDAY_WEEK);
    let calendar = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Plateaux//Démonstration//FR\r\nBEGIN:VEVENT\r\nUID:{HOLIDAY_UID}\r\nDTSTART;VALUE=DATE:{}\r\nDTEND;VALUE=DATE:{}\r\nSUMMARY:Vacances scolaires\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        (holiday - Duration::days(2)).format("%Y%m%d"),
        (holiday + Duration::days(7)).format("%Y%m%d"),
    );
    let parsed = crate::domain::calendar::parse_events(&calendar, &tz, None)?;
    let import = closures::import(
        conn,
        &director,
        planned - 86_400,
        ClosureScope::Campus,
        keys.campus_id,
        parsed.events,
    )?;
    written += import.created.len();

    // A maintenance window on the laser cutter, planned ahead.
    let laser = equipment_id(conn, "CON-CHA-001")?;
    let window_day = monday(today, 5) + Duration::days(1);
    closures::create_maintenance(
        conn,
        &director,
        planned,
        tz,
        MaintenanceDraft {
            equipment_id: laser,
            span: Span::new(
                at(window_day, "08:00"),
                at(window_day + Duration::days(1), "18:00"),
            ),
            reason: "Remplacement de la lentille de focalisation et réglage du faisceau".to_owned(),
            force: false,
        },
    )?;
    written += 1;

    let mut bookings: Vec<Written> = Vec::new();

    // Weekly class sessions: series over the term, skipping the holiday.
    for (index, w, weekday) in WEEKLY
        .iter()
        .enumerate()
        .flat_map(|(index, w)| w.days.iter().map(move |d| (index, w, *d)))
    {
        let actor = caller(conn, w.booker)?;
        let day = first_monday + Duration::days(weekday);
        let draft = BookingDraft {
            platform_id: Some(key(keys.platforms, w.platform)?.to_owned()),
            equipment_id: None,
            stations: Some(w.stations),
            span: Span::new(at(day, w.from), at(day, w.to)),
            organisation_id: Some(actor.organisation_id.clone()),
            supervisor_id: None,
            learners: w.learners.to_vec(),
            group_label: w.group.to_owned(),
            level: w.level.to_owned(),
            purpose: w.purpose.to_owned(),
            service_request_id: None,
        };
        let created = series::create_series(
            conn,
            &actor,
            tz,
            planned,
            draft,
            &format!("FREQ=WEEKLY;COUNT={WEEKS}"),
            SeriesMode::SkipConflicts,
        )?;
        for occurrence in created.occurrences {
            let week = (first_monday - local(occurrence.row.starts_at, &tz).date_naive())
                .num_weeks()
                .abs();
            bookings.push(Written {
                row: occurrence.row,
                week: WEEKS - week,
                weekly: Some(index),
            });
        }
    }

    // SMEs' sessions on the PFTs' machines, booked a week ahead.
    let mut requests = Vec::new();
    for (booker, item, weeks, weekday, from, to, purpose) in MACHINE_SESSIONS {
        let actor = caller(conn, booker)?;
        let item = equipment_id(conn, item)?;
        for week in weeks.iter() {
            let day = monday(today, *week) + Duration::days(*weekday);
            requests.push((
                *week,
                at(day, from) - 7 * 86_400,
                single::BookingRequest {
                    actor: actor.clone(),
                    draft: BookingDraft {
                        platform_id: None,
                        equipment_id: Some(item.clone()),
                        stations: None,
                        span: Span::new(at(day, from), at(day, to)),
                        organisation_id: Some(actor.organisation_id.clone()),
                        supervisor_id: None,
                        learners: vec![(LearnerStatus::Company, 2)],
                        group_label: "Équipe méthodes".to_owned(),
                        level: String::new(),
                        purpose: (*purpose).to_owned(),
                        service_request_id: None,
                    },
                },
            ));
        }
    }
    for (week, booked_at, request) in requests {
        let answers = single::create_bookings(conn, tz, booked_at, std::slice::from_ref(&request))?;
        for answer in answers {
            bookings.push(Written {
                row: answer?,
                week,
                weekly: None,
            });
        }
    }

    // Bookings for another member or by a company wait for the platform's approval, given
    // the next day by its manager (the director where the platform has none).
    let machining = caller(conn, MACHINING_MANAGER)?;
    let robotics = caller(conn, ROBOTICS_MANAGER)?;
    let manager_of = |platform_id: &str| -> &CurrentUser {
        if [
            keys.platforms.get("dec_usinage"),
            keys.platforms.get("dec_composites"),
        ]
        .into_iter()
        .flatten()
        .any(|p| p == platform_id)
        {
            &machining
        } else if [
            keys.platforms.get("ras_robotique"),
            keys.platforms.get("ras_cobotique"),
        ]
        .into_iter()
        .flatten()
        .any(|p| p == platform_id)
        {
            &robotics
        } else {
            &director
        }
    };
    for b in &mut bookings {
        if b.row.status == "pending" {
            let decided_at = b.row.created_at + 86_400;
            let details = change::transition(
                conn,
                manager_of(&b.row.platform_id),
                decided_at,
                &b.row.id,
                Action::Approve,
                None,
            )?;
            b.row = details.row;
        }
    }

    // A few sessions called off a couple of days before, by their bookers.
    let cancellations: [(Option<usize>, i64, &str); 4] = [
        (
            Some(2),
            4,
            "Sortie pédagogique au salon de la sous-traitance",
        ),
        (Some(9), 9, "Formatrice absente, séance reportée"),
        (Some(6), 3, "Apprentis en entreprise cette semaine"),
        (None, 4, "Éprouvettes non livrées à temps"),
    ];
    let mut cancelled = Vec::new();
    for (weekly, week, reason) in cancellations {
        if let Some(b) = bookings
            .iter_mut()
            .find(|b| b.weekly == weekly && b.week == week && b.row.status == "confirmed")
        {
            let actor = caller_by_id(conn, &b.row.booker_id)?;
            let details = change::transition(
                conn,
                &actor,
                b.row.starts_at - 2 * 86_400,
                &b.row.id,
                Action::Cancel,
                Some(reason.to_owned()),
            )?;
            cancelled.push(details.row.id.clone());
            b.row = details.row;
        }
    }

    // What really happened, recorded by the platform's manager (or the director) after
    // each session; last week's are mostly still to be recorded (the director's platforms,
    // and the class sessions of La Découverte's machining platform, whose week its manager
    // has yet to record), and a few older ones too.
    let no_shows = [(6usize, 7i64), (8, 3)];
    for (n, b) in bookings.iter().enumerate() {
        if b.row.status != "confirmed" {
            continue;
        }
        let diligent = manager_of(&b.row.platform_id).role == Role::Manager;
        let week_to_record = b.week == 1 && matches!(b.weekly, Some(3) | Some(5));
        let unreported = (b.week == 1 && !diligent)
            || week_to_record
            || (b.weekly == Some(7) && [5, 2].contains(&b.week));
        if unreported {
            continue;
        }
        let no_show = b.weekly.is_some_and(|w| no_shows.contains(&(w, b.week)));
        let weekly = b.weekly.map(|w| &WEEKLY[w]);
        let learners: Vec<(LearnerStatus, i32)> = match weekly {
            // A pupil or two missing now and then.
            Some(w) if !no_show => w
                .learners
                .iter()
                .map(|(status, count)| (*status, (count - (n % 3) as i32 % 2).max(1)))
                .collect(),
            Some(_) => Vec::new(),
            None => vec![(LearnerStatus::Company, 2)],
        };
        let draft = UsageDraft {
            no_show,
            actual: (!no_show).then(|| {
                // Started a few minutes late, some finished early.
                Span::new(
                    b.row.starts_at + 300 * (n as i64 % 3),
                    b.row.ends_at - 900 * (n as i64 % 2),
                )
            }),
            learners,
            machine_time: match &b.row.equipment_id {
                Some(item) if !no_show => vec![(
                    item.clone(),
                    ((b.row.ends_at - b.row.starts_at) / 60 - 30) as i32,
                )],
                _ => Vec::new(),
            },
            consumables: String::new(),
            incident: n % 29 == 5,
            incident_note: if n % 29 == 5 {
                "Arrêt d'urgence déclenché, machine remise en service après contrôle".to_owned()
            } else {
                String::new()
            },
        };
        usage::record(
            conn,
            manager_of(&b.row.platform_id),
            b.row.ends_at + 2 * 3600,
            &b.row.id,
            &draft,
        )?;
        written += 1;
    }
    written += bookings.len();

    written += requests_at_every_stage(conn, tz, keys, planned, today, &director)?;

    // The e-mails of all this went out at the time.
    db::outbox::mark_sent_created_between(conn, planned - 2 * 86_400, now, now)?;
    Ok(written)
}

fn caller_by_id(conn: &mut DbConnection, id: &str) -> ApiResult<CurrentUser> {
    let user = db::users::find(conn, id)?
        .ok_or_else(|| ApiError::internal("demo history: booker gone"))?;
    caller(conn, &user.email)
}

/// One SME request and how far it went: (company contact, title, description, domain,
/// platform key, quoted hours, hourly price in cents, last step reached).
type Request = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    i64,
    &'static str,
);

const REQUESTS: &[Request] = &[
    (CELE, "Prototype de bride aéronautique usinée en 5 axes", "Deux prototypes de bride en aluminium 7075 d'après notre plan, avec rapport de contrôle dimensionnel.", "machining", "dec_usinage", 14.0, 9500, "close"),
    (STRATIFORME, "Essais de flexion sur stratifiés verre-époxy", "Campagne d'essais de flexion trois points sur dix éprouvettes, rapport selon la norme NF EN ISO 14125.", "composites", "con_composites", 12.0, 10000, "deliver"),
    (CELE, "Contrôle par ultrasons de soudures de châssis", "Contrôle non destructif de vingt cordons de soudure sur deux châssis mécano-soudés.", "welding", "con_soudage", 8.0, 8000, "start_work"),
    (STRATIFORME, "Gabarits de drapage en impression 3D", "Impression de six gabarits de drapage grand format en PETG.", "additive_manufacturing", "ras_fabadd", 18.0, 4000, "sign_agreement"),
    (CELE, "Étude d'une cellule robotisée de chargement", "Étude de faisabilité d'une cellule robotisée pour charger deux tours CN.", "robotics", "ras_robotique", 35.0, 9000, "accept"),
    (STRATIFORME, "Caractérisation thermique d'un moule chauffant", "Relevé par caméra thermique de l'homogénéité de température d'un moule.", "other", "mnv_energie", 6.0, 3000, "quote"),
    (CELE, "Formation au contrôle tridimensionnel", "Formation de deux opérateurs à la machine à mesurer tridimensionnelle.", "metrology", "iut_metrologie", 14.0, 9000, "decline"),
    (STRATIFORME, "Découpe laser de flans inox", "Découpe de 200 flans inox 2 mm selon fichier DXF.", "welding", "con_chaudronnerie", 0.0, 0, "take"),
    (CELE, "Peinture de 2 000 pièces en série", "Mise en peinture époxy d'une série de 2 000 supports.", "painting", "per_peinture", 0.0, 0, "reject"),
    (STRATIFORME, "Essais de résilience sur acier S355", "Essais Charpy à -20 °C sur douze éprouvettes.", "welding", "con_soudage", 0.0, 0, "submit"),
];

/// The steps of a request in order, each taken some days after the one before.
const STEPS: [&str; 9] = [
    "submit",
    "take",
    "quote",
    "accept",
    "sign_agreement",
    "start_work",
    "deliver",
    "invoice",
    "close",
];

fn requests_at_every_stage(
    conn: &mut DbConnection,
    tz: Tz,
    keys: &Keys,
    planned: i64,
    today: NaiveDate,
    director: &CurrentUser,
) -> ApiResult<usize> {
    let mut written = 0;
    for (n, (contact, title, description, domain, platform, hours, price, last)) in
        REQUESTS.iter().enumerate()
    {
        let company = caller(conn, contact)?;
        let platform_id = key(keys.platforms, platform)?.to_owned();
        // The first requests came early in the term, the last ones lately.
        let mut t = planned + (n as i64) * 7 * 86_400 + 3 * 3600;
        let day = |t: i64| local(t, &tz).date_naive();
        let body = serde_json::from_value(json!({
            "title": title, "description": description, "domains": [domain],
            "platform_id": platform_id, "budget_cents": (hours * *price as f64) as i64,
        }))
        .map_err(|e| ApiError::internal(format!("demo request: {e}")))?;
        let id = service_requests::create(conn, &company, t, body)?.row.id;
        written += 1;
        let transition = |conn: &mut DbConnection, actor: &CurrentUser, t: i64, body| {
            let body = serde_json::from_value(body)
                .map_err(|e| ApiError::internal(format!("demo transition: {e}")))?;
            service_requests::apply_transition(conn, actor, t, &id, body, day(t)).map(|_| ())
        };
        let step = |name: &str| STEPS.iter().position(|s| *s == name).unwrap_or(0);
        let reach = match *last {
            "decline" => step("accept"),
            "reject" => step("take"),
            other => step(other),
        };
        if *last == "reject" {
            t += 2 * 86_400;
            transition(
                conn,
                director,
                t,
                json!({ "action": "reject", "reason": "Une série de production ne relève pas d'un plateau de formation : nous vous orientons vers un sous-traitant du réseau." }),
            )?;
            continue;
        }
        let mut version = 0;
        for name in &STEPS[1..=reach] {
            t += 3 * 86_400;
            match *name {
                "take" => transition(
                    conn,
                    director,
                    t,
                    json!({ "action": "take", "platform_id": platform_id }),
                )?,
                "quote" => {
                    // The quote still awaiting the company's answer is still valid today,
                    // so that the company's contact trying the demo can accept it.
                    let valid_until = if *last == "quote" {
                        today + Duration::days(30)
                    } else {
                        day(t) + Duration::days(30)
                    };
                    let quote = serde_json::from_value(json!({
                        "valid_until": valid_until,
                        "lines": [
                            { "label": "Temps machine et opérateur", "quantity": hours, "unit": "hour", "unit_price_cents": price, "vat_rate_bp": 2000 },
                            { "label": "Préparation et rapport", "quantity": 1.0, "unit": "flat", "unit_price_cents": 25000, "vat_rate_bp": 2000 },
                        ],
                    }))
                    .map_err(|e| ApiError::internal(format!("demo quote: {e}")))?;
                    let (row, _) =
                        service_requests::issue_quote(conn, director, t, &id, quote, day(t))?;
                    version = row.version;
                }
                "accept" if *last == "decline" => transition(
                    conn,
                    &company,
                    t,
                    json!({ "action": "decline", "quote_version": version, "reason": "Formation reportée à l'an prochain." }),
                )?,
                "accept" => transition(
                    conn,
                    &company,
                    t,
                    json!({ "action": "accept", "quote_version": version }),
                )?,
                "sign_agreement" => transition(
                    conn,
                    director,
                    t,
                    json!({ "action": "sign_agreement", "agreement_reference": format!("CONV-{}-{:03}", day(t).year(), n + 1), "signed_on": day(t) }),
                )?,
                "start_work" => transition(conn, director, t, json!({ "action": "start_work" }))?,
                "deliver" => transition(
                    conn,
                    director,
                    t,
                    json!({ "action": "deliver", "delivery_note": "Rapport d'essais et pièces remis au client." }),
                )?,
                "invoice" => transition(
                    conn,
                    director,
                    t,
                    json!({ "action": "invoice", "invoice_reference": format!("FAC-{}-{:03}", day(t).year(), n + 1), "amount_cents": ((hours * *price as f64) as i64 + 25000) * 12 / 10 }),
                )?,
                "close" => transition(conn, director, t, json!({ "action": "close" }))?,
                _ => {}
            }
            written += 1;
        }
    }
    Ok(written)
}
