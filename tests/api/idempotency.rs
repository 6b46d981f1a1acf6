//! `Idempotency-Key` on POST: a retry returns the first answer instead of creating twice.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::{campus, Reply, TestApp};

async fn post_with_key(app: &TestApp, path: &str, token: &str, key: &str, body: Value) -> Reply {
    app.call(
        Method::POST,
        path,
        Some(token),
        Some(body),
        &[("Idempotency-Key", key)],
    )
    .await
}

fn replayed(reply: &Reply) -> Option<&str> {
    reply
        .headers
        .get("idempotent-replayed")
        .map(|v| v.to_str().unwrap())
}

async fn a_retry_returns_the_first_response(app: TestApp) {
    let c = campus(&app).await;
    let qualifications = app.count("qualifications").await;
    let audit = app.count("audit_events").await;
    let body = json!({ "name": "Sécurité laser", "validity_months": 36 });

    let first = post_with_key(
        &app,
        "/api/v1/qualifications",
        &c.admin,
        "cle-0001",
        body.clone(),
    )
    .await
    .expect(201);
    assert_eq!(replayed(&first), None);
    let location = first
        .headers
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let id = first.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/qualifications/{id}"));

    for _ in 0..2 {
        let again = post_with_key(
            &app,
            "/api/v1/qualifications",
            &c.admin,
            "cle-0001",
            body.clone(),
        )
        .await
        .expect(201);
        assert_eq!(replayed(&again), Some("true"));
        assert_eq!(again.text, first.text, "the very same body");
        assert_eq!(again.content_type(), "application/json");
        assert_eq!(
            again.headers.get("location").unwrap().to_str().unwrap(),
            location
        );
    }
    assert_eq!(app.count("qualifications").await, qualifications + 1);
    assert_eq!(app.count("audit_events").await, audit + 1);
    assert_eq!(app.count("idempotency_records").await, 1);

    // The same key for another body, or another endpoint, is a client error.
    let problem = post_with_key(
        &app,
        "/api/v1/qualifications",
        &c.admin,
        "cle-0001",
        json!({ "name": "Sécurité laser", "validity_months": 12 }),
    )
    .await
    .problem(422, "idempotency_key_reused");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key"),
        "{problem}"
    );
    post_with_key(&app, "/api/v1/campuses", &c.admin, "cle-0001", body.clone())
        .await
        .problem(422, "idempotency_key_reused");
    assert_eq!(app.count("qualifications").await, qualifications + 1);
    assert_eq!(app.count("campuses").await, 1);

    // Without the key the same body is a new request (here refused: the name is taken).
    app.post("/api/v1/qualifications", &c.admin, body.clone())
        .await
        .problem(409, "already_exists");
    // Another key creates another resource.
    let other = post_with_key(
        &app,
        "/api/v1/equipment",
        &c.admin,
        "cle-0002",
        json!({ "platform_id": c.platform_id, "name": "Poste MIG", "kind": "poste MIG" }),
    )
    .await
    .expect(201);
    assert_eq!(replayed(&other), None);
    let equipment = app.count("equipment").await;
    let again = post_with_key(
        &app,
        "/api/v1/equipment",
        &c.admin,
        "cle-0002",
        json!({ "platform_id": c.platform_id, "name": "Poste MIG", "kind": "poste MIG" }),
    )
    .await
    .expect(201);
    assert_eq!(again.json()["id"], other.json()["id"]);
    let third = post_with_key(
        &app,
        "/api/v1/equipment",
        &c.admin,
        "cle-0003",
        json!({ "platform_id": c.platform_id, "name": "Poste MIG", "kind": "poste MIG" }),
    )
    .await
    .expect(201);
    assert_ne!(third.json()["id"], other.json()["id"]);
    assert_eq!(app.count("equipment").await, equipment + 1);

    // Awards answer 200, and are replayed as such.
    let path = format!("/api/v1/users/{}/qualifications", c.teacher_id);
    let award = json!({ "qualification_id": id, "awarded_on": "2025-10-01" });
    let awarded = post_with_key(&app, &path, &c.manager, "attribution-1", award.clone())
        .await
        .expect(200);
    let replay = post_with_key(&app, &path, &c.manager, "attribution-1", award)
        .await
        .expect(200);
    assert_eq!(replayed(&replay), Some("true"));
    assert_eq!(replay.text, awarded.text);

    // The key is ignored on reads.
    let read = app
        .call(
            Method::GET,
            "/api/v1/qualifications",
            Some(&c.admin),
            None,
            &[("Idempotency-Key", "cle-0001")],
        )
        .await
        .expect(200);
    assert_eq!(replayed(&read), None);
    assert!(read.json()["items"].is_array());
}

