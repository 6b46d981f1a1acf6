//! Bad input of every kind answers a 4xx problem document and changes nothing.

use actix_web::http::{header, Method};
use actix_web::test::TestRequest;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::util::unknown_id;
use crate::support::{campus, Campus, TestApp};

/// A raw request: any body bytes, any content type.
fn raw(
    method: Method,
    path: &str,
    token: &str,
    content_type: Option<&str>,
    body: impl Into<actix_web::web::Bytes>,
) -> actix_http::Request {
    let mut req = TestRequest::default()
        .method(method)
        .uri(path)
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    if let Some(content_type) = content_type {
        req = req.insert_header((header::CONTENT_TYPE, content_type));
    }
    req.set_payload(body.into()).to_request()
}

/// The only field error of a 422 problem: (field, code, message).
#[track_caller]
fn only_error(problem: &Value) -> (String, String, String) {
    let errors = problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors: {problem}"));
    assert_eq!(errors.len(), 1, "one field error expected: {problem}");
    let text = |key: &str| {
        errors[0][key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} missing: {problem}"))
            .to_owned()
    };
    (text("field"), text("code"), text("message"))
}

fn organisation(c: &Campus) -> Value {
    json!({ "name": "Lycée Champollion", "kind": "lycee", "town": "Figeac", "uai": "0460823V", "campus_ids": [c.campus_id] })
}

fn platform(c: &Campus) -> Value {
    json!({
        "campus_id": c.campus_id, "owner_organisation_id": c.lycee_id, "name": "Plateau composites", "domain": "composites", "stations": 10,
        "opening_hours": [
            { "weekday": "monday", "opens": "08:00", "closes": "12:00" },
            { "weekday": "monday", "opens": "13:00", "closes": "17:00" },
        ],
        "booking_policy": { "who_may_book": "anyone", "outside_requires_approval": true, "min_notice_hours": 24, "max_horizon_days": 365, "max_duration_minutes": 480 },
    })
}

/// Counts of every table a refused request could touch.
async fn counts(app: &TestApp) -> Vec<(&'static str, i64)> {
    let mut all = Vec::new();
    for table in [
        "campuses",
        "organisations",
        "campus_memberships",
        "platforms",
        "platform_opening_intervals",
        "equipment",
        "equipment_qualifications",
        "qualifications",
        "users",
        "user_qualifications",
        "audit_events",
        "idempotency_records",
    ] {
        all.push((table, app.count(table).await));
    }
    all
}

