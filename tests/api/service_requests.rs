//! SME service requests through the API: the whole life of a request, confidentiality,
//! illegal transitions, quotes arithmetic and the CSV export.

use chrono::{Duration, Utc, Weekday};
use serde_json::{json, Value};

use crate::on_both_databases;
use crate::support::dates::{at, next, today, TZ};
use crate::support::{campus, Campus, TestApp};

async fn submit(app: &TestApp, c: &Campus) -> String {
    let request = app
        .post(
            "/api/v1/service-requests",
            &c.company,
            json!({
                "title": "Essais de traction sur pièces soudées",
                "description": "Vingt éprouvettes en acier S355, rapport d'essai attendu.",
                "domains": ["welding", "metrology"],
                "wished_from": today().to_string(),
                "budget_cents": 250000,
                // Confidential: before it is taken, only the managers of the platform asked
                // for see it (the fixture's manager runs it).
                "confidential": true,
                "platform_id": c.platform_id,
                "links": ["https://exemple.fr/plan-piece.pdf"],
            }),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(request["state"], "submitted");
    assert_eq!(request["company_id"], c.company_id.as_str());
    assert_eq!(request["allowed_actions"], json!(["withdraw"]));
    request["id"].as_str().unwrap().to_owned()
}

async fn transition(app: &TestApp, token: &str, id: &str, body: Value) -> Value {
    app.post(
        &format!("/api/v1/service-requests/{id}/transitions"),
        token,
        body,
    )
    .await
    .expect(200)
    .json()
}

async fn quote(app: &TestApp, token: &str, id: &str, hours: f64) -> Value {
    app.post(&format!("/api/v1/service-requests/{id}/quotes"), token, json!({
        "valid_until": (today() + Duration::days(30)).to_string(),
        "lines": [
            { "label": "Essai de traction", "quantity": hours, "unit": "hour", "unit_price_cents": 8500, "vat_rate_bp": 2000 },
            { "label": "Rapport d'essai", "quantity": 1, "unit": "flat", "unit_price_cents": 15000, "vat_rate_bp": 2000 },
        ],
    }))
    .await
    .expect(201)
    .json()
}

async fn from_request_to_invoice(app: TestApp) {
    let c = campus(&app).await;
    let id = submit(&app, &c).await;

    // The company cannot take its own request; the manager can, on a platform it manages.
    let refused = app
        .post(
            &format!("/api/v1/service-requests/{id}/transitions"),
            &c.company,
            json!({ "action": "take" }),
        )
        .await
        .problem(409, "invalid_transition");
    assert_eq!(refused["extra"]["allowed_actions"], json!(["withdraw"]));
    app.post(
        &format!("/api/v1/service-requests/{id}/transitions"),
        &c.manager,
        json!({ "action": "take", "platform_id": c.other_platform_id }),
    )
    .await
    .problem(403, "forbidden");
    let taken = transition(
        &app,
        &c.manager,
        &id,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await;
    assert_eq!(taken["state"], "in_review");
    assert_eq!(taken["assignee_id"], c.manager_id.as_str());

    // Quote, then a revised version: 1.5 h × 85 € + 150 € = 277.50 € excl. VAT, 55.50 € VAT.
    let v1 = quote(&app, &c.manager, &id, 1.5).await;
    assert_eq!(
        (
            v1["version"].as_i64(),
            v1["total_excl_vat_cents"].as_i64(),
            v1["total_vat_cents"].as_i64(),
            v1["total_incl_vat_cents"].as_i64()
        ),
        (Some(1), Some(27750), Some(5550), Some(33300))
    );
    let v2 = quote(&app, &c.manager, &id, 2.0).await;
    assert_eq!(
        (v2["version"].as_i64(), v2["total_incl_vat_cents"].as_i64()),
        (Some(2), Some(38400))
    );
    app.post(
        &format!("/api/v1/service-requests/{id}/transitions"),
        &c.company,
        json!({ "action": "accept", "quote_version": 1 }),
    )
    .await
    .problem(409, "quote_not_current");
    let accepted = transition(
        &app,
        &c.company,
        &id,
        json!({ "action": "accept", "quote_version": 2 }),
    )
    .await;
    assert_eq!(accepted["state"], "accepted");
    // An accepted quote is frozen: no new version.
    app.post(&format!("/api/v1/service-requests/{id}/quotes"), &c.manager, json!({ "valid_until": (today() + Duration::days(30)).to_string(), "lines": [{ "label": "x", "quantity": 1, "unit": "flat", "unit_price_cents": 1, "vat_rate_bp": 0 }] }))
        .await
        .problem(409, "invalid_transition");
    let quotes = app
        .get(&format!("/api/v1/service-requests/{id}/quotes"), &c.company)
        .await
        .expect(200)
        .json();
    let statuses: Vec<&str> = quotes
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["superseded", "accepted"]);

    let signed = transition(&app, &c.manager, &id, json!({ "action": "sign_agreement", "agreement_reference": "CONV-2027-014", "signed_on": today().to_string() })).await;
    assert_eq!(signed["state"], "agreement_signed");

    // Sessions on two platforms, linked to the request.
    let tuesday = next(Weekday::Tue, 7);
    for (token, platform) in [
        (&c.manager, &c.platform_id),
        (&c.admin, &c.other_platform_id),
    ] {
        app.post("/api/v1/bookings", token, json!({
            "platform_id": platform, "stations": 2, "starts_at": at(tuesday, "08:00"), "ends_at": at(tuesday, "11:00"),
            "organisation_id": c.company_id, "service_request_id": id, "learners": [{ "status": "company", "headcount": 2 }],
        }))
        .await
        .expect(201);
    }
    let with_work = app
        .get(&format!("/api/v1/service-requests/{id}"), &c.company)
        .await
        .expect(200)
        .json();
    let work = with_work["work"].as_array().unwrap();
    assert_eq!(work.len(), 2);
    assert!(
        work.iter()
            .all(|w| w["hours_booked"] == 3.0 && w["bookings"] == 1),
        "{with_work}"
    );

    transition(&app, &c.manager, &id, json!({ "action": "start_work" })).await;
    transition(
        &app,
        &c.manager,
        &id,
        json!({ "action": "deliver", "delivery_note": "Rapport RE-27-014 et éprouvettes rompues" }),
    )
    .await;
    let invoiced = transition(
        &app,
        &c.manager,
        &id,
        json!({ "action": "invoice", "invoice_reference": "F-2027-0042", "amount_cents": 38400 }),
    )
    .await;
    assert_eq!(invoiced["invoice_amount_cents"], 38400);
    let closed = transition(&app, &c.manager, &id, json!({ "action": "close" })).await;
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["allowed_actions"], json!([]));

    // The timeline shows every step with its author.
    let timeline = app
        .get(
            &format!("/api/v1/service-requests/{id}/timeline"),
            &c.company,
        )
        .await
        .expect(200)
        .json();
    let steps: Vec<(String, String)> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("submit", &c.company_user_id),
        ("take", &c.manager_id),
        ("quote", &c.manager_id),
        ("revise_quote", &c.manager_id),
        ("accept", &c.company_user_id),
        ("sign_agreement", &c.manager_id),
        ("start_work", &c.manager_id),
        ("deliver", &c.manager_id),
        ("invoice", &c.manager_id),
        ("close", &c.manager_id),
    ]
    .iter()
    .map(|(a, u)| (a.to_string(), u.to_string()))
    .collect();
    assert_eq!(steps, expected);

    // Nothing more can happen to a closed request.
    let problem = app
        .post(
            &format!("/api/v1/service-requests/{id}/transitions"),
            &c.manager,
            json!({ "action": "reject", "reason": "x" }),
        )
        .await
        .problem(409, "invalid_transition");
    assert_eq!(problem["extra"]["allowed_actions"], json!([]));
}

