//! Who may do what: every endpoint of the API against every role (and no token at all), and
//! the lists that each role sees.

use std::collections::{BTreeSet, HashSet};
use std::rc::Rc;

use actix_web::http::{header, Method};
use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::dates::{at, urlencode, TZ};
use crate::support::util::{id_set, siret, uai};
use crate::support::{campus, id_of, Campus, TestApp};
use plateaux::domain::Role;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Admin,
    Manager,
    Teacher,
    Company,
    Observer,
    Anonymous,
}

const EVERYONE: [Who; 6] = [
    Who::Admin,
    Who::Manager,
    Who::Teacher,
    Who::Company,
    Who::Observer,
    Who::Anonymous,
];

impl Who {
    fn tag(self) -> &'static str {
        match self {
            Who::Admin => "admin",
            Who::Manager => "manager",
            Who::Teacher => "teacher",
            Who::Company => "company",
            Who::Observer => "observer",
            Who::Anonymous => "anonyme",
        }
    }

    fn index(self) -> usize {
        EVERYONE.iter().position(|w| *w == self).unwrap()
    }

    fn role(self) -> Option<Role> {
        match self {
            Who::Admin => Some(Role::Admin),
            Who::Manager => Some(Role::Manager),
            Who::Teacher => Some(Role::Teacher),
            Who::Company => Some(Role::Company),
            Who::Observer => Some(Role::Observer),
            Who::Anonymous => None,
        }
    }
}

/// The ids the requests are built from.
struct Ids {
    c: Campus,
    admin_id: String,
    other_equipment_id: String,
    /// Held by the other teacher and the other company's contact, withdrawn in the matrix.
    held_qualification_id: String,
    /// Held by nobody, required by nothing.
    spare_qualification_id: String,
    /// Deleted in the matrix.
    unused_qualification_id: String,
    /// Bookings, series, closures, maintenance windows and calendar feeds made beforehand.
    t: Targets,
    /// Service requests made beforehand.
    r: RequestTargets,
}

/// Service requests of the other company, made before the matrix runs.
struct RequestTargets {
    /// Submitted, not yet taken.
    seen: String,
    /// Taken for the manager's platform, in review.
    quoted: String,
    /// One submitted request for each caller to take.
    to_take: Vec<String>,
}

async fn prepare_requests(app: &TestApp, c: &Campus) -> RequestTargets {
    let submit = async |title: &str| {
        id_of(
            app.post(
                "/api/v1/service-requests",
                &c.other_company,
                json!({ "title": title, "description": "Prototype", "domains": ["composites"] }),
            )
            .await
            .expect(201),
        )
    };
    let seen = submit("Vue par la matrice").await;
    let quoted = submit("Devisée dans la matrice").await;
    let mut to_take = Vec::new();
    for who in EVERYONE {
        to_take.push(submit(&format!("À prendre ({})", who.tag())).await);
    }
    app.post(
        &format!("/api/v1/service-requests/{quoted}/transitions"),
        &c.admin,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await
    .expect(200);
    RequestTargets {
        seen,
        quoted,
        to_take,
    }
}

impl Ids {
    /// The caller's own account (the teacher's for requests without a token).
    fn own_id(&self, who: Who) -> &str {
        match who {
            Who::Admin => &self.admin_id,
            Who::Manager => &self.c.manager_id,
            Who::Teacher | Who::Anonymous => &self.c.teacher_id,
            Who::Company => &self.c.company_user_id,
            Who::Observer => &self.c.observer_id,
        }
    }
}

/// What the booking rows act on. "Welding" is `c.platform_id` (owned by the lycée, open to
/// campus members, managed by the manager); "machining" is `c.other_platform_id` (owned by
/// the other lycée, managed by nobody, opened to anyone beforehand). Every booking takes one
/// station; bookings by someone outside the owning organisation wait for approval.
struct Targets {
    /// Welding, by the teacher: confirmed.
    teacher_booking: String,
    teacher_booking_to_cancel: String,
    /// Welding, by the manager for the lycée: confirmed.
    manager_booking: String,
    manager_booking_to_cancel: String,
    /// Welding, by the administrator: confirmed.
    admin_booking_to_cancel: String,
    /// Welding, by the other lycée's teacher: pending.
    outside_booking: String,
    /// Likewise, decided by the administrator and the manager: approved by each, rejected
    /// by each, and one cancelled by the manager.
    outside_to_approve: [String; 2],
    outside_to_reject: [String; 2],
    outside_to_cancel: String,
    /// Machining, by the teacher: pending, seen but not decided by the lycée's manager.
    teacher_outside: String,
    teacher_outside_to_approve: String,
    teacher_outside_to_reject: String,
    /// Machining, by the company: pending.
    company_booking: String,
    company_booking_to_cancel: String,
    /// Machining, by the other company: pending.
    other_company_booking: String,
    /// Series of two weekly occurrences, by the same people on the same platforms.
    admin_series: String,
    manager_series: String,
    teacher_series: String,
    teacher_outside_series: String,
    company_series: String,
    other_company_series: String,
    outside_series: String,
    /// Campus closures (by the administrator) and welding closures (by the manager).
    campus_closures: [String; 2],
    welding_closures: [String; 3],
    /// Maintenance windows of the welding booth (by the manager) and of the milling machine
    /// of the machining platform (by the administrator).
    booth_maintenance: [String; 3],
    milling_maintenance: [String; 2],
    /// Each role's calendar token (its own bookings), in the order of `EVERYONE`.
    own_tokens: [String; 5],
    /// The other teacher's calendar token.
    other_teacher_token: String,
    /// The URL of a live feed and of a revoked one.
    feed_url: String,
    revoked_feed_url: String,
}

type Request = Box<dyn Fn(Who) -> (String, Option<Value>)>;

struct Case {
    method: Method,
    /// The path as the OpenAPI document names it.
    route: &'static str,
    /// Expected status for admin, manager, teacher, company, observer, no token.
    expected: [u16; 6],
    request: Request,
    /// Sends the body, a JSON string, as raw text of this type instead of as JSON.
    content_type: Option<&'static str>,
    /// The problem code of the expected 403 answers.
    forbidden_code: &'static str,
}

impl Case {
    /// The 403 answers name a booking rule rather than the role.
    fn refused_as(mut self, code: &'static str) -> Case {
        self.forbidden_code = code;
        self
    }

    fn sent_as(mut self, content_type: &'static str) -> Case {
        self.content_type = Some(content_type);
        self
    }
}

fn case(
    method: Method,
    route: &'static str,
    expected: [u16; 6],
    request: impl Fn(Who) -> (String, Option<Value>) + 'static,
) -> Case {
    Case {
        method,
        route,
        expected,
        request: Box::new(request),
        content_type: None,
        forbidden_code: "forbidden",
    }
}

fn api(path: impl std::fmt::Display) -> String {
    format!("/api/v1{path}")
}

fn fixed(path: String, body: Option<Value>) -> impl Fn(Who) -> (String, Option<Value>) {
    move |_| (path.clone(), body.clone())
}

/// One target per caller, in the order of `EVERYONE`: each caller acts on its own row.
fn each(
    targets: [&String; 6],
    path: impl Fn(&str) -> String,
    body: Option<Value>,
) -> impl Fn(Who) -> (String, Option<Value>) {
    let paths = targets.map(|id| path(id));
    move |who| (paths[who.index()].clone(), body.clone())
}

const WEEKDAYS: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];

/// A day `week` weeks after the first Monday at least a week away: always bookable
/// (24 h notice, 365 days ahead) on a weekday, and closed on Saturdays.
fn day(week: i64, weekday: Weekday) -> NaiveDate {
    let mut monday = Utc::now().with_timezone(&TZ).date_naive() + Duration::days(7);
    while monday.weekday() != Weekday::Mon {
        monday += Duration::days(1);
    }
    monday + Duration::days(7 * week + i64::from(weekday.num_days_from_monday()))
}

/// One station of a platform, 08:00–09:00.
fn station(platform_id: &str, date: NaiveDate) -> Value {
    json!({
        "platform_id": platform_id, "stations": 1, "starts_at": at(date, "08:00"), "ends_at": at(date, "09:00"),
        "group_label": "Matrice", "learners": [{ "status": "school", "headcount": 6 }],
    })
}

/// Two weekly sessions on one station of a platform, 13:30–15:00.
fn weekly(platform_id: &str, date: NaiveDate) -> Value {
    json!({
        "first_occurrence": { "platform_id": platform_id, "stations": 1, "starts_at": at(date, "13:30"), "ends_at": at(date, "15:00"), "group_label": "Matrice" },
        "rrule": "FREQ=WEEKLY;COUNT=2",
        "mode": "all_or_nothing",
    })
}

/// An iCalendar file with one whole-day event, to import as a closure.
fn one_day_ics(date: NaiveDate, uid: &str) -> Value {
    Value::String(format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Plateaux//Matrice//FR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:{}\r\nDTEND;VALUE=DATE:{}\r\nSUMMARY:Fermeture {uid}\r\nUID:{uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        date.format("%Y%m%d"),
        (date + Duration::days(1)).format("%Y%m%d"),
    ))
}