async fn bad_bodies_are_refused_and_change_nothing(app: TestApp) {
    let c = campus(&app).await;
    let before = counts(&app).await;
    let path = "/api/v1/organisations";
    let valid = organisation(&c).to_string();

    let malformed: Vec<&[u8]> = vec![
        br#"{"name": "Lyc"#,
        br#"{"name": "Lycee",}"#,
        br#"{'name': 'Lycee'}"#,
        b"",
        b"   ",
        b"\xff\xfe{}",
    ];
    for body in malformed {
        let problem = app
            .send(raw(
                Method::POST,
                path,
                &c.admin,
                Some("application/json"),
                body.to_vec(),
            ))
            .await
            .problem(400, "malformed_json");
        assert!(
            problem["detail"].as_str().unwrap().contains("ligne 1"),
            "the position is given: {problem}"
        );
    }
    // A malformed change is refused the same way.
    app.send(raw(
        Method::PATCH,
        &format!("/api/v1/platforms/{}", c.platform_id),
        &c.admin,
        Some("application/json"),
        "{\"stations\": 3",
    ))
    .await
    .problem(400, "malformed_json");

    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/xml"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let problem = app
            .send(raw(
                Method::POST,
                path,
                &c.admin,
                content_type,
                valid.clone(),
            ))
            .await
            .problem(415, "unsupported_media_type");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("application/json"),
            "{problem}"
        );
    }
    app.send(raw(
        Method::PATCH,
        &format!("/api/v1/platforms/{}", c.platform_id),
        &c.admin,
        Some("text/plain"),
        "{\"stations\": 3}",
    ))
    .await
    .problem(415, "unsupported_media_type");

    // JSON, but not an object.
    for body in ["null", "42", "\"Lycée\"", "true"] {
        let problem = app
            .send(raw(
                Method::POST,
                path,
                &c.admin,
                Some("application/json"),
                body,
            ))
            .await
            .problem(422, "validation_failed");
        let (field, code, _) = only_error(&problem);
        assert_eq!(
            (field.as_str(), code.as_str()),
            ("body", "invalid_type"),
            "body {body}: {problem}"
        );
    }
    let problem = app
        .send(raw(
            Method::POST,
            path,
            &c.admin,
            Some("application/json"),
            "{}",
        ))
        .await
        .problem(422, "validation_failed");
    assert_eq!(only_error(&problem).1, "required");

    // Larger than 256 KiB: 413, with or without an idempotency key.
    let mut huge = organisation(&c);
    huge["name"] = json!("x".repeat(300 * 1024));
    let problem = app
        .send(raw(
            Method::POST,
            path,
            &c.admin,
            Some("application/json"),
            huge.to_string(),
        ))
        .await
        .problem(413, "payload_too_large");
    assert!(
        problem["detail"].as_str().unwrap().contains("256"),
        "{problem}"
    );
    let req = TestRequest::post()
        .uri(path)
        .insert_header((header::AUTHORIZATION, format!("Bearer {}", c.admin)))
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .insert_header(("idempotency-key", "trop-gros"))
        .set_payload(huge.to_string())
        .to_request();
    app.send(req).await.problem(413, "payload_too_large");
    // Just under the limit is read, then refused for its content.
    let mut big = organisation(&c);
    big["name"] = json!("x".repeat(200 * 1024));
    let problem = app
        .send(raw(
            Method::POST,
            path,
            &c.admin,
            Some("application/json"),
            big.to_string(),
        ))
        .await
        .problem(422, "validation_failed");
    assert_eq!(only_error(&problem).1, "too_long");

    assert_eq!(counts(&app).await, before, "nothing changed");

    // The same body, well labelled, is accepted (a charset parameter is fine).
    app.send(raw(
        Method::POST,
        path,
        &c.admin,
        Some("application/json; charset=utf-8"),
        valid,
    ))
    .await
    .expect(201);
    assert_eq!(app.count("organisations").await, before[1].1 + 1);
}