async fn others_never_see_a_request(app: TestApp) {
    let c = campus(&app).await;
    let id = submit(&app, &c).await;
    app.post(
        &format!("/api/v1/service-requests/{id}/messages"),
        &c.manager,
        json!({ "body": "Tarif à valider avec la direction", "visibility": "internal" }),
    )
    .await
    .expect(201);
    app.post(
        &format!("/api/v1/service-requests/{id}/messages"),
        &c.manager,
        json!({ "body": "Pouvez-vous préciser la nuance d'acier ?" }),
    )
    .await
    .expect(201);
    app.post(
        &format!("/api/v1/service-requests/{id}/messages"),
        &c.company,
        json!({ "body": "S355 J2", "visibility": "internal" }),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        &format!("/api/v1/service-requests/{id}/messages"),
        &c.company,
        json!({ "body": "S355 J2" }),
    )
    .await
    .expect(201);

    // The company never receives internal messages, by any endpoint.
    let messages = app
        .get(
            &format!("/api/v1/service-requests/{id}/messages"),
            &c.company,
        )
        .await
        .expect(200)
        .json();
    let bodies: Vec<&str> = messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["Pouvez-vous préciser la nuance d'acier ?", "S355 J2"]
    );
    let timeline = app
        .get(
            &format!("/api/v1/service-requests/{id}/timeline"),
            &c.company,
        )
        .await
        .expect(200);
    assert!(!timeline.text.contains("internal"), "{}", timeline.text);
    let staff = app
        .get(
            &format!("/api/v1/service-requests/{id}/messages"),
            &c.manager,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(staff.as_array().unwrap().len(), 3);

    // Another company, a teacher and the observer get 404 on every part of it.
    for token in [&c.other_company, &c.teacher, &c.observer] {
        for part in ["", "/quotes", "/messages", "/timeline"] {
            app.get(&format!("/api/v1/service-requests/{id}{part}"), token)
                .await
                .problem(404, "not_found");
        }
        app.post(
            &format!("/api/v1/service-requests/{id}/messages"),
            token,
            json!({ "body": "?" }),
        )
        .await
        .problem(404, "not_found");
        app.post(
            &format!("/api/v1/service-requests/{id}/transitions"),
            token,
            json!({ "action": "withdraw" }),
        )
        .await
        .problem(404, "not_found");
    }
    let listed = app
        .get("/api/v1/service-requests", &c.other_company)
        .await
        .expect(200)
        .json();
    assert_eq!(listed["items"], json!([]));
    // Teachers and observers list none, as other lists answer.
    for token in [&c.teacher, &c.observer] {
        let listed = app
            .get("/api/v1/service-requests", token)
            .await
            .expect(200)
            .json();
        assert_eq!(listed["items"], json!([]));
    }
    // Bookings cannot be linked to a request before its work is agreed, nor by outsiders.
    let tuesday = next(Weekday::Tue, 7);
    let body = json!({ "platform_id": c.platform_id, "stations": 1, "starts_at": at(tuesday, "08:00"), "ends_at": at(tuesday, "09:00"), "service_request_id": id });
    let problem = app
        .post("/api/v1/bookings", &c.manager, body.clone())
        .await
        .problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["code"], "not_schedulable");
    let problem = app
        .post("/api/v1/bookings", &c.teacher, body)
        .await
        .problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["code"], "unknown_reference");

    // Once the manager's platform handles it, the managers of other platforms lose sight of it.
    transition(
        &app,
        &c.manager,
        &id,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await;
    let other_manager = crate::support::id_of(app.post("/api/v1/users", &c.admin, json!({
        "email": "usinage@campus.test", "display_name": "Responsable usinage",
        "role": "manager", "organisation_id": c.other_lycee_id, "managed_platform_ids": [c.other_platform_id],
    }))
    .await
    .expect(201));
    crate::support::activate(&app, &c.admin, &other_manager, crate::support::PASSWORD).await;
    let token = app
        .login("usinage@campus.test", crate::support::PASSWORD)
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get(&format!("/api/v1/service-requests/{id}"), &token)
        .await
        .problem(404, "not_found");
}