const READ: [u16; 6] = [200, 200, 200, 200, 200, 401];
const ADMIN_ONLY_200: [u16; 6] = [200, 403, 403, 403, 403, 401];
const ADMIN_ONLY_201: [u16; 6] = [201, 403, 403, 403, 403, 401];
const STAFF_200: [u16; 6] = [200, 200, 403, 403, 403, 401];
const STAFF_201: [u16; 6] = [201, 201, 403, 403, 403, 401];
const ADMIN_ONLY_204: [u16; 6] = [204, 403, 403, 403, 403, 401];
const STAFF_204: [u16; 6] = [204, 204, 403, 403, 403, 401];

/// Changes the purpose, naming the caller.
fn retitled(path: String) -> impl Fn(Who) -> (String, Option<Value>) {
    move |who| {
        (
            path.clone(),
            Some(json!({ "purpose": format!("Revu par {}", who.tag()) })),
        )
    }
}

/// Closes a campus or a platform for the Saturday of week 15, naming the caller.
fn closing(scope: &'static str, scope_id: &str) -> impl Fn(Who) -> (String, Option<Value>) {
    let scope_id = scope_id.to_owned();
    move |who| {
        let saturday = day(15, Weekday::Sat);
        let body = json!({
            "scope": scope, "scope_id": scope_id, "name": format!("Fermeture ({})", who.tag()),
            "starts_at": at(saturday, "00:00"), "ends_at": at(saturday + Duration::days(1), "00:00"),
        });
        (api("/closures"), Some(body))
    }
}

/// Half an hour of maintenance on the Saturday of week 15, at an hour of the caller's own.
fn servicing(equipment_id: &str) -> impl Fn(Who) -> (String, Option<Value>) {
    let equipment_id = equipment_id.to_owned();
    move |who| {
        let (saturday, hour) = (day(15, Weekday::Sat), 8 + who.index());
        let body = json!({
            "equipment_id": equipment_id, "reason": format!("Révision ({})", who.tag()),
            "starts_at": at(saturday, &format!("{hour:02}:00")), "ends_at": at(saturday, &format!("{hour:02}:30")),
        });
        (api("/maintenance-windows"), Some(body))
    }
}