async fn field_errors_name_the_field_at_fault(app: TestApp) {
    let c = campus(&app).await;
    let before = counts(&app).await;

    // (change to a valid body, field, code)
    type Change = Box<dyn Fn(&mut Value)>;
    let platform_cases: Vec<(Change, &str, &str)> = vec![
        (
            Box::new(|b: &mut Value| b["stations"] = json!("many")),
            "stations",
            "invalid_type",
        ),
        (
            Box::new(|b: &mut Value| b["stations"] = json!(12.5)),
            "stations",
            "invalid_type",
        ),
        (
            Box::new(|b: &mut Value| b["stations"] = json!(null)),
            "stations",
            "invalid_type",
        ),
        (
            Box::new(|b: &mut Value| b["stations"] = json!(99_999_999_999_i64)),
            "stations",
            "invalid_value",
        ),
        (
            Box::new(|b: &mut Value| b["stations"] = json!(0)),
            "stations",
            "out_of_range",
        ),
        (
            Box::new(|b: &mut Value| b["stations"] = json!(1001)),
            "stations",
            "out_of_range",
        ),
        (
            Box::new(|b: &mut Value| b["stations"] = json!(-4)),
            "stations",
            "out_of_range",
        ),
        (
            Box::new(|b: &mut Value| b["name"] = json!(5)),
            "name",
            "invalid_type",
        ),
        (
            Box::new(|b: &mut Value| b["name"] = json!("")),
            "name",
            "required",
        ),
        (
            Box::new(|b: &mut Value| b["name"] = json!("é".repeat(201))),
            "name",
            "too_long",
        ),
        (
            Box::new(|b: &mut Value| b["description"] = json!("d".repeat(4001))),
            "description",
            "too_long",
        ),
        (
            Box::new(|b: &mut Value| b["campus_id"] = json!("pas-un-uuid")),
            "campus_id",
            "invalid",
        ),
        (
            Box::new(|b: &mut Value| b["campus_id"] = json!(17)),
            "campus_id",
            "invalid_type",
        ),
        (
            Box::new(|b: &mut Value| {
                b.as_object_mut().unwrap().remove("stations");
            }),
            "stations",
            "required",
        ),
        (
            Box::new(|b: &mut Value| {
                b.as_object_mut().unwrap().remove("campus_id");
            }),
            "campus_id",
            "required",
        ),
        (
            Box::new(|b: &mut Value| b["opening_hours"] = json!("lundi")),
            "opening_hours",
            "invalid_type",
        ),
        (
            Box::new(|b: &mut Value| b["opening_hours"][1]["opens"] = json!(800)),
            "opening_hours[1].opens",
            "invalid_type",
        ),
        (
            Box::new(|b: &mut Value| {
                b["opening_hours"][1]
                    .as_object_mut()
                    .unwrap()
                    .remove("closes");
            }),
            "opening_hours[1].closes",
            "required",
        ),
        (
            Box::new(|b: &mut Value| b["opening_hours"][1]["opens"] = json!("7h30")),
            "opening_hours[1].opens",
            "invalid_format",
        ),
        (
            Box::new(|b: &mut Value| b["opening_hours"][0]["closes"] = json!("25:00")),
            "opening_hours[0].closes",
            "invalid_format",
        ),
        (
            Box::new(|b: &mut Value| b["booking_policy"]["min_notice_hours"] = json!("24")),
            "booking_policy.min_notice_hours",
            "invalid_type",
        ),
        (
            Box::new(|b: &mut Value| {
                b["booking_policy"]["outside_requires_approval"] = json!("oui")
            }),
            "booking_policy.outside_requires_approval",
            "invalid_type",
        ),
        (
            Box::new(|b: &mut Value| {
                b["booking_policy"]
                    .as_object_mut()
                    .unwrap()
                    .remove("max_duration_minutes");
            }),
            "booking_policy.max_duration_minutes",
            "required",
        ),
        (
            Box::new(|b: &mut Value| b["booking_policy"]["max_horizon_days"] = json!(2000)),
            "booking_policy.max_horizon_days",
            "out_of_range",
        ),
    ];
    for (change, field, code) in &platform_cases {
        let mut body = platform(&c);
        change(&mut body);
        let problem = app
            .post("/api/v1/platforms", &c.admin, body.clone())
            .await
            .problem(422, "validation_failed");
        let (got_field, got_code, message) = only_error(&problem);
        assert_eq!(
            (got_field.as_str(), got_code.as_str()),
            (*field, *code),
            "body: {body}\nproblem: {problem}"
        );
        assert!(!message.is_empty());
        assert_eq!(
            problem["detail"],
            format!("Le champ « {field} » est invalide : {message}")
        );
    }

    // Unknown values of a closed set name every allowed value, by its French label.
    let mut body = platform(&c);
    body["domain"] = json!("plumbing");
    let problem = app
        .post("/api/v1/platforms", &c.admin, body)
        .await
        .problem(422, "validation_failed");
    let (field, code, message) = only_error(&problem);
    assert_eq!((field.as_str(), code.as_str()), ("domain", "unknown_value"));
    assert!(message.contains("« plumbing »"), "{message}");
    for allowed in [
        "machining",
        "composites",
        "welding",
        "robotics",
        "additive_manufacturing",
        "metrology",
        "painting",
        "maintenance",
        "automation",
        "other",
    ] {
        // The values are given apart; the message names them in French.
        assert!(
            problem["errors"][0]["allowed_values"]
                .as_array()
                .unwrap()
                .contains(&json!(allowed)),
            "{allowed} missing from: {problem}"
        );
    }
    assert!(
        message.contains("usinage, composites, soudage, robotique"),
        "{message}"
    );
    let mut body = platform(&c);
    body["opening_hours"][0]["weekday"] = json!("funday");
    let (field, code, message) = only_error(
        &app.post("/api/v1/platforms", &c.admin, body)
            .await
            .problem(422, "validation_failed"),
    );
    assert_eq!(
        (field.as_str(), code.as_str()),
        ("opening_hours[0].weekday", "unknown_value")
    );
    for day in [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ] {
        let day = plateaux::domain::Weekday::parse(day).unwrap();
        let label = plateaux::labels::Label::label(day);
        assert!(message.contains(label), "{label} missing from: {message}");
    }
    let mut body = platform(&c);
    body["booking_policy"]["who_may_book"] = json!("everyone");
    let (field, code, message) = only_error(
        &app.post("/api/v1/platforms", &c.admin, body)
            .await
            .problem(422, "validation_failed"),
    );
    assert_eq!(
        (field.as_str(), code.as_str()),
        ("booking_policy.who_may_book", "unknown_value")
    );
    assert!(
        message.contains("personnel du propriétaire")
            && message.contains("membres du campus")
            && message.contains("tout titulaire d'un compte"),
        "{message}"
    );
    let mut body = organisation(&c);
    body["kind"] = json!("castle");
    let (field, code, message) = only_error(
        &app.post("/api/v1/organisations", &c.admin, body)
            .await
            .problem(422, "validation_failed"),
    );
    assert_eq!((field.as_str(), code.as_str()), ("kind", "unknown_value"));
    for kind in [
        "lycee",
        "cfa",
        "greta",
        "university",
        "engineering_school",
        "technology_platform",
        "training_centre",
        "research_lab",
        "company",
    ] {
        let kind = plateaux::domain::OrganisationKind::parse(kind).unwrap();
        let label = plateaux::labels::Label::label(kind);
        assert!(message.contains(label), "{label} missing from: {message}");
    }
    let (field, code, message) = only_error(
        &app.post("/api/v1/users", &c.admin, json!({ "email": "x@campus.test", "display_name": "X", "role": "superuser", "organisation_id": c.lycee_id }))
            .await
            .problem(422, "validation_failed"),
    );
    assert_eq!((field.as_str(), code.as_str()), ("role", "unknown_value"));
    for role in ["admin", "manager", "teacher", "company", "observer"] {
        let role = plateaux::domain::Role::parse(role).unwrap();
        let label = plateaux::labels::Label::label(role);
        assert!(message.contains(label), "{label} missing from: {message}");
    }
    let (field, code, _) = only_error(
        &app.patch(
            &format!("/api/v1/equipment/{}", c.equipment_id),
            &c.admin,
            json!({ "status": "broken" }),
        )
        .await
        .problem(422, "validation_failed"),
    );
    assert_eq!((field.as_str(), code.as_str()), ("status", "unknown_value"));

    // Unknown fields are refused, at any depth, with the allowed fields listed (the exact
    // field path is checked by `unknown_fields_are_named`).
    for (change, allowed) in [
        (
            Box::new(|b: &mut Value| b["colour"] = json!("bleu")) as Change,
            "opening_hours",
        ),
        (
            Box::new(|b: &mut Value| b["booking_policy"]["colour"] = json!("bleu")),
            "max_horizon_days",
        ),
        (
            Box::new(|b: &mut Value| b["opening_hours"][1]["colour"] = json!("bleu")),
            "weekday",
        ),
    ] {
        let mut body = platform(&c);
        change(&mut body);
        let (field, code, message) = only_error(
            &app.post("/api/v1/platforms", &c.admin, body)
                .await
                .problem(422, "validation_failed"),
        );
        assert_eq!(code, "unknown_field");
        assert!(field.contains("colour"), "{field}");
        assert!(
            message.contains(allowed),
            "{allowed} missing from: {message}"
        );
    }

    // Other endpoints, other fields.
    let cases: Vec<(Method, String, Value, &str, &str)> = vec![
        (
            Method::POST,
            "/api/v1/organisations".into(),
            json!({ "name": "L", "kind": "lycee", "uai": "0460823A", "campus_ids": [c.campus_id] }),
            "uai",
            "invalid_format",
        ),
        (
            Method::POST,
            "/api/v1/organisations".into(),
            json!({ "name": "E", "kind": "company", "siret": "12345678901234", "campus_ids": [c.campus_id] }),
            "siret",
            "invalid_format",
        ),
        (
            Method::POST,
            "/api/v1/organisations".into(),
            json!({ "name": "E", "kind": "company", "siret": 73282932000074_i64, "campus_ids": [c.campus_id] }),
            "siret",
            "invalid_type",
        ),
        (
            Method::POST,
            "/api/v1/organisations".into(),
            json!({ "name": "L", "kind": "lycee", "campus_ids": ["pas-un-uuid"] }),
            "campus_ids[0]",
            "invalid",
        ),
        (
            Method::POST,
            "/api/v1/organisations".into(),
            json!({ "name": "L", "kind": "lycee", "campus_ids": c.campus_id }),
            "campus_ids",
            "invalid_type",
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            json!({ "email": "pas-une-adresse", "display_name": "X", "role": "teacher", "organisation_id": c.lycee_id }),
            "email",
            "invalid_format",
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            json!({ "email": "x@campus.test", "display_name": "X", "role": "teacher" }),
            "organisation_id",
            "required",
        ),
        (
            Method::POST,
            "/api/v1/equipment".into(),
            json!({ "platform_id": c.platform_id, "name": "E", "kind": "k", "hourly_rate_cents": -1 }),
            "hourly_rate_cents",
            "out_of_range",
        ),
        (
            Method::POST,
            "/api/v1/equipment".into(),
            json!({ "platform_id": c.platform_id, "name": "E", "kind": "k", "hourly_rate_cents": "45" }),
            "hourly_rate_cents",
            "invalid_type",
        ),
        (
            Method::POST,
            "/api/v1/equipment".into(),
            json!({ "platform_id": c.platform_id, "name": "E", "kind": "k", "required_qualification_ids": [c.qualification_id, 3] }),
            "required_qualification_ids[1]",
            "invalid_type",
        ),
        (
            Method::PATCH,
            format!("/api/v1/equipment/{}", c.equipment_id),
            json!({ "hourly_rate_cents": -100 }),
            "hourly_rate_cents",
            "out_of_range",
        ),
        (
            Method::PATCH,
            format!("/api/v1/platforms/{}", c.platform_id),
            json!({ "stations": 1001 }),
            "stations",
            "out_of_range",
        ),
        (
            Method::PATCH,
            format!("/api/v1/platforms/{}", c.platform_id),
            json!({ "opening_hours": [{ "weekday": "monday", "opens": "08:00", "closes": "12:00" }, { "weekday": "monday", "opens": 9 }] }),
            "opening_hours[1].opens",
            "invalid_type",
        ),
        (
            Method::POST,
            "/api/v1/qualifications".into(),
            json!({ "name": "Q", "validity_months": "douze" }),
            "validity_months",
            "invalid_type",
        ),
        (
            Method::POST,
            "/api/v1/campuses".into(),
            json!({ "name": ["Campus"] }),
            "name",
            "invalid_type",
        ),
        (
            Method::POST,
            format!("/api/v1/users/{}/qualifications", c.teacher_id),
            json!({ "qualification_id": c.qualification_id, "awarded_on": "2025-02-30" }),
            "awarded_on",
            "invalid",
        ),
        (
            Method::POST,
            format!("/api/v1/users/{}/qualifications", c.teacher_id),
            json!({ "qualification_id": c.qualification_id, "awarded_on": "01/09/2025" }),
            "awarded_on",
            "invalid",
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{}", c.teacher_id),
            json!({ "active": "non" }),
            "active",
            "invalid_type",
        ),
        (
            Method::PATCH,
            "/api/v1/me".into(),
            json!({ "display_name": 12 }),
            "display_name",
            "invalid_type",
        ),
        (
            Method::POST,
            "/api/v1/auth/login".into(),
            json!({ "email": "admin@campus.test" }),
            "password",
            "required",
        ),
    ];
    for (method, path, body, field, code) in cases {
        let problem = app
            .call(
                method.clone(),
                &path,
                Some(&c.admin),
                Some(body.clone()),
                &[],
            )
            .await
            .problem(422, "validation_failed");
        let (got_field, got_code, _) = only_error(&problem);
        assert_eq!(
            (got_field.as_str(), got_code.as_str()),
            (field, code),
            "{method} {path} {body}\nproblem: {problem}"
        );
    }

    // Several invalid fields are all reported at once.
    let mut body = platform(&c);
    body["name"] = json!(" ");
    body["stations"] = json!(0);
    body["opening_hours"][1]["opens"] = json!("11:00");
    body["booking_policy"]["min_notice_hours"] = json!(-1);
    let problem = app
        .post("/api/v1/platforms", &c.admin, body)
        .await
        .problem(422, "validation_failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "name",
            "stations",
            "opening_hours[1]",
            "booking_policy.min_notice_hours"
        ]
    );
    assert_eq!(
        problem["detail"],
        "4 champs sont invalides ; voir « errors »."
    );

    assert_eq!(counts(&app).await, before, "nothing changed");
    let booth = app
        .get(&format!("/api/v1/equipment/{}", c.equipment_id), &c.admin)
        .await
        .expect(200)
        .json();
    assert_eq!(booth["hourly_rate_cents"], 4500);
    assert_eq!(booth["status"], "available");
    let welding = app
        .get(&format!("/api/v1/platforms/{}", c.platform_id), &c.admin)
        .await
        .expect(200)
        .json();
    assert_eq!(welding["stations"], 14);
}