async fn illegal_transitions_name_the_allowed_actions(app: TestApp) {
    let c = campus(&app).await;
    let id = submit(&app, &c).await;
    let cases = [
        (
            &c.manager,
            json!({ "action": "accept", "quote_version": 1 }),
            json!(["take", "reject"]),
        ),
        (
            &c.company,
            json!({ "action": "close" }),
            json!(["withdraw"]),
        ),
        (
            &c.manager,
            json!({ "action": "deliver", "delivery_note": "x" }),
            json!(["take", "reject"]),
        ),
    ];
    for (token, body, allowed) in cases {
        let problem = app
            .post(
                &format!("/api/v1/service-requests/{id}/transitions"),
                token,
                body,
            )
            .await
            .problem(409, "invalid_transition");
        assert_eq!(problem["extra"]["allowed_actions"], allowed);
    }
    // Missing or bad parameters of an allowed action are validation errors.
    app.post(
        &format!("/api/v1/service-requests/{id}/transitions"),
        &c.manager,
        json!({ "action": "reject" }),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        &format!("/api/v1/service-requests/{id}/transitions"),
        &c.manager,
        json!({ "action": "take" }),
    )
    .await
    .problem(422, "validation_failed");
    app.post(
        &format!("/api/v1/service-requests/{id}/transitions"),
        &c.manager,
        json!({ "action": "teleport" }),
    )
    .await
    .problem(422, "validation_failed");
    // Quotes need lines, positive quantities with three decimals at most, a VAT rate in range.
    transition(
        &app,
        &c.manager,
        &id,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await;
    for lines in [
        json!([]),
        json!([{ "label": "x", "quantity": 0, "unit": "hour", "unit_price_cents": 100, "vat_rate_bp": 2000 }]),
        json!([{ "label": "x", "quantity": 1.0005, "unit": "hour", "unit_price_cents": 100, "vat_rate_bp": 2000 }]),
        json!([{ "label": "x", "quantity": 1, "unit": "hour", "unit_price_cents": 100, "vat_rate_bp": 10001 }]),
        json!([{ "label": "x", "quantity": 1, "unit": "litre", "unit_price_cents": 100, "vat_rate_bp": 2000 }]),
    ] {
        app.post(
            &format!("/api/v1/service-requests/{id}/quotes"),
            &c.manager,
            json!({ "valid_until": (today() + Duration::days(10)).to_string(), "lines": lines }),
        )
        .await
        .problem(422, "validation_failed");
    }
    assert_eq!(app.count("quotes").await, 0);
    // The company withdraws; a withdrawn request takes no quote.
    let withdrawn = transition(
        &app,
        &c.company,
        &id,
        json!({ "action": "withdraw", "reason": "Projet abandonné" }),
    )
    .await;
    assert_eq!(
        (
            withdrawn["state"].as_str(),
            withdrawn["state_reason"].as_str()
        ),
        (Some("withdrawn"), Some("Projet abandonné"))
    );
}

async fn csv_export_for_spreadsheets(app: TestApp) {
    let c = campus(&app).await;
    let id = submit(&app, &c).await;
    transition(
        &app,
        &c.manager,
        &id,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await;
    quote(&app, &c.manager, &id, 1.5).await;
    // A revised quote supersedes the first; another request has no quote yet.
    quote(&app, &c.manager, &id, 3.0).await;
    let unquoted = submit(&app, &c).await;
    let reply = app
        .get("/api/v1/service-requests?format=csv", &c.manager)
        .await
        .expect(200);
    assert!(reply.content_type().starts_with("text/csv"));
    let text = reply
        .text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for Excel");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "id");
    assert_eq!(&headers[4], "état");
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    let record_of = |request: &str| {
        records
            .iter()
            .find(|r| &r[0] == request)
            .unwrap_or_else(|| panic!("no line for {request}"))
    };
    let position = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let other = record_of(&unquoted);
    assert_eq!(&other[position("entreprise")], "Usinages du Célé");
    assert_eq!(&other[position("devis TTC (€)")], "");
    let record = record_of(&id);
    let column = |name: &str| &record[position(name)];
    assert_eq!(column("id"), id);
    assert_eq!(column("entreprise"), "Usinages du Célé");
    assert_eq!(column("état"), "devisée");
    assert_eq!(column("domaines"), "métrologie, soudage");
    let day = Utc::now().with_timezone(&TZ).format("%d/%m/%Y").to_string();
    assert_eq!(column("déposée le"), day);
    assert_eq!(column("devisée le"), day);
    assert_eq!(column("livrée le"), "");
    // 3 h at 85 € and a 150 € report, plus 20 % VAT: the latest version, not the first.
    assert_eq!(column("devis TTC (€)"), "486,00");
    // The company's export holds its own requests only; another company's is empty.
    let other = app
        .get("/api/v1/service-requests?format=csv", &c.other_company)
        .await
        .expect(200);
    assert_eq!(other.text.lines().count(), 1, "header only: {}", other.text);
    app.get("/api/v1/service-requests?format=xml", &c.manager)
        .await
        .problem(422, "validation_failed");
}

/// Issues a quote version valid until `valid_until`.
async fn issue_valid_until(app: &TestApp, token: &str, id: &str, valid_until: chrono::NaiveDate) {
    app.post(&format!("/api/v1/service-requests/{id}/quotes"), token, json!({
        "valid_until": valid_until.to_string(),
        "lines": [{ "label": "Essai de traction", "quantity": 2, "unit": "hour", "unit_price_cents": 8500, "vat_rate_bp": 2000 }],
    }))
    .await
    .expect(201);
}

/// A request's state and the actions offered to `token`, the same in the request and in
/// the list.
async fn offered(app: &TestApp, token: &str, id: &str) -> (Value, Value) {
    let one = app
        .get(&format!("/api/v1/service-requests/{id}"), token)
        .await
        .expect(200)
        .json();
    let listed = app
        .get("/api/v1/service-requests", token)
        .await
        .expect(200)
        .json();
    let in_list = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{listed}"))["allowed_actions"]
        .clone();
    assert_eq!(one["allowed_actions"], in_list, "{one}\n{listed}");
    (one["state"].clone(), one["allowed_actions"].clone())
}

/// A quote past its validity can no longer be answered: the company is no longer offered
/// `accept` nor `decline` (in the request, the list and the refusals), answering is refused
/// with the date written out, and nothing changes. A new version is offered again.
async fn an_expired_quote_is_no_longer_offered(app: TestApp) {
    let mut c = campus(&app).await;
    let id = submit(&app, &c).await;
    let path = format!("/api/v1/service-requests/{id}");
    transition(
        &app,
        &c.manager,
        &id,
        json!({ "action": "take", "platform_id": c.platform_id }),
    )
    .await;
    // Issued on Friday 8 January, valid up to Tuesday 12 January 2027 included.
    let valid_until = chrono::NaiveDate::from_ymd_opt(2027, 1, 12).unwrap();
    issue_valid_until(&app, &c.manager, &id, valid_until).await;
    assert_eq!(
        offered(&app, &c.company, &id).await,
        (json!("quoted"), json!(["accept", "decline", "withdraw"]))
    );
    // Its last day, late in the evening: still valid.
    app.set_time("2027-01-12T23:30:00+01:00");
    c.log_in_again(&app).await;
    assert_eq!(
        offered(&app, &c.company, &id).await.1,
        json!(["accept", "decline", "withdraw"])
    );

    // The next day it has expired: only withdrawing is left.
    app.set_time("2027-01-13T00:30:00+01:00");
    c.log_in_again(&app).await;
    assert_eq!(
        offered(&app, &c.company, &id).await,
        (json!("quoted"), json!(["withdraw"]))
    );
    for action in ["accept", "decline"] {
        let refused = app
            .post(
                &format!("{path}/transitions"),
                &c.company,
                json!({ "action": action, "quote_version": 1 }),
            )
            .await
            .problem(409, "quote_expired");
        let detail = refused["detail"].as_str().unwrap();
        assert!(
            detail.contains("valable jusqu'au mardi 12 janvier 2027"),
            "{refused}"
        );
        assert!(!detail.contains("12/01/2027"), "{refused}");
        assert_eq!(refused["extra"]["allowed_actions"], json!(["withdraw"]));
    }
    // Any other refusal names the same actions.
    let refused = app
        .post(
            &format!("{path}/transitions"),
            &c.company,
            json!({ "action": "close" }),
        )
        .await
        .problem(409, "invalid_transition");
    assert_eq!(refused["extra"]["allowed_actions"], json!(["withdraw"]));
    // Nothing changed: the request still waits, its quote is still the issued one.
    let quotes = app
        .get(&format!("{path}/quotes"), &c.company)
        .await
        .expect(200)
        .json();
    assert_eq!(quotes[0]["status"], "issued", "{quotes}");
    assert_eq!(quotes.as_array().unwrap().len(), 1, "{quotes}");
    // A new version, valid: it may be accepted again, and it is.
    issue_valid_until(&app, &c.manager, &id, valid_until + Duration::days(30)).await;
    assert_eq!(
        offered(&app, &c.company, &id).await.1,
        json!(["accept", "decline", "withdraw"])
    );
    let accepted = transition(
        &app,
        &c.company,
        &id,
        json!({ "action": "accept", "quote_version": 2 }),
    )
    .await;
    assert_eq!(accepted["state"], "accepted");
}

on_both_databases!(at "2027-01-08T10:00:00+01:00": an_expired_quote_is_no_longer_offered);

on_both_databases!(
    from_request_to_invoice,
    others_never_see_a_request,
    illegal_transitions_name_the_allowed_actions,
    csv_export_for_spreadsheets,
);

pub(crate) fn public_body(email: &str, siret: &str) -> Value {
    json!({
        "company_name": "Moules et Composites du Lot", "siret": siret, "contact_name": "Claire Vayssié",
        "email": email, "phone": "+33 5 65 00 00 00",
        "title": "Prototype de carter en composite", "description": "Trois pièces en fibre de carbone.",
        "domains": ["composites"],
    })
}

async fn public_submission_then_confirmation(app: TestApp) {
    let c = campus(&app).await;
    let (users, organisations) = (app.count("users").await, app.count("organisations").await);
    let receipt = app
        .call(
            actix_web::http::Method::POST,
            "/api/v1/public/service-requests",
            None,
            Some(public_body("Claire@Moules-Lot.fr", "40483304800022")),
            &[],
        )
        .await
        .expect(202)
        .json();
    assert!(receipt["message"].as_str().unwrap().contains("confirmez"));
    assert!(!receipt["message"]
        .as_str()
        .unwrap()
        .contains("enregistrée."));
    assert_eq!(
        (app.count("users").await, app.count("organisations").await),
        (users + 1, organisations + 1)
    );
    // The contact cannot log in before confirming.
    app.call(
        actix_web::http::Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({ "email": "claire@moules-lot.fr", "password": "un-mot-de-passe-solide" })),
        &[],
    )
    .await
    .problem(401, "invalid_credentials");
    // The same e-mail again, not confirmed yet: the same answer, and the request is kept
    // for that contact (no second account).
    let again = app
        .call(
            actix_web::http::Method::POST,
            "/api/v1/public/service-requests",
            None,
            Some(public_body("claire@moules-lot.fr", "40483304800022")),
            &[],
        )
        .await
        .expect(202)
        .json();
    assert_eq!(again, receipt);
    assert_eq!(app.count("service_requests").await, 2);
    assert_eq!(app.count("users").await, users + 1);
    // The administrator issues a token and passes it on; the contact confirms.
    let pending = app
        .get("/api/v1/account-confirmations", &c.admin)
        .await
        .expect(200)
        .json();
    assert_eq!(pending.as_array().unwrap().len(), 1);
    assert_eq!(pending[0]["email"], "claire@moules-lot.fr");
    assert_eq!(pending[0]["siret"], "40483304800022");
    assert_eq!(
        pending[0]["organisation_name"],
        "Moules et Composites du Lot"
    );
    assert!(pending[0].get("token").is_none(), "{pending}");
    let user_id = pending[0]["user_id"].as_str().unwrap().to_owned();
    let token = &crate::support::confirmation_token(&app, &c.admin, &user_id).await;
    app.call(
        actix_web::http::Method::POST,
        "/api/v1/public/account-confirmations",
        None,
        Some(json!({ "token": token, "password": "court" })),
        &[],
    )
    .await
    .problem(422, "validation_failed");
    app.call(
        actix_web::http::Method::POST,
        "/api/v1/public/account-confirmations",
        None,
        Some(json!({ "token": token, "password": "un-mot-de-passe-solide" })),
        &[],
    )
    .await
    .expect(200);
    app.call(
        actix_web::http::Method::POST,
        "/api/v1/public/account-confirmations",
        None,
        Some(json!({ "token": token, "password": "un-mot-de-passe-solide" })),
        &[],
    )
    .await
    .problem(422, "validation_failed");
    let session = app
        .login("claire@moules-lot.fr", "un-mot-de-passe-solide")
        .await;
    assert_eq!(session["user"]["role"], "company");
    let own = session["access_token"].as_str().unwrap();
    let listed = app
        .get("/api/v1/service-requests", own)
        .await
        .expect(200)
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        listed["items"][0]["title"],
        "Prototype de carter en composite"
    );
    assert_eq!(listed["items"][0]["state"], "submitted");
    // The new company is a company of the campus, invisible to other companies.
    let company_id = listed["items"][0]["company_id"].as_str().unwrap();
    let company = app
        .get(&format!("/api/v1/organisations/{company_id}"), &c.admin)
        .await
        .expect(200)
        .json();
    assert_eq!(
        (company["kind"].as_str(), company["siret"].as_str()),
        (Some("company"), Some("40483304800022"))
    );
    app.get(&format!("/api/v1/organisations/{company_id}"), &c.company)
        .await
        .problem(404, "not_found");
    assert_eq!(
        app.get("/api/v1/account-confirmations", &c.admin)
            .await
            .expect(200)
            .json(),
        json!([])
    );
}