fn cases(k: &Rc<Ids>) -> Vec<Case> {
    let (c, t) = (&k.c, &k.t);
    vec![
        // Sessions and documents open to everyone.
        case(
            Method::POST,
            "/api/v1/auth/login",
            [401; 6],
            fixed(
                api("/auth/login"),
                Some(
                    json!({ "email": "personne@campus.test", "password": "pas-le-bon-mot-de-passe" }),
                ),
            ),
        ),
        case(
            Method::POST,
            "/api/v1/auth/refresh",
            [401; 6],
            fixed(
                api("/auth/refresh"),
                Some(json!({ "refresh_token": "inconnu" })),
            ),
        ),
        case(
            Method::POST,
            "/api/v1/auth/logout",
            [204; 6],
            fixed(
                api("/auth/logout"),
                Some(json!({ "refresh_token": "inconnu" })),
            ),
        ),
        case(
            Method::GET,
            "/api/v1/openapi.json",
            [200; 6],
            fixed(api("/openapi.json"), None),
        ),
        case(
            Method::GET,
            "/healthz",
            [200; 6],
            fixed("/healthz".into(), None),
        ),
        case(
            Method::GET,
            "/readyz",
            [200; 6],
            fixed("/readyz".into(), None),
        ),
        case(
            Method::GET,
            "/metrics",
            [200; 6],
            fixed("/metrics".into(), None),
        ),
        case(Method::GET, "/api/v1/me", READ, fixed(api("/me"), None)),
        case(Method::PATCH, "/api/v1/me", READ, |who| {
            (
                api("/me"),
                Some(json!({ "display_name": format!("Moi ({})", who.tag()) })),
            )
        }),
        // Campuses.
        case(
            Method::GET,
            "/api/v1/campuses",
            READ,
            fixed(api("/campuses"), None),
        ),
        case(Method::POST, "/api/v1/campuses", ADMIN_ONLY_201, |who| {
            (
                api("/campuses"),
                Some(json!({ "name": format!("Campus matrice {}", who.tag()) })),
            )
        }),
        case(
            Method::GET,
            "/api/v1/campuses/{id}",
            READ,
            fixed(api(format!("/campuses/{}", c.campus_id)), None),
        ),
        case(Method::PATCH, "/api/v1/campuses/{id}", ADMIN_ONLY_200, {
            let path = api(format!("/campuses/{}", c.campus_id));
            move |who| {
                (
                    path.clone(),
                    Some(json!({ "name": format!("Campus Mecanic Vallée ({})", who.tag()) })),
                )
            }
        }),
        // Organisations.
        case(
            Method::GET,
            "/api/v1/organisations",
            READ,
            fixed(api("/organisations"), None),
        ),
        case(Method::POST, "/api/v1/organisations", STAFF_201, {
            let campus_id = c.campus_id.clone();
            move |who| {
                let body = json!({ "name": format!("Entreprise {}", who.tag()), "kind": "company", "siret": siret(5_000_000 + who.index() as u64), "campus_ids": [campus_id] });
                (api("/organisations"), Some(body))
            }
        }),
        case(Method::POST, "/api/v1/organisations", ADMIN_ONLY_201, {
            let campus_id = c.campus_id.clone();
            move |who| {
                let body = json!({ "name": format!("Lycée {}", who.tag()), "kind": "lycee", "uai": uai(4_600_000 + who.index() as u32), "campus_ids": [campus_id] });
                (api("/organisations"), Some(body))
            }
        }),
        case(
            Method::GET,
            "/api/v1/organisations/{id}",
            READ,
            fixed(api(format!("/organisations/{}", c.lycee_id)), None),
        ),
        case(
            Method::GET,
            "/api/v1/organisations/{id}",
            [200, 200, 404, 200, 404, 401],
            fixed(api(format!("/organisations/{}", c.company_id)), None),
        ),
        case(
            Method::GET,
            "/api/v1/organisations/{id}",
            [200, 200, 404, 404, 404, 401],
            fixed(api(format!("/organisations/{}", c.other_company_id)), None),
        ),
        case(
            Method::PATCH,
            "/api/v1/organisations/{id}",
            ADMIN_ONLY_200,
            {
                let path = api(format!("/organisations/{}", c.other_lycee_id));
                move |who| {
                    (
                        path.clone(),
                        Some(json!({ "town": format!("Rodez ({})", who.tag()) })),
                    )
                }
            },
        ),
        case(
            Method::PATCH,
            "/api/v1/organisations/{id}",
            [200, 200, 404, 403, 404, 401],
            {
                let path = api(format!("/organisations/{}", c.company_id));
                move |who| {
                    (
                        path.clone(),
                        Some(json!({ "town": format!("Figeac ({})", who.tag()) })),
                    )
                }
            },
        ),
        case(
            Method::PATCH,
            "/api/v1/organisations/{id}",
            [200, 200, 404, 404, 404, 401],
            {
                let path = api(format!("/organisations/{}", c.other_company_id));
                move |who| {
                    (
                        path.clone(),
                        Some(json!({ "town": format!("Capdenac ({})", who.tag()) })),
                    )
                }
            },
        ),
        // Platforms.
        case(
            Method::GET,
            "/api/v1/platforms",
            READ,
            fixed(api("/platforms"), None),
        ),
        case(Method::POST, "/api/v1/platforms", ADMIN_ONLY_201, {
            let (campus_id, owner) = (c.campus_id.clone(), c.lycee_id.clone());
            move |who| {
                let body = json!({ "campus_id": campus_id, "owner_organisation_id": owner, "name": format!("Plateau {}", who.tag()), "domain": "robotics", "stations": 4 });
                (api("/platforms"), Some(body))
            }
        }),
        case(
            Method::GET,
            "/api/v1/platforms/{id}",
            READ,
            fixed(api(format!("/platforms/{}", c.platform_id)), None),
        ),
        case(Method::PATCH, "/api/v1/platforms/{id}", STAFF_200, {
            let path = api(format!("/platforms/{}", c.platform_id));
            move |who| {
                (
                    path.clone(),
                    Some(json!({ "description": format!("Modifié ({})", who.tag()) })),
                )
            }
        }),
        case(Method::PATCH, "/api/v1/platforms/{id}", ADMIN_ONLY_200, {
            let path = api(format!("/platforms/{}", c.other_platform_id));
            move |who| {
                (
                    path.clone(),
                    Some(json!({ "description": format!("Modifié ({})", who.tag()) })),
                )
            }
        }),
        // Equipment.
        case(
            Method::GET,
            "/api/v1/equipment",
            READ,
            fixed(api("/equipment"), None),
        ),
        case(Method::POST, "/api/v1/equipment", STAFF_201, {
            let platform = c.platform_id.clone();
            move |who| {
                (
                    api("/equipment"),
                    Some(
                        json!({ "platform_id": platform, "name": format!("Poste {}", who.tag()), "kind": "poste" }),
                    ),
                )
            }
        }),
        case(Method::POST, "/api/v1/equipment", ADMIN_ONLY_201, {
            let platform = c.other_platform_id.clone();
            move |who| {
                (
                    api("/equipment"),
                    Some(
                        json!({ "platform_id": platform, "name": format!("Tour {}", who.tag()), "kind": "tour" }),
                    ),
                )
            }
        }),
        case(
            Method::GET,
            "/api/v1/equipment/{id}",
            READ,
            fixed(api(format!("/equipment/{}", c.equipment_id)), None),
        ),
        case(Method::PATCH, "/api/v1/equipment/{id}", STAFF_200, {
            let path = api(format!("/equipment/{}", c.equipment_id));
            move |who| {
                (
                    path.clone(),
                    Some(json!({ "notes": format!("Vu par {}", who.tag()) })),
                )
            }
        }),
        case(Method::PATCH, "/api/v1/equipment/{id}", ADMIN_ONLY_200, {
            let path = api(format!("/equipment/{}", k.other_equipment_id));
            move |who| {
                (
                    path.clone(),
                    Some(json!({ "notes": format!("Vu par {}", who.tag()) })),
                )
            }
        }),
        // Qualifications.
        case(
            Method::GET,
            "/api/v1/qualifications",
            READ,
            fixed(api("/qualifications"), None),
        ),
        case(Method::POST, "/api/v1/qualifications", STAFF_201, |who| {
            (
                api("/qualifications"),
                Some(json!({ "name": format!("Habilitation {}", who.tag()) })),
            )
        }),
        case(
            Method::GET,
            "/api/v1/qualifications/{id}",
            READ,
            fixed(api(format!("/qualifications/{}", c.qualification_id)), None),
        ),
        case(Method::PATCH, "/api/v1/qualifications/{id}", STAFF_200, {
            let path = api(format!("/qualifications/{}", c.qualification_id));
            move |who| {
                (
                    path.clone(),
                    Some(json!({ "description": format!("Revue par {}", who.tag()) })),
                )
            }
        }),
        case(
            Method::DELETE,
            "/api/v1/qualifications/{id}",
            [204, 403, 403, 403, 403, 401],
            fixed(
                api(format!("/qualifications/{}", k.unused_qualification_id)),
                None,
            ),
        ),
        // Accounts.
        case(
            Method::GET,
            "/api/v1/users",
            [200, 200, 200, 200, 403, 401],
            fixed(api("/users"), None),
        ),
        case(Method::POST, "/api/v1/users", ADMIN_ONLY_201, {
            let org = c.lycee_id.clone();
            move |who| {
                let body = json!({ "email": format!("prof.{}@campus.test", who.tag()), "display_name": "Prof", "role": "teacher", "organisation_id": org });
                (api("/users"), Some(body))
            }
        }),
        case(Method::POST, "/api/v1/users", STAFF_201, {
            let org = c.company_id.clone();
            move |who| {
                let body = json!({ "email": format!("contact.{}@cele.test", who.tag()), "display_name": "Contact", "role": "company", "organisation_id": org });
                (api("/users"), Some(body))
            }
        }),
        case(Method::GET, "/api/v1/users/{id}", READ, {
            let k = k.clone();
            move |who| (api(format!("/users/{}", k.own_id(who))), None)
        }),
        case(
            Method::GET,
            "/api/v1/users/{id}",
            [200, 200, 200, 404, 404, 401],
            fixed(api(format!("/users/{}", c.teacher_id)), None),
        ),
        case(
            Method::GET,
            "/api/v1/users/{id}",
            [200, 200, 404, 404, 404, 401],
            fixed(api(format!("/users/{}", c.other_teacher_id)), None),
        ),
        case(
            Method::GET,
            "/api/v1/users/{id}",
            [200, 200, 404, 200, 404, 401],
            fixed(api(format!("/users/{}", c.company_user_id)), None),
        ),
        case(
            Method::GET,
            "/api/v1/users/{id}",
            [200, 200, 404, 404, 404, 401],
            fixed(api(format!("/users/{}", c.other_company_user_id)), None),
        ),
        case(
            Method::GET,
            "/api/v1/users/{id}",
            [200, 200, 200, 404, 200, 401],
            fixed(api(format!("/users/{}", c.observer_id)), None),
        ),
        case(Method::PATCH, "/api/v1/users/{id}", ADMIN_ONLY_200, {
            let k = k.clone();
            move |who| {
                (
                    api(format!("/users/{}", k.own_id(who))),
                    Some(json!({ "display_name": format!("Renommé ({})", who.tag()) })),
                )
            }
        }),
        case(
            Method::PATCH,
            "/api/v1/users/{id}",
            [200, 403, 404, 404, 404, 401],
            {
                let path = api(format!("/users/{}", c.other_teacher_id));
                move |who| {
                    (
                        path.clone(),
                        Some(json!({ "display_name": format!("Renommé ({})", who.tag()) })),
                    )
                }
            },
        ),
        case(
            Method::PATCH,
            "/api/v1/users/{id}",
            [200, 403, 404, 403, 404, 401],
            {
                let path = api(format!("/users/{}", c.company_user_id));
                move |who| {
                    (
                        path.clone(),
                        Some(json!({ "display_name": format!("Renommé ({})", who.tag()) })),
                    )
                }
            },
        ),
        // Qualifications held.
        case(Method::GET, "/api/v1/users/{id}/qualifications", READ, {
            let k = k.clone();
            move |who| {
                (
                    api(format!("/users/{}/qualifications", k.own_id(who))),
                    None,
                )
            }
        }),
        case(
            Method::GET,
            "/api/v1/users/{id}/qualifications",
            [200, 200, 404, 404, 404, 401],
            fixed(
                api(format!("/users/{}/qualifications", c.other_teacher_id)),
                None,
            ),
        ),
        case(
            Method::GET,
            "/api/v1/users/{id}/qualifications",
            [200, 200, 404, 200, 404, 401],
            fixed(
                api(format!("/users/{}/qualifications", c.company_user_id)),
                None,
            ),
        ),
        case(
            Method::POST,
            "/api/v1/users/{id}/qualifications",
            STAFF_200,
            {
                let k = k.clone();
                move |who| {
                    let body = json!({ "qualification_id": k.c.qualification_id, "awarded_on": "2025-09-01" });
                    (
                        api(format!("/users/{}/qualifications", k.own_id(who))),
                        Some(body),
                    )
                }
            },
        ),
        case(
            Method::POST,
            "/api/v1/users/{id}/qualifications",
            [200, 200, 404, 404, 404, 401],
            {
                let path = api(format!("/users/{}/qualifications", c.other_teacher_id));
                let body =
                    json!({ "qualification_id": c.qualification_id, "awarded_on": "2025-09-01" });
                fixed(path, Some(body))
            },
        ),
        // Withdrawing: the administrator and the manager each withdraw one award made beforehand.
        case(
            Method::DELETE,
            "/api/v1/users/{id}/qualifications/{qualification_id}",
            [204, 204, 404, 404, 404, 401],
            {
                let k = k.clone();
                move |who| {
                    let holder = match who {
                        Who::Admin | Who::Teacher => &k.c.other_teacher_id,
                        Who::Manager | Who::Company => &k.c.other_company_user_id,
                        Who::Observer | Who::Anonymous => &k.c.teacher_id,
                    };
                    (
                        api(format!(
                            "/users/{holder}/qualifications/{}",
                            k.held_qualification_id
                        )),
                        None,
                    )
                }
            },
        ),
        case(
            Method::DELETE,
            "/api/v1/users/{id}/qualifications/{qualification_id}",
            [404, 404, 403, 403, 403, 401],
            {
                let k = k.clone();
                move |who| {
                    (
                        api(format!(
                            "/users/{}/qualifications/{}",
                            k.own_id(who),
                            k.spare_qualification_id
                        )),
                        None,
                    )
                }
            },
        ),
        // Bookings: read within one's scope (404 outside it), never listed by the observer.
        case(
            Method::GET,
            "/api/v1/bookings",
            [200, 200, 200, 200, 403, 401],
            fixed(api("/bookings"), None),
        ),
        case(
            Method::GET,
            "/api/v1/bookings/{id}",
            [200, 200, 200, 404, 404, 401],
            fixed(api(format!("/bookings/{}", t.teacher_booking)), None),
        ),
        case(
            Method::GET,
            "/api/v1/bookings/{id}",
            [200, 200, 404, 404, 404, 401],
            fixed(api(format!("/bookings/{}", t.outside_booking)), None),
        ),
        case(
            Method::GET,
            "/api/v1/bookings/{id}",
            [200, 404, 404, 200, 404, 401],
            fixed(api(format!("/bookings/{}", t.company_booking)), None),
        ),
        case(
            Method::GET,
            "/api/v1/bookings/{id}",
            [200, 404, 404, 404, 404, 401],
            fixed(api(format!("/bookings/{}", t.other_company_booking)), None),
        ),
        // Booking welding (campus members only): not companies, never the observer.
        case(
            Method::POST,
            "/api/v1/bookings",
            [201, 201, 201, 403, 403, 401],
            fixed(
                api("/bookings"),
                Some(station(&c.platform_id, day(10, Weekday::Mon))),
            ),
        )
        .refused_as("booking_not_allowed"),
        // Booking machining (open to anyone, outsiders wait for approval).
        case(
            Method::POST,
            "/api/v1/bookings",
            [201, 201, 201, 201, 403, 401],
            fixed(
                api("/bookings"),
                Some(station(&c.other_platform_id, day(10, Weekday::Tue))),
            ),
        )
        .refused_as("booking_not_allowed"),
        // Booking for another organisation: the administrator, and a manager on its platform.
        case(Method::POST, "/api/v1/bookings", STAFF_201, {
            let mut body = station(&c.platform_id, day(10, Weekday::Wed));
            body["organisation_id"] = json!(c.other_lycee_id);
            fixed(api("/bookings"), Some(body))
        }),
        // ... but not on a platform the manager does not manage: booking there in the name of
        // its owner would be confirmed without anyone's approval.
        case(Method::POST, "/api/v1/bookings", ADMIN_ONLY_201, {
            let mut body = station(&c.other_platform_id, day(10, Weekday::Thu));
            body["organisation_id"] = json!(c.other_lycee_id);
            fixed(api("/bookings"), Some(body))
        }),
        // Changes: the booker, the platform's managers, the administrator; a colleague or the
        // manager of another platform sees the booking but may not change it.
        case(
            Method::PATCH,
            "/api/v1/bookings/{id}",
            [200, 200, 200, 404, 404, 401],
            retitled(api(format!("/bookings/{}", t.teacher_booking))),
        ),
        case(
            Method::PATCH,
            "/api/v1/bookings/{id}",
            [200, 200, 403, 404, 404, 401],
            retitled(api(format!("/bookings/{}", t.manager_booking))),
        ),
        case(
            Method::PATCH,
            "/api/v1/bookings/{id}",
            [200, 404, 404, 200, 404, 401],
            retitled(api(format!("/bookings/{}", t.company_booking))),
        ),
        case(
            Method::PATCH,
            "/api/v1/bookings/{id}",
            [200, 403, 200, 404, 404, 401],
            retitled(api(format!("/bookings/{}", t.teacher_outside))),
        ),
        // Decisions: the administrator and the manager each decide a pending booking of
        // welding; bookers may not decide their own.
        case(
            Method::POST,
            "/api/v1/bookings/{id}/approve",
            [200, 200, 403, 403, 404, 401],
            each(
                [
                    &t.outside_to_approve[0],
                    &t.outside_to_approve[1],
                    &t.teacher_outside,
                    &t.company_booking,
                    &t.outside_booking,
                    &t.outside_booking,
                ],
                |id| api(format!("/bookings/{id}/approve")),
                None,
            ),
        ),
        case(
            Method::POST,
            "/api/v1/bookings/{id}/approve",
            [200, 403, 403, 404, 404, 401],
            fixed(
                api(format!(
                    "/bookings/{}/approve",
                    t.teacher_outside_to_approve
                )),
                None,
            ),
        ),
        case(
            Method::POST,
            "/api/v1/bookings/{id}/reject",
            [200, 200, 403, 403, 404, 401],
            each(
                [
                    &t.outside_to_reject[0],
                    &t.outside_to_reject[1],
                    &t.teacher_outside,
                    &t.company_booking,
                    &t.outside_booking,
                    &t.outside_booking,
                ],
                |id| api(format!("/bookings/{id}/reject")),
                Some(json!({ "reason": "Atelier réservé aux examens" })),
            ),
        ),
        case(
            Method::POST,
            "/api/v1/bookings/{id}/reject",
            [200, 403, 403, 404, 404, 401],
            fixed(
                api(format!("/bookings/{}/reject", t.teacher_outside_to_reject)),
                Some(json!({ "reason": "Atelier réservé aux examens" })),
            ),
        ),
        // Cancelling: each caller its own booking, then other people's.
        case(
            Method::POST,
            "/api/v1/bookings/{id}/cancel",
            [200, 200, 200, 200, 404, 401],
            each(
                [
                    &t.admin_booking_to_cancel,
                    &t.manager_booking_to_cancel,
                    &t.teacher_booking_to_cancel,
                    &t.company_booking_to_cancel,
                    &t.teacher_booking,
                    &t.teacher_booking,
                ],
                |id| api(format!("/bookings/{id}/cancel")),
                Some(json!({ "reason": "Séance annulée" })),
            ),
        ),
        case(
            Method::POST,
            "/api/v1/bookings/{id}/cancel",
            [200, 200, 403, 404, 404, 401],
            each(
                [
                    &t.other_company_booking,
                    &t.outside_to_cancel,
                    &t.manager_booking,
                    &t.other_company_booking,
                    &t.manager_booking,
                    &t.manager_booking,
                ],
                |id| api(format!("/bookings/{id}/cancel")),
                Some(json!({ "reason": "Séance annulée" })),
            ),
        ),
        // Usage is recorded after the session: on a session still to come the managers and
        // the administrator hear so (409); the booker may not record here (403).
        case(
            Method::PUT,
            "/api/v1/bookings/{id}/usage",
            [409, 409, 403, 404, 404, 401],
            fixed(
                api(format!("/bookings/{}/usage", t.teacher_booking)),
                Some(json!({ "no_show": true })),
            ),
        ),
        case(
            Method::GET,
            "/api/v1/bookings/{id}/usage",
            [404, 404, 404, 404, 404, 401],
            fixed(api(format!("/bookings/{}/usage", t.teacher_booking)), None),
        ),
        case(
            Method::POST,
            "/api/v1/usage-records",
            [409, 409, 403, 404, 404, 401],
            fixed(
                api("/usage-records"),
                Some(json!({ "records": [{ "booking_id": t.teacher_booking, "no_show": true }] })),
            ),
        ),
        // Sessions recorded after the fact: the platform's managers and the administrator.
        case(
            Method::POST,
            "/api/v1/past-sessions",
            [201, 201, 403, 403, 403, 401],
            fixed(api("/past-sessions"), {
                let day = Utc::now().with_timezone(&TZ).date_naive() - Duration::days(3);
                let (from, to) = (at(day, "10:00"), at(day, "11:00"));
                Some(json!({
                    "booking": { "platform_id": c.platform_id, "stations": 1, "starts_at": from, "ends_at": to },
                    "usage": { "actual_start": from, "actual_end": to },
                }))
            }),
        ),
        // The audit trail: the platform's managers and the administrator.
        case(
            Method::GET,
            "/api/v1/bookings/{id}/history",
            [200, 200, 403, 404, 404, 401],
            fixed(
                api(format!("/bookings/{}/history", t.teacher_booking)),
                None,
            ),
        ),
        case(
            Method::GET,
            "/api/v1/bookings/{id}/history",
            [200, 404, 404, 403, 404, 401],
            fixed(
                api(format!("/bookings/{}/history", t.company_booking)),
                None,
            ),
        ),
        case(
            Method::GET,
            "/api/v1/bookings/{id}/history",
            [200, 403, 403, 404, 404, 401],
            fixed(
                api(format!("/bookings/{}/history", t.teacher_outside)),
                None,
            ),
        ),
        // Series: booked like single bookings, seen through their occurrences.
        case(
            Method::POST,
            "/api/v1/booking-series",
            [201, 201, 201, 403, 403, 401],
            fixed(
                api("/booking-series"),
                Some(weekly(&c.platform_id, day(11, Weekday::Thu))),
            ),
        )
        .refused_as("booking_not_allowed"),
        case(
            Method::POST,
            "/api/v1/booking-series/preview",
            [200, 200, 200, 403, 403, 401],
            fixed(
                api("/booking-series/preview"),
                Some(weekly(&c.platform_id, day(11, Weekday::Thu))),
            ),
        )
        .refused_as("booking_not_allowed"),
        case(
            Method::GET,
            "/api/v1/booking-series/{id}",
            [200, 200, 200, 404, 404, 401],
            fixed(api(format!("/booking-series/{}", t.teacher_series)), None),
        ),
        case(
            Method::GET,
            "/api/v1/booking-series/{id}",
            [200, 200, 404, 404, 404, 401],
            fixed(api(format!("/booking-series/{}", t.outside_series)), None),
        ),
        case(
            Method::GET,
            "/api/v1/booking-series/{id}",
            [200, 404, 404, 200, 404, 401],
            fixed(api(format!("/booking-series/{}", t.company_series)), None),
        ),
        case(
            Method::PATCH,
            "/api/v1/booking-series/{id}",
            [200, 200, 200, 404, 404, 401],
            retitled(api(format!("/booking-series/{}", t.teacher_series))),
        ),
        case(
            Method::PATCH,
            "/api/v1/booking-series/{id}",
            [200, 200, 403, 404, 404, 401],
            retitled(api(format!("/booking-series/{}", t.manager_series))),
        ),
        case(
            Method::PATCH,
            "/api/v1/booking-series/{id}",
            [200, 403, 200, 404, 404, 401],
            retitled(api(format!("/booking-series/{}", t.teacher_outside_series))),
        ),
        case(
            Method::PATCH,
            "/api/v1/booking-series/{id}",
            [200, 404, 404, 200, 404, 401],
            retitled(api(format!("/booking-series/{}", t.company_series))),
        ),
        case(
            Method::POST,
            "/api/v1/booking-series/{id}/cancel",
            [200, 200, 200, 200, 404, 401],
            each(
                [
                    &t.admin_series,
                    &t.manager_series,
                    &t.teacher_series,
                    &t.company_series,
                    &t.teacher_series,
                    &t.teacher_series,
                ],
                |id| api(format!("/booking-series/{id}/cancel")),
                Some(json!({ "reason": "Fin du projet" })),
            ),
        ),
        case(
            Method::POST,
            "/api/v1/booking-series/{id}/cancel",
            [200, 200, 403, 404, 404, 401],
            each(
                [
                    &t.other_company_series,
                    &t.outside_series,
                    &t.manager_series,
                    &t.other_company_series,
                    &t.manager_series,
                    &t.manager_series,
                ],
                |id| api(format!("/booking-series/{id}/cancel")),
                Some(json!({ "reason": "Fin du projet" })),
            ),
        ),
        // Closures: read by everyone; a campus's by the administrator, a platform's also by
        // its managers.
        case(
            Method::GET,
            "/api/v1/closures",
            READ,
            fixed(api("/closures"), None),
        ),
        case(
            Method::POST,
            "/api/v1/closures",
            ADMIN_ONLY_201,
            closing("campus", &c.campus_id),
        ),
        case(
            Method::POST,
            "/api/v1/closures",
            STAFF_201,
            closing("platform", &c.platform_id),
        ),
        case(
            Method::POST,
            "/api/v1/closures",
            ADMIN_ONLY_201,
            closing("platform", &c.other_platform_id),
        ),
        case(Method::POST, "/api/v1/closures/import", ADMIN_ONLY_201, {
            let path = api(format!(
                "/closures/import?scope=campus&scope_id={}",
                c.campus_id
            ));
            move |who| {
                let uid = format!("matrice-campus-{}", who.tag());
                (path.clone(), Some(one_day_ics(day(16, Weekday::Sat), &uid)))
            }
        })
        .sent_as("text/calendar"),
        case(Method::POST, "/api/v1/closures/import", STAFF_201, {
            let path = api(format!(
                "/closures/import?scope=platform&scope_id={}",
                c.platform_id
            ));
            move |who| {
                let uid = format!("matrice-soudage-{}", who.tag());
                (path.clone(), Some(one_day_ics(day(16, Weekday::Sat), &uid)))
            }
        })
        .sent_as("text/calendar"),
        case(
            Method::DELETE,
            "/api/v1/closures/{id}",
            ADMIN_ONLY_204,
            each(
                [
                    &t.campus_closures[0],
                    &t.campus_closures[1],
                    &t.campus_closures[1],
                    &t.campus_closures[1],
                    &t.campus_closures[1],
                    &t.campus_closures[1],
                ],
                |id| api(format!("/closures/{id}")),
                None,
            ),
        ),
        case(
            Method::DELETE,
            "/api/v1/closures/{id}",
            STAFF_204,
            each(
                [
                    &t.welding_closures[0],
                    &t.welding_closures[1],
                    &t.welding_closures[2],
                    &t.welding_closures[2],
                    &t.welding_closures[2],
                    &t.welding_closures[2],
                ],
                |id| api(format!("/closures/{id}")),
                None,
            ),
        ),
        // Maintenance windows: read by everyone, planned by the platform's managers.
        case(
            Method::GET,
            "/api/v1/maintenance-windows",
            READ,
            fixed(api("/maintenance-windows"), None),
        ),
        case(
            Method::POST,
            "/api/v1/maintenance-windows",
            STAFF_201,
            servicing(&c.equipment_id),
        ),
        case(
            Method::POST,
            "/api/v1/maintenance-windows",
            ADMIN_ONLY_201,
            servicing(&k.other_equipment_id),
        ),
        case(
            Method::DELETE,
            "/api/v1/maintenance-windows/{id}",
            STAFF_204,
            each(
                [
                    &t.booth_maintenance[0],
                    &t.booth_maintenance[1],
                    &t.booth_maintenance[2],
                    &t.booth_maintenance[2],
                    &t.booth_maintenance[2],
                    &t.booth_maintenance[2],
                ],
                |id| api(format!("/maintenance-windows/{id}")),
                None,
            ),
        ),
        case(
            Method::DELETE,
            "/api/v1/maintenance-windows/{id}",
            ADMIN_ONLY_204,
            each(
                [
                    &t.milling_maintenance[0],
                    &t.milling_maintenance[1],
                    &t.milling_maintenance[1],
                    &t.milling_maintenance[1],
                    &t.milling_maintenance[1],
                    &t.milling_maintenance[1],
                ],
                |id| api(format!("/maintenance-windows/{id}")),
                None,
            ),
        ),
        // Availability: free time, no names.
        case(
            Method::GET,
            "/api/v1/availability",
            READ,
            fixed(
                api(format!(
                    "/availability?platform_id={}&from={}&to={}",
                    c.platform_id,
                    urlencode(&at(day(0, Weekday::Mon), "00:00")),
                    urlencode(&at(day(0, Weekday::Tue), "00:00"))
                )),
                None,
            ),
        ),
        // Calendar feeds: one's own bookings for everyone, a platform's or an item's for
        // campus staff; one revokes only one's own; the feed itself needs only its secret.
        case(
            Method::GET,
            "/api/v1/calendar-tokens",
            READ,
            fixed(api("/calendar-tokens"), None),
        ),
        case(
            Method::POST,
            "/api/v1/calendar-tokens",
            [201, 201, 201, 201, 201, 401],
            fixed(api("/calendar-tokens"), Some(json!({ "feed": "user" }))),
        ),
        case(
            Method::POST,
            "/api/v1/calendar-tokens",
            [201, 201, 201, 403, 403, 401],
            fixed(
                api("/calendar-tokens"),
                Some(json!({ "feed": "platform", "target_id": c.platform_id })),
            ),
        ),
        case(
            Method::POST,
            "/api/v1/calendar-tokens",
            [201, 201, 201, 403, 403, 401],
            fixed(
                api("/calendar-tokens"),
                Some(json!({ "feed": "equipment", "target_id": c.equipment_id })),
            ),
        ),
        case(
            Method::DELETE,
            "/api/v1/calendar-tokens/{id}",
            [204, 204, 204, 204, 204, 401],
            each(
                [
                    &t.own_tokens[0],
                    &t.own_tokens[1],
                    &t.own_tokens[2],
                    &t.own_tokens[3],
                    &t.own_tokens[4],
                    &t.own_tokens[2],
                ],
                |id| api(format!("/calendar-tokens/{id}")),
                None,
            ),
        ),
        case(
            Method::DELETE,
            "/api/v1/calendar-tokens/{id}",
            [404, 404, 404, 404, 404, 401],
            fixed(
                api(format!("/calendar-tokens/{}", t.other_teacher_token)),
                None,
            ),
        ),
        case(
            Method::GET,
            "/api/v1/calendar/{token}.ics",
            [200; 6],
            fixed(t.feed_url.clone(), None),
        ),
        case(
            Method::GET,
            "/api/v1/calendar/{token}.ics",
            [404; 6],
            fixed(t.revoked_feed_url.clone(), None),
        ),
        // Service requests. `seen` and `quoted` are the other company's (the first still
        // unassigned, the second taken for the manager's platform); each caller takes its own.
        case(
            Method::GET,
            "/api/v1/service-requests",
            [200, 200, 200, 200, 200, 401],
            fixed(api("/service-requests"), None),
        ),
        case(
            Method::POST,
            "/api/v1/service-requests",
            [201, 201, 403, 201, 403, 401],
            {
                let company_id = c.company_id.clone();
                move |who| {
                    (
                        api("/service-requests"),
                        Some(json!({
                            "company_id": company_id, "title": format!("Demande ({})", who.tag()),
                            "description": "Essais", "domains": ["welding"],
                        })),
                    )
                }
            },
        ),
        case(
            Method::GET,
            "/api/v1/service-requests/{id}",
            [200, 200, 404, 404, 404, 401],
            fixed(api(format!("/service-requests/{}", k.r.seen)), None),
        ),
        case(
            Method::POST,
            "/api/v1/service-requests/{id}/transitions",
            [200, 200, 404, 404, 404, 401],
            {
                let k = k.clone();
                move |who| {
                    (
                        api(format!(
                            "/service-requests/{}/transitions",
                            k.r.to_take[who.index()]
                        )),
                        Some(json!({ "action": "take", "platform_id": k.c.platform_id })),
                    )
                }
            },
        ),
        case(
            Method::GET,
            "/api/v1/service-requests/{id}/quotes",
            [200, 200, 404, 404, 404, 401],
            fixed(api(format!("/service-requests/{}/quotes", k.r.seen)), None),
        ),
        case(
            Method::POST,
            "/api/v1/service-requests/{id}/quotes",
            [201, 201, 404, 404, 404, 401],
            fixed(
                api(format!("/service-requests/{}/quotes", k.r.quoted)),
                Some(json!({
                    "valid_until": (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string(),
                    "lines": [{ "label": "Essai", "quantity": 2, "unit": "hour", "unit_price_cents": 8000, "vat_rate_bp": 2000 }],
                })),
            ),
        ),
        case(
            Method::GET,
            "/api/v1/service-requests/{id}/messages",
            [200, 200, 404, 404, 404, 401],
            fixed(
                api(format!("/service-requests/{}/messages", k.r.seen)),
                None,
            ),
        ),
        case(
            Method::POST,
            "/api/v1/service-requests/{id}/messages",
            [201, 201, 404, 404, 404, 401],
            fixed(
                api(format!("/service-requests/{}/messages", k.r.seen)),
                Some(json!({ "body": "Question" })),
            ),
        ),
        // Public submissions answer alike whether or not the e-mail has an account (here it
        // has: nothing is created); confirmations need a valid token.
        case(
            Method::POST,
            "/api/v1/public/service-requests",
            [202; 6],
            fixed(
                api("/public/service-requests"),
                Some(json!({
                    "company_name": "Usinages du Célé", "siret": "73282932000074", "contact_name": "Contact",
                    "email": "contact@cele.test", "phone": "05 65 00 00 00", "title": "Essais",
                    "description": "Essais", "domains": ["welding"],
                })),
            ),
        ),
        case(
            Method::POST,
            "/api/v1/public/account-confirmations",
            [422; 6],
            fixed(
                api("/public/account-confirmations"),
                Some(json!({ "token": "inconnu", "password": "un-mot-de-passe-solide" })),
            ),
        ),
        case(
            Method::GET,
            "/api/v1/account-confirmations",
            ADMIN_ONLY_200,
            fixed(api("/account-confirmations"), None),
        ),
        // Fresh confirmation tokens are for the administrator only.
        case(
            Method::POST,
            "/api/v1/account-confirmations/{id}/token",
            [404, 403, 403, 403, 403, 401],
            fixed(
                api(format!(
                    "/account-confirmations/{}/token",
                    crate::support::util::unknown_id()
                )),
                None,
            ),
        ),
        // Sending a confirmation again is for the administrator only.
        case(
            Method::POST,
            "/api/v1/account-confirmations/{id}/send",
            [404, 403, 403, 403, 403, 401],
            fixed(
                api(format!(
                    "/account-confirmations/{}/send",
                    crate::support::util::unknown_id()
                )),
                None,
            ),
        ),
        // One's own e-mail settings: every account.
        case(
            Method::GET,
            "/api/v1/me/notifications",
            [200, 200, 200, 200, 200, 401],
            fixed(api("/me/notifications"), None),
        ),
        case(
            Method::PATCH,
            "/api/v1/me/notifications",
            [200, 200, 200, 200, 200, 401],
            fixed(
                api("/me/notifications"),
                Some(json!({ "kinds": [{ "kind": "booking_reminder", "enabled": true }] })),
            ),
        ),
        // The outbox is the administrators'.
        case(
            Method::GET,
            "/api/v1/notifications",
            ADMIN_ONLY_200,
            fixed(api("/notifications"), None),
        ),
        case(
            Method::POST,
            "/api/v1/notifications/{id}/retry",
            [404, 403, 403, 403, 403, 401],
            fixed(
                api(format!(
                    "/notifications/{}/retry",
                    crate::support::util::unknown_id()
                )),
                None,
            ),
        ),
        // A reset link is asked for alike whatever the address; an unknown token is refused.
        case(
            Method::POST,
            "/api/v1/public/password-resets",
            [202; 6],
            fixed(
                api("/public/password-resets"),
                Some(json!({ "email": "personne@campus.test" })),
            ),
        ),
        case(
            Method::POST,
            "/api/v1/public/password-resets/{token}",
            [422; 6],
            fixed(
                api(format!("/public/password-resets/{}", "0".repeat(64))),
                Some(json!({ "password": "un-mot-de-passe-solide" })),
            ),
        ),
        // Contacts awaiting approval: the staff, and approved contacts for their company.
        case(
            Method::GET,
            "/api/v1/contacts-awaiting-approval",
            [200, 200, 403, 200, 403, 401],
            fixed(api("/contacts-awaiting-approval"), None),
        ),
        // An approved contact is not awaiting approval (409) for those who may approve;
        // others do not see the account.
        case(
            Method::POST,
            "/api/v1/users/{id}/approve",
            [409, 409, 404, 409, 404, 401],
            fixed(api(format!("/users/{}/approve", c.company_user_id)), None),
        ),
        case(
            Method::GET,
            "/api/v1/service-requests/{id}/timeline",
            [200, 200, 404, 404, 404, 401],
            fixed(
                api(format!("/service-requests/{}/timeline", k.r.seen)),
                None,
            ),
        ),
        // Reports: every role reads usage within its scope; indicators are for the director
        // and the steering committee.
        case(
            Method::GET,
            "/api/v1/reports/usage",
            READ,
            fixed(api("/reports/usage?group_by=platform,month"), None),
        ),
        case(
            Method::GET,
            "/api/v1/reports/indicators",
            [200, 403, 403, 403, 200, 401],
            fixed(api("/reports/indicators"), None),
        ),
    ]
}

async fn booked(app: &TestApp, token: &str, body: Value, path: &str, status: &str) -> String {
    let reply = app.post(path, token, body).await.expect(201).json();
    let seen = if path.ends_with("/booking-series") {
        &reply["occurrences"][0]["status"]
    } else {
        &reply["status"]
    };
    assert_eq!(seen, status, "{reply}");
    reply["id"].as_str().unwrap().to_owned()
}

/// Makes the rows that the booking rows act on (see `Targets`).
async fn prepare_bookings(app: &TestApp, c: &Campus, other_equipment_id: &str) -> Targets {
    app.patch(&format!("/api/v1/platforms/{}", c.other_platform_id), &c.admin, json!({
        "booking_policy": { "who_may_book": "anyone", "outside_requires_approval": true, "min_notice_hours": 24, "max_horizon_days": 365, "max_duration_minutes": 480 },
    }))
    .await
    .expect(200);
    let (welding, machining) = (c.platform_id.as_str(), c.other_platform_id.as_str());

    // Single bookings, each on its own weekday of weeks 0 to 3.
    let next = std::cell::Cell::new(0);
    let one = |token: &str, platform: &str, status: &'static str| {
        let n = next.get();
        next.set(n + 1);
        let body = station(platform, day(n / 5, WEEKDAYS[n as usize % 5]));
        let token = token.to_owned();
        async move { booked(app, &token, body, "/api/v1/bookings", status).await }
    };
    let teacher_booking = one(&c.teacher, welding, "confirmed").await;
    let teacher_booking_to_cancel = one(&c.teacher, welding, "confirmed").await;
    let manager_booking = one(&c.manager, welding, "confirmed").await;
    let manager_booking_to_cancel = one(&c.manager, welding, "confirmed").await;
    let admin_booking_to_cancel = one(&c.admin, welding, "confirmed").await;
    let outside_booking = one(&c.other_teacher, welding, "pending").await;
    let outside_to_approve = [
        one(&c.other_teacher, welding, "pending").await,
        one(&c.other_teacher, welding, "pending").await,
    ];
    let outside_to_reject = [
        one(&c.other_teacher, welding, "pending").await,
        one(&c.other_teacher, welding, "pending").await,
    ];
    let outside_to_cancel = one(&c.other_teacher, welding, "pending").await;
    let teacher_outside = one(&c.teacher, machining, "pending").await;
    let teacher_outside_to_approve = one(&c.teacher, machining, "pending").await;
    let teacher_outside_to_reject = one(&c.teacher, machining, "pending").await;
    let company_booking = one(&c.company, machining, "pending").await;
    let company_booking_to_cancel = one(&c.company, machining, "pending").await;
    let other_company_booking = one(&c.other_company, machining, "pending").await;

    // Series, in the afternoons of weeks 5 to 8.
    let next = std::cell::Cell::new(0);
    let series = |token: &str, platform: &str, status: &'static str| {
        let n = next.get();
        next.set(n + 1);
        let body = weekly(platform, day(5 + 2 * (n / 5), WEEKDAYS[n as usize % 5]));
        let token = token.to_owned();
        async move { booked(app, &token, body, "/api/v1/booking-series", status).await }
    };
    let admin_series = series(&c.admin, welding, "confirmed").await;
    let manager_series = series(&c.manager, welding, "confirmed").await;
    let teacher_series = series(&c.teacher, welding, "confirmed").await;
    let teacher_outside_series = series(&c.teacher, machining, "pending").await;
    let company_series = series(&c.company, machining, "pending").await;
    let other_company_series = series(&c.other_company, machining, "pending").await;
    let outside_series = series(&c.other_teacher, welding, "pending").await;

    // Closures and maintenance windows on the Saturday of week 14, when nothing is open.
    let saturday = day(14, Weekday::Sat);
    let closure = |token: String, scope: &'static str, scope_id: String, n: usize| async move {
        id_of(
            app.post("/api/v1/closures", &token, json!({
                "scope": scope, "scope_id": scope_id, "name": format!("Fermeture {n}"),
                "starts_at": at(saturday, "00:00"), "ends_at": at(saturday + Duration::days(1), "00:00"),
            }))
            .await
            .expect(201),
        )
    };
    let campus_closures = [
        closure(c.admin.clone(), "campus", c.campus_id.clone(), 0).await,
        closure(c.admin.clone(), "campus", c.campus_id.clone(), 1).await,
    ];
    let welding_closures = [
        closure(c.manager.clone(), "platform", c.platform_id.clone(), 2).await,
        closure(c.manager.clone(), "platform", c.platform_id.clone(), 3).await,
        closure(c.manager.clone(), "platform", c.platform_id.clone(), 4).await,
    ];
    let maintenance = |token: String, equipment_id: String, hour: u32| async move {
        id_of(
            app.post("/api/v1/maintenance-windows", &token, json!({
                "equipment_id": equipment_id, "reason": "Révision",
                "starts_at": at(saturday, &format!("{hour:02}:00")), "ends_at": at(saturday, &format!("{hour:02}:30")),
            }))
            .await
            .expect(201),
        )
    };
    let booth_maintenance = [
        maintenance(c.manager.clone(), c.equipment_id.clone(), 8).await,
        maintenance(c.manager.clone(), c.equipment_id.clone(), 9).await,
        maintenance(c.manager.clone(), c.equipment_id.clone(), 10).await,
    ];
    let milling_maintenance = [
        maintenance(c.admin.clone(), other_equipment_id.to_owned(), 8).await,
        maintenance(c.admin.clone(), other_equipment_id.to_owned(), 9).await,
    ];

    // Calendar feeds.
    let token = |bearer: String, body: Value| async move {
        app.post("/api/v1/calendar-tokens", &bearer, body)
            .await
            .expect(201)
            .json()
    };
    let mut own_tokens = Vec::new();
    for who in &EVERYONE[..5] {
        let view = token(
            c.token(who.role().unwrap()).to_owned(),
            json!({ "feed": "user" }),
        )
        .await;
        own_tokens.push(view["id"].as_str().unwrap().to_owned());
    }
    let other_teacher_token = token(c.other_teacher.clone(), json!({ "feed": "user" })).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let platform_feed = json!({ "feed": "platform", "target_id": c.platform_id });
    let feed_url = token(c.teacher.clone(), platform_feed.clone()).await["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = token(c.teacher.clone(), platform_feed).await;
    app.delete(
        &format!(
            "/api/v1/calendar-tokens/{}",
            revoked["id"].as_str().unwrap()
        ),
        &c.teacher,
    )
    .await
    .expect(204);

    Targets {
        teacher_booking,
        teacher_booking_to_cancel,
        manager_booking,
        manager_booking_to_cancel,
        admin_booking_to_cancel,
        outside_booking,
        outside_to_approve,
        outside_to_reject,
        outside_to_cancel,
        teacher_outside,
        teacher_outside_to_approve,
        teacher_outside_to_reject,
        company_booking,
        company_booking_to_cancel,
        other_company_booking,
        admin_series,
        manager_series,
        teacher_series,
        teacher_outside_series,
        company_series,
        other_company_series,
        outside_series,
        campus_closures,
        welding_closures,
        booth_maintenance,
        milling_maintenance,
        own_tokens: own_tokens.try_into().unwrap(),
        other_teacher_token,
        feed_url,
        revoked_feed_url: revoked["url"].as_str().unwrap().to_owned(),
    }
}