/// An unknown field is named by its own path, and the allowed fields are listed.
async fn unknown_fields_are_named(app: TestApp) {
    let c = campus(&app).await;
    let mut body = platform(&c);
    body["colour"] = json!("bleu");
    let (field, code, message) = only_error(
        &app.post("/api/v1/platforms", &c.admin, body)
            .await
            .problem(422, "validation_failed"),
    );
    assert_eq!(code, "unknown_field");
    assert!(
        message.contains("campus_id") && message.contains("opening_hours"),
        "{message}"
    );
    assert_eq!(field, "colour");
    let mut body = platform(&c);
    body["booking_policy"]["colour"] = json!("bleu");
    let (field, code, _) = only_error(
        &app.post("/api/v1/platforms", &c.admin, body)
            .await
            .problem(422, "validation_failed"),
    );
    assert_eq!(
        (field.as_str(), code.as_str()),
        ("booking_policy.colour", "unknown_field")
    );
    let mut body = platform(&c);
    body["opening_hours"][1]["day"] = json!("monday");
    let (field, code, _) = only_error(
        &app.post("/api/v1/platforms", &c.admin, body)
            .await
            .problem(422, "validation_failed"),
    );
    assert_eq!(
        (field.as_str(), code.as_str()),
        ("opening_hours[1].day", "unknown_field")
    );
    assert_eq!(app.count("platforms").await, 2);
}