async fn a_refused_request_does_not_use_up_the_key(app: TestApp) {
    let c = campus(&app).await;
    let qualifications = app.count("qualifications").await;

    // 422, then the corrected body with the same key is processed.
    post_with_key(
        &app,
        "/api/v1/qualifications",
        &c.admin,
        "essai",
        json!({ "name": "Cariste", "validity_months": 0 }),
    )
    .await
    .problem(422, "validation_failed");
    assert_eq!(app.count("idempotency_records").await, 0);
    let created = post_with_key(
        &app,
        "/api/v1/qualifications",
        &c.admin,
        "essai",
        json!({ "name": "Cariste", "validity_months": 60 }),
    )
    .await
    .expect(201);
    assert_eq!(replayed(&created), None);
    assert_eq!(created.json()["validity_months"], 60);

    // 409, then another body with the same key.
    post_with_key(
        &app,
        "/api/v1/qualifications",
        &c.admin,
        "doublon",
        json!({ "name": "Soudage" }),
    )
    .await
    .problem(409, "already_exists");
    post_with_key(
        &app,
        "/api/v1/qualifications",
        &c.admin,
        "doublon",
        json!({ "name": "Soudage orbital" }),
    )
    .await
    .expect(201);

    // 403, then the same key by someone allowed (and by the same account, still refused).
    post_with_key(
        &app,
        "/api/v1/qualifications",
        &c.teacher,
        "interdit",
        json!({ "name": "Pontier" }),
    )
    .await
    .problem(403, "forbidden");
    post_with_key(
        &app,
        "/api/v1/qualifications",
        &c.teacher,
        "interdit",
        json!({ "name": "Pontier" }),
    )
    .await
    .problem(403, "forbidden");
    // 400 and 415 refusals do not keep the key either.
    app.call(
        Method::POST,
        "/api/v1/qualifications",
        Some(&c.manager),
        None,
        &[
            ("Idempotency-Key", "interdit"),
            ("Content-Type", "application/json"),
        ],
    )
    .await
    .problem(400, "malformed_json");
    app.send(
        actix_web::test::TestRequest::post()
            .uri("/api/v1/qualifications")
            .insert_header(("Authorization", format!("Bearer {}", c.manager)))
            .insert_header(("Idempotency-Key", "interdit"))
            .insert_header(("Content-Type", "text/plain"))
            .set_payload(r#"{"name": "Pontier"}"#)
            .to_request(),
    )
    .await
    .problem(415, "unsupported_media_type");
    // 401 without a valid token.
    app.call(
        Method::POST,
        "/api/v1/qualifications",
        Some("pas-un-jeton"),
        Some(json!({ "name": "Pontier" })),
        &[("Idempotency-Key", "interdit")],
    )
    .await
    .problem(401, "unauthenticated");
    post_with_key(
        &app,
        "/api/v1/qualifications",
        &c.manager,
        "interdit",
        json!({ "name": "Pontier" }),
    )
    .await
    .expect(201);

    assert_eq!(app.count("qualifications").await, qualifications + 3);
    assert_eq!(
        app.count("idempotency_records").await,
        3,
        "only the successes are kept"
    );
}

async fn keys_belong_to_their_account(app: TestApp) {
    let c = campus(&app).await;
    let equipment = app.count("equipment").await;
    let body = json!({ "platform_id": c.platform_id, "name": "Poste TIG 2", "kind": "poste TIG" });
    let by_admin = post_with_key(
        &app,
        "/api/v1/equipment",
        &c.admin,
        "partagee",
        body.clone(),
    )
    .await
    .expect(201);
    let by_manager = post_with_key(
        &app,
        "/api/v1/equipment",
        &c.manager,
        "partagee",
        body.clone(),
    )
    .await
    .expect(201);
    assert_eq!(
        replayed(&by_manager),
        None,
        "another account's key is not replayed"
    );
    assert_ne!(by_admin.json()["id"], by_manager.json()["id"]);
    assert_eq!(app.count("equipment").await, equipment + 2);
    // Each account gets its own first answer back.
    let again = post_with_key(
        &app,
        "/api/v1/equipment",
        &c.manager,
        "partagee",
        body.clone(),
    )
    .await
    .expect(201);
    assert_eq!(again.text, by_manager.text);
    let again = post_with_key(
        &app,
        "/api/v1/equipment",
        &c.admin,
        "partagee",
        body.clone(),
    )
    .await
    .expect(201);
    assert_eq!(again.text, by_admin.text);
    // Another account with a different body under the same key is no reuse either.
    let other_body = json!({ "name": "Ébavurage" });
    post_with_key(
        &app,
        "/api/v1/qualifications",
        &c.manager,
        "seule",
        other_body.clone(),
    )
    .await
    .expect(201);
    post_with_key(
        &app,
        "/api/v1/qualifications",
        &c.admin,
        "seule",
        json!({ "name": "Ponçage" }),
    )
    .await
    .expect(201);
    assert_eq!(app.count("equipment").await, equipment + 2);
    assert_eq!(app.count("idempotency_records").await, 4);
}

async fn malformed_keys_are_refused(app: TestApp) {
    let c = campus(&app).await;
    let qualifications = app.count("qualifications").await;
    let long = "k".repeat(201);
    for key in ["", long.as_str(), "avec espace", "clé"] {
        let req = actix_web::test::TestRequest::post()
            .uri("/api/v1/qualifications")
            .insert_header(("Authorization", format!("Bearer {}", c.admin)))
            .insert_header(("Content-Type", "application/json"))
            .insert_header((
                "Idempotency-Key",
                actix_web::http::header::HeaderValue::from_bytes(key.as_bytes()).unwrap(),
            ))
            .set_payload(r#"{"name": "Clé refusée"}"#)
            .to_request();
        let problem = app.send(req).await.problem(400, "invalid_idempotency_key");
        assert!(
            problem["detail"].as_str().unwrap().contains("200"),
            "{problem}"
        );
    }
    // Authentication is refused first, whatever the key.
    for authorization in [None, Some("Bearer pas-un-jeton")] {
        let mut req = actix_web::test::TestRequest::post()
            .uri("/api/v1/bookings")
            .insert_header(("Content-Type", "application/json"))
            .insert_header(("Idempotency-Key", "avec espace"))
            .set_payload(r#"{"name": "Clé refusée"}"#);
        if let Some(value) = authorization {
            req = req.insert_header(("Authorization", value));
        }
        app.send(req.to_request())
            .await
            .problem(401, "unauthenticated");
    }
    assert_eq!(app.count("qualifications").await, qualifications);
    assert_eq!(app.count("idempotency_records").await, 0);
    // Two hundred visible characters are fine.
    let longest = "k".repeat(200);
    post_with_key(
        &app,
        "/api/v1/qualifications",
        &c.admin,
        &longest,
        json!({ "name": "Clé acceptée" }),
    )
    .await
    .expect(201);
    let replay = post_with_key(
        &app,
        "/api/v1/qualifications",
        &c.admin,
        &longest,
        json!({ "name": "Clé acceptée" }),
    )
    .await
    .expect(201);
    assert_eq!(replayed(&replay), Some("true"));
    assert_eq!(app.count("qualifications").await, qualifications + 1);
}

on_both_databases!(
    a_retry_returns_the_first_response,
    a_refused_request_does_not_use_up_the_key,
    keys_belong_to_their_account,
    malformed_keys_are_refused,
);