/// Rows counted before and after the matrix, and how many the allowed requests add.
const CHANGED_BY_ALLOWED_REQUESTS: [(&str, Option<&str>, i64); 20] = [
    // One campus.
    ("campuses", None, 1),
    // Two companies and one lycée.
    ("organisations", None, 3),
    ("platforms", None, 1),
    ("equipment", None, 3),
    // Two created, one deleted.
    ("qualifications", None, 1),
    ("users", None, 3),
    // Single bookings: 3 on welding, 4 on machining, 2 + 1 for other organisations;
    // 3 series of 2 occurrences; 2 sessions recorded after the fact.
    ("bookings", None, 18),
    ("booking_series", None, 3),
    // Created: +3 on machining. Approved: -3, rejected: -3, cancelled: -3 single bookings
    // and -6 occurrences.
    ("bookings", Some("status = 'pending'"), -12),
    // Created: +13. Approved: +3. Cancelled: -3 single bookings and -6 occurrences.
    // Recorded after the fact: +2.
    ("bookings", Some("status = 'confirmed'"), 9),
    ("bookings", Some("status = 'rejected'"), 3),
    // 6 single bookings and 12 occurrences.
    ("bookings", Some("status = 'cancelled'"), 6 + 12),
    // Created: +4, imported: +3, deleted: -3.
    ("closures", None, 4),
    // Created: +3, deleted: -3.
    ("maintenance_windows", None, 0),
    // Created: 5 of one's own bookings, 3 of a platform, 3 of an equipment item.
    ("calendar_tokens", None, 11),
    // The 5 own feeds revoked.
    ("calendar_tokens", Some("revoked_at IS NULL"), 6),
    // Submitted by the administrator, the manager and the company.
    ("service_requests", None, 3),
    // Taken by the administrator and the manager: +2; the request in review quoted: -1.
    ("service_requests", Some("state = 'in_review'"), 1),
    // A quote and its revision.
    ("quotes", None, 2),
    ("service_request_messages", None, 2),
];