/// A body is one JSON value: anything after it makes the body malformed.
async fn trailing_data_after_the_body_is_malformed(app: TestApp) {
    let c = campus(&app).await;
    let campuses = app.count("campuses").await;
    for body in [
        r#"{"name": "Campus A"} {"name": "Campus B"}"#,
        r#"{"name": "Campus A"}]"#,
        r#"{"name": "Campus A"}x"#,
    ] {
        app.send(raw(
            Method::POST,
            "/api/v1/campuses",
            &c.admin,
            Some("application/json"),
            body,
        ))
        .await
        .problem(400, "malformed_json");
    }
    assert_eq!(app.count("campuses").await, campuses);
}

/// Request bodies are JSON objects: an array holding the values in field order is refused.
async fn an_array_is_not_an_object(app: TestApp) {
    let c = campus(&app).await;
    let campuses = app.count("campuses").await;
    let problem = app
        .send(raw(
            Method::POST,
            "/api/v1/campuses",
            &c.admin,
            Some("application/json"),
            r#"["Campus en tableau", null]"#,
        ))
        .await
        .problem(422, "validation_failed");
    assert_eq!(only_error(&problem).0, "body");
    assert_eq!(app.count("campuses").await, campuses);
}

async fn paths_queries_and_routes_are_checked(app: TestApp) {
    let c = campus(&app).await;
    let before = counts(&app).await;

    // Malformed ids in paths: 400; well-formed unknown ids: 404.
    for (method, path) in [
        (Method::GET, "/api/v1/platforms/pas-un-uuid".to_owned()),
        (Method::GET, "/api/v1/organisations/42".to_owned()),
        (
            Method::GET,
            "/api/v1/users/0190d3c1-0000-7000-8000-00000000000".to_owned(),
        ),
        (
            Method::GET,
            format!("/api/v1/users/{}/qualifications", "x".repeat(36)),
        ),
        (
            Method::DELETE,
            format!("/api/v1/users/{}/qualifications/pas-un-uuid", c.teacher_id),
        ),
        (
            Method::DELETE,
            "/api/v1/qualifications/pas-un-uuid".to_owned(),
        ),
    ] {
        let problem = app
            .call(method.clone(), &path, Some(&c.admin), None, &[])
            .await
            .problem(400, "invalid_path_parameter");
        assert!(
            problem["detail"].as_str().unwrap().contains("UUID"),
            "{method} {path}: {problem}"
        );
    }
    for (path, body) in [
        ("/api/v1/users/123", json!({ "display_name": "X" })),
        ("/api/v1/platforms/abc", json!({ "stations": 3 })),
        ("/api/v1/equipment/abc", json!({ "notes": "x" })),
        ("/api/v1/campuses/abc", json!({ "name": "X" })),
        ("/api/v1/organisations/abc", json!({ "name": "X" })),
        ("/api/v1/qualifications/abc", json!({ "name": "X" })),
    ] {
        app.patch(path, &c.admin, body)
            .await
            .problem(400, "invalid_path_parameter");
    }
    app.post(
        "/api/v1/users/abc/qualifications",
        &c.admin,
        json!({ "qualification_id": c.qualification_id, "awarded_on": "2025-09-01" }),
    )
    .await
    .problem(400, "invalid_path_parameter");
    for path in [
        "campuses",
        "organisations",
        "platforms",
        "equipment",
        "qualifications",
        "users",
    ] {
        app.get(&format!("/api/v1/{path}/{}", unknown_id()), &c.admin)
            .await
            .problem(404, "not_found");
    }

    // Query parameters of the wrong type: 400.
    for path in [
        "/api/v1/campuses?limit=abc",
        "/api/v1/organisations?limit=1.5",
        "/api/v1/organisations?kind=castle",
        "/api/v1/organisations?campus_id=pas-un-uuid",
        "/api/v1/platforms?domain=plumbing",
        "/api/v1/platforms?owner_organisation_id=12",
        "/api/v1/equipment?status=broken",
        "/api/v1/equipment?platform_id=x",
        "/api/v1/equipment?qualification_id=x",
        "/api/v1/users?role=king",
        "/api/v1/users?organisation_id=x",
        "/api/v1/qualifications?limit=99999999999999999999",
    ] {
        let problem = app.get(path, &c.admin).await.problem(400, "invalid_query");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .starts_with("Paramètres de requête invalides"),
            "{path}: {problem}"
        );
    }

    // Unknown routes: 404 problem documents, with or without a token. (Outside `/api/`,
    // people read the answer: the web interface's 404 page, `web.rs`.)
    for path in [
        "/api/v1/nowhere",
        "/api/v1/platforms/x/y/z",
        "/api/nowhere",
        "/api/v2/platforms",
    ] {
        let problem = app
            .call(Method::GET, path, None, None, &[])
            .await
            .problem(404, "not_found");
        assert!(
            problem["detail"].as_str().unwrap().contains(path),
            "{path}: {problem}"
        );
        app.call(Method::GET, path, Some(&c.admin), None, &[])
            .await
            .problem(404, "not_found");
    }
    app.post(
        "/api/v1/invoices",
        &c.admin,
        json!({ "platform_id": c.platform_id }),
    )
    .await
    .problem(404, "not_found");
    // A known path with a method it does not offer: 405, naming the methods it offers.
    let allowed = |reply: &crate::support::Reply| {
        reply
            .headers
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let reply = app
        .delete(&format!("/api/v1/platforms/{}", c.platform_id), &c.admin)
        .await;
    assert_eq!(allowed(&reply), "GET, PATCH");
    let problem = reply.problem(405, "method_not_allowed");
    assert!(
        problem["detail"].as_str().unwrap().contains("GET, PATCH"),
        "{problem}"
    );
    let reply = app
        .call(
            Method::PUT,
            "/api/v1/campuses",
            Some(&c.admin),
            Some(json!({ "name": "X" })),
            &[],
        )
        .await;
    assert_eq!(allowed(&reply), "GET, POST");
    reply.problem(405, "method_not_allowed");
    // Placeholders stand for one whole segment, or the part of one around a fixed suffix.
    let reply = app
        .call(Method::POST, "/api/v1/calendar/abc.ics", None, None, &[])
        .await;
    assert_eq!(allowed(&reply), "GET");
    reply.problem(405, "method_not_allowed");
    for path in [
        "/api/v1/calendar/.ics",
        "/api/v1/platforms/",
        "/api/v1/platforms/x/y",
    ] {
        app.delete(path, &c.admin).await.problem(404, "not_found");
    }
    // A documented literal path that a placeholder route of another method catches
    // (`DELETE /closures/{id}` for `/closures/import`) is a 405 too, not a bad identifier.
    let reply = app.delete("/api/v1/closures/import", &c.admin).await;
    assert_eq!(allowed(&reply), "POST");
    reply.problem(405, "method_not_allowed");
    app.delete("/api/v1/closures/pas-un-uuid", &c.admin)
        .await
        .problem(400, "invalid_path_parameter");
    // Without a token too: the method is wrong whoever asks.
    app.call(Method::DELETE, "/api/v1/campuses", None, None, &[])
        .await
        .problem(405, "method_not_allowed");

    assert_eq!(counts(&app).await, before, "nothing changed");
}

on_both_databases!(
    bad_bodies_are_refused_and_change_nothing,
    field_errors_name_the_field_at_fault,
    unknown_fields_are_named,
    trailing_data_after_the_body_is_malformed,
    an_array_is_not_an_object,
    paths_queries_and_routes_are_checked,
);

/// The README's list of error codes is the code's table: the same codes in the same order,
/// each with its status and title.
#[test]
fn the_readme_lists_every_error_code_with_its_status_and_title() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("### Error codes")
        .nth(1)
        .expect("the README has an « Error codes » section");
    let listed: Vec<(String, u16, String)> = section
        .lines()
        .skip_while(|line| !line.starts_with("|---"))
        .skip(1)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 3, "three cells expected: {line}");
            (
                cells[0].trim_matches('`').to_owned(),
                cells[1]
                    .parse()
                    .unwrap_or_else(|_| panic!("status: {line}")),
                cells[2].to_owned(),
            )
        })
        .collect();
    let table: Vec<(String, u16, String)> = plateaux::error::ErrorCode::ALL
        .iter()
        .map(|c| {
            (
                c.as_str().to_owned(),
                c.status().as_u16(),
                c.title().to_owned(),
            )
        })
        .collect();
    assert_eq!(listed, table);
}