async fn public_submissions_are_checked_and_limited(app: TestApp) {
    campus(&app).await;
    let before = (
        app.count("users").await,
        app.count("organisations").await,
        app.count("service_requests").await,
    );
    let send = |body: Value| {
        let req = actix_web::test::TestRequest::post()
            .uri("/api/v1/public/service-requests")
            .peer_addr("203.0.113.7:40000".parse().unwrap())
            .insert_header(("Content-Type", "application/json"))
            .set_payload(body.to_string())
            .to_request();
        app.send(req)
    };
    let problem = send(public_body("x@exemple.fr", "40483304800023"))
        .await
        .problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "siret");
    send(public_body("pas-une-adresse", "40483304800022"))
        .await
        .problem(422, "validation_failed");
    let mut no_domain = public_body("x@exemple.fr", "40483304800022");
    no_domain["domains"] = json!([]);
    send(no_domain).await.problem(422, "validation_failed");
    // A body that is not even a request does not count against the limit.
    send(json!({})).await.problem(422, "validation_failed");
    let mut bad_phone = public_body("x@exemple.fr", "40483304800022");
    bad_phone["phone"] = json!("appelez-moi");
    send(bad_phone.clone())
        .await
        .problem(422, "validation_failed");
    send(bad_phone).await.problem(422, "validation_failed");
    // The sixth request from the same address within ten minutes is refused.
    let limited = send(public_body("x@exemple.fr", "40483304800022")).await;
    let retry = limited
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    limited.problem(429, "rate_limited");
    assert!(retry
        .and_then(|r| r.parse::<u64>().ok())
        .is_some_and(|s| s > 0 && s <= 600));
    assert_eq!(
        (
            app.count("users").await,
            app.count("organisations").await,
            app.count("service_requests").await
        ),
        before
    );
}

on_both_databases!(public_submission_then_confirmation);

/// With the service's own limit on public submissions (the other tests lift it).
mod public_submissions_are_checked_and_limited {
    use crate::support::{Backend, TestApp};

    #[actix_web::test]
    async fn sqlite() {
        super::public_submissions_are_checked_and_limited(
            TestApp::with_production_limits(Backend::Sqlite).await,
        )
        .await
    }

    #[actix_web::test]
    async fn postgres() {
        super::public_submissions_are_checked_and_limited(
            TestApp::with_production_limits(Backend::Postgres).await,
        )
        .await
    }
}
