//! Who may do what: every endpoint of the API against every role (and no token at all), and
//! the lists that each role sees.

use std::collections::{BTreeSet, HashSet};
use std::rc::Rc;

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::on_both_databases;
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

type Request = Box<dyn Fn(Who) -> (String, Option<Value>)>;

struct Case {
    method: Method,
    /// The path as the OpenAPI document names it.
    route: &'static str,
    /// Expected status for admin, manager, teacher, company, observer, no token.
    expected: [u16; 6],
    request: Request,
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
    }
}

fn api(path: impl std::fmt::Display) -> String {
    format!("/api/v1{path}")
}

fn fixed(path: String, body: Option<Value>) -> impl Fn(Who) -> (String, Option<Value>) {
    move |_| (path.clone(), body.clone())
}

const READ: [u16; 6] = [200, 200, 200, 200, 200, 401];
const ADMIN_ONLY_200: [u16; 6] = [200, 403, 403, 403, 403, 401];
const ADMIN_ONLY_201: [u16; 6] = [201, 403, 403, 403, 403, 401];
const STAFF_200: [u16; 6] = [200, 200, 403, 403, 403, 401];
const STAFF_201: [u16; 6] = [201, 201, 403, 403, 403, 401];

fn cases(k: &Rc<Ids>) -> Vec<Case> {
    let c = &k.c;
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
                let body = json!({ "email": format!("prof.{}@campus.test", who.tag()), "display_name": "Prof", "password": "mot-de-passe-matrice", "role": "teacher", "organisation_id": org });
                (api("/users"), Some(body))
            }
        }),
        case(Method::POST, "/api/v1/users", STAFF_201, {
            let org = c.company_id.clone();
            move |who| {
                let body = json!({ "email": format!("contact.{}@cele.test", who.tag()), "display_name": "Contact", "password": "mot-de-passe-matrice", "role": "company", "organisation_id": org });
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
    ]
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
    let counts_before = [
        app.count("campuses").await,
        app.count("organisations").await,
        app.count("platforms").await,
        app.count("equipment").await,
        app.count("qualifications").await,
        app.count("users").await,
    ];
    let k = Rc::new(Ids {
        c,
        admin_id,
        other_equipment_id,
        held_qualification_id,
        spare_qualification_id,
        unused_qualification_id,
    });

    let table = cases(&k);
    let mut mismatches = Vec::new();
    for case in &table {
        for who in EVERYONE {
            let (path, body) = (case.request)(who);
            let token = who.role().map(|r| k.c.token(r).to_owned());
            let reply = app
                .call(case.method.clone(), &path, token.as_deref(), body, &[])
                .await;
            let expected = case.expected[who.index()];
            let got = reply.status.as_u16();
            let expected_code = match expected {
                403 => Some("forbidden"),
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

    // Only the allowed requests changed anything: one campus, two companies and one lycée,
    // one platform, three items, two qualifications created and one deleted, three accounts.
    let counts_after = [
        app.count("campuses").await,
        app.count("organisations").await,
        app.count("platforms").await,
        app.count("equipment").await,
        app.count("qualifications").await,
        app.count("users").await,
    ];
    let created = [1, 3, 1, 3, 1, 3];
    for i in 0..counts_before.len() {
        assert_eq!(counts_after[i], counts_before[i] + created[i], "table #{i}");
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

on_both_databases!(
    every_endpoint_against_every_role,
    lists_show_only_what_is_in_scope
);
