//! Inventory: campuses, organisations, platforms, equipment and qualifications; list filters,
//! cursor pagination and the audit trail.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::util::{id_set, item_ids, siret, uai, unknown_id, walk};
use crate::support::{campus, id_of, TestApp};

fn platform_body(campus_id: &str, owner: &str, name: &str) -> Value {
    json!({ "campus_id": campus_id, "owner_organisation_id": owner, "name": name, "domain": "robotics", "stations": 6 })
}

/// The only field error of a 422 problem: (field, code).
#[track_caller]
fn only_error(problem: &Value) -> (String, String) {
    let errors = problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors: {problem}"));
    assert_eq!(errors.len(), 1, "one field error expected: {problem}");
    (
        errors[0]["field"].as_str().unwrap().to_owned(),
        errors[0]["code"].as_str().unwrap().to_owned(),
    )
}

#[track_caller]
fn fields(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors: {problem}"))
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(field: &str, code: &str) -> (String, String) {
    (field.to_owned(), code.to_owned())
}

async fn campuses_are_created_read_and_renamed(app: TestApp) {
    let c = campus(&app).await;
    let audit = app.count("audit_events").await;

    let reply = app
        .post(
            "/api/v1/campuses",
            &c.admin,
            json!({ "name": "  Campus Aéro Occitanie  " }),
        )
        .await
        .expect(201);
    let location = reply
        .headers
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let created = reply.json();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/campuses/{id}"));
    assert_eq!(
        created["name"], "Campus Aéro Occitanie",
        "names are trimmed"
    );
    assert_eq!(
        created["timezone"], "Europe/Paris",
        "the service's time zone is the default"
    );
    let created_at = created["created_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created_at).is_ok(),
        "RFC 3339: {created_at}"
    );
    assert_eq!(created["created_at"], created["updated_at"]);

    let guyane = app
        .post(
            "/api/v1/campuses",
            &c.admin,
            json!({ "name": "Campus Guyane", "timezone": "America/Cayenne" }),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(guyane["timezone"], "America/Cayenne");

    let campuses_before = app.count("campuses").await;
    let problem = app
        .post(
            "/api/v1/campuses",
            &c.admin,
            json!({ "name": "Campus Mars", "timezone": "Mars/Olympus" }),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(only_error(&problem), pair("timezone", "unknown_value"));
    let problem = app
        .post("/api/v1/campuses", &c.admin, json!({ "name": "   " }))
        .await
        .problem(422, "validation_failed");
    assert_eq!(only_error(&problem), pair("name", "required"));
    app.post(
        "/api/v1/campuses",
        &c.admin,
        json!({ "name": "Campus Aéro Occitanie" }),
    )
    .await
    .problem(409, "already_exists");
    assert_eq!(app.count("campuses").await, campuses_before);

    let shown = app
        .get(&format!("/api/v1/campuses/{id}"), &c.teacher)
        .await
        .expect(200)
        .json();
    assert_eq!(shown, created);

    let renamed = app
        .patch(
            &format!("/api/v1/campuses/{id}"),
            &c.admin,
            json!({ "name": "Campus Aéronautique" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(renamed["name"], "Campus Aéronautique");
    assert_eq!(renamed["timezone"], "Europe/Paris");
    let moved = app
        .patch(
            &format!("/api/v1/campuses/{id}"),
            &c.admin,
            json!({ "timezone": "Europe/Brussels" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(moved["name"], "Campus Aéronautique");
    assert_eq!(moved["timezone"], "Europe/Brussels");
    app.patch(
        &format!("/api/v1/campuses/{id}"),
        &c.admin,
        json!({ "name": "Campus Mecanic Vallée" }),
    )
    .await
    .problem(409, "already_exists");
    let problem = app
        .patch(
            &format!("/api/v1/campuses/{id}"),
            &c.admin,
            json!({ "timezone": "Europe/Atlantis" }),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(only_error(&problem), pair("timezone", "unknown_value"));
    app.patch(
        &format!("/api/v1/campuses/{}", unknown_id()),
        &c.admin,
        json!({ "name": "Nulle part" }),
    )
    .await
    .problem(404, "not_found");
    app.get(&format!("/api/v1/campuses/{}", unknown_id()), &c.admin)
        .await
        .problem(404, "not_found");
    let shown = app
        .get(&format!("/api/v1/campuses/{id}"), &c.observer)
        .await
        .expect(200)
        .json();
    assert_eq!(shown["name"], "Campus Aéronautique");
    assert_eq!(shown["timezone"], "Europe/Brussels");

    let list = app
        .get("/api/v1/campuses", &c.company)
        .await
        .expect(200)
        .json();
    assert_eq!(
        item_ids(&list),
        vec![
            c.campus_id.clone(),
            id.clone(),
            guyane["id"].as_str().unwrap().to_owned()
        ]
    );
    assert_eq!(list["next_cursor"], Value::Null);

    // Two creations and two changes were recorded; the refusals were not.
    assert_eq!(app.count("audit_events").await, audit + 4);
}

async fn organisations_check_their_identifiers(app: TestApp) {
    let c = campus(&app).await;
    let orgs = app.count("organisations").await;
    let audit = app.count("audit_events").await;

    // A school: the UAI is normalised to upper case.
    let reply = app
        .post("/api/v1/organisations", &c.admin, json!({
            "name": "CFA académique", "kind": "cfa", "town": "Rodez", "uai": " 0123748j ", "campus_ids": [c.campus_id],
        }))
        .await
        .expect(201);
    assert_eq!(
        reply.headers.get("location").unwrap().to_str().unwrap(),
        format!(
            "/api/v1/organisations/{}",
            reply.json()["id"].as_str().unwrap()
        )
    );
    let cfa = reply.json();
    assert_eq!(cfa["kind"], "cfa");
    assert_eq!(cfa["uai"], "0123748J");
    assert_eq!(cfa["siret"], Value::Null);
    assert_eq!(cfa["town"], "Rodez");
    assert_eq!(cfa["campus_ids"], json!([c.campus_id]));
    let cfa_id = cfa["id"].as_str().unwrap().to_owned();

    // A company: SIRET required, spaces removed, Luhn-checked; no UAI.
    let company = app
        .post("/api/v1/organisations", &c.admin, json!({
            "name": "Précis Mécanique", "kind": "company", "siret": "832 746 150 00149", "campus_ids": [c.campus_id, c.campus_id],
        }))
        .await
        .expect(201)
        .json();
    assert_eq!(company["siret"], "83274615000149");
    assert_eq!(company["uai"], Value::Null);
    assert_eq!(company["town"], Value::Null);
    assert_eq!(
        company["campus_ids"],
        json!([c.campus_id]),
        "repeated campus ids count once"
    );
    let company_id = company["id"].as_str().unwrap().to_owned();

    // A technology platform needs neither identifier.
    app.post(
        "/api/v1/organisations",
        &c.admin,
        json!({ "name": "PFT Conpim", "kind": "technology_platform", "campus_ids": [c.campus_id] }),
    )
    .await
    .expect(201);
    assert_eq!(app.count("organisations").await, orgs + 3);
    let orgs = orgs + 3;

    let refusals: Vec<(Value, Vec<(String, String)>)> = vec![
        (
            json!({ "name": "Lycée X", "kind": "lycee", "uai": "0123748K", "campus_ids": [c.campus_id] }),
            vec![pair("uai", "invalid_format")],
        ),
        (
            json!({ "name": "Lycée X", "kind": "lycee", "uai": "012374J", "campus_ids": [c.campus_id] }),
            vec![pair("uai", "invalid_format")],
        ),
        (
            json!({ "name": "Sans SIRET", "kind": "company", "campus_ids": [c.campus_id] }),
            vec![pair("siret", "required")],
        ),
        (
            json!({ "name": "SIRET blanc", "kind": "company", "siret": "   ", "campus_ids": [c.campus_id] }),
            vec![pair("siret", "required")],
        ),
        (
            json!({ "name": "Mauvais SIRET", "kind": "company", "siret": "73282932000075", "campus_ids": [c.campus_id] }),
            vec![pair("siret", "invalid_format")],
        ),
        (
            json!({ "name": "SIRET court", "kind": "company", "siret": "7328293200007", "campus_ids": [c.campus_id] }),
            vec![pair("siret", "invalid_format")],
        ),
        (
            json!({ "name": "Entreprise UAI", "kind": "company", "siret": siret(4_100_001), "uai": "0460823V", "campus_ids": [c.campus_id] }),
            vec![pair("uai", "not_allowed")],
        ),
        (
            json!({ "name": "", "kind": "lycee", "uai": "0460823W", "campus_ids": [c.campus_id] }),
            vec![pair("name", "required"), pair("uai", "invalid_format")],
        ),
        (
            json!({ "name": "Sans campus", "kind": "greta", "campus_ids": [] }),
            vec![pair("campus_ids", "required")],
        ),
        (
            json!({ "name": "Campus inconnu", "kind": "greta", "campus_ids": [unknown_id()] }),
            vec![pair("campus_ids", "unknown_reference")],
        ),
        (
            json!({ "name": "Nom très long", "kind": "greta", "town": "x".repeat(201), "campus_ids": [c.campus_id] }),
            vec![pair("town", "too_long")],
        ),
    ];
    for (body, expected) in refusals {
        let problem = app
            .post("/api/v1/organisations", &c.admin, body.clone())
            .await
            .problem(422, "validation_failed");
        assert_eq!(fields(&problem), expected, "body: {body}");
    }
    let problem = app
        .post(
            "/api/v1/organisations",
            &c.admin,
            json!({ "name": "", "kind": "lycee", "uai": "0460823W", "campus_ids": [c.campus_id] }),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        problem["detail"],
        "2 champs sont invalides ; voir « errors »."
    );

    // Identifiers are unique.
    app.post("/api/v1/organisations", &c.admin, json!({ "name": "Doublon", "kind": "company", "siret": "83274615000149", "campus_ids": [c.campus_id] }))
        .await
        .problem(409, "already_exists");
    app.post("/api/v1/organisations", &c.admin, json!({ "name": "Doublon", "kind": "lycee", "uai": "0750655E", "campus_ids": [c.campus_id] }))
        .await
        .problem(409, "already_exists");
    assert_eq!(app.count("organisations").await, orgs);
    assert_eq!(app.count("audit_events").await, audit + 3);

    // Changes.
    let second_campus = id_of(
        app.post(
            "/api/v1/campuses",
            &c.admin,
            json!({ "name": "Campus Tarn" }),
        )
        .await
        .expect(201),
    );
    let changed = app
        .patch(&format!("/api/v1/organisations/{cfa_id}"), &c.admin, json!({
            "name": "CFA académique de Rodez", "town": null, "campus_ids": [second_campus, c.campus_id],
        }))
        .await
        .expect(200)
        .json();
    assert_eq!(changed["name"], "CFA académique de Rodez");
    assert_eq!(changed["town"], Value::Null);
    assert_eq!(changed["uai"], "0123748J", "untouched fields stay");
    let mut expected_campuses = vec![second_campus.clone(), c.campus_id.clone()];
    expected_campuses.sort();
    assert_eq!(changed["campus_ids"], json!(expected_campuses));
    let shown = app
        .get(&format!("/api/v1/organisations/{cfa_id}"), &c.teacher)
        .await
        .expect(200)
        .json();
    assert_eq!(shown, changed);

    let problem = app
        .patch(
            &format!("/api/v1/organisations/{cfa_id}"),
            &c.admin,
            json!({ "uai": "9999999A" }),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(only_error(&problem), pair("uai", "invalid_format"));
    let problem = app
        .patch(
            &format!("/api/v1/organisations/{company_id}"),
            &c.admin,
            json!({ "siret": null }),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(only_error(&problem), pair("siret", "required"));
    let problem = app
        .patch(
            &format!("/api/v1/organisations/{cfa_id}"),
            &c.admin,
            json!({ "campus_ids": [] }),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(only_error(&problem), pair("campus_ids", "required"));
    app.patch(
        &format!("/api/v1/organisations/{cfa_id}"),
        &c.admin,
        json!({ "uai": "0750655E" }),
    )
    .await
    .problem(409, "already_exists");
    let cleared = app
        .patch(
            &format!("/api/v1/organisations/{cfa_id}"),
            &c.admin,
            json!({ "uai": null }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(cleared["uai"], Value::Null);
    let resiret = app
        .patch(
            &format!("/api/v1/organisations/{company_id}"),
            &c.manager,
            json!({ "siret": "910 463 280 00214" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(resiret["siret"], "91046328000214");
    app.get(&format!("/api/v1/organisations/{}", unknown_id()), &c.admin)
        .await
        .problem(404, "not_found");
    app.patch(
        &format!("/api/v1/organisations/{}", unknown_id()),
        &c.admin,
        json!({ "name": "X" }),
    )
    .await
    .problem(404, "not_found");
    let unchanged = app
        .get(&format!("/api/v1/organisations/{cfa_id}"), &c.admin)
        .await
        .expect(200)
        .json();
    assert_eq!(unchanged["name"], "CFA académique de Rodez");
    assert_eq!(
        unchanged["campus_ids"],
        json!(expected_campuses),
        "a refused change leaves the memberships"
    );
}

async fn platforms_have_opening_hours_and_a_booking_policy(app: TestApp) {
    let c = campus(&app).await;
    let platforms = app.count("platforms").await;
    let intervals = app.count("platform_opening_intervals").await;
    assert_eq!(
        intervals, 20,
        "the fixture's two platforms open twice a day, five days a week"
    );

    // Several intervals a day, in any order; answered sorted by day and time.
    let reply = app
        .post("/api/v1/platforms", &c.admin, json!({
            "campus_id": c.campus_id, "owner_organisation_id": c.other_lycee_id, "name": "Plateau robotique", "domain": "robotics",
            "stations": 8, "town": "Rodez", "description": "Deux cellules robotisées",
            "opening_hours": [
                { "weekday": "saturday", "opens": "08:00", "closes": "12:00" },
                { "weekday": "monday", "opens": "13:30", "closes": "17:30" },
                { "weekday": "monday", "opens": "08:00", "closes": "12:00" },
                { "weekday": "monday", "opens": "17:30", "closes": "24:00" },
            ],
        }))
        .await
        .expect(201);
    let robotics = reply.json();
    assert_eq!(
        reply.headers.get("location").unwrap().to_str().unwrap(),
        format!("/api/v1/platforms/{}", robotics["id"].as_str().unwrap())
    );
    assert_eq!(
        robotics["opening_hours"],
        json!([
            { "weekday": "monday", "opens": "08:00", "closes": "12:00" },
            { "weekday": "monday", "opens": "13:30", "closes": "17:30" },
            { "weekday": "monday", "opens": "17:30", "closes": "24:00" },
            { "weekday": "saturday", "opens": "08:00", "closes": "12:00" },
        ])
    );
    assert_eq!(
        robotics["booking_policy"],
        json!({ "who_may_book": "campus_members", "outside_requires_approval": true, "min_notice_hours": 24, "max_horizon_days": 365, "max_duration_minutes": 480, "bookers_record_usage": false }),
        "default booking policy"
    );
    assert_eq!(robotics["domain"], "robotics");
    assert_eq!(robotics["stations"], 8);
    assert_eq!(robotics["town"], "Rodez");
    assert_eq!(robotics["description"], "Deux cellules robotisées");
    assert_eq!(robotics["manager_ids"], json!([]));
    assert_eq!(robotics["campus_id"], c.campus_id.as_str());
    assert_eq!(robotics["owner_organisation_id"], c.other_lycee_id.as_str());
    assert_eq!(app.count("platform_opening_intervals").await, intervals + 4);
    let robotics_id = robotics["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get(&format!("/api/v1/platforms/{robotics_id}"), &c.teacher)
            .await
            .expect(200)
            .json(),
        robotics
    );

    // Policy at its bounds, no opening hours at all.
    let strict = json!({ "who_may_book": "owner_only", "outside_requires_approval": false, "min_notice_hours": 0, "max_horizon_days": 1095, "max_duration_minutes": 10080, "bookers_record_usage": true });
    let mut body = platform_body(&c.campus_id, &c.lycee_id, "Salle de métrologie");
    body["booking_policy"] = strict.clone();
    let metrology = app
        .post("/api/v1/platforms", &c.admin, body)
        .await
        .expect(201)
        .json();
    assert_eq!(metrology["booking_policy"], strict);
    assert_eq!(metrology["opening_hours"], json!([]));
    assert_eq!(metrology["description"], "");
    assert_eq!(metrology["town"], Value::Null);
    let upper = json!({ "who_may_book": "anyone", "outside_requires_approval": true, "min_notice_hours": 8760, "max_horizon_days": 1, "max_duration_minutes": 15, "bookers_record_usage": false });
    let mut body = platform_body(&c.campus_id, &c.lycee_id, "Atelier composites");
    body["booking_policy"] = upper.clone();
    assert_eq!(
        app.post("/api/v1/platforms", &c.admin, body)
            .await
            .expect(201)
            .json()["booking_policy"],
        upper
    );
    let platforms = platforms + 3;
    assert_eq!(app.count("platforms").await, platforms);
    let intervals = app.count("platform_opening_intervals").await;

    // Refusals.
    let with_hours = |hours: Value| {
        let mut body = platform_body(&c.campus_id, &c.lycee_id, "Plateau refusé");
        body["opening_hours"] = hours;
        body
    };
    let with_policy = |policy: Value| {
        let mut body = platform_body(&c.campus_id, &c.lycee_id, "Plateau refusé");
        body["booking_policy"] = policy;
        body
    };
    let refusals: Vec<(Value, Vec<(String, String)>)> = vec![
        (
            with_hours(json!([
                { "weekday": "tuesday", "opens": "08:00", "closes": "12:00" },
                { "weekday": "tuesday", "opens": "11:00", "closes": "13:00" },
            ])),
            vec![pair("opening_hours[1]", "overlap")],
        ),
        (
            with_hours(json!([
                { "weekday": "friday", "opens": "10:00", "closes": "11:00" },
                { "weekday": "friday", "opens": "08:00", "closes": "18:00" },
            ])),
            vec![pair("opening_hours[0]", "overlap")],
        ),
        (
            with_hours(json!([{ "weekday": "monday", "opens": "8:00", "closes": "12:00" }])),
            vec![pair("opening_hours[0].opens", "invalid_format")],
        ),
        (
            with_hours(json!([{ "weekday": "monday", "opens": "24:00", "closes": "24:00" }])),
            vec![
                pair("opening_hours[0].opens", "invalid_format"),
                pair("opening_hours[0].closes", "before_start"),
            ],
        ),
        (
            with_hours(json!([{ "weekday": "monday", "opens": "08:00", "closes": "12:60" }])),
            vec![pair("opening_hours[0].closes", "invalid_format")],
        ),
        (
            with_hours(json!([{ "weekday": "monday", "opens": "14:00", "closes": "12:00" }])),
            vec![pair("opening_hours[0].closes", "before_start")],
        ),
        (
            with_hours(json!([{ "weekday": "monday", "opens": "14:00", "closes": "14:00" }])),
            vec![pair("opening_hours[0].closes", "before_start")],
        ),
        (
            with_policy(
                json!({ "who_may_book": "anyone", "outside_requires_approval": true, "min_notice_hours": -1, "max_horizon_days": 0, "max_duration_minutes": 14 }),
            ),
            vec![
                pair("booking_policy.min_notice_hours", "out_of_range"),
                pair("booking_policy.max_horizon_days", "out_of_range"),
                pair("booking_policy.max_duration_minutes", "out_of_range"),
            ],
        ),
        (
            with_policy(
                json!({ "who_may_book": "anyone", "outside_requires_approval": true, "min_notice_hours": 8761, "max_horizon_days": 1096, "max_duration_minutes": 10081 }),
            ),
            vec![
                pair("booking_policy.min_notice_hours", "out_of_range"),
                pair("booking_policy.max_horizon_days", "out_of_range"),
                pair("booking_policy.max_duration_minutes", "out_of_range"),
            ],
        ),
        (
            platform_body(&c.campus_id, &c.company_id, "Plateau d'entreprise"),
            vec![pair("owner_organisation_id", "not_allowed")],
        ),
        (
            platform_body(&unknown_id(), &c.lycee_id, "Plateau sans campus"),
            vec![pair("campus_id", "unknown_reference")],
        ),
        (
            platform_body(&c.campus_id, &unknown_id(), "Plateau sans propriétaire"),
            vec![pair("owner_organisation_id", "unknown_reference")],
        ),
    ];
    for (body, expected) in refusals {
        let problem = app
            .post("/api/v1/platforms", &c.admin, body.clone())
            .await
            .problem(422, "validation_failed");
        assert_eq!(fields(&problem), expected, "body: {body}");
    }

    // The owner must be a member of the platform's campus.
    let tarn = id_of(
        app.post(
            "/api/v1/campuses",
            &c.admin,
            json!({ "name": "Campus Tarn" }),
        )
        .await
        .expect(201),
    );
    let rascol = id_of(
        app.post(
            "/api/v1/organisations",
            &c.admin,
            json!({ "name": "PFT Rascol", "kind": "technology_platform", "campus_ids": [tarn] }),
        )
        .await
        .expect(201),
    );
    let problem = app
        .post(
            "/api/v1/platforms",
            &c.admin,
            platform_body(&c.campus_id, &rascol, "Plateau robotique"),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        only_error(&problem),
        pair("owner_organisation_id", "not_a_member")
    );
    // Names are unique per owner only.
    app.post(
        "/api/v1/platforms",
        &c.admin,
        platform_body(&c.campus_id, &c.other_lycee_id, "Plateau robotique"),
    )
    .await
    .problem(409, "already_exists");
    assert_eq!(app.count("platforms").await, platforms);
    assert_eq!(app.count("platform_opening_intervals").await, intervals);
    app.post(
        "/api/v1/platforms",
        &c.admin,
        platform_body(&tarn, &rascol, "Plateau robotique"),
    )
    .await
    .expect(201);
    let platforms = platforms + 1;

    // Changes by a manager of the platform.
    let fixture = app
        .get(&format!("/api/v1/platforms/{}", c.platform_id), &c.company)
        .await
        .expect(200)
        .json();
    assert_eq!(fixture["manager_ids"], json!([c.manager_id]));
    assert_eq!(fixture["opening_hours"].as_array().unwrap().len(), 10);
    let policy = json!({ "who_may_book": "anyone", "outside_requires_approval": false, "min_notice_hours": 48, "max_horizon_days": 180, "max_duration_minutes": 240, "bookers_record_usage": false });
    let changed = app
        .patch(
            &format!("/api/v1/platforms/{}", c.platform_id),
            &c.manager,
            json!({
                "stations": 16, "town": "Decazeville", "description": "Soudage TIG, MIG et MAG",
                "opening_hours": [
                    { "weekday": "wednesday", "opens": "13:00", "closes": "18:00" },
                    { "weekday": "wednesday", "opens": "08:00", "closes": "12:00" },
                ],
                "booking_policy": policy,
            }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(changed["stations"], 16);
    assert_eq!(changed["town"], "Decazeville");
    assert_eq!(changed["description"], "Soudage TIG, MIG et MAG");
    assert_eq!(changed["name"], "Atelier soudage");
    assert_eq!(changed["domain"], "welding");
    assert_eq!(changed["booking_policy"], policy);
    assert_eq!(
        changed["opening_hours"],
        json!([
            { "weekday": "wednesday", "opens": "08:00", "closes": "12:00" },
            { "weekday": "wednesday", "opens": "13:00", "closes": "18:00" },
        ])
    );
    assert_eq!(
        app.count("platform_opening_intervals").await,
        intervals - 10 + 2,
        "the whole week is replaced"
    );
    let shown = app
        .get(&format!("/api/v1/platforms/{}", c.platform_id), &c.observer)
        .await
        .expect(200)
        .json();
    assert_eq!(shown, changed);

    let renamed = app
        .patch(
            &format!("/api/v1/platforms/{}", c.platform_id),
            &c.admin,
            json!({ "name": "Atelier soudage et chaudronnerie", "domain": "other", "town": null }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(renamed["name"], "Atelier soudage et chaudronnerie");
    assert_eq!(renamed["domain"], "other");
    assert_eq!(renamed["town"], Value::Null);
    assert_eq!(renamed["booking_policy"], policy, "an absent policy stays");
    app.patch(
        &format!("/api/v1/platforms/{}", c.platform_id),
        &c.admin,
        json!({ "name": "Salle de métrologie" }),
    )
    .await
    .problem(409, "already_exists");
    let problem = app
        .patch(
            &format!("/api/v1/platforms/{}", c.platform_id),
            &c.manager,
            json!({ "stations": 0 }),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(only_error(&problem), pair("stations", "out_of_range"));
    let problem = app
        .patch(
            &format!("/api/v1/platforms/{}", c.platform_id),
            &c.manager,
            json!({
                "opening_hours": [
                    { "weekday": "sunday", "opens": "08:00", "closes": "12:00" },
                    { "weekday": "sunday", "opens": "09:00", "closes": "10:00" },
                ],
            }),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(only_error(&problem), pair("opening_hours[1]", "overlap"));
    app.patch(
        &format!("/api/v1/platforms/{}", c.other_platform_id),
        &c.manager,
        json!({ "stations": 3 }),
    )
    .await
    .problem(403, "forbidden");
    app.patch(
        &format!("/api/v1/platforms/{}", unknown_id()),
        &c.admin,
        json!({ "stations": 3 }),
    )
    .await
    .problem(404, "not_found");
    app.get(&format!("/api/v1/platforms/{}", unknown_id()), &c.admin)
        .await
        .problem(404, "not_found");
    let after = app
        .get(&format!("/api/v1/platforms/{}", c.platform_id), &c.admin)
        .await
        .expect(200)
        .json();
    assert_eq!(after["stations"], 16);
    assert_eq!(
        after["opening_hours"].as_array().unwrap().len(),
        2,
        "refused changes changed nothing"
    );
    assert_eq!(app.count("platforms").await, platforms);
}

async fn equipment_is_inventoried_and_moved(app: TestApp) {
    let c = campus(&app).await;
    let fixture = app
        .get(&format!("/api/v1/equipment/{}", c.equipment_id), &c.teacher)
        .await
        .expect(200)
        .json();
    assert_eq!(fixture["platform_id"], c.platform_id.as_str());
    assert_eq!(fixture["name"], "Cabine TIG 1");
    assert_eq!(fixture["kind"], "cabine de soudage TIG");
    assert_eq!(fixture["inventory_number"], "DEC-SOU-001");
    assert_eq!(fixture["hourly_rate_cents"], 4500);
    assert_eq!(fixture["status"], "available");
    assert_eq!(
        fixture["required_qualification_ids"],
        json!([c.qualification_id])
    );
    assert_eq!(fixture["notes"], "");
    assert_eq!(fixture["manufacturer"], Value::Null);

    // A manager adds a machine to the platform they manage.
    let reply = app
        .post("/api/v1/equipment", &c.manager, json!({
            "platform_id": c.platform_id, "name": "Poste MIG 2", "kind": "poste de soudage MIG", "manufacturer": "Lincoln Electric",
            "model": "Speedtec 320CP", "serial_number": "U1190512345", "inventory_number": "DEC-SOU-002", "status": "maintenance",
            "hourly_rate_cents": 0, "notes": "Torche à remplacer",
        }))
        .await
        .expect(201);
    let mig = reply.json();
    let mig_id = mig["id"].as_str().unwrap().to_owned();
    assert_eq!(
        reply.headers.get("location").unwrap().to_str().unwrap(),
        format!("/api/v1/equipment/{mig_id}")
    );
    assert_eq!(mig["status"], "maintenance");
    assert_eq!(mig["manufacturer"], "Lincoln Electric");
    assert_eq!(mig["model"], "Speedtec 320CP");
    assert_eq!(mig["serial_number"], "U1190512345");
    assert_eq!(mig["inventory_number"], "DEC-SOU-002");
    assert_eq!(mig["hourly_rate_cents"], 0);
    assert_eq!(mig["notes"], "Torche à remplacer");
    assert_eq!(mig["required_qualification_ids"], json!([]));
    let plain = app
        .post("/api/v1/equipment", &c.admin, json!({ "platform_id": c.other_platform_id, "name": "Tour CN", "kind": "tour à commande numérique" }))
        .await
        .expect(201)
        .json();
    assert_eq!(plain["status"], "available", "default status");
    assert_eq!(plain["inventory_number"], Value::Null);
    assert_eq!(plain["hourly_rate_cents"], Value::Null);
    let plain_id = plain["id"].as_str().unwrap().to_owned();

    let equipment = app.count("equipment").await;
    let audit = app.count("audit_events").await;
    app.post("/api/v1/equipment", &c.admin, json!({ "platform_id": c.platform_id, "name": "Copie", "kind": "copie", "inventory_number": "  DEC-SOU-001 " }))
        .await
        .problem(409, "already_exists");
    let refusals: Vec<(Value, (String, String))> = vec![
        (
            json!({ "platform_id": c.platform_id, "name": "X", "kind": "x", "required_qualification_ids": [unknown_id()] }),
            pair("required_qualification_ids", "unknown_reference"),
        ),
        (
            json!({ "platform_id": unknown_id(), "name": "X", "kind": "x" }),
            pair("platform_id", "unknown_reference"),
        ),
        (
            json!({ "platform_id": c.platform_id, "name": "X", "kind": "x", "hourly_rate_cents": -1 }),
            pair("hourly_rate_cents", "out_of_range"),
        ),
        (
            json!({ "platform_id": c.platform_id, "name": "X", "kind": "x", "hourly_rate_cents": 100_000_001 }),
            pair("hourly_rate_cents", "out_of_range"),
        ),
        (
            json!({ "platform_id": c.platform_id, "name": "X", "kind": " " }),
            pair("kind", "required"),
        ),
    ];
    for (body, expected) in refusals {
        let problem = app
            .post("/api/v1/equipment", &c.admin, body.clone())
            .await
            .problem(422, "validation_failed");
        assert_eq!(only_error(&problem), expected, "body: {body}");
    }
    app.post(
        "/api/v1/equipment",
        &c.manager,
        json!({ "platform_id": c.other_platform_id, "name": "X", "kind": "x" }),
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(app.count("equipment").await, equipment);
    assert_eq!(app.count("audit_events").await, audit);

    // Status, rate, inventory data and required qualifications change.
    let laser = id_of(
        app.post(
            "/api/v1/qualifications",
            &c.admin,
            json!({ "name": "Sécurité laser" }),
        )
        .await
        .expect(201),
    );
    let mut both = vec![laser.clone(), c.qualification_id.clone()];
    both.sort();
    let changed = app
        .patch(&format!("/api/v1/equipment/{mig_id}"), &c.manager, json!({
            "status": "out_of_order", "hourly_rate_cents": null, "manufacturer": null, "required_qualification_ids": [laser, c.qualification_id, laser],
        }))
        .await
        .expect(200)
        .json();
    assert_eq!(changed["status"], "out_of_order");
    assert_eq!(changed["hourly_rate_cents"], Value::Null);
    assert_eq!(changed["manufacturer"], Value::Null);
    assert_eq!(changed["model"], "Speedtec 320CP", "absent fields stay");
    assert_eq!(changed["required_qualification_ids"], json!(both));
    let listed = app
        .get(
            &format!("/api/v1/equipment?qualification_id={laser}"),
            &c.teacher,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(item_ids(&listed), vec![mig_id.clone()]);
    let retired = app
        .patch(
            &format!("/api/v1/equipment/{mig_id}"),
            &c.admin,
            json!({ "status": "retired", "required_qualification_ids": [] }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(retired["status"], "retired");
    assert_eq!(retired["required_qualification_ids"], json!([]));
    app.patch(
        &format!("/api/v1/equipment/{mig_id}"),
        &c.admin,
        json!({ "inventory_number": "DEC-SOU-001" }),
    )
    .await
    .problem(409, "already_exists");
    let same = app
        .patch(
            &format!("/api/v1/equipment/{}", c.equipment_id),
            &c.admin,
            json!({ "inventory_number": "DEC-SOU-001" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        same["inventory_number"], "DEC-SOU-001",
        "keeping one's own number is no conflict"
    );
    let cleared = app
        .patch(
            &format!("/api/v1/equipment/{mig_id}"),
            &c.admin,
            json!({ "inventory_number": null }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(cleared["inventory_number"], Value::Null);
    let reused = app
        .patch(
            &format!("/api/v1/equipment/{plain_id}"),
            &c.admin,
            json!({ "inventory_number": "DEC-SOU-002", "hourly_rate_cents": 2500 }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        reused["inventory_number"], "DEC-SOU-002",
        "a freed number can be given again"
    );
    assert_eq!(reused["hourly_rate_cents"], 2500);
    let problem = app
        .patch(
            &format!("/api/v1/equipment/{mig_id}"),
            &c.admin,
            json!({ "hourly_rate_cents": -5 }),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        only_error(&problem),
        pair("hourly_rate_cents", "out_of_range")
    );

    // Moving between platforms needs the right to manage both.
    app.patch(
        &format!("/api/v1/equipment/{mig_id}"),
        &c.manager,
        json!({ "platform_id": c.other_platform_id }),
    )
    .await
    .problem(403, "forbidden");
    let problem = app
        .patch(
            &format!("/api/v1/equipment/{mig_id}"),
            &c.admin,
            json!({ "platform_id": unknown_id() }),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        only_error(&problem),
        pair("platform_id", "unknown_reference")
    );
    assert_eq!(
        app.get(&format!("/api/v1/equipment/{mig_id}"), &c.admin)
            .await
            .expect(200)
            .json()["platform_id"],
        c.platform_id.as_str()
    );
    let moved = app
        .patch(
            &format!("/api/v1/equipment/{mig_id}"),
            &c.admin,
            json!({ "platform_id": c.other_platform_id }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(moved["platform_id"], c.other_platform_id.as_str());
    assert_eq!(moved["name"], "Poste MIG 2");
    let on_other = app
        .get(
            &format!("/api/v1/equipment?platform_id={}", c.other_platform_id),
            &c.admin,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        item_ids(&on_other),
        vec![mig_id.clone(), plain_id.clone()],
        "in order of creation"
    );
    let on_first = app
        .get(
            &format!("/api/v1/equipment?platform_id={}", c.platform_id),
            &c.admin,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(item_ids(&on_first), vec![c.equipment_id.clone()]);
    // Now the manager of the first platform may no longer change it.
    app.patch(
        &format!("/api/v1/equipment/{mig_id}"),
        &c.manager,
        json!({ "notes": "x" }),
    )
    .await
    .problem(403, "forbidden");
    app.get(&format!("/api/v1/equipment/{}", unknown_id()), &c.admin)
        .await
        .problem(404, "not_found");
    app.patch(
        &format!("/api/v1/equipment/{}", unknown_id()),
        &c.admin,
        json!({ "notes": "x" }),
    )
    .await
    .problem(404, "not_found");
}

async fn qualifications_are_unique_and_deleted_only_when_unused(app: TestApp) {
    let c = campus(&app).await;
    let reply = app
        .post(
            "/api/v1/qualifications",
            &c.manager,
            json!({ "name": "Habilitation électrique B2V", "validity_months": 36 }),
        )
        .await
        .expect(201);
    let electric = reply.json();
    let electric_id = electric["id"].as_str().unwrap().to_owned();
    assert_eq!(
        reply.headers.get("location").unwrap().to_str().unwrap(),
        format!("/api/v1/qualifications/{electric_id}")
    );
    assert_eq!(electric["name"], "Habilitation électrique B2V");
    assert_eq!(electric["description"], "");
    assert_eq!(electric["validity_months"], 36);
    let forever = app
        .post(
            "/api/v1/qualifications",
            &c.admin,
            json!({ "name": "Sécurité laser", "description": "Classe 4" }),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(forever["validity_months"], Value::Null);
    assert_eq!(forever["description"], "Classe 4");

    let count = app.count("qualifications").await;
    app.post(
        "/api/v1/qualifications",
        &c.admin,
        json!({ "name": "Soudage" }),
    )
    .await
    .problem(409, "already_exists");
    app.post(
        "/api/v1/qualifications",
        &c.admin,
        json!({ "name": "  Soudage  " }),
    )
    .await
    .problem(409, "already_exists");
    for months in [0, 241, -3] {
        let problem = app
            .post(
                "/api/v1/qualifications",
                &c.admin,
                json!({ "name": "Nouvelle", "validity_months": months }),
            )
            .await
            .problem(422, "validation_failed");
        assert_eq!(
            only_error(&problem),
            pair("validity_months", "out_of_range")
        );
    }
    assert_eq!(app.count("qualifications").await, count);
    app.post(
        "/api/v1/qualifications",
        &c.admin,
        json!({ "name": "Bornes", "validity_months": 240 }),
    )
    .await
    .expect(201);
    app.post(
        "/api/v1/qualifications",
        &c.admin,
        json!({ "name": "Bornes basses", "validity_months": 1 }),
    )
    .await
    .expect(201);

    let changed = app
        .patch(
            &format!("/api/v1/qualifications/{electric_id}"),
            &c.manager,
            json!({ "validity_months": null, "description": "BR et B2V" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(changed["validity_months"], Value::Null);
    assert_eq!(changed["description"], "BR et B2V");
    assert_eq!(changed["name"], "Habilitation électrique B2V");
    app.patch(
        &format!("/api/v1/qualifications/{electric_id}"),
        &c.admin,
        json!({ "name": "Soudage" }),
    )
    .await
    .problem(409, "already_exists");
    let kept = app
        .patch(
            &format!("/api/v1/qualifications/{electric_id}"),
            &c.admin,
            json!({ "name": "Habilitation électrique B2V", "validity_months": 12 }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(kept["validity_months"], 12);
    assert_eq!(
        app.get(&format!("/api/v1/qualifications/{electric_id}"), &c.company)
            .await
            .expect(200)
            .json(),
        kept
    );
    app.get(
        &format!("/api/v1/qualifications/{}", unknown_id()),
        &c.admin,
    )
    .await
    .problem(404, "not_found");
    app.patch(
        &format!("/api/v1/qualifications/{}", unknown_id()),
        &c.admin,
        json!({ "description": "x" }),
    )
    .await
    .problem(404, "not_found");

    // "Soudage" is required by the fixture's booth: it cannot be deleted.
    let soudage = format!("/api/v1/qualifications/{}", c.qualification_id);
    app.delete(&soudage, &c.admin).await.problem(409, "in_use");
    app.post(
        &format!("/api/v1/users/{}/qualifications", c.teacher_id),
        &c.admin,
        json!({ "qualification_id": c.qualification_id, "awarded_on": "2025-09-01" }),
    )
    .await
    .expect(200);
    app.patch(
        &format!("/api/v1/equipment/{}", c.equipment_id),
        &c.admin,
        json!({ "required_qualification_ids": [] }),
    )
    .await
    .expect(200);
    // Still held by the teacher.
    app.delete(&soudage, &c.admin).await.problem(409, "in_use");
    app.delete(&soudage, &c.manager)
        .await
        .problem(403, "forbidden");
    assert_eq!(app.count("qualifications").await, count + 2);
    app.delete(
        &format!(
            "/api/v1/users/{}/qualifications/{}",
            c.teacher_id, c.qualification_id
        ),
        &c.manager,
    )
    .await
    .expect(204);
    let audit = app.count("audit_events").await;
    let reply = app.delete(&soudage, &c.admin).await.expect(204);
    assert_eq!(reply.text, "");
    assert_eq!(app.count("audit_events").await, audit + 1);
    assert_eq!(app.count("qualifications").await, count + 1);
    app.get(&soudage, &c.admin).await.problem(404, "not_found");
    app.delete(&soudage, &c.admin)
        .await
        .problem(404, "not_found");
    let list = app
        .get("/api/v1/qualifications", &c.observer)
        .await
        .expect(200)
        .json();
    assert!(!id_set(&list).contains(&c.qualification_id));
    assert_eq!(item_ids(&list).len() as i64, count + 1);
}

async fn lists_filter(app: TestApp) {
    let c = campus(&app).await;
    let tarn = id_of(
        app.post(
            "/api/v1/campuses",
            &c.admin,
            json!({ "name": "Campus Tarn" }),
        )
        .await
        .expect(201),
    );
    let rascol = id_of(
        app.post("/api/v1/organisations", &c.admin, json!({ "name": "PFT Rascol", "kind": "technology_platform", "campus_ids": [tarn, c.campus_id] }))
            .await
            .expect(201),
    );
    let imt = id_of(
        app.post("/api/v1/organisations", &c.admin, json!({ "name": "IMT Mines Albi (100%_réel)", "kind": "engineering_school", "uai": "0811536E", "campus_ids": [tarn] }))
            .await
            .expect(201),
    );
    let robotics = id_of(
        app.post(
            "/api/v1/platforms",
            &c.admin,
            platform_body(&tarn, &rascol, "Plateau robotique Rascol"),
        )
        .await
        .expect(201),
    );
    let cell = id_of(
        app.post("/api/v1/equipment", &c.admin, json!({ "platform_id": robotics, "name": "Cellule robot 6 axes", "kind": "robot", "status": "maintenance" }))
            .await
            .expect(201),
    );
    let set = |ids: &[&String]| {
        ids.iter()
            .map(|s| (*s).clone())
            .collect::<HashSet<String>>()
    };

    // Organisations: kind, campus_id, name (with LIKE wildcards taken literally).
    let get = |path: String| {
        let token = c.admin.clone();
        let app = &app;
        async move { app.get(&path, &token).await.expect(200).json() }
    };
    assert_eq!(
        id_set(&get("/api/v1/organisations?kind=company".into()).await),
        set(&[&c.company_id, &c.other_company_id])
    );
    assert_eq!(
        id_set(&get("/api/v1/organisations?kind=lycee".into()).await),
        set(&[&c.lycee_id, &c.other_lycee_id])
    );
    assert_eq!(
        id_set(&get(format!("/api/v1/organisations?campus_id={tarn}")).await),
        set(&[&rascol, &imt])
    );
    assert_eq!(
        item_ids(
            &get(format!(
                "/api/v1/organisations?campus_id={tarn}&kind=engineering_school"
            ))
            .await
        ),
        vec![imt.clone()]
    );
    assert_eq!(
        item_ids(&get("/api/v1/organisations?name=Monteil".into()).await),
        vec![c.other_lycee_id.clone()]
    );
    assert_eq!(
        item_ids(&get("/api/v1/organisations?name=100%25_r".into()).await),
        vec![imt.clone()]
    );
    assert_eq!(
        item_ids(&get("/api/v1/organisations?name=%25".into()).await),
        vec![imt.clone()],
        "% is a literal character"
    );
    assert_eq!(
        item_ids(&get("/api/v1/organisations?name=_".into()).await),
        vec![imt.clone()],
        "_ is a literal character"
    );
    assert_eq!(
        item_ids(&get("/api/v1/organisations?name=Introuvable".into()).await),
        Vec::<String>::new()
    );
    assert_eq!(
        item_ids(&get(format!("/api/v1/organisations?campus_id={}", unknown_id())).await),
        Vec::<String>::new()
    );

    // Platforms: campus_id, domain, owner, name.
    assert_eq!(
        item_ids(&get(format!("/api/v1/platforms?campus_id={tarn}")).await),
        vec![robotics.clone()]
    );
    assert_eq!(
        item_ids(&get(format!("/api/v1/platforms?campus_id={}", c.campus_id)).await),
        vec![c.platform_id.clone(), c.other_platform_id.clone()]
    );
    assert_eq!(
        item_ids(&get("/api/v1/platforms?domain=welding".into()).await),
        vec![c.platform_id.clone()]
    );
    assert_eq!(
        item_ids(&get("/api/v1/platforms?domain=robotics".into()).await),
        vec![robotics.clone()]
    );
    assert_eq!(
        item_ids(&get("/api/v1/platforms?domain=painting".into()).await),
        Vec::<String>::new()
    );
    assert_eq!(
        item_ids(
            &get(format!(
                "/api/v1/platforms?owner_organisation_id={}",
                c.other_lycee_id
            ))
            .await
        ),
        vec![c.other_platform_id.clone()]
    );
    assert_eq!(
        item_ids(&get("/api/v1/platforms?name=usinage".into()).await),
        vec![c.other_platform_id.clone()]
    );
    assert_eq!(
        item_ids(
            &get(format!(
                "/api/v1/platforms?name=Plateau&campus_id={}",
                c.campus_id
            ))
            .await
        ),
        Vec::<String>::new()
    );

    // Equipment: platform_id, status, qualification_id, name.
    assert_eq!(
        item_ids(&get(format!("/api/v1/equipment?platform_id={robotics}")).await),
        vec![cell.clone()]
    );
    assert_eq!(
        item_ids(&get("/api/v1/equipment?status=maintenance".into()).await),
        vec![cell.clone()]
    );
    assert_eq!(
        item_ids(&get("/api/v1/equipment?status=available".into()).await),
        vec![c.equipment_id.clone()]
    );
    assert_eq!(
        item_ids(&get("/api/v1/equipment?status=retired".into()).await),
        Vec::<String>::new()
    );
    assert_eq!(
        item_ids(
            &get(format!(
                "/api/v1/equipment?qualification_id={}",
                c.qualification_id
            ))
            .await
        ),
        vec![c.equipment_id.clone()]
    );
    assert_eq!(
        item_ids(&get("/api/v1/equipment?name=TIG".into()).await),
        vec![c.equipment_id.clone()]
    );
    assert_eq!(
        item_ids(&get(format!("/api/v1/equipment?name=TIG&platform_id={robotics}")).await),
        Vec::<String>::new()
    );

    // Users: role, organisation, part of the e-mail (case does not matter: e-mails are lower case).
    assert_eq!(
        id_set(&get("/api/v1/users?role=teacher".into()).await),
        set(&[&c.teacher_id, &c.other_teacher_id])
    );
    assert_eq!(
        id_set(
            &get(format!(
                "/api/v1/users?role=company&organisation_id={}",
                c.company_id
            ))
            .await
        ),
        set(&[&c.company_user_id])
    );
    assert_eq!(
        item_ids(&get("/api/v1/users?email=MONTEIL".into()).await),
        vec![c.other_teacher_id.clone()]
    );
}

/// Searching by part of a name must not depend on the database: SQLite's LIKE ignores ASCII
/// case, PostgreSQL's does not.
async fn name_filters_ignore_case(app: TestApp) {
    let c = campus(&app).await;
    let page = app
        .get("/api/v1/platforms?name=atelier%20SOUDAGE", &c.admin)
        .await
        .expect(200)
        .json();
    assert_eq!(item_ids(&page), vec![c.platform_id.clone()]);
    let page = app
        .get("/api/v1/organisations?name=alexis%20monteil", &c.admin)
        .await
        .expect(200)
        .json();
    assert_eq!(item_ids(&page), vec![c.other_lycee_id.clone()]);
    let page = app
        .get("/api/v1/equipment?name=cabine%20tig", &c.admin)
        .await
        .expect(200)
        .json();
    assert_eq!(item_ids(&page), vec![c.equipment_id.clone()]);
}

async fn lists_are_paginated_by_cursor(app: TestApp) {
    let c = campus(&app).await;
    // Qualifications: 1 + 6 = 7 (an odd number), equipment 1 + 7 = 8 (a multiple of the limit).
    for i in 0..6 {
        app.post(
            "/api/v1/qualifications",
            &c.admin,
            json!({ "name": format!("Habilitation {i}") }),
        )
        .await
        .expect(201);
    }
    for i in 0..7 {
        app.post("/api/v1/equipment", &c.admin, json!({ "platform_id": c.other_platform_id, "name": format!("Établi {i}"), "kind": "établi" }))
            .await
            .expect(201);
    }
    for i in 0..3 {
        app.post(
            "/api/v1/campuses",
            &c.admin,
            json!({ "name": format!("Campus {i}") }),
        )
        .await
        .expect(201);
        app.post("/api/v1/organisations", &c.admin, json!({ "name": format!("Lycée {i}"), "kind": "lycee", "uai": uai(460_000 + i), "campus_ids": [c.campus_id] }))
            .await
            .expect(201);
    }
    for i in 0..2 {
        let mut body = platform_body(&c.campus_id, &c.lycee_id, &format!("Plateau {i}"));
        body["domain"] = json!("metrology");
        app.post("/api/v1/platforms", &c.admin, body)
            .await
            .expect(201);
    }

    let lists: Vec<(String, usize)> = vec![
        ("/api/v1/qualifications".into(), 7),
        ("/api/v1/equipment".into(), 8),
        (
            format!("/api/v1/equipment?platform_id={}", c.other_platform_id),
            7,
        ),
        ("/api/v1/campuses".into(), 4),
        ("/api/v1/organisations".into(), 7),
        ("/api/v1/organisations?kind=lycee".into(), 5),
        ("/api/v1/platforms".into(), 4),
        ("/api/v1/platforms?domain=metrology".into(), 2),
        ("/api/v1/users".into(), 7),
        ("/api/v1/users?role=teacher".into(), 2),
    ];
    for (path, expected) in lists {
        let separator = if path.contains('?') { '&' } else { '?' };
        let all = item_ids(
            &app.get(&format!("{path}{separator}limit=500"), &c.admin)
                .await
                .expect(200)
                .json(),
        );
        assert_eq!(all.len(), expected, "{path}");
        for limit in [2, 3] {
            let (walked, pages) = walk(&app, &c.admin, &path, limit).await;
            assert_eq!(
                walked, all,
                "{path} with limit={limit}: no gaps, no duplicates, same order"
            );
            assert_eq!(
                walked.iter().collect::<HashSet<_>>().len(),
                expected,
                "{path}: no duplicates"
            );
            assert_eq!(
                pages,
                expected.div_ceil(limit).max(1),
                "{path} with limit={limit}"
            );
        }
    }
    // Default limit: 50, a single page here.
    let page = app
        .get("/api/v1/qualifications", &c.admin)
        .await
        .expect(200)
        .json();
    assert_eq!(item_ids(&page).len(), 7);
    assert_eq!(page["next_cursor"], Value::Null);
    // A cursor names a position, so a page of a filtered list continues that list.
    let first = app
        .get("/api/v1/users?role=teacher&limit=1", &c.admin)
        .await
        .expect(200)
        .json();
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let second = app
        .get(
            &format!("/api/v1/users?role=teacher&limit=1&cursor={cursor}"),
            &c.admin,
        )
        .await
        .expect(200)
        .json();
    let mut teachers = item_ids(&first);
    teachers.extend(item_ids(&second));
    assert_eq!(
        teachers.iter().collect::<HashSet<_>>(),
        [&c.teacher_id, &c.other_teacher_id]
            .into_iter()
            .collect::<HashSet<_>>()
    );
    assert_eq!(second["next_cursor"], Value::Null);

    // Bad cursors and limits.
    let bad_cursor_id = c.equipment_id.clone();
    for cursor in [
        "abc",
        "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
        bad_cursor_id.as_str(),
    ] {
        let problem = app
            .get(&format!("/api/v1/equipment?cursor={cursor}"), &c.admin)
            .await
            .problem(422, "validation_failed");
        assert_eq!(
            only_error(&problem),
            pair("cursor", "invalid_format"),
            "cursor {cursor}"
        );
    }
    for path in [
        "/api/v1/qualifications",
        "/api/v1/campuses",
        "/api/v1/organisations",
        "/api/v1/platforms",
        "/api/v1/equipment",
        "/api/v1/users",
    ] {
        for limit in ["0", "501", "-1"] {
            let problem = app
                .get(&format!("{path}?limit={limit}"), &c.admin)
                .await
                .problem(422, "validation_failed");
            assert_eq!(
                only_error(&problem),
                pair("limit", "out_of_range"),
                "{path}?limit={limit}"
            );
        }
        let problem = app
            .get(&format!("{path}?cursor=not-a-cursor"), &c.admin)
            .await
            .problem(422, "validation_failed");
        assert_eq!(
            only_error(&problem),
            pair("cursor", "invalid_format"),
            "{path}"
        );
        app.get(&format!("{path}?limit=500"), &c.admin)
            .await
            .expect(200);
        app.get(&format!("{path}?limit=1"), &c.admin)
            .await
            .expect(200);
    }
}

async fn changes_are_audited(app: TestApp) {
    let c = campus(&app).await;
    // The fixture: the administrator, 3 organisations, 1 qualification, 2 platforms, 1 item,
    // 6 accounts (each invited, issued a confirmation token, then confirmed).
    assert_eq!(app.count("audit_events").await, 26);
    let before = app.count("audit_events").await;
    let tarn = id_of(
        app.post(
            "/api/v1/campuses",
            &c.admin,
            json!({ "name": "Campus Tarn" }),
        )
        .await
        .expect(201),
    );
    app.patch(
        &format!("/api/v1/campuses/{tarn}"),
        &c.admin,
        json!({ "name": "Campus du Tarn" }),
    )
    .await
    .expect(200);
    app.patch(
        &format!("/api/v1/organisations/{}", c.lycee_id),
        &c.admin,
        json!({ "town": "Decazeville" }),
    )
    .await
    .expect(200);
    app.patch(
        &format!("/api/v1/platforms/{}", c.platform_id),
        &c.manager,
        json!({ "stations": 10 }),
    )
    .await
    .expect(200);
    app.patch(
        &format!("/api/v1/equipment/{}", c.equipment_id),
        &c.manager,
        json!({ "status": "maintenance" }),
    )
    .await
    .expect(200);
    app.patch(
        &format!("/api/v1/qualifications/{}", c.qualification_id),
        &c.manager,
        json!({ "description": "TIG" }),
    )
    .await
    .expect(200);
    assert_eq!(app.count("audit_events").await, before + 6);
    // Reading and refusing write nothing.
    app.get("/api/v1/platforms", &c.admin).await.expect(200);
    app.patch(
        &format!("/api/v1/platforms/{}", c.other_platform_id),
        &c.manager,
        json!({ "stations": 10 }),
    )
    .await
    .problem(403, "forbidden");
    app.patch(
        &format!("/api/v1/equipment/{}", c.equipment_id),
        &c.manager,
        json!({ "hourly_rate_cents": -1 }),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        "/api/v1/campuses",
        &c.teacher,
        json!({ "name": "Campus pirate" }),
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(app.count("audit_events").await, before + 6);
}

on_both_databases!(
    campuses_are_created_read_and_renamed,
    organisations_check_their_identifiers,
    platforms_have_opening_hours_and_a_booking_policy,
    equipment_is_inventoried_and_moved,
    qualifications_are_unique_and_deleted_only_when_unused,
    lists_filter,
    lists_are_paginated_by_cursor,
    changes_are_audited,
);

on_both_databases!(name_filters_ignore_case);