async fn count_rows(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for (table, condition, _) in CHANGED_BY_ALLOWED_REQUESTS {
        counts.push(match condition {
            None => app.count(table).await,
            Some(condition) => app.count_where(table, condition).await,
        });
    }
    counts
}

async fn every_endpoint_against_every_role(app: TestApp) {
    let c = campus(&app).await;
    let admin_id = app.get("/api/v1/me", &c.admin).await.expect(200).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_equipment_id = id_of(
        app.post(
            "/api/v1/equipment",
            &c.admin,
            json!({ "platform_id": c.other_platform_id, "name": "Fraiseuse", "kind": "fraiseuse" }),
        )
        .await
        .expect(201),
    );
    let held_qualification_id = id_of(
        app.post(
            "/api/v1/qualifications",
            &c.admin,
            json!({ "name": "À retirer" }),
        )
        .await
        .expect(201),
    );
    for holder in [&c.other_teacher_id, &c.other_company_user_id] {
        app.post(
            &format!("/api/v1/users/{holder}/qualifications"),
            &c.admin,
            json!({ "qualification_id": held_qualification_id, "awarded_on": "2025-01-06" }),
        )
        .await
        .expect(200);
    }
    let spare_qualification_id = id_of(
        app.post(
            "/api/v1/qualifications",
            &c.admin,
            json!({ "name": "Détenue par personne" }),
        )
        .await
        .expect(201),
    );
    let unused_qualification_id = id_of(
        app.post(
            "/api/v1/qualifications",
            &c.admin,
            json!({ "name": "À supprimer" }),
        )
        .await
        .expect(201),
    );
    let t = prepare_bookings(&app, &c, &other_equipment_id).await;
    let r = prepare_requests(&app, &c).await;
    let counts_before = count_rows(&app).await;
    let k = Rc::new(Ids {
        c,
        admin_id,
        other_equipment_id,
        held_qualification_id,
        spare_qualification_id,
        unused_qualification_id,
        t,
        r,
    });

    let table = cases(&k);
    let mut mismatches = Vec::new();
    for case in &table {
        for who in EVERYONE {
            let (path, body) = (case.request)(who);
            let token = who.role().map(|r| k.c.token(r).to_owned());
            let reply = match case.content_type {
                Some(content_type) => {
                    let Some(Value::String(text)) = body else {
                        panic!(
                            "{} {path}: a text body is sent as a JSON string",
                            case.method
                        )
                    };
                    let mut req = actix_web::test::TestRequest::default()
                        .method(case.method.clone())
                        .uri(&path)
                        .insert_header((header::CONTENT_TYPE, content_type))
                        .set_payload(text);
                    if let Some(token) = &token {
                        req = req.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
                    }
                    app.send(req.to_request()).await
                }
                None => {
                    app.call(case.method.clone(), &path, token.as_deref(), body, &[])
                        .await
                }
            };
            let expected = case.expected[who.index()];
            let got = reply.status.as_u16();
            let expected_code = match expected {
                403 => Some(case.forbidden_code),
                404 => Some("not_found"),
                401 if who == Who::Anonymous && !path.contains("/auth/") => Some("unauthenticated"),
                _ => None,
            };
            if got != expected {
                mismatches.push(format!(
                    "{} {path} as {}: expected {expected}, got {got}: {}",
                    case.method,
                    who.tag(),
                    reply.text
                ));
            } else if expected >= 400 {
                let code = if reply.content_type() == "application/problem+json" {
                    reply.json()["code"].as_str().map(str::to_owned)
                } else {
                    None
                };
                if code.is_none() || expected_code.is_some_and(|e| code.as_deref() != Some(e)) {
                    mismatches.push(format!(
                        "{} {path} as {}: {expected} but not the expected problem document: {}",
                        case.method,
                        who.tag(),
                        reply.text
                    ));
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} requests answered otherwise:\n{}",
        mismatches.len(),
        table.len() * EVERYONE.len(),
        mismatches.join("\n")
    );

    // Only the allowed requests changed anything.
    let counts_after = count_rows(&app).await;
    for (i, (table, condition, changed)) in CHANGED_BY_ALLOWED_REQUESTS.iter().enumerate() {
        assert_eq!(
            counts_after[i],
            counts_before[i] + changed,
            "{table} {}",
            condition.unwrap_or("")
        );
    }

    // The table covers every operation of the OpenAPI document.
    let doc: Value = serde_json::from_str(&plateaux::app::openapi_json()).unwrap();
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let covered: BTreeSet<(String, String)> = table
        .iter()
        .map(|case| (case.method.to_string(), case.route.to_owned()))
        .collect();
    assert_eq!(
        covered, documented,
        "the matrix must list every documented operation, and only those"
    );
}

async fn lists_show_only_what_is_in_scope(app: TestApp) {
    let c = campus(&app).await;
    let admin_id = app.get("/api/v1/me", &c.admin).await.expect(200).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let set = |ids: &[&String]| {
        ids.iter()
            .map(|s| (*s).clone())
            .collect::<HashSet<String>>()
    };
    let ids = |page: Value| id_set(&page);

    // Organisations: companies are seen by staff and by themselves only.
    let all_orgs = set(&[
        &c.lycee_id,
        &c.other_lycee_id,
        &c.company_id,
        &c.other_company_id,
    ]);
    let schools = set(&[&c.lycee_id, &c.other_lycee_id]);
    assert_eq!(
        ids(app
            .get("/api/v1/organisations", &c.admin)
            .await
            .expect(200)
            .json()),
        all_orgs
    );
    assert_eq!(
        ids(app
            .get("/api/v1/organisations", &c.manager)
            .await
            .expect(200)
            .json()),
        all_orgs
    );
    assert_eq!(
        ids(app
            .get("/api/v1/organisations", &c.teacher)
            .await
            .expect(200)
            .json()),
        schools
    );
    assert_eq!(
        ids(app
            .get("/api/v1/organisations", &c.observer)
            .await
            .expect(200)
            .json()),
        schools
    );
    assert_eq!(
        ids(app
            .get("/api/v1/organisations", &c.company)
            .await
            .expect(200)
            .json()),
        set(&[&c.lycee_id, &c.other_lycee_id, &c.company_id])
    );
    assert_eq!(
        ids(app
            .get("/api/v1/organisations", &c.other_company)
            .await
            .expect(200)
            .json()),
        set(&[&c.lycee_id, &c.other_lycee_id, &c.other_company_id])
    );
    assert_eq!(
        ids(app
            .get("/api/v1/organisations?kind=company", &c.company)
            .await
            .expect(200)
            .json()),
        set(&[&c.company_id])
    );
    assert_eq!(
        ids(app
            .get("/api/v1/organisations?kind=company", &c.teacher)
            .await
            .expect(200)
            .json()),
        HashSet::new()
    );
    assert_eq!(
        ids(app
            .get("/api/v1/organisations?name=Stratiforme", &c.company)
            .await
            .expect(200)
            .json()),
        HashSet::new()
    );
    // Paging through a scoped list never reveals more.
    let first = app
        .get("/api/v1/organisations?limit=1", &c.company)
        .await
        .expect(200)
        .json();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let rest = app
        .get(
            &format!("/api/v1/organisations?limit=10&cursor={cursor}"),
            &c.company,
        )
        .await
        .expect(200)
        .json();
    let mut walked = ids(first);
    walked.extend(ids(rest));
    assert_eq!(
        walked,
        set(&[&c.lycee_id, &c.other_lycee_id, &c.company_id])
    );

    // Accounts: staff see all, teachers and companies their organisation, observers none.
    let everyone = set(&[
        &admin_id,
        &c.manager_id,
        &c.teacher_id,
        &c.other_teacher_id,
        &c.company_user_id,
        &c.other_company_user_id,
        &c.observer_id,
    ]);
    let lycee = set(&[&admin_id, &c.manager_id, &c.teacher_id, &c.observer_id]);
    assert_eq!(
        ids(app.get("/api/v1/users", &c.admin).await.expect(200).json()),
        everyone
    );
    assert_eq!(
        ids(app
            .get("/api/v1/users", &c.manager)
            .await
            .expect(200)
            .json()),
        everyone
    );
    assert_eq!(
        ids(app
            .get("/api/v1/users", &c.teacher)
            .await
            .expect(200)
            .json()),
        lycee
    );
    assert_eq!(
        ids(app
            .get("/api/v1/users", &c.other_teacher)
            .await
            .expect(200)
            .json()),
        set(&[&c.other_teacher_id])
    );
    assert_eq!(
        ids(app
            .get("/api/v1/users", &c.company)
            .await
            .expect(200)
            .json()),
        set(&[&c.company_user_id])
    );
    assert_eq!(
        ids(app
            .get("/api/v1/users", &c.other_company)
            .await
            .expect(200)
            .json()),
        set(&[&c.other_company_user_id])
    );
    app.get("/api/v1/users", &c.observer)
        .await
        .problem(403, "forbidden");
    // Asking for another organisation gives nothing rather than its accounts.
    assert_eq!(
        ids(app
            .get(
                &format!("/api/v1/users?organisation_id={}", c.other_lycee_id),
                &c.teacher
            )
            .await
            .expect(200)
            .json()),
        HashSet::new()
    );
    assert_eq!(
        ids(app
            .get(
                &format!("/api/v1/users?organisation_id={}", c.other_company_id),
                &c.company
            )
            .await
            .expect(200)
            .json()),
        HashSet::new()
    );
    assert_eq!(
        ids(app
            .get(
                &format!("/api/v1/users?organisation_id={}", c.company_id),
                &c.company
            )
            .await
            .expect(200)
            .json()),
        set(&[&c.company_user_id])
    );
    assert_eq!(
        ids(app
            .get("/api/v1/users?role=manager", &c.company)
            .await
            .expect(200)
            .json()),
        HashSet::new()
    );
    assert_eq!(
        ids(app
            .get("/api/v1/users?role=teacher", &c.teacher)
            .await
            .expect(200)
            .json()),
        set(&[&c.teacher_id])
    );
    assert_eq!(
        ids(app
            .get(
                &format!("/api/v1/users?organisation_id={}", c.other_lycee_id),
                &c.manager
            )
            .await
            .expect(200)
            .json()),
        set(&[&c.other_teacher_id])
    );

    // The inventory is read by everyone.
    for token in [&c.admin, &c.manager, &c.teacher, &c.company, &c.observer] {
        assert_eq!(
            ids(app.get("/api/v1/platforms", token).await.expect(200).json()),
            set(&[&c.platform_id, &c.other_platform_id])
        );
        assert_eq!(
            ids(app.get("/api/v1/equipment", token).await.expect(200).json()),
            set(&[&c.equipment_id])
        );
        assert_eq!(
            ids(app
                .get("/api/v1/qualifications", token)
                .await
                .expect(200)
                .json()),
            set(&[&c.qualification_id])
        );
        assert_eq!(
            ids(app.get("/api/v1/campuses", token).await.expect(200).json()),
            set(&[&c.campus_id])
        );
    }
}

/// A platform's calendar feed names a company's groups only to those whose scope holds its
/// bookings: a manager, on the platforms it manages, not elsewhere.
async fn feeds_name_only_what_is_in_scope(app: TestApp) {
    let c = campus(&app).await;
    app.patch(&format!("/api/v1/platforms/{}", c.other_platform_id), &c.admin, json!({
        "booking_policy": { "who_may_book": "anyone", "outside_requires_approval": true, "min_notice_hours": 24, "max_horizon_days": 365, "max_duration_minutes": 480 },
    }))
    .await
    .expect(200);
    let on_machining = id_of(
        app.post(
            "/api/v1/bookings",
            &c.company,
            station(&c.other_platform_id, day(0, Weekday::Mon)),
        )
        .await
        .expect(201),
    );
    let mut for_company = station(&c.platform_id, day(0, Weekday::Tue));
    for_company["organisation_id"] = json!(c.company_id);
    app.post("/api/v1/bookings", &c.admin, for_company)
        .await
        .expect(201);
    let feed = |token: &str, platform_id: &str| {
        let (token, body) = (
            token.to_owned(),
            json!({ "feed": "platform", "target_id": platform_id }),
        );
        let app = &app;
        async move {
            let url = app
                .post("/api/v1/calendar-tokens", &token, body)
                .await
                .expect(201)
                .json()["url"]
                .as_str()
                .unwrap()
                .to_owned();
            app.call(Method::GET, &url, None, None, &[])
                .await
                .expect(200)
                .text
                .replace("\r\n ", "")
        }
    };
    // The manager of welding sees the company's booking there, in the feed as in the API.
    let welding = feed(&c.manager, &c.platform_id).await;
    assert!(welding.contains("Usinages du Célé"), "{welding}");
    // Machining is not its platform: the booking is out of its scope, and a teacher's feed
    // of machining shows only that the slot is taken.
    app.get(&format!("/api/v1/bookings/{on_machining}"), &c.manager)
        .await
        .problem(404, "not_found");
    let teacher_view = feed(&c.teacher, &c.other_platform_id).await;
    assert!(
        teacher_view.contains("SUMMARY:Réservé – Atelier usinage")
            && !teacher_view.contains("Usinages du Célé"),
        "{teacher_view}"
    );
    let manager_view = feed(&c.manager, &c.other_platform_id).await;
    assert!(
        manager_view.contains("SUMMARY:Réservé – Atelier usinage")
            && !manager_view.contains("Usinages du Célé"),
        "the feed of a platform it does not manage names the company's booking:\n{manager_view}"
    );
}

on_both_databases!(
    every_endpoint_against_every_role,
    lists_show_only_what_is_in_scope,
    feeds_name_only_what_is_in_scope
);
